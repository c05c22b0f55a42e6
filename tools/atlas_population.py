"""Populations of the Kyrgyzstan atlas: first-level units, rayons, settlements (methods).

The rows produced here are ``(place, year, measure, population, status, source)``.
``reported`` rows copy a number and its ``source`` text from ../shared/data; ``derived`` rows
name their method and inputs in ``source``. The methods, top-down:

1. **First-level units.** 1999 and 2009: the en.wiki "Regions of Kyrgyzstan" census table
   (de facto, rounded to 100; it adds up exactly to the country total). 1989 (current
   boundaries): the country total and Osh oblast are reported; the other eight units share the
   rest in proportion to their 1 Jan 1990 estimates, Batken and Osh city (then inside Osh oblast)
   splitting the old-Osh remainder in their 1999 ratio. 1990 and 1995 (old boundaries): units
   reported, old Osh oblast split into Osh / Batken / Osh city by the 1989 shares (1990) and the
   1989->1999 shares interpolated (1995); the split absorbs the 400 rounding gap of 1990.
   Estimates from 2005 are NSC *permanent* population (measure ``permanent``).
2. **Towns** keep their census figures (city proper, as published). A missing census year is
   back-cast: mining towns (urban in 2009) by the median ratio of the mining towns with all three censuses;
   other towns by their oblast's growth (constant share of the oblast).
3. **Rayons** (census years, de facto). Within each oblast the parts are the administrative
   rayons and the towns of regional significance (which statistics keep outside the rayons).
   Parts reported *de facto* and the towns are fixed; rayons known only by their resident
   (permanent) count are scaled by one factor k so that the parts add up to the oblast's de facto
   total exactly (k, 0.89-1.09, is listed in SOURCES.md; in 2009 it is the oblast's de facto /
   resident ratio of those rayons);
   rayons without a figure for the year enter the same scaling with a proxy weight (their value
   at the nearest year times the oblast's growth; Toguz-Toro, without any figure, by the mean
   density of the neighbouring mountain rayons times its area). If every part is fixed, the
   rounding gap is spread over the administrative rayons the same way. An atlas rayon is the
   administrative rayon plus the towns of regional significance that lie in it.
4. **Settlements**: the listed towns of a rayon keep their figures; the rayon's rural remainder
   is the rayon minus its towns (so settlements add up to rayons exactly).
5. **Bishkek** = the formal city ``s_bishkek`` + the novostroiki ``nv_*``: the novostroiki total
   is interpolated between sourced anchors (0 in Jan 1989; >100,000 in 2003; >1/4 of Bishkek in
   2007; 260,000 in 48 settlements in 2012); a named settlement holds its own sourced figure or,
   without one, the mean settlement size of its year (total / number of settlements, 9 in 1991
   -> 48 in 2012) from its founding year; ``nv_other`` holds the rest.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from atlas_inputs import (
    CENSUS_YEARS,
    DENSITY_REFERENCE,
    DF,
    EST,
    NOVOSTROIKI,
    NV_COUNT_ANCHORS,
    NV_TOTAL_ANCHORS,
    RAYONS,
    RP,
    RZ,
    RZ_NAME,
    TOGUZ_TORO_AREA_KM2,
    TOWNS,
    UNIT_BY_NAME,
    UNITS,
    Rayon,
    Shared,
    slug,
)

OP = "oblast_population.csv"


@dataclass(frozen=True)
class Pop:
    place: str
    year: int
    measure: str
    population: int
    status: str
    source: str


def allocate(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Integers proportional to ``weights`` that sum to ``total`` exactly (largest remainder)."""
    wsum = sum(weights.values())
    if wsum <= 0:
        raise SystemExit(f"allocate: weights must be positive, got {weights}")
    raw = {k: total * w / wsum for k, w in weights.items()}
    out = {k: int(v // 1) for k, v in raw.items()}
    rest = total - sum(out.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - out[k]), k))[:rest]:
        out[k] += 1
    return out


def _op_rows(sh: Shared, tag: str) -> dict[str, dict[str, str]]:
    """oblast_population.csv rows whose measure tag starts with ``tag``, by unit id."""
    out: dict[str, dict[str, str]] = {}
    for row in sh.table(OP):
        if row["source"].startswith("measure=" + tag):
            uid = UNIT_BY_NAME.get(row["unit"], "old_osh" if "old boundaries" in row["unit"] else "")
            if uid and uid not in out:
                out[uid] = row
    return out


def unit_populations(sh: Shared) -> list[Pop]:
    """Country and first-level units, all years and measures (method 1 of the module doc)."""
    pops: list[Pop] = []

    def rep(uid: str, year: int, row: dict[str, str], measure: str = "de_facto") -> None:
        pops.append(Pop(uid, year, measure, int(row["population"]), "reported", row["source"]))

    t99 = _op_rows(sh, "census_1999_wikipedia_table")
    t09 = _op_rows(sh, "census_2009_de_facto(rounded)")
    for year, table in ((1999, t99), (2009, t09)):
        assert set(table) == set(UNITS) | {"kyrgyzstan"} or year == 2009, table.keys()
        for uid, row in table.items():
            rep(uid, year, row)
    if "kyrgyzstan" not in t09:
        rep("kyrgyzstan", 2009, sh.find(OP, 5107700, unit="Kyrgyzstan", census_year="2009"))
    e90, e95 = _op_rows(sh, "estimate_1990"), _op_rows(sh, "estimate_1995")
    c89 = sh.find(OP, 4290500, unit="Kyrgyzstan", census_year="1989")
    osh89 = sh.find(OP, 716983, unit="Osh oblast", census_year="1989")
    rep("kyrgyzstan", 1989, c89)
    rep("osh", 1989, osh89)
    v = {u: int(r["population"]) for u, r in e90.items()}
    c89v, osh89v, c90 = int(c89["population"]), int(osh89["population"]), v["kyrgyzstan"]
    osh_part_1990 = osh89v * c90 / c89v
    rest90 = v["old_osh"] - osh_part_1990
    b99, o99 = int(t99["batken"]["population"]), int(t99["osh_city"]["population"])
    w89 = {u: float(v[u]) for u in ("bishkek", "chuy", "issyk_kul", "jalal_abad", "naryn", "talas")}
    w89["batken"] = rest90 * b99 / (b99 + o99)
    w89["osh_city"] = rest90 * o99 / (b99 + o99)
    a89 = allocate(c89v - osh89v, w89)
    for uid, val in a89.items():
        src = (f"derived: 1989 census total {c89v:,} minus Osh oblast {osh89v:,} (both reported, {OP}) "
               f"shared in proportion to the 1 Jan 1990 estimates ({OP}, refine.com.ru)")
        if uid in ("batken", "osh_city"):
            src += (f"; Batken and Osh city split the old-Osh 1990 estimate {v['old_osh']:,} minus Osh "
                    f"oblast's part ({osh89v:,} x {c90:,}/{c89v:,}) in their 1999 census ratio "
                    f"{b99:,}:{o99:,}")
        pops.append(Pop(uid, 1989, "de_facto", val, "derived", src))
    shares89 = {u: (osh89v if u == "osh" else a89[u]) for u in ("osh", "batken", "osh_city")}
    shares99 = {u: int(t99[u]["population"]) for u in ("osh", "batken", "osh_city")}
    for year, est in ((1990, e90), (1995, e95)):
        for uid, row in est.items():
            if uid != "old_osh":
                rep(uid, year, row)
        six = sum(int(est[u]["population"]) for u in w89 if u not in ("batken", "osh_city"))
        target = int(est["kyrgyzstan"]["population"]) - six
        f = (year - 1989) / 10
        w = {u: (1 - f) * shares89[u] / sum(shares89.values()) + f * shares99[u] / sum(shares99.values())
             for u in shares89}
        for uid, val in allocate(target, w).items():
            pops.append(Pop(uid, year, "de_facto", val, "derived",
                            f"derived: old-boundary Osh oblast (incl. Batken and Osh city) = country "
                            f"{int(est['kyrgyzstan']['population']):,} minus the six other units ({OP}, "
                            f"{year} estimates; reported old-Osh {int(est['old_osh']['population']):,}) split by "
                            f"the 1989 shares moved {f:.0%} of the way to the 1999 census shares"))
    # permanent-population estimates (NSC, start of year) and the 2009 permanent census count
    seen: set[tuple[str, int]] = set()
    for row in sh.table(OP):
        tag = row["source"].split(";")[0]
        year = int(row["census_year"])
        uid = UNIT_BY_NAME.get(row["unit"])
        if not uid or year < 2005:
            continue
        if tag.startswith("measure=estimate") or tag.startswith("measure=census_2009_permanent"):
            if (uid, year) not in seen:
                seen.add((uid, year))
                rep(uid, year, row, "permanent")
    units15 = [p for p in pops if p.year == 2015 and p.measure == "permanent" and p.place in UNITS]
    if len(units15) == len(UNITS):
        pops.append(Pop("kyrgyzstan", 2015, "permanent", sum(p.population for p in units15), "derived",
                        f"derived: sum of the 9 first-level 2015 estimates ({OP})"))
    return pops


def unit_value(pops: list[Pop], uid: str, year: int, measure: str = "de_facto") -> int:
    for p in pops:
        if p.place == uid and p.year == year and p.measure == measure:
            return p.population
    raise KeyError((uid, year, measure))


# --- towns ----------------------------------------------------------------------------------
def town_values(sh: Shared, units: list[Pop]) -> dict[str, dict[int, tuple[int, str, str]]]:
    """De facto census-year values of every listed town: year -> (value, status, source)."""
    census = {r["name"]: r for r in sh.table("towns_census.csv")}
    mining = {r["name"]: r for r in sh.table("mining_towns.csv")}
    full = [r for r in mining.values() if all(r[f"pop_{y}"] for y in CENSUS_YEARS)]
    ratio = {y: statistics.median(int(r[f"pop_{y}"]) / int(r["pop_2009"]) for r in full) for y in (1989, 1999)}
    names = ", ".join(sorted(r["name"] for r in full))
    oblast_of = {r.name: r.oblast for r in RAYONS}
    out: dict[str, dict[int, tuple[int, str, str]]] = {}
    for t in TOWNS:
        row = census[t.name]
        vals: dict[int, tuple[int, str, str]] = {}
        for y in CENSUS_YEARS:
            if row[f"pop_{y}"]:
                vals[y] = (int(row[f"pop_{y}"]), "reported", row["source"])
        if 2009 not in vals:
            raise SystemExit(f"towns_census.csv: {t.name} has no 2009 figure")
        base = vals[2009][0]
        for y in CENSUS_YEARS:
            if y in vals:
                continue
            if t.name in mining and not row["status"].startswith("village"):
                val = round(base * ratio[y])
                src = (f"derived: 2009 census {base:,} (towns_census.csv) x {ratio[y]:.4f}, the median "
                       f"{y}/2009 ratio of the mining towns with all three censuses ({names}; mining_towns.csv)")
            else:
                ob = oblast_of[t.rayon]
                u_y, u_09 = unit_value(units, ob, y), unit_value(units, ob, 2009)
                val = round(base * u_y / u_09)
                src = (f"derived: 2009 census {base:,} (towns_census.csv) x {UNITS[ob][0]} {y}/2009 de facto "
                       f"ratio {u_y:,}/{u_09:,} (constant share of the oblast)")
            vals[y] = (val, "derived", src)
        out[t.name] = vals
    return out


# --- rayons ---------------------------------------------------------------------------------
def _rayon_source(sh: Shared, r: Rayon, year: int, value: int, file: str) -> str:
    if file == RP:
        row = sh.find(RP, value, rayon=r.rp_name or r.name, year=str(year))
    else:
        row = sh.find(RZ, value, rayon=RZ_NAME.get(r.name, r.name))
    return row["source"]


def _proxy(sh: Shared, r: Rayon, year: int, units: list[Pop]) -> tuple[float, str]:
    """Weight for a rayon without a figure at ``year`` (see method 3)."""
    ob = r.oblast
    if r.values:
        other = sorted(r.values, key=lambda y: (y not in CENSUS_YEARS, abs(y - year)))[0]
        val, meas, file = r.values[other]
        measure = "permanent" if meas == EST else "de_facto"
        u_o = unit_value(units, ob, other, measure)
        u_y = unit_value(units, ob, year)
        return val * u_y / u_o, (f"proxy {val:,} ({other}, {file}) x {UNITS[ob][0]} {year}/{other} "
                                 f"ratio {u_y:,}/{u_o:,}")
    refs = [x for x in RAYONS if x.name in DENSITY_REFERENCE]
    pop = sum(x.values[2009][0] for x in refs)
    areas = {a["rayon"]: float(a["area_km2"]) for a in sh.table(RZ)}
    area = sum(areas[x.name] for x in refs)
    dens = pop / area
    u_y, u_09 = unit_value(units, ob, year), unit_value(units, ob, 2009)
    return dens * TOGUZ_TORO_AREA_KM2 * u_y / u_09, (
        f"proxy: no figure found; mean 2009 density of {', '.join(DENSITY_REFERENCE)} "
        f"({pop:,}/{area:,.0f} km2 = {dens:.2f}/km2, {RZ}) x area {TOGUZ_TORO_AREA_KM2:,} km2 ({RZ}) "
        f"x {UNITS[ob][0]} {year}/2009 ratio")


def balance(sh: Shared, units: list[Pop], towns: dict, log: list[str]) -> list[Pop]:
    """Rayons and settlements of the seven oblasts at the census years (methods 3 and 4)."""
    pops: list[Pop] = []
    for ob in ("batken", "chuy", "issyk_kul", "jalal_abad", "naryn", "osh", "talas"):
        rayons = [r for r in RAYONS if r.oblast == ob]
        regional = [t for t in TOWNS if t.regional and t.rayon in {r.name for r in rayons}]
        for year in CENSUS_YEARS:
            total = unit_value(units, ob, year)
            fixed: dict[str, int] = {"town:" + t.name: towns[t.name][year][0] for t in regional}
            weights: dict[str, float] = {}
            how: dict[str, str] = {}
            reported_df: dict[str, str] = {}
            for r in rayons:
                if year in r.values:
                    val, meas, file = r.values[year]
                    src = _rayon_source(sh, r, year, val, file)
                    note = f"{'de facto' if meas == DF else 'resident'} {val:,} ({file}: {src})"
                    if year in r.includes_town:
                        inner = towns[r.includes_town[year]][year][0]
                        val -= inner
                        note += f" minus {r.includes_town[year]} {inner:,} (the pre-2000 district figure includes the town)"
                    if meas == DF:
                        fixed[r.name] = val
                        if year not in r.includes_town:
                            reported_df[r.name] = src
                    else:
                        weights[r.name] = float(val)
                    how[r.name] = note
                else:
                    weights[r.name], how[r.name] = _proxy(sh, r, year, units)
            residual = total - sum(fixed.values())
            if not weights or residual <= 0:
                for r in rayons:
                    if r.name in fixed:
                        weights[r.name] = float(fixed.pop(r.name))
                        reported_df.pop(r.name, None)
                residual = total - sum(fixed.values())
            k = residual / sum(weights.values())
            log.append(f"{ob} {year}: k = {k:.4f} over {sorted(weights)}")
            if not 0.8 <= k <= 1.25:
                raise SystemExit(f"balance {ob} {year}: implausible factor k={k:.3f}")
            alloc = allocate(residual, weights)
            admin = {**{n: v for n, v in fixed.items() if n in how}, **alloc}
            for r in rayons:
                attached = [t for t in regional if t.rayon == r.name]
                value = admin[r.name] + sum(towns[t.name][year][0] for t in attached)
                if r.name in reported_df and not attached:
                    pops.append(Pop(r.id, year, "de_facto", value, "reported", reported_df[r.name]))
                else:
                    src = f"derived: administrative rayon {admin[r.name]:,} = {how[r.name]}"
                    if r.name in alloc:
                        src += (f", scaled by k={k:.4f} so that the parts add up to the {UNITS[ob][0]} {year} "
                                f"de facto total {total:,} ({OP})")
                    if attached:
                        src += ("; plus towns of regional significance lying in it (outside the rayon in "
                                "statistics): " + ", ".join(f"{t.name} {towns[t.name][year][0]:,}" for t in attached))
                    pops.append(Pop(r.id, year, "de_facto", value, "derived", src))
                members = [t for t in TOWNS if t.rayon == r.name]
                for t in members:
                    v, st, src = towns[t.name][year]
                    pops.append(Pop("s_" + slug(t.name.split(" (")[0]), year, "de_facto", v, st, src))
                rural = value - sum(towns[t.name][year][0] for t in members)
                if rural <= 0:
                    raise SystemExit(f"{r.id} {year}: rural remainder {rural} <= 0")
                pops.append(Pop(f"s_{slug(r.name)}_rural", year, "de_facto", rural, "derived",
                                f"derived: rayon {r.id} {value:,} minus its listed towns "
                                f"({', '.join(t.name for t in members) or 'none'})"))
    return pops


# --- capital and Osh city -------------------------------------------------------------------
def _interp(anchors: list[tuple[int, float]], year: float) -> float:
    anchors = sorted(anchors)
    if year <= anchors[0][0]:
        return anchors[0][1]
    for (y0, v0), (y1, v1) in zip(anchors, anchors[1:], strict=False):
        if year <= y1:
            return v0 + (v1 - v0) * (year - y0) / (y1 - y0)
    return anchors[-1][1]


def cities(units: list[Pop]) -> list[Pop]:
    """r_bishkek, s_bishkek and nv_* (method 5); r_osh_city and s_osh (= the Osh city unit)."""
    pops: list[Pop] = []
    b99, b09 = unit_value(units, "bishkek", 1999), unit_value(units, "bishkek", 2009)
    b07 = b99 + (b09 - b99) * 0.8
    anchors = [(y, (-v * b07 if v < 0 else v)) for y, v, _ in NV_TOTAL_ANCHORS]
    anchor_txt = "; ".join(f"{y}: {s}" for y, _, s in NV_TOTAL_ANCHORS)
    for year in CENSUS_YEARS:
        unit = unit_value(units, "bishkek", year)
        osh = unit_value(units, "osh_city", year)
        for pid in ("r_osh_city", "s_osh"):
            pops.append(Pop(pid, year, "de_facto", osh, "derived",
                            f"derived: equals the Osh city unit ({OP}); one atlas rayon, one settlement"))
        pops.append(Pop("r_bishkek", year, "de_facto", unit, "derived",
                        f"derived: equals the Bishkek unit ({OP}); Bishkek is one atlas rayon"))
        total = round(_interp(anchors, year))
        count = _interp([(y, float(n)) for y, n in NV_COUNT_ANCHORS], year)
        mean = total / count
        named: dict[str, tuple[int, str]] = {}
        for nv in NOVOSTROIKI:
            if nv.name == "other":
                continue
            if nv.founded >= year:
                named[nv.id] = (0, f"derived: 0 before founding ({nv.founded}: {nv.founded_source})")
            elif year in nv.figures:
                named[nv.id] = (nv.figures[year], nv.founded_source)
            elif nv.figures and year < min(nv.figures):
                fy = min(nv.figures)
                val = round(nv.figures[fy] * (year - nv.founded) / (fy - nv.founded))
                named[nv.id] = (val, f"derived: linear from 0 at founding {nv.founded} to {nv.figures[fy]:,} in {fy} "
                                     f"({nv.founded_source})")
            else:
                named[nv.id] = (round(mean), f"derived: mean novostroika size in {year} = novostroiki total "
                                             f"{total:,} / {count:.1f} settlements (9 in 1991 -> 48 in 2012, "
                                             f"interpolated); founded {nv.founded}")
        other = total - sum(v for v, _ in named.values())
        if other < 0:
            raise SystemExit(f"novostroiki {year}: named settlements exceed the total")
        for pid, (val, src) in named.items():
            pops.append(Pop(pid, year, "de_facto", val, "derived" if src.startswith("derived") else "reported", src))
        pops.append(Pop("nv_other", year, "de_facto", other, "derived",
                        f"derived: novostroiki total {total:,} minus the named ones"))
        pops.append(Pop("s_bishkek", year, "de_facto", unit - total, "derived",
                        f"derived: Bishkek unit {unit:,} ({OP}) minus the novostroiki total {total:,} "
                        f"(interpolated between anchors: {anchor_txt}; 2007 anchor = 25% of Bishkek "
                        f"interpolated to {b07:,.0f})"))
    return pops


def populations(sh: Shared, log: list[str]) -> list[Pop]:
    """All population rows, sorted (place, year, measure)."""
    units = unit_populations(sh)
    towns = town_values(sh, units)
    pops = units + balance(sh, units, towns, log) + cities(units)
    # sourced sub-oblast estimates after 2009 (NSC permanent population)
    for r in RAYONS:
        for y, (val, meas, file) in r.values.items():
            if meas == EST:
                pops.append(Pop(r.id, y, "permanent", val, "reported", _rayon_source(sh, r, y, val, file)))
    row = sh.find("towns_census.csv", 697, name="Ak-Tyuz")
    pops.append(Pop("s_ak_tyuz", 2015, "permanent", 697, "reported", row["source"]))
    pops.append(Pop("s_ak_tyuz", 2014, "permanent", 709, "reported", row["source"]))
    keys = [(p.place, p.year, p.measure) for p in pops]
    if len(keys) != len(set(keys)):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        raise SystemExit(f"duplicate population rows: {dup[:5]}")
    return sorted(pops, key=lambda p: (p.place, p.year, p.measure))
