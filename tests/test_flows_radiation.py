"""The radiation model: intervening population, probabilities, scaling fit, errors."""

from __future__ import annotations

import numpy as np
import pytest

from kochu.errors import FlowDataError
from kochu.flows import Radiation
from kochu.flows.radiation import intervening_population, radiation_probabilities


def line_places():
    """Four places on a line at x = 0, 1, 3, 6 with populations 10, 20, 30, 40."""
    x = np.array([0.0, 1.0, 3.0, 6.0])
    pop = np.array([10.0, 20.0, 30.0, 40.0])
    return np.abs(x[:, None] - x[None, :]), pop


def test_intervening_population_by_hand():
    dist, pop = line_places()
    s = intervening_population(dist, pop)
    # from place 0: order 1 (d=1), 2 (d=3), 3 (d=6)
    assert s[0].tolist() == [0.0, 0.0, 20.0, 50.0]
    # from place 2 (x=3): place 1 at 2, place 0 at 3, place 3 at 3 (tie with 0)
    assert s[2, 1] == 0.0
    assert s[2, 0] == 20.0 and s[2, 3] == 20.0  # ties are not inside each other's circle
    assert s[3].tolist() == [50.0, 30.0, 0.0, 0.0]


def test_probabilities_sum_to_one_minus_own_share():
    dist, pop = line_places()
    s = intervening_population(dist, pop)
    m, n = np.meshgrid(pop, pop, indexing="ij")
    p = radiation_probabilities(m, n, s)
    np.fill_diagonal(p, 0.0)
    # telescoping sum (Simini et al. 2012): sum_j p_ij = 1 - m_i / M  when no ties
    assert p[0].sum() == pytest.approx(1 - 10 / 100)
    assert p[1].sum() == pytest.approx(1 - 20 / 100)
    direct = m * n / ((m + s) * (m + n + s))
    np.fill_diagonal(direct, 0.0)
    np.testing.assert_allclose(p, direct, rtol=1e-12)


def test_extended_model_matches_its_formula():
    m, n, s, a = 120.0, 300.0, 450.0, 1.7
    expected = (((m + n + s) ** a - (m + s) ** a) * (m**a + 1)
                / (((m + s) ** a + 1) * ((m + n + s) ** a + 1)))
    assert radiation_probabilities(np.array([m]), np.array([n]), np.array([s]), a)[0] == \
        pytest.approx(expected, rel=1e-12)
    big = radiation_probabilities(np.array([1e6]), np.array([1e6]), np.array([1e7]), 25.0)
    assert np.isfinite(big).all()


def _table():
    dist, pop = line_places()
    o, d = np.divmod(np.arange(16), 4)
    keep = o != d
    o, d = o[keep], d[keep]
    labels = np.array(["a", "b", "c", "e"])
    y = np.array([5, 3, 1, 6, 4, 2, 3, 5, 6, 1, 2, 9], dtype=float)
    return y, labels[o], labels[d], dist[o, d], pop[o], pop[d]


def test_fit_scaling_is_poisson_ml():
    y, o, d, dist, om, dm = _table()
    m = Radiation().fit(y, o, d, dist, om, dm)
    base = om * m.probabilities_
    assert m.params_[0] == pytest.approx(y.sum() / base.sum())
    assert m.predict().sum() == pytest.approx(y.sum())
    assert np.isnan(m.beta_) and m.to_dict()["beta"] is None
    # finite-size normalisation: each origin's probabilities sum to one
    np.testing.assert_allclose(np.bincount(np.searchsorted(["a", "b", "c", "e"], o),
                                           weights=m.probabilities_), 1.0)
    # flows scaled by 3 -> scaling x 3, same probabilities
    m3 = Radiation().fit(3 * y, o, d, dist, om, dm)
    assert m3.params_[0] == pytest.approx(3 * m.params_[0])
    assert Radiation(alpha=2.0).fit(y, o, d, dist, om, dm).deviance_ > 0


def test_radiation_needs_a_square_table_and_masses():
    y, o, d, dist, om, dm = _table()
    with pytest.raises(FlowDataError, match=r"not square: no row for pair \(a, b\)"):
        Radiation().fit(y[1:], o[1:], d[1:], dist[1:], om[1:], dm[1:])
    with pytest.raises(FlowDataError, match="needs origin_mass and destination_mass"):
        Radiation().fit(y, o, d, dist)
    bad = dm.copy()
    bad[0] = 99.0
    with pytest.raises(FlowDataError, match="destination_mass.*one value per place"):
        Radiation().fit(y, o, d, dist, om, bad)
    with pytest.raises(FlowDataError, match=r"pair \(a, a\) is intra-zonal"):
        Radiation().fit(np.append(y, 1.0), np.append(o, "a"), np.append(d, "a"),
                        np.append(dist, 1.0), np.append(om, 10.0), np.append(dm, 10.0))
    with pytest.raises(FlowDataError, match="alpha: expected a number > 0"):
        Radiation(alpha=-1.0).fit(y, o, d, dist, om, dm)
