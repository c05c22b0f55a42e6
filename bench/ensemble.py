"""Ensemble throughput: runs per minute on this machine and Dask's per-task overhead.

Runs N replicates of the baseline at a given scale on a LocalCluster of W workers (after one
warm-up ensemble so numba kernels are compiled and cached), and compares the wall time with
the sum of the runs' own times: overhead per task = (wall × W − Σ run time) / N.

    .venv/bin/python bench/ensemble.py [--scale 0.02] [--until 2025] [--replicates 8] [--workers 2]

``--calibration P``: instead, calibration evaluations (kochu.estimate.simruns) — P parameter
points × R replicates (``--replicates``) submitted as one ensemble, as a batched Jacobian is,
to the fit year (2016) on a warm cluster: points per minute and the per-task overhead.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from kochu.runs.ensemble import make_tasks, run_ensemble


def calibration(points: int, replicates: int, workers: int, scale: float, repeats: int) -> None:
    """Points per minute of calibration evaluations (median of ``repeats``) and per-task overhead."""
    import json

    from kochu.atlas import load_atlas
    from kochu.estimate.simruns import SimRuns
    from kochu.estimate.targets import all_targets
    from kochu.sim.params import HAND_SET

    atlas = load_atlas(None)
    root = Path(tempfile.mkdtemp(prefix="kochu-bench-cal-"))
    try:
        with SimRuns(root, atlas, all_targets(atlas), scale=scale, replicates=replicates, workers=workers) as runs:
            runs.evaluate([dict(HAND_SET)])  # warm-up: cluster up, kernels loaded, atlas cached
            walls, overheads = [], []
            for rep in range(repeats):
                pts = [{**HAND_SET, "beta_capital": HAND_SET["beta_capital"] + 0.01 * (rep * points + i + 1)}
                       for i in range(points)]
                before = set(root.iterdir())
                t0 = time.perf_counter()
                runs.evaluate(pts)
                wall = time.perf_counter() - t0
                inside = sum(json.loads((p / "manifest.json").read_text())["seconds"]
                             for p in set(root.iterdir()) - before)
                n = points * replicates
                walls.append(wall)
                overheads.append(max(0.0, (wall * workers - inside) / n))
        walls.sort()
        overheads.sort()
        wall, over = walls[len(walls) // 2], overheads[len(overheads) // 2]
        print(f"calibration evaluations: scale {scale}, 1989→2016, {points} points × {replicates} replicates "
              f"on {workers} workers, median of {repeats}")
        print(f"{'wall time per batch (s)':<34}{wall:>10.2f}")
        print(f"{'points per minute':<34}{60 * points / wall:>10.2f}")
        print(f"{'runs per minute':<34}{60 * points * replicates / wall:>10.2f}")
        print(f"{'per-task overhead (s)':<34}{over:>10.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=0.02)
    ap.add_argument("--until", type=int, default=2025)
    ap.add_argument("--replicates", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--calibration", type=int, default=0, metavar="P",
                    help="bench calibration evaluations of P points instead")
    args = ap.parse_args()
    if args.calibration:
        calibration(args.calibration, args.replicates, args.workers, args.scale, args.repeats)
        return
    settings = {"atlas": None, "scale": args.scale, "until": args.until}
    root = Path(tempfile.mkdtemp(prefix="kochu-bench-ens-"))
    try:
        run_ensemble(make_tasks([("warmup", None)], 1), root / "warm", settings,
                     workers=args.workers, progress=False)
        walls, per_run = [], []
        for rep in range(args.repeats):
            tasks = make_tasks([("baseline", None)], args.replicates, base_seed=100 + rep)
            t0 = time.perf_counter()
            res = run_ensemble(tasks, root / f"e{rep}", settings, workers=args.workers, progress=False)
            walls.append(time.perf_counter() - t0)
            per_run.append(float(res["seconds"].median()))
        walls.sort()
        per_run.sort()
        wall, run = walls[len(walls) // 2], per_run[len(per_run) // 2]
        n, w = args.replicates, args.workers
        overhead = max(0.0, (wall * w - run * n) / n)
        print(f"scale {args.scale}, 1989→{args.until}, {n} runs on {w} workers, median of {args.repeats}")
        print(f"{'wall time (s)':<34}{wall:>10.2f}")
        print(f"{'median run time inside a worker (s)':<34}{run:>10.2f}")
        print(f"{'runs per minute':<34}{60 * n / wall:>10.2f}")
        print(f"{'per-task overhead (s)':<34}{overhead:>10.2f}")
        print(f"{'overhead / run time':<34}{overhead / run if run else float('nan'):>10.2%}")
        print(f"{'parallel efficiency':<34}{run * n / (wall * w):>10.2%}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
