"""Displacement (hazard events, the drivers' dated events such as Osh 2010) is migration:
each displaced person is a move origin → host in the ``flows`` table (true; registered per
the registration rule), each return a move host → home, and ``events.internal_moves`` stays
equal to the internal true flows of the year."""

from __future__ import annotations

import numpy as np
import pytest

from kochu.atlas import load_atlas
from kochu.drivers.events import Event
from kochu.sim.people import DISPLACED, EMPTY
from kochu.sim.sim import Sim
from tests.helpers import MINI_ATLAS

SCALE = 0.03


@pytest.fixture(scope="module")
def atlas():
    return load_atlas(MINI_ATLAS)


def host_of(sim: Sim, place: int) -> int:
    """The nearest formal settlement (the engine's host rule)."""
    w = sim.world
    hours = np.where(np.arange(w.n) == place, np.inf, w.hours[place])
    hours[w.informal] = np.inf
    return int(np.argmin(hours))


def internal_flows_match_events(sim: Sim) -> None:
    res = sim.results
    ev = res.events_table().groupby("year")[["internal_moves", "registered_moves"]].sum()
    abroad = sim.world.n
    for year in res.true_flows:
        t, r = res.true_flows[year], res.reg_flows[year]
        moves = t[:abroad, :abroad].sum() - np.trace(t[:abroad, :abroad])
        assert moves / SCALE == pytest.approx(ev.loc[year, "internal_moves"]), year
        assert r[:abroad, :abroad].sum() / SCALE == pytest.approx(ev.loc[year, "registered_moves"]), year


@pytest.mark.parametrize("source", ["intervention", "drivers"])
def test_displaced_people_are_moves_origin_to_host(atlas, source):
    sim = Sim(atlas, seed=1, scale=SCALE, end=2030, migration=False)  # displacement is the only move
    sim.init()
    sim.run(until=1990)
    mine = sim.place_index("s_mine")
    host = host_of(sim, mine)
    if source == "intervention":
        sim.request_displacement(["s_mine"], 0.5, 1000.0)
    else:
        sim.dec.events = [Event(1990, 1, "conflict", ("s_mine",), 0.5, 1000, "test")]
    p = sim.people
    n0 = p.n
    before = p.place[:n0].copy()
    sim.step()
    t, r = sim.results.flow_matrices(1990)
    was_here = before == mine
    gone = was_here & (p.place[:n0] == host) & np.isin(p.status[:n0], (DISPLACED, EMPTY))
    back = int(t[host, mine])  # displaced who returned within the month (migration off: nothing else)
    # about half of those present go (binomial: within 5 standard deviations)
    here = int((was_here & (p.status[:n0] != EMPTY)).sum())
    assert here > 100 and abs((gone.sum() + back) - 0.5 * here) < 5 * np.sqrt(0.25 * here)
    assert t[mine, host] == gone.sum() + back
    assert t[mine].sum() == t[mine, host]  # nowhere else
    # registered at the host: still there (or died there), back but still registered at the
    # host, or back and registered home again (the only registered moves host → home)
    at_host = (gone & (p.reg[:n0] == host)).sum()
    back_unregistered = (was_here & (p.place[:n0] == mine) & (p.reg[:n0] == host)).sum()
    assert 0 < r[mine, host] == at_host + back_unregistered + r[host, mine]
    assert r[mine, host] < t[mine, host]  # not everybody registers at the host
    ev = sim.results.events
    assert ev[(1990, 1)]["internal_moves"] == t[mine, host] + back
    internal_flows_match_events(sim)


def test_displaced_return_home_and_the_flows_balance(atlas):
    sim = Sim(atlas, seed=1, scale=SCALE, end=2030, migration=False)
    sim.init()
    sim.run(until=1990)
    sim.request_displacement(["s_mine"], 0.3, 2.0)  # back within a few months
    sim.run(until=1992)
    mine = sim.place_index("s_mine")
    host = host_of(sim, mine)
    out = sum(sim.results.true_flows[y][mine, host] for y in (1990, 1991))
    back = sum(sim.results.true_flows[y][host, mine] for y in (1990, 1991))
    p = sim.people
    still = int(((p.status[: p.n] == DISPLACED) & (p.home[: p.n] == mine)).sum())
    assert out > 100 and 0.9 * out < back + still <= out + 10  # the rest died or were born away
    internal_flows_match_events(sim)


def test_hazard_scenario_moves_show_in_the_flows_table(atlas):
    from kochu.scenarios import loads

    text = """
name = "slide"
horizon = 2030
seeds = [1]
[[interventions]]
type = "hazard"
hazard = "landslide"
places = ["s_mine"]
displaced_share = 0.4
start = "1990-05"
source = "test"
"""
    base = Sim(atlas, seed=1, scale=SCALE, end=2030)
    base.init()
    base.run(until=1991)
    sim = Sim(atlas, scenario=loads(text, atlas=atlas), seed=1, scale=SCALE, end=2030)
    sim.init()
    sim.run(until=1991)
    f, f0 = sim.results.flows(), base.results.flows()

    def out_of_mine(df):
        return df.loc[(df["origin"] == "s_mine") & (df["destination"] != "abroad"), "true"].sum()

    pop = sim.results.population()
    may = pop[(pop["place"] == "s_mine") & (pop["year"] == 1990) & (pop["month"] == 5)]["present"].iloc[0]
    assert out_of_mine(f) - out_of_mine(f0) > 0.3 * may  # ~40 % of the town left (some came back)
    internal_flows_match_events(sim)
