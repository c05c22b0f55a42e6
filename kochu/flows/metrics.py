"""Goodness-of-fit measures for flow models (as in PySAL spint and scikit-mobility).

All functions take observed flows ``y`` and fitted flows ``mu`` as 1-D arrays of the same
length (non-integer flows allowed).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from scipy.special import gammaln

#: ``lgamma(k + 1)`` for small integer flows (a lookup is much faster than lgamma)
_LOG_FACT = gammaln(np.arange(1 << 16, dtype=np.float64) + 1.0)


def _xlogy(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``y log v`` with ``0 log v = 0``."""
    pos = y > 0
    out = np.zeros_like(y, dtype=np.float64)
    np.log(v, out=out, where=pos)
    out *= y
    return out


def log_factorial_sum(y: np.ndarray) -> float:
    """``sum lgamma(y + 1)``; ``lgamma(y + 1)`` extends ``log y!`` to non-integer flows."""
    return float(gammaln(np.asarray(y, dtype=np.float64) + 1.0).sum())


def poisson_llf(y: np.ndarray, mu: np.ndarray, log_fact: float | None = None) -> float:
    """Poisson log-likelihood ``sum(y log mu - mu - lgamma(y + 1))`` (as statsmodels does
    for non-integer ``y``); pass ``log_fact = sum lgamma(y + 1)`` when already known."""
    if log_fact is None:
        log_fact = log_factorial_sum(y)
    return float(np.sum(_xlogy(y, mu)) - np.sum(mu) - log_fact)


def poisson_deviance(y: np.ndarray, mu: np.ndarray) -> float:
    """Poisson deviance ``2 sum(y log(y / mu) - (y - mu))``."""
    return float(2.0 * np.sum(_xlogy(y, y) - _xlogy(y, mu) - (y - mu)))


def null_llf(y: np.ndarray, log_fact: float | None = None) -> float:
    """Log-likelihood of the intercept-only Poisson model (every flow predicted by the mean)."""
    mean = float(np.mean(y))
    if log_fact is None:
        log_fact = log_factorial_sum(y)
    return float(np.log(mean) * y.sum() - mean * y.size - log_fact)


def srmse(y: np.ndarray, mu: np.ndarray) -> float:
    """Standardised root mean square error: ``sqrt(mean((y - mu)^2)) / mean(y)``."""
    return float(np.sqrt(np.mean((y - mu) ** 2)) / np.mean(y))


def sorensen(y: np.ndarray, mu: np.ndarray) -> float:
    """Sørensen similarity index, the mean of ``2 min(y, mu) / (y + mu)`` over pairs.

    A pair with ``y = mu = 0`` is a perfect match and counts 1.
    """
    den = y + mu
    num = 2.0 * np.minimum(y, mu)
    ratio = np.ones_like(den, dtype=np.float64)
    np.divide(num, den, out=ratio, where=den > 0)
    return float(np.mean(ratio))


def common_part(y: np.ndarray, mu: np.ndarray) -> float:
    """Common part of commuters (Lenormand et al. 2012): ``2 sum min(y, mu) / (sum y + sum mu)``."""
    return float(2.0 * np.sum(np.minimum(y, mu)) / (np.sum(y) + np.sum(mu)))


@numba.njit(cache=True, nogil=True)
def _sums(y: np.ndarray, mu: np.ndarray, log_fact: np.ndarray):  # pragma: no cover (jit)
    """One pass over the pairs: every sum the fit measures need."""
    ylogmu = ylogy = smu = sy = sq = smin = sor = lfact = 0.0
    n_tab = log_fact.size
    for k in range(y.size):
        yk, mk = y[k], mu[k]
        if yk > 0.0:
            ylogmu += yk * math.log(mk)
            ylogy += yk * math.log(yk)
            ik = int(yk)
            lfact += log_fact[ik] if ik == yk and ik < n_tab else math.lgamma(yk + 1.0)
        smu += mk
        sy += yk
        sq += (yk - mk) ** 2
        lo = min(yk, mk)
        smin += lo
        den = yk + mk
        sor += 2.0 * lo / den if den > 0.0 else 1.0
    return ylogmu, ylogy, smu, sy, sq, smin, sor, lfact


def fit_summary(y: np.ndarray, mu: np.ndarray, n_params: int) -> dict[str, float]:
    """Every measure at once: deviance, llf, llnull, aic, pseudo_r2 (McFadden), adj_pseudo_r2,
    srmse, ssi, cpc. ``n_params`` counts all estimated parameters, balancing factors included
    (as the dummy-variable design of spint/statsmodels would). Same values as the functions
    above, in one pass."""
    y = np.ascontiguousarray(y, dtype=np.float64)
    mu = np.ascontiguousarray(mu, dtype=np.float64)
    n = y.size
    ylogmu, ylogy, smu, sy, sq, smin, sor, lfact = _sums(y, mu, _LOG_FACT)
    llf = ylogmu - smu - lfact
    mean = sy / n
    llnull = math.log(mean) * sy - mean * n - lfact
    return {
        "deviance": 2.0 * (ylogy - ylogmu - (sy - smu)),
        "llf": llf,
        "llnull": llnull,
        "aic": -2.0 * llf + 2.0 * n_params,
        "pseudo_r2": 1.0 - llf / llnull,
        "adj_pseudo_r2": 1.0 - (llf - n_params) / llnull,
        "srmse": math.sqrt(sq / n) / mean,
        "ssi": sor / n,
        "cpc": 2.0 * smin / (sy + smu),
    }
