"""The 1989 population, built from the atlas (deterministic, counter-based draws).

Method (each step documented because the atlas has no micro-data):

1. **Counts** — each settlement gets ``round(scale × de facto 1989 census population)``
   people (atlas ``populations.csv``).
2. **Age and sex** — the atlas's national age structure of the year nearest to the start
   (UN WPP 2019 for 1990 in the Kyrgyzstan atlas), the same everywhere (derived: no oblast age
   tables in ../shared/data); single years spread evenly within 5-year groups.
3. **Households** — each settlement's people are split at random into
   ``round(n / household_size)`` households (derived; ``household_size`` in params).
4. **Ethnic group** (per household) — the 1989 census national totals of Slavs (Russians,
   Ukrainians, Belarusians) and Germans (params ``slavic_1989``, ``german_1989``) are
   spread over places with weights ``area × urban × mining`` (params ``ethnic_weight_north``
   for the area, ``ethnic_weight_urban``, ``ethnic_weight_mining``; 1 otherwise), capped at
   ``ethnic_share_cap`` per place — the documented derivation used because ../shared/data has
   no 1989 ethnic table by oblast. The *area* is the set of first-level units this module has
   always named as where the Slavic population lived — the capital, Chuy and Issyk-Kul
   (:data:`SLAVIC_UNITS`; derived, an assumption: the seed's Slavic places are the capital,
   the Chui-valley industrial towns and the mining towns) — *not* every northern unit: the
   ``north`` flag also covers Naryn and Talas, and with the area weight there a third of their
   people were drawn as Slavs. Mining towns anywhere keep the mining weight (seed: "the
   majority of these residents were ethnic Russians"), towns anywhere the urban weight. The
   unit list is an argument of :func:`ethnic_shares` (``units``); of :data:`SLAVIC_UNITS` only
   the ids the atlas has count, and an atlas with none of them (test fixtures) uses its
   ``north`` flag. The totals stay the sourced ones whatever the area (the weights only share
   them out).
5. **Education** — a person has (or will get) higher education with ``higher_education_share``
   (the same rule gives newborns their education at birth).
6. Everybody is registered where they live (propiska in force in 1989) and their origin is
   their 1989 place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba as nb
import numpy as np
import pandas as pd

from kochu.errors import AtlasError
from kochu.sim.params import Params
from kochu.sim.people import INFORMAL, MONTH0_YEAR, NEVER, PRESENT, People
from kochu.sim.rng import uniforms
from kochu.sim.world import World


def _age_table(atlas: object, year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lo, hi, sex, weight) rows of the age structure nearest ``year``."""
    ages = getattr(atlas, "age_structure", None)
    if ages is None or len(ages) == 0:
        raise AtlasError("age_structure.csv: missing or empty (needed for the initial population)")
    years = np.array(sorted(ages["year"].unique()))
    y = int(years[np.argmin(np.abs(years - year))])
    rows = ages[ages["year"] == y]
    lo, hi = [], []
    for g in rows["age_group"].astype(str):
        if g.endswith("+"):
            a = int(g[:-1])
            lo.append(a)
            hi.append(min(a + 5, 105))
        else:
            a, b = g.split("-")
            lo.append(int(a))
            hi.append(int(b) + 1)
    sex = (rows["sex"].astype(str) == "male").to_numpy(np.uint8)
    w = rows["population"].to_numpy(np.float64)
    return np.array(lo), np.array(hi), sex, w


#: first-level units where the Slavic/German population of 1989 lived (seed
#: ../shared/seed/000_0a698f04e912d04a.txt: the capital, the Chui valley towns, the Issyk-Kul
#: towns; module docstring). Ids of the Kyrgyzstan atlas's places.csv; other atlases pass
#: ``units`` to :func:`ethnic_shares` or fall back to their ``north`` flag.
SLAVIC_UNITS: tuple[str, ...] = ("bishkek", "chuy", "issyk_kul")


def ethnic_area(world: World, units: Sequence[str] | None = None) -> np.ndarray:
    """0/1 per place: in the Slavic settlement area (``units``, default :data:`SLAVIC_UNITS`).

    Unit ids the atlas lacks are ignored; when none of the default ids is in the atlas, its
    ``north`` flag stands in (an explicit ``units`` list naming no unit of the atlas is an
    error)."""
    known = [str(u) for u in world.unit_ids]
    wanted = list(SLAVIC_UNITS if units is None else units)
    idx = [known.index(u) for u in wanted if u in known]
    if not idx:
        if units is not None:
            raise AtlasError(f"ethnic area units {', '.join(map(str, wanted))}: none is a first-level unit "
                             f"of the atlas (expected some of {', '.join(known)})")
        return (np.asarray(world.north) == 1).astype(np.int8)
    return np.isin(np.asarray(world.unit), idx).astype(np.int8)


def ethnic_shares(world: World, params: Params, counts: np.ndarray,
                  units: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-place shares of Slavs and Germans (derivation in the module docstring).

    ``units``: the first-level units of the Slavic settlement area (default
    :data:`SLAVIC_UNITS`, see :func:`ethnic_area`)."""
    w = (
        np.where(ethnic_area(world, units) == 1, params["ethnic_weight_north"], 1.0)
        * np.where(world.urban == 1, params["ethnic_weight_urban"], 1.0)
        * np.where(world.mining, params["ethnic_weight_mining"], 1.0)
    )
    total = counts.sum()
    slav, ger = params["slavic_1989"], params["german_1989"]
    pop_total = max(float(world.pop1989.sum()), 1.0)
    target = min((slav + ger) / pop_total, 0.95) * total
    cap = params["ethnic_share_cap"]
    lo, hi = 0.0, 1e3
    for _ in range(100):  # bisection on the scale of the weights
        c = 0.5 * (lo + hi)
        if (np.minimum(cap, c * w) * counts).sum() < target:
            lo = c
        else:
            hi = c
    combined = np.minimum(cap, hi * w)
    f_ger = ger / (slav + ger) if slav + ger > 0 else 0.0
    return combined * (1 - f_ger), combined * f_ger


@nb.njit(cache=True)
def stable_order(keys: np.ndarray, n_keys: int) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for integer keys in ``[0, n_keys)`` (a counting
    sort: the same permutation in linear time)."""
    start = np.zeros(n_keys + 1, np.int64)
    for k in keys:
        start[k + 1] += 1
    for j in range(n_keys):
        start[j + 1] += start[j]
    out = np.empty(keys.shape[0], np.int64)
    for i in range(keys.shape[0]):
        k = keys[i]
        out[start[k]] = i
        start[k] += 1
    return out


def build_population(world: World, atlas: object, params: Params, seed: int, scale: float, start_year: int) -> People:
    """Create the people of ``start_year`` (January) at ``scale``."""
    counts = np.rint(world.pop1989.astype(np.float64) * scale).astype(np.int64)
    n = int(counts.sum())
    if n == 0:
        raise AtlasError(f"populations.csv: the {start_year} population at scale {scale} is empty")
    people = People(capacity=int(n * 1.6) + 1024)
    people.n = n
    people.next_pid = n
    pid = np.arange(n, dtype=np.int64)
    place = np.repeat(np.arange(world.n, dtype=np.int16), counts)
    u = [uniforms(seed, "init", k, pid) for k in range(4)]
    lo, hi, sex, w = _age_table(atlas, start_year)
    cdf = np.cumsum(w) / w.sum()
    g = np.minimum(np.searchsorted(cdf, u[0], side="right"), len(cdf) - 1)
    age_months = (lo[g] * 12 + np.floor(u[1] * (hi[g] - lo[g]) * 12)).astype(np.int64)
    month0 = (start_year - MONTH0_YEAR) * 12
    people.pid[:n] = pid
    people.born[:n] = (month0 - age_months).astype(np.int16)
    people.sex[:n] = sex[g]
    # households: random split within each place
    n_hh = np.maximum(1, np.rint(counts / params["household_size"])).astype(np.int64)
    n_hh[counts == 0] = 0
    offs = np.concatenate([[0], np.cumsum(n_hh)[:-1]])
    hh = offs[place] + np.floor(u[2] * n_hh[place]).astype(np.int64)
    people.hh[:n] = hh
    people.n_hh0 = int(n_hh.sum())
    people.place[:n] = place
    people.home[:n] = place
    people.reg[:n] = place
    people.origin[:n] = place
    people.status[:n] = np.where(world.informal[place], INFORMAL, PRESENT)
    people.moved[:n] = NEVER
    s_slav, s_ger = ethnic_shares(world, params, counts)
    uh = uniforms(seed, "init", 10, hh)  # one draw per household
    people.eth[:n] = np.where(uh < s_slav[place], 1, np.where(uh < s_slav[place] + s_ger[place], 2, 0))
    people.edu[:n] = (u[3] < params["higher_education_share"]).astype(np.uint8)
    # slots ordered by household (members contiguous, household reads sequential); pid = slot
    order = stable_order(hh, int(hh.max()) + 1)
    for name in ("born", "sex", "hh", "place", "home", "reg", "origin", "status", "moved", "eth", "edu"):
        col = getattr(people, name)
        col[:n] = col[:n][order]
    people.reserve(0)
    return people


def summary(people: People, world: World) -> pd.DataFrame:
    """Counts by place, ethnic group (a readable check of the initial population)."""
    c = people.columns()
    df = pd.DataFrame({"place": world.ids[c["place"]], "eth": c["eth"]})
    return df.value_counts().unstack(fill_value=0)
