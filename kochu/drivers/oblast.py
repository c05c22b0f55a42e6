"""First-level (oblast) series by year: observed values, back-cast and carry-forward.

Values come from the atlas (``attributes.csv`` rows at oblast level) where it has the
attribute, otherwise from the drivers' own copy ``data/oblast_indicators.csv`` (same
sources). For each indicator, :func:`oblast_matrix` returns a (n_oblasts, n_years) table:

- **observed years**: the value; between observations: linear interpolation;
- **before an oblast's first observation** (most series start 2006–2011): the oblast keeps the
  *relative position* it had at its first observation, i.e. its deviation from the
  cross-oblast mean, ``x(t) = m(t) + g(t) · (x_first − m_first)``, where ``m(t)`` is the
  unweighted mean over the oblasts observed in ``t`` (held before the first year anyone is
  observed) and ``g(t)`` is the *gap factor*: 1 by default (hold), or ``gap_1989`` in 1989
  rising linearly to 1 at the first observation. The seed says the north–south gap "arose
  during Soviet rule and has been exacerbated since independence"; no source quantifies it,
  so ``gap_1989`` is a documented parameter (default 1.0) for calibration;
- **after the last observation** (2015 at the latest; nothing later exists by design): the
  same rule with ``g = 1``, which with ``m`` held equals carrying the last value forward;
- an oblast with no observation at all gets ``m(t)`` (stated in the source text).

With ``until`` (the information-set cut of :func:`kochu.drivers.build_drivers`), only values
dated ≤ ``until`` are read, from the atlas and from the drivers' own file alike; later years
follow the carry-forward rule above from the last value known then.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kochu.drivers.sources import read

# the drivers' indicator name -> attribute names accepted in an atlas (first found wins)
ATLAS_NAMES: dict[str, tuple[str, ...]] = {
    "water_safe_share": ("water_safe_share", "safe_water_share"),
    "sanitation_safe_share": ("sanitation_safe_share", "sanitation_share"),
    "manufacturing_employment_share": ("manufacturing_employment_share", "manufacturing_jobs_share"),
    "disaster_deaths": ("disaster_deaths", "hazard_deaths"),
}


def observations(atlas, indicator: str, oblasts: pd.DataFrame,
                 until: int | None = None) -> tuple[dict[str, pd.Series], str]:
    """Observed values by oblast name (Series by year; dated ≤ ``until`` if given) and the source text."""
    out: dict[str, pd.Series] = {}
    texts: list[str] = []
    att = getattr(atlas, "attributes", None)
    if att is not None and len(att):
        names = [n for n in ATLAS_NAMES.get(indicator, (indicator,)) if (att["attribute"] == n).any()]
        name = names[0] if names else indicator
        rows = att[(att["attribute"] == name) & att["place"].isin(oblasts.index) & att["year"].notna()]
        if until is not None:
            rows = rows[rows["year"] <= int(until)]
        for pid, g in rows.groupby("place", sort=False):
            out[oblasts.loc[pid, "name"]] = g.set_index(g["year"].astype(int))["value"].astype(float).sort_index()
        if len(rows):
            texts.append(f"atlas attributes.csv '{name}' ({'; '.join(rows['source'].astype(str).unique()[:3])})")
    own = read("oblast_indicators.csv", until)
    own = own[own["indicator"] == indicator]
    used = []
    for name in oblasts["name"]:
        if name in out:
            continue
        g = own[own["unit"] == name]
        if len(g):
            out[name] = g.set_index("year")["value"].astype(float).sort_index()
            used.append(name)
    if used:
        srcs = own[own["unit"].isin(used)]["source"].unique()
        texts.append(f"kochu/drivers/data/oblast_indicators.csv '{indicator}' for {', '.join(used)}: "
                     + " | ".join(srcs))
    return out, "; ".join(texts) if texts else f"no data for '{indicator}'"


def oblast_matrix(
    atlas, indicator: str, oblasts: pd.DataFrame, years: np.ndarray, gap_1989: float = 1.0,
    until: int | None = None,
) -> tuple[pd.DataFrame | None, str]:
    """Complete (oblast name × year) table of ``indicator`` by the module's rules.

    Returns ``(None, text)`` when no oblast has any observation (dated ≤ ``until`` if given).
    """
    obs, text = observations(atlas, indicator, oblasts, until)
    if not obs:
        return None, text
    want = years
    years = np.union1d(years, np.concatenate([s.dropna().index.to_numpy(int) for s in obs.values()]))
    names = list(oblasts["name"])
    yf = years.astype(float)
    inside = np.full((len(names), len(years)), np.nan)
    first: dict[str, int] = {}
    last: dict[str, int] = {}
    for k, name in enumerate(names):
        s = obs.get(name)
        s = None if s is None else s.dropna()
        if s is None or s.empty:
            continue
        first[name], last[name] = int(s.index.min()), int(s.index.max())
        span = (years >= first[name]) & (years <= last[name])
        inside[k, span] = np.interp(yf[span], s.index.to_numpy(float), s.to_numpy(float))
    seen = ~np.isnan(inside)
    counts = seen.sum(axis=0)
    m = np.where(counts > 0, np.nansum(inside, axis=0) / np.maximum(counts, 1), np.nan)
    ok = ~np.isnan(m)
    m = np.interp(yf, yf[ok], m[ok]) if ok.any() else np.zeros(len(years))
    out = inside.copy()
    for k, name in enumerate(names):
        if name not in first:
            out[k] = m
            continue
        f, la = first[name], last[name]
        fi, li = int(np.searchsorted(years, f)), int(np.searchsorted(years, la))
        before, after = years < f, years > la
        if before.any():
            t = yf[before]
            g = np.clip(gap_1989 + (1.0 - gap_1989) * (t - 1989.0) / max(f - 1989.0, 1.0), gap_1989, 1.0)
            g = np.where(t < 1989, gap_1989, g)
            out[k, before] = m[before] + g * (inside[k, fi] - m[fi])
        if after.any():
            out[k, after] = inside[k, li] + (m[after] - m[li])
    missing = [n for n in names if n not in first]
    rule = (f"observed years as given, linear between; before the first observation the oblast's "
            f"deviation from the cross-oblast mean is held (gap factor {gap_1989:g} in 1989 → 1); "
            "after the last observation the last value is carried forward")
    if missing:
        rule += f"; no data for {', '.join(missing)}: cross-oblast mean used"
    table = pd.DataFrame(out[:, np.searchsorted(years, want)], index=names, columns=want)
    return table, f"{text}. Method: {rule}"
