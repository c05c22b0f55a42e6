"""Read a run folder for the report and derive the series the figures draw.

Everything here is plain pandas on the run-store tables (``docs/run-store.md``) joined with the
atlas settlements (``docs/atlas-format.md``). A missing or incomplete run folder, a missing
table or column, or a place id the atlas does not know raises
:class:`~kochu.errors.RunStoreError` with one line naming the file and what was expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kochu.errors import AtlasError, KochuError, RunStoreError
from kochu.runs.store import read_manifest, read_table

#: columns each run table must have (``docs/run-store.md``)
REQUIRED = {
    "population": ["year", "month", "place", "present", "permanent"],
    "flows": ["year", "origin", "destination", "true", "registered"],
}
OPTIONAL = {
    "events": ["year", "month", "abroad"],
    "indicators": ["year", "indicator", "value"],
}
#: settlement columns the report uses (``atlas.settlements``)
SETTLEMENT_COLUMNS = ["name", "lat", "lon", "oblast", "kind", "urban", "town_type"]
#: place kinds in display order
KINDS = ["capital", "city", "town", "rural", "informal"]
#: the outside world in the flows table
ABROAD = "abroad"
#: town kinds whose fates are charted
TOWN_KINDS = ("city", "town")


@dataclass
class RunData:
    """One run folder, read and checked: manifest, tables, optional CSVs, atlas settlements."""

    run_dir: Path
    manifest: dict[str, Any]
    population: pd.DataFrame
    flows: pd.DataFrame
    settlements: pd.DataFrame
    events: pd.DataFrame | None = None
    indicators: pd.DataFrame | None = None
    comparison: pd.DataFrame | None = None
    calibration: pd.DataFrame | None = None
    atlas: Any = field(default=None, repr=False)
    #: ``comparison.json`` when the report is of a ``kochu compare`` folder
    compared: dict[str, Any] | None = None
    #: quantile bands by oblast when the report is of a ``kochu ensemble`` folder
    bands: pd.DataFrame | None = None

    @property
    def years(self) -> list[int]:
        """Years with a population on 1 January (or the first month stored), ascending."""
        return sorted(int(y) for y in self.population["year"].unique())


#: numeric columns of the run tables and their allowed range (inclusive)
RANGES = {
    "year": (1800, 2200),
    "month": (1, 12),
    "present": (0, float("inf")),
    "permanent": (0, float("inf")),
    "true": (0, float("inf")),
    "registered": (0, float("inf")),
}


def _check_values(df: pd.DataFrame, where: Path) -> None:
    """Numeric run-table columns hold finite numbers in range; quote the first bad value."""
    for col, (lo, hi) in RANGES.items():
        if col not in df.columns:
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values) | (values < lo) | (values > hi)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            span = f"from {lo:g} to {hi:g}" if np.isfinite(hi) else f"≥ {lo:g}"
            raise RunStoreError(
                f"{where}: column '{col}' row {i + 1}: expected a finite number {span}, "
                f"got {df[col].iloc[i]!r}"
            )


def _check_columns(df: pd.DataFrame, cols: list[str], where: Path) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise RunStoreError(
            f"{where}: missing column '{missing[0]}' (expected columns {', '.join(cols)})"
        )


def _optional_table(run_dir: Path, manifest: dict[str, Any], name: str) -> pd.DataFrame | None:
    if f"{name}.parquet" not in manifest["files"]:
        return None
    df = read_table(run_dir, name)
    _check_columns(df, OPTIONAL[name], run_dir / f"{name}.parquet")
    return df


def _optional_csv(run_dir: Path, name: str) -> pd.DataFrame | None:
    path = run_dir / name
    if not path.is_file():
        return None
    try:
        df = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RunStoreError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    if df.empty:
        raise RunStoreError(f"{path}: no rows (expected a header and at least one row)")
    return df


#: name alternatives of the calibration.csv columns
CALIBRATION_COLUMNS = {
    "name": ("target", "name", "indicator"),
    "observed": ("observed", "obs", "data"),
    "simulated": ("simulated", "sim", "model", "fitted"),
}


def check_comparison(df: pd.DataFrame, path: Path) -> None:
    """``comparison.csv`` needs ``scenario, indicator, value`` (``year`` and bands optional)."""
    for col in ("scenario", "indicator", "value"):
        if col not in df.columns:
            raise RunStoreError(f"{path}: missing column '{col}' (expected scenario, indicator, "
                                f"value, optional year and value_lo/value_hi)")
    if not pd.api.types.is_numeric_dtype(df["value"]):
        raise RunStoreError(f"{path}: column 'value' must be numeric")


def read_comparison(path: Path) -> pd.DataFrame:
    """Read and check a ``comparison.csv`` (see :func:`check_comparison`)."""
    df = _optional_csv(path.parent, path.name)
    if df is None:
        raise RunStoreError(f"{path}: missing")
    check_comparison(df, path)
    return df


def calibration_columns(df: pd.DataFrame, path: Path) -> dict[str, str]:
    """The actual names of the name/observed/simulated columns of ``calibration.csv``."""
    found = {}
    for role, names in CALIBRATION_COLUMNS.items():
        col = next((c for c in names if c in df.columns), None)
        if col is None:
            raise RunStoreError(f"{path}: missing column '{names[0]}' (expected target, observed, "
                                f"simulated; got {', '.join(map(str, df.columns))})")
        found[role] = col
    return found


def load_default_atlas(manifest: dict[str, Any] | None = None) -> Any:
    """The atlas a run was made with: the folder named in its manifest, else the default."""
    try:
        from kochu.atlas import load_atlas  # type: ignore[attr-defined]
    except ImportError:
        raise AtlasError(
            "kochu.atlas.load_atlas is not available (the atlas package is incomplete)"
        ) from None
    ref = (manifest or {}).get("atlas")
    if isinstance(ref, str) and ref and Path(ref).is_dir():
        return load_atlas(ref)
    return load_atlas()


def settlements_of(atlas: Any) -> pd.DataFrame:
    """The atlas settlements with the columns the report needs (checked)."""
    st = atlas.settlements
    missing = [c for c in SETTLEMENT_COLUMNS if c not in st.columns]
    if missing:
        raise AtlasError(
            f"atlas settlements: missing column '{missing[0]}' "
            f"(expected {', '.join(SETTLEMENT_COLUMNS)})"
        )
    return st


def load_run(run_dir: str | Path, atlas: Any = None) -> RunData:
    """Read and check a run folder; ``atlas`` defaults to the one named in the manifest."""
    folder = Path(run_dir)
    manifest = read_manifest(folder, verify=True)
    tables = {}
    for name, cols in REQUIRED.items():
        if f"{name}.parquet" not in manifest["files"]:
            raise RunStoreError(
                f"{folder / (name + '.parquet')}: missing — a report needs the tables "
                f"{', '.join(REQUIRED)}"
            )
        df = read_table(folder, name)
        _check_columns(df, cols, folder / f"{name}.parquet")
        _check_values(df, folder / f"{name}.parquet")
        if df.empty and name == "population":  # no flows is a valid run (nobody moved)
            raise RunStoreError(f"{folder / (name + '.parquet')}: no rows")
        tables[name] = df
    if atlas is None:
        atlas = load_default_atlas(manifest)
    st = settlements_of(atlas)
    unknown = sorted(set(tables["population"]["place"]) - set(st.index))
    if unknown:
        raise RunStoreError(
            f"{folder / 'population.parquet'}: column 'place' has id '{unknown[0]}' that is not "
            f"a settlement of the atlas ({len(unknown)} unknown ids)"
        )
    known = set(st.index) | {ABROAD}
    for col in ("origin", "destination"):
        bad = sorted(set(tables["flows"][col]) - known)
        if bad:
            raise RunStoreError(
                f"{folder / 'flows.parquet'}: column '{col}' has id '{bad[0]}' that is not a "
                f"settlement of the atlas or '{ABROAD}'"
            )
    comparison = None
    if (folder / "comparison.csv").is_file():
        comparison = read_comparison(folder / "comparison.csv")
    calibration = _optional_csv(folder, "calibration.csv")
    if calibration is not None:
        calibration_columns(calibration, folder / "calibration.csv")
    return RunData(
        run_dir=folder,
        manifest=manifest,
        population=tables["population"],
        flows=tables["flows"],
        settlements=st,
        events=_optional_table(folder, manifest, "events"),
        indicators=_optional_table(folder, manifest, "indicators"),
        comparison=comparison,
        calibration=calibration,
        atlas=atlas,
    )


# ----------------------------------------------------------------------------- populations


def january(pop: pd.DataFrame) -> pd.DataFrame:
    """Population rows at the first stored month of each year (1 January when present)."""
    first = pop.groupby("year")["month"].transform("min")
    return pop[pop["month"] == first]


def joined(run: RunData) -> pd.DataFrame:
    """January populations joined with the settlement attributes."""
    jan = january(run.population)
    return jan.join(run.settlements[SETTLEMENT_COLUMNS], on="place")


def by_group(run: RunData, column: str, measure: str = "present") -> pd.DataFrame:
    """Year × group table of ``measure`` summed over settlements (groups in a stable order)."""
    table = joined(run).pivot_table(
        index="year", columns=column, values=measure, aggfunc="sum", fill_value=0
    )
    if column == "kind":
        table = table.reindex(columns=[k for k in KINDS if k in table.columns])
    else:
        table = table.reindex(columns=sorted(table.columns, key=str))
    return table.sort_index()


def observed_by_oblast(run: RunData, measure: str = "de_facto") -> pd.DataFrame:
    """Year × oblast name: the atlas's populations (censuses and official estimates) of the
    first-level units within the run's years; empty when the atlas has none."""
    atlas = run.atlas
    pops = getattr(atlas, "populations", None)
    places = getattr(atlas, "places", None)
    if pops is None or places is None or pops.empty or "level" not in places.columns:
        return pd.DataFrame()
    units = places[places["level"] == "oblast"]
    rows = pops[(pops["measure"] == measure) & pops["place"].isin(units.index)]
    rows = rows[(rows["year"] >= min(run.years)) & (rows["year"] <= max(run.years))]
    if rows.empty:
        return pd.DataFrame()
    table = rows.assign(oblast=rows["place"].map(units["name"])).pivot_table(
        index="year", columns="oblast", values="population", aggfunc="sum")
    return table.sort_index()


def capital_growth(run: RunData) -> pd.DataFrame:
    """Year × (capital, informal) people present: the capital city and its novostroiki."""
    table = by_group(run, "kind")
    out = pd.DataFrame(index=table.index)
    for kind in ("capital", "informal"):
        out[kind] = table[kind] if kind in table.columns else 0
    return out


def last_population(run: RunData, measure: str = "present") -> pd.Series:
    """People present by settlement id in the last year stored (1 January)."""
    jan = january(run.population)
    last = jan[jan["year"] == jan["year"].max()]
    return last.groupby("place")[measure].sum()


def abroad_stock(run: RunData) -> pd.Series:
    """People temporarily abroad on 1 January by year (events table, else permanent − present)."""
    if run.events is not None and not run.events.empty:
        ev = january(run.events)
        return ev.groupby("year")["abroad"].sum().astype(float).sort_index()
    jan = january(run.population)
    return (jan["permanent"] - jan["present"]).groupby(jan["year"]).sum().astype(float)


# ----------------------------------------------------------------------------- flows


def flow_totals(run: RunData) -> pd.DataFrame:
    """Per year: internal moves true and registered, the registration gap, and moves abroad."""
    fl = run.flows
    internal = fl[(fl["origin"] != ABROAD) & (fl["destination"] != ABROAD)]
    out = internal.groupby("year")[["true", "registered"]].sum().astype(float)
    out["gap"] = 1.0 - out["registered"] / out["true"].replace(0.0, np.nan)
    out["emigration"] = fl[fl["destination"] == ABROAD].groupby("year")["true"].sum()
    out["immigration"] = fl[fl["origin"] == ABROAD].groupby("year")["true"].sum()
    return out.fillna({"emigration": 0.0, "immigration": 0.0}).sort_index()


def gap_by_destination(run: RunData, years: list[int]) -> pd.DataFrame:
    """Registration gap (1 − registered/true) of internal moves over ``years`` by destination
    first-level unit, with the true moves; sorted from the largest gap."""
    fl = run.flows[run.flows["year"].isin(years)]
    fl = fl[(fl["origin"] != ABROAD) & (fl["destination"] != ABROAD) & (fl["origin"] != fl["destination"])]
    dest = fl.assign(unit=fl["destination"].map(run.settlements["oblast"]))
    out = dest.groupby("unit")[["true", "registered"]].sum().astype(float)
    out = out[out["true"] > 0]
    out["gap"] = 1.0 - out["registered"] / out["true"]
    return out.sort_values(["gap", "true"], ascending=[False, False])


def recent_years(run: RunData, n: int = 5) -> list[int]:
    """The last ``n`` years with flows."""
    years = sorted(int(y) for y in run.flows["year"].unique())
    return years[-n:]


def top_flows(run: RunData, years: list[int], n: int = 40) -> pd.DataFrame:
    """The ``n`` largest internal origin→destination flows (mean true moves a year over ``years``),
    with coordinates; columns origin, destination, true, registered, lat0, lon0, lat1, lon1."""
    fl = run.flows[run.flows["year"].isin(years)]
    fl = fl[(fl["origin"] != ABROAD) & (fl["destination"] != ABROAD)]
    fl = fl[fl["origin"] != fl["destination"]]
    agg = fl.groupby(["origin", "destination"])[["true", "registered"]].sum() / max(len(years), 1)
    agg = agg.reset_index().sort_values(["true", "origin", "destination"], ascending=[False, True, True])
    agg = agg.head(n).reset_index(drop=True)
    st = run.settlements
    agg["lat0"] = st.loc[agg["origin"], "lat"].to_numpy(dtype=float)
    agg["lon0"] = st.loc[agg["origin"], "lon"].to_numpy(dtype=float)
    agg["lat1"] = st.loc[agg["destination"], "lat"].to_numpy(dtype=float)
    agg["lon1"] = st.loc[agg["destination"], "lon"].to_numpy(dtype=float)
    return agg


# ----------------------------------------------------------------------------- town fates


def town_fates(run: RunData) -> pd.DataFrame:
    """Every city/town: people present in the first and last year and the change in percent,
    sorted from the steepest decline; columns name, oblast, town_type, first, last, change_pct."""
    jan = january(run.population)
    y0, y1 = int(jan["year"].min()), int(jan["year"].max())
    st = run.settlements
    towns = st[st["kind"].isin(TOWN_KINDS)]
    p0 = jan[jan["year"] == y0].groupby("place")["present"].sum()
    p1 = jan[jan["year"] == y1].groupby("place")["present"].sum()
    out = towns[["name", "oblast", "town_type"]].copy()
    out["first"] = p0.reindex(out.index).astype(float)
    out["last"] = p1.reindex(out.index).astype(float)
    out = out.dropna(subset=["first", "last"])
    out = out[out["first"] > 0]
    out["change_pct"] = 100.0 * (out["last"] / out["first"] - 1.0)
    out.attrs["years"] = (y0, y1)
    return out.sort_values(["change_pct", "name"])


# ----------------------------------------------------------------------------- directions

#: the four directions of the seed, in display order (names as in ``kochu.indicators``)
DIRECTIONS = ["rural_urban", "mountain_valley", "periphery_centre", "south_north"]
DIRECTION_LABELS = {
    "rural_urban": "rural → urban",
    "mountain_valley": "mountain → valley",
    "periphery_centre": "periphery → centre",
    "south_north": "south → north",
}
#: elevation (m) from which a place counts as "mountain" (as ``kochu.indicators.migration``)
MOUNTAIN_M = 1500.0


def _flag(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)


def direction_masks(flows: pd.DataFrame, run: RunData) -> dict[str, np.ndarray]:
    """Which flows count in each of the four directions (forward only; a move may count in
    several), by the definitions of ``kochu.indicators.migration``: rural → urban = ``urban``
    0 → 1; mountain → valley = from ≥ 1,500 m to below; periphery → centre = to a place of
    higher administrative rank (smaller ``admin_rank``); south → north = ``north`` 0 → 1.
    """
    st = run.settlements
    o = st.reindex(flows["origin"])
    d = st.reindex(flows["destination"])

    def col(frame: pd.DataFrame, name: str) -> np.ndarray:
        if name not in frame.columns:
            return np.full(len(frame), np.nan)
        return _flag(frame[name])

    with np.errstate(invalid="ignore"):
        return {
            "rural_urban": (col(o, "urban") == 0) & (col(d, "urban") == 1),
            "mountain_valley": (col(o, "elevation_m") >= MOUNTAIN_M) & (col(d, "elevation_m") < MOUNTAIN_M),
            "periphery_centre": col(d, "admin_rank") < col(o, "admin_rank"),
            "south_north": (col(o, "north") == 0) & (col(d, "north") == 1),
        }


def direction_series(run: RunData) -> pd.DataFrame:
    """Year × direction: true internal moves along each of the four directions (forward).

    Prefers the run's ``indicators`` rows ``direction.<name>.forward`` (``kochu.indicators``,
    computed with ``kochu.flows.directions.decompose``); otherwise classifies the flows with
    :func:`direction_masks`.
    """
    if run.indicators is not None:
        ind = run.indicators
        names = {f"direction.{d}.forward": d for d in DIRECTIONS}
        rows = ind[ind["indicator"].isin(list(names))]
        if not rows.empty:
            table = rows.pivot_table(index="year", columns="indicator", values="value", aggfunc="sum")
            table = table.rename(columns=names)
            return table.reindex(columns=DIRECTIONS).fillna(0.0).sort_index()
    fl = run.flows
    fl = fl[(fl["origin"] != ABROAD) & (fl["destination"] != ABROAD)].reset_index(drop=True)
    masks = direction_masks(fl, run)
    out = pd.DataFrame({d: np.where(masks[d], fl["true"].to_numpy(float), 0.0) for d in DIRECTIONS})
    out["year"] = fl["year"].to_numpy()
    return out.groupby("year")[DIRECTIONS].sum().sort_index()


# ----------------------------------------------------------------------------- manifest text


def describe(run: RunData) -> dict[str, str]:
    """Short human-readable facts from the manifest for the report header."""
    m = run.manifest
    scen = m.get("scenario")
    if isinstance(scen, dict) and scen:
        scen_name = str(scen.get("name") or scen.get("title") or "unnamed scenario")
    else:
        scen_name = str(scen) if scen else "baseline"
    timing = m.get("timing") or {}
    out = {
        "scenario": scen_name,
        "kochu version": str(m.get("kochu_version", "?")),
        "seed": str(m.get("seed", "?")),
        "scale": str(m.get("scale", "?")),
        "years": f"{m.get('start_year', min(run.years))}–{m.get('until', max(run.years))}",
        "data hash": str(m.get("data_hash", "?"))[:12],
    }
    if isinstance(timing, dict) and timing.get("seconds") is not None:
        out["run time"] = f"{float(timing['seconds']):.1f} s"
    return out


def scenario_json(run: RunData) -> str:
    """The manifest's scenario as indented JSON (for the report's appendix)."""
    if not run.manifest.get("scenario"):
        return "baseline (no scenario file, no interventions)"
    return json.dumps(run.manifest.get("scenario"), indent=2, sort_keys=True, default=str)


def safe_load_run(run_dir: str | Path, atlas: Any = None) -> RunData:
    """:func:`load_run`, turning unexpected parsing failures into one-line RunStoreErrors."""
    try:
        return load_run(run_dir, atlas=atlas)
    except KochuError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RunStoreError(f"{run_dir}: unreadable run folder ({msg})") from None
