"""kochu.drivers — the push–pull world people respond to, with sources.

::

    from kochu.atlas import load_atlas
    from kochu.drivers import build_drivers
    d = build_drivers(load_atlas(), start=1989, end=2050)
    d.pull["income"]          # (n_years, n_places), z-scores against the 2009 cross-section
    d.regime                  # historical regimes by year (propiska, subsidies, mines, emigration, ...)
    d.events                  # dated events (2010 Osh violence, 2008 Nura earthquake, ...)
    d.sources["income"]       # source and method of every component and regime column
    build_drivers(atlas, data_until=2009)  # the information set of a backtest: nothing after 2009

Modules: :mod:`~kochu.drivers.panel` (components per place and year),
:mod:`~kochu.drivers.oblast` (back-cast / carry-forward of oblast series),
:mod:`~kochu.drivers.regimes` (the historical timeline), :mod:`~kochu.drivers.events`,
:mod:`~kochu.drivers.sources` (the sourced data files in ``data/``).
No behaviour lives here: how people respond is ``kochu.sim``'s business.
"""

from kochu.drivers.core import Drivers, build_drivers
from kochu.drivers.events import Event
from kochu.drivers.panel import COMPONENTS
from kochu.drivers.regimes import REGIME_COLUMNS

__all__ = ["COMPONENTS", "REGIME_COLUMNS", "Drivers", "Event", "build_drivers"]
