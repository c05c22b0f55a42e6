"""Write the corpus of malformed atlas folders in ``tests/bad_inputs/atlas/``.

Each case is a folder holding only what differs from ``tests/fixtures/mini_atlas`` (files to
overlay, and ``REMOVE`` listing files to delete) plus ``expected.txt``: a regular expression
the one-line error must match. The test copies the fixture, applies the case and runs
``kochu atlas --atlas`` on it. Run this script after changing the fixture.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "mini_atlas"
OUT = ROOT / "tests" / "bad_inputs" / "atlas"


def text(name: str) -> str:
    return (FIXTURE / name).read_text(encoding="utf-8")


def replace_line(name: str, old: str, new: str) -> str:
    t = text(name)
    assert old in t, (name, old)
    return t.replace(old, new, 1)


PL = "places.csv"
PO = "populations.csv"
CASE_ROW = "s_mine,Mine town,settlement,r_highland,town,42.77,75.80,1900,1,1,0,mining,3,,0,,test fixture"
POP_ROW = "s_mine,1999,de_facto,9000,reported,test fixture"

CASES: dict[str, tuple[dict[str, str | bytes], list[str], str]] = {
    "missing_places": ({}, [PL], r"places\.csv: file missing"),
    "missing_populations": ({}, [PO], r"populations\.csv: file missing"),
    "missing_sources_md": ({}, ["SOURCES.md"], r"SOURCES\.md: file missing"),
    "missing_column_lat": (
        {PL: "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 5) for line in text(PL).splitlines()) + "\n"},
        [], r"places\.csv: column 'lat' missing",
    ),
    "missing_column_population": (
        {PO: text(PO).replace(",population,", ",pop,", 1)}, [], r"populations\.csv: column 'population' missing",
    ),
    "duplicate_id": (
        {PL: text(PL) + CASE_ROW + "\n"}, [], r"places\.csv row 18, column 'id': duplicate id 's_mine'",
    ),
    "unknown_parent": (
        {PL: replace_line(PL, CASE_ROW, CASE_ROW.replace("r_highland", "r_nowhere"))},
        [], r"places\.csv row \d+, column 'parent': unknown parent 'r_nowhere'",
    ),
    "parent_wrong_level": (
        {PL: replace_line(PL, CASE_ROW, CASE_ROW.replace("r_highland", "north_o"))},
        [], r"column 'parent': 'north_o' is a oblast, expected a rayon",
    ),
    "two_countries": (
        {PL: text(PL) + "otherland,Otherland,country,,,,,,,,,,,,,,x\n"}, [], r"exactly one place with level 'country', found 2",
    ),
    "negative_population": (
        {PO: replace_line(PO, POP_ROW, POP_ROW.replace("9000", "-9000"))},
        [], r"populations\.csv row \d+, column 'population': expected a non-negative whole number.*got '-9000'",
    ),
    "text_population": (
        {PO: replace_line(PO, POP_ROW, POP_ROW.replace("9000", "nine thousand"))},
        [], r"column 'population': expected a non-negative whole number.*got 'nine thousand'",
    ),
    "fractional_population": (
        {PO: replace_line(PO, POP_ROW, POP_ROW.replace("9000", "9000.5"))},
        [], r"column 'population': expected a non-negative whole number",
    ),
    "nan_population": (
        {PO: replace_line(PO, POP_ROW, POP_ROW.replace("9000", "nan"))}, [], r"column 'population'.*got 'nan'",
    ),
    "lat_out_of_range": (
        {PL: replace_line(PL, CASE_ROW, CASE_ROW.replace("42.77", "142.77"))},
        [], r"places\.csv row \d+, column 'lat': expected a number between -90 and 90, got '142.77'",
    ),
    "lon_out_of_range": (
        {PL: replace_line(PL, CASE_ROW, CASE_ROW.replace("75.80", "-275.80"))},
        [], r"column 'lon': expected a number between -180 and 180",
    ),
    "lat_text": (
        {PL: replace_line(PL, CASE_ROW, CASE_ROW.replace("42.77", "north"))}, [], r"column 'lat'.*got 'north'",
    ),
    "settlement_without_coordinates": (
        {PL: replace_line(PL, CASE_ROW, CASE_ROW.replace("42.77,75.80", ","))},
        [], r"column 'lat': empty, expected a value for a settlement",
    ),
    "unknown_level": (
        {PL: replace_line(PL, CASE_ROW, CASE_ROW.replace(",settlement,", ",village,"))},
        [], r"column 'level': expected one of country, oblast, rayon, settlement, got 'village'",
    ),
    "unknown_kind": (
        {PL: replace_line(PL, CASE_ROW, CASE_ROW.replace(",town,", ",hamlet,"))}, [], r"column 'kind': expected one of",
    ),
    "bad_flag": (
        {PL: replace_line(PL, CASE_ROW, CASE_ROW.replace(",1,1,0,mining", ",yes,1,0,mining"))},
        [], r"column 'urban': expected one of 0, 1, got 'yes'",
    ),
    "bad_id_chars": (
        {PL: replace_line(PL, CASE_ROW, CASE_ROW.replace("s_mine,", "S Mine,"))}, [], r"column 'id': expected an id",
    ),
    "ragged_row": (
        {PL: replace_line(PL, CASE_ROW, CASE_ROW + ",extra")}, [], r"places\.csv row \d+: 18 fields, expected 17",
    ),
    "wrong_encoding": (
        {PL: text(PL).replace("Mine town", "Mine töwn").encode("latin-1")}, [], r"places\.csv: not UTF-8 text",
    ),
    "binary_file": ({PO: b"\x00\x01\x02PK\x03\x04" * 50}, [], r"populations\.csv: binary file"),
    "empty_file": ({PO: ""}, [], r"populations\.csv: empty file"),
    "population_unknown_place": (
        {PO: text(PO) + "s_atlantis,1999,de_facto,5,reported,x\n"}, [], r"column 'place': unknown place 's_atlantis'",
    ),
    "duplicate_population": (
        {PO: text(PO) + POP_ROW + "\n"}, [], r"populations\.csv row \d+: duplicate row for place=s_mine, year=1999",
    ),
    "bad_measure": (
        {PO: replace_line(PO, POP_ROW, POP_ROW.replace("de_facto", "dejure"))}, [], r"column 'measure': expected one of de_facto, permanent",
    ),
    "missing_source": (
        {PO: replace_line(PO, POP_ROW, POP_ROW.replace("test fixture", ""))}, [], r"column 'source': empty, expected a value",
    ),
    "sums_do_not_add_up": (
        {PO: replace_line(PO, POP_ROW, POP_ROW.replace("9000", "9001"))},
        [], r"de_facto 1999: children of 'r_highland' sum to 124,001, but 'r_highland' has 124,000",
    ),
    "year_out_of_range": (
        {PO: replace_line(PO, POP_ROW, POP_ROW.replace("1999", "19999"))}, [], r"column 'year': expected a year between 1800 and 2100",
    ),
    "informal_without_status": (
        {PL: text(PL).replace("informal,4,illegal,1,1990", "informal,4,,1,1990")}, [], r"column 'legal_status': empty",
    ),
    "road_unknown_node": (
        {"roads.csv": text("roads.csv") + "n_capital,n_moon,10,,1,,x\n"}, [], r"roads\.csv row \d+, column 'to': unknown road node 'n_moon'",
    ),
    "road_negative_km": (
        {"roads.csv": text("roads.csv").replace("n_capital,n_satellite,60", "n_capital,n_satellite,-60")}, [], r"roads\.csv row 2, column 'km'",
    ),
    "attribute_inf": (
        {"attributes.csv": text("attributes.csv") + "south_o,2010,poverty_rate,inf,reported,x\n"}, [], r"attributes\.csv row \d+, column 'value': expected a finite number",
    ),
    "vital_rate_absurd": (
        {"vital_rates.csv": text("vital_rates.csv").replace("capital,1995,20,7", "capital,1995,200,7")}, [], r"vital_rates\.csv row \d+, column 'crude_birth_rate'",
    ),
}


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    for name, (files, remove, expected) in CASES.items():
        d = OUT / name
        d.mkdir(parents=True)
        for fname, content in files.items():
            if isinstance(content, bytes):
                (d / fname).write_bytes(content)
            else:
                (d / fname).write_text(content, encoding="utf-8")
        if remove:
            (d / "REMOVE").write_text("\n".join(remove) + "\n")
        (d / "expected.txt").write_text(expected + "\n")
    print(f"{len(CASES)} malformed atlas folders in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
