"""The four-direction decomposition on a small hand-built places table."""

from __future__ import annotations

import pandas as pd
import pytest

from kochu.errors import FlowDataError
from kochu.flows.directions import DIRECTIONS, decompose


@pytest.fixture()
def places() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "urban":       [1,   0,    0,    1,   1],
            "elevation_m": [800, 2100, 1200, 1600, 900],
            "admin_rank":  [0,   4,    4,    2,   1],
            "north":       [1,   1,    0,    0,   0],
        },
        index=pd.Index(["cap", "hill", "farm", "mtown", "scity"], name="id"),
    )


def test_hand_computed_breakdown(places):
    od = pd.DataFrame(
        [
            ("hill", "cap", 100.0),    # rural->urban, mountain->valley, periph->centre
            ("farm", "cap", 50.0),     # rural->urban, periph->centre, south->north
            ("cap", "farm", 10.0),     # reverse rural_urban, centre->periph, north->south
            ("mtown", "scity", 20.0),  # mountain->valley, periph->centre
            ("scity", "mtown", 5.5),   # valley->mountain, centre->periph
            ("farm", "hill", 7.0),     # valley->mountain, south->north
            ("cap", "cap", 1000.0),    # intra-place: not a move between places
        ],
        columns=["origin", "destination", "flow"],
    )
    out = decompose(od, places)
    assert list(out.index) == list(DIRECTIONS)
    assert out.attrs["total_moves"] == 192.5
    assert out.loc["rural_urban"].tolist()[:3] == [150.0, 10.0, 140.0]
    assert out.loc["mountain_valley"].tolist()[:3] == [120.0, 12.5, 107.5]
    assert out.loc["periphery_centre"].tolist()[:3] == [170.0, 15.5, 154.5]
    assert out.loc["south_north"].tolist()[:3] == [57.0, 10.0, 47.0]
    assert out.loc["rural_urban", "share_of_moves"] == pytest.approx(150.0 / 192.5)
    # a move may count in several directions: shares add up to more than one
    assert out["share_of_moves"].sum() > 1.0


def test_mountain_threshold_moves_with_argument(places):
    od = pd.DataFrame([("mtown", "scity", 20.0)], columns=["origin", "destination", "flow"])
    assert decompose(od, places)["forward"]["mountain_valley"] == 20.0
    assert decompose(od, places, mountain_m=2000.0)["forward"]["mountain_valley"] == 0.0


def test_errors_name_the_problem(places):
    od = pd.DataFrame([("hill", "atlantis", 1.0)], columns=["origin", "destination", "flow"])
    with pytest.raises(FlowDataError, match="column 'destination': unknown place id 'atlantis'"):
        decompose(od, places)
    od = pd.DataFrame([("hill", "cap", -1.0)], columns=["origin", "destination", "flow"])
    with pytest.raises(FlowDataError, match="column 'flow': expected a number >= 0"):
        decompose(od, places)
    with pytest.raises(FlowDataError, match="places: no column 'north'"):
        decompose(od, places.drop(columns="north"))
    with pytest.raises(FlowDataError, match="od: no column 'flow'"):
        decompose(od.rename(columns={"flow": "n"}), places)
