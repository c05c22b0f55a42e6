"""The ONE coupling between the projection and the simulation: migration rules as arrays.

The projection applies internal migration as yearly probabilities
``probs[g, i, j]`` (age group ``g``, origin ``i``, destination ``j``, rows sum to 1) and a
registration completeness by destination. This module turns the simulation's behaviour
parameters (:class:`kochu.sim.params.Params`, same names, same meaning) into those arrays:

* **move rate** of a person aged ``a`` at origin ``i`` in year ``t`` (per year)::

      m = move_rate_individual * regime(t) * age(a) * push_i(t)
      regime(t) = (1 - propiska_move_reduction * mobility_control(t))
                  * (1 + great_migration_amplitude * family_move_share(t)
                         * move_rate_family * household_size / move_rate_individual)
      age(a)    = Rogers-Castro schedule peaking at ``age_peak`` (mean 1 over the population)
      push_i(t) = exp(-push_strength * z_i) * (1 + rural_crisis_push [rural, t >= 1992])
                  * (1 + mining_push [mining town, 1992-2000])

  with ``mobility_control`` and ``family_move_share`` from the drivers' regime table
  (:func:`kochu.drivers.regimes.build_regimes`), ``z_i`` the standardised attractiveness of ``i`` itself; the yearly probability of
  moving is ``1 - exp(-m)``;
* **destination choice** (multinomial logit over ``j != i``)::

      V_ij = beta_size log P_j + beta_capital [j capital] + beta_same_oblast [same unit]
             + beta_valley (elev_i - elev_j) / 1000 - c * hours_ij

  mixing ``c = travel_cost_rich`` (share ``higher_education_share``) and
  ``c = travel_cost_poor`` (the rest);
* **registration completeness** by destination: ``registration_soviet`` to 1991, then
  ``registration_big_city`` in the capital and cities of republican significance,
  ``registration_informal`` in informal settlements, ``registration_formal`` elsewhere.

Once ``kochu/sim/decisions.py`` publishes its destination-choice function, :func:`migration_model`
is the place to call it instead (nothing else in the projection changes).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from kochu.projection.inputs import rogers_castro, single_year_structure
from kochu.projection.model import N_AGES, Migration

#: migration age groups: 0-4, 5-9, …, 80+ (17 groups)
GROUP_OF_AGE = np.minimum(np.arange(N_AGES) // 5, 16)
N_GROUPS = 17


def default_params() -> dict[str, float]:
    """The simulation's current defaults (``kochu.sim.params``)."""
    from kochu.sim.params import Params

    return Params().to_dict()


def _haversine_hours(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    d = np.sin((la[:, None] - la[None, :]) / 2) ** 2 + np.cos(la[:, None]) * np.cos(la[None, :]) * np.sin(
        (lo[:, None] - lo[None, :]) / 2) ** 2
    km = 2 * 6371.0 * np.arcsin(np.sqrt(d)) * 1.3  # road detour factor
    return km / 50.0


class PlaceFacts:
    """Static facts about the projection's places that the migration rules use."""

    def __init__(self, atlas, places: list[str]) -> None:
        info = atlas.places.loc[places]
        self.n = len(places)
        self.unit = info["oblast_id"].fillna("").astype(str).to_numpy()
        kind = info["kind"].fillna("").astype(str).to_numpy() if "kind" in info else np.array([""] * self.n)
        self.capital = (kind == "capital").astype(float)
        self.informal = kind == "informal"
        rank = info["admin_rank"].fillna(4).to_numpy(float) if "admin_rank" in info else np.full(self.n, 4.0)
        self.big_city = (rank <= 1) & ~self.informal
        self.rural = (info["urban"].fillna(1).to_numpy(float) == 0) if "urban" in info else np.zeros(self.n, bool)
        tt = info["town_type"].fillna("").astype(str).to_numpy() if "town_type" in info else np.array([""] * self.n)
        self.mining = tt == "mining"
        self.elev = info["elevation_m"].fillna(info["elevation_m"].mean()).to_numpy(float) \
            if "elevation_m" in info and info["elevation_m"].notna().any() else np.zeros(self.n)
        self.hours = self._hours(atlas, info, places)
        self.age_mult = None

    @staticmethod
    def _hours(atlas, info, places: list[str]) -> np.ndarray:
        if (atlas.places.loc[places, "level"] == "settlement").all():
            try:
                h = np.asarray(atlas.travel_hours(), dtype=float)
                order = atlas.settlements.index.get_indexer(places)
                h = h[np.ix_(order, order)]
                return np.where(np.isfinite(h), h, 1e3)
            except Exception:  # noqa: BLE001 — travel graph not available: great-circle fallback
                pass
        lat, lon = info["lat"].to_numpy(float), info["lon"].to_numpy(float)
        if np.isnan(lat).any() or np.isnan(lon).any():
            return np.full((len(places), len(places)), 5.0)
        return _haversine_hours(lat, lon)


class UtilityMigration:
    """Callable ``(year, pop) -> Migration`` implementing the rules of the module docstring."""

    def __init__(self, atlas, places: list[str], params: Mapping[str, float] | None = None,
                 age_structure_year: int = 1990) -> None:
        self.p = dict(default_params())
        self.p.update(params or {})
        self.facts = PlaceFacts(atlas, places)
        rc = rogers_castro(self.p["age_peak"] - 21.0)
        w = single_year_structure(atlas.age_structure, age_structure_year).sum(axis=0)
        rc = rc / (rc @ w)
        gsum = np.bincount(GROUP_OF_AGE, weights=rc * w, minlength=N_GROUPS)
        gw = np.bincount(GROUP_OF_AGE, weights=w, minlength=N_GROUPS)
        self.group_mult = gsum / np.where(gw > 0, gw, 1.0)
        from kochu.drivers.regimes import build_regimes

        self.regimes = build_regimes(1989, 2100)[0]

    def regime(self, year: int) -> float:
        """Intensity of internal mobility relative to the 1999-2009 plateau."""
        p = self.p
        y = min(max(year, int(self.regimes.index.min())), int(self.regimes.index.max()))
        row = self.regimes.loc[y]
        family = p["great_migration_amplitude"] * p["move_rate_family"] * p["household_size"] / max(
            p["move_rate_individual"], 1e-12)
        return (1.0 - p["propiska_move_reduction"] * row["mobility_control"]) * (
            1.0 + family * row["family_move_share"])

    def destination_probs(self, year: int, sizes: np.ndarray) -> np.ndarray:
        """``q[i, j]``: where a mover from ``i`` goes (diagonal zero, rows sum to 1)."""
        p, f = self.p, self.facts
        same = (f.unit[:, None] == f.unit[None, :]).astype(float)
        base = (p["beta_size"] * np.log(np.maximum(sizes, 1.0))[None, :] + p["beta_capital"] * f.capital[None, :]
                + p["beta_same_oblast"] * same + p["beta_valley"] * (f.elev[:, None] - f.elev[None, :]) / 1000.0)
        share_rich = p["higher_education_share"]
        q = np.zeros((f.n, f.n))
        for cost, w in ((p["travel_cost_poor"], 1 - share_rich), (p["travel_cost_rich"], share_rich)):
            v = base - cost * f.hours
            np.fill_diagonal(v, -np.inf)
            v = v - v.max(axis=1, keepdims=True)
            e = np.exp(v)
            q += w * e / e.sum(axis=1, keepdims=True)
        return q

    def out_rate(self, year: int, sizes: np.ndarray) -> np.ndarray:
        """Yearly move hazard of an average-age person by origin."""
        p, f = self.p, self.facts
        attr = p["beta_size"] * np.log(np.maximum(sizes, 1.0)) + p["beta_capital"] * f.capital
        z = (attr - attr.mean()) / (attr.std() or 1.0)
        push = np.exp(-p["push_strength"] * z)
        if year >= 1992:
            push = push * (1 + p["rural_crisis_push"] * f.rural)
        if 1992 <= year <= 2000:
            push = push * (1 + p["mining_push"] * f.mining)
        return p["move_rate_individual"] * self.regime(year) * push

    def completeness(self, year: int) -> np.ndarray:
        """Share of arrivals at each destination that are registered."""
        p, f = self.p, self.facts
        if year < 1992:
            return np.full(f.n, p["registration_soviet"])
        c = np.where(f.big_city, p["registration_big_city"], p["registration_formal"])
        return np.where(f.informal, p["registration_informal"], c)

    def __call__(self, year: int, pop: np.ndarray) -> Migration:
        sizes = pop.sum(axis=(0, 1))
        q = self.destination_probs(year, sizes)
        rate = self.out_rate(year, sizes)
        leave = 1.0 - np.exp(-self.group_mult[:, None] * rate[None, :])  # (G, n)
        probs = leave[:, :, None] * q[None, :, :]
        idx = np.arange(self.facts.n)
        probs[:, idx, idx] = 1.0 - leave
        return Migration(groups=GROUP_OF_AGE, probs=probs, completeness=self.completeness(year))


def migration_model(atlas, places: list[str], params: Mapping[str, float] | None = None) -> UtilityMigration:
    """The projection's migration rules for ``places`` under simulation parameters ``params``."""
    return UtilityMigration(atlas, places, params)
