"""The radiation model (Simini et al. 2012) and its extended form (Yang et al. 2014).

For an origin ``i`` with population ``m_i``, a destination ``j`` with population ``n_j`` and
``s_ij`` the population of all *other* places strictly closer to ``i`` than ``j`` (the
population in the circle of radius ``d_ij`` around ``i``, without ``i`` and ``j``):

- radiation (Simini, González, Maritan & Barabási 2012, *Nature* 484:96):
  ``p_ij = m_i n_j / ((m_i + s_ij)(m_i + n_j + s_ij))``;
- extended radiation (Yang, Herrera, Eagle & González 2014, *Sci. Rep.* 4:5662), with the
  scale parameter ``alpha``:
  ``p_ij = ((m+n+s)^a - (m+s)^a)(m^a + 1) / (((m+s)^a + 1)((m+n+s)^a + 1))``.

Both are written as differences, ``p = (w+1)/(u+1) - (w+1)/(v+1)`` with ``u = (m+s)^a``,
``v = (m+n+s)^a``, ``w = m^a`` (``w+1 -> w`` etc. for the original), evaluated in logarithms
so large populations and large ``alpha`` do not overflow. With ``finite_size=True`` each
origin's probabilities are divided by their sum (for the original model and no ties in
distance this is Simini's ``1 / (1 - m_i / M)``). Expected flows are ``T_ij = C m_i p_ij``:
every origin sends a share ``C`` of its population (Simini's ``N_c / N``), and ``C`` — the
only fitted parameter — is its Poisson maximum-likelihood value ``sum y / sum m_i p_ij``.
Distances only rank places, so the cost function does not matter.
"""

from __future__ import annotations

import numpy as np

from kochu.errors import FlowDataError
from kochu.flows.base import FittedFlowsMixin, as_vector, check_pairs


def intervening_population(dist: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """``s_ij`` for a square ``dist`` matrix (diagonal ignored) and place populations ``pop``:
    the population of places ``k != i, j`` with ``d_ik < d_ij`` (ties excluded)."""
    n = len(pop)
    d = np.array(dist, dtype=np.float64)
    np.fill_diagonal(d, np.inf)
    order = np.argsort(d, axis=1, kind="stable")
    ds = np.take_along_axis(d, order, axis=1)
    ns = pop[order]
    before = np.cumsum(ns, axis=1) - ns  # population strictly earlier in the sorted row
    new_group = np.ones_like(ds, dtype=bool)
    new_group[:, 1:] = ds[:, 1:] != ds[:, :-1]
    first = np.where(new_group, np.arange(n)[None, :], 0)
    np.maximum.accumulate(first, axis=1, out=first)
    s_sorted = np.take_along_axis(before, first, axis=1)
    s = np.empty_like(s_sorted)
    np.put_along_axis(s, order, s_sorted, axis=1)
    np.fill_diagonal(s, 0.0)
    return s


def radiation_probabilities(m: np.ndarray, n: np.ndarray, s: np.ndarray,
                            alpha: float | None = None) -> np.ndarray:
    """Unnormalised ``p_ij`` of the radiation model (``alpha=None``) or extended model."""
    if alpha is None:
        return m / (m + s) - m / (m + n + s)
    log1p_pow = lambda x: np.logaddexp(0.0, alpha * np.log(x))  # noqa: E731 — log(1 + x^a)
    w1 = log1p_pow(m)
    return np.exp(w1 - log1p_pow(m + s)) - np.exp(w1 - log1p_pow(m + n + s))


class Radiation(FittedFlowsMixin):
    """Radiation model; ``alpha`` given → extended radiation model (Yang et al. 2014).

    ``alpha`` is the extended model's scale exponent (Yang et al. relate it to the size of
    the study area, ``alpha ~ (l / 36 km)^1.33``); it is a setting, not fitted.
    """

    def __init__(self, alpha: float | None = None, finite_size: bool = True) -> None:
        self.alpha = alpha
        self.finite_size = finite_size

    def fit(self, flows, origins, destinations, distance, origin_mass=None,
            destination_mass=None):
        """Fit the scaling ``C`` on a complete table (every ordered pair of distinct places).

        ``origin_mass``/``destination_mass`` are the place populations (required, one value
        per pair, constant per place). Returns ``self``.
        """
        if self.alpha is not None and not (np.isfinite(self.alpha) and self.alpha > 0):
            raise FlowDataError(f"alpha: expected a number > 0, got {self.alpha!r}")
        if origin_mass is None or destination_mass is None:
            raise FlowDataError("the radiation model needs origin_mass and destination_mass "
                                "(place populations)")
        od = check_pairs(flows, origins, destinations, distance, origin_mass,
                         destination_mass, "exp")
        o_lab, d_lab = np.asarray(origins), np.asarray(destinations)
        places = np.union1d(od.origins, od.destinations)
        pi = np.searchsorted(places, o_lab)
        pj = np.searchsorted(places, d_lab)
        same = np.flatnonzero(pi == pj)
        if same.size:
            raise FlowDataError(
                f"pair ({o_lab[same[0]]}, {d_lab[same[0]]}) is intra-zonal: the radiation model "
                "only describes moves between distinct places (drop those rows)"
            )
        n_places = len(places)
        present = np.zeros((n_places, n_places), dtype=bool)
        present[pi, pj] = True
        np.fill_diagonal(present, True)
        if not present.all():
            i, j = np.argwhere(~present)[0]
            raise FlowDataError(
                f"the table is not square: no row for pair ({places[i]}, {places[j]}); the "
                "radiation model needs every ordered pair of distinct places"
            )
        m_place = _per_place(od.origin_mass, pi, n_places, places, "origin_mass")
        n_place = _per_place(od.destination_mass, pj, n_places, places, "destination_mass")
        dist = np.zeros((n_places, n_places))
        dist[pi, pj] = od.distance
        s = intervening_population(dist, n_place)[pi, pj]
        m, nn = m_place[pi], n_place[pj]
        p = radiation_probabilities(m, nn, s, self.alpha)
        if self.finite_size:
            p = p / np.bincount(pi, weights=p, minlength=n_places)[pi]
        base = m * p
        scale = float(od.flows.sum() / base.sum())
        self.places_ = places
        self.intervening_ = s
        self.probabilities_ = p
        self.param_names_ = ["scale"]
        self.params_ = np.array([scale])
        self.bse_ = np.array([np.sqrt(scale / base.sum())])
        self.beta_ = float("nan")
        self.n_iter_ = 1
        self.converged_ = True
        self._set_metrics(od.flows, scale * base, 1)
        return self

    def predict(self) -> np.ndarray:
        """Expected flows of the training pairs."""
        self._check_fitted()
        return self.fitted_.copy()


def _per_place(values: np.ndarray, code: np.ndarray, n: int, places: np.ndarray,
               name: str) -> np.ndarray:
    out = np.full(n, np.nan)
    out[code] = values
    bad = np.flatnonzero(out[code] != values)
    if bad.size:
        k = bad[0]
        raise FlowDataError(
            f"{name}[{k}] = {values[k]:g} but place {places[code[k]]} has {out[code[k]]:g} "
            "elsewhere: a mass must be one value per place"
        )
    missing = np.flatnonzero(np.isnan(out))
    if missing.size:
        raise FlowDataError(f"{name}: no value for place {places[missing[0]]}")
    return as_vector(name, out)
