"""What a scenario tells the indicators that the run tables do not.

The run store keeps people and moves, not policy state. Two indicators need it:

- ``novostroiki.share_without_services``: the year each novostroika was legalised *with
  services* by a ``legalisation`` intervention;
- ``capital.capacity_index``: people housed by a ``capital_housing`` programme by 1 January
  of each year (cumulative).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from kochu.scenarios.interventions import CapitalHousing, Legalisation
from kochu.scenarios.timing import FIRST_YEAR, month_index, parse_when


def indicator_context(scenario: Any, last_year: int | None = None) -> dict[str, Any]:
    """Keyword arguments for :func:`kochu.indicators.compute` from a scenario's interventions."""
    last = int(last_year if last_year is not None else scenario.horizon) + 1
    legalised: dict[str, int] = {}
    years = pd.RangeIndex(FIRST_YEAR, last + 1)
    housed = pd.Series(0.0, index=years)
    for iv in scenario.all_interventions:
        if isinstance(iv, Legalisation) and iv.services:
            year = parse_when(iv.start)[0] + (0 if parse_when(iv.start)[1] == 1 else 1)
            for pid in iv.places:
                legalised[pid] = min(year, legalised.get(pid, year))
        elif isinstance(iv, CapitalHousing):
            housed += [iv.built_by(month_index(y) - 1) for y in years]
    out: dict[str, Any] = {}
    if legalised:
        out["legalised"] = legalised
    if housed.any():
        out["added_capacity"] = housed
    return out
