"""Reading origin–destination tables from CSV, with one-line errors.

Every problem raises :class:`~kochu.errors.FlowDataError` whose message names the file, the
line (header = line 1), the column and what was expected, e.g.
``od.csv line 7, column 'flow': expected a number >= 0, got '-3'``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kochu.errors import FlowDataError

_SNIFF_BYTES = 65536


@dataclass
class ODTable:
    """A checked OD table: place ids, flows and optional distance and masses (1-D arrays)."""

    path: Path
    origins: np.ndarray
    destinations: np.ndarray
    flows: np.ndarray
    distance: np.ndarray | None
    origin_mass: np.ndarray | None
    destination_mass: np.ndarray | None
    lines: np.ndarray  #: physical line number of each row (header is line 1)

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame with columns ``origin, destination, flow``."""
        return pd.DataFrame(
            {"origin": self.origins, "destination": self.destinations, "flow": self.flows}
        )


def _fail(path: Path, msg: str) -> FlowDataError:
    return FlowDataError(f"{path}: {msg}")


def read_csv_strings(path: str | Path) -> pd.DataFrame:
    """Read a CSV as strings, rejecting missing, empty, binary, non-UTF-8 and ragged files.

    The returned frame's index is the physical line number of each row.
    """
    path = Path(path)
    if not path.exists():
        raise _fail(path, "no such file")
    if not path.is_file():
        raise _fail(path, "not a file (expected a CSV table)")
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if not head.strip():
        raise _fail(path, "the file is empty (expected a header line and one row per pair)")
    if b"\x00" in head:
        raise _fail(path, "binary file (expected a CSV text table)")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False,
                         encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"not UTF-8 text (byte {exc.start}); expected a CSV table") from None
    except pd.errors.EmptyDataError:
        raise _fail(path, "the file is empty (expected a header line)") from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            raise _fail(path, f"line {m.group(2)}: {m.group(3)} fields, expected {m.group(1)} "
                              "(as in the header)") from None
        raise _fail(path, f"not a readable CSV table ({str(exc).splitlines()[0]})") from None
    df.index = pd.RangeIndex(2, 2 + len(df))
    blank = (df == "").all(axis=1).to_numpy()
    n_keep = len(df) - int(np.argmin(blank[::-1])) if not blank.all() else 0
    df = df.iloc[:n_keep]  # trailing blank lines are harmless
    if len(df) == 0:
        raise _fail(path, "no data rows after the header")
    if blank[:n_keep].any():
        raise _fail(path, f"line {df.index[np.argmax(blank[:n_keep])]} is blank")
    if len(df.columns) > 1 and (df.iloc[:, -1] == "").any():
        _check_field_counts(path, len(df.columns))
    return df


def _check_field_counts(path: Path, n_fields: int) -> None:
    """Find a row shorter than the header (pandas pads those silently)."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row in reader:
            if row and len(row) != n_fields:
                raise _fail(path, f"line {reader.line_num}: {len(row)} fields, expected "
                                  f"{n_fields} (as in the header)")


def _column(path: Path, df: pd.DataFrame, name: str) -> pd.Series:
    if name not in df.columns:
        cols = ", ".join(f"'{c}'" for c in df.columns)
        raise _fail(path, f"no column '{name}' (columns: {cols})")
    return df[name]


def _ids(path: Path, df: pd.DataFrame, name: str) -> np.ndarray:
    col = _column(path, df, name).str.strip()
    empty = np.flatnonzero((col == "").to_numpy())
    if empty.size:
        raise _fail(path, f"line {df.index[empty[0]]}, column '{name}': empty place id")
    return col.to_numpy(dtype=object)


def _numbers(path: Path, df: pd.DataFrame, name: str, minimum: float, strict: bool,
             what: str, why: str = "") -> np.ndarray:
    raw = _column(path, df, name)
    values = pd.to_numeric(raw.str.strip(), errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        got = raw.iloc[bad[0]]
        got = "an empty value" if got.strip() == "" else repr(got)
        raise _fail(path, f"line {df.index[bad[0]]}, column '{name}': expected {what}, got {got}")
    low = values <= minimum if strict else values < minimum
    bad = np.flatnonzero(low)
    if bad.size:
        rel = ">" if strict else ">="
        raise _fail(path, f"line {df.index[bad[0]]}, column '{name}': expected {what} "
                          f"{rel} {minimum:g}{why}, got {raw.iloc[bad[0]].strip()}")
    return values


def _one_per_place(path: Path, df: pd.DataFrame, ids: np.ndarray, values: np.ndarray,
                   name: str, side: str) -> None:
    first = pd.Series(values).groupby(ids).transform("first").to_numpy()
    bad = np.flatnonzero(first != values)
    if bad.size:
        k = bad[0]
        line0 = df.index[np.flatnonzero(ids == ids[k])[0]]
        raise _fail(path, f"line {df.index[k]}, column '{name}': {side} {ids[k]} has mass "
                          f"{values[k]:g} here but {first[k]:g} on line {line0} "
                          "(expected one mass per place)")


def read_od_csv(
    path: str | Path,
    origin: str,
    destination: str,
    flow: str,
    distance: str | None = None,
    origin_mass: str | None = None,
    destination_mass: str | None = None,
    cost: str = "pow",
    drop_intrazonal: bool = False,
) -> ODTable:
    """Read and check an OD table with one row per (origin, destination) pair.

    Checks: file readable as UTF-8 CSV, every row as long as the header, named columns
    present, place ids non-empty, each pair once, flows finite and ``>= 0``, distances finite
    and ``> 0`` under ``cost="pow"`` (``>= 0`` under ``"exp"``), masses finite, ``> 0`` and one
    value per place. ``drop_intrazonal`` removes rows with origin == destination first.
    """
    path = Path(path)
    df = read_csv_strings(path)
    o = _ids(path, df, origin)
    d = _ids(path, df, destination)
    if drop_intrazonal:
        keep = o != d
        df, o, d = df[keep], o[keep], d[keep]
        if len(df) == 0:
            raise _fail(path, "no rows left after dropping intra-zonal pairs")
    y = _numbers(path, df, flow, 0.0, False, "a number", "")
    if distance is not None:
        if cost == "pow":
            dist = _numbers(path, df, distance, 0.0, True, "a distance",
                            " under power decay (--cost pow: log 0 is undefined; use --cost exp "
                            "or drop the pair)")
        else:
            dist = _numbers(path, df, distance, 0.0, False, "a distance")
    else:
        dist = None
    masses = []
    for col, ids, side in ((origin_mass, o, "origin"), (destination_mass, d, "destination")):
        if col is None:
            masses.append(None)
            continue
        m = _numbers(path, df, col, 0.0, True, "a mass", " (masses enter as logarithms)")
        _one_per_place(path, df, ids, m, col, side)
        masses.append(m)
    oc, _ = pd.factorize(o)
    dc, du = pd.factorize(d)
    key = pd.Series(oc.astype(np.int64) * len(du) + dc)
    dup = key.duplicated().to_numpy()
    if dup.any():
        k = int(np.argmax(dup))
        first = int(np.flatnonzero((key == key.iloc[k]).to_numpy())[0])
        raise _fail(path, f"line {df.index[k]}: pair ({o[k]}, {d[k]}) repeats line "
                          f"{df.index[first]} (expected one row per origin-destination pair)")
    return ODTable(path, o, d, y, dist, masses[0], masses[1], df.index.to_numpy())
