"""Births and deaths: sourced crude rates by first-level unit and year, distributed by age.

The atlas gives crude birth and death rates per 1,000 per year by oblast and year
(``vital_rates.csv``). The engine turns them into monthly probabilities by age and sex with
fixed *shapes* (documented standard schedules; the *level* always comes from the data):

* mortality shape ``s(a, sex)`` = Makeham constant + infant/child hazard + Gompertz
  (slope ``mortality_gompertz_slope``), males × ``mortality_male_excess``;
* fertility shape ``f(a)`` for women 15–49: a Hadwiger-like bell with peak
  ``fertility_peak_age`` and spread ``fertility_spread``.

For unit ``u`` in year ``y``::

    p_death(a, sex) = CDR[u, y] / 1000 / 12 × N_u / Σ_persons s(a_i, sex_i) × s(a, sex)
    p_birth(a)      = CBR[u, y] / 1000 / 12 × N_u / Σ_women  f(a_i)         × f(a)

so expected births and deaths equal the crude rates times the unit's present population
(up to the drift of the population within a year): the sums are taken over the population
present at the start of the last January (the kernels accumulate them as a by-product of the
January step; refreshing them yearly keeps the monthly pass lean). Years beyond the atlas's last year hold the
last year's rates (a projection assumption, recorded in the manifest's parameters).
"""

from __future__ import annotations

import numpy as np

from kochu.errors import AtlasError
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
        self.mshape = mortality_shape(params)
        self.fshape = fertility_shape(params)

    def tables(
        self, year: int, n_unit: np.ndarray, s_sum: np.ndarray, f_sum: np.ndarray,
        n_abroad: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Monthly (p_death[u, a, sex], p_birth[u, a]) for ``year`` given the last January's sums.

        Births are scaled to the *permanent* population (present + temporarily abroad,
        ``n_abroad``): the statistics committee's crude birth rate is per permanent resident,
        and labour migrants' children are born to the women who stay. Deaths are scaled to the
        present population (people abroad do not die in the engine: young, short stays).
        """
        y = min(max(year, self.start), self.end) - self.start
        n_perm = n_unit if n_abroad is None else n_unit + n_abroad
        kd = self.cdr[y] / 1000.0 / 12.0 * n_unit / np.maximum(s_sum, 1e-12)
        kb = self.cbr[y] / 1000.0 / 12.0 * n_perm / np.maximum(f_sum, 1e-12)
        p_death = np.minimum(kd[:, None, None] * self.mshape[None, :, :], 0.5)
        p_birth = np.minimum(kb[:, None] * self.fshape[None, :], 0.5)
        return p_death.astype(np.float64), p_birth.astype(np.float64)
