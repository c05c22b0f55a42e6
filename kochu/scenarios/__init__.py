"""kochu.scenarios: the scenario file format, intervention plug-ins and side-by-side runs.

- :mod:`~kochu.scenarios.schema` — the TOML format (name, description, base, horizon, seeds,
  scale, ``[[interventions]]``) validated with pydantic; one-line errors (:class:`~kochu.errors.ScenarioError`);
- :mod:`~kochu.scenarios.io` — read (``base`` resolved, places checked against the atlas) and
  write (``dumps``: scenario → TOML text → the same scenario);
- :mod:`~kochu.scenarios.base` and :mod:`~kochu.scenarios.interventions` — the plug-ins
  (``init``/``step``/``finalize``/``to_dict``): jobs, transport, registration_reform,
  legalisation, hazard, border_resettlement, farm_subsidy, capital_housing;
- :mod:`~kochu.scenarios.hooks` — the only module that touches the simulation (the hooks of
  ``kochu.sim.Sim``);
- :mod:`~kochu.scenarios.compare` — ``kochu compare``: every scenario on the same seeds.

>>> from kochu.scenarios import load_scenario, dumps
>>> sc = load_scenario("scenarios/railway_jobs.toml", atlas)   # doctest: +SKIP
>>> Sim(atlas, scenario=sc, seed=1).run()                      # doctest: +SKIP
"""

from kochu.scenarios.base import INTERVENTIONS, Intervention, register
from kochu.scenarios.io import check_places, dumps, load_scenario, loads, write_scenario
from kochu.scenarios.schema import BASELINE, Scenario, parse_intervention, parse_scenario

__all__ = [
    "BASELINE",
    "INTERVENTIONS",
    "Intervention",
    "Scenario",
    "check_places",
    "dumps",
    "load_scenario",
    "loads",
    "parse_intervention",
    "parse_scenario",
    "register",
    "write_scenario",
]
