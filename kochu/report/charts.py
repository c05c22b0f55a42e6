"""Charts of the run: populations over time, flows and the registration gap, people abroad,
town fates, the four directions, scenario comparison and calibration fit.

Each function takes a :class:`~kochu.report.data.RunData` and returns a
:class:`~kochu.report.figures.Rendered` with a title, axis labels with units and a one-line
caption. Optional inputs (``comparison.csv``, ``calibration.csv``) give ``None`` when absent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator

from kochu.errors import RunStoreError
from kochu.report import data as rd
from kochu.report.bands import ensemble_bands
from kochu.report.figures import CYCLE, KIND_COLOURS, Rendered, figure, render, thousands

PEOPLE = FuncFormatter(thousands)


def _year_axis(ax) -> None:
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=8))
    ax.set_xlabel("year (1 January)")


def population_by_oblast(run: rd.RunData) -> Rendered:
    """Lines: people present on 1 January by oblast (first-level unit)."""
    table = rd.by_group(run, "oblast")
    observed = rd.observed_by_oblast(run)
    fig = figure()
    ax = fig.add_subplot()
    for i, name in enumerate(table.columns):
        colour = CYCLE[i % len(CYCLE)]
        ax.plot(table.index, table[name], color=colour, lw=1.8, label=str(name))
        if name in observed.columns:
            obs = observed[name].dropna()
            ax.scatter(obs.index, obs.to_numpy(), color=colour, s=16, edgecolors="white",
                       linewidths=0.5, zorder=3)
    ax.yaxis.set_major_formatter(PEOPLE)
    ax.set_ylabel("people present")
    _year_axis(ax)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5))
    title = "Population by oblast"
    ax.set_title(title)
    dots = (" Dots: the atlas's de facto populations (censuses 1989, 1999, 2009 and official "
            "estimates) for comparison." if not observed.empty else "")
    return render(fig, "population_by_oblast", title,
                  "Lines: people present on 1 January in each oblast and the two cities of "
                  f"republican significance, from the run.{dots}")


def population_by_kind(run: rd.RunData) -> Rendered:
    """Stacked areas: people present by place type (capital, cities, towns, rural, informal)."""
    table = rd.by_group(run, "kind")
    fig = figure()
    ax = fig.add_subplot()
    ax.stackplot(table.index, *[table[k].to_numpy(float) for k in table.columns],
                 labels=list(table.columns), colors=[KIND_COLOURS[k] for k in table.columns],
                 alpha=0.85)
    ax.yaxis.set_major_formatter(PEOPLE)
    ax.set_ylabel("people present")
    _year_axis(ax)
    ax.legend(loc="upper left", ncols=5)
    title = "Population by place type"
    ax.set_title(title)
    return render(fig, "population_by_kind", title,
                  "People present on 1 January in the capital, cities, towns, rural areas and "
                  "informal settlements (novostroiki), stacked to the national total.")


def capital_growth(run: rd.RunData) -> Rendered:
    """The capital and its informal settlements: people present, and the capital's share."""
    cap = rd.capital_growth(run)
    total = rd.by_group(run, "kind").sum(axis=1)
    fig = figure()
    ax, ax2 = fig.subplots(1, 2)
    ax.plot(cap.index, cap["capital"], color=KIND_COLOURS["capital"], lw=2, label="capital city")
    ax.plot(cap.index, cap["informal"], color=KIND_COLOURS["informal"], lw=2,
            label="novostroiki (informal)")
    ax.yaxis.set_major_formatter(PEOPLE)
    ax.set_ylabel("people present")
    ax.set_title("Capital and novostroiki")
    ax.legend(loc="upper left")
    _year_axis(ax)
    share = 100.0 * (cap["capital"] + cap["informal"]) / total.replace(0, np.nan)
    ax2.plot(share.index, share, color="#333333", lw=2)
    ax2.set_ylabel("share of national population (%)")
    ax2.set_title("Capital with novostroiki, share")
    _year_axis(ax2)
    return render(fig, "capital_growth", "Capital and novostroiki growth",
                  "People present in the capital city and its informal settlements (left) and "
                  "their combined share of everyone present in the country (right).")


def registration_gap(run: rd.RunData) -> Rendered:
    """True vs registered internal moves a year, and the unregistered share."""
    tot = rd.flow_totals(run)
    fig = figure()
    ax, ax2 = fig.subplots(1, 2)
    ax.plot(tot.index, tot["true"], color="#0072B2", lw=2, label="true moves")
    ax.plot(tot.index, tot["registered"], color="#E69F00", lw=2, label="registered moves")
    ax.fill_between(tot.index, tot["registered"], tot["true"], color="#0072B2", alpha=0.12,
                    label="unregistered")
    ax.yaxis.set_major_formatter(PEOPLE)
    ax.set_ylabel("internal moves per year (people)")
    ax.set_title("True and registered moves")
    ax.legend(loc="upper right")
    _year_axis(ax)
    ax2.plot(tot.index, 100.0 * tot["gap"], color="#D55E00", lw=2)
    ax2.axhline(32, color="#777777", lw=1, ls="--")
    ax2.annotate("≥32% unregistered (surveys cited in the seed)", (tot.index.min(), 32),
                 xytext=(0, 4), textcoords="offset points", fontsize=7.5, color="#555555")
    ax2.set_ylim(0, 100)
    ax2.set_ylabel("moves not registered (%)")
    ax2.set_title("Registration gap")
    _year_axis(ax2)
    return render(fig, "registration_gap", "True vs registered flows and the registration gap",
                  "Internal moves between settlements each year as they happen (true) and as "
                  "registration records them; right: the share missing from the register.")


def registration_by_destination(run: rd.RunData) -> Rendered:
    """Unregistered share of recent internal moves by destination oblast / city."""
    years = rd.recent_years(run, 5)
    table = rd.gap_by_destination(run, years).iloc[::-1]
    fig = figure(7.5, 3.8)
    ax = fig.add_subplot()
    ax.barh(table.index.astype(str), 100.0 * table["gap"], color="#D55E00")
    ax.axvline(32, color="#777777", lw=1, ls="--", label="≥32% unregistered (surveys cited in the seed)")
    ax.set_xlim(0, 100)
    ax.set_xlabel("moves not registered (%)")
    ax.set_ylabel("destination")
    ax.grid(axis="y", visible=False)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center")
    span = f"{years[0]}–{years[-1]}" if years else ""
    title = f"Registration gap by destination, {span}"
    ax.set_title(title)
    return render(fig, "registration_by_destination", title,
                  f"Share of internal moves into each oblast or city over {span} that registration "
                  "did not record (the seed: especially Bishkek and Osh).")


def abroad(run: rd.RunData) -> Rendered:
    """People temporarily abroad (stock) and moves abroad and back (flows) per year."""
    stock = rd.abroad_stock(run)
    tot = rd.flow_totals(run)
    fig = figure()
    ax, ax2 = fig.subplots(1, 2)
    ax.plot(stock.index, stock.to_numpy(), color="#CC79A7", lw=2)
    ax.fill_between(stock.index, 0, stock.to_numpy(), color="#CC79A7", alpha=0.2)
    ax.yaxis.set_major_formatter(PEOPLE)
    ax.set_ylabel("people abroad (1 January)")
    ax.set_title("Living abroad")
    _year_axis(ax)
    ax2.plot(tot.index, tot["emigration"], color="#D55E00", lw=2, label="leaving")
    ax2.plot(tot.index, tot["immigration"], color="#009E73", lw=2, label="returning / arriving")
    ax2.yaxis.set_major_formatter(PEOPLE)
    ax2.set_ylabel("moves per year (people)")
    ax2.set_title("Moves abroad and back")
    ax2.legend(loc="upper left")
    _year_axis(ax2)
    return render(fig, "abroad", "The number abroad",
                  "Residents temporarily abroad on 1 January (left) and international moves "
                  "out of and into the country each year (right).")


def town_fates(run: rd.RunData, n: int = 15) -> Rendered:
    """Median change by town type, and the towns that lost the most people."""
    fates = rd.town_fates(run)
    y0, y1 = fates.attrs.get("years", (run.years[0], run.years[-1]))
    fig = figure(8.0, 4.6)
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1, 1.2])
    if not fates.empty:
        by_type = fates.groupby("town_type")["change_pct"].agg(["median", "count"]).sort_values("median")
        colours = ["#D55E00" if v < 0 else "#0072B2" for v in by_type["median"]]
        ax.barh([f"{t} ({c})" for t, c in zip(by_type.index, by_type["count"], strict=True)],
                by_type["median"], color=colours)
        worst = fates.head(n).iloc[::-1]
        ax2.barh(worst["name"].astype(str), worst["change_pct"],
                 color=["#D55E00" if v < 0 else "#0072B2" for v in worst["change_pct"]])
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_xlabel(f"median change {y0}→{y1} (%)")
    ax.set_ylabel("town type (number of towns)")
    ax.set_title("Growth or decline by town type")
    ax2.axvline(0, color="#333333", lw=0.8)
    ax2.set_xlabel(f"change in people present {y0}→{y1} (%)")
    ax2.set_ylabel("city or town")
    ax2.set_title(f"The {min(n, len(fates))} steepest declines")
    ax.grid(axis="y", visible=False)
    ax2.grid(axis="y", visible=False)
    return render(fig, "town_fates", "Town fates",
                  "Change in people present in cities and towns between the first and last year, "
                  "by the seed's town typology (left) and for the most depopulating towns (right).")


def directions(run: rd.RunData) -> Rendered:
    """Internal moves a year along each of the four directions."""
    table = rd.direction_series(run)
    fig = figure()
    ax = fig.add_subplot()
    for d, colour in zip(rd.DIRECTIONS, ["#0072B2", "#009E73", "#E69F00", "#D55E00"], strict=True):
        ax.plot(table.index, table[d], color=colour, lw=2, label=rd.DIRECTION_LABELS[d])
    ax.yaxis.set_major_formatter(PEOPLE)
    ax.set_ylabel("internal moves per year (people)")
    _year_axis(ax)
    fig.legend(loc="outside right upper")
    title = "The four directions over time"
    ax.set_title(title)
    return render(fig, "directions", title,
                  "True internal moves each year that go rural → urban, mountain → valley, "
                  "periphery → centre and south → north (one move may count in several).")


# ----------------------------------------------------------------------------- comparison

BAND_PAIRS = [("value_lo", "value_hi"), ("low", "high"), ("lo", "hi"), ("lower", "upper"), ("p05", "p95"),
              ("q05", "q95"), ("p5", "p95"), ("q10", "q90"), ("p10", "p90")]


#: indicators shown first when a comparison has many (names of ``kochu.indicators.compute``)
KEY_INDICATORS = [
    "capital.population", "novostroiki.population", "registration.gap", "border.share",
    "balance.theil_settlements", "town_fates.depopulating_count", "primacy.capital_share",
]


def indicator_unit(name: str) -> str:
    """Axis label with the unit of an indicator named as in ``kochu.indicators.compute``."""
    if name.endswith(("population", ".forward", ".reverse", ".net", ".without_services")) or name == "population.total":
        return "value (people)"
    if any(k in name for k in ("share", "gap", "growth")):
        return "value (fraction)"
    if name.startswith("net_migration_rate"):
        return "value (per 1,000 a year)"
    if name.endswith("_count"):
        return "value (count)"
    if name.startswith(("balance.", "capital.capacity", "capital.pressure")):
        return "value (index)"
    return "value (indicator units)"


def _band(df: pd.DataFrame) -> tuple[str, str] | None:
    for lo, hi in BAND_PAIRS:
        if lo in df.columns and hi in df.columns:
            return lo, hi
    return None


LINESTYLES = ["-", "--", ":", "-."]


def _comparison_figure(df: pd.DataFrame, column: str, band: tuple[str, str] | None,
                       scenarios: list[str], indicators: list[str], suptitle: str):
    """Small multiples: one panel per indicator, one line (or bar) and band per scenario."""
    ncols = min(3, len(indicators))
    nrows = int(np.ceil(len(indicators) / ncols))
    fig = figure(3.2 * ncols + 1.0, 2.8 * nrows + 0.6)
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, ind in zip(axes, indicators, strict=False):
        sub = df[df["indicator"].astype(str) == ind]
        for i, scen in enumerate(scenarios):
            rows = sub[sub["scenario"].astype(str) == scen]
            colour = CYCLE[i % len(CYCLE)]
            if "year" in df.columns:
                rows = rows.sort_values("year")
                ax.plot(rows["year"], rows[column], color=colour, lw=1.8, label=scen,
                        ls=LINESTYLES[i % len(LINESTYLES)])
                if band:
                    ax.fill_between(rows["year"], rows[band[0]], rows[band[1]], color=colour,
                                    alpha=0.15, lw=0)
            else:
                v = float(rows[column].mean()) if len(rows) else np.nan
                err = None
                if band and len(rows):
                    err = [[v - float(rows[band[0]].mean())], [float(rows[band[1]].mean()) - v]]
                ax.bar(i, v, color=colour, yerr=err, capsize=3, label=scen)
        ax.set_title(ind, fontsize=9.5)
        unit = indicator_unit(ind)
        ax.set_ylabel(unit if column == "value" else unit.replace("value", "difference", 1))
        ax.yaxis.set_major_formatter(FuncFormatter(thousands))
        if "year" in df.columns:
            _year_axis(ax)
        else:
            ax.set_xticks(range(len(scenarios)), scenarios, rotation=20, fontsize=7.5)
            ax.set_xlabel("scenario")
        if column != "value":
            ax.axhline(0, color="#333333", lw=0.8)
    for ax in axes[len(indicators):]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(5, len(scenarios)))
    fig.suptitle(suptitle, fontweight="bold", fontsize=10.5)
    return fig


def _comparison_setup(df: pd.DataFrame, max_panels: int) -> tuple[list[str], list[str]]:
    present = list(dict.fromkeys(df["indicator"].astype(str)))
    preferred = [i for i in KEY_INDICATORS if i in present]
    indicators = (preferred + [i for i in present if i not in preferred])[:max_panels]
    return list(dict.fromkeys(df["scenario"].astype(str))), indicators


def comparison(run: rd.RunData, max_panels: int = 6) -> Rendered | None:
    """Scenarios side by side per indicator, with uncertainty bands where the CSV has them.

    ``comparison.csv`` is long: ``scenario, indicator, value`` plus optional ``year`` and a band
    (``value_lo``/``value_hi`` as written by ``kochu.indicators.compare``, or ``low``/``high``,
    ``p05``/``p95`` …). With years each indicator is a panel of lines and bands; without, a
    panel of bars and error bars. Key indicators (:data:`KEY_INDICATORS`) come first.
    """
    df = run.comparison
    if df is None:
        return None
    band = _band(df)
    scenarios, indicators = _comparison_setup(df, max_panels)
    title = "Scenarios compared"
    fig = _comparison_figure(df, "value", band, scenarios, indicators, title)
    bands = f" with {band[0]}–{band[1]} bands" if band else ""
    return render(fig, "comparison", title,
                  f"Each panel is one indicator from comparison.csv, one colour and line style "
                  f"per scenario{bands}.")


def comparison_difference(run: rd.RunData, max_panels: int = 6) -> Rendered | None:
    """Each scenario minus the baseline (same seeds), with the per-seed difference bands."""
    df = run.comparison
    if df is None or "difference" not in df.columns:
        return None
    has_band = "difference_lo" in df.columns and "difference_hi" in df.columns
    band = ("difference_lo", "difference_hi") if has_band else None
    scenarios, indicators = _comparison_setup(df, max_panels)
    baseline = scenarios[0]
    others = [s for s in scenarios if s != baseline]
    if not others:
        return None
    sub = df[df["scenario"].astype(str) != baseline]
    title = f"Scenarios minus {baseline}"
    fig = _comparison_figure(sub, "difference", band, others, indicators, title)
    return render(fig, "comparison_difference", title,
                  f"What each scenario changes: its value minus the {baseline}'s with the same "
                  f"seeds (common random numbers){'; bands are 5–95 % over seeds' if band else ''}.")


def calibration(run: rd.RunData, max_targets: int = 30) -> Rendered | None:
    """Relative error of the model on each calibration target (``calibration.csv``).

    Columns: a name (``target``/``name``/``indicator``), ``observed`` and ``simulated`` (or
    ``fitted``, as ``kochu.estimate`` writes it); an optional ``sigma`` (relative error scale
    of the target) is drawn as a ± band. Targets of any unit fit on one axis: the error is
    ``simulated / observed − 1``. With more than ``max_targets`` the worst ones are shown.
    """
    df = run.calibration
    if df is None:
        return None
    path = run.run_dir / "calibration.csv"
    cols = rd.calibration_columns(df, path)
    obs = pd.to_numeric(df[cols["observed"]], errors="coerce").to_numpy(float)
    sim = pd.to_numeric(df[cols["simulated"]], errors="coerce").to_numpy(float)
    ok = np.isfinite(obs) & np.isfinite(sim) & (obs != 0)
    if not ok.any():
        raise RunStoreError(f"{path}: columns '{cols['observed']}' and '{cols['simulated']}' "
                            f"have no numeric rows with observed != 0")
    table = pd.DataFrame({"name": df.loc[ok, cols["name"]].astype(str).to_numpy(),
                          "error": 100.0 * (sim[ok] / obs[ok] - 1.0)})
    if "sigma" in df.columns:
        table["sigma"] = 100.0 * pd.to_numeric(df.loc[ok, "sigma"], errors="coerce").to_numpy(float)
    shown = table.reindex(table["error"].abs().sort_values(ascending=False).index).head(max_targets)
    shown = shown.iloc[::-1]
    fig = figure(7.5, max(3.0, 0.8 + 0.22 * len(shown)))
    ax = fig.add_subplot()
    y = np.arange(len(shown))
    if "sigma" in shown.columns:
        ax.barh(y, 2 * shown["sigma"], left=-shown["sigma"], color="#dddddd", height=0.7,
                label="± target's error scale (sigma)")
    colours = ["#D55E00" if v < 0 else "#0072B2" for v in shown["error"]]
    ax.scatter(shown["error"], y, color=colours, zorder=3, label="model error")
    ax.axvline(0, color="#333333", lw=0.8)
    ax.set_yticks(y, shown["name"], fontsize=7.5)
    ax.set_xlabel("simulated ÷ observed − 1 (%)")
    ax.set_ylabel("calibration target")
    ax.grid(axis="y", visible=False)
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=2)
    title = "Calibration fit"
    ax.set_title(title)
    worst = f"the {len(shown)} largest of {len(table)}" if len(table) > len(shown) else f"all {len(table)}"
    return render(fig, "calibration", title,
                  f"How far the model is from each calibration target in calibration.csv "
                  f"({worst} targets): 0 % is an exact fit.")


#: every chart of the report by figure name, in reading order; optional ones return None
#: when their CSV is absent
CHARTS = {
    "population_by_oblast": population_by_oblast,
    "population_by_kind": population_by_kind,
    "capital_growth": capital_growth,
    "registration_gap": registration_gap,
    "registration_by_destination": registration_by_destination,
    "abroad": abroad,
    "town_fates": town_fates,
    "directions": directions,
    "comparison": comparison,
    "comparison_difference": comparison_difference,
    "calibration": calibration,
    "ensemble_bands": ensemble_bands,
}


def all_charts(run: rd.RunData) -> list[Rendered]:
    """Every chart of the report, in reading order (optional ones only when their CSV exists)."""
    return [fig for func in CHARTS.values() if (fig := func(run)) is not None]
