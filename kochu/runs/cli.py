"""CLI verbs of kochu.runs (registered by :mod:`kochu.cli`)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this package's verbs to the ``kochu`` command (none yet)."""
