"""Travel costs between settlements: shortest road distance (km) and fastest time (hours).

The road graph is the atlas's ``road_nodes.csv`` / ``roads.csv`` (undirected edges with
sourced lengths). Settlements join the graph as extra vertices:

* a settlement that a node stands for (``road_nodes.place == settlement id``) *is* that node;
* any other settlement is linked to its ``N_CONNECT`` nearest road nodes (nodes with ids
  starting ``x_`` — outside the country — are not used) by a **local road** of length
  great-circle distance × ``DETOUR``;
* settlements are also linked to their ``LOCAL_LINKS`` nearest other settlements within
  ``LOCAL_MAX_KM`` by local roads (same length rule), so that two neighbouring villages far
  from any main road are not routed through a distant node.

A local link is only made where the straight line does not cross a ridge: the GEBCO profile
along it (``PROFILE_SAMPLES`` points) may not rise more than ``RIDGE_M`` above the higher end.
If none of a settlement's candidate nodes is clear, its ``N_CONNECT`` nearest nodes are used
regardless (every settlement reaches the graph).

Parameters (units and sources; see also GEOGRAPHY_SOURCES.md):

* ``DETOUR = 1.3`` — median road km / straight-line km over the 18 main-road segments of the
  atlas with published end points and lengths (1.32; valley roads 1.21, mountain roads 1.59;
  ``tools/build_roads.py`` prints them).
* Speeds (km/h), calibrated on the published ≤ 2015 travel times in
  ``../shared/data/notes/roads-drivers.md`` §1d: ``valley`` 80 (Bishkek–Karakol 404 km, all
  valley class, "≈ 5 h by car", 2011); ``mountain`` 45 (then Bishkek–Osh, 482 valley km +
  193 mountain km + 2 passes, lands at 11.3 h for the published 11–12 h, 2011/2014);
  ``unpaved`` 38 (Naryn–Kazarman gravel 200 km in 4.5–6 h, 2011); ``local`` 38 (local roads
  were mostly gravel/earth: 11,582 of 18,810 km public roads, MoTC c. 2010).
* An edge is ``mountain`` when its summit ``max_elevation_m`` ≥ ``MOUNTAIN_SUMMIT_M`` (2,500 m)
  or its mean grade from the lower end to the summit is ≥ 10 m per km (1 %): the atlas's pass
  roads climb 13–43 m/km, its valley roads ≤ 6 m/km. ``paved`` = no → unpaved; ``partly`` →
  half the km at the unpaved speed.
* ``PASS_PENALTY_H = 0.25`` h per edge whose summit is ≥ 3,000 m, i.e. ≈ 0.5 h per high pass
  crossed (one-lane tunnel traffic, slow trucks); an assumption, calibrated jointly with the
  mountain speed against Bishkek–Osh.
* ``season="winter"`` drops edges whose ``winter_closure`` is ``seasonal``/``closed``
  (Otmok, Naryn–Kazarman–Jalal-Abad, Kochkor–Suusamyr); pairs cut off then get ``inf``.

``km`` and ``hours`` are separate shortest paths (the shortest and the fastest route may
differ). Both matrices are symmetric with a zero diagonal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from kochu.errors import AtlasError

R_EARTH_KM = 6371.0088
DETOUR = 1.3
N_CONNECT = 2
LOCAL_LINKS = 3
LOCAL_MAX_KM = 60.0
NODE_CANDIDATES = 6
RIDGE_M = 500.0
PROFILE_SAMPLES = 24
SPEED_KMH = {"valley": 80.0, "mountain": 45.0, "unpaved": 38.0, "local": 38.0}
MOUNTAIN_SUMMIT_M = 2500.0
MOUNTAIN_GRADIENT_M_PER_KM = 10.0
HIGH_PASS_M = 3000.0
PASS_PENALTY_H = 0.25
CLOSED_WORDS = ("seasonal", "closed")
SEASONS = ("summer", "winter")


def haversine_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in km (numpy broadcasting)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_EARTH_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def sym_csr(i: np.ndarray, j: np.ndarray, w: np.ndarray, n: int):
    """Symmetric sparse adjacency; parallel edges keep the smallest weight (never summed)."""
    a, b = np.minimum(i, j), np.maximum(i, j)
    keep = a != b
    a, b, w = a[keep], b[keep], w[keep]
    order = np.lexsort((w, b, a))
    a, b, w = a[order], b[order], w[order]
    first = np.ones(a.size, dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, w = a[first], b[first], w[first]
    return coo_matrix(
        (np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))), shape=(n, n)
    ).tocsr()


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)


def _text(df: pd.DataFrame, col: str) -> np.ndarray:
    if col not in df:
        return np.full(len(df), "", dtype=object)
    return df[col].fillna("").astype(str).str.strip().str.lower().to_numpy()


def _check_table(df: pd.DataFrame, name: str, cols: tuple[str, ...]) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise AtlasError(f"{name}: missing column(s) {', '.join(missing)}")


@dataclass
class RoadGraph:
    """The road network as arrays: node table, edge endpoints, km and hours per edge."""

    node_ids: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    elev: np.ndarray
    place: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    km: np.ndarray
    hours: np.ndarray

    @classmethod
    def from_tables(
        cls, nodes: pd.DataFrame, roads: pd.DataFrame, season: str = "summer"
    ) -> RoadGraph:
        """Validate the two tables and compute per-edge km and hours for ``season``."""
        if season not in SEASONS:
            raise AtlasError(f"travel: season must be one of {', '.join(SEASONS)}, got {season!r}")
        _check_table(nodes, "road_nodes.csv", ("id", "lat", "lon"))
        _check_table(roads, "roads.csv", ("from", "to", "km"))
        ids = nodes["id"].astype(str).to_numpy()
        if len(set(ids)) != len(ids):
            dup = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
            raise AtlasError(f"road_nodes.csv: duplicate node id {dup!r}")
        lat, lon = _num(nodes, "lat"), _num(nodes, "lon")
        bad = np.flatnonzero(~np.isfinite(lat) | ~np.isfinite(lon))
        if bad.size:
            raise AtlasError(
                f"road_nodes.csv row {bad[0] + 1}: node {ids[bad[0]]!r} needs numeric lat and lon"
            )
        elev = _num(nodes, "elevation_m") if "elevation_m" in nodes else np.full(len(ids), np.nan)
        place = (
            nodes["place"].fillna("").astype(str).str.strip().to_numpy()
            if "place" in nodes
            else np.full(len(ids), "", dtype=object)
        )
        index = {n: i for i, n in enumerate(ids)}
        ends = []
        for col in ("from", "to"):
            vals = roads[col].astype(str).str.strip()
            unknown = ~vals.isin(index)
            if unknown.any():
                row = int(np.flatnonzero(unknown.to_numpy())[0])
                raise AtlasError(
                    f"roads.csv row {row + 1}, column '{col}': unknown road node "
                    f"{vals.iloc[row]!r} (not in road_nodes.csv)"
                )
            ends.append(vals.map(index).to_numpy(dtype=np.int64))
        km = _num(roads, "km")
        bad = np.flatnonzero(~(km > 0))
        if bad.size:
            raise AtlasError(
                f"roads.csv row {bad[0] + 1}, column 'km': expected a positive length, "
                f"got {roads['km'].iloc[bad[0]]!r}"
            )
        hours = edge_hours(roads, km, elev[ends[0]], elev[ends[1]])
        if season == "winter":
            closure = _text(roads, "winter_closure")
            open_ = ~np.array([any(w in c for w in CLOSED_WORDS) for c in closure], dtype=bool)
            ends = [e[open_] for e in ends]
            km, hours = km[open_], hours[open_]
        graph = cls(ids, lat, lon, elev, place, ends[0], ends[1], km, hours)
        if season == "summer":
            graph.check_connected()
        return graph

    def matrix(self, weight: str = "km", extra: int = 0):
        """Sparse symmetric adjacency over the nodes (plus ``extra`` empty vertices)."""
        w = self.km if weight == "km" else self.hours
        return sym_csr(self.src, self.dst, w, len(self.node_ids) + extra)

    def check_connected(self) -> None:
        """Raise AtlasError naming roads.csv if the road graph falls apart."""
        ncomp, labels = connected_components(self.matrix(), directed=False)
        if ncomp > 1:
            main = np.bincount(labels).argmax()
            cut = self.node_ids[labels != main]
            raise AtlasError(
                f"roads.csv: the road graph is disconnected ({ncomp} parts); not connected to "
                f"the main network: {', '.join(map(str, cut[:8]))}"
                + (" ..." if cut.size > 8 else "")
            )

    def node_index(self, key: str) -> int:
        """Index of a node by node id or by the place id it stands for."""
        hit = np.flatnonzero(self.node_ids == key)
        if hit.size == 0:
            hit = np.flatnonzero(self.place == key)
        if hit.size == 0:
            raise AtlasError(f"road_nodes.csv: no node with id or place {key!r}")
        return int(hit[0])

    def shortest_path(self, a: str, b: str, weight: str = "km") -> list[str]:
        """Node ids along the shortest (``km``) or fastest (``hours``) route from a to b."""
        i, j = self.node_index(a), self.node_index(b)
        _, pred = dijkstra(self.matrix(weight), directed=False, indices=i, return_predecessors=True)
        if i != j and pred[j] < 0:
            raise AtlasError(f"roads.csv: no road between {a!r} and {b!r}")
        path = [j]
        while path[-1] != i:
            path.append(int(pred[path[-1]]))
        return [str(self.node_ids[k]) for k in reversed(path)]


def edge_hours(
    roads: pd.DataFrame, km: np.ndarray, elev_a: np.ndarray, elev_b: np.ndarray
) -> np.ndarray:
    """Driving hours per edge from km, paving, summit and end elevations (see module doc)."""
    summit = (
        _num(roads, "max_elevation_m") if "max_elevation_m" in roads else np.full(len(km), np.nan)
    )
    low = np.fmin(elev_a, elev_b)  # NaN only if both ends are unknown
    climb = np.where(np.isfinite(summit) & np.isfinite(low), summit - low, 0.0)
    steep = climb / km >= MOUNTAIN_GRADIENT_M_PER_KM
    mountain = (np.nan_to_num(summit, nan=0.0) >= MOUNTAIN_SUMMIT_M) | steep
    v_paved = np.where(mountain, SPEED_KMH["mountain"], SPEED_KMH["valley"])
    paved = _text(roads, "paved")
    unpaved_share = np.select([np.isin(paved, ("no", "0")), paved == "partly"], [1.0, 0.5], 0.0)
    hours = km * ((1 - unpaved_share) / v_paved + unpaved_share / SPEED_KMH["unpaved"])
    high = np.nan_to_num(summit, nan=0.0) >= HIGH_PASS_M
    return hours + np.where(high, PASS_PENALTY_H, 0.0)


def _clear(lat1, lon1, z1, lat2, lon2, z2) -> np.ndarray:
    """True where the straight line between the points crosses no ridge (GEBCO profile)."""
    from kochu.atlas.elevation import elevation

    t = np.linspace(0.0, 1.0, PROFILE_SAMPLES)[None, :]
    la = lat1[:, None] + (lat2 - lat1)[:, None] * t
    lo = lon1[:, None] + (lon2 - lon1)[:, None] * t
    try:
        prof = elevation(la, lo)
    except AtlasError:  # outside the grid (another country's atlas): no ridge test
        return np.ones(lat1.shape, dtype=bool)
    top = np.fmax(z1, z2)
    top = np.where(np.isfinite(top), top, np.fmax(prof[:, 0], prof[:, -1]))
    return prof.max(axis=1) - top <= RIDGE_M


def _settlement_arrays(settlements: pd.DataFrame) -> tuple[np.ndarray, ...]:
    _check_table(settlements, "places.csv (settlements)", ("lat", "lon"))
    ids = settlements.index.astype(str).to_numpy()
    lat, lon = _num(settlements, "lat"), _num(settlements, "lon")
    bad = np.flatnonzero(~np.isfinite(lat) | ~np.isfinite(lon))
    if bad.size:
        raise AtlasError(
            f"places.csv: settlement {ids[bad[0]]!r} needs numeric lat and lon for travel costs"
        )
    z = (
        _num(settlements, "elevation_m")
        if "elevation_m" in settlements
        else np.full(len(ids), np.nan)
    )
    return ids, lat, lon, z


def _links(graph: RoadGraph, ids, lat, lon, z) -> tuple[np.ndarray, ...]:
    """Local-road links (vertex a, vertex b, km) joining settlements to the graph."""
    n_nodes = len(graph.node_ids)
    own = {p: i for i, p in enumerate(graph.place) if p}
    src, dst = [], []
    # settlement -> road nodes
    usable = np.flatnonzero(~pd.Series(graph.node_ids).str.startswith("x_").to_numpy())
    d_sn = haversine_km(lat[:, None], lon[:, None], graph.lat[usable], graph.lon[usable])
    k = min(NODE_CANDIDATES, usable.size)
    near = np.argsort(d_sn, axis=1)[:, :k]
    s_rep = np.repeat(np.arange(len(ids)), k)
    cand = usable[near.ravel()]
    node_z = np.where(np.isfinite(graph.elev), graph.elev, np.nan)
    ok = _clear(lat[s_rep], lon[s_rep], z[s_rep], graph.lat[cand], graph.lon[cand], node_z[cand])
    ok = ok.reshape(len(ids), k)
    for s in range(len(ids)):
        if ids[s] in own:
            src.append(n_nodes + s)
            dst.append(own[ids[s]])
            continue
        chosen = near[s][ok[s]][:N_CONNECT]
        if chosen.size == 0:
            chosen = near[s][:N_CONNECT]
        src.extend([n_nodes + s] * chosen.size)
        dst.extend(usable[chosen].tolist())
    # settlement -> neighbouring settlements
    if len(ids) > 1 and LOCAL_LINKS > 0:
        d_ss = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        np.fill_diagonal(d_ss, np.inf)
        k2 = min(LOCAL_LINKS, len(ids) - 1)
        nb = np.argsort(d_ss, axis=1)[:, :k2]
        a = np.repeat(np.arange(len(ids)), k2)
        b = nb.ravel()
        within = d_ss[a, b] <= LOCAL_MAX_KM
        a, b = a[within], b[within]
        ok2 = _clear(lat[a], lon[a], z[a], lat[b], lon[b], z[b])
        src.extend((n_nodes + a[ok2]).tolist())
        dst.extend((n_nodes + b[ok2]).tolist())
    src_a, dst_a = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    all_lat = np.concatenate([graph.lat, lat])
    all_lon = np.concatenate([graph.lon, lon])
    km = haversine_km(all_lat[src_a], all_lon[src_a], all_lat[dst_a], all_lon[dst_a]) * DETOUR
    own_link = np.isin(src_a - n_nodes, [i for i, s in enumerate(ids) if s in own]) & (
        dst_a < n_nodes
    )
    km = np.where(own_link, 0.0, km)
    return src_a, dst_a, km


def travel_matrices(
    settlements: pd.DataFrame,
    nodes: pd.DataFrame,
    roads: pd.DataFrame,
    season: str = "summer",
) -> tuple[np.ndarray, np.ndarray]:
    """Road km and hours between all settlements: two (n, n) float64 arrays.

    ``settlements`` is indexed by place id with columns ``lat``, ``lon`` (and ``elevation_m``);
    ``nodes`` and ``roads`` are the atlas tables ``road_nodes.csv`` and ``roads.csv``.
    Shortest paths over the road graph (scipy Dijkstra); symmetric, zero diagonal.
    A disconnected road graph raises :class:`~kochu.errors.AtlasError` naming roads.csv.
    """
    graph = RoadGraph.from_tables(nodes, roads, season=season)
    ids, lat, lon, z = _settlement_arrays(settlements)
    n, n_nodes = len(ids), len(graph.node_ids)
    if n == 0:
        return np.zeros((0, 0)), np.zeros((0, 0))
    src, dst, link_km = _links(graph, ids, lat, lon, z)
    link_h = link_km / SPEED_KMH["local"]
    out = []
    for w_edges, w_links in ((graph.km, link_km), (graph.hours, link_h)):
        # tiny epsilon keeps zero-length own-node links as explicit edges in the sparse graph
        w = np.concatenate([w_edges, np.maximum(w_links, 1e-12)])
        i = np.concatenate([graph.src, src])
        j = np.concatenate([graph.dst, dst])
        m = sym_csr(i, j, w, n_nodes + n)
        d = dijkstra(m, directed=False, indices=np.arange(n_nodes, n_nodes + n))
        d = d[:, n_nodes:]
        d = np.minimum(d, d.T)
        d[d < 1e-9] = 0.0
        np.fill_diagonal(d, 0.0)
        out.append(np.ascontiguousarray(d, dtype=np.float64))
    return out[0], out[1]


def shortest_path(
    a: str, b: str, nodes: pd.DataFrame, roads: pd.DataFrame, weight: str = "km"
) -> list[str]:
    """Road-node ids along the shortest (``weight="km"``) or fastest (``"hours"``) route.

    ``a`` and ``b`` are node ids or the place ids nodes stand for (e.g. ``s_bishkek``).
    """
    if weight not in ("km", "hours"):
        raise AtlasError(f"shortest_path: weight must be 'km' or 'hours', got {weight!r}")
    return RoadGraph.from_tables(nodes, roads).shortest_path(a, b, weight)
