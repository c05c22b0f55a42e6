"""The corpus of malformed inputs (issue 9): its size, its coverage, and the CLI-option cases.

``tests/bad_inputs/`` holds four kinds of malformed input, each rejected with ONE stderr line
``kochu: error: …`` naming the file/option, field and expected value, a non-zero exit, no
traceback and no partial output:

* ``atlas/<case>/`` — overlays on the mini atlas plus ``expected.txt`` (``test_atlas_load.py``);
* ``scenarios/*.toml`` — scenario files (``test_scenarios_bad_inputs.py``);
* ``flows/*.csv`` — OD tables for ``kochu flows fit`` (``test_flows_cli.py``);
* ``cli/*.txt`` — command lines, run here through ``kochu.cli.main`` (in two subprocesses,
  see ``DRIVER``). Format, one ``key: value`` per line (``#`` comments)::

      argv: run --until 1900 --out {tmp}/out      # the kochu arguments ({tmp}, {root} expanded)
      expect: --until 1900: expected a year ...   # regex the error line must match (after the prefix)
      write: {tmp}/run/manifest.json | TEXT       # optional setup: create a file with TEXT
      run: {tmp}/run | {"tables": {NAME: {COLUMN: [values]}}, "manifest": {...}}
                                                  # optional setup: a complete run folder (RunStore)
      absent: {tmp}/out                           # optional: a path that must not exist afterwards
      xfail: REASON                               # a known bug (strict: fails once it is fixed)

  Each case runs in a fresh temporary folder (also the working directory); besides the
  ``absent`` paths, the folder must hold exactly the files the setup wrote.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from kochu.runs.store import RunStore
from tests.helpers import ROOT

BAD = ROOT / "tests" / "bad_inputs"
CLI_CASES = sorted((BAD / "cli").glob("*.txt"))
MIN_CORPUS = 60


def atlas_cases() -> list[Path]:
    return sorted(p for p in (BAD / "atlas").iterdir() if p.is_dir())


def scenario_cases() -> list[Path]:
    return sorted((BAD / "scenarios").glob("*.toml"))


def flow_cases() -> list[Path]:
    return sorted((BAD / "flows").glob("*.csv"))


def corpus() -> dict[str, list[Path]]:
    return {"atlas": atlas_cases(), "scenarios": scenario_cases(), "flows": flow_cases(), "cli": CLI_CASES}


def parse_case(path: Path) -> dict[str, list[str]]:
    """The ``key: value`` lines of a CLI case (keys may repeat: ``write``, ``absent``)."""
    spec: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        assert sep and key.strip() in {"argv", "expect", "write", "run", "absent", "xfail"}, f"{path.name}: bad line {line!r}"
        spec.setdefault(key.strip(), []).append(value.strip())
    assert len(spec.get("argv", [])) == 1 and len(spec.get("expect", [])) == 1, f"{path.name}: need argv and expect"
    return spec


def test_corpus_has_at_least_60_malformed_inputs():
    sizes = {k: len(v) for k, v in corpus().items()}
    total = sum(sizes.values())
    print(f"malformed inputs: {sizes} = {total}")
    assert all(sizes.values()), sizes
    assert total >= MIN_CORPUS, f"only {total} malformed inputs in tests/bad_inputs ({sizes}); expected ≥ {MIN_CORPUS}"


def test_every_corpus_entry_has_an_expected_message():
    """A file in the corpus that no test checks would count without being tested."""
    from tests import test_flows_cli, test_scenarios_bad_inputs

    no_expect = [p.name for p in atlas_cases() if not (p / "expected.txt").is_file()]
    assert not no_expect, f"atlas cases without expected.txt: {no_expect}"
    scen = {p.name for p in scenario_cases()} - set(test_scenarios_bad_inputs.EXPECTED)
    assert not scen, f"scenario files not in test_scenarios_bad_inputs.EXPECTED: {sorted(scen)}"
    flows = {p.name for p in flow_cases()} - set(test_flows_cli.CASES)
    assert not flows, f"flow tables not in test_flows_cli.CASES: {sorted(flows)}"
    for p in CLI_CASES:
        re.compile(parse_case(p)["expect"][0])


def _tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


#: Runs ``kochu.cli.main(argv)`` for each case of a JSON list read from stdin, in ONE interpreter
#: (the import of kochu costs ~1 s; 40 fresh interpreters would cost a minute on 2 busy cores).
#: Each case gets its own working directory and captured stdout/stderr; an exception escaping
#: ``main`` is recorded with its traceback, exactly what a user would see.
DRIVER = """
import contextlib, io, json, os, sys, traceback
from kochu.cli import main
out = []
for argv, cwd in json.load(sys.stdin):
    os.chdir(cwd)
    err, std = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:
            traceback.print_exc()
            code = 1
    out.append({"returncode": code, "stderr": err.getvalue(), "stdout": std.getvalue()})
sys.__stdout__.write(json.dumps(out))
"""


def _prepare(path: Path, tmp: Path) -> tuple[dict, list[str], set[str], list[str]]:
    """Write a case's setup files into ``tmp``; return (spec, argv, files before, absent paths)."""
    spec = parse_case(path)

    def expand(s: str) -> str:
        return s.replace("{tmp}", str(tmp)).replace("{root}", str(ROOT))

    for w in spec.get("write", []):
        target, _, text = w.partition("|")
        f = Path(expand(target.strip()))
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text.strip(), encoding="utf-8")
    for r in spec.get("run", []):
        target, _, body = r.partition("|")
        data = json.loads(expand(body.strip()))
        store = RunStore(Path(expand(target.strip())))
        for name, cols in data["tables"].items():
            store.write_table(name, pd.DataFrame(cols))
        store.finalize(data.get("manifest", {}))
    return spec, shlex.split(expand(spec["argv"][0])), _tree(tmp), [expand(a) for a in spec.get("absent", [])]


def _run_batch(cases: list[tuple[list[str], Path]]) -> list[dict]:
    proc = subprocess.run([sys.executable, "-c", DRIVER], input=json.dumps([[a, str(c)] for a, c in cases]),
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, f"the case driver itself failed:\n{proc.stderr[-3000:]}"
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def cli_results(tmp_path_factory) -> dict[str, tuple]:
    """Run every CLI case once: two interpreters (2 cores), each running half of the cases."""
    prepared = []
    for path in CLI_CASES:
        tmp = tmp_path_factory.mktemp(path.stem)
        prepared.append((path, tmp, *_prepare(path, tmp)))
    halves = [prepared[0::2], prepared[1::2]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        outs = list(pool.map(lambda h: _run_batch([(p[3], p[1]) for p in h]), halves))
    results = {}
    for half, out in zip(halves, outs, strict=True):
        for (path, tmp, spec, _argv, before, absent), res in zip(half, out, strict=True):
            results[path.name] = (spec, res, before, _tree(tmp), {a: Path(a).exists() for a in absent})
    return results


def _param(path: Path):
    reason = parse_case(path).get("xfail")
    marks = [pytest.mark.xfail(strict=True, reason=reason[0])] if reason else []
    return pytest.param(path.name, marks=marks, id=path.name)


@pytest.mark.parametrize("case", [_param(p) for p in CLI_CASES])
def test_cli_case_rejected_with_one_line(case, cli_results):
    spec, res, before, after, absent = cli_results[case]
    argv, stderr = spec["argv"][0], res["stderr"]
    assert res["returncode"] != 0, f"{case}: `kochu {argv}` exited 0\nstdout: {res['stdout'][-500:]}"
    assert "Traceback" not in stderr and "Traceback" not in res["stdout"], f"{case}: traceback\n{stderr}"
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, f"{case}: expected exactly one stderr line, got {len(lines)}:\n{stderr}"
    assert lines[0].startswith("kochu: error: "), lines[0]
    msg = lines[0][len("kochu: error: "):]
    assert re.search(spec["expect"][0], msg), f"{case}: {msg!r} does not match {spec['expect'][0]!r}"
    assert not any(absent.values()), f"{case}: partial output left behind: {[a for a, e in absent.items() if e]}"
    assert after == before, f"{case}: files created: {sorted(after - before)}"
