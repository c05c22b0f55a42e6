"""Births and deaths are normalised nationally; structure and sourced factors share them out.

(:mod:`kochu.sim.demography`, issue 4/5: per-unit normalisation erased the ethnic and age
structure — Chuy got as many births per head as Osh.)
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from kochu.atlas import load_atlas
from kochu.sim.demography import MAX_AGE, Vital, national_scale
from kochu.sim.params import Params
from tests.helpers import MINI_ATLAS

YEARS = range(1989, 1993)
#: national 30 / 8 per 1000; unit c carries a sourced factor (births 1.5, deaths 0.5)
RATES = {"land": (30.0, 8.0), "a": (30.0, 8.0), "b": (30.0, 8.0), "c": (45.0, 4.0)}


def fake_vital(with_country: bool = True) -> Vital:
    rows = [(u, y, b, d) for u, (b, d) in RATES.items() for y in YEARS if with_country or u != "land"]
    vr = pd.DataFrame(rows, columns=["unit", "year", "crude_birth_rate", "crude_death_rate"])
    places = pd.DataFrame({"level": ["country", "oblast", "oblast", "oblast"]}, index=list(RATES))
    atlas = SimpleNamespace(vital_rates=vr, places=places)
    world = SimpleNamespace(unit_ids=np.array(["a", "b", "c"]))
    return Vital(atlas, world, Params({}), 1989, 1992)


def scales(v: Vital, pd_: np.ndarray, pb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Monthly per-unit multipliers back from the tables."""
    a = int(np.argmax(v.fshape))
    return pd_[:, 40, 0] / v.mshape[40, 0], pb[:, a] / v.fshape[a]


def sums(ages: np.ndarray, sex: np.ndarray, eth_factor: np.ndarray, v: Vital) -> tuple[float, float]:
    """(S, F) shape sums of a synthetic population (as ``K.unit_sums``)."""
    a = np.minimum(ages, MAX_AGE)
    s = v.mshape[a, sex].sum()
    f = (v.fshape[a] * eth_factor * (sex == 0)).sum()
    return float(s), float(f)


def test_expected_national_births_and_deaths_equal_the_national_rates_exactly():
    v = fake_vital()
    rng = np.random.default_rng(3)
    n_unit = np.array([1000.0, 2000.0, 500.0])
    abroad = np.array([100.0, 0.0, 50.0])
    s_sum, f_sum = rng.uniform(5, 50, 3), rng.uniform(50, 300, 3)
    kd, kb = scales(v, *v.tables(1990, n_unit, s_sum, f_sum, abroad))
    assert (kb * f_sum).sum() == pytest.approx(30.0 / 1000 / 12 * (n_unit + abroad).sum(), rel=1e-12)
    assert (kd * s_sum).sum() == pytest.approx(8.0 / 1000 / 12 * n_unit.sum(), rel=1e-12)
    # unit by unit the crude rates are NOT the atlas's any more (structure decides)
    assert not np.allclose(1000 * 12 * kb * f_sum / (n_unit + abroad), [30, 30, 45], rtol=0.01)


def test_sourced_unit_factors_are_honoured_as_ratios():
    v = fake_vital()
    kd, kb = scales(v, *v.tables(1990, np.full(3, 1e3), np.full(3, 20.0), np.full(3, 150.0)))
    assert kb[2] / kb[0] == pytest.approx(1.5) and kb[1] == pytest.approx(kb[0])
    assert kd[2] / kd[0] == pytest.approx(0.5) and kd[1] == pytest.approx(kd[0])
    # same people everywhere: the crude rates are the national ones × the factors (renormalised)
    cbr = 1000 * 12 * kb * 150.0 / 1e3
    assert cbr / cbr[0] == pytest.approx([1.0, 1.0, 1.5])


def test_without_a_country_row_the_national_rate_is_the_weighted_mean_of_the_units():
    v = fake_vital(with_country=False)
    n_unit = np.array([1000.0, 2000.0, 500.0])
    kd, kb = scales(v, *v.tables(1990, n_unit, np.full(3, 20.0), np.array([100.0, 200.0, 40.0])))
    mean = (30 * 1000 + 30 * 2000 + 45 * 500) / 3500
    assert (kb * np.array([100.0, 200.0, 40.0])).sum() == pytest.approx(mean / 12000 * 3500, rel=1e-12)


def test_more_slavs_or_an_older_population_give_a_lower_birth_rate():
    v = fake_vital()
    fr = Params({})["fertility_slavic_ratio"]
    rng = np.random.default_rng(0)
    n = 20_000
    sex = rng.integers(0, 2, n)
    young, old = rng.integers(0, 45, n), rng.integers(0, 85, n)
    kyrgyz, mixed = np.ones(n), np.where(rng.random(n) < 0.4, fr, 1.0)
    # units a (young, Kyrgyz), b (young, 40 % Slavs), c replaced by an old Kyrgyz unit (factor 1 via a)
    sa, fa = sums(young, sex, kyrgyz, v)
    sb, fb = sums(young, sex, mixed, v)
    so, fo = sums(old, sex, kyrgyz, v)
    pop = np.full(3, float(n))
    k = national_scale(30.0, np.array([30.0, 30.0, 30.0]), pop, np.array([fa, fb, fo]))
    cbr = 1000 * k * np.array([fa, fb, fo]) / n
    assert cbr[1] < 0.85 * cbr[0] and cbr[2] < 0.85 * cbr[0]
    kd = national_scale(8.0, np.full(3, 8.0), pop, np.array([sa, sb, so]))
    cdr = 1000 * kd * np.array([sa, sb, so]) / n
    assert cdr[2] > 1.5 * cdr[0] and cdr[1] == pytest.approx(cdr[0], rel=0.05)
    assert (cbr * n / 1000).sum() == pytest.approx(30.0 * 3 * n / 1000)  # national total kept


def _record(sim) -> dict[int, list[np.ndarray]]:
    """Wrap the sim's vital tables: expected births by unit and month, and the populations."""
    v, orig = sim.vital, sim.vital.tables
    rec: dict[int, list[np.ndarray]] = {}
    a = int(np.argmax(v.fshape))

    def tables(year, n_unit, s_sum, f_sum, n_abroad=None):
        pd_, pb = orig(year, n_unit, s_sum, f_sum, n_abroad)
        perm = n_unit + (0 if n_abroad is None else n_abroad)
        rec.setdefault(year, []).append(np.stack([pb[:, a] / v.fshape[a] * f_sum, perm]))
        return pd_, pb

    v.tables = tables
    return rec


@pytest.fixture(scope="module")
def kg_run():
    from kochu.sim.sim import Sim

    atlas = load_atlas()
    sim = Sim(atlas, seed=2, scale=0.004, end=1995)
    rec = _record(sim.init())
    sim.run(1992)
    return atlas, sim, rec


def test_sim_births_follow_the_national_rate_and_the_structure(kg_run):
    atlas, sim, rec = kg_run
    cbr_nat = atlas.vital_rates.set_index(["unit", "year"])["crude_birth_rate"]
    for year, months in rec.items():
        for m in months:  # every month: expected births = national rate × permanent population
            assert m[0].sum() == pytest.approx(cbr_nat[("kyrgyzstan", year)] / 12000 * m[1].sum(), rel=1e-9)
    expected = sum(m[0].sum() for y in (1990, 1991) for m in rec[y])
    ev = sim.finalize().events_table()
    births = ev[ev["year"].isin([1990, 1991])]["births"].sum() * sim.scale
    assert abs(births - expected) < 4 * np.sqrt(expected)
    # Chuy and Bishkek (many Slavs) have fewer births per head than Osh and Jalal-Abad
    units = list(sim.world.unit_ids)
    b = sum(m[0] for m in rec[1990]) / rec[1990][-1][1] * 1000
    cbr = dict(zip(units, b, strict=True))
    assert cbr["chuy"] < cbr["jalal_abad"] - 2 and cbr["bishkek"] < cbr["osh"] - 2


def test_projection_births_by_unit_match_the_sim(monkeypatch):
    """SimDemography (the projection's copy of the sim's rule) gives the sim's births by unit."""
    from kochu.projection.from_sim import SimContext, SimDemography, SimMigration
    from kochu.projection.inputs import initial_population
    from kochu.projection.model import CohortProjection
    from kochu.sim.decisions import NullDrivers
    from kochu.sim.sim import Sim
    from kochu.sim.world import build_world

    rules = dict(emigration_slavic=0, emigration_german=0, emigration_other=0, abroad_rate=0, return_rate=0,
                 funded_relocation_rate=0, move_rate_individual=0.0, move_rate_family=0.0,
                 slavic_1989=150_000, german_1989=15_000)
    atlas = load_atlas(MINI_ATLAS)
    drivers = NullDrivers.for_world(build_world(atlas), 1989, 2000)
    ctx = SimContext(atlas, 1989, 2000, drivers=drivers)
    ids = ctx.places
    proj = CohortProjection(ids, initial_population(atlas, ids, 1989), 1989, SimDemography(ctx, rules),
                            SimMigration(ctx, rules)).run(1992)
    unit = ctx.world.unit
    nu = len(ctx.world.unit_ids)
    pb = np.stack([np.bincount(unit, weights=b, minlength=nu) for b in proj.births])
    sim = Sim(atlas, seed=1, scale=0.05, params=rules, drivers=drivers, end=2000)
    rec = _record(sim.init())
    sim.run(1992)
    sb = np.stack([sum(m[0] for m in rec[y]) / sim.scale for y in (1989, 1990, 1991)])
    np.testing.assert_allclose(sb, pb, rtol=0.03)
    # negative control: the old rule (each unit its own crude rate) is rejected
    n0 = np.bincount(unit, weights=proj.population[0], minlength=nu)
    old = n0 * np.array([20.0, 24.0, 30.0]) / 1000  # the fixture's unit rates
    names = list(ctx.world.unit_ids)
    assert names == ["capital", "north_o", "south_o"]
    assert np.max(np.abs(old / pb[0] - 1)) > 0.05
