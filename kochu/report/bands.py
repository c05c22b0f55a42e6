"""The ensemble chart: population by oblast with quantile bands over replicates.

Drawn when the report is of a ``kochu ensemble`` folder (``bands_population_by_oblast.parquet``
beside ``tasks.parquet``): one panel per first-level unit, the median line and the 5–95 % and
25–75 % bands of the 1 January population over the ensemble's replicates.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator

from kochu.report import data as rd
from kochu.report.figures import CYCLE, Rendered, figure, render, thousands

BANDS_FILE = "bands_population_by_oblast.parquet"


def ensemble_bands(run: rd.RunData) -> Rendered | None:
    """Small multiples: population by oblast, median and bands over replicates per scenario."""
    df = run.bands
    if df is None or df.empty:
        return None
    keys = list(dict.fromkeys(df.sort_values("key")["key"]))
    scenarios = list(dict.fromkeys(df["scenario"]))
    ncols = 3
    nrows = int(np.ceil(len(keys) / ncols))
    fig = figure(9.0, 2.3 * nrows + 0.6)
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    for ax, key in zip(axes.flat, keys, strict=False):
        for i, scen in enumerate(scenarios):
            d = df[(df["key"] == key) & (df["scenario"] == scen)].sort_values("year")
            colour = CYCLE[i % len(CYCLE)]
            ax.fill_between(d["year"], d["q05"], d["q95"], color=colour, alpha=0.18, lw=0)
            ax.fill_between(d["year"], d["q25"], d["q75"], color=colour, alpha=0.30, lw=0)
            ax.plot(d["year"], d["q50"], color=colour, lw=1.4, label=scen)
        ax.set_title(str(key), fontsize=9)
        ax.yaxis.set_major_formatter(FuncFormatter(thousands))
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
    for ax in list(axes.flat)[len(keys):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("people")
    for ax in axes[-1, :]:
        ax.set_xlabel("year")
    if len(scenarios) > 1:
        axes.flat[0].legend(fontsize=7)
    n = int(df["n"].max())
    title = f"Population by oblast over {n} replicates"
    fig.suptitle(title)
    return render(
        fig,
        "ensemble_bands",
        title,
        f"Median (line), 25–75 % and 5–95 % bands (shaded) of the 1 January population over "
        f"{n} replicates with seeds derived from the replicate index.",
    )
