"""Dated events that displace people or change a place's status, resolved to atlas places.

``data/events.csv`` names the affected units (oblast, rayon or settlement names, ``|``
separated alternatives; ``rayon_rural`` = the rural settlements of a rayon, for village events) and :func:`build_events` resolves them to settlement ids of the given
atlas. Mine closures come from ``data/mining_closures.csv`` (one event per closed mine whose
town is in the atlas). Fields left empty in the source stay ``None`` — e.g. the share of the
Alai district displaced by the 2008 Nura earthquake is not known; a scenario may set it.

Events in the file: the April 2003 Sogot landslide (Uzgen district, >30 dead, village
abandoned), the April 2007 Jalal-Abad mudflows, the 5 Oct 2008 Nura earthquake (Alai,
M6.6), the June 2010 Osh/Jalal-Abad violence (≈400 k displaced: ≈300 k internally, fraction
0.1375 of the three units, and 75–100 k to Uzbekistan, kind ``refugees_abroad``, fraction 0.0401
— a temporary international displacement; most back within a month), the April 2012 mudflows, and the novostroiki legalisation
waves (1991 first wave; Kalys-Ordo 2003).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kochu.drivers.sources import norm_name, read


@dataclass(frozen=True)
class Event:
    """A dated event at some settlements.

    ``fraction``: share of the places' population displaced (None = not quantified);
    ``months_to_return``: typical months before the displaced return (None = permanent or not
    known); ``deaths``: reported deaths where known.
    """

    year: int
    month: int
    kind: str
    places: tuple[str, ...]
    fraction: float | None
    months_to_return: int | None
    source: str
    deaths: int | None = None


def _opt(v, cast):
    return None if pd.isna(v) else cast(v)


def _resolve(atlas, level: str, units: str) -> tuple[str, ...]:
    st = atlas.settlements
    keys = {norm_name(u) for u in units.split("|")}
    if level == "settlement":
        hit = [norm_name(n) in keys for n in st["name"]]
        return tuple(st.index[np.array(hit, dtype=bool)])
    if level in ("oblast", "rayon", "rayon_rural"):
        col = "oblast_id" if level == "oblast" else "rayon_id"
        lv = atlas.places[atlas.places["level"] == level.removesuffix("_rural")]
        ids = {pid for pid, name in lv["name"].items() if norm_name(name) in keys}
        hit = st[col].isin(ids).to_numpy()
        if level == "rayon_rural" and (hit & (st["kind"] == "rural").to_numpy()).any():
            hit = hit & (st["kind"] == "rural").to_numpy()  # a village event: the rayon's rural part
        return tuple(st.index[hit])
    if level == "rule" and units == "first_wave":
        founded = pd.to_numeric(st.get("founded"), errors="coerce")
        zone = pd.to_numeric(st.get("hazard_zone"), errors="coerce").fillna(0)
        ok = ((st["kind"] == "informal") & (founded <= 1991) & (zone == 0)
              & st["legal_status"].isin(["legal", "legalised"]))
        return tuple(st.index[ok.to_numpy()])
    raise ValueError(f"events.csv: unknown unit_level '{level}'")


def build_events(atlas, start: int, end: int, until: int | None = None) -> list[Event]:
    """Events dated within ``start..end`` resolved to the atlas's settlement ids (sorted by date).

    ``until`` (the information-set cut): events after that year are unknown then and dropped
    (a forecast made at ``until`` has no future violence, disasters or closures).
    """
    out: list[Event] = []
    for r in read("events.csv", until).itertuples(index=False):
        out.append(Event(int(r.year), int(r.month), str(r.kind), _resolve(atlas, r.unit_level, str(r.units)),
                         _opt(r.fraction, float), _opt(r.months_to_return, int), f"{r.status}: {r.source}",
                         _opt(r.deaths, int)))
    mines = read("mining_closures.csv", until)
    st = atlas.settlements
    names = np.array([norm_name(n) for n in st["name"]])
    for r in mines.itertuples(index=False):
        if pd.isna(r.closure_year):
            continue
        keys = {norm_name(x) for x in [r.name, *str(r.aliases).split("|")] if x and x != "nan"}
        ids = tuple(st.index[np.isin(names, list(keys))])
        if ids:
            out.append(Event(int(r.closure_year), 1, "mine_closure", ids, None, None, f"{r.status}: {r.source}"))
    out = [e for e in out if start <= e.year <= end]
    return sorted(out, key=lambda e: (e.year, e.month, e.kind, e.places))
