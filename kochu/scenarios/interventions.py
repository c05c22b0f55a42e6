"""The interventions a scenario can name (``type = "..."`` in ``[[interventions]]``).

Each class is the schema of its scenario-file table (fields, units, valid ranges) and the
plug-in that acts on the simulation. The coupling to the simulation lives in one method per
class (``on_start``/``on_month``/``on_end``) and goes through :mod:`kochu.scenarios.hooks`,
the only module that knows the simulation's and the drivers' APIs.

| type | what the seed says | magnitude (unit) |
|---|---|---|
| ``jobs`` | railway, hydro dams, mines create regional jobs; mine closures destroy them | ``jobs`` (persons employed; negative = jobs lost) |
| ``transport`` | poor roads and irregular transport impede access | ``cost_factor`` (× travel cost) |
| ``registration_reform`` | ≥ 32 % of internal migrants unregistered; propiska is hard | ``completeness_factor``, ``propiska_cost_factor`` (×) |
| ``legalisation`` | novostroiki lack legal status and services | ``services`` (bool) |
| ``hazard`` | landslides, floods, earthquakes, uranium tailings | ``displaced_share`` (fraction), ``hazard_increase`` (0..1) |
| ``border_resettlement`` | border areas thinly peopled; careful resettlement policy | ``income_factor`` (×) |
| ``farm_subsidy`` | subsidies withdrawn after 1991 | ``income_factor`` (×) |
| ``capital_housing`` | Bishkek's infrastructure under extreme pressure | ``capacity_people`` (persons housed) |
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from kochu.scenarios import hooks
from kochu.scenarios.base import MAX_PLACES, Intervention, register

PlaceList = list[str]


def _check_ids(value: list[str], *, allow_empty: bool = False) -> list[str]:
    if not value and not allow_empty:
        raise ValueError("expected at least one place id, got []")
    if len(value) > MAX_PLACES:
        raise ValueError(f"expected at most {MAX_PLACES} places, got {len(value)}")
    seen: set[str] = set()
    for pid in value:
        if pid in seen:
            raise ValueError(f"place {pid!r} is listed twice")
        seen.add(pid)
    return value


def _settlement_check(atlas: Any, field: str, ids: list[str], kinds: tuple[str, ...] = ()) -> None:
    places = atlas.places
    for i, pid in enumerate(ids):
        row = places.loc[pid]
        if row["level"] != "settlement":
            article = "an" if str(row["level"])[:1] in "aeiou" else "a"
            raise ValueError(f"{field}[{i}]: '{pid}' is {article} {row['level']}, expected a settlement id")
        if kinds and row["kind"] not in kinds:
            raise ValueError(
                f"{field}[{i}]: '{pid}' is a {row['kind']} settlement, expected kind {' or '.join(kinds)}"
            )


@register
class Jobs(Intervention):
    """Jobs created (or lost, ``jobs < 0``) at settlements, ramped in linearly.

    ``jobs`` persons employed at full strength, split equally between ``places``; reached
    ``ramp_months`` after ``start`` (0: at once); removed after ``end``.
    """

    type_name = "jobs"
    place_fields = ("places",)

    type: Literal["jobs"] = "jobs"
    places: PlaceList
    jobs: int
    sector: Literal["railway", "hydro_dam", "mine", "mine_closure", "other"] = "other"
    ramp_months: int = Field(default=0, ge=0, le=600)

    _applied: float = 0.0

    @field_validator("places")
    @classmethod
    def _places(cls, v: list[str]) -> list[str]:
        return _check_ids(v)

    @field_validator("jobs")
    @classmethod
    def _jobs(cls, v: int) -> int:
        if v == 0:
            raise ValueError("expected a non-zero number of jobs (negative = jobs lost), got 0")
        if abs(v) > 1_000_000:
            raise ValueError(f"expected |jobs| ≤ 1,000,000 persons, got {v}")
        return v

    @model_validator(mode="after")
    def _closure_loses(self) -> Jobs:
        if self.sector == "mine_closure" and self.jobs > 0:
            raise ValueError(f"jobs: sector 'mine_closure' loses jobs, expected jobs < 0, got {self.jobs}")
        return self

    def check_atlas(self, atlas: Any) -> None:
        _settlement_check(atlas, "places", self.places)

    def level_at(self, t: int) -> float:
        """Jobs in place (all places together) in month ``t`` of the window."""
        if not self.active_at(t):
            return 0.0
        if self.ramp_months == 0:
            return float(self.jobs)
        done = min(1.0, (t - self.start_month + 1) / self.ramp_months)
        return self.jobs * done

    def on_month(self, sim: Any, t: int) -> None:
        level = self.level_at(t)
        if level != self._applied:
            hooks.add_jobs(sim, self.places, (level - self._applied) / len(self.places))
            self._applied = level

    def on_end(self, sim: Any) -> None:
        if self._applied:
            hooks.add_jobs(sim, self.places, -self._applied / len(self.places))
            self._applied = 0.0


@register
class Transport(Intervention):
    """A road or transport improvement: travel cost between pairs of settlements × ``cost_factor``.

    ``cost_factor`` < 1 makes travel cheaper (0.7 = 30 % less), > 1 dearer (a closed pass).
    """

    type_name = "transport"
    place_fields = ("routes",)

    type: Literal["transport"] = "transport"
    routes: list[list[str]]
    cost_factor: float = Field(gt=0.0, le=10.0)

    @field_validator("routes")
    @classmethod
    def _routes(cls, v: list[list[str]]) -> list[list[str]]:
        if not v:
            raise ValueError("expected at least one route [from, to], got []")
        for i, pair in enumerate(v):
            if len(pair) != 2 or pair[0] == pair[1]:
                raise ValueError(f"route {i}: expected two different place ids [from, to], got {pair}")
        return v

    def check_atlas(self, atlas: Any) -> None:
        for i, pair in enumerate(self.routes):
            _settlement_check(atlas, f"routes[{i}]", pair)

    def on_start(self, sim: Any) -> None:
        hooks.scale_travel_cost(sim, self.routes, self.cost_factor)

    def on_end(self, sim: Any) -> None:
        hooks.scale_travel_cost(sim, self.routes, 1.0 / self.cost_factor)


@register
class RegistrationReform(Intervention):
    """Easier (or harder) registration at destinations (empty ``places`` = everywhere).

    ``completeness_factor`` multiplies the probability that a move is registered (capped at 1);
    ``propiska_cost_factor`` multiplies the cost of obtaining a residence permit.
    """

    type_name = "registration_reform"
    place_fields = ("places",)

    type: Literal["registration_reform"] = "registration_reform"
    places: PlaceList = []
    completeness_factor: float = Field(default=1.0, gt=0.0, le=10.0)
    propiska_cost_factor: float = Field(default=1.0, ge=0.0, le=10.0)

    @field_validator("places")
    @classmethod
    def _places(cls, v: list[str]) -> list[str]:
        return _check_ids(v, allow_empty=True)

    @model_validator(mode="after")
    def _does_something(self) -> RegistrationReform:
        if self.completeness_factor == 1.0 and self.propiska_cost_factor == 1.0:
            raise ValueError(
                "changes nothing: set completeness_factor or propiska_cost_factor (both are 1.0)"
            )
        return self

    def on_start(self, sim: Any) -> None:
        hooks.scale_registration(sim, self.places, self.completeness_factor, self.propiska_cost_factor)

    def on_end(self, sim: Any) -> None:
        hooks.scale_registration(
            sim, self.places, 1.0 / self.completeness_factor,
            math.inf if self.propiska_cost_factor == 0 else 1.0 / self.propiska_cost_factor,
        )


@register
class Legalisation(Intervention):
    """Legal status (and, with ``services``, roads, power, water, schools) for novostroiki.

    Settlements in a hazard zone cannot be legalised (the seed: Ak-Jar, Altyn-Kazyk, TEC-2,
    parts of Ala-Too) unless ``include_hazard_zones = true`` (a what-if after mitigation).
    Legalisation is permanent: ``end`` is not allowed.
    """

    type_name = "legalisation"
    place_fields = ("places",)

    type: Literal["legalisation"] = "legalisation"
    places: PlaceList
    services: bool = True
    include_hazard_zones: bool = False

    @field_validator("places")
    @classmethod
    def _places(cls, v: list[str]) -> list[str]:
        return _check_ids(v)

    @model_validator(mode="after")
    def _permanent(self) -> Legalisation:
        if self.end is not None:
            raise ValueError(f"end: legalisation is permanent, expected no end, got {self.end}")
        return self

    def check_atlas(self, atlas: Any) -> None:
        _settlement_check(atlas, "places", self.places, kinds=("informal",))
        if not self.include_hazard_zones:
            for i, pid in enumerate(self.places):
                if hooks.flag(atlas.places.loc[[pid], "hazard_zone"]).iloc[0] == 1:
                    raise ValueError(
                        f"places[{i}]: '{pid}' is in a hazard zone and cannot be legalised "
                        "(set include_hazard_zones = true for a what-if)"
                    )

    def on_start(self, sim: Any) -> None:
        hooks.legalise(sim, self.places, self.services)


@register
class Hazard(Intervention):
    """A hazard event at ``start``: ``displaced_share`` of residents leave at once; the
    place's hazard rises by ``hazard_increase`` (0..1 of the hazard scale) until ``end``
    (or for good)."""

    type_name = "hazard"
    place_fields = ("places",)

    type: Literal["hazard"] = "hazard"
    hazard: Literal["landslide", "flood", "mudflow", "earthquake", "uranium_tailings"]
    places: PlaceList
    displaced_share: float = Field(ge=0.0, le=1.0)
    hazard_increase: float = Field(default=0.0, ge=0.0, le=1.0)

    @field_validator("places")
    @classmethod
    def _places(cls, v: list[str]) -> list[str]:
        return _check_ids(v)

    @model_validator(mode="after")
    def _does_something(self) -> Hazard:
        if self.displaced_share == 0 and self.hazard_increase == 0:
            raise ValueError("changes nothing: displaced_share and hazard_increase are both 0")
        return self

    def check_atlas(self, atlas: Any) -> None:
        _settlement_check(atlas, "places", self.places)

    def on_start(self, sim: Any) -> None:
        if self.displaced_share > 0:
            hooks.displace(sim, self.places, self.displaced_share, reason=self.hazard)
        if self.hazard_increase > 0:
            hooks.add_hazard(sim, self.places, self.hazard_increase)

    def on_end(self, sim: Any) -> None:
        if self.hazard_increase > 0:
            hooks.add_hazard(sim, self.places, -self.hazard_increase)


class _IncomeSupport(Intervention):
    """Shared by border resettlement and farm subsidies: incomes at places × ``income_factor``."""

    place_fields = ("places",)

    places: PlaceList = []
    income_factor: float = Field(gt=1.0, le=5.0)

    @field_validator("places")
    @classmethod
    def _places(cls, v: list[str]) -> list[str]:
        return _check_ids(v, allow_empty=True)

    def target(self, sim: Any) -> list[str]:
        """Settlement ids the support reaches (subclasses filter)."""
        raise NotImplementedError

    def on_start(self, sim: Any) -> None:
        hooks.scale_income(sim, self.target(sim), self.income_factor)

    def on_end(self, sim: Any) -> None:
        hooks.scale_income(sim, self.target(sim), 1.0 / self.income_factor)


@register
class BorderResettlement(_IncomeSupport):
    """Incentives to settle border areas: incomes in the border settlements under ``places``
    (any atlas level; empty = the whole border area) × ``income_factor``."""

    type_name = "border_resettlement"
    type: Literal["border_resettlement"] = "border_resettlement"

    def target(self, sim: Any) -> list[str]:
        return hooks.settlements_under(sim, self.places, border=True)

    def check_atlas(self, atlas: Any) -> None:
        s = atlas.settlements
        for i, pid in enumerate(self.places):
            ids = hooks.descendants(atlas.places, pid)
            if not (s.index.isin(ids) & (hooks.flag(s["border"]) == 1)).any():
                raise ValueError(f"places[{i}]: '{pid}' has no settlement in the border area")


@register
class FarmSubsidy(_IncomeSupport):
    """Farm subsidies: rural incomes in the rural settlements under ``places`` (any level;
    empty = every rural settlement) × ``income_factor``."""

    type_name = "farm_subsidy"
    type: Literal["farm_subsidy"] = "farm_subsidy"

    def target(self, sim: Any) -> list[str]:
        return hooks.settlements_under(sim, self.places, rural=True)


@register
class CapitalHousing(Intervention):
    """Formal housing built in the capital: ``capacity_people`` more people housed formally,
    built evenly from ``start`` to ``end`` (required), at ``places`` (capital settlements)."""

    type_name = "capital_housing"
    place_fields = ("places",)

    type: Literal["capital_housing"] = "capital_housing"
    places: PlaceList
    capacity_people: int = Field(gt=0, le=5_000_000)

    @field_validator("places")
    @classmethod
    def _places(cls, v: list[str]) -> list[str]:
        return _check_ids(v)

    @model_validator(mode="after")
    def _needs_end(self) -> CapitalHousing:
        if self.end is None:
            raise ValueError("end: expected the year the programme finishes building, got none")
        return self

    def check_atlas(self, atlas: Any) -> None:
        _settlement_check(atlas, "places", self.places, kinds=("capital", "city", "town"))

    def on_month(self, sim: Any, t: int) -> None:
        months = self.end_month - self.start_month + 1  # type: ignore[operator]
        hooks.add_housing(sim, self.places, self.capacity_people / months / len(self.places))
