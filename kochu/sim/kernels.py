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

import os

# Idle OpenMP workers sleep instead of spinning between the parallel kernels: the serial parts
# of a step (apply, remittances, tables) then do not share the cores with busy-waiting threads
# (read when numba first loads its OpenMP layer; an explicit setting wins).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba as nb  # noqa: E402
import numpy as np  # noqa: E402

from kochu.sim.rng import _GOLDEN, _INV32, _INV53, _LO32, _S11, _S32, mix, uniform, uniform2  # noqa: E402

CHUNK = 1 << 16
BLOCK = 512  # decide's pass 1 works in blocks of this many slots (buffers stay in L1)

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


@nb.njit(inline="always", cache=True)
def age_years(t: np.int64, born: np.int64) -> np.int64:
    """``min(max(t - born, 0) // 12, 100)`` (age in completed years, 100 = 100+) by a multiply
    and a shift after clamping to [0, 1200] (``x * 2796203 >> 25 == x // 12`` for 0 <= x < 2**18;
    checked in the tests): much cheaper than numba's integer floor division in the hot loop."""
    return (min(max(t - np.int64(born), 0), 1200) * 2796203) >> 25


def int_bounds(thr: np.ndarray, bits: int) -> np.ndarray:
    """Integer form of fast-path thresholds for ``bits``-bit uniforms ``u = k * 2**-bits``:
    ``T = ceil(thr * 2**bits) - 1`` (int64, at most ``2**bits - 1``; NaN → never fast), so that
    ``k > T`` exactly when ``u >= thr``."""
    top = float(2**bits - 1)
    x = np.ceil(np.asarray(thr, np.float64) * float(2**bits)) - 1.0
    return np.where(np.isnan(x), top, np.minimum(x, top)).astype(np.int64)


@nb.njit(parallel=True, cache=True, error_model="numpy")
def decide(
    n, t, keys, pid, born, sex, hh, place, reg, origin, eth, edu, status, moved,
    hh_savings, unit, is_town_stop, p_death, p_birth, fert_eth, mshape, fshape,
    p_emig, p_fam, p_abroad, abroad_age, p_move, move_age, p_return, p_late_reg,
    p_ret_abroad, p_settle_abroad, p_disp_return, stopover_mult, stopover_months,
    relocation_cost, cdf, act, dst,
    present_c, abroad_c, unreg_c, nunit_c, ssum_c, fsum_c, nact_c, nbirth_c, do_sums,
    thr_ib, thr_hh, thr_ret, n_ages, actors_buf, abroad_buf, nab_c,
):
    """Draw everyone's action for month ``t`` (see module docstring); fills ``act``, ``dst``.

    Per chunk, pass 1 is a tight branch-free scan of everyone: counts, the people abroad, and
    the slots of the few who *may* have an event this month. The test compares the raw random
    bits with integer thresholds (:meth:`kochu.sim.Sim._bounds`, :func:`int_bounds`):
    ``thr_ib[((p * n_ages + a) * 2 + s) * 2 + {0, 1}]`` for the individual competing risks and
    the birth, ``thr_hh[p * n_eth + eth]`` for the household's, ``thr_ret`` for people abroad;
    a person whose bits are all above them can have no event (exact upper bounds of every
    hazard, and ``bits > ceil(x * 2^k) - 1`` is exactly ``bits * 2^-k >= x``). Pass 2 runs the
    full competing risks of those few, in slot order, with the very same uniforms.
    """
    k_demo, k_hh, k_dst = keys[0], keys[2], keys[3]
    n_places = present_c.shape[1]
    n_eth = p_emig.shape[1]
    n_chunks = (n + CHUNK - 1) // CHUNK
    for c in nb.prange(n_chunks):
        lo = c * CHUNK
        hi = min(n, lo + CHUNK)
        # pass 1: a tight scan (no branch but the loops'): counts, people abroad, and the slots
        # of the few who may have an event (into actors_buf, compacted in place by pass 2)
        cnt = np.zeros(8 * n_places, np.int64)
        nslow = 0
        nab = 0
        unreg = 0
        zb = np.empty(BLOCK, np.uint64)  # per block: the person's bits, the household's bits,
        zhb = np.empty(BLOCK, np.int64)  # the table indices and the status class
        jb = np.empty(BLOCK, np.int64)
        hb = np.empty(BLOCK, np.int64)
        cb = np.empty(BLOCK, np.int64)
        for b0 in range(lo, hi, BLOCK):
            m = min(hi, b0 + BLOCK) - b0
            for k in range(m):  # element-wise (vectorised): hashes, ages, table indices, classes
                iu = np.uint64(b0 + k)
                ku = np.uint64(k)
                st = status[iu]
                p = np.int64(place[iu])
                zb[ku] = mix(k_demo ^ (np.uint64(pid[iu]) * _GOLDEN))
                zhb[ku] = np.int64(mix(k_hh ^ (np.uint64(hh[iu]) * _GOLDEN)) >> _S11)
                a = age_years(t, born[iu])
                jb[ku] = ((p * n_ages + a) * 2 + np.int64(sex[iu])) * 2
                hb[ku] = p * n_eth + np.int64(eth[iu])
                # class 0 empty, 1 present (formal or informal), 2 abroad, 3 displaced; +4 unregistered
                cb[ku] = (np.int64(st != EMPTY) + np.int64(st == ABROAD) + 2 * np.int64(st == DISPLACED)
                          + 4 * np.int64(reg[iu] != place[iu]))
            for k in range(m):
                ku = np.uint64(k)
                i = b0 + k
                cl = cb[ku] & 3
                live = cl != 0
                ab = cl == 2
                pres = live & (cl != 2)
                p = np.int64(place[np.uint64(i)])
                cnt[np.uint64((i & 3) * 2 * n_places + p + n_places * np.int64(ab))] += np.int64(live)
                abroad_buf[np.uint64(lo + nab)] = i
                nab += np.int64(ab)
                unreg += np.int64(pres & (cb[ku] >= 4))
                z = zb[ku]
                j = np.uint64(jb[ku])
                q_pres = ((np.int64(z >> _S32) > thr_ib[j]) & (np.int64(z & _LO32) > thr_ib[j + np.uint64(1)])
                          & (cl != 3))
                q_ab = np.int64(z >> _S11) > thr_ret
                quiet = (zhb[ku] > thr_hh[np.uint64(hb[ku])]) & ((ab & q_ab) | (pres & q_pres))
                actors_buf[np.uint64(lo + nslow)] = i
                nslow += np.int64(live & ~quiet)
        for q in range(n_places):
            s0 = 0
            s1 = 0
            for k in range(4):
                s0 += cnt[k * 2 * n_places + q]
                s1 += cnt[k * 2 * n_places + n_places + q]
            present_c[c, q] = s0
            abroad_c[c, q] = s1
        unreg_c[c] = unreg
        nab_c[c] = nab
        if do_sums:  # January: the demography scaling sums over everyone present (slot order)
            for i in range(lo, hi):
                st = status[i]
                if st == EMPTY or st == ABROAD:
                    continue
                a = age_years(t, born[i])
                s = sex[i]
                u = unit[place[i]]
                nunit_c[c, u] += 1
                ssum_c[c, u] += mshape[a, s]
                if s == 0:
                    fsum_c[c, u] += fshape[a] * fert_eth[eth[i]]
        # pass 2: the full competing risks of the few, in slot order
        nact = 0
        nbirth = 0
        for k in range(nslow):
            i = actors_buf[lo + k]
            st = status[i]
            p = place[i]
            h = hh[i]
            e = eth[i]
            s = sex[i]
            a = age_years(t, born[i])
            zh = mix(k_hh ^ (np.uint64(h) * _GOLDEN))
            z = mix(k_demo ^ (np.uint64(pid[i]) * _GOLDEN))
            rh = np.float64(zh >> _S11) * _INV53
            if st == ABROAD:
                pe = p_emig[p, e]
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
                    r = np.float64(z >> _S11) * _INV53
                    if r < p_ret_abroad:
                        code = FROM_ABROAD
                    elif r < p_ret_abroad + p_settle_abroad:
                        code = SETTLE_ABROAD
                if code != NONE:
                    act[i] = code
                    actors_buf[lo + nact] = i
                    nact += 1
                continue
            r = np.float64(z >> _S32) * _INV32
            rb = np.float64(z & _LO32) * _INV32
            u = unit[p]
            pd = p_death[u, a, s]
            code = NONE
            if r < pd:
                code = DIE
            else:
                pe = p_emig[p, e]
                # a household is funded when it may move and its savings cover the cost; the
                # savings (a random access) are read only when the outcome depends on them
                may_fund = rh < pe + p_fam[p, 1] or r < pd + p_abroad[p] + p_move[p] * stopover_mult
                funded = -1
                fam = False
                if st != DISPLACED and (rh < pe + p_fam[p, 0] or rh < pe + p_fam[p, 1]):
                    funded = 1 if may_fund and hh_savings[h] >= relocation_cost else 0
                    fam = rh < pe + p_fam[p, funded]
                if rh < pe:
                    code = EMIGRATE
                elif st == DISPLACED:
                    if r < pd + p_disp_return:
                        code = DISP_RETURN
                elif fam:
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
                            if funded < 0 and edu[i] != 1:
                                funded = 1 if may_fund and hh_savings[h] >= relocation_cost else 0
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
                if rb < p_birth[u, a] * fert_eth[e]:
                    code |= BIRTH
                    nbirth += 1
            if code != NONE:
                act[i] = code
                actors_buf[lo + nact] = i
                nact += 1
        nact_c[c] = nact
        nbirth_c[c] = nbirth


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
