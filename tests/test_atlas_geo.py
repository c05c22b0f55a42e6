"""Geography of the atlas: elevation, geometry, road graph and travel costs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kochu.atlas.elevation import elevation, elevation_grid
from kochu.errors import AtlasError, KochuError

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
ATLAS = REPO / "kochu" / "atlas" / "data" / "kyrgyzstan"


@pytest.fixture(scope="module")
def towns() -> pd.DataFrame:
    """The shared towns table (published coordinates and elevations)."""
    path = SHARED / "towns.csv"
    if not path.is_file():
        pytest.skip(f"shared data not found: {path}")
    return pd.read_csv(path)


# ---------------------------------------------------------------- elevation


def test_elevation_matches_published_town_elevations(towns):
    published = towns[~towns["source"].str.contains("elevation=DEM", regex=False)]
    dem = elevation(published["lat"].to_numpy(), published["lon"].to_numpy())
    err = np.abs(dem - published["elevation_m"].to_numpy())
    worst = int(np.argmax(err))
    print(
        f"median |err| {np.median(err):.1f} m over {len(err)} towns; worst "
        f"{published['name'].iloc[worst]}: {err[worst]:.0f} m"
    )
    assert len(err) >= 20
    assert np.median(err) < 60
    assert np.mean(err < 60) >= 0.8  # most towns within 60 m


def test_elevation_scalar_and_vector_agree():
    z = elevation(42.87, 74.59)
    assert isinstance(z, float)
    zz = elevation(np.array([42.87, 41.4283]), np.array([74.59, 75.9957]))
    assert zz.shape == (2,)
    assert zz[0] == pytest.approx(z)
    assert 600 < z < 900  # Bishkek in the Chuy valley
    assert elevation(np.full((2, 3), 41.0), 75.0).shape == (2, 3)


def test_elevation_is_bilinear_between_cell_centres():
    lats, lons, z = elevation_grid(bounds=(41.0, 41.02, 75.0, 75.02))
    a, b = lats[1], lons[1]
    assert elevation(a, b) == pytest.approx(z[1, 1])
    mid = elevation((lats[1] + lats[2]) / 2, (lons[1] + lons[2]) / 2)
    assert mid == pytest.approx(z[1:3, 1:3].mean())


def test_elevation_outside_grid_is_one_line_atlas_error():
    with pytest.raises(AtlasError, match=r"lat 55\.0, lon 74\.0.*outside the GEBCO grid \(lat 36"):
        elevation(55.0, 74.0)
    with pytest.raises(KochuError):
        elevation(np.array([42.0, 42.0]), np.array([74.0, 120.0]))


def test_elevation_grid_stride():
    lats, lons, z = elevation_grid(stride=8)
    assert z.shape == (len(lats), len(lons))
    assert np.all(np.diff(lats) > 0) and np.all(np.diff(lons) > 0)
    assert 7000 < z.max() < 7600  # Jengish Chokusu / Pobeda 7,439 m is in the grid
    with pytest.raises(AtlasError, match="stride"):
        elevation_grid(stride=0)
