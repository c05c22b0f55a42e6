"""Helpers shared by tests: paths and running the ``kochu`` command like a user."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MINI_ATLAS = ROOT / "tests" / "fixtures" / "mini_atlas"


def run_kochu(*args: str, cwd: Path | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run the ``kochu`` command in a subprocess (as a user would) and capture its output."""
    return subprocess.run(
        [sys.executable, "-c", "from kochu.cli import main; main()", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        timeout=timeout,
    )
