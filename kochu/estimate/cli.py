"""CLI verbs of kochu.estimate: ``kochu calibrate`` (registered by :mod:`kochu.cli`)."""

from __future__ import annotations

import shlex
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import typer

from kochu.errors import KochuError
from kochu.estimate.targets import fit_table

LAST_DATA_YEAR = 2015


def check_train_until(train_until: int | None) -> None:
    """One-line error unless ``train_until`` is a usable training horizon."""
    from kochu.estimate.calibrate import EARLIEST_TRAIN

    if train_until is not None and not (EARLIEST_TRAIN <= train_until <= LAST_DATA_YEAR - 1):
        raise KochuError(f"--train-until {train_until}: expected a year from {EARLIEST_TRAIN} (first census "
                         f"after 1989) to {LAST_DATA_YEAR - 1} (a later year must remain to test the forecast)")


def _forecast_table(atlas, out) -> pd.DataFrame:
    """``year,oblast,population,population_permanent`` (present; permanent = de jure + abroad)."""
    names = atlas.places["name"]
    rows = []
    for y in out.res.years:
        perm = out.by_unit(int(y), "permanent")
        for uid, v in out.by_unit(int(y)).items():
            rows.append({"year": int(y), "oblast": names[uid], "population": round(float(v)),
                         "population_permanent": round(float(perm[uid]))})
    return pd.DataFrame(rows)


def _backtest(atlas, cal, out) -> pd.DataFrame:
    from kochu.estimate.backtest import backtest_table

    year = LAST_DATA_YEAR
    measure = "permanent"
    observed = atlas.population(year, measure, "oblast")
    model = out.by_unit(year, measure)
    censuses = sorted(y for y in (1999, 2009) if y <= cal.train_until)
    if len(censuses) < 2:
        censuses = [1989, censuses[-1]]
    early = atlas.population(censuses[0], "de_facto", "oblast")
    base = atlas.population(censuses[-1], "de_facto", "oblast")
    held = {"model held": out.by_unit(censuses[-1], measure)}
    table = backtest_table(observed, model, early, base, censuses[1] - censuses[0], year - censuses[1], held)
    names = atlas.places["name"]
    table.index = [names.get(i, i) for i in table.index]
    table.attrs["note"] = (
        f"Trained on data ≤ {cal.train_until}: nothing dated later is read — targets, atlas populations and "
        f"attributes, vital rates, national UN series and international migration, the drivers' oblast "
        f"indicators, national series, regime anchors and events (kochu.estimate.backtest.information_set, "
        f"build_drivers(data_until={cal.train_until})); after {cal.train_until} every input carries its last "
        f"known value (the rule the full forecast uses after 2015), later events are dropped. The forecast jumps "
        f"off from the {censuses[-1]} census stocks and gives the {year} *permanent* count (registered "
        f"residents + those temporarily abroad, kochu.projection.dejure), the measure of the {year} "
        f"estimates. Baselines: persistence of the {censuses[-1]} census shares and the linear trend "
        f"{censuses[0]}→{censuses[-1]} extrapolated {year - censuses[-1]} years; `model held` = the "
        f"model's own {censuses[-1]} {measure} shares held (what the measure conversion alone gains, without "
        f"{censuses[-1]}→{year} dynamics). MAPE of shares, percent.")
    return table


def register(app: typer.Typer) -> None:
    """Add ``kochu calibrate`` to the ``kochu`` command."""

    @app.command("calibrate")
    def calibrate_cmd(
        train_until: int = typer.Option(None, "--train-until", help="Use only data up to this year "
                                        "(backtest: forecast 2015 and compare with the 2015 estimates)."),
        out: Path = typer.Option(None, "--out", help="Output folder (default: calibration/ or "
                                 "calibration/backtest-YEAR/)."),
        atlas_dir: Path = typer.Option(None, "--atlas", help="Atlas folder (default: embedded Kyrgyzstan)."),
        max_evals: int = typer.Option(400, "--max-evals", min=1, help="Budget of projection runs (approximate)."),
        sim_scale: float = typer.Option(0.02, "--sim-scale", help="Scale of the final agent-based check."),
        sim_corrections: int = typer.Option(1, "--sim-corrections", min=0, help="Rounds of output space "
                                            "mapping: recalibrate the projection shifted by the sim's deviations."),
        no_sim: bool = typer.Option(False, "--no-sim", help="Skip the final agent-based simulation check."),
        sim_fit_runs: int = typer.Option(120, "--sim-fit", min=0, help="Budget of small-scale simulation runs (points × "
                                    "--sim-replicates) for the direct fit on the simulation with the seed's facts "
                                    "as constraints (full runs only; 0 = keep the space-mapped projection's values)."),
        forecast_until: int = typer.Option(2050, "--forecast-until", help="Last forecast year (≤ 2050)."),
        write_defaults: bool = typer.Option(True, "--write-defaults/--no-write-defaults",
                                            help="Write kochu/estimate/data/calibrated.json (full runs only)."),
        workers: int = typer.Option(2, "--workers", help="Local Dask worker processes for the simulation runs."),
        scheduler: str = typer.Option(None, "--scheduler", help="Address of an existing Dask scheduler "
                                      "(instead of local workers)."),
        sim_replicates: int = typer.Option(3, "--sim-replicates", help="Seeds per simulated parameter point "
                                           "(the same seeds at every point; loss on the replicate mean)."),
    ) -> None:
        """Calibrate the simulation's behaviour parameters to every target; write the fit report."""
        check_train_until(train_until)
        if not (LAST_DATA_YEAR <= forecast_until <= 2050):
            raise KochuError(f"--forecast-until {forecast_until}: expected a year from {LAST_DATA_YEAR} to 2050")
        if not (0 < sim_scale <= 1):
            raise KochuError(f"--sim-scale {sim_scale}: expected a number in (0, 1]")
        _check_sim_flags(workers, scheduler, sim_replicates)
        from rich.progress import BarColumn, Progress, TextColumn

        from kochu.atlas import load_atlas
        from kochu.estimate import calibrate as C
        from kochu.estimate.report import write_report

        atlas = load_atlas(atlas_dir)
        out = out or (Path("calibration") if train_until is None else Path("calibration") / f"backtest-{train_until}")
        n_free = len(C.FREE) + 1
        with Progress(TextColumn("calibrating: {task.fields[info]}"), BarColumn(), transient=True) as bar:
            task = bar.add_task("cal", total=max_evals, info="")

            def tick(i: int, loss: float) -> None:
                bar.update(task, completed=min(i, max_evals), info=f"run {i}, loss {loss:,.1f}")

            cal = C.calibrate(atlas, train_until, max_evals=max(1, max_evals // n_free), progress=tick)
        sim_fit, note, sim_values = None, "", dict(cal.values)
        runs = _sim_runs(atlas, cal, out, sim_scale, workers, scheduler, sim_replicates, train_until)
        if not no_sim:
            try:
                sim_fit = _check(runs, atlas, cal.values, cal.targets, sim_scale, "simulation check")
            except Exception as exc:  # noqa: BLE001 — keep the projection's calibration if the sim fails
                no_sim, note = True, f"The simulation check failed ({type(exc).__name__}: {exc}); not applied."
                typer.echo(f"warning: simulation check failed: {type(exc).__name__}: {exc}", err=True)
        if not no_sim and sim_fit is not None:
            history = [f"round 0 (projection's own calibration): simulation loss {_loss(sim_fit):,.1f}"]
            mapped_fit = cal.fit
            for k in range(sim_corrections if train_until is None else 0):
                offset = C.sim_residuals(sim_fit, mapped_fit)
                with Progress(TextColumn("space mapping: {task.fields[info]}"), BarColumn(), transient=True) as bar:
                    task = bar.add_task("sm", total=max_evals, info="")
                    cal2 = C.calibrate(atlas, train_until, max_evals=max(1, max_evals // n_free), offset=offset,
                                       start=sim_values, progress=lambda i, loss, b=bar, t=task: b.update(
                                           t, completed=min(i, max_evals), info=f"run {i}, loss {loss:,.1f}"))
                try:
                    sim2 = _check(runs, atlas, cal2.values, cal2.targets, sim_scale, f"simulation check {k + 1}")
                except Exception as exc:  # noqa: BLE001 — keep the last good round
                    history.append(f"round {k + 1}: simulation failed ({type(exc).__name__}); stopped")
                    break
                history.append(f"round {k + 1}: simulation loss {_loss(sim2):,.1f}")
                if _loss(sim2) >= _loss(sim_fit):
                    history[-1] += " (not better: kept the previous round)"
                    break
                sim_values, sim_fit, mapped_fit = dict(cal2.values), sim2, cal2.fit
            note = note or (f"Final check: the agent-based simulation (kochu.sim.Sim, scale {sim_scale}, "
                    f"{_seeds_text(runs)}), evaluated "
                    "on the same targets (column `simulation`), with the parameters written as the simulation's "
                    "defaults. Output space mapping (full runs): the projection stands in for the simulation; "
                    "each round shifts its residuals by the simulation's deviations from it and recalibrates ("
                    + "; ".join(history) + "). The simulation models international moves as behaviours "
                    "(emigration, labour abroad); the projection takes them from the sourced national series.")
        chosen_params, defaults_note, final_fit, sim_extra = None, "", None, []
        if not no_sim and sim_fit_runs > 0 and train_until is None:
            chosen_params, defaults_note, final_fit, sim_extra = _sim_fit(atlas, cal, sim_values, sim_scale,
                                                                         sim_fit_runs, runs)
        runs.close()
        if sim_fit is not None and "fitted_lo" in sim_fit:
            sim_extra = [*sim_extra, _spread_section(runs, final_fit.fit if final_fit is not None else sim_fit)]
        proj = C.Projector(atlas, last_data_year=train_until or LAST_DATA_YEAR, data_until=train_until)
        full = proj.outputs(cal.values, forecast_until,
                            jump_off=C.latest_stock(proj.atlas, train_until or LAST_DATA_YEAR))
        forecast = _forecast_table(atlas, full)
        backtest = _backtest(atlas, cal, full) if train_until is not None else None
        undercount, extra = None, []
        if train_until is None:
            from kochu.estimate.registration import data_from_atlas, fit_registration, sensitivity

            reg_data = data_from_atlas(atlas)
            est = fit_registration(reg_data)
            undercount = est.summary()
            undercount.attrs["note"] = (
                "kochu.estimate.registration (emcee, 90 % intervals): share of true arrivals not registered, "
                "and true arrivals per year. Identification: accounting floors on true moves, the seed's ≥ 32 % "
                "(survey lower bound), the IRIN 2004 registered-migrant stock of Bishkek, the seed's ordering "
                "(Bishkek, Osh city) and a prior on the move rate; other destinations' contrasts rest on the "
                "prior (wide intervals).")
            extra.append(("Undercount: what identifies it (sensitivity)",
                          "The same model refitted without each identifying piece (1999-2009 window; median "
                          "[90 % interval]). Where an interval does not move, the data say nothing beyond it.",
                          sensitivity(reg_data)))
        command = "kochu calibrate " + " ".join(shlex.quote(a) for a in sys.argv[1:] if a != "calibrate")
        out.mkdir(parents=True, exist_ok=True)
        if undercount is not None:
            undercount.to_csv(out / "undercount.csv", index=False)
        if backtest is not None:
            backtest.to_csv(out / "backtest.csv", index_label="unit")
        else:
            backtest = _collect_backtests(out)
        projection_final = None
        extra = sim_extra + extra
        if chosen_params is not None:
            sim_fit = final_fit.fit
            vals = {**chosen_params, **C.split(cal.values)[1]}
            projection_final = fit_table(cal.targets, proj.outputs(vals, max(t.year for t in cal.targets) + 1))
            note = (f"Final check: the agent-based simulation (kochu.sim.Sim, scale {sim_scale}, "
                    f"{_seeds_text(runs)}) with the "
                    "written defaults, on the same targets (column `simulation`); `projection_final` = the "
                    "projection with those defaults. " + defaults_note)
        path = write_report(cal, atlas, out, command.strip(), sim_fit, backtest, forecast, undercount, note, extra,
                            sim_values=sim_values if chosen_params is None else chosen_params,
                            projection_final=projection_final)
        sim_cal = replace(cal, values=sim_values)
        kw = {} if chosen_params is None else {
            "parameters": chosen_params, "note": defaults_note,
            "method": "kochu.estimate.simfit: scipy.optimize.least_squares (trf) on the agent-based simulation "
                      f"(scale {sim_scale}, {_seeds_text(runs)}): standardised log errors of the replicate mean + "
                      "the seed's facts as hinge constraints",
            "extra": {"simulation_loss": round(final_fit.target_loss, 4),
                      "simulation_fact_penalty": round(final_fit.fact_loss, 4),
                      "facts_kept": f"{final_fit.facts_ok}/{len(final_fit.facts)}"}}
        C.write_defaults(sim_cal, atlas, out / "calibrated.json", projection_values=cal.values, **kw)
        if train_until is None and write_defaults:
            C.write_defaults(sim_cal, atlas, projection_values=cal.values, **kw)
        typer.echo(f"loss {cal.start_loss:,.1f} -> {cal.loss:,.1f} over {len(cal.targets)} targets; report: {path}")
        if backtest is not None and "MAPE %" in backtest.index:
            m = backtest.loc["MAPE %"]
            typer.echo(f"backtest MAPE of shares: model {m['model']:.2f} %, persistence {m['persistence']:.2f} %, "
                       f"trend {m['trend']:.2f} %")


def _check_sim_flags(workers: int, scheduler: str | None, replicates: int) -> None:
    """One-line errors for the simulation-run flags of ``kochu calibrate``."""
    from kochu.estimate.simruns import check_replicates

    if scheduler is None and workers < 1:
        raise KochuError(f"--workers {workers}: expected a whole number ≥ 1")
    if scheduler is not None and not scheduler.strip():
        raise KochuError("--scheduler: expected an address such as tcp://host:8786, got an empty string")
    check_replicates(replicates)


def _sim_runs(atlas, cal, out: Path, scale: float, workers: int, scheduler: str | None, replicates: int,
              data_until: int | None = None):
    """The calibration's simulation runs: ``OUT/sim-runs/`` on Dask (kochu.estimate.simruns); a
    backtest's (``data_until``) see only the information set of that year."""
    from kochu.estimate.simruns import SimRuns

    return SimRuns(Path(out) / "sim-runs", atlas, list(cal.targets), scale=scale, replicates=replicates,
                   workers=workers, scheduler=scheduler, data_until=data_until)


def _seeds_text(runs) -> str:
    return (f"{runs.replicates} replicate seed{'s' if runs.replicates > 1 else ''} "
            f"{', '.join(map(str, runs.seeds))} (replicate mean)")


class _RunBar:
    """A rich progress bar advanced by each finished simulation run (``runs.on_task``)."""

    def __init__(self, runs, label: str, total: int) -> None:
        self.runs, self.label, self.total = runs, label, total

    def __enter__(self):
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.bar = Progress(TextColumn(self.label + ": {task.fields[info]}"), BarColumn(), MofNCompleteColumn(),
                            TimeElapsedColumn(), transient=True)
        self.bar.__enter__()
        self.task = self.bar.add_task("runs", total=self.total, info="")
        self.runs.on_task = lambda tid, secs: self.bar.advance(self.task)
        return self

    def update(self, done: int, info: str) -> None:
        self.bar.update(self.task, completed=done, info=info)

    def __exit__(self, *exc: object) -> None:
        self.runs.on_task = None
        self.bar.__exit__(*exc)


def _check(runs, atlas, values, targets, scale: float, label: str) -> pd.DataFrame:
    """``calibrate.sim_check`` (or ``backtest_sim_check`` when ``runs.data_until`` is set) on the
    calibration's runs, with a progress bar."""
    from kochu.estimate import calibrate as C

    with _RunBar(runs, label, runs.replicates):
        if runs.data_until is not None:
            return C.backtest_sim_check(atlas, values, targets, runs.data_until, scale=scale, runs=runs)
        return C.sim_check(atlas, values, targets, scale=scale, runs=runs)


def _spread_section(runs, fit: pd.DataFrame) -> tuple[str, str, pd.DataFrame]:
    from kochu.estimate.simruns import spread_table

    return ("Simulation replicates: mean and spread per target",
            f"The final simulation check's {runs.replicates} replicates (seeds {', '.join(map(str, runs.seeds))}, "
            "the same at every parameter point): `simulation (mean)` is the column `simulation` above, `min`/`max` "
            f"the replicates' range. Simulation runs: {runs.runs} ({runs.reused} re-used from complete folders "
            f"under `sim-runs/`), {runs.seconds:.0f} s.", spread_table(fit))


def _sim_fit(atlas, cal, mapped: dict[str, float], scale: float, runs: int, sim_runs=None):
    """Fit on the simulation with facts as constraints; choose among hand-set, mapped, fitted.

    Returns (parameters to write, note, chosen evaluation, extra report sections).
    """
    from kochu.estimate import calibrate as C
    from kochu.estimate import simfit as SF
    from kochu.sim.params import HAND_SET

    taken = {k: float(cal.values[k]) for k in SF.FROM_PROJECTION if k in cal.values}
    hand = {**HAND_SET, **taken}
    if sim_runs is None:
        sim_runs = _sim_runs(atlas, cal, Path("calibration"), scale, 2, None, 3)
    keys = list(SF.SIM_FREE)
    with _RunBar(sim_runs, "starting points", 2 * sim_runs.replicates) as bar:
        hand_ev, mapped_ev = SF.evaluate_many(sim_runs, [hand, {**hand, **C.split(mapped)[0]}])
    # start from the better of the two (facts kept, then target loss); prune back toward it
    start_name = SF.choose({"hand-set": hand_ev, "projection (space-mapped)": mapped_ev})
    start = hand_ev.values if start_name == "hand-set" else mapped_ev.values
    taken = {k: float(start[k]) for k in taken}  # as used: the space-mapped round's value if that start won
    with _RunBar(sim_runs, "simulation fit", runs) as bar:
        sc = SF.calibrate_sim(sim_runs, start, max_runs=runs, progress=lambda i, loss, best: bar.update(
            i, f"run {i}, loss {loss:,.1f} (best {best:,.1f})"))
    with _RunBar(sim_runs, "pruning", sim_runs.replicates * (len(keys) + 1)) as bar:
        pruned, reverted = SF.prune(sim_runs, sc.best, start, keys)
    cands = {"hand-set": hand_ev, "projection (space-mapped)": mapped_ev, "simulation fit": pruned}
    name = SF.choose(cands)
    chosen = cands[name]
    params = {k: round(chosen.values[k], 6) for k in [*keys, *taken]}
    note = (f"Defaults chosen among {', '.join(cands)} by facts kept, then simulation loss: **{name}** "
            f"({chosen.facts_ok}/{len(chosen.facts)} facts, target loss {chosen.target_loss:,.1f}). "
            f"Simulation fit: {sc.evaluations} runs ({sc.points} point{'s' if sc.points != 1 else ''} × "
            f"{sim_runs.replicates} replicates; "
            f"Jacobians as parallel batches), {sc.seconds:.0f} s, loss {sc.start.loss:,.1f} → "
            f"{sc.best.loss:,.1f} (targets + fact penalties) from the {start_name} values (the better "
            f"start); then each fitted value set back to its starting "
            f"value in turn, kept when no fact is lost and the loss does not grow: "
            f"{', '.join(reverted) or 'none'} reverted (loss {pruned.loss:,.1f}).")
    if name == "hand-set":
        note += " The fitted sets were not better on the facts and targets: the hand-set values are written."
    prow = pd.DataFrame([{"parameter": k, "hand-set": hand[k], "projection (space-mapped)": cands[
        "projection (space-mapped)"].values[k], "simulation fit": sc.best.values[k], "written": params[k],
        "bounds": f"[{SF.SIM_FREE[k].lo:g}, {SF.SIM_FREE[k].hi:g}]"} for k in keys])
    other = "hand-set" if name != "hand-set" else "simulation fit"
    wins = SF.wins_table(name, chosen, other, cands[other])
    counts = wins["closer"].value_counts().to_dict()
    extra = [
        ("Calibration on the simulation (facts as constraints)",
         "kochu.estimate.simfit: the agent-based simulation itself (scale "
         f"{scale}, {_seeds_text(sim_runs)}, to 2016; runs on Dask through kochu.runs.ensemble, resumable "
         "from `sim-runs/`) scored on every target plus the seed's facts (issue 4) as hinge "
         "penalties; `scipy.optimize.least_squares` from the better of the hand-set and the space-mapped "
         f"projection's values. Taken from the projection's calibration as they are (demography, with its "
         f"prior; the value of the chosen start): {', '.join(f'{k} = {v:.4g}' for k, v in taken.items()) or 'none'}. " + note,
         SF.summary_table(cands)),
        ("Parameters of the simulation (written defaults)", "", prow),
        ("The seed's facts under each set", "Net internal migration between first-level units 1989-2009 "
         "(people), inter-oblast peak ratio, unregistered shares 1999-2009, mining-town change 1989-2009.",
         SF.facts_comparison(cands)),
        (f"Which targets each set wins ({name} vs {other})", f"Closer to the observation: {counts}.", wins),
    ]
    return params, note, chosen, extra


def _loss(fit: pd.DataFrame) -> float:
    """Sum of squared standardised log errors of a fit table."""
    r = np.log((fit["fitted"] / fit["observed"]).clip(lower=1e-6)) / fit["sigma"]
    return float((r[np.isfinite(r)] ** 2).sum())


def _collect_backtests(out: Path) -> pd.DataFrame | None:
    """A backtest table written earlier under ``out/backtest-*/`` (for the main report)."""
    found = sorted(out.glob("backtest-*/backtest.csv"))
    if not found:
        return None
    table = pd.read_csv(found[-1], index_col="unit")
    table.attrs["note"] = (f"From `{found[-1].parent.name}` (`kochu calibrate --train-until "
                           f"{found[-1].parent.name.split('-')[-1]}`): forecast of 2015 oblast shares vs the 2015 "
                           "estimates (permanent); baselines: persistence of 2009 census shares, linear trend "
                           "1999→2009. MAPE of shares, percent.")
    return table
