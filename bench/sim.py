"""Benchmark of the agent-based simulation: full scale, and side by side with Mesa and Flee.

1. **Full scale** — ``kochu run --until 2025`` on the embedded atlas at 1:1 (≈4.3 M people in
   1989 → ≈6 M): wall time, person-steps per second (from the run's manifest) and peak memory
   (max RSS of the child process).
2. **The same simple move model** in kochu's engine and in Mesa 3: N agents on P places; each
   month every agent moves with probability ``m`` to a destination drawn from a fixed gravity
   distribution. kochu: numba kernel over columns (counter-based draws, cumulative table +
   binary search — the engine's own ``choose``). Mesa: one ``mesa.Agent`` per person,
   ``model.agents.shuffle_do("step")``. Mesa runs a small N and is extrapolated per agent-step.
3. **Flee** (where it installs): Flee's own model (``flee.Ecosystem``: a ring of locations,
   agents evolving with Flee's movement rules) — per agent-step, against kochu's kernel.

Times are medians of ``--repeats`` runs (``--full-repeats`` for the full-scale run; report
the median of at least 3). ``bench/sim_phases.py`` splits the full run's time by phase. Machine load (other processes on the same cores) is
printed beside the numbers because it changes them. Usage::

    .venv/bin/python bench/sim.py [--repeats 3] [--skip-full] [--until 2025]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import numba as nb
import numpy as np

from kochu.sim.kernels import CHUNK, choose
from kochu.sim.rng import step_key, stream_key, uniform_pair

ROOT = Path(__file__).resolve().parents[1]
P = 90  # places (the Kyrgyzstan atlas has 90 settlements)
MOVE_P = 0.01  # monthly move probability in the simple model
TARGET_RATE = 1e8  # person-steps per second at 1:1 (issue 4)


def gravity_cdf(p: int, seed: int = 0) -> np.ndarray:
    """A fixed destination distribution (sizes / distance²) as one cumulative row per origin."""
    rng = np.random.default_rng(seed)
    size = rng.lognormal(10, 1, p)
    xy = rng.uniform(0, 500, (p, 2))
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)) + 10.0
    w = size[None, :] / d**2
    np.fill_diagonal(w, 0.0)
    cdf = np.cumsum(w / w.sum(axis=1, keepdims=True), axis=1)
    cdf[:, -1] = 1.0 + 1e-9
    return cdf


@nb.njit(parallel=True, cache=True)
def kochu_move_step(n, key, pid, place, cdf, move_p, counts):
    """The simple move model, kochu style: one fused parallel pass in fixed chunks."""
    n_chunks = (n + CHUNK - 1) // CHUNK
    for c in nb.prange(n_chunks):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            r, r2 = uniform_pair(key, pid[i])
            if r < move_p:
                place[i] = choose(cdf[place[i]], r2)
            counts[c, place[i]] += 1


def bench_kochu_simple(n: int, steps: int, repeats: int) -> float:
    """Agent-steps per second of the simple model in kochu's engine (median)."""
    cdf = gravity_cdf(P)
    pid = np.arange(n, dtype=np.int32)
    key0 = stream_key(1, "demography")
    rates = []
    for _ in range(repeats + 1):  # first repeat compiles / warms the cache
        place = (pid % P).astype(np.int16)
        t0 = time.perf_counter()
        for t in range(steps):
            counts = np.zeros(((n + CHUNK - 1) // CHUNK, P), np.int64)
            kochu_move_step(n, np.uint64(step_key(key0, np.int64(t))), pid, place, cdf, MOVE_P, counts)
        rates.append(n * steps / (time.perf_counter() - t0))
    return median(rates[1:])


def bench_mesa_simple(n: int, steps: int, repeats: int) -> float | None:
    """Agent-steps per second of the same model in Mesa (median), or None without Mesa."""
    try:
        import mesa
    except ImportError:
        return None
    cdf = gravity_cdf(P)

    class Person(mesa.Agent):
        def __init__(self, model, place):
            super().__init__(model)
            self.place = place

        def step(self):
            if self.random.random() < MOVE_P:
                self.place = int(np.searchsorted(cdf[self.place], self.random.random(), side="right"))

    class MoveModel(mesa.Model):
        def __init__(self, n, seed=1):
            super().__init__(seed=seed)
            for i in range(n):
                Person(self, i % P)

        def step(self):
            self.agents.shuffle_do("step")

    rates = []
    for _ in range(repeats):
        model = MoveModel(n)
        t0 = time.perf_counter()
        for _ in range(steps):
            model.step()
        rates.append(n * steps / (time.perf_counter() - t0))
    return median(rates)


def bench_flee(n: int, steps: int, repeats: int) -> float | None:
    """Agent-steps per second of Flee's own model on a ring of P locations, or None."""
    try:
        from flee import flee
        from flee.SimulationSettings import SimulationSettings
    except Exception:  # noqa: BLE001 - any import problem means "not available"
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as fh:
        fh.write("log_levels:\n  agent: 0\n  link: 0\n  camp: 0\n  init: 0\n")
        yml = fh.name
    devnull = open(os.devnull, "w")  # noqa: SIM115 - Flee prints its settings on stderr
    old = sys.stderr
    try:
        sys.stderr = devnull
        SimulationSettings.ReadFromYML(yml)
        rates = []
        for _ in range(repeats):
            e = flee.Ecosystem()
            locs = [e.addLocation(f"l{i}", x=float(i), y=0.0, movechance=MOVE_P * 30, pop=1000) for i in range(P)]
            for i in range(P):
                e.linkUp(f"l{i}", f"l{(i + 1) % P}", distance=50.0)
            for i in range(n):
                e.addAgent(location=locs[i % P], attributes={})
            t0 = time.perf_counter()
            for _ in range(steps):
                e.evolve()
            rates.append(n * steps / (time.perf_counter() - t0))
        return median(rates)
    except Exception as exc:  # noqa: BLE001
        print(f"  flee: could not run its model ({type(exc).__name__}: {exc})")
        return None
    finally:
        sys.stderr = old
        devnull.close()


def bench_full(until: int, repeats: int) -> list[dict]:
    """Full-scale ``kochu run`` in a child process: seconds, person-steps/s, peak RSS."""
    out = []
    for r in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            cmd = [sys.executable, "-m", "kochu.cli", "run", "--until", str(until), "--seed", "1",
                   "--out", str(Path(tmp) / "run"), "--no-report"]
            t0 = time.perf_counter()
            ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wall = time.perf_counter() - t0
            ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            before, rss = ru0.ru_maxrss, ru1.ru_maxrss
            cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
            m = json.loads((Path(tmp) / "run" / "manifest.json").read_text())
            out.append({"wall_s": wall, "sim_s": m["timing"]["seconds"], "cpu_s": cpu,
                        "person_steps": m["timing"]["person_steps"],
                        "rate": m["timing"]["person_steps_per_second"],
                        "peak_rss_gb": max(rss, before) / 1e6})
            print(f"  full run {r + 1}: {wall:.1f} s wall, simulation {m['timing']['seconds']:.1f} s, "
                  f"{m['timing']['person_steps_per_second']:,} person-steps/s, CPU {cpu:.1f} s "
                  f"(load average {os.getloadavg()[0]:.1f})", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--until", type=int, default=2025)
    ap.add_argument("--skip-full", action="store_true")
    ap.add_argument("--full-repeats", type=int, default=1)
    args = ap.parse_args()
    print(f"cores {os.cpu_count()}, numba threads {nb.get_num_threads()}, load average {os.getloadavg()[0]:.1f}")
    rows = []
    k = bench_kochu_simple(7_000_000, 12, args.repeats)
    rows.append(("kochu kernel (7 M agents, 12 steps)", k))
    m = bench_mesa_simple(20_000, 5, args.repeats)
    rows.append(("Mesa 3 (20 k agents, 5 steps)", m))
    f = bench_flee(20_000, 5, args.repeats)
    rows.append(("Flee (20 k agents, 5 steps)", f))
    print("\nsimple move model — agent-steps per second (median)")
    for name, rate in rows:
        txt = "not available" if rate is None else f"{rate:>16,.0f}   kochu is {k / rate:,.0f}x faster" if rate != k else f"{rate:>16,.0f}"
        print(f"  {name:<40} {txt}")
    full_steps = 5.5e6 * 12 * (args.until - 1989)
    for name, rate in rows[1:]:
        if rate:
            print(f"  {name.split(' (')[0]} would need ≈ {full_steps / rate / 3600:,.1f} h for 1989→{args.until} at 1:1")
    if not args.skip_full:
        print(f"\nfull scale: kochu run --until {args.until} (1:1)")
        res = bench_full(args.until, args.full_repeats)
        print(f"  median: {median(r['wall_s'] for r in res):.1f} s wall, "
              f"{median(r['sim_s'] for r in res):.1f} s simulating, "
              f"{median(r['rate'] for r in res):,.0f} person-steps/s "
              f"= {median(r['rate'] for r in res) / TARGET_RATE:.2f} x the 1e8 target, "
              f"peak memory {max(r['peak_rss_gb'] for r in res):.2f} GB "
              f"(targets: < 40 s, ≥ 1e8 person-steps/s, < 2 GB)")
        cpu = median(r["cpu_s"] for r in res)
        steps = median(r["person_steps"] for r in res)
        print(f"  CPU time {cpu:.1f} s = {cpu / steps * 1e9:.1f} CPU-ns per person-step; on {os.cpu_count()} idle "
              f"cores that is ≈ {cpu / os.cpu_count():.0f} s wall, ≈ {steps / (cpu / os.cpu_count()):,.0f} "
              f"person-steps/s (an estimate when other processes share the cores)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
