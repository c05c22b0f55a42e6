"""Calibration on the ensemble machinery (kochu.estimate.simruns, kochu.estimate.simfit).

Fast: the mini atlas, scale 0.002, to 2010 (the facts need 2009), two free parameters,
budgets of a dozen runs, one shared single-worker Dask client (its own cluster where the
worker count matters).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kochu.atlas import load_atlas
from kochu.errors import KochuError
from kochu.estimate import simfit as SF
from kochu.estimate.calibrate import sim_check
from kochu.estimate.facts import Fact
from kochu.estimate.simruns import SimRuns, check_replicates, mean_facts, mean_fit
from kochu.estimate.targets import Target, all_targets
from kochu.runs.ensemble import connect, derive_seed
from kochu.runs.store import is_complete, read_manifest
from kochu.sim.params import HAND_SET
from tests.helpers import MINI_ATLAS, run_kochu

SCALE = 0.002
FREE = {k: SF.SIM_FREE[k] for k in ("move_rate_individual", "beta_capital")}
BUDGET = 8  # runs: start (2) + Jacobian (2 × 2) + a trial step (2); the next Jacobian does not fit


@pytest.fixture(scope="module")
def mini():
    atlas = load_atlas(MINI_ATLAS)
    return atlas, all_targets(atlas, 2009)


@pytest.fixture(scope="module")
def client():
    c, cluster = connect(1)
    yield c
    c.close()
    cluster.close()


def _runs(root: Path, mini, client=None, workers: int = 1, **kw) -> SimRuns:
    """Calibration runs on the shared client (``client``) or on a new cluster of ``workers``."""
    atlas, targets = mini
    return SimRuns(root, atlas, targets, scale=SCALE, replicates=2, workers=workers, _client=client, **kw)


def _fit(root: Path, mini, client=None, workers: int = 1) -> tuple[SF.SimCalibration, SimRuns]:
    with _runs(root, mini, client, workers) as runs:
        return SF.calibrate_sim(runs, dict(HAND_SET), free=FREE, max_runs=BUDGET), runs


def _folders(root: Path) -> dict[str, dict[str, str]]:
    return {p.name: read_manifest(p)["files"] for p in sorted(root.iterdir()) if is_complete(p)}


@pytest.fixture(scope="module")
def straight(mini, tmp_path_factory):
    root = tmp_path_factory.mktemp("cal") / "w1"
    sc, runs = _fit(root, mini, workers=1)  # its own one-worker cluster
    return root, sc, runs


def test_one_and_two_workers_give_identical_fits(straight, mini, tmp_path: Path) -> None:
    root1, sc1, runs1 = straight
    sc2, _ = _fit(tmp_path / "w2", mini, workers=2)  # a two-worker cluster
    # every run folder: same name (hash of values, scale, seed, year) and same table bytes
    assert _folders(root1) == _folders(tmp_path / "w2")
    assert sc1.history == sc2.history and sc1.best.loss == sc2.best.loss
    pd.testing.assert_frame_equal(sc1.best.fit, sc2.best.fit, check_exact=True)
    assert sc1.best.values == sc2.best.values
    # budget semantics: runs = points × replicates, never above the budget
    assert sc1.evaluations == sc1.points * 2 <= BUDGET
    assert runs1.runs == sc1.evaluations and runs1.reused == 0


def test_seeds_are_common_to_every_point_and_derived_from_the_replicate(straight) -> None:
    root, sc, runs = straight
    assert runs.seeds == [derive_seed(1, "calibration", 0), derive_seed(1, "calibration", 1)]
    by_point: dict[str, set[int]] = {}
    for p in root.iterdir():
        man = read_manifest(p)
        key = repr(sorted(man["parameters"].items()))
        by_point.setdefault(key, set()).add(man["seed"])
        assert p.name.endswith(f"-s{man['seed']}") and man["scale"] == SCALE and man["until"] == 2010
    assert len(by_point) == sc.points >= 3
    assert all(seeds == set(runs.seeds) for seeds in by_point.values())
    assert sc.best.seeds == runs.seeds


def test_run_folders_hold_small_tables_only(straight) -> None:
    root, _, _ = straight
    for p in root.iterdir():
        assert sorted(f.name for f in p.iterdir()) == ["facts.parquet", "fit.parquet", "manifest.json"]


def test_killed_run_is_redone_on_resume_with_the_same_result(straight, mini, client, tmp_path: Path) -> None:
    root, sc, _ = straight
    copy = tmp_path / "resume"
    shutil.copytree(root, copy)
    victim = sorted(copy.iterdir())[3]
    (victim / "manifest.json").unlink()  # killed before its manifest: not complete
    (victim / "fit.parquet").write_bytes(b"half-written")
    before = _folders(root)
    sc2, runs2 = _fit(copy, mini, client)
    assert runs2.reused == runs2.runs - 1  # only the killed run was redone
    assert is_complete(victim)
    assert _folders(copy) == before
    assert sc2.history == sc.history
    pd.testing.assert_frame_equal(sc2.best.fit, sc.best.fit, check_exact=True)


def test_runs_with_other_values_are_never_reused(straight, mini, client, tmp_path: Path) -> None:
    root, sc, _ = straight
    copy = tmp_path / "other"
    shutil.copytree(root, copy)
    n = len(list(copy.iterdir()))
    other = {**sc.start.values, "beta_capital": sc.start.values["beta_capital"] + 1e-9}
    with _runs(copy, mini, client) as runs:
        SF.evaluate(runs, other)
        assert runs.reused == 0 and len(list(copy.iterdir())) == n + 2
    with _runs(copy, mini, client, base_seed=2) as runs:  # other seeds: other folders
        SF.evaluate(runs, sc.start.values)
        assert runs.reused == 0
    atlas, targets = mini
    with SimRuns(copy, atlas, targets, scale=2 * SCALE, replicates=2, _client=client) as runs:  # other scale
        SF.evaluate(runs, sc.start.values)
        assert runs.reused == 0
    # a folder whose manifest names other values is refused, not read
    with _runs(copy, mini) as runs:
        task = runs.tasks(sc.start.values, runs.settings())[0]
    victim = task.run_dir(copy)
    man = victim / "manifest.json"
    man.write_text(man.read_text().replace('"calibration_key": "', '"calibration_key": "0'))
    with _runs(copy, mini, client) as runs, pytest.raises(KochuError, match=r"calibration_key does not match"):
        SF.evaluate(runs, sc.start.values)


@pytest.mark.parametrize("at_bound", [False, True])
def test_jacobian_points_are_submitted_as_one_ensemble(mini, client, tmp_path: Path, monkeypatch,
                                                      at_bound: bool) -> None:
    sizes: list[int] = []
    original = SimRuns.evaluate

    def spy(self, points, *a, **kw):
        sizes.append(len(points))
        return original(self, points, *a, **kw)

    monkeypatch.setattr(SimRuns, "evaluate", spy)
    with _runs(tmp_path / "j", mini, client) as runs:
        start = {**HAND_SET, "beta_capital": FREE["beta_capital"].hi} if at_bound else dict(HAND_SET)
        sc = SF.calibrate_sim(runs, start, free=FREE, max_runs=6)
    # the start (once, even on a bound), then the Jacobian's two perturbed points together (the
    # centre re-used), ...
    assert sizes[:2] == [1, len(FREE)]
    assert sc.evaluations <= 6 and sc.points == sum(sizes)


def test_sim_check_runs_replicates_through_the_machinery(mini) -> None:
    atlas, targets = mini
    fit = sim_check(atlas, dict(HAND_SET), targets, scale=SCALE, until=2010, replicates=2)
    assert list(fit["target"]) == [t.name for t in targets]
    assert (fit["replicates"] == 2).all()
    assert (fit["fitted_lo"] <= fit["fitted"]).all() and (fit["fitted"] <= fit["fitted_hi"]).all()
    assert (fit["fitted_lo"] < fit["fitted_hi"]).any()  # two seeds differ


def test_replicate_mean_and_majority_rule() -> None:
    targets = [Target("a", "national", 2000, 10.0, 0.1, "src"), Target("b", "national", 2000, 4.0, 0.1, "src")]
    fits = [pd.DataFrame({"fitted": [9.0, 2.0]}), pd.DataFrame({"fitted": [13.0, 6.0]})]
    fit = mean_fit(targets, fits)
    np.testing.assert_allclose(fit["fitted"], [11.0, 4.0])
    np.testing.assert_allclose(fit["error"], [0.1, 0.0])
    np.testing.assert_allclose(fit["fitted_lo"], [9.0, 2.0])
    np.testing.assert_allclose(fit["fitted_hi"], [13.0, 6.0])

    def table(value: float, ok: bool, penalty: float) -> pd.DataFrame:
        return pd.DataFrame([{"fact": "f", "value": value, "rule": "> 0", "ok": ok, "penalty": penalty}])

    (f,) = mean_facts([table(1.0, True, 0.0), table(-1.0, False, 3.0), table(2.0, True, 0.0)])
    assert f == Fact("f", pytest.approx(2 / 3), "> 0", True, 1.0)
    (g,) = mean_facts([table(1.0, True, 0.0), table(-1.0, False, 3.0)])
    assert not g.ok  # holds in only half the replicates


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sim-replicates", "0"], "--sim-replicates 0: expected a whole number from 1 to 100"),
        (["--workers", "0"], "--workers 0: expected a whole number ≥ 1"),
    ],
)
def test_bad_flag_values_give_one_line_errors(args: list[str], message: str, tmp_path: Path) -> None:
    res = run_kochu("calibrate", "--atlas", str(MINI_ATLAS), "--out", str(tmp_path / "c"), *args, timeout=120)
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], res.stderr
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    ("workers", "scheduler", "replicates", "message"),
    [
        (2, None, -2, "--sim-replicates -2: expected a whole number from 1 to 100"),
        (-1, None, 3, "--workers -1: expected a whole number ≥ 1"),
        (2, " ", 3, "--scheduler: expected an address such as tcp://host:8786, got an empty string"),
    ],
)
def test_sim_flag_checks(workers: int, scheduler: str | None, replicates: int, message: str) -> None:
    from kochu.estimate.cli import _check_sim_flags

    with pytest.raises(KochuError, match=message.replace("+", r"\+")):
        _check_sim_flags(workers, scheduler, replicates)
    _check_sim_flags(0, "tcp://127.0.0.1:8786", 1)  # workers do not matter with a scheduler


def test_check_replicates() -> None:
    assert check_replicates(3) == 3
    with pytest.raises(KochuError, match="--sim-replicates 101"):
        check_replicates(101)


def test_sim_fit_sections_from_replicate_means(mini, client, tmp_path: Path) -> None:
    """``kochu calibrate``'s simulation fit (kochu.estimate.cli._sim_fit) on the machinery."""
    from types import SimpleNamespace

    from kochu.estimate.cli import _sim_fit, _spread_section

    atlas, targets = mini
    with _runs(tmp_path / "s", mini, client) as runs:
        params, note, chosen, extra = _sim_fit(atlas, SimpleNamespace(targets=targets, values={"birth_factor_south": 1.1}),
                                         dict(HAND_SET), SCALE, 4, runs)
        title, text, table = _spread_section(runs, chosen.fit)
    assert set(params) == set(SF.SIM_FREE) | set(SF.FROM_PROJECTION)
    assert params["birth_factor_south"] == 1.1  # demography taken from the projection's calibration
    assert "× 2 replicates" in note and chosen.seeds == runs.seeds
    assert "Calibration on the simulation (facts as constraints)" in [t for t, _, _ in extra]
    assert "replicates" in title and f"Simulation runs: {runs.runs}" in text
    assert (table["min"] <= table["simulation (mean)"]).all() and (table["simulation (mean)"] <= table["max"]).all()


def test_sim_check_without_runs_sees_the_atlas_object_itself(mini) -> None:
    """The default (no ``runs``): one worker thread in this process, on the in-memory atlas."""
    import copy

    atlas, targets = mini
    bigger = copy.copy(atlas)
    pops = atlas.populations.copy()
    pops.loc[pops["year"] == 1989, "population"] *= 2
    bigger.populations = pops
    plain = sim_check(atlas, dict(HAND_SET), targets, scale=SCALE, until=2010)
    doubled = sim_check(bigger, dict(HAND_SET), targets, scale=SCALE, until=2010)
    total = plain["target"] == "population Kyrgyzstan 1999"
    assert doubled.loc[total, "fitted"].item() > 1.5 * plain.loc[total, "fitted"].item()


def test_runs_made_by_other_code_are_not_reused(straight, mini, client, tmp_path: Path, monkeypatch) -> None:
    import kochu.estimate.simruns as simruns

    root, sc, _ = straight
    copy = tmp_path / "code"
    shutil.copytree(root, copy)
    with _runs(copy, mini, client) as runs:
        SF.evaluate(runs, sc.start.values)
        assert runs.reused == 2  # same code: re-used
    monkeypatch.setattr(simruns, "code_digest", lambda: "0" * 64)
    with _runs(copy, mini, client) as runs:
        SF.evaluate(runs, sc.start.values)
        assert runs.reused == 0
