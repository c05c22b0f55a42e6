"""Inputs of the Kyrgyzstan atlas build: the shared fact tables and the hand-kept tables.

Everything numeric that the build uses comes from ``../shared/data``. The hand-kept tables in
this module only *point* at those facts (which row, which value, which measure) and hold the
structural choices (ids, hierarchy, which rayon a town sits in, the seed's town typology). Every
pointed-at number is checked against the shared file it names (``Shared.find``), so a typo here
fails the build instead of slipping into the atlas.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

UNITS = {  # first-level id -> (display name, names used in the shared files, north flag)
    "batken": ("Batken", ("Batken", "Batken oblast"), 0),
    "chuy": ("Chuy", ("Chuy", "Chuy oblast"), 1),
    "issyk_kul": ("Issyk-Kul", ("Issyk-Kul", "Issyk-Kul oblast"), 1),
    "jalal_abad": ("Jalal-Abad", ("Jalal-Abad", "Jalal-Abad oblast"), 0),
    "naryn": ("Naryn", ("Naryn", "Naryn oblast"), 1),
    "osh": ("Osh", ("Osh oblast",), 0),
    "talas": ("Talas", ("Talas", "Talas oblast"), 1),
    "bishkek": ("Bishkek", ("Bishkek", "Bishkek city"), 1),
    "osh_city": ("Osh city", ("Osh city",), 0),
}
UNIT_BY_NAME = {n: uid for uid, (_, names, _) in UNITS.items() for n in names}
UNIT_BY_NAME["Kyrgyzstan"] = "kyrgyzstan"
CENSUS_YEARS = (1989, 1999, 2009)


def slug(name: str) -> str:
    """Lower-case ASCII slug: non-alphanumerics become ``_`` (``Ak-Talaa`` -> ``ak_talaa``)."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


@dataclass
class Shared:
    """The shared fact tables, read once, with look-ups that return the row's own source text."""

    root: Path
    tables: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    def table(self, name: str) -> list[dict[str, str]]:
        if name not in self.tables:
            path = self.root / name
            if not path.exists():
                raise SystemExit(f"{path}: missing (pass --shared DIR pointing at shared/data)")
            with path.open(newline="", encoding="utf-8") as fh:
                self.tables[name] = list(csv.DictReader(fh))
        return self.tables[name]

    def find(self, table: str, value: float, **match: str) -> dict[str, str]:
        """The single row of ``table`` whose columns equal ``match`` and that states ``value``.

        ``value`` must appear either in a numeric column or, formatted with thousands
        separators, in the row's text (the shared notes keep some census values only there).
        """
        rows = [r for r in self.table(table) if all(r.get(k, "") == v for k, v in match.items())]
        hits = [r for r in rows if _column_states(r, value)] or [r for r in rows if _row_states(r, value)]
        if len(hits) != 1:
            raise SystemExit(f"{table}: expected one row with {match} stating {value}, found {len(hits)}")
        return hits[0]


def _column_states(row: dict[str, str], value: float) -> bool:
    for v in row.values():
        try:
            if float(v) == float(value):
                return True
        except (TypeError, ValueError):
            pass
    return False


def _row_states(row: dict[str, str], value: float) -> bool:
    text = " ".join(v for v in row.values() if v)
    if float(value).is_integer() and f"{int(value):,}" in text:
        return True
    return f"{value / 1000:.1f}k" in text  # e.g. '89.7k in 2011'



# --- rayons ---------------------------------------------------------------------------------
# Census values of each *administrative* rayon (towns of regional significance excluded, towns of
# district significance included), as (value, measure, file). measure: "de_facto" (the shared
# files label it so, or it is the en.wiki "Districts of Kyrgyzstan" table, which is de facto - see
# rayon_population.csv) or "resident" (permanent / unlabelled series, converted by the balance in
# atlas_population.py). Estimates after 2009 are NSC permanent-population estimates.
RP, RZ = "rayon_population.csv", "rayons_2009.csv"


@dataclass
class Rayon:
    name: str  # as in rayons_2009.csv
    oblast: str  # first-level id
    centre: str  # settlement (towns/cities500 name) standing for the rayon centre
    border: int  # 1 = touches the state border (see SOURCES.md)
    values: dict[int, tuple[int, str, str]]  # year -> (value, measure, shared file)
    rp_name: str = ""  # name in rayon_population.csv when it differs
    includes_town: dict[int, str] = field(default_factory=dict)  # year -> regional town inside

    @property
    def id(self) -> str:
        return "r_" + slug(self.name)


def _v(**kw: tuple[int, str, str]) -> dict[int, tuple[int, str, str]]:
    return {int(k[1:]): v for k, v in kw.items()}


DF, RES, EST = "de_facto", "resident", "permanent_estimate"
RAYONS: list[Rayon] = [
    Rayon("Batken", "batken", "Batken", 1,
          _v(y1989=(55799, RES, RZ), y1999=(77374, RES, RZ), y2009=(69591, RES, RZ)),
          includes_town={1989: "Batken", 1999: "Batken"}),
    Rayon("Kadamjay", "batken", "Pulgon", 1, _v(y2009=(157597, RES, RZ))),
    Rayon("Leilek", "batken", "Isfana (renamed Razzakov 2022)", 1,
          _v(y1989=(74531, RES, RZ), y1999=(100285, RES, RZ), y2009=(116861, RES, RZ))),
    Rayon("Alamudun", "chuy", "Lebedinovka", 1,
          _v(y1989=(116325, DF, RP), y1999=(122559, DF, RP), y2009=(147208, DF, RP))),
    Rayon("Chuy", "chuy", "Chuy", 1,
          _v(y1989=(42881, DF, RP), y1999=(45071, DF, RP), y2009=(44753, DF, RP))),
    Rayon("Jayyl", "chuy", "Kara-Balta", 1, _v(y2009=(90348, DF, RP))),
    Rayon("Kemin", "chuy", "Kemin", 1,
          _v(y1989=(63156, DF, RP), y1999=(52722, DF, RP), y2009=(41924, DF, RP))),
    Rayon("Moskva", "chuy", "Belovodskoye", 1,
          _v(y1989=(83802, RES, RZ), y1999=(83608, RES, RZ), y2009=(83641, DF, RP))),
    Rayon("Panfilov", "chuy", "Kaindy", 1, _v(y2009=(39837, DF, RP))),
    Rayon("Sokuluk", "chuy", "Sokuluk", 1,
          _v(y1989=(131923, RES, RZ), y1999=(136124, RES, RZ), y2009=(158137, DF, RP))),
    Rayon("Ysyk-Ata", "chuy", "Kant", 1,
          _v(y1989=(128371, DF, RP), y1999=(125116, DF, RP), y2009=(131503, DF, RP))),
    Rayon("Ak-Suu", "issyk_kul", "Ak-Suu", 1,
          _v(y1989=(57109, DF, RP), y1999=(57160, DF, RP), y2009=(62524, DF, RP))),
    Rayon("Issyk-Kul", "issyk_kul", "Cholpon-Ata", 1,
          _v(y1989=(68685, DF, RP), y1999=(70677, DF, RP), y2009=(74973, DF, RP)),
          rp_name="Issyk-Kul (Ysyk-Kol)"),
    Rayon("Jeti-Oguz", "issyk_kul", "Kyzyl-Suu", 1,
          _v(y1989=(67597, RES, RZ), y1999=(74414, RES, RZ), y2009=(79328, DF, RP))),
    Rayon("Tong", "issyk_kul", "Bokombayevskoye", 0,
          _v(y1989=(49181, DF, RP), y1999=(46701, DF, RP), y2009=(48870, DF, RP))),
    Rayon("Tup", "issyk_kul", "Tyup", 1,
          _v(y1989=(53119, RES, RZ), y1999=(54534, RES, RZ), y2009=(56416, DF, RP))),
    Rayon("Aksy", "jalal_abad", "Kerben", 1,
          _v(y1989=(75602, RES, RZ), y1999=(94631, RES, RZ), y2009=(113010, RES, RZ))),
    Rayon("Ala-Buka", "jalal_abad", "Ala-Buka", 1, _v(y2011=(89700, EST, RZ), y2015=(104518, EST, RZ))),
    Rayon("Bazar-Korgon", "jalal_abad", "Bazar-Korgon", 1, _v(y2009=(142951, RES, RZ))),
    Rayon("Chatkal", "jalal_abad", "Kanysh-Kyya", 1,
          _v(y1989=(18803, RES, RZ), y1999=(19603, RES, RZ), y2009=(22490, RES, RZ))),
    Rayon("Nooken", "jalal_abad", "Massy", 1,
          _v(y1989=(81515, DF, RP), y1999=(101519, DF, RP), y2009=(117055, RES, RP))),
    Rayon("Suzak", "jalal_abad", "Suzak", 1,
          _v(y1989=(166748, DF, RP), y1999=(200936, DF, RP), y2009=(241198, RES, RP))),
    Rayon("Toguz-Toro", "jalal_abad", "Kazarman", 0, {}),
    Rayon("Toktogul", "jalal_abad", "Toktogul", 0, _v(y2009=(86306, RES, RP))),
    Rayon("Ak-Talaa", "naryn", "Baetovo", 1,
          _v(y1989=(27850, RES, RZ), y1999=(29227, RES, RZ), y2009=(30643, RES, RP))),
    Rayon("At-Bashy", "naryn", "At-Bashi", 1, _v(y2015=(61793, EST, RZ))),
    Rayon("Jumgal", "naryn", "Chayek", 0,
          _v(y1989=(44613, RES, RZ), y1999=(40902, RES, RZ), y2009=(40718, RES, RZ))),
    Rayon("Kochkor", "naryn", "Kochkor", 0,
          _v(y1989=(51523, RES, RZ), y1999=(53089, RES, RZ), y2009=(58267, RES, RZ))),
    Rayon("Naryn", "naryn", "Naryn", 1,
          _v(y1989=(36863, DF, RP), y1999=(40628, DF, RP), y2009=(44080, DF, RP))),
    Rayon("Alay", "osh", "Gul’cha", 1,
          _v(y1989=(52169, DF, RP), y1999=(65451, DF, RP), y2009=(72170, DF, RP))),
    Rayon("Aravan", "osh", "Aravan", 1,
          _v(y1989=(71214, RES, RZ), y1999=(91438, RES, RZ), y2009=(106134, RES, RZ))),
    Rayon("Chong-Alay", "osh", "Daroot-Korgon", 1,
          _v(y1989=(14616, RES, RZ), y1999=(21655, DF, RZ), y2009=(23598, DF, RZ))),
    Rayon("Kara-Kulja", "osh", "Kara-Kulja", 0, _v(y2009=(87691, RES, RZ))),
    Rayon("Kara-Suu", "osh", "Kara Suu", 1, _v(y2009=(348645, RES, RZ))),
    Rayon("Nookat", "osh", "Nookat", 1,
          _v(y1989=(143476, RES, RZ), y1999=(196544, DF, RZ), y2009=(214995, DF, RZ))),
    Rayon("Uzgen", "osh", "Uzgen", 1,
          _v(y1989=(152880, DF, RZ), y1999=(193338, DF, RZ), y2009=(228114, RES, RZ))),
    Rayon("Bakai-Ata", "talas", "Bakai-Ata", 1, _v(y2009=(44057, RES, RZ))),
    Rayon("Kara-Buura", "talas", "Kyzyl-Adyr", 1,
          _v(y1989=(47272, DF, RP), y1999=(49879, DF, RP), y2009=(56442, DF, RZ)),
          rp_name="Aitmatov (ex Kara-Buura)"),
    Rayon("Manas", "talas", "Pokrovka", 1, _v(y2009=(32913, RES, RZ))),
    Rayon("Talas", "talas", "Talas", 1,
          _v(y1989=(48703, RES, RZ), y1999=(50045, RES, RZ), y2009=(58867, RES, RZ))),
]
RZ_NAME = {"Kara-Buura": "Kara-Buura (Aitmatov)"}
# Reference rayons for the one rayon without any figure (Toguz-Toro): mountain rayons around it.
DENSITY_REFERENCE = ("Chatkal", "Toktogul", "Ak-Talaa", "Jumgal")
TOGUZ_TORO_AREA_KM2 = 3816  # rayons_2009.csv


# --- towns ----------------------------------------------------------------------------------
@dataclass
class Town:
    name: str  # as in towns_census.csv
    rayon: str  # administrative rayon it sits in (geographically, for regional towns)
    kind: str  # capital / city / town
    regional: bool = False  # town of regional significance: NOT part of the rayon's figures
    group: str = ""  # regional town whose municipal figures include this one (Shamaldy-Say)
    geo: str = ""  # name in towns.csv / cities500 when it differs
    town_type: str = ""  # seed typology override (see TYPE_SOURCES)
    centre_of: str = ""  # rayon it is the centre of


TOWNS: list[Town] = [
    Town("Jalal-Abad", "Suzak", "city", regional=True),
    Town("Tash-Kumyr", "Aksy", "city", regional=True, geo="Tash-Komur", town_type="transport"),
    Town("Shamaldy-Say", "Aksy", "town", regional=True, group="Tash-Kumyr"),
    Town("Mailuu-Suu", "Nooken", "city", regional=True),
    Town("Kara-Kul", "Toktogul", "city", regional=True, geo="Kara-Kul (Karakol, Jalal-Abad reg.)"),
    Town("Kok-Jangak", "Suzak", "town", town_type="mining"),
    Town("Kerben", "Aksy", "town", centre_of="Aksy"),
    Town("Kochkor-Ata", "Nooken", "town"),
    Town("Toktogul", "Toktogul", "town", centre_of="Toktogul"),
    Town("Terek-Say", "Chatkal", "town"),
    Town("Sumsar", "Chatkal", "town"),
    Town("Bazar-Korgon", "Bazar-Korgon", "town", town_type="border_trade", centre_of="Bazar-Korgon"),
    Town("Kazarman", "Toguz-Toro", "town", centre_of="Toguz-Toro"),
    Town("Karakol", "Ak-Suu", "city", regional=True, town_type="tourism"),
    Town("Balykchy", "Issyk-Kul", "city", regional=True, town_type="tourism"),
    Town("Cholpon-Ata", "Issyk-Kul", "town", centre_of="Issyk-Kul"),
    Town("Kadji-Say", "Tong", "town", town_type="tourism"),
    Town("Tokmok", "Chuy", "city", regional=True, town_type="capital_satellite", centre_of="Chuy"),
    Town("Kara-Balta", "Jayyl", "town", town_type="capital_satellite", centre_of="Jayyl"),
    Town("Kant", "Ysyk-Ata", "town", town_type="capital_satellite", centre_of="Ysyk-Ata"),
    Town("Kemin", "Kemin", "town", geo="Kemin (ex-Bystrovka)", centre_of="Kemin"),
    Town("Shopokov", "Sokuluk", "town"),
    Town("Kayyngdy", "Panfilov", "town", geo="Kaindy", centre_of="Panfilov"),
    Town("Orlovka", "Kemin", "town"),
    Town("Ak-Tyuz", "Kemin", "town", town_type="mining"),
    Town("Sokuluk", "Sokuluk", "town", centre_of="Sokuluk"),
    Town("Naryn", "Naryn", "city", regional=True, town_type="remote"),
    Town("Min-Kush", "Jumgal", "town"),
    Town("At-Bashy", "At-Bashy", "town", geo="At-Bashi", centre_of="At-Bashy"),
    Town("Talas", "Talas", "city", regional=True),
    Town("Batken", "Batken", "city", regional=True),
    Town("Kyzyl-Kiya", "Kadamjay", "city", regional=True),
    Town("Sulukta", "Leilek", "city", regional=True),
    Town("Isfana", "Leilek", "town", geo="Isfana (renamed Razzakov 2022)", town_type="remote",
         centre_of="Leilek"),
    Town("Aydarken (Khaidarkan)", "Kadamjay", "town", geo="Aydarken"),
    Town("Kadamjay", "Kadamjay", "town"),
    Town("Kara-Suu", "Kara-Suu", "town", town_type="border_trade", centre_of="Kara-Suu"),
    Town("Uzgen", "Uzgen", "town", town_type="border_trade", centre_of="Uzgen"),
    Town("Nookat", "Nookat", "town", centre_of="Nookat"),
    Town("Naiman", "Nookat", "town"),
]
# Oblast centres (admin_rank 1) and the seed lines behind each typology override.
OBLAST_CENTRES = {"Jalal-Abad", "Karakol", "Naryn", "Talas", "Batken"}
SEED = "seed 000_0a698f04e912d04a.txt (Voices from Central Asia No. 9, 2013, Nasritdinov)"
TYPE_SOURCES = {
    "Tash-Kumyr": f"{SEED}: 'small-scale trade, such as in Tash-Komur located on the Osh-Bishkek road'",
    "Kadji-Say": f"{SEED}: 'profit from the tourism industry, like Kadji-Say' (also a mining town)",
    "Karakol": f"{SEED}: 'Karakol and Balykchy have benefited ... from the tourism industry'",
    "Balykchy": f"{SEED}: 'Karakol and Balykchy have benefited ... from the tourism industry'",
    "Kara-Suu": f"{SEED}: 'Kara-Suu, Uzgen, and Bazar-Korgon have profited from trade with ... Uzbekistan'",
    "Uzgen": f"{SEED}: 'Kara-Suu, Uzgen, and Bazar-Korgon have profited from trade with ... Uzbekistan'",
    "Bazar-Korgon": f"{SEED}: 'Kara-Suu, Uzgen, and Bazar-Korgon have profited from trade with ... Uzbekistan'",
    "Tokmok": f"{SEED}: 'Tokmok, Kant, and Kara-Balta, have benefited from their proximity to Bishkek'",
    "Kant": f"{SEED}: 'Tokmok, Kant, and Kara-Balta, have benefited from their proximity to Bishkek'",
    "Kara-Balta": f"{SEED}: 'Tokmok, Kant, and Kara-Balta, have benefited from their proximity to Bishkek'",
    "Ak-Tyuz": f"{SEED}: 'former mining towns of Ak-Tyuz and Kok-Jangak' (remote, end of a road)",
    "Kok-Jangak": f"{SEED}: 'former mining towns of Ak-Tyuz and Kok-Jangak' (remote, end of a road)",
    "Naryn": f"{SEED}: 'provincial towns in the remote Batken and Naryn regions (like Isfana and Naryn)'",
    "Isfana": f"{SEED}: 'provincial towns in the remote Batken and Naryn regions (like Isfana and Naryn)'",
}
# Places named in the shared tables that have no population figure at all; they are not separate
# settlements: their people are counted where the note says (documented in SOURCES.md).
NOT_SEPARATE = {
    "Kyzyl-Jar": "UTS subordinate to Tash-Kumyr; no figure: inside the Aksy rural remainder",
    "Kok-Tash": "UTS subordinate to Mailuu-Suu: inside the Mailuu-Suu figures",
    "Chauvay": "UTS, Kadamjay rayon; no figure: inside the Kadamjay rural remainder",
    "Sovetskiy": "UTS, Kadamjay rayon; no figure: inside the Kadamjay rural remainder",
    "Bordunskiy": "UTS, Kemin rayon; no figure: inside the Kemin rural remainder",
    "Sary-Tash": "UTS, Alay rayon; no figure: inside the Alay rural remainder",
    "Engilchek (Inylchek)": "mining settlement, Ak-Suu rayon; no dated figure: inside the Ak-Suu rural remainder",
}

# --- Bishkek's novostroiki --------------------------------------------------------------------
NV_README = "shared/data/README.md (key facts: novostroiki)"


@dataclass
class Novostroika:
    name: str
    founded: int
    founded_source: str
    legal_status: str
    hazard_zone: int
    status_source: str
    figures: dict[int, int] = field(default_factory=dict)  # year -> sourced population

    @property
    def id(self) -> str:
        return "nv_" + slug(self.name)


_SEED_NV = f"{SEED.replace('Nasritdinov', 'Nasritdinov/Alymbaeva')}"
_FIRST_WAVE = ("1990 = first wave 1989-91 (World Bank 2007: 9 settlements founded 1989-91; the seed: "
               "'In 1989, when the first wave of samozahvat occurred'); settlement-specific year not sourced")
_UNLEGALISABLE = f"{_SEED_NV}: 'some novostroiki are built in places which cannot be legalized - Ak-Jar, Altyn-Kazyk, TEC-2, and parts of Ala-Too'"
_FIRST_LEGAL = f"{_SEED_NV}: first-wave squats were legalised by 'apportioning plots of land among workers'"
NOVOSTROIKI = [
    Novostroika("Kalys-Ordo", 2002, f"first record: ~900 squatters in 2002 ({NV_README})", "legalised", 0,
                f"titles a year after 2002 ({NV_README})", {2002: 900}),
    Novostroika("Ak-Jar", 2005, f"squatted 2005 on a disused quarry ({NV_README})", "illegal", 1, _UNLEGALISABLE),
    Novostroika("Altyn-Kazyk", 2005, f"~1,000 residents from 2005 beside the city dump ({NV_README})", "illegal", 1,
                f"{_UNLEGALISABLE}; no legal status in 2012 ({NV_README})", {2012: 1000}),
    Novostroika("Kelechek", 1990, _FIRST_WAVE, "legalised", 0, _FIRST_LEGAL),
    Novostroika("Ak-Bata", 1990, _FIRST_WAVE, "legalised", 0, _FIRST_LEGAL),
    Novostroika("Ala-Too", 1990, _FIRST_WAVE, "legalised", 1,
                f"{_UNLEGALISABLE}; the rest of Ala-Too counted as legalised ({_FIRST_LEGAL})"),
    Novostroika("TEC-2", 1990, _FIRST_WAVE, "illegal", 1, _UNLEGALISABLE),
    Novostroika("other", 1989, "aggregate of the remaining settlements (48 in 2012), founded from 1989", "legalised", 0,
                "aggregate: status mixed; counted as legalised (most first-wave squats were legalised, per the seed)"),
]
# Total novostroiki population anchors (year, value or share-of-Bishkek, source)
NV_TOTAL_ANCHORS = [
    (1989, 0.0, "0 at the January 1989 census: squatting began in 1989 (seed)"),
    (2003, 100000.0, "> 100,000 outskirts residents in 2003 (RFE/RL, shared README; lower bound)"),
    (2007, -0.25, "> 1/4 of Bishkek residents (World Bank 2007, Urban 'Novostroiki' Settlements in Bishkek)"),
    (2012, 260000.0, "260,000 squatters in 48 settlements (Bishkek mayor's office 2012, shared README)"),
]
NV_COUNT_ANCHORS = [(1991, 9), (2012, 48)]  # settlements: World Bank 2007 (1989-91), mayor 2012
