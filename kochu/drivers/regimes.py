"""Historical regimes since 1989: one table of sourced national parameters by year.

:func:`build_regimes` returns a DataFrame indexed by year with these columns (the method for
each is in its docstring line below and, with the sources, in the returned ``sources`` dict):

``mobility_control``
    0..1, 1 = Soviet propiska enforced. Anchors in ``regime_anchors.csv``: 1 to 1988, 0.25 in
    1989 ("largely lifted" by perestroika, seed), 0 from 1992, 0 in 2013 (seed: no limits).
``farm_subsidy``
    0..1, Soviet farm subsidies (1) to 1991, withdrawn (0) from 1992 (seed).
``mining_jobs``
    0..1, share of the Soviet mining towns of ``mining_closures.csv`` whose mine/plant still
    operates (equal weights; closures 1992–2008 from ``shared/mining_towns.csv``).
``emigration_rate_slavic``
    per person-year departure rate of the European minorities (Russians as the reference
    group; Ukrainians, Belarusians and Germans left in the same wave). 1989–95 average =
    296 k Russian departures / 7 years / mean stock (918 k in 1990 minus half the departures);
    the year shape within 1989–95 follows UN WPP net migration (1989 held at 1990); 1999–2009
    = 1 − (1 − 0.304)^(1/10) from the census change of the Russian stock (−30.4%; an upper
    bound: it includes natural decrease); 1996–98 interpolated; carried forward after 2009.
``emigration_pressure_slavic``
    ``emigration_rate_slavic`` / its 1993 value (1993 = 1, the 120.6 k peak year).
``emigration_pressure_other``
    0..1 index of permanent emigration of the other groups: UN WPP net emigration minus the
    implied Slavic departures (rate × a stock depleted by those departures, 918 k in 1989),
    floored at 0, divided by its 1989–2015 maximum.
``labour_abroad_demand``
    index, 2009 = 1: stock temporarily absent at the censuses (≈55 k 1999, 330 k 2009), 0 in
    1991 (before independence moves to Russia were internal USSR moves), then scaled by
    remittances/GDP (21% 2010 → ≈30% from 2013); linear between anchors; held after 2013.
``registration_propensity``
    probability that a move is registered: 1.0 to 1991 (propiska obligatory), falling to the
    survey bound 0.68 (≥32% unregistered, seed) in proportion to the decline of registered
    moves 89 k (1991) → 38 k (1998) → the 1999–2009 plateau (36.4 k/yr); 0.68 afterwards.
``registered_moves``
    registered internal moves per year (89 k 1991, 38 k 1998, 36.4 k 1999–2009 mean);
    held outside the observed years.
``family_move_share``
    0..1 index of the 1990–94 whole-family relocation regime (seed): 1 in 1989–94, fading
    linearly in the seed's second stage (1994–99) to 0 in 1998, when registered moves (38 k)
    are back at their 1999–2009 plateau (36.4 k/yr).
``housing_supply_capital``
    index, 1989 = 1: formal housing capacity of Bishkek = census population not living in
    novostroiki; 2007 = (1 − 0.25) × 817 k / 616.6 k (World Bank 2007: novostroiki > ¼ of
    residents; census populations interpolated) → ≈0.99, 2012 = (874.4 k − 260 k squatters) /
    616.6 k → 0.996, i.e. formal supply stagnated to 2012; from 2013 it grows at the capital's
    observed 2009–15 population growth (1.347 %/yr; rule and sources in ``regime_anchors.csv``),
    so informal settlements do not absorb all later growth.
``housing_capacity_capital``
    ``housing_supply_capital`` × 616,586 (Bishkek 1989 census), persons.
``legalisation``
    0..1 legalisation wave intensity: 1 in 1991 (first novostroiki legalised) and 2003
    (Kalys-Ordo titles), 0 otherwise.

Years after the last observation carry the last value (never a trend; the one exception is the
capital's formal housing, whose documented growth rule is in ``regime_anchors.csv``); years
before 1989 hold the earliest value (the Soviet regime).

**Information-set cut** ``until`` (:func:`kochu.drivers.build_drivers`): anchors, series and
closures dated after ``until`` are not read, and the same carry-forward rule continues every
column from what was known then — e.g. with ``until=2009`` the labour-abroad index stays at its
2009 value (the 2010/2013 remittance anchors are unknown), the other-groups emigration index is
normalised by its 1989–2009 maximum, and the registration propensity, without the 2013 survey
bound, falls in proportion to registered moves (``p = moves / moves(1991)``, every fall of
registered moves read as falling registration).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kochu.drivers.sources import interp, read, series, series_source

REGIME_COLUMNS = (
    "mobility_control",
    "farm_subsidy",
    "mining_jobs",
    "emigration_pressure_slavic",
    "emigration_pressure_other",
    "emigration_rate_slavic",
    "labour_abroad_demand",
    "registration_propensity",
    "registered_moves",
    "family_move_share",
    "housing_supply_capital",
    "housing_capacity_capital",
    "legalisation",
)
_ANCHORED = ("mobility_control", "farm_subsidy", "family_move_share", "legalisation")


def _anchored(years: np.ndarray, column: str, until: int | None = None) -> tuple[np.ndarray, str]:
    df = read("regime_anchors.csv", until)
    rows = df[df["column"] == column].sort_values("year")
    s = rows.set_index("year")["value"].astype(float)
    text = "; ".join(f"{y}: {v:g} ({st}) {src}" for y, v, st, src in
                     zip(rows["year"], rows["value"], rows["status"], rows["source"], strict=True))
    return interp(years, s), f"regime_anchors.csv, linear between anchors, held outside: {text}"


def mining_open(closure_year: float, years: np.ndarray) -> np.ndarray:
    """1.0 while a mine operates (no closure year, or before it), else 0.0."""
    if np.isnan(closure_year):
        return np.ones(len(years))
    return (years < closure_year).astype(float)


def _mining(years: np.ndarray, until: int | None = None) -> tuple[np.ndarray, str]:
    mines = read("mining_closures.csv", until)
    open_ = np.array([mining_open(float(c), years) for c in mines["closure_year"]])
    text = ("share of the Soviet mining towns in mining_closures.csv whose mine/plant still "
            "operates (equal weights): " + "; ".join(
                f"{n} {'open' if np.isnan(c) else int(c)}" for n, c in
                zip(mines["name"], mines["closure_year"], strict=True))
            + " (sources per row in mining_closures.csv, from shared mining_towns.csv)")
    return open_.mean(axis=0), text


def _emigration(years: np.ndarray, until: int | None = None) -> dict[str, tuple[np.ndarray, str]]:
    un = -series("un_net_migration", until)
    stock0 = float(series("russians_stock").iloc[0])
    dep = float(series("russians_departures_1989_1995").iloc[0])
    change_s = series("russians_change_1999_2009", until)
    mean_rate_89_95 = dep / 7.0 / (stock0 - dep / 2.0)
    last = 2015 if until is None else min(2015, int(until))
    full = np.arange(1989, last + 1)  # computed on the observed span, held outside it
    shape = pd.Series(interp(np.arange(1989, 1996), un.loc[1990:1995]), index=range(1989, 1996))
    rate_early = mean_rate_89_95 * shape / shape.mean()
    anchors = rate_early
    rate_99_09 = float("nan")
    if not change_s.empty:  # the 1999-2009 census change (known from 2009): otherwise the 1995 rate holds
        rate_99_09 = 1.0 - (1.0 + float(change_s.iloc[0])) ** 0.1
        anchors = pd.concat([rate_early, pd.Series({1999: rate_99_09, 2009: rate_99_09})])
    rate = interp(full, anchors)
    peak = float(rate[full == 1993][0])
    stock = np.empty(len(full))
    s = stock0
    for i in range(len(full)):
        stock[i] = s
        s *= 1.0 - rate[i]
    slavic_departures = rate * stock
    net_all = interp(full, un)
    other = np.clip(net_all - slavic_departures, 0.0, None)
    other_index = other / other.max()

    def held(values: np.ndarray) -> np.ndarray:
        return interp(years, pd.Series(values, index=full))

    src_rate = (
        f"derived: 1989-95 mean rate {mean_rate_89_95:.4f}/yr = 296k Russian departures / 7 yr / "
        f"(918k - 148k); year shape from UN WPP net migration 1990-95 (1989 held at 1990); "
        f"1999-2009 rate {rate_99_09:.4f}/yr = 1-(1-0.304)^(1/10) (upper bound: includes natural "
        f"decrease); 1996-98 interpolated; carried forward after 2009. Sources: "
        + " | ".join(series_source(n) for n in (
            "russians_stock", "russians_departures_1989_1995", "russians_change_1999_2009",
            "departures_all", "un_net_migration"))
    )
    return {
        "emigration_rate_slavic": (held(rate), src_rate),
        "emigration_pressure_slavic": (held(rate) / peak, "emigration_rate_slavic / its 1993 value "
                                       f"({peak:.4f}/yr; 1993 = peak year, 120.6k departures). {src_rate}"),
        "emigration_pressure_other": (held(other_index), (
            "derived: (UN WPP net emigration - Slavic departures implied by emigration_rate_slavic "
            f"on a stock of 918k (1990) depleted by those departures), floored at 0, / its 1989-{last} "
            f"maximum; held after {last}. " + series_source("un_net_migration"))),
    }


def _labour_abroad(years: np.ndarray, until: int | None = None) -> tuple[np.ndarray, str]:
    absent = series("temporarily_absent")
    rem = series("remittances_gdp_share")
    base = float(absent.loc[2009])
    anchors = pd.Series({1991: 0.0, 1999: absent.loc[1999] / base, 2009: 1.0,
                         2010: 1.0, 2013: rem.loc[2013] / rem.loc[2010]})
    if until is not None:  # anchors observed after the cut are unknown (2009 = 1 is the index's scale)
        anchors = anchors[(anchors.index <= int(until)) | (anchors.index == 2009)]
        if int(until) < 2009:
            anchors = anchors[anchors.index <= int(until)]
    text = ("derived index (2009 = 1): 0 in 1991 (moves to Russia were internal USSR moves before "
            "independence), census stock temporarily absent 1999 (55k) / 2009 (330k), then x "
            "remittances/GDP relative to 2010 (0.30/0.21 from 2013); linear between anchors, "
            "held after 2013. " + series_source("temporarily_absent") + " | "
            + series_source("remittances_gdp_share"))
    return interp(years, anchors), text


def _registration(years: np.ndarray, until: int | None = None) -> dict[str, tuple[np.ndarray, str]]:
    reg = series("registered_moves", until)
    plateau = float(reg.loc[2004]) if 2004 in reg.index else float(reg.iloc[-1])
    survey = series("unregistered_share_min", until)
    moves = pd.Series({1991: reg.loc[1991], 1998: reg.loc[1998], 1999: plateau, 2009: plateau})
    if until is not None:
        moves = moves[moves.index <= max(int(until), 1998)]
    r = interp(years, moves)
    src_moves = ("registered moves per year: 1991 and 1998 reported, 1999-2009 mean derived "
                 "(400k / 11 yr); linear between, held outside. " + series_source("registered_moves"))
    if survey.empty:  # the survey bound is not known at the cut: proportional reading
        p = np.where(years <= 1991, 1.0, np.clip(r / float(reg.loc[1991]), 0.0, 1.0))
        src_p = (f"derived: 1.0 to 1991 (propiska obligatory, seed); then registered moves / 89k (1991), "
                 f"i.e. every fall of registered moves read as falling registration (the survey bound "
                 f"'>=32% unregistered' is not known by {until}); held after. " + src_moves)
        return {"registration_propensity": (p, src_p), "registered_moves": (r, src_moves)}
    bound = 1.0 - float(survey.iloc[0])
    p = bound + (1.0 - bound) * (r - plateau) / (float(reg.loc[1991]) - plateau)
    p = np.where(years <= 1991, 1.0, np.clip(p, bound, 1.0))
    src_p = (f"derived: 1.0 to 1991 (propiska obligatory, seed); then {bound:.2f} + "
             f"{1 - bound:.2f} x (registered moves - plateau) / (89k - plateau), i.e. the fall of "
             "registered moves 1991-1999 read as falling registration, reaching the survey bound "
             "(>=32% unregistered) when registered moves reach their 1999-2009 plateau; held after. "
             + series_source("unregistered_share_min") + " | " + src_moves)
    return {"registration_propensity": (p, src_p), "registered_moves": (r, src_moves)}


def _housing(years: np.ndarray, until: int | None = None) -> dict[str, tuple[np.ndarray, str]]:
    pop = series("bishkek_population", until)
    share_s = series("novostroiki_share_bishkek", until)
    share = float(share_s.iloc[0]) if not share_s.empty else 0.0
    base = float(pop.loc[1989])
    p2007 = float(interp(np.array([2007]), pop)[0])
    idx2007 = (1.0 - share) * p2007 / base
    anchors = read("regime_anchors.csv", until)
    a12 = anchors[anchors["column"] == "housing_supply_capital"]
    ag = anchors[anchors["column"] == "housing_supply_capital_growth"]
    points = {1989: 1.0, 2007: idx2007}
    later = "held after 2007"
    if not a12.empty:
        y12, idx2012 = int(a12["year"].iloc[0]), float(a12["value"].iloc[0])
        points[y12] = idx2012
        later = f"{y12} = {idx2012:.4f} ({a12['source'].iloc[0]}); held after {y12}"
    idx = interp(years, pd.Series(points))
    if not a12.empty and not ag.empty:  # the growth rule (known from the 2015 estimate)
        rate = float(ag["value"].iloc[0])
        after = years > y12
        idx[after] = idx2012 * (1.0 + rate) ** (years[after] - y12)
        later = (f"{y12} = {idx2012:.4f} ({a12['source'].iloc[0]}); after {y12} x (1 + {rate:.5f}) per "
                 f"year ({ag['source'].iloc[0]})")
    if share_s.empty:  # the 2007 novostroiki share is not known at the cut: capacity held at 1989
        idx, idx2007, later = np.ones(len(years)), 1.0, "held"
    text = (f"derived: formal capacity = Bishkek census population outside novostroiki; 1989 = 1 "
            f"(novostroiki begin 1989), 2007 = (1 - {share:g}) x {p2007:,.0f} / {base:,.0f} = "
            f"{idx2007:.4f}; linear between; {later}. " + series_source("bishkek_population") + " | "
            + series_source("novostroiki_share_bishkek"))
    return {"housing_supply_capital": (idx, text),
            "housing_capacity_capital": (idx * base, "housing_supply_capital x Bishkek 1989 "
                                         f"census population {base:,.0f}. {text}")}


def build_regimes(start: int, end: int, until: int | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The regime table for years ``start..end`` and a source/method text per column.

    ``until``: the information-set cut (only data dated ≤ ``until``; see the module docstring).
    """
    years = np.arange(start, end + 1)
    cols: dict[str, tuple[np.ndarray, str]] = {c: _anchored(years, c, until) for c in _ANCHORED}
    cols["mining_jobs"] = _mining(years, until)
    cols.update(_emigration(years, until))
    cols["labour_abroad_demand"] = _labour_abroad(years, until)
    cols.update(_registration(years, until))
    cols.update(_housing(years, until))
    frame = pd.DataFrame({c: cols[c][0] for c in REGIME_COLUMNS}, index=pd.Index(years, name="year"))
    return frame, {c: cols[c][1] for c in REGIME_COLUMNS}
