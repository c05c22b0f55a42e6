"""The static world of a run: the atlas's settlements as small numpy arrays.

Everything the kernels need about places that does not change during a run (except the
legal status of informal settlements, which :mod:`kochu.sim.housing` updates) is read once
from the atlas here, with one-line errors naming the atlas file and field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kochu.errors import AtlasError

#: first-level unit names of the CSV exports (DESIGN §4), in export order
OBLAST_ORDER = ("Batken", "Chuy", "Issyk-Kul", "Jalal-Abad", "Naryn", "Osh", "Talas", "Bishkek", "Osh city")

LEGAL = {"": 0, "legal": 0, "legalised": 1, "illegal": 2}
TOWN_TYPE_MINING = "mining"


@dataclass
class World:
    """Settlement arrays in atlas order (index = place number used by the kernels)."""

    ids: np.ndarray  # str ids
    names: np.ndarray
    unit: np.ndarray  # int16 first-level unit index of each place
    unit_ids: list[str]  # first-level place ids (atlas oblast rows), index = unit
    unit_names: list[str]
    rayon: np.ndarray  # int32 rayon index (same rayon = "move within the rayon")
    kind: np.ndarray  # str kind
    urban: np.ndarray  # int8
    north: np.ndarray  # int8
    elevation_m: np.ndarray  # float64
    admin_rank: np.ndarray  # int8
    town_type: np.ndarray  # str
    informal: np.ndarray  # bool
    hazard_zone: np.ndarray  # int8
    founded: np.ndarray  # int32 (0 = before 1989)
    legal: np.ndarray  # int8: 0 legal, 1 legalised, 2 illegal (informal settlements)
    capital: int  # index of the capital (kind 'capital')
    hours: np.ndarray  # float64 (n, n) travel time
    pop1989: np.ndarray  # int64 de facto 1989

    @property
    def n(self) -> int:
        """Number of places."""
        return len(self.ids)

    @property
    def mining(self) -> np.ndarray:
        """Mining towns (seed's typology)."""
        return self.town_type == TOWN_TYPE_MINING


def _col(df: pd.DataFrame, name: str, default: object = None) -> pd.Series:
    if name in df.columns:
        return df[name]
    if default is None:
        raise AtlasError(f"places.csv: column '{name}' missing (needed by the simulation)")
    return pd.Series(default, index=df.index)


def build_world(atlas: object, start_year: int = 1989) -> World:
    """Read the simulation's static arrays from an :class:`~kochu.atlas.Atlas`."""
    st = atlas.settlements  # type: ignore[attr-defined]
    if len(st) == 0:
        raise AtlasError("places.csv: no settlements (level 'settlement') to simulate")
    if len(st) > 32000:
        raise AtlasError(f"places.csv: {len(st)} settlements; the engine supports at most 32,000")
    places = atlas.places  # type: ignore[attr-defined]
    oblast_ids = st["oblast_id"].astype(str).to_numpy()
    unit_ids = [str(u) for u in pd.unique(oblast_ids)]
    unit_index = {u: i for i, u in enumerate(unit_ids)}
    unit_names = [str(places.loc[u, "name"]) for u in unit_ids]
    rayons = st["rayon_id"].fillna(st["oblast_id"]).astype(str).to_numpy()
    rayon_index = {r: i for i, r in enumerate(pd.unique(rayons))}
    kind = _col(st, "kind").fillna("").astype(str).to_numpy()
    caps = np.flatnonzero(kind == "capital")
    if len(caps) != 1:
        raise AtlasError(f"places.csv: expected exactly one settlement of kind 'capital', found {len(caps)}")
    legal_raw = _col(st, "legal_status", "").fillna("").astype(str)
    bad = sorted(set(legal_raw) - set(LEGAL))
    if bad:
        raise AtlasError(f"places.csv: legal_status '{bad[0]}': expected one of legal, legalised, illegal")
    try:
        pop = atlas.population(start_year, measure="de_facto", level="settlement")  # type: ignore[attr-defined]
    except AtlasError:
        raise
    hours = np.asarray(atlas.travel_hours(), dtype=np.float64)  # type: ignore[attr-defined]
    n = len(st)
    if hours.shape != (n, n):
        raise AtlasError(f"travel_hours(): expected a ({n}, {n}) matrix, got {hours.shape}")
    hours = np.where(np.isfinite(hours), hours, 1e3)
    founded = pd.to_numeric(_col(st, "founded", 0), errors="coerce").fillna(0).astype(np.int32).to_numpy()
    return World(
        ids=st.index.to_numpy().astype(str),
        names=st["name"].astype(str).to_numpy(),
        unit=np.array([unit_index[u] for u in oblast_ids], dtype=np.int16),
        unit_ids=unit_ids,
        unit_names=unit_names,
        rayon=np.array([rayon_index[r] for r in rayons], dtype=np.int32),
        kind=kind,
        urban=pd.to_numeric(_col(st, "urban", 0), errors="coerce").fillna(0).astype(np.int8).to_numpy(),
        north=pd.to_numeric(_col(st, "north", 0), errors="coerce").fillna(0).astype(np.int8).to_numpy(),
        elevation_m=pd.to_numeric(_col(st, "elevation_m"), errors="coerce").fillna(0.0).to_numpy(np.float64),
        admin_rank=pd.to_numeric(_col(st, "admin_rank", 4), errors="coerce").fillna(4).astype(np.int8).to_numpy(),
        town_type=_col(st, "town_type", "").fillna("").astype(str).to_numpy(),
        informal=kind == "informal",
        hazard_zone=pd.to_numeric(_col(st, "hazard_zone", 0), errors="coerce").fillna(0).astype(np.int8).to_numpy(),
        founded=founded,
        legal=np.array([LEGAL[v] for v in legal_raw], dtype=np.int8),
        capital=int(caps[0]),
        hours=hours,
        pop1989=pop.to_numpy(np.int64),
    )
