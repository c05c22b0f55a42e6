"""Poisson maximum likelihood for log-linear flow models with balancing factors.

The model is ``log mu_ij = x_ij' theta + a_i + b_j`` where ``a`` (origin effects) and ``b``
(destination effects) are present or not according to the constraint. For a given ``theta``
the maximum-likelihood effects have a closed form (one constraint) or are found by the
Furness/IPF iteration (both constraints): they are exactly the balancing factors that make the
fitted row and/or column sums equal the observed ones. Newton's method then runs on the
*profile* log-likelihood of the short vector ``theta`` alone; its gradient is ``X'(y - mu)``
and its Hessian the Schur complement ``X~' W X~`` where ``X~`` is ``X`` residualised on the
effects with weights ``mu`` (conjugate gradients). No dummy columns are ever built, so the
cost per iteration is a few dozen passes over the table. The balancing is accelerated
(Anderson) and warm-started from a first-order prediction of how the factors move with
``theta`` (their derivative is minus the projection of ``x`` on the effects).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kochu.errors import FlowDataError
from kochu.flows._cells import Cells

_TINY = 1e-300
_IPF_TOL = 1e-11  #: final relative accuracy of the balancing factors


@dataclass
class ProfileFit:
    """Result of :func:`fit_poisson`: parameters, fitted cells and curvature."""

    theta: np.ndarray
    mu: np.ndarray  #: fitted values, cell order
    log_a: np.ndarray | None  #: origin effects (log), or None
    log_b: np.ndarray | None  #: destination effects (log), or None
    hessian: np.ndarray  #: minus the Hessian of the profile log-likelihood at theta
    n_iter: int
    converged: bool


def balance(
    cells: Cells,
    k: np.ndarray,
    row_target: np.ndarray | None,
    col_target: np.ndarray | None,
    b0: np.ndarray | None = None,
    tol: float = _IPF_TOL,
    max_iter: int = 1000,
) -> tuple[np.ndarray | None, np.ndarray | None, int]:
    """Balancing factors ``a``, ``b`` so that ``a_i k_ij b_j`` has the target margins.

    With one target this is one division; with both it is the Furness iteration (IPF),
    started from ``b0``, until every factor changes by less than ``tol`` (relative).
    Returns ``(a, b, sweeps)``; a factor is ``None`` when its margin is not constrained;
    ``sweeps`` is negative when the iteration did not converge.
    """
    if row_target is not None and col_target is None:
        return _safe_div(row_target, cells.row_dot(k)), None, 1
    if col_target is not None and row_target is None:
        return None, _safe_div(col_target, cells.col_dot(k)), 1
    if row_target is None:
        return None, None, 0
    return _furness(cells, k, row_target, col_target, b0, tol, max_iter)


def _furness(
    cells: Cells,
    k: np.ndarray,
    row_target: np.ndarray,
    col_target: np.ndarray,
    b0: np.ndarray | None,
    tol: float,
    max_iter: int,
    memory: int = 6,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Furness sweeps as a fixed point in ``log b``, sped up by Anderson acceleration.

    Plain Furness converges linearly and slowly when distance decay makes the table nearly
    block-diagonal (hundreds of sweeps at 2,000 places under power decay); mixing the last
    ``memory`` iterates (Anderson 1965; Walker & Ni 2011) typically needs a few dozen.
    """
    pos = col_target > 0
    log_b = np.zeros(int(pos.sum())) if b0 is None else np.log(b0[pos])
    b = np.zeros(cells.n_d)
    hist_g: list[np.ndarray] = []
    hist_f: list[np.ndarray] = []
    best = np.inf
    for sweep in range(1, max_iter + 1):
        b[pos] = np.exp(log_b)
        a = _safe_div(row_target, cells.row_dot(k, b))
        col = cells.col_dot(k, a)[pos]
        if np.any(col <= _TINY):
            return a, b, -sweep
        g = np.log(col_target[pos]) - np.log(col)
        f = g - log_b
        f -= f.mean()  # (a c, b / c) is the same solution: ignore drift of the scale
        err = float(np.abs(f).max())
        if err < tol:
            b[pos] = np.exp(g)
            a = _safe_div(row_target, cells.row_dot(k, b))
            return a, b, sweep
        if err > 100.0 * best:  # acceleration went astray: restart from plain sweeps
            hist_g.clear()
            hist_f.clear()
        best = min(best, err)
        hist_g.append(g)
        hist_f.append(f)
        if len(hist_f) > memory + 1:
            hist_g.pop(0)
            hist_f.pop(0)
        if len(hist_f) > 1:
            d_f = np.diff(np.array(hist_f), axis=0)
            d_g = np.diff(np.array(hist_g), axis=0)
            gram = d_f @ d_f.T
            gram += 1e-12 * np.trace(gram) * np.eye(len(gram))
            gamma = np.linalg.solve(gram, d_f @ f)
            log_b = g - gamma @ d_g
        else:
            log_b = g
    return a, b, -max_iter


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den > _TINY)
    return out


def project_effects(
    cells: Cells,
    mu: np.ndarray,
    mx_rows: np.ndarray | None,
    mx_cols: np.ndarray | None,
    rows: np.ndarray | None,
    cols: np.ndarray | None,
    tol: float = 1e-9,
    max_iter: int = 1000,
    a0: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Weighted projection of covariates on the origin/destination effects.

    Solves ``min sum mu_ij (x_ij - a_i - b_j)^2`` for every covariate at once, given the
    weighted margins ``mx_rows`` (n_o, p) and ``mx_cols`` (n_d, p) of ``mu * x`` and the
    weight margins ``rows``, ``cols``. Closed form with one effect; conjugate gradients with
    two (started from ``a0`` when given). Returns ``(a, b)`` of shapes (n_o, p), (n_d, p)
    or None.
    """
    if mx_rows is not None and mx_cols is None:
        return _safe_div(mx_rows, rows[:, None]), None
    if mx_cols is not None and mx_rows is None:
        return None, _safe_div(mx_cols, cols[:, None])
    if mx_rows is None:
        return None, None
    return _project_two_way(cells, mu, mx_rows, mx_cols, rows, cols, tol, max_iter, a0)


def _project_two_way(cells, mu, r, c, rows, cols, tol, max_iter, a0):
    """Conjugate gradients on the origin block ``(R - M C^-1 M') a = r - M C^-1 c``.

    ``M`` is the weight table, ``R``/``C`` its margins; Jacobi preconditioner ``R``. The
    system is singular along ``a = 1, b = -1`` but consistent, which CG handles. Solved for
    all covariates at once (columns of ``r`` and ``c``).
    """
    inv_c = _safe_div(np.ones_like(cols), cols)[:, None]
    inv_r = _safe_div(np.ones_like(rows), rows)[:, None]

    def schur(v: np.ndarray) -> np.ndarray:
        return rows[:, None] * v - cells.row_dot(mu, cells.col_dot(mu, v) * inv_c)

    rhs = r - cells.row_dot(mu, c * inv_c)
    a = rhs * inv_r if a0 is None or a0.shape != rhs.shape else a0.copy()
    res = rhs - schur(a)
    z = res * inv_r
    d = z.copy()
    rz = np.einsum("ik,ik->k", res, z)
    norm0 = np.maximum(np.sqrt(np.einsum("ik,ik->k", rhs, rhs * inv_r)), _TINY)
    for _ in range(max_iter):
        if np.all(np.sqrt(np.maximum(rz, 0.0)) <= tol * norm0):
            break
        sd = schur(d)
        dsd = np.einsum("ik,ik->k", d, sd)
        alpha = _safe_div(rz, dsd)
        a += alpha * d
        res -= alpha * sd
        z = res * inv_r
        rz_new = np.einsum("ik,ik->k", res, z)
        d = z + _safe_div(rz_new, rz) * d
        rz = rz_new
    b = (c - cells.col_dot(mu, a)) * inv_c
    return a, b


class _Problem:
    """Data of one fit, held in cell order, with reusable work buffers."""

    def __init__(self, cells: Cells, y: np.ndarray, x: np.ndarray, origin_fe: bool,
                 dest_fe: bool) -> None:
        self.cells, self.y, self.x = cells, y, x
        self.origin_fe, self.dest_fe = origin_fe, dest_fe
        self.has_fe = origin_fe or dest_fe
        self.rows = cells.row_dot(y) if origin_fe else None
        self.cols = cells.col_dot(y) if dest_fe else None
        self.xy = x @ y
        self.eta = np.empty(cells.n_cells)
        self.k = np.empty(cells.n_cells)
        self.mu = np.empty(cells.n_cells)
        self.b_warm: np.ndarray | None = None
        #: last projection of x on the effects, at theta_proj: -d(log a, log b)/d theta
        self.proj: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
        self.theta_proj: np.ndarray | None = None

    def evaluate(self, theta: np.ndarray, ipf_tol: float) -> tuple[
            float, np.ndarray | None, np.ndarray | None, float]:
        """Balance at ``theta``; fill ``self.mu``; return (profile llf, a, b, shift)."""
        self.theta_now = theta
        np.multiply(self.x[0], theta[0], out=self.eta)
        for k in range(1, len(theta)):  # (numpy, not a multi-threaded BLAS call)
            self.eta += theta[k] * self.x[k]
        shift = 0.0
        if self.has_fe:  # the effects absorb any constant: keep exp() in range
            shift = float(self.eta.max())
            self.eta -= shift
        np.exp(self.eta, out=self.k)
        self.cells.mask_missing(self.k)
        b0 = self.b_warm
        if b0 is not None and self.proj[1] is not None:
            # first-order predictor: d log b / d theta = -(projection of x on the effects)
            b0 = b0 * np.exp(-np.clip(self.proj[1] @ (theta - self.theta_proj), -30, 30))
        a, b, sweeps = balance(self.cells, self.k, self.rows, self.cols, b0, ipf_tol)
        if sweeps < 0:
            return -np.inf, a, b, shift
        if b is not None and a is not None:
            self.b_warm = b
        self.cells.outer(self.k, a, b, self.mu)
        llf = float(theta @ self.xy) - shift * float(self.y.sum()) - float(self.mu.sum())
        if a is not None:
            llf += _xlogy_sum(self.rows, a)
        if b is not None:
            llf += _xlogy_sum(self.cols, b)
        return llf, a, b, shift

    def curvature(self, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Gradient, minus-Hessian of the profile log-likelihood at the current ``mu``, and
        the diagonal of ``X'WX`` before the effects are projected out."""
        info, raw, mx_sum, proj = within_gram(self.cells, self.mu, self.x, self.origin_fe,
                                              self.dest_fe, tol, self.proj[0], self.rows,
                                              self.cols)
        self.proj = proj
        self.theta_proj = self.theta_now
        return self.xy - mx_sum, info, raw


def within_gram(cells: Cells, w: np.ndarray, v: np.ndarray, origin_fe: bool, dest_fe: bool,
                tol: float, a0: np.ndarray | None = None, rows: np.ndarray | None = None,
                cols: np.ndarray | None = None) -> tuple:
    """``V~' W V~`` for the columns of ``v`` (k, n_cells) residualised on the effects.

    ``rows``/``cols`` are the margins of ``w`` when already known. Returns the Gram matrix,
    the diagonal of ``V' W V`` (before projection), ``V' w`` and the projection ``(a, b)``.
    """
    gram, wv_rows, wv_cols, wv_sum = cells.moments(w, v)
    raw = np.diag(gram).copy()
    if origin_fe or dest_fe:
        wv_rows = wv_rows if origin_fe else None
        wv_cols = wv_cols if dest_fe else None
        if origin_fe and rows is None:
            rows = cells.row_dot(w)
        if dest_fe and cols is None:
            cols = cells.col_dot(w)
        pa, pb = project_effects(cells, w, wv_rows, wv_cols, rows, cols, tol, a0=a0)
        if pa is not None:
            gram -= wv_rows.T @ pa
        if pb is not None:
            gram -= wv_cols.T @ pb
        gram = 0.5 * (gram + gram.T)
        return gram, raw, wv_sum, (pa, pb)
    return gram, raw, wv_sum, (None, None)


def _xlogy_sum(w: np.ndarray, v: np.ndarray) -> float:
    ok = w > 0
    return float(w[ok] @ np.log(v[ok]))


def fit_poisson(
    cells: Cells,
    y: np.ndarray,
    x: np.ndarray,
    origin_fe: bool,
    dest_fe: bool,
    names: list[str],
    theta0: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> ProfileFit:
    """Newton's method on the profile Poisson log-likelihood (see the module docstring).

    ``y`` is a cell array, ``x`` a (p, n_cells) array of covariates. Starts from the usual
    GLM weighted least squares; steps are halved while they lower the log-likelihood; the
    balancing is solved loosely while steps are large and to ``_IPF_TOL`` at the end;
    iteration stops once a full step is small enough that the remaining error (quadratic
    convergence) is below ``tol`` relative to ``max(1, |theta|)``.
    """
    prob = _Problem(cells, y, x, origin_fe, dest_fe)
    if theta0 is not None:
        theta = np.asarray(theta0, dtype=np.float64).copy()
    else:
        theta = _start_values(cells, y, x, origin_fe, dest_fe)
    ipf_tol = 1e-6  # loose while far from the optimum, tightened as steps shrink
    llf, a, b, shift = prob.evaluate(theta, ipf_tol)
    if not np.isfinite(llf):
        theta = np.zeros_like(theta)
        llf, a, b, shift = prob.evaluate(theta, ipf_tol)
    if not np.isfinite(llf):
        raise FlowDataError(
            "balancing (IPF) did not converge: the origin and destination totals cannot be "
            "matched on the observed pairs"
        )
    converged = False
    n_iter = 0
    for it in range(1, max_iter + 1):
        n_iter = it
        grad, info, raw = prob.curvature(1e-4)
        _check_identified(info, raw, prob.has_fe, names)
        step = np.linalg.solve(info, grad)
        rel = float(np.max(np.abs(step) / np.maximum(1.0, np.abs(theta))))
        ipf_tol = min(1e-6, max(_IPF_TOL, 1e-2 * rel * rel))
        t = 1.0
        for _ in range(40):
            cand = theta + t * step
            llf_c, a_c, b_c, shift_c = prob.evaluate(cand, ipf_tol)
            if np.isfinite(llf_c) and llf_c >= llf - 1e-10 * abs(llf):
                break
            t *= 0.5
        else:
            raise FlowDataError("Poisson fit failed: no step improves the log-likelihood")
        theta, llf, a, b, shift = cand, llf_c, a_c, b_c, shift_c
        # Newton converges quadratically: after a full step of relative size r the
        # remaining error is O(r^2), below ``tol`` once r <= sqrt(tol) / 10.
        if t == 1.0 and rel * rel <= 1e-2 * tol and ipf_tol <= _IPF_TOL:
            converged = True
            break
    grad, info, raw = prob.curvature(1e-8)  # accurate curvature for the standard errors
    log_a = None if a is None else _log0(a) - shift
    log_b = None if b is None else _log0(b)
    if log_a is None and log_b is not None:
        log_b = log_b - shift
    return ProfileFit(theta, prob.mu, log_a, log_b, info, n_iter, converged)


def _start_values(cells: Cells, y: np.ndarray, x: np.ndarray, origin_fe: bool,
                  dest_fe: bool) -> np.ndarray:
    """Weighted least squares of ``z = log((y + mean y) / 2)`` on ``x`` within the effects,
    with weights ``(y + mean y) / 2`` (the usual GLM start)."""
    mu0 = y + y.sum() / cells.n_pairs  # twice the usual start; the factor 2 is absorbed
    xz = np.empty((x.shape[0] + 1, x.shape[1]))  # by the constant / the effects
    xz[:-1] = x
    np.log(mu0, out=xz[-1])
    cells.mask_missing(mu0)  # weight zero on cells that are not pairs
    gram, _, _, _ = within_gram(cells, mu0, xz, origin_fe, dest_fe, 1e-4)
    p = x.shape[0]
    return np.linalg.lstsq(gram[:p, :p], gram[:p, p], rcond=None)[0]


def _log0(v: np.ndarray) -> np.ndarray:
    out = np.full(v.shape, -np.inf)
    np.log(v, out=out, where=v > 0)
    return out


def _check_identified(info: np.ndarray, raw: np.ndarray, has_fe: bool, names: list[str]) -> None:
    """Refuse covariates that the balancing factors (or other covariates) absorb."""
    for k, name in enumerate(names):
        if not info[k, k] > 1e-10 * max(raw[k], _TINY):
            what = "the origin/destination balancing factors" if has_fe else "the others"
            raise FlowDataError(
                f"covariate '{name}' is not identified: it is constant or collinear with {what}"
            )
    if np.linalg.cond(info) > 1e14:
        raise FlowDataError(f"covariates {names} are collinear: the model is not identified")
