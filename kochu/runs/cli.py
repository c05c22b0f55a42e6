"""``kochu ensemble``: many runs of the simulation, locally or on a Dask cluster."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from kochu.errors import KochuError


def ensemble_command(
    scenario: list[Path] = typer.Option(None, "--scenario", help="Scenario TOML file (repeatable; default: baseline)."),
    replicates: int = typer.Option(..., "--replicates", help="Runs per scenario (seeds derived from the replicate index)."),
    until: int = typer.Option(2025, "--until", help="Simulate from 1989 to 1 January of this year."),
    scale: float = typer.Option(0.01, "--scale", help="Fraction of the population simulated per run."),
    seed: int = typer.Option(1, "--seed", help="Base seed; task seeds derive from (seed, replicate)."),
    workers: int = typer.Option(2, "--workers", help="Local Dask worker processes."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Address of an existing Dask scheduler."),
    atlas: Path | None = typer.Option(None, "--atlas", help="Atlas folder (default: embedded Kyrgyzstan)."),
    out: Path = typer.Option(Path("runs/ensemble"), "--out", help="Ensemble folder (resumes if it exists)."),
) -> None:
    """Run replicates × scenarios on Dask; write each run, then quantile bands (resumable)."""
    from rich.console import Console

    from kochu.runs.ensemble import make_tasks, run_ensemble, write_ensemble_summary

    if not (1989 < until <= 2050):
        raise KochuError(f"--until {until}: expected a year from 1990 to 2050")
    if not (0.0 < scale <= 1.0):
        raise KochuError(f"--scale {scale}: expected a number in (0, 1]")
    if seed < 0:
        raise KochuError(f"--seed {seed}: expected a non-negative integer")
    if scheduler is None and workers < 1:
        raise KochuError(f"--workers {workers}: expected a whole number ≥ 1")
    if out.exists() and not out.is_dir():
        raise KochuError(f"--out {out}: exists and is not a folder")
    scenarios: list[tuple[str, str | None]] = []
    for path in scenario or []:
        if not path.is_file():
            raise KochuError(f"--scenario {path}: file not found")
        scenarios.append((path.stem, str(path.resolve())))
    if not scenarios:
        scenarios = [("baseline", None)]
    if atlas is not None:
        from kochu.atlas import load_atlas

        load_atlas(atlas)  # validate up front: a bad atlas is one line, not N failed tasks
    tasks = make_tasks(scenarios, replicates, base_seed=seed)
    settings = {"atlas": str(atlas.resolve()) if atlas else None, "scale": scale, "until": until}
    console = Console(stderr=True)
    t0 = time.perf_counter()
    results = run_ensemble(tasks, out, settings, workers=workers, scheduler=scheduler)
    write_ensemble_summary(out, tasks, results, {"settings": settings, "base_seed": seed,
                                                 "scenarios": dict(scenarios)})
    console.print(f"wrote {out}: {len(tasks)} runs, bands in bands_population.parquet "
                  f"({time.perf_counter() - t0:.1f} s)")


def register(app: typer.Typer) -> None:
    """Add ``kochu ensemble``."""
    app.command("ensemble")(ensemble_command)
