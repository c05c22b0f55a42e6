"""Indicators on hand-built run tables with exact expected values."""

from __future__ import annotations

import math
import sys
import types
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from kochu.indicators import balance as B
from kochu.indicators import compute, depopulating_towns
from kochu.indicators import migration as M
from kochu.indicators import places as P
from kochu.indicators.common import capital_ids, january

# id, kind, oblast, urban, north, elevation, admin_rank, border, town_type, legal_status, hazard
SETTLEMENTS = [
    ("cap", "capital", "Cap", 1, 1, 800, 0, 0, "capital", None, 0),
    ("nv1", "informal", "North", 1, 1, 780, 4, 0, "informal", "illegal", 1),
    ("nv2", "informal", "Cap", 1, 1, 790, 4, 0, "informal", "legal", 0),
    ("city2", "city", "South", 1, 0, 900, 1, 1, "regional_centre", None, 0),
    ("mine", "town", "North", 1, 1, 1900, 3, 0, "mining", None, 0),
    ("vill", "rural", "South", 0, 0, 1600, 4, 1, "rural", None, 0),
]
POP = {  # 1 January
    1989: {"cap": 100, "nv1": 0, "nv2": 10, "city2": 50, "mine": 40, "vill": 100},
    1990: {"cap": 120, "nv1": 10, "nv2": 10, "city2": 45, "mine": 20, "vill": 95},
}
FLOWS = [  # year, origin, destination, true, registered
    (1989, "vill", "cap", 15, 10),
    (1989, "mine", "cap", 5, 5),
    (1989, "mine", "abroad", 15, 0),
    (1989, "vill", "nv1", 10, 0),
    (1989, "city2", "vill", 5, 5),
    (1989, "abroad", "city2", 2, 2),
    (1990, "vill", "cap", 10, 4),
]


def make_atlas(
    areas: dict[str, float] | None = None, rayon_areas: dict[str, float] | None = None
) -> SimpleNamespace:
    cols = ["kind", "oblast", "urban", "north", "elevation_m", "admin_rank", "border",
            "town_type", "legal_status", "hazard_zone"]
    s = pd.DataFrame([r[1:] for r in SETTLEMENTS], index=[r[0] for r in SETTLEMENTS], columns=cols)
    s["founded"] = [None, 1990, 1989, None, None, None]
    s["level"] = "settlement"
    s["name"] = s.index.str.title()
    s["rayon_id"] = ["r_cap", "r_north", "r_cap", "r_south", "r_north", "r_south"]
    s["parent"] = s["rayon_id"]
    units = pd.DataFrame(
        {"level": "oblast", "name": ["Cap", "North", "South"], "kind": None, "parent": "country"},
        index=["u_cap", "u_north", "u_south"],
    )
    rayons = pd.DataFrame(
        {"level": "rayon", "name": ["rc", "rn", "rs"], "kind": None, "parent": ["u_cap", "u_north", "u_south"]},
        index=["r_cap", "r_north", "r_south"],
    )
    places = pd.concat([units, rayons, s])
    rows = [(f"u_{k.lower()}", None, "area_km2", v) for k, v in (areas or {}).items()]
    rows += [(r, None, "area_km2", v) for r, v in (rayon_areas or {}).items()]
    att = pd.DataFrame(rows, columns=["place", "year", "attribute", "value"])
    return SimpleNamespace(places=places, settlements=s, attributes=att)


def make_tables() -> dict[str, pd.DataFrame]:
    pop = [
        (y, m, p, n, n) for y, d in POP.items() for p, n in d.items() for m in (1, 2)
    ]
    population = pd.DataFrame(pop, columns=["year", "month", "place", "present", "permanent"])
    flows = pd.DataFrame(FLOWS, columns=["year", "origin", "destination", "true", "registered"])
    events = pd.DataFrame(
        {"year": [1989, 1990], "month": [1, 1], "population": [300, 300],
         "unregistered": [0, 30]}
    )
    return {"population": population, "flows": flows, "events": events}


def value(table: pd.DataFrame, name: str, year: int) -> float:
    sel = table[(table["indicator"] == name) & (table["year"] == year)]["value"]
    assert len(sel) == 1, f"{name} {year}: {len(sel)} rows"
    return float(sel.iloc[0])


@pytest.fixture(scope="module")
def result() -> pd.DataFrame:
    return compute(make_tables(), make_atlas({"Cap": 100.0, "North": 400.0, "South": 500.0}))


# ---- small pure functions -----------------------------------------------------------------

def test_theil_and_cv_exact() -> None:
    assert B.theil([1, 1, 1, 1]) == 0.0
    assert B.theil([0, 0, 0, 4]) == pytest.approx(math.log(4))
    # x = [1, 3], mu = 2: (0.5 ln 0.5 + 1.5 ln 1.5) / 2
    assert B.theil([1, 3]) == pytest.approx((0.5 * math.log(0.5) + 1.5 * math.log(1.5)) / 2)
    assert B.coefficient_of_variation([1, 3]) == pytest.approx(0.5)
    assert math.isnan(B.coefficient_of_variation([0, 0]))


def test_theil_relative_zero_for_uniform_density() -> None:
    assert B.theil_relative([10, 40], [1, 4]) == pytest.approx(0.0)
    # everyone in the first unit, which has a fifth of the area: ln 5
    assert B.theil_relative([50, 0], [1, 4]) == pytest.approx(math.log(5))


def test_capital_ids_include_novostroiki_outside_the_capital_unit() -> None:
    assert capital_ids(make_atlas().settlements) == ["cap", "nv1", "nv2"]


def test_capital_pressure_index_relative_to_first_year() -> None:
    cap = pd.Series([100.0, 150.0, 200.0], index=[1989, 1990, 1991])
    out = B.capital_pressure(cap)
    assert out["pressure"].tolist() == [1.0, 1.5, 2.0]
    added = pd.Series([50.0], index=[1990])  # 50 people housed from 1990 on
    out = B.capital_pressure(cap, added)
    assert out["capacity_index"].tolist() == [1.0, 1.5, 1.5]
    assert out["pressure"].tolist() == [1.0, 1.0, pytest.approx(2.0 / 1.5)]


def test_net_migration_cancels_within_units() -> None:
    flows = pd.DataFrame(FLOWS, columns=["year", "origin", "destination", "true", "registered"])
    unit_of = make_atlas().settlements["oblast"]
    net = M.net_migration(flows, unit_of)
    # 1989: Cap +15 +5; North +10 (vill→nv1) −5 (mine→cap) −15 (abroad); South −15 −10 +2
    assert net.loc[1989].to_dict() == {"Cap": 20.0, "North": -10.0, "South": -23.0}
    # vill→city2 moves within South would cancel; city2→vill is within South too
    assert "abroad" not in net.columns


def test_serviced_table_override_by_legalisation() -> None:
    s = make_atlas().settlements
    t = P.serviced_table(s, pd.Index([1989, 1990, 1991]), {"nv1": 1990})
    assert t["nv1"].tolist() == [False, True, True]
    assert t["nv2"].tolist() == [True, True, True]  # legal from its founding


def test_legalised_settlements_have_services_from_their_legalisation_year() -> None:
    s = make_atlas().settlements.copy()
    s.loc["nv2", ["legal_status", "founded"]] = ["legalised", 2002]
    s.loc["nv1", ["legal_status", "founded"]] = ["legalised", 1989]
    years = pd.Index([1990, 1991, 2002, 2003])
    t = P.serviced_table(s, years)
    assert t["nv2"].tolist() == [False, False, False, True]  # Kalys-Ordo: 2002 → 2003
    assert t["nv1"].tolist() == [False, True, True, True]  # first squats: 1991


# ---- compute() on the hand-built run ---------------------------------------------------------

def test_population_and_primacy(result: pd.DataFrame) -> None:
    assert value(result, "population.total", 1989) == 300
    assert value(result, "primacy.capital_share", 1989) == pytest.approx(110 / 300)
    assert value(result, "primacy.capital_share", 1990) == pytest.approx(140 / 300)
    # second city = largest city outside the capital in 1989: city2
    assert value(result, "primacy.capital_to_second_city", 1990) == pytest.approx(140 / 45)


def test_balance(result: pd.DataFrame) -> None:
    x = np.array([100, 0, 10, 50, 40, 100], dtype=float)
    assert value(result, "balance.theil_settlements", 1989) == pytest.approx(B.theil(x))
    assert value(result, "balance.cv_settlements", 1989) == pytest.approx(x.std() / x.mean())
    # units 1989: Cap 110 on 100 km², North 40 on 400, South 150 on 500
    s = np.array([110, 40, 150]) / 300
    a = np.array([100, 400, 500]) / 1000
    assert value(result, "balance.theil_oblast_density", 1989) == pytest.approx(
        float(np.sum(s * np.log(s / a)))
    )
    d = np.array([1.1, 0.1, 0.3])
    assert value(result, "balance.cv_oblast_density", 1989) == pytest.approx(d.std() / d.mean())


def test_border_capital_novostroiki(result: pd.DataFrame) -> None:
    assert value(result, "border.population", 1990) == 140  # city2 45 + vill 95
    assert value(result, "border.share", 1990) == pytest.approx(140 / 300)
    assert value(result, "capital.pressure", 1990) == pytest.approx(140 / 110)
    assert value(result, "novostroiki.population", 1990) == 20
    assert value(result, "novostroiki.without_services", 1990) == 10  # nv1 is illegal
    assert value(result, "novostroiki.share_without_services", 1990) == pytest.approx(0.5)
    assert math.isnan(P.novostroiki(
        pd.DataFrame({"nv1": [0.0]}, index=[1989]), pd.DataFrame({"nv1": [False]}, index=[1989])
    )["share_without_services"].iloc[0])


def test_registration_gap(result: pd.DataFrame) -> None:
    # internal 1989: true 15+5+10+5 = 35, registered 10+5+0+5 = 20
    assert value(result, "registration.gap", 1989) == pytest.approx(1 - 20 / 35)
    assert value(result, "registration.gap.Cap", 1989) == pytest.approx(1 - 15 / 20)
    assert value(result, "registration.gap.North", 1989) == pytest.approx(1.0)
    assert value(result, "registration.gap", 1990) == pytest.approx(0.6)
    assert value(result, "registration.unregistered_share", 1990) == pytest.approx(0.1)


def test_net_migration_rates(result: pd.DataFrame) -> None:
    assert value(result, "net_migration_rate.place.cap", 1989) == pytest.approx(1000 * 20 / 100)
    # vill 1989: −15 −10 +5 = −20 over 100
    assert value(result, "net_migration_rate.place.vill", 1989) == pytest.approx(-200.0)
    # nv1 has 0 people on 1 January 1989: no rate
    assert result[result["indicator"] == "net_migration_rate.place.nv1"]["year"].tolist() == [1990]
    assert value(result, "net_migration_rate.oblast.South", 1989) == pytest.approx(-23000 / 150)
    assert value(result, "net_migration_rate.oblast.Cap", 1990) == pytest.approx(10000 / 130)  # nv1 lies in North


def test_departures_and_arrivals(result: pd.DataFrame) -> None:
    # 1989 South: vill→cap 15, vill→nv1 10 leave (city2→vill stays inside); abroad→city2 2 arrive
    assert value(result, "departures.oblast.South", 1989) == 25
    assert value(result, "arrivals.oblast.South", 1989) == 2
    assert value(result, "departures.oblast.North", 1989) == 20  # mine→cap 5, mine→abroad 15
    assert value(result, "arrivals.oblast.Cap", 1989) == 20


def test_town_fates(result: pd.DataFrame) -> None:
    assert value(result, "town_fates.growth.mining", 1990) == pytest.approx(-0.5)
    assert value(result, "town_fates.growth.regional_centre", 1990) == pytest.approx(-0.1)
    assert value(result, "town_fates.depopulating_count", 1990) == 2
    assert value(result, "town_fates.depopulating_count", 1989) == 0
    assert value(result, "town_fates.town_growth.mine", 1990) == pytest.approx(-0.5)
    jan = january(make_tables()["population"])
    dep = depopulating_towns(jan, make_atlas().settlements, 1990)
    assert dep.index.tolist() == ["mine", "city2"]
    assert dep["growth"].tolist() == pytest.approx([-0.5, -0.1])


def test_destination_shares(result: pd.DataFrame) -> None:
    # 1989 moves from outside the capital: to Cap 15+5+10(nv1) = 30, abroad 15, South 5
    assert value(result, "destination_share.Cap", 1989) == pytest.approx(30 / 50)
    assert value(result, "destination_share.abroad", 1989) == pytest.approx(15 / 50)
    assert value(result, "destination_share.South", 1989) == pytest.approx(5 / 50)


def test_areas_from_rayons_and_border_density() -> None:
    # South is the only rayon wholly in the border area (city2, vill); Cap has no area
    atlas = make_atlas(rayon_areas={"r_north": 400.0, "r_south": 200.0})
    out = compute(make_tables(), atlas)
    assert value(out, "border.density_per_km2", 1990) == pytest.approx(140 / 200)
    # units with an area: North (40 on 400 km²) and South (150 on 200 km²) in 1989
    s, a = np.array([40, 150]) / 190, np.array([400, 200]) / 600
    assert value(out, "balance.theil_oblast_density", 1989) == pytest.approx(float(np.sum(s * np.log(s / a))))


def test_without_areas_no_oblast_balance() -> None:
    out = compute(make_tables(), make_atlas())
    assert not out["indicator"].str.startswith("balance.theil_oblast").any()
    assert not out["indicator"].eq("border.density_per_km2").any()


def test_legalisation_and_capacity_context() -> None:
    out = compute(
        make_tables(), make_atlas(), legalised={"nv1": 1990},
        added_capacity=pd.Series([110.0], index=[1990]),
    )
    assert value(out, "novostroiki.without_services", 1990) == 0
    assert value(out, "capital.capacity_index", 1990) == pytest.approx(2.0)
    assert value(out, "capital.pressure", 1990) == pytest.approx(140 / 110 / 2)


def test_output_shape_is_long_and_sorted(result: pd.DataFrame) -> None:
    assert list(result.columns) == ["year", "indicator", "value"]
    assert result["year"].dtype == "int64" and result["value"].dtype == "float64"
    assert not result.duplicated(["year", "indicator"]).any()
    assert result.equals(result.sort_values(["indicator", "year"]).reset_index(drop=True))
    assert result["value"].notna().all()


def test_intentions_table_passes_through() -> None:
    tables = make_tables()
    tables["intentions"] = pd.DataFrame(
        {"year": [1989, 1989], "destination": ["capital", "abroad"], "share": [0.42, 0.3]}
    )
    out = compute(tables, make_atlas())
    assert value(out, "intention_share.capital", 1989) == pytest.approx(0.42)


def test_directions_wiring(monkeypatch: pytest.MonkeyPatch) -> None:
    """compute() feeds each year's internal true moves to decompose() and names its rows."""
    seen: list[pd.DataFrame] = []

    def decompose(od: pd.DataFrame, places: pd.DataFrame, mountain_m: float) -> pd.DataFrame:
        assert mountain_m == 1500.0
        assert list(places.columns) == ["urban", "elevation_m", "admin_rank", "north"]
        seen.append(od.copy())
        total = float(od["flow"].sum())
        idx = list(M.DIRECTIONS)
        return pd.DataFrame(
            {"forward": total, "reverse": 1.0, "net": total - 1.0, "share_of_moves": 0.5}, index=idx
        )

    fake = types.ModuleType("kochu.flows.directions")
    fake.decompose = decompose  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "kochu.flows.directions", fake)
    out = M.directions(make_tables()["flows"], make_atlas().settlements)
    assert sorted(seen[0].columns) == ["destination", "flow", "origin"]
    assert "abroad" not in set(seen[0]["origin"]) | set(seen[0]["destination"])
    assert out.loc[1989, "rural_urban.forward"] == 35.0
    assert out.loc[1990, "south_north.net"] == 9.0
