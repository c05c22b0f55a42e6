"""Benchmark: one projection year of the whole country (cohort-component, numpy).

Usage: ``.venv/bin/python bench/projection.py [--places N] [--repeats R]``

Times (median of repeats) one yearly step of the multiregional cohort-component model for
``N`` places × 101 single ages × 2 sexes × 17 migration age groups, and compares it side by
side with the alternative a user would otherwise pick for the same expectation: a Monte Carlo
of individuals with the same rates (numpy, vectorised, 1:100 of the population). Also times a
full 1989 → 2050 projection of the default atlas's settlements if it is built.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from kochu.projection.from_sim import GROUP_OF_AGE, N_GROUPS
from kochu.projection.inputs import fertility_shape, rogers_castro
from kochu.projection.lifetable import alpha_for_e0, life_table, projection_survival
from kochu.projection.model import N_AGES, Migration, YearRates, step


def _inputs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, YearRates, Migration]:
    pop = rng.uniform(10, 160, (2, N_AGES, n))
    pop *= 7e6 / pop.sum()  # the whole country: ≈ 7 M people
    sb, sa = projection_survival(life_table(alpha_for_e0(np.array([63.0, 71.0]))))
    rates = YearRates(np.repeat(sb[:, None], n, 1), np.repeat(sa[:, :, None], n, 2),
                      np.repeat((3.0 * fertility_shape())[:, None], n, 1), rng.normal(0, 50, n),
                      np.stack([rogers_castro()] * 2))
    q = rng.random((N_GROUPS, n, n))
    q /= q.sum(axis=2, keepdims=True)
    probs = 0.02 * q
    idx = np.arange(n)
    probs[:, idx, idx] += 1 - probs.sum(axis=2)
    return pop, rates, Migration(GROUP_OF_AGE, probs, np.full(n, 0.6))


def _median(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _individuals(pop: np.ndarray, rates: YearRates, mig: Migration, rng: np.random.Generator, scale: float):
    counts = np.rint(pop * scale).astype(np.int64)
    sex, age, place = (np.repeat(i.ravel(), counts.ravel()) for i in np.indices(counts.shape))
    cum = np.cumsum(mig.probs, axis=2)

    def one_year():
        alive = rng.random(sex.size) < rates.s_age[sex, age, place]
        u = rng.random(int(alive.sum()))
        rows = cum[GROUP_OF_AGE[age[alive]], place[alive], :]
        return (u[:, None] >= rows).sum(axis=1)

    return one_year, int(counts.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--places", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    pop, rates, mig = _inputs(args.places, rng)
    people = pop.sum()
    t_cc = _median(lambda: step(pop, rates, mig), args.repeats)
    mc, n_ind = _individuals(pop, rates, mig, rng, scale=0.01)
    t_mc = _median(mc, max(3, args.repeats // 2)) / 0.01  # per full-scale population
    print(f"cohort-component, {args.places} places x 101 ages x 2 sexes ({people / 1e6:.1f} M people): "
          f"{t_cc * 1e3:.1f} ms / projection year (median of {args.repeats})")
    print(f"Monte Carlo of individuals (same rates, {n_ind:,} simulated = 1:100, scaled to 1:1): "
          f"{t_mc * 1e3:.0f} ms / year  -> ratio {t_mc / t_cc:,.0f}x slower than the projection")
    try:
        from kochu.atlas import load_atlas
        from kochu.projection import project

        atlas = load_atlas()
        n = len(atlas.settlements)
        project(atlas, until=1991)  # warm caches (life tables, travel matrix)
        t_full = _median(lambda: project(atlas, until=2050), 3)
        print(f"default atlas: {n} settlements, 1989 -> 2050 (61 years) in {t_full:.2f} s "
              f"= {t_full / 61 * 1e3:.1f} ms / year incl. inputs and migration rules")
    except Exception as exc:  # noqa: BLE001 — the default atlas may not be built yet
        print(f"default atlas not available ({type(exc).__name__}: {exc})")


if __name__ == "__main__":
    main()
