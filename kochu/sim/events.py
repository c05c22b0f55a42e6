"""Dated events of a month, handled outside the decide kernel.

:func:`month_events` is called by ``Sim.step`` every month: legalisations, displacements to the
nearest settlement (drivers' events and interventions' requests; moves, through
:func:`kochu.sim.kernels.displace`) and :func:`refugees_abroad` (departures of the month's
``refugees_abroad`` events, returns that are due).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from kochu.sim import kernels as K
from kochu.sim.people import ABROAD, INFORMAL, NEVER, PRESENT
from kochu.sim.rng import uniforms

if TYPE_CHECKING:
    from kochu.sim.sim import Sim

#: event kind of a temporary displacement abroad (international, not an internal move)
REFUGEES_ABROAD = "refugees_abroad"
REFUGEE_STEP = 1 << 40  # counter offset: the refugees' draws differ from kernels.displace's


def month_events(sim: Sim, keys: np.ndarray, p_reg: np.ndarray) -> tuple[int, int]:
    """Dated events of this month (drivers) and displacement requests (interventions);
    returns the displacement (moves, registered moves), already in this year's flows.
    Refugees abroad (kind ``refugees_abroad``) are international, not moves: see
    :func:`refugees_abroad` (departures and due returns, every month)."""
    reqs = list(sim._displacements)
    sim._displacements.clear()
    abroad: list[tuple[np.ndarray, float, float]] = []
    for kind, idx, fraction, months in sim.dec.events_at(sim.year, sim.month):
        if kind == "legalisation" and len(idx):
            ok = idx[sim.world.informal[idx] & (sim.world.hazard_zone[idx] == 0)]
            sim.housing.legal[ok] = 1
        elif kind == REFUGEES_ABROAD and fraction is not None and len(idx):
            abroad.append((idx, float(fraction), float(months or sim.params["displacement_return_months"])))
        elif fraction is not None and len(idx):
            sim.displacement_return_months = float(months or sim.params["displacement_return_months"])
            reqs.append((idx, float(fraction), sim.displacement_return_months))
    refugees_abroad(sim, abroad)
    if not reqs:
        return 0, 0
    p, w = sim.people, sim.world
    # the host of each place: the nearest other settlement that is not informal
    hours = np.where(np.eye(w.n, dtype=bool), np.inf, w.hours)
    hours[:, w.informal] = np.inf
    host = np.argmin(hours, axis=1).astype(np.int16)
    tflow, rflow = sim.results.flow_matrices(sim.year)
    moves = registered = 0
    for idx, frac, _months in reqs:
        hit = np.zeros(w.n, np.bool_)
        hit[idx] = True
        fraction = np.where(hit, frac, 0.0)
        m, r = K.displace(p.n, keys, p.pid, p.hh, p.place, p.home, p.reg, p.status, hit, fraction, host,
                          p_reg, tflow, rflow)
        moves, registered = moves + int(m), registered + int(r)
    return moves, registered


def refugees_abroad(sim: Sim, reqs: list[tuple[np.ndarray, float, float]]) -> None:
    """Temporary displacement abroad (events of kind ``refugees_abroad``, e.g. the June 2010
    flight to Uzbekistan): a ``fraction`` of the households present in the places leave the
    country at the start of the month and come back home after ``months`` months. They are
    emigration and immigration (status abroad in between: counted in the permanent, not the
    present population), never internal moves. Departures and returns happen between two
    months and are booked in the month that ends there (the stocks of the event month's
    1st already exclude them), so population(t+1) = population(t) + births − deaths +
    immigration − emigration stays exact. The return month is kept in ``people.moved`` as
    ``−month`` (negative, above ``NEVER``; cleared on return), so checkpoints carry it."""
    p, w = sim.people, sim.world
    n, t = p.n, sim.tm
    st, mv = p.status[:n], p.moved[:n]
    marked = (mv < 0) & (mv > NEVER)
    if not reqs and not marked.any():
        return
    due = marked & (-mv.astype(np.int64) <= t)
    back = np.flatnonzero(due & (st == ABROAD))
    mv[marked & (due | (st != ABROAD))] = NEVER  # returned (now, or earlier on their own)
    st[back] = np.where(w.informal[p.place[back]], INFORMAL, PRESENT)
    out: list[np.ndarray] = []
    for idx, frac, months in reqs:
        hit = np.zeros(w.n, np.bool_)
        hit[idx] = True
        cand = np.flatnonzero(((st == PRESENT) | (st == INFORMAL)) & hit[p.place[:n]])
        u = uniforms(sim.seed, "displacement", t + REFUGEE_STEP, p.hh[cand])
        go = cand[u < frac]
        st[go] = ABROAD
        mv[go] = -(t + max(int(round(months)), 1))
        out.append(go)
    gone = np.concatenate(out) if out else np.zeros(0, np.int64)
    if sim._last_tally is None:  # the run's first month: before its first stocks
        return
    py, pm = (sim.year, sim.month - 1) if sim.month > 1 else (sim.year - 1, 12)
    tflow, _ = sim.results.flow_matrices(py)
    ab = tflow.shape[0] - 1
    np.add.at(tflow[:, ab], p.place[gone], 1)
    np.add.at(tflow[ab, :], p.place[back], 1)
    sim._last_tally[2] += len(back)
    sim._last_tally[3] += len(gone)
    row = sim.results.events.get((py, pm))
    if row is not None:
        row["immigration"] += len(back)
        row["emigration"] += len(gone)

