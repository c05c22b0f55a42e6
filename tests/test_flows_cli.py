"""``kochu flows fit`` / ``kochu flows directions`` through the real command line.

Each malformed table in ``tests/bad_inputs/flows/`` must be rejected with a non-zero exit and
exactly one stderr line matching the expected message — never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kochu.atlas import load_atlas
from kochu.flows.directions import decompose

HERE = Path(__file__).parent
BAD = HERE / "bad_inputs" / "flows"
MINI_ATLAS = HERE / "fixtures" / "mini_atlas"
COLS = ["--origin", "o", "--destination", "d", "--flow", "flow", "--distance", "dist"]
DOUBLY = ["--model", "doubly", "--cost", "pow", *COLS]

#: file -> (extra arguments, regex the single stderr line must match)
CASES = {
    "ragged_short_row.csv": (DOUBLY, r"ragged_short_row\.csv: line 4: 5 fields, expected 6"),
    "ragged_long_row.csv": (DOUBLY, r"ragged_long_row\.csv: line 5: 7 fields, expected 6"),
    "negative_flow.csv": (DOUBLY, r"negative_flow\.csv: line 3, column 'flow': expected a number >= 0, got -4"),
    "nan_flow.csv": (DOUBLY, r"nan_flow\.csv: line 6, column 'flow': expected a number, got 'NaN'"),
    "infinite_flow.csv": (DOUBLY, r"infinite_flow\.csv: line 6, column 'flow': expected a number, got 'inf'"),
    "empty_flow.csv": (DOUBLY, r"empty_flow\.csv: line 4, column 'flow': expected a number, got an empty value"),
    "text_in_distance.csv": (DOUBLY, r"text_in_distance\.csv: line 7, column 'dist': expected a distance, got 'far'"),
    "zero_distance_pow.csv": (DOUBLY, r"zero_distance_pow\.csv: line 2, column 'dist': expected a distance > 0 under power decay"),
    "missing_column.csv": (DOUBLY, r"missing_column\.csv: no column 'dist' \(columns: 'o', 'd', 'flow', 'om', 'dm'\)"),
    "empty.csv": (DOUBLY, r"empty\.csv: the file is empty"),
    "binary.csv": (DOUBLY, r"binary\.csv: binary file \(expected a CSV text table\)"),
    "header_only.csv": (DOUBLY, r"header_only\.csv: no data rows after the header"),
    "not_utf8.csv": (DOUBLY, r"not_utf8\.csv: not UTF-8 text"),
    "blank_line.csv": (DOUBLY, r"blank_line\.csv: line 5 is blank"),
    "duplicate_pair.csv": (DOUBLY, r"duplicate_pair\.csv: line 8: pair \(a, b\) repeats line 2"),
    "not_square_radiation.csv": (
        ["--model", "radiation", *COLS, "--origin-mass", "om", "--destination-mass", "dm"],
        r"not_square_radiation\.csv: the table is not square: no row for pair \(a, b\)"),
    "inconsistent_mass.csv": (
        ["--model", "gravity", "--cost", "pow", *COLS, "--origin-mass", "om"],
        r"inconsistent_mass\.csv: line 3, column 'om': origin a has mass 150 here but 100 on line 2"),
    "zero_mass.csv": (
        ["--model", "production", "--cost", "pow", *COLS, "--destination-mass", "om"],
        r"zero_mass\.csv: line 4, column 'om': expected a mass > 0"),
}


def kochu(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from kochu.cli import main; main()", *map(str, args)],
        capture_output=True, text=True, timeout=120, cwd=HERE.parent,
    )


def assert_one_line_error(r: subprocess.CompletedProcess, pattern: str) -> None:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert pytest.importorskip("re").search(pattern, lines[0]), lines[0]


def test_corpus_is_complete():
    assert sorted(p.name for p in BAD.glob("*.csv")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_one_line(name):
    args, pattern = CASES[name]
    assert_one_line_error(kochu("flows", "fit", BAD / name, *args), pattern)


def test_missing_file_and_bad_options():
    assert_one_line_error(kochu("flows", "fit", BAD / "nope.csv", *DOUBLY), r"nope\.csv: no such file")
    good = HERE / "data" / "austria.csv"
    assert_one_line_error(
        kochu("flows", "fit", good, "--model", "spline", *COLS),
        r"--model: expected one of gravity, production, attraction, doubly, radiation, got .spline.")
    assert_one_line_error(
        kochu("flows", "fit", good, "--model", "doubly", "--origin", "Origin", "--destination",
              "Destination", "--flow", "Data", "--distance", "Dij", "--origin-mass", "Oi"),
        r"austria\.csv: Doubly does not take origin_mass")


def test_fit_table_output():
    r = kochu("flows", "fit", HERE / "data" / "austria.csv", "--model", "doubly", "--cost", "exp",
              "--origin", "Origin", "--destination", "Destination", "--flow", "Data",
              "--distance", "Dij", "--drop-intrazonal")
    assert r.returncode == 0, r.stderr
    assert "-0.0079153" in r.stdout and "srmse" in r.stdout


def test_radiation_json():
    r = kochu("flows", "fit", HERE / "data" / "austria.csv", "--model", "radiation",
              "--origin", "Origin", "--destination", "Destination", "--flow", "Data",
              "--distance", "Dij", "--origin-mass", "Oi", "--destination-mass", "Dj",
              "--drop-intrazonal", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) >= {"params", "beta", "deviance", "llf", "srmse", "ssi"}
    assert out["beta"] is None and out["params"]["scale"] > 0


@pytest.fixture(scope="module")
def mini_od(tmp_path_factory) -> Path:
    ids = list(load_atlas(MINI_ATLAS).settlements.index)
    rows = [(o, d, float(1 + (3 * i + 7 * j) % 11)) for i, o in enumerate(ids)
            for j, d in enumerate(ids) if o != d]
    path = tmp_path_factory.mktemp("od") / "mini_od.csv"
    pd.DataFrame(rows, columns=["from", "to", "people"]).to_csv(path, index=False)
    return path


def test_directions_json_matches_function(mini_od):
    r = kochu("flows", "directions", mini_od, "--origin", "from", "--destination", "to",
              "--flow", "people", "--atlas", MINI_ATLAS, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    od = pd.read_csv(mini_od).rename(columns={"from": "origin", "to": "destination",
                                              "people": "flow"})
    expected = decompose(od, load_atlas(MINI_ATLAS).settlements)
    assert out["total_moves"] == expected.attrs["total_moves"]
    for name, row in expected.iterrows():
        assert out["directions"][name] == pytest.approx(row.to_dict())
    r = kochu("flows", "directions", mini_od, "--origin", "from", "--destination", "to",
              "--flow", "people", "--atlas", MINI_ATLAS)
    assert r.returncode == 0 and "rural → urban" in r.stdout


def test_directions_unknown_place(tmp_path):
    path = tmp_path / "od.csv"
    path.write_text("from,to,people\ns_capital,s_mine,3\ns_mine,narnia,2\n")
    assert_one_line_error(
        kochu("flows", "directions", path, "--origin", "from", "--destination", "to",
              "--flow", "people", "--atlas", MINI_ATLAS),
        r"od\.csv: line 3, column 'to': unknown place id 'narnia' \(not a settlement of .*mini_atlas\)")
