"""Shared helpers: January stocks, internal flows, place groups, the long-table shape.

All indicators are computed from the run tables of ``docs/run-store.md``:

- ``population``: ``year, month, place, present, permanent`` (start of each month);
- ``flows``: ``year, origin, destination, true, registered`` (``abroad`` for international);
- ``events``: national monthly totals.

Stocks are taken on **1 January** (``month == 1``) and counted as ``present``; a year's flows
are the moves *during* that year. The base year of growth indicators is the first January in
the table (1989 for a full run).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ABROAD = "abroad"
COLUMNS = ["year", "indicator", "value"]


def flag(values: pd.Series) -> pd.Series:
    """A 0/1 atlas column (``0``/``1`` as text, numbers or empty) as int64, empty = 0."""
    return pd.to_numeric(values, errors="coerce").fillna(0).astype("int64")


def long(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    """The indicator long table (``year, indicator, value``) from ``(year, name, value)`` rows."""
    df = pd.DataFrame(rows, columns=COLUMNS)
    return df.astype({"year": "int64", "indicator": "object", "value": "float64"})


def series_rows(name: str, values: pd.Series) -> list[tuple[int, str, float]]:
    """Rows of one indicator from a Series indexed by year (NaN dropped)."""
    return [(int(y), name, float(v)) for y, v in values.items() if pd.notna(v)]


def frame_rows(prefix: str, table: pd.DataFrame) -> list[tuple[int, str, float]]:
    """Rows ``prefix.<column>`` from a year × key table (NaN dropped)."""
    out: list[tuple[int, str, float]] = []
    for key in table.columns:
        out.extend(series_rows(f"{prefix}.{key}", table[key]))
    return out


def january(population: pd.DataFrame, column: str = "present") -> pd.DataFrame:
    """Year × place table of ``column`` on 1 January (float64)."""
    jan = population[population["month"] == 1]
    wide = jan.pivot_table(index="year", columns="place", values=column, aggfunc="sum")
    return wide.astype("float64").sort_index()


def internal(flows: pd.DataFrame) -> pd.DataFrame:
    """Moves between two different settlements (no ``abroad``, no stayers)."""
    f = flows
    keep = (f["origin"] != ABROAD) & (f["destination"] != ABROAD) & (f["origin"] != f["destination"])
    return f[keep]


def capital_ids(settlements: pd.DataFrame) -> list[str]:
    """The capital with its informal settlements: every settlement of the capital's first-level
    unit (Bishkek) plus every ``informal`` settlement (novostroiki, some lie in Chuy)."""
    cap = settlements[settlements["kind"] == "capital"]
    if cap.empty:
        return list(settlements.index[settlements["kind"] == "informal"])
    unit = cap["oblast"].iloc[0]
    mask = (settlements["oblast"] == unit) | (settlements["kind"] == "informal")
    return list(settlements.index[mask])


def group_sum(wide: pd.DataFrame, ids: list[str] | pd.Index) -> pd.Series:
    """Row sums of ``wide`` over the columns in ``ids`` (missing columns count as 0)."""
    cols = [c for c in ids if c in wide.columns]
    return wide[cols].sum(axis=1) if cols else pd.Series(0.0, index=wide.index)


def safe_div(num: pd.Series | float, den: pd.Series | float) -> pd.Series | float:
    """``num / den`` with NaN where ``den`` is 0."""
    if isinstance(den, pd.Series):
        return num / den.replace(0, np.nan)
    return np.nan if den == 0 else num / den
