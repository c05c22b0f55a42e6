"""Settlement facts the panel needs from the atlas: oblast, capital, centres, travel hours.

Travel hours come from ``atlas.travel_hours()``. If the atlas has no road model yet
(``ImportError``/``NotImplementedError``) or a pair is unreachable (non-finite), the hours of
that pair are estimated from the straight-line distance at the pace of the Bishkek–Osh road:
11.5 h (11–12 h by shared taxi, 2011/2014, shared notes/roads-drivers.md §1d) for the
≈300 km great-circle distance between the two cities (coordinates in shared towns.csv), i.e.
11.5 / 300.9 h per straight-line km. The source text says when this fallback was used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kochu.errors import KochuError

_BISHKEK = (42.87, 74.59)
_OSH = (40.52828, 72.7985)
_HOURS_BISHKEK_OSH = 11.5


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(a))


HOURS_PER_STRAIGHT_KM = _HOURS_BISHKEK_OSH / float(haversine_km(*_BISHKEK, *_OSH))


@dataclass(frozen=True)
class PlaceFacts:
    """Per-settlement facts in ``atlas.settlements`` order."""

    table: pd.DataFrame  # atlas.settlements
    oblast: np.ndarray  # first-level name per settlement
    oblasts: pd.DataFrame  # oblast-level places (index id, column name)
    hours: np.ndarray  # (n, n) travel hours
    hours_source: str
    capital: int  # position of the capital settlement
    centre: np.ndarray  # position of each settlement's oblast centre
    pop2009: np.ndarray  # weights (1.0 each where the atlas has no 2009 population)
    wholly_urban: np.ndarray  # settlement lies in a unit whose settlements are all urban


def _hours(atlas, st: pd.DataFrame) -> tuple[np.ndarray, str]:
    lat, lon = st["lat"].to_numpy(float), st["lon"].to_numpy(float)
    straight = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) * HOURS_PER_STRAIGHT_KM
    fallback = (f"straight-line km x {HOURS_PER_STRAIGHT_KM:.4f} h/km (Bishkek-Osh road pace: 11.5 h, "
                "shared notes/roads-drivers.md §1d)")
    try:
        hours = np.asarray(atlas.travel_hours(), dtype=float)
    except (ImportError, NotImplementedError) as exc:
        return straight, f"atlas.travel_hours() unavailable ({exc.__class__.__name__}); {fallback}"
    n = len(st)
    if hours.shape != (n, n):
        raise KochuError(f"atlas.travel_hours(): shape {hours.shape}, expected ({n}, {n}) (one row per settlement)")
    bad = ~np.isfinite(hours)
    text = "atlas.travel_hours() (shortest paths over the atlas road graph)"
    if bad.any():
        hours = np.where(bad, straight, hours)
        text += f"; {int(bad.sum())} unreachable pairs filled with {fallback}"
    return hours, text


def place_facts(atlas, until: int | None = None) -> PlaceFacts:
    """Collect what the panel needs about the atlas's settlements.

    Weights are 2009 census populations, or with ``until`` < 2009 (the information-set cut)
    those of the 1999 census (1989 before it).
    """
    st = atlas.settlements
    if len(st) == 0:
        raise KochuError("atlas has no settlements (places.csv rows with level 'settlement')")
    oblasts = atlas.places[atlas.places["level"] == "oblast"]
    oblast = st["oblast"].astype(str).to_numpy()
    year = 2009 if until is None or until >= 2009 else (1999 if until >= 1999 else 1989)
    try:
        pop = atlas.population(year, level="settlement").reindex(st.index).to_numpy(float)
        pop = np.where(np.isfinite(pop) & (pop > 0), pop, 1.0)
    except KochuError:
        pop = np.ones(len(st))
    hours, text = _hours(atlas, st)
    rank = st["admin_rank"].to_numpy(float)
    kind = st["kind"].astype(str).to_numpy()
    cap = np.flatnonzero(kind == "capital")
    capital = int(cap[0]) if len(cap) else int(np.lexsort((-pop, rank))[0])
    centre = np.empty(len(st), dtype=int)
    for ob in np.unique(oblast):
        members = np.flatnonzero(oblast == ob)
        best = members[np.lexsort((-pop[members], rank[members]))[0]]
        centre[members] = best
    urban = st["urban"].to_numpy(float)
    wholly = np.zeros(len(st), dtype=bool)
    for ob in np.unique(oblast):
        members = oblast == ob
        non_informal = members & (kind != "informal")
        wholly[members] = bool(np.all(urban[non_informal] == 1)) if non_informal.any() else True
    return PlaceFacts(st, oblast, oblasts, hours, text, capital, centre, pop, wholly)
