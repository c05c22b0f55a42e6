"""Ensemble machinery: seeds from indices, worker-count invariance, resume after a kill."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import cloudpickle
import numpy as np
import pandas as pd
import pytest

from kochu.errors import KochuError
from kochu.runs.ensemble import Task, aggregate, derive_seed, make_tasks, run_ensemble
from kochu.runs.store import RunStore, is_complete


def toy_runner(task: Task, run_dir: Path, settings: dict[str, Any]) -> None:
    """A stand-in engine for orchestration tests: a seeded random walk of three places."""
    rng = np.random.default_rng(task.seed)
    years = np.arange(2000, 2000 + int(settings["years"]))
    rows = [
        {"year": int(y), "month": 1, "place": p, "present": int(1000 + rng.integers(0, 100)), "permanent": 0}
        for y in years
        for p in ("a", "b", "c")
    ]
    store = RunStore(run_dir)
    store.write_table("population", pd.DataFrame(rows))
    if settings.get("fail_on") == task.id:
        raise RuntimeError("killed mid-run")
    store.finalize({"seed": task.seed})


cloudpickle.register_pickle_by_value(sys.modules[__name__])


def test_seed_depends_on_index_not_order() -> None:
    assert derive_seed(1, "baseline", 3) == derive_seed(1, "baseline", 3)
    assert derive_seed(1, "baseline", 3) != derive_seed(1, "baseline", 4)
    assert derive_seed(1, "baseline", 3) != derive_seed(2, "baseline", 3)
    assert derive_seed(1, "a", 0, 1) != derive_seed(1, "a", 0, 0)
    tasks = make_tasks([("b", None), ("a", None)], replicates=2)
    assert [t.id for t in tasks] == sorted(t.id for t in tasks)
    # common random numbers: replicate r has the same seed in every scenario
    seeds = {(t.scenario, t.replicate): t.seed for t in tasks}
    assert seeds[("a", 1)] == seeds[("b", 1)] != seeds[("a", 0)]


def test_bad_replicates_and_duplicate_names() -> None:
    with pytest.raises(KochuError, match=r"--replicates: expected a whole number ≥ 1, got 0"):
        make_tasks([("a", None)], replicates=0)
    with pytest.raises(KochuError, match="duplicate scenario name"):
        make_tasks([("a", None), ("a", "x.toml")], replicates=1)


def test_one_and_two_workers_identical(tmp_path: Path) -> None:
    tasks = make_tasks([("base", None), ("alt", None)], replicates=3, base_seed=7)
    settings = {"years": 4}
    r1 = run_ensemble(tasks, tmp_path / "w1", settings, workers=1, runner=toy_runner, progress=False)
    r2 = run_ensemble(tasks, tmp_path / "w2", settings, workers=2, runner=toy_runner, progress=False)
    assert list(r1["task"]) == list(r2["task"]) == [t.id for t in tasks]
    assert list(r1["digest"]) == list(r2["digest"])
    bands1 = aggregate(tmp_path / "w1", tasks)
    bands2 = aggregate(tmp_path / "w2", tasks)
    pd.testing.assert_frame_equal(bands1, bands2)
    assert (bands1["n"] == 3).all()
    assert (bands1["q05"] <= bands1["q50"]).all() and (bands1["q50"] <= bands1["q95"]).all()


def test_killed_run_is_redone_on_resume(tmp_path: Path) -> None:
    tasks = make_tasks([("base", None)], replicates=3)
    victim = tasks[1].id
    with pytest.raises(RuntimeError, match="killed mid-run"):
        run_ensemble(tasks, tmp_path / "e", {"years": 3, "fail_on": victim}, runner=toy_runner, progress=False)
    # the interrupted run left tables but no manifest: it does not look complete
    assert (tmp_path / "e" / "runs" / victim / "population.parquet").exists()
    assert not is_complete(tmp_path / "e" / "runs" / victim)
    straight = run_ensemble(tasks, tmp_path / "s", {"years": 3}, runner=toy_runner, progress=False)
    resumed = run_ensemble(tasks, tmp_path / "e", {"years": 3}, runner=toy_runner, progress=False)
    assert list(resumed["digest"]) == list(straight["digest"])
    assert is_complete(tmp_path / "e" / "runs" / victim)


@pytest.mark.slow
def test_real_simulation_identical_across_worker_counts(tmp_path: Path) -> None:
    """The must-show: the agent-based simulation gives the same bytes on 1 and 2 workers."""
    from kochu.runs.ensemble import write_ensemble_summary

    tasks = make_tasks([("baseline", None)], replicates=2, base_seed=3)
    settings = {"atlas": None, "scale": 0.002, "until": 1992}
    r1 = run_ensemble(tasks, tmp_path / "w1", settings, workers=1, progress=False)
    r2 = run_ensemble(tasks, tmp_path / "w2", settings, workers=2, progress=False)
    assert list(r1["digest"]) == list(r2["digest"])
    assert r1["digest"].nunique() == 2  # different replicates differ
    write_ensemble_summary(tmp_path / "w1", tasks, r1, {})
    bands = pd.read_parquet(tmp_path / "w1" / "bands_population_by_oblast.parquet")
    assert set(bands["key"]) >= {"Bishkek", "Naryn", "Osh city"}
    assert (bands["n"] == 2).all() and (bands["q05"] <= bands["q95"]).all()
    # the report of an ensemble folder shows the bands (issue 8's must-show)
    from kochu.report import build_report

    html = build_report(tmp_path / "w1", shade=False, only={"ensemble_bands"}).read_text()
    assert "Population by oblast over 2 replicates" in html
    assert (tmp_path / "w1" / "figures" / "ensemble_bands.png").stat().st_size > 10_000
