"""Crash-safe resume (issue 9): checkpoints at year boundaries, SIGKILL, resume, same bytes.

- the Sim API: a run restored from a mid-run checkpoint (with interventions that keep state:
  a ramped jobs programme, a hazard with displacement, a legalisation) finishes with the
  tables of a straight run;
- options that differ from the checkpoint's are refused in one line;
- ``kochu run`` as a subprocess, SIGKILLed once a mid-run checkpoint exists, leaves no
  manifest; ``--resume`` finishes it with the bytes of a straight run and removes the
  checkpoint; ``--resume`` of a finished run is a no-op.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kochu.atlas import load_atlas
from kochu.errors import KochuError
from kochu.scenarios import loads
from kochu.sim import checkpoint as ck
from kochu.sim.sim import Sim
from tests.helpers import MINI_ATLAS, ROOT

SCALE = 0.03
UNTIL = 1997
SCENARIO = """
name = "resume_test"
horizon = 2030
seeds = [1]

[[interventions]]
type = "jobs"
places = ["s_satellite"]
jobs = 20000
start = 1993
ramp_months = 36
source = "test"

[[interventions]]
type = "hazard"
hazard = "landslide"
places = ["s_mine"]
displaced_share = 0.4
return_months = 30
hazard_increase_sd = 1.0
start = "1994-03"
end = "1995-06"
source = "test"

[[interventions]]
type = "registration_reform"
completeness_factor = 1.3
start = 1996
source = "test"
"""
TABLES = ("population.parquet", "flows.parquet", "events.parquet", "population_by_oblast.csv",
          "flows_by_oblast.csv")


@pytest.fixture(scope="module")
def atlas():
    return load_atlas(MINI_ATLAS)


#: cheap relocation: remittance savings decide family moves within the test's few years
PARAMS = {"relocation_cost": 2.0, "funded_relocation_rate": 1.0, "abroad_rate": 3.0}


def new_sim(atlas, seed: int = 1, scale: float = SCALE, **params: float) -> Sim:
    return Sim(atlas, scenario=loads(SCENARIO, atlas=atlas), seed=seed, scale=scale, end=2030,
               params={**PARAMS, **params})


@pytest.fixture(scope="module")
def straight(atlas, tmp_path_factory) -> tuple[Path, Path]:
    """A straight run (writing checkpoints as it goes) and its checkpoint of 1 January 1995."""
    root = tmp_path_factory.mktemp("straight")
    sim = new_sim(atlas)
    sim.init()
    sim.run(until=1996, checkpoint=root / "ck")  # the last checkpoint: 1 January 1995
    sim.run(until=UNTIL)
    sim.write(root / "run")
    keep = root / "ck1995"
    (root / "ck").rename(keep)
    return root / "run", keep


def test_restored_run_writes_the_bytes_of_a_straight_run(atlas, straight, tmp_path):
    run, ck_dir = straight
    assert ck.read_meta(ck_dir)["year"] == 1995 and ck.read_meta(ck_dir)["month"] == 1
    sim = new_sim(atlas)
    sim.restore(ck_dir, until=1996)
    assert (sim.year, sim.month) == (1995, 1)
    sim.run(until=1996)
    sim.run(until=UNTIL)
    sim.write(tmp_path)
    for name in TABLES:
        assert (tmp_path / name).read_bytes() == (run / name).read_bytes(), name


def test_checkpoint_keeps_only_the_latest_state(atlas, tmp_path):
    sim = Sim(atlas, seed=1, scale=SCALE, end=2030)
    sim.init()
    sim.run(until=1992, checkpoint=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.npz"]
    assert ck.read_meta(tmp_path)["year"] == 1991


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seed": 2}, "made with seed = 1, not 2"),
        ({"scale": 0.02}, "made with scale = 0.03, not 0.02"),
        ({"until": 1998}, "made with until = 1996, not 1998"),
    ],
)
def test_other_options_are_refused_in_one_line(atlas, straight, change, message):
    _, ck_dir = straight
    sim = new_sim(atlas, seed=change.get("seed", 1), scale=change.get("scale", SCALE))
    with pytest.raises(KochuError, match=message) as exc:
        sim.restore(ck_dir, until=change.get("until", 1996))
    assert "\n" not in str(exc.value)


def test_other_parameters_and_damaged_checkpoints_are_refused(atlas, straight, tmp_path):
    _, ck_dir = straight
    sim = new_sim(atlas, abroad_rate=0.123)
    with pytest.raises(KochuError, match="parameters.abroad_rate"):
        sim.restore(ck_dir, until=1996)
    (tmp_path / "state.npz").write_bytes(b"not a checkpoint")
    with pytest.raises(KochuError, match="unreadable checkpoint"):
        new_sim(atlas).restore(tmp_path, until=1996)
    with pytest.raises(KochuError, match="no checkpoint"):
        new_sim(atlas).restore(tmp_path / "nothing", until=1996)


# ---- the command, killed and resumed ---------------------------------------------------------
CLI_ARGS = ["run", "--scale", "0.005", "--until", "1996", "--no-report", "--checkpoint-seconds", "0"]


def kochu(*args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "from kochu.cli import main; main()", *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def checkpoint_year(folder: Path) -> int | None:
    try:
        return int(ck.read_meta(folder)["year"])
    except KochuError:
        return None


@pytest.fixture(scope="module")
def embedded_atlas_present():
    from kochu.atlas.load import default_atlas_path

    if not (default_atlas_path() / "places.csv").exists():
        pytest.skip("the Kyrgyzstan atlas CSVs are not built yet")


def test_sigkill_then_resume_finishes_with_the_bytes_of_a_straight_run(embedded_atlas_present, tmp_path):
    d1, d2 = tmp_path / "D1", tmp_path / "D2"
    straight = kochu(*CLI_ARGS, "--out", str(d2))
    # the pause after each checkpoint only gives this test time to kill between checkpoints
    victim = kochu(*CLI_ARGS, "--out", str(d1), env={"KOCHU_CHECKPOINT_PAUSE": "0.4"})
    deadline = time.monotonic() + 300
    year = None
    while time.monotonic() < deadline and victim.poll() is None:
        year = checkpoint_year(d1 / "checkpoint")
        if year is not None and year >= 1991:
            break
        time.sleep(0.02)
    assert victim.poll() is None, f"the run ended before it could be killed: {victim.communicate()[1]}"
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate()
    assert victim.returncode == -signal.SIGKILL
    assert year is not None and 1991 <= year < 1996
    assert not (d1 / "manifest.json").exists()  # nothing looks complete
    assert not list(d1.glob("*.parquet"))

    resumed = kochu(*CLI_ARGS, "--out", str(d1), "--resume")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert "resuming from the checkpoint of 1 January" in err
    _, err2 = straight.communicate(timeout=300)
    assert straight.returncode == 0, err2
    names = sorted(p.name for p in d2.iterdir())
    assert names == sorted(p.name for p in d1.iterdir())  # no checkpoint folder left behind
    assert "checkpoint" not in names and "manifest.json" in names
    for name in names:
        if name != "manifest.json":
            assert (d1 / name).read_bytes() == (d2 / name).read_bytes(), name

    again = kochu(*CLI_ARGS, "--out", str(d1), "--resume")
    _, err3 = again.communicate(timeout=300)
    assert again.returncode == 0 and "already complete" in err3
    other = kochu(*[a if a != "1996" else "1997" for a in CLI_ARGS], "--out", str(d1), "--resume")
    _, err4 = other.communicate(timeout=300)
    assert other.returncode != 0 and err4.count("\n") == 1 and "until = 1996, not 1997" in err4
