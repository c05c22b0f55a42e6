"""Atlas geometry: the optional ``geometry/`` folder of GeoJSON files, and point lookup.

The files are plain GeoJSON ``FeatureCollection`` s (``outline.geojson``, ``oblasts.geojson``)
built by ``tools/build_geometry.py``; this module needs only the standard library and numpy.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from kochu.errors import AtlasError

GEOMETRY_DIR = "geometry"


def load_geometry(folder: str | Path) -> dict[str, dict]:
    """Read every ``*.geojson`` in ``folder/geometry`` (or ``folder`` itself if it is that dir).

    Returns ``{stem: FeatureCollection dict}``, e.g. ``{"outline": ..., "oblasts": ...}``;
    a missing folder gives an empty dict. A file that is not a GeoJSON FeatureCollection whose
    features carry an ``id`` property raises :class:`~kochu.errors.AtlasError` (one line).
    """
    folder = Path(folder)
    gdir = folder if folder.name == GEOMETRY_DIR else folder / GEOMETRY_DIR
    if not gdir.is_dir():
        return {}
    out: dict[str, dict] = {}
    for path in sorted(gdir.glob("*.geojson")):
        where = f"{GEOMETRY_DIR}/{path.name}"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise AtlasError(
                f"{where}: expected a GeoJSON file, could not parse it ({exc})"
            ) from None
        if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
            raise AtlasError(f"{where}: expected a GeoJSON FeatureCollection at the top level")
        for i, feat in enumerate(data.get("features", [])):
            geom = (feat or {}).get("geometry") or {}
            if geom.get("type") not in ("Polygon", "MultiPolygon"):
                raise AtlasError(
                    f"{where} feature {i}: expected a Polygon or MultiPolygon geometry, "
                    f"got {geom.get('type')!r}"
                )
            if "id" not in (feat.get("properties") or {}):
                raise AtlasError(f"{where} feature {i}: missing property 'id'")
        out[path.stem] = data
    return out


def _polygons(geometry: dict) -> list[list[np.ndarray]]:
    """GeoJSON (Multi)Polygon → list of polygons, each a list of (n, 2) lon/lat rings."""
    coords = geometry["coordinates"]
    polys = [coords] if geometry["type"] == "Polygon" else coords
    return [[np.asarray(ring, dtype=np.float64) for ring in poly] for poly in polys]


def points_in_polygon(
    lat: np.ndarray | float, lon: np.ndarray | float, geometry: dict
) -> np.ndarray:
    """Boolean mask: which points lie inside a GeoJSON Polygon/MultiPolygon (even–odd rule).

    Pure numpy ray casting; holes are handled because every ring toggles the parity.
    Points exactly on an edge may fall either way.
    """
    la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    inside_any = np.zeros(la.shape, dtype=bool)
    for poly in _polygons(geometry):
        parity = np.zeros(la.shape, dtype=bool)
        for ring in poly:
            x0, y0 = ring[:-1, 0], ring[:-1, 1]
            x1, y1 = ring[1:, 0], ring[1:, 1]
            # edges straddling each point's latitude
            cond = (y0[None, :] > la[:, None]) != (y1[None, :] > la[:, None])
            with np.errstate(divide="ignore", invalid="ignore"):
                xcross = x0 + (la[:, None] - y0) * (x1 - x0) / (y1 - y0)
            hits = cond & (lo[:, None] < xcross)
            parity ^= (hits.sum(axis=1) % 2).astype(bool)
        inside_any |= parity
    return inside_any


def distance_to_boundary_km(lat: np.ndarray, lon: np.ndarray, geometry: dict) -> np.ndarray:
    """Distance (km, local equirectangular) from each point to the nearest ring edge."""
    la = np.atleast_1d(np.asarray(lat, dtype=np.float64))[:, None]
    lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))[:, None]
    kx = 111.32 * np.cos(np.radians(la))
    best = np.full(la.shape[0], np.inf)
    for poly in _polygons(geometry):
        for ring in poly:
            ax, ay = (ring[:-1, 0] - lo) * kx, (ring[:-1, 1] - la) * 110.57
            bx, by = (ring[1:, 0] - lo) * kx, (ring[1:, 1] - la) * 110.57
            seg2 = np.maximum((bx - ax) ** 2 + (by - ay) ** 2, 1e-12)
            t = np.clip(-(ax * (bx - ax) + ay * (by - ay)) / seg2, 0.0, 1.0)
            d = np.hypot(ax + t * (bx - ax), ay + t * (by - ay)).min(axis=1)
            best = np.minimum(best, d)
    return best


def oblast_of(
    lat: float | Iterable[float],
    lon: float | Iterable[float],
    geometry: dict,
    snap_km: float = 0.0,
) -> str | None | list[str | None]:
    """The ``id`` of the feature containing each point (first match), or None if in none.

    ``geometry`` is a FeatureCollection (e.g. ``load_geometry(folder)["oblasts"]``) or the dict
    returned by :func:`load_geometry` (then its ``"oblasts"`` entry is used). A point in no
    feature is given the nearest feature whose boundary is within ``snap_km`` (default 0: no
    snapping; e.g. 2 km puts Kara-Suu, 1.6 km outside the Natural Earth line, into Osh).
    Scalar input gives a scalar answer; array input a list.
    """
    fc = geometry["oblasts"] if "oblasts" in geometry and "features" not in geometry else geometry
    scalar = np.ndim(lat) == 0 and np.ndim(lon) == 0
    la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    answer: list[str | None] = [None] * la.size
    todo = np.ones(la.size, dtype=bool)
    for feat in fc["features"]:
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        hit = points_in_polygon(la[idx], lo[idx], feat["geometry"])
        for k in idx[hit]:
            answer[int(k)] = feat["properties"]["id"]
        todo[idx[hit]] = False
    if snap_km > 0 and todo.any():
        idx = np.flatnonzero(todo)
        dist = np.vstack(
            [distance_to_boundary_km(la[idx], lo[idx], f["geometry"]) for f in fc["features"]]
        )
        near = dist.argmin(axis=0)
        for k, f_i, d in zip(idx, near, dist.min(axis=0), strict=True):
            if d <= snap_km:
                answer[int(k)] = fc["features"][int(f_i)]["properties"]["id"]
    return answer[0] if scalar else answer
