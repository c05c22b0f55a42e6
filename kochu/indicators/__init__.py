"""kochu.indicators: the numbers planners ask about, computed from a run's tables.

>>> from kochu.indicators import compute, compare
>>> table = compute({"population": pop, "flows": flows, "events": events}, atlas)  # doctest: +SKIP
>>> side = compare({"baseline": t0, "railway_jobs": t1}, baseline="baseline")       # doctest: +SKIP

Definitions live in the docstrings of :mod:`~kochu.indicators.balance`,
:mod:`~kochu.indicators.places` and :mod:`~kochu.indicators.migration`; the list of names in
:mod:`~kochu.indicators.compute`.
"""

from kochu.indicators.compare import compare, headline, side_by_side
from kochu.indicators.compute import compute
from kochu.indicators.places import depopulating_towns

__all__ = ["compare", "compute", "depopulating_towns", "headline", "side_by_side"]
