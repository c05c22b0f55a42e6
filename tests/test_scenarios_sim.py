"""Scenarios through the real simulation (small scale, few years): common random numbers.

- a scenario with no interventions writes the baseline's bytes;
- an intervention whose window lies after the run changes nothing;
- more jobs at a place do not leave fewer people there (person-years and the last year);
- a registration reform changes who is registered, not where anyone lives (the moves are
  drawn from the same random streams).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kochu.scenarios import loads

pytest.importorskip("kochu.sim.sim")
pytestmark = pytest.mark.slow  # ~30 s in all: six small runs of the real simulation

SCALE = 0.003
UNTIL = 1994
HEAD = 'name = "{name}"\nhorizon = 2035\nseeds = [1]\n'
TABLES = ("population.parquet", "flows.parquet", "events.parquet")


@pytest.fixture(scope="module")
def atlas():
    from kochu.atlas.load import default_atlas_path

    if not (default_atlas_path() / "places.csv").exists():
        pytest.skip("the Kyrgyzstan atlas CSVs are not built yet")
    from kochu.atlas import load_atlas

    return load_atlas()


def simulate(atlas, text: str, out: Path, until: int = UNTIL, scale: float = SCALE):
    from kochu.sim.sim import Sim

    sim = Sim(atlas, scenario=loads(text, atlas=atlas), seed=1, scale=scale, end=2036)
    sim.init()
    sim.run(until=until)
    sim.write(out)
    return sim.finalize()


@pytest.fixture(scope="module")
def baseline(atlas, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("baseline")
    simulate(atlas, HEAD.format(name="baseline"), out)
    return out


def same_bytes(a: Path, b: Path) -> bool:
    return all((a / t).read_bytes() == (b / t).read_bytes() for t in TABLES)


def test_no_interventions_reproduces_the_baseline_bytes(atlas, baseline: Path, tmp_path: Path) -> None:
    simulate(atlas, HEAD.format(name="empty_copy") + 'description = "nothing"\n', tmp_path)
    assert same_bytes(baseline, tmp_path)


def test_intervention_outside_its_window_changes_nothing(atlas, baseline: Path, tmp_path: Path) -> None:
    late = HEAD.format(name="late") + """
[[interventions]]
type = "jobs"
places = ["s_naryn"]
jobs = 5000
start = 2030
[[interventions]]
type = "hazard"
hazard = "landslide"
places = ["s_mailuu_suu"]
displaced_share = 0.5
hazard_increase_sd = 1.0
start = "2001-04"
[[interventions]]
type = "capital_housing"
capacity_people = 100000
start = 2026
end = 2030
"""
    simulate(atlas, late, tmp_path)
    assert same_bytes(baseline, tmp_path)


def test_intervention_inside_its_window_changes_something(atlas, baseline: Path, tmp_path: Path) -> None:
    """The negative control of the two tests above."""
    early = HEAD.format(name="early") + """
[[interventions]]
type = "hazard"
hazard = "landslide"
places = ["s_mailuu_suu"]
displaced_share = 0.5
start = "1991-04"
"""
    simulate(atlas, early, tmp_path)
    assert not same_bytes(baseline, tmp_path)


def test_more_jobs_never_fewer_people(atlas, tmp_path: Path) -> None:
    present = {}
    for jobs in (0, 5000):
        text = HEAD.format(name=f"jobs{jobs}")
        if jobs:
            text += f'[[interventions]]\ntype = "jobs"\nplaces = ["s_naryn"]\njobs = {jobs}\nstart = 1990\n'
        res = simulate(atlas, text, tmp_path / str(jobs), until=1998, scale=0.005)
        pop = res.population()
        jan = pop[(pop["place"] == "s_naryn") & (pop["month"] == 1)].set_index("year")["present"]
        present[jobs] = jan
    # one sample path of a stochastic model: the property holds in expectation, so the test
    # asks for more person-years since the jobs came, and more people at the end
    assert present[5000].loc[1990:].sum() > present[0].loc[1990:].sum()
    assert present[5000].iloc[-1] > present[0].iloc[-1]


def test_registration_reform_changes_registration_not_moves(atlas, baseline: Path, tmp_path: Path) -> None:
    import pandas as pd

    reform = HEAD.format(name="reform") + (
        '[[interventions]]\ntype = "registration_reform"\ncompleteness_factor = 1.5\nstart = 1990\n'
    )
    simulate(atlas, reform, tmp_path)
    a = pd.read_parquet(baseline / "flows.parquet")
    b = pd.read_parquet(tmp_path / "flows.parquet")
    assert (baseline / "population.parquet").read_bytes() == (tmp_path / "population.parquet").read_bytes()
    key = ["year", "origin", "destination"]
    true_a = a[a["true"] > 0].set_index(key)["true"]
    true_b = b[b["true"] > 0].set_index(key)["true"]
    assert true_a.equals(true_b)  # the same moves, registered or not
    assert b["registered"].sum() > a["registered"].sum()
