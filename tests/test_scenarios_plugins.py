"""Intervention plug-ins on a stand-in exposing exactly the hooks of ``kochu.sim.Sim``."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from kochu.atlas import load_atlas
from kochu.scenarios import loads
from kochu.scenarios.timing import month_index, year_month
from tests.helpers import MINI_ATLAS

HEAD = 'name = "t"\nhorizon = 2040\nseeds = [1]\n'
PARAMS = {
    "beta_jobs": 0.8, "beta_income": 0.8, "beta_hazard": -0.3, "beta_other": 0.2,
    "rural_crisis_push": 0.8, "displacement_return_months": 2.0,
}
SD_EMPLOYMENT = 0.05


class StandIn:
    """The documented hooks of kochu.sim.Sim, as plain arrays (see the Sim class docstring)."""

    def __init__(self, atlas) -> None:
        s = atlas.settlements
        n = len(s)
        self.atlas, self.ids, self.scale = atlas, np.array(s.index), 0.01
        self.pull_adjust = np.zeros(n)
        self.move_multiplier = np.ones(n)
        self.travel_multiplier: float | np.ndarray = 1.0
        self.registration_multiplier = np.ones(n)
        self.capital_housing_extra = 0.0
        self.housing = SimpleNamespace(legal=np.where(s["kind"] == "informal", 2, 0))
        self.params = dict(PARAMS)
        years = np.arange(1989, 2051)
        services = np.tile(np.linspace(-1.0, 1.0, n), (len(years), 1))
        employment = np.tile(np.array([0.9, 0.95] * (n // 2)), (len(years), 1))
        self.drivers = SimpleNamespace(years=years, pull={"services": services}, raw={"employment": employment})
        self.dec = SimpleNamespace(regime_at=lambda name, year: 1.0 if year < 1992 else 0.0)
        self.displaced: list[tuple] = []
        self.year, self.month = 1989, 1

    def place_index(self, pid: str) -> int:
        return int(np.flatnonzero(self.ids == pid)[0])

    def request_displacement(self, places, fraction, months) -> None:
        self.displaced.append((list(places), fraction, months, self.year, self.month))

    def state(self) -> tuple:
        return (self.pull_adjust.copy(), self.move_multiplier.copy(), np.copy(self.travel_multiplier),
                self.registration_multiplier.copy(), self.capital_housing_extra,
                self.housing.legal.copy(), len(self.displaced))


def run(sc, sim: StandIn, first: str, last: str) -> None:
    """Call init, then step for every month first..last (inclusive), as the Sim does."""
    ivs = sc.all_interventions
    for iv in ivs:
        iv.init(sim)
    for t in range(month_index(first), month_index(last) + 1):
        sim.year, sim.month = year_month(t)
        for iv in ivs:
            iv.step(sim)
    for iv in ivs:
        iv.finalize(sim)


@pytest.fixture(scope="module")
def atlas():
    return load_atlas(MINI_ATLAS)


def one(text: str, atlas):
    return loads(HEAD + "[[interventions]]\n" + text, atlas=atlas)


def test_jobs_utility_ramps_and_is_removed(atlas) -> None:
    sc = one('type = "jobs"\nplaces = ["s_mine"]\njobs = 300\nramp_months = 3\nstart = 2030\nend = 2031\n', atlas)
    i = StandIn(atlas).place_index("s_mine")
    pop = atlas.population(2009)["s_mine"]
    sd = np.std(StandIn(atlas).drivers.raw["employment"][20])
    full = 0.8 * min(300 / pop / sd, 3.0)
    for last, expected in (("2030-01", full / 3), ("2030-03", full), ("2031-12", full), ("2032-01", 0.0)):
        fresh = StandIn(atlas)
        run(sc, fresh, "2029-01", last)
        assert fresh.pull_adjust[i] == pytest.approx(expected, abs=1e-12), last
        assert np.count_nonzero(fresh.pull_adjust) <= 1
    assert full > 0


def test_more_jobs_more_utility_fewer_jobs_less(atlas) -> None:
    u = []
    for jobs in (-500, 100, 1000):
        sim = StandIn(atlas)
        run(one(f'type = "jobs"\nplaces = ["s_mine"]\njobs = {jobs}\nstart = 2030\n', atlas), sim, "2030-01", "2030-02")
        u.append(sim.pull_adjust[sim.place_index("s_mine")])
    assert u[0] < 0 < u[1] < u[2]


def test_transport_scales_the_pair_both_ways(atlas) -> None:
    sim = StandIn(atlas)
    sc = one('type = "transport"\nroutes = [["s_capital", "s_mine"]]\ncost_factor = 0.5\nstart = 2030\nend = 2030\n', atlas)
    run(sc, sim, "2029-12", "2030-06")
    a, b = sim.place_index("s_capital"), sim.place_index("s_mine")
    tm = np.asarray(sim.travel_multiplier)
    assert tm[a, b] == tm[b, a] == 0.5
    assert np.count_nonzero(tm != 1.0) == 2
    after = StandIn(atlas)
    run(sc, after, "2029-12", "2031-01")
    assert np.all(np.asarray(after.travel_multiplier) == 1.0)


def test_registration_reform(atlas) -> None:
    sim = StandIn(atlas)
    sc = one('type = "registration_reform"\nplaces = ["s_capital"]\ncompleteness_factor = 1.5\n'
             'propiska_cost_factor = 0.5\nstart = 2030\n', atlas)
    run(sc, sim, "2030-01", "2030-01")
    assert sim.registration_multiplier[sim.place_index("s_capital")] == pytest.approx(3.0)
    assert np.count_nonzero(sim.registration_multiplier != 1.0) == 1


def test_legalisation_status_and_services(atlas) -> None:
    sim = StandIn(atlas)
    sc = one('type = "legalisation"\nplaces = ["nv_camp"]\ninclude_hazard_zones = true\nstart = 2030\n', atlas)
    run(sc, sim, "2029-01", "2031-02")
    i = sim.place_index("nv_camp")
    assert sim.housing.legal[i] == 1
    s = atlas.settlements
    rural = (s["kind"] == "rural").to_numpy()  # the mini atlas has no Chuy
    now = sim.drivers.pull["services"][0]
    gap = max(now[rural].mean() - now[i], 0.0)
    assert sim.pull_adjust[i] == pytest.approx(0.2 * gap)  # beta_other: no beta_services
    assert gap > 0


def test_hazard_displaces_once_and_raises_hazard(atlas) -> None:
    sim = StandIn(atlas)
    sc = one('type = "hazard"\nhazard = "landslide"\nplaces = ["s_mine"]\ndisplaced_share = 0.25\n'
             'return_months = 36.0\nhazard_increase_sd = 1.0\nstart = "2030-04"\nend = 2034\n', atlas)
    run(sc, sim, "2030-01", "2033-01")
    assert sim.displaced == [(["s_mine"], 0.25, 36.0, 2030, 4)]
    assert sim.pull_adjust[sim.place_index("s_mine")] == pytest.approx(-0.3)
    sim2 = StandIn(atlas)
    run(sc, sim2, "2030-01", "2035-01")
    assert sim2.pull_adjust[sim2.place_index("s_mine")] == pytest.approx(0.0)


def test_border_resettlement_reaches_only_border_settlements(atlas) -> None:
    sim = StandIn(atlas)
    run(one('type = "border_resettlement"\nincome_increase_sd = 0.5\nstart = 2030\n', atlas), sim, "2030-01", "2030-01")
    border = atlas.settlements["border"].astype(int).to_numpy() == 1
    assert np.allclose(sim.pull_adjust[border], 0.4)
    assert np.all(sim.pull_adjust[~border] == 0)


def test_farm_subsidy_lowers_rural_push_to_the_subsidised_level(atlas) -> None:
    sim = StandIn(atlas)
    run(one('type = "farm_subsidy"\nsubsidy_level = 0.5\nstart = 2030\nend = 2031\n', atlas), sim, "2030-01", "2030-06")
    rural = (atlas.settlements["kind"] == "rural").to_numpy()
    assert np.allclose(sim.move_multiplier[rural], (1 + 0.8 * 0.5) / (1 + 0.8))
    assert np.all(sim.move_multiplier[~rural] == 1.0)
    sim2 = StandIn(atlas)
    run(one('type = "farm_subsidy"\nsubsidy_level = 0.5\nstart = 2030\nend = 2031\n', atlas), sim2, "2030-01", "2032-01")
    assert np.allclose(sim2.move_multiplier, 1.0)


def test_capital_housing_total_at_run_scale(atlas) -> None:
    sim = StandIn(atlas)
    sc = one('type = "capital_housing"\ncapacity_people = 12000\nstart = 2030\nend = 2030\n', atlas)
    run(sc, sim, "2030-01", "2030-06")
    assert sim.capital_housing_extra == pytest.approx(6000 * 0.01)
    run(sc, sim, "2030-01", "2035-01")  # cumulative again from a fresh init: +12000
    assert sim.capital_housing_extra == pytest.approx(18000 * 0.01)


ALL = """
[[interventions]]
type = "jobs"
places = ["s_mine"]
jobs = 1000
start = 2030
[[interventions]]
type = "transport"
routes = [["s_capital", "s_mine"]]
cost_factor = 0.5
start = 2030
[[interventions]]
type = "registration_reform"
completeness_factor = 2.0
start = 2030
[[interventions]]
type = "legalisation"
places = ["nv_camp"]
include_hazard_zones = true
start = 2030
[[interventions]]
type = "hazard"
hazard = "flood"
places = ["s_mine"]
displaced_share = 0.1
hazard_increase_sd = 0.2
start = 2030
[[interventions]]
type = "border_resettlement"
income_increase_sd = 0.5
start = 2030
[[interventions]]
type = "farm_subsidy"
subsidy_level = 1.0
start = 2030
[[interventions]]
type = "capital_housing"
capacity_people = 1000
start = 2030
end = 2031
"""


def test_outside_the_window_nothing_changes(atlas) -> None:
    sc = loads(HEAD + ALL, atlas=atlas)
    sim = StandIn(atlas)
    before = sim.state()
    run(sc, sim, "1989-01", "2029-12")
    after = sim.state()
    for a, b in zip(before, after, strict=True):
        assert np.array_equal(a, b)
    run(sc, sim, "2029-12", "2030-01")
    assert not np.array_equal(before[0], sim.state()[0])


def test_indicator_context(atlas) -> None:
    from kochu.scenarios.context import indicator_context

    sc = loads(HEAD + ALL, atlas=atlas)
    ctx = indicator_context(sc)
    assert ctx["legalised"] == {"nv_camp": 2030}
    cap = ctx["added_capacity"]
    assert cap[2030] == 0.0 and cap[2031] == pytest.approx(500.0) and cap[2032] == pytest.approx(1000.0)
    assert indicator_context(loads(HEAD)) == {}
