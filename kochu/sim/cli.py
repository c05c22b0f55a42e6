"""CLI verbs of kochu.sim (registered by :mod:`kochu.cli`): ``kochu run``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from kochu.errors import KochuError

START_YEAR = 1989
MAX_YEAR = 2050
#: default wall time between two checkpoints (a year boundary is checkpointed once this has passed)
CHECKPOINT_SECONDS = 10.0


def run_command(
    atlas: Path | None = typer.Option(None, "--atlas", help="Atlas folder (default: the embedded Kyrgyzstan atlas)."),
    scenario: Path | None = typer.Option(None, "--scenario", help="Scenario TOML file (default: baseline)."),
    until: int = typer.Option(2025, "--until", help="Simulate from January 1989 to 1 January of this year."),
    seed: int = typer.Option(1, "--seed", help="Random seed (same seed → identical tables)."),
    scale: float = typer.Option(1.0, "--scale", help="Fraction of the population simulated (1 = every person)."),
    out: Path = typer.Option(Path("runs/run"), "--out", help="Run folder to write (tables, CSV exports, manifest)."),
    threads: int | None = typer.Option(None, "--threads", help="Number of threads (default: all cores)."),
    resume: bool = typer.Option(False, "--resume",
                                help="Continue an interrupted run from its last checkpoint in OUT/checkpoint "
                                     "(same options; a finished run is left as it is)."),
    checkpoint_seconds: float = typer.Option(
        CHECKPOINT_SECONDS, "--checkpoint-seconds",
        help="Checkpoint at a year boundary when at least this many seconds passed since the last one "
             "(0 = every year)."),
    report: bool = typer.Option(True, "--report/--no-report", help="Also write report.html and figures/."),
) -> None:
    """Simulate every person, month by month, from 1989; write the run store, CSV exports and report.

    The state is checkpointed at year boundaries into OUT/checkpoint/ (removed once the run is
    written); after a crash, the same command with --resume continues from there and writes the
    same bytes as a straight run.
    """
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
    if not checkpoint_seconds >= 0:
        raise KochuError(f"--checkpoint-seconds {checkpoint_seconds}: expected a number ≥ 0")
    from rich.console import Console

    from kochu.atlas import load_atlas
    from kochu.sim import checkpoint as ck
    from kochu.sim.sim import Sim

    console = Console(stderr=True)
    at = load_atlas(atlas)
    sim = Sim(at, scenario=str(scenario) if scenario else None, seed=seed, scale=scale,
              end=max(until, 2025), threads=threads, progress=True)
    ck_dir = out / ck.CHECKPOINT_DIR
    if resume and _finished(out, sim, until, console):
        ck.remove(ck_dir)
        if report and not (out / "report.html").exists():
            _report(out, at, console)
        return
    _clean(out, keep_checkpoint=resume)
    resumed = resume and ck.state_path(ck_dir).exists()
    with console.status("initialising the 1989 population…"):
        sim.init()
        if resumed:
            meta = ck.read_meta(ck_dir)
            ck.check_options(meta, sim, until, ck_dir)
            sim.restore(ck_dir, until=until)
    if resumed:
        console.print(f"resuming from the checkpoint of {ck.describe(meta)}")
    elif resume:
        console.print(f"no checkpoint in {ck_dir}: starting from January {sim.start}")
    sim.run(until=until, checkpoint=ck_dir, checkpoint_seconds=checkpoint_seconds)
    manifest = sim.write(out)
    ck.remove(ck_dir)
    t = sim.timing
    rate = t["person_steps"] / t["seconds"] if t["seconds"] else 0.0
    console.print(
        f"wrote {out} ({t['person_steps']:,} person-steps in {t['seconds']:.1f} s, "
        f"{rate:,.0f} person-steps/s); manifest {manifest.name}"
    )
    if report:
        _report(out, at, console)


def _finished(out: Path, sim: Any, until: int, console: Any) -> bool:
    """True when ``out`` already holds a complete run with these options (``--resume`` is then a
    no-op); a complete run made with other options is refused in one line."""
    from kochu.runs.store import is_complete, read_manifest

    if not is_complete(out):
        return False
    m = read_manifest(out)
    mine = {"seed": sim.seed, "scale": sim.scale, "until": until, "scenario": sim.scenario}
    mine = json.loads(json.dumps(mine, sort_keys=True, default=str))  # as the manifest stores it
    for key, value in mine.items():
        if m.get(key) != value:
            raise KochuError(f"--resume: {out} already holds a finished run with {key} = {m.get(key)!r}, "
                             f"not {value!r} (choose another --out)")
    console.print(f"{out}: the run is already complete; nothing to resume")
    return True


def _clean(out: Path, keep_checkpoint: bool) -> None:
    """Before (re)running into ``out``: invalidate an old manifest (so nothing looks complete
    while the run is going), drop temporary files of interrupted writes and, unless resuming,
    an old checkpoint."""
    from kochu.runs.store import MANIFEST
    from kochu.sim import checkpoint as ck

    if not out.is_dir():
        return
    (out / MANIFEST).unlink(missing_ok=True)
    for tmp in out.glob(".*.tmp"):
        tmp.unlink(missing_ok=True)
    if not keep_checkpoint:
        ck.remove(out / ck.CHECKPOINT_DIR)


def _report(out: Path, atlas: Any, console: Any) -> None:
    """Write ``report.html`` and ``figures/`` of the finished run in ``out``."""
    from kochu.report import build_report

    with console.status("writing the report (figures, maps)…"):
        path = build_report(out, atlas=atlas)
    console.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    """Add ``kochu run`` to the ``kochu`` command."""
    app.command("run")(run_command)
