"""Column specifications of the atlas folder and a strict CSV reader.

Every malformed value is reported as one line naming the file, the row (the line number in
the file, header = row 1), the column and what was expected, e.g.::

    places.csv row 12, column 'lat': expected a number between -90 and 90, got 'abc'

The reader uses the standard ``csv`` module (not pandas' type guessing) so that text in a
numeric column, a ragged row or a stray byte is caught where it is, not silently coerced.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kochu.errors import AtlasError

LEVELS = ("country", "oblast", "rayon", "settlement")
KINDS = ("capital", "city", "town", "rural", "informal")
TOWN_TYPES = (
    "capital",
    "regional_centre",
    "capital_satellite",
    "mining",
    "transport",
    "tourism",
    "border_trade",
    "remote",
    "rural",
    "informal",
)
LEGAL_STATUSES = ("legal", "legalised", "illegal")
MEASURES = ("de_facto", "permanent")
STATUSES = ("reported", "derived")
SEXES = ("male", "female")

_ID = re.compile(r"^[a-z0-9_]+$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_AGE = re.compile(r"^(\d{1,3})(-\d{1,3}|\+)$")


@dataclass(frozen=True)
class Col:
    """One column: name, parser (raises ValueError with the expectation), required flag."""

    name: str
    parse: Callable[[str], Any]
    required: bool = True  # the cell may not be empty
    optional_column: bool = False  # the column itself may be absent


def _num(lo: float, hi: float, what: str = "a number") -> Callable[[str], float]:
    def parse(s: str) -> float:
        try:
            v = float(s)
        except ValueError:
            raise ValueError(f"expected {what} between {lo:g} and {hi:g}") from None
        if not math.isfinite(v) or v < lo or v > hi:
            raise ValueError(f"expected {what} between {lo:g} and {hi:g}")
        return v

    return parse


def _int(lo: int, hi: int, what: str = "an integer") -> Callable[[str], int]:
    def parse(s: str) -> int:
        try:
            v = float(s)
        except ValueError:
            raise ValueError(f"expected {what} between {lo} and {hi}") from None
        if not math.isfinite(v) or v != int(v) or v < lo or v > hi:
            raise ValueError(f"expected {what} between {lo} and {hi}")
        return int(v)

    return parse


def _enum(values: tuple[str, ...]) -> Callable[[str], str]:
    def parse(s: str) -> str:
        if s not in values:
            raise ValueError(f"expected one of {', '.join(values)}")
        return s

    return parse


def _regex(pattern: re.Pattern[str], what: str) -> Callable[[str], str]:
    def parse(s: str) -> str:
        if not pattern.match(s):
            raise ValueError(f"expected {what}")
        return s

    return parse


def _text(s: str) -> str:
    return s


FLAG = _enum(("0", "1"))
YEAR = _int(1800, 2100, "a year")
PLACE_ID = _regex(_ID, "an id of lowercase letters, digits and '_'")

SPECS: dict[str, list[Col]] = {
    "places.csv": [
        Col("id", PLACE_ID),
        Col("name", _text),
        Col("level", _enum(LEVELS)),
        Col("parent", PLACE_ID, required=False),
        Col("kind", _enum(KINDS), required=False),
        Col("lat", _num(-90, 90), required=False),
        Col("lon", _num(-180, 180), required=False),
        Col("elevation_m", _num(-500, 9000, "metres"), required=False),
        Col("urban", FLAG, required=False),
        Col("north", FLAG, required=False),
        Col("border", FLAG, required=False),
        Col("town_type", _enum(TOWN_TYPES), required=False),
        Col("admin_rank", _int(0, 4), required=False),
        Col("legal_status", _enum(LEGAL_STATUSES), required=False),
        Col("hazard_zone", FLAG, required=False),
        Col("founded", YEAR, required=False, optional_column=True),
        Col("source", _text),
    ],
    "populations.csv": [
        Col("place", PLACE_ID),
        Col("year", YEAR),
        Col("measure", _enum(MEASURES)),
        Col("population", _int(0, 2_000_000_000, "a non-negative whole number")),
        Col("status", _enum(STATUSES)),
        Col("source", _text),
    ],
    "attributes.csv": [
        Col("place", PLACE_ID),
        Col("year", YEAR, required=False),
        Col("attribute", _regex(_NAME, "a snake_case attribute name")),
        Col("value", _num(-1e15, 1e15, "a finite number")),
        Col("status", _enum(STATUSES)),
        Col("source", _text),
    ],
    "vital_rates.csv": [
        Col("unit", PLACE_ID),
        Col("year", YEAR),
        Col("crude_birth_rate", _num(0, 100, "births per 1,000")),
        Col("crude_death_rate", _num(0, 100, "deaths per 1,000")),
        Col("status", _enum(STATUSES)),
        Col("source", _text),
    ],
    "age_structure.csv": [
        Col("year", YEAR),
        Col("age_group", _regex(_AGE, "an age group like 0-4 or 80+")),
        Col("sex", _enum(SEXES)),
        Col("population", _num(0, 2e9, "a non-negative number")),
        Col("status", _enum(STATUSES)),
        Col("source", _text),
    ],
    "road_nodes.csv": [
        Col("id", _regex(_ID, "an id of lowercase letters, digits and '_'")),
        Col("name", _text),
        Col("lat", _num(-90, 90)),
        Col("lon", _num(-180, 180)),
        Col("elevation_m", _num(-500, 9000, "metres"), required=False),
        Col("place", PLACE_ID, required=False),
        Col("source", _text),
    ],
    "roads.csv": [
        Col("from", _text),
        Col("to", _text),
        Col("km", _num(0.001, 5000, "a road length in km")),
        Col("max_elevation_m", _num(-500, 9000, "metres"), required=False, optional_column=True),
        Col("paved", _enum(("0", "1", "yes", "no", "partly")), required=False, optional_column=True),
        Col("winter_closure", _text, required=False, optional_column=True),
        Col("source", _text),
    ],
}

REQUIRED_FILES = ("places.csv", "populations.csv")
OPTIONAL_FILES = (
    "attributes.csv",
    "vital_rates.csv",
    "age_structure.csv",
    "road_nodes.csv",
    "roads.csv",
)


def read_text(path: Path) -> str:
    """Read a file as UTF-8 (BOM allowed), or raise a one-line AtlasError."""
    if not path.exists():
        raise AtlasError(f"{path.name}: file missing in atlas folder {path.parent}")
    data = path.read_bytes()
    if b"\x00" in data[:4096]:
        raise AtlasError(f"{path.name}: binary file, expected UTF-8 CSV text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AtlasError(
            f"{path.name}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "expected a UTF-8 encoded CSV"
        ) from None


def read_csv(path: Path, spec: list[Col]) -> pd.DataFrame:
    """Parse ``path`` against ``spec``; return typed columns (empty cells → None)."""
    text = read_text(path)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise AtlasError(f"{path.name}: empty file, expected a header row")
    header = [h.strip() for h in rows[0]]
    dup = sorted({h for h in header if header.count(h) > 1})
    if dup:
        raise AtlasError(f"{path.name} row 1: duplicate column '{dup[0]}'")
    for col in spec:
        if col.name not in header and not col.optional_column:
            expected = ", ".join(c.name for c in spec)
            raise AtlasError(f"{path.name}: column '{col.name}' missing (expected columns: {expected})")
    idx = {h: i for i, h in enumerate(header)}
    out: dict[str, list[Any]] = {c.name: [] for c in spec}
    for lineno, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(header):
            raise AtlasError(
                f"{path.name} row {lineno}: {len(row)} fields, expected {len(header)} "
                f"(as in the header)"
            )
        for col in spec:
            raw = row[idx[col.name]].strip() if col.name in idx else ""
            if raw == "":
                if col.required:
                    raise AtlasError(
                        f"{path.name} row {lineno}, column '{col.name}': empty, expected a value"
                    )
                out[col.name].append(None)
                continue
            try:
                out[col.name].append(col.parse(raw))
            except ValueError as exc:
                shown = raw if len(raw) <= 40 else raw[:37] + "..."
                raise AtlasError(
                    f"{path.name} row {lineno}, column '{col.name}': {exc}, got '{shown}'"
                ) from None
    df = pd.DataFrame(out)
    df.attrs["lines"] = [i for i, r in enumerate(rows[1:], start=2) if any(c.strip() for c in r)]
    return df
