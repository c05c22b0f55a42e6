"""Maps of the run: hillshaded elevation, outline and oblast boundaries, places and flows.

The base map is the GEBCO 2023 grid (``kochu.atlas.elevation.elevation_grid``) shaded with
:class:`matplotlib.colors.LightSource`, clipped to the national outline when the atlas has
``geometry/outline.geojson``; oblast boundaries come from ``geometry/oblasts.geojson``. All
coordinates are WGS84 degrees drawn in an equirectangular projection with the aspect set for
the map's middle latitude (distances look right along both axes).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import LightSource, LinearSegmentedColormap, TwoSlopeNorm
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path as MplPath

from kochu.errors import KochuError
from kochu.report import data as rd
from kochu.report.figures import KIND_COLOURS, Rendered, figure, render, thousands

#: elevation tint: lowland green → steppe → rock → snow (metres, 0 … 5500)
ELEVATION_CMAP = LinearSegmentedColormap.from_list(
    "kochu_elev",
    [
        (0.00, "#dfe9c9"),
        (0.15, "#e8e2b8"),
        (0.35, "#d9c49c"),
        (0.60, "#c2a987"),
        (0.80, "#e6e1dc"),
        (1.00, "#ffffff"),
    ],
)
GRID_STRIDE = 3  # ≈ 1.4 km cells: sharp enough for a page, small enough for a fast report
PAD_DEG = 0.25
OUTSIDE_ALPHA = 0.35  # how much of the hillshade shows outside the national outline


@dataclass
class Geo:
    """What every map draws under its data: extent, hillshade image, outline and oblast rings."""

    extent: tuple[float, float, float, float]  # lon_min, lon_max, lat_min, lat_max
    outline: list[np.ndarray] = field(default_factory=list)  # rings of (lon, lat)
    oblasts: list[tuple[str, list[np.ndarray]]] = field(default_factory=list)
    shade: np.ndarray | None = None  # RGB image over ``shade_extent``
    shade_extent: tuple[float, float, float, float] | None = None

    @property
    def mid_lat(self) -> float:
        return 0.5 * (self.extent[2] + self.extent[3])


def _rings(geometry: dict[str, Any]) -> list[np.ndarray]:
    """Outer and inner rings (lon, lat) of a GeoJSON Polygon/MultiPolygon geometry."""
    gtype = geometry.get("type")
    coords = geometry.get("coordinates") or []
    if gtype == "Polygon":
        polys = [coords]
    elif gtype == "MultiPolygon":
        polys = coords
    elif gtype == "GeometryCollection":
        return [r for g in geometry.get("geometries", []) for r in _rings(g)]
    else:
        return []
    return [np.asarray(ring, dtype=float)[:, :2] for poly in polys for ring in poly if len(ring) >= 3]


def features(geojson: dict[str, Any] | None) -> list[tuple[str, list[np.ndarray]]]:
    """(name, rings) for every feature of a GeoJSON FeatureCollection / Feature / geometry."""
    if not geojson:
        return []
    if geojson.get("type") == "FeatureCollection":
        items = geojson.get("features") or []
    elif geojson.get("type") == "Feature":
        items = [geojson]
    else:
        items = [{"type": "Feature", "properties": {}, "geometry": geojson}]
    out = []
    for f in items:
        props = f.get("properties") or {}
        name = str(props.get("name") or props.get("id") or "")
        out.append((name, _rings(f.get("geometry") or {})))
    return out


def atlas_geometry(atlas: Any) -> dict[str, dict[str, Any]]:
    """The atlas's GeoJSON layers (``outline``, ``oblasts``), or ``{}`` when it has none."""
    try:
        geo = atlas.geometry
        if isinstance(geo, dict) and geo:
            return {str(k).removesuffix(".geojson"): v for k, v in geo.items()}
    except (ImportError, AttributeError, OSError, KochuError):
        pass
    folder = Path(getattr(atlas, "path", "")) / "geometry"
    out = {}
    for name in ("outline", "oblasts"):
        path = folder / f"{name}.geojson"
        if path.is_file():
            try:
                out[name] = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
    return out


@functools.lru_cache(maxsize=4)
def _hillshade(bounds: tuple[float, float, float, float]) -> tuple[np.ndarray, tuple] | None:
    """RGB hillshade over ``bounds`` (lat_min, lat_max, lon_min, lon_max), cached per process."""
    try:
        from kochu.atlas.elevation import elevation_grid

        lats, lons, z = elevation_grid(stride=GRID_STRIDE, bounds=bounds)
    except (ImportError, KochuError, OSError):
        return None
    ls = LightSource(azdeg=315, altdeg=40)
    dx = 111_320.0 * math.cos(math.radians(float(np.mean(lats)))) * float(np.mean(np.diff(lons)))
    dy = 111_320.0 * float(np.mean(np.diff(lats)))
    rgb = ls.shade(
        np.clip(z, 0, None),
        cmap=ELEVATION_CMAP,
        vmin=0,
        vmax=5500,
        blend_mode="soft",
        vert_exag=1.0,
        dx=dx,
        dy=dy,
    )[::-1, :, :3]  # rows from north to south for imshow(origin="upper")
    half_lat = 0.5 * float(np.mean(np.diff(lats)))
    half_lon = 0.5 * float(np.mean(np.diff(lons)))
    ext = (
        float(lons[0]) - half_lon,
        float(lons[-1]) + half_lon,
        float(lats[0]) - half_lat,
        float(lats[-1]) + half_lat,
    )
    return np.ascontiguousarray(rgb, dtype=np.float32), ext


def prepare_geo(run: rd.RunData, shade: bool = True) -> Geo:
    """Extent from the outline (else the settlements), plus layers and the hillshade."""
    layers = atlas_geometry(run.atlas)
    outline = [r for _, rings in features(layers.get("outline")) for r in rings]
    oblasts = features(layers.get("oblasts"))
    if outline:
        pts = np.vstack(outline)
    else:
        pts = run.settlements[["lon", "lat"]].to_numpy(dtype=float)
    lon_min, lat_min = pts.min(axis=0) - PAD_DEG
    lon_max, lat_max = pts.max(axis=0) + PAD_DEG
    extent = (float(lon_min), float(lon_max), float(lat_min), float(lat_max))
    geo = Geo(extent=extent, outline=outline, oblasts=oblasts)
    if shade:
        hs = _hillshade((round(lat_min, 3), round(lat_max, 3), round(lon_min, 3), round(lon_max, 3)))
        if hs is not None:
            geo.shade, geo.shade_extent = hs
            if outline:
                geo.shade = _fade_outside(geo.shade, geo.shade_extent, outline)
    return geo


def _fade_outside(rgb: np.ndarray, extent: tuple, outline: list[np.ndarray]) -> np.ndarray:
    """The hillshade with cells outside the national outline faded towards the background
    (one image instead of a faded copy plus a clipped copy: half the drawing work)."""
    rows, cols = rgb.shape[:2]
    lon0, lon1, lat0, lat1 = extent
    lons = lon0 + (np.arange(cols) + 0.5) * (lon1 - lon0) / cols
    lats = lat1 - (np.arange(rows) + 0.5) * (lat1 - lat0) / rows  # row 0 is the north edge
    glon, glat = np.meshgrid(lons, lats)
    inside = _ring_path(outline).contains_points(np.column_stack([glon.ravel(), glat.ravel()]))
    inside = inside.reshape(rows, cols)
    out = rgb.copy()
    background = np.array([0xF4, 0xF6, 0xF8], dtype=np.float32) / 255.0
    out[~inside] = OUTSIDE_ALPHA * rgb[~inside] + (1.0 - OUTSIDE_ALPHA) * background
    return out


def _ring_path(rings: list[np.ndarray]) -> MplPath:
    verts, codes = [], []
    for ring in rings:
        verts.extend(ring.tolist())
        codes.extend([MplPath.MOVETO] + [MplPath.LINETO] * (len(ring) - 1))
    return MplPath(np.asarray(verts), codes)


def base_map(ax: Axes, geo: Geo, labels: bool = True) -> None:
    """Hillshade (faded outside the outline), oblast boundaries and the outline on ``ax``."""
    ax.set_facecolor("#f4f6f8")
    if geo.shade is not None:
        ax.imshow(geo.shade, extent=geo.shade_extent, origin="upper", interpolation="bilinear",
                  zorder=0)
    for _, rings in geo.oblasts:
        for ring in rings:
            ax.plot(ring[:, 0], ring[:, 1], color="#6b6b6b", lw=0.6, ls=(0, (3, 2)), zorder=1)
    for ring in geo.outline:
        ax.plot(ring[:, 0], ring[:, 1], color="#333333", lw=1.1, zorder=1.1)
    ax.set_xlim(geo.extent[0], geo.extent[1])
    ax.set_ylim(geo.extent[2], geo.extent[3])
    ax.set_aspect(1.0 / math.cos(math.radians(geo.mid_lat)))
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("#999999")
    if labels:
        ax.set_xlabel("longitude (°E)")
        ax.set_ylabel("latitude (°N)")
    else:
        ax.set_xticks([])
        ax.set_yticks([])


def _sizes(pop: np.ndarray, biggest: float) -> np.ndarray:
    """Marker areas (points²) proportional to population; the largest place gets 900."""
    return 900.0 * np.clip(pop, 0, None) / max(biggest, 1.0)


def settlement_map(run: rd.RunData, geo: Geo) -> Rendered:
    """Settlements as circles sized by people present in the last year, coloured by kind."""
    year = run.years[-1]
    pop = rd.last_population(run)
    st = run.settlements.loc[pop.index]
    fig = figure(8.0, 4.6)
    ax = fig.add_subplot()
    base_map(ax, geo)
    biggest = float(pop.max())
    order = np.argsort(-pop.to_numpy())  # small circles drawn on top of big ones
    for kind in rd.KINDS:
        sel = [i for i in order if st["kind"].iloc[i] == kind]
        if not sel:
            continue
        ax.scatter(st["lon"].iloc[sel], st["lat"].iloc[sel], s=_sizes(pop.iloc[sel].to_numpy(), biggest),
                   color=KIND_COLOURS[kind], alpha=0.75, edgecolors="white", linewidths=0.4,
                   zorder=3, label=kind)
    kinds = ax.legend(loc="lower right", title="place type", markerscale=0.4)
    ax.add_artist(kinds)
    refs = [v for v in (1e4, 1e5, 1e6) if v <= biggest] or [biggest]
    handles = [ax.scatter([], [], s=_sizes(np.array([v]), biggest)[0], color="#888888", alpha=0.5)
               for v in refs]
    ax.legend(handles, [thousands(v) for v in refs], loc="upper left", title="people",
              labelspacing=1.2, borderpad=0.8)
    ax.set_title(f"Where people live, 1 January {year}")
    return render(fig, "map_population", f"Where people live, 1 January {year}",
                  "Each circle is a settlement, its area proportional to the people present; "
                  "colour is the place type; hillshade from the GEBCO 2023 grid.")


def change_map(run: rd.RunData, geo: Geo) -> Rendered:
    """Settlements coloured by their percentage change in people present, first → last year."""
    jan = rd.january(run.population)
    y0, y1 = run.years[0], run.years[-1]
    p0 = jan[jan["year"] == y0].groupby("place")["present"].sum()
    p1 = jan[jan["year"] == y1].groupby("place")["present"].sum()
    both = pd.DataFrame({"p0": p0, "p1": p1}).dropna()
    both = both[both["p0"] > 0]
    change = 100.0 * (both["p1"] / both["p0"] - 1.0)
    st = run.settlements.loc[both.index]
    fig = figure(8.0, 4.6)
    ax = fig.add_subplot()
    base_map(ax, geo)
    lim = float(max(10.0, np.nanpercentile(np.abs(change.to_numpy()), 95)))
    order = np.argsort(-both["p1"].to_numpy())
    sc = ax.scatter(st["lon"].iloc[order], st["lat"].iloc[order],
                    s=_sizes(both["p1"].iloc[order].to_numpy(), float(both["p1"].max())),
                    c=change.iloc[order].clip(-lim, lim), cmap="RdBu",
                    norm=TwoSlopeNorm(vcenter=0.0, vmin=-lim, vmax=lim),
                    edgecolors="#333333", linewidths=0.3, zorder=3)
    cb = fig.colorbar(sc, ax=ax, shrink=0.8, pad=0.01)
    cb.set_label(f"change in people present {y0}→{y1} (%)")
    title = f"Growth and decline of places, {y0}–{y1}"
    ax.set_title(title)
    return render(fig, "map_change", title,
                  "Blue places grew, red places lost people between the first and last year "
                  "of the run; circle area is the population in the last year (places empty in "
                  "the first year, like later novostroiki, are left out).")


def _draw_flows(ax: Axes, top: pd.DataFrame, colour: str | None = None, max_width: float = 4.5,
                biggest: float | None = None) -> None:
    """Curved arrows origin → destination, width proportional to the flow."""
    if top.empty:
        return
    biggest = float(biggest if biggest is not None else top["true"].max()) or 1.0
    for row in top.iloc[::-1].itertuples(index=False):  # largest drawn last, on top
        w = 0.4 + max_width * float(row.true) / biggest
        arrow = FancyArrowPatch(
            (row.lon0, row.lat0), (row.lon1, row.lat1),
            connectionstyle="arc3,rad=0.22", arrowstyle=f"-|>,head_length={2 + w:.2f},head_width={1 + 0.6 * w:.2f}",
            linewidth=w, color=colour or "#7a1f5c", alpha=0.6, zorder=4, shrinkA=2, shrinkB=2,
        )
        ax.add_patch(arrow)


def flow_map(run: rd.RunData, geo: Geo, n: int = 40) -> Rendered:
    """The ``n`` largest internal flows (mean true moves a year, last five years) as arcs."""
    years = rd.recent_years(run, 5)
    top = rd.top_flows(run, years, n=n)
    pop = rd.last_population(run)
    st = run.settlements.loc[pop.index]
    fig = figure(8.0, 4.6)
    ax = fig.add_subplot()
    base_map(ax, geo)
    ax.scatter(st["lon"], st["lat"], s=_sizes(pop.to_numpy(), float(pop.max())) * 0.5,
               color="#555555", alpha=0.35, edgecolors="none", zorder=2)
    _draw_flows(ax, top)
    if not top.empty:
        big = float(top["true"].max())
        refs = sorted({big, round(big / 4, -int(math.floor(math.log10(max(big / 4, 1)))))})
        handles = [Line2D([], [], color="#7a1f5c", lw=0.4 + 4.5 * v / big, alpha=0.6) for v in refs]
        ax.legend(handles, [f"{thousands(v)} a year" for v in refs], loc="upper left",
                  title="true moves")
    span = f"{years[0]}–{years[-1]}" if years else ""
    title = f"The {len(top)} largest flows between places, {span}"
    ax.set_title(title)
    return render(fig, "map_flows", title,
                  f"Arrows run from origin to destination; width is the mean number of true "
                  f"(registered or not) moves a year over {span}; grey circles are places.")


def directions_map(run: rd.RunData, geo: Geo, n: int = 25) -> Rendered:
    """Four small maps: the largest recent flows that count in each of the four directions."""
    years = rd.recent_years(run, 5)
    top = rd.top_flows(run, years, n=10_000)
    masks = rd.direction_masks(top, run)
    total = float(top["true"].sum()) or 1.0
    fig = figure(9.0, 5.2)
    axes = fig.subplots(2, 2)
    colours = ["#0072B2", "#009E73", "#E69F00", "#D55E00"]
    biggest = float(top["true"].max()) if not top.empty else 1.0
    for ax, d, colour in zip(axes.ravel(), rd.DIRECTIONS, colours, strict=True):
        base_map(ax, geo, labels=False)
        sel = top[masks[d]]
        _draw_flows(ax, sel.head(n), colour=colour, max_width=4.0, biggest=biggest)
        share = 100.0 * float(sel["true"].sum()) / total
        ax.set_title(f"{rd.DIRECTION_LABELS[d]}: {share:.0f}% of moves", fontsize=9.5)
    span = f"{years[0]}–{years[-1]}" if years else ""
    title = f"The four directions of internal migration, {span}"
    fig.suptitle(title, fontweight="bold", fontsize=10.5)
    return render(fig, "map_directions", title,
                  "Largest flows counted in each direction (a move can count in several); the "
                  "percentage is that direction's share of all internal moves a year.")


#: every map of the report by figure name, in reading order: ``func(run, geo)``
MAPS = {
    "map_flows": flow_map,
    "map_population": settlement_map,
    "map_directions": directions_map,
    "map_change": change_map,
}


def all_maps(run: rd.RunData, shade: bool = True) -> list[Rendered]:
    """Every map of the report, in reading order."""
    geo = prepare_geo(run, shade=shade)
    return [func(run, geo) for func in MAPS.values()]
