"""The drivers' own sourced data files (``kochu/drivers/data/*.csv``) and their readers.

Every row of every file carries a ``source`` (and a ``status``: ``reported`` = copied from a
cited publication, ``derived`` = computed or encoded by the method the source text states).
``data/build.py`` documents how ``oblast_indicators.csv`` was copied from ``../shared/data``.

Files:

- ``oblast_indicators.csv`` — ``unit,year,indicator,value,status,source``: poverty and
  unemployment rates, GRP per capita, doctors, water, sanitation, manufacturing share,
  disaster deaths and 2009 population by first-level unit (atlas names).
- ``national_series.csv`` — ``series,year,value,status,source``: national facts the regimes
  and the panel are derived from (UN net migration, registered moves, census stocks, ...).
- ``regime_anchors.csv`` — ``column,year,value,status,source``: anchor values of the
  directly encoded regime columns (interpolated linearly between anchors).
- ``mining_closures.csv`` — Soviet mining towns and the year their mine/plant stopped.
- ``town_type_effects.csv`` — the seed's town typology as shifts of the ``jobs`` component.
- ``events.csv`` — dated events (violence, earthquakes, landslides, legalisation waves).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from kochu.errors import KochuError

DATA = Path(__file__).parent / "data"

_COLUMNS: dict[str, tuple[str, ...]] = {
    "oblast_indicators.csv": ("unit", "year", "indicator", "value", "status", "source"),
    "national_series.csv": ("series", "year", "value", "status", "source"),
    "regime_anchors.csv": ("column", "year", "value", "status", "source"),
    "mining_closures.csv": ("name", "aliases", "oblast", "closure_year", "pop_1989", "status", "source"),
    "town_type_effects.csv": ("town_type", "jobs_shift_sd", "status", "source"),
    "events.csv": (
        "year", "month", "kind", "unit_level", "units", "fraction", "months_to_return",
        "deaths", "status", "source",
    ),
}
_STATUSES = ("reported", "derived")
#: the column dating each file's rows (the year the value was observed), for the information-set cut
DATED: dict[str, str] = {
    "oblast_indicators.csv": "year",
    "national_series.csv": "year",
    "regime_anchors.csv": "year",
    "mining_closures.csv": "closure_year",
    "events.csv": "year",
}


class DriversDataError(KochuError):
    """A malformed drivers data file (names file, row, column and the expectation)."""


@cache
def read(name: str, until: int | None = None) -> pd.DataFrame:
    """Read and check one data file of ``kochu/drivers/data`` (cached; do not mutate).

    ``until``: the information-set cut — what was known at the end of year ``until``. Rows
    dated after it (column :data:`DATED`) are dropped; a mine closed after ``until`` is still
    open as far as anyone knew then (its ``closure_year`` becomes empty). ``None``: all rows.
    """
    if until is not None:
        df = read(name)
        col = DATED.get(name)
        if col is None:
            return df
        late = df[col] > int(until)
        if name == "mining_closures.csv":
            df = df.copy()
            df.loc[late, col] = np.nan
            return df
        return df[~late].reset_index(drop=True)
    path = DATA / name
    if name not in _COLUMNS:
        raise DriversDataError(f"{name}: unknown drivers data file (known: {', '.join(_COLUMNS)})")
    if not path.exists():
        raise DriversDataError(f"{path}: drivers data file missing")
    df = pd.read_csv(path, dtype={"source": str, "status": str}, keep_default_na=True)
    want = _COLUMNS[name]
    if tuple(df.columns) != want:
        raise DriversDataError(f"{name}: columns {list(df.columns)}, expected {list(want)}")
    for i, (status, source) in enumerate(zip(df["status"], df["source"], strict=True)):
        if status not in _STATUSES:
            raise DriversDataError(
                f"{name} row {i + 2}, column 'status': expected one of {', '.join(_STATUSES)}, got '{status}'"
            )
        if not isinstance(source, str) or not source.strip():
            raise DriversDataError(f"{name} row {i + 2}, column 'source': empty, every value needs a source")
    return df


def series(name: str, until: int | None = None) -> pd.Series:
    """One national series from ``national_series.csv`` as a Series indexed by year.

    ``until``: only observations dated ≤ ``until`` (may be empty: not known yet then; a
    series that does not exist at all still raises).
    """
    df = read("national_series.csv")
    rows = df[df["series"] == name]
    if rows.empty:
        raise DriversDataError(f"national_series.csv: no series '{name}'")
    if until is not None:
        rows = rows[rows["year"] <= int(until)]
    return rows.set_index("year")["value"].astype(float).sort_index()


def series_source(name: str) -> str:
    """The sources of a national series, one per distinct text, joined."""
    df = read("national_series.csv")
    texts = df.loc[df["series"] == name, "source"].unique()
    return " | ".join(f"{name}: {t}" for t in texts)


def interp(years: np.ndarray, s: pd.Series) -> np.ndarray:
    """Linear interpolation between observed years; the first/last value is held outside.

    Holding the last observed value is the drivers' carry-forward rule for years after the
    data end (2015 at the latest): no trend is invented.
    """
    return np.interp(years.astype(float), s.index.to_numpy(float), s.to_numpy(float))


def norm_name(name: str) -> str:
    """Lower-case ASCII letters/digits only: 'Kok-Jangak' -> 'kokjangak' (for name matching)."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower().replace("ö", "o").replace("ü", "u"))
