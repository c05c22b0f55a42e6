"""The one module that knows how interventions reach the simulation and the drivers.

Interventions (:mod:`kochu.scenarios.interventions`) call only the functions here; each one
translates a policy lever into the simulation's documented hooks (``kochu.sim.Sim``'s class
docstring) or into a change of the push–pull drivers (``Drivers.modified``). When the
simulation's API changes, this file is the only one to update.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from kochu.errors import ScenarioError
from kochu.indicators.common import flag


def _hook(sim: Any, name: str) -> Any:
    fn = getattr(sim, name, None)
    if fn is None:
        raise ScenarioError(
            f"the simulation has no hook '{name}' (needed by this scenario's interventions)"
        )
    return fn


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
    sim: Any, ids: list[str], *, border: bool = False, rural: bool = False
) -> list[str]:
    """Settlement ids under ``ids`` (empty = the whole country), optionally only border
    settlements or only rural ones (``urban == 0``), in atlas order."""
    places = sim.atlas.places
    s = sim.atlas.settlements
    mask = pd.Series(True, index=s.index)
    if ids:
        keep: set[str] = set()
        for pid in ids:
            keep.update(descendants(places, pid))
        mask &= s.index.isin(keep)
    if border:
        mask &= flag(s["border"]) == 1
    if rural:
        mask &= flag(s["urban"]) == 0
    return list(s.index[mask])


def add_jobs(sim: Any, places: list[str], jobs_each: float) -> None:
    """``jobs_each`` more (or fewer) jobs at each settlement, from this month on."""
    _hook(sim, "add_jobs")(places, jobs_each)


def scale_travel_cost(sim: Any, routes: list[list[str]], factor: float) -> None:
    """Travel cost between each pair of ``routes`` (both directions) × ``factor``."""
    _hook(sim, "scale_travel_cost")(routes, factor)


def scale_registration(
    sim: Any, places: list[str], completeness_factor: float, cost_factor: float
) -> None:
    """Registration probability (× ``completeness_factor``, capped at 1) and propiska cost
    (× ``cost_factor``) at destinations ``places`` (empty = everywhere)."""
    _hook(sim, "scale_registration")(places, completeness_factor, cost_factor)


def legalise(sim: Any, places: list[str], services: bool) -> None:
    """Informal settlements ``places`` become ``legalised`` (with services if ``services``)."""
    _hook(sim, "legalise")(places, services)


def displace(sim: Any, places: list[str], share: float, reason: str) -> None:
    """``share`` of the residents of ``places`` must move this month (a hazard event)."""
    _hook(sim, "displace")(places, share, reason)


def add_hazard(sim: Any, places: list[str], delta: float) -> None:
    """The hazard push at ``places`` rises by ``delta`` (0..1 of the hazard scale)."""
    _hook(sim, "add_hazard")(places, delta)


def scale_income(sim: Any, places: list[str], factor: float) -> None:
    """Incomes (the jobs/wage pull) at ``places`` × ``factor``."""
    _hook(sim, "scale_income")(places, factor)


def add_housing(sim: Any, places: list[str], people_each: float) -> None:
    """Formal housing capacity for ``people_each`` more people at each of ``places``."""
    _hook(sim, "add_housing")(places, people_each)
