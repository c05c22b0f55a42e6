"""Properties of the agent-based simulation on generated atlases (CRAFT 15, 17).

Each example writes a variant of the mini atlas (``test_atlas_props.atlas_variants``: random
populations that sum up the hierarchy, random coordinates, random informal statuses), draws a
seed and a few parameter multipliers, and runs :class:`~kochu.sim.sim.Sim` at a small scale
for a few years with the engine's own conservation check OFF, so that these tests check the
identities independently from the output tables:

* conservation: population(month + 1) = population(month) + births − deaths + immigration
  − emigration (``events`` table, in simulated people), for every month including the final
  snapshot in the ``population`` table;
* the tables agree: ``population`` summed over places = ``events.population``; yearly internal
  moves and registered moves in ``events`` = the internal ``flows``; emigration = flows to
  ``abroad``; immigration = flows from ``abroad``;
* non-negative stocks and flows everywhere; ``permanent`` ≥ ``present`` at every place;
* same seed → identical tables; ``migration=False`` → nobody moves;
* generated scenarios (jobs, transport, registration reform, hazard displacement, capital
  housing on the mini atlas, starting 1989–91) keep all of the above.

Sim runs are a few hundred milliseconds each, so ``max_examples`` is capped below the profile.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st

from kochu.atlas import load_atlas
from kochu.errors import ScenarioError
from kochu.scenarios import check_places, parse_scenario
from kochu.sim.params import DEFAULTS
from kochu.sim.sim import Sim
from tests.properties.test_atlas_props import MINI, SETTLEMENTS, atlas_variants, write_atlas

SCALE = 0.004
UNTIL = 1992
# no shrink phase: a failing sim example is reported as found (shrinking sim runs took > 5 min)
CAP = settings(max_examples=min(settings().max_examples, 12), deadline=None,
               phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target),
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

multipliers = st.fixed_dictionaries({
    "move_rate_individual": st.floats(0.0, 3.0),
    "move_rate_family": st.floats(0.0, 3.0),
    "abroad_rate": st.floats(0.0, 3.0),
    "emigration_other": st.floats(0.0, 3.0),
})


def run(tables: dict, seed: int, mult: dict[str, float] | None = None, **kw) -> Sim:
    params = {k: DEFAULTS[k].value * m for k, m in (mult or {}).items()}
    with tempfile.TemporaryDirectory() as tmp:
        atlas = load_atlas(write_atlas(tables, Path(tmp) / "atlas"))
        sim = Sim(atlas, seed=seed, scale=SCALE, end=2030, params=params, check_conservation=False, **kw)
        sim.init()
        sim.run(until=UNTIL)
    sim.finalize()
    return sim


def persons(x: pd.Series | np.ndarray, scale: float = SCALE) -> np.ndarray:
    """National-scale counts back to simulated people (exact integers)."""
    v = np.asarray(x, dtype=np.float64) * scale
    r = np.rint(v)
    assert np.allclose(v, r, atol=1e-6), "counts are not whole simulated people"
    return r.astype(np.int64)


@CAP
@given(atlas_variants(max_pop=300_000), st.integers(0, 2**31 - 1), multipliers)
def test_conservation_consistency_and_non_negative_stocks(tables, seed, mult):
    check_tables(run(tables, seed, mult).results)


def check_tables(res) -> None:
    """The identities of the module docstring on one run's results."""
    pop, ev, fl = res.population(), res.events_table(), res.flows()

    def persons_(x: pd.Series | np.ndarray) -> np.ndarray:
        return persons(x, res.scale)

    # non-negative everywhere
    assert (pop[["present", "permanent"]].to_numpy() >= 0).all()
    assert (pop["permanent"] >= pop["present"]).all()
    num = ev.drop(columns=["year", "month"])
    assert (num.to_numpy() >= 0).all(), num.min()
    assert (fl[["true", "registered"]].to_numpy() >= 0).all()
    # population table ↔ events stocks
    tot = pop.groupby(["year", "month"], sort=True)["present"].sum()
    evi = ev.set_index(["year", "month"])
    assert (persons_(tot.loc[evi.index]) == persons_(evi["population"])).all()
    # conservation month by month, including the final snapshot (1 January UNTIL)
    p = persons_(tot.to_numpy())
    change = persons_(evi["births"]) - persons_(evi["deaths"]) + persons_(evi["immigration"]) - persons_(evi["emigration"])
    assert len(p) == len(change) + 1 and tot.index[-1] == (UNTIL, 1)
    bad = np.flatnonzero(p[1:] != p[:-1] + change)
    assert not len(bad), f"conservation violated after {evi.index[bad[0]]}: {p[bad[0] + 1]} != {p[bad[0]]} + {change[bad[0]]}"
    # events ↔ flows, yearly
    yearly = ev.groupby("year")[["internal_moves", "registered_moves", "emigration", "immigration"]].sum()
    inside = (fl["origin"] != "abroad") & (fl["destination"] != "abroad")
    years = yearly.index

    def by_year(mask: pd.Series, col: str) -> np.ndarray:
        return persons_(fl[mask].groupby("year")[col].sum().reindex(years, fill_value=0))

    assert (by_year(inside, "true") == persons_(yearly["internal_moves"])).all()
    assert (by_year(inside, "registered") == persons_(yearly["registered_moves"])).all()
    assert (by_year(fl["destination"] == "abroad", "true") == persons_(yearly["emigration"])).all()
    assert (by_year(fl["origin"] == "abroad", "true") == persons_(yearly["immigration"])).all()
    assert (fl["origin"] != fl["destination"]).all(), "a move from a place to itself"


# ---- generated scenarios on the mini atlas ---------------------------------------------------
SETTLEMENT_IDS = [s for s in SETTLEMENTS if s != "nv_camp"]
places = st.lists(st.sampled_from(SETTLEMENT_IDS), min_size=1, max_size=3, unique=True)
starts = st.one_of(st.integers(1989, 1991), st.builds(lambda y, m: f"{y}-{m:02d}", st.integers(1989, 1991),
                                                       st.integers(1, 12)))


@st.composite
def interventions(draw) -> dict:
    kind = draw(st.sampled_from(["jobs", "transport", "registration_reform", "hazard", "capital_housing"]))
    w = {"start": draw(starts)}
    if kind == "jobs":
        return {"type": kind, **w, "places": draw(places), "sector": "other",
                "jobs": draw(st.integers(100, 200_000)) * draw(st.sampled_from([1, -1])),
                "ramp_months": draw(st.integers(0, 24))}
    if kind == "transport":
        routes = draw(st.lists(st.lists(st.sampled_from(SETTLEMENT_IDS), min_size=2, max_size=2, unique=True),
                               min_size=1, max_size=3))
        return {"type": kind, **w, "routes": routes, "cost_factor": draw(st.floats(0.05, 5.0))}
    if kind == "registration_reform":
        return {"type": kind, **w, "places": draw(places), "completeness_factor": draw(st.floats(1.01, 5.0)),
                "propiska_cost_factor": draw(st.floats(0.1, 5.0))}
    if kind == "hazard":
        return {"type": kind, **w, "places": draw(places), "displaced_share": draw(st.floats(0.01, 1.0)),
                "hazard": draw(st.sampled_from(["landslide", "flood", "mudflow", "earthquake"])),
                "hazard_increase_sd": draw(st.floats(0.0, 3.0)), "return_months": draw(st.floats(0.5, 60.0))}
    return {"type": kind, **w, "end": draw(st.integers(1992, 2000)),
            "capacity_people": draw(st.integers(1, 500_000))}


@pytest.fixture(scope="module")
def mini():
    return load_atlas(MINI)


@CAP
@given(st.lists(interventions(), min_size=1, max_size=4), st.integers(0, 2**31 - 1))
def test_generated_scenarios_conserve_people(mini, ivs, seed):
    try:
        sc = parse_scenario({"name": "generated", "horizon": 2030, "seeds": [seed], "interventions": ivs})
        check_places(sc, mini)
    except ScenarioError:
        reject()
    sim = Sim(mini, scenario=sc, seed=seed, scale=0.01, end=2030, check_conservation=False)
    sim.init()
    sim.run(until=UNTIL)
    check_tables(sim.finalize())


@settings(CAP, max_examples=min(settings().max_examples, 6))
@given(atlas_variants(max_pop=300_000), st.integers(0, 2**31 - 1))
def test_same_seed_identical_tables(tables, seed):
    a, b = run(tables, seed).results, run(tables, seed).results
    pd.testing.assert_frame_equal(a.population(), b.population())
    pd.testing.assert_frame_equal(a.events_table(), b.events_table())
    pd.testing.assert_frame_equal(a.flows(), b.flows())


@settings(CAP, max_examples=min(settings().max_examples, 6))
@given(atlas_variants(max_pop=300_000), st.integers(0, 2**31 - 1))
def test_no_migration_means_nobody_moves(tables, seed):
    res = run(tables, seed, migration=False).results
    ev, fl = res.events_table(), res.flows()
    for col in ("internal_moves", "registered_moves", "emigration", "immigration"):
        assert (ev[col] == 0).all(), col
    assert len(fl) == 0
    pop = res.population()
    first = pop[(pop["year"] == 1989) & (pop["month"] == 1)].set_index("place")["present"]
    last = pop[(pop["year"] == UNTIL) & (pop["month"] == 1)].set_index("place")["present"]
    # a place without anyone in 1989 stays empty (no one arrives; births need mothers there)
    assert (last[first == 0] == 0).all()
