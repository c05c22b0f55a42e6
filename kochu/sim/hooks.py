"""Policy levers of :class:`~kochu.sim.Sim` that interventions call (``kochu.scenarios.hooks``).

Each lever changes only the documented intervention attributes of the simulation
(``pull_adjust``, ``move_multiplier``, ``travel_multiplier``, ``registration_multiplier``,
``late_registration_multiplier``, ``capital_housing_extra``, ``housing.legal``, displacement
requests). Effects are additive/multiplicative so that calling a lever with the inverse
argument (at the end of an intervention's window) undoes it. Conversions from policy units
to utility are documented per method (assumptions, to be calibrated).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: s.d. across places of jobs per resident used to turn added jobs into utility (assumption)
JOBS_SD = 0.05
#: s.d. across places of log income used to turn an income factor into utility (assumption)
LOG_INCOME_SD = 0.3
#: hazard scale: an increase of 1 (0..1 scale) = this many s.d. of the hazard component
HAZARD_SD_PER_UNIT = 2.0


class SimHooks:
    """Mixin with the policy levers (needs ``world``, ``params``, ``place_index``)."""

    def _idx(self, places: Sequence[str]) -> np.ndarray:
        return np.array([self.place_index(p) for p in places], dtype=np.int64)  # type: ignore[attr-defined]

    def add_jobs(self, places: Sequence[str], jobs_each: float) -> None:
        """Jobs at places → utility ``beta_jobs × jobs / (population × JOBS_SD)``."""
        idx = self._idx(places)
        pop = np.maximum(self._present[idx] / self.scale, 1.0)  # type: ignore[attr-defined]
        self.pull_adjust[idx] += self.params["beta_jobs"] * float(jobs_each) / (pop * JOBS_SD)  # type: ignore[attr-defined]

    def scale_travel_cost(self, routes: Sequence[Sequence[str]], factor: float) -> None:
        """Travel hours between each pair of a route (both ways) × ``factor``."""
        n = self.world.n  # type: ignore[attr-defined]
        if np.isscalar(self.travel_multiplier):  # type: ignore[attr-defined]
            self.travel_multiplier = np.full((n, n), float(self.travel_multiplier))  # type: ignore[attr-defined]
        for route in routes:
            idx = self._idx(route)
            for a in idx:
                for b in idx:
                    if a != b:
                        self.travel_multiplier[a, b] *= float(factor)  # type: ignore[attr-defined]

    def scale_registration(self, places: Sequence[str], completeness_factor: float, cost_factor: float) -> None:
        """Registration probability × ``completeness_factor``; late registration ÷ ``cost_factor``."""
        idx = self._idx(places) if len(places) else np.arange(self.world.n)  # type: ignore[attr-defined]
        self.registration_multiplier[idx] *= float(completeness_factor)  # type: ignore[attr-defined]
        self.late_registration_multiplier[idx] /= max(float(cost_factor), 1e-9)  # type: ignore[attr-defined]

    def legalise(self, places: Sequence[str], services: bool) -> None:
        """Informal settlements become legalised; with services their pull rises by ``beta_health``."""
        idx = self._idx(places)
        self.housing.legal[idx] = np.where(self.world.informal[idx], 1, self.housing.legal[idx])  # type: ignore[attr-defined]
        if services:
            self.pull_adjust[idx] += self.params["beta_health"]  # type: ignore[attr-defined]

    def displace(self, places: Sequence[str], share: float, reason: str = "") -> None:
        """``share`` of the households of ``places`` displaced this month (return after
        ``displacement_return_months`` on average)."""
        self.request_displacement(list(places), float(share), self.params["displacement_return_months"])  # type: ignore[attr-defined]

    def add_hazard(self, places: Sequence[str], delta: float) -> None:
        """Hazard at places + ``delta`` (0..1 scale) → utility ``beta_hazard × HAZARD_SD_PER_UNIT × delta``."""
        idx = self._idx(places)
        self.pull_adjust[idx] += self.params["beta_hazard"] * HAZARD_SD_PER_UNIT * float(delta)  # type: ignore[attr-defined]

    def scale_income(self, places: Sequence[str], factor: float) -> None:
        """Incomes × ``factor`` → utility ``beta_income × log(factor) / LOG_INCOME_SD``."""
        idx = self._idx(places)
        self.pull_adjust[idx] += self.params["beta_income"] * np.log(max(float(factor), 1e-9)) / LOG_INCOME_SD  # type: ignore[attr-defined]

    def add_housing(self, places: Sequence[str], people_each: float) -> None:
        """Formal housing for ``people_each`` people: in the capital (or its informal
        settlements) it adds to the capital's formal capacity; elsewhere, where the engine
        has no housing constraint, it acts like jobs for the same number of people."""
        idx = self._idx(places)
        w = self.world  # type: ignore[attr-defined]
        for i in idx:
            if i == w.capital or w.informal[i]:
                self.capital_housing_extra += float(people_each) * self.scale  # type: ignore[attr-defined]
            else:
                self.add_jobs([w.ids[i]], people_each)
