"""Scenarios side by side: values, differences vs the baseline, replicate bands.

Input: one indicator table per scenario (``year, indicator, value``, plus ``seed`` when the
scenario ran several replicates). With common random numbers every scenario runs the same
seeds, so differences are taken **per seed** (a scenario's replicate minus the baseline's
replicate with the same seed) before they are summarised; a seed the baseline lacks is
compared with the baseline's mean.

Output (long, one row per scenario × year × indicator), sorted by scenario (baseline
first, then in the given order), indicator, year:

| column | meaning |
|---|---|
| ``scenario, year, indicator`` | keys |
| ``value`` | mean over replicates |
| ``baseline`` | the baseline's mean |
| ``difference`` | mean of per-seed differences (``value − baseline`` for one replicate) |
| ``value_lo, value_hi`` | 5 % and 95 % quantiles over replicates (= value with one) |
| ``difference_lo, difference_hi`` | 5 % and 95 % quantiles of the per-seed differences |
| ``replicates`` | number of replicates |
"""

from __future__ import annotations

import pandas as pd

from kochu.errors import KochuError

#: quantiles of the uncertainty bands
BAND = (0.05, 0.95)
KEYS = ["year", "indicator"]
COLUMNS = [
    "scenario", "year", "indicator", "value", "baseline", "difference",
    "value_lo", "value_hi", "difference_lo", "difference_hi", "replicates",
]


def _with_seed(df: pd.DataFrame, name: str) -> pd.DataFrame:
    missing = {"year", "indicator", "value"} - set(df.columns)
    if missing:
        raise KochuError(f"indicator table of '{name}': missing columns {sorted(missing)}")
    out = df if "seed" in df.columns else df.assign(seed=0)
    return out[["seed", "year", "indicator", "value"]]


def _summary(df: pd.DataFrame, col: str) -> pd.DataFrame:
    g = df.groupby(KEYS, sort=True)[col]
    return pd.DataFrame(
        {
            col: g.mean(),
            f"{col}_lo": g.quantile(BAND[0]),
            f"{col}_hi": g.quantile(BAND[1]),
            "replicates": g.size().astype("int64"),
        }
    )


def compare(indicator_tables: dict[str, pd.DataFrame], baseline: str) -> pd.DataFrame:
    """Side-by-side comparison of scenarios against ``baseline`` (see the module docstring)."""
    if baseline not in indicator_tables:
        known = ", ".join(indicator_tables) or "none"
        raise KochuError(f"baseline '{baseline}' is not among the scenarios compared ({known})")
    base = _with_seed(indicator_tables[baseline], baseline)
    base_mean = base.groupby(KEYS, sort=True)["value"].mean().rename("baseline")
    base_by_seed = base.set_index(["seed", *KEYS])["value"].rename("base_seed")
    order = [baseline, *[n for n in indicator_tables if n != baseline]]
    parts = []
    for name in order:
        df = _with_seed(indicator_tables[name], name)
        df = df.join(base_by_seed, on=["seed", *KEYS]).join(base_mean, on=KEYS)
        df["difference"] = df["value"] - df["base_seed"].fillna(df["baseline"])
        vals = _summary(df, "value")
        diffs = _summary(df, "difference").drop(columns="replicates")
        out = vals.join(diffs).join(base_mean).reset_index()
        out.insert(0, "scenario", name)
        parts.append(out)
    result = pd.concat(parts, ignore_index=True)[COLUMNS]
    return result.astype({"year": "int64", "replicates": "int64"})


def side_by_side(comparison: pd.DataFrame, column: str = "value") -> pd.DataFrame:
    """Wide view: one row per (year, indicator), one column per scenario (scenario order kept)."""
    order = list(dict.fromkeys(comparison["scenario"]))
    wide = comparison.pivot_table(index=KEYS, columns="scenario", values=column, sort=True)
    return wide.reindex(columns=order)


#: indicator families left out of the headline table (one row per settlement)
PER_PLACE = ("net_migration_rate.place.", "town_fates.town_growth.")


def headline(comparison: pd.DataFrame, year: int) -> pd.DataFrame:
    """One year, national and first-level indicators only, one row per indicator: the
    baseline's value, then per scenario its value, difference and difference band."""
    c = comparison[(comparison["year"] == year) & ~comparison["indicator"].str.startswith(PER_PLACE)]
    order = list(dict.fromkeys(c["scenario"]))
    if not order:
        return pd.DataFrame()
    wide = c.pivot_table(index="indicator", columns="scenario",
                         values=["value", "difference", "difference_lo", "difference_hi"], sort=True)
    out = pd.DataFrame({order[0]: wide[("value", order[0])]})
    for name in order[1:]:
        out[name] = wide[("value", name)]
        out[f"{name}_diff"] = wide[("difference", name)]
        out[f"{name}_diff_lo"] = wide[("difference_lo", name)]
        out[f"{name}_diff_hi"] = wide[("difference_hi", name)]
    return out
