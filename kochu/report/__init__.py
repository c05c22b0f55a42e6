"""Figures, maps, the self-contained HTML report and the local dashboard.

``build_report(run_dir)`` writes ``RUN_DIR/report.html`` and ``RUN_DIR/figures/``;
``kochu serve`` (:mod:`kochu.report.serve`) is the local dashboard. Imports are lazy so the
``kochu`` command does not load matplotlib until a report is built.
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_report"]


def __getattr__(name: str) -> Any:
    if name == "build_report":
        from kochu.report.build import build_report

        return build_report
    raise AttributeError(f"module 'kochu.report' has no attribute {name!r}")
