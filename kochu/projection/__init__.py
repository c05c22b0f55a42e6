"""kochu.projection: the multiregional cohort-component model (age × sex × place, yearly).

The fast macro twin of the simulation: same demographic inputs, same migration rules
(:mod:`kochu.projection.from_sim`), solved in expectation with numpy.

>>> from kochu.atlas import load_atlas
>>> from kochu.projection import project
>>> res = project(load_atlas(), until=2030)          # doctest: +SKIP
"""

from kochu.projection.model import CohortProjection, Migration, ProjectionResult, YearRates, step
from kochu.projection.run import project

__all__ = ["CohortProjection", "Migration", "ProjectionResult", "YearRates", "project", "step"]
