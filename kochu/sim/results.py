"""Results of a run: stocks (``n_*``), flows (``new_*``) and the run-store tables.

* ``population`` — start of each month by settlement: ``present`` and ``permanent``
  (present + residents temporarily abroad whose home is there);
* ``events`` — national totals of each month: stocks at the start (``population``,
  ``abroad``, ``informal``, ``unregistered``) and flows during the month (``births``,
  ``deaths``, ``immigration``, ``emigration``, ``internal_moves``, ``registered_moves``);
* ``flows`` — yearly moves between settlements (and ``abroad``), ``true`` and ``registered``.

Counts are of simulated people divided by ``scale`` (national scale); at ``scale = 1`` they
are exact int64 counts, otherwise float64.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kochu.sim.world import OBLAST_ORDER, World

EVENT_FLOWS = ("births", "deaths", "immigration", "emigration", "internal_moves", "registered_moves")
EVENT_STOCKS = ("population", "abroad", "informal", "unregistered")


class Results:
    """Accumulates monthly stocks, flows and events; builds DataFrames."""

    def __init__(self, world: World, scale: float) -> None:
        self.world, self.scale = world, scale
        self.stocks: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self.events: dict[tuple[int, int], dict[str, int]] = {}
        self.true_flows: dict[int, np.ndarray] = {}
        self.reg_flows: dict[int, np.ndarray] = {}
        self.simulated: set[tuple[int, int]] = set()

    # ---- recording -----------------------------------------------------------------------
    def record_stock(self, year: int, month: int, present: np.ndarray, abroad: np.ndarray, unregistered: int) -> None:
        """Stocks at the start of a month (overwrites a snapshot of the same month)."""
        self.stocks[(year, month)] = (present.astype(np.int64), (present + abroad).astype(np.int64))
        row = self.events.setdefault((year, month), dict.fromkeys(EVENT_FLOWS + EVENT_STOCKS, 0))
        row["population"] = int(present.sum())
        row["abroad"] = int(abroad.sum())
        row["informal"] = int(present[self.world.informal].sum())
        row["unregistered"] = int(unregistered)

    def record_flows(self, year: int, month: int, tally: np.ndarray) -> None:
        """Flows of a month (tally from :func:`kochu.sim.kernels.apply`)."""
        row = self.events[(year, month)]
        self.simulated.add((year, month))
        for k, name in enumerate(EVENT_FLOWS):
            row[name] = int(tally[k])

    def flow_matrices(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        """The (true, registered) flow matrices of ``year`` (created on first use)."""
        n = self.world.n + 1
        if year not in self.true_flows:
            self.true_flows[year] = np.zeros((n, n), np.int64)
            self.reg_flows[year] = np.zeros((n, n), np.int64)
        return self.true_flows[year], self.reg_flows[year]

    # ---- tables -----------------------------------------------------------------------------
    def _scaled(self, values: np.ndarray) -> np.ndarray:
        if self.scale == 1.0:
            return values.astype(np.int64)
        return values.astype(np.float64) / self.scale

    def population(self) -> pd.DataFrame:
        """``year, month, place, present, permanent``."""
        keys = sorted(self.stocks)
        n = self.world.n
        if not keys:
            return pd.DataFrame(columns=["year", "month", "place", "present", "permanent"])
        pres = np.concatenate([self.stocks[k][0] for k in keys])
        perm = np.concatenate([self.stocks[k][1] for k in keys])
        return pd.DataFrame({
            "year": np.repeat([k[0] for k in keys], n).astype(np.int64),
            "month": np.repeat([k[1] for k in keys], n).astype(np.int64),
            "place": np.tile(self.world.ids, len(keys)),
            "present": self._scaled(pres),
            "permanent": self._scaled(perm),
        })

    def events_table(self) -> pd.DataFrame:
        """``year, month`` + stocks and flows of each simulated month."""
        cols = ["population", "births", "deaths", "immigration", "emigration", "internal_moves",
                "registered_moves", "abroad", "informal", "unregistered"]
        keys = sorted(self.simulated)
        data = {"year": [k[0] for k in keys], "month": [k[1] for k in keys]}
        df = pd.DataFrame(data, dtype=np.int64)
        for c in cols:
            df[c] = self._scaled(np.array([self.events[k][c] for k in keys], dtype=np.int64))
        return df

    def flows(self) -> pd.DataFrame:
        """``year, origin, destination, true, registered`` (non-zero pairs)."""
        ids = np.append(self.world.ids, "abroad")
        parts = []
        for year in sorted(self.true_flows):
            t, r = self.true_flows[year], self.reg_flows[year]
            o, d = np.nonzero((t > 0) | (r > 0))
            parts.append(pd.DataFrame({
                "year": np.full(len(o), year, np.int64), "origin": ids[o], "destination": ids[d],
                "true": self._scaled(t[o, d]), "registered": self._scaled(r[o, d]),
            }))
        if not parts:
            return pd.DataFrame(columns=["year", "origin", "destination", "true", "registered"])
        return pd.concat(parts, ignore_index=True)

    # ---- CSV exports ------------------------------------------------------------------------
    def _unit_order(self) -> list[str]:
        names = list(self.world.unit_names)
        known = [o for o in OBLAST_ORDER if o in names]
        return known + [u for u in names if u not in known]

    def population_by_oblast(self) -> pd.DataFrame:
        """``year,oblast,population,population_permanent`` on 1 January (rounded people)."""
        pop = self.population()
        jan = pop[pop["month"] == 1]
        unit_of = dict(zip(self.world.ids, np.array(self.world.unit_names)[self.world.unit], strict=True))
        g = jan.assign(oblast=jan["place"].map(unit_of)).groupby(["year", "oblast"], sort=False)
        out = g[["present", "permanent"]].sum().reset_index()
        out = out.rename(columns={"present": "population", "permanent": "population_permanent"})
        order = {u: i for i, u in enumerate(self._unit_order())}
        out = out.sort_values(["year", "oblast"], key=lambda s: s.map(order) if s.name == "oblast" else s)
        for c in ("population", "population_permanent"):
            out[c] = np.rint(out[c].astype(np.float64)).astype(np.int64)
        return out.reset_index(drop=True)

    def flows_by_oblast(self) -> pd.DataFrame:
        """``year,origin,destination,true,registered`` between first-level units and ``abroad``."""
        nu = len(self.world.unit_names)
        agg = np.append(self.world.unit.astype(np.int64), nu)
        labels = np.append(np.array(self.world.unit_names), "abroad")
        parts = []
        for year in sorted(self.true_flows):
            mats = []
            for m in (self.true_flows[year], self.reg_flows[year]):
                out = np.zeros((nu + 1, nu + 1), np.int64)
                np.add.at(out, (agg[:, None], agg[None, :]), m)
                mats.append(out)
            o, d = np.nonzero((mats[0] > 0) | (mats[1] > 0))
            parts.append(pd.DataFrame({
                "year": np.full(len(o), year, np.int64), "origin": labels[o], "destination": labels[d],
                "true": np.rint(self._scaled(mats[0][o, d]).astype(np.float64)).astype(np.int64),
                "registered": np.rint(self._scaled(mats[1][o, d]).astype(np.float64)).astype(np.int64),
            }))
        if not parts:
            return pd.DataFrame(columns=["year", "origin", "destination", "true", "registered"])
        return pd.concat(parts, ignore_index=True)
