"""The Wilson family of spatial-interaction models, fitted by Poisson maximum likelihood.

``log mu_ij = log k + alpha log O_i + gamma log D_j + covariates + beta c(d_ij)`` with
``c(d) = log d`` (``cost="pow"``, power decay ``d^beta``) or ``c(d) = d`` (``cost="exp"``,
exponential decay ``exp(beta d)``). The constrained models replace the origin and/or
destination terms by balancing factors ``A_i``, ``B_j`` (Wilson 1971) that reproduce the
observed outflows and/or inflows exactly:

=================  ====================================  ===============================
model              origin term                           destination term
=================  ====================================  ===============================
``Gravity``        ``alpha log O_i`` (+ constant)        ``gamma log D_j``
``Production``     balancing factor (row sums match)     ``gamma log D_j``
``Attraction``     ``alpha log O_i``                     balancing factor (column sums)
``Doubly``         balancing factor                      balancing factor
=================  ====================================  ===============================

The balancing factors are the maximum-likelihood values of origin/destination fixed effects,
so the estimates equal those of a Poisson GLM with dummy columns (spint, statsmodels,
pyfixest ``fepois``) while the fit never builds those columns (see ``_solver``).
"""

from __future__ import annotations

import numpy as np

from kochu.errors import FlowDataError
from kochu.flows._cells import Cells
from kochu.flows._solver import fit_poisson
from kochu.flows.base import FittedFlowsMixin, as_vector, check_pairs


class _WilsonModel(FittedFlowsMixin):
    """Common ``fit``/``predict`` of the four models; subclasses only set the class flags."""

    origin_balanced = False  #: origin balancing factors instead of an origin-mass term
    destination_balanced = False  #: destination balancing factors instead of a mass term

    def __init__(self, cost: str = "pow", tol: float = 1e-10, max_iter: int = 100,
                 dense: bool | None = None) -> None:
        """``cost``: ``"pow"`` or ``"exp"`` distance decay; ``tol``: relative accuracy of the
        parameters; ``max_iter``: Newton iterations; ``dense``: force the dense-grid (True)
        or sparse-pair (False) layout (default: chosen from the fill of the grid)."""
        self.cost = cost
        self.tol = tol
        self.max_iter = max_iter
        self.dense = dense

    # -- design ---------------------------------------------------------------------------
    def _columns(self, od, covariates) -> tuple[list[str], list[np.ndarray]]:
        names: list[str] = []
        cols: list[np.ndarray] = []
        if not (self.origin_balanced or self.destination_balanced):
            names.append("const")
            cols.append(np.ones(od.flows.size))
        for side, mass, balanced in (("origin", od.origin_mass, self.origin_balanced),
                                     ("destination", od.destination_mass,
                                      self.destination_balanced)):
            if mass is None:
                continue
            if balanced:
                raise FlowDataError(
                    f"{type(self).__name__} does not take {side}_mass: its {side} balancing "
                    f"factors reproduce the observed {side} totals and absorb any {side} mass"
                )
            names.append(f"{side}_mass")
            cols.append(np.log(mass))
        for name, values in _covariate_items(covariates, od.flows.size):
            names.append(name)
            cols.append(values)
        names.append("distance")
        cols.append(np.log(od.distance) if self.cost == "pow" else od.distance)
        return names, cols

    # -- estimation -----------------------------------------------------------------------
    def fit(self, flows, origins, destinations, distance, origin_mass=None,
            destination_mass=None, covariates=None):
        """Fit by Poisson maximum likelihood; all arguments are 1-D, one value per pair.

        ``flows`` may be zero or non-integer. ``origins``/``destinations`` are place labels.
        ``origin_mass``/``destination_mass`` enter as logarithms (unconstrained side only).
        ``covariates``: optional mapping ``name -> 1-D array`` (or a 2-D array, columns
        named ``x0, x1, ...``) entering ``log mu`` linearly. Returns ``self``.
        """
        od = check_pairs(flows, origins, destinations, distance, origin_mass,
                         destination_mass, self.cost)
        names, cols = self._columns(od, covariates)
        cells = Cells(od.oi, od.dj, len(od.origins), len(od.destinations), self.dense)
        y = cells.scatter(od.flows)
        x = np.zeros((len(cols), cells.n_cells))
        for k, col in enumerate(cols):
            x[k, cells.index] = col
        res = fit_poisson(cells, y, x, self.origin_balanced, self.destination_balanced, names,
                          tol=self.tol, max_iter=self.max_iter)
        self.origins_, self.destinations_ = od.origins, od.destinations
        self.param_names_ = names
        self.params_ = res.theta
        self.beta_ = float(res.theta[-1])
        self.cov_params_ = np.linalg.inv(res.hessian)
        self.bse_ = np.sqrt(np.diag(self.cov_params_))
        self.tvalues_ = self.params_ / self.bse_
        self.origin_effects_ = res.log_a
        self.destination_effects_ = res.log_b
        self.n_iter_, self.converged_ = res.n_iter, res.converged
        n_params = len(names) + (len(od.origins) if self.origin_balanced else 0) + (
            len(od.destinations) if self.destination_balanced else 0) - (
            1 if self.origin_balanced and self.destination_balanced else 0)
        self._set_metrics(od.flows, cells.gather(res.mu), n_params)
        return self

    def predict(self, origins=None, destinations=None, distance=None, origin_mass=None,
                destination_mass=None, covariates=None) -> np.ndarray:
        """Expected flows: of the training pairs when called without arguments, else of the
        given pairs (labels of balanced sides must be among the training ones)."""
        self._check_fitted()
        if origins is None and destinations is None and distance is None:
            return self.fitted_.copy()
        n = len(np.asarray(distance))
        od = check_pairs(np.ones(n), origins, destinations, distance, origin_mass,
                         destination_mass, self.cost, for_fit=False)
        names, cols = self._columns(od, covariates)
        if names != self.param_names_:
            raise FlowDataError(
                f"predict: got terms {names}, the model was fitted with {self.param_names_}"
            )
        eta = np.column_stack(cols) @ self.params_
        if self.origin_balanced:
            eta += self.origin_effects_[_codes(self.origins_, origins, "origins")]
        if self.destination_balanced:
            eta += self.destination_effects_[_codes(self.destinations_, destinations,
                                                    "destinations")]
        return np.exp(eta)


def _codes(known: np.ndarray, labels, name: str) -> np.ndarray:
    labels = np.asarray(labels)
    pos = np.searchsorted(known, labels)
    pos = np.clip(pos, 0, len(known) - 1)
    bad = np.flatnonzero(known[pos] != labels)
    if bad.size:
        raise FlowDataError(f"predict: {name}[{bad[0]}] = '{labels[bad[0]]}' was not in the fit")
    return pos


def _covariate_items(covariates, n: int) -> list[tuple[str, np.ndarray]]:
    if covariates is None:
        return []
    if isinstance(covariates, dict):
        return [(str(k), as_vector(f"covariates[{k!r}]", v, n)) for k, v in covariates.items()]
    arr = np.asarray(covariates, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    return [(f"x{i}", as_vector(f"covariates[:, {i}]", arr[:, i], n))
            for i in range(arr.shape[1])]


class Gravity(_WilsonModel):
    """Unconstrained gravity model: constant, origin/destination mass exponents, decay."""


class Production(_WilsonModel):
    """Production- (origin-) constrained model: fitted outflows equal observed outflows."""

    origin_balanced = True


class Attraction(_WilsonModel):
    """Attraction- (destination-) constrained model: fitted inflows equal observed inflows."""

    destination_balanced = True


class Doubly(_WilsonModel):
    """Doubly-constrained model: fitted outflows and inflows both equal the observed ones."""

    origin_balanced = True
    destination_balanced = True
