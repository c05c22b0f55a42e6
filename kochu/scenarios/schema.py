"""The scenario file format (TOML) and its validation.

A scenario file::

    name = "railway_jobs"                 # [A-Za-z0-9_.-]+, names the run folder
    description = "..."                   # free text
    base = "baseline"                     # "baseline" or another scenario file (relative path)
    horizon = 2035                        # last simulated year (1990..2100)
    seeds = [1, 2, 3]                     # replicates (common random numbers across scenarios)
    scale = 0.05                          # fraction of people simulated (0 < scale ≤ 1)

    [[interventions]]
    type = "jobs"                         # see kochu.scenarios.interventions
    ...

A scenario inherits the interventions of its ``base`` (followed by its own); ``name``,
``horizon``, ``seeds`` and ``scale`` are its own. Every problem is reported as one line,
``FILE: FIELD: what was expected, got what``, raised as :class:`~kochu.errors.ScenarioError`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kochu.errors import ScenarioError
from kochu.scenarios import interventions as _builtin  # noqa: F401  (registers the types)
from kochu.scenarios.base import INTERVENTIONS, Intervention, suggest
from kochu.scenarios.messages import first_error
from kochu.scenarios.timing import FIRST_YEAR, LAST_YEAR, parse_when

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
BASELINE = "baseline"
MAX_SEEDS = 1000


class Header(BaseModel):
    """The top-level keys of a scenario file (interventions are validated one by one)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    name: str
    description: str = ""
    base: str = BASELINE
    horizon: int = Field(ge=FIRST_YEAR + 1, le=LAST_YEAR)
    seeds: list[int]
    scale: float = Field(default=1.0, gt=0.0, le=1.0)
    interventions: list[Any] = []

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v) or v in (".", ".."):
            raise ValueError(f"expected letters, digits, '_', '-' or '.', got {v!r}")
        return v

    @field_validator("base")
    @classmethod
    def _base(cls, v: str) -> str:
        if not v.strip():
            raise ValueError('expected "baseline" or the path of another scenario file, got ""')
        return v

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: list[int]) -> list[int]:
        if not v:
            raise ValueError("expected at least one seed, got []")
        if len(v) > MAX_SEEDS:
            raise ValueError(f"expected at most {MAX_SEEDS} seeds, got {len(v)}")
        seen: set[int] = set()
        for s in v:
            if not 0 <= s < 2**63:
                raise ValueError(f"expected seeds between 0 and 2**63-1, got {s}")
            if s in seen:
                raise ValueError(f"seed {s} is listed twice (replicates need distinct seeds)")
            seen.add(s)
        return v


class Scenario(BaseModel):
    """A validated scenario: header fields plus intervention plug-ins (own ones only).

    Use :func:`kochu.scenarios.load_scenario` to read a file (and resolve its ``base``);
    :meth:`to_dict` / :func:`kochu.scenarios.dumps` write it back.
    """

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    name: str
    description: str = ""
    base: str = BASELINE
    horizon: int
    seeds: list[int]
    scale: float = 1.0
    interventions: list[Intervention] = []
    #: interventions inherited from ``base`` (resolved by the loader; not written back)
    inherited: list[Intervention] = Field(default_factory=list, exclude=True)

    @property
    def all_interventions(self) -> list[Intervention]:
        """Inherited interventions first, then this scenario's own."""
        return [*self.inherited, *self.interventions]

    def to_dict(self) -> dict[str, Any]:
        """The scenario as the dict of its TOML file (own interventions only)."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "base": self.base,
            "horizon": self.horizon,
            "seeds": list(self.seeds),
            "scale": self.scale,
        }
        if self.interventions:
            out["interventions"] = [iv.to_dict() for iv in self.interventions]
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]


def parse_intervention(data: Any, where: str) -> Intervention:
    """Validate one ``[[interventions]]`` table; ``where`` is e.g. ``interventions[2]``."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a table with a 'type' key, got {data!r}")
    kind = data.get("type")
    valid = ", ".join(sorted(INTERVENTIONS))
    if kind is None:
        raise ScenarioError(f"{where}: missing required key 'type' (valid types: {valid})")
    if not isinstance(kind, str) or kind not in INTERVENTIONS:
        hint = suggest(kind, sorted(INTERVENTIONS)) if isinstance(kind, str) else ""
        raise ScenarioError(f"{where}.type: unknown intervention type {kind!r}{hint} (valid types: {valid})")
    cls = INTERVENTIONS[kind]
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        path, msg = first_error(exc, cls)
        raise ScenarioError(f"{where}{'.' + path if path else ''}: {msg}") from None


def parse_scenario(data: dict[str, Any]) -> Scenario:
    """Validate a scenario dict (as read from TOML). Raises ScenarioError(``FIELD: message``)."""
    try:
        head = Header.model_validate(data)
    except ValidationError as exc:
        path, msg = first_error(exc, Header)
        raise ScenarioError(f"{path}: {msg}" if path else msg) from None
    ivs = [parse_intervention(d, f"interventions[{i}]") for i, d in enumerate(head.interventions)]
    for i, iv in enumerate(ivs):
        start_year = parse_when(iv.start)[0]
        if head.horizon < start_year:
            raise ScenarioError(f"horizon: horizon {head.horizon} is before interventions[{i}].start {iv.start}")
    fields = head.model_dump(exclude={"interventions"})
    return Scenario(**fields, interventions=ivs)


def check_finite(data: Any, path: str = "") -> None:
    """Reject NaN/inf anywhere (TOML allows ``nan`` and ``inf``), naming the field."""
    if isinstance(data, float) and not math.isfinite(data):
        raise ScenarioError(f"{path}: expected a finite number, got {data!r}")
    if isinstance(data, dict):
        for k, v in data.items():
            check_finite(v, f"{path}.{k}" if path else str(k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            check_finite(v, f"{path}[{i}]")
