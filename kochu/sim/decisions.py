"""Decisions: how people respond to the drivers (the only module coupled to ``kochu.drivers``).

``kochu.drivers`` has no behaviour: it gives standardised push–pull components per place and
year (``pull[name][year, place]``), historical regimes per year (``regime`` columns) and dated
events. This module turns them, with the coefficients of :mod:`kochu.sim.params`, into the
monthly tables the kernels read:

* **destination utility** of place ``d`` for a mover of type ``k`` from ``o``::

      V_k(o, d) = Σ_c β_c pull_c[d] + pull_adjust[d]            (drivers + interventions)
                + β_size log(1 + population_d) + β_capital [d = capital]
                + β_network log(1 + 1000 migrants(o → d) / population_o)   (networks)
                + β_same_oblast [same oblast] + β_valley (elev_o − elev_d)/1000
                − β_crowding max(0, population_d / population_d(1989) − 1)   (housing stock;
                  the capital's housing is modelled explicitly in kochu.sim.housing)
                − γ_k hours(o, d) × travel_multiplier(o, d)                 (travel cost)

  types: 0 individual without resources, 1 individual with resources (higher education or a
  funded household), 2 family, 3 funded family (remittance savings ≥ relocation cost).
  γ_0 = γ_2 = ``travel_cost_poor`` and γ_1 = γ_3 = ``travel_cost_rich`` make destinations
  reachable by resources (**step migration**: movers decide again from their new place).
  Choice probabilities are a logit over all places, precomputed as cumulative tables per
  (type, origin) — each mover then needs one binary search, never a per-person logit.
* **hazards** (per year → per month explicitly, ``1 − exp(−h/12)``): origin push
  ``exp(−push_strength (A_o − Ā))`` from the same utility, the rural crisis after farm
  subsidies end, mining-town job losses (per town from its mine's closure year: individual
  hazards × (1 + ``mining_push``), emigration × ``mining_emigration_multiplier`` and an extra
  whole-family exit ``mine_closure_exit × exp(−years since closure / mine_closure_decay_years)``), the propiska (mobility control), the whole-family
  regime of 1990–94, ethnic emigration pressure, labour demand abroad (seasonal).
* **registration** probability by destination (big cities and informal settlements lower).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kochu.errors import KochuError
from kochu.sim.params import Params
from kochu.sim.world import World

REGIME_COLUMNS = (
    "mobility_control",
    "farm_subsidy",
    "family_move_share",
    "emigration_pressure_slavic",
    "emigration_pressure_other",
    "labour_abroad_demand",
    "registration_propensity",
    "housing_supply_capital",
    "mining_jobs",
)


@dataclass
class NullDrivers:
    """Neutral drivers: every pull 0, constant regimes (limiting cases and tests only).

    Not a model of any country: ``kochu.drivers.build_drivers`` is the real source.
    """

    years: np.ndarray
    places: np.ndarray
    pull: dict[str, np.ndarray] = field(default_factory=dict)
    regime: pd.DataFrame | None = None
    events: list | None = None
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_world(cls, world: World, start: int, end: int, **regime: float) -> NullDrivers:
        """Zero pulls; regimes from keyword values (default: free mobility, no emigration)."""
        years = np.arange(start, end + 1)
        base = {
            "mobility_control": 0.0, "farm_subsidy": 1.0, "family_move_share": 0.0,
            "emigration_pressure_slavic": 0.0, "emigration_pressure_other": 0.0,
            "labour_abroad_demand": 0.0, "mining_jobs": 1.0, "registration_propensity": 1.0,
            "housing_supply_capital": 1.0,
        }
        bad = sorted(set(regime) - set(base))
        if bad:
            raise KochuError(f"NullDrivers: unknown regime column '{bad[0]}' (valid: {', '.join(sorted(base))})")
        base.update(regime)
        reg = pd.DataFrame({k: np.full(len(years), float(v)) for k, v in base.items()}, index=years)
        pull = {"jobs": np.zeros((len(years), world.n))}
        return cls(years=years, places=world.ids.copy(), pull=pull, regime=reg, events=None)


class Decisions:
    """Monthly decision tables from drivers, parameters, the world and the current state."""

    def __init__(self, world: World, drivers: object, params: Params) -> None:
        self.world, self.params = world, params
        places = np.asarray(drivers.places, dtype=str)
        if len(places) != world.n or np.any(places != world.ids):
            raise KochuError("drivers: places differ from the atlas settlements (expected the same ids in atlas order)")
        self.years = np.asarray(drivers.years, dtype=np.int64)
        regime = drivers.regime
        missing = [c for c in REGIME_COLUMNS if c not in regime.columns]
        if missing:
            raise KochuError(f"drivers.regime: column '{missing[0]}' missing (needed: {', '.join(REGIME_COLUMNS)})")
        self.regime = regime
        self.pull = {k: np.asarray(v, dtype=np.float64) for k, v in drivers.pull.items()}
        for k, v in self.pull.items():
            if v.shape != (len(self.years), world.n):
                raise KochuError(f"drivers.pull['{k}']: expected shape {(len(self.years), world.n)}, got {v.shape}")
        self.events = getattr(drivers, "events", None)
        self.beta = {k: params[f"beta_{k}"] if f"beta_{k}" in params else params["beta_other"] for k in self.pull}
        w = world
        self.same_unit = (w.unit[:, None] == w.unit[None, :]).astype(np.float64)
        self.valley = (w.elevation_m[:, None] - w.elevation_m[None, :]) / 1000.0
        self.is_capital = np.zeros(w.n)
        self.is_capital[w.capital] = 1.0
        self.rural = w.kind == "rural"
        big = (w.kind == "capital") | ((w.kind == "city") & (w.pop1989 >= 150_000))
        self.big_city = big
        mj = regime["mining_jobs"]
        self.mining_jobs = (mj / max(float(mj.iloc[0]), 1e-9)).clip(0, 1)
        self.closure_year, self.closure_weight = self._closures(world)

    def _closures(self, world: World) -> tuple[np.ndarray, np.ndarray]:
        """(closure year, share of jobs lost) by place: the drivers' ``mine_closure`` events
        (one per closed mine, at its town; mining towns without one keep their mine), in the
        atlas's mining towns only: towns the atlas types otherwise (on a transport route, a
        tourist shore, near the capital: Tash-Kumyr, Kadji-Say, Kara-Balta) absorbed the loss —
        seed: mining towns 'located on transport routes fared slightly better', Chui Valley
        towns such as Kara-Balta 'even experienced inflows of migrants'. Without
        such events (e.g. :class:`NullDrivers`) every atlas mining town follows the national
        ``mining_jobs`` regime: closed from its first year below 1, jobs lost = 1 − share."""
        year = np.full(world.n, np.inf)
        weight = np.zeros(world.n)
        index = {pid: i for i, pid in enumerate(world.ids)}
        hits = [(int(ev.year), index[q]) for ev in (self.events or []) if str(ev.kind) == "mine_closure"
                for q in ev.places if q in index and world.mining[index[q]]]
        if hits:
            for y, i in hits:
                year[i] = min(year[i], y)
                weight[i] = 1.0
        else:
            below = np.flatnonzero(self.mining_jobs.to_numpy() < 1.0)
            if len(below):
                year[world.mining] = float(self.years[below[0]])
                weight[world.mining] = -1.0  # marker: jobs lost follow the national regime
        return year, weight

    def jobs_lost(self, year: int, month: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(share of mining jobs lost, years since the closure) by place in a month."""
        since = year + (month - 1) / 12.0 - self.closure_year
        closed = since >= 0
        national = 1.0 - float(self.mining_jobs.iloc[self._yi(year)])
        lost = np.where(self.closure_weight < 0, national, self.closure_weight) * closed
        return lost, np.where(closed, since, 0.0)

    # ---- drivers -------------------------------------------------------------------------
    def _yi(self, year: int) -> int:
        return int(np.clip(year - self.years[0], 0, len(self.years) - 1))

    def regime_at(self, name: str, year: int) -> float:
        """Value of regime column ``name`` in ``year`` (clamped to the drivers' years)."""
        return float(self.regime[name].iloc[self._yi(year)])

    def attractiveness(self, year: int, pull_adjust: np.ndarray) -> np.ndarray:
        """Σ_c β_c pull_c[year] + intervention adjustments, by place."""
        yi = self._yi(year)
        a = np.zeros(self.world.n)
        for k, v in self.pull.items():
            a += self.beta[k] * np.nan_to_num(v[yi])
        return a + pull_adjust

    def events_at(self, year: int, month: int) -> list[tuple[str, np.ndarray, float | None, float | None]]:
        """Dated drivers' events of one month: (kind, place indices, fraction, months to return)."""
        out: list[tuple[str, np.ndarray, float | None, float | None]] = []
        if not self.events:
            return out
        index = {pid: i for i, pid in enumerate(self.world.ids)}
        for ev in self.events:
            if int(ev.year) != year or int(ev.month or 1) != month:
                continue
            idx = np.array([index[p] for p in ev.places if p in index], dtype=np.int64)
            out.append((str(ev.kind), idx, ev.fraction, ev.months_to_return))
        return out

    # ---- tables --------------------------------------------------------------------------
    def destination_cdf(
        self, year: int, attract: np.ndarray, pop: np.ndarray, network: np.ndarray, travel_mult: np.ndarray | float
    ) -> np.ndarray:
        """Cumulative choice tables ``cdf[type, origin, destination]`` (4 types)."""
        w, p = self.world, self.params
        size = pop.astype(np.float64).copy()
        size[w.capital] += pop[w.informal].sum()
        base = attract + p["beta_size"] * np.log1p(size) + p["beta_capital"] * self.is_capital
        # housing stock of towns and villages: growth beyond the 1989 population crowds a place
        pop0 = getattr(self, "pop0", None)
        if pop0 is not None:
            grown = np.where(pop0 > 0, pop.astype(np.float64) / np.maximum(pop0, 1.0) - 1.0, 0.0)
            crowd = np.where(w.informal | (self.is_capital > 0), 0.0, np.clip(grown, 0.0, None))
            base = base - p["beta_crowding"] * crowd
        valid = ~w.informal & ((w.founded == 0) | (w.founded <= year))
        net = p["beta_network"] * np.log1p(1000.0 * network / (pop[:, None] + 1.0))
        v0 = base[None, :] + net + p["beta_same_oblast"] * self.same_unit + p["beta_valley"] * self.valley
        hours = w.hours * travel_mult
        out = np.empty((4, w.n, w.n), dtype=np.float64)
        for k, gamma in enumerate((p["travel_cost_poor"], p["travel_cost_rich"], p["travel_cost_poor"], p["travel_cost_rich"])):
            v = v0 - gamma * hours
            v = np.where(valid[None, :], v, -np.inf)
            np.fill_diagonal(v, -np.inf)
            vmax = np.max(v, axis=1, keepdims=True)
            e = np.exp(v - np.where(np.isfinite(vmax), vmax, 0.0))
            tot = e.sum(axis=1, keepdims=True)
            prob = np.where(tot > 0, e / np.where(tot > 0, tot, 1.0), 0.0)
            empty = tot[:, 0] <= 0
            prob[empty, :] = 0.0
            prob[empty, np.flatnonzero(empty)] = 1.0  # nowhere to go: "move" to self = stay
            cdf = np.cumsum(prob, axis=1)
            cdf[:, -1] = 1.0 + 1e-9
            out[k] = cdf
        return out

    def push(self, attract: np.ndarray, pop: np.ndarray) -> np.ndarray:
        """Out-move hazard multiplier by origin: worse-off places push more."""
        wts = pop.astype(np.float64)
        mean = float((attract * wts).sum() / max(wts.sum(), 1.0))
        return np.clip(np.exp(-self.params["push_strength"] * (attract - mean)), 0.25, 4.0)

    def hazards(
        self, year: int, month: int, attract: np.ndarray, pop: np.ndarray, move_mult: np.ndarray,
        disp_months: float | None = None,
    ) -> dict:
        """Monthly probabilities by place (and group) for the decide kernel."""
        p = self.params
        mc = self.regime_at("mobility_control", year)
        farm = self.regime_at("farm_subsidy", year)
        fam_share = self.regime_at("family_move_share", year)
        push = self.push(attract, pop)
        crisis = np.where(self.rural, 1.0 + p["rural_crisis_push"] * (1.0 - farm), 1.0)
        lost, since = self.jobs_lost(year, month)
        mining = 1.0 + p["mining_push"] * lost
        mob = 1.0 - p["propiska_move_reduction"] * mc
        common = push * crisis * mining * move_mult * mob
        ind = p["move_rate_individual"] * common
        # mine closure: redundant workers' families leave (seed: 'made redundant and with no other
        # job prospects were forced to migrate'), a hazard decaying from the closure, independent
        # of the national great-migration regime
        closure = p["mine_closure_exit"] * lost * np.exp(-since / max(p["mine_closure_decay_years"], 1e-9))
        fam = (p["move_rate_family"] * (1.0 + p["great_migration_amplitude"] * fam_share) * common
               + closure * move_mult * mob)
        funded = p["funded_relocation_rate"] * np.minimum(push, 2.0) * move_mult
        season = 1.0 + p["seasonal_amplitude"] * np.cos(2 * np.pi * (month - 4) / 12.0)
        back = 1.0 + p["seasonal_amplitude"] * np.cos(2 * np.pi * (month - 11) / 12.0)
        abroad = p["abroad_rate"] * self.regime_at("labour_abroad_demand", year) * push * season
        slav = self.regime_at("emigration_pressure_slavic", year)
        other = self.regime_at("emigration_pressure_other", year)
        mine_e = 1.0 + (p["mining_emigration_multiplier"] - 1.0) * lost  # closed mines' Russians left
        emig = np.stack([p["emigration_other"] * other * mine_e,
                         p["emigration_slavic"] * slav * mine_e,
                         p["emigration_german"] * slav * mine_e], axis=1)
        m = _monthly
        return {
            "p_move": m(ind),
            "p_fam": np.stack([m(fam), m(fam + funded)], axis=1),
            "p_abroad": m(abroad),
            "p_emig": m(emig),
            "p_return": float(m(np.array(p["return_rate"] * mob))),
            "p_ret_abroad": float(m(np.array(p["abroad_return_rate"] * back))),
            "p_settle_abroad": float(m(np.array(p["abroad_settle_rate"]))),
            "p_disp_return": float(1.0 - np.exp(-1.0 / max(disp_months or p["displacement_return_months"], 1e-9))),
        }


def _monthly(per_year: np.ndarray) -> np.ndarray:
    """Per-year hazard → probability within one month."""
    return 1.0 - np.exp(-np.asarray(per_year, dtype=np.float64) / 12.0)


def age_profiles(params: Params) -> tuple[np.ndarray, np.ndarray]:
    """(individual move profile by age, abroad profile by age × sex), peak 1.

    Individual moves: the labour-force component of the Rogers–Castro model schedule
    (Rogers & Castro 1981: α₂ = 0.1, λ₂ = 0.4) plus a small constant, zero under 15 (children
    move with their families). Labour migration abroad: ages 18–50, bell around 28, women at
    0.6 of men (assumption; male-dominated labour migration).
    """
    a = np.arange(101, dtype=np.float64)
    mu = params["age_peak"]
    rc = np.exp(-0.1 * (a - mu) - np.exp(-0.4 * (a - mu))) + 0.05
    rc[a < 15] = 0.0
    move = rc / rc.max()
    ab = np.exp(-0.5 * ((a - 28.0) / 9.0) ** 2)
    ab[(a < 18) | (a > 50)] = 0.0
    abroad = np.stack([0.6 * ab, ab], axis=1)
    return move, abroad
