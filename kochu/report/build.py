"""Build ``RUN_DIR/report.html`` and ``RUN_DIR/figures/*.png|svg`` from a run folder.

>>> from kochu.report import build_report
>>> build_report("runs/demo")            # doctest: +SKIP
PosixPath('runs/demo/report.html')

Figures are byte-identical across rebuilds of the same run (fixed SVG salt and metadata);
the HTML differs only in its "built" line. Every file is written atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from kochu import __version__
from kochu.errors import KochuError, RunStoreError
from kochu.report import charts, maps
from kochu.report import data as rd
from kochu.report.bands import BANDS_FILE
from kochu.report.figures import Rendered
from kochu.report.html import page, table_html
from kochu.runs.store import atomic_write_bytes, atomic_write_text, read_table

REPORT = "report.html"
FIGURES = "figures"

#: the report's sections: anchor, heading, figure names in order
SECTIONS = [
    ("maps", "Maps", ["map_flows", "map_population", "map_directions", "map_change"]),
    ("population", "Population", ["population_by_oblast", "population_by_kind", "capital_growth"]),
    ("flows", "Flows and registration",
     ["registration_gap", "registration_by_destination", "directions", "abroad"]),
    ("towns", "Town fates", ["town_fates"]),
    ("scenarios", "Scenario comparison", ["comparison", "comparison_difference"]),
    ("ensemble", "Ensemble", ["ensemble_bands"]),
    ("calibration", "Calibration", ["calibration"]),
]

Progress = Callable[[str], None]


def render_all(
    run: rd.RunData,
    shade: bool = True,
    progress: Progress | None = None,
    only: set[str] | None = None,
) -> list[Rendered]:
    """Maps then charts of ``run`` (all, or the names in ``only``); ``progress`` is told each
    figure's name as it is drawn."""
    unknown = sorted(set(only or ()) - set(maps.MAPS) - set(charts.CHARTS))
    if unknown:
        raise KochuError(f"only: unknown figure '{unknown[0]}' (known: "
                         f"{', '.join([*maps.MAPS, *charts.CHARTS])})")
    figs: list[Rendered] = []

    def add(fig: Rendered | None) -> None:
        if fig is not None:
            figs.append(fig)
            if progress:
                progress(fig.name)

    wanted = [n for n in maps.MAPS if only is None or n in only]
    if wanted:
        geo = maps.prepare_geo(run, shade=shade)
        for name in wanted:
            add(maps.MAPS[name](run, geo))
    for name, func in charts.CHARTS.items():
        if only is None or name in only:
            add(func(run))
    return figs


def _towns_table(run: rd.RunData, n: int = 15) -> str:
    fates = rd.town_fates(run)
    if fates.empty:
        return ""
    y0, y1 = fates.attrs.get("years", ("first", "last"))
    shrinking = fates[fates["change_pct"] < 0].head(n)
    if shrinking.empty:
        return "<p>No city or town lost people over the run.</p>"
    df = shrinking.rename(columns={"first": f"people {y0}", "last": f"people {y1}",
                                   "change_pct": "change (%)", "town_type": "town type"})
    df["change (%)"] = df["change (%)"].map(lambda v: f"{v:+.1f}")
    return f"<p>Depopulating cities and towns, steepest first:</p>{table_html(df.reset_index(drop=True))}"


def report_html(run: rd.RunData, figs: list[Rendered], built: str | None = None) -> str:
    """The report page for ``run`` with ``figs`` inlined."""
    by_name = {f.name: f for f in figs}
    sections = []
    for anchor, heading, names in SECTIONS:
        chosen = [by_name[n] for n in names if n in by_name]
        extra = _towns_table(run) if anchor == "towns" else ""
        if chosen or extra:
            sections.append((anchor, heading, chosen, extra))
    facts = rd.describe(run)
    built = built or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = f"kochu report — {facts['scenario']}"
    if run.compared:
        names = ", ".join(map(str, run.compared.get("scenarios", [])))
        title = f"kochu comparison — {names}"
        facts = {"scenarios": names, "maps and charts from": f"{facts['scenario']}, seed {facts['seed']}",
                 **{k: v for k, v in facts.items() if k not in ("scenario", "seed", "run time")},
                 "seeds": ", ".join(map(str, run.compared.get("seeds", [])))}
    return page(
        title=title,
        facts=facts,
        sections=sections,
        appendix=rd.scenario_json(run),
        footer=f"Built {built} by kochu {__version__} from {run.run_dir.name}/manifest.json. "
               "Maps: GEBCO 2023 grid (doi:10.5285/f98b053b-0cbc-6c23-e053-6c86abc0af7b); "
               "boundaries and places from the atlas (see its SOURCES.md).",
    )


def shareable(path: Path) -> None:
    """Make a written file readable by others (rw-r--r--): the atomic writer's temporary files
    are private, but reports and figures are made to be sent and served."""
    os.chmod(path, 0o644)


def write_figures(run_dir: Path, figs: list[Rendered]) -> list[Path]:
    """Write each figure as PNG and SVG into ``run_dir/figures`` (atomic), plus
    ``figures/index.json`` (name, section, title, caption of each, in report order)."""
    section_of = {n: heading for _, heading, names in SECTIONS for n in names}
    order = [n for _, _, names in SECTIONS for n in names]
    ranked = sorted(figs, key=lambda f: order.index(f.name) if f.name in order else len(order))
    index = [{"name": f.name, "section": section_of.get(f.name, ""), "title": f.title,
              "caption": f.caption} for f in ranked]
    atomic_write_text(run_dir / FIGURES / "index.json",
                      json.dumps(index, indent=1, ensure_ascii=False) + "\n")
    out = [run_dir / FIGURES / "index.json"]
    for fig in figs:
        for ext, blob in (("png", fig.png), ("svg", fig.svg)):
            path = run_dir / FIGURES / f"{fig.name}.{ext}"
            atomic_write_bytes(path, blob)
            shareable(path)
            out.append(path)
    return out


def resolve(folder: Path) -> tuple[Path, dict[str, Any] | None]:
    """The run folder to draw and, for a ``kochu compare`` folder, its ``comparison.json``.

    A compare folder (``comparison.json`` + ``comparison.csv``, no manifest) is drawn from the
    baseline's first seed, with the scenario comparison from ``comparison.csv``.
    """
    meta_path = folder / "comparison.json"
    if (folder / BANDS_FILE).is_file() and (folder / "tasks.parquet").is_file():
        tasks = read_table(folder, "tasks")  # also checks the ensemble's manifest
        if tasks.empty:
            raise RunStoreError(f"{folder / 'tasks.parquet'}: no runs in this ensemble")
        return folder / "runs" / str(sorted(tasks["task"])[0]), None
    if (folder / "manifest.json").exists() or not meta_path.is_file():
        return folder, None
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        base, seed = str(meta["baseline"]), int(meta["seeds"][0])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        raise RunStoreError(f"{meta_path}: expected JSON with 'baseline' and 'seeds' "
                            f"(as written by kochu compare)") from None
    if not (folder / "comparison.csv").is_file():
        raise RunStoreError(f"{folder / 'comparison.csv'}: missing (expected beside comparison.json)")
    return folder / base / f"seed_{seed}", meta


def build_report(
    run_dir: str | Path,
    atlas: Any = None,
    shade: bool = True,
    progress: Progress | None = None,
    only: set[str] | None = None,
) -> Path:
    """(Re)build ``RUN_DIR/report.html`` and ``RUN_DIR/figures/`` from a complete run folder.

    ``atlas`` defaults to the atlas named in the run's manifest (else the embedded one);
    ``shade=False`` skips the elevation hillshade (faster, for previews); ``only`` draws just
    the named figures (see :data:`kochu.report.maps.MAPS`, :data:`kochu.report.charts.CHARTS`).
    Raises
    :class:`~kochu.errors.RunStoreError` (one line) for a missing or incomplete run.
    """
    out_dir = Path(run_dir)
    source, meta = resolve(out_dir)
    run = rd.safe_load_run(source, atlas=atlas)
    if meta is not None:
        run.comparison = rd.read_comparison(out_dir / "comparison.csv")
        run.compared = meta
    if source != out_dir and (out_dir / BANDS_FILE).is_file():
        run.bands = pd.read_parquet(out_dir / BANDS_FILE)
    figs = render_all(run, shade=shade, progress=progress, only=only)
    write_figures(out_dir, figs)
    target = out_dir / REPORT
    atomic_write_text(target, report_html(run, figs))
    shareable(target)
    return target
