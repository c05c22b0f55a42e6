"""Errors that reach the user as one clear line (never a traceback).

Every error kochu raises for bad input is a :class:`KochuError`; the CLI prints its message
on stderr and exits non-zero.
"""

from __future__ import annotations


class KochuError(Exception):
    """A problem with the user's input or environment, explained in one line."""

    exit_code = 2


class AtlasError(KochuError):
    """A malformed atlas folder: names the file, row, column and what was expected."""


class ScenarioError(KochuError):
    """A malformed scenario file."""


class FlowDataError(KochuError):
    """A malformed origin–destination table."""


class RunStoreError(KochuError):
    """A missing, incomplete or inconsistent run folder."""
