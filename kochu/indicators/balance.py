"""Where people live: primacy, balance of settlement, border areas, capital pressure.

Definitions (all on 1 January, people present):

- **primacy**: ``capital_share`` = capital incl. novostroiki / national population (the seed:
  Bishkek ≈ 1 M ≈ 20 %); ``capital_to_second_city`` = capital / second city (Bishkek / Osh).
- **balance of settlement** (the seed's "more balanced settlement of the country"):
  ``theil_settlements`` = (1/N) Σ (xᵢ/μ) ln(xᵢ/μ) over the N settlements (0 = all equal,
  ln N = everyone in one place); ``cv_settlements`` = σ/μ of settlement sizes (σ with ddof 0).
  With first-level areas: ``theil_oblast_density`` = Σ sᵢ ln(sᵢ/aᵢ), sᵢ the unit's share of
  population, aᵢ its share of area (0 = the same density everywhere; the Theil index of
  population relative to area), and ``cv_oblast_density`` = σ/μ of the units' densities.
- **border areas**: population of settlements with ``border == 1`` and its share; density
  per km² = population of the rayons wholly in the border area that have an ``area_km2`` in
  the atlas / their area.
- **capital pressure**: capital population / infrastructure capacity, capacity expressed as an
  index where 1.0 = the capital's 1989 population (the Soviet-era city its roads, water and
  housing were built for; the seed: "not designed for the increasing volume of people"),
  plus any formal capacity added by a housing programme (people).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kochu.indicators.common import group_sum, safe_div


def theil(x: np.ndarray | pd.Series) -> float:
    """Theil T index of non-negative sizes: (1/N) Σ (xᵢ/μ) ln(xᵢ/μ), 0·ln 0 = 0."""
    a = np.asarray(x, dtype="float64")
    mu = a.mean() if a.size else 0.0
    if mu <= 0:
        return float("nan")
    r = a / mu
    pos = r > 0
    return float(np.sum(r[pos] * np.log(r[pos])) / a.size)


def coefficient_of_variation(x: np.ndarray | pd.Series) -> float:
    """σ/μ (population σ, ddof 0); NaN when μ is 0."""
    a = np.asarray(x, dtype="float64")
    mu = a.mean() if a.size else 0.0
    return float(a.std() / mu) if mu > 0 else float("nan")


def theil_relative(pop: np.ndarray | pd.Series, area: np.ndarray | pd.Series) -> float:
    """Σ sᵢ ln(sᵢ/aᵢ): Theil index of population shares s relative to area shares a."""
    p = np.asarray(pop, dtype="float64")
    a = np.asarray(area, dtype="float64")
    if p.sum() <= 0 or a.sum() <= 0:
        return float("nan")
    s, w = p / p.sum(), a / a.sum()
    pos = s > 0
    return float(np.sum(s[pos] * np.log(s[pos] / w[pos])))


def primacy(jan: pd.DataFrame, capital: list[str], second_city: list[str]) -> pd.DataFrame:
    """Year × {capital_share, capital_to_second_city} from a year × place January table."""
    cap = group_sum(jan, capital)
    total = jan.sum(axis=1)
    return pd.DataFrame(
        {
            "capital_share": safe_div(cap, total),
            "capital_to_second_city": safe_div(cap, group_sum(jan, second_city)),
        }
    )


def settlement_balance(jan: pd.DataFrame) -> pd.DataFrame:
    """Year × {theil_settlements, cv_settlements} over the settlements (columns of ``jan``)."""
    return pd.DataFrame(
        {
            "theil_settlements": jan.apply(theil, axis=1),
            "cv_settlements": jan.apply(coefficient_of_variation, axis=1),
        }
    )


def oblast_balance(jan_units: pd.DataFrame, area_km2: pd.Series) -> pd.DataFrame:
    """Year × {theil_oblast_density, cv_oblast_density} from a year × unit table and areas."""
    units = [u for u in jan_units.columns if u in area_km2.index]
    area = area_km2.reindex(units).astype("float64")
    pop = jan_units[units]
    density = pop / area
    return pd.DataFrame(
        {
            "theil_oblast_density": pop.apply(lambda r: theil_relative(r, area), axis=1),
            "cv_oblast_density": density.apply(coefficient_of_variation, axis=1),
        }
    )


def border_areas(jan: pd.DataFrame, border: list[str], area_km2: float | None) -> pd.DataFrame:
    """Year × {population, share, density_per_km2 (if the area is known)} of border areas."""
    pop = group_sum(jan, border)
    out = pd.DataFrame({"population": pop, "share": safe_div(pop, jan.sum(axis=1))})
    if area_km2 and area_km2 > 0:
        out["density_per_km2"] = pop / area_km2
    return out


def capital_pressure(cap: pd.Series, added_capacity: pd.Series | None = None) -> pd.DataFrame:
    """Year × {population, capacity_index, pressure} for the capital's January population.

    ``capacity_index`` = (capital population in the first year + people housed by added
    formal capacity up to that year) / capital population in the first year;
    ``pressure`` = (population / first-year population) / capacity_index.
    """
    base = float(cap.iloc[0]) if len(cap) else float("nan")
    added = (
        added_capacity.reindex(cap.index).ffill().fillna(0.0)
        if added_capacity is not None
        else pd.Series(0.0, index=cap.index)
    )
    capacity = (base + added) / base if base > 0 else pd.Series(np.nan, index=cap.index)
    return pd.DataFrame(
        {"population": cap, "capacity_index": capacity, "pressure": (cap / base) / capacity}
    )
