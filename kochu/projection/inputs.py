"""Demographic inputs of the projection, derived from an atlas and the national UN series.

Methods (all ``derived``; sources in ``kochu/projection/data/national_un_wpp.csv`` and the
atlas ``vital_rates.csv`` / ``age_structure.csv``):

* **Mortality**: national Brass-logit life tables reproducing UN WPP e0 by sex and year
  (:mod:`kochu.projection.lifetable`); each first-level unit's hazards are scaled by
  ``k = CDR_unit / CDR_national`` (atlas ``vital_rates.csv``). Years before the first UN year
  use the first; after the last data year rates are held constant (constant-rates variant).
* **Fertility**: a gamma-shaped age schedule over ages 15-49 with mode 26 and s.d. 6.5 years
  (the simulation's ``fertility_peak_age``/``fertility_spread``), normalised **nationally** as
  the simulation does (:mod:`kochu.sim.demography`): the country's births equal the national
  crude birth rate (atlas country row; without one, the population-weighted mean of the unit
  rates) times its population on 1 January, shared among places by their women by age × the
  schedule × the place's ethnic fertility multiplier (Slavs and Germans at
  ``fertility_slavic_ratio``, their share evolving with births and emigration:
  :mod:`kochu.projection.ethnic`) × the unit's factor ``CBR_unit / CBR_national`` (1 where the
  unit carries the national rate) × the sim's southern birth factor in the years before
  registered oblast rates (``birth_factor_south``, :mod:`kochu.sim.demography`; ``params``).
  After the last data year each place's level (≈ its total
  fertility rate) is held at the mean of the last three data years (constant-fertility
  variant); the ethnic multiplier keeps evolving.
* **International migration**: national net migrants from UN WPP 2022 for 1990-2015; the
  1989-94 total is rescaled to the national statistics figure −339,600 (1989 taken equal to
  1990 before rescaling, ``../shared/data/README.md``). The net count is shared among places
  in proportion to population × ``north_weight`` for the places of the sim's Slavic
  settlement area before 2000 (the Slavic/German exodus left from where they lived:
  :func:`kochu.sim.init.ethnic_area`, the capital, Chuy and Issyk-Kul; places that are not
  settlements use their ``north`` flag), × 1 afterwards. It is applied
  as a per-capita rate (UN net migrants / UN population, population = births / CBR), so any
  atlas scale works. After the last data year the mean rate of the last five data years is held. The age-sex
  profile is the Rogers-Castro model migration schedule (Rogers & Castro 1981, typical values).
* **Initial population**: the atlas population of ``start_year`` by place, with the national
  age-sex structure of the nearest year (5-year groups split evenly into single years; the
  open group over ages by the life table's ``L_x``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from kochu.errors import KochuError
from kochu.projection.ethnic import Minority, initial_shares, minority_emigration_weight
from kochu.projection.lifetable import (
    OPEN_AGE,
    alpha_for_e0,
    life_table,
    projection_survival,
)
from kochu.projection.model import N_AGES, YearRates

DATA = Path(__file__).parent / "data"
#: national emigration 1989-94, national statistics (README of ../shared/data)
NET_EMIGRATION_1989_94 = -339_600
AGES = np.arange(N_AGES)


def national_series() -> pd.DataFrame:
    """UN WPP 2022 national series by year (e0 by sex, TFR, CBR, CDR, net migration)."""
    return pd.read_csv(DATA / "national_un_wpp.csv").set_index("year")


def fertility_shape(mode: float = 26.0, sd: float = 6.5) -> np.ndarray:
    """Gamma-shaped fertility schedule over single ages (sums to 1; zero outside 15-49)."""
    theta = (-(mode - 15.0) + np.sqrt((mode - 15.0) ** 2 + 4 * sd**2)) / 2.0
    k = sd**2 / theta**2
    x = AGES + 0.5 - 15.0
    phi = np.where((AGES >= 15) & (AGES <= 49), np.power(np.clip(x, 1e-9, None), k - 1) * np.exp(-x / theta), 0.0)
    return phi / phi.sum()


def rogers_castro(peak_shift: float = 0.0) -> np.ndarray:
    """Rogers-Castro model migration schedule by single age (max 1)."""
    x = AGES + 0.5
    a1, al1, a2, al2, mu2, lam2, c = 0.02, 0.1, 0.06, 0.11, 20.0 + peak_shift, 0.4, 0.003
    m = a1 * np.exp(-al1 * x) + a2 * np.exp(-al2 * (x - mu2) - np.exp(-lam2 * (x - mu2))) + c
    return m / m.max()


def national_net_migration(series: pd.DataFrame | None = None) -> pd.Series:
    """Net international migrants by year 1989-2015 (see module docstring)."""
    s = (series if series is not None else national_series())["net_migration"].astype(float)
    s.loc[1989] = s.loc[1990]
    s = s.sort_index()
    early = s.loc[1989:1994]
    s.loc[1989:1994] = early * (NET_EMIGRATION_1989_94 / early.sum())
    return s


def national_net_rate(series: pd.DataFrame | None = None) -> pd.Series:
    """Net international migration per person per year (UN population = births / CBR)."""
    ser = series if series is not None else national_series()
    pop = ser["births"] / ser["crude_birth_rate"] * 1000.0
    pop.loc[1989] = pop.loc[1990] * 0.985  # 1989 from 1990 (≈1.5 % growth, UN 1990-91)
    return national_net_migration(ser) / pop.sort_index()


_GROUP = re.compile(r"^(\d+)(?:-(\d+)|\+)$")


def single_year_structure(age_structure: pd.DataFrame, year: int) -> np.ndarray:
    """National age-sex shares (2, N_AGES) from 5-year groups of the nearest year."""
    if age_structure.empty:
        raise KochuError("age_structure.csv: empty (the projection needs a national age structure)")
    years = np.array(sorted(age_structure["year"].unique()))
    near = int(years[np.argmin(np.abs(years - year))])
    rows = age_structure[age_structure["year"] == near]
    lt = life_table(alpha_for_e0(np.array([64.0])))
    lx_w = lt.Lx[0, :N_AGES]
    out = np.zeros((2, N_AGES))
    for _, r in rows.iterrows():
        m = _GROUP.match(str(r["age_group"]).strip())
        if not m or r["sex"] not in ("male", "female"):
            raise KochuError(f"age_structure.csv: age_group '{r['age_group']}' / sex '{r['sex']}': "
                             "expected like '0-4' or '80+' and male/female")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else OPEN_AGE
        lo, hi = min(lo, OPEN_AGE), min(hi, OPEN_AGE)
        w = np.ones(hi - lo + 1) if m.group(2) else lx_w[lo : hi + 1]
        out[0 if r["sex"] == "male" else 1, lo : hi + 1] += float(r["population"]) * w / w.sum()
    return out / out.sum()


@lru_cache(maxsize=256)
def _survival_for(e0: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Projection survival ratios for life expectancies (male, female) (cached)."""
    return projection_survival(life_table(alpha_for_e0(np.array(e0))))


def initial_population(atlas, places: list[str], year: int = 1989, measure: str = "de_facto") -> np.ndarray:
    """Age-sex-place population (2, N_AGES, n) on 1 January ``year``."""
    level = atlas.places.loc[places[0], "level"]
    pop = atlas.population(year, measure, level).reindex(places).to_numpy(float)
    return single_year_structure(atlas.age_structure, year)[:, :, None] * pop[None, None, :]


@dataclass
class DemographyOptions:
    """Projection-side demographic settings (not behaviour parameters of the simulation)."""

    last_data_year: int = 2015  # rates after this year are held (backtests set 2009)
    intl_scale: float = 1.0  # multiplier on national net international migration
    north_weight: float = 4.0  # weight of the Slavic-area places in net emigration before 2000
    fertility_mode: float = 26.0
    fertility_sd: float = 6.5
    sex_ratio: float = 0.512


class DemographicRates:
    """Callable ``(year, pop) -> YearRates`` for the places of an atlas (see module docstring)."""

    def __init__(self, atlas, places: list[str], options: DemographyOptions | None = None,
                 params: Mapping[str, float] | None = None) -> None:
        from kochu.sim.demography import birth_multipliers, national_scale, south_units
        from kochu.sim.params import Params
        from kochu.sim.world import build_world

        self._national_scale = national_scale
        self.opt = options or DemographyOptions()
        self.places = list(places)
        series = national_series()
        self.series = series.loc[: self.opt.last_data_year]
        info = atlas.places.loc[self.places]
        country = atlas.level("country").index[0]
        self.units = [u if isinstance(u, str) else country for u in info["oblast_id"]]
        self.country = country
        self.north = info["north"].fillna(0).to_numpy(float) if "north" in info else np.zeros(len(places))
        self.cbr, self.cdr = self._unit_rates(atlas, country)
        self.net = national_net_rate(series).loc[: self.opt.last_data_year] * self.opt.intl_scale
        self.phi = fertility_shape(self.opt.fertility_mode, self.opt.fertility_sd)
        self.profile = np.stack([rogers_castro(), rogers_castro()])
        self._scale: dict[int, np.ndarray] = {}
        prm = params if isinstance(params, Params) else Params(dict(params or {}))
        self._arrays()
        years = np.arange(self._y0, self._y0 + self._cbr.shape[0])
        self._cbr_raw = self._cbr  # sourced rates: the level (national fallback), before the factor
        self._cbr = self._cbr * birth_multipliers(prm, south_units(atlas, self.units), years)
        world = build_world(atlas, 1989)
        self.minority = Minority(self._initial_shares(world, prm), prm["fertility_slavic_ratio"],
                                 minority_emigration_weight(prm))
        self.area = self._area(world)

    def _area(self, world) -> np.ndarray:
        """1 for places of the sim's Slavic settlement area (:func:`kochu.sim.init.ethnic_area`),
        where ``north_weight`` applies; places that are not settlements use their ``north`` flag."""
        from kochu.sim.init import ethnic_area

        area = pd.Series(ethnic_area(world).astype(float), index=list(world.ids)).reindex(self.places)
        return np.where(area.isna(), self.north, area.to_numpy(float))

    def _initial_shares(self, world, params) -> np.ndarray:
        """The sim's 1989 minority share of each place (0 for places outside the settlements)."""
        shares = pd.Series(initial_shares(world, params), index=list(world.ids))
        return shares.reindex(self.places).fillna(0.0).to_numpy(float)

    def _unit_rates(self, atlas, country: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        vr = atlas.vital_rates
        vr = vr[vr["year"] <= self.opt.last_data_year]
        nat = self.series[["crude_birth_rate", "crude_death_rate"]]
        cols = {}
        for name in ("crude_birth_rate", "crude_death_rate"):
            wide = vr.pivot_table(index="year", columns="unit", values=name, aggfunc="first")
            self._atlas_national = country in wide.columns
            if country not in wide.columns:
                wide[country] = nat[name]
            years = range(min(1989, int(nat.index.min())), self.opt.last_data_year + 1)
            wide = wide.reindex(years).ffill().bfill()
            for u in set(self.units) - set(wide.columns):
                wide[u] = wide[country]
            cols[name] = wide
        return cols["crude_birth_rate"], cols["crude_death_rate"]

    def _arrays(self) -> None:
        """Numpy copies by (year, place) of the unit rates (fast lookups in the yearly loop)."""
        self._y0 = int(self.cbr.index.min())
        self._cbr = self.cbr[self.units].to_numpy(float)
        self._cdr = self.cdr[self.units].to_numpy(float)
        self._nat_cbr = self.cbr[self.country].to_numpy(float) if self._atlas_national else None
        ser = self.series.reindex(range(self._y0, self.opt.last_data_year + 1)).bfill().ffill()
        self._nat_cdr = ser["crude_death_rate"].to_numpy(float)
        self._e0 = ser[["e0_male", "e0_female"]].to_numpy(float)

    def _row(self, year: int) -> int:
        return min(max(year - self._y0, 0), self._cbr.shape[0] - 1)

    def _national_survival(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        return _survival_for(tuple(self._e0[self._row(year)]))

    def __call__(self, year: int, pop: np.ndarray) -> YearRates:
        r = self._row(year)
        k = self._cdr[r] / self._nat_cdr[r]
        s_b, s_a = self._national_survival(year)
        s_birth = np.power(s_b[:, None], k[None, :])
        s_age = np.power(s_a[:, :, None], k[None, None, :])
        fert = self._fertility(year, pop)
        intl = self._international(year, pop)
        self.minority.record(year, pop.sum(axis=(0, 1)), np.einsum("xi,xi->i", fert, pop[1]), intl)
        return YearRates(s_birth=s_birth, s_age=s_age, fertility=fert, international=intl,
                         profile=self.profile, sex_ratio=self.opt.sex_ratio)

    def _fertility(self, year: int, pop: np.ndarray) -> np.ndarray:
        tot = pop.sum(axis=(0, 1))
        mult = self.minority.multiplier(self.minority.share(year, tot))
        if year <= self.opt.last_data_year:
            r = self._row(year)
            nat = None if self._nat_cbr is None else float(self._nat_cbr[r])
            if nat is None:  # no country row: the level is the mean of the sourced unit rates
                nat = float((self._cbr_raw[r] * tot).sum() / tot.sum()) if tot.sum() > 0 else None
            exposure = (self.phi @ pop[1]) * mult
            scale = self._national_scale(nat, self._cbr[r], tot, exposure)
            self._scale[year] = scale
        else:
            recent = [self._scale[y] for y in sorted(self._scale)[-3:]]
            if not recent:
                series_tfr = float(self.series["tfr"].iloc[-1])
                recent = [np.full(len(self.places), series_tfr)]
            scale = np.mean(recent, axis=0)
        return self.phi[:, None] * (scale * mult)[None, :]

    def _international(self, year: int, pop: np.ndarray) -> np.ndarray:
        tot = pop.sum(axis=(0, 1))
        if year <= int(self.net.index.max()):
            rate = float(self.net.loc[max(year, int(self.net.index.min()))])
        else:
            rate = float(self.net.iloc[-5:].mean())
        national = rate * tot.sum()
        w = tot * (np.where(self.area > 0, self.opt.north_weight, 1.0) if year < 2000 else 1.0)
        return national * w / w.sum()
