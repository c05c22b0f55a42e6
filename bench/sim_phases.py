"""Where the time of the monthly step goes: per-phase wall and CPU time of ``Sim.step``.

Builds the population (``--scale``, default 1:1), runs to 1 January ``--until`` and times each
phase of every step by wrapping the kernels and the table builders *from outside* (the engine
itself carries no timers). Prints, per phase, wall seconds, CPU seconds (process, all threads)
and the share of the simulation; then the person-steps per second and the ratio to the 1e8
target, the simulation's own timing, and the load average (the machine may be shared).
With ``--hash`` it also prints sha256 digests of the final people columns and results
tables (to check that a speed change leaves results identical)::

    .venv/bin/python bench/sim_phases.py --until 2025 [--scale 1] [--threads 2] [--hash]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numba as nb
import numpy as np

from kochu.atlas import load_atlas
from kochu.sim import kernels as K
from kochu.sim import sim as S

TARGET = 1e8
WALL: dict[str, float] = defaultdict(float)
CPU: dict[str, float] = defaultdict(float)


def _timed(name: str, fn: Callable) -> Callable:
    def wrapper(*a: Any, **kw: Any) -> Any:
        w0, c0 = time.perf_counter(), time.process_time()
        try:
            return fn(*a, **kw)
        finally:
            WALL[name] += time.perf_counter() - w0
            CPU[name] += time.process_time() - c0

    return wrapper


def instrument(sim: Any) -> None:
    """Wrap kernels (module-level names read by ``Sim.step``) and the per-step table builders."""
    for name in ("decide", "apply", "gather", "remittances", "network_counts", "displace"):
        setattr(K, name, _timed(f"kernel {name}", getattr(K, name)))
    sim.vital.tables = _timed("vital tables", sim.vital.tables)
    for meth in ("_tables", "_events", "_bounds", "_advance", "_keys"):
        setattr(sim, meth, _timed(f"Sim.{meth}", getattr(sim, meth)))
    sim.results.record_stock = _timed("results.record_stock", sim.results.record_stock)
    sim.results.record_flows = _timed("results.record_flows", sim.results.record_flows)
    sim.housing.informal_table = _timed("housing.informal_table", sim.housing.informal_table)


def digest(sim: Any) -> dict[str, str]:
    """sha256 of the final people columns and of the results tables."""
    out = {}
    h = hashlib.sha256()
    for k, v in sim.people.state().items():
        h.update(k.encode())
        h.update(np.ascontiguousarray(v).tobytes())
    out["people"] = h.hexdigest()[:16]
    res = sim.finalize()
    for name, df in (("population", res.population()), ("flows", res.flows()), ("events", res.events_table())):
        out[name] = hashlib.sha256(df.to_csv(index=False).encode()).hexdigest()[:16]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--until", type=int, default=2025)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--hash", action="store_true")
    args = ap.parse_args()
    atlas = load_atlas()
    w0, c0 = time.perf_counter(), time.process_time()
    sim = S.Sim(atlas, seed=args.seed, scale=args.scale, end=max(args.until, 2025), threads=args.threads).init()
    init_w, init_c = time.perf_counter() - w0, time.process_time() - c0
    instrument(sim)
    w0, c0 = time.perf_counter(), time.process_time()
    sim.run(until=args.until)
    run_w, run_c = time.perf_counter() - w0, time.process_time() - c0
    steps = sim.timing["person_steps"]
    print(f"scale {args.scale}, 1989→{args.until}, numba threads {nb.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"init: {init_w:.1f} s wall, {init_c:.1f} s CPU")
    print(f"{'phase':<28}{'wall s':>9}{'CPU s':>9}{'share':>8}{'CPU-ns/person-step':>20}")
    for name in sorted(WALL, key=WALL.get, reverse=True):
        print(f"{name:<28}{WALL[name]:>9.2f}{CPU[name]:>9.2f}{WALL[name] / run_w:>8.1%}"
              f"{CPU[name] / steps * 1e9:>20.2f}")
    rest_w = run_w - sum(WALL.values())
    print(f"{'(rest of step, python)':<28}{rest_w:>9.2f}{'':>9}{rest_w / run_w:>8.1%}")
    rate = steps / run_w
    print(f"run: {run_w:.1f} s wall, {run_c:.1f} s CPU, {steps:,} person-steps, {rate:,.0f} person-steps/s "
          f"= {rate / TARGET:.2f} x the 1e8 target; {run_c / steps * 1e9:.2f} CPU-ns per person-step")
    if args.hash:
        for k, v in digest(sim).items():
            print(f"sha256 {k:<12} {v}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
