"""``kochu compare``: run scenarios with common random numbers, side by side."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from kochu.errors import KochuError


def run_comparison(
    scenarios: list[Path],
    *,
    out: Path,
    scale: float | None = None,
    until: int | None = None,
    replicates: int | None = None,
    atlas: Path | None = None,
) -> Path:
    """Run every scenario (same seeds), write each run under ``out/<name>/<seed>/`` and
    ``out/comparison.csv``; returns the CSV's path."""
    if importlib.util.find_spec("kochu.sim.sim") is None:
        raise KochuError("kochu compare needs the simulation (kochu.sim.Sim), not built yet")
    raise KochuError("kochu compare: not wired to the simulation yet")
