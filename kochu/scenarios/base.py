"""The intervention plug-in protocol and its registry.

An intervention is a small pydantic model (its fields are the scenario file's keys) that is
also a plug-in of the simulation, with the lifecycle of Covasim/Starsim interventions:

- :meth:`Intervention.init` once, after the simulation has built its people and drivers;
- :meth:`Intervention.step` every monthly step (phase "drivers and interventions");
- :meth:`Intervention.finalize` once, after the last step;
- :meth:`Intervention.to_dict` writes it back as a ``[[interventions]]`` table.

Subclasses register themselves with :func:`register` under their ``type`` name; scenario files
refer to them by that name. Time windows are closed: an intervention is *active* in month ``t``
when ``start ≤ t ≤ end`` (see :mod:`kochu.scenarios.timing`). Subclasses implement the
``on_*`` hooks; the base class tracks when the window opens and closes.
"""

from __future__ import annotations

import difflib
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, PrivateAttr, field_validator, model_validator

from kochu.scenarios.timing import When, month_index, parse_when

#: registered intervention classes by their ``type`` name
INTERVENTIONS: dict[str, type[Intervention]] = {}

#: most places any one intervention may name (a typo guard, not a model limit)
MAX_PLACES = 500


def register(cls: type[Intervention]) -> type[Intervention]:
    """Class decorator: make ``cls`` available to scenario files under ``cls.type_name``."""
    name = cls.type_name
    if not name or name in INTERVENTIONS:
        raise ValueError(f"intervention type {name!r} is empty or already registered")
    INTERVENTIONS[name] = cls
    return cls


class Intervention(BaseModel):
    """Base of every intervention: a time window, a label and a source.

    Fields common to all types:

    - ``start``: first active month (a year = its January, or ``"YYYY-MM"``), ≥ 1989;
    - ``end``: last active month (a year = its December), optional (open-ended);
    - ``label``: a short human name shown in reports;
    - ``source``: where the intervention's numbers come from.
    """

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    #: the scenario-file name of this type (``type = "..."``)
    type_name: ClassVar[str] = ""
    #: fields holding atlas place ids, checked against the atlas
    place_fields: ClassVar[tuple[str, ...]] = ()

    type: str
    start: When
    end: When | None = None
    label: str | None = None
    source: str | None = None

    _active: bool = PrivateAttr(default=False)

    # ---- validation -----------------------------------------------------------------------
    @field_validator("start", "end", mode="before")
    @classmethod
    def _check_when(cls, value: Any) -> Any:
        if value is None:
            return value
        parse_when(value)
        return value

    @model_validator(mode="after")
    def _check_window(self) -> Intervention:
        if self.end is not None and month_index(self.end, end=True) < month_index(self.start):
            raise ValueError(f"end: end {self.end} is before start {self.start}")
        return self

    @field_validator("type")
    @classmethod
    def _check_type(cls, value: str) -> str:
        if cls.type_name and value != cls.type_name:
            raise ValueError(f"expected {cls.type_name!r}, got {value!r}")
        return value

    # ---- time ----------------------------------------------------------------------------
    @property
    def start_month(self) -> int:
        """Months since January 1989 of the first active month."""
        return month_index(self.start)

    @property
    def end_month(self) -> int | None:
        """Months since January 1989 of the last active month (``None``: open-ended)."""
        return None if self.end is None else month_index(self.end, end=True)

    def active_at(self, t: int) -> bool:
        """Whether month ``t`` (months since January 1989) lies in the window."""
        return t >= self.start_month and (self.end_month is None or t <= self.end_month)

    def years(self, horizon: int) -> range:
        """Calendar years touched by the window, the open end closed at ``horizon``."""
        last = horizon if self.end is None else parse_when(self.end)[0]
        return range(parse_when(self.start)[0], last + 1)

    # ---- places ---------------------------------------------------------------------------
    def named_places(self) -> list[tuple[str, str]]:
        """``(field path, place id)`` for every atlas id this intervention names."""
        out: list[tuple[str, str]] = []
        for name in self.place_fields:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, str):
                out.append((name, value))
                continue
            for i, item in enumerate(value):
                if isinstance(item, list):
                    out.extend((f"{name}[{i}][{j}]", pid) for j, pid in enumerate(item))
                else:
                    out.append((f"{name}[{i}]", item))
        return out

    def check_atlas(self, atlas: Any) -> None:
        """Type-specific checks against the atlas; raise ValueError('field: message')."""

    # ---- plug-in protocol -----------------------------------------------------------------
    def init(self, sim: Any) -> None:
        """Called once before the first step: resets the window state (subclasses that keep
        more state reset it too, then call this)."""
        self._active = False

    def step(self, sim: Any) -> None:
        """Called every month: opens/closes the window and calls the ``on_*`` hooks."""
        from kochu.scenarios.hooks import sim_month

        t = sim_month(sim)
        active = self.active_at(t)
        if active and not self._active:
            self.on_start(sim)
        elif not active and self._active:
            self.on_end(sim)
        self._active = active
        if active:
            self.on_month(sim, t)

    def finalize(self, sim: Any) -> None:
        """Called once after the last step; default: nothing."""

    def on_start(self, sim: Any) -> None:
        """The window opens (first active month)."""

    def on_month(self, sim: Any, t: int) -> None:
        """Every active month (including the first)."""

    def on_end(self, sim: Any) -> None:
        """The window has closed (first month after ``end``)."""

    def to_dict(self) -> dict[str, Any]:
        """The ``[[interventions]]`` table of this intervention (``type`` first, no empty keys)."""
        body = self.model_dump(mode="python", exclude_none=True)
        return {"type": body.pop("type"), **body}


def valid_keys(model: type[BaseModel]) -> str:
    """Comma-separated field names of a model (for 'unknown key' messages)."""
    return ", ".join(model.model_fields)


def suggest(value: str, choices: list[str], names: dict[str, str] | None = None) -> str:
    """`` (did you mean: a, b?)`` from ids named like ``value``, ids sharing a word with it,
    and close spellings (difflib)."""
    low = value.lower().replace("-", "_").replace(" ", "_")
    found: list[str] = []
    if names:
        found += [pid for pid, name in names.items()
                  if str(name).lower().replace("-", "_").replace(" ", "_") == low]
    words = {w for w in low.split("_") if len(w) >= 4}
    found += [c for c in choices if words & set(c.split("_"))]
    found += difflib.get_close_matches(value, choices, n=3, cutoff=0.6)
    unique = list(dict.fromkeys(found))[:4]
    return f" (did you mean: {', '.join(unique)}?)" if unique else ""
