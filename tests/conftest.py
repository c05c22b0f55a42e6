"""Shared test fixtures and helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import MINI_ATLAS

try:  # hypothesis profiles: a quick default and a fuller CI profile
    from hypothesis import settings

    settings.register_profile("ci", max_examples=60, deadline=None)
    settings.register_profile("dev", max_examples=25, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))
except ImportError:  # pragma: no cover
    pass


@pytest.fixture
def mini_atlas_path() -> Path:
    """Path of the small fixture atlas (invented numbers, for fast tests only)."""
    return MINI_ATLAS
