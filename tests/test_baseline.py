"""Regression baseline (CRAFT 13): small fixed runs whose summary is stored and compared.

Each case is a fixed (atlas, seed, scale, years) run of :class:`kochu.sim.sim.Sim` with the
parameter values pinned in ``tests/baseline/params.json`` (so a calibration that changes the
*defaults* in :mod:`kochu.sim.params` does not move the baseline, but any change of engine
behaviour does). Its summary — population by first-level unit on 1 January of each year,
national event totals per year, true and registered internal moves per year and a few
indicators — is stored in ``tests/baseline/summary.json``.

On any difference the test fails with a readable diff: key, stored value, new value, relative
change. To accept a deliberate change run ``python tools/update_baseline.py`` and state the
reason in the commit message. A negative control checks that a perturbed parameter (move
rate × 1.5) is reported as a difference.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
BASELINE_DIR = ROOT / "tests" / "baseline"
SUMMARY_FILE = BASELINE_DIR / "summary.json"
PARAMS_FILE = BASELINE_DIR / "params.json"

#: The fixed runs. ``atlas`` None = the embedded Kyrgyzstan atlas.
CASES: dict[str, dict[str, Any]] = {
    "kyrgyzstan": {"atlas": None, "seed": 11, "scale": 0.005, "start": 1989, "until": 1996, "end": 2025},
    "mini": {"atlas": "tests/fixtures/mini_atlas", "seed": 11, "scale": 0.03, "start": 1989, "until": 1996,
             "end": 2030},
}

#: Relative tolerance of the comparison (runs are bit-reproducible; this only absorbs the
#: JSON float round trip).
RTOL = 1e-9


def load_params() -> dict[str, float]:
    """The pinned parameter values (``tests/baseline/params.json``)."""
    return {k: float(v) for k, v in json.loads(PARAMS_FILE.read_text(encoding="utf-8")).items()}


def run_case(name: str, params: Mapping[str, float]) -> Any:
    """Run baseline case ``name`` with the given full parameter set; return the finished Sim."""
    from kochu.atlas import load_atlas
    from kochu.sim.params import DEFAULTS
    from kochu.sim.sim import Sim

    unknown = sorted(set(params) - set(DEFAULTS))
    if unknown:
        pytest.fail(f"baseline parameters {unknown} are no longer kochu.sim parameters: the parameter set "
                    "changed — run tools/update_baseline.py and state why in the commit message")
    c = CASES[name]
    atlas = load_atlas(ROOT / c["atlas"]) if c["atlas"] else load_atlas()
    sim = Sim(atlas, seed=c["seed"], scale=c["scale"], start=c["start"], end=c["end"], params=dict(params))
    sim.init()
    sim.run(until=c["until"])
    sim.finalize()
    return sim


def _r(x: float) -> float | int:
    """A JSON-friendly number: integers stay integers, national-scale floats are rounded to
    0.001 person (one simulated person is 1/scale ≥ 1 person, so nothing real is hidden)."""
    x = round(float(x), 3)
    return int(x) if x.is_integer() else x


def summarize(sim: Any) -> dict[str, Any]:
    """The stored summary of a finished run (nested dict of plain numbers)."""
    res = sim.results
    out: dict[str, Any] = {}
    pbo = res.population_by_oblast()
    out["population_by_oblast"] = {
        str(y): {str(o): _r(p) for o, p in zip(g["oblast"], g["population"], strict=True)}
        for y, g in pbo.groupby("year", sort=True)
    }
    ev = res.events_table()
    flows_cols = ["births", "deaths", "immigration", "emigration", "internal_moves", "registered_moves"]
    yearly = ev.groupby("year", sort=True)[flows_cols].sum()
    out["events_per_year"] = {str(y): {c: _r(row[c]) for c in flows_cols} for y, row in yearly.iterrows()}
    fl = res.flows()
    internal = fl[(fl["origin"] != "abroad") & (fl["destination"] != "abroad")]
    mv = internal.groupby("year", sort=True)[["true", "registered"]].sum()
    out["moves_per_year"] = {str(y): {"true": _r(r["true"]), "registered": _r(r["registered"])}
                             for y, r in mv.iterrows()}
    jan = ev[ev["month"] == 1].set_index("year")
    pop = res.population()
    pop_jan = pop[pop["month"] == 1]
    cap_id = sim.world.ids[sim.world.capital]
    ind: dict[str, Any] = {}
    for y, row in jan.iterrows():
        total = float(row["population"])
        cap = float(pop_jan.loc[(pop_jan["year"] == y) & (pop_jan["place"] == cap_id), "present"].sum())
        mvy = mv.loc[y] if y in mv.index else None
        gap = (1.0 - float(mvy["registered"]) / float(mvy["true"])) if mvy is not None and mvy["true"] else 0.0
        ind[str(y)] = {
            "capital_share": round(cap / total, 12) if total else 0.0,
            "informal_share": round(float(row["informal"]) / total, 12) if total else 0.0,
            "unregistered_share": round(float(row["unregistered"]) / total, 12) if total else 0.0,
            "abroad": _r(row["abroad"]),
            "registration_gap": round(gap, 12),
        }
    out["indicators"] = ind
    last = ev.iloc[-1]
    out["final"] = {"year": int(sim.year), "population": _r(last["population"]),
                    "people_simulated": int(np.count_nonzero(sim.people.status[: sim.people.n]))}
    return out


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, Mapping):
            flat.update(_flatten(v, key))
        else:
            flat[key] = v
    return flat


def compare(stored: Mapping[str, Any], new: Mapping[str, Any], rtol: float = RTOL) -> list[str]:
    """Differences between two summaries, one readable line each (empty list = identical)."""
    a, b = _flatten(stored), _flatten(new)
    lines = []
    for key in sorted(set(a) | set(b)):
        if key not in b:
            lines.append(f"{key}: stored {a[key]!r}, new run: (missing)")
        elif key not in a:
            lines.append(f"{key}: stored (missing), new {b[key]!r}")
        else:
            x, y = a[key], b[key]
            if isinstance(x, int | float) and isinstance(y, int | float):
                if math.isclose(float(x), float(y), rel_tol=rtol, abs_tol=1e-12):
                    continue
                rel = (float(y) - float(x)) / abs(float(x)) if x else math.inf
                lines.append(f"{key}: stored {x!r}, new {y!r} ({rel:+.2%})")
            elif x != y:
                lines.append(f"{key}: stored {x!r}, new {y!r}")
    return lines


def diff_report(case: str, lines: list[str], limit: int = 40) -> str:
    """The failure message: a count, the first ``limit`` differing keys, and how to update."""
    shown = "\n  ".join(lines[:limit])
    more = f"\n  … and {len(lines) - limit} more" if len(lines) > limit else ""
    return (f"baseline '{case}' changed in {len(lines)} value(s):\n  {shown}{more}\n"
            "If the change is deliberate, run `python tools/update_baseline.py` and state the reason "
            "in the commit message.")


@pytest.fixture(scope="module")
def stored() -> dict[str, Any]:
    if not SUMMARY_FILE.exists():
        pytest.fail(f"{SUMMARY_FILE} missing: run `python tools/update_baseline.py`")
    return json.loads(SUMMARY_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def params() -> dict[str, float]:
    return load_params()


@pytest.mark.parametrize("case", sorted(CASES))
def test_baseline_unchanged(case, stored, params):
    assert stored[case]["setup"] == {k: v for k, v in CASES[case].items()}, (
        f"baseline '{case}': the case definition changed; run tools/update_baseline.py")
    sim = run_case(case, params)
    lines = compare(stored[case]["summary"], summarize(sim))
    if lines:
        msg = diff_report(case, lines)
        if sim.atlas.data_hash != stored[case].get("data_hash"):
            msg = f"(note: the atlas data changed since the baseline — data_hash {sim.atlas.data_hash[:12]})\n" + msg
        pytest.fail(msg, pytrace=False)


def test_negative_control_move_rate_perturbation_is_detected(stored, params):
    """A deliberately perturbed parameter must make the baseline comparison fail."""
    perturbed = {**params, "move_rate_individual": params["move_rate_individual"] * 1.5}
    lines = compare(stored["mini"]["summary"], summarize(run_case("mini", perturbed)))
    assert lines, "move_rate_individual × 1.5 left the baseline unchanged: the baseline cannot detect changes"
    assert any(k.startswith("moves_per_year.") for k in lines), lines[:5]
    msg = diff_report("mini", lines)
    assert "stored" in msg and "%" in msg and "tools/update_baseline.py" in msg


def test_changed_defaults_do_not_move_the_baseline(stored, params, monkeypatch):
    """A calibration rewriting every default in kochu.sim.params leaves the pinned run alone
    (so the baseline tracks engine behaviour, not the current calibration)."""
    from kochu.sim import params as P

    for name, p in list(P.DEFAULTS.items()):
        monkeypatch.setitem(P.DEFAULTS, name, P.Param(p.value * 1.37 + 0.01, p.unit, p.source))
    assert compare(stored["mini"]["summary"], summarize(run_case("mini", params))) == []


def test_compare_reports_key_values_and_relative_change():
    old = {"a": {"x": 100, "y": 1.0}, "b": 3}
    new = {"a": {"x": 110, "y": 1.0}, "c": 4}
    lines = compare(old, new)
    assert lines == ["a.x: stored 100, new 110 (+10.00%)", "b: stored 3, new run: (missing)",
                     "c: stored (missing), new 4"]
    assert compare(old, old) == []


def test_pinned_params_are_the_full_set(params):
    """params.json pins every parameter (a calibration adding one must update the baseline)."""
    from kochu.sim.params import DEFAULTS

    missing = sorted(set(DEFAULTS) - set(params))
    assert not missing, (f"parameters {missing} are not pinned in {PARAMS_FILE}: "
                         "run tools/update_baseline.py and state why in the commit message")


def test_no_move_from_a_place_to_itself(params):
    """The flows table must have no origin == destination rows (nobody moved).

    Found by the property tests; in the Kyrgyzstan case (seed 11, scale 0.005) 1,600 such
    'moves' nv_kelechek → nv_kelechek and nv_tec_2 → nv_tec_2 are recorded in 1994–95 (true,
    never registered), inflating ``internal_moves`` in ``events`` by the same amount.
    """
    fl = run_case("kyrgyzstan", params).results.flows()
    self_moves = fl[fl["origin"] == fl["destination"]]
    assert self_moves.empty, self_moves.groupby(["year", "origin"])["true"].sum().to_dict()
