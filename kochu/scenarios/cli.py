"""CLI verbs of kochu.scenarios (registered by :mod:`kochu.cli`).

- ``kochu scenario check FILE... [--atlas DIR]`` — validate scenario files against the atlas;
- ``kochu compare SCENARIO... [--out DIR] [--scale F] [--until YEAR] [--replicates N]`` — run
  every scenario with the same seeds and write the side-by-side indicator table.
"""

from __future__ import annotations

from pathlib import Path

import typer

from kochu.errors import KochuError

scenario_app = typer.Typer(
    name="scenario", help="Scenario files: validate them against the atlas.", no_args_is_help=True
)


@scenario_app.command("check")
def check(
    files: list[Path] = typer.Argument(..., help="Scenario TOML files."),
    atlas: Path | None = typer.Option(None, "--atlas", help="Atlas folder (default: Kyrgyzstan)."),
) -> None:
    """Validate scenario files (keys, values, places); one line per good file, else one error."""
    from kochu.atlas import load_atlas
    from kochu.scenarios.io import load_scenario

    at = load_atlas(atlas)
    for f in files:
        sc = load_scenario(f, at)
        n = len(sc.all_interventions)
        typer.echo(f"{f}: ok — {sc.name}, horizon {sc.horizon}, {len(sc.seeds)} seed(s), {n} intervention(s)")


def compare_cmd(
    scenarios: list[Path] = typer.Argument(..., help="Scenario TOML files (one named 'baseline' or the first is the baseline)."),
    out: Path = typer.Option(Path("runs/compare"), "--out", help="Output folder."),
    scale: float | None = typer.Option(None, "--scale", help="Fraction of people simulated (overrides the files)."),
    until: int | None = typer.Option(None, "--until", help="Last year (overrides the files' horizons)."),
    replicates: int | None = typer.Option(None, "--replicates", help="Seeds per scenario (first N of the baseline's seeds, or 1..N)."),
    atlas: Path | None = typer.Option(None, "--atlas", help="Atlas folder (default: Kyrgyzstan)."),
    report: bool = typer.Option(True, "--report/--no-report", help="Also build DIR/report.html."),
    workers: int = typer.Option(2, "--workers", help="Local Dask worker processes."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Address of an existing Dask scheduler."),
) -> None:
    """Run scenarios with common random numbers and write DIR/comparison.csv (and the report)."""
    from kochu.scenarios.compare import run_comparison

    if scheduler is None and workers < 1:
        raise KochuError(f"--workers {workers}: expected a whole number ≥ 1")
    path = run_comparison(
        scenarios, out=out, scale=scale, until=until, replicates=replicates, atlas=atlas,
        workers=workers, scheduler=scheduler,
    )
    typer.echo(f"wrote {path}")
    if report:
        from kochu.report import build_report

        typer.echo(f"wrote {build_report(out)}")


def register(app: typer.Typer) -> None:
    """Add ``scenario check`` and ``compare`` to the ``kochu`` command."""
    app.add_typer(scenario_app)
    app.command("compare")(compare_cmd)
