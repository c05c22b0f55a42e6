"""The backtest must not see the future (issue 5).

Every value dated after the training year is perturbed wildly — atlas populations, attributes,
vital rates and age structures, the drivers' own data files (oblast indicators, national
series, regime anchors, mine closures, events) and the projection's national UN series — and
the backtest's 2015 forecast (and its calibration) must come out byte-identical. The negative
control shows the same perturbation does move a forecast that reads everything.
"""

from __future__ import annotations

import copy
import shutil

import numpy as np
import pandas as pd
import pytest

from kochu.atlas import load_atlas
from kochu.drivers import build_drivers
from kochu.drivers import sources as drv_sources
from kochu.errors import KochuError
from kochu.estimate import calibrate as C
from kochu.estimate.backtest import information_set
from kochu.estimate.cli import check_train_until
from kochu.projection import inputs as proj_inputs

TRAIN = 2009


@pytest.fixture(scope="module")
def atlas():
    return load_atlas()


def _late(df: pd.DataFrame, col: str = "year") -> pd.Series:
    return pd.to_numeric(df[col], errors="coerce") > TRAIN


def _perturbed_atlas(atlas):
    """A copy of ``atlas`` whose rows dated after TRAIN are ×3."""
    bad = copy.copy(atlas)
    for name, cols in (("populations", ["population"]), ("attributes", ["value"]),
                       ("vital_rates", ["crude_birth_rate", "crude_death_rate"]),
                       ("age_structure", ["population"])):
        df = getattr(atlas, name).copy()
        late = _late(df)
        assert late.any(), name  # the test is void if nothing is dated after TRAIN
        for c in cols:
            df[c] = df[c].astype(float)
            df.loc[late, c] = df.loc[late, c] * 3.0
        if name == "populations":
            df["population"] = df["population"].round().astype("int64")
        setattr(bad, name, df)
    return bad


@pytest.fixture()
def future_data(tmp_path, monkeypatch):
    """The drivers' and the projection's data files with every post-TRAIN value perturbed."""
    ddir = tmp_path / "drivers"
    shutil.copytree(drv_sources.DATA, ddir)
    oi = pd.read_csv(ddir / "oblast_indicators.csv")
    oi.loc[_late(oi), "value"] *= 3.0
    oi.to_csv(ddir / "oblast_indicators.csv", index=False)
    ns = pd.read_csv(ddir / "national_series.csv")
    assert _late(ns).any()
    ns.loc[_late(ns), "value"] *= 3.0
    ns.to_csv(ddir / "national_series.csv", index=False)
    ra = pd.read_csv(ddir / "regime_anchors.csv")
    assert _late(ra).any()
    ra.loc[_late(ra), "value"] = 1.0 - ra.loc[_late(ra), "value"]  # e.g. the propiska back in 2013
    ra.to_csv(ddir / "regime_anchors.csv", index=False)
    ev = pd.read_csv(ddir / "events.csv")
    extra = ev[ev["kind"] == "conflict"].copy()
    extra["year"], extra["units"], extra["fraction"] = 2011, "Bishkek|Chuy", 0.5
    pd.concat([ev, extra]).to_csv(ddir / "events.csv", index=False)
    mc = pd.read_csv(ddir / "mining_closures.csv")
    mc.loc[mc["closure_year"].isna(), "closure_year"] = 2011.0  # every open mine closes after TRAIN
    mc.to_csv(ddir / "mining_closures.csv", index=False)
    pdir = tmp_path / "projection"
    shutil.copytree(proj_inputs.DATA, pdir)
    un = pd.read_csv(pdir / "national_un_wpp.csv")
    num = [c for c in un.columns if c != "year" and pd.api.types.is_numeric_dtype(un[c])]
    un.loc[_late(un), num] = un.loc[_late(un), num] * 3.0
    un.to_csv(pdir / "national_un_wpp.csv", index=False)
    drv_sources.read.cache_clear()
    monkeypatch.setattr(drv_sources, "DATA", ddir)
    monkeypatch.setattr(proj_inputs, "DATA", pdir)
    yield
    drv_sources.read.cache_clear()


def _forecast_bytes(out) -> bytes:
    perm = out.by_unit(2015, "permanent").to_numpy(float)
    return perm.tobytes() + np.ascontiguousarray(out.res.population).tobytes()


@pytest.fixture(scope="module")
def clean(atlas):
    """(forecast bytes, old-path forecast) on the real data, computed before any perturbation."""
    drv_sources.read.cache_clear()
    values = C.defaults()
    return _forecast_bytes(C.backtest_forecast(atlas, values, TRAIN)), \
        C.Projector(atlas, last_data_year=TRAIN).outputs(values, 2015, jump_off=C.latest_stock(atlas, TRAIN))


@pytest.fixture(scope="module")
def clean_cal(atlas):
    """The backtest calibration (smallest budget) on the real data, before any perturbation."""
    drv_sources.read.cache_clear()
    return C.calibrate(atlas, TRAIN, max_evals=1)


def test_forecast_identical_when_the_future_is_perturbed(atlas, clean, future_data):
    bad = _perturbed_atlas(atlas)
    assert _forecast_bytes(C.backtest_forecast(bad, C.defaults(), TRAIN)) == clean[0]


@pytest.mark.slow
def test_calibration_identical_when_the_future_is_perturbed(atlas, clean_cal, future_data):
    cal = C.calibrate(_perturbed_atlas(atlas), TRAIN, max_evals=1)
    assert cal.values == clean_cal.values
    assert [t.name for t in cal.targets] == [t.name for t in clean_cal.targets]
    assert np.array_equal(cal.fit["fitted"].to_numpy(), clean_cal.fit["fitted"].to_numpy())


def test_drivers_identical_and_future_events_dropped(atlas, future_data):
    bad = _perturbed_atlas(atlas)
    d = build_drivers(bad, start=1989, end=2030, data_until=TRAIN)
    assert all(e.year <= TRAIN for e in d.events)
    drv_sources.read.cache_clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(drv_sources, "DATA", drv_sources.Path(drv_sources.__file__).parent / "data")
        ref = build_drivers(atlas, start=1989, end=2030, data_until=TRAIN)
        drv_sources.read.cache_clear()
    for k in ref.pull:
        assert ref.pull[k].tobytes() == d.pull[k].tobytes(), k
    pd.testing.assert_frame_equal(ref.regime, d.regime)
    assert ref.events == d.events


def test_negative_control_without_the_cut_the_future_leaks(atlas, clean, future_data):
    """The same perturbation moves the old path (rates cut, drivers and atlas not)."""
    bad = _perturbed_atlas(atlas)
    old = C.Projector(bad, last_data_year=TRAIN).outputs(C.defaults(), 2015, jump_off=C.latest_stock(bad, TRAIN))
    ref = clean[1].by_unit(2015, "permanent")
    moved = old.by_unit(2015, "permanent")
    assert not np.allclose(moved.to_numpy(), ref.to_numpy(), rtol=1e-4)


def test_cut_changes_the_forecast_when_later_data_exist(atlas):
    """On the real data the cut matters: the drivers after 2009 differ from the full-information ones."""
    full = build_drivers(atlas, start=1989, end=2020)
    cut = build_drivers(atlas, start=1989, end=2020, data_until=TRAIN)
    assert any(not np.array_equal(full.pull[k], cut.pull[k]) for k in full.pull)
    assert any(e.year > TRAIN for e in full.events) and not any(e.year > TRAIN for e in cut.events)
    values = C.defaults()
    a = C.backtest_forecast(atlas, values, TRAIN).by_unit(2015, "permanent")
    b = C.Projector(atlas, last_data_year=TRAIN).outputs(values, 2015, jump_off=C.latest_stock(atlas, TRAIN))
    assert not np.allclose(a.to_numpy(), b.by_unit(2015, "permanent").to_numpy(), rtol=1e-4)


def test_information_set_drops_only_later_rows(atlas):
    info = information_set(atlas, TRAIN)
    assert info.populations["year"].max() == TRAIN
    assert info.vital_rates["year"].max() == TRAIN
    static = atlas.attributes["year"].isna().sum()
    assert info.attributes["year"].isna().sum() == static
    assert atlas.populations["year"].max() == 2015  # the original is untouched


def test_full_cut_equals_no_cut(atlas):
    """data_until at the last data year reads everything: same drivers as no cut."""
    a, b = build_drivers(atlas, start=1989, end=2030), build_drivers(atlas, start=1989, end=2030, data_until=2015)
    assert all(np.array_equal(a.pull[k], b.pull[k]) for k in a.pull)
    pd.testing.assert_frame_equal(a.regime, b.regime)


@pytest.mark.parametrize("year", [1998, 2015, 1850])
def test_train_until_outside_the_range_is_a_one_line_error(year):
    with pytest.raises(KochuError, match=r"--train-until \d+: expected a year from 1999 .* to 2014"):
        check_train_until(year)


@pytest.mark.parametrize("year", [1999, 2005])
def test_early_cuts_build(atlas, year):
    """Cuts before 2009 (2009 census, survey facts unknown) still build, with no later data."""
    d = build_drivers(atlas, start=1989, end=2020, data_until=year)
    assert all(e.year <= year for e in d.events)
    assert all(np.isfinite(v).all() for v in d.pull.values())
    out = C.backtest_forecast(atlas, C.defaults(), year)
    assert np.isfinite(out.by_unit(2015, "permanent").to_numpy()).all()


def test_cli_forecast_path_equals_the_tested_forecast(atlas):
    """``kochu calibrate --train-until`` projects to 2050 with the same cut: its 2015 is the tested one."""
    values = C.defaults()
    proj = C.Projector(atlas, last_data_year=TRAIN, data_until=TRAIN)
    long = proj.outputs(values, 2050, jump_off=C.latest_stock(proj.atlas, TRAIN))
    short = C.backtest_forecast(atlas, values, TRAIN)
    assert long.by_unit(2015, "permanent").to_numpy().tobytes() == short.by_unit(2015, "permanent").to_numpy().tobytes()


def test_backtest_table_extra_column_by_hand():
    from kochu.estimate.backtest import backtest_table

    idx = ["a", "b"]
    obs = pd.Series([40.0, 60.0], idx)
    t = backtest_table(obs, obs, obs, obs, 10, 6, {"held": pd.Series([50.0, 50.0], idx)})
    assert list(t.columns) == ["observed", "model", "persistence", "trend", "held"]
    assert t.loc["MAPE %", "held"] == pytest.approx((0.1 / 0.4 + 0.1 / 0.6) / 2 * 100)
    assert t.loc["MAPE %", "model"] == pytest.approx(0.0)


@pytest.fixture(scope="module")
def clean_sim(atlas):
    from kochu.estimate.targets import all_targets

    drv_sources.read.cache_clear()
    targets = all_targets(atlas, TRAIN)
    return targets, C.backtest_sim_check(atlas, C.defaults(), targets, TRAIN, scale=0.003)


@pytest.mark.slow
def test_backtest_simulation_identical_when_the_future_is_perturbed(atlas, clean_sim, future_data):
    """The agent-based check of a backtest (Sim on the cut atlas and drivers) ignores later data too."""
    targets, ref = clean_sim
    got = C.backtest_sim_check(_perturbed_atlas(atlas), C.defaults(), targets, TRAIN, scale=0.003)
    assert got["fitted"].to_numpy().tobytes() == ref["fitted"].to_numpy().tobytes()
