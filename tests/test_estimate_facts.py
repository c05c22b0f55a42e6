"""The seed's facts as calibration constraints (kochu.estimate.facts, kochu.estimate.simfit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kochu.atlas import load_atlas
from kochu.estimate.facts import (
    Fact,
    fact_penalties,
    inter_unit_moves,
    net_internal_by_unit,
    unregistered_shares,
)
from kochu.estimate.simfit import SIM_FREE, SimEval, _from_u, _to_u, choose
from kochu.sim.sim import Sim
from tests.helpers import MINI_ATLAS


@pytest.fixture(scope="module")
def run():
    atlas = load_atlas(MINI_ATLAS)
    sim = Sim(atlas, seed=3, scale=0.03, end=2000)
    return atlas, sim.run(1995).finalize()


def test_net_internal_migration_sums_to_zero(run):
    atlas, res = run
    net = net_internal_by_unit(atlas, res, 1989, 1994)
    assert set(net.index) == set(atlas.level("oblast").index)
    assert abs(net.sum()) < 1e-6 * max(1.0, net.abs().sum())
    assert net.abs().sum() > 0  # people did move between units


def test_inter_unit_moves_and_unregistered_shares_are_consistent(run):
    atlas, res = run
    moves = inter_unit_moves(atlas, res)
    assert (moves >= 0).all() and moves.sum() > 0
    for share in unregistered_shares(atlas, res, 1992, 1994):
        assert 0.0 <= share <= 1.0


def test_penalties_are_zero_iff_facts_hold():
    facts = [Fact("a", 1.0, "> 0", True, 0.0), Fact("b", -1.0, "> 0", False, 0.5)]
    np.testing.assert_array_equal(fact_penalties(facts), [0.0, 0.5])


def _ev(ok: int, loss: float) -> SimEval:
    facts = [Fact(str(i), 0.0, "", i < ok, 0.0 if i < ok else 1.0) for i in range(3)]
    return SimEval({}, pd.DataFrame(), facts, loss, 0.0)


def test_choose_prefers_facts_then_loss():
    assert choose({"low loss": _ev(2, 10.0), "all facts": _ev(3, 50.0)}) == "all facts"
    assert choose({"a": _ev(3, 50.0), "b": _ev(3, 40.0)}) == "b"
    # as many facts kept: one breaking a fact by far (large penalty) loses to a narrow miss
    far, narrow = _ev(2, 100.0), _ev(2, 300.0)
    far.fact_loss, narrow.fact_loss = 2_400.0, 30.0
    assert choose({"far": far, "narrow": narrow}) == "narrow"


def test_unit_box_round_trip():
    values = {k: (f.lo * f.hi) ** 0.5 if f.log else (f.lo + f.hi) / 2 for k, f in SIM_FREE.items()}
    back = _from_u(_to_u(values, SIM_FREE), SIM_FREE)
    for k in SIM_FREE:
        assert back[k] == pytest.approx(values[k])
