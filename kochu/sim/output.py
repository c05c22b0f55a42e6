"""Write a run: run-store tables, CSV exports and the manifest (last)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from kochu.runs.store import RunStore


def _indicators(sim: Any, tables: dict) -> Any:
    """``kochu.indicators.compute`` on the run's tables, when that module exists, with the
    scenario's context (legalisations with services, added capital housing) when the run has
    a scenario object (:func:`kochu.scenarios.context.indicator_context`)."""
    if importlib.util.find_spec("kochu.indicators.compute") is None:
        return None
    from kochu.indicators.compute import compute

    context: dict[str, Any] = {}
    scenario = getattr(sim, "scenario_obj", None)
    if scenario is not None:
        from kochu.scenarios.context import indicator_context

        context = indicator_context(scenario, sim.year - 1)  # the run reached 1 January sim.year
    return compute(tables, sim.atlas, **context)


def write_run(sim: Any, out: Path) -> Path:
    """Write ``population``, ``flows``, ``events`` (+ ``indicators``), the CSV exports and
    ``manifest.json`` (last) to ``out``; returns the manifest path."""
    res = sim.finalize()
    store = RunStore(out)
    tables = {"population": res.population(), "flows": res.flows(), "events": res.events_table()}
    for name, df in tables.items():
        store.write_table(name, df)
    ind = _indicators(sim, tables)
    if ind is not None:
        store.write_table("indicators", ind)
    store.write_csv("population_by_oblast.csv", res.population_by_oblast())
    store.write_csv("flows_by_oblast.csv", res.flows_by_oblast())
    secs = sim.timing["seconds"]
    manifest = {
        "data_hash": getattr(sim.atlas, "data_hash", None),
        "atlas": str(getattr(sim.atlas, "path", "")),
        "scenario": sim.scenario,
        "parameters": sim.params.to_dict(),
        "parameters_source": getattr(sim.params, "defaults_source", None),
        "seed": sim.seed,
        "scale": sim.scale,
        "start_year": sim.start,
        "until": sim.year,
        "engine": "kochu.sim (agent-based)",
        "loop_order": sim.loop_order().splitlines(),
        "timing": {
            "seconds": round(secs, 3),
            "person_steps": int(sim.timing["person_steps"]),
            "person_steps_per_second": round(sim.timing["person_steps"] / secs) if secs > 0 else None,
        },
    }
    return store.finalize(manifest)
