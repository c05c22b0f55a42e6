"""One call from an atlas and parameters to a projection of its settlements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kochu.projection.from_sim import SimContext, SimMigration
from kochu.projection.inputs import DemographicRates, DemographyOptions, initial_population
from kochu.projection.model import CohortProjection, ProjectionResult


def project(atlas, until: int, params: Mapping[str, float] | None = None,
            options: DemographyOptions | None = None, start_year: int = 1989,
            context: SimContext | None = None, snapshot_years: Sequence[int] = ()) -> ProjectionResult:
    """Project the atlas's settlements from ``start_year`` to 1 January ``until``.

    ``params`` are simulation behaviour parameters (:mod:`kochu.sim.params` names) driving the
    migration rules (:mod:`kochu.projection.from_sim`); ``options`` the projection's
    demographic settings (:class:`DemographyOptions`); ``context`` a prebuilt
    :class:`SimContext` (world + drivers) to reuse across many projections.
    """
    ctx = context or SimContext(atlas, start=start_year, end=max(until, 2050))
    ids = ctx.places
    model = CohortProjection(
        ids, initial_population(atlas, ids, start_year), start_year,
        rates=DemographicRates(atlas, ids, options, params=params), migration=SimMigration(ctx, params),
        snapshot_years=snapshot_years,
    )
    return model.run(until)
