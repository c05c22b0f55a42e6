"""Properties of the flow models on generated OD tables (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kochu.errors import FlowDataError
from kochu.flows import Doubly, Gravity, Production, ipf

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def od_tables(draw, min_places: int = 4, max_places: int = 8):
    """A complete OD table without intra-zonal pairs: positive non-integer flows, planar
    distances, place masses. (With 3 places symmetric distances are collinear with the
    doubly-constrained balancing factors, which the models rightly refuse.)"""
    n = draw(st.integers(min_places, max_places))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, (n, 2))
    o, d = np.divmod(np.arange(n * n), n)
    keep = o != d
    o, d = o[keep], d[keep]
    dist = np.hypot(*(xy[o] - xy[d]).T) + 1.0
    mass = rng.uniform(10, 1000, n)
    beta = draw(st.floats(-2.0, -0.2))
    mu = mass[o] * mass[d] * dist**beta / 100.0
    y = rng.gamma(3.0, mu / 3.0) + 0.01
    labels = np.array([f"z{i}" for i in range(n)])
    return y, labels[o], labels[d], dist, mass[o], mass[d]


@SETTINGS
@given(od_tables())
def test_doubly_reproduces_row_and_column_sums(table):
    y, o, d, dist, _, _ = table
    fit = Doubly(cost="pow").fit(y, o, d, dist).predict()
    for labels in (o, d):
        obs = np.bincount(np.unique(labels, return_inverse=True)[1], weights=y)
        got = np.bincount(np.unique(labels, return_inverse=True)[1], weights=fit)
        np.testing.assert_allclose(got, obs, rtol=1e-8)


@SETTINGS
@given(od_tables(), st.floats(1e-3, 1e3))
def test_scaling_flows_leaves_beta_unchanged(table, c):
    y, o, d, dist, om, dm = table
    for model, kw in ((Doubly(cost="exp"), {}),
                      (Production(cost="pow"), {"destination_mass": dm}),
                      (Gravity(cost="pow"), {"origin_mass": om, "destination_mass": dm})):
        try:
            b1 = model.fit(y, o, d, dist, **kw).beta_
        except FlowDataError:
            # a table where distance is not identified stays so when flows are scaled
            with pytest.raises(FlowDataError, match="not identified|collinear"):
                model.fit(c * y, o, d, dist, **kw)
            continue
        b2 = model.fit(c * y, o, d, dist, **kw).beta_
        assert b2 == pytest.approx(b1, rel=1e-7, abs=1e-10)


@SETTINGS
@given(od_tables())
def test_dense_and_sparse_layouts_agree(table):
    y, o, d, dist, _, _ = table
    a = Doubly(cost="pow", dense=True).fit(y, o, d, dist)
    b = Doubly(cost="pow", dense=False).fit(y, o, d, dist)
    assert a.beta_ == pytest.approx(b.beta_, rel=1e-8)
    assert a.deviance_ == pytest.approx(b.deviance_, rel=1e-8)


@SETTINGS
@given(st.integers(2, 12), st.integers(2, 12), st.integers(0, 2**32 - 1))
def test_ipf_reaches_any_consistent_margins(n_rows, n_cols, seed):
    rng = np.random.default_rng(seed)
    table = rng.uniform(0.01, 10.0, (n_rows, n_cols))
    rows = rng.uniform(0.5, 50.0, n_rows)
    cols = rng.uniform(0.5, 50.0, n_cols)
    cols *= rows.sum() / cols.sum()
    out = ipf(table, rows, cols)
    np.testing.assert_allclose(out.sum(axis=1), rows, rtol=1e-8)
    np.testing.assert_allclose(out.sum(axis=0), cols, rtol=1e-8)
    assert (out > 0).all()
