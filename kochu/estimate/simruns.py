"""Calibration's simulation runs on the ensemble machinery (:mod:`kochu.runs.ensemble`).

Every simulation run of ``kochu calibrate`` (the direct fit on the simulation, its pruning,
the final checks) is a :class:`~kochu.runs.ensemble.Task` run by :func:`cal_runner` through
:func:`~kochu.runs.ensemble.run_ensemble` — on a Dask LocalCluster of ``workers`` processes
or on the cluster at ``scheduler``. A task runs the simulation to the fit year and writes into
its run folder, through :class:`~kochu.runs.store.RunStore` (manifest last), only two small
tables: ``fit`` (the targets evaluated on that run, :func:`kochu.estimate.calibrate.sim_outputs`)
and ``facts`` (the seed's facts, :func:`kochu.estimate.facts.sim_facts`). The lead process
reads those, never whole runs.

**Replicates and common random numbers.** A parameter point is run with ``replicates`` seeds,
``derive_seed(base_seed, "calibration", r)`` for replicate ``r`` — the same seeds at every
point, so two points differ by their parameters, not by their draws. The point's score is
taken on the **replicate mean**: each target's fitted value is the mean over replicates (the
loss uses ``log(mean / observed)``; the spread is kept as ``fitted_lo``/``fitted_hi``, the
replicate minimum and maximum); each fact's value and hinge penalty are replicate means, and a
fact holds when it holds in more than half of the replicates (the replicate median, for an
odd number).

**Resume.** Run folders live under ``root`` (``OUT/sim-runs/``), named by a hash of what
determines the run: the parameter values (all of them, exact floats), scale, seed, fit year,
the targets, the atlas's data hash, the backtest's information-set year (``data_until``),
:data:`FORMAT` and a digest of kochu's own code and data files (:func:`code_digest`: runs made
by other code are not re-used either). An interrupted calibration re-uses the
complete folders (manifest written) and redoes the rest; a folder from other values has
another name, and the manifest's ``calibration_key`` is checked before reading.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kochu.errors import KochuError
from kochu.estimate.facts import Fact
from kochu.estimate.targets import Target
from kochu.runs.ensemble import Task, derive_seed, run_ensemble
from kochu.runs.store import RunStore, is_complete, read_manifest, read_table

#: version of the calibration run folders' contents (bump when cal_runner's tables change)
FORMAT = 1
MAX_REPLICATES = 100


def check_replicates(replicates: int) -> int:
    """One-line error unless ``replicates`` is a usable number of seeds per point."""
    if not 1 <= int(replicates) <= MAX_REPLICATES:
        raise KochuError(f"--sim-replicates {replicates}: expected a whole number from 1 to {MAX_REPLICATES}")
    return int(replicates)


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 over kochu's source and data files (not the atlas, covered by its data hash, nor the
    calibrated defaults calibration writes, nor docs): a run made by other code is not re-used."""
    import kochu

    pkg = Path(kochu.__file__).parent
    h = hashlib.sha256()
    for f in sorted(pkg.rglob("*")):
        rel = f.relative_to(pkg).as_posix()
        if (not f.is_file() or "__pycache__" in rel or rel.startswith("atlas/data/")
                or rel == "estimate/data/calibrated.json" or f.suffix in (".md", ".pyc")):
            continue
        h.update(rel.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def targets_digest(targets: Sequence[Target]) -> str:
    """sha256 of the targets' definitions (names, kinds, years, observations, scales)."""
    body = json.dumps([[t.name, t.kind, t.year, repr(float(t.observed)), repr(float(t.sigma)), t.unit, t.first,
                        t.measure] for t in targets])
    return hashlib.sha256(body.encode()).hexdigest()


def point_key(values: Mapping[str, float], settings: Mapping[str, Any]) -> str:
    """Hash of a parameter point under ``settings`` (every value, scale, fit year, targets, atlas)."""
    body = json.dumps({"format": FORMAT, "values": {k: repr(float(v)) for k, v in sorted(values.items())},
                       "scale": repr(float(settings["scale"])), "until": int(settings["until"]),
                       "targets": settings["targets_digest"], "atlas": settings["atlas_hash"],
                       "data_until": settings.get("data_until"), "code": settings.get("code")}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def task_key(values: Mapping[str, float], seed: int, settings: Mapping[str, Any]) -> str:
    """Hash identifying one run: the point's hash and the seed."""
    return hashlib.sha256(f"{point_key(values, settings)}:{int(seed)}".encode()).hexdigest()


def cal_runner(task: Task, run_dir: Path, settings: dict[str, Any]) -> None:
    """Run the simulation of one calibration task to the fit year; write ``fit`` and ``facts``.

    ``settings``: ``atlas`` (folder), ``scale``, ``until``, ``targets`` (list of Target), and
    the hashes of :func:`point_key`. The manifest records the identity and the values.
    """
    from kochu.estimate.calibrate import sim_outputs
    from kochu.estimate.facts import sim_facts
    from kochu.runs.ensemble import _atlas
    from kochu.sim.sim import Sim

    atlas = _atlas(settings["atlas"]) if isinstance(settings["atlas"], str) else settings["atlas"]
    scale, until = float(settings["scale"]), int(settings["until"])
    t0 = time.perf_counter()
    drivers, data_until = None, settings.get("data_until")
    if data_until is not None:  # a backtest: only what was known at the end of data_until
        from kochu.drivers import build_drivers
        from kochu.estimate.backtest import information_set

        atlas = information_set(atlas, int(data_until))
        drivers = build_drivers(atlas, start=1989, end=max(until, 2050), data_until=int(data_until))
    sim = Sim(atlas, seed=task.seed, scale=scale, params=dict(task.params), end=max(until, 2050),
              threads=settings.get("threads"), drivers=drivers)
    res = sim.run(until).finalize()
    fit = sim_outputs(atlas, res, list(settings["targets"]), scale).drop(columns=["source"])
    facts = pd.DataFrame([{"fact": f.name, "value": float(f.value), "rule": f.rule, "ok": bool(f.ok),
                           "penalty": float(f.penalty)} for f in sim_facts(atlas, res)])
    store = RunStore(run_dir)
    store.write_table("fit", fit)
    store.write_table("facts", facts)
    store.finalize({"kind": "calibration run", "calibration_key": task_key(task.params, task.seed, settings),
                    "format": FORMAT, "seed": task.seed, "scale": scale, "until": until,
                    "parameters": dict(task.params), "atlas_data_hash": settings["atlas_hash"],
                    "targets_digest": settings["targets_digest"], "code_digest": settings.get("code"),
                    "data_until": settings.get("data_until"), "seconds": time.perf_counter() - t0})


@dataclass
class PointResult:
    """A parameter point over its replicates: mean fit table (with spread) and mean facts."""

    values: dict[str, float]
    fit: pd.DataFrame  # target, kind, year, observed, fitted (mean), error, sigma, source, fitted_lo/hi, replicates
    facts: list[Fact]
    seeds: list[int]


def mean_fit(targets: Sequence[Target], fits: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Replicate mean of fit tables: ``fitted`` = mean, ``fitted_lo``/``fitted_hi`` = min/max."""
    stack = np.vstack([f["fitted"].to_numpy(float) for f in fits])
    obs = np.array([t.observed for t in targets], float)
    mean = stack.mean(axis=0)
    return pd.DataFrame({"target": [t.name for t in targets], "kind": [t.kind for t in targets],
                         "year": [t.year for t in targets], "observed": obs, "fitted": mean,
                         "error": mean / obs - 1.0, "sigma": [t.sigma for t in targets],
                         "source": [t.source for t in targets], "fitted_lo": stack.min(axis=0),
                         "fitted_hi": stack.max(axis=0), "replicates": len(fits)})


def mean_facts(tables: Sequence[pd.DataFrame]) -> list[Fact]:
    """Replicate mean of the facts: mean value and penalty; holds in more than half the replicates."""
    first = tables[0]
    n = len(tables)
    out = []
    for i, row in first.iterrows():
        vals = [float(t.loc[i, "value"]) for t in tables]
        oks = sum(bool(t.loc[i, "ok"]) for t in tables)
        pen = [float(t.loc[i, "penalty"]) for t in tables]
        out.append(Fact(str(row["fact"]), float(np.mean(vals)), str(row["rule"]), 2 * oks > n, float(np.mean(pen))))
    return out


@dataclass
class SimRuns:
    """Where and how calibration runs the simulation: the ensemble folder, the cluster, the seeds.

    ``evaluate(points)`` runs every point × replicate as one ensemble (in parallel on the
    workers) and returns each point's :class:`PointResult`. The Dask client is started on the
    first run that is not already complete and kept until :meth:`close`. ``in_process``: one
    worker thread in this process running on the atlas object itself (what this process sees —
    an in-memory atlas, patched data files — is what the run sees; for checks and tests).
    """

    root: Path
    atlas: Any
    targets: list[Target]
    scale: float = 0.02
    until: int | None = None
    replicates: int = 3
    base_seed: int = 1
    workers: int = 2
    scheduler: str | None = None
    on_task: Callable[[str, float], None] | None = None
    data_until: int | None = None  # backtests: runs see only the information set of this year
    in_process: bool = False  # one worker thread in this process, given the atlas object itself
    runs: int = 0  # tasks evaluated (including complete ones re-used)
    reused: int = 0  # of which complete on disk
    seconds: float = 0.0  # wall time in evaluate
    _client: Any = field(default=None, repr=False)
    _cluster: Any = field(default=None, repr=False)
    _finalizer: Any = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.replicates = check_replicates(self.replicates)
        if self.scheduler is None and self.workers < 1:
            raise KochuError(f"--workers {self.workers}: expected a whole number ≥ 1")
        if not 0 < self.scale <= 1:
            raise KochuError(f"--sim-scale {self.scale}: expected a number in (0, 1]")

    @property
    def seeds(self) -> list[int]:
        """The replicates' seeds (the same at every point: common random numbers)."""
        return [derive_seed(self.base_seed, "calibration", r) for r in range(self.replicates)]

    def settings(self, targets: Sequence[Target] | None = None, scale: float | None = None,
                 until: int | None = None) -> dict[str, Any]:
        """What a worker needs (and what the run folders' names hash)."""
        targets = list(self.targets if targets is None else targets)
        until = until or self.until or max(t.year for t in targets) + 1
        where = self.atlas if self.in_process else str(Path(self.atlas.path).resolve())
        return {"atlas": where, "threads": None if self.in_process else 1, "atlas_hash": self.atlas.data_hash,
                "scale": float(self.scale if scale is None else scale), "until": int(until),
                "targets": targets, "targets_digest": targets_digest(targets), "data_until": self.data_until,
                "code": code_digest()}

    def tasks(self, values: Mapping[str, float], settings: Mapping[str, Any]) -> list[Task]:
        """The replicates of one point (folders named by the point's hash and the seed)."""
        vals = {k: float(v) for k, v in sorted(values.items())}
        key = point_key(vals, settings)
        return [Task(scenario=f"p{key[:16]}", scenario_file=None, replicate=r, draw=0, seed=seed, params=vals,
                     folder=f"{key[:24]}-s{seed}") for r, seed in enumerate(self.seeds)]

    def evaluate(self, points: Sequence[Mapping[str, float]], targets: Sequence[Target] | None = None,
                 scale: float | None = None, until: int | None = None) -> list[PointResult]:
        """Run (or re-use) every point's replicates in one ensemble; results in ``points`` order."""
        t0 = time.perf_counter()
        settings = self.settings(targets, scale, until)
        per_point = [self.tasks(p, settings) for p in points]
        unique = list({t.id: t for ts in per_point for t in ts}.values())
        todo = [t for t in unique if not is_complete(t.run_dir(self.root))]
        if todo and self._client is None:
            from kochu.runs.ensemble import connect

            self._client, self._cluster = connect(1 if self.in_process else self.workers,
                                                  None if self.in_process else self.scheduler,
                                                  processes=not self.in_process)
            self._finalizer = weakref.finalize(self, _close, self._client, self._cluster)
        if unique:
            run_ensemble(unique, self.root, settings, runner=cal_runner, progress=False, client=self._client,
                         on_task=self.on_task)
        self.runs += len(unique)
        self.reused += len(unique) - len(todo)
        out = []
        for p, ts in zip(points, per_point, strict=True):
            fits, facts = [], []
            for t in ts:
                run_dir = t.run_dir(self.root)
                man = read_manifest(run_dir)
                if man.get("calibration_key") != task_key(t.params, t.seed, settings):
                    raise KochuError(f"{run_dir}: manifest.json: calibration_key does not match the run's "
                                     "values (a stale or foreign folder; delete it)")
                fits.append(read_table(run_dir, "fit"))
                facts.append(read_table(run_dir, "facts"))
            out.append(PointResult(dict(p), mean_fit(settings["targets"], fits), mean_facts(facts),
                                   [t.seed for t in ts]))
        self.seconds += time.perf_counter() - t0
        return out

    def close(self) -> None:
        """Shut the Dask client (and the local cluster) down."""
        if self._finalizer is not None:
            self._finalizer()
        self._client = self._cluster = self._finalizer = None

    def __enter__(self) -> SimRuns:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _close(client: Any, cluster: Any) -> None:
    try:
        client.close()
    finally:
        if cluster is not None:
            cluster.close()


def spread_table(fit: pd.DataFrame) -> pd.DataFrame:
    """Per target: observed, replicate mean, min and max of the simulation (report section)."""
    return pd.DataFrame({"target": fit["target"], "observed": fit["observed"], "simulation (mean)": fit["fitted"],
                         "min": fit["fitted_lo"], "max": fit["fitted_hi"], "error of the mean": fit["error"],
                         "sigma": fit["sigma"]})
