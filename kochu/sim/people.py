"""People as a struct of arrays (numpy columns of small dtypes).

One slot per person ever simulated until :meth:`People.compact` drops the empty ones
(the dead and the emigrated) in stable order. A person's identity is ``pid`` (never reused),
which keys every random draw — slots may move, draws do not.

=========  =======  =====================================================================
column     dtype    meaning
=========  =======  =====================================================================
pid        int32    person id (unique, increasing with birth order)
born       int16    month of birth, counted from January 1880 (age = step month − born)
sex        uint8    0 female, 1 male
hh         int32    household id (family members share it; see :mod:`kochu.sim.sim`)
place      int16    settlement index where the person lives; for people abroad their home
home       int16    home place of displaced people (else = place)
reg        int16    settlement where the person is registered (propiska)
origin     int16    place of origin (1989 place or mother's origin) — drives networks/returns
eth        uint8    ethnic group: 0 Kyrgyz & other, 1 Slavic, 2 German
edu        uint8    0 basic/secondary, 1 higher
status     uint8    0 empty (dead/emigrated), 1 present, 2 abroad (temporary), 3 displaced,
                    4 present in an informal settlement
moved      int16    month of the last internal move (−32768 = never)
=========  =======  =====================================================================

Household arrays (``hh_savings`` float32) are indexed by household id: ids below ``n_hh0``
are the 1989 households; a person ``pid`` who leaves home founds household ``n_hh0 + pid``.
"""

from __future__ import annotations

import numpy as np

EMPTY, PRESENT, ABROAD, DISPLACED, INFORMAL = 0, 1, 2, 3, 4
ETHNIC_GROUPS = ("kyrgyz_other", "slavic", "german")
MONTH0_YEAR = 1880  # ``born`` counts months from January of this year
NEVER = -32768

COLUMNS: dict[str, type] = {
    "pid": np.int32,
    "born": np.int16,
    "sex": np.uint8,
    "hh": np.int32,
    "place": np.int16,
    "home": np.int16,
    "reg": np.int16,
    "origin": np.int16,
    "eth": np.uint8,
    "edu": np.uint8,
    "status": np.uint8,
    "moved": np.int16,
}


class People:
    """Columns of all person slots; ``n`` slots in use out of ``capacity``."""

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        self.n = 0
        self.next_pid = 0
        self.n_hh0 = 0
        for name, dt in COLUMNS.items():
            setattr(self, name, np.zeros(self.capacity, dtype=dt))
        self.hh_savings = np.zeros(0, dtype=np.float32)

    def columns(self) -> dict[str, np.ndarray]:
        """Views of the used part of every column."""
        return {name: getattr(self, name)[: self.n] for name in COLUMNS}

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more slots (and their potential households)."""
        need = self.n + int(extra)
        if need > self.capacity:
            new_cap = max(need, int(self.capacity * 1.25) + 1024)
            for name, dt in COLUMNS.items():
                old = getattr(self, name)
                arr = np.zeros(new_cap, dtype=dt)
                arr[: self.n] = old[: self.n]
                setattr(self, name, arr)
            self.capacity = new_cap
        need_hh = self.n_hh0 + self.next_pid + int(extra) + 1
        if need_hh > len(self.hh_savings):
            arr = np.zeros(max(need_hh, int(len(self.hh_savings) * 1.25) + 1024), dtype=np.float32)
            arr[: len(self.hh_savings)] = self.hh_savings
            self.hh_savings = arr

    def compact(self) -> None:
        """Drop empty slots, keeping the order of the others (deterministic)."""
        keep = np.flatnonzero(self.status[: self.n] != EMPTY)
        m = len(keep)
        for name in COLUMNS:
            col = getattr(self, name)
            col[:m] = col[keep]
            col[m : self.n] = 0
        self.n = m

    def nbytes(self) -> int:
        """Memory held by the columns."""
        return sum(getattr(self, n).nbytes for n in COLUMNS) + self.hh_savings.nbytes

    def state(self) -> dict[str, np.ndarray]:
        """A copy of everything (for snapshots and tests)."""
        out = {k: v.copy() for k, v in self.columns().items()}
        out["hh_savings"] = self.hh_savings.copy()
        return out
