"""Shared machinery of the flow estimators: input checks, metrics, the fitted-model summary.

Estimators follow scikit-learn conventions: ``__init__`` only stores settings, ``fit`` checks
its inputs, learns and returns ``self``; learned values end in ``_``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kochu.errors import FlowDataError
from kochu.flows.metrics import fit_summary

COSTS = ("pow", "exp")


@dataclass
class ODPairs:
    """Validated origin–destination pairs: labels, integer codes and per-pair values."""

    flows: np.ndarray
    oi: np.ndarray  #: origin code of each pair (index into ``origins``)
    dj: np.ndarray  #: destination code of each pair (index into ``destinations``)
    origins: np.ndarray  #: sorted unique origin labels
    destinations: np.ndarray  #: sorted unique destination labels
    distance: np.ndarray
    origin_mass: np.ndarray | None
    destination_mass: np.ndarray | None


def as_vector(name: str, values, n: int | None = None) -> np.ndarray:
    """``values`` as a finite 1-D float64 array (of length ``n`` when given)."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise FlowDataError(f"{name}: expected numbers ({exc})") from None
    if arr.ndim != 1:
        raise FlowDataError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if n is not None and arr.size != n:
        raise FlowDataError(f"{name}: expected {n} values (one per pair), got {arr.size}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise FlowDataError(f"{name}[{bad[0]}] = {arr[bad[0]]}: expected a finite number")
    return arr


def _check_min(name: str, arr: np.ndarray, strict: bool, why: str = "") -> None:
    bad = np.flatnonzero(arr <= 0) if strict else np.flatnonzero(arr < 0)
    if bad.size:
        rel = "> 0" if strict else ">= 0"
        raise FlowDataError(f"{name}[{bad[0]}] = {arr[bad[0]]:g}: expected a value {rel}{why}")


def check_pairs(
    flows, origins, destinations, distance, origin_mass=None, destination_mass=None,
    cost: str = "exp", for_fit: bool = True,
) -> ODPairs:
    """Check and encode the inputs of ``fit`` (raises :class:`FlowDataError`); with
    ``for_fit=False`` (prediction) the flows are not checked and pairs may repeat."""
    if cost not in COSTS:
        raise FlowDataError(f"cost: expected one of {', '.join(COSTS)}, got {cost!r}")
    y = as_vector("flows", flows)
    n = y.size
    if for_fit:
        if n < 2:
            raise FlowDataError(f"flows: expected at least 2 pairs, got {n}")
        _check_min("flows", y, strict=False)
        if not y.sum() > 0:
            raise FlowDataError("flows: every flow is zero; nothing to fit")
    dist = as_vector("distance", distance, n)
    if cost == "pow":
        _check_min("distance", dist, strict=True, why=" under power decay (log 0 is undefined)")
    else:
        _check_min("distance", dist, strict=False)
    o_lab, d_lab = np.asarray(origins), np.asarray(destinations)
    for name, lab in (("origins", o_lab), ("destinations", d_lab)):
        if lab.ndim != 1 or lab.size != n:
            raise FlowDataError(f"{name}: expected {n} labels (one per pair), got {lab.size}")
    oi, o_uni = _encode(o_lab)
    dj, d_uni = _encode(d_lab)
    if (oi < 0).any() or (dj < 0).any():
        raise FlowDataError("origins/destinations: missing labels")
    key = oi.astype(np.int64) * len(d_uni) + dj
    if for_fit and _has_duplicates(key, len(o_uni) * len(d_uni)):
        dup = pd.Index(key).duplicated()
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(key == key[i])[0])
        raise FlowDataError(
            f"pair ({o_lab[i]}, {d_lab[i]}) appears twice (positions {first} and {i}): "
            "an OD table has one row per pair"
        )
    masses = []
    for name, m in (("origin_mass", origin_mass), ("destination_mass", destination_mass)):
        if m is None:
            masses.append(None)
            continue
        arr = as_vector(name, m, n)
        _check_min(name, arr, strict=True, why=" (masses enter as logarithms)")
        masses.append(arr)
    return ODPairs(y, oi.astype(np.int64), dj.astype(np.int64), np.asarray(o_uni),
                   np.asarray(d_uni), dist, masses[0], masses[1])


def _encode(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes into the sorted unique labels (a counting pass for small non-negative ints)."""
    if labels.dtype.kind in "iu" and labels.size:
        lo, hi = int(labels.min()), int(labels.max())
        if lo >= 0 and hi < 4 * labels.size + 1024:
            present = np.bincount(labels, minlength=hi + 1) > 0
            return (np.cumsum(present) - 1)[labels], np.flatnonzero(present)
    codes, uniques = pd.factorize(labels, sort=True)
    return codes, np.asarray(uniques)


def _has_duplicates(key: np.ndarray, n_cells: int) -> bool:
    if n_cells <= 4 * key.size + 1024:
        return bool(np.bincount(key, minlength=n_cells).max() > 1)
    return bool(pd.Index(key).duplicated().any())


class FittedFlowsMixin:
    """Metrics, prediction of the training pairs and a JSON-ready summary."""

    def _set_metrics(self, y: np.ndarray, mu: np.ndarray, n_params: int) -> None:
        m = fit_summary(y, mu, n_params)
        self.fitted_ = mu
        self.n_params_ = n_params
        self.deviance_ = m["deviance"]
        self.llf_ = m["llf"]
        self.llnull_ = m["llnull"]
        self.aic_ = m["aic"]
        self.pseudo_r2_ = m["pseudo_r2"]
        self.adj_pseudo_r2_ = m["adj_pseudo_r2"]
        self.srmse_ = m["srmse"]
        self.ssi_ = m["ssi"]
        self.cpc_ = m["cpc"]

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise FlowDataError(f"{type(self).__name__} is not fitted yet: call fit() first")

    def to_dict(self) -> dict:
        """Fitted values as plain Python types (the ``kochu flows fit --json`` output)."""
        self._check_fitted()
        beta = None if self.beta_ is None or not np.isfinite(self.beta_) else float(self.beta_)
        return {
            "model": type(self).__name__.lower(),
            "params": {k: float(v) for k, v in zip(self.param_names_, self.params_, strict=True)},
            "bse": {k: float(v) for k, v in zip(self.param_names_, self.bse_, strict=True)},
            "beta": beta,
            "deviance": self.deviance_,
            "llf": self.llf_,
            "llnull": self.llnull_,
            "aic": self.aic_,
            "pseudo_r2": self.pseudo_r2_,
            "adj_pseudo_r2": self.adj_pseudo_r2_,
            "srmse": self.srmse_,
            "ssi": self.ssi_,
            "cpc": self.cpc_,
            "n_pairs": int(self.fitted_.size),
            "n_params": int(self.n_params_),
            "n_iter": int(self.n_iter_),
        }
