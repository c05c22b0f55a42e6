"""CLI verbs of kochu.sim (registered by :mod:`kochu.cli`): ``kochu run``."""

from __future__ import annotations

from pathlib import Path

import typer

from kochu.errors import KochuError

START_YEAR = 1989
MAX_YEAR = 2050


def run_command(
    atlas: Path | None = typer.Option(None, "--atlas", help="Atlas folder (default: the embedded Kyrgyzstan atlas)."),
    scenario: Path | None = typer.Option(None, "--scenario", help="Scenario TOML file (default: baseline)."),
    until: int = typer.Option(2025, "--until", help="Simulate from January 1989 to 1 January of this year."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed → identical tables)."),
    scale: float = typer.Option(1.0, "--scale", help="Fraction of the population simulated (1 = every person)."),
    out: Path = typer.Option(Path("runs/run"), "--out", help="Run folder to write (tables, CSV exports, manifest)."),
    threads: int | None = typer.Option(None, "--threads", help="Number of threads (default: all cores)."),
) -> None:
    """Simulate every person, month by month, from 1989; write the run store and CSV exports."""
    if not (START_YEAR < until <= MAX_YEAR):
        raise KochuError(f"--until {until}: expected a year from {START_YEAR + 1} to {MAX_YEAR}")
    if not (0.0 < scale <= 1.0):
        raise KochuError(f"--scale {scale}: expected a number in (0, 1]")
    if seed < 0:
        raise KochuError(f"--seed {seed}: expected a non-negative integer")
    if threads is not None and threads < 1:
        raise KochuError(f"--threads {threads}: expected a positive integer")
    if scenario is not None and not scenario.is_file():
        raise KochuError(f"--scenario {scenario}: file not found")
    if out.exists() and not out.is_dir():
        raise KochuError(f"--out {out}: exists and is not a folder")
    from rich.console import Console

    from kochu.atlas import load_atlas
    from kochu.sim.sim import Sim

    console = Console(stderr=True)
    at = load_atlas(atlas)
    sim = Sim(at, scenario=str(scenario) if scenario else None, seed=seed, scale=scale,
              end=max(until, 2025), threads=threads, progress=True)
    with console.status("initialising the 1989 population…"):
        sim.init()
    sim.run(until=until)
    manifest = sim.write(out)
    t = sim.timing
    rate = t["person_steps"] / t["seconds"] if t["seconds"] else 0.0
    console.print(
        f"wrote {out} ({t['person_steps']:,} person-steps in {t['seconds']:.1f} s, "
        f"{rate:,.0f} person-steps/s); manifest {manifest.name}"
    )


def register(app: typer.Typer) -> None:
    """Add ``kochu run`` to the ``kochu`` command."""
    app.command("run")(run_command)
