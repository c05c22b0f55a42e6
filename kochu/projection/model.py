"""The multiregional cohort-component engine (single years of age × sex × place, yearly).

One projection year, from 1 January ``t`` to 1 January ``t + 1`` (the order is the same as
the independent Monte Carlo of individuals in the tests, so both agree in expectation):

1. **births** to women by their age and place on 1 January: ``B_i = sum_x f[x, i] W[x, i]``;
   a share ``sex_ratio`` are boys; births alive on 1 January ``t + 1`` = ``B * s_birth``
   (they stay at their mother's place of 1 January);
2. **deaths**: a person aged ``x`` at place ``i`` survives the year with ``s_age[sex, x, i]``;
3. **internal migration** of the survivors: a survivor aged ``x`` on 1 January at ``i`` is at
   ``j`` on 1 January ``t + 1`` with probability ``M[g(x), i, j]`` (rows sum to 1; ``g``
   maps single ages to the migration age groups);
4. **ageing**: survivors are one year older (the open group ``100+`` stays open);
5. **international migration**: the net count ``E_i`` of the year is added (``E_i < 0``:
   removed, at most 90 % of any age-sex cell) spread over ages and sexes by
   ``profile[sex, age] * population``.

The accounting identity holds exactly for every place and year (tested):
``P(t + 1) = P(t) + births - deaths + in - out + international``.
All arrays are numpy; one year of the whole country is a handful of small matrix products.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from kochu.errors import KochuError
from kochu.projection.lifetable import OPEN_AGE

N_AGES = OPEN_AGE + 1
SEXES = ("male", "female")


@dataclass(frozen=True)
class YearRates:
    """Demographic rates of one year for ``n`` places (sexes: 0 male, 1 female)."""

    s_birth: np.ndarray  # (2, n) births of the year alive on 1 January next year
    s_age: np.ndarray  # (2, N_AGES, n) survival from 1 January to 1 January
    fertility: np.ndarray  # (N_AGES, n) births per woman aged x on 1 January
    international: np.ndarray  # (n,) net international migrants of the year (count)
    profile: np.ndarray  # (2, N_AGES) relative propensity of international migration
    sex_ratio: float = 0.512  # share of boys among births


@dataclass(frozen=True)
class Migration:
    """Internal migration of one year: ``probs[g, i, j]`` for survivors in age group ``g``."""

    groups: np.ndarray  # (N_AGES,) int: migration age group of each single age
    probs: np.ndarray  # (G, n, n) row-stochastic
    completeness: np.ndarray | None = None  # (n,) share of arrivals at j that register


RatesFn = Callable[[int, np.ndarray], YearRates]
MigrationFn = Callable[[int, np.ndarray], Migration]


@dataclass
class StepAccounts:
    """Flows of one projection year by place (people)."""

    births: np.ndarray
    deaths: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    international: np.ndarray
    flows: np.ndarray  # (n, n) internal moves, diagonal zero
    registered: np.ndarray | None = None  # (n, n) registered moves


def validate_migration(mig: Migration, n: int) -> None:
    """Raise :class:`KochuError` unless ``mig`` is a well-formed migration array."""
    p = mig.probs
    if p.ndim != 3 or p.shape[1:] != (n, n):
        raise KochuError(f"migration probabilities: expected shape (groups, {n}, {n}), got {p.shape}")
    if mig.groups.shape != (N_AGES,) or mig.groups.min() < 0 or mig.groups.max() >= p.shape[0]:
        raise KochuError(f"migration groups: expected {N_AGES} indices in 0..{p.shape[0] - 1}")
    if np.any(p < -1e-12) or not np.allclose(p.sum(axis=2), 1.0, atol=1e-9):
        raise KochuError("migration probabilities: each row must be non-negative and sum to 1")


def step(pop: np.ndarray, rates: YearRates, mig: Migration) -> tuple[np.ndarray, StepAccounts]:
    """Project ``pop`` (2, N_AGES, n) one year; returns the new population and the accounts."""
    # 1. births
    births = np.einsum("xi,xi->i", rates.fertility, pop[1])
    boys = births * rates.sex_ratio
    newborn = np.stack([boys * rates.s_birth[0], (births - boys) * rates.s_birth[1]])
    # 2. deaths
    surv = pop * rates.s_age
    deaths = (pop - surv).sum(axis=(0, 1)) + (births - newborn.sum(axis=0))
    # 3. internal migration (by age group of the age on 1 January), one batched matmul
    per_age = mig.probs[mig.groups]  # (N_AGES, n, n)
    moved = np.matmul(surv.transpose(1, 0, 2), per_age).transpose(1, 0, 2)
    flows = np.einsum("ai,aij->ij", surv.sum(axis=0), per_age)
    np.fill_diagonal(flows, 0.0)
    # 4. ageing
    new = np.empty_like(pop)
    new[:, 0, :] = newborn
    new[:, 1:, :] = moved[:, :-1, :]
    new[:, -1, :] += moved[:, -1, :]
    # 5. international migration
    weights = new * rates.profile[:, :, None]
    wsum = weights.sum(axis=(0, 1))
    e = np.where(rates.international < 0, np.maximum(rates.international, -0.9 * wsum),
                 rates.international)
    e = np.where(wsum > 0, e, 0.0)
    share = np.divide(weights, wsum, out=np.zeros_like(weights), where=wsum > 0)
    new += share * e
    acc = StepAccounts(
        births=births, deaths=deaths, inflow=flows.sum(axis=0), outflow=flows.sum(axis=1),
        international=e, flows=flows,
        registered=None if mig.completeness is None else flows * mig.completeness[None, :],
    )
    return new, acc


@dataclass
class ProjectionResult:
    """Yearly results; ``population[k]`` is on 1 January of ``years[k]``."""

    places: list[str]
    years: np.ndarray  # (T + 1,)
    population: np.ndarray  # (T + 1, n)
    births: np.ndarray  # (T, n) during years[k]
    deaths: np.ndarray
    international: np.ndarray
    inflow: np.ndarray
    outflow: np.ndarray
    flows: np.ndarray  # (T, n, n)
    registered: np.ndarray  # (T, n, n) (NaN when no completeness was given)
    final: np.ndarray  # (2, N_AGES, n) age-sex population on 1 January of the last year
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)  # year -> (2, N_AGES, n)

    def at(self, year: int) -> np.ndarray:
        """Population by place on 1 January ``year``."""
        k = np.flatnonzero(self.years == year)
        if k.size == 0:
            raise KochuError(f"year {year}: projection covers {self.years[0]}..{self.years[-1]}")
        return self.population[k[0]]

    def aggregate(self, groups: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Sum places into groups (e.g. oblast of each place): (names, (T + 1, n_groups))."""
        names = sorted(set(groups))
        idx = np.array([names.index(g) for g in groups])
        out = np.zeros((self.population.shape[0], len(names)))
        np.add.at(out.T, idx, self.population.T)
        return names, out


class CohortProjection:
    """Multiregional cohort-component projection (see module docstring for the year order).

    ``rates(year, pop)`` and ``migration(year, pop)`` give each year's inputs and may depend
    on the current population ``pop`` (2, N_AGES, n) — e.g. gravity masses.
    """

    def __init__(self, places: Sequence[str], initial: np.ndarray, start_year: int,
                 rates: RatesFn, migration: MigrationFn, snapshot_years: Sequence[int] = ()) -> None:
        self.places = list(places)
        self.initial = np.asarray(initial, dtype=float)
        self.start_year = int(start_year)
        self.rates = rates
        self.migration = migration
        self.snapshot_years = tuple(snapshot_years)

    def run(self, until: int, check: bool = True) -> ProjectionResult:
        """Project from 1 January ``start_year`` to 1 January ``until``."""
        n = len(self.places)
        if self.initial.shape != (2, N_AGES, n):
            raise KochuError(f"initial population: expected shape (2, {N_AGES}, {n}), got {self.initial.shape}")
        if until < self.start_year:
            raise KochuError(f"until {until} is before the start year {self.start_year}")
        t_n = until - self.start_year
        pop = self.initial.copy()
        tot = np.empty((t_n + 1, n))
        tot[0] = pop.sum(axis=(0, 1))
        keys = ("births", "deaths", "international", "inflow", "outflow")
        rec = {k: np.zeros((t_n, n)) for k in keys}
        flows = np.zeros((t_n, n, n))
        registered = np.full((t_n, n, n), np.nan)
        snaps = {self.start_year: pop.copy()} if self.start_year in self.snapshot_years else {}
        for k in range(t_n):
            year = self.start_year + k
            mig = self.migration(year, pop)
            if check:
                validate_migration(mig, n)
            pop, acc = step(pop, self.rates(year, pop), mig)
            tot[k + 1] = pop.sum(axis=(0, 1))
            for key in keys:
                rec[key][k] = getattr(acc, key)
            flows[k] = acc.flows
            if acc.registered is not None:
                registered[k] = acc.registered
            if year + 1 in self.snapshot_years:
                snaps[year + 1] = pop.copy()
        years = np.arange(self.start_year, until + 1)
        return ProjectionResult(places=self.places, years=years, population=tot, flows=flows,
                                registered=registered, final=pop, snapshots=snaps, **rec)


def concat_results(a: ProjectionResult, b: ProjectionResult) -> ProjectionResult:
    """Join two consecutive legs (``b`` starts where ``a`` ends; ``b``'s first stock wins)."""
    if a.years[-1] != b.years[0] or a.places != b.places:
        raise KochuError(f"concat: leg 2 starts in {b.years[0]}, leg 1 ends in {a.years[-1]} (expected equal)")
    cat = lambda x, y: np.concatenate([x, y])  # noqa: E731
    return ProjectionResult(
        places=a.places, years=cat(a.years[:-1], b.years), population=cat(a.population[:-1], b.population),
        births=cat(a.births, b.births), deaths=cat(a.deaths, b.deaths),
        international=cat(a.international, b.international), inflow=cat(a.inflow, b.inflow),
        outflow=cat(a.outflow, b.outflow), flows=cat(a.flows, b.flows), registered=cat(a.registered, b.registered),
        final=b.final, snapshots={**a.snapshots, **b.snapshots})
