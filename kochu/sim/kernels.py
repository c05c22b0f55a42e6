"""numba kernels of the monthly step.

``decide`` is one fused, parallel pass over all person slots in fixed-size chunks
(``CHUNK``): it draws each person's fate for the month as *competing risks* from one uniform
(death, labour migration abroad, an individual move, a return move, late registration), the
household's fate from one household uniform shared by all members (family emigration, a
whole-family move), and a woman's birth from a third; it writes an action code per person
and accumulates the start-of-month counts per chunk. Nothing is written across persons, so
the result does not depend on the number of threads.

``apply`` then walks the (few) actors serially in slot order: deaths, emigration, departures
and returns, moves with housing in the capital and registration, and births appended at the
end with consecutive ``pid``.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from kochu.sim.rng import uniform, uniform2, uniform_pair

CHUNK = 1 << 16

NONE, DIE, EMIGRATE, TO_ABROAD, FROM_ABROAD, SETTLE_ABROAD = 0, 1, 2, 3, 4, 5
FAMILY_MOVE, MOVE, RETURN, DISP_RETURN, LATE_REG = 6, 7, 8, 9, 10
BIRTH = 0x80
CODE_MASK = 0x7F
ACTION_NAMES = {
    NONE: "none", DIE: "die", EMIGRATE: "emigrate (household)", TO_ABROAD: "leave to work abroad",
    FROM_ABROAD: "return from abroad", SETTLE_ABROAD: "settle abroad", FAMILY_MOVE: "family move",
    MOVE: "individual move", RETURN: "return to origin", DISP_RETURN: "displaced return",
    LATE_REG: "late registration",
}

# status codes (mirrors kochu.sim.people)
EMPTY, PRESENT, ABROAD, DISPLACED, INFORMAL = 0, 1, 2, 3, 4


@nb.njit(inline="always", cache=True)
def choose(cdf: np.ndarray, u: float) -> int:
    """Index of the first cdf entry > u (binary search over one row)."""
    lo, hi = 0, cdf.shape[0] - 1
    while lo < hi:
        mid = (lo + hi) >> 1
        if cdf[mid] > u:
            hi = mid
        else:
            lo = mid + 1
    return lo


@nb.njit(parallel=True, cache=True)
def decide(
    n, t, keys, pid, born, sex, hh, place, reg, origin, eth, edu, status, moved,
    hh_savings, unit, is_town_stop, p_death, p_birth, fert_eth, mshape, fshape,
    p_emig, p_fam, p_abroad, abroad_age, p_move, move_age, p_return, p_late_reg,
    p_ret_abroad, p_settle_abroad, p_disp_return, stopover_mult, stopover_months,
    relocation_cost, cdf, act, dst,
    present_c, abroad_c, unreg_c, nunit_c, ssum_c, fsum_c, nact_c, nbirth_c, do_sums,
    thr_ind, thr_hh, thr_birth, actors_buf, abroad_buf, nab_c,
):
    """Draw everyone's action for month ``t`` (see module docstring); fills ``act``, ``dst``.

    ``thr_ind[p, a, s]``, ``thr_hh[p, eth]``, ``thr_birth[p, a, s]`` are the fast path's
    thresholds (:meth:`kochu.sim.Sim._bounds`): a person whose three uniforms are all at or
    above them can have no event this month (exact upper bounds of every hazard).
    """
    k_demo, k_hh, k_dst = keys[0], keys[2], keys[3]
    n_chunks = (n + CHUNK - 1) // CHUNK
    for c in nb.prange(n_chunks):
        lo = c * CHUNK
        hi = min(n, lo + CHUNK)
        nact = 0
        nbirth = 0
        nab = 0
        unreg = 0
        run_p = 0
        run_n = 0
        for i in range(lo, hi):
            st = status[i]
            if st == EMPTY:
                continue
            p = place[i]
            h = hh[i]
            rh = uniform(k_hh, h)  # the household's uniform (a hash is cheaper than a mispredicted branch)
            if st == ABROAD:
                abroad_c[c, p] += 1
                abroad_buf[lo + nab] = i
                nab += 1
                pe = p_emig[p, eth[i]]
                funded = 0
                if rh < pe + p_fam[p, 1]:  # read savings (a random access) only when needed
                    funded = 1 if hh_savings[h] >= relocation_cost else 0
                code = NONE
                if rh < pe:
                    code = EMIGRATE
                elif rh < pe + p_fam[p, funded]:
                    code = FAMILY_MOVE
                    dst[i] = choose(cdf[2 + funded, p], uniform(k_dst, h))
                else:
                    r = uniform(k_demo, pid[i])
                    if r < p_ret_abroad:
                        code = FROM_ABROAD
                    elif r < p_ret_abroad + p_settle_abroad:
                        code = SETTLE_ABROAD
                if code != NONE:
                    act[i] = code
                    actors_buf[lo + nact] = i
                    nact += 1
                continue
            # present (in a formal place, an informal settlement, or displaced)
            if p != run_p:  # people of a place are mostly contiguous: count runs in registers
                present_c[c, run_p] += run_n
                run_p = p
                run_n = 0
            run_n += 1
            unreg += reg[i] != p  # branchless (unpredictable where many are unregistered)
            r, rb = uniform_pair(k_demo, pid[i])
            a = (t - born[i]) // 12
            if a > 100:
                a = 100
            s = sex[i]
            if do_sums:  # January: the demography scaling sums over everyone present
                u = unit[p]
                nunit_c[c, u] += 1
                ssum_c[c, u] += mshape[a, s]
                if s == 0:
                    fsum_c[c, u] += fshape[a] * fert_eth[eth[i]]
            # fast path: no hazard can fire (bounds over ages and groups of this place)
            if (st != DISPLACED and r >= thr_ind[p, a, s]
                    and rh >= thr_hh[p, eth[i]] and rb >= thr_birth[p, a, s]):
                continue
            u = unit[p]
            pd = p_death[u, a, s]
            code = NONE
            if r < pd:
                code = DIE
            else:
                pe = p_emig[p, eth[i]]
                funded = 0
                if rh < pe + p_fam[p, 1] or r < pd + p_abroad[p] + p_move[p] * stopover_mult:
                    funded = 1 if hh_savings[h] >= relocation_cost else 0
                if rh < pe:
                    code = EMIGRATE
                elif st == DISPLACED:
                    if r < pd + p_disp_return:
                        code = DISP_RETURN
                elif rh < pe + p_fam[p, funded]:
                    code = FAMILY_MOVE
                    dst[i] = choose(cdf[2 + funded, p], uniform(k_dst, h))
                else:
                    x = pd + p_abroad[p] * abroad_age[a, s]
                    if r < x:
                        code = TO_ABROAD
                    else:
                        pm = p_move[p] * move_age[a]
                        if is_town_stop[p] and t - moved[i] < stopover_months:
                            pm *= stopover_mult
                        if r < x + pm:
                            code = MOVE
                            rich = 1 if (edu[i] == 1 or funded == 1) else 0
                            dst[i] = choose(cdf[rich, p], uniform(k_dst, pid[i]))
                        else:
                            x += pm
                            if origin[i] != p and r < x + p_return:
                                code = RETURN
                                dst[i] = origin[i]
                            elif reg[i] != p and r < x + p_return + p_late_reg[p]:
                                code = LATE_REG
            if code == DIE or code == EMIGRATE or code == TO_ABROAD:
                act[i] = code
                actors_buf[lo + nact] = i
                nact += 1
                continue
            if (code == MOVE or code == FAMILY_MOVE or code == RETURN) and dst[i] == p:
                code = NONE  # a "move" to where one already is: stay
            if s == 0 and a >= 15 and a <= 49:
                if rb < p_birth[u, a] * fert_eth[eth[i]]:
                    code |= BIRTH
                    nbirth += 1
            if code != NONE:
                act[i] = code
                actors_buf[lo + nact] = i
                nact += 1
        present_c[c, run_p] += run_n
        nact_c[c] = nact
        nbirth_c[c] = nbirth
        unreg_c[c] = unreg
        nab_c[c] = nab


@nb.njit(cache=True)
def apply(
    actors, t, keys, next_pid, n_hh0, pid, born, sex, hh, place, home, reg, origin, eth, edu,
    status, moved, hh_savings, act, dst, n, informal, capital, formal_room, inf_ids, inf_cdf,
    p_reg, reg_bonus_family, reg_bonus_funded, relocation_cost, sex_ratio, edu_share,
    true_flow, reg_flow, tally,
):
    """Apply the month's actions in slot order; returns the new number of slots.

    ``tally``: [births, deaths, immigration, emigration, internal_moves, registered_moves,
    capital_arrivals, informal_arrivals].
    """
    k_birth, k_reg, k_house = keys[1], keys[4], keys[5]
    abroad_ix = true_flow.shape[0] - 1
    # capital housing: share of this month's capital arrivals who find formal housing
    arrivals = 0
    for j in range(actors.shape[0]):
        i = actors[j]
        code = act[i] & 0x7F
        if (code == FAMILY_MOVE or code == MOVE) and status[i] != ABROAD and dst[i] == capital:
            arrivals += 1
    p_formal = 1.0 if arrivals <= formal_room else formal_room / arrivals
    m = n
    for j in range(actors.shape[0]):
        i = actors[j]
        code = act[i] & 0x7F
        p = place[i]
        st = status[i]
        if code == DIE:
            status[i] = EMPTY
            tally[1] += 1
        elif code == EMIGRATE:
            if st != ABROAD:
                tally[3] += 1
                true_flow[p, abroad_ix] += 1
                reg_flow[reg[i], abroad_ix] += 1
            status[i] = EMPTY
        elif code == TO_ABROAD:
            status[i] = ABROAD
            tally[3] += 1
            true_flow[p, abroad_ix] += 1
        elif code == FROM_ABROAD:
            status[i] = INFORMAL if informal[p] else PRESENT
            tally[2] += 1
            true_flow[abroad_ix, p] += 1
        elif code == SETTLE_ABROAD:
            status[i] = EMPTY
        elif code == LATE_REG:
            reg_flow[reg[i], p] += 1
            tally[5] += 1
            reg[i] = p
        elif code == FAMILY_MOVE or code == MOVE or code == RETURN or code == DISP_RETURN:
            family = code == FAMILY_MOVE
            stays = False
            key_id = hh[i] if family else pid[i]
            d = home[i] if code == DISP_RETURN else dst[i]
            if code == DISP_RETURN:  # back home after a displacement: a move host → home
                true_flow[p, d] += 1
                tally[4] += 1
                if reg[i] != d and uniform(k_reg, pid[i]) < p_reg[d]:
                    reg_flow[reg[i], d] += 1
                    tally[5] += 1
                    reg[i] = d
                place[i] = d
                status[i] = INFORMAL if informal[d] else PRESENT
            elif st == ABROAD:  # a family member abroad: the family's new home is theirs
                place[i] = d
                home[i] = d
            else:
                if d == capital and (code == FAMILY_MOVE or code == MOVE):
                    tally[6] += 1
                    if uniform(k_house ^ np.uint64(1), key_id) >= p_formal:
                        d = inf_ids[choose(inf_cdf, uniform2(k_house, key_id))]
                        if d != p:
                            tally[7] += 1
                stays = d == p  # sent to the informal settlement they already live in
                if not stays:
                    true_flow[p, d] += 1
                    tally[4] += 1
                    funded = hh_savings[hh[i]] >= relocation_cost
                    pr = p_reg[d]
                    if family:
                        pr += reg_bonus_funded if funded else reg_bonus_family
                    if reg[i] != d and uniform(k_reg, key_id) < pr:
                        reg_flow[reg[i], d] += 1
                        tally[5] += 1
                        reg[i] = d
                    place[i] = d
                    home[i] = d
                    status[i] = INFORMAL if informal[d] else PRESENT
                    moved[i] = t
            if code == MOVE and not stays:
                hh[i] = n_hh0 + pid[i]
        if act[i] & 0x80:
            if status[i] != EMPTY:
                q = pid[i]
                c = next_pid + (m - n)
                pid[m] = c
                born[m] = t
                sex[m] = 1 if uniform2(k_birth, q) < sex_ratio else 0
                hh[m] = hh[i]
                place[m] = place[i]
                home[m] = home[i]
                reg[m] = reg[i]
                origin[m] = origin[i]
                eth[m] = eth[i]
                edu[m] = 1 if uniform(k_birth ^ np.uint64(7), c) < edu_share else 0
                status[m] = status[i]
                moved[m] = -32768
                m += 1
                tally[0] += 1
    # funded families spent their savings on the new home (only when a member did move this
    # month: not when the family stays, e.g. sent to the informal settlement it lives in)
    for j in range(actors.shape[0]):
        i = actors[j]
        if (act[i] & 0x7F) == FAMILY_MOVE and moved[i] == t and hh_savings[hh[i]] >= relocation_cost:
            hh_savings[hh[i]] = 0.0
    return m


@nb.njit(cache=True)
def gather(buf, counts):
    """Concatenate the per-chunk segments ``buf[c*CHUNK : c*CHUNK + counts[c]]`` (slot order)."""
    out = np.empty(counts.sum(), np.int64)
    k = 0
    for c in range(counts.shape[0]):
        lo = c * CHUNK
        for j in range(counts[c]):
            out[k] = buf[lo + j]
            k += 1
    return out


@nb.njit(cache=True)
def remittances(abroad, hh, status, hh_savings, n_hh, remit, keep):
    """Savings × ``keep`` in every household (skipped when 1); each member abroad at the start
    of the month (``abroad`` slots) who is still abroad remits ``remit``."""
    if keep != 1.0:
        k = np.float32(keep)
        for h in range(n_hh):
            hh_savings[h] *= k
    for j in range(abroad.shape[0]):
        i = abroad[j]
        if status[i] == ABROAD:
            hh_savings[hh[i]] += remit


@nb.njit(cache=True)
def network_counts(n, place, origin, status, n_places):
    """Present people by (origin, place): the migrant networks."""
    out = np.zeros((n_places, n_places), np.int64)
    for i in range(n):
        st = status[i]
        if st != EMPTY and st != ABROAD:
            out[origin[i], place[i]] += 1
    return out


@nb.njit(cache=True)
def unit_sums(n, t, born, sex, place, status, eth, unit, mshape, fshape, fert_eth, n_units):
    """Present people, mortality-shape and fertility-shape sums by unit (initial month)."""
    nu = np.zeros(n_units, np.float64)
    ss = np.zeros(n_units, np.float64)
    fs = np.zeros(n_units, np.float64)
    for i in range(n):
        st = status[i]
        if st == EMPTY or st == ABROAD:
            continue
        a = min((t - born[i]) // 12, 100)
        u = unit[place[i]]
        nu[u] += 1
        ss[u] += mshape[a, sex[i]]
        if sex[i] == 0:
            fs[u] += fshape[a] * fert_eth[eth[i]]
    return nu, ss, fs


@nb.njit(cache=True)
def displace(n, keys, pid, hh, place, home, reg, status, hit, fraction, host, p_reg, true_flow, reg_flow):
    """Displace a ``fraction`` of households present in places with ``hit`` to ``host[place]``.

    Each displaced person is a move ``place → host`` in the flows (true), registered at the
    host with the host's registration probability ``p_reg`` (as any move); returns
    (moves, registered moves). Serial: only months with a displacement event call it.
    """
    k = keys[8]
    moved = 0
    registered = 0
    for i in range(n):
        st = status[i]
        if (st == PRESENT or st == INFORMAL) and hit[place[i]]:
            p = place[i]
            if uniform(k, hh[i]) < fraction[p]:
                d = host[p]
                home[i] = p
                place[i] = d
                status[i] = DISPLACED
                true_flow[p, d] += 1
                moved += 1
                if reg[i] != d and uniform2(k, pid[i]) < p_reg[d]:
                    reg_flow[reg[i], d] += 1
                    reg[i] = d
                    registered += 1
    return moved, registered
