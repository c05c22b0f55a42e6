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

Local roads never shortcut the main network (they are straight lines × a factor, which would
otherwise let a village on a reservoir shore "bridge" a 120 km road around it): a second
access link or a settlement–settlement link is dropped when travelling through it would make
any two road nodes closer (in km or hours) than the road graph says; the check is repeated
on the whole augmented graph until no road-node distance is shortened. Hence the distance
between two settlements that have their own nodes is exactly the road-graph distance.

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
  (Otmok, Naryn–Kazarman–Jalal-Abad, Chaek–Suusamyr); pairs cut off then get ``inf``.

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


@dataclass
class _Links:
    """Local-road links of the settlements: vertex pairs, km and kind."""

    u: np.ndarray  # settlement vertex (n_nodes + s)
    v: np.ndarray  # road-node vertex or settlement vertex
    km: np.ndarray
    kind: np.ndarray  # 0 own node, 1 nearest access, 2 second access, 3 settlement-settlement

    def keep(self, mask: np.ndarray) -> _Links:
        return _Links(self.u[mask], self.v[mask], self.km[mask], self.kind[mask])


def _access(graph: RoadGraph, d_road: np.ndarray, ids, lat, lon, z) -> _Links:
    """Each settlement's own node, or its nearest clear road nodes (see module doc)."""
    n_nodes = len(graph.node_ids)
    own = {p: i for i, p in enumerate(graph.place) if p}
    usable = np.flatnonzero(~pd.Series(graph.node_ids).str.startswith("x_").to_numpy())
    d_sn = haversine_km(lat[:, None], lon[:, None], graph.lat[usable], graph.lon[usable])
    k = min(NODE_CANDIDATES, usable.size)
    near = np.argsort(d_sn, axis=1)[:, :k]
    s_rep = np.repeat(np.arange(len(ids)), k)
    cand = usable[near.ravel()]
    ok = _clear(
        lat[s_rep], lon[s_rep], z[s_rep], graph.lat[cand], graph.lon[cand], graph.elev[cand]
    )
    ok = ok.reshape(len(ids), k)
    u, v, km, kind = [], [], [], []
    for s in range(len(ids)):
        if ids[s] in own:
            u.append(n_nodes + s), v.append(own[ids[s]]), km.append(0.0), kind.append(0)
            continue
        chosen = near[s][ok[s]][:N_CONNECT]
        if chosen.size == 0:
            chosen = near[s][:N_CONNECT]
        lens = d_sn[s, chosen] * DETOUR
        nodes_ = usable[chosen]
        # a second access must not be a shortcut between the two road nodes
        if nodes_.size > 1 and lens[0] + lens[1] < d_road[nodes_[0], nodes_[1]]:
            nodes_, lens = nodes_[:1], lens[:1]
        for r, (nd, ln) in enumerate(zip(nodes_, lens, strict=True)):
            (
                u.append(n_nodes + s),
                v.append(int(nd)),
                km.append(float(ln)),
                kind.append(1 + min(r, 1)),
            )
    return _Links(np.array(u), np.array(v), np.array(km), np.array(kind))


def _local(access: _Links, d_road: np.ndarray, n_nodes: int, ids, lat, lon, z) -> _Links:
    """Settlement-settlement local roads that do not shortcut the road network."""
    n = len(ids)
    empty = _Links(*(np.zeros(0, dtype=t) for t in (np.int64, np.int64, float, np.int64)))
    if n < 2 or LOCAL_LINKS <= 0:
        return empty
    d_ss = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    np.fill_diagonal(d_ss, np.inf)
    k = min(LOCAL_LINKS, n - 1)
    a = np.repeat(np.arange(n), k)
    b = np.argsort(d_ss, axis=1)[:, :k].ravel()
    own = access.u[access.kind == 0] - n_nodes
    keep = (d_ss[a, b] <= LOCAL_MAX_KM) & ~(np.isin(a, own) & np.isin(b, own))
    a, b = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
    if a.size == 0:
        return empty
    pairs = np.unique(np.column_stack([a, b]), axis=0)
    a, b = pairs[:, 0], pairs[:, 1]
    clear = _clear(lat[a], lon[a], z[a], lat[b], lon[b], z[b])
    a, b = a[clear], b[clear]
    length = d_ss[a, b] * DETOUR
    by_s: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0, int), np.zeros(0))] * n
    for s_ in np.unique(access.u - n_nodes):
        sel = access.u - n_nodes == s_
        by_s[s_] = (access.v[sel], access.km[sel])
    ok = np.ones(a.size, dtype=bool)
    for t, (i, j, ln) in enumerate(zip(a, b, length, strict=True)):
        (ni, ki), (nj, kj) = by_s[i], by_s[j]
        ok[t] = bool(np.all(ki[:, None] + ln + kj[None, :] >= d_road[np.ix_(ni, nj)]))
    a, b, length = a[ok], b[ok], length[ok]
    return _Links(n_nodes + a, n_nodes + b, length, np.full(a.size, 3))


def _augmented(graph: RoadGraph, links: _Links, n: int, weight: str):
    w_edges = graph.km if weight == "km" else graph.hours
    w_links = links.km if weight == "km" else links.km / SPEED_KMH["local"]
    # tiny epsilon keeps zero-length own-node links as explicit edges in the sparse graph
    w = np.concatenate([w_edges, np.maximum(w_links, 1e-12)])
    i = np.concatenate([graph.src, links.u])
    j = np.concatenate([graph.dst, links.v])
    return sym_csr(i, j, w, len(graph.node_ids) + n)


def _remove_shortcuts(graph: RoadGraph, links: _Links, n: int, d_road: dict) -> _Links:
    """Drop local links until no road-node distance is shortened by travel through settlements."""
    n_nodes = len(graph.node_ids)
    src = np.arange(n_nodes)
    for _ in range(10 * n + 10):
        worst = None
        for weight in ("km", "hours"):
            m = _augmented(graph, links, n, weight)
            d, pred = dijkstra(m, directed=False, indices=src, return_predecessors=True)
            dr, da = d_road[weight], d[:, :n_nodes]
            gain = np.zeros_like(dr)
            fin = np.isfinite(da)
            gain[fin] = np.where(np.isinf(dr[fin]), np.inf, dr[fin] - da[fin])
            k = np.unravel_index(np.argmax(gain), gain.shape)
            if gain[k] > 1e-6 and (worst is None or gain[k] > worst[0]):
                worst = (gain[k], k, pred)
        if worst is None:
            return links
        _, (a, b), pred = worst
        path = [int(b)]
        while path[-1] != a:
            path.append(int(pred[a, path[-1]]))
        on_path = set(zip(path[:-1], path[1:], strict=True))
        hit = np.array(
            [(x, y) in on_path or (y, x) in on_path for x, y in zip(links.u, links.v, strict=True)]
        )
        drop = hit & (links.kind == 3)
        if not drop.any():
            drop = hit & (links.kind == 2)
        if not drop.any():  # pragma: no cover - own/nearest links cannot form a shortcut alone
            return links
        links = links.keep(~drop)
    return links  # pragma: no cover


def travel_matrices(
    settlements: pd.DataFrame,
    nodes: pd.DataFrame,
    roads: pd.DataFrame,
    season: str = "summer",
    min_km: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Road km and hours between all settlements: two (n, n) float64 arrays.

    ``settlements`` is indexed by place id with columns ``lat``, ``lon`` (and ``elevation_m``);
    ``nodes`` and ``roads`` are the atlas tables ``road_nodes.csv`` and ``roads.csv``.
    Shortest paths over the road graph (scipy Dijkstra); symmetric, zero diagonal.
    ``min_km`` floors every off-diagonal distance (hours: ``min_km`` at the local speed), for
    settlements given the same coordinates (e.g. a rayon's rural remainder at its centre);
    a floor keeps the triangle inequality. ``season`` is ``"summer"`` or ``"winter"``.
    A disconnected road graph raises :class:`~kochu.errors.AtlasError` naming roads.csv.
    """
    if not (np.isfinite(min_km) and min_km >= 0):
        raise AtlasError(f"travel: min_km must be a non-negative number, got {min_km!r}")
    graph = RoadGraph.from_tables(nodes, roads, season=season)
    ids, lat, lon, z = _settlement_arrays(settlements)
    n, n_nodes = len(ids), len(graph.node_ids)
    if n == 0:
        return np.zeros((0, 0)), np.zeros((0, 0))
    d_road = {w: dijkstra(graph.matrix(w), directed=False) for w in ("km", "hours")}
    access = _access(graph, d_road["km"], ids, lat, lon, z)
    local = _local(access, d_road["km"], n_nodes, ids, lat, lon, z)
    links = _Links(
        *(
            np.concatenate([x, y])
            for x, y in zip(
                (access.u, access.v, access.km, access.kind),
                (local.u, local.v, local.km, local.kind),
                strict=True,
            )
        )
    )
    links = _remove_shortcuts(graph, links, n, d_road)
    out = []
    for weight in ("km", "hours"):
        m = _augmented(graph, links, n, weight)
        d = dijkstra(m, directed=False, indices=np.arange(n_nodes, n_nodes + n))[:, n_nodes:]
        d = np.minimum(d, d.T)
        d[d < 1e-9] = 0.0
        floor = min_km if weight == "km" else min_km / SPEED_KMH["local"]
        d = np.maximum(d, floor)
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
