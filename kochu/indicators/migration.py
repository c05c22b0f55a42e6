"""Who moves where: net migration rates, the four directions, registration gap, destinations.

Definitions (flows = the ``true`` column unless said otherwise; a year's moves against the
population present on 1 January of that year):

- **departures / arrivals** (people per year) of each first-level unit: moves leaving it or
  entering it from another unit or from abroad (the seed's "how many leave Naryn").
- **net migration rate** (per 1,000): 1000 × (arrivals − departures) / population, counting
  moves from and to ``abroad``; by settlement and by first-level unit (moves within a unit
  cancel). A year without a January stock for the place gives no value.
- **the four directions** (the seed: rural → urban, mountain → valley, periphery → centre,
  south → north): internal moves decomposed by ``kochu.flows.directions.decompose``
  (mountain = elevation ≥ 1,500 m); ``forward``, ``reverse``, ``net`` (people) and
  ``share_of_moves`` for each direction.
- **registration gap**: 1 − registered / true over internal moves (the seed: ≥ 32 % of internal
  migrants unregistered, more in Bishkek and Osh), nationally and by destination unit;
  ``unregistered_share`` = the events table's unregistered stock / population in January.
- **destination shares** — the realised counterpart of the seed's intention survey (potential
  migrants: Bishkek 42 %, abroad 30 %, Chuy 13 %): of all moves leaving a settlement outside
  the capital, the share ending in each first-level unit (the capital counted with its
  novostroiki) or abroad.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kochu.indicators.common import ABROAD, flag, internal, safe_div

#: elevation (m) from which a place counts as "mountain" in the four directions
MOUNTAIN_M = 1500.0
DIRECTIONS = ("rural_urban", "mountain_valley", "periphery_centre", "south_north")


def net_migration(flows: pd.DataFrame, unit_of: pd.Series | None = None) -> pd.DataFrame:
    """Year × unit net migrants (arrivals − departures), ``abroad`` excluded as a unit.

    ``unit_of`` maps settlement ids to a unit (e.g. first-level names); ``None`` = settlements.
    Moves whose origin and destination fall in the same unit cancel.
    """
    f = flows[["year", "origin", "destination", "true"]].astype({"true": "float64"})
    if unit_of is not None:
        f = f.assign(
            origin=f["origin"].map(lambda p: ABROAD if p == ABROAD else unit_of.get(p, p)),
            destination=f["destination"].map(lambda p: ABROAD if p == ABROAD else unit_of.get(p, p)),
        )
    f = f[f["origin"] != f["destination"]]
    inflow = f.groupby(["year", "destination"])["true"].sum()
    outflow = f.groupby(["year", "origin"])["true"].sum()
    inflow.index = inflow.index.set_names(["year", "unit"])
    outflow.index = outflow.index.set_names(["year", "unit"])
    net = inflow.sub(outflow, fill_value=0.0).unstack("unit", fill_value=0.0)
    return net.drop(columns=[ABROAD], errors="ignore").astype("float64")


def departures_arrivals(flows: pd.DataFrame, unit_of: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Year × unit people leaving the unit and people arriving in it (``true`` moves,
    ``abroad`` included as the other end; moves within a unit are not counted)."""
    f = flows[["year", "origin", "destination", "true"]].astype({"true": "float64"})
    o = f["origin"].map(lambda p: ABROAD if p == ABROAD else unit_of.get(p, p))
    d = f["destination"].map(lambda p: ABROAD if p == ABROAD else unit_of.get(p, p))
    f = f.assign(origin=o, destination=d)
    f = f[f["origin"] != f["destination"]]
    out = f.groupby(["year", "origin"])["true"].sum().unstack("origin", fill_value=0.0)
    inn = f.groupby(["year", "destination"])["true"].sum().unstack("destination", fill_value=0.0)
    return out.drop(columns=[ABROAD], errors="ignore"), inn.drop(columns=[ABROAD], errors="ignore")


def net_migration_rate(net: pd.DataFrame, jan: pd.DataFrame) -> pd.DataFrame:
    """Year × unit: 1000 × net / January population (NaN where the stock is missing or 0)."""
    years = net.index.intersection(jan.index)
    units = [u for u in net.columns if u in jan.columns]
    return 1000.0 * net.loc[years, units] / jan.loc[years, units].replace(0, np.nan)


def units_january(jan: pd.DataFrame, unit_of: pd.Series) -> pd.DataFrame:
    """Year × unit January population (settlement columns summed by ``unit_of``)."""
    cols = [c for c in jan.columns if c in unit_of.index]
    return jan[cols].T.groupby(unit_of.reindex(cols)).sum().T


def directions(flows: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Year × ``<direction>.<forward|reverse|net|share_of_moves>`` of internal true moves."""
    from kochu.flows.directions import decompose

    attrs = pd.DataFrame(
        {
            "urban": flag(places["urban"]),
            "elevation_m": pd.to_numeric(places["elevation_m"], errors="coerce").astype("float64"),
            "admin_rank": pd.to_numeric(places["admin_rank"], errors="coerce").astype("int64"),
            "north": flag(places["north"]),
        },
        index=places.index,
    )
    rows: dict[int, dict[str, float]] = {}
    for year, f in internal(flows).groupby("year", sort=True):
        od = f.rename(columns={"true": "flow"})[["origin", "destination", "flow"]]
        table = decompose(od, attrs, mountain_m=MOUNTAIN_M)
        rows[int(year)] = {
            f"{d}.{c}": float(table.loc[d, c])
            for d in table.index
            for c in ("forward", "reverse", "net", "share_of_moves")
        }
    return pd.DataFrame.from_dict(rows, orient="index").sort_index()


def registration_gap(flows: pd.DataFrame, unit_of: pd.Series) -> pd.DataFrame:
    """Year × {gap, gap.<destination unit>…}: 1 − registered/true of internal moves."""
    f = internal(flows)
    by_year = f.groupby("year")[["true", "registered"]].sum()
    out = pd.DataFrame({"gap": 1.0 - safe_div(by_year["registered"], by_year["true"])})
    dest = f.assign(unit=f["destination"].map(unit_of))
    by_unit = dest.groupby(["year", "unit"])[["true", "registered"]].sum()
    gap = (1.0 - by_unit["registered"] / by_unit["true"].replace(0, np.nan)).unstack("unit")
    gap.columns = [f"gap.{u}" for u in gap.columns]
    return out.join(gap, how="left")


def unregistered_share(events: pd.DataFrame) -> pd.Series:
    """Year → unregistered stock / population present, on 1 January (events table)."""
    jan = events[events["month"] == 1].set_index("year").sort_index()
    return safe_div(jan["unregistered"].astype("float64"), jan["population"].astype("float64"))


def destination_shares(flows: pd.DataFrame, unit_of: pd.Series, capital: list[str]) -> pd.DataFrame:
    """Year × destination unit (and ``abroad``): share of moves leaving non-capital settlements.

    Moves into the capital's novostroiki count for the capital's unit.
    """
    cap = set(capital)
    cap_unit = next((unit_of[c] for c in capital if c in unit_of.index), None)
    f = flows[(flows["origin"] != ABROAD) & (flows["origin"] != flows["destination"])]
    f = f[~f["origin"].isin(cap)]

    def unit(p: str) -> str:
        if p == ABROAD:
            return ABROAD
        if p in cap and cap_unit is not None:
            return cap_unit
        return unit_of.get(p, p)

    f = f.assign(unit=f["destination"].map(unit))
    table = f.groupby(["year", "unit"])["true"].sum().astype("float64").unstack("unit", fill_value=0.0)
    return table.div(table.sum(axis=1).replace(0, np.nan), axis=0)
