"""Registration (propiska): every move is registered or not; flows are kept twice.

Probability that a move to ``d`` is registered at the time of the move::

    p = registration_propensity(year) × factor(d) × registration multiplier(d)
    factor(d) = registration_big_city   (the capital, cities ≥ 150,000 in 1989: Bishkek, Osh)
              | registration_informal   (an informal settlement not (yet) legalised)
              | registration_big_city   (a legalised informal settlement)
              | registration_formal     (elsewhere)

clipped to [0, 1]; ``registration_propensity`` is the drivers' regime (1 while the propiska
was obligatory, 0.68 = the seed's "at least 32% unregistered" after); the multiplier is for
interventions. Families add ``registration_family_bonus`` (house buyers with remittance
savings twice that).

People living away from their registered place register later with the monthly hazard of
``late_registration_rate`` where that is possible (not in illegal settlements). A registered
move is counted from the old registered place to the new one — the way official statistics
record de-registration + registration; people who return to the place they are still
registered at need no registration.
"""

from __future__ import annotations

import numpy as np

from kochu.sim.decisions import Decisions, _monthly


def registration_tables(dec: Decisions, year: int, legal: np.ndarray, reg_mult: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(probability a move to d is registered, monthly late-registration hazard at d)."""
    p, w = dec.params, dec.world
    base = np.where(dec.big_city, p["registration_big_city"], p["registration_formal"])
    base = np.where(w.informal & (legal == 2), p["registration_informal"], base)
    base = np.where(w.informal & (legal != 2), p["registration_big_city"], base)
    pr = np.clip(dec.regime_at("registration_propensity", year) * base * reg_mult, 0.0, 1.0)
    late = np.where(w.informal & (legal == 2), 0.0, _monthly(np.full(w.n, p["late_registration_rate"])))
    return pr, late * np.clip(reg_mult, 0, None)
