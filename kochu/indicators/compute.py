"""``compute(tables, atlas)``: every yearly indicator of one run as a long table.

Indicator names (``family.key[.subkey]``; ``<unit>`` = first-level name, ``<id>`` = place id):

| indicator | unit | module |
|---|---|---|
| ``population.total`` | people present, 1 January | here |
| ``primacy.capital_share``, ``primacy.capital_to_second_city`` | fraction, ratio | balance |
| ``balance.theil_settlements``, ``balance.cv_settlements`` | index | balance |
| ``balance.theil_oblast_density``, ``balance.cv_oblast_density`` (atlas areas needed) | index | balance |
| ``border.population``, ``border.share``, ``border.density_per_km2`` (area needed) | people, fraction, /km² | balance |
| ``capital.population``, ``capital.capacity_index``, ``capital.pressure`` | people, index (1989 = 1) | balance |
| ``novostroiki.population``, ``.without_services``, ``.share_without_services`` | people, fraction | places |
| ``town_fates.growth.<town_type>``, ``town_fates.depopulating_count``, ``town_fates.town_growth.<id>`` | fraction, count | places |
| ``net_migration_rate.place.<id>``, ``net_migration_rate.oblast.<unit>`` | per 1,000 | migration |
| ``departures.oblast.<unit>``, ``arrivals.oblast.<unit>`` | people per year | migration |
| ``direction.<direction>.forward/.reverse/.net/.share_of_moves`` | people, fraction | migration |
| ``registration.gap``, ``registration.gap.<unit>``, ``registration.unregistered_share`` | fraction | migration |
| ``destination_share.<unit or abroad>`` | fraction of moves from outside the capital | migration |
| ``intention_share.<destination>`` (only if the run has an ``intentions`` table) | fraction | here |

Each module's docstring defines its indicators precisely.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import pandas as pd

from kochu.indicators import balance as B
from kochu.indicators import migration as M
from kochu.indicators import places as P
from kochu.indicators.common import (
    capital_ids,
    flag,
    frame_rows,
    group_sum,
    january,
    long,
    series_rows,
)


def _static_attribute(atlas: Any, name: str) -> pd.Series:
    att = getattr(atlas, "attributes", None)
    if att is None or att.empty or name not in set(att["attribute"]):
        return pd.Series(dtype="float64")
    rows = att[(att["attribute"] == name) & att["year"].isna()]
    return rows.set_index("place")["value"].astype("float64")


def second_city(jan: pd.DataFrame, settlements: pd.DataFrame, capital: list[str]) -> list[str]:
    """The most populous ``city`` outside the capital in the first year (Osh in Kyrgyzstan)."""
    cities = settlements[(settlements["kind"] == "city") & ~settlements.index.isin(capital)]
    ids = [c for c in cities.index if c in jan.columns]
    if not ids:
        return []
    return [str(jan.iloc[0][ids].idxmax())]


def unit_areas(atlas: Any) -> pd.Series:
    """First-level unit name → area (km²): the unit's own ``area_km2`` or, when every one of
    its rayons has one, their sum. Units without (Bishkek and Osh city in Kyrgyzstan) are left
    out of the density indicators."""
    area = _static_attribute(atlas, "area_km2")
    places = atlas.places
    out: dict[str, float] = {}
    for pid, row in places[places["level"] == "oblast"].iterrows():
        if pid in area.index:
            out[row["name"]] = float(area[pid])
            continue
        rayons = places.index[(places["parent"] == pid) & (places["level"] == "rayon")]
        if len(rayons) and rayons.isin(area.index).all():
            out[row["name"]] = float(area[rayons].sum())
    return pd.Series(out, dtype="float64")


def border_rayons(atlas: Any) -> tuple[list[str], float | None]:
    """Settlements of the rayons wholly in the border area that have an ``area_km2``, and the
    rayons' total area (``None`` when no such rayon)."""
    area = _static_attribute(atlas, "area_km2")
    s = atlas.settlements
    by_rayon = flag(s["border"]).groupby(s["rayon_id"]).min()
    rayons = [r for r in by_rayon.index[by_rayon == 1] if r in area.index]
    if not rayons:
        return [], None
    return list(s.index[s["rayon_id"].isin(rayons)]), float(area[rayons].sum())


def compute(
    tables: dict[str, pd.DataFrame],
    atlas: Any,
    *,
    legalised: dict[str, int] | None = None,
    added_capacity: pd.Series | None = None,
    place_rates: bool = True,
) -> pd.DataFrame:
    """All indicators of one run: a long table ``year, indicator, value`` sorted by name, year.

    ``tables``: ``population`` and ``flows`` (required), ``events`` and ``intentions``
    (optional). ``legalised``: novostroika id → year it was legalised with services (from a
    scenario); ``added_capacity``: year → people housed by new formal capacity in the capital
    (cumulative). ``place_rates=False`` skips the per-settlement rates and growth (smaller).
    """
    s = atlas.settlements
    jan = january(tables["population"]).reindex(columns=[c for c in s.index])
    jan = jan.loc[:, jan.notna().any()].fillna(0.0)
    flows = tables["flows"]
    unit_of = s["oblast"]
    cap = capital_ids(s)
    border = list(s.index[flag(s["border"]) == 1])

    rows = series_rows("population.total", jan.sum(axis=1))
    rows += frame_rows("primacy", B.primacy(jan, cap, second_city(jan, s, cap)))
    rows += frame_rows("balance", B.settlement_balance(jan))
    areas = unit_areas(atlas)
    jan_units = M.units_january(jan, unit_of)
    if len(areas) >= 2:
        rows += frame_rows("balance", B.oblast_balance(jan_units, areas))
    rows += frame_rows("border", B.border_areas(jan, border, None))
    in_rayons, km2 = border_rayons(atlas) if "rayon_id" in s.columns else ([], None)
    if km2:
        rows += series_rows("border.density_per_km2", group_sum(jan, in_rayons) / km2)
    rows += frame_rows("capital", B.capital_pressure(group_sum(jan, cap), added_capacity))
    serviced = P.serviced_table(s, jan.index, legalised)
    if serviced.shape[1]:
        rows += frame_rows("novostroiki", P.novostroiki(jan, serviced))
    rows += frame_rows("town_fates", P.town_fates(jan, s))
    if place_rates:
        rows += frame_rows("town_fates.town_growth", P.town_growth(jan, s))
        rate = M.net_migration_rate(M.net_migration(flows), jan)
        rows += frame_rows("net_migration_rate.place", rate)
    rows += frame_rows(
        "net_migration_rate.oblast", M.net_migration_rate(M.net_migration(flows, unit_of), jan_units)
    )
    dep, arr = M.departures_arrivals(flows, unit_of)
    rows += frame_rows("departures.oblast", dep) + frame_rows("arrivals.oblast", arr)
    if importlib.util.find_spec("kochu.flows.directions") is not None:
        rows += frame_rows("direction", M.directions(flows, s))
    rows += frame_rows("registration", M.registration_gap(flows, unit_of))
    if "events" in tables:
        rows += series_rows("registration.unregistered_share", M.unregistered_share(tables["events"]))
    rows += frame_rows("destination_share", M.destination_shares(flows, unit_of, cap))
    if "intentions" in tables:
        it = tables["intentions"].pivot_table(index="year", columns="destination", values="share")
        rows += frame_rows("intention_share", it)
    out = long(rows)
    return out.sort_values(["indicator", "year"], kind="stable").reset_index(drop=True)
