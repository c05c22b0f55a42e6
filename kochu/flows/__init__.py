"""Spatial-interaction models of migration flows.

Estimators (scikit-learn conventions, Poisson maximum likelihood, non-integer flows allowed):
:class:`Gravity`, :class:`Production`, :class:`Attraction`, :class:`Doubly` (constrained models
through balancing factors, not dummy columns) and :class:`Radiation`; :func:`ipf` balances a
table to given margins; :mod:`~kochu.flows.directions` measures the seed's four directions.
"""

from kochu.flows import directions
from kochu.flows.gravity import Attraction, Doubly, Gravity, Production
from kochu.flows.ipf import ipf
from kochu.flows.radiation import Radiation

__all__ = ["Attraction", "Doubly", "Gravity", "Production", "Radiation", "directions", "ipf"]
