"""One call from an atlas and parameters to a projection of its settlements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kochu.projection.from_sim import migration_model
from kochu.projection.inputs import DemographicRates, DemographyOptions, initial_population
from kochu.projection.model import CohortProjection, ProjectionResult


def project(atlas, until: int, params: Mapping[str, float] | None = None,
            options: DemographyOptions | None = None, start_year: int = 1989,
            places: Sequence[str] | None = None, snapshot_years: Sequence[int] = ()) -> ProjectionResult:
    """Project ``places`` (default: the atlas's settlements) from ``start_year`` to ``until``.

    ``params`` are simulation behaviour parameters (:mod:`kochu.sim.params` names);
    ``options`` the projection's demographic settings (:class:`DemographyOptions`).
    """
    ids = list(places) if places is not None else list(atlas.settlements.index)
    model = CohortProjection(
        ids, initial_population(atlas, ids, start_year), start_year,
        rates=DemographicRates(atlas, ids, options), migration=migration_model(atlas, ids, params),
        snapshot_years=snapshot_years,
    )
    return model.run(until)
