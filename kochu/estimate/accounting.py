"""Demographic accounting: net internal migration of first-level units from census stocks.

For a unit ``d`` and an intercensal period ``[t0, t1)``::

    net internal migration = (P(t1) - P(t0)) - natural increase - net international migration

* ``P``: atlas de facto populations of the first-level units (censuses 1989, 1999, 2009);
* natural increase ``sum_t (CBR - CDR)[d, t] / 1000 * P(d, t)`` with ``P(d, t)`` interpolated
  geometrically between the censuses (atlas ``vital_rates.csv``);
* net international migration: the national per-capita rate of
  :func:`kochu.projection.inputs.national_net_rate` shared among units in proportion to
  population × ``north_weight`` for the units of the sim's Slavic settlement area
  (:data:`kochu.sim.init.SLAVIC_UNITS`; the ``north`` flag when the atlas has none of them)
  before 2000, the projection's own rule.

The units' raw residuals need not sum to zero nationally: the national residual (census
coverage, unrecorded emigration and — for de facto counts — the growing stock of labour
migrants temporarily abroad: ≈ 55 k in 1999, ≈ 330 k in 2009) is not internal migration. It
is reported as ``residual`` and allocated to units in proportion to their mean population, so
that net internal migration sums to zero.

Uncertainty (one standard deviation, used as measurement error by the estimators): 1 % of
each census stock (coverage error), 5 % of natural increase (derived rates), 30 % of the
allocated international migration (the allocation by unit is derived, not observed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kochu.projection.inputs import national_net_rate

CENSUS_SD = 0.01
NATURAL_SD = 0.05
INTERNATIONAL_SD = 0.30


def _rates(atlas, units: list[str], years: range, column: str) -> np.ndarray:
    vr = atlas.vital_rates.pivot_table(index="year", columns="unit", values=column, aggfunc="first")
    country = atlas.level("country").index[0]
    vr = vr.reindex(list(years)).ffill().bfill()
    return np.stack([vr[u] if u in vr else vr[country] for u in units], axis=1)


def slavic_area(atlas, units: list[str]) -> np.ndarray:
    """1.0 for first-level units of the sim's Slavic settlement area, else 0.0 (the
    ``north`` flag stands in when the atlas has none of :data:`kochu.sim.init.SLAVIC_UNITS`)."""
    from kochu.sim.init import SLAVIC_UNITS

    if any(u in SLAVIC_UNITS for u in units):
        return np.isin(units, SLAVIC_UNITS).astype(float)
    return (pd.to_numeric(atlas.places.loc[units, "north"]).fillna(0).to_numpy(float) > 0).astype(float)


def accounting_net(atlas, t0: int, t1: int, north_weight: float = 4.0,
                   measure: str = "de_facto") -> pd.DataFrame:
    """Net internal migration of each first-level unit over ``[t0, t1)`` (table by unit)."""
    units = list(atlas.level("oblast").index)
    p0 = atlas.population(t0, measure, "oblast").reindex(units).to_numpy(float)
    p1 = atlas.population(t1, measure, "oblast").reindex(units).to_numpy(float)
    years = range(t0, t1)
    frac = (np.arange(t1 - t0) + 0.5)[:, None] / (t1 - t0)
    pt = p0[None, :] * (p1 / p0)[None, :] ** frac  # mid-year populations
    cbr = _rates(atlas, units, years, "crude_birth_rate")
    cdr = _rates(atlas, units, years, "crude_death_rate")
    natural = ((cbr - cdr) / 1000.0 * pt).sum(axis=0)
    rate = national_net_rate()
    north = slavic_area(atlas, units)
    intl = np.zeros(len(units))
    for k, y in enumerate(years):
        w = pt[k] * (np.where(north > 0, north_weight, 1.0) if y < 2000 else 1.0)
        r = float(rate.loc[min(max(y, int(rate.index.min())), int(rate.index.max()))])
        intl += r * pt[k].sum() * w / w.sum()
    raw = (p1 - p0) - natural - intl
    share = pt.mean(axis=0) / pt.mean(axis=0).sum()
    residual = raw.sum() * share
    net = raw - residual
    sd = np.sqrt((CENSUS_SD * p0) ** 2 + (CENSUS_SD * p1) ** 2 + (NATURAL_SD * natural) ** 2
                 + (INTERNATIONAL_SD * intl) ** 2)
    names = atlas.places.loc[units, "name"].to_numpy()
    return pd.DataFrame({
        "unit": units, "name": names, "start": t0, "end": t1, "population_start": p0,
        "population_end": p1, "mean_population": pt.mean(axis=0), "natural_increase": natural,
        "international": intl, "residual": residual, "net_internal": net, "net_internal_sd": sd,
    })
