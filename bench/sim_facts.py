"""The seed's facts as shown by a simulation run (issue 4's must-show list), side by side.

Usage: ``.venv/bin/python bench/sim_facts.py [RUN_DIR]`` — without RUN_DIR it first runs
``kochu run --until 2025 --seed 1 --scale 0.1`` into a temporary folder. Prints: mass balance,
inter-oblast moves by year (the 1990–94 peak), net internal migration by oblast (Bishkek and
Chuy the only gainers), mining towns vs census, the unregistered share of moves (overall and to
Bishkek/Osh), novostroiki population, net international migration 1989–94, people temporarily
abroad, registered moves vs 89 k (1991), 38 k (1998), 30–40 k/yr (1999–2009), oblast populations
vs the 1999/2009 censuses.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from kochu.atlas import load_atlas
from kochu.runs.store import read_manifest, read_table

pd.set_option("display.width", 250)


def main(d: str) -> None:
    a = load_atlas()
    m = read_manifest(d, verify=True)
    pop = read_table(d,'population')
    fl = read_table(d,'flows')
    ev = read_table(d,'events')
    print("timing", m['timing'])
    yr = ev.groupby('year').sum()
    jan = ev[ev.month==1].set_index('year')
    # mass balance
    e = ev.sort_values(['year','month'])
    p = e.population.to_numpy()
    ch = (e.births-e.deaths+e.immigration-e.emigration).to_numpy()
    print("mass balance exact:", bool(np.array_equal(p[1:], p[:-1]+ch[:-1])))
    st = a.settlements
    uo = st['oblast'].to_dict()
    intern = fl[(fl.origin!='abroad')&(fl.destination!='abroad')].copy()
    intern['o'] = intern.origin.map(uo)
    intern['d'] = intern.destination.map(uo)
    inter = intern[intern.o!=intern.d]
    iy = inter.groupby('year')[['true','registered']].sum()
    print("inter-oblast moves (k):")
    print((iy/1e3).round(1).T.to_string())
    print("all internal moves true/registered (k):")
    print((yr[['internal_moves','registered_moves']]/1e3).round(0).astype(int).T.to_string())
    net = inter.groupby('d').true.sum().sub(inter.groupby('o').true.sum(), fill_value=0)
    print("net internal migration 1989-2024 by oblast (k):", (net/1e3).round(1).sort_values().to_dict())
    for per in [(1989,1999),(1999,2009),(2009,2025)]:
        x = inter[(inter.year>=per[0])&(inter.year<per[1])]
        n2 = x.groupby('d').true.sum().sub(x.groupby('o').true.sum(), fill_value=0)
        print(f"  {per}: gainers", {k: round(v/1e3,1) for k,v in n2.items() if v>0}, "losers Naryn/Talas/Batken", {k: round(n2.get(k,0)/1e3,1) for k in ('Naryn','Talas','Batken')})
    pj = pop[pop.month==1].pivot(index='year', columns='place', values='present')
    last = int(min(2025, pj.index.max()))  # runs may end before 2025
    cen = a.population_table('de_facto','settlement')
    mines = st.index[st.town_type=='mining']
    print(f"mining towns 1989 -> 2009 -> {last} (sim) | census 1989 -> 2009:")
    for mt in mines:
        print(f"  {mt:16s} {int(pj.loc[1989,mt]):>7} {int(pj.loc[2009,mt]):>7} {int(pj.loc[last,mt]):>7} | {int(cen.loc[mt,1989]):>7} {int(cen.loc[mt,2009]):>7}")
    big = {'s_bishkek','s_osh'} | set(st.index[st.kind=='informal'])
    for per in [(1992,2010),(1999,2010)]:
        x = intern[(intern.year>=per[0])&(intern.year<per[1])]
        xb = x[x.destination.isin(big)]
        xo = x[~x.destination.isin(big)]
        print(f"unregistered share of internal moves {per}: all {1-x.registered.sum()/x.true.sum():.2f}; to Bishkek+Osh {1-xb.registered.sum()/xb.true.sum():.2f}; elsewhere {1-xo.registered.sum()/xo.true.sum():.2f}")
    print("novostroiki (informal) population (k):", {y: round(jan.loc[y,'informal']/1e3) for y in (1995,2000,2005,2009,2013,2020,2025) if y in jan.index})
    e94 = yr.loc[1989:1994]
    print("net international 1989-94 (k): {:.0f}; emigration 1993 {:.0f}k".format((e94.immigration.sum()-e94.emigration.sum())/1e3, yr.loc[1993,'emigration']/1e3))
    print("temporarily abroad (k):", {y: round(jan.loc[y,'abroad']/1e3) for y in (1999,2005,2009,2013,2020,2025) if y in jan.index})
    print("registered moves (k): 1991 {:.0f}, 1998 {:.0f}, 1999-2009 mean {:.0f} (min {:.0f} max {:.0f})".format(yr.loc[1991,'registered_moves']/1e3, yr.loc[1998,'registered_moves']/1e3, yr.loc[1999:2009,'registered_moves'].mean()/1e3, yr.loc[1999:2009,'registered_moves'].min()/1e3, yr.loc[1999:2009,'registered_moves'].max()/1e3))
    print("unregistered stock (k):", {y: round(jan.loc[y,'unregistered']/1e3) for y in (1999,2009,2025) if y in jan.index})
    pbo = pd.read_csv(f"{d}/population_by_oblast.csv")
    pv = pbo.pivot(index='year', columns='oblast', values='population')
    cobl = a.population_table('de_facto','oblast')
    cobl.index = a.places.loc[cobl.index,'name']
    print("oblast population sim vs census (k):")
    rows = {f"sim{y}": pv.loc[y]/1e3 for y in (1989,1999,2009,last)}
    rows.update({f"cen{y}": cobl[y]/1e3 for y in (1999,2009)})
    print(pd.DataFrame(rows).round(0).T.to_string())
    print(f"total present {last} {pv.loc[last].sum()/1e3:.0f}k, permanent {pbo[pbo.year==last].population_permanent.sum()/1e3:.0f}k")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(sys.argv[1])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "run"
            subprocess.run([sys.executable, "-m", "kochu.cli", "run", "--until", "2025", "--seed", "1",
                            "--scale", "0.1", "--out", str(out)], check=True)
            main(str(out))
