"""Storage of an origin × destination table for the fitting kernels.

A table of ``n`` pairs over ``n_o`` origins and ``n_d`` destinations is held either as a
**dense grid** (``n_o * n_d`` cells, row-major, missing pairs masked to zero — fast BLAS
matrix–vector products, used when the pairs fill most of the grid) or as **sparse pairs** in
CSR order (used when the grid would be mostly empty). Every per-pair quantity of the solvers
is a "cell array" in this layout; :meth:`Cells.row_dot` and :meth:`Cells.col_dot` are the only
operations the balancing and projection loops need.
"""

from __future__ import annotations

import numba
import numpy as np
import scipy.sparse as sp

#: use the dense grid when at least this share of its cells are observed pairs
DENSE_FILL = 0.5


@numba.njit(cache=True, fastmath=True, nogil=True)
def _dense_row_dot(m: np.ndarray, vt: np.ndarray) -> np.ndarray:  # pragma: no cover (jit)
    """``(m @ vt.T).T`` for C-ordered ``m`` (n_o, n_d) and ``vt`` (k, n_d): unit-stride
    inner loops (vectorised), single-threaded."""
    n_o, n_d = m.shape
    k = vt.shape[0]
    out = np.zeros((k, n_o))
    for i in range(n_o):  # one pass over m: a row stays in cache for every column of vt
        row = m[i]
        for c in range(k):
            v = vt[c]
            acc = 0.0
            for j in range(n_d):
                acc += row[j] * v[j]
            out[c, i] = acc
    return out


@numba.njit(cache=True, fastmath=True, nogil=True)
def _dense_col_dot(m: np.ndarray, ut: np.ndarray) -> np.ndarray:  # pragma: no cover (jit)
    """``(m.T @ ut.T).T`` for C-ordered ``m`` (n_o, n_d) and ``ut`` (k, n_o)."""
    n_o, n_d = m.shape
    k = ut.shape[0]
    out = np.zeros((k, n_d))
    for i in range(n_o):  # one pass over m
        row = m[i]
        for c in range(k):
            ui = ut[c, i]
            if ui != 0.0:
                acc = out[c]
                for j in range(n_d):
                    acc[j] += row[j] * ui
    return out


@numba.njit(cache=True, fastmath=True, nogil=True)
def _dense_moments(w: np.ndarray, x: np.ndarray, n_o: int, n_d: int):  # pragma: no cover
    """One pass: ``X'WX`` (p, p), row and column margins of ``w x`` and ``sum w x``."""
    p = x.shape[0]
    gram = np.zeros((p, p))
    rows = np.zeros((n_o, p))
    cols = np.zeros((n_d, p))
    if p == 1:  # the common case (distance only): a tight loop
        g = 0.0
        for i in range(n_o):
            r = 0.0
            for j in range(n_d):
                c = i * n_d + j
                v = w[c] * x[0, c]
                r += v
                cols[j, 0] += v
                g += v * x[0, c]
            rows[i, 0] = r
        gram[0, 0] = g
        return gram, rows, cols, rows.sum(axis=0)
    wx = np.empty(p)
    for i in range(n_o):
        for j in range(n_d):
            c = i * n_d + j
            wc = w[c]
            if wc == 0.0:
                continue
            for k in range(p):
                wx[k] = wc * x[k, c]
                rows[i, k] += wx[k]
                cols[j, k] += wx[k]
            for k in range(p):
                for m in range(k + 1):
                    gram[k, m] += wx[k] * x[m, c]
    for k in range(p):
        for m in range(k):
            gram[m, k] = gram[k, m]
    return gram, rows, cols, rows.sum(axis=0)


def _as_rows(v: np.ndarray) -> np.ndarray:
    """A 1-D vector or (n, k) array as C-contiguous (k, n) rows."""
    return np.ascontiguousarray(v.reshape(1, -1) if v.ndim == 1 else v.T, dtype=np.float64)


class Cells:
    """Map pairs ``(origin index, destination index)`` to cells of a dense grid or CSR list."""

    def __init__(
        self, oi: np.ndarray, dj: np.ndarray, n_o: int, n_d: int, dense: bool | None = None
    ) -> None:
        n = len(oi)
        self.n_o, self.n_d, self.n_pairs = n_o, n_d, n
        grid = n_o * n_d
        self.dense = bool(n >= DENSE_FILL * grid) if dense is None else bool(dense)
        if self.dense:
            self.index = oi.astype(np.int64) * n_d + dj
            self.n_cells = grid
            present = np.zeros(grid, dtype=bool)
            present[self.index] = True
            self.missing = np.flatnonzero(~present)
            self.origin_of_cell = None
            self.dest_of_cell = None
        else:
            order = np.lexsort((dj, oi))
            self.index = np.empty(n, dtype=np.int64)
            self.index[order] = np.arange(n)
            self.n_cells = n
            self.missing = np.empty(0, dtype=np.int64)
            self.origin_of_cell = np.ascontiguousarray(oi[order], dtype=np.int64)
            self.dest_of_cell = np.ascontiguousarray(dj[order], dtype=np.int32)
            indptr = np.zeros(n_o + 1, dtype=np.int64)
            np.cumsum(np.bincount(oi, minlength=n_o), out=indptr[1:])
            self._csr = sp.csr_array(
                (np.zeros(n), self.dest_of_cell, indptr), shape=(n_o, n_d)
            )

    # -- moving values between pair order and cell order ---------------------------------
    def scatter(self, values: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Cell array holding ``values`` (given in pair order); missing cells get ``fill``."""
        out = np.full(self.n_cells, fill, dtype=np.float64)
        out[self.index] = values
        return out

    def gather(self, cells: np.ndarray) -> np.ndarray:
        """Values of a cell array in the original pair order."""
        return cells[self.index]

    def mask_missing(self, cells: np.ndarray) -> None:
        """Set the cells that are not observed pairs to zero (in place)."""
        if self.missing.size:
            cells[self.missing] = 0.0

    # -- the two reductions ---------------------------------------------------------------
    def _matrix(self, w: np.ndarray):
        if self.dense:
            return w.reshape(self.n_o, self.n_d)
        self._csr.data = w
        return self._csr

    # Dense products use single-threaded numba loops rather than BLAS: as fast as BLAS on
    # one core, and a multi-threaded BLAS matrix-vector product slows down ten-fold when
    # the cores are shared with other work.
    def row_dot(self, w: np.ndarray, v: np.ndarray | None = None) -> np.ndarray:
        """``sum_j w_ij v_j`` for every origin (``v`` = ones when omitted; 1-D or (n_d, k))."""
        m = self._matrix(w)
        if v is None:
            return np.asarray(m.sum(axis=1)).ravel()
        if not self.dense:
            return m @ v
        out = _dense_row_dot(m, _as_rows(v))
        return out[0] if v.ndim == 1 else out.T

    def col_dot(self, w: np.ndarray, u: np.ndarray | None = None) -> np.ndarray:
        """``sum_i u_i w_ij`` for every destination (``u`` = ones when omitted; 1-D or (n_o, k))."""
        m = self._matrix(w)
        if u is None:
            if self.dense:
                return _dense_col_dot(m, np.ones((1, self.n_o)))[0]
            return np.asarray(m.sum(axis=0)).ravel()
        if not self.dense:
            return m.T @ u
        out = _dense_col_dot(m, _as_rows(u))
        return out[0] if u.ndim == 1 else out.T

    def moments(self, w: np.ndarray, x: np.ndarray):
        """``(X'WX, row margins of w x (n_o, p), column margins (n_d, p), sum w x)`` for
        weights ``w`` (cells) and covariates ``x`` (p, cells)."""
        if self.dense:
            return _dense_moments(w, x, self.n_o, self.n_d)
        wx = x * w
        rows = np.column_stack([self.row_dot(wx[k]) for k in range(x.shape[0])])
        cols = np.column_stack([self.col_dot(wx[k]) for k in range(x.shape[0])])
        return wx @ x.T, rows, cols, wx.sum(axis=1)

    def outer(self, k: np.ndarray, a: np.ndarray | None, b: np.ndarray | None,
              out: np.ndarray) -> np.ndarray:
        """``out_ij = a_i k_ij b_j`` (a or b may be None for ones)."""
        if self.dense:
            m = out.reshape(self.n_o, self.n_d)
            kk = k.reshape(self.n_o, self.n_d)
            if a is None:
                np.copyto(m, kk)
            else:
                np.multiply(kk, a[:, None], out=m)
            if b is not None:
                m *= b
        else:
            np.copyto(out, k)
            if a is not None:
                out *= a[self.origin_of_cell]
            if b is not None:
                out *= b[self.dest_of_cell]
        return out

    def add_effects(self, eta: np.ndarray, a: np.ndarray | None, b: np.ndarray | None) -> None:
        """``eta_ij += a_i + b_j`` in place (log-scale origin/destination effects)."""
        if self.dense:
            m = eta.reshape(self.n_o, self.n_d)
            if a is not None:
                m += a[:, None]
            if b is not None:
                m += b
        else:
            if a is not None:
                eta += a[self.origin_of_cell]
            if b is not None:
                eta += b[self.dest_of_cell]
