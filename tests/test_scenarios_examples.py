"""The example scenarios in scenarios/ load against the real Kyrgyzstan atlas."""

from __future__ import annotations

from pathlib import Path

import pytest

from kochu.scenarios import dumps, load_scenario, loads
from tests.helpers import ROOT

FILES = sorted((ROOT / "scenarios").glob("*.toml"))
REQUIRED = {
    "baseline", "railway_jobs", "hydro_dam", "registration_reform", "novostroiki_legalisation",
    "landslide_mailuu_suu", "border_resettlement",
}


@pytest.fixture(scope="module")
def atlas():
    from kochu.atlas.load import default_atlas_path

    if not (default_atlas_path() / "places.csv").exists():
        pytest.skip("the Kyrgyzstan atlas CSVs are not built yet")
    from kochu.atlas import load_atlas

    return load_atlas()


def test_the_required_examples_exist() -> None:
    assert REQUIRED <= {p.stem for p in FILES}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_example_loads_and_is_documented(path: Path, atlas) -> None:
    sc = load_scenario(path, atlas)
    assert sc.name == path.stem
    text = path.read_text(encoding="utf-8")
    header = text.split("\nname =")[0]
    assert header.startswith("# ") and header.count("\n#") >= 5, "starts with comments saying what it is"
    assert "seed" in header.lower() or path.stem == "baseline"
    for iv in sc.interventions:
        assert iv.source, f"{path.name}: every intervention says where its numbers come from"
    assert loads(dumps(sc)) == sc


def test_examples_share_seeds_and_horizon(atlas) -> None:
    scs = [load_scenario(p, atlas) for p in FILES]
    assert len({tuple(s.seeds) for s in scs}) == 1, "common random numbers need the same seeds"
    assert len({s.horizon for s in scs}) == 1
