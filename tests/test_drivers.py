"""Tests for kochu.drivers: sources, shapes, orderings the sources imply, scenarios, rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kochu.atlas import load_atlas
from kochu.drivers import COMPONENTS, REGIME_COLUMNS, build_drivers
from kochu.drivers import sources as drv_sources
from kochu.errors import KochuError

MINI = Path(__file__).parent / "fixtures" / "mini_atlas"
FIX = "test fixture (coordinates from shared towns.csv where named; not data)"

# id, name, oblast, kind, lat, lon, elevation, urban, north, town_type, admin_rank, legal, hazard, founded
SETTLEMENTS = [
    ("s_bishkek", "Bishkek", "Bishkek", "capital", 42.87, 74.59, 800, 1, 1, "capital", 0, "", 0, ""),
    ("nv_ak_jar", "Ak-Jar", "Bishkek", "informal", 42.93, 74.55, 760, 1, 1, "informal", 4, "illegal", 1, 2005),
    ("nv_kalys_ordo", "Kalys-Ordo", "Bishkek", "informal", 42.90, 74.68, 780, 1, 1, "informal", 4, "legalised", 0, 2002),
    ("nv_first", "Ak-Orgo", "Bishkek", "informal", 42.86, 74.52, 770, 1, 1, "informal", 4, "legalised", 0, 1989),
    ("s_tokmok", "Tokmok", "Chuy", "town", 42.84, 75.30, 816, 1, 1, "capital_satellite", 2, "", 0, ""),
    ("s_chuy_rural", "Chuy rural", "Chuy", "rural", 42.80, 74.90, 750, 0, 1, "rural", 4, "", 0, ""),
    ("s_ak_tyuz", "Ak-Tyuz", "Chuy", "town", 42.88, 76.12, 2200, 1, 1, "mining", 3, "", 0, ""),
    ("s_naryn", "Naryn", "Naryn", "city", 41.43, 75.99, 2040, 1, 1, "regional_centre", 1, "", 0, ""),
    ("s_naryn_rural", "Naryn rural", "Naryn", "rural", 41.30, 75.50, 2500, 0, 1, "rural", 4, "", 0, ""),
    ("s_osh", "Osh", "Osh city", "city", 40.53, 72.80, 870, 1, 0, "regional_centre", 1, "", 0, ""),
    ("s_alai_rural", "Alai rural", "Osh", "rural", 39.60, 72.90, 2900, 0, 0, "rural", 4, "", 0, ""),
    ("s_uzgen", "Uzgen", "Osh", "town", 40.77, 73.30, 1000, 1, 0, "border_trade", 2, "", 0, ""),
    ("s_jalal_abad", "Jalal-Abad", "Jalal-Abad", "city", 40.93, 73.00, 763, 1, 0, "regional_centre", 1, "", 0, ""),
    ("s_kok_jangak", "Kok-Jangak", "Jalal-Abad", "town", 41.03, 73.20, 1400, 1, 0, "mining", 3, "", 0, ""),
    ("s_karakol", "Karakol", "Issyk-Kul", "city", 42.49, 78.39, 1690, 1, 1, "regional_centre", 1, "", 0, ""),
    ("s_talas", "Talas", "Talas", "city", 42.52, 72.24, 1280, 1, 1, "regional_centre", 1, "", 0, ""),
    ("s_batken", "Batken", "Batken", "city", 40.06, 70.82, 1050, 1, 0, "regional_centre", 1, "", 0, ""),
    ("s_isfana", "Isfana", "Batken", "town", 39.84, 69.53, 1300, 1, 0, "remote", 2, "", 0, ""),
]
RAYON = {"s_alai_rural": "Alai", "s_uzgen": "Uzgen"}
ROADS = [("s_bishkek", "s_tokmok", 63), ("s_bishkek", "s_chuy_rural", 30), ("s_tokmok", "s_ak_tyuz", 60),
         ("s_tokmok", "s_naryn", 290), ("s_naryn", "s_naryn_rural", 60), ("s_bishkek", "s_talas", 290),
         ("s_bishkek", "s_jalal_abad", 560), ("s_jalal_abad", "s_kok_jangak", 40), ("s_jalal_abad", "s_osh", 100),
         ("s_osh", "s_uzgen", 48), ("s_osh", "s_alai_rural", 200), ("s_osh", "s_batken", 250),
         ("s_batken", "s_isfana", 70), ("s_tokmok", "s_karakol", 330), ("s_bishkek", "nv_ak_jar", 10),
         ("s_bishkek", "nv_kalys_ordo", 10), ("s_bishkek", "nv_first", 8)]


def _oid(name: str) -> str:
    return name.lower().replace("-", "_").replace(" ", "_")


def write_kg_atlas(folder: Path) -> Path:
    """A small atlas with Kyrgyzstan's first-level names (so the drivers' own data apply)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["id,name,level,parent,kind,lat,lon,elevation_m,urban,north,border,town_type,admin_rank,"
            "legal_status,hazard_zone,founded,source", f"kyrgyzstan,Kyrgyzstan,country,,,,,,,,,,,,,,{FIX}"]
    oblasts = sorted({s[2] for s in SETTLEMENTS})
    rayons: dict[str, tuple[str, str]] = {}
    for ob in oblasts:
        rows.append(f"{_oid(ob)},{ob},oblast,kyrgyzstan,,,,,,,,,,,,,{FIX}")
    for s in SETTLEMENTS:
        rname = RAYON.get(s[0], f"{s[2]} district")
        rayons[_oid("r_" + rname)] = (rname, _oid(s[2]))
    for rid, (rname, parent) in rayons.items():
        rows.append(f"{rid},{rname},rayon,{parent},,,,,,,,,,,,,{FIX}")
    for s in SETTLEMENTS:
        rid = _oid("r_" + RAYON.get(s[0], f"{s[2]} district"))
        sid, name, _, kind, lat, lon, el, urb, north, tt, rank, legal, haz, founded = s
        rows.append(f"{sid},{name},settlement,{rid},{kind},{lat},{lon},{el},{urb},{north},0,{tt},{rank},"
                    f"{legal},{haz},{founded},{FIX}")
    (folder / "places.csv").write_text("\n".join(rows) + "\n")
    pops = ["place,year,measure,population,status,source"]
    for i, s in enumerate(SETTLEMENTS):
        for y in (1989, 1999, 2009):
            pops.append(f"{s[0]},{y},de_facto,{10000 + 1000 * i + (y - 1989)},reported,{FIX}")
    (folder / "populations.csv").write_text("\n".join(pops) + "\n")
    nodes = ["id,name,lat,lon,elevation_m,place,source"]
    nodes += [f"n_{s[0]},{s[1]},{s[4]},{s[5]},{s[6]},{s[0]},{FIX}" for s in SETTLEMENTS]
    (folder / "road_nodes.csv").write_text("\n".join(nodes) + "\n")
    roads = ["from,to,km,source"] + [f"n_{a},n_{b},{km},{FIX}" for a, b, km in ROADS]
    (folder / "roads.csv").write_text("\n".join(roads) + "\n")
    (folder / "SOURCES.md").write_text("# Sources\n\nTest fixture, not data.\n")
    return folder


@pytest.fixture(scope="module")
def kg_atlas(tmp_path_factory):
    return load_atlas(write_kg_atlas(tmp_path_factory.mktemp("kg") / "atlas"))


@pytest.fixture(scope="module")
def d(kg_atlas):
    return build_drivers(kg_atlas, start=1989, end=2050)


def at(d, name, year, place):
    return float(d.component(name, year)[d.places.get_loc(place)])


# -- sources, shapes --------------------------------------------------------------------------
def test_every_component_and_regime_column_has_a_source(d):
    assert set(d.pull) == set(COMPONENTS)
    assert list(d.regime.columns) == list(REGIME_COLUMNS)
    for name in (*COMPONENTS, *REGIME_COLUMNS):
        assert name in d.sources, name
        assert len(d.sources[name]) > 80, name
    for name in d.raw:
        assert d.sources[f"raw:{name}"].strip(), name
    assert "seed" in d.sources["mobility_control"] and "World Bank" in d.sources["land"]


def test_data_files_have_a_source_on_every_row():
    for name in ("oblast_indicators.csv", "national_series.csv", "regime_anchors.csv",
                 "mining_closures.csv", "town_type_effects.csv", "events.csv"):
        df = drv_sources.read(name)
        assert len(df) and df["source"].str.strip().str.len().min() > 10, name
        assert set(df["status"]) <= {"reported", "derived"}, name


def test_shapes_and_no_nan(d, kg_atlas):
    assert d.years[0] == 1989 and d.years[-1] == 2050 and len(d.years) == 62
    assert list(d.places) == list(kg_atlas.settlements.index)
    for name, arr in {**d.pull, **d.raw}.items():
        assert arr.shape == (62, len(d.places)), name
        assert np.isfinite(arr).all(), name
    assert d.regime.index.tolist() == list(range(1989, 2051))
    assert np.isfinite(d.regime.to_numpy(float)).all()


def test_components_are_standardized_against_2009(d):
    for name in ("income", "education", "health", "services", "remoteness", "urban", "hazard"):
        x = d.component(name, 2009)
        assert abs(x.mean()) < 1e-9 and abs(x.std() - 1) < 1e-9, name


# -- orderings the sources imply --------------------------------------------------------------
def test_capital_above_naryn_in_income_and_education(d):
    assert at(d, "income", 2009, "s_bishkek") > at(d, "income", 2009, "s_naryn")
    assert at(d, "education", 2009, "s_bishkek") > at(d, "education", 2009, "s_naryn")
    assert at(d, "health", 2009, "s_bishkek") > at(d, "health", 2009, "s_naryn")
    # the Chuy valley shares the capital's institutions (seed)
    assert at(d, "education", 2009, "s_tokmok") > at(d, "education", 2009, "s_naryn")


def test_naryn_more_remote_than_chuy(d):
    for chuy in ("s_tokmok", "s_chuy_rural"):
        assert at(d, "remoteness", 2009, "s_naryn") > at(d, "remoteness", 2009, chuy)
    assert at(d, "remoteness", 2009, "s_naryn_rural") > at(d, "remoteness", 2009, "s_naryn")


def test_land_north_rural_above_south_rural_and_towns(d):
    assert at(d, "land", 2009, "s_naryn_rural") > at(d, "land", 2009, "s_alai_rural") > at(d, "land", 2009, "s_osh")


def test_poverty_higher_in_rural_and_higher_places(d):
    pov = d.raw["poverty"][d.years == 2009][0]
    i = d.places.get_loc
    assert pov[i("s_naryn_rural")] > pov[i("s_naryn")]


def test_regime_orderings(d):
    r = d.regime
    assert r.loc[1993, "mining_jobs"] < r.loc[1991, "mining_jobs"] == 1.0
    assert r["mining_jobs"].is_monotonic_decreasing
    assert r.loc[1989:2015, "emigration_pressure_slavic"].idxmax() == 1993
    assert r.loc[1993, "emigration_pressure_slavic"] == pytest.approx(1.0)
    lad = r.loc[2000:2009, "labour_abroad_demand"].to_numpy()
    assert (np.diff(lad) > 0).all() and lad[-1] == pytest.approx(1.0)
    assert r.loc[1988 if 1988 in r.index else 1989, "mobility_control"] > r.loc[1995, "mobility_control"] == 0
    assert r.loc[1991, "farm_subsidy"] == 1 and r.loc[1992, "farm_subsidy"] == 0
    assert r.loc[1991, "registration_propensity"] == 1 and r.loc[2005, "registration_propensity"] == pytest.approx(0.68)
    assert r.loc[1991, "registered_moves"] == 89000 and r.loc[1998, "registered_moves"] == 38000
    assert r.loc[1992, "family_move_share"] == 1 and r.loc[2005, "family_move_share"] == 0
    assert r.loc[1991, "legalisation"] == 1 and r.loc[2003, "legalisation"] == 1 and r.loc[2010, "legalisation"] == 0


def test_mining_town_loses_its_jobs_at_closure(d):
    i = d.places.get_loc("s_kok_jangak")
    jobs = d.pull["jobs"][:, i]
    assert jobs[d.years == 1991][0] - jobs[d.years == 1992][0] == pytest.approx(1.0)
    assert d.raw["mine_open"][d.years == 1991][0][i] == 1 and d.raw["mine_open"][d.years == 1992][0][i] == 0


def test_novostroiki_services(d):
    w = d.raw["water"]
    i = d.places.get_loc
    assert (w[:, i("nv_ak_jar")] == 0).all()  # illegal, hazard zone: never served
    assert w[d.years == 2002][0][i("nv_kalys_ordo")] == 0 < w[d.years == 2003][0][i("nv_kalys_ordo")]
    assert w[d.years == 1991][0][i("nv_first")] > 0 == w[d.years == 1990][0][i("nv_first")]
    assert at(d, "services", 2009, "nv_ak_jar") < at(d, "services", 2009, "s_bishkek")
    assert at(d, "hazard", 2009, "nv_ak_jar") > at(d, "hazard", 2009, "s_bishkek")


# -- carry forward, back-cast -----------------------------------------------------------------
def test_years_after_2015_carry_the_last_value(d):
    last = d.years == 2015
    for name, arr in {**d.pull, **d.raw}.items():
        assert np.array_equal(arr[d.years > 2015], np.repeat(arr[last], (d.years > 2015).sum(), axis=0)), name
    # the capital's formal housing is the one documented exception (growth rule from 2013,
    # regime_anchors.csv housing_supply_capital_growth)
    housing = ["housing_supply_capital", "housing_capacity_capital"]
    held = d.regime.drop(columns=housing)
    assert (held.loc[2016:] == held.loc[2015]).all().all()
    cap = d.regime["housing_supply_capital"]
    assert cap.loc[2012] == pytest.approx(0.9964, abs=1e-4) and cap.loc[2013] == pytest.approx(0.9964 * 1.01347)
    assert (cap.loc[2013:].diff().dropna() > 0).all()


def test_gap_factor_narrows_the_1989_gap(kg_atlas, d):
    narrow = build_drivers(kg_atlas, start=1989, end=2015, gap_1989=0.5)
    spread = lambda dd: dd.raw["grp_rel"][0].std()  # noqa: E731
    assert 0.4 * spread(d) < spread(narrow) < 0.6 * spread(d)
    assert np.array_equal(narrow.raw["grp_rel"][-1], d.raw["grp_rel"][d.years == 2015][0])


# -- scenarios --------------------------------------------------------------------------------
def test_modified_changes_only_requested_cells(d):
    before = {k: v.copy() for k, v in d.pull.items()}
    m = d.modified("jobs", places=["s_naryn"], years=range(2020, 2031), delta=0.5)
    i = d.places.get_loc("s_naryn")
    rows = (d.years >= 2020) & (d.years <= 2030)
    diff = m.pull["jobs"] - d.pull["jobs"]
    assert np.allclose(diff[rows, i], 0.5)
    diff[rows, i] = 0
    assert not diff.any()
    for k in d.pull:
        assert np.array_equal(d.pull[k], before[k]), k
        if k != "jobs":
            assert np.array_equal(m.pull[k], d.pull[k])
    f = d.modified("remoteness", places="s_naryn", years=2030, factor=0.5)
    assert at(f, "remoteness", 2030, "s_naryn") == pytest.approx(0.5 * at(d, "remoteness", 2030, "s_naryn"))
    with pytest.raises(ValueError):
        d.pull["jobs"][0, 0] = 1.0  # read-only


def test_modified_regime_column(d):
    m = d.modified("registration_propensity", years=range(2025, 2051), delta=0.2)
    assert m.regime.loc[2030, "registration_propensity"] == pytest.approx(0.88)
    assert d.regime.loc[2030, "registration_propensity"] == pytest.approx(0.68)
    assert (m.regime.loc[:2024] == d.regime.loc[:2024]).all().all()


@pytest.mark.parametrize("kwargs, match", [
    ({"name": "wages", "delta": 1}, "driver 'wages': unknown"),
    ({"name": "jobs", "places": ["nowhere"], "delta": 1}, "place 'nowhere'"),
    ({"name": "jobs", "years": [2051], "delta": 1}, "year 2051: outside"),
    ({"name": "jobs"}, "give delta and/or factor"),
    ({"name": "farm_subsidy", "places": ["s_naryn"], "delta": 1}, "places must be None"),
])
def test_modified_rejects_bad_input(d, kwargs, match):
    with pytest.raises(KochuError, match=match):
        d.modified(**kwargs)


def test_component_errors(d):
    with pytest.raises(KochuError, match="component 'wages'"):
        d.component("wages", 2000)
    with pytest.raises(KochuError, match="year 1950"):
        d.component("jobs", 1950)
    with pytest.raises(KochuError, match="start 2000 is after end 1999"):
        build_drivers(None, start=2000, end=1999)


# -- events, export, determinism --------------------------------------------------------------
def test_events_resolve_to_places(d):
    by = {(e.year, e.kind): e for e in d.events}
    osh = by[(2010, "conflict")]
    assert set(osh.places) == {"s_osh", "s_alai_rural", "s_uzgen", "s_jalal_abad", "s_kok_jangak"}
    assert osh.month == 6 and osh.fraction == pytest.approx(0.1375) and osh.months_to_return == 1
    uzb = by[(2010, "refugees_abroad")]  # the flight to Uzbekistan: 87.5 k of the 400 k displaced
    assert uzb.places == osh.places and uzb.fraction + osh.fraction == pytest.approx(387_500 / 2_181_800, abs=1e-3)
    assert by[(2008, "earthquake")].places == ("s_alai_rural",)
    # the village event falls on the rural part of the rayon when there is one
    assert by[(2003, "landslide")].places == ("s_uzgen",) and by[(2003, "landslide")].deaths == 30
    assert by[(2003, "legalisation")].places == ("nv_kalys_ordo",)
    assert by[(1991, "legalisation")].places == ("nv_first",)
    closures = {e.places[0]: e.year for e in d.events if e.kind == "mine_closure"}
    assert closures == {"s_kok_jangak": 1992, "s_ak_tyuz": 1992}
    assert all(e.source for e in d.events)
    assert [(e.year, e.month) for e in d.events] == sorted((e.year, e.month) for e in d.events)


def test_to_frame_long_table(d):
    f = d.to_frame()
    assert list(f.columns) == ["year", "place", "component", "value"]
    assert len(f) == len(COMPONENTS) * len(d.years) * len(d.places)
    row = f[(f.year == 2009) & (f.place == "s_naryn") & (f.component == "income")]
    assert row["value"].iloc[0] == pytest.approx(at(d, "income", 2009, "s_naryn"))


def test_build_is_deterministic(kg_atlas, d):
    again = build_drivers(kg_atlas, start=1989, end=2050)
    pd.testing.assert_frame_equal(again.to_frame(), d.to_frame())
    pd.testing.assert_frame_equal(again.regime, d.regime)
    assert again.events == d.events and again.sources == d.sources


def test_sub_range_matches_full_range(kg_atlas, d):
    part = build_drivers(kg_atlas, start=2000, end=2005)
    rows = (d.years >= 2000) & (d.years <= 2005)
    for k in d.pull:
        assert np.allclose(part.pull[k], d.pull[k][rows]), k


def test_mini_fixture_atlas_without_kyrgyz_names():
    mini = build_drivers(load_atlas(MINI), start=1989, end=2030)
    assert all(np.isfinite(a).all() for a in mini.pull.values())
    i = mini.places.get_loc
    inc = mini.component("income", 2009)
    assert inc[i("s_capital")] > inc[i("s_plain_rural")]  # poverty_rate from the atlas attributes


def test_malformed_data_file_is_one_line_error(tmp_path, monkeypatch):
    bad = tmp_path / "regime_anchors.csv"
    bad.write_text("column,year,value,status,source\nfarm_subsidy,1991,1.0,guessed,somewhere\n")
    monkeypatch.setattr(drv_sources, "DATA", tmp_path)
    drv_sources.read.cache_clear()
    try:
        with pytest.raises(KochuError, match="regime_anchors.csv row 2, column 'status'"):
            drv_sources.read("regime_anchors.csv")
    finally:
        drv_sources.read.cache_clear()


@pytest.mark.skipif(not (Path(__file__).parents[1] / "kochu/atlas/data/kyrgyzstan/places.csv").exists(),
                    reason="embedded Kyrgyzstan atlas not built yet")
def test_embedded_atlas_orderings():
    from kochu.errors import AtlasError

    try:
        atlas = load_atlas()
    except AtlasError as exc:  # the atlas is someone else's work in progress; its own tests cover it
        pytest.skip(f"embedded atlas does not load yet: {exc}")
    dd = build_drivers(atlas, start=1989, end=2030)
    st = atlas.settlements
    by_name = {n: pid for pid, n in st["name"].items()}
    b, n = by_name["Bishkek"], by_name["Naryn"]
    assert at(dd, "income", 2009, b) > at(dd, "income", 2009, n)
    assert at(dd, "education", 2009, b) > at(dd, "education", 2009, n)
    chuy = st.index[(st["oblast"] == "Chuy").to_numpy()]
    naryn = st.index[(st["oblast"] == "Naryn").to_numpy()]
    rem = pd.Series(dd.component("remoteness", 2009), index=dd.places)
    assert rem[naryn].mean() > rem[chuy].mean()
    assert all(np.isfinite(a).all() for a in dd.pull.values())


def test_modified_raw_moves_the_component_consistently(d, kg_atlas):
    rows = d.years >= 2025
    m = d.modified_raw("hours_to_capital", ["s_naryn"], range(2025, 2051), delta=-2.0)
    i = d.places.get_loc("s_naryn")
    assert np.allclose(m.raw["hours_to_capital"][rows, i], d.raw["hours_to_capital"][rows, i] - 2)
    assert np.allclose(m.raw["remote_hours"][rows, i], d.raw["remote_hours"][rows, i] - 2)
    drop = d.pull["remoteness"][rows, i] - m.pull["remoteness"][rows, i]
    assert (drop > 0).all()
    # the same as rebuilding with the changed hours: remoteness is linear in hours
    gain = d.gains["hours_to_capital"][1]
    assert np.allclose(drop, 2 * gain)
    other = np.ones(len(d.places), bool)
    other[i] = False
    assert np.array_equal(m.pull["remoteness"][:, other], d.pull["remoteness"][:, other])
    mine = d.modified_raw("mine_open", "s_naryn", range(2030, 2051), delta=1.0)
    assert at(mine, "jobs", 2030, "s_naryn") - at(d, "jobs", 2030, "s_naryn") == pytest.approx(1.0)
    job = d.modified_raw("employment", "s_naryn", 2030, delta=0.05)
    assert at(job, "jobs", 2030, "s_naryn") > at(d, "jobs", 2030, "s_naryn")
    with pytest.raises(KochuError, match="raw indicator 'hei'"):
        d.modified_raw("hei", delta=1)


def test_gains_match_a_rebuild(d):
    """A raw change through the gain equals recomputing the component from the raw parts."""
    g_comp, gain = d.gains["doctors"]
    assert g_comp == "health"
    x = d.raw["doctors"]
    base = x[d.years == 2009][0]
    expect = (x - base.mean()) / base.std()
    assert np.allclose(d.pull["health"], expect)
    assert gain == pytest.approx(1 / base.std())


def test_drivers_pickle_round_trip(d):
    """Ensembles ship the drivers to Dask workers: pickling must keep every value."""
    import pickle

    back = pickle.loads(pickle.dumps(d))
    pd.testing.assert_frame_equal(back.to_frame(), d.to_frame())
    pd.testing.assert_frame_equal(back.regime, d.regime)
    assert back.events == d.events and back.gains == d.gains
