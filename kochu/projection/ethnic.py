"""The low-fertility minority (Slavs and Germans) by place, for the projection's births.

The projection has no ethnic dimension; the simulation does (:mod:`kochu.sim.init`: the 1989
census totals of Slavs and Germans spread over places by ``north × urban × mining`` weights,
per household, so the same share at every age; fertility × ``fertility_slavic_ratio``). The
projection carries, per place, the minority's *share* ``s_i`` of the population and gives its
women the fertility multiplier ``m_i = 1 − s_i + s_i × r`` (``r`` = ``fertility_slavic_ratio``),
which is exactly the sim's ethnic factor averaged over a place's women when the share is the
same at every age.

The share evolves year by year (derived; documented approximations):

* the minority's births are the share ``s_i r / m_i`` of the place's births;
* deaths and internal migration change minority and majority in proportion (same schedules
  in the sim; movers are not selected by ethnic group there);
* net international migration: emigrants are drawn from the minority with the weight
  ``w`` = the sim's emigration rate of the minority (Slavs and Germans, weighted by their 1989
  totals) over that of the others (``emigration_*`` parameters) before 2000 — the
  Slavic/German exodus of the 1990s — and in proportion to the share (``w = 1``) from 2000 on,
  as the projection's own ``north_weight`` switch; immigrants are majority.

Calls must come year after year (the state advances when ``year`` is the previous year + 1;
any other year restarts from the 1989 shares).
"""

from __future__ import annotations

import numpy as np

from kochu.sim.params import Params

#: last year in which emigrants are drawn preferentially from the minority (see module docstring)
EXODUS_END = 1999


def initial_shares(world, params: Params) -> np.ndarray:
    """The sim's expected 1989 share of Slavs + Germans by place (:func:`kochu.sim.init.ethnic_shares`)."""
    from kochu.sim.init import ethnic_shares

    s_slav, s_ger = ethnic_shares(world, params, np.asarray(world.pop1989, dtype=np.float64))
    return np.asarray(s_slav + s_ger, dtype=np.float64)


def minority_emigration_weight(params: Params) -> float:
    """Emigration rate of the minority over that of the others, from the sim's parameters."""
    slav, ger = params["slavic_1989"], params["german_1989"]
    rate = (slav * params["emigration_slavic"] + ger * params["emigration_german"]) / max(slav + ger, 1.0)
    other = params["emigration_other"]
    return float(rate / other) if other > 0 else 1.0


class Minority:
    """Per-place minority stock carried along a projection (see module docstring)."""

    def __init__(self, shares: np.ndarray, ratio: float, emigration_weight: float = 1.0) -> None:
        self.s0 = np.clip(np.asarray(shares, dtype=np.float64), 0.0, 1.0)
        self.ratio = float(ratio)
        self.w = float(emigration_weight)
        self.year: int | None = None
        self.stock = np.zeros_like(self.s0)
        self._flows: tuple[np.ndarray, ...] | None = None  # last year's (pop, births, b_min, intl, i_min)

    def share(self, year: int, pop_place: np.ndarray) -> np.ndarray:
        """Minority share by place on 1 January ``year`` given the places' populations."""
        pop_place = np.asarray(pop_place, dtype=np.float64)
        if self.year is not None and year == self.year:
            pass
        elif self.year is not None and year == self.year + 1 and self._flows is not None:
            p0, b, bm, i, im = self._flows
            rest = np.divide(pop_place - b - i, p0, out=np.ones_like(p0), where=p0 > 0)
            self.stock = np.clip(self.stock * np.maximum(rest, 0.0) + bm + im, 0.0, pop_place)
        else:
            self.stock = self.s0 * pop_place
        self.year = year
        self._flows = None
        return np.divide(self.stock, pop_place, out=self.s0.copy(), where=pop_place > 0)

    def multiplier(self, share: np.ndarray) -> np.ndarray:
        """Mean ethnic fertility factor of a place's women: ``1 − s + s r``."""
        return 1.0 - share + share * self.ratio

    def record(self, year: int, pop_place: np.ndarray, births: np.ndarray, intl: np.ndarray) -> None:
        """This year's births and net international migrants by place (advance the next call)."""
        s = self.stock / np.maximum(pop_place, 1e-12)
        m = self.multiplier(s)
        b_min = births * np.divide(s * self.ratio, m, out=np.zeros_like(m), where=m > 0)
        w = self.w if year <= EXODUS_END else 1.0
        out_share = np.divide(s * w, s * w + (1.0 - s), out=np.zeros_like(s), where=(s * w + 1.0 - s) > 0)
        i_min = np.where(intl < 0, np.maximum(intl * out_share, -self.stock), 0.0)
        self._flows = (np.asarray(pop_place, dtype=np.float64), births, b_min, intl, i_min)
