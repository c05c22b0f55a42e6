"""The six behaviour misses of issue 4/5 measured on a run folder (before/after numbers).

Usage: ``.venv/bin/python bench/behav_issues.py RUN_DIR`` (a ``kochu run`` output). Prints:

1. mining towns (atlas ``town_type == mining``): change 1989→1999 and 1989→2009 by town vs the
   censuses, the median over towns, Min-Kush / Ak-Tyuz / Kok-Jangak, and the total;
2. registered moves 1991, 1998, mean 1999–2009 (observed 89 k, 38 k, 30–40 k);
3. 2010: internal moves, emigration and immigration (the Osh displacement to Uzbekistan must
   show as emigration + immigration, not internal moves), and the mass balance;
4. novostroiki (informal) and Bishkek (capital + novostroiki) on 1 January 2013/2025/2035
   when the run reaches them;
6. share of Bishkek and Chuy among internal moves 2010–12: of all moves, of moves leaving the
   rayon, of moves between first-level units; and between units in 2011–12 (the target).
"""

import sys

import numpy as np
import pandas as pd

from kochu.atlas import load_atlas
from kochu.runs.store import read_table

NAMED = ("s_min_kush", "s_ak_tyuz", "s_kok_jangak")


def main(d: str) -> None:
    a = load_atlas()
    st = a.settlements
    pop = read_table(d, "population")
    ev = read_table(d, "events")
    fl = read_table(d, "flows")
    pj = pop[pop.month == 1].pivot(index="year", columns="place", values="present")
    cen = a.population_table("de_facto", "settlement")
    mines = [m for m in st.index[st.town_type == "mining"]]
    rows = []
    for m in mines:
        rows.append({"town": m, "sim99": pj.loc[1999, m] / pj.loc[1989, m] - 1, "cen99": cen.loc[m, 1999] / cen.loc[m, 1989] - 1,
                     "sim09": pj.loc[2009, m] / pj.loc[1989, m] - 1, "cen09": cen.loc[m, 2009] / cen.loc[m, 1989] - 1})
    t = pd.DataFrame(rows).set_index("town")
    print("1. mining towns, relative change from 1989:")
    print(t.round(2).to_string())
    print(f"   median sim 1999 {t.sim99.median():+.2f} (census {t.cen99.median():+.2f}); "
          f"2009 {t.sim09.median():+.2f} (census {t.cen09.median():+.2f})")
    print("   named 2009 sim/census: " + ", ".join(f"{n[2:]} {t.loc[n, 'sim09']:+.2f}/{t.loc[n, 'cen09']:+.2f}" for n in NAMED))
    tot_s = pj.loc[2009, mines].sum() / pj.loc[1989, mines].sum() - 1
    tot_c = cen.loc[mines, 2009].sum() / cen.loc[mines, 1989].sum() - 1
    print(f"   total 1989-2009 sim {tot_s:+.3f} census {tot_c:+.3f}")
    yr = ev.groupby("year").sum()
    print("2. registered moves (k): 1991 {:.1f}, 1998 {:.1f}, 1999-2009 mean {:.1f}; by year 1992-99: {}".format(
        yr.loc[1991, "registered_moves"] / 1e3, yr.loc[1998, "registered_moves"] / 1e3,
        yr.loc[1999:2009, "registered_moves"].mean() / 1e3,
        {y: round(yr.loc[y, "registered_moves"] / 1e3, 1) for y in range(1992, 2000)}))
    if 2010 in yr.index:
        e = ev.sort_values(["year", "month"])
        p = e.population.to_numpy()
        ch = (e.births - e.deaths + e.immigration - e.emigration).to_numpy()
        print("3. 2010 (k): internal moves {:.0f} (2009 {:.0f}, 2011 {:.0f}); emigration {:.0f}, immigration {:.0f} "
              "(2009 {:.0f}/{:.0f}); June moves {:.0f}; mass balance exact {}".format(
                  yr.loc[2010, "internal_moves"] / 1e3, yr.loc[2009, "internal_moves"] / 1e3,
                  yr.loc[2011, "internal_moves"] / 1e3 if 2011 in yr.index else float("nan"),
                  yr.loc[2010, "emigration"] / 1e3, yr.loc[2010, "immigration"] / 1e3,
                  yr.loc[2009, "emigration"] / 1e3, yr.loc[2009, "immigration"] / 1e3,
                  e[(e.year == 2010) & (e.month == 6)].internal_moves.sum() / 1e3,
                  bool(np.array_equal(p[1:], p[:-1] + ch[:-1]))))
    inf = st.index[st.kind == "informal"]
    cap = st.index[st.kind == "capital"]
    out = {y: (round(pj.loc[y, inf].sum() / 1e3), round((pj.loc[y, inf].sum() + pj.loc[y, cap].sum()) / 1e3))
           for y in (2009, 2013, 2016, 2025, 2035) if y in pj.index}
    print("4. (novostroiki, Bishkek incl. novostroiki) k:", out)
    x = fl[(fl.year >= 2010) & (fl.year <= 2012) & (fl.origin != "abroad") & (fl.destination != "abroad")
           & (fl.origin != fl.destination)].copy()
    ob, ry = st["oblast_id"].to_dict(), st["rayon_id"].to_dict()
    x["do"], x["oo"] = x.destination.map(ob), x.origin.map(ob)
    x["dr"], x["or"] = x.destination.map(ry), x.origin.map(ry)
    for label, sel in (("all internal", np.ones(len(x), bool)), ("leaving the rayon", (x.dr != x["or"]).to_numpy()),
                       ("between oblasts", (x["do"] != x.oo).to_numpy())):
        y = x[sel]
        tot = y.true.sum()
        b = y[y["do"] == "bishkek"].true.sum() / tot
        c = y[y["do"] == "chuy"].true.sum() / tot
        print(f"6. 2010-12 {label:18s}: Bishkek {b:.3f}, Chuy {c:.3f} (moves {tot / 3e3:.0f} k/yr)")
    y = x[(x.year >= 2011) & (x["do"] != x.oo)]  # the target's comparison (kochu.estimate.targets.INTENTION)
    tot = y.true.sum()
    print(f"6. 2011-12 between oblasts   : Bishkek {y[y['do'] == 'bishkek'].true.sum() / tot:.3f}, "
          f"Chuy {y[y['do'] == 'chuy'].true.sum() / tot:.3f} (target 0.600, 0.186)")


if __name__ == "__main__":
    main(sys.argv[1])
