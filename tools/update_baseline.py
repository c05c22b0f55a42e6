"""Rewrite the regression baseline deliberately: ``tests/baseline/params.json`` and ``summary.json``.

Usage::

    .venv/bin/python tools/update_baseline.py            # re-run the cases with the pinned params
    .venv/bin/python tools/update_baseline.py --params   # also re-pin params to kochu.sim's defaults

The cases and the summary are defined in ``tests/test_baseline.py``. Commit the two files with
the REASON for the change in the commit message (which engine change moved which numbers).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_baseline import (  # noqa: E402
    CASES,
    PARAMS_FILE,
    SUMMARY_FILE,
    compare,
    load_params,
    run_case,
    summarize,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--params", action="store_true",
                    help="re-pin tests/baseline/params.json to the current kochu.sim.params defaults")
    args = ap.parse_args(argv)
    from kochu.atlas import load_atlas
    from kochu.sim.params import Params

    PARAMS_FILE.parent.mkdir(parents=True, exist_ok=True)
    if args.params or not PARAMS_FILE.exists():
        PARAMS_FILE.write_text(json.dumps(Params().to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"pinned {PARAMS_FILE.relative_to(ROOT)} to the current defaults")
    params = load_params()
    old = json.loads(SUMMARY_FILE.read_text(encoding="utf-8")) if SUMMARY_FILE.exists() else {}
    body = {}
    for name, case in CASES.items():
        sim = run_case(name, params)
        atlas = load_atlas(ROOT / case["atlas"]) if case["atlas"] else load_atlas()
        body[name] = {"setup": dict(case), "data_hash": atlas.data_hash, "summary": summarize(sim)}
        lines = compare(old.get(name, {}).get("summary", {}), body[name]["summary"])
        print(f"{name}: {len(lines)} value(s) changed" + "".join(f"\n  {x}" for x in lines[:20]))
    SUMMARY_FILE.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {SUMMARY_FILE.relative_to(ROOT)}")
    print("REMINDER: commit tests/baseline/ with the REASON for the change in the commit message, e.g.\n"
          "  git commit -m 'baseline: <which engine change moved which numbers, and why that is right>' "
          "-- tests/baseline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
