"""Ensembles: many runs (scenarios × replicates × parameter draws) locally or on Dask.

Each task's seed is derived from its (base seed, scenario, replicate, draw) index by a hash —
never from worker order — so an ensemble gives the same results whatever the number of
workers. Every run is written to its own run folder (``RUN_ROOT/runs/<task id>/``) through the
atomic :class:`~kochu.runs.store.RunStore`; a run folder counts as done only when its manifest
is complete, so an interrupted ensemble resumes by redoing exactly the missing runs. Results
are sorted by task id before aggregation into quantile bands.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kochu.errors import KochuError
from kochu.runs.store import RunStore, is_complete, read_manifest, read_table

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def derive_seed(base_seed: int, scenario: str, replicate: int, draw: int = 0) -> int:
    """A 31-bit seed from the task's index (stable across machines and Python versions)."""
    key = f"kochu:{int(base_seed)}:{scenario}:{int(replicate)}:{int(draw)}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "little") & 0x7FFFFFFF


@dataclass(frozen=True)
class Task:
    """One run of an ensemble."""

    scenario: str  # scenario name
    scenario_file: str | None  # TOML path (None: the baseline)
    replicate: int
    draw: int
    seed: int
    params: dict[str, float] = field(default_factory=dict)  # parameter draw overrides
    folder: str = ""  # run folder relative to the ensemble root ("" = runs/<id>)

    @property
    def id(self) -> str:
        """Name of this task's run, e.g. ``baseline-r003-d000``."""
        return f"{self.scenario}-r{self.replicate:03d}-d{self.draw:03d}"

    def run_dir(self, root: str | Path) -> Path:
        """This task's run folder under the ensemble root."""
        return Path(root) / (self.folder or f"runs/{self.id}")


def make_tasks(
    scenarios: Sequence[tuple[str, str | None]],
    replicates: int,
    base_seed: int = 1,
    draws: Sequence[dict[str, float]] | None = None,
    common_random_numbers: bool = True,
) -> list[Task]:
    """Tasks for scenarios × replicates × parameter draws, sorted by id.

    With ``common_random_numbers`` every scenario's replicate *r* uses the same seed (derived
    with the scenario name ``"*"``), so scenario differences are not sampling noise.
    """
    if replicates < 1:
        raise KochuError(f"--replicates: expected a whole number ≥ 1, got {replicates}")
    names = [s for s, _ in scenarios]
    if len(set(names)) != len(names):
        raise KochuError(f"scenarios: duplicate scenario name in {names}")
    draws = list(draws) if draws else [{}]
    tasks = [
        Task(
            scenario=name,
            scenario_file=path,
            replicate=r,
            draw=d,
            seed=derive_seed(base_seed, "*" if common_random_numbers else name, r, d),
            params=dict(sorted(pars.items())),
        )
        for name, path in scenarios
        for r in range(replicates)
        for d, pars in enumerate(draws)
    ]
    return sorted(tasks, key=lambda t: t.id)


#: a runner executes one task into a run folder: runner(task, run_dir, settings) -> None
Runner = Callable[[Task, Path, dict[str, Any]], None]


@functools.lru_cache(maxsize=4)
def _atlas(path: str | None) -> Any:
    from kochu.atlas import load_atlas

    return load_atlas(path)


def sim_runner(task: Task, run_dir: Path, settings: dict[str, Any]) -> None:
    """Run the agent-based simulation for one task and write its run folder.

    ``settings``: ``atlas`` (folder or None), ``scale``, ``until`` (year).
    """
    from kochu.sim.sim import Sim

    until = int(settings.get("until", 2025))
    sim = Sim(
        _atlas(settings.get("atlas")),
        scenario=task.scenario_file,
        seed=task.seed,
        scale=float(settings.get("scale", 0.01)),
        end=max(until, 2025),
        params=task.params or None,
        threads=1,
    )
    sim.init()
    sim.run(until=until)
    sim.write(run_dir)


def _execute(task: Task, root: str, settings: dict[str, Any], runner: Runner) -> tuple[str, str, float]:
    """Worker-side: run one task unless its folder is already complete; return its manifest hash."""
    run_dir = task.run_dir(root)
    t0 = time.perf_counter()
    if not is_complete(run_dir):
        runner(task, run_dir, settings)
        if not is_complete(run_dir):
            raise KochuError(f"{run_dir}: the run finished without a complete manifest")
    return task.id, results_digest(run_dir), time.perf_counter() - t0


def results_digest(run_dir: Path) -> str:
    """sha256 over a complete run's table hashes (not its timing), for identity checks."""
    files = read_manifest(run_dir)["files"]
    body = "\n".join(f"{k}={v}" for k, v in sorted(files.items()) if not k.endswith(".html"))
    return hashlib.sha256(body.encode()).hexdigest()


def connect(workers: int = 1, scheduler: str | None = None, processes: bool = True) -> tuple[Any, Any]:
    """A Dask client: on a new LocalCluster of ``workers`` single-threaded processes (threads of
    this process with ``processes=False``), or on the cluster at ``scheduler``. Returns
    ``(client, cluster)`` (cluster None for a scheduler); the caller closes both."""
    from dask.distributed import Client, LocalCluster

    if scheduler is None:
        if workers < 1:
            raise KochuError(f"--workers: expected a whole number ≥ 1, got {workers}")
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes, dashboard_address=None)
        return Client(cluster), cluster
    try:
        return Client(scheduler, timeout="10s"), None
    except (OSError, TimeoutError) as exc:
        raise KochuError(f"--scheduler {scheduler}: cannot connect ({exc})") from None


def run_ensemble(
    tasks: Sequence[Task],
    out: str | Path,
    settings: dict[str, Any],
    workers: int = 1,
    scheduler: str | None = None,
    runner: Runner = sim_runner,
    progress: bool = True,
    client: Any = None,
    on_task: Callable[[str, float], None] | None = None,
) -> pd.DataFrame:
    """Run ``tasks`` on Dask (a LocalCluster of ``workers`` processes, or the cluster at
    ``scheduler``), skipping those already complete; return one row per task, sorted by id.

    ``client``: an open Dask client (see :func:`connect`) to reuse instead of starting one (a
    caller running many small ensembles, e.g. calibration, keeps its warm workers);
    ``on_task(task id, seconds)`` is called as each task finishes (its own progress bar).
    """
    from dask.distributed import as_completed

    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    todo = [t for t in tasks if not is_complete(t.run_dir(root))]
    rows: dict[str, tuple[str, float]] = {}
    for t in tasks:
        if t not in todo:
            rows[t.id] = (results_digest(t.run_dir(root)), 0.0)
    if todo:
        own = client is None
        cluster = None
        if own:
            client, cluster = connect(workers, scheduler)
        try:
            futures = [
                client.submit(_execute, t, str(root.resolve()), settings, runner, key=f"kochu-{t.id}", pure=False)
                for t in todo
            ]
            with _progress(progress, len(todo)) as advance:
                for fut in as_completed(futures):
                    tid, digest, secs = fut.result()
                    rows[tid] = (digest, secs)
                    advance()
                    if on_task is not None:
                        on_task(tid, secs)
        finally:
            if own:
                client.close()
                if cluster is not None:
                    cluster.close()
    by_id = {t.id: t for t in tasks}
    table = pd.DataFrame(
        [
            {**{k: v for k, v in asdict(by_id[tid]).items() if k != "params"},
             "params": repr(by_id[tid].params), "task": tid, "digest": d, "seconds": s}
            for tid, (d, s) in rows.items()
        ]
    )
    return table.sort_values("task").reset_index(drop=True)


class _progress:
    """A rich progress bar (or nothing) advanced once per finished task."""

    def __init__(self, enabled: bool, total: int) -> None:
        self.enabled, self.total = enabled, total

    def __enter__(self) -> Callable[[], None]:
        if not self.enabled:
            return lambda: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self._bar = Progress("runs", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=False)
        self._bar.__enter__()
        task = self._bar.add_task("runs", total=self.total)
        return lambda: self._bar.advance(task)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._bar.__exit__(*exc)


def aggregate(root: str | Path, tasks: Sequence[Task], table: str = "population") -> pd.DataFrame:
    """Quantile bands over replicates of a yearly table, per scenario (tasks sorted by id).

    For ``population`` the bands are of 1 January populations by oblast; for ``indicators`` of
    each indicator value. Columns: scenario, year, key, n, mean and one column per quantile.
    """
    frames = []
    for t in sorted(tasks, key=lambda t: t.id):
        run_dir = t.run_dir(root)
        if table == "population_by_oblast":
            read_manifest(run_dir)
            df = pd.read_csv(run_dir / "population_by_oblast.csv")
            df = df.rename(columns={"oblast": "key", "population": "value"})[["year", "key", "value"]]
            frames.append(df.assign(scenario=t.scenario, task=t.id))
            continue
        df = read_table(run_dir, table)
        if table == "population":
            df = df[df["month"] == 1] if "month" in df else df
            df = df.groupby(["year", "place"], as_index=False)["present"].sum()
            df = df.rename(columns={"place": "key", "present": "value"})
        elif table == "indicators":
            df = df.rename(columns={"indicator": "key"})[["year", "key", "value"]]
        else:
            raise KochuError(
                f"aggregate: table '{table}' has no band definition "
                "(population, population_by_oblast, indicators)"
            )
        frames.append(df.assign(scenario=t.scenario, task=t.id))
    allruns = pd.concat(frames, ignore_index=True)
    g = allruns.groupby(["scenario", "year", "key"], sort=True)["value"]
    out = g.agg(["count", "mean"]).rename(columns={"count": "n"})
    for q in QUANTILES:
        out[f"q{int(q * 100):02d}"] = g.quantile(q)
    return out.reset_index()


def write_ensemble_summary(root: str | Path, tasks: Sequence[Task], results: pd.DataFrame, manifest: dict[str, Any]) -> None:
    """Write bands and the task table into the ensemble folder; manifest last."""
    store = RunStore(root)
    store.write_table("tasks", results.drop(columns=["seconds"]))
    for table in ("population", "population_by_oblast", "indicators"):
        try:
            bands = aggregate(root, tasks, table)
        except (KochuError, FileNotFoundError):
            continue
        store.write_table(f"bands_{table}", bands)
    store.finalize({**manifest, "n_tasks": len(tasks), "kind": "ensemble",
                    "seconds": float(np.sum(results["seconds"]))})
