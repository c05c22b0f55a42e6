"""Particular places: novostroiki (informal settlements) and the fates of towns.

- **novostroiki**: ``population`` of ``informal`` settlements; ``without_services`` and
  ``share_without_services``. A novostroika has services (roads, power, water, gas, sewage,
  schools, clinics — the seed's list) when its atlas legal status is ``legal`` (from its
  founding) or ``legalised`` (from its legalisation year, taken as in ``kochu.drivers``:
  max(1991, founded + 1) — 1991 for the first squats of 1989–91, 2003 for Kalys-Ordo);
  ``illegal`` ones never have them (the seed: "the illegal status ... prevents the
  settlement from legally acquiring basic services"). A legalisation scenario passes the
  year each place was legalised with services, which applies from that year on.
- **town fates** (the seed's typology): towns are settlements of kind ``city`` or ``town``;
  ``growth.<town_type>`` = population of that type's towns / the same towns in the base year
  − 1; ``town_growth.<id>`` the same per town; ``depopulating_count`` = towns below their
  base-year population. :func:`depopulating_towns` lists them.
"""

from __future__ import annotations

import pandas as pd

from kochu.indicators.common import group_sum, safe_div

TOWN_KINDS = ("city", "town")


def serviced_table(
    settlements: pd.DataFrame, years: pd.Index, legalised: dict[str, int] | None = None
) -> pd.DataFrame:
    """Year × informal-settlement boolean table: does the place have services that year."""
    inf = settlements[settlements["kind"] == "informal"]
    founded = pd.to_numeric(inf.get("founded", pd.Series(index=inf.index, dtype=float)), errors="coerce")
    since = {}
    for pid in inf.index:
        status, f = inf.at[pid, "legal_status"], founded.get(pid)
        if status == "legal":
            since[pid] = 0 if pd.isna(f) else int(f)
        elif status == "legalised":
            since[pid] = 1991 if pd.isna(f) else max(1991, int(f) + 1)
    table = pd.DataFrame(
        {pid: [pid in since and y >= since[pid] for y in years] for pid in inf.index}, index=years
    )
    for pid, year in (legalised or {}).items():
        if pid in table.columns:
            table.loc[table.index >= year, pid] = True
    return table


def novostroiki(jan: pd.DataFrame, serviced: pd.DataFrame) -> pd.DataFrame:
    """Year × {population, without_services, share_without_services}."""
    ids = list(serviced.columns)
    pop = group_sum(jan, ids)
    cols = [c for c in ids if c in jan.columns]
    unserved = (jan[cols] * (~serviced.reindex(jan.index)[cols]).astype("float64")).sum(axis=1)
    return pd.DataFrame(
        {
            "population": pop,
            "without_services": unserved,
            "share_without_services": safe_div(unserved, pop),
        }
    )


def towns(settlements: pd.DataFrame) -> pd.DataFrame:
    """The settlements counted as towns (kind city or town), with their type."""
    return settlements[settlements["kind"].isin(TOWN_KINDS)]


def town_fates(jan: pd.DataFrame, settlements: pd.DataFrame) -> pd.DataFrame:
    """Year × {growth.<town_type>…, depopulating_count} relative to the first year."""
    t = towns(settlements)
    t = t[t.index.isin(jan.columns)]
    base = jan.iloc[0]
    out: dict[str, pd.Series] = {}
    for kind, group in t.groupby("town_type", sort=True):
        ids = list(group.index)
        out[f"growth.{kind}"] = safe_div(group_sum(jan, ids), float(base[ids].sum())) - 1.0
    if len(t):
        below = jan[list(t.index)].lt(base[list(t.index)], axis=1)
        out["depopulating_count"] = below.sum(axis=1).astype("float64")
    return pd.DataFrame(out, index=jan.index)


def town_growth(jan: pd.DataFrame, settlements: pd.DataFrame) -> pd.DataFrame:
    """Year × town id: population / base-year population − 1."""
    ids = [i for i in towns(settlements).index if i in jan.columns]
    base = jan.iloc[0][ids].replace(0, float("nan"))
    return jan[ids] / base - 1.0


def depopulating_towns(jan: pd.DataFrame, settlements: pd.DataFrame, year: int) -> pd.DataFrame:
    """Towns smaller in ``year`` than in the base year: id, name, town_type, populations,
    growth — most shrunken first."""
    t = towns(settlements)
    ids = [i for i in t.index if i in jan.columns]
    first, now = jan.iloc[0][ids], jan.loc[year, ids]
    df = pd.DataFrame(
        {
            "name": t.loc[ids, "name"],
            "town_type": t.loc[ids, "town_type"],
            "population_base": first,
            "population": now,
            "growth": now / first.replace(0, float("nan")) - 1.0,
        }
    )
    df.index.name = "place"
    return df[df["population"] < df["population_base"]].sort_values(["growth", "place"])
