"""Life tables by the Brass logit relational model.

Method (documented, ``derived``):

1. **Standard.** A Siler hazard ``mu_s(x) = a1 exp(-b1 x) + a2 + a3 exp(b3 x)`` gives the
   standard survivorship ``l_s(x) = exp(-H_s(x))`` in closed form. Shape values
   (:data:`STANDARD`): infant/child hazard 0.07/yr falling at 1.2/yr (≈ 4 % infant deaths at
   e0 ≈ 65, the order of the UN estimates for Kyrgyzstan c. 1990), background 0.0005/yr and a
   Gompertz slope of 0.085/yr of age (the standard human value also used by the simulation,
   ``kochu/sim/params.py`` ``mortality_gompertz_slope``). Only the *shape* matters: the level
   comes from data.
2. **Relational model** (Brass 1971): ``Y(x) = alpha + beta * Y_s(x)`` with the logit
   ``Y = 0.5 ln((1 - l) / l)``; ``beta = 1`` and ``alpha`` solved by bisection so that the
   life table reproduces a given life expectancy at birth (UN WPP 2022, by sex and year).
3. **Life table** on a monthly grid to age 130: ``L_x`` by trapezoid integration of ``l``
   within each year of age, ``T_x`` by cumulation, ``e0 = T_0``.
4. **Projection ratios** (single years, open group 100+): births → age 0 on 1 January
   ``L_0 / l_0``; age x → x+1 ``L_{x+1} / L_x``; 100+ → 100+ ``T_101 / T_100``.
5. **Sub-national level** (:func:`scale_survival`): proportional hazards — the unit's
   survival ratios are the national ones raised to ``k = CDR_unit / CDR_national`` (indirect
   standardisation under the assumption that units share the national age structure).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: oldest single age; the projection's last group is OPEN_AGE+ (open)
OPEN_AGE = 100
_MAX_AGE = 130
_STEPS = 12  # grid points per year of age

#: Siler standard shape (see module docstring)
STANDARD = {"a1": 0.07, "b1": 1.2, "a2": 0.0005, "a3": 0.0001, "b3": 0.085}

_GRID = np.arange(_MAX_AGE * _STEPS + 1) / _STEPS


def standard_survivorship(x: np.ndarray) -> np.ndarray:
    """``l_s(x)`` of the Siler standard (radix 1) at ages ``x`` (years)."""
    s = STANDARD
    h = (s["a1"] / s["b1"]) * (1.0 - np.exp(-s["b1"] * x)) + s["a2"] * x
    h = h + (s["a3"] / s["b3"]) * np.expm1(s["b3"] * x)
    return np.exp(-h)


_YS = None


def _standard_logit() -> np.ndarray:
    global _YS  # cache of a constant table (not random state)
    if _YS is None:
        ls = standard_survivorship(_GRID)
        with np.errstate(divide="ignore"):
            _YS = 0.5 * np.log((1.0 - ls) / ls)
    return _YS


def brass_survivorship(alpha: np.ndarray | float, beta: float = 1.0) -> np.ndarray:
    """``l(x)`` on the monthly grid for each ``alpha`` (shape ``alpha.shape + (n_grid,)``)."""
    a = np.asarray(alpha, dtype=float)[..., None]
    y = a + beta * _standard_logit()
    with np.errstate(over="ignore"):
        lx = 1.0 / (1.0 + np.exp(2.0 * y))
    lx[..., 0] = 1.0
    return lx


@dataclass(frozen=True)
class LifeTable:
    """Single-year life table columns (arrays with leading batch dims, last axis = age)."""

    lx: np.ndarray  # survivors at exact age x, x = 0..MAX_AGE
    Lx: np.ndarray  # person-years lived between x and x+1
    Tx: np.ndarray  # person-years lived above x

    @property
    def e0(self) -> np.ndarray:
        """Life expectancy at birth."""
        return self.Tx[..., 0] / self.lx[..., 0]

    def ex(self, age: int) -> np.ndarray:
        """Life expectancy at exact age ``age``."""
        return self.Tx[..., age] / self.lx[..., age]


def life_table(alpha: np.ndarray | float, beta: float = 1.0) -> LifeTable:
    """Brass-logit life table(s) for level(s) ``alpha``."""
    lg = brass_survivorship(alpha, beta)
    seg = lg.reshape(lg.shape[:-1] + (-1,))
    inner = seg[..., :-1].reshape(lg.shape[:-1] + (_MAX_AGE, _STEPS))
    nxt = seg[..., 1:].reshape(lg.shape[:-1] + (_MAX_AGE, _STEPS))
    Lx = ((inner + nxt) * 0.5).sum(axis=-1) / _STEPS
    lx = seg[..., ::_STEPS][..., :_MAX_AGE]
    Tx = np.flip(np.cumsum(np.flip(Lx, -1), -1), -1)
    return LifeTable(lx=lx, Lx=Lx, Tx=Tx)


def alpha_for_e0(e0: np.ndarray | float, beta: float = 1.0, tol: float = 1e-10) -> np.ndarray:
    """Brass ``alpha`` reproducing life expectancy ``e0`` (vectorised bisection)."""
    target = np.asarray(e0, dtype=float)
    if np.any((target <= 5) | (target >= 110)) or not np.all(np.isfinite(target)):
        raise ValueError(f"life expectancy must be within (5, 110) years, got {target}")
    lo = np.full(target.shape, -4.0)  # very high e0
    hi = np.full(target.shape, 4.0)  # very low e0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        e = life_table(mid, beta).e0
        above = e > target  # too healthy: raise alpha
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
        if np.max(hi - lo) < tol:
            break
    return 0.5 * (lo + hi)


def projection_survival(table: LifeTable) -> tuple[np.ndarray, np.ndarray]:
    """Survival ratios for a yearly single-age projection with open group ``OPEN_AGE+``.

    Returns ``(s_birth, s_age)``: ``s_birth`` (batch,) = ``L_0 / l_0`` for births of the
    year alive on 1 January; ``s_age`` (batch, OPEN_AGE + 1) where ``s_age[x]`` survives
    age ``x`` on 1 January to age ``x + 1`` a year later (``x < OPEN_AGE``) and the last
    entry survives the open group within itself.
    """
    L, T = table.Lx, table.Tx
    s_birth = L[..., 0] / table.lx[..., 0]
    s_age = np.empty(L.shape[:-1] + (OPEN_AGE + 1,))
    s_age[..., :OPEN_AGE] = L[..., 1 : OPEN_AGE + 1] / L[..., :OPEN_AGE]
    s_age[..., OPEN_AGE] = T[..., OPEN_AGE + 1] / T[..., OPEN_AGE]
    return s_birth, s_age


def scale_survival(s: np.ndarray, k: np.ndarray | float) -> np.ndarray:
    """Proportional-hazards change of level: survival ``s ** k`` (``k`` = hazard ratio)."""
    return np.power(s, k)
