"""``kochu compare``: run scenarios side by side with common random numbers.

Every scenario runs with the **same seeds** (the baseline's, or 1..N with ``--replicates``),
so with kochu's counter-based random streams a scenario differs from the baseline only where
its interventions act. Layout of ``--out DIR``::

    DIR/<scenario>/seed_<s>/      one run store per scenario and seed (kochu.runs.store)
    DIR/comparison.csv            side by side: kochu.indicators.compare (long table)
    DIR/comparison_<YEAR>.csv     the last year, national and oblast indicators, one row each
                                  (kochu.indicators.headline: values, differences, bands)
    DIR/comparison.json           what was compared: scenarios, files, seeds, scale, until

The baseline is the scenario named ``baseline`` if one is given, else the first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from kochu.errors import KochuError, ScenarioError
from kochu.scenarios.io import load_scenario
from kochu.scenarios.schema import BASELINE, Scenario

#: last year the simulation's drivers reach (kochu.sim.cli)
MAX_YEAR = 2050
MAX_REPLICATES = 1000


def common_seeds(baseline: Scenario, replicates: int | None) -> list[int]:
    """The baseline's seeds, or its first ``replicates`` (topped up with 1, 2, … unused)."""
    if replicates is None:
        return list(baseline.seeds)
    if not 1 <= replicates <= MAX_REPLICATES:
        raise KochuError(f"--replicates {replicates}: expected 1 to {MAX_REPLICATES}")
    seeds = list(baseline.seeds[:replicates])
    k = 1
    while len(seeds) < replicates:
        if k not in seeds:
            seeds.append(k)
        k += 1
    return seeds


def plan(
    files: list[Path], atlas: Any, *, scale: float | None, until: int | None,
    replicates: int | None,
) -> tuple[list[Scenario], dict[str, Path], list[int], float, int]:
    """Load and check everything before any run: (scenarios with the baseline first, their
    files by name, seeds, scale, last year)."""
    if not files:
        raise KochuError("kochu compare: expected at least one scenario file")
    scenarios = [load_scenario(f, atlas) for f in files]
    seen: dict[str, Path] = {}
    for f, sc in zip(files, scenarios, strict=True):
        if sc.name in seen:
            raise ScenarioError(f"{f}: name: '{sc.name}' is also the name of {seen[sc.name]} (names must differ)")
        seen[sc.name] = f
    base = next((s for s in scenarios if s.name == BASELINE), scenarios[0])
    scenarios = [base, *[s for s in scenarios if s is not base]]
    seeds = common_seeds(base, replicates)
    scale = base.scale if scale is None else float(scale)
    if not 0.0 < scale <= 1.0:
        raise KochuError(f"--scale {scale}: expected a number in (0, 1]")
    last = max(s.horizon for s in scenarios) if until is None else int(until)
    if not 1990 <= last < MAX_YEAR:
        raise KochuError(f"--until {last}: expected a year from 1990 to {MAX_YEAR - 1}")
    return scenarios, seen, seeds, scale, last


def run_comparison(
    scenarios: list[Path],
    *,
    out: Path,
    scale: float | None = None,
    until: int | None = None,
    replicates: int | None = None,
    atlas: Path | None = None,
    progress: bool = True,
    runner: Callable[..., pd.DataFrame] | None = None,
    workers: int = 2,
    scheduler: str | None = None,
) -> Path:
    """Run every scenario with the same seeds; write the run stores, ``comparison.csv`` and
    ``comparison.json`` under ``out``; return the CSV's path.

    By default the runs go through the ensemble machinery (:mod:`kochu.runs.ensemble`: Dask
    with ``workers`` local processes or the cluster at ``scheduler``; complete run folders are
    kept, so an interrupted comparison resumes); a ``runner`` (tests, the dashboard) runs them
    in this process instead."""
    from kochu.atlas import load_atlas
    from kochu.indicators import compare, headline
    from kochu.runs.store import atomic_write_text

    at = load_atlas(atlas)
    scs, files, seeds, scale_, last = plan(
        list(scenarios), at, scale=scale, until=until, replicates=replicates
    )
    if out.exists() and not out.is_dir():
        raise KochuError(f"--out {out}: exists and is not a folder")
    tables: dict[str, list[pd.DataFrame]] = {s.name: [] for s in scs}
    jobs = [(sc, seed) for sc in scs for seed in seeds]
    if runner is None:
        _run_on_ensemble(scs, files, seeds, out, atlas, scale_, last, workers, scheduler, progress, tables)
        jobs = []

    def work(advance: Callable[[str], None]) -> None:
        for sc, seed in jobs:
            advance(f"{sc.name} seed {seed}")
            tables[sc.name].append(runner(sc, at, seed, scale_, last, out / sc.name / f"seed_{seed}"))

    if progress and jobs:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(TextColumn("{task.fields[what]}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("compare", total=len(jobs), what="")
            first = [True]

            def advance(what: str) -> None:
                if not first[0]:
                    bar.advance(task)
                first[0] = False
                bar.update(task, what=what)

            work(advance)
    elif jobs:
        work(lambda what: None)
    result = compare({name: pd.concat(parts, ignore_index=True) for name, parts in tables.items()},
                     baseline=scs[0].name)
    result = result[result["year"] <= last]
    path = out / "comparison.csv"
    atomic_write_text(path, result.to_csv(index=False, lineterminator="\n"))
    top = headline(result, last)
    atomic_write_text(out / f"comparison_{last}.csv", top.to_csv(lineterminator="\n"))
    meta = {
        "baseline": scs[0].name,
        "scenarios": [s.name for s in scs],
        "files": {name: str(f) for name, f in files.items()},
        "seeds": seeds,
        "scale": scale_,
        "until": last,
        "band": "5% and 95% quantiles over seeds (kochu.indicators.compare)",
    }
    atomic_write_text(out / "comparison.json", json.dumps(meta, indent=2) + "\n")
    return path


def _run_on_ensemble(
    scs: list[Scenario], files: dict[str, Path], seeds: list[int], out: Path, atlas: Path | None,
    scale: float, last: int, workers: int, scheduler: str | None, progress: bool,
    tables: dict[str, list[pd.DataFrame]],
) -> None:
    """Every (scenario, seed) as an ensemble task writing ``out/<name>/seed_<s>/``; then each
    run's own ``indicators`` table (computed with the scenario's context) into ``tables``."""
    from kochu.runs.ensemble import Task, run_ensemble
    from kochu.runs.store import read_table

    tasks = [
        Task(scenario=sc.name, scenario_file=str(Path(files[sc.name]).resolve()), replicate=i,
             draw=0, seed=seed, folder=f"{sc.name}/seed_{seed}")
        for sc in scs for i, seed in enumerate(seeds)
    ]
    settings = {"atlas": str(Path(atlas).resolve()) if atlas else None, "scale": scale,
                "until": last + 1}
    run_ensemble(tasks, out, settings, workers=workers, scheduler=scheduler, progress=progress)
    for t in tasks:
        tables[t.scenario].append(read_table(t.run_dir(out), "indicators").assign(seed=t.seed))
