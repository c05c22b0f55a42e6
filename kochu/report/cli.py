"""CLI verbs of kochu.report: ``kochu report RUN_DIR`` and ``kochu serve``."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import typer

from kochu.errors import KochuError


def report(
    run_dir: Path = typer.Argument(..., help="A complete run folder (with manifest.json)."),
    no_shade: bool = typer.Option(False, "--no-shade", help="Skip the elevation hillshade (faster)."),
) -> None:
    """(Re)build RUN_DIR/report.html (self-contained, offline) and RUN_DIR/figures/*.png|svg."""
    from rich.progress import BarColumn, Progress, TextColumn

    from kochu.report.build import SECTIONS, build_report

    total = sum(len(names) for _, _, names in SECTIONS)
    with Progress(TextColumn("[bold]report[/bold] {task.description}"), BarColumn(),
                  TextColumn("{task.completed}/{task.total}"), transient=True,
                  disable=not sys.stderr.isatty()) as bar:
        task = bar.add_task("figures", total=total)
        path = build_report(run_dir, shade=not no_shade,
                            progress=lambda name: bar.update(task, advance=1, description=name))
    typer.echo(str(path))


def _check_host(host: str) -> str:
    if host == "localhost":
        return host
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise KochuError(f"--host: expected an IP address or 'localhost', got {host!r}") from None
    return host


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8765, "--port", min=0, max=65535, help="TCP port (0 = any free port)."),
    scenarios: Path = typer.Option(Path("scenarios"), "--scenarios", help="Folder of scenario *.toml files."),
    runs: Path = typer.Option(Path("runs/dashboard"), "--runs", help="Folder for the dashboard's runs."),
    verbose: bool = typer.Option(False, "--verbose", help="Log every request on stderr."),
) -> None:
    """A local dashboard: pick a scenario, change its interventions, run it, see maps and charts."""
    from kochu.report.serve import make_server

    host = _check_host(host)
    try:
        server = make_server(host, port, scenarios_dir=scenarios, runs_dir=runs, verbose=verbose)
    except OSError as exc:
        raise KochuError(f"--host {host} --port {port}: cannot listen ({exc.strerror or exc})") from None
    if not server.loopback:
        typer.echo(f"warning: listening on {host}, reachable from other machines", err=True)
    typer.echo(f"kochu dashboard on {server.url} (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def register(app: typer.Typer) -> None:
    """Add ``report`` and ``serve`` to the ``kochu`` command."""
    app.command("report")(report)
    app.command("serve")(serve)
