"""Calibration targets, optimiser, defaults file, backtest baselines and CLI errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from kochu.atlas import load_atlas
from kochu.errors import KochuError
from kochu.estimate.backtest import backtest_table, linear_trend, mape, persistence
from kochu.estimate.calibrate import (
    FREE,
    Projector,
    calibrate,
    defaults,
    load_calibrated,
    write_defaults,
)
from kochu.estimate.targets import Outputs, Target, all_targets, fit_table, residuals
from tests.helpers import MINI_ATLAS, run_kochu


@pytest.fixture(scope="module")
def mini():
    return load_atlas(MINI_ATLAS)


@pytest.fixture(scope="module")
def projector(mini):
    return Projector(mini)


# --- backtest baselines on a hand-made example -----------------------------------------------

def test_baselines_and_mape_by_hand():
    idx = ["a", "b", "c"]
    early = pd.Series([100.0, 100.0, 200.0], idx)  # shares .25 .25 .50
    base = pd.Series([100.0, 150.0, 250.0], idx)  # shares .20 .30 .50
    np.testing.assert_allclose(persistence(base), [0.2, 0.3, 0.5])
    # 6 years after a 10-year trend: .20 - .05*.6 = .17, .30 + .05*.6 = .33, .50
    np.testing.assert_allclose(linear_trend(early, base, 10, 6), [0.17, 0.33, 0.5])
    observed = pd.Series([0.18, 0.32, 0.50], idx)
    expected = (abs(0.17 - 0.18) / 0.18 + abs(0.33 - 0.32) / 0.32 + 0) / 3 * 100
    assert mape(linear_trend(early, base, 10, 6), observed) == pytest.approx(expected)
    table = backtest_table(observed * 1000, pd.Series([180.0, 320.0, 500.0], idx), early, base, 10, 6)
    assert table.loc["MAPE %", "model"] == pytest.approx(0.0)
    assert table.loc["MAPE %", "trend"] == pytest.approx(expected)
    assert table.loc["MAPE %", "persistence"] == pytest.approx((0.02 / 0.18 + 0.02 / 0.32) / 3 * 100)


def test_trend_never_negative_and_renormalised():
    idx = ["a", "b"]
    f = linear_trend(pd.Series([50.0, 50.0], idx), pd.Series([10.0, 90.0], idx), 10, 20)
    assert (f >= 0).all() and f.sum() == pytest.approx(1.0)


def test_backtest_errors_are_one_line():
    with pytest.raises(KochuError, match="years between censuses must be positive"):
        linear_trend(pd.Series([1.0]), pd.Series([1.0]), 0, 5)
    with pytest.raises(KochuError, match="forecast lacks"):
        mape(pd.Series([0.5], ["a"]), pd.Series([0.5, 0.5], ["a", "b"]))


# --- targets ---------------------------------------------------------------------------------

def test_targets_respect_train_until(mini):
    full = all_targets(mini)
    early = all_targets(mini, train_until=2009)
    assert {t.year for t in early} <= set(range(1989, 2010))
    assert len(early) < len(full)
    assert any(t.kind == "registered" and t.first == 1999 for t in early)


def test_targets_evaluated_on_a_projection(mini, projector):
    ts = all_targets(mini)
    res = projector.run(defaults(), max(t.year for t in ts) + 1)
    out = Outputs(mini, res)
    shares = [out.value(t) for t in ts if t.kind == "share" and t.year == 1999]
    assert sum(shares) == pytest.approx(1.0)
    fit = fit_table(ts, out)
    assert list(fit.columns[:6]) == ["target", "kind", "year", "observed", "fitted", "error"]
    # a target equal to the model's own value has zero residual
    t = ts[0]
    same = Target(t.name, t.kind, t.year, out.value(t), 0.02, "test", unit=t.unit)
    assert residuals([same], out)[0] == pytest.approx(0.0, abs=1e-12)
    # emigration 1989-94 comes from the sourced national series (rate x projected population)
    emig = next(t for t in ts if t.kind == "emigration")
    assert out.value(emig) < 0


def test_calibration_does_not_worsen_the_loss(mini):
    cal = calibrate(mini, max_evals=3)
    assert cal.loss < cal.start_loss
    assert set(cal.values) == set(FREE)
    for k, v in cal.values.items():
        assert FREE[k].lo - 1e-9 <= v <= FREE[k].hi + 1e-9


def test_train_until_out_of_range_is_one_line_error(mini):
    with pytest.raises(KochuError, match="--train-until 1950: expected a year"):
        calibrate(mini, train_until=1950)


def test_defaults_file_round_trip(tmp_path, mini):
    class Fake:
        values = {**defaults(), "move_rate_individual": 0.0123}
        train_until, loss, start_loss, targets = None, 1.0, 2.0, [1, 2]

    path = write_defaults(Fake, mini, tmp_path / "calibrated.json")
    doc = json.loads(path.read_text())
    assert doc["parameters"]["move_rate_individual"] == pytest.approx(0.0123)
    assert "north_weight" in doc["projection"] and "north_weight" not in doc["parameters"]
    assert load_calibrated(path)["move_rate_individual"] == pytest.approx(0.0123)
    from kochu.sim.params import Params

    Params(load_calibrated(path))  # every calibrated key is a valid simulation parameter
    bad = tmp_path / "bad.json"
    bad.write_text("{\"params\": 1}")
    with pytest.raises(KochuError, match="expected a JSON object with a 'parameters' table"):
        load_calibrated(bad)
    assert load_calibrated(tmp_path / "missing.json") == {}


# --- CLI -------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["--train-until", "1950"], "--train-until 1950: expected a year from 1999"),
    (["--forecast-until", "2100"], "--forecast-until 2100: expected a year from 2015 to 2050"),
])
def test_cli_errors_are_one_line(args, message):
    proc = run_kochu("calibrate", *args, timeout=120)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr


def test_cli_help_lists_options():
    proc = run_kochu("calibrate", "--help", timeout=120)
    assert proc.returncode == 0 and "--train-until" in proc.stdout and "--out" in proc.stdout


def test_jump_off_matches_observed_stocks_and_continues(mini, projector):
    from kochu.estimate.calibrate import latest_stock

    assert latest_stock(mini, 2012) == (2009, "de_facto")
    out = projector.outputs(defaults(), 2015, jump_off=(2009, "de_facto"))
    observed = mini.population(2009, "de_facto", "oblast")
    np.testing.assert_allclose(out.by_unit(2009).reindex(observed.index), observed, rtol=1e-10)
    assert list(out.res.years) == list(range(1989, 2016))
    plain = projector.outputs(defaults(), 2015)
    assert not np.allclose(plain.by_unit(2009).reindex(observed.index), observed, rtol=1e-3)


def test_space_mapping_offset():
    from kochu.estimate.calibrate import sim_residuals

    fit = pd.DataFrame({"observed": [100.0, 0.5], "fitted": [110.0, 0.5], "sigma": [0.1, 0.2]})
    np.testing.assert_allclose(sim_residuals(fit, fit), 0.0)
    sim = fit.assign(fitted=[220.0, 0.25])
    np.testing.assert_allclose(sim_residuals(sim, fit), [np.log(2) / 0.1, np.log(0.5) / 0.2])


def test_offset_shape_is_checked(mini):
    with pytest.raises(KochuError, match="one per target"):
        calibrate(mini, max_evals=1, offset=np.zeros(3))


def test_report_shows_the_simulation_replicate_spread(tmp_path, mini):
    from kochu.estimate.report import write_report

    cal = calibrate(mini, max_evals=2)
    sim = cal.fit.copy()
    sim["fitted_lo"], sim["fitted_hi"] = sim["fitted"] - sim["fitted"].abs() * 0.1, sim["fitted"] + sim["fitted"].abs() * 0.1
    path = write_report(cal, mini, tmp_path, "kochu calibrate (test)", sim_fit=sim)
    fit = pd.read_csv(tmp_path / "fit.csv")
    assert {"simulation", "simulation_lo", "simulation_hi"} <= set(fit.columns)
    assert (fit["simulation_lo"] <= fit["simulation"]).all() and (fit["simulation"] <= fit["simulation_hi"]).all()
    assert "simulation_lo" in path.read_text()
    plain = tmp_path / "plain"  # a sim fit without replicates: no spread columns
    write_report(cal, mini, plain, "kochu calibrate (test)", sim_fit=cal.fit.copy())
    assert "simulation_lo" not in pd.read_csv(plain / "fit.csv").columns


def test_mining_towns_target_from_the_censuses_and_in_both_engines(mini):
    from kochu.atlas import load_atlas
    from kochu.estimate.targets import mining_places, mining_targets

    atlas = load_atlas()
    towns = mining_places(atlas)
    assert len(towns) >= 10
    t99, t09 = mining_targets(atlas)
    p = {y: atlas.population(y, "de_facto", "settlement").reindex(towns).sum() for y in (1989, 1999, 2009)}
    assert t09.observed == pytest.approx(p[2009] / p[1989]) and t99.observed == pytest.approx(p[1999] / p[1989])
    assert 0.6 < t09.observed < 0.8  # the censuses: the mining towns together lost about a quarter
    assert [t.name for t in all_targets(atlas, train_until=2005) if t.kind == "mining"] == [t99.name]
    proj = Projector(atlas)
    out = proj.outputs(defaults(), 2010)
    share = out.value(t09)
    r = proj.run(defaults(), 2010)
    mine = np.isin(r.places, towns)
    assert share == pytest.approx(r.at(2009)[mine].sum() / r.at(1989)[mine].sum())
    assert mining_targets(mini) == [] or all(t.kind == "mining" for t in mining_targets(mini))
