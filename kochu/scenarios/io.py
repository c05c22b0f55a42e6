"""Read and write scenario files: TOML text ↔ :class:`~kochu.scenarios.schema.Scenario`.

>>> sc = load_scenario("scenarios/railway_jobs.toml", atlas)     # doctest: +SKIP
>>> text = dumps(sc)                                              # doctest: +SKIP
>>> loads(text) == sc                                             # doctest: +SKIP
True
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from kochu.errors import ScenarioError
from kochu.scenarios.base import suggest
from kochu.scenarios.schema import BASELINE, Scenario, check_finite, parse_scenario

#: the largest scenario file read (a typo guard against pointing at a data file)
MAX_BYTES = 1 << 20


def loads(text: str, source: str = "<scenario>", atlas: Any = None) -> Scenario:
    """Parse TOML ``text`` (named ``source`` in messages); check places if ``atlas`` is given.

    ``base`` is not resolved (use :func:`load_scenario` for files).
    """
    if not text.strip():
        raise ScenarioError(f"{source}: empty file (expected at least name, horizon and seeds)")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {str(exc).splitlines()[0]}") from None
    try:
        check_finite(data)
        scenario = parse_scenario(data)
        if atlas is not None:
            check_places(scenario, atlas)
    except ScenarioError as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    return scenario


def read_text(path: str | os.PathLike[str]) -> str:
    """A scenario file's text, or a one-line ScenarioError (missing, binary, too big)."""
    p = Path(path)
    if not p.exists():
        raise ScenarioError(f"{p}: scenario file not found")
    if not p.is_file():
        raise ScenarioError(f"{p}: not a file (expected a .toml scenario file)")
    raw = p.read_bytes()
    if len(raw) > MAX_BYTES:
        raise ScenarioError(f"{p}: {len(raw):,} bytes, expected a scenario file under {MAX_BYTES:,}")
    if b"\x00" in raw:
        raise ScenarioError(f"{p}: binary file (expected UTF-8 TOML text)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{p}: not UTF-8 text (byte {exc.start}); expected UTF-8 TOML") from None


def load_scenario(
    path: str | os.PathLike[str], atlas: Any = None, *, _chain: tuple[Path, ...] = ()
) -> Scenario:
    """Read, validate and resolve a scenario file.

    ``base`` (a path relative to this file) is loaded recursively and its interventions are
    put in :attr:`Scenario.inherited`; cycles are rejected. With ``atlas``, every place id is
    checked against it.
    """
    p = Path(path)
    scenario = loads(read_text(p), str(p), atlas)
    if scenario.base != BASELINE:
        base_path = (p.parent / scenario.base).resolve()
        chain = (*_chain, p.resolve())
        if base_path in chain:
            raise ScenarioError(f"{p}: base: '{scenario.base}' leads back to {p.name} (a cycle)")
        if not base_path.exists():
            raise ScenarioError(
                f"{p}: base: expected \"baseline\" or an existing scenario file, got '{scenario.base}'"
            )
        parent = load_scenario(base_path, atlas, _chain=chain)
        scenario.inherited = parent.all_interventions
    return scenario


def dumps(scenario: Scenario) -> str:
    """TOML text of ``scenario`` (own interventions; ``base`` kept as written)."""
    return tomli_w.dumps(scenario.to_dict())


def check_places(scenario: Scenario, atlas: Any) -> None:
    """Every place id of every intervention exists in the atlas and suits its intervention."""
    places = atlas.places
    ids = list(places.index)
    known = set(ids)
    names = places["name"].to_dict()
    for i, iv in enumerate(scenario.interventions):
        for field, pid in iv.named_places():
            if pid not in known:
                raise ScenarioError(
                    f"interventions[{i}].{field}: unknown place '{pid}'{suggest(pid, ids, names)}"
                )
        try:
            iv.check_atlas(atlas)
        except ValueError as exc:
            raise ScenarioError(f"interventions[{i}].{exc}") from None


def write_scenario(path: str | os.PathLike[str], scenario: Scenario) -> None:
    """Write ``scenario`` as a TOML file (atomically)."""
    from kochu.runs.store import atomic_write_text

    atomic_write_text(path, dumps(scenario))
