"""The corpus of malformed scenario files: each rejected with one line naming file and field.

Files live in ``tests/bad_inputs/scenarios/``; places are checked against the fixture atlas.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kochu.atlas import load_atlas
from kochu.errors import ScenarioError
from kochu.scenarios import load_scenario
from tests.helpers import MINI_ATLAS, ROOT, run_kochu

BAD = ROOT / "tests" / "bad_inputs" / "scenarios"
IV = r"interventions\[0\]"

#: file → regex the message must match after "<path>: "
EXPECTED = {
    "binary_file.toml": r"binary file \(expected UTF-8 TOML text\)",
    "border_no_border_places.toml": IV + r"\.places\[0\]: 'capital' has no settlement in the border area",
    "broken_syntax.toml": r"not valid TOML: .*\(at line 4, column \d+\)",
    "duplicate_place.toml": IV + r"\.places: place 's_mine' is listed twice",
    "duplicate_seeds.toml": r"seeds: seed 7 is listed twice",
    "empty_file.toml": r"empty file \(expected at least name, horizon and seeds\)",
    "empty_seeds.toml": r"seeds: expected at least one seed, got \[\]",
    "end_before_start.toml": IV + r"\.end: end 2026 is before start 2027",
    "hazard_does_nothing.toml": IV + r": changes nothing: displaced_share and hazard_increase_sd are both 0",
    "hazard_inf.toml": IV + r"\.hazard_increase_sd: expected a finite number, got inf",
    "hazard_nan.toml": IV + r"\.displaced_share: expected a finite number, got nan",
    "hazard_negative_share.toml": IV + r"\.displaced_share: expected a value ≥ 0\.0, got -0\.2",
    "hazard_share_above_one.toml": IV + r"\.displaced_share: expected a value ≤ 1\.0, got 1\.5",
    "hazard_unknown_kind.toml": IV + r"\.hazard: expected one of 'landslide', .*, got 'volcano'",
    "horizon_absurd.toml": r"horizon: expected a value ≤ 2100, got 3000",
    "horizon_before_start.toml": r"horizon: horizon 2020 is before interventions\[0\]\.start 2024",
    "horizon_string.toml": r"horizon: expected an integer, got '2035'",
    "housing_negative.toml": IV + r"\.capacity_people: expected a value > 0, got -100",
    "housing_without_end.toml": IV + r"\.end: expected the year the programme finishes building",
    "interventions_not_tables.toml": IV + r": expected a table with a 'type' key, got 1",
    "jobs_absurd.toml": IV + r"\.jobs: expected \|jobs\| ≤ 1,000,000 persons, got 90000000",
    "jobs_float.toml": IV + r"\.jobs: expected an integer, got 1000\.5",
    "jobs_zero.toml": IV + r"\.jobs: expected a non-zero number of jobs .*, got 0",
    "latin1_text.toml": r"not UTF-8 text \(byte \d+\); expected UTF-8 TOML",
    "legalisation_with_end.toml": IV + r"\.end: legalisation is permanent, expected no end, got 2030",
    "legalise_formal_town.toml": IV + r"\.places\[0\]: 's_satellite' is a town settlement, expected kind informal",
    "legalise_hazard_zone.toml": IV + r"\.places\[0\]: 'nv_camp' is in a hazard zone and cannot be legalised",
    "mine_closure_gains_jobs.toml": IV + r"\.jobs: sector 'mine_closure' loses jobs, expected jobs < 0, got 1000",
    "missing_name.toml": r"missing required key 'name'",
    "missing_seeds.toml": r"missing required key 'seeds'",
    "missing_start.toml": IV + r": missing required key 'start'",
    "missing_type.toml": IV + r": missing required key 'type' \(valid types: border_resettlement, .*\)",
    "misspelled_horizon.toml": r"unknown key 'horizont' \(did you mean 'horizon'\? valid keys: name, ",
    "name_with_slash.toml": r"name: expected letters, digits, '_', '-' or '\.', got '\.\./evil'",
    "negative_seed.toml": r"seeds: expected seeds between 0 and 2\*\*63-1, got -1",
    "place_is_oblast.toml": IV + r"\.places\[0\]: 'north_o' is an oblast, expected a settlement id",
    "places_not_list.toml": IV + r"\.places: expected a list, got 's_mine'",
    "registration_negative_cost.toml": IV + r"\.propiska_cost_factor: expected a value > 0\.0, got -1\.0",
    "registration_noop.toml": IV + r": changes nothing: set completeness_factor or propiska_cost_factor",
    "scale_above_one.toml": r"scale: expected a value ≤ 1\.0, got 5\.0",
    "scale_nan.toml": r"scale: expected a finite number, got nan",
    "scale_zero.toml": r"scale: expected a value > 0\.0, got 0\.0",
    "seed_string.toml": r"seeds\[0\]: expected an integer, got 'one'",
    "services_not_bool.toml": IV + r"\.services: expected true or false, got 'yes'",
    "start_bad_format.toml": IV + r"\.start: expected a year or \"YYYY-MM\", got 'next spring'",
    "start_bad_month.toml": IV + r"\.start: expected a month 01\.\.12, got '2027-13'",
    "start_before_1989.toml": IV + r"\.start: expected a year ≥ 1989, got 1900",
    "start_float.toml": IV + r"\.start: expected a year or \"YYYY-MM\", got 2027\.5",
    "subsidy_above_soviet.toml": IV + r"\.subsidy_level: expected a value ≤ 1\.0, got 1\.5",
    "farm_subsidy_no_rural.toml": IV + r"\.places\[0\]: 'capital' has no rural settlement",
    "border_negative_income.toml": IV + r"\.income_increase_sd: expected a value > 0\.0, got -0\.5",
    "hazard_return_zero.toml": IV + r"\.return_months: expected a value > 0\.0, got 0",
    "housing_with_places.toml": IV + r": unknown key 'places' \(valid keys: type, start, end, label, source, capacity_people\)",
    "transport_self_route.toml": IV + r"\.routes: route 0: expected two different place ids",
    "transport_zero_factor.toml": IV + r"\.cost_factor: expected a value > 0\.0, got 0\.0",
    "unknown_field.toml": IV + r": unknown key 'workers' \(valid keys: type, start, end, .*jobs",
    "unknown_intervention_type.toml": IV + r"\.type: unknown intervention type 'railway' \(valid types: ",
    "unknown_place.toml": IV + r"\.places\[0\]: unknown place 's_mines' \(did you mean: s_mine\?\)",
    "unknown_sector.toml": IV + r"\.sector: expected one of 'railway', .*, got 'spaceport'",
    "unknown_top_key.toml": r"unknown key 'colour' \(valid keys: name, description, base, horizon, ",
    "unterminated_string.toml": r"not valid TOML: .*\(at line 1, column \d+\)",
}


@pytest.fixture(scope="module")
def atlas():
    return load_atlas(MINI_ATLAS)


def test_corpus_is_complete() -> None:
    files = sorted(p.name for p in BAD.iterdir() if p.is_file())
    assert files == sorted(EXPECTED), "every corpus file needs an expected message (and back)"
    assert len(files) >= 25


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_rejected_with_one_line(name: str, atlas) -> None:
    path = BAD / name
    with pytest.raises(ScenarioError) as info:
        load_scenario(path, atlas)
    msg = str(info.value)
    assert "\n" not in msg
    assert re.fullmatch(re.escape(str(path)) + ": " + EXPECTED[name] + ".*", msg), msg


@pytest.mark.parametrize("name", ["unknown_place.toml", "binary_file.toml"])
def test_cli_prints_one_line_and_fails(name: str) -> None:
    res = run_kochu("scenario", "check", str(BAD / name), "--atlas", str(MINI_ATLAS), timeout=120)
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr
    assert re.search(EXPECTED[name], lines[0])
    assert res.stdout == ""


def test_cli_check_accepts_a_good_file(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text('name = "g"\nhorizon = 2030\nseeds = [1]\n', encoding="utf-8")
    res = run_kochu("scenario", "check", str(good), "--atlas", str(MINI_ATLAS), timeout=120)
    assert res.returncode == 0, res.stderr
    assert "g" in res.stdout and "ok" in res.stdout
