"""The interventions a scenario can name (``type = "..."`` in ``[[interventions]]``).

Each class is the schema of its scenario-file table (fields, units, valid ranges) and the
plug-in that acts on the simulation. The coupling to the simulation lives in the ``on_*``
methods of each class and goes only through :mod:`kochu.scenarios.hooks`.

| type | the seed | magnitude (unit) | simulation hook |
|---|---|---|---|
| ``jobs`` | railway, hydro dams, mines create regional jobs; mines closed | ``jobs`` (persons; < 0 = lost) | utility of the ``jobs`` component |
| ``transport`` | poor roads, irregular transport | ``cost_factor`` (× travel hours) | travel multiplier |
| ``registration_reform`` | ≥ 32 % unregistered; propiska hard to get | ``completeness_factor``, ``propiska_cost_factor`` (×) | registration multiplier |
| ``legalisation`` | novostroiki without status or services | ``services`` (bool) | legal status; utility of ``services`` |
| ``hazard`` | landslides, floods, earthquakes, tailings | ``displaced_share`` (fraction), ``hazard_increase_sd`` (SD) | displacement; utility of ``hazard`` |
| ``border_resettlement`` | thin border areas; careful resettlement | ``income_increase_sd`` (SD) | utility of ``income`` |
| ``farm_subsidy`` | subsidies withdrawn after 1991 | ``subsidy_level`` (0..1 of Soviet-era support) | rural out-move hazard |
| ``capital_housing`` | Bishkek's infrastructure under pressure | ``capacity_people`` (persons) | capital formal housing |

"SD" = standard deviations of the 2009 cross-section of settlements, the unit of every
push–pull component of ``kochu.drivers``; the utility of one SD is the simulation's
``beta_<component>`` parameter.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field, PrivateAttr, field_validator, model_validator

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
            raise ValueError(
                f"{field}[{i}]: '{pid}' is {article} {row['level']}, expected a settlement id"
                + _settlements_hint(atlas, pid)
            )
        if kinds and row["kind"] not in kinds:
            raise ValueError(
                f"{field}[{i}]: '{pid}' is a {row['kind']} settlement, expected kind {' or '.join(kinds)}"
            )


def _settlements_hint(atlas: Any, pid: str) -> str:
    """`` (e.g. s_naryn, ...)``: settlements under ``pid``, the namesake first."""
    ids = hooks.settlements_under(atlas, [pid])
    name = atlas.places.loc[pid, "name"]
    ids.sort(key=lambda x: atlas.places.loc[x, "name"] != name)
    return f" (settlements there: {', '.join(ids[:3])}{', …' if len(ids) > 3 else ''})" if ids else ""


@register
class Jobs(Intervention):
    """Jobs created (or lost, ``jobs < 0``) at settlements, ramped in linearly.

    ``jobs`` persons employed at full strength, split equally between ``places``, reached
    ``ramp_months`` after ``start`` (0: at once) and removed after ``end``. In the simulation
    the jobs raise the ``jobs`` component of each place by jobs per resident in standard
    deviations of the 2009 employment rate (:func:`kochu.scenarios.hooks.sd_per_job`, capped at ±3 SD), worth
    ``beta_jobs`` utility per SD: the place pulls more movers and pushes fewer out.
    """

    type_name = "jobs"
    place_fields = ("places",)

    type: Literal["jobs"] = "jobs"
    places: PlaceList
    jobs: int
    sector: Literal["railway", "hydro_dam", "mine", "mine_closure", "other"] = "other"
    ramp_months: int = Field(default=0, ge=0, le=600)

    _applied: np.ndarray | None = PrivateAttr(default=None)
    _per_job: np.ndarray | None = PrivateAttr(default=None)

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
        """Jobs in place (all places together) in month ``t`` (months since January 1989)."""
        if not self.active_at(t):
            return 0.0
        if self.ramp_months == 0:
            return float(self.jobs)
        done = min(1.0, (t - self.start_month + 1) / self.ramp_months)
        return self.jobs * done

    def init(self, sim: Any) -> None:
        super().init(sim)
        self._applied = None
        self._per_job = hooks.sd_per_job(sim, self.places)

    def _set(self, sim: Any, utility: np.ndarray) -> None:
        old = self._applied if self._applied is not None else np.zeros(len(self.places))
        hooks.add_utility(sim, self.places, utility - old)
        self._applied = utility

    def on_month(self, sim: Any, t: int) -> None:
        each = self.level_at(t) / len(self.places)
        sd = np.clip(each * self._per_job, -hooks.MAX_SD, hooks.MAX_SD)
        self._set(sim, hooks.beta(sim, "jobs") * sd)

    def on_end(self, sim: Any) -> None:
        self._set(sim, np.zeros(len(self.places)))


@register
class Transport(Intervention):
    """A road or transport improvement: travel hours between each pair of ``routes`` (both
    ways) × ``cost_factor`` (< 1 faster: 0.7 = 30 % less time; > 1 slower, a closed pass)."""

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
        hooks.scale_travel(sim, self.routes, self.cost_factor)

    def on_end(self, sim: Any) -> None:
        hooks.scale_travel(sim, self.routes, 1.0 / self.cost_factor)


@register
class RegistrationReform(Intervention):
    """Easier registration at destinations ``places`` (empty = everywhere).

    The probability that a move is registered is multiplied by ``completeness_factor`` /
    ``propiska_cost_factor`` (capped at 1 by the simulation): cheaper registration (cost
    factor 0.5) counts like doubling completeness — a unit elasticity, an assumption (no
    source gives the response of registration to its cost).
    """

    type_name = "registration_reform"
    place_fields = ("places",)

    type: Literal["registration_reform"] = "registration_reform"
    places: PlaceList = []
    completeness_factor: float = Field(default=1.0, gt=0.0, le=10.0)
    propiska_cost_factor: float = Field(default=1.0, gt=0.0, le=10.0)

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

    def check_atlas(self, atlas: Any) -> None:
        _settlement_check(atlas, "places", self.places)

    @property
    def factor(self) -> float:
        """The multiplier of the registration probability."""
        return self.completeness_factor / self.propiska_cost_factor

    def on_start(self, sim: Any) -> None:
        hooks.scale_registration(sim, self.places, self.factor)

    def on_end(self, sim: Any) -> None:
        hooks.scale_registration(sim, self.places, 1.0 / self.factor)


@register
class Legalisation(Intervention):
    """Legal status for novostroiki and, with ``services``, the services legal ones get.

    From ``start`` the settlements are ``legalised`` (registration as in the capital). With
    ``services`` their ``services`` component is raised, each January, to the mean of the
    rural settlements of Chuy in that year — the value the drivers give legalised novostroiki
    (``kochu.drivers.panel``; all rural settlements if the atlas has no Chuy).
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

    _applied: np.ndarray | None = PrivateAttr(default=None)

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

    def init(self, sim: Any) -> None:
        super().init(sim)
        self._applied = None

    def _services_gap(self, sim: Any) -> np.ndarray:
        s = sim.atlas.settlements
        rural = (s["kind"] == "rural").to_numpy()
        chuy = (s["oblast"] == "Chuy").to_numpy() & rural
        ref = chuy if chuy.any() else rural
        now = hooks.component(sim, "services", int(sim.year))
        target = float(now[ref].mean()) if ref.any() else 0.0
        idx = hooks.indices(sim, self.places)
        return np.maximum(target - now[idx], 0.0)

    def on_start(self, sim: Any) -> None:
        hooks.legalise(sim, self.places)

    def on_month(self, sim: Any, t: int) -> None:
        if not self.services or (self._applied is not None and int(sim.month) != 1):
            return
        utility = hooks.beta(sim, "services") * self._services_gap(sim)
        old = self._applied if self._applied is not None else np.zeros(len(self.places))
        hooks.add_utility(sim, self.places, utility - old)
        self._applied = utility


@register
class Hazard(Intervention):
    """A hazard event in the month ``start``: ``displaced_share`` of the households of
    ``places`` leave (returning after ``return_months`` on average; default the simulation's
    ``displacement_return_months``), and the place's ``hazard`` component rises by
    ``hazard_increase_sd`` standard deviations until ``end`` (or for good)."""

    type_name = "hazard"
    place_fields = ("places",)

    type: Literal["hazard"] = "hazard"
    hazard: Literal["landslide", "flood", "mudflow", "earthquake", "uranium_tailings"]
    places: PlaceList
    displaced_share: float = Field(ge=0.0, le=1.0)
    return_months: float | None = Field(default=None, gt=0.0, le=1200.0)
    hazard_increase_sd: float = Field(default=0.0, ge=0.0, le=hooks.MAX_SD)

    @field_validator("places")
    @classmethod
    def _places(cls, v: list[str]) -> list[str]:
        return _check_ids(v)

    @model_validator(mode="after")
    def _does_something(self) -> Hazard:
        if self.displaced_share == 0 and self.hazard_increase_sd == 0:
            raise ValueError("changes nothing: displaced_share and hazard_increase_sd are both 0")
        return self

    def check_atlas(self, atlas: Any) -> None:
        _settlement_check(atlas, "places", self.places)

    def on_start(self, sim: Any) -> None:
        if self.displaced_share > 0:
            hooks.displace(sim, self.places, self.displaced_share, self.return_months)
        if self.hazard_increase_sd > 0:
            hooks.add_utility(sim, self.places, hooks.beta(sim, "hazard") * self.hazard_increase_sd)

    def on_end(self, sim: Any) -> None:
        if self.hazard_increase_sd > 0:
            hooks.add_utility(sim, self.places, -hooks.beta(sim, "hazard") * self.hazard_increase_sd)


@register
class BorderResettlement(Intervention):
    """Incentives to live in border areas: the ``income`` component of every border
    settlement under ``places`` (any atlas level; empty = the whole border area) rises by
    ``income_increase_sd`` standard deviations (1 SD ≈ the step from a typical settlement
    to one of the better-off of 2009)."""

    type_name = "border_resettlement"
    place_fields = ("places",)

    type: Literal["border_resettlement"] = "border_resettlement"
    places: PlaceList = []
    income_increase_sd: float = Field(gt=0.0, le=hooks.MAX_SD)

    _targets: list[str] = PrivateAttr(default_factory=list)

    @field_validator("places")
    @classmethod
    def _places(cls, v: list[str]) -> list[str]:
        return _check_ids(v, allow_empty=True)

    def check_atlas(self, atlas: Any) -> None:
        for i, pid in enumerate(self.places):
            if not hooks.settlements_under(atlas, [pid], border=True):
                raise ValueError(f"places[{i}]: '{pid}' has no settlement in the border area")

    def targets(self, atlas: Any) -> list[str]:
        """The border settlements reached."""
        return hooks.settlements_under(atlas, self.places, border=True)

    def on_start(self, sim: Any) -> None:
        self._targets = self.targets(sim.atlas)
        hooks.add_utility(sim, self._targets, hooks.beta(sim, "income") * self.income_increase_sd)

    def on_end(self, sim: Any) -> None:
        hooks.add_utility(sim, self._targets, -hooks.beta(sim, "income") * self.income_increase_sd)


@register
class FarmSubsidy(Intervention):
    """Farm support restored to ``subsidy_level`` (1 = the Soviet-era support of the drivers'
    ``farm_subsidy`` regime, 0 = none) in the rural settlements under ``places`` (empty =
    all): their out-move hazard takes the value the simulation gives that support level
    (``1 + rural_crisis_push × (1 − level)``), re-evaluated each January."""

    type_name = "farm_subsidy"
    place_fields = ("places",)

    type: Literal["farm_subsidy"] = "farm_subsidy"
    places: PlaceList = []
    subsidy_level: float = Field(gt=0.0, le=1.0)

    _ratio: float = PrivateAttr(default=1.0)
    _targets: list[str] = PrivateAttr(default_factory=list)

    @field_validator("places")
    @classmethod
    def _places(cls, v: list[str]) -> list[str]:
        return _check_ids(v, allow_empty=True)

    def check_atlas(self, atlas: Any) -> None:
        for i, pid in enumerate(self.places):
            if not hooks.settlements_under(atlas, [pid], rural=True):
                raise ValueError(f"places[{i}]: '{pid}' has no rural settlement")

    def init(self, sim: Any) -> None:
        super().init(sim)
        self._ratio = 1.0

    def on_month(self, sim: Any, t: int) -> None:
        if self._ratio != 1.0 and int(sim.month) != 1:
            return
        if not self._targets:
            self._targets = hooks.settlements_under(sim.atlas, self.places, rural=True)
        farm = hooks.farm_regime(sim, int(sim.year))
        ratio = hooks.rural_push(sim, max(farm, self.subsidy_level)) / hooks.rural_push(sim, farm)
        hooks.scale_moves(sim, self._targets, ratio / self._ratio)
        self._ratio = ratio

    def on_end(self, sim: Any) -> None:
        hooks.scale_moves(sim, self._targets, 1.0 / self._ratio)
        self._ratio = 1.0


@register
class CapitalHousing(Intervention):
    """Formal housing built in the capital for ``capacity_people`` more people, built evenly
    from ``start`` to ``end`` (required) and kept afterwards; arrivals who find formal housing
    do not settle in novostroiki."""

    type_name = "capital_housing"

    type: Literal["capital_housing"] = "capital_housing"
    capacity_people: int = Field(gt=0, le=5_000_000)

    @model_validator(mode="after")
    def _needs_end(self) -> CapitalHousing:
        if self.end is None:
            raise ValueError("end: expected the year the programme finishes building, got none")
        return self

    def built_by(self, t: int) -> float:
        """People housed by month ``t`` (months since January 1989), cumulative."""
        if t < self.start_month:
            return 0.0
        months = self.end_month - self.start_month + 1  # type: ignore[operator]
        return self.capacity_people * min(1.0, (t - self.start_month + 1) / months)

    def on_month(self, sim: Any, t: int) -> None:
        hooks.add_capital_housing(sim, self.built_by(t) - self.built_by(t - 1))
