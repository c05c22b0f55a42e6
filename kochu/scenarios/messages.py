"""Turn pydantic validation errors into kochu's one-line messages.

``scenarios/x.toml: interventions[2].start: expected a year ≥ 1989, got 1900``
"""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

_EXPECTED = {
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "finite_number": "a finite number",
}


def loc_path(loc: tuple[Any, ...], prefix: str = "") -> str:
    """``('interventions', 2, 'start')`` → ``interventions[2].start``."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _quote(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def describe_error(err: dict[str, Any], model: type[BaseModel]) -> tuple[str, str]:
    """``(field path, message)`` for one pydantic error dict raised validating ``model``."""
    kind, loc, value = err["type"], tuple(err["loc"]), err.get("input")
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        fields = list(model.model_fields)
        close = difflib.get_close_matches(str(loc[-1]), fields, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return loc_path(loc[:-1]), (
            f"unknown key '{loc[-1]}' ({hint}valid keys: {', '.join(fields)})"
        )
    if kind == "missing":
        return loc_path(loc[:-1]), f"missing required key '{loc[-1]}'"
    path = loc_path(loc)
    if kind in ("value_error", "assertion_error"):
        msg = str(ctx.get("error", err["msg"]))
        # a validator may name a sub-field itself: "end: ..." / "places[0]: ..."
        head, sep, rest = msg.partition(": ")
        if sep and head and " " not in head:
            return (f"{path}.{head}" if path else head), rest
        return path, msg
    if kind in _EXPECTED:
        return path, f"expected {_EXPECTED[kind]}, got {_quote(value)}"
    if kind == "literal_error":
        return path, f"expected one of {ctx.get('expected', '?')}, got {_quote(value)}"
    bounds = {
        "greater_than": ">", "greater_than_equal": "≥", "less_than": "<", "less_than_equal": "≤",
    }
    if kind in bounds:
        limit = next(iter(ctx.values()), "?")
        return path, f"expected a value {bounds[kind]} {limit}, got {_quote(value)}"
    msg = err["msg"]
    return path, f"{msg[:1].lower()}{msg[1:]}, got {_quote(value)}"


def first_error(exc: ValidationError, model: type[BaseModel]) -> tuple[str, str]:
    """The first error of ``exc`` as ``(field path, message)``, with a count of the others."""
    # an unknown key first: a misspelt key also makes the intended one "missing"
    errors = sorted(exc.errors(include_url=False), key=lambda e: e["type"] != "extra_forbidden")
    path, msg = describe_error(errors[0], model)
    if len(errors) > 1:
        msg += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return path, msg
