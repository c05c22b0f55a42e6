"""kochu compare: planning, common seeds, the comparison files (a stand-in runner, fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kochu.errors import KochuError, ScenarioError
from kochu.scenarios.compare import common_seeds, run_comparison
from kochu.scenarios.io import loads
from tests.helpers import MINI_ATLAS, run_kochu


def write(tmp: Path, name: str, seeds: str = "[1, 2, 3]", extra: str = "") -> Path:
    p = tmp / f"{name}.toml"
    p.write_text(f'name = "{name}"\nhorizon = 2030\nseeds = {seeds}\nscale = 0.5\n{extra}', encoding="utf-8")
    return p


JOBS = '[[interventions]]\ntype = "jobs"\nplaces = ["s_mine"]\njobs = 100\nstart = 2026\nsource = "test"\n'


def fake_runner(calls: list):
    def run(scenario, atlas, seed, scale, last, out):
        calls.append((scenario.name, seed, scale, last, out))
        bump = 10.0 if scenario.interventions else 0.0
        return pd.DataFrame({"year": [last], "indicator": ["x"], "value": [seed + bump], "seed": seed})

    return run


def test_common_seeds() -> None:
    base = loads('name = "b"\nhorizon = 2030\nseeds = [5, 7, 9]\n')
    assert common_seeds(base, None) == [5, 7, 9]
    assert common_seeds(base, 2) == [5, 7]
    assert common_seeds(base, 5) == [5, 7, 9, 1, 2]
    with pytest.raises(KochuError, match="--replicates 0: expected 1 to 1000"):
        common_seeds(base, 0)


def test_every_scenario_runs_the_baseline_seeds(tmp_path: Path) -> None:
    files = [write(tmp_path, "policy", "[42]", JOBS), write(tmp_path, "baseline")]
    calls: list = []
    out = tmp_path / "cmp"
    path = run_comparison(files, out=out, atlas=MINI_ATLAS, progress=False, runner=fake_runner(calls))
    assert [(c[0], c[1]) for c in calls] == [
        ("baseline", 1), ("baseline", 2), ("baseline", 3), ("policy", 1), ("policy", 2), ("policy", 3),
    ]
    assert {c[2] for c in calls} == {0.5} and {c[3] for c in calls} == {2030}
    assert calls[4][4] == out / "policy" / "seed_2"
    cmp = pd.read_csv(path)
    row = cmp[cmp["scenario"] == "policy"].iloc[0]
    assert (row["value"], row["baseline"], row["difference"]) == (12.0, 2.0, 10.0)
    assert row["difference_lo"] == row["difference_hi"] == 10.0  # per-seed differences
    assert row["replicates"] == 3
    top = pd.read_csv(out / "comparison_2030.csv", index_col=0)
    assert top.loc["x", "policy_diff"] == 10.0
    meta = json.loads((out / "comparison.json").read_text())
    assert meta["baseline"] == "baseline" and meta["seeds"] == [1, 2, 3]
    assert meta["files"]["policy"].endswith("policy.toml")


def test_overrides_and_first_file_as_baseline(tmp_path: Path) -> None:
    files = [write(tmp_path, "a"), write(tmp_path, "b", extra=JOBS)]
    calls: list = []
    run_comparison(files, out=tmp_path / "o", atlas=MINI_ATLAS, progress=False, scale=0.01, until=2000,
                   replicates=1, runner=fake_runner(calls))
    assert [(c[0], c[1], c[2], c[3]) for c in calls] == [("a", 1, 0.01, 2000), ("b", 1, 0.01, 2000)]


def test_bad_plans_fail_before_any_run(tmp_path: Path) -> None:
    calls: list = []
    a = write(tmp_path, "a")
    dup = tmp_path / "dup.toml"
    dup.write_text(a.read_text(), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"dup\.toml: name: 'a' is also the name of .*a\.toml"):
        run_comparison([a, dup], out=tmp_path / "o", atlas=MINI_ATLAS, progress=False, runner=fake_runner(calls))
    with pytest.raises(KochuError, match=r"--scale 2\.0: expected a number in \(0, 1\]"):
        run_comparison([a], out=tmp_path / "o", atlas=MINI_ATLAS, scale=2.0, progress=False, runner=fake_runner(calls))
    with pytest.raises(KochuError, match="--until 1900: expected a year from 1990"):
        run_comparison([a], out=tmp_path / "o", atlas=MINI_ATLAS, until=1900, progress=False, runner=fake_runner(calls))
    assert calls == []
    assert not (tmp_path / "o").exists()


def test_cli_compare_bad_file_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nhorizon = 2030\nseeds = []\n', encoding="utf-8")
    res = run_kochu("compare", str(bad), "--out", str(tmp_path / "o"), "--atlas", str(MINI_ATLAS), timeout=120)
    assert res.returncode != 0
    assert res.stderr.strip().splitlines() == [f"kochu: error: {bad}: seeds: expected at least one seed, got []"]


@pytest.mark.slow
def test_compare_on_the_ensemble_machinery_with_the_simulation(tmp_path: Path) -> None:
    """Default runner: Dask tasks, run folders out/<name>/seed_<s>/, indicators read back;
    re-running resumes (complete runs are kept, nothing is recomputed)."""
    root = Path(__file__).resolve().parents[1] / "scenarios"
    files = [root / "baseline.toml", root / "registration_reform.toml"]
    out = tmp_path / "cmp"
    path = run_comparison(files, out=out, scale=0.002, until=1991, replicates=1, workers=1, progress=False)
    df = pd.read_csv(path)
    assert set(df["scenario"]) == {"baseline", "registration_reform"}
    seed_dirs = sorted((out / "baseline").iterdir())
    assert len(seed_dirs) == 1 and (seed_dirs[0] / "manifest.json").exists()
    before = (seed_dirs[0] / "manifest.json").stat().st_mtime_ns
    run_comparison(files, out=out, scale=0.002, until=1991, replicates=1, workers=1, progress=False)
    assert (seed_dirs[0] / "manifest.json").stat().st_mtime_ns == before
