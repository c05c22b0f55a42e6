"""Births and deaths: the national crude rates, distributed over units by who lives there.

The atlas gives crude birth and death rates per 1,000 per year for the country (UN WPP, per
permanent resident) and for each first-level unit (``vital_rates.csv``). Most units have no
registered rate of their own and carry the national rate (factor 1, see the ``source`` column);
a few (Osh oblast, Batken) carry a sourced factor. The engine turns them into monthly
probabilities by age and sex with fixed *shapes* (documented standard schedules):

* mortality shape ``s(a, sex)`` = Makeham constant + infant/child hazard + Gompertz
  (slope ``mortality_gompertz_slope``), males × ``mortality_male_excess``;
* fertility shape ``f(a)`` for women 15–49: a Hadwiger-like bell with peak
  ``fertility_peak_age`` and spread ``fertility_spread``, × ``e(eth)`` (1 for Kyrgyz, Uzbeks
  and others, ``fertility_slavic_ratio`` for Slavs and Germans).

**National normalisation** (the level is national, the distribution follows the people). For
year ``y`` with national rates ``CBR_y``, ``CDR_y`` and unit factors
``g_u = CBR[u, y] / CBR_y`` and ``h_u = CDR[u, y] / CDR_y`` (= 1 where the unit carries the
national rate)::

    p_birth(u, a) = CBR_y / 1000 / 12 × P / Σ_u g_u F_u × g_u × f(a)        (× e(eth))
    p_death(u, a, sex) = CDR_y / 1000 / 12 × N / Σ_u h_u S_u × h_u × s(a, sex)

with ``F_u = Σ_{women of u} f(a_i) e(eth_i)``, ``S_u = Σ_{persons of u} s(a_i, sex_i)``,
``N`` the present and ``P`` the *permanent* population of the country (present + temporarily
abroad: the committee's birth rate is per permanent resident, and labour migrants' children
are born to the women who stay; people abroad do not die in the engine — young, short stays —
so deaths scale with the present population). The expected births of the country are then
exactly ``CBR_y × P / 12`` a month and its deaths ``CDR_y × N / 12``, while a unit with many
Slavs (low ``e``) or an old population (few women 15–49, many elderly) has a lower crude birth
and a higher crude death rate than a young Kyrgyz one: the age and ethnic structure the
simulation carries decides, and the sourced factors act as *relative* multipliers on top of it.
(An earlier version normalised each unit to its own crude rate, which erased that structure:
Chuy, with many older Russians, got as many births per head as Osh.)

**Southern birth factor before registered rates** (indirect estimation). No oblast birth rate
is registered before 2011 (``../shared/data/vital_by_oblast.csv``): the atlas carries the
national rate (or a factor held back from 2011) there. For the years up to
``birth_factor_last_year`` the units of the south (atlas ``north`` = 0 on the first-level
unit's row) have their crude birth rate multiplied by ``birth_factor_south`` (default 1: the
atlas as it is) before the factors are formed, so ``g_u`` — and with the national
normalisation the ratio of their births per woman to everybody else's — grows by that ratio
(:func:`birth_multipliers`). ``kochu calibrate`` estimates it from the census stocks 1999/2009
with a prior toward 1 (:mod:`kochu.estimate.calibrate`); the registered years keep the
atlas's sourced factors.

An atlas without a country row in ``vital_rates.csv`` (test fixtures) takes as the national rate
the mean of the unit rates weighted by the same populations (``P`` for births, ``N`` for deaths).
The sums are taken over the population present at the start of the last January (the kernels
accumulate them as a by-product of the January step; refreshing them yearly keeps the monthly
pass lean). Years beyond the atlas's last year hold the last year's rates (a projection
assumption, recorded in the manifest's parameters).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kochu.errors import AtlasError, KochuError
from kochu.sim.params import Params
from kochu.sim.world import World

MAX_AGE = 100  # single-year ages 0..100 (100 = 100+)


def mortality_shape(params: Params) -> np.ndarray:
    """Relative mortality hazard by single age (rows) and sex (0 female, 1 male)."""
    a = np.arange(MAX_AGE + 1, dtype=np.float64)
    inf = params["mortality_infant"]
    s = 0.0005 + np.where(a == 0, inf, 0.0) + np.where((a >= 1) & (a < 5), inf * 0.06, 0.0)
    s = s + 0.001 * np.exp(params["mortality_gompertz_slope"] * (a - 30.0))
    out = np.empty((MAX_AGE + 1, 2), dtype=np.float64)
    out[:, 0] = s
    out[:, 1] = s * params["mortality_male_excess"]
    return out


def fertility_shape(params: Params) -> np.ndarray:
    """Relative fertility of women by single age (zero outside 15–49)."""
    a = np.arange(MAX_AGE + 1, dtype=np.float64)
    f = np.exp(-0.5 * ((a - params["fertility_peak_age"]) / params["fertility_spread"]) ** 2)
    f[(a < 15) | (a > 49)] = 0.0
    return f


def national_scale(rate: float | None, unit_rate: np.ndarray, pop: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """Yearly per-unit multipliers ``k_u`` of the shape sums (module docstring).

    ``rate`` is the national crude rate per 1,000 (``None``: the ``pop``-weighted mean of
    ``unit_rate``), ``unit_rate`` the units' crude rates (their ratios to ``rate`` are the
    relative factors), ``pop`` the units' populations the rate applies to and ``sums`` their
    shape sums (``F_u`` or ``S_u``). Then ``Σ_u k_u sums_u = rate / 1000 × Σ_u pop_u`` exactly
    and ``k_u / k_v = unit_rate_u / unit_rate_v``.
    """
    unit_rate = np.asarray(unit_rate, dtype=np.float64)
    pop = np.asarray(pop, dtype=np.float64)
    total = float(pop.sum())
    if rate is None:
        rate = float((unit_rate * pop).sum() / total) if total > 0 else float(unit_rate.mean())
    g = unit_rate / rate if rate > 0 else np.ones_like(unit_rate)
    denom = float((g * sums).sum())
    if denom <= 0.0:
        return np.zeros_like(g)
    return rate / 1000.0 * total / denom * g


def south_units(atlas: object, unit_ids) -> np.ndarray:
    """True for the first-level units whose atlas row has ``north`` = 0 (False without the column
    or for ids the atlas lacks, e.g. the country standing in for places without a unit)."""
    places = getattr(atlas, "places", None)
    ids = [str(u) for u in unit_ids]
    if places is None or "north" not in places:
        return np.zeros(len(ids), dtype=bool)
    north = pd.to_numeric(places["north"].reindex(ids), errors="coerce")
    return (north == 0).to_numpy(bool)


def birth_multipliers(params: Params, south: np.ndarray, years) -> np.ndarray:
    """(years, units) multipliers of the unit crude birth rates: ``birth_factor_south`` for the
    southern units in years up to ``birth_factor_last_year``, 1 elsewhere (module docstring)."""
    years = np.asarray(years, dtype=np.int64)
    f = float(params["birth_factor_south"])
    if f <= 0.0:
        raise KochuError(f"parameter 'birth_factor_south': expected a ratio > 0, got {f}")
    early = years <= params["birth_factor_last_year"]
    return np.where(early[:, None] & np.asarray(south, dtype=bool)[None, :], f, 1.0)


class Vital:
    """Crude rates by (year, unit) from the atlas, and the monthly tables built from them."""

    def __init__(self, atlas: object, world: World, params: Params, start: int, end: int) -> None:
        vr = getattr(atlas, "vital_rates", None)
        if vr is None or len(vr) == 0:
            raise AtlasError("vital_rates.csv: missing or empty (needed for births and deaths)")
        self.start, self.end = start, end
        years = np.arange(start, end + 1)
        nu = len(world.unit_ids)
        self.cbr = np.zeros((len(years), nu))
        self.cdr = np.zeros((len(years), nu))
        for u, uid in enumerate(world.unit_ids):
            rows = vr[vr["unit"] == uid].sort_values("year")
            if rows.empty:
                raise AtlasError(f"vital_rates.csv: no rows for unit '{uid}' (every first-level unit needs rates)")
            ry = rows["year"].to_numpy(np.int64)
            # nearest earlier year (held constant after the last; first year before the first)
            idx = np.clip(np.searchsorted(ry, years, side="right") - 1, 0, len(ry) - 1)
            self.cbr[:, u] = rows["crude_birth_rate"].to_numpy(np.float64)[idx]
            self.cdr[:, u] = rows["crude_death_rate"].to_numpy(np.float64)[idx]
        self.cbr_raw = self.cbr.copy()  # sourced rates: the level (national fallback), before the factor
        self.cbr *= birth_multipliers(params, south_units(atlas, world.unit_ids), years)
        self.cbr_nat, self.cdr_nat = self._national(atlas, vr, years)
        self.mshape = mortality_shape(params)
        self.fshape = fertility_shape(params)

    @staticmethod
    def _national(atlas: object, vr, years: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """National crude rates by year (the atlas's country row), or (None, None) without one."""
        places = getattr(atlas, "places", None)
        if places is None or "level" not in places:
            return None, None
        country = places.index[places["level"] == "country"]
        rows = vr[vr["unit"].isin(country)].sort_values("year")
        if rows.empty:
            return None, None
        ry = rows["year"].to_numpy(np.int64)
        idx = np.clip(np.searchsorted(ry, years, side="right") - 1, 0, len(ry) - 1)
        return (rows["crude_birth_rate"].to_numpy(np.float64)[idx],
                rows["crude_death_rate"].to_numpy(np.float64)[idx])

    def year_index(self, year: int) -> int:
        """Row of ``year`` in the rate arrays (held at the first/last year outside the range)."""
        return min(max(year, self.start), self.end) - self.start

    def national_rates(self, year: int) -> tuple[float | None, float | None]:
        """(CBR, CDR) of the country in ``year`` (None: no country row, see module docstring)."""
        y = self.year_index(year)
        b = None if self.cbr_nat is None else float(self.cbr_nat[y])
        d = None if self.cdr_nat is None else float(self.cdr_nat[y])
        return b, d

    def yearly_scales(
        self, year: int, n_unit: np.ndarray, s_sum: np.ndarray, f_sum: np.ndarray,
        n_abroad: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Yearly (k_death[u], k_birth[u]) multipliers of the shapes (module docstring)."""
        y = self.year_index(year)
        n_perm = n_unit if n_abroad is None else n_unit + n_abroad
        b, d = self.national_rates(year)
        if b is None and n_perm.sum() > 0:  # no country row: the level is the mean of the sourced unit rates
            b = float((self.cbr_raw[y] * n_perm).sum() / n_perm.sum())
        kd = national_scale(d, self.cdr[y], n_unit, s_sum)
        kb = national_scale(b, self.cbr[y], n_perm, f_sum)
        return kd, kb

    def tables(
        self, year: int, n_unit: np.ndarray, s_sum: np.ndarray, f_sum: np.ndarray,
        n_abroad: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Monthly (p_death[u, a, sex], p_birth[u, a]) for ``year`` given the last January's sums.

        ``n_unit`` present people, ``s_sum``/``f_sum`` the mortality/fertility shape sums and
        ``n_abroad`` the people temporarily abroad, by unit. The country's expected births are
        ``CBR × (present + abroad) / 12`` and its deaths ``CDR × present / 12`` (module
        docstring); ``p_birth`` is per woman of ethnic fertility 1 (the kernel multiplies by it).
        """
        kd, kb = self.yearly_scales(year, n_unit, s_sum, f_sum, n_abroad)
        kd, kb = kd / 12.0, kb / 12.0
        p_death = np.minimum(kd[:, None, None] * self.mshape[None, :, :], 0.5)
        p_birth = np.minimum(kb[:, None] * self.fshape[None, :], 0.5)
        return p_death.astype(np.float64), p_birth.astype(np.float64)
