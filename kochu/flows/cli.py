"""CLI verbs of kochu.flows: ``kochu flows fit`` and ``kochu flows directions``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from kochu.errors import FlowDataError, KochuError

flows_app = typer.Typer(
    help="Fit spatial-interaction models to OD tables; the four directions of migration.",
    no_args_is_help=True,
    add_completion=False,
)


MODELS = ("gravity", "production", "attraction", "doubly", "radiation")
COSTS = ("pow", "exp")


def _choice(option: str, value: str, choices: tuple[str, ...]) -> str:
    # validated here rather than by typer so a typo is a one-line KochuError
    if value not in choices:
        raise FlowDataError(f"{option}: expected one of {', '.join(choices)}, got '{value}'")
    return value


def register(app: typer.Typer) -> None:
    """Add the ``flows`` sub-command group to the ``kochu`` command."""
    app.add_typer(flows_app, name="flows")


def _estimator(model: str, cost: str, alpha: float | None):
    from kochu import flows

    if model == "radiation":
        return flows.Radiation(alpha=alpha)
    if alpha is not None:
        raise FlowDataError("--alpha applies to --model radiation only")
    cls = {"gravity": flows.Gravity, "production": flows.Production,
           "attraction": flows.Attraction, "doubly": flows.Doubly}[model]
    return cls(cost=cost)


@flows_app.command("fit")
def fit_cmd(
    file: Path = typer.Argument(..., help="OD table (CSV, one row per origin-destination pair)."),
    model: str = typer.Option(..., "--model", help=f"Which model: {'|'.join(MODELS)}."),
    cost: str = typer.Option(
        "pow", "--cost",
        help="Distance decay: pow = d^beta, exp = exp(beta d) (radiation: distances only rank)."),
    origin: str = typer.Option(..., "--origin", help="Column of origin ids."),
    destination: str = typer.Option(..., "--destination", help="Column of destination ids."),
    flow: str = typer.Option(..., "--flow", help="Column of flows (>= 0, may be non-integer)."),
    distance: str = typer.Option(..., "--distance", help="Column of distances."),
    origin_mass: str | None = typer.Option(None, "--origin-mass", help="Column of origin masses."),
    destination_mass: str | None = typer.Option(
        None, "--destination-mass", help="Column of destination masses."),
    alpha: float | None = typer.Option(
        None, "--alpha", help="Radiation only: use the extended model with this alpha."),
    drop_intrazonal: bool = typer.Option(
        False, "--drop-intrazonal", help="Leave out rows with origin == destination."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Fit a flow model to any OD table by Poisson maximum likelihood."""
    from kochu.flows.io import read_od_csv

    model = _choice("--model", model, MODELS)
    cost = _choice("--cost", cost, COSTS)
    table = read_od_csv(file, origin, destination, flow, distance, origin_mass,
                        destination_mass, cost, drop_intrazonal)
    est = _estimator(model, cost, alpha)
    try:
        est.fit(table.flows, table.origins, table.destinations, table.distance,
                table.origin_mass, table.destination_mass)
    except KochuError as exc:
        raise FlowDataError(f"{file}: {exc}") from None
    result = est.to_dict()
    result.update(model=model, cost=None if model == "radiation" else cost, file=str(file))
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    _print_fit(result)


def _print_fit(result: dict) -> None:
    console = Console()
    title = f"{result['model']} model ({result['cost'] or 'radiation'}) — {result['file']}"
    params = Table(title=title)
    for col in ("parameter", "estimate", "std. error", "z"):
        params.add_column(col, justify="left" if col == "parameter" else "right")
    for name, value in result["params"].items():
        se = result["bse"][name]
        params.add_row(name, f"{value:.8g}", f"{se:.4g}", f"{value / se:.2f}" if se else "")
    console.print(params)
    fit = Table(title="fit")
    fit.add_column("measure")
    fit.add_column("value", justify="right")
    for key in ("deviance", "llf", "aic", "pseudo_r2", "srmse", "ssi", "cpc", "n_pairs",
                "n_params", "n_iter"):
        v = result[key]
        fit.add_row(key, f"{v:.6g}" if isinstance(v, float) else str(v))
    console.print(fit)


@flows_app.command("directions")
def directions_cmd(
    file: Path = typer.Argument(..., help="OD table (CSV) over atlas settlement ids."),
    origin: str = typer.Option(..., "--origin", help="Column of origin ids."),
    destination: str = typer.Option(..., "--destination", help="Column of destination ids."),
    flow: str = typer.Option(..., "--flow", help="Column of flows (>= 0)."),
    atlas: Path | None = typer.Option(None, "--atlas", help="Atlas folder (default: Kyrgyzstan)."),
    mountain_m: float = typer.Option(1500.0, "--mountain-m",
                                     help="Elevation (m) from which a place is mountainous."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Volume and net of rural→urban, mountain→valley, periphery→centre, south→north moves."""
    from kochu.atlas import load_atlas
    from kochu.flows.directions import decompose
    from kochu.flows.io import read_od_csv

    table = read_od_csv(file, origin, destination, flow)
    places = load_atlas(atlas).settlements
    for ids, col in ((table.origins, origin), (table.destinations, destination)):
        known = places.index.get_indexer(ids) >= 0
        if not known.all():
            k = int(np.argmin(known))
            where = atlas if atlas is not None else "the default atlas"
            raise FlowDataError(f"{file}: line {table.lines[k]}, column '{col}': unknown place "
                                f"id '{ids[k]}' (not a settlement of {where})")
    result = decompose(table.frame(), places, mountain_m)
    if as_json:
        out = {"file": str(file), "total_moves": result.attrs["total_moves"],
               "mountain_m": mountain_m,
               "directions": {k: {c: float(v) for c, v in row.items()}
                              for k, row in result.iterrows()}}
        typer.echo(json.dumps(out, indent=2))
        return
    tab = Table(title=f"four directions — {file} (total moves {result.attrs['total_moves']:,.0f})")
    tab.add_column("direction")
    for col in result.columns:
        tab.add_column(col, justify="right")
    for name, row in result.iterrows():
        tab.add_row(name.replace("_", " → "), f"{row.forward:,.1f}", f"{row.reverse:,.1f}",
                    f"{row.net:,.1f}", f"{row.share_of_moves:.3f}")
    Console().print(tab)

