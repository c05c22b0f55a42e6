"""IPF / Furness balancing."""

from __future__ import annotations

import numpy as np
import pytest

from kochu.errors import FlowDataError
from kochu.flows import ipf


def test_ipf_reaches_margins_and_keeps_odds_ratios():
    rng = np.random.default_rng(4)
    seed = rng.uniform(0.1, 5.0, (6, 8))
    seed[2, 3] = 0.0
    rows = rng.uniform(1, 10, 6)
    cols = rng.uniform(1, 10, 8)
    cols *= rows.sum() / cols.sum()
    out = ipf(seed, rows, cols)
    np.testing.assert_allclose(out.sum(axis=1), rows, rtol=1e-9)
    np.testing.assert_allclose(out.sum(axis=0), cols, rtol=1e-9)
    assert out[2, 3] == 0.0
    seed_safe = seed.copy()
    seed_safe[2, 3] = 1.0
    ratio = out / seed_safe
    ratio[2, 3] = ratio[2, 2] * ratio[0, 3] / ratio[0, 2]
    # a_i b_j structure: every 2x2 cross ratio of out/seed is one
    np.testing.assert_allclose(ratio[0, 0] * ratio[1:, 1:], ratio[1:, :1] * ratio[:1, 1:],
                               rtol=1e-9)


def test_ipf_known_solution():
    seed = np.ones((2, 2))
    out = ipf(seed, np.array([3.0, 1.0]), np.array([2.0, 2.0]))
    np.testing.assert_allclose(out, [[1.5, 1.5], [0.5, 0.5]])


def test_ipf_hard_power_decay_table_converges():
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 100, (300, 2))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) + 0.01
    seed = d**-2.0
    np.fill_diagonal(seed, 0.0)
    rows = rng.uniform(1, 100, 300)
    cols = rng.permutation(rows)
    out = ipf(seed, rows, cols)
    np.testing.assert_allclose(out.sum(axis=1), rows, rtol=1e-8)
    np.testing.assert_allclose(out.sum(axis=0), cols, rtol=1e-8)


@pytest.mark.parametrize(
    ("seed", "rows", "cols", "pattern"),
    [
        (np.ones((2, 2)), [1.0, 1.0], [1.0, 2.0], "row totals sum to 2 but column totals to 3"),
        (np.ones((2, 3)), [1.0, 1.0], [1.0, 1.0], "does not match"),
        (np.array([[0.0, 0.0], [1.0, 1.0]]), [1.0, 1.0], [1.0, 1.0], "row 0 has total 1"),
        (-np.ones((2, 2)), [1.0, 1.0], [1.0, 1.0], "seed must be finite and non-negative"),
        (np.diag([1.0, 1.0]), [2.0, 0.0], [1.0, 1.0], "no convergence"),
    ],
)
def test_ipf_rejects_inconsistent_margins(seed, rows, cols, pattern):
    with pytest.raises(FlowDataError, match=pattern):
        ipf(seed, np.array(rows), np.array(cols))
