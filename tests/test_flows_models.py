"""Behaviour of the gravity family: agreement with a dummy-variable Poisson GLM, layouts,
non-integer flows, prediction, identification and input errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import gammaln

from kochu.errors import FlowDataError, KochuError
from kochu.flows import Attraction, Doubly, Gravity, Production


def synthetic(n: int = 12, seed: int = 7, scale: float = 0.02, integer: bool = True):
    """A complete OD table (no intra-zonal pairs) from a known gravity model."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 300, (n, 2))
    pop = np.exp(rng.normal(8, 0.7, n))
    o, d = np.divmod(np.arange(n * n), n)
    keep = o != d
    o, d = o[keep], d[keep]
    dist = np.hypot(*(xy[o] - xy[d]).T) + 5.0
    mu = scale * pop[o] ** 0.8 * pop[d] ** 0.7 * dist**-1.2
    y = rng.poisson(mu).astype(float) if integer else rng.gamma(2.0, mu / 2.0)
    labels = np.array([f"p{i:02d}" for i in range(n)])
    return y, labels[o], labels[d], dist, pop[o], pop[d]


def glm_dummies(y, o, d, x_cols, origin_fe, dest_fe, const):
    """Reference: Poisson GLM with explicit dummy columns by plain IRLS (numpy)."""
    cols = []
    if const:
        cols.append(np.ones_like(y))
    ou, oi = np.unique(o, return_inverse=True)
    du, dj = np.unique(d, return_inverse=True)
    if origin_fe:
        cols += [(oi == k).astype(float) for k in range(len(ou))]
    if dest_fe:
        cols += [(dj == k).astype(float) for k in range(1 if origin_fe else 0, len(du))]
    cols += list(x_cols)
    X = np.column_stack(cols)
    mu = y + y.mean()
    eta = np.log(mu)
    for _ in range(100):
        z = eta + (y - mu) / mu
        xw = X * mu[:, None]
        beta = np.linalg.solve(xw.T @ X, xw.T @ z)
        eta_new = X @ beta
        if np.max(np.abs(eta_new - eta)) < 1e-13:
            break
        eta = eta_new
        mu = np.exp(eta)
    mu = np.exp(X @ beta)
    cov = np.linalg.inv((X * mu[:, None]).T @ X)
    p = len(x_cols)
    return beta[-p:], np.sqrt(np.diag(cov))[-p:], mu


@pytest.mark.parametrize("cost", ["pow", "exp"])
@pytest.mark.parametrize("model", ["doubly", "production", "attraction", "gravity"])
def test_matches_dummy_variable_glm(model, cost):
    y, o, d, dist, om, dm = synthetic()
    x = np.log(dist) if cost == "pow" else dist
    cov = np.sin(dist / 40.0)  # a pair covariate
    if model == "doubly":
        est = Doubly(cost=cost).fit(y, o, d, dist, covariates={"c": cov})
        ref = glm_dummies(y, o, d, [cov, x], True, True, False)
    elif model == "production":
        est = Production(cost=cost).fit(y, o, d, dist, destination_mass=dm, covariates={"c": cov})
        ref = glm_dummies(y, o, d, [np.log(dm), cov, x], True, False, False)
    elif model == "attraction":
        est = Attraction(cost=cost).fit(y, o, d, dist, origin_mass=om, covariates={"c": cov})
        ref = glm_dummies(y, o, d, [np.log(om), cov, x], False, True, False)
    else:
        est = Gravity(cost=cost).fit(y, o, d, dist, om, dm, covariates={"c": cov})
        ref = glm_dummies(y, o, d, [np.ones_like(y), np.log(om), np.log(dm), cov, x],
                          False, False, False)
    np.testing.assert_allclose(est.params_, ref[0], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(est.bse_, ref[1], rtol=1e-6)
    np.testing.assert_allclose(est.predict(), ref[2], rtol=1e-7)
    assert est.converged_


def test_dense_and_sparse_layouts_agree():
    y, o, d, dist, om, dm = synthetic(n=15, seed=3)
    keep = np.random.default_rng(0).random(len(y)) < 0.35  # a sparse table
    args = (y[keep], o[keep], d[keep], dist[keep])
    dense = Doubly(cost="pow", dense=True).fit(*args)
    sparse = Doubly(cost="pow", dense=False).fit(*args)
    np.testing.assert_allclose(dense.params_, sparse.params_, rtol=1e-9)
    np.testing.assert_allclose(dense.bse_, sparse.bse_, rtol=1e-6)
    np.testing.assert_allclose(dense.predict(), sparse.predict(), rtol=1e-8)
    ref = glm_dummies(*args[:3], [np.log(args[3])], True, True, False)
    np.testing.assert_allclose(sparse.params_, ref[0], rtol=1e-7)


def test_non_integer_and_zero_flows():
    y, o, d, dist, om, dm = synthetic(integer=False)
    y[::7] = 0.0
    m = Doubly(cost="pow").fit(y, o, d, dist)
    mu = m.predict()
    expected_llf = np.sum(np.where(y > 0, y * np.log(mu), 0.0) - mu - gammaln(y + 1.0))
    assert m.llf_ == pytest.approx(expected_llf, rel=1e-12)
    ref = glm_dummies(y, o, d, [np.log(dist)], True, True, False)
    np.testing.assert_allclose(m.params_, ref[0], rtol=1e-7)


def test_recovers_the_generating_parameters():
    y, o, d, dist, om, dm = synthetic(n=40, scale=0.5)
    m = Gravity(cost="pow").fit(y, o, d, dist, om, dm)
    np.testing.assert_allclose(m.params_[1:], [0.8, 0.7, -1.2], atol=4 * m.bse_[1:].max() + 0.02)
    assert Doubly(cost="pow").fit(y, o, d, dist).beta_ == pytest.approx(-1.2, abs=0.05)


def test_predict_new_pairs_equals_fitted_values():
    y, o, d, dist, om, dm = synthetic()
    for est, kw in ((Doubly(cost="exp"), {}), (Production(cost="exp"), {"destination_mass": dm}),
                    (Gravity(cost="exp"), {"origin_mass": om, "destination_mass": dm})):
        est.fit(y, o, d, dist, **kw)
        np.testing.assert_allclose(est.predict(o, d, dist, **kw), est.predict(), rtol=1e-9)
    with pytest.raises(FlowDataError, match="origins.*'zz' was not in the fit"):
        Doubly(cost="exp").fit(y, o, d, dist).predict(np.array(["zz"]), d[:1], dist[:1])


def test_not_fitted_and_settings_only_in_init():
    m = Doubly(cost="exp")
    assert not hasattr(m, "params_")
    with pytest.raises(KochuError, match="not fitted"):
        m.predict()


def test_unidentified_covariate_is_refused():
    y, o, d, dist, om, dm = synthetic()
    with pytest.raises(FlowDataError, match="covariate 'origin_size' is not identified"):
        Doubly(cost="pow").fit(y, o, d, dist, covariates={"origin_size": np.log(om)})
    with pytest.raises(FlowDataError, match="does not take origin_mass"):
        Production(cost="pow").fit(y, o, d, dist, origin_mass=om)


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (lambda a: a.update(flows=np.r_[-1.0, a["flows"][1:]]), r"flows\[0\] = -1: expected a value >= 0"),
        (lambda a: a.update(flows=np.r_[np.nan, a["flows"][1:]]), r"flows\[0\] = nan: expected a finite"),
        (lambda a: a.update(distance=np.r_[0.0, a["distance"][1:]]), r"distance\[0\] = 0: .*power decay"),
        (lambda a: a.update(distance=a["distance"][:-1]), r"distance: expected \d+ values"),
        (lambda a: a.update(origins=np.r_[a["origins"][1:2], a["origins"][1:]],
                            destinations=np.r_[a["destinations"][1:2], a["destinations"][1:]]),
         r"pair \(p00, p02\) appears twice"),
        (lambda a: a.update(flows=np.zeros_like(a["flows"])), "every flow is zero"),
        (lambda a: a.update(distance=np.array(["x"] * len(a["flows"]))), "distance: expected numbers"),
    ],
)
def test_bad_arrays_raise_one_line_errors(change, pattern):
    y, o, d, dist, _, _ = synthetic(n=5)
    args = {"flows": y, "origins": o, "destinations": d, "distance": dist}
    change(args)
    with pytest.raises(FlowDataError, match=pattern) as info:
        Doubly(cost="pow").fit(**args)
    assert "\n" not in str(info.value)


def test_unknown_cost_is_rejected():
    y, o, d, dist, _, _ = synthetic(n=5)
    with pytest.raises(FlowDataError, match="cost: expected one of pow, exp, got 'linear'"):
        Doubly(cost="linear").fit(y, o, d, dist)


def test_origin_without_outflows_is_harmless():
    y, o, d, dist, _, _ = synthetic(n=10, seed=11)
    silent = o == "p03"
    y0 = np.where(silent, 0.0, y)
    m = Doubly(cost="pow").fit(y0, o, d, dist)
    assert np.all(m.predict()[silent] == 0.0)
    ref = Doubly(cost="pow").fit(y[~silent], o[~silent], d[~silent], dist[~silent])
    assert m.beta_ == pytest.approx(ref.beta_, rel=1e-9)
    assert m.deviance_ == pytest.approx(ref.deviance_, rel=1e-9)


def test_one_pass_metrics_equal_the_definitions():
    from kochu.flows import metrics

    rng = np.random.default_rng(5)
    y = np.r_[rng.poisson(3.0, 200).astype(float), rng.gamma(2.0, 3.0, 50), [0.0, 70000.5]]
    mu = rng.gamma(3.0, 1.0, y.size)
    got = metrics.fit_summary(y, mu, 7)
    llf = metrics.poisson_llf(y, mu)
    assert got["llf"] == pytest.approx(llf, rel=1e-12)
    assert got["llnull"] == pytest.approx(metrics.null_llf(y), rel=1e-12)
    assert got["deviance"] == pytest.approx(metrics.poisson_deviance(y, mu), rel=1e-12)
    assert got["srmse"] == pytest.approx(metrics.srmse(y, mu), rel=1e-12)
    assert got["ssi"] == pytest.approx(metrics.sorensen(y, mu), rel=1e-12)
    assert got["cpc"] == pytest.approx(metrics.common_part(y, mu), rel=1e-12)
    assert got["aic"] == pytest.approx(-2 * llf + 14, rel=1e-12)
    assert llf == pytest.approx(np.sum(np.where(y > 0, y * np.log(mu), 0) - mu - gammaln(y + 1)))
