"""The decide kernel's fast path is exact: integer thresholds and the multiply-shift age."""

from __future__ import annotations

import numpy as np

from kochu.sim import kernels as K


def test_age_years_is_floor_division_by_12_capped_at_100() -> None:
    born = np.arange(-(1 << 17), 2500, dtype=np.int64)
    t = 2400
    got = np.array([K.age_years(t, b) for b in born[:: 7]])
    x = t - born[:: 7]
    want = np.minimum(np.maximum(x, 0) // 12, 100)
    assert np.array_equal(got, want)


def test_int_bounds_compare_like_the_float_uniforms() -> None:
    rng = np.random.default_rng(3)
    thr = np.concatenate([rng.uniform(0, 0.2, 500), [0.0, 1e-12, 0.5, 1.0, 1.5, np.nan]])
    for bits in (32, 53):
        T = K.int_bounds(thr, bits)
        assert T.dtype == np.int64
        k = np.concatenate([rng.integers(0, 2**bits, 2000, dtype=np.uint64), [0, 2**bits - 1]]).astype(np.uint64)
        # around each threshold too: the integers next to ceil(thr * 2^bits)
        edge = np.ceil(np.nan_to_num(thr) * 2.0**bits)
        k = np.concatenate([k, np.clip(np.concatenate([edge - 1, edge, edge + 1]), 0, 2**bits - 1).astype(np.uint64)])
        u = k.astype(np.float64) * 2.0**-bits  # exact: k < 2^53
        fast = k[None, :].astype(np.int64) > T[:, None]
        want = u[None, :] >= thr[:, None]  # NaN threshold: never fast
        assert np.array_equal(fast, want)
