"""Scenario files: parsing, one-line messages, places against the atlas, base, round trip."""

from __future__ import annotations

from pathlib import Path

import pytest

from kochu.atlas import load_atlas
from kochu.errors import ScenarioError
from kochu.scenarios import INTERVENTIONS, dumps, load_scenario, loads
from kochu.scenarios.interventions import Jobs
from kochu.scenarios.timing import month_index, year_month
from tests.helpers import MINI_ATLAS

HEAD = 'name = "t"\nhorizon = 2035\nseeds = [1, 2]\n'

FULL = HEAD + """
[[interventions]]
type = "jobs"
places = ["s_mine", "s_highland_rural"]
jobs = 1200
sector = "railway"
start = 2027
end = "2032-06"
ramp_months = 24
source = "assumption"

[[interventions]]
type = "transport"
routes = [["s_capital", "s_south_city"]]
cost_factor = 0.7
start = "2026-05"

[[interventions]]
type = "registration_reform"
completeness_factor = 1.5
start = 2026

[[interventions]]
type = "legalisation"
places = ["nv_camp"]
include_hazard_zones = true
start = 2028

[[interventions]]
type = "hazard"
hazard = "uranium_tailings"
places = ["s_mine"]
displaced_share = 0.2
hazard_increase_sd = 0.5
return_months = 24.0
start = "2027-04"

[[interventions]]
type = "border_resettlement"
places = ["south_o"]
income_increase_sd = 0.5
start = 2026
end = 2035

[[interventions]]
type = "farm_subsidy"
subsidy_level = 0.5
start = 2026

[[interventions]]
type = "capital_housing"
capacity_people = 50000
start = 2026
end = 2030
"""


@pytest.fixture(scope="module")
def atlas():
    return load_atlas(MINI_ATLAS)


def test_every_type_parses_and_round_trips(atlas) -> None:
    sc = loads(FULL, "full.toml", atlas)
    assert [iv.type for iv in sc.interventions] == [
        "jobs", "transport", "registration_reform", "legalisation", "hazard",
        "border_resettlement", "farm_subsidy", "capital_housing",
    ]
    assert set(INTERVENTIONS) == {iv.type for iv in sc.interventions}
    assert loads(dumps(sc)) == sc
    assert sc.scale == 1.0 and sc.base == "baseline" and sc.description == ""


def test_time_windows() -> None:
    assert month_index(1989) == 0
    assert month_index("1990-03") == 14
    assert month_index(1990, end=True) == 23
    assert year_month(14) == (1990, 3)
    jobs = loads(FULL).interventions[0]
    assert isinstance(jobs, Jobs)
    assert jobs.active_at(month_index(2027)) and jobs.active_at(month_index("2032-06"))
    assert not jobs.active_at(month_index("2026-12")) and not jobs.active_at(month_index("2032-07"))
    # ramp: 24 months to full strength, linear
    assert jobs.level_at(month_index(2027)) == pytest.approx(1200 / 24)
    assert jobs.level_at(month_index("2028-12")) == 1200
    assert jobs.level_at(month_index("2033-01")) == 0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (HEAD + '[[interventions]]\ntype = "jobs"\nplaces = ["s_mine"]\njobs = 5\nstart = 1900\n',
         r"^x\.toml: interventions\[0\]\.start: expected a year ≥ 1989, got 1900$"),
        (HEAD.replace("2035", "2020") + '[[interventions]]\ntype = "farm_subsidy"\n'
         'subsidy_level = 0.2\nstart = 2024\n',
         r"^x\.toml: horizon: horizon 2020 is before interventions\[0\]\.start 2024$"),
        (HEAD + "colour = 1\n", r"unknown key 'colour' \(valid keys: name, description, base, "
         r"horizon, seeds, scale, interventions\)"),
        (HEAD + '[[interventions]]\ntype = "railway"\n', r"unknown intervention type 'railway'"),
    ],
)
def test_messages_are_one_line(text: str, match: str) -> None:
    with pytest.raises(ScenarioError, match=match) as info:
        loads(text, "x.toml")
    assert "\n" not in str(info.value)


def test_unknown_place_suggests_close_ids(atlas) -> None:
    text = FULL.replace('"s_mine", "s_highland_rural"', '"s_mines", "s_highland_rural"')
    with pytest.raises(ScenarioError, match=r"interventions\[0\]\.places\[0\]: unknown place "
                       r"'s_mines' \(did you mean: s_mine"):
        loads(text, "x.toml", atlas)


def test_place_kinds_checked(atlas) -> None:
    hz = FULL.replace("include_hazard_zones = true\n", "")
    with pytest.raises(ScenarioError, match=r"interventions\[3\]\.places\[0\]: 'nv_camp' is in a "
                       "hazard zone and cannot be legalised"):
        loads(hz, "x.toml", atlas)
    notinf = FULL.replace('places = ["nv_camp"]', 'places = ["s_mine"]')
    with pytest.raises(ScenarioError, match=r"'s_mine' is a town settlement, expected kind informal"):
        loads(notinf, "x.toml", atlas)
    level = FULL.replace('"s_mine", "s_highland_rural"', '"north_o"')
    with pytest.raises(ScenarioError, match=r"'north_o' is an oblast, expected a settlement id"):
        loads(level, "x.toml", atlas)


def test_base_inherits_interventions(tmp_path: Path, atlas) -> None:
    (tmp_path / "a.toml").write_text(FULL, encoding="utf-8")
    (tmp_path / "b.toml").write_text(
        'name = "b"\nbase = "a.toml"\nhorizon = 2040\nseeds = [3]\n'
        '[[interventions]]\ntype = "farm_subsidy"\nsubsidy_level = 0.5\nstart = 2030\n',
        encoding="utf-8",
    )
    b = load_scenario(tmp_path / "b.toml", atlas)
    assert len(b.interventions) == 1 and len(b.inherited) == 8
    assert [iv.type for iv in b.all_interventions][-1] == "farm_subsidy"
    assert "a.toml" in dumps(b) and "jobs" not in dumps(b)  # base is kept, not inlined


def test_base_cycle_and_missing(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('name="a"\nbase="b.toml"\nhorizon=2030\nseeds=[1]\n')
    (tmp_path / "b.toml").write_text('name="b"\nbase="a.toml"\nhorizon=2030\nseeds=[1]\n')
    with pytest.raises(ScenarioError, match="a cycle"):
        load_scenario(tmp_path / "a.toml")
    (tmp_path / "c.toml").write_text('name="c"\nbase="nope.toml"\nhorizon=2030\nseeds=[1]\n')
    with pytest.raises(ScenarioError, match=r"c\.toml: base: expected \"baseline\" or an existing"):
        load_scenario(tmp_path / "c.toml")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "none.toml")
    with pytest.raises(ScenarioError, match="not a file"):
        load_scenario(tmp_path)


