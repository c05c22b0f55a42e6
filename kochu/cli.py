"""The ``kochu`` command.

Each verb lives beside the idea it exposes (``kochu/atlas/cli.py``, ``kochu/flows/cli.py``,
``kochu/sim/cli.py`` …) and registers itself through a ``register(app)`` function listed in
:data:`VERB_MODULES`. :func:`main` turns every :class:`~kochu.errors.KochuError` (and any
usage error) into one line on stderr and a non-zero exit code — never a traceback.
"""

from __future__ import annotations

import importlib
import sys

import click
import typer

from kochu import __version__
from kochu.errors import KochuError

#: modules that add verbs to the command, in help order
VERB_MODULES = [
    "kochu.sim.cli",  # run
    "kochu.scenarios.cli",  # compare
    "kochu.report.cli",  # report, serve
    "kochu.flows.cli",  # flows fit, flows directions
    "kochu.runs.cli",  # ensemble
    "kochu.atlas.cli",  # atlas
    "kochu.estimate.cli",  # calibrate
]

app = typer.Typer(
    name="kochu",
    help="Simulate, estimate and plan internal migration (default atlas: Kyrgyzstan).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"kochu {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Simulate, estimate and plan internal migration (default atlas: Kyrgyzstan)."""


for _name in VERB_MODULES:
    importlib.import_module(_name).register(app)


def fail(message: str, code: int = 2) -> None:
    """Print one line on stderr and exit with ``code``."""
    sys.stderr.write(f"kochu: error: {message}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def _click_classes(name: str) -> tuple[type[BaseException], ...]:
    """``name`` from click and from typer's vendored copy of click (newer typer releases)."""
    found: list[type[BaseException]] = [getattr(click.exceptions, name)]
    try:
        from typer._click import exceptions as vendored  # type: ignore[import-not-found]
    except ImportError:  # pragma: no cover - older typer uses click itself
        return tuple(found)
    if hasattr(vendored, name):
        found.append(getattr(vendored, name))
    return tuple(found)


_EXIT = _click_classes("Exit")
_ABORT = _click_classes("Abort")
_USAGE = _click_classes("ClickException")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``kochu`` console script."""
    try:
        app(args=argv, standalone_mode=False, prog_name="kochu")
    except KochuError as exc:
        fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, exc.exit_code)
    except _EXIT as exc:
        raise SystemExit(getattr(exc, "exit_code", 0)) from None
    except _ABORT:
        fail("aborted", 130)
    except _USAGE as exc:
        message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
        fail(message, getattr(exc, "exit_code", 2) or 2)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except (OSError, MemoryError) as exc:
        fail(f"{type(exc).__name__}: {exc}", 1)
    else:
        raise SystemExit(0)


if __name__ == "__main__":  # pragma: no cover
    main()
