"""A run's ``indicators`` table carries its scenario's context: legalisations with services
and added capital housing (``kochu.scenarios.context``) change the indicators that need them."""

from __future__ import annotations

import pytest

from kochu.atlas import load_atlas
from kochu.runs.store import read_table
from kochu.scenarios import loads
from kochu.sim.sim import Sim
from tests.helpers import MINI_ATLAS

SCALE = 0.03
UNTIL = 1994
HEAD = 'name = "{name}"\nhorizon = 2030\nseeds = [1]\n'
POLICY = """
[[interventions]]
type = "legalisation"
places = ["nv_camp"]
include_hazard_zones = true
start = 1992
source = "test"

[[interventions]]
type = "capital_housing"
capacity_people = 200000
start = 1990
end = 1991
source = "test"
"""


@pytest.fixture(scope="module")
def atlas():
    return load_atlas(MINI_ATLAS)


def indicators(atlas, text: str, out) -> dict[str, dict[int, float]]:
    sim = Sim(atlas, scenario=loads(text, atlas=atlas), seed=1, scale=SCALE, end=2030,
              params={"capital_housing_slack": -0.3})  # a full capital: people in the camp
    sim.init()
    sim.run(until=UNTIL)
    sim.write(out)
    ind = read_table(out, "indicators")
    return {k: dict(zip(g["year"], g["value"], strict=True)) for k, g in ind.groupby("indicator")}


def test_indicators_reflect_legalisation_and_capital_housing(atlas, tmp_path):
    base = indicators(atlas, HEAD.format(name="baseline"), tmp_path / "base")
    policy = indicators(atlas, HEAD.format(name="policy") + POLICY, tmp_path / "policy")
    share, cap = "novostroiki.share_without_services", "capital.capacity_index"
    assert base[share][1993] == pytest.approx(1.0)  # the camp is lived in and has no services
    assert policy[share][1991] > 0 and policy[share][1993] == 0.0  # services from 1992
    assert base[cap][1993] == pytest.approx(1.0)
    assert policy[cap][1990] == pytest.approx(1.0) and policy[cap][1992] > 1.0
