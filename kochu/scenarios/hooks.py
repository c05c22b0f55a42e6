"""The one module that knows how interventions reach the simulation.

Interventions (:mod:`kochu.scenarios.interventions`) call only the functions here. Each one
writes a hook documented in ``kochu.sim.Sim``'s class docstring:

| function | Sim hook |
|---|---|
| :func:`add_utility` | ``sim.pull_adjust[place]`` — utility added to a place (pull, and less push) |
| :func:`scale_moves` | ``sim.move_multiplier[place]`` — out-move hazards from a place |
| :func:`scale_travel` | ``sim.travel_multiplier`` — travel hours between pairs of places |
| :func:`scale_registration` | ``sim.registration_multiplier[place]`` |
| :func:`add_capital_housing` | ``sim.capital_housing_extra`` (people, at run scale) |
| :func:`legalise` | ``sim.housing.legal[place]`` (0 legal, 1 legalised, 2 illegal) |
| :func:`displace` | ``sim.request_displacement(places, fraction, months)`` |

and reads the drivers (``sim.drivers``: push–pull components in standard deviations of the
2009 cross-section of settlements, ``kochu.drivers``) and the parameters (``sim.params``:
``beta_<component>`` utilities per standard deviation). When the simulation's API changes,
this file is the only one to update.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from kochu.errors import ScenarioError
from kochu.indicators.common import flag

#: |change| of a driver component an intervention may cause, in standard deviations (the
#: range of z-scores; beyond it the utility model is extrapolating)
MAX_SD = 3.0


def sim_month(sim: Any) -> int:
    """Months since January 1989 of the simulation's current step (``sim.year``, ``sim.month``)."""
    return (int(sim.year) - 1989) * 12 + int(sim.month) - 1


def indices(sim: Any, places: list[str]) -> np.ndarray:
    """Place numbers of settlement ids (empty list = every place)."""
    if not places:
        return np.arange(len(sim.pull_adjust))
    return np.array([sim.place_index(p) for p in places], dtype=np.int64)


def descendants(places: pd.DataFrame, pid: str) -> list[str]:
    """``pid`` and every place below it in the hierarchy (ids)."""
    children = places.groupby("parent").groups if len(places) else {}
    out, todo = [], [pid]
    while todo:
        cur = todo.pop()
        out.append(cur)
        todo.extend(children.get(cur, []))
    return out


def settlements_under(
    atlas: Any, ids: list[str], *, border: bool = False, rural: bool = False
) -> list[str]:
    """Settlement ids under ``ids`` (empty = the whole country), optionally only border
    settlements or only rural ones (kind ``rural``: a rayon's rural remainder, as the
    simulation's rural crisis push uses), in atlas order."""
    s = atlas.settlements
    mask = pd.Series(True, index=s.index)
    if ids:
        keep: set[str] = set()
        for pid in ids:
            keep.update(descendants(atlas.places, pid))
        mask &= s.index.isin(keep)
    if border:
        mask &= flag(s["border"]) == 1
    if rural:
        mask &= s["kind"] == "rural"
    return list(s.index[mask])


def beta(sim: Any, component: str) -> float:
    """Utility per standard deviation of a driver component (``beta_<component>``)."""
    key = f"beta_{component}"
    return float(sim.params[key if key in set(sim.params) else "beta_other"])


def component(sim: Any, name: str, year: int) -> np.ndarray:
    """Driver component ``name`` in ``year`` by place (zeros if the drivers lack it)."""
    pull = getattr(sim.drivers, "pull", {})
    if name not in pull:
        return np.zeros(len(sim.pull_adjust))
    years = np.asarray(sim.drivers.years)
    row = int(np.clip(year - years[0], 0, len(years) - 1))
    return np.nan_to_num(np.asarray(pull[name][row], dtype=np.float64))


def sd_per_job(sim: Any, places: list[str]) -> np.ndarray:
    """Change of the ``jobs`` component (standard deviations) per job at each place.

    One job per resident (2009 de facto population of the atlas) counts as one unit of
    employment rate; divided by the 2009 cross-settlement standard deviation of the drivers'
    raw ``employment`` indicator (without it: jobs per resident as is). Callers cap the
    result at ±:data:`MAX_SD`.
    """
    pop = sim.atlas.population(2009).reindex(places).to_numpy(dtype=np.float64)
    raw = getattr(sim.drivers, "raw", {}).get("employment")
    sd = 1.0
    if raw is not None:
        years = np.asarray(sim.drivers.years)
        row = np.asarray(raw)[int(np.clip(2009 - years[0], 0, len(years) - 1))]
        sd = float(np.nanstd(row)) or 1.0
    return 1.0 / (np.maximum(pop, 1.0) * sd)


def add_utility(sim: Any, places: list[str], utility: float | np.ndarray) -> None:
    """``sim.pull_adjust[places] += utility`` (a destination's pull; the origin push falls)."""
    sim.pull_adjust[indices(sim, places)] += utility


def scale_moves(sim: Any, places: list[str], factor: float | np.ndarray) -> None:
    """``sim.move_multiplier[places] *= factor`` (out-move hazards from those places)."""
    sim.move_multiplier[indices(sim, places)] *= factor


def scale_travel(sim: Any, routes: list[list[str]], factor: float) -> None:
    """Travel hours between each pair of ``routes`` (both directions) × ``factor``."""
    if np.isscalar(sim.travel_multiplier):
        n = len(sim.pull_adjust)
        sim.travel_multiplier = np.full((n, n), float(sim.travel_multiplier))
    for a, b in routes:
        i, j = sim.place_index(a), sim.place_index(b)
        sim.travel_multiplier[i, j] *= factor
        sim.travel_multiplier[j, i] *= factor


def scale_registration(sim: Any, places: list[str], factor: float) -> None:
    """Registration probability at destinations ``places`` (empty = all) × ``factor``."""
    sim.registration_multiplier[indices(sim, places)] *= factor


def legalise(sim: Any, places: list[str]) -> None:
    """Informal settlements ``places`` become legalised (registration as in a city)."""
    sim.housing.legal[indices(sim, places)] = 1


def displace(sim: Any, places: list[str], share: float, return_months: float | None) -> None:
    """``share`` of the households of ``places`` leave at the next decision phase."""
    months = float(sim.params["displacement_return_months"]) if return_months is None else return_months
    sim.request_displacement(list(places), float(share), months)


def add_capital_housing(sim: Any, people: float) -> None:
    """Formal housing in the capital for ``people`` more (national scale → run scale)."""
    sim.capital_housing_extra += people * float(sim.scale)


def farm_regime(sim: Any, year: int) -> float:
    """The drivers' ``farm_subsidy`` regime in ``year`` (1 = Soviet-era support, 0 = none)."""
    return float(sim.dec.regime_at("farm_subsidy", year))


def rural_push(sim: Any, farm: float) -> float:
    """The simulation's rural out-move multiplier under farm support ``farm``
    (``1 + rural_crisis_push × (1 − farm)``, kochu.sim.decisions)."""
    return 1.0 + float(sim.params["rural_crisis_push"]) * (1.0 - farm)


def require(sim: Any, *names: str) -> None:
    """Fail with one line if the simulation lacks a hook an intervention needs."""
    for name in names:
        if not hasattr(sim, name):
            raise ScenarioError(f"the simulation has no hook '{name}' (needed by this scenario)")
