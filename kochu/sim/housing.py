"""Housing in the capital: formal capacity vs demand; informal settlements (novostroiki).

* Formal capacity of the capital ``K(year) = K₀ × housing_supply_capital(year) + extra`` with
  ``K₀ = (1 + capital_housing_slack) × present population at the start`` and the drivers'
  index ``housing_supply_capital`` (1989 = 1); ``extra`` is for interventions
  (``sim.capital_housing_extra``, people at run scale).
* Each month the room left, ``max(0, K − present in the capital)``, is shared among the month's
  arrivals to the capital; those who find none settle in an **informal settlement** (atlas
  places of kind ``informal``) that exists by then (``founded`` ≤ year), chosen with weights
  ``present + seed`` (existing settlements attract newcomers; a newly founded one starts
  from the seed weight).
* **Legalisation** (January): every illegal settlement outside a hazard zone and at least
  ``informal_legalisation_min_age`` years old is legalised with probability
  ``informal_legalisation_rate`` per year (a counter-based draw per place and year), and all
  eligible ones in a year where the drivers' ``legalisation`` regime is 1 (dated waves).
  **Hazard-zone settlements are never legalised** (seed: Ak-Jar, Altyn-Kazyk, TEC-2).
  Every informal settlement starts the run illegal (a squat); the atlas's ``legal_status``
  is today's outcome, which the run should reproduce rather than copy.
"""

from __future__ import annotations

import numpy as np

from kochu.sim.params import Params
from kochu.sim.rng import uniforms
from kochu.sim.world import World


class Housing:
    """Capital capacity, informal-settlement choice and legalisation."""

    def __init__(self, world: World, params: Params, pop0_capital: float, start: int, scale: float) -> None:
        self.world, self.params, self.start = world, params, start
        self.k0 = (1.0 + params["capital_housing_slack"]) * pop0_capital
        self.seed_weight = max(1.0, 2000.0 * scale)
        self.legal = np.where(world.informal, 2, 0).astype(np.int8)
        self.founded_year = np.where(world.founded > 0, world.founded, start)

    def capacity(self, supply_index: float, extra: float) -> float:
        """Formal capacity of the capital (people at run scale)."""
        return self.k0 * supply_index + extra

    def informal_table(self, year: int, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ids, cdf) of the informal settlements open in ``year``."""
        w = self.world
        open_ = w.informal & ((w.founded == 0) | (w.founded <= year))
        ids = np.flatnonzero(open_).astype(np.int16)
        if len(ids) == 0:
            return np.zeros(1, np.int16), np.ones(1)
        wt = present[ids].astype(np.float64) + self.seed_weight
        cdf = np.cumsum(wt) / wt.sum()
        cdf[-1] = 1.0 + 1e-9
        return ids, cdf

    def legalise(self, seed: int, year: int, wave: bool) -> list[int]:
        """January legalisation; returns the places legalised this year."""
        w, p = self.world, self.params
        eligible = w.informal & (self.legal == 2) & (w.hazard_zone == 0) & (self.founded_year <= year)
        aged = year - self.founded_year >= p["informal_legalisation_min_age"]
        u = uniforms(seed, "legalisation", year, np.arange(w.n))
        prob = 1.0 - np.exp(-p["informal_legalisation_rate"])
        hit = eligible & ((aged & (u < prob)) | wave)
        self.legal[hit] = 1
        return [int(i) for i in np.flatnonzero(hit)]
