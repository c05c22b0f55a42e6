"""``kochu atlas``: the places of an atlas and their attributes."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from kochu.atlas.load import Atlas, load_atlas
from kochu.atlas.schema import LEVELS

STATIC_COLUMNS = [
    "id", "name", "level", "parent", "oblast", "kind", "lat", "lon", "elevation_m", "urban",
    "north", "border", "town_type", "admin_rank", "legal_status", "hazard_zone", "founded",
]


def places_table(atlas: Atlas, level: str | None = None) -> pd.DataFrame:
    """One row per place (of ``level``, or all): static attributes plus populations by year.

    De facto populations are in ``population_YEAR`` columns and permanent (de jure) ones in
    ``population_permanent_YEAR``.
    """
    places = atlas.places if level is None else atlas.level(level)
    out = places[STATIC_COLUMNS].reset_index(drop=True)
    for measure, prefix in (("de_facto", "population_"), ("permanent", "population_permanent_")):
        wide = atlas.population_table(measure).reindex(places.index)
        wide = wide.dropna(axis=1, how="all")
        for year in sorted(wide.columns):
            out[f"{prefix}{int(year)}"] = wide[year].to_numpy()
    for col in out.columns:
        if col.startswith("population_") or col in ("admin_rank", "founded"):
            out[col] = out[col].astype("Int64")
    return out


def _summary(atlas: Atlas, level: str | None) -> None:
    console = Console()
    if level is None:
        table = Table(title=f"atlas {atlas.name} ({atlas.path})")
        table.add_column("level")
        table.add_column("places", justify="right")
        for lv in LEVELS:
            table.add_row(lv, str((atlas.places["level"] == lv).sum()))
        console.print(table)
        kinds = atlas.settlements["kind"].value_counts()
        console.print("settlements by kind: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
        level = "oblast"
    df = places_table(atlas, level)
    pops = [c for c in df.columns if c.startswith("population_") and "permanent" not in c]
    census = [c for c in pops if c[-4:] in ("1989", "1999", "2009")]
    pops = census or pops[-3:]
    table = Table(title=f"{level} places (de facto population)")
    for col in ["id", "name", "parent", *pops]:
        label = col.removeprefix("population_") if col in pops else col
        table.add_column(label, justify="right" if col in pops else "left")
    for row in df.itertuples(index=False):
        d = row._asdict()
        table.add_row(
            *(str(d[c]) if c not in pops else ("—" if pd.isna(d[c]) else f"{d[c]:,}") for c in ["id", "name", "parent", *pops])
        )
    console.print(table)


def atlas_command(
    atlas_dir: Path = typer.Option(None, "--atlas", help="Atlas folder (default: embedded Kyrgyzstan)."),
    level: str = typer.Option(None, "--level", help="country, oblast, rayon or settlement."),
    csv: bool = typer.Option(False, "--csv", help="One CSV row per place with its attributes."),
) -> None:
    """Show the places of an atlas and their attributes (populations by year)."""
    atlas = load_atlas(atlas_dir)
    if level is not None:
        atlas.level(level)  # validates the name with a one-line error
    if csv:
        places_table(atlas, level).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        _summary(atlas, level)


def register(app: typer.Typer) -> None:
    """Add ``kochu atlas``."""
    app.command("atlas")(atlas_command)
