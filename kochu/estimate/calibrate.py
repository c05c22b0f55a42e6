"""Calibration of the simulation's behaviour parameters, the projection as the fast inner loop.

* **What is calibrated** (:data:`FREE`): the simulation's migration parameters the projection
  shares with it (:mod:`kochu.projection.from_sim`), plus one projection-side allocation weight
  (``north_weight``: how much of the 1989-99 net emigration left from northern places).
  Registration probabilities stay at the simulation's defaults (they encode the seed's
  "≥ 32 % unregistered"; :mod:`kochu.estimate.registration` estimates completeness separately).
* **Southern birth factor** (``birth_factor_south``, :mod:`kochu.sim.demography`): no oblast
  birth rate is registered before 2011, so the census stocks estimate it (indirect estimation),
  held toward 1 by a log-normal prior (:data:`PRIORS`, an extra residual); the projection gets
  the same sim parameters as the simulation (``DemographicRates(..., params=...)``).
* **Loss**: standardised log errors of every target (:mod:`kochu.estimate.targets`) + priors.
* **Optimiser**: :func:`scipy.optimize.least_squares` (trust-region reflective, bounds) on the
  parameters mapped to an unbounded-friendly scale (log for rates), finite-difference Jacobian.
* **Final check**: the full agent-based simulation at a small scale with the fitted parameters
  (:func:`sim_check`), reported beside the projection.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from kochu.errors import KochuError
from kochu.estimate.targets import Outputs, Target, all_targets, fit_table, residuals
from kochu.projection.dejure import permanent_population
from kochu.projection.from_sim import SimContext, SimMigration
from kochu.projection.inputs import DemographicRates, DemographyOptions, initial_population
from kochu.projection.model import CohortProjection, ProjectionResult, concat_results

DATA = Path(__file__).parent / "data"
CALIBRATED = DATA / "calibrated.json"
START = 1989
EARLIEST_TRAIN = 1999  # the first census after the start: nothing to fit before it


@dataclass(frozen=True)
class Free:
    """A calibrated parameter: bounds and whether it is searched on a log scale."""

    lo: float
    hi: float
    log: bool = False


#: calibrated parameters (simulation names; ``north_weight`` is the projection's)
FREE: dict[str, Free] = {
    "move_rate_individual": Free(0.002, 0.08, True),
    "move_rate_family": Free(0.0002, 0.02, True),
    "great_migration_amplitude": Free(0.0, 20.0),
    "push_strength": Free(0.0, 2.0),
    "beta_size": Free(0.2, 1.6),
    "beta_capital": Free(-2.0, 5.0),
    "beta_same_oblast": Free(0.0, 4.0),
    "travel_cost_poor": Free(0.02, 1.5, True),
    "rural_crisis_push": Free(0.0, 4.0),
    "capital_housing_slack": Free(0.0, 0.5),
    "north_weight": Free(1.0, 12.0, True),
    "birth_factor_south": Free(0.5, 2.0, True),
}
PROJECTION_ONLY = ("north_weight",)
#: log-normal priors (s.d. of the log) of free parameters centred on 1: an extra residual
#: ``log(value) / sd`` each. ``birth_factor_south`` (no registered oblast birth rate before
#: 2011, kochu.sim.demography): sd 0.1 = the spread of the sourced unit birth factors around
#: the national rate (Osh oblast 0.94 in 2011, 1.10 in 2015; atlas vital_rates.csv), so the
#: census stocks move it only as far as they must.
PRIORS: dict[str, float] = {"birth_factor_south": 0.1}


def prior_residuals(values: Mapping[str, float]) -> np.ndarray:
    """The :data:`PRIORS` penalty residuals (standardised, one per prior)."""
    return np.array([np.log(values[k]) / sd for k, sd in PRIORS.items() if k in values])


def _to_x(values: Mapping[str, float]) -> np.ndarray:
    return np.array([np.log(values[k]) if f.log else values[k] for k, f in FREE.items()])


def _from_x(x: np.ndarray) -> dict[str, float]:
    return {k: float(np.exp(v) if f.log else v) for (k, f), v in zip(FREE.items(), x, strict=True)}


def _bounds() -> tuple[np.ndarray, np.ndarray]:
    lo = np.array([np.log(f.lo) if f.log else f.lo for f in FREE.values()])
    hi = np.array([np.log(f.hi) if f.log else f.hi for f in FREE.values()])
    return lo, hi


def split(values: Mapping[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    """(simulation parameters, projection-only settings)."""
    sim = {k: v for k, v in values.items() if k not in PROJECTION_ONLY}
    proj = {k: v for k, v in values.items() if k in PROJECTION_ONLY}
    return sim, proj


def full_sim(values: Mapping[str, float]) -> dict[str, float]:
    """Every simulation parameter: the hand-set values under ``values``'s simulation parameters.

    The calibration never starts from an earlier calibration's file (its result must not depend
    on what it wrote last time)."""
    from kochu.sim.params import HAND_SET

    return {**HAND_SET, **split(values)[0]}


class Projector:
    """Reusable projection set-up for one atlas (world, drivers, initial population).

    ``data_until=Y`` (backtests) is the information-set cut, end to end: the atlas is seen as
    known at the end of ``Y`` (:func:`kochu.estimate.backtest.information_set`), the drivers
    are built with ``data_until=Y`` and the national series, vital rates and international
    migration end in ``Y`` (``last_data_year`` ≤ ``Y``). After ``Y`` every input follows the rule
    the real forecast applies after 2015: drivers carry their last known value, vital rates
    are held (fertility at the mean of the last three years), international migration at the
    mean rate of the last five years. ``None`` = all data.
    """

    def __init__(self, atlas, last_data_year: int = 2015, end: int = 2050, data_until: int | None = None) -> None:
        drivers = None
        if data_until is not None:
            from kochu.drivers import build_drivers
            from kochu.estimate.backtest import information_set

            atlas = information_set(atlas, data_until)
            last_data_year = min(last_data_year, int(data_until))
            drivers = build_drivers(atlas, start=START, end=max(end, 2050), data_until=data_until)
        self.atlas = atlas
        self.data_until = data_until
        self.ctx = SimContext(atlas, START, max(end, 2050), drivers=drivers)
        self.ids = self.ctx.places
        self.initial = initial_population(atlas, self.ids, START)
        self.last_data_year = last_data_year

    def run(self, values: Mapping[str, float], until: int, jump_off: tuple[int, str] | None = None) -> ProjectionResult:
        """Project with calibrated ``values`` (sim parameters + projection settings).

        ``jump_off=(year, measure)``: on 1 January ``year`` the projected places are rescaled so
        that each first-level unit equals the atlas's ``measure`` population of that year (the
        forecast starts from the last observed stocks; rates and migration rules continue).
        """
        sim, proj = full_sim(values), split(values)[1]
        opt = DemographyOptions(last_data_year=self.last_data_year, **proj)
        rates = DemographicRates(self.atlas, self.ids, opt, params=sim)
        mig = SimMigration(self.ctx, sim)
        if jump_off is None or jump_off[0] >= until:
            return CohortProjection(self.ids, self.initial, START, rates, mig).run(until)
        year, measure = jump_off
        first = CohortProjection(self.ids, self.initial, START, rates, mig).run(year)
        model = self.permanent(first, values)[-1] if measure == "permanent" else first.final.sum(axis=(0, 1))
        state = first.final * self._rebase(model, year, measure)[None, None, :]
        second = CohortProjection(self.ids, state, year, rates, mig).run(until)
        return concat_results(first, second)

    def permanent(self, res: ProjectionResult, values: Mapping[str, float]) -> np.ndarray:
        """Permanent (de jure) population by place and year under ``values`` (see dejure)."""
        mig = SimMigration(self.ctx, full_sim(values))
        return permanent_population(res, mig.abroad_weights, mig.abroad_index,
                                    mig.p["late_registration_rate"], hold_after=self.last_data_year)

    def outputs(self, values: Mapping[str, float], until: int, jump_off: tuple[int, str] | None = None) -> Outputs:
        """Run and wrap the result for the targets (present and permanent counts)."""
        res = self.run(values, until, jump_off)
        return Outputs(self.atlas, res, self.permanent(res, values))

    def _rebase(self, pop: np.ndarray, year: int, measure: str) -> np.ndarray:
        """Per-place factors making each first-level unit equal its observed population."""
        observed = self.atlas.population(year, measure, "oblast")
        unit = self.atlas.places.loc[self.ids, "oblast_id"].astype(str).to_numpy()
        factor = np.ones(len(self.ids))
        for u, value in observed.items():
            sel = unit == u
            total = pop[sel].sum()
            if total > 0:
                factor[sel] = float(value) / total
        return factor


def backtest_forecast(atlas, values: Mapping[str, float], train_until: int, until: int = 2015) -> Outputs:
    """The backtest's forecast: trained on data ≤ ``train_until``, projected to ``until``.

    Only the information set of ``train_until`` is read (:class:`Projector` with
    ``data_until``); the forecast jumps off from the latest stock known then
    (:func:`latest_stock`).
    """
    proj = Projector(atlas, last_data_year=train_until, data_until=train_until)
    return proj.outputs(values, until, jump_off=latest_stock(proj.atlas, train_until))


def backtest_sim_check(atlas, values: Mapping[str, float], targets: list[Target], train_until: int,
                       scale: float = 0.02, seed: int = 1, *, runs=None, replicates: int = 1) -> pd.DataFrame:
    """:func:`sim_check` on the information set of ``train_until`` (atlas and drivers cut).

    Through the ensemble machinery like :func:`sim_check`: each run's worker builds
    ``information_set(atlas, train_until)`` and ``build_drivers(..., data_until=train_until)``
    (:func:`kochu.estimate.simruns.cal_runner`); ``runs`` must have ``data_until=train_until``.
    """
    if runs is not None and runs.data_until != train_until:
        raise KochuError(f"backtest_sim_check: the runs' data_until ({runs.data_until}) is not the training "
                         f"horizon {train_until}")
    return sim_check(atlas, values, targets, scale, seed, runs=runs, replicates=replicates, data_until=train_until)


#: stocks a forecast can jump off from, latest first: (year, measure)
STOCKS = ((2015, "permanent"), (2012, "permanent"), (2009, "de_facto"), (1999, "de_facto"))


def latest_stock(atlas, year: int) -> tuple[int, str] | None:
    """The latest complete first-level stock in the atlas at or before ``year``."""
    from kochu.errors import AtlasError

    for y, m in STOCKS:
        if y <= year:
            try:
                atlas.population(y, m, "oblast")
            except AtlasError:
                continue
            return y, m
    return None


def defaults() -> dict[str, float]:
    """Starting values: the simulation's hand-set values and the projection's default weight."""
    from kochu.sim.params import HAND_SET

    p = HAND_SET
    out = {k: p[k] for k in FREE if k not in PROJECTION_ONLY}
    out["north_weight"] = DemographyOptions().north_weight
    return {k: float(np.clip(v, FREE[k].lo, FREE[k].hi)) for k, v in out.items()}


@dataclass
class Calibration:
    """Result of :func:`calibrate`."""

    values: dict[str, float]
    start_values: dict[str, float]
    targets: list[Target]
    fit: pd.DataFrame  # target, observed, fitted, error, ...
    start_fit: pd.DataFrame
    loss: float
    start_loss: float
    evaluations: int
    seconds: float
    train_until: int | None
    result: ProjectionResult
    outputs: Outputs


def calibrate(atlas, train_until: int | None = None, max_evals: int = 300,
              progress: Callable[[int, float], None] | None = None, offset: np.ndarray | None = None,
              start: Mapping[str, float] | None = None) -> Calibration:
    """Fit :data:`FREE` to the targets up to ``train_until`` with the projection.

    ``offset`` (one value per target, standardised units) is added to the projection's residuals:
    output space mapping — with ``offset = r_sim - r_projection`` at the previous solution, the
    projection is corrected towards the simulation it stands for (:func:`sim_residuals`).
    ``start`` overrides the starting values (default: the simulation's defaults).
    """
    if train_until is not None and train_until < EARLIEST_TRAIN:
        raise KochuError(f"--train-until {train_until}: expected a year ≥ {EARLIEST_TRAIN} "
                         f"(the first census after {START}) and ≤ 2015")
    if train_until is not None and train_until > 2015:
        raise KochuError(f"--train-until {train_until}: expected a year ≤ 2015 (the last year with data)")
    last = 2015 if train_until is None else train_until
    proj = Projector(atlas, last_data_year=last, data_until=train_until)
    targets = all_targets(proj.atlas, train_until)
    until = max(t.year for t in targets) + 1
    n_eval = [0]
    t0 = time.perf_counter()

    def fun(x: np.ndarray) -> np.ndarray:
        n_eval[0] += 1
        v = _from_x(x)
        r = np.concatenate([residuals(targets, proj.outputs(v, until)) + shift, prior_residuals(v)])
        if progress:
            progress(n_eval[0], float(r @ r))
        return r

    shift = np.zeros(len(targets)) if offset is None else np.asarray(offset, float)
    if shift.shape != (len(targets),):
        raise KochuError(f"calibration offset: expected {len(targets)} values (one per target), got {shift.shape}")
    lo, hi = _bounds()
    x0 = np.clip(_to_x({**defaults(), **dict(start or {})}), lo, hi)
    start_out = proj.outputs(_from_x(x0), until)
    start_fit = fit_table(targets, start_out)
    sol = least_squares(fun, x0, bounds=(lo, hi), method="trf", x_scale=np.maximum(hi - lo, 1e-3) / 4,
                        diff_step=1e-3, max_nfev=max_evals, xtol=1e-6, ftol=1e-6)
    values = _from_x(sol.x)
    out = proj.outputs(values, until)
    res = out.res
    r = np.concatenate([residuals(targets, out) + shift, prior_residuals(values)])
    r0 = np.concatenate([residuals(targets, start_out) + shift, prior_residuals(_from_x(x0))])
    return Calibration(values=values, start_values=_from_x(x0), targets=targets, fit=fit_table(targets, out),
                       start_fit=start_fit, loss=float(r @ r), start_loss=float(r0 @ r0), evaluations=n_eval[0],
                       seconds=time.perf_counter() - t0, train_until=train_until, result=res, outputs=out)


def write_defaults(cal: Calibration, atlas, path: Path = CALIBRATED,
                   projection_values: Mapping[str, float] | None = None,
                   parameters: Mapping[str, float] | None = None, note: str = "",
                   method: str = "scipy.optimize.least_squares (trf) on standardised log errors; projection inner loop",
                   extra: Mapping[str, object] | None = None) -> Path:
    """Write the calibrated simulation parameters (the defaults ``kochu run`` uses).

    ``projection_values``: the projection's own calibration (its forecasts use them), if it differs.
    ``parameters``: the simulation defaults to write, if not ``cal.values`` (e.g. the
    simulation-direct fit of :mod:`kochu.estimate.simfit`); ``note`` says how they were chosen.
    """
    sim, proj = split(cal.values)
    if parameters is not None:
        sim = {k: v for k, v in parameters.items() if k not in PROJECTION_ONLY}
    doc = {
        "description": "Simulation parameters calibrated by `kochu calibrate` (kochu.estimate.calibrate); "
                       "keys are kochu.sim.params names. `projection` holds projection-only settings.",
        "parameters": {k: round(v, 6) for k, v in sim.items()},
        "projection": {k: round(v, 6) for k, v in proj.items()},
        "projection_calibration": {k: round(v, 6) for k, v in (projection_values or cal.values).items()},
        "train_until": cal.train_until,
        "loss": round(cal.loss, 4),
        "start_loss": round(cal.start_loss, 4),
        "targets": len(cal.targets),
        "atlas_data_hash": atlas.data_hash,
        "method": method,
        **({"note": note} if note else {}),
        **dict(extra or {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n")
    tmp.replace(path)
    return path


def load_calibrated(path: Path = CALIBRATED) -> dict[str, float]:
    """The calibrated simulation parameters (empty if none were written)."""
    if not path.exists():
        return {}
    try:
        return {k: float(v) for k, v in json.loads(path.read_text())["parameters"].items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise KochuError(f"{path}: expected a JSON object with a 'parameters' table ({exc})") from None


def sim_check(atlas, values: Mapping[str, float], targets: list[Target], scale: float = 0.02,
              seed: int = 1, until: int | None = None, *, runs=None, replicates: int = 1,
              data_until: int | None = None) -> pd.DataFrame:
    """Run the agent-based simulation with ``values`` and evaluate the same targets.

    The runs go through the ensemble machinery: ``runs`` (a :class:`kochu.estimate.simruns.SimRuns`:
    its folder, cluster and replicate seeds), or else ``replicates`` seeds derived from ``seed``
    on one worker thread of this process (on ``atlas`` itself) in a temporary folder (``data_until``: on the information set of that
    year, see :func:`backtest_sim_check`). Returns the replicate mean fit table with the spread
    (``fitted_lo``/``fitted_hi``: replicate min/max).
    """
    from kochu.estimate.simruns import SimRuns

    if runs is not None:
        return runs.evaluate([full_sim(values)], targets=targets, scale=scale, until=until)[0].fit
    import tempfile

    with tempfile.TemporaryDirectory(prefix="kochu-simcheck-") as tmp, SimRuns(
            Path(tmp), atlas, list(targets), scale=scale, until=until, replicates=replicates, base_seed=seed,
            workers=1, data_until=data_until, in_process=True) as own:
        return own.evaluate([full_sim(values)])[0].fit


def sim_residuals(fit_sim: pd.DataFrame, fit_proj: pd.DataFrame) -> np.ndarray:
    """Offset ``r_sim - r_projection`` (standardised log errors) for output space mapping."""
    def std(fit: pd.DataFrame) -> np.ndarray:
        ratio = (fit["fitted"] / fit["observed"]).clip(lower=1e-6)
        return np.log(ratio.to_numpy(float)) / fit["sigma"].to_numpy(float)

    d = std(fit_sim) - std(fit_proj)
    return np.where(np.isfinite(d), d, 0.0)


def sim_outputs(atlas, res, targets: list[Target], scale: float) -> pd.DataFrame:
    """Targets evaluated on a simulation's results (present population, flows, events)."""
    from kochu.projection.model import ProjectionResult

    pop = res.population()
    jan = pop[pop["month"] == 1].pivot(index="year", columns="place", values="present")
    ids = list(atlas.settlements.index)
    jan = jan.reindex(columns=ids)
    years = jan.index.to_numpy()
    n = len(ids)
    flows = np.zeros((len(years) - 1, n, n))
    reg = np.zeros_like(flows)
    for k, y in enumerate(years[:-1]):
        if y in res.true_flows:
            flows[k] = res.true_flows[y][:n, :n] / scale
            reg[k] = res.reg_flows[y][:n, :n] / scale
            np.fill_diagonal(flows[k], 0.0)
            np.fill_diagonal(reg[k], 0.0)
    ev = res.events_table().groupby("year")[["emigration", "immigration"]].sum()
    intl = np.zeros((len(years) - 1, n))
    for k, y in enumerate(years[:-1]):
        if y in ev.index:
            intl[k, 0] = ev.loc[y, "immigration"] - ev.loc[y, "emigration"]
    zeros = np.zeros((len(years) - 1, n))
    perm = pop[pop["month"] == 1].pivot(index="year", columns="place", values="permanent").reindex(columns=ids)
    fake = ProjectionResult(places=ids, years=years, population=jan.to_numpy(float), births=zeros, deaths=zeros,
                            international=intl, inflow=zeros, outflow=zeros, flows=flows, registered=reg,
                            final=np.zeros((2, 1, n)))
    return fit_table(targets, Outputs(atlas, fake, perm.to_numpy(float)))
