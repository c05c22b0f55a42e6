"""Properties of the run store: results → Parquet (``RunStore``) → ``read_table`` is the identity.

DataFrames of the run-store schema (``docs/run-store.md``: ``population``, ``flows``,
``events``, ``indicators``) are generated with arbitrary place ids (any Unicode), int64 or
float64 counts (as the simulation writes them at scale 1 and below 1), empty tables included.
Also: the manifest lists every table with its sha256 (``is_complete``); writing the same
frames twice gives the same bytes; a finished run being rewritten loses its manifest first.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kochu.errors import RunStoreError
from kochu.runs.store import MANIFEST, RunStore, is_complete, read_manifest, read_table

EVENT_COLS = ["population", "births", "deaths", "immigration", "emigration", "internal_moves",
              "registered_moves", "abroad", "informal", "unregistered"]

ids = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
years = st.integers(1989, 2100)
months = st.integers(1, 12)


def counts(n: int, as_float: bool) -> st.SearchStrategy:
    if as_float:
        return st.lists(st.floats(0, 1e12, allow_nan=False), min_size=n, max_size=n)
    return st.lists(st.integers(0, 2**62), min_size=n, max_size=n)


def _col(values: list, as_float: bool) -> np.ndarray:
    return np.array(values, dtype=np.float64 if as_float else np.int64)


@st.composite
def population_tables(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 30))
    f = draw(st.booleans())
    return pd.DataFrame({
        "year": np.array(draw(st.lists(years, min_size=n, max_size=n)), dtype=np.int64),
        "month": np.array(draw(st.lists(months, min_size=n, max_size=n)), dtype=np.int64),
        "place": pd.Series(draw(st.lists(ids, min_size=n, max_size=n)), dtype=object),
        "present": _col(draw(counts(n, f)), f),
        "permanent": _col(draw(counts(n, f)), f),
    })


@st.composite
def flows_tables(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 30))
    f = draw(st.booleans())
    places = st.one_of(ids, st.just("abroad"))
    return pd.DataFrame({
        "year": np.array(draw(st.lists(years, min_size=n, max_size=n)), dtype=np.int64),
        "origin": pd.Series(draw(st.lists(places, min_size=n, max_size=n)), dtype=object),
        "destination": pd.Series(draw(st.lists(places, min_size=n, max_size=n)), dtype=object),
        "true": _col(draw(counts(n, f)), f),
        "registered": _col(draw(counts(n, f)), f),
    })


@st.composite
def events_tables(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 24))
    f = draw(st.booleans())
    df = pd.DataFrame({
        "year": np.array(draw(st.lists(years, min_size=n, max_size=n)), dtype=np.int64),
        "month": np.array(draw(st.lists(months, min_size=n, max_size=n)), dtype=np.int64),
    })
    for c in EVENT_COLS:
        df[c] = _col(draw(counts(n, f)), f)
    return df


@st.composite
def indicator_tables(draw) -> pd.DataFrame:
    n = draw(st.integers(0, 20))
    return pd.DataFrame({
        "year": np.array(draw(st.lists(years, min_size=n, max_size=n)), dtype=np.int64),
        "indicator": pd.Series(draw(st.lists(ids, min_size=n, max_size=n)), dtype=object),
        "value": np.array(draw(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=n,
                                        max_size=n)), dtype=np.float64),
    })


run_tables = st.fixed_dictionaries({
    "population": population_tables(), "flows": flows_tables(), "events": events_tables(),
    "indicators": indicator_tables(),
})


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for c in a.columns:
        x, y = a[c], b[c]
        if x.dtype.kind in "iuf":
            assert y.dtype == x.dtype, (c, x.dtype, y.dtype)
            np.testing.assert_array_equal(x.to_numpy(), y.to_numpy())
        else:
            assert [str(v) for v in x] == [str(v) for v in y], c


@settings(max_examples=min(settings().max_examples, 60), deadline=None)
@given(run_tables, st.integers(0, 2**31 - 1))
def test_results_parquet_round_trip(tables, seed):
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        store = RunStore(run)
        for name, df in tables.items():
            store.write_table(name, df)
        store.finalize({"seed": seed, "scenario": {"name": "generated"}})
        assert is_complete(run)
        m = read_manifest(run, verify=True)
        assert set(m["files"]) == {f"{n}.parquet" for n in tables} and m["seed"] == seed
        for name, df in tables.items():
            _same(df, read_table(run, name))
        # no temporary files left behind
        assert sorted(p.name for p in run.iterdir()) == sorted([MANIFEST, *m["files"]])


@settings(max_examples=min(settings().max_examples, 30), deadline=None)
@given(run_tables)
def test_same_tables_same_bytes(tables):
    with tempfile.TemporaryDirectory() as tmp:
        digests = []
        for k in ("a", "b"):
            store = RunStore(Path(tmp) / k)
            for name, df in tables.items():
                store.write_table(name, df)
            store.finalize({"seed": 1})
            digests.append(json.loads((Path(tmp) / k / MANIFEST).read_text())["files"])
        assert digests[0] == digests[1]


@settings(max_examples=min(settings().max_examples, 20), deadline=None)
@given(run_tables, st.sampled_from(["population", "flows", "events", "indicators"]))
def test_tampered_or_rewritten_run_is_not_complete(tables, victim):
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        store = RunStore(run)
        for name, df in tables.items():
            store.write_table(name, df)
        store.finalize({"seed": 1})
        # a second writer starting over invalidates the old manifest before writing anything
        RunStore(run).write_table(victim, tables[victim])
        assert not (run / MANIFEST).exists() and not is_complete(run)
        with pytest.raises(RunStoreError, match=r"manifest\.json: missing"):
            read_table(run, victim)
