"""The ONE coupling between the projection and the simulation: its rules as yearly arrays.

The projection applies internal migration as yearly probabilities ``probs[a, i, j]`` (single
age ``a``, origin ``i``, destination ``j``; rows sum to 1) and a registration completeness
by destination. :class:`SimMigration` builds them from the simulation's own decision module
(:class:`kochu.sim.decisions.Decisions`, same drivers, same parameters), in expectation:

* destinations: the sim's logit tables ``destination_cdf`` (type 0/1 individuals mixed by
  ``higher_education_share``, type 2 for families), with the migrant-network matrix carried
  in expectation (origin × place, updated by each year's expected moves);
* hazards: the sim's monthly ``p_move`` (× the sim's age profile) and ``p_fam`` (whole
  households, every age) compounded over 12 months; return moves to the origin at
  ``p_return`` for people living away from it; remittance-funded relocations (which need
  household savings, not tracked by the projection) are left out;
* capital housing: arrivals beyond the capital's formal room (``housing_supply_capital`` ×
  1989 population × (1 + ``capital_housing_slack``)) settle in the open informal settlements
  with the sim's weights (present + seed weight);
* registration: the sim's ``registration_tables`` with informal settlements legalised in
  expectation (hazard ``informal_legalisation_rate`` after ``informal_legalisation_min_age``
  years; never in hazard zones).

:class:`SimDemography` gives the sim's demographic rule (national crude rates spread over the
units by fixed age shapes, ethnic fertility and relative unit factors; monthly probabilities
compounded over the year) as projection rates, for the test that the two engines agree in
expectation under equivalent rules.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from kochu.projection.model import N_AGES, Migration, YearRates

GROUP_OF_AGE = np.arange(N_AGES)  # single-age migration groups (the sim's age profile)
N_GROUPS = N_AGES


class SimContext:
    """World and drivers of an atlas (built once; reused across parameter sets)."""

    def __init__(self, atlas, start: int = 1989, end: int = 2050, drivers=None) -> None:
        from kochu.sim.world import build_world

        self.atlas, self.start, self.end = atlas, start, end
        self.world = build_world(atlas, start)
        if drivers is None:
            from kochu.drivers import build_drivers

            drivers = build_drivers(atlas, start=start, end=end)
        self.drivers = drivers
        self.places = list(self.world.ids)


def _params(params: Mapping[str, float] | None):
    from kochu.sim.params import Params

    return params if isinstance(params, Params) else Params(dict(params or {}))


def _monthly_to_year(p: np.ndarray) -> np.ndarray:
    return 1.0 - np.power(1.0 - np.clip(p, 0.0, 1.0), 12)


class SimMigration:
    """Callable ``(year, pop) -> Migration`` with the simulation's decision rules."""

    def __init__(self, ctx: SimContext, params: Mapping[str, float] | None = None) -> None:
        from kochu.sim.decisions import Decisions, age_profiles

        self.ctx = ctx
        self.p = _params(params)
        self.dec = Decisions(ctx.world, ctx.drivers, self.p)
        self.move_age = age_profiles(self.p)[0]
        w = ctx.world
        self.n = w.n
        self.capital = w.capital
        self.k0 = (1.0 + self.p["capital_housing_slack"]) * float(w.pop1989[w.capital])
        self.network: np.ndarray | None = None
        self.last_year: int | None = None

    # -- pieces --------------------------------------------------------------------------
    def _network(self, pop_place: np.ndarray) -> np.ndarray:
        if self.network is None:
            return np.diag(pop_place)
        col = self.network.sum(axis=0)
        return self.network * np.divide(pop_place, col, out=np.zeros_like(col), where=col > 0)[None, :]

    def _legal_share(self, year: int) -> np.ndarray:
        """Expected share of each informal settlement legalised by ``year``."""
        w, p = self.ctx.world, self.p
        founded = np.where(w.founded > 0, w.founded, self.ctx.start)
        age = np.maximum(year - founded - p["informal_legalisation_min_age"], 0.0)
        share = 1.0 - np.exp(-p["informal_legalisation_rate"] * age)
        waves = self.dec.regime.get("legalisation", None)
        wave_years = [] if waves is None else waves.index[(waves > 0) & (waves.index <= year)]
        for y in wave_years:
            share = np.where(founded <= y, 1.0, share)
        return np.where(w.informal & (w.hazard_zone == 0), share, 0.0)

    def completeness(self, year: int) -> np.ndarray:
        """Expected share of arrivals at each place that are registered."""
        from kochu.sim.registration import registration_tables

        w = self.ctx.world
        ones = np.ones(w.n)
        illegal, _ = registration_tables(self.dec, year, np.where(w.informal, 2, 0), ones)
        legal, _ = registration_tables(self.dec, year, np.where(w.informal, 1, 0), ones)
        s = self._legal_share(year)
        return s * legal + (1.0 - s) * illegal

    def _housing(self, year: int, probs: np.ndarray, pop_age: np.ndarray) -> None:
        """Send arrivals beyond the capital's formal room to informal settlements (in place)."""
        w, c = self.ctx.world, self.capital
        open_ = np.flatnonzero(w.informal & ((w.founded == 0) | (w.founded <= year)))
        if open_.size == 0:
            return
        arrivals = np.einsum("ai,ai->", pop_age[:, np.arange(self.n) != c],
                             probs[:, np.arange(self.n) != c, c])
        stay = float((pop_age[:, c] * (1.0 - probs[:, c, :].sum(axis=1))).sum())  # diagonal is 0 here
        room = max(0.0, self.k0 * self.dec.regime_at("housing_supply_capital", year) - stay)
        if arrivals <= room or arrivals <= 0:
            return
        keep = room / arrivals
        wt = pop_age[:, open_].sum(axis=0) + 2000.0
        wt = wt / wt.sum()
        others = np.arange(self.n) != c
        spill = probs[:, others, c] * (1.0 - keep)
        probs[:, others, c] *= keep
        probs[:, np.flatnonzero(others)[:, None], open_[None, :]] += spill[:, :, None] * wt[None, None, :]

    def abroad_weights(self, year: int, present: np.ndarray) -> np.ndarray:
        """Where labour migrants abroad come from: the sim's propensity (push) × present people."""
        attract = self.dec.attractiveness(year, np.zeros(self.n))
        return present * self.dec.push(attract, present)

    def abroad_index(self, year: int) -> float:
        """The drivers' labour-abroad index (2009 = 1)."""
        return self.dec.regime_at("labour_abroad_demand", year)

    def __call__(self, year: int, pop: np.ndarray) -> Migration:
        p, dec = self.p, self.dec
        pop_age = pop.sum(axis=0)  # (A, n)
        pop_place = pop_age.sum(axis=0)
        net = self._network(pop_place)
        attract = dec.attractiveness(year, np.zeros(self.n))
        cdf = dec.destination_cdf(year, attract, pop_place, net, 1.0)
        prob = np.diff(cdf, axis=2, prepend=0.0)
        prob[:, :, -1] = np.maximum(1.0 - prob[:, :, :-1].sum(axis=2), 0.0)
        rich = p["higher_education_share"]
        q_ind = (1 - rich) * prob[0] + rich * prob[1]
        q_fam = prob[2]
        hz = dec.hazards(year, 1, attract, pop_place, np.ones(self.n))  # month 1: no seasonality in moves
        ind = _monthly_to_year(hz["p_move"][None, :] * self.move_age[:, None])  # (A, n)
        fam = _monthly_to_year(hz["p_fam"][:, 0])  # (n,)
        ret = _monthly_to_year(np.array(hz["p_return"]))
        away = net.copy()
        np.fill_diagonal(away, 0.0)
        back = ret * np.divide(away.T, pop_place[:, None], out=np.zeros_like(away), where=pop_place[:, None] > 0)
        probs = ind[:, :, None] * q_ind[None] + fam[None, :, None] * q_fam[None] + back[None]
        idx = np.arange(self.n)
        probs[:, idx, idx] = 0.0
        total = probs.sum(axis=2)
        over = total > 0.999
        probs[over] *= (0.999 / total[over])[:, None]
        self._housing(year, probs, pop_age)
        probs[:, idx, idx] = 1.0 - (probs.sum(axis=2) - probs[:, idx, idx])
        # expected network after this year's moves (origins travel with movers)
        pbar = np.einsum("ai,aij->ij", pop_age, probs) / np.maximum(pop_place, 1e-12)[:, None]
        self.network = net @ pbar
        return Migration(groups=GROUP_OF_AGE, probs=probs, completeness=self.completeness(year))


class SimDemography:
    """The simulation's demographic rule as projection rates (national crude rates × fixed shapes).

    As :class:`kochu.sim.demography.Vital`: the country's births and deaths follow the national
    rates, shared among units by their women's fertility shape sums (× the ethnic multiplier of
    each place, :mod:`kochu.projection.ethnic`) and their mortality shape sums, × the units'
    relative factors; monthly probabilities are compounded over the year.
    """

    def __init__(self, ctx: SimContext, params: Mapping[str, float] | None = None,
                 international: bool = False) -> None:
        from kochu.projection.ethnic import Minority, initial_shares
        from kochu.sim.demography import Vital

        self.ctx = ctx
        self.p = _params(params)
        self.vital = Vital(ctx.atlas, ctx.world, self.p, ctx.start, ctx.end)
        self.unit = ctx.world.unit.astype(int)
        self.nu = len(ctx.world.unit_ids)
        self.minority = Minority(initial_shares(ctx.world, self.p), self.p["fertility_slavic_ratio"])
        if international:
            raise NotImplementedError("international moves of the sim are behaviours, not rates")

    def __call__(self, year: int, pop: np.ndarray) -> YearRates:
        v = self.vital
        ms, fs = v.mshape, v.fshape  # (A, 2) with column 0 female, 1 male; (A,)
        tot = pop.sum(axis=(0, 1))
        mult = self.minority.multiplier(self.minority.share(year, tot))
        n_u = np.bincount(self.unit, weights=tot, minlength=self.nu)
        s_sum = np.zeros(self.nu)
        for sex, col in ((0, 1), (1, 0)):  # projection sex 0 male -> sim column 1
            s_sum += np.bincount(self.unit, weights=ms[:, col] @ pop[sex], minlength=self.nu)
        f_sum = np.bincount(self.unit, weights=(fs @ pop[1]) * mult, minlength=self.nu)
        kd, kb = v.yearly_scales(year, n_u, s_sum, f_sum)
        kd = kd / 12.0
        s_age = np.empty((2, N_AGES, self.ctx.world.n))
        for sex, col in ((0, 1), (1, 0)):
            pmon = np.clip(kd[self.unit][None, :] * ms[:, col][:, None], 0, 1)
            s_age[sex] = np.power(1.0 - pmon, 12)
        fert = (kb[self.unit] * mult)[None, :] * fs[:, None]
        infant = np.stack([np.clip(kd[self.unit] * ms[0, c], 0, 1) for c in (1, 0)])
        s_birth = np.power(1.0 - infant, 6)  # born mid-year on average
        zeros = np.zeros(self.ctx.world.n)
        self.minority.record(year, tot, np.einsum("xi,xi->i", fert, pop[1]), zeros)
        return YearRates(s_birth=s_birth, s_age=s_age, fertility=fert, international=zeros,
                         profile=np.ones((2, N_AGES)), sex_ratio=self.p["sex_ratio_birth"])


def migration_model(atlas, places: list[str], params: Mapping[str, float] | None = None,
                    context: SimContext | None = None) -> SimMigration:
    """The projection's migration rules for the atlas's settlements under sim ``params``."""
    ctx = context or SimContext(atlas)
    if list(places) != ctx.places:
        from kochu.errors import KochuError

        raise KochuError("projection places must be the atlas settlements in atlas order (the sim's places)")
    return SimMigration(ctx, params)
