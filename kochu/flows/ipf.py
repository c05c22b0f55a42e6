"""Iterative proportional fitting (Furness balancing) of a table to given margins."""

from __future__ import annotations

import numpy as np

from kochu.errors import FlowDataError
from kochu.flows._cells import Cells
from kochu.flows._solver import balance


def ipf(
    seed: np.ndarray,
    row_totals: np.ndarray,
    col_totals: np.ndarray,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> np.ndarray:
    """Scale ``seed`` (2-D, non-negative) to ``a_i seed_ij b_j`` with the given margins.

    Zeros in ``seed`` stay zero (structural zeros). Iterates Furness sweeps with Anderson
    acceleration until every balancing factor changes by less than ``tol`` (relative).
    Raises :class:`~kochu.errors.FlowDataError` when the margins are inconsistent (different
    totals, a positive total on an all-zero row or column) or balancing does not converge.
    """
    seed = np.asarray(seed, dtype=np.float64)
    rows = np.asarray(row_totals, dtype=np.float64)
    cols = np.asarray(col_totals, dtype=np.float64)
    if seed.ndim != 2 or seed.shape != (rows.size, cols.size):
        raise FlowDataError(
            f"ipf: seed of shape {seed.shape} does not match {rows.size} row and "
            f"{cols.size} column totals"
        )
    for name, arr in (("seed", seed), ("row_totals", rows), ("col_totals", cols)):
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise FlowDataError(f"ipf: {name} must be finite and non-negative")
    if not np.isclose(rows.sum(), cols.sum(), rtol=1e-9, atol=0.0):
        raise FlowDataError(
            f"ipf: row totals sum to {rows.sum():g} but column totals to {cols.sum():g}"
        )
    for axis, totals, label in ((1, rows, "row"), (0, cols, "column")):
        empty = np.flatnonzero((seed.sum(axis=axis) == 0) & (totals > 0))
        if empty.size:
            raise FlowDataError(
                f"ipf: {label} {int(empty[0])} has total {totals[empty[0]]:g} but an all-zero seed"
            )
    n_o, n_d = seed.shape
    oi, dj = np.divmod(np.arange(n_o * n_d), n_d)
    cells = Cells(oi, dj, n_o, n_d, dense=True)
    k = np.ascontiguousarray(seed).ravel().copy()
    a, b, sweeps = balance(cells, k, rows, cols, None, tol, max_iter)
    if sweeps < 0:
        raise FlowDataError(
            f"ipf: no convergence in {max_iter} sweeps; the zero pattern of the seed cannot "
            "carry these margins"
        )
    return seed * a[:, None] * b[None, :]
