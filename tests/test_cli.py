"""The ``kochu`` command: bad options of every verb give one line on stderr, never a traceback."""

from __future__ import annotations

import re

import pytest

from tests.helpers import run_kochu

BAD = [
    (["run", "--until", "soon"], r"Invalid value for '--until'"),
    (["run", "--scale", "lots"], r"Invalid value for '--scale'"),
    (["run", "--bogus"], r"No such option: --bogus"),
    (["ensemble", "--replicates", "x"], r"Invalid value for '--replicates'"),
    (["ensemble"], r"Missing option '--replicates'"),
    (["serve", "--port", "99999"], r"Invalid value for '--port'"),
    (["atlas", "--level", "planet"], r"level 'planet': expected one of country, oblast, rayon, settlement"),
    (["flows", "fit"], r"Missing argument"),
    (["nonsense"], r"No such command 'nonsense'"),
    (["report"], r"Missing argument"),
    (["compare"], r"Missing argument|expected at least one scenario"),
    (["calibrate", "--train-until", "later"], r"Invalid value for '--train-until'"),
]


@pytest.mark.parametrize(("args", "pattern"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_option_is_one_line(args: list[str], pattern: str) -> None:
    res = run_kochu(*args)
    assert res.returncode != 0
    assert "Traceback" not in res.stderr + res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("kochu: error: ")
    assert re.search(pattern, lines[0]), lines[0]


def test_every_verb_has_help() -> None:
    for verb in ("run", "compare", "report", "serve", "ensemble", "atlas", "calibrate", "flows", "scenario"):
        res = run_kochu(verb, "--help")
        assert res.returncode == 0, (verb, res.stderr)
        assert "Usage" in res.stdout
