"""Benchmark: doubly-constrained Poisson gravity fit, kochu vs the tools researchers use.

Same synthetic data for every tool (seeded): ``n`` places uniformly in a 1,000 km square,
log-normal populations, flows ~ Poisson(k m_i^0.9 m_j^0.8 d_ij^-1.5) over all ordered pairs
of distinct places, fitted as ``flow ~ log(distance) | origin + destination``:

- kochu ``Doubly(cost="pow")`` (balancing factors, profile Newton);
- pyfixest ``fepois`` (fixed-effects Poisson, demeaning);
- statsmodels ``GLM(Poisson)`` with dense dummy columns (small tables only: the design
  matrix has ``n^2 x 2n`` entries);
- PySAL spint ``Doubly`` (sparse dummies, IRLS), where it is installed.

Each tool first runs once untimed on a small table (imports, JIT), then the median of
``--repeats`` timed runs is reported with the ratio to kochu's median and the distance
exponent each tool found. A tool whose median exceeds ``--budget`` seconds is not run on
larger tables. The load average is printed: on shared cores every time is inflated.

Run: ``.venv/bin/python bench/flows.py`` (peers: ``.venv/bin/pip install pyfixest
statsmodels spint``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from kochu.flows import Doubly

TRUE_BETA = -1.5


def synthetic_od(n: int, seed: int = 2026) -> dict[str, np.ndarray]:
    """All ordered pairs of ``n`` places with Poisson flows from a gravity model (seeded)."""
    rng = np.random.default_rng(seed + n)
    xy = rng.uniform(0.0, 1000.0, (n, 2))
    pop = np.exp(rng.normal(9.0, 1.0, n))
    o, d = np.divmod(np.arange(n * n), n)
    keep = o != d
    o, d = o[keep], d[keep]
    dist = np.hypot(*(xy[o] - xy[d]).T)
    mu = 3e-3 * pop[o] ** 0.9 * pop[d] ** 0.8 * dist**TRUE_BETA
    flow = rng.poisson(mu).astype(np.float64)
    return {"origin": o, "destination": d, "flow": flow, "distance": dist}


def run_kochu(data: dict) -> float:
    return Doubly(cost="pow").fit(data["flow"], data["origin"], data["destination"],
                                  data["distance"]).beta_


def run_pyfixest(data: dict) -> float:
    import pyfixest as pf

    df = pd.DataFrame({"origin": data["origin"], "destination": data["destination"],
                       "flow": data["flow"], "log_d": np.log(data["distance"])})
    return float(pf.fepois("flow ~ log_d | origin + destination", data=df).coef()["log_d"])


def run_statsmodels(data: dict) -> float:
    import statsmodels.api as sm

    o, d = data["origin"], data["destination"]
    n = int(max(o.max(), d.max())) + 1
    x = np.column_stack([np.ones(o.size), (o[:, None] == np.arange(1, n)).astype(float),
                         (d[:, None] == np.arange(1, n)).astype(float), np.log(data["distance"])])
    return float(sm.GLM(data["flow"], x, family=sm.families.Poisson()).fit().params[-1])


def run_spint(data: dict) -> float:
    from spint.gravity import Doubly as SpintDoubly

    m = SpintDoubly(data["flow"].astype(np.int64), data["origin"].astype(str),
                    data["destination"].astype(str), data["distance"], "pow")
    return float(m.params[-1])


PEERS: dict[str, tuple[Callable[[dict], float], str]] = {
    "kochu": (run_kochu, "kochu.flows"),
    "pyfixest": (run_pyfixest, "pyfixest"),
    "statsmodels": (run_statsmodels, "statsmodels"),
    "spint": (run_spint, "spint"),
}


def available(module: str) -> str | None:
    """None when importable, else the reason."""
    try:
        __import__(module)
    except Exception as exc:  # noqa: BLE001 — any import failure means "not available"
        return f"not installed ({type(exc).__name__}: {exc})"
    return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000, 2000])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--budget", type=float, default=120.0,
                    help="skip a tool on larger tables once one run takes longer (s)")
    ap.add_argument("--statsmodels-max", type=int, default=100,
                    help="largest table for the dense-dummy statsmodels GLM (places)")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    console = Console(width=150)
    console.print(f"load average before start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} "
                  f"cores; numpy {np.__version__}")
    skip: dict[str, str] = {}
    for tool, (_, module) in PEERS.items():
        reason = available(module)
        if reason:
            skip[tool] = reason
            console.print(f"[yellow]{tool}: {reason} — left out[/yellow]")
    rows = []
    warmed: set[str] = set()
    with Progress(console=console) as progress:
        task = progress.add_task("fitting", total=len(args.sizes) * len(PEERS))
        for n in args.sizes:
            data = synthetic_od(n)
            for tool, (fn, _) in PEERS.items():
                progress.update(task, description=f"{n} places: {tool}")
                note = skip.get(tool)
                if tool == "statsmodels" and n > args.statsmodels_max and not note:
                    note = f"skipped: dense dummy design ({n * (n - 1):,} x {2 * n}) too large"
                if note:
                    rows.append((n, tool, None, None, None, note))
                    progress.advance(task)
                    continue
                if tool not in warmed:  # untimed first run: imports, JIT compilation
                    fn(synthetic_od(50))
                    warmed.add(tool)
                times = []
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    beta = fn(data)
                    times.append(time.perf_counter() - t0)
                med = statistics.median(times)
                rows.append((n, tool, med, beta, len(times), ""))
                if med > args.budget:
                    skip[tool] = f"skipped: {med:.0f} s at {n} places > budget {args.budget:.0f} s"
                progress.advance(task)
    table = Table(title="Doubly-constrained Poisson gravity fit (pow decay), median wall time")
    for col in ("places", "pairs", "tool", "median s", "runs", "x kochu time", "beta",
                "beta - kochu", "note"):
        table.add_column(col, justify="left" if col in ("tool", "note") else "right")
    kochu = {n: (t, b) for n, tool, t, b, _, _ in rows if tool == "kochu"}
    for n, tool, t, b, runs, note in rows:
        kt, kb = kochu[n]
        table.add_row(
            str(n), f"{n * (n - 1):,}", tool,
            "" if t is None else f"{t:.3f}", "" if runs is None else str(runs),
            "" if t is None else f"{t / kt:.1f}",
            "" if b is None else f"{b:.8f}",
            "" if b is None else f"{b - kb:+.1e}", note,
        )
    console.print(table)
    console.print(f"true distance exponent of the generating model: {TRUE_BETA}")


if __name__ == "__main__":
    main()
