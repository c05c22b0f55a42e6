"""Cost of crash safety: one year-boundary checkpoint of the 1:1 simulation.

Builds the full-scale 1989 population, runs to 1 January ``--year`` and times (medians of
``--repeats``): the in-memory snapshot (what the run waits for), the atomic write of
``state.npz`` (done by a background thread during ``kochu run``), and a restore into a fresh
``Sim``; prints the file size, the simulation's own seconds per simulated year for
comparison, and the load average (the machine may be shared).

    .venv/bin/python bench/sim_checkpoint.py --year 2000 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path
from statistics import median

from kochu.atlas import load_atlas
from kochu.sim import checkpoint as ck
from kochu.sim.sim import Sim


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--year", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    at = load_atlas()
    sim = Sim(at, seed=1, scale=args.scale, end=max(args.year, 2025))
    sim.init()
    t0 = time.perf_counter()
    sim.run(until=args.year)
    per_year = (time.perf_counter() - t0) / (args.year - 1989)
    snap, write, restore = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "checkpoint"
        for _ in range(args.repeats):
            t = time.perf_counter()
            arrays = ck.snapshot(sim, 2025)
            snap.append(time.perf_counter() - t)
            t = time.perf_counter()
            ck.write(arrays, folder)
            write.append(time.perf_counter() - t)
            other = Sim(at, seed=1, scale=args.scale, end=max(args.year, 2025))
            other.init()
            t = time.perf_counter()
            other.restore(folder, until=2025)
            restore.append(time.perf_counter() - t)
        size = ck.state_path(folder).stat().st_size / 1e6
    print(f"checkpoint at 1 January {args.year}, scale {args.scale}: {sim.people.n:,} person slots, "
          f"{size:,.0f} MB")
    print(f"  snapshot {median(snap):.3f} s (the run waits), write {median(write):.3f} s (background thread), "
          f"restore {median(restore):.3f} s; simulating one year takes {per_year:.2f} s")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
