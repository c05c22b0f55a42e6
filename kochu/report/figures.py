"""Deterministic matplotlib figures: one style, one way to save them.

Every figure of the report and the dashboard goes through :func:`figure` (a fresh
:class:`~matplotlib.figure.Figure` on the Agg canvas, never pyplot's global state) and
:func:`render` (PNG and SVG bytes). Rebuilding a report from the same run gives byte-identical
files: the SVG hash salt and the metadata (date, software) are fixed, and nothing random is
drawn.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # headless; must precede any pyplot import anywhere in the process

from matplotlib import rcParams  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

#: fixed salt so SVG element ids are the same on every rebuild
SVG_HASHSALT = "kochu-report"
#: metadata written into figures: fixed values only (no dates), so rebuilds are byte-identical
PNG_METADATA = {"Software": "kochu report (matplotlib Agg)"}
SVG_METADATA = {"Date": None, "Creator": "kochu report (matplotlib)"}
DPI = 110

#: colours per place kind (capital, city, town, rural, informal) — colour-blind safe (Okabe–Ito)
KIND_COLOURS = {
    "capital": "#D55E00",
    "city": "#0072B2",
    "town": "#009E73",
    "rural": "#E69F00",
    "informal": "#CC79A7",
}
#: a colour cycle for oblasts and scenarios (Okabe–Ito plus greys)
CYCLE = [
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#E69F00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
    "#999999",
    "#8C564B",
]

_STYLE = {
    "svg.hashsalt": SVG_HASHSALT,
    "svg.fonttype": "none",  # text stays text (editable in papers)
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10.5,
    "axes.titleweight": "bold",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "path.simplify": True,
}


@dataclass(frozen=True)
class Rendered:
    """One finished figure: its file stem, title, one-line caption and bytes."""

    name: str
    title: str
    caption: str
    png: bytes
    svg: bytes


def figure(width: float = 7.5, height: float = 4.2) -> Figure:
    """A new figure (inches) with the report style, on its own Agg canvas."""
    rcParams.update(_STYLE)
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def render(fig: Figure, name: str, title: str, caption: str) -> Rendered:
    """Save ``fig`` as PNG and SVG bytes with fixed metadata (byte-identical on rebuild)."""
    rcParams.update(_STYLE)
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=DPI, metadata=PNG_METADATA)
    svg = io.BytesIO()
    fig.savefig(svg, format="svg", metadata=SVG_METADATA)
    return Rendered(name=name, title=title, caption=caption, png=png.getvalue(), svg=svg.getvalue())


def thousands(x: float, _pos: object = None) -> str:
    """Tick formatter: 1 234 567 → '1.23 M', 12 345 → '12.3 k', 0.25 → '0.25'."""
    ax = abs(x)
    if ax >= 1e6:
        return f"{x / 1e6:.2f} M"
    if ax >= 1e3:
        return f"{x / 1e3:.0f} k" if ax >= 1e5 else f"{x / 1e3:.1f} k"
    return f"{x:.3g}"
