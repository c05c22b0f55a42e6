"""attributes.csv, vital_rates.csv and age_structure.csv of the Kyrgyzstan atlas (methods).

* **attributes**: push-pull indicators at the level the sources give them (country, first-level
  unit, settlement); the loader and engines broadcast unit values down to settlements. Percent
  values are stored as fractions (``/ 100``), thousands as units (``x 1000``); such rows stay
  ``reported`` with the conversion noted. ``derived`` rows: the seed's north/south land figures
  broadcast to the oblasts of each side; urban shares computed from urban/rural counts; flags and
  great-circle distances computed from places.csv.
* **vital_rates** (per 1,000 per year, 1989-2015): the country rows are the UN WPP 2022 series
  (1989 held at the 1990 value). Unit rows scale the national rates by unit factors. Osh oblast:
  death factor = its registered 2011 death rate (deaths of the oblast press release over the mean
  of its 2011 and 2012 start-of-year populations) / the UN 2011 rate; birth factor = its
  registered 2011 birth rate / the UN 2011 rate up to 2011, moving linearly to the 2015 factor
  implied by the NSC's Jan-Nov 2015 release (natural increase 26 per 1000 in Osh oblast and
  Batken against 21.6 nationally, national birth rate 27.4, death rate 5.8: 2015 birth rate =
  26 + 5.8 x death factor). Batken takes Osh oblast's factors (same natural increase in 2015).
  The other units, without any registered figure found, take the national rates (factor 1).
  How the engines use them (``kochu.sim.demography``, ``kochu.projection.inputs``): the country
  rows set the level of the country's births and deaths; a unit's rate acts only through its
  ratio to the national rate, a relative factor on top of the age and ethnic structure the
  engines carry (births are shared among units by women by age x fertility schedule x ethnic
  fertility x factor). Caveat: the Osh 2011 birth factor compares a registered oblast rate
  (excluding Osh city) with the UN modelled national rate, while the 2015 one is relative to
  the NSC's registered national rate; held back to 1989, it is the weakest number here.
* **age_structure**: UN WPP 2019 national population by 5-year group and sex (1990, 2000, 2010,
  2015); groups 80-84 ... 100+ are summed into ``80+`` (derived).
"""

from __future__ import annotations

from atlas_inputs import NOVOSTROIKI, SEED, TOWNS, UNIT_BY_NAME, UNITS, Shared, slug
from atlas_places import km

RI, OD, HZ, UR = ("regional_indicators_2007_2015.csv", "oblast_drivers.csv", "hazards.csv",
                  "urban_rural.csv")
# regional_indicators measure -> (attribute, scale)
RI_MAP = {
    "poverty headcount (national poverty line), % of population": ("poverty_rate", 0.01),
    "unemployment rate, % (labour force survey)": ("unemployment_rate", 0.01),
    "under-5 mortality per 1000 live births": ("under5_mortality_per_1000", 1),
    "neonatal mortality per 1000 live births": ("neonatal_mortality_per_1000", 1),
    "adolescent birth rate, births per 1000 women aged 15-19": ("adolescent_birth_rate_per_1000", 1),
    "maternal mortality per 100,000 live births": ("maternal_mortality_per_100k", 1),
}
OD_MAP = {
    "gross regional product (GRP) per capita, nominal": ("grp_per_capita_som", 1000),
    "medical doctors (ISCO-08 221) per 10,000 population [OCCUPATION=ISCO08_221]": ("doctors_per_10k", 1),
    "population using safely managed drinking water": ("safe_water_share", 0.01),
    "population using safely managed sanitation (national definition, _L_KG_060201_1)": ("sanitation_share", 0.01),
    "manufacturing employment as share of total employment": ("manufacturing_jobs_share", 0.01),
    "average monthly nominal wage (Jan-Nov 2011)": ("wage_monthly_som", 1),
    "officially registered unemployed (end of 2008)": ("registered_unemployed_persons", 1000),
    "registered (official) unemployment rate, 1 July 2014": ("registered_unemployment_rate", 0.01),
    "higher-education institutions": ("higher_education_institutions", 1),
    "higher-education institutions located in Bishkek": ("higher_education_institutions", 1),
    "higher-education institutions (33 state, 16 non-state)": ("higher_education_institutions", 1),
    "students in higher education per 10,000 population": ("students_per_10k", 1),
    "cultivated area": ("cultivated_area_ha", 1),
    "natural-gas supply coverage (\"gasification level\")": ("gas_supply_share", 0.01),
}
HZ_SETTLEMENT = {  # (hazards unit, measure prefix) -> (settlement, attribute, scale)
    ("Jalal-Abad: Mailuu-Suu town", "tailings sites"): ("Mailuu-Suu", "tailings_sites", 1),
    ("Jalal-Abad: Mailuu-Suu town", "million m3 in the 23"): ("Mailuu-Suu", "tailings_volume_m3", 1e6),
    ("Jalal-Abad: Mailuu-Suu town", "landslide-prone places"): ("Mailuu-Suu", "landslide_prone_places", 1),
    ("Naryn: Min-Kush (uranium tailings area)", "landslides per year"): ("Min-Kush", "landslides_per_year", 1),
    ("Naryn: Min-Kush village (Jumgal district)", "tailings"): ("Min-Kush", "tailings_sites", 1),
    ("Issyk-Kul: Kadji-Say village (Ton district)", "thousand m3"): ("Kadji-Say", "tailings_volume_m3", 1e3),
    ("Chuy: Ak-Tyuz / Kichi-Kemin (Kemin district)", "million m3"): ("Ak-Tyuz", "tailings_volume_m3", 1e6),
    ("Chuy: Orlovka town (Berkut river)", "million m3"): ("Orlovka", "tailings_volume_m3", 1e6),
    ("Jalal-Abad: Sumsar village (Chatkal district)", "million m3"): ("Sumsar", "tailings_volume_m3", 1e6),
    ("Batken: Khaidarkan (Kadamjay district)", "thousand t"): ("Aydarken (Khaidarkan)", "tailings_mass_t", 1e3),
    ("Batken: Kadamjay (antimony plant)", "thousand m3"): ("Kadamjay", "tailings_volume_m3", 1e3),
}
NORTH = ("chuy", "talas", "issyk_kul", "naryn")
SOUTH = ("batken", "jalal_abad", "osh")
SEED_LAND = (f"{SEED.replace('Nasritdinov', 'Alymbaeva')} citing World Bank 2007 Poverty Assessment: north parcels "
             "'on average two hectares in size with 21 percent of the population owning at least one parcel'; south "
             "'in 2003, only 10 percent'")


def _num(v: float) -> str:
    return f"{v:.10g}"


def _sid(name: str) -> str:
    return "s_" + slug(name.split(" (")[0])


def attributes(sh: Shared, place_rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """All attribute rows, sorted."""
    out: list[dict[str, str]] = []

    def add(place: str, year: object, attr: str, value: float, status: str, source: str) -> None:
        out.append({"place": place, "year": "" if year is None else str(year), "attribute": attr,
                    "value": _num(value), "status": status, "source": source})

    def conv(scale: float) -> str:
        return "" if scale == 1 else (f" (value / {1 / scale:g})" if scale < 1 else f" (value x {scale:g})")

    for r in sh.table(RI):
        attr, scale = RI_MAP[r["measure"]]
        add(UNIT_BY_NAME[r["unit"]], r["year"], attr, float(r["value"]) * scale, "reported", r["source"] + conv(scale))
    for r in sh.table(OD):
        if r["indicator"] in OD_MAP and r["unit"] in UNIT_BY_NAME:
            attr, scale = OD_MAP[r["indicator"]]
            add(UNIT_BY_NAME[r["unit"]], r["year"], attr, float(r["value"]) * scale, "reported",
                r["source"] + conv(scale))
        elif r["indicator"] == "average monthly wage" and r["unit"] == "Kyrgyzstan":
            add("kyrgyzstan", r["year"], "wage_monthly_usd", float(r["value"]), "reported", r["source"])
    for r in sh.table(HZ):
        uid = UNIT_BY_NAME.get(r["unit"])
        if uid and "SDG 1.5.1" in r["hazard"]:
            add(uid, r["year"], "hazard_deaths", float(r["value"]), "reported", r["source"])
        elif uid and "SDG 1.5.2" in r["hazard"]:
            if "million som" in r["measure"]:
                add(uid, r["year"], "hazard_loss_som", float(r["value"]) * 1e6, "reported", r["source"] + conv(1e6))
            else:
                add(uid, r["year"], "hazard_loss_share_grp", float(r["value"]) / 100, "reported",
                    r["source"] + conv(0.01))
        elif r["unit"] == "Kyrgyzstan" and r["hazard"] == "landslides" and r["measure"].startswith("registered"):
            add("kyrgyzstan", r["year"], "landslide_prone_places", float(r["value"]), "reported", r["source"])
        for (unit, prefix), (town, attr, scale) in HZ_SETTLEMENT.items():
            if r["unit"] == unit and r["measure"].startswith(prefix):
                add(_sid(town), r["year"], attr, float(r["value"]) * scale, "reported",
                    f"{r['hazard']}: {r['measure']}; {r['source']}{conv(scale)}")
    # urban shares from urban/rural counts
    for r in sh.table(UR):
        unit = "bishkek" if r["unit"] == "Bishkek city" else UNIT_BY_NAME.get(r["unit"])
        if unit and r["urban"] and r["rural"] and "CONFLICT" not in r["source"]:
            u, ru = float(r["urban"]), float(r["rural"])
            add(unit, r["year"], "urban_share", u / (u + ru), "derived",
                f"derived: urban / (urban + rural) = {u:,.0f} / {u + ru:,.0f}; {UR}: {r['source']}")
    for year, total in ((1989, 4290500), (1999, 4850700)):
        r = next(x for x in sh.table(UR) if x["year"] == str(year) and x["unit"] == "Kyrgyzstan")
        add("kyrgyzstan", year, "urban_share", float(r["urban"]) / total, "derived",
            f"derived: census urban {float(r['urban']):,.0f} / census total {total:,} (oblast_population.csv); {r['source']}")
    # national facts of the shared README and tables
    readme = "shared/data/README.md: 'Poverty 2009: 31.7% (rural 37.1%, urban 22.0%); highest in Issyk-Kul, Naryn, Osh; rises with altitude zone (World Bank 2009 profile)'"
    add("kyrgyzstan", 2009, "poverty_rate_rural", 0.371, "reported", readme)
    add("kyrgyzstan", 2009, "poverty_rate_urban", 0.220, "reported", readme)
    for r in sh.table("national_un_wpp_1990_2015.csv"):
        add("kyrgyzstan", r["year"], "life_expectancy_years", float(r["e0_both"]), "reported", r["source"])
        add("kyrgyzstan", r["year"], "net_international_migration_persons", float(r["net_migration"]), "reported",
            r["source"])
    for r in sh.table("registered_internal_migration.csv"):
        if r["year"].isdigit():
            add("kyrgyzstan", r["year"], "registered_internal_moves", float(r["arrivals"]), "reported", r["source"])
    # the seed's land facts, broadcast to the oblasts of each side (2003)
    for uid in NORTH:
        add(uid, 2003, "land_owner_share", 0.21, "derived", f"derived: north figure broadcast to {UNITS[uid][0]}; {SEED_LAND}")
        add(uid, 2003, "land_parcel_ha", 2.0, "derived", f"derived: north figure broadcast to {UNITS[uid][0]}; {SEED_LAND}")
    for uid in SOUTH:
        add(uid, 2003, "land_owner_share", 0.10, "derived", f"derived: south figure broadcast to {UNITS[uid][0]}; {SEED_LAND}")
    # rayon areas (static; conflicts between editions are noted in the source text)
    for r in sh.table("rayons_2009.csv"):
        rid = "r_" + slug(r["rayon"].split(" (")[0])
        add(rid, None, "area_km2", float(r["area_km2"]), "reported", r["source"])
    # settlement flags and distances
    mining = {r["name"]: r for r in sh.table("mining_towns.csv")}
    listed = {t.name for t in TOWNS}
    for name, r in sorted(mining.items()):
        if name in listed:
            add(_sid(name), None, "mining_town", 1, "reported", f"mining_towns.csv: {r['resource']}; {r['source']}")
            if "uranium" in r["resource"].lower():
                add(_sid(name), None, "uranium_legacy", 1, "reported", f"mining_towns.csv resource: {r['resource']}")
    for nv in NOVOSTROIKI:
        add(nv.id, None, "unlegalisable_hazard_zone", nv.hazard_zone, "reported" if nv.hazard_zone else "derived",
            nv.status_source)
    pts = {p["id"]: (float(p["lat"]), float(p["lon"])) for p in place_rows if p["level"] == "settlement"}
    for pid, pt in pts.items():
        add(pid, None, "distance_to_bishkek_km", round(km(pt, pts["s_bishkek"]), 1), "derived",
            "derived: great-circle distance between the places.csv points (haversine, R = 6371 km)")
    out.sort(key=lambda r: (r["place"], r["attribute"], r["year"]))
    return out


def vital_rates(sh: Shared, units_pop) -> list[dict[str, str]]:
    """Crude birth and death rates by first-level unit and year (see module doc)."""
    rows = sh.table("vital_by_oblast.csv")
    nat = {int(r["year"]): r for r in rows if r["unit"] == "Kyrgyzstan" and r["year"].isdigit()
           and r["source"].startswith("PPgp/wpp2022")}
    osh = next(r for r in rows if r["year"] == "2011" and r["unit"] == "Osh oblast")
    b, d = int(osh["births"]), int(osh["deaths"])
    p11, p12 = units_pop("osh", 2011, "permanent"), units_pop("osh", 2012, "permanent")
    mid = (p11 + p12) / 2
    cbr11, cdr11 = 1000 * b / mid, 1000 * d / mid
    fb, fd = cbr11 / float(nat[2011]["birth_rate_per_1000"]), cdr11 / float(nat[2011]["death_rate_per_1000"])
    ni = next(r for r in rows if r["year"] == "2015 (Jan-Nov)" and r["unit"] == "Batken")
    n15 = next(r for r in rows if r["year"] == "2015 (Jan-Nov)" and r["unit"] == "Kyrgyzstan")
    ni_south = 26.0  # per 1000, Batken and Osh oblast, Jan-Nov 2015 (source text of `ni`)
    assert "natural increase 26 per 1000" in ni["source"]
    cbr15_n, cdr15_n = float(n15["birth_rate_per_1000"]), float(n15["death_rate_per_1000"])
    fb15 = (ni_south + cdr15_n * fd) / cbr15_n

    def fb_at(year: int) -> float:
        return fb if year <= 2011 else fb + (fb15 - fb) * (year - 2011) / 4

    out: list[dict[str, str]] = []

    def add(unit: str, year: int, cbr: float, cdr: float, status: str, source: str) -> None:
        out.append({"unit": unit, "year": str(year), "crude_birth_rate": f"{cbr:.2f}",
                    "crude_death_rate": f"{cdr:.2f}", "status": status, "source": source})

    for year in range(1989, 2016):
        src_year = max(year, 1990)
        n = nat[src_year]
        ncbr, ncdr = float(n["birth_rate_per_1000"]), float(n["death_rate_per_1000"])
        if year == src_year:
            add("kyrgyzstan", year, ncbr, ncdr, "reported", n["source"])
        else:
            add("kyrgyzstan", year, ncbr, ncdr, "derived", f"derived: held at the 1990 value; {n['source']}")
        for uid in UNITS:
            if uid == "osh" and year == 2011:
                add(uid, year, cbr11, cdr11, "derived",
                    f"derived: registered births {b:,} and deaths {d:,} (vital_by_oblast.csv: {osh['source']}) "
                    f"/ mean of the 2011 and 2012 start-of-year populations {mid:,.0f} (oblast_population.csv)")
            elif uid in ("osh", "batken"):
                why = ("" if uid == "osh" else
                       f"; Batken takes Osh oblast's factors (same natural increase, 26 per 1000, in 2015: {ni['source']})")
                add(uid, year, ncbr * fb_at(year), ncdr * fd, "derived",
                    f"derived: UN national rate x Osh oblast factors: deaths {fd:.4f} (registered 2011 rate "
                    f"{cdr11:.2f} / UN 2011), births {fb_at(year):.4f} (registered 2011 rate {cbr11:.2f} / UN 2011 "
                    f"= {fb:.4f} up to 2011, linear to {fb15:.4f} in 2015 = (natural increase 26 + {cdr15_n} x "
                    f"{fd:.4f}) / {cbr15_n}, NSC Jan-Nov 2015: {n15['source']}){why}")
            else:
                add(uid, year, ncbr, ncdr, "derived",
                    "derived: UN national rate (factor 1: no registered rate of this unit found in vital_by_oblast.csv)")
    return out


def age_structure(sh: Shared) -> list[dict[str, str]]:
    """National population by 5-year age group and sex, 80+ aggregated."""
    old = {"80-84", "85-89", "90-94", "95-99", "100+"}
    out: list[dict[str, str]] = []
    agg: dict[tuple[str, str], list[int]] = {}
    src: dict[tuple[str, str], str] = {}
    for r in sh.table("age_structure_un_wpp.csv"):
        key = (r["year"], r["sex"])
        if r["age_group"] in old:
            agg.setdefault(key, []).append(int(r["population"]))
            src[key] = r["source"]
        else:
            out.append({"year": r["year"], "age_group": r["age_group"], "sex": r["sex"],
                        "population": r["population"], "status": "reported", "source": r["source"]})
    for (year, sex), vals in agg.items():
        out.append({"year": year, "age_group": "80+", "sex": sex, "population": str(sum(vals)),
                    "status": "derived", "source": f"derived: sum of groups 80-84 to 100+; {src[(year, sex)]}"})

    def lower(g: str) -> int:
        return int(g.rstrip("+").split("-")[0])

    out.sort(key=lambda r: (int(r["year"]), r["sex"], lower(r["age_group"])))
    return out
