"""The agent-based simulation and the projection agree in expectation under equivalent rules.

Both engines get the same atlas (mini fixture), the same neutral drivers, the same parameters
and the sim's own demographic and decision rules (through :mod:`kochu.projection.from_sim`).
Behaviours the projection does not carry (international moves, returns, step migration,
remittance-funded relocations, late registration) are switched off in both. Several seeds of
the sim at a small scale give a mean and its standard error; the projection must fall within
sampling error (plus 1.5 % for monthly vs yearly discretisation).
"""

from __future__ import annotations

import numpy as np
import pytest

from kochu.atlas import load_atlas
from kochu.projection.from_sim import SimContext, SimDemography, SimMigration
from kochu.projection.inputs import initial_population
from kochu.projection.model import CohortProjection
from tests.helpers import MINI_ATLAS

RULES = dict(emigration_slavic=0, emigration_german=0, emigration_other=0, abroad_rate=0, return_rate=0,
             funded_relocation_rate=0, stopover_multiplier=1, late_registration_rate=0,
             move_rate_individual=0.06, move_rate_family=0.01,
             slavic_1989=150_000, german_1989=15_000)  # mini atlas: ethnic shares below the cap, varying
UNTIL = 1994


@pytest.fixture(scope="module")
def both():
    from kochu.sim.decisions import NullDrivers
    from kochu.sim.sim import Sim
    from kochu.sim.world import build_world

    atlas = load_atlas(MINI_ATLAS)
    drivers = NullDrivers.for_world(build_world(atlas), 1989, 2000)
    ctx = SimContext(atlas, 1989, 2000, drivers=drivers)
    ids = ctx.places
    proj = CohortProjection(ids, initial_population(atlas, ids, 1989), 1989, SimDemography(ctx, RULES),
                            SimMigration(ctx, RULES)).run(UNTIL)
    unit = atlas.places.loc[ids, "oblast"].to_numpy()
    runs = []
    for seed in range(5):
        res = Sim(atlas, seed=seed, scale=0.01, params=RULES, drivers=drivers, end=2000).run(UNTIL).finalize()
        pop = res.population()
        last = pop[(pop["year"] == UNTIL) & (pop["month"] == 1)].set_index("place")["present"].reindex(ids)
        ev = res.events_table().groupby("year")[["internal_moves", "births", "registered_moves"]].sum()
        runs.append((last.to_numpy(float), ev))
    return proj, unit, runs


def _check(expected: np.ndarray, draws: np.ndarray, what: str) -> None:
    mean = draws.mean(axis=0)
    se = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    tol = 4 * se + 0.015 * np.abs(expected)
    assert np.all(np.abs(mean - expected) <= tol), f"{what}: sim {mean.round()} ± {se.round()} vs projection {expected.round()}"


def test_populations_by_oblast_agree(both):
    proj, unit, runs = both
    names = sorted(set(unit))
    agg = lambda v: np.array([v[unit == u].sum() for u in names])  # noqa: E731
    _check(agg(proj.population[-1]), np.stack([agg(p) for p, _ in runs]), "population by oblast")


def test_internal_moves_births_and_registered_moves_agree(both):
    proj, _unit, runs = both
    moves = np.stack([ev["internal_moves"].to_numpy(float) for _, ev in runs])
    _check(proj.flows.sum(axis=(1, 2)), moves, "internal moves by year")
    births = np.stack([ev["births"].to_numpy(float) for _, ev in runs])
    _check(proj.births.sum(axis=1), births, "births by year")
    reg = np.stack([ev["registered_moves"].to_numpy(float) for _, ev in runs])
    _check(np.nansum(proj.registered, axis=(1, 2)), reg, "registered moves by year")


def test_the_agreement_test_can_fail(both):
    """Negative control: a projection with doubled move rates is rejected."""
    proj, _unit, runs = both
    moves = np.stack([ev["internal_moves"].to_numpy(float) for _, ev in runs])
    with pytest.raises(AssertionError):
        _check(2 * proj.flows.sum(axis=(1, 2)), moves, "internal moves")
