"""The dashboard's runner: one function that runs a scenario into a run folder.

The dashboard (:mod:`kochu.report.serve`) only knows this interface::

    runner(scenario: Scenario | dict, *, scale: float, seed: int, until: int,
           progress: Callable[[float, str], None], out_dir: Path) -> Path

It must write a complete run folder at ``out_dir`` (``docs/run-store.md``) and return it;
``progress(fraction, message)`` is called with ``fraction`` in [0, 1] as work advances. The
default, :func:`run_scenario`, drives the agent-based engine :class:`kochu.sim.Sim` and then
builds the report; tests pass their own runner.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from kochu.errors import KochuError

ProgressFn = Callable[[float, str], None]


class Runner(Protocol):
    """What the dashboard calls to run a scenario (see the module docstring)."""

    def __call__(
        self,
        scenario: Any,
        *,
        scale: float,
        seed: int,
        until: int,
        progress: ProgressFn,
        out_dir: Path,
    ) -> Path: ...


def _sim_class() -> Any:
    try:
        from kochu.sim.sim import Sim
    except ImportError:  # pragma: no cover - the engine is part of kochu
        raise KochuError(
            "the simulation engine (kochu.sim.Sim) is not available in this version of kochu"
        ) from None
    return Sim


def run_scenario(
    scenario: Any,
    *,
    scale: float,
    seed: int,
    until: int,
    progress: ProgressFn,
    out_dir: Path,
) -> Path:
    """Simulate ``scenario`` with :class:`kochu.sim.Sim` into ``out_dir``, then build its report.

    ``scenario`` is a :class:`kochu.scenarios.Scenario` (its places are checked against the
    atlas first) or a plain dict. The simulation advances one year at a time so the page can
    show progress: set-up 0 → 0.05, years 0.05 → 0.85, writing tables 0.85 → 0.9, figures
    0.9 → 1.
    """
    from kochu.atlas import load_atlas
    from kochu.report.build import build_report

    Sim = _sim_class()
    progress(0.0, "loading the atlas")
    atlas = load_atlas()
    if hasattr(scenario, "all_interventions"):
        from kochu.scenarios import check_places

        check_places(scenario, atlas)
    sim = Sim(atlas, scenario=scenario, seed=seed, scale=scale, end=max(until, 2025))
    progress(0.02, "building the 1989 population")
    sim.init()
    years = range(sim.start + 1, until + 1)
    for i, year in enumerate(years):
        sim.run(until=year)
        progress(0.05 + 0.8 * (i + 1) / len(years), f"simulated to 1 January {year}")
    progress(0.85, "writing the run tables")
    sim.write(out_dir)
    names = _figure_names()
    done = [0]

    def tick(name: str) -> None:
        done[0] += 1
        progress(0.9 + 0.1 * done[0] / len(names), f"drawing {name}")

    build_report(out_dir, atlas=atlas, progress=tick)
    progress(1.0, "done")
    return out_dir


def _figure_names() -> list[str]:
    from kochu.report.build import SECTIONS

    return [n for _, _, names in SECTIONS for n in names]
