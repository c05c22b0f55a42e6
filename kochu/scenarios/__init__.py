"""kochu.scenarios: the scenario file format, intervention plug-ins and side-by-side runs.

>>> from kochu.scenarios import load_scenario, dumps
>>> sc = load_scenario("scenarios/railway_jobs.toml", atlas)   # doctest: +SKIP
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
