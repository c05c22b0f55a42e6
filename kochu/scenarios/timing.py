"""Points in time of a scenario: a year (``2027``) or a month (``"2027-04"``).

Simulation time is counted in months since January 1989 (``t = 0``), the first step of every
kochu run. A year used as a *start* means its January; used as an *end* it means its December
(the window includes the whole year). Windows are closed on both sides.
"""

from __future__ import annotations

import re

#: the first month every simulation starts from (the 1989 census year)
FIRST_YEAR = 1989
#: the latest year a scenario may name (projections beyond are not meaningful)
LAST_YEAR = 2100

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")

When = int | str


def parse_when(value: object) -> tuple[int, int]:
    """``(year, month)`` of a year or a ``"YYYY-MM"`` string; ValueError quoting the value."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f'expected a year or "YYYY-MM", got {value!r}')
    if isinstance(value, int):
        year, month = value, 1
    else:
        m = _MONTH.match(value)
        if not m:
            raise ValueError(f'expected a year or "YYYY-MM", got {value!r}')
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"expected a month 01..12, got {value!r}")
    if year < FIRST_YEAR:
        raise ValueError(f"expected a year ≥ {FIRST_YEAR}, got {value!r}")
    if year > LAST_YEAR:
        raise ValueError(f"expected a year ≤ {LAST_YEAR}, got {value!r}")
    return year, month


def month_index(value: When, *, end: bool = False) -> int:
    """Months since January 1989 of ``value``; a bare year as an ``end`` means its December."""
    year, month = parse_when(value)
    if end and isinstance(value, int):
        month = 12
    return (year - FIRST_YEAR) * 12 + (month - 1)


def year_month(t: int) -> tuple[int, int]:
    """Inverse of :func:`month_index`: ``(year, month)`` of step ``t``."""
    return FIRST_YEAR + t // 12, t % 12 + 1


def describe(value: When) -> str:
    """How a point in time is quoted in messages (``2027`` or ``2027-04``)."""
    return str(value)
