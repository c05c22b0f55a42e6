"""The seed's facts (issue 4's must-show list) as calibration constraints on a simulation.

Each fact is a number computed from an agent-based run's results and a rule it must satisfy
(``ok``). :func:`fact_penalties` turns the rules into hinge residuals (zero when a fact holds,
growing with the violation) so that a calibration can keep them:

* internal migration 1989–2009 between first-level units: Bishkek and Chuy net gainers
  (≥ 0), Naryn, Talas and Batken net losers (≤ 0) — seed: "Bishkek and Chui the only net
  gainers"; Naryn, Talas, Batken losing;
* the 1990–94 inter-regional peak: mean inter-oblast moves 1990–94 above 1995–99;
* at least a third of internal moves unregistered 1999–2009 (seed: "at least a third"),
  more among moves to Bishkek, Osh city and the novostroiki than elsewhere;
* mining towns shrinking 1989 → 2009.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

GAINERS = ("bishkek", "chuy")
LOSERS = ("naryn", "talas", "batken")
UNREGISTERED_MIN = 1 / 3
MARGIN = 5_000.0  # people: gainers' penalty starts below +MARGIN, losers' above -MARGIN
WINDOW = (1989, 2009)  # years whose flows count (1 Jan 1989 .. 31 Dec 2009)


@dataclass(frozen=True)
class Fact:
    """One fact: its value, the rule, whether the run satisfies it, the hinge residual."""

    name: str
    value: float
    rule: str
    ok: bool
    penalty: float  # standardised violation (0 when ok)


def _unit_index(atlas, res) -> tuple[np.ndarray, list[str]]:
    """First-level unit id of each simulated place (same order as the flow matrices)."""
    ids = list(res.world.ids)
    unit = atlas.places.loc[ids, "oblast_id"].astype(str).to_numpy()
    return unit, list(atlas.level("oblast").index)


def _sum_flows(mats: dict[int, np.ndarray], n: int, years: range) -> np.ndarray:
    tot = np.zeros((n, n))
    for y in years:
        if y in mats:
            tot += mats[y][:n, :n]
    np.fill_diagonal(tot, 0.0)
    return tot


def net_internal_by_unit(atlas, res, first: int = WINDOW[0], last: int = WINDOW[1]) -> pd.Series:
    """Net internal migration (in − out, people, national scale) by first-level unit."""
    unit, units = _unit_index(atlas, res)
    n = len(unit)
    f = _sum_flows(res.true_flows, n, range(first, last + 1)) / res.scale
    out = {}
    for u in units:
        s = unit == u
        out[u] = float(f[~s][:, s].sum() - f[s][:, ~s].sum())
    return pd.Series(out)


def inter_unit_moves(atlas, res) -> pd.Series:
    """True moves between first-level units per year (national scale)."""
    unit, _ = _unit_index(atlas, res)
    n = len(unit)
    diff = unit[:, None] != unit[None, :]
    return pd.Series({y: float(m[:n, :n][diff].sum()) / res.scale for y, m in sorted(res.true_flows.items())})


def unregistered_shares(atlas, res, first: int = 1999, last: int = 2009) -> tuple[float, float, float]:
    """Unregistered share of internal moves (all, to Bishkek/Osh city/novostroiki, elsewhere)."""
    ids = list(res.world.ids)
    n = len(ids)
    years = range(first, last + 1)
    t = _sum_flows(res.true_flows, n, years)
    r = _sum_flows(res.reg_flows, n, years)
    info = atlas.places.loc[ids]
    big = (info["kind"].isin(["capital", "informal"]) | (pd.Index(ids) == "s_osh")).to_numpy()

    def share(mask: np.ndarray) -> float:
        tt = t[:, mask].sum()
        return float(1 - r[:, mask].sum() / tt) if tt > 0 else 0.0

    return share(np.ones(n, bool)), share(big), share(~big)


def mining_change(atlas, res, first: int = 1989, last: int = 2009) -> float:
    """Relative change of the mining towns' present population ``first`` → ``last``."""
    st = atlas.settlements
    mines = [m for m in st.index[st.get("town_type", pd.Series(index=st.index, dtype=object)) == "mining"]]
    pos = {p: k for k, p in enumerate(res.world.ids)}
    idx = [pos[m] for m in mines if m in pos]
    if not idx:
        return 0.0
    a = float(res.stocks[(first, 1)][0][idx].sum())
    b = float(res.stocks[(last, 1)][0][idx].sum())
    return b / a - 1 if a > 0 else 0.0


def sim_facts(atlas, res) -> list[Fact]:
    """Every fact of the seed on a simulation's results (``Results`` of :mod:`kochu.sim`)."""
    facts: list[Fact] = []
    net = net_internal_by_unit(atlas, res)
    names = atlas.places["name"]
    scale = 20_000.0  # a violation of 20 k people over 21 years = 1 standard unit
    for u, v in net.items():
        # the penalty keeps a margin (sampling noise at small scales must not flip a fact)
        if u in GAINERS:
            facts.append(Fact(f"net internal gain {names[u]} 1989-2009", v, "≥ 0", v >= 0,
                              max(0.0, MARGIN - v) / scale))
        elif u in LOSERS:
            facts.append(Fact(f"net internal gain {names[u]} 1989-2009", v, "≤ 0", v <= 0,
                              max(0.0, v + MARGIN) / scale))
        else:
            facts.append(Fact(f"net internal gain {names[u]} 1989-2009", v, "≤ 0 (only Bishkek, Chuy gain)",
                              v <= 0, max(0.0, v) / scale))
    inter = inter_unit_moves(atlas, res)
    peak = float(inter.loc[1990:1994].mean()) if len(inter.loc[1990:1994]) else 0.0
    later = float(inter.loc[1995:1999].mean()) if len(inter.loc[1995:1999]) else 0.0
    ratio = peak / later if later > 0 else float("inf")
    facts.append(Fact("inter-oblast moves 1990-94 / 1995-99", ratio, "> 1 (peak then decline)", ratio > 1,
                      max(0.0, np.log(1.1) - np.log(max(ratio, 1e-6))) / 0.1))
    allu, big, other = unregistered_shares(atlas, res)
    facts.append(Fact("unregistered share of internal moves 1999-2009", allu, "≥ 1/3", allu >= UNREGISTERED_MIN,
                      max(0.0, UNREGISTERED_MIN - allu) / 0.02))
    facts.append(Fact("unregistered share to Bishkek/Osh/novostroiki minus elsewhere", big - other, "> 0",
                      big > other, max(0.0, other - big) / 0.02))
    mc = mining_change(atlas, res)
    facts.append(Fact("mining towns 1989-2009 (relative change)", mc, "< 0", mc < 0, max(0.0, mc) / 0.05))
    return facts


def facts_table(facts: list[Fact]) -> pd.DataFrame:
    """``fact, value, rule, ok`` as a DataFrame."""
    return pd.DataFrame([{"fact": f.name, "value": f.value, "rule": f.rule, "ok": f.ok} for f in facts])


def fact_penalties(facts: list[Fact]) -> np.ndarray:
    """Hinge residuals of the facts (zeros when all hold)."""
    return np.array([f.penalty for f in facts])
