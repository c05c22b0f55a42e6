"""The atlas loader: API on the fixture, and the corpus of malformed atlas folders."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from kochu.atlas import load_atlas
from kochu.errors import AtlasError
from tests.helpers import MINI_ATLAS, ROOT, run_kochu

BAD = ROOT / "tests" / "bad_inputs" / "atlas"
CASES = sorted(p.name for p in BAD.iterdir() if p.is_dir())


def test_fixture_loads_with_hierarchy_and_lineage() -> None:
    atlas = load_atlas(MINI_ATLAS)
    assert len(atlas.settlements) == 8
    assert atlas.places.loc["s_mine", "oblast"] == "North"
    assert atlas.places.loc["s_mine", "rayon_id"] == "r_highland"
    assert atlas.places.loc["nv_camp", "oblast_id"] == "capital"
    pop = atlas.population(2009, level="oblast")
    assert pop.to_dict() == {"capital": 860_000, "north_o": 330_000, "south_o": 960_000}
    assert atlas.population(2009, level="country").iloc[0] == pop.sum()


def test_population_missing_year_names_the_years() -> None:
    atlas = load_atlas(MINI_ATLAS)
    with pytest.raises(AtlasError, match=r"no de_facto population in 1995 .*years with data: 1989, 1999, 2009"):
        atlas.population(1995)


def test_attribute_lookup_and_unknown_name() -> None:
    atlas = load_atlas(MINI_ATLAS)
    assert atlas.attribute("poverty_rate", 2009)["south_o"] == pytest.approx(0.40)
    assert atlas.attribute("land_per_capita_ha")["north_o"] == pytest.approx(0.4)
    with pytest.raises(AtlasError, match=r"no attribute 'wealth' \(known: land_per_capita_ha, poverty_rate\)"):
        atlas.attribute("wealth")


def test_data_hash_changes_with_content(tmp_path: Path) -> None:
    copy = tmp_path / "a"
    shutil.copytree(MINI_ATLAS, copy)
    h1 = load_atlas(copy).data_hash
    assert load_atlas(copy).data_hash == h1
    (copy / "SOURCES.md").write_text("changed\n")
    assert load_atlas(copy).data_hash != h1


def test_travel_matrix_on_fixture_is_symmetric_and_uses_roads() -> None:
    pytest.importorskip("kochu.atlas.travel")
    atlas = load_atlas(MINI_ATLAS)
    km = atlas.travel_km()
    n = len(atlas.settlements)
    assert km.shape == (n, n)
    np.testing.assert_allclose(km, km.T)
    ids = list(atlas.settlements.index)
    # capital -> south city must go over the pass: 150 + 500 km of road, not the straight line
    assert km[ids.index("s_capital"), ids.index("s_south_city")] >= 650 - 1e-6


def _apply(case: str, tmp_path: Path) -> Path:
    folder = tmp_path / case
    shutil.copytree(MINI_ATLAS, folder)
    src = BAD / case
    for f in src.iterdir():
        if f.name in ("expected.txt", "REMOVE"):
            continue
        shutil.copyfile(f, folder / f.name)
    if (src / "REMOVE").exists():
        for name in (src / "REMOVE").read_text().split():
            (folder / name).unlink()
    return folder


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_malformed_atlas_rejected_in_python(case: str, tmp_path: Path) -> None:
    folder = _apply(case, tmp_path)
    expected = (BAD / case / "expected.txt").read_text().strip()
    with pytest.raises(AtlasError) as info:
        load_atlas(folder)
    message = str(info.value)
    assert "\n" not in message
    assert re.search(expected, message), message


@pytest.mark.parametrize("case", CASES[:: max(1, len(CASES) // 8)])
def test_malformed_atlas_rejected_by_cli(case: str, tmp_path: Path) -> None:
    folder = _apply(case, tmp_path)
    expected = (BAD / case / "expected.txt").read_text().strip()
    res = run_kochu("atlas", "--atlas", str(folder))
    assert res.returncode != 0
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert re.search(expected, lines[0]), lines[0]
    assert res.stdout == ""


def test_cli_csv_lists_places_with_population_columns(tmp_path: Path) -> None:
    res = run_kochu("atlas", "--atlas", str(MINI_ATLAS), "--level", "oblast", "--csv")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["id", "name", "level"]
    assert {"population_1989", "population_1999", "population_2009"} <= set(header)
    assert len(lines) == 4
    row = dict(zip(header, lines[1].split(","), strict=True))
    assert row["id"] == "capital" and row["population_2009"] == "860000"


def test_cli_version_and_help() -> None:
    res = run_kochu("--version")
    assert res.returncode == 0 and res.stdout.startswith("kochu ")
    res = run_kochu("atlas", "--help")
    assert res.returncode == 0 and "--level" in res.stdout
