"""True vs registered: accounting and the completeness model recover known truths."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from kochu.atlas import load_atlas
from kochu.errors import KochuError
from kochu.estimate.accounting import accounting_net, slavic_area
from kochu.estimate.registration import (
    RegistrationData,
    _flows,
    _Layout,
    data_from_atlas,
    fit_registration,
    log_posterior,
    simulate_data,
)
from tests.helpers import MINI_ATLAS


def _template(**kw) -> RegistrationData:
    n = 5
    pop = np.array([[8e5, 4e5, 3e5, 9e5, 6e5], [8.5e5, 4.2e5, 3.1e5, 1e6, 6.5e5]])
    net = np.array([[6000.0, -2000, -1500, -2500, 0], [4000, -1000, -1000, -2500, 500]])
    return RegistrationData(units=[f"u{i}" for i in range(n)], names=[f"U{i}" for i in range(n)], net=net,
                            net_sd=np.full_like(net, 300.0), pop=pop, stock_unit=0, low_units=[],
                            survey_min_unregistered=None, stock_max_share=None, **kw)


def _truth(d: RegistrationData, rng: np.random.Generator) -> np.ndarray:
    lay = _Layout(len(d.windows), d.n)
    while True:
        th = np.zeros(lay.dim)
        th[lay.log_m] = rng.normal(*d.prior_log_m, size=lay.k)
        th[lay.eta] = rng.normal(0, 0.5, d.n)
        th[lay.gamma] = rng.normal(0, 1.5, lay.k)
        th[lay.delta] = rng.normal(0, 1.0, d.n)
        if np.isfinite(log_posterior(th[None], d)[0]) and log_posterior(th[None], d)[0] > -50:
            return th


def test_accounting_closes_on_the_mini_atlas():
    atlas = load_atlas(MINI_ATLAS)
    t = accounting_net(atlas, 1989, 1999)
    assert t["net_internal"].sum() == pytest.approx(0.0, abs=1e-6)
    lhs = t["population_end"] - t["population_start"]
    rhs = t["natural_increase"] + t["international"] + t["residual"] + t["net_internal"]
    np.testing.assert_allclose(lhs, rhs, rtol=1e-12)
    assert (t["net_internal_sd"] > 0).all()


def test_pre_2000_emigration_weight_follows_the_slavic_area_not_the_north_flag():
    atlas = load_atlas()
    units = list(atlas.level("oblast").index)
    area = dict(zip(units, slavic_area(atlas, units), strict=True))
    assert area["chuy"] == area["bishkek"] == area["issyk_kul"] == 1.0
    assert area["naryn"] == area["talas"] == area["osh"] == 0.0  # Naryn and Talas are "north" but not Slavic
    t = accounting_net(atlas, 1989, 1999, north_weight=4.0)
    per_head = (t["international"] / t["mean_population"]).to_numpy()
    by = dict(zip(t["unit"], per_head, strict=True))
    assert by["chuy"] / by["naryn"] == pytest.approx(4.0, rel=0.15)
    assert by["naryn"] / by["osh"] == pytest.approx(1.0, rel=0.05)
    mini = load_atlas(MINI_ATLAS)  # no Kyrgyz unit: the north flag stands in
    mu = list(mini.level("oblast").index)
    north = mini.places.loc[mu, "north"].fillna(0).to_numpy(float)
    np.testing.assert_array_equal(slavic_area(mini, mu), (north > 0).astype(float))


def test_data_from_atlas_finds_capital_and_seed_units():
    d = data_from_atlas(load_atlas(MINI_ATLAS), low_names=("Capital",))
    assert d.names[d.stock_unit] == "Capital" and d.low_units == [d.stock_unit]
    assert d.net.shape == (2, 3)


def test_recovers_completeness_and_knowing_the_move_rate_narrows_it():
    rng = np.random.default_rng(3)
    lay = _Layout(3, 5)
    truth = np.zeros(lay.dim)
    truth[lay.log_m] = np.log(0.011)
    truth[lay.gamma] = [1.5, 0.6, 0.4]
    truth[lay.delta] = [-1.0, 0.2, 0.1, 0.3, 0.0]
    d = simulate_data(_template(), truth, rng)
    _o, inn, p = _flows(truth[None], d, lay)
    true_overall = ((p * inn).sum(2) / inn.sum(2))[0, 2]
    widths = []
    for prior_sd in (0.7, 0.02):
        d.prior_log_m = (float(np.log(0.011)), prior_sd)
        dr = fit_registration(d, walkers=32, steps=1000, burn=400, seed=2).draws()
        lo, hi = np.quantile(dr["overall"][:, 2], [0.05, 0.95])
        assert lo <= true_overall <= hi, (prior_sd, lo, hi, true_overall)
        widths.append(hi - lo)
        # the capital's lower completeness (delta -1) is recovered through its registered stock
        cap = np.quantile(dr["completeness"][:, 2, 0], [0.05, 0.95])
        assert cap[0] <= expit(truth[lay.gamma][2] + truth[lay.delta][0]) <= cap[1]
    assert widths[1] < 0.8 * widths[0], widths


def test_interval_coverage_on_data_simulated_from_the_prior():
    rng = np.random.default_rng(11)
    d0 = _template()
    covered, total = 0, 0
    for rep in range(5):
        truth = _truth(d0, rng)
        d = simulate_data(d0, truth, rng)
        est = fit_registration(d, walkers=32, steps=800, burn=300, seed=rep)
        _o, inn, p = _flows(truth[None], d0, _Layout(len(d0.windows), d0.n))
        q = np.quantile(est.draws()["completeness"][:, 2, :], [0.05, 0.95], axis=0)
        true_p = p[0, 2]
        covered += int(((q[0] <= true_p) & (true_p <= q[1])).sum())
        total += d0.n
    assert covered / total >= 0.7, f"90% intervals covered {covered}/{total}"


def test_emcee_steps_must_exceed_burn_in():
    with pytest.raises(KochuError, match="must exceed burn-in"):
        fit_registration(_template(), steps=10, burn=20)
