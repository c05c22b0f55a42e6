"""The run store: atomic writes, manifest last, completeness detection."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kochu.errors import RunStoreError
from kochu.runs.store import RunStore, atomic_path, is_complete, read_manifest, read_table


def _df() -> pd.DataFrame:
    return pd.DataFrame({"year": [1989, 1990], "place": ["a", "b"], "present": [10, 12]})


def test_roundtrip_and_manifest_hashes(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "run")
    store.write_table("population", _df())
    store.write_csv("population_by_oblast.csv", _df())
    assert not is_complete(tmp_path / "run")  # no manifest yet
    store.finalize({"seed": 1})
    assert is_complete(tmp_path / "run")
    manifest = read_manifest(tmp_path / "run", verify=True)
    assert manifest["seed"] == 1 and set(manifest["files"]) == {"population.parquet", "population_by_oblast.csv"}
    pd.testing.assert_frame_equal(read_table(tmp_path / "run", "population"), _df())


def test_same_data_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        RunStore(tmp_path / name).write_table("t", _df())
    assert (tmp_path / "a" / "t.parquet").read_bytes() == (tmp_path / "b" / "t.parquet").read_bytes()


def test_tampered_or_truncated_table_is_detected(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "run")
    store.write_table("population", _df())
    store.finalize({})
    path = tmp_path / "run" / "population.parquet"
    path.write_bytes(path.read_bytes()[:20])
    assert not is_complete(tmp_path / "run")
    with pytest.raises(RunStoreError, match=r"population\.parquet: contents do not match"):
        read_manifest(tmp_path / "run", verify=True)


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "x.bin"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("killed")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_rewriting_a_finished_run_invalidates_manifest_first(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "run")
    store.write_table("population", _df())
    store.finalize({})
    again = RunStore(tmp_path / "run")
    again.write_table("population", _df().head(1))
    assert not (tmp_path / "run" / "manifest.json").exists()


def test_missing_and_bad_manifest_messages(tmp_path: Path) -> None:
    with pytest.raises(RunStoreError, match="not a run folder"):
        read_manifest(tmp_path / "nope")
    (tmp_path / "r").mkdir()
    with pytest.raises(RunStoreError, match="manifest.json: missing"):
        read_manifest(tmp_path / "r")
    (tmp_path / "r" / "manifest.json").write_text("{not json")
    with pytest.raises(RunStoreError, match="not valid JSON"):
        read_manifest(tmp_path / "r")
    (tmp_path / "r" / "manifest.json").write_text(json.dumps({"seed": 1}))
    with pytest.raises(RunStoreError, match="field 'files' missing"):
        read_manifest(tmp_path / "r")


def test_unknown_table_lists_known(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "run")
    store.write_table("population", _df())
    store.finalize({})
    with pytest.raises(RunStoreError, match=r"no table 'flows' in this run \(has: population\)"):
        read_table(tmp_path / "run", "flows")
