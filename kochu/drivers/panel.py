"""Push–pull components per settlement and year (the panel).

Each component is built from *raw indicators* (natural units, kept in ``Drivers.raw``), each
standardized as a z-score against the **2009 cross-section of settlements** (unweighted mean
and standard deviation; a constant indicator gets sd 1), so values are comparable across
years. A component is the mean of its signed z-scores (plus the 0/1 flags named below),
standardized again against 2009. Oblast values are broadcast to their settlements (see
:mod:`kochu.drivers.oblast` for the back-cast and carry-forward rules), then differentiated
within the oblast by the rules below. Higher is better for every component except
``hazard`` and ``remoteness`` (higher = more exposed / more remote).

``income``
    ``grp_rel`` = log GRP per capita − the cross-oblast mean of logs (a relative measure:
    nominal som are not comparable across years); ``poverty`` (sign −) = oblast poverty rate ×
    urban/rural ratio of 2009 (urban 22.0%, rural 37.1%, national 31.7%; World Bank 2009) for
    settlements of mixed units (Bishkek, Osh city as given), plus the altitude gradient:
    "poverty rises with altitude zone" (World Bank 2009) — the slope of 2009 oblast poverty on
    the oblasts' population-weighted mean settlement elevation (OLS across mixed units,
    floored at 0) × the settlement's elevation above its oblast mean; clipped to [0, 1].
    The 1991 withdrawal of farm subsidies is *not* folded in: combine ``regime.farm_subsidy``
    with rurality in the utility.
``jobs``
    ``employment`` = 1 − LFS unemployment rate; ``manufacturing`` = manufacturing share of
    employment (both oblast). Then the seed's town typology is added in standard deviations
    (``town_type_effects.csv``): mining towns +1 SD while their mine operates (closure years in
    ``mining_closures.csv``; unmatched mining towns follow ``regime.mining_jobs``),
    capital satellites / transport / tourism / border-trade towns +0.5, remote towns −0.5
    (additive: a former mining town typed ``tourism``, like Kadji-Say, gets both).
``land``
    ``land_ha`` = expected farm land per person in rural settlements: parcel 2 ha × share
    owning (north 21%, south 10%; World Bank 2007 via the seed) — or the atlas's oblast
    ``land_per_capita_ha`` where it has one — scaled by national cultivated area per person
    relative to 2009 (FAO cultivated area / UN WPP population); 0 in towns and novostroiki.
``education``
    ``hei_access`` = log(1 + Σ_q HEI_q · exp(−hours_pq / 1 h)): higher-education institutions
    reachable within about a daily commute. HEI: the capital holds 19/26 of the national count
    (1994, Library of Congress), the rest is split equally among the other oblast centres
    (admin_rank 1; an assumption: only the Bishkek share is sourced); national count 9 (1990),
    33 (1995), 49 (2005; open.kg), interpolated, held after 2005.
``health``
    ``doctors`` = doctors per 10,000 of the oblast (2010–2015, NSC); no within-oblast split.
``services``
    ``water`` = oblast safely-managed drinking water × (national urban or rural coverage /
    national total) — before 2011 the national urban/rural coverage is interpolated from
    1994 (86% / 75%, FAO) so services improve over time; ``sanitation`` = oblast safely
    managed sanitation. Novostroiki (kind ``informal``): illegal ones have no water and no
    sewage (seed; Altyn-Kazyk "no water", 2012) before and after founding; legal/legalised
    ones get the rural values of Chuy (the peri-urban villages; own oblast if no Chuy) from
    their legalisation year (1991 for those founded 1989–91, 2003 for Kalys-Ordo, else one
    year after founding as for Kalys-Ordo) and nothing before.
``hazard``
    ``disaster_deaths_per_100k`` (oblast mean 2007–2015 of SDG 1.5.1 deaths, blank years = 0
    as the source notes, per 100,000 of the 2009 population) and ``landslide_share`` (95% of
    the 4,500 landslide-prone places in the south, 2003) as z-scores, plus one 0/1 flag
    ``hazard_site`` = max of ``tailings`` (settlement named in the tailings table of shared
    hazards.csv) and the atlas's ``hazard_zone``.
``remoteness``
    ``remote_hours`` = ``hours_to_capital`` + ``hours_to_centre`` (oblast centre = the
    settlement of lowest admin_rank, ties by 2009 population) from the travel-hour matrix:
    the time to reach both administrative levels; static (road improvements are scenarios).
``urban``
    ``amenity`` = ½·urban + ½·(4 − admin_rank)/4 (capital 1, … village 0).

**Information-set cut** (``until``, see :func:`kochu.drivers.build_drivers`): every input is
read as known at the end of year ``until`` — oblast series, national series and files dated
later are not read; the oblast carry-forward rule fills later years. A single-valued fact
published after ``until`` (e.g. the 2009 urban/rural poverty ratio for ``until`` < 2009, the
2003 land-ownership shares for ``until`` < 2003) is unknown then: the differentiation it
carries is left out (the source text says so); the hazard death rate averages the years
2007..``until`` that are known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kochu.drivers.oblast import oblast_matrix
from kochu.drivers.places import PlaceFacts
from kochu.drivers.sources import interp, norm_name, read, series, series_source
from kochu.errors import KochuError

COMPONENTS = ("income", "jobs", "land", "education", "health", "services", "hazard", "remoteness", "urban")
BASE_YEAR = 2009
COMMUTE_HOURS = 1.0
TAILINGS_SITES = ("Mailuu-Suu", "Min-Kush", "Kadji-Say", "Ak-Tyuz", "Orlovka", "Sumsar",
                  "Shekaftar", "Kara-Balta", "Aydarken", "Khaidarkan", "Kadamjay", "Kyzyl-Jar")
_TAILINGS_SOURCE = ("shared hazards.csv tailings rows (Mailuu-Suu 23 tailings ≈2 M m³; Min-Kush; Kadji-Say; "
                    "Ak-Tyuz; Orlovka; Sumsar; Shekaftar; Kyzyl-Jar; Kara-Balta; Khaidarkan; Kadamjay) "
                    "and notes/roads-drivers.md §3")


class Panel:
    """Builds raw indicators and components for ``years`` over the settlements of ``facts``."""

    def __init__(self, atlas, facts: PlaceFacts, years: np.ndarray, gap_1989: float,
                 mining_jobs: np.ndarray, until: int | None = None) -> None:
        self.atlas, self.f, self.years, self.gap = atlas, facts, years, gap_1989
        self.until = until
        self.mining_jobs = mining_jobs
        self.n = len(facts.table)
        self.raw: dict[str, np.ndarray] = {}
        self.sd_raw: dict[str, float] = {}
        self.gains: dict[str, tuple[str, float]] = {}  # raw name -> (component, d component / d raw)
        self.sources: dict[str, str] = {}
        st = facts.table
        self.urban = st["urban"].to_numpy(float)
        self.kind = st["kind"].astype(str).to_numpy()
        self.names = [norm_name(x) for x in st["name"]]

    # -- helpers -------------------------------------------------------------------------
    def oblast(self, indicator: str) -> tuple[np.ndarray | None, str]:
        """(n_years, n_places) broadcast of an oblast indicator, or None without data."""
        tab, text = oblast_matrix(self.atlas, indicator, self.f.oblasts, self.years, self.gap, self.until)
        if tab is None:
            return None, text
        return tab.loc[self.f.oblast].to_numpy(float).T, text

    def series(self, name: str) -> pd.Series:
        """A national series as known at the cut (may be empty)."""
        return series(name, self.until)

    def fact(self, name: str) -> float | None:
        """The first value of a single-valued national fact, or None if not known at the cut."""
        s = self.series(name)
        return None if s.empty else float(s.iloc[0])

    def unknown(self, names) -> str:
        return f"not known by {self.until}: {', '.join(names)}"

    def put(self, name: str, values: np.ndarray, source: str) -> None:
        self.raw[name] = np.asarray(np.broadcast_to(values, (len(self.years), self.n)), dtype=float)
        self.sources[name] = source

    def z(self, name: str) -> np.ndarray:
        x = self.raw[name]
        base = x[self.years == BASE_YEAR][0]
        sd = base.std() if base.std() > 1e-12 else 1.0
        self.sd_raw[name] = sd
        return (x - base.mean()) / sd

    def matches(self, names) -> np.ndarray:
        keys = {norm_name(x) for x in names}
        return np.array([nm in keys for nm in self.names])

    # -- components ----------------------------------------------------------------------
    def income(self) -> np.ndarray:
        parts = []
        grp, text = self.oblast("grp_per_capita_som")
        if grp is not None:
            lg = np.log(np.clip(grp, 1e-9, None))
            tab, _ = oblast_matrix(self.atlas, "grp_per_capita_som", self.f.oblasts, self.years, self.gap,
                                   self.until)
            mean_log = np.log(np.clip(tab.to_numpy(float), 1e-9, None)).mean(axis=0)
            self.put("grp_rel", lg - mean_log[:, None], f"log GRP per capita minus cross-oblast mean of logs; {text}")
            parts.append(("grp_rel", 1.0))
        pov, text = self.oblast("poverty_rate")
        if pov is not None:
            keys = ("poverty_national", "poverty_urban", "poverty_rural")
            nat, u, r = (self.fact(k) for k in keys)
            if nat is None or u is None or r is None:
                nat, u, r = 1.0, 1.0, 1.0  # the urban/rural ratio is not known yet: no split
                text += f"; urban/rural split {self.unknown(keys)}"
            factor = np.where(self.f.wholly_urban, 1.0, np.where(self.urban == 1, u / nat, r / nat))
            slope, slope_text = self._altitude_slope(pov)
            elev = self.f.table["elevation_m"].to_numpy(float)
            rel = elev - self._oblast_mean(elev)
            p = np.clip(pov * factor + slope * np.where(self.f.wholly_urban, 0.0, rel), 0.0, 1.0)
            self.put("poverty", p, f"oblast poverty rate x urban/rural 2009 ratio ({u}/{nat}, {r}/{nat}) "
                     f"+ altitude gradient {slope_text}; {text} | "
                     + " | ".join(series_source(k) for k in ("poverty_national", "poverty_urban", "poverty_rural")))
            parts.append(("poverty", -1.0))
        return self._combine("income", parts)

    def _oblast_mean(self, x: np.ndarray) -> np.ndarray:
        out = np.empty(self.n)
        for ob in np.unique(self.f.oblast):
            m = self.f.oblast == ob
            out[m] = np.average(x[m], weights=self.f.pop2009[m])
        return out

    def _altitude_slope(self, pov: np.ndarray) -> tuple[float, str]:
        elev = self.f.table["elevation_m"].to_numpy(float)
        mean_elev = self._oblast_mean(elev)
        p09 = pov[self.years == BASE_YEAR][0]
        xs, ys = [], []
        for ob in np.unique(self.f.oblast):
            i = np.flatnonzero(self.f.oblast == ob)[0]
            if not self.f.wholly_urban[i]:
                xs.append(mean_elev[i])
                ys.append(p09[i])
        if len(xs) < 3 or np.ptp(xs) == 0:
            return 0.0, "0 (fewer than 3 mixed oblasts)"
        slope = float(np.polyfit(np.array(xs), np.array(ys), 1)[0])
        return max(slope, 0.0), (f"{max(slope, 0.0):.3g}/m (OLS of 2009 oblast poverty on population-"
                                 f"weighted mean settlement elevation over {len(xs)} oblasts, floored at 0; "
                                 "World Bank 2009: poverty rises with altitude zone)")

    def jobs(self) -> np.ndarray:
        parts = []
        une, text = self.oblast("unemployment_rate")
        if une is not None:
            self.put("employment", 1.0 - une, f"1 - LFS unemployment rate; {text}")
            parts.append(("employment", 1.0))
        man, text = self.oblast("manufacturing_employment_share")
        if man is not None:
            self.put("manufacturing", man, f"manufacturing share of employment; {text}")
            parts.append(("manufacturing", 1.0))
        return self._combine("jobs", parts) + self._town_shift()

    def _town_shift(self) -> np.ndarray:
        eff = read("town_type_effects.csv").set_index("town_type")["jobs_shift_sd"].astype(float)
        mines = read("mining_closures.csv", self.until)
        ttype = self.f.table["town_type"].astype(str).to_numpy()
        shift = np.zeros((len(self.years), self.n))
        open_any = np.zeros((len(self.years), self.n))
        keys = self._mine_keys(mines)
        for j in range(self.n):
            if ttype[j] == "mining" or self.names[j] in keys:
                row = self._mine_row(mines, j)
                if row is None:
                    open_any[:, j] = self.mining_jobs
                else:
                    c = float(mines.loc[row, "closure_year"])
                    open_any[:, j] = 1.0 if np.isnan(c) else (self.years < c).astype(float)
                shift[:, j] += eff.get("mining", 0.0) * open_any[:, j]
            if ttype[j] != "mining" and ttype[j] in eff.index:
                shift[:, j] += eff[ttype[j]]  # e.g. Kadji-Say: mine to 1992, tourism throughout
        self.gains["mine_open"] = ("jobs", float(eff.get("mining", 0.0)))
        self.put("mine_open", open_any, "1 while the settlement's mine/plant operates (mining_closures.csv; "
                 "unmatched mining towns: regime.mining_jobs), else 0: "
                 + " | ".join(mines["source"].unique()[:3]) + " ...")
        self.sources["town_type_shift"] = "town_type_effects.csv: " + " | ".join(
            f"{t}: {v:+g} SD ({s})" for t, v, s in zip(eff.index, eff, read("town_type_effects.csv")["source"],
                                                      strict=True))
        return shift

    @staticmethod
    def _mine_keys(mines: pd.DataFrame) -> set[str]:
        keys = set()
        for name, aliases in zip(mines["name"], mines["aliases"].fillna(""), strict=True):
            keys |= {norm_name(x) for x in [name, *aliases.split("|")] if x}
        return keys

    def _mine_row(self, mines: pd.DataFrame, j: int):
        for i, (name, aliases) in enumerate(zip(mines["name"], mines["aliases"].fillna(""), strict=True)):
            if self.names[j] in {norm_name(x) for x in [name, *aliases.split("|")] if x}:
                return mines.index[i]
        return None

    def land(self) -> np.ndarray:
        north = self.f.table["north"].to_numpy(float)
        keys = ("land_parcel_ha_north", "land_owner_share_north", "land_owner_share_south")
        parcel, own_n, own_s = (self.fact(k) for k in keys)
        if parcel is None or own_n is None or own_s is None:
            per_person = np.ones(self.n)
            text = f"rural: 1 ha per person everywhere (parcel and ownership shares {self.unknown(keys)})"
        else:
            per_person = np.where(north == 1, parcel * own_n, parcel * own_s)
            text = (f"rural: parcel {parcel:g} ha x share owning (north {own_n:g}, south {own_s:g}); "
                    + " | ".join(series_source(k) for k in keys))
        tab, atext = oblast_matrix(self.atlas, "land_per_capita_ha", self.f.oblasts, self.years, 1.0, self.until)
        if tab is None:
            static = self._atlas_static_oblast("land_per_capita_ha")
            if static is not None:
                per_person = np.where(np.isnan(static), per_person, static)
                text = "atlas static oblast land_per_capita_ha where given, else " + text
        area, pop = self.series("cultivated_area_ha"), self.series("population_national")
        per_cap = interp(self.years, area) / interp(self.years, pop)
        base = float(interp(np.array([BASE_YEAR]), area)[0] / interp(np.array([BASE_YEAR]), pop)[0])
        scale = (per_cap / base)[:, None]
        rural = (self.urban == 0) & (self.kind != "informal")
        if tab is not None:
            values = tab.loc[self.f.oblast].to_numpy(float).T
            text = f"atlas oblast land_per_capita_ha by year ({atext})"
            self.put("land_ha", np.where(rural, values, 0.0), text + "; 0 in towns and novostroiki")
        else:
            self.put("land_ha", np.where(rural, per_person, 0.0) * scale,
                     text + "; x national cultivated area per person relative to 2009: "
                     + series_source("cultivated_area_ha") + " | " + series_source("population_national")
                     + "; 0 in towns and novostroiki")
        return self._combine("land", [("land_ha", 1.0)])

    def _atlas_static_oblast(self, name: str) -> np.ndarray | None:
        att = getattr(self.atlas, "attributes", None)
        if att is None or not len(att):
            return None
        rows = att[(att["attribute"] == name) & att["year"].isna() & att["place"].isin(self.f.oblasts.index)]
        if rows.empty:
            return None
        by_name = {self.f.oblasts.loc[p, "name"]: float(v) for p, v in zip(rows["place"], rows["value"], strict=True)}
        return np.array([by_name.get(o, np.nan) for o in self.f.oblast])

    def education(self) -> np.ndarray:
        total = interp(self.years, self.series("hei_total"))
        share = self.fact("hei_bishkek_share")
        if share is None:  # not known yet: the capital counts as one more centre
            share = 1.0 / (1 + int((self.f.table["admin_rank"] == 1).sum()))
        rank = self.f.table["admin_rank"].to_numpy(float)
        centres = np.flatnonzero((rank == 1) & (np.arange(self.n) != self.f.capital))
        hei = np.zeros((len(self.years), self.n))
        if len(centres):
            hei[:, self.f.capital] = share * total
            hei[:, centres] = ((1.0 - share) * total / len(centres))[:, None]
        else:
            hei[:, self.f.capital] = total
        self.put("hei", hei, f"capital {share:.3f} of the national count, rest split equally over {len(centres)} "
                 "oblast centres (assumption); " + series_source("hei_total") + " | " + series_source("hei_bishkek_share"))
        access = np.log1p(hei @ np.exp(-self.f.hours / COMMUTE_HOURS).T)
        self.put("hei_access", access, f"log(1 + sum_q HEI_q exp(-hours_pq / {COMMUTE_HOURS:g} h)); hours: "
                 + self.f.hours_source)
        return self._combine("education", [("hei_access", 1.0)])

    def health(self) -> np.ndarray:
        doc, text = self.oblast("doctors_per_10k")
        if doc is None:
            return self._combine("health", [])
        self.put("doctors", doc, f"doctors per 10,000 (oblast); {text}")
        return self._combine("health", [("doctors", 1.0)])

    def services(self) -> np.ndarray:
        parts = []
        water, wtext = self.oblast("water_safe_share")
        san, stext = self.oblast("sanitation_safe_share")
        informal = self.kind == "informal"
        served = self._legal_years()
        ref = self._chuy_rural_reference()
        if water is not None:
            u = interp(self.years, self.series("water_urban_share"))
            r = interp(self.years, self.series("water_rural_share"))
            nat_rows = read("oblast_indicators.csv", self.until)
            nat_rows = nat_rows[(nat_rows["unit"] == "Kyrgyzstan") & (nat_rows["indicator"] == "water_safe_share")]
            nat = interp(self.years, nat_rows.set_index("year")["value"].astype(float))
            k = np.where((self.urban == 1)[None, :], u[:, None], r[:, None])
            w = np.clip(water * k / nat[:, None], 0.0, 1.0)
            w_rural = np.clip(water * (r / nat)[:, None], 0.0, 1.0)
            w = np.where(informal, np.where(served, w_rural[:, ref], 0.0), w)
            self.put("water", w, "oblast safely managed water x national (urban|rural)/total coverage "
                     "(1994 FAO 86%/75% -> 2011-15 SDG 6.1.1); novostroiki: 0 if illegal or before "
                     f"legalisation, else Chuy rural; {wtext} | " + series_source("water_urban_share")
                     + " | " + series_source("water_rural_share"))
            parts.append(("water", 1.0))
        if san is not None:
            s = np.where(informal, np.where(served, san[:, ref], 0.0), san)
            self.put("sanitation", s, f"oblast safely managed sanitation; novostroiki as for water; {stext}")
            parts.append(("sanitation", 1.0))
        return self._combine("services", parts)

    def _chuy_rural_reference(self) -> np.ndarray:
        """For each settlement, the column whose oblast values serve legalised novostroiki."""
        ref = np.arange(self.n)
        chuy = np.flatnonzero((self.f.oblast == "Chuy") & (self.urban == 0))
        if len(chuy):
            ref[self.kind == "informal"] = chuy[0]
        return ref

    def _legal_years(self) -> np.ndarray:
        """(n_years, n) True where an informal settlement is legal (served) in that year."""
        st = self.f.table
        status = st["legal_status"].astype(str).to_numpy() if "legal_status" in st else np.full(self.n, "nan")
        founded = pd.to_numeric(st.get("founded", pd.Series(np.nan, index=st.index)), errors="coerce").to_numpy(float)
        kalys = self.matches(["Kalys-Ordo", "Kalys Ordo"])
        legal_from = np.full(self.n, np.inf)
        for j in range(self.n):
            if self.kind[j] != "informal" or status[j] not in ("legal", "legalised"):
                continue
            f = founded[j] if np.isfinite(founded[j]) else 1989.0
            if status[j] == "legal":
                legal_from[j] = f
            elif kalys[j]:
                legal_from[j] = 2003.0
            elif f <= 1991:
                legal_from[j] = 1991.0
            else:
                legal_from[j] = f + 1.0
        self.sources["legal_from"] = ("novostroiki legal from: 'legal' = founding year; 'legalised': Kalys-Ordo "
                                      "2003 (titles a year after 2002 squat), founded 1989-91 -> 1991 (first wave, "
                                      "seed + World Bank 2007), else founding year + 1 (the Kalys-Ordo lag)")
        return self.years[:, None] >= legal_from[None, :]

    def hazard(self) -> np.ndarray:
        parts = []
        deaths, dtext = self.oblast("disaster_deaths")
        pop, ptext = self._oblast_pop()
        if deaths is not None and pop is not None:
            last = 2015 if self.until is None else min(2015, int(self.until))
            raw = read("oblast_indicators.csv", self.until)
            raw = raw[(raw["indicator"] == "disaster_deaths") & raw["year"].between(2007, last)]
            tot = raw.groupby("unit")["value"].sum() / max(last - 2006, 1)
            per = np.array([tot.get(o, 0.0) for o in self.f.oblast]) / pop * 1e5
            self.put("disaster_deaths_per_100k", per, f"mean yearly SDG 1.5.1 disaster deaths 2007-{last} (blank = 0) "
                     f"per 100,000 of the 2009 population; {dtext} | {ptext}")
            parts.append(("disaster_deaths_per_100k", 1.0))
        south = self.fact("landslide_share_south")
        north = self.f.table["north"].to_numpy(float)
        if south is not None:
            self.put("landslide_share", np.where(north == 1, 1.0 - south, south),
                     series_source("landslide_share_south"))
            parts.append(("landslide_share", 1.0))
        tail = self.matches(TAILINGS_SITES).astype(float)
        self.put("tailings", tail, _TAILINGS_SOURCE)
        zone = pd.to_numeric(self.f.table.get("hazard_zone", 0), errors="coerce")
        zone = np.nan_to_num(np.asarray(zone, dtype=float) * np.ones(self.n))
        self.put("hazard_zone", zone, "atlas places.csv hazard_zone (see the atlas SOURCES.md)")
        self.put("hazard_site", np.maximum(tail, zone), "max(tailings, hazard_zone): one flag per mapped site, "
                 "so a tailings town the atlas also marks as a hazard zone counts once")
        return self._combine("hazard", parts, flags=("hazard_site",))

    def _oblast_pop(self) -> tuple[np.ndarray | None, str]:
        """2009 population of each settlement's oblast: atlas populations, else own copy."""
        try:
            if self.until is not None and self.until < BASE_YEAR:
                raise KochuError("the 2009 census is not known at the cut")
            pop = self.atlas.population(BASE_YEAR, level="oblast")
            by_name = {self.f.oblasts.loc[p, "name"]: float(v) for p, v in pop.items()}
            return np.array([by_name[o] for o in self.f.oblast]), "atlas populations.csv 2009 de facto"
        except (KeyError, KochuError):
            pass
        tab, text = oblast_matrix(self.atlas, "population_de_facto", self.f.oblasts, self.years, 1.0, self.until)
        if tab is None:
            return None, text
        return tab.loc[self.f.oblast, BASE_YEAR].to_numpy(float), text

    def remoteness(self) -> np.ndarray:
        h = self.f.hours
        self.put("hours_to_capital", h[:, self.f.capital], "travel hours to the capital; " + self.f.hours_source)
        self.put("hours_to_centre", h[np.arange(self.n), self.f.centre],
                 "travel hours to the oblast centre (lowest admin_rank, ties by 2009 population); " + self.f.hours_source)
        self.put("remote_hours", self.raw["hours_to_capital"] + self.raw["hours_to_centre"],
                 "hours to the capital + hours to the oblast centre (same unit, no weights)")
        out = self._combine("remoteness", [("remote_hours", 1.0)])
        self.gains["hours_to_capital"] = self.gains["hours_to_centre"] = self.gains["remote_hours"]
        return out

    def urban_amenity(self) -> np.ndarray:
        rank = self.f.table["admin_rank"].to_numpy(float)
        self.put("amenity", 0.5 * self.urban + 0.5 * (4.0 - rank) / 4.0,
                 "1/2 urban + 1/2 (4 - admin_rank)/4 from atlas places.csv")
        return self._combine("urban", [("amenity", 1.0)])

    def _combine(self, comp: str, parts: list[tuple[str, float]], flags: tuple[str, ...] = ()) -> np.ndarray:
        """Mean of signed z-scores (+ 0/1 flags), standardized; records each raw input's gain.

        The gain of a raw indicator is d(component)/d(raw) (exact where the component is
        linear in it), used by :meth:`Drivers.modified_raw`.
        """
        total = np.zeros((len(self.years), self.n))
        if parts:
            total += np.mean([sign * self.z(name) for name, sign in parts], axis=0)
        for f in flags:
            total += self.raw[f]
        base = total[self.years == BASE_YEAR][0]
        sd = base.std() if base.std() > 1e-12 else 1.0
        for name, sign in parts:
            self.gains[name] = (comp, float(sign / (self.sd_raw[name] * len(parts) * sd)))
        for f in flags:
            self.gains[f] = (comp, float(1.0 / sd))
        return (total - base.mean()) / sd

    def build(self) -> dict[str, np.ndarray]:
        """All components, (n_years, n_places) each."""
        return {
            "income": self.income(), "jobs": self.jobs(), "land": self.land(),
            "education": self.education(), "health": self.health(), "services": self.services(),
            "hazard": self.hazard(), "remoteness": self.remoteness(), "urban": self.urban_amenity(),
        }
