"""The dashboard's runner: one function that runs a scenario into a run folder.

The dashboard (:mod:`kochu.report.serve`) only knows this interface::

    runner(scenario: dict, *, scale: float, seed: int, until: int,
           progress: Callable[[float, str], None], out_dir: Path) -> Path

It must write a complete run folder at ``out_dir`` (``docs/run-store.md``) and return it;
``progress(fraction, message)`` is called with ``fraction`` in [0, 1] as work advances. The
default, :func:`run_scenario`, drives the agent-based engine :class:`kochu.sim.Sim` and then
builds the report; tests pass their own runner.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from kochu.errors import KochuError

ProgressFn = Callable[[float, str], None]


class Runner(Protocol):
    """What the dashboard calls to run a scenario (see the module docstring)."""

    def __call__(
        self,
        scenario: dict[str, Any],
        *,
        scale: float,
        seed: int,
        until: int,
        progress: ProgressFn,
        out_dir: Path,
    ) -> Path: ...


def _sim_class() -> Any:
    try:
        from kochu.sim import Sim  # type: ignore[attr-defined]
    except ImportError:
        raise KochuError(
            "the simulation engine (kochu.sim.Sim) is not available in this version of kochu"
        ) from None
    return Sim


def _accepts(func: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def run_scenario(
    scenario: dict[str, Any],
    *,
    scale: float,
    seed: int,
    until: int,
    progress: ProgressFn,
    out_dir: Path,
) -> Path:
    """Simulate ``scenario`` with :class:`kochu.sim.Sim` into ``out_dir``, then build its report.

    Progress: the simulation reports 0 → 0.9, the report 0.9 → 1.
    """
    from kochu.atlas import load_atlas
    from kochu.report.build import build_report

    Sim = _sim_class()
    progress(0.0, "loading the atlas")
    atlas = load_atlas()
    kwargs: dict[str, Any] = {}
    if _accepts(Sim, "scale"):
        kwargs["scale"] = scale
    sim = Sim(atlas, scenario, seed, **kwargs)
    run_kwargs: dict[str, Any] = {"until": until}
    if _accepts(sim.run, "progress"):
        run_kwargs["progress"] = lambda f, msg="simulating": progress(0.9 * float(f), str(msg))
    if _accepts(sim.run, "out"):
        run_kwargs["out"] = out_dir
    progress(0.02, "simulating")
    sim.run(**run_kwargs)
    if "out" not in run_kwargs:
        sim.save(out_dir)
    progress(0.9, "drawing maps and charts")
    n = len(_figure_names())
    done = [0]

    def tick(name: str) -> None:
        done[0] += 1
        progress(0.9 + 0.1 * done[0] / n, f"drawing {name}")

    build_report(out_dir, atlas=atlas, progress=tick)
    progress(1.0, "done")
    return out_dir


def _figure_names() -> list[str]:
    from kochu.report.build import SECTIONS

    return [n for _, _, names in SECTIONS for n in names]
