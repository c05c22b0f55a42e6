"""The calibration report: ``report.md``, ``fit.csv``, plots, forecasts (written atomically)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from kochu.estimate.calibrate import FREE, PROJECTION_ONLY, Calibration


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _md_table(df: pd.DataFrame, floatfmt: str = "{:,.4g}") -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in df.iterrows():
        cells = []
        for v in row:
            if isinstance(v, float | np.floating):
                cells.append("" if np.isnan(v) else floatfmt.format(v))
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plots(cal: Calibration, atlas, out: Path, sim_fit: pd.DataFrame | None = None) -> list[str]:
    """Fitted vs observed oblast populations over time, and target errors. Returns file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = cal.result
    outp = cal.outputs
    names = atlas.places.loc[outp.units, "name"].tolist()
    years = res.years
    series = np.array([outp.by_unit(int(y)).to_numpy() for y in years])
    perm_series = np.array([outp.by_unit(int(y), "permanent").to_numpy() for y in years])
    nrow = int(np.ceil(len(names) / 3))
    fig, axes = plt.subplots(nrow, 3, figsize=(11, 3 * nrow), sharex=True, squeeze=False)
    table = atlas.population_table("de_facto", "oblast")
    perm = atlas.population_table("permanent", "oblast")
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    for k, (ax, uid, nm) in enumerate(zip(axes.ravel(), outp.units, names, strict=False)):
        ax.plot(years, series[:, k] / 1e3, color="C0", label="projection: present")
        ax.plot(years, perm_series[:, k] / 1e3, color="C3", ls="--", lw=1, label="projection: permanent")
        obs = table.loc[uid].dropna()
        ax.plot(obs.index, obs.to_numpy() / 1e3, "o", color="k", ms=4, label="census / estimate (de facto)")
        po = perm.loc[uid].dropna() if uid in perm.index else pd.Series(dtype=float)
        ax.plot(po.index, po.to_numpy() / 1e3, "s", mfc="none", color="C3", ms=4, label="estimate (permanent)")
        if cal.train_until:
            ax.axvline(cal.train_until, color="grey", ls=":", lw=1)
        ax.set_title(nm, fontsize=10)
        ax.set_ylabel("thousand")
    axes[0, 0].legend(fontsize=7)
    fig.suptitle("Population by first-level unit: calibrated projection vs data")
    fig.tight_layout()
    fig.savefig(out / "populations.png", dpi=110)
    plt.close(fig)

    fit = cal.fit
    fig, ax = plt.subplots(figsize=(9, 11))
    y = np.arange(len(fit))
    ax.barh(y, fit["error"] * 100, color=["C0" if abs(e) <= s else "C3" for e, s in zip(fit["error"], fit["sigma"], strict=True)])
    if sim_fit is not None:
        ax.plot(sim_fit["error"] * 100, y, "k|", ms=9, label="agent-based simulation (scale check)")
        ax.legend(fontsize=8)
    ax.set_yticks(y, fit["target"], fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("fitted / observed − 1 (%) — red: outside the target's error scale")
    ax.set_title("Calibration fit, every target")
    fig.tight_layout()
    fig.savefig(out / "fit_errors.png", dpi=110)
    plt.close(fig)

    flows = np.nansum(res.registered, axis=(1, 2))
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(years[:-1], res.flows.sum(axis=(1, 2)) / 1e3, label="true moves (projection)")
    ax.plot(years[:-1], flows / 1e3, label="registered moves (projection)")
    ax.plot([1991, 1998], [89, 38], "ko", label="registered (statistics)")
    ax.hlines(400 / 11, 1999, 2009, colors="k", label="registered 1999–2009 mean")
    ax.set_ylabel("thousand moves / year")
    ax.legend(fontsize=8)
    ax.set_title("Internal moves between settlements")
    fig.tight_layout()
    fig.savefig(out / "moves.png", dpi=110)
    plt.close(fig)
    return ["populations.png", "fit_errors.png", "moves.png"]


#: the agent-based forecast committed beside the report (``kochu run`` with the default parameters)
SIM_FORECAST = "forecast_population_by_oblast.csv"
SIM_BANDS = "forecast_bands_population_by_oblast.csv"


def sim_forecast_section(out: Path) -> list[str]:
    """Report lines for the agent-based forecast files in ``out`` (if present; see their ``command``)."""
    lines: list[str] = []
    f = out / SIM_FORECAST
    if f.is_file():
        df = pd.read_csv(f)
        cmd = "; ".join(dict.fromkeys(df["command"])) if "command" in df else ""
        table = df.pivot_table(index="oblast", columns="year", values=["population", "population_permanent"])
        table.columns = [f"{m} {y}" for m, y in table.columns]
        lines += ["## Forecast from the default model (agent-based simulation)", "",
                  f"`{SIM_FORECAST}`: `population_by_oblast.csv` rows for 2022 and 2030 (1 January) of "
                  f"`{cmd}` — the simulation with the default parameters (the calibrated file above). "
                  "`population` = present, `population_permanent` = present + residents temporarily abroad.", "",
                  _md_table(table.reset_index(), "{:,.0f}"), ""]
    b = out / SIM_BANDS
    if b.is_file():
        df = pd.read_csv(b)
        cmd = "; ".join(dict.fromkeys(df["command"])) if "command" in df else ""
        lines += ["### Ensemble bands", "",
                  f"`{SIM_BANDS}`: rows for 2022 and 2030 of `bands_population_by_oblast.parquet` from `{cmd}`.",
                  "", _md_table(df.drop(columns=["command"], errors="ignore"), "{:,.0f}"), ""]
    return lines


def write_report(cal: Calibration, atlas, out: Path, command: str, sim_fit: pd.DataFrame | None = None,
                 backtest: pd.DataFrame | None = None, forecast: pd.DataFrame | None = None,
                 undercount: pd.DataFrame | None = None, sim_note: str = "",
                 extra: list[tuple[str, str, pd.DataFrame]] = (), sim_values: dict[str, float] | None = None,
                 projection_final: pd.DataFrame | None = None) -> Path:
    """Write fit.csv, plots and report.md into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    fit = cal.fit.copy()
    if projection_final is not None:
        fit["projection_final"] = projection_final["fitted"].to_numpy()
    if sim_fit is not None:
        fit["simulation"] = sim_fit["fitted"].to_numpy()
        fit["simulation_error"] = sim_fit["error"].to_numpy()
        if {"fitted_lo", "fitted_hi"} <= set(sim_fit.columns):  # replicate spread (kochu.estimate.simruns)
            fit["simulation_lo"] = sim_fit["fitted_lo"].to_numpy()
            fit["simulation_hi"] = sim_fit["fitted_hi"].to_numpy()
    _write(out / "fit.csv", fit.to_csv(index=False))
    figs = plots(cal, atlas, out, sim_fit)
    if forecast is not None:
        _write(out / "forecast_by_oblast.csv", forecast.to_csv(index=False))
    from kochu.sim.params import DEFAULTS, HAND_SET

    prows = []
    for k in FREE:
        unit = "" if k in PROJECTION_ONLY else DEFAULTS[k].unit
        prows.append({"parameter": k, "start": cal.start_values[k], "calibrated (projection)": cal.values[k],
                      "simulation defaults": (sim_values or cal.values).get(k, HAND_SET.get(k, np.nan)),
                      "bounds": f"[{FREE[k].lo:g}, {FREE[k].hi:g}]", "unit": unit,
                      "engine": "projection" if k in PROJECTION_ONLY else "sim + projection"})
    within = (fit["error"].abs() <= fit["sigma"]).mean() * 100
    lines = [
        f"# Calibration report{'' if cal.train_until is None else f' (trained on data ≤ {cal.train_until})'}",
        "",
        f"Produced by `{command}` (kochu.estimate.calibrate). Targets: {len(cal.targets)}; "
        f"projection runs: {cal.evaluations}; {cal.seconds:.0f} s. Loss (sum of squared standardised log "
        f"errors) {cal.start_loss:,.1f} at the simulation's defaults → **{cal.loss:,.1f}** calibrated; "
        f"{within:.0f} % of targets within their error scale.",
        "",
        "Method: the multiregional cohort-component projection (kochu.projection) with the simulation's "
        "own migration rules (kochu.projection.from_sim → kochu.sim.decisions) is the inner loop; "
        "`scipy.optimize.least_squares` (trust-region reflective, bounds) minimises the standardised "
        "log errors. Oblast populations enter as shares of the national total (the level comes from the "
        "sourced vital rates). 2012/2015 estimates are *permanent* counts, the model counts people "
        "present: sending regions (Osh, Batken, Jalal-Abad) are expected to sit below them.",
        "",
        "## Parameters",
        "",
        "`start` = the simulation's defaults before calibration; `calibrated (projection)` = the "
        "projection's own fit (its fit, backtest and forecasts below); `simulation defaults` = the values "
        "written to `kochu/estimate/data/calibrated.json`, the defaults of `kochu run` (fitted on the "
        "agent-based simulation when `--sim-fit` ran, see below; otherwise after output space mapping; "
        "parameters not fitted there keep their hand-set values).",
        "",
        _md_table(pd.DataFrame(prows)),
        "",
        "## Fit to every target",
        "",
        "`error` = fitted / observed − 1; `sigma` = the target's relative error scale"
        + ("; `simulation` = the agent-based simulation with the calibrated parameters (final check; "
           "the mean over its replicate seeds, `simulation_lo`–`simulation_hi` their minimum and maximum)."
           if sim_fit is not None else "."),
        "",
        _md_table(fit.drop(columns=["source"])),
        "",
    ]
    if sim_note:
        lines += [sim_note, ""]
    lines += [f"![{f}]({f})" for f in figs] + [""]
    if backtest is not None:
        lines += ["## Backtest", "", backtest.attrs.get("note", ""), "",
                  _md_table(backtest.reset_index().rename(columns={"index": "unit"}), "{:.4f}"), ""]
    if undercount is not None:
        lines += ["## Registration undercount by destination (1999–2009)", "",
                  undercount.attrs.get("note", ""), "", _md_table(undercount, "{:,.3f}"), ""]
    for title, note, table in extra:
        lines += [f"## {title}", "", note, "", _md_table(table), ""]
    if forecast is not None:
        lines += ["## Forecast (projection, calibrated parameters)", "",
                  "`forecast_by_oblast.csv`: population on 1 January by first-level unit — `population` = "
                  "present, `population_permanent` = registered residents + those temporarily abroad (the "
                  "statistics' permanent count). The forecast jumps off from the latest observed stocks "
                  "(2015 estimates) with the calibrated rules; rates after 2015 are held (constant "
                  "fertility, mortality, emigration rate; the drivers carry their last values).", "",
                  _md_table(forecast[forecast["year"].isin([2015, 2022, 2030, 2040, 2050])]
                            .pivot(index="oblast", columns="year", values="population_permanent")
                            .reset_index(), "{:,.0f}"),
                  ""]
    lines += sim_forecast_section(out)
    lines += ["## Sources of the targets", ""]
    for src in dict.fromkeys(cal.fit["source"]):
        lines.append(f"- {src}")
    _write(out / "report.md", "\n".join(lines) + "\n")
    return out / "report.md"


def refresh_sim_forecast(out: Path) -> Path:
    """Rewrite the agent-based forecast section of ``out/report.md`` from the files beside it
    (after ``kochu run`` / ``kochu ensemble`` wrote them; the rest of the report is kept)."""
    path = out / "report.md"
    text = path.read_text()
    head, sep, tail = text.partition("## Sources of the targets")
    start = head.find("## Forecast from the default model")
    if start >= 0:
        head = head[:start]
    _write(path, head + "\n".join(sim_forecast_section(out)) + ("\n" if sim_forecast_section(out) else "") + sep + tail)
    return path
