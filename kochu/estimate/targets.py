"""Calibration targets (each with its source) and the matching model outputs.

A target is one observed number with a relative error scale ``sigma``; the calibration loss
is ``sum ((log(fitted / observed)) / sigma) ** 2``. Population targets are oblast **shares**
of the national population (the level is set by the sourced vital rates, not by behaviour),
plus the national totals themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kochu.projection.model import ProjectionResult

SEED = "seed ../shared/seed/000_0a698f04e912d04a.txt (Voices from Central Asia No. 9, 2013)"
REGISTERED = "registered_internal_migration.csv: Mkrtchyan & Sarygulov 2011, demoscope.ru/weekly/2011/0481/tema05.php"
#: what the survey's shares are compared with (the targets' description)
INTENTION = (
    "Compared with the share of the destination among moves BETWEEN first-level units (oblasts, "
    "Bishkek, Osh city), excluding moves within the destination unit: the survey's 'potential "
    "migrants' (42% Bishkek, 30% abroad, 13% Chui) name a region or abroad, i.e. they think of "
    "leaving their district/region, not of the short moves within a rayon that make up most "
    "simulated moves (all moves: Bishkek ~7-10%; moves leaving the rayon: ~15-19%; between "
    "oblasts: ~50% in 2011-12). Window 2011-12, not 2010: the June 2010 Osh displacement "
    "(~300 k internal forced moves and returns) is not a destination choice and would make "
    "up most 2010 inter-oblast moves (Bishkek share 0.10 in 2010 vs 0.50 in 2011)."
)
EMIGRATION = "international_migration_1989_2015.csv / README: net -339,600 in 1989-94 (7.5% of the population)"


@dataclass(frozen=True)
class Target:
    """One observed number the model should reproduce."""

    name: str
    kind: str  # share | national | registered | emigration | capital | informal | intention | mining
    year: int  # last year the target depends on (for --train-until)
    observed: float
    sigma: float  # relative error scale (log units)
    source: str
    unit: str = ""  # oblast id for shares, destination for intentions
    first: int = 0  # first year of a window
    measure: str = "de_facto"  # population count: de_facto (present) or permanent (de jure)


def population_targets(atlas, years=((1999, "de_facto"), (2009, "de_facto"), (2012, "permanent"),
                                     (2015, "permanent"))) -> list[Target]:
    """Oblast shares and national totals from the atlas (censuses 1999/2009, estimates 2012/2015)."""
    out: list[Target] = []
    oblasts = atlas.level("oblast")
    country = atlas.level("country").index[0]
    from kochu.errors import AtlasError

    for year, measure in years:
        try:
            pop = atlas.population(year, measure, "oblast")
        except AtlasError:  # the atlas lacks this count: not a target
            continue
        total = float(pop.sum())
        rows = atlas.populations
        src = rows[(rows["year"] == year) & (rows["measure"] == measure) & rows["place"].isin(pop.index)]
        source = str(src["source"].iloc[0])[:160] if len(src) else "atlas populations.csv"
        sigma = 0.02 if measure == "de_facto" else 0.03
        for oid, value in pop.items():
            out.append(Target(f"share {oblasts.loc[oid, 'name']} {year}", "share", year, float(value) / total,
                              sigma, f"atlas populations.csv ({measure}): {source}", unit=str(oid), measure=measure))
        out.append(Target(f"population Kyrgyzstan {year}", "national", year, total, 0.03,
                          f"atlas populations.csv ({measure}, sum of first-level units; {country})", measure=measure))
    return out


def fixed_targets(capital_unit: str) -> list[Target]:
    """The non-census targets of issue 5 (registered moves, emigration, capital, novostroiki, intentions)."""
    return [
        Target("registered moves 1991", "registered", 1991, 89_000, 0.05, REGISTERED, first=1991),
        Target("registered moves 1998", "registered", 1998, 38_000, 0.05, REGISTERED, first=1998),
        Target("registered moves per year 1999-2009", "registered", 2009, 400_000 / 11, 0.05, REGISTERED,
               first=1999),
        Target("net emigration 1989-94", "emigration", 1994, -339_600, 0.05, EMIGRATION, first=1989),
        Target("Bishkek population 2013", "capital", 2013, 1_000_000, 0.10, SEED + ": 'population of one million'",
               unit=capital_unit),
        Target("Bishkek share 2013", "capital_share", 2013, 0.20, 0.10, SEED + ": 'nearly 20 percent'",
               unit=capital_unit),
        Target("novostroiki population 2013", "informal", 2013, 300_000, 0.25,
               SEED + ": 'approximately 300,000 inhabitants' (260 k mayor's office 2012; 400 k UNCERTAIN)"),
        Target("movers choosing Bishkek 2011-12 (between oblasts)", "intention", 2012, 42 / 70, 0.20,
               SEED + ": 42% Bishkek, 30% abroad, 13% Chui -> 42/70 of internal choices. " + INTENTION,
               unit=capital_unit, first=2011),
        Target("movers choosing Chuy 2011-12 (between oblasts)", "intention", 2012, 13 / 70, 0.25,
               SEED + ": 13% Chui of all potential migrants -> 13/70 of internal choices. " + INTENTION,
               unit="chuy", first=2011),
    ]


def mining_places(atlas) -> pd.Index:
    """Settlements the atlas types as mining towns (``town_type`` = ``mining``)."""
    pl = atlas.places
    return pl.index[(pl["level"] == "settlement") & (pl["town_type"] == "mining")] if "town_type" in pl else pl.index[:0]


def mining_targets(atlas, years: tuple[int, ...] = (1999, 2009)) -> list[Target]:
    """The atlas's mining towns together, present population in ``year`` relative to 1989
    (censuses; the seed's depopulating mining towns as a number, not only a sign)."""
    from kochu.errors import AtlasError

    towns = mining_places(atlas)
    if len(towns) == 0:
        return []
    out = []
    try:
        base = float(atlas.population(1989, "de_facto", "settlement").reindex(towns).sum())
    except AtlasError:
        return []
    for year in years:
        try:
            now = float(atlas.population(year, "de_facto", "settlement").reindex(towns).sum())
        except AtlasError:
            continue
        if base > 0 and now > 0:
            out.append(Target(f"mining towns {year} / 1989", "mining", year, now / base, 0.10,
                              f"atlas populations.csv (de facto censuses 1989/{year}) of the {len(towns)} settlements "
                              "with town_type mining (../shared/data/mining_towns.csv)", first=1989))
    return out


def all_targets(atlas, train_until: int | None = None) -> list[Target]:
    """Every target whose years are ≤ ``train_until`` (all when ``None``)."""
    st = atlas.settlements
    caps = st.index[st["kind"] == "capital"]
    cap_unit = str(st.loc[caps[0], "oblast_id"]) if len(caps) else ""
    ts = population_targets(atlas) + fixed_targets(cap_unit) + mining_targets(atlas)
    units = set(atlas.level("oblast").index)
    ts = [t for t in ts if t.kind not in ("intention", "capital", "capital_share") or t.unit in units]
    return [t for t in ts if train_until is None or t.year <= train_until]


class Outputs:
    """Model outputs in the targets' terms, from a projection of settlements.

    ``permanent`` (T + 1, n): the permanent (de jure) population by place
    (:func:`kochu.projection.dejure.permanent_population`); targets counted that way use it.
    """

    def __init__(self, atlas, result: ProjectionResult, permanent: np.ndarray | None = None) -> None:
        self.res = result
        self.permanent = permanent
        info = atlas.places.loc[result.places]
        self.unit = info["oblast_id"].astype(str).to_numpy()
        self.informal = (info["kind"] == "informal").to_numpy()
        self.mining = np.isin(np.asarray(result.places), np.asarray(mining_places(atlas)))
        self.units = list(atlas.level("oblast").index)

    def by_unit(self, year: int, measure: str = "de_facto") -> pd.Series:
        """Population (present, or ``permanent``) by first-level unit on 1 January ``year``."""
        pop = self.res.at(year)
        if measure == "permanent" and self.permanent is not None:
            pop = self.permanent[int(np.flatnonzero(self.res.years == year)[0])]
        return pd.Series({u: pop[self.unit == u].sum() for u in self.units})

    def value(self, t: Target) -> float:
        """The model's value for target ``t``."""
        r = self.res
        k = lambda y: int(y - r.years[0])  # noqa: E731 — index of year y's flows
        if t.kind == "share":
            pop = self.by_unit(t.year, t.measure)
            return float(pop[t.unit] / pop.sum())
        if t.kind == "national":
            return float(self.by_unit(t.year, t.measure).sum())
        if t.kind == "registered":
            years = range(t.first, t.year + 1)
            return float(np.mean([np.nansum(r.registered[k(y)]) for y in years]))
        if t.kind == "emigration":
            return float(sum(r.international[k(y)].sum() for y in range(t.first, t.year + 1)))
        if t.kind == "capital":
            return float(self.by_unit(t.year)[t.unit])
        if t.kind == "capital_share":
            pop = self.by_unit(t.year)
            return float(pop[t.unit] / pop.sum())
        if t.kind == "informal":
            return float(r.at(t.year)[self.informal].sum())
        if t.kind == "intention":  # share among moves between first-level units (see INTENTION)
            flows = sum(r.flows[k(y)] for y in range(t.first, t.year + 1))
            into = flows[:, self.unit == t.unit].sum() - flows[np.ix_(self.unit == t.unit, self.unit == t.unit)].sum()
            inter = flows.sum() - sum(flows[np.ix_(self.unit == u, self.unit == u)].sum() for u in self.units)
            return float(into / inter) if inter > 0 else 0.0
        if t.kind == "mining":
            base = float(r.at(t.first)[self.mining].sum())
            return float(r.at(t.year)[self.mining].sum() / base) if base > 0 else 0.0
        raise ValueError(f"unknown target kind {t.kind!r}")


def residuals(targets: list[Target], out: Outputs) -> np.ndarray:
    """Standardised log errors ``log(fitted / observed) / sigma`` (sign-safe for negatives)."""
    r = []
    for t in targets:
        f = out.value(t)
        ratio = f / t.observed if t.observed != 0 else np.nan
        r.append(np.log(max(ratio, 1e-6)) / t.sigma)
    return np.array(r)


def fit_table(targets: list[Target], out: Outputs) -> pd.DataFrame:
    """``target, observed, fitted, error`` (relative error) + kind, year, sigma, source."""
    rows = []
    for t in targets:
        f = out.value(t)
        rows.append({"target": t.name, "kind": t.kind, "year": t.year, "observed": t.observed, "fitted": f,
                     "error": f / t.observed - 1.0, "sigma": t.sigma, "source": t.source})
    return pd.DataFrame(rows)
