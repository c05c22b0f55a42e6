"""Properties of generated atlases: write the CSVs → ``load_atlas`` → the same values.

Atlases are variations of the mini fixture (``tests/fixtures/mini_atlas``): random settlement
populations for 1989/1999/2009 that still sum exactly up the hierarchy (rayon, oblast,
country), random coordinates inside a box around Kyrgyzstan, random statuses of informal
settlements (legal status, hazard zone, year founded), optionally a second informal
settlement. :func:`atlas_variants` is reused by ``test_sim_props.py``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kochu.atlas import load_atlas
from kochu.errors import AtlasError

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini_atlas"
YEARS = (1989, 1999, 2009)
LAT_BOX = (39.2, 43.2)
LON_BOX = (69.3, 80.2)
LEGAL = ("legal", "legalised", "illegal")
MAY_BECOME_INFORMAL = ("s_valley_rural", "s_plain_rural")


def _fixture_places() -> pd.DataFrame:
    return pd.read_csv(MINI / "places.csv", dtype=str, keep_default_na=False)


PLACES = _fixture_places()
SETTLEMENTS = list(PLACES.loc[PLACES["level"] == "settlement", "id"])


@st.composite
def atlas_variants(draw, max_pop: int = 400_000) -> dict[str, pd.DataFrame]:
    """Tables ``places`` and ``populations`` of a mini-atlas variant (strings, as in the CSV)."""
    places = PLACES.copy()
    extra = draw(st.sampled_from((None, *MAY_BECOME_INFORMAL)))
    informal = ["nv_camp"] + ([extra] if extra else [])
    founded: dict[str, int | None] = {}
    for i, row in places.iterrows():
        if row["level"] != "settlement":
            continue
        places.at[i, "lat"] = repr(draw(st.floats(*LAT_BOX)).__round__(5))
        places.at[i, "lon"] = repr(draw(st.floats(*LON_BOX)).__round__(5))
        if row["id"] in informal:
            places.at[i, "kind"] = "informal"
            places.at[i, "town_type"] = "informal"
            places.at[i, "admin_rank"] = "4"
            places.at[i, "legal_status"] = draw(st.sampled_from(LEGAL))
            places.at[i, "hazard_zone"] = str(draw(st.integers(0, 1)))
            founded[row["id"]] = draw(st.one_of(st.none(), st.integers(1990, 2012)))
            places.at[i, "founded"] = "" if founded[row["id"]] is None else str(founded[row["id"]])
    rows = []
    pops: dict[tuple[str, int], int] = {}
    for sid in SETTLEMENTS:
        lo = 1_000 if sid == "s_capital" else 0
        for y in YEARS:
            f = founded.get(sid)
            pops[(sid, y)] = 0 if f is not None and f > y else draw(st.integers(lo, max_pop))
    parent = dict(zip(places["id"], places["parent"], strict=True))
    level = dict(zip(places["id"], places["level"], strict=True))
    for lv in ("settlement", "rayon", "oblast"):
        for pid in [p for p in places["id"] if level[p] == lv]:
            for y in YEARS:
                key = (parent[pid], y)
                pops[key] = pops.get(key, 0) + pops[(pid, y)]
    for (pid, y), v in pops.items():
        rows.append({"place": pid, "year": y, "measure": "de_facto", "population": v,
                     "status": "reported", "source": "generated (hypothesis)"})
    return {"places": places, "populations": pd.DataFrame(rows)}


def write_atlas(tables: dict[str, pd.DataFrame], folder: Path) -> Path:
    """Copy the mini fixture to ``folder`` and overwrite its places and populations."""
    shutil.copytree(MINI, folder, dirs_exist_ok=True)
    tables["places"].to_csv(folder / "places.csv", index=False, lineterminator="\n")
    tables["populations"].to_csv(folder / "populations.csv", index=False, lineterminator="\n")
    return folder


@settings(max_examples=min(settings().max_examples, 40))
@given(atlas_variants())
def test_atlas_folder_round_trip(tables):
    with tempfile.TemporaryDirectory() as tmp:
        atlas = load_atlas(write_atlas(tables, Path(tmp) / "atlas"))
    src = tables["places"].set_index("id")
    st_ = atlas.settlements
    assert list(st_.index) == SETTLEMENTS
    np.testing.assert_array_equal(st_["lat"].astype(float), src.loc[SETTLEMENTS, "lat"].astype(float))
    np.testing.assert_array_equal(st_["lon"].astype(float), src.loc[SETTLEMENTS, "lon"].astype(float))
    for col in ("kind", "legal_status"):
        got = st_[col].fillna("").astype(str)
        assert list(got) == list(src.loc[SETTLEMENTS, col]), col
    for col in ("hazard_zone", "founded"):
        got = pd.to_numeric(st_[col], errors="coerce").fillna(-1).astype(int)
        want = pd.to_numeric(src.loc[SETTLEMENTS, col].replace("", None), errors="coerce").fillna(-1).astype(int)
        assert list(got) == list(want), col
    pops = tables["populations"]
    for y in YEARS:
        for lv in ("settlement", "rayon", "oblast", "country"):
            got = atlas.population(y, level=lv)
            want = pops[pops["year"] == y].set_index("place")["population"].reindex(got.index)
            assert got.tolist() == want.astype("int64").tolist(), (y, lv)
        # the invariant the loader checks, recomputed here: settlements sum to the country
        assert atlas.population(y).sum() == atlas.population(y, level="country").iloc[0]


@settings(max_examples=min(settings().max_examples, 25))
@given(atlas_variants(), st.data())
def test_broken_sum_is_rejected_naming_the_parent(tables, data):
    """Changing one settlement's population (not its parents') must be caught by the loader."""
    pops = tables["populations"].copy()
    sid = data.draw(st.sampled_from(SETTLEMENTS))
    year = data.draw(st.sampled_from(YEARS))
    delta = data.draw(st.integers(1, 5_000))
    i = pops.index[(pops["place"] == sid) & (pops["year"] == year)][0]
    pops.at[i, "population"] += delta
    parent = PLACES.set_index("id").at[sid, "parent"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_atlas({**tables, "populations": pops}, Path(tmp) / "atlas")
        with pytest.raises(AtlasError, match=rf"populations\.csv: de_facto {year}: children of '{parent}' sum to"):
            load_atlas(folder)


@settings(max_examples=min(settings().max_examples, 25))
@given(atlas_variants(), st.sampled_from(SETTLEMENTS), st.sampled_from([("lat", 90.0), ("lon", 180.0)]),
       st.floats(1e-3, 1e6), st.booleans())
def test_coordinates_outside_the_globe_are_rejected(tables, sid, col_limit, excess, negative):
    col, limit = col_limit
    value = -(limit + excess) if negative else limit + excess
    places = tables["places"].copy()
    places.loc[places["id"] == sid, col] = repr(value)
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_atlas({**tables, "places": places}, Path(tmp) / "atlas")
        with pytest.raises(AtlasError, match=rf"places\.csv row \d+, column '{col}'"):
            load_atlas(folder)


FILES = ("places.csv", "populations.csv", "attributes.csv", "vital_rates.csv", "age_structure.csv",
         "road_nodes.csv", "roads.csv")
junk_cells = st.one_of(
    st.sampled_from(["", "nan", "NaN", "inf", "-inf", "-1", "0", "1e308", "-1e308", "abc", "1,5", '"', "\\x00",
                     "1900", "3000", "-90.5", "181", "None", "true", "ÿ", "2.5", " 7 "]),
    st.integers(-(10**12), 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='\x00"\n\r,'), max_size=8),
)


def corrupt(name: str, data: st.DataObject) -> str:
    """The fixture CSV ``name`` with one cell replaced by junk."""
    text = (MINI / name).read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    row = data.draw(st.integers(1, len(text) - 1), label="row")
    col = data.draw(st.integers(0, len(header) - 1), label="column")
    cells = text[row].split(",")
    cells[col] = data.draw(junk_cells, label="value")
    text[row] = ",".join(cells)
    return "\n".join(text) + "\n"


@settings(max_examples=min(settings().max_examples * 2, 100), deadline=None)
@given(st.sampled_from(FILES), st.data())
def test_any_corrupted_cell_loads_or_is_one_line_atlas_error(name, data):
    """Replace one cell of one fixture CSV by junk: the atlas either still loads or is rejected
    with a one-line AtlasError naming the file — never another exception."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "atlas"
        shutil.copytree(MINI, folder)
        (folder / name).write_text(corrupt(name, data), encoding="utf-8")
        try:
            load_atlas(folder)
        except AtlasError as exc:
            msg = str(exc)
            assert "\n" not in msg, msg
            assert name in msg or "populations.csv" in msg, msg


@settings(max_examples=min(settings().max_examples, 20), deadline=None)
@given(st.sampled_from(FILES), st.data())
def test_a_corrupted_atlas_that_loads_simulates_or_is_one_line_error(name, data):
    """If a corrupted atlas passes the loader, the simulation must run on it or stop with a
    one-line KochuError — never another exception."""
    from kochu.errors import KochuError
    from kochu.sim.sim import Sim

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "atlas"
        shutil.copytree(MINI, folder)
        (folder / name).write_text(corrupt(name, data), encoding="utf-8")
        try:
            atlas = load_atlas(folder)
        except AtlasError:
            return
        try:
            Sim(atlas, seed=1, scale=0.002, end=2030).init().run(until=1990)
        except KochuError as exc:
            assert "\n" not in str(exc), str(exc)
