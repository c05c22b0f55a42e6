"""Calibration directly on the agent-based simulation, keeping the seed's facts.

The projection (:mod:`kochu.estimate.calibrate`) is a fast stand-in, but its optimum can break
facts the simulation must show (e.g. Chuy losing people). Here the loss is evaluated on the
simulation itself at a small scale, each point with R replicate seeds that are the same at
every point (common random numbers, so nearby parameter values see the same draws), scored on
the replicate mean. Every run goes through the ensemble machinery
(:class:`kochu.estimate.simruns.SimRuns`: Dask workers, resumable run folders):

    loss = Σ targets ((log fitted/observed) / σ)²  +  Σ facts (w · hinge violation)²

* targets: :func:`kochu.estimate.targets.all_targets` (oblast shares and totals 1999–2015,
  registered moves, emigration 1989–94, Bishkek 2013, novostroiki 2013, intentions);
* facts: :func:`kochu.estimate.facts.sim_facts` (Bishkek/Chuy gain, Naryn/Talas/Batken lose,
  1990–94 peak, ≥ 1/3 unregistered, more in Bishkek/Osh, mining towns shrink) as hinge
  residuals weighted by ``FACT_WEIGHT`` — zero when a fact holds, so they act as constraints;
* replicates: ``fitted`` is the mean over the R replicates, each fact's hinge penalty the mean
  of the replicates' penalties, and a fact counts as kept when it holds in more than half of
  them (:mod:`kochu.estimate.simruns`);
* optimiser: :func:`scipy.optimize.least_squares` (trust-region reflective, bounds) on the
  free parameters mapped to the unit box, forward differences with a wide step (the simulation
  is a sample: a step of 8 % of each range averages over individual draws; stepping backwards
  near an upper bound, as scipy's own differences do). The Jacobian's n perturbed points are
  submitted as one ensemble (n × R runs in parallel on the workers) and the centre is re-used.
  A budget of simulation runs (points × R) stops the search — before a batch that does not fit
  in it; the best evaluated point is returned.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from kochu.estimate.calibrate import Free
from kochu.estimate.facts import Fact, fact_penalties
from kochu.estimate.simruns import PointResult, SimRuns

#: parameters searched on the simulation (bounds; log scale for rates)
SIM_FREE: dict[str, Free] = {
    "move_rate_individual": Free(0.002, 0.03, True),
    "move_rate_family": Free(0.0002, 0.01, True),
    "great_migration_amplitude": Free(2.0, 40.0, True),
    "beta_capital": Free(-1.0, 5.0),
    "beta_same_oblast": Free(0.0, 4.0),
    "capital_housing_slack": Free(0.0, 0.3),
    "ethnic_weight_north": Free(1.0, 12.0, True),
    "registration_formal": Free(0.7, 1.0),
    # bounded below: the seed's push (no jobs, no land -> leave) must operate for scenarios on the
    # origin side to act; the targets (shares, totals) cannot separate push from pull (a first
    # fit without the bound went to 0.018 with jobs then barely keeping anybody)
    "push_strength": Free(0.2, 2.0),
    "funded_relocation_rate": Free(0.002, 0.05, True),
}
#: parameters the simulation fit takes from the projection's calibration as they are: demography,
#: which the projection reproduces exactly (same national normalisation and birth factors,
#: kochu.projection.from_sim) and where it carries the prior the simulation fit has not
FROM_PROJECTION: tuple[str, ...] = ("birth_factor_south",)
#: weight of a fact's hinge residual (1 unit = 20 k people of net migration, 0.02 of a share, ...)
FACT_WEIGHT = 30.0


class Budget(Exception):
    """The budget of simulation runs is spent."""


@dataclass
class SimEval:
    """One simulation evaluation: values, fit table, facts, loss."""

    values: dict[str, float]
    fit: pd.DataFrame
    facts: list[Fact]
    target_loss: float
    fact_loss: float
    seeds: list[int] = field(default_factory=list)

    @property
    def loss(self) -> float:
        return self.target_loss + self.fact_loss

    @property
    def facts_ok(self) -> int:
        return sum(f.ok for f in self.facts)


@dataclass
class SimCalibration:
    """Result of :func:`calibrate_sim`."""

    start: SimEval
    best: SimEval
    evaluations: int  # simulation runs (points × replicates)
    seconds: float
    history: list[float] = field(default_factory=list)  # loss of each point, in evaluation order
    points: int = 0


def _to_u(values: Mapping[str, float], free: Mapping[str, Free]) -> np.ndarray:
    u = []
    for k, f in free.items():
        v = float(np.clip(values[k], f.lo, f.hi))
        u.append((np.log(v) - np.log(f.lo)) / (np.log(f.hi) - np.log(f.lo)) if f.log else (v - f.lo) / (f.hi - f.lo))
    return np.array(u)


def _from_u(u: np.ndarray, free: Mapping[str, Free]) -> dict[str, float]:
    out = {}
    for (k, f), x in zip(free.items(), np.clip(u, 0.0, 1.0), strict=True):
        out[k] = float(np.exp(np.log(f.lo) + x * (np.log(f.hi) - np.log(f.lo))) if f.log else f.lo + x * (f.hi - f.lo))
    return out


def evaluate(runs: SimRuns, values: Mapping[str, float]) -> SimEval:
    """Run the simulation with ``values`` (full parameter values) on every replicate; score the mean."""
    return evaluate_many(runs, [values])[0]


def evaluate_many(runs: SimRuns, points: list[Mapping[str, float]]) -> list[SimEval]:
    """Score several points, all their runs submitted as one ensemble (parallel on the workers)."""
    return [_score(p) for p in runs.evaluate(points)]


def _score(p: PointResult) -> SimEval:
    r = _target_residuals(p.fit)
    pen = FACT_WEIGHT * fact_penalties(p.facts)
    return SimEval(dict(p.values), p.fit, p.facts, float(r @ r), float(pen @ pen), list(p.seeds))


def _target_residuals(fit: pd.DataFrame) -> np.ndarray:
    r = np.log((fit["fitted"] / fit["observed"]).clip(lower=1e-6).to_numpy(float)) / fit["sigma"].to_numpy(float)
    return np.where(np.isfinite(r), r, 0.0)


def calibrate_sim(runs: SimRuns, start: Mapping[str, float], free: Mapping[str, Free] | None = None,
                  max_runs: int = 120, diff_step: float = 0.08,
                  progress: Callable[[int, float, float], None] | None = None) -> SimCalibration:
    """Least squares on the simulation from ``start`` (full parameter values) within ``max_runs``
    simulation runs (each point costs ``runs.replicates``; the start is always evaluated)."""
    free = dict(free or SIM_FREE)
    base = dict(start)
    cost = runs.replicates
    t0 = time.perf_counter()
    seen: list[SimEval] = []
    memo: dict[bytes, SimEval] = {}
    history: list[float] = []
    used = [0]

    def key(u: np.ndarray) -> bytes:
        return np.clip(np.asarray(u, float), 0.0, 1.0).tobytes()

    def batch(us: list[np.ndarray], force: bool = False) -> list[SimEval]:
        new: dict[bytes, np.ndarray] = {}
        for u in us:
            if key(u) not in memo:
                new.setdefault(key(u), u)
        if new and not force and used[0] + cost * len(new) > max_runs:
            raise Budget
        evs = evaluate_many(runs, [{**base, **_from_u(u, free)} for u in new.values()]) if new else []
        for k, ev in zip(new, evs, strict=True):
            memo[k] = ev
            seen.append(ev)
            history.append(ev.loss)
            used[0] += cost
            if progress:
                progress(used[0], ev.loss, min(history))
        return [memo[key(u)] for u in us]

    def fun(u: np.ndarray) -> np.ndarray:
        return _residuals(batch([u])[0])

    def jac(u: np.ndarray, *_: object) -> np.ndarray:
        u = np.asarray(u, float)
        f0 = fun(u)
        steps, points = [], []
        for j in range(len(u)):
            uj = u.copy()
            uj[j] = u[j] + diff_step if u[j] + diff_step <= 1.0 else u[j] - diff_step
            steps.append(uj[j] - u[j])
            points.append(uj)
        evs = batch(points)
        return np.column_stack([(_residuals(ev) - f0) / h for ev, h in zip(evs, steps, strict=True)])

    # strictly inside the box, as least_squares would move it (else its first call is a new point)
    u0 = np.clip(_to_u(base, free), 1e-10, 1.0 - 1e-10)
    batch([u0], force=True)
    try:
        least_squares(fun, u0, jac=jac, bounds=(np.zeros(len(u0)), np.ones(len(u0))), method="trf",
                      max_nfev=max(1, max_runs), xtol=1e-4, ftol=1e-4)
    except Budget:
        pass
    best = min(seen, key=lambda e: e.loss)
    return SimCalibration(start=seen[0], best=best, evaluations=used[0], seconds=time.perf_counter() - t0,
                          history=history, points=len(seen))


def _residuals(ev: SimEval) -> np.ndarray:
    return np.concatenate([_target_residuals(ev.fit), FACT_WEIGHT * fact_penalties(ev.facts)])


def choose(candidates: Mapping[str, SimEval]) -> str:
    """The candidate that keeps the most facts, then has the lowest loss (targets + fact penalties:
    among sets keeping as many facts, one that breaks a fact by far is not preferred to one that
    misses it narrowly)."""
    return min(candidates, key=lambda k: (-candidates[k].facts_ok, candidates[k].loss))


def summary_table(candidates: Mapping[str, SimEval]) -> pd.DataFrame:
    """One row per candidate set: target loss, fact loss, facts kept."""
    return pd.DataFrame([{"parameter set": k, "target loss": e.target_loss, "fact penalty": e.fact_loss,
                          "facts kept": f"{e.facts_ok}/{len(e.facts)}",
                          "targets within sigma": int((e.fit["error"].abs() <= e.fit["sigma"]).sum())}
                         for k, e in candidates.items()])


def facts_comparison(candidates: Mapping[str, SimEval]) -> pd.DataFrame:
    """Each fact's value (and whether it holds) under each candidate set."""
    first = next(iter(candidates.values()))
    rows = []
    for i, f in enumerate(first.facts):
        row = {"fact": f.name, "rule": f.rule}
        for k, e in candidates.items():
            g = e.facts[i]
            row[k] = f"{g.value:,.3g} {'✓' if g.ok else '✗'}"
        rows.append(row)
    return pd.DataFrame(rows)


def wins_table(a_name: str, a: SimEval, b_name: str, b: SimEval) -> pd.DataFrame:
    """Per target: both simulated errors and which set is closer (standardised log error)."""
    za = np.abs(_target_residuals(a.fit))
    zb = np.abs(_target_residuals(b.fit))
    return pd.DataFrame({"target": a.fit["target"], "observed": a.fit["observed"],
                         f"{a_name}": a.fit["fitted"], f"{a_name} error": a.fit["error"],
                         f"{b_name}": b.fit["fitted"], f"{b_name} error": b.fit["error"],
                         "closer": np.where(za < zb, a_name, np.where(zb < za, b_name, "tie"))})


def prune(runs: SimRuns, best: SimEval, reference: Mapping[str, float],
          keys: list[str]) -> tuple[SimEval, list[str]]:
    """Set each fitted value back to ``reference`` in turn; keep the change if no fact is lost and the
    target loss does not grow (a fitted move within the simulation's noise is not kept)."""
    reverted: list[str] = []
    for k in keys:
        if best.values[k] == reference[k]:
            continue
        ev = evaluate(runs, {**best.values, k: reference[k]})
        if ev.facts_ok >= best.facts_ok and ev.loss <= best.loss:
            best, reverted = ev, [*reverted, k]
    return best, reverted
