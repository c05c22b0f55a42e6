"""Backtests: forecast oblast shares for a year the calibration did not see, against baselines.

* **persistence**: the shares of the last census used in training (2009) stay as they are;
* **linear trend**: each share continues its straight line between the two last censuses
  (1999 → 2009), ``s(T) = s(2009) + (s(2009) - s(1999)) * (T - 2009) / 10``, renormalised to
  sum to 1;
* **model held** (optional, :func:`backtest_table` ``others``): the model's own
  shares in the base census year, in the measure of the evaluation, held — the part of the model's
  gain that is measurement (present census → permanent estimates) rather than dynamics;
* **MAPE**: mean over units of ``|forecast - observed| / observed`` in percent.

**The information set** (:func:`information_set`): a backtest trained on data ≤ ``Y`` sees an
atlas whose dated rows (populations, attributes, vital rates, age structures) end in ``Y``; the
drivers take the same cut (``build_drivers(..., data_until=Y)``) and the projection's national
UN series end in ``Y`` (``DemographyOptions.last_data_year``). Only the evaluation reads the
later estimates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kochu.errors import KochuError

#: atlas tables with a ``year`` column (rows without a year are static and always kept)
DATED_TABLES = ("populations", "attributes", "vital_rates", "age_structure")


def information_set(atlas, until: int):
    """A copy of ``atlas`` as known at the end of year ``until``: dated rows after it dropped.

    The copy shares everything else (places, roads, computed travel times) with ``atlas``,
    which is not changed.
    """
    import copy

    view = copy.copy(atlas)
    for name in DATED_TABLES:
        table = getattr(atlas, name, None)
        if table is None or "year" not in table:
            continue
        year = pd.to_numeric(table["year"], errors="coerce")
        setattr(view, name, table[year.isna() | (year <= int(until))].reset_index(drop=True))
    view.data_until = int(until)
    return view


def shares(values: pd.Series) -> pd.Series:
    """Population shares (sum 1)."""
    total = float(values.sum())
    if total <= 0:
        raise KochuError("shares: populations must have a positive total")
    return values / total


def persistence(base: pd.Series) -> pd.Series:
    """Persistence forecast: the base year's shares."""
    return shares(base)


def linear_trend(earlier: pd.Series, base: pd.Series, years_between: int, horizon: int) -> pd.Series:
    """Linear-trend forecast of shares ``horizon`` years after ``base`` (renormalised, floored at 0)."""
    if years_between <= 0:
        raise KochuError(f"linear trend: years between censuses must be positive, got {years_between}")
    s0, s1 = shares(earlier), shares(base.reindex(earlier.index))
    f = (s1 + (s1 - s0) * horizon / years_between).clip(lower=0.0)
    return f / f.sum()


def mape(forecast: pd.Series, observed: pd.Series) -> float:
    """Mean absolute percentage error (percent) over the observed index."""
    f = forecast.reindex(observed.index)
    if f.isna().any():
        raise KochuError(f"MAPE: forecast lacks {list(observed.index[f.isna()])}")
    return float((np.abs(f - observed) / observed).mean() * 100.0)


def backtest_table(observed: pd.Series, model: pd.Series, census_early: pd.Series, census_base: pd.Series,
                   years_between: int, horizon: int, others: dict[str, pd.Series] | None = None) -> pd.DataFrame:
    """Per-unit shares (observed, model, persistence, trend, ``others``) and a MAPE row."""
    obs = shares(observed)
    rows = pd.DataFrame({
        "observed": obs,
        "model": shares(model.reindex(obs.index)),
        "persistence": persistence(census_base.reindex(obs.index)),
        "trend": linear_trend(census_early.reindex(obs.index), census_base.reindex(obs.index), years_between,
                              horizon),
    })
    for name, values in (others or {}).items():
        rows[name] = shares(values.reindex(obs.index))
    cols = [c for c in rows.columns if c != "observed"]
    rows.loc["MAPE %"] = [np.nan] + [mape(rows[c], obs) for c in cols]
    return rows
