"""The report: self-contained HTML, figures for papers, determinism, clear errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kochu.errors import KochuError, RunStoreError
from kochu.report import charts
from kochu.report import data as rd
from kochu.report.build import FIGURES, REPORT, build_report
from kochu.runs.store import RunStore, is_complete
from tests.helpers import run_kochu
from tests.test_report_fixture import fixture_atlas, make_run

ALL_FIGURES = [  # in report order
    "map_flows", "map_population", "map_directions", "map_change", "population_by_oblast",
    "population_by_kind", "capital_growth", "registration_gap", "registration_by_destination",
    "directions", "abroad",
    "town_fates", "comparison", "calibration",
]
#: y axes that list categories (no unit)
CATEGORY_AXES = ("town type (number of towns)", "city or town", "calibration target", "destination")
EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.fixture(scope="module")
def atlas():
    return fixture_atlas()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, atlas) -> Path:
    """A fixture run whose report is built by ``kochu report RUN_DIR``, as a user would."""
    run = make_run(tmp_path_factory.mktemp("report") / "run", atlas)
    res = run_kochu("report", str(run))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == str(run / REPORT)
    return run


def test_report_is_one_self_contained_offline_file(built: Path) -> None:
    page = (built / REPORT).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    assert "http://" not in page and "https://" not in page
    assert re.findall(r"<link[^>]*>", page) == ['<link rel="icon" href="data:,">']
    assert not re.search(r"<script[^>]*\bsrc=", page, re.IGNORECASE)
    srcs = re.findall(r'<img[^>]*\bsrc="([^"]*)"', page)
    assert len(srcs) == len(ALL_FIGURES)
    assert all(s.startswith("data:image/png;base64,") for s in srcs)


def test_every_figure_is_written_as_png_and_svg(built: Path) -> None:
    for name in ALL_FIGURES:
        png = (built / FIGURES / f"{name}.png").read_bytes()
        svg = (built / FIGURES / f"{name}.svg").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000, name
        assert b"<svg" in svg[:2000], name


def test_rebuild_gives_byte_identical_figures(built: Path, atlas, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in (built / FIGURES).iterdir()}
    html_before = (built / REPORT).read_text(encoding="utf-8")
    build_report(built, atlas=atlas)
    after = {p.name: p.read_bytes() for p in (built / FIGURES).iterdir()}
    assert before.keys() == after.keys()
    changed = [n for n in before if before[n] != after[n]]
    assert not changed, f"figures changed on rebuild: {changed}"
    strip = re.compile(r"Built [^<]*? by kochu")
    assert strip.sub("", html_before) == strip.sub("", (built / REPORT).read_text(encoding="utf-8"))


def test_charts_have_titles_axis_labels_and_captions(built: Path, atlas, monkeypatch) -> None:
    seen = {}

    def capture(fig, name, title, caption):
        seen[name] = (fig, title, caption)
        return None

    monkeypatch.setattr(charts, "render", capture)
    run = rd.load_run(built, atlas=atlas)
    for func in (charts.population_by_oblast, charts.population_by_kind, charts.capital_growth,
                 charts.registration_gap, charts.registration_by_destination, charts.abroad, charts.town_fates, charts.directions,
                 charts.comparison, charts.calibration):
        func(run)
    assert len(seen) == 10
    for name, (fig, title, caption) in seen.items():
        assert title and caption and len(caption) > 40 and "\n" not in caption, name
        for ax in fig.axes:
            if not ax.get_visible() or not ax.has_data():
                continue
            assert ax.get_xlabel() and ax.get_ylabel(), f"{name}: unlabeled axis {ax.get_title()}"
            assert ax.get_title() or fig.get_suptitle(), name
            if ax.get_ylabel() not in CATEGORY_AXES:
                assert "(" in ax.get_ylabel() or "people" in ax.get_ylabel(), f"{name}: no unit"


# ----------------------------------------------------------------------------- derived series


def test_series_add_up(built: Path, atlas) -> None:
    run = rd.load_run(built, atlas=atlas)
    jan = rd.january(run.population)
    assert set(jan["month"]) == {1}
    national = jan.groupby("year")["present"].sum()
    pd.testing.assert_series_equal(rd.by_group(run, "oblast").sum(axis=1), national, check_names=False)
    pd.testing.assert_series_equal(rd.by_group(run, "kind").sum(axis=1), national, check_names=False)
    tot = rd.flow_totals(run)
    assert ((tot["gap"] >= 0) & (tot["gap"] <= 1)).all()
    np.testing.assert_allclose(tot["gap"], 1 - tot["registered"] / tot["true"])
    assert (tot["emigration"] > 0).all()
    stock = rd.abroad_stock(run)
    assert stock.is_monotonic_increasing  # the fixture sends more people abroad every year


def test_town_fates_sorted_from_steepest_decline(built: Path, atlas) -> None:
    fates = rd.town_fates(rd.load_run(built, atlas=atlas))
    assert not fates.empty
    assert fates["change_pct"].is_monotonic_increasing
    assert set(fates.index) <= set(atlas.settlements.index[atlas.settlements["kind"].isin(["city", "town"])])
    mining = fates[fates["town_type"] == "mining"]
    if not mining.empty:  # the fixture shrinks mining towns by 3 % a year
        assert (mining["change_pct"] < 0).all()


def test_top_flows_are_the_largest_internal_ones(built: Path, atlas) -> None:
    run = rd.load_run(built, atlas=atlas)
    years = rd.recent_years(run, 2)
    top = rd.top_flows(run, years, n=3)
    assert len(top) <= 3 and top["true"].is_monotonic_decreasing
    assert "abroad" not in set(top["origin"]) | set(top["destination"])
    fl = run.flows[run.flows["year"].isin(years) & (run.flows["origin"] != "abroad")
                   & (run.flows["destination"] != "abroad")]
    biggest = fl.groupby(["origin", "destination"])["true"].sum().max() / len(years)
    assert top["true"].iloc[0] == pytest.approx(biggest)


def test_direction_masks_follow_their_definitions(atlas) -> None:
    st = atlas.settlements
    urban = pd.to_numeric(st["urban"])
    north = pd.to_numeric(st["north"])
    rural = st.index[(urban == 0) & (north == 0)][0]
    capital = st.index[st["kind"] == "capital"][0]
    flows = pd.DataFrame({"origin": [rural, capital], "destination": [capital, rural]})
    run = rd.RunData(Path("."), {}, pd.DataFrame(), flows, st)
    masks = rd.direction_masks(flows, run)
    assert masks["rural_urban"].tolist() == [True, False]
    assert masks["south_north"].tolist() == [bool(north[capital] == 1), False]
    assert masks["periphery_centre"].tolist() == [True, False]


def test_thousands_formatter() -> None:
    from kochu.report.figures import thousands

    assert thousands(1_234_567) == "1.23 M"
    assert thousands(12_345) == "12.3 k"
    assert thousands(250_000) == "250 k"
    assert thousands(0.25) == "0.25"


# ----------------------------------------------------------------------------- bad run folders


def _copy(built: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(built, dst)
    return dst


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(RunStoreError, match="not a run folder"):
        build_report(tmp_path / "nope")


def test_missing_manifest(built: Path, tmp_path: Path, atlas) -> None:
    run = _copy(built, tmp_path)
    (run / "manifest.json").unlink()
    with pytest.raises(RunStoreError, match=r"manifest.json: missing"):
        build_report(run, atlas=atlas)


def test_tampered_table(built: Path, tmp_path: Path, atlas) -> None:
    run = _copy(built, tmp_path)
    (run / "flows.parquet").write_bytes(b"not parquet")
    with pytest.raises(RunStoreError, match=r"flows.parquet: contents do not match"):
        build_report(run, atlas=atlas)


def _store(tmp_path: Path, population: pd.DataFrame, flows: pd.DataFrame | None) -> Path:
    store = RunStore(tmp_path / "run")
    store.write_table("population", population)
    if flows is not None:
        store.write_table("flows", flows)
    store.finalize({"seed": 1})
    return tmp_path / "run"


POP = pd.DataFrame({"year": [1989], "month": [1], "place": ["s_capital"], "present": [10],
                    "permanent": [10]})
FLOWS = pd.DataFrame({"year": [1989], "origin": ["s_capital"], "destination": ["abroad"],
                      "true": [1], "registered": [0]})


def test_missing_table(tmp_path: Path, atlas) -> None:
    run = _store(tmp_path, POP, None)
    with pytest.raises(RunStoreError, match=r"flows.parquet: missing — a report needs the tables"):
        build_report(run, atlas=atlas)


def test_missing_column(tmp_path: Path, atlas) -> None:
    run = _store(tmp_path, POP.drop(columns="permanent"), FLOWS)
    with pytest.raises(RunStoreError, match=r"population.parquet: missing column 'permanent'"):
        build_report(run, atlas=atlas)


def test_unknown_place(tmp_path: Path, atlas) -> None:
    run = _store(tmp_path, POP.assign(place="atlantis"), FLOWS)
    with pytest.raises(RunStoreError, match=r"column 'place' has id 'atlantis'"):
        build_report(run, atlas=atlas)


def test_bad_comparison_csv(built: Path, tmp_path: Path, atlas) -> None:
    run = _copy(built, tmp_path)
    (run / "comparison.csv").write_text("scenario,year,val\nbase,2000,1\n")
    with pytest.raises(RunStoreError, match=r"comparison.csv: missing column 'indicator'"):
        build_report(run, atlas=atlas, shade=False)


def test_cli_one_line_error_and_exit_code(tmp_path: Path) -> None:
    res = run_kochu("report", str(tmp_path / "missing-run"))
    assert res.returncode != 0
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "not a run folder" in lines[0]
    assert "Traceback" not in res.stderr


def test_report_leaves_the_run_verifiable(built: Path) -> None:
    manifest = json.loads((built / "manifest.json").read_text())
    assert REPORT not in manifest["files"]  # the report is derived, the run stays verifiable
    assert is_complete(built)
    index = json.loads((built / FIGURES / "index.json").read_text())
    assert [e["name"] for e in index] == ALL_FIGURES
    assert all(e["title"] and e["caption"] and e["section"] for e in index)


def test_only_some_figures(built: Path, atlas, tmp_path: Path) -> None:
    with pytest.raises(KochuError, match="only: unknown figure 'map_moon'"):
        build_report(built, atlas=atlas, only={"map_moon"})


def test_report_needs_no_atlas_module_errors_to_be_tracebacks(built: Path) -> None:
    with pytest.raises(KochuError):
        rd.safe_load_run(built / "population.parquet")


def test_compare_folder_report(tmp_path: Path, atlas, built: Path) -> None:
    """A ``kochu compare`` folder: maps from the baseline's first seed, bands from the CSV.

    Also the negative control of the determinism test: other tables, other figures."""
    folder = tmp_path / "cmp"
    make_run(folder / "baseline" / "seed_4", atlas, years=range(1989, 1996), extras=False)
    rows = []
    for scen, lift in (("baseline", 0.0), ("railway_jobs", 0.02)):
        for y in range(1989, 1996):
            v = 6.0e5 * (1 + lift) ** (y - 1989)
            rows.append({"scenario": scen, "year": y, "indicator": "capital.population", "value": v,
                         "baseline": 6.0e5, "difference": v - 6.0e5, "value_lo": v * 0.97,
                         "value_hi": v * 1.03, "replicates": 2})
    pd.DataFrame(rows).to_csv(folder / "comparison.csv", index=False)
    (folder / "comparison.json").write_text(json.dumps(
        {"baseline": "baseline", "scenarios": ["baseline", "railway_jobs"], "seeds": [4, 5]}))
    out = build_report(folder, atlas=atlas, shade=False,
                       only={"population_by_oblast", "comparison", "comparison_difference", "calibration"})
    assert out == folder / REPORT
    page = out.read_text(encoding="utf-8")
    assert "kochu comparison — baseline, railway_jobs" in page
    assert 'id="fig-comparison"' in page
    assert (folder / FIGURES / "comparison.png").is_file()
    assert (folder / FIGURES / "comparison_difference.png").is_file()
    assert not (folder / "baseline" / "seed_4" / REPORT).exists()
    a = (built / FIGURES / "population_by_oblast.png").read_bytes()
    assert a != (folder / FIGURES / "population_by_oblast.png").read_bytes()
    assert not (folder / FIGURES / "calibration.png").exists()
    assert 'id="calibration"' not in page
    (folder / "comparison.json").write_text("{}")
    with pytest.raises(RunStoreError, match="comparison.json: expected JSON with 'baseline'"):
        build_report(folder, atlas=atlas, shade=False, only={"comparison"})


def test_run_where_nobody_moved_still_gets_a_report(tmp_path: Path, atlas) -> None:
    """Limiting case: one place, two years, an empty flows table (e.g. migration switched off)."""
    place = atlas.settlements.index[0]
    empty = FLOWS.iloc[0:0]
    run = _store(tmp_path, pd.concat([POP.assign(place=place), POP.assign(place=place, year=1990)]), empty)
    page = build_report(run, atlas=atlas, shade=False).read_text(encoding="utf-8")
    assert page.count("<img ") == len(ALL_FIGURES) - 2  # no comparison, no calibration


def test_observed_and_gap_by_destination(built: Path, atlas) -> None:
    run = rd.load_run(built, atlas=atlas)
    observed = rd.observed_by_oblast(run)
    assert not observed.empty and observed.index.min() >= run.years[0]
    units = atlas.places[atlas.places["level"] == "oblast"]
    expected = atlas.population(1989, measure="de_facto", level="oblast").rename(units["name"])
    pd.testing.assert_series_equal(observed.loc[1989].sort_index(), expected.sort_index().astype(float),
                                   check_names=False, check_dtype=False)
    gap = rd.gap_by_destination(run, rd.recent_years(run, 3))
    assert gap["gap"].is_monotonic_decreasing and ((gap["gap"] >= 0) & (gap["gap"] <= 1)).all()
    assert set(gap.index) <= set(atlas.settlements["oblast"])
