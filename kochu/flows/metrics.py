"""Goodness-of-fit measures for flow models (as in PySAL spint and scikit-mobility).

All functions take observed flows ``y`` and fitted flows ``mu`` as 1-D arrays of the same
length (non-integer flows allowed).
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln


def _xlogy(y: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = np.zeros_like(y, dtype=np.float64)
    np.multiply(y, np.log(v, where=y > 0, out=np.zeros_like(out)), out=out, where=y > 0)
    return out


def poisson_llf(y: np.ndarray, mu: np.ndarray) -> float:
    """Poisson log-likelihood ``sum(y log mu - mu - lgamma(y + 1))``.

    ``lgamma(y + 1)`` extends ``log y!`` to non-integer flows, as statsmodels does.
    """
    return float(np.sum(_xlogy(y, mu) - mu - gammaln(y + 1.0)))


def poisson_deviance(y: np.ndarray, mu: np.ndarray) -> float:
    """Poisson deviance ``2 sum(y log(y / mu) - (y - mu))``."""
    return float(2.0 * np.sum(_xlogy(y, y) - _xlogy(y, mu) - (y - mu)))


def null_llf(y: np.ndarray) -> float:
    """Log-likelihood of the intercept-only Poisson model (every flow predicted by the mean)."""
    return poisson_llf(y, np.full(y.shape, float(np.mean(y))))


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


def fit_summary(y: np.ndarray, mu: np.ndarray, n_params: int) -> dict[str, float]:
    """Every measure at once: deviance, llf, llnull, aic, pseudo_r2 (McFadden), adj_pseudo_r2,
    srmse, ssi, cpc. ``n_params`` counts all estimated parameters, balancing factors included
    (as the dummy-variable design of spint/statsmodels would)."""
    llf = poisson_llf(y, mu)
    llnull = null_llf(y)
    return {
        "deviance": poisson_deviance(y, mu),
        "llf": llf,
        "llnull": llnull,
        "aic": -2.0 * llf + 2.0 * n_params,
        "pseudo_r2": 1.0 - llf / llnull,
        "adj_pseudo_r2": 1.0 - (llf - n_params) / llnull,
        "srmse": srmse(y, mu),
        "ssi": sorensen(y, mu),
        "cpc": common_part(y, mu),
    }
