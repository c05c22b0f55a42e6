"""A small run folder for rendering tests of the report and the dashboard, and its own checks.

:func:`make_run` writes a run folder through :class:`kochu.runs.store.RunStore` exactly as
``docs/run-store.md`` describes, over the places of a real atlas. **It is a rendering fixture,
not results**: the tables are plausible shapes made by simple deterministic rules (start from
the atlas's 1989 de facto populations, grow the capital and novostroiki, shrink mining towns
and remote rural areas, send rural people to the capital and the nearest city) so that every
map and chart has something to draw. No number here is a finding about Kyrgyzstan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from kochu.runs.store import RunStore, is_complete, read_table
from tests.helpers import MINI_ATLAS

#: yearly growth of people present by place kind / town type (rendering fixture, not data)
GROWTH = {"capital": 0.025, "city": 0.008, "town": -0.004, "rural": -0.006, "informal": 0.0}
TYPE_GROWTH = {"mining": -0.03, "remote": -0.015, "capital_satellite": 0.012, "tourism": 0.004}


def fixture_atlas() -> Any:
    """The embedded atlas when it loads (real places), else the small test atlas."""
    from kochu.atlas import load_atlas
    from kochu.errors import KochuError

    try:
        atlas = load_atlas()
        if len(atlas.settlements) > 0:
            return atlas
    except (KochuError, OSError, ImportError):
        pass
    return load_atlas(MINI_ATLAS)


def _start_population(atlas: Any) -> pd.Series:
    st = atlas.settlements
    try:
        pop = atlas.population(1989, measure="de_facto", level="settlement")
    except Exception:  # noqa: BLE001 - any atlas without 1989 figures: even split
        pop = pd.Series(dtype=float)
    pop = pop.reindex(st.index).fillna(0).astype(float)
    if pop.sum() <= 0:
        pop[:] = 10_000.0
    return pop


def make_run(
    path: Path,
    atlas: Any,
    years: range = range(1989, 2001),
    extras: bool = True,
    scenario: dict | None = None,
) -> Path:
    """Write a complete rendering-fixture run folder at ``path`` (see the module docstring)."""
    st = atlas.settlements
    ids = list(st.index)
    kind = st["kind"].astype(str).to_numpy()
    ttype = st["town_type"].astype(str).to_numpy()
    rate = np.array([TYPE_GROWTH.get(t, GROWTH.get(k, 0.0)) for k, t in zip(kind, ttype, strict=True)])
    p0 = _start_population(atlas).to_numpy()
    informal = kind == "informal"
    n_years = len(years)
    pop_rows, flow_rows, ev_rows = [], [], []
    capital = ids[int(np.flatnonzero(kind == "capital")[0])] if (kind == "capital").any() else ids[0]
    cities = [i for i, k in zip(ids, kind, strict=True) if k in ("city", "capital")]
    lat = st["lat"].to_numpy(float)
    lon = st["lon"].to_numpy(float)
    for t, year in enumerate(years):
        present = p0 * (1.0 + rate) ** t
        # novostroiki fill up over the run (to 5% of the capital's start population each)
        present[informal] = p0[informal] + 0.05 * p0[kind == "capital"].sum() * t / max(n_years - 1, 1)
        abroad_share = 0.02 + 0.04 * t / max(n_years - 1, 1)
        away = np.where(kind == "rural", present * abroad_share, present * abroad_share / 2)
        for month in (1, 7):
            for pid, pr, aw in zip(ids, present, away, strict=True):
                pop_rows.append((year, month, pid, int(round(pr)), int(round(pr + aw))))
            ev_rows.append((year, month, int(present.sum()), int(present.sum() * 0.0025),
                            int(present.sum() * 0.0008), 1000, 3000, int(present.sum() * 0.004),
                            int(present.sum() * 0.0025), int(away.sum()),
                            int(present[informal].sum()), int(present.sum() * 0.05)))
        peak = 1.6 if year <= 1994 else 1.0  # the early-1990s wave
        for j, (pid, k) in enumerate(zip(ids, kind, strict=True)):
            if k not in ("rural", "town"):
                continue
            d2 = (lat - lat[j]) ** 2 + (lon - lon[j]) ** 2
            near = min((c for c in cities if c != pid), key=lambda c: d2[ids.index(c)], default=None)
            for dest, share in ((capital, 0.006), (near, 0.003)):
                if dest is None or dest == pid:
                    continue
                true = int(round(present[j] * share * peak))
                flow_rows.append((year, pid, dest, true, int(round(true * (0.55 + 0.01 * t)))))
            flow_rows.append((year, pid, "abroad", int(round(present[j] * 0.004 * peak)), 0))
        flow_rows.append((year, "abroad", capital, int(round(present.sum() * 0.0005)), 0))
    population = pd.DataFrame(pop_rows, columns=["year", "month", "place", "present", "permanent"])
    flows = pd.DataFrame(flow_rows, columns=["year", "origin", "destination", "true", "registered"])
    flows = flows.groupby(["year", "origin", "destination"], as_index=False).sum()
    events = pd.DataFrame(ev_rows, columns=["year", "month", "population", "births", "deaths",
                                            "immigration", "emigration", "internal_moves",
                                            "registered_moves", "abroad", "informal",
                                            "unregistered"])
    indicators = pd.DataFrame(
        [(y, "primacy", 0.2 + 0.005 * t) for t, y in enumerate(years)],
        columns=["year", "indicator", "value"],
    )
    store = RunStore(path)
    store.write_table("population", population)
    store.write_table("flows", flows)
    store.write_table("events", events)
    store.write_table("indicators", indicators)
    if extras:
        rows = []
        for s, (scen, lift) in enumerate((("baseline", 0.0), ("railway", 0.03), ("propiska reform", -0.02))):
            for t, y in enumerate(years):
                v = 1.0e6 * (1 + 0.02 * t) * (1 + lift * t / n_years)
                rows.append((scen, "capital.population", y, v, v * 0.95, v * 1.05))
                g = 0.45 - 0.01 * t + 0.02 * s
                rows.append((scen, "registration.gap", y, g, g - 0.03, g + 0.03))
        (path / "comparison.csv").write_text(
            pd.DataFrame(rows, columns=["scenario", "indicator", "year", "value", "value_lo", "value_hi"])
            .to_csv(index=False, lineterminator="\n"))
        cal = pd.DataFrame({"target": ["capital 1999", "Naryn 1999", "Osh city 1999", "abroad 2009"],
                            "observed": [770_000, 250_000, 210_000, 300_000],
                            "fitted": [720_000, 262_000, 190_000, 350_000],
                            "sigma": [0.05, 0.1, 0.1, 0.3]})
        (path / "calibration.csv").write_text(cal.to_csv(index=False, lineterminator="\n"))
    store.finalize({
        "data_hash": getattr(atlas, "data_hash", "fixture"),
        "atlas": str(getattr(atlas, "path", "")),
        "scenario": scenario or {"name": "rendering fixture (not results)", "interventions": []},
        "parameters": {},
        "seed": 1,
        "scale": 0.01,
        "start_year": years[0],
        "until": years[-1] + 1,
        "timing": {"seconds": 1.0, "person_steps_per_second": 0},
    })
    return path


@pytest.fixture(scope="module")
def fixture_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_run(tmp_path_factory.mktemp("run") / "run", fixture_atlas())


def test_fixture_follows_the_run_store_contract(fixture_run: Path) -> None:
    assert is_complete(fixture_run)
    pop = read_table(fixture_run, "population")
    assert list(pop.columns) == ["year", "month", "place", "present", "permanent"]
    assert (pop["permanent"] >= pop["present"]).all()
    flows = read_table(fixture_run, "flows")
    assert list(flows.columns) == ["year", "origin", "destination", "true", "registered"]
    assert (flows["registered"] <= flows["true"]).all()
    assert not flows.duplicated(["year", "origin", "destination"]).any()
