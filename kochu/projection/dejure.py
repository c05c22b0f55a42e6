"""Registered (de jure) population from a projection: where people are registered, not where they are.

Official population estimates between censuses (the 2012 and 2015 figures) count *permanent*
residents from registration; people who moved without registering are still counted at the
place they left. In expectation, with true flows ``F[t, i, j]`` and registered flows
``R[t, i, j]`` (so the completeness of arrivals at ``j`` is ``R / F``), the stock ``U[i, j]`` of
people living in ``j`` but registered in ``i`` evolves as::

    U <- U * keep[j] * (1 - late) + (F[t] - R[t])
    keep[j] = 1 - (deaths[j] + outflow[j]) / population[j]     (they die or move on like others)

with ``late`` the yearly late-registration hazard (``1 - exp(-late_registration_rate)``);
everyone is registered where they live at the start (propiska, 1989). Then::

    registered population[i] = present[i] - sum_k U[k, i] + sum_j U[i, j]
"""

from __future__ import annotations

import numpy as np

from kochu.projection.model import ProjectionResult


def unregistered_stock(res: ProjectionResult, late_registration_rate: float = 0.0) -> np.ndarray:
    """``U[t, i, j]`` on 1 January of each projection year (T + 1, n, n)."""
    n = len(res.places)
    t_n = len(res.years) - 1
    out = np.zeros((t_n + 1, n, n))
    u = np.zeros((n, n))
    late = 1.0 - np.exp(-late_registration_rate)
    for k in range(t_n):
        pop = np.maximum(res.population[k], 1e-12)
        keep = np.clip(1.0 - (res.deaths[k] + res.outflow[k]) / pop, 0.0, 1.0)
        reg = np.nan_to_num(res.registered[k], nan=0.0)
        u = u * keep[None, :] * (1.0 - late) + np.maximum(res.flows[k] - reg, 0.0)
        out[k + 1] = u
    return out


def registered_population(res: ProjectionResult, late_registration_rate: float = 0.0) -> np.ndarray:
    """Registered (de jure) population by place on 1 January of each year (T + 1, n)."""
    u = unregistered_stock(res, late_registration_rate)
    return res.population - u.sum(axis=1) + u.sum(axis=2)


#: residents temporarily absent (mostly labour migrants abroad) at the 2009 census
#: (international_migration_1989_2015.csv: NSC via kloop.kg 2010, "330 thousand")
ABSENT_2009 = 330_000


def permanent_population(res: ProjectionResult, abroad_weights, abroad_index, late_registration_rate: float = 0.0,
                         hold_after: int | None = None) -> np.ndarray:
    """Permanent (de jure) population: registered residents + those temporarily abroad (T + 1, n).

    The national stock abroad is ``ABSENT_2009 × abroad_index(year)`` (the drivers' census- and
    remittance-based index, 2009 = 1; held after ``hold_after`` in backtests) and is shared among
    places with ``abroad_weights(year, present)`` (the simulation's labour-migration propensity
    × population). Those abroad are counted at home, as the statistics' permanent count does.
    """
    reg = registered_population(res, late_registration_rate)
    out = reg.copy()
    for k, year in enumerate(res.years):
        y = int(year) if hold_after is None else min(int(year), hold_after)
        w = np.asarray(abroad_weights(int(year), res.population[k]), dtype=float)
        total = w.sum()
        if total > 0:
            out[k] += ABSENT_2009 * float(abroad_index(y)) * w / total
    return out
