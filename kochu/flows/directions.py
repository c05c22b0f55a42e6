"""The seed's four directions of internal migration, measured on any OD table.

"Today four main directions persist: from rural to urban areas, from remote mountainous areas
to valleys, from the periphery to administrative and economic centers, and more generally from
the south to the north. [...] these vectors are intertwined" (Voices from Central Asia No. 9,
2013). :func:`decompose` measures each on a flow table over atlas places.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kochu.errors import FlowDataError

DIRECTIONS = ("rural_urban", "mountain_valley", "periphery_centre", "south_north")
PLACE_COLUMNS = ("urban", "elevation_m", "admin_rank", "north")


def decompose(od: pd.DataFrame, places: pd.DataFrame, mountain_m: float = 1500.0) -> pd.DataFrame:
    """Volume and net of the four directions in ``od``; a move may count in several.

    Parameters
    ----------
    od : DataFrame with columns ``origin``, ``destination`` (place ids) and ``flow`` (>= 0,
        may be non-integer).
    places : DataFrame indexed by place id with columns ``urban`` (0/1), ``elevation_m``,
        ``admin_rank`` (0 capital ... 4 village) and ``north`` (0/1) — e.g. the atlas places.
    mountain_m : elevation (m) from which a place counts as mountainous.

    Definitions (for a move from origin ``o`` to destination ``d``):

    - ``rural_urban`` forward: ``urban[o] == 0`` and ``urban[d] == 1``;
    - ``mountain_valley`` forward: ``elevation_m[o] >= mountain_m`` and
      ``elevation_m[d] < mountain_m``;
    - ``periphery_centre`` forward: ``admin_rank[d] < admin_rank[o]`` (towards a higher rank:
      village → rayon centre → oblast centre → capital);
    - ``south_north`` forward: ``north[o] == 0`` and ``north[d] == 1``;
    - ``reverse`` is the opposite move (urban → rural, valley → mountain, centre → periphery,
      north → south).

    Returns a DataFrame indexed by direction (in the order above) with columns ``forward``,
    ``reverse`` (summed flows), ``net = forward - reverse`` and ``share_of_moves`` =
    ``forward`` / total flow between distinct places (rows with origin == destination are
    not moves between places and are left out of the total). The total is in
    ``result.attrs["total_moves"]``.
    """
    for col in ("origin", "destination", "flow"):
        if col not in od.columns:
            raise FlowDataError(f"od: no column '{col}' (columns: {', '.join(map(str, od.columns))})")
    for col in PLACE_COLUMNS:
        if col not in places.columns:
            raise FlowDataError(f"places: no column '{col}' (expected {', '.join(PLACE_COLUMNS)})")
    flow = pd.to_numeric(od["flow"], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(flow) | (flow < 0))
    if bad.size:
        raise FlowDataError(
            f"od row {bad[0]}, column 'flow': expected a number >= 0, got {od['flow'].iloc[bad[0]]!r}"
        )
    attrs = {}
    for col in PLACE_COLUMNS:
        values = pd.to_numeric(places[col], errors="coerce")
        if values.isna().any():
            pid = values.index[values.isna()][0]
            raise FlowDataError(f"places: place {pid!r} has no number in column '{col}'")
        attrs[col] = values
    o = _lookup(places.index, od["origin"], "origin")
    d = _lookup(places.index, od["destination"], "destination")
    between = o != d
    u = attrs["urban"].to_numpy()
    e = attrs["elevation_m"].to_numpy()
    r = attrs["admin_rank"].to_numpy()
    nth = attrs["north"].to_numpy()
    tests = {
        "rural_urban": ((u[o] == 0) & (u[d] == 1), (u[o] == 1) & (u[d] == 0)),
        "mountain_valley": ((e[o] >= mountain_m) & (e[d] < mountain_m),
                            (e[o] < mountain_m) & (e[d] >= mountain_m)),
        "periphery_centre": (r[d] < r[o], r[d] > r[o]),
        "south_north": ((nth[o] == 0) & (nth[d] == 1), (nth[o] == 1) & (nth[d] == 0)),
    }
    total = float(flow[between].sum())
    rows = []
    for name in DIRECTIONS:
        fwd_mask, rev_mask = tests[name]
        fwd = float(flow[fwd_mask & between].sum())
        rev = float(flow[rev_mask & between].sum())
        rows.append((fwd, rev, fwd - rev, fwd / total if total > 0 else float("nan")))
    out = pd.DataFrame(rows, index=pd.Index(DIRECTIONS, name="direction"),
                       columns=["forward", "reverse", "net", "share_of_moves"])
    out.attrs["total_moves"] = total
    return out


def _lookup(index: pd.Index, ids: pd.Series, column: str) -> np.ndarray:
    pos = index.get_indexer(ids)
    bad = np.flatnonzero(pos < 0)
    if bad.size:
        raise FlowDataError(
            f"od row {bad[0]}, column '{column}': unknown place id {ids.iloc[bad[0]]!r}"
        )
    return pos
