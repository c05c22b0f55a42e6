"""Regenerate ``oblast_indicators.csv`` and ``national_series.csv`` from the shared facts.

This is the documented method by which the drivers' own data files were copied (with their
sources) from ``../shared/data``; run from the repository root::

    .venv/bin/python kochu/drivers/data/build.py ../shared/data

Only copying, unit conversion (percent -> fraction, thousand som -> som) and renaming of the
first-level units to the atlas names happen here; every row keeps its original source text.
The hand-written files (``regime_anchors.csv``, ``events.csv``, ``mining_closures.csv``,
``town_type_effects.csv``) cite their sources row by row.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
UNITS = {
    "Batken": "Batken", "Batken oblast": "Batken", "Chuy": "Chuy", "Chuy oblast": "Chuy",
    "Issyk-Kul": "Issyk-Kul", "Issyk-Kul oblast": "Issyk-Kul", "Jalal-Abad": "Jalal-Abad",
    "Jalal-Abad oblast": "Jalal-Abad", "Naryn": "Naryn", "Naryn oblast": "Naryn",
    "Osh oblast": "Osh", "Talas": "Talas", "Talas oblast": "Talas", "Bishkek": "Bishkek",
    "Bishkek city": "Bishkek", "Osh city": "Osh city", "Kyrgyzstan": "Kyrgyzstan",
}
REGIONAL = {  # measure in regional_indicators -> (attribute, scale)
    "poverty headcount (national poverty line), % of population": ("poverty_rate", 0.01),
    "unemployment rate, % (labour force survey)": ("unemployment_rate", 0.01),
}
DRIVERS = {  # indicator in oblast_drivers -> (attribute, scale)
    "gross regional product (GRP) per capita, nominal": ("grp_per_capita_som", 1000.0),
    "medical doctors (ISCO-08 221) per 10,000 population [OCCUPATION=ISCO08_221]": ("doctors_per_10k", 1.0),
    "population using safely managed drinking water": ("water_safe_share", 0.01),
    "population using safely managed sanitation (national definition, _L_KG_060201_1)": ("sanitation_safe_share", 0.01),
    "manufacturing employment as share of total employment": ("manufacturing_employment_share", 0.01),
}


def _rows(df: pd.DataFrame, key: str, mapping: dict, unit_col: str) -> list[dict]:
    out = []
    for r in df.itertuples(index=False):
        k = getattr(r, key)
        unit = getattr(r, unit_col)
        if k not in mapping or unit not in UNITS:
            continue
        name, scale = mapping[k]
        value = pd.to_numeric(r.value, errors="coerce")
        if pd.isna(value):
            continue
        out.append({"unit": UNITS[unit], "year": int(r.year), "indicator": name,
                    "value": round(float(value) * scale, 6), "status": "reported",
                    "source": f"{r.source} [copied from shared data; x{scale:g} to {name}]"})
    return out


def build(shared: Path) -> None:
    """Write ``oblast_indicators.csv`` from the shared CSVs under ``shared``."""
    reg = pd.read_csv(shared / "regional_indicators_2007_2015.csv")
    drv = pd.read_csv(shared / "oblast_drivers.csv")
    haz = pd.read_csv(shared / "hazards.csv")
    pop = pd.read_csv(shared / "oblast_population.csv")
    rows = _rows(reg, "measure", REGIONAL, "unit") + _rows(drv, "indicator", DRIVERS, "unit")
    deaths = haz[haz["hazard"] == "all emergencies/disasters (SDG 1.5.1)"]
    rows += _rows(deaths.assign(ind="d"), "ind", {"d": ("disaster_deaths", 1.0)}, "unit")
    p09 = pop[(pop["census_year"] == 2009) & pop["source"].str.startswith("measure=census_2009_de_facto(rounded)")]
    for r in p09.itertuples(index=False):
        rows.append({"unit": UNITS[r.unit], "year": 2009, "indicator": "population_de_facto",
                     "value": float(r.population), "status": "reported",
                     "source": f"{r.source} [copied from shared oblast_population.csv]"})
    out = pd.DataFrame(rows).sort_values(["indicator", "unit", "year"], kind="stable")
    out.to_csv(HERE / "oblast_indicators.csv", index=False)


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data"))
