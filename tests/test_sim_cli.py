"""``kochu run``: tables, CSV exports and the report (unless ``--no-report``); re-running into
an old run folder invalidates its manifest first; the checkpoint folder is gone at the end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kochu.runs.store import read_manifest
from tests.helpers import MINI_ATLAS

ARGS = ["run", "--atlas", str(MINI_ATLAS), "--scale", "0.03", "--until", "1991", "--checkpoint-seconds", "0"]


def kochu(args: list[str], capsys) -> tuple[int, str]:
    from kochu.cli import main

    with pytest.raises(SystemExit) as exc:
        main(args)
    return int(exc.value.code or 0), capsys.readouterr().err


def test_run_writes_tables_exports_and_the_report(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    code, err = kochu([*ARGS, "--out", str(out)], capsys)
    assert code == 0, err
    names = {p.name for p in out.iterdir()}
    assert {"population.parquet", "flows.parquet", "events.parquet", "indicators.parquet",
            "population_by_oblast.csv", "flows_by_oblast.csv", "manifest.json", "report.html",
            "figures"} <= names
    assert "checkpoint" not in names
    assert "report.html" in err
    read_manifest(out, verify=True)


def test_no_report_and_a_rerun_over_an_old_run(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    code, err = kochu([*ARGS, "--out", str(out), "--no-report"], capsys)
    assert code == 0, err
    assert not (out / "report.html").exists() and not (out / "figures").exists()
    first = json.loads((out / "manifest.json").read_text())
    (out / ".flows.parquet.abc.tmp").write_bytes(b"left by a crash")
    code, err = kochu([*ARGS, "--out", str(out), "--no-report", "--seed", "2"], capsys)
    assert code == 0, err
    second = read_manifest(out, verify=True)
    assert first["seed"] == 1 and second["seed"] == 2
    assert not list(out.glob(".*.tmp"))


def test_bad_checkpoint_interval_is_one_line(tmp_path: Path, capsys) -> None:
    code, err = kochu([*ARGS, "--out", str(tmp_path), "--checkpoint-seconds", "-1"], capsys)
    assert code != 0 and err.count("\n") == 1 and "--checkpoint-seconds -1.0: expected a number" in err


def test_resume_of_a_finished_scenario_run_is_a_no_op(tmp_path: Path, capsys) -> None:
    sc = tmp_path / "jobs.toml"
    sc.write_text('name = "jobs"\nhorizon = 2030\nseeds = [1]\n[[interventions]]\ntype = "jobs"\n'
                  'places = ["s_satellite"]\njobs = 20000\nstart = 1989\nsource = "test"\n')
    out = tmp_path / "run"
    args = [*ARGS, "--scenario", str(sc), "--out", str(out), "--no-report"]
    assert kochu(args, capsys)[0] == 0
    before = (out / "manifest.json").read_bytes()
    code, err = kochu([*args, "--resume"], capsys)
    assert code == 0 and "already complete" in err
    assert (out / "manifest.json").read_bytes() == before
