"""Ethnic placement in the named units and the southern birth factor (sim and projection alike).

* :func:`kochu.sim.init.ethnic_shares` puts the area weight on the units of
  :data:`~kochu.sim.init.SLAVIC_UNITS` only (not every northern unit), with the sourced totals.
* ``birth_factor_south`` (:mod:`kochu.sim.demography`) multiplies the southern units' births
  relative to everybody else's by exactly that ratio in the years before registered oblast rates,
  in the sim's tables and in both projection rate models; the calibration's prior pulls it to 1.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from kochu.atlas import load_atlas
from kochu.errors import AtlasError, KochuError
from kochu.sim.demography import Vital, birth_multipliers, south_units
from kochu.sim.init import SLAVIC_UNITS, ethnic_area, ethnic_shares
from kochu.sim.params import Params
from kochu.sim.world import build_world
from tests.helpers import MINI_ATLAS

#: sourced totals (params.py): 1989 census
SLAVS, GERMANS = 1_027_585, 101_309


@pytest.fixture(scope="module")
def kg():
    atlas = load_atlas()
    return atlas, build_world(atlas)


@pytest.fixture(scope="module")
def mini():
    atlas = load_atlas(MINI_ATLAS)
    return atlas, build_world(atlas)


def _weights(world, p: Params, area: np.ndarray) -> np.ndarray:
    return (np.where(area == 1, p["ethnic_weight_north"], 1.0) * np.where(world.urban == 1, p["ethnic_weight_urban"], 1.0)
            * np.where(world.mining, p["ethnic_weight_mining"], 1.0))


def test_slavs_are_placed_by_the_named_units_not_every_northern_unit(kg):
    atlas, world = kg
    p = Params(ethnic_weight_north=4.0, slavic_1989=SLAVS, german_1989=GERMANS)
    counts = world.pop1989.astype(np.float64)
    s_slav, s_ger = ethnic_shares(world, p, counts)
    # sourced totals unchanged (the weights only share them out)
    assert (s_slav * counts).sum() == pytest.approx(SLAVS, rel=1e-6)
    assert (s_ger * counts).sum() == pytest.approx(GERMANS, rel=1e-6)
    units = np.array(world.unit_ids)[world.unit]
    area = ethnic_area(world)
    assert set(units[area == 1]) == set(SLAVIC_UNITS)
    # every uncapped place's share is proportional to area × urban × mining, nothing else
    share = s_slav + s_ger
    free = (share < p["ethnic_share_cap"] - 1e-9) & (counts > 0)
    ratio = share[free] / _weights(world, p, area)[free]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
    # Naryn and Talas (north = 1 but not in the area) get the same share as a southern place alike
    north_out = (world.north == 1) & (area == 0) & free
    assert north_out.any()
    south = (world.north == 0) & free
    for flags in {(u, m) for u, m in zip(world.urban[north_out], world.mining[north_out], strict=True)}:
        a = north_out & (world.urban == flags[0]) & (world.mining == flags[1])
        b = south & (world.urban == flags[0]) & (world.mining == flags[1])
        if b.any():
            assert share[a].max() == pytest.approx(share[b].min(), rel=1e-9)
    by_unit = pd.Series(share * counts).groupby(units).sum() / pd.Series(counts).groupby(units).sum()
    assert by_unit[["naryn", "talas"]].max() < 0.15 < by_unit[["chuy", "issyk_kul"]].min()


def test_the_area_is_a_parameter_and_bad_lists_are_rejected(kg, mini):
    _atlas, world = kg
    p = Params(ethnic_weight_north=4.0)
    counts = world.pop1989.astype(np.float64)
    units = np.array(world.unit_ids)[world.unit]
    naryn = units == "naryn"
    base = (ethnic_shares(world, p, counts)[0] * counts)[naryn].sum()
    wide = (ethnic_shares(world, p, counts, units=("naryn", "bishkek"))[0] * counts)[naryn].sum()
    assert wide > 2 * base
    with pytest.raises(AtlasError, match="ethnic area units atlantis: none is a first-level unit"):
        ethnic_shares(world, p, counts, units=("atlantis",))
    # an atlas without any of the default ids (the mini fixture) falls back to its north flag
    _m, mw = mini
    np.testing.assert_array_equal(ethnic_area(mw), (mw.north == 1).astype(np.int8))


def test_built_population_has_slavs_where_the_shares_say(kg):
    atlas, world = kg
    from kochu.sim.init import build_population

    p = Params(ethnic_weight_north=4.0)
    people = build_population(world, atlas, p, seed=3, scale=0.01, start_year=1989)
    c = people.columns()
    units = np.array(world.unit_ids)[world.unit][c["place"]]
    slav = pd.Series(c["eth"] == 1).groupby(units).mean()
    assert slav["naryn"] < 0.12 and slav["talas"] < 0.12
    assert slav["chuy"] > 0.25 and slav["issyk_kul"] > 0.25


# --- southern birth factor -----------------------------------------------------------------

YEARS = range(2008, 2014)


def fake_vital(factor: float) -> Vital:
    """Country 30 / 8 per 1000; units a (north), b (south), c (south, sourced factor 1.5)."""
    rates = {"land": 30.0, "a": 30.0, "b": 30.0, "c": 45.0}
    rows = [(u, y, b, 8.0) for u, b in rates.items() for y in YEARS]
    vr = pd.DataFrame(rows, columns=["unit", "year", "crude_birth_rate", "crude_death_rate"])
    places = pd.DataFrame({"level": ["country", "oblast", "oblast", "oblast"], "north": [np.nan, 1, 0, 0]},
                          index=list(rates))
    atlas = SimpleNamespace(vital_rates=vr, places=places)
    world = SimpleNamespace(unit_ids=np.array(["a", "b", "c"]))
    return Vital(atlas, world, Params(birth_factor_south=factor), YEARS[0], YEARS[-1])


def test_birth_factor_raises_the_southern_units_births_by_that_ratio_in_the_sim_tables():
    n = np.array([1000.0, 1000.0, 1000.0])
    s_sum, f_sum = np.full(3, 20.0), np.full(3, 100.0)
    one, more = fake_vital(1.0), fake_vital(1.3)
    for year in YEARS:
        _kd1, kb1 = one.yearly_scales(year, n, s_sum, f_sum)
        _kd2, kb2 = more.yearly_scales(year, n, s_sum, f_sum)
        rel1, rel2 = kb1 / kb1[0], kb2 / kb2[0]
        expected = 1.3 if year <= 2010 else 1.0
        np.testing.assert_allclose(rel2 / rel1, [1.0, expected, expected], rtol=1e-12)
        # the country's births stay the national rate's
        assert (kb2 * f_sum).sum() == pytest.approx((kb1 * f_sum).sum(), rel=1e-12)


def test_birth_multipliers_and_bad_values():
    m = birth_multipliers(Params(birth_factor_south=0.8), np.array([True, False]), [2009, 2010, 2011])
    np.testing.assert_array_equal(m, [[0.8, 1.0], [0.8, 1.0], [1.0, 1.0]])
    with pytest.raises(KochuError, match="birth_factor_south.*expected a ratio > 0"):
        birth_multipliers(Params(birth_factor_south=0.0), np.array([True]), [2000])


def _place_levels_projection(atlas, factor: float, year: int) -> np.ndarray:
    from kochu.projection.inputs import DemographicRates, initial_population

    places = list(atlas.settlements.index)
    rates = DemographicRates(atlas, places, params={"birth_factor_south": factor})
    pop = initial_population(atlas, places, 1989)
    for y in range(1989, year):  # advance the minority state year by year without moves
        rates(y, pop)
    fert = rates(year, pop).fertility
    return fert.sum(axis=0)


def _place_levels_simdemography(atlas, factor: float, year: int) -> np.ndarray:
    from kochu.projection.from_sim import SimContext, SimDemography
    from kochu.projection.inputs import initial_population
    from kochu.sim.decisions import NullDrivers

    drivers = NullDrivers.for_world(build_world(atlas), 1989, 2000)
    ctx = SimContext(atlas, 1989, 2000, drivers=drivers)
    dem = SimDemography(ctx, {"birth_factor_south": factor})
    pop = initial_population(atlas, ctx.places, 1989)
    for y in range(1989, year):
        dem(y, pop)
    return dem(year, pop).fertility.sum(axis=0)


@pytest.mark.parametrize("levels", [_place_levels_projection, _place_levels_simdemography])
def test_birth_factor_raises_southern_fertility_by_that_ratio_in_the_projections(mini, levels):
    atlas, _world = mini
    south = south_units(atlas, atlas.places.loc[list(atlas.settlements.index), "oblast_id"])
    assert south.any() and not south.all()
    base, more = levels(atlas, 1.0, 1989), levels(atlas, 1.25, 1989)  # same minority state
    rel = (more / more[~south][0]) / (base / base[~south][0])
    np.testing.assert_allclose(rel, np.where(south, 1.25, 1.0), rtol=1e-9)


def test_calibration_frees_the_birth_factor_with_a_prior_toward_one():
    from kochu.estimate.calibrate import FREE, PRIORS, defaults, prior_residuals

    assert "birth_factor_south" in FREE and FREE["birth_factor_south"].lo < 1 < FREE["birth_factor_south"].hi
    assert defaults()["birth_factor_south"] == 1.0
    assert prior_residuals({"birth_factor_south": 1.0}) == pytest.approx([0.0])
    assert prior_residuals({"birth_factor_south": np.exp(0.2)}) == pytest.approx([0.2 / PRIORS["birth_factor_south"]])


def test_birth_factor_doubles_southern_births_in_a_sim_run(mini):
    """The agent-based sim (mini atlas, no moves): south/north newborns ratio × 2 for factor 2."""
    from kochu.sim.people import MONTH0_YEAR
    from kochu.sim.sim import Sim

    atlas, world = mini
    still = dict(move_rate_individual=0, move_rate_family=0, emigration_slavic=0, emigration_german=0,
                 emigration_other=0, abroad_rate=0, return_rate=0, funded_relocation_rate=0)
    south = south_units(atlas, world.unit_ids)[world.unit]
    ratios = []
    for factor in (1.0, 2.0):
        sim = Sim(atlas, seed=1, scale=0.01, params={**still, "birth_factor_south": factor}, end=2000)
        sim.run(1991)
        c = sim.people.columns()
        new = c["born"] >= (1989 - MONTH0_YEAR) * 12
        ratios.append(new[south[c["place"]]].sum() / new[~south[c["place"]]].sum())
    assert ratios[1] / ratios[0] == pytest.approx(2.0, rel=0.2)


def test_projection_emigration_before_2000_leaves_from_the_slavic_area(kg):
    """The projection's ``north_weight`` falls on the sim's Slavic area (not Naryn, Talas)."""
    from kochu.projection.inputs import DemographicRates, DemographyOptions, initial_population

    atlas, world = kg
    places = list(atlas.settlements.index)
    rates = DemographicRates(atlas, places, DemographyOptions(north_weight=5.0))
    np.testing.assert_array_equal(rates.area, ethnic_area(world))
    tot = initial_population(atlas, places, 1989).sum(axis=(0, 1))
    per_head = rates._international(1995, initial_population(atlas, places, 1989)) / tot
    units = np.array(world.unit_ids)[world.unit]
    ok = tot > 0
    assert per_head[ok & (units == "chuy")].mean() == pytest.approx(5.0 * per_head[ok & (units == "naryn")].mean())
    assert per_head[ok & (units == "naryn")].mean() == pytest.approx(per_head[ok & (units == "osh")].mean())
