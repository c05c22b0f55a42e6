"""The ONE closed parameter set of the agent-based simulation.

Every behavioural coefficient lives here, one line per parameter: name, value, unit, source.
``source`` is either a citation (the seed, ``../shared/data`` files, the literature) or
"set to reproduce <target>" for values chosen by hand so that the run shows a sourced fact
(a later calibration, ``kochu calibrate``, refines those). Rates carry their units:
``/yr`` values are per-year probabilities or hazards and are converted to the monthly step
explicitly in :mod:`kochu.sim.decisions` and :mod:`kochu.sim.demography`.

``Params(**overrides)`` rejects unknown keys and lists the valid ones.

**Defaults.** The values above are the *hand-set* values (:data:`HAND_SET`). ``kochu calibrate``
writes fitted values to ``kochu/estimate/data/calibrated.json``; its ``parameters`` block
replaces the hand-set values it names (:func:`defaults`), and explicit overrides
(``Params(name=value)``, a scenario's ``parameters`` table) win over both. Every ``Params``
records where its defaults came from (``defaults_source``, for the run manifest).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from kochu.errors import KochuError

SEED = "seed ../shared/seed/000_0a698f04e912d04a.txt"


@dataclass(frozen=True)
class Param:
    """One parameter: its value, unit and source."""

    value: float
    unit: str
    source: str


# fmt: off
DEFAULTS: dict[str, Param] = {
    # --- initial population (1989) -------------------------------------------------------
    "household_size": Param(4.6, "persons", "assumption: mean household size 1989 (Soviet census order of magnitude); to be calibrated"),
    "slavic_1989": Param(1_027_585, "persons", "1989 census (demoscope.ru/weekly/ssp/sng_nac_89.php): Russians 916,558 + Ukrainians 108,027 + Belarusians 3,000 (Belarusian stock taken = 1989-95 departures, lower bound); cf. shared data 'Russians 918k (21.2%) in 1990'"),
    "german_1989": Param(101_309, "persons", "1989 census; shared data: 'German population fell from 101.3k (1989)' (Elebaeva 2002)"),
    "ethnic_weight_north": Param(4.0, "ratio", "derived: relative weight of the Slavic/German share in the north vs south (no oblast ethnic table in ../shared/data; seed: Russians in towns and mining settlements)"),
    "ethnic_weight_urban": Param(3.0, "ratio", "derived: relative weight in towns vs villages (seed: Russians in towns)"),
    "ethnic_weight_mining": Param(3.0, "ratio", "derived: relative weight in mining towns (seed: 'the majority of these residents were ethnic Russians'; mining_towns.csv: Naiman ~90% Russians)"),
    "ethnic_share_cap": Param(0.65, "fraction", "derived: cap of the Slavic+German share in any place"),
    "higher_education_share": Param(0.10, "fraction", "assumption: share with higher education (order of magnitude of the 1989 census); to be calibrated"),
    # --- demography ----------------------------------------------------------------------
    "sex_ratio_birth": Param(0.512, "fraction male", "standard human sex ratio at birth (105 boys : 100 girls)"),
    "fertility_peak_age": Param(26.0, "years", "Hadwiger schedule peak; TFR 3.8 (1990) falling to 2.6 (2000), UN WPP 2022 in vital_by_oblast.csv — shape only, scaled to the atlas crude birth rates"),
    "fertility_spread": Param(6.5, "years", "Hadwiger-like schedule width (shape only; level from crude birth rates)"),
    "fertility_slavic_ratio": Param(0.54, "ratio", "fertility of Slavs and Germans relative to the oblast schedule: TFR 2009 Russian 1.57 / Kyrgyz 2.92 (shared data README)"),
    "mortality_gompertz_slope": Param(0.085, "1/yr of age", "Gompertz slope of adult mortality (standard human value ~0.08-0.09); shape only, level from crude death rates"),
    "mortality_infant": Param(0.035, "/yr", "infant hazard relative scale (shape only; scaled to crude death rates)"),
    "mortality_male_excess": Param(1.5, "ratio", "male/female mortality ratio; e0 gap 60.7 vs 67.7 in 1990 (national_un_wpp_1990_2015.csv)"),
    # --- internal moves --------------------------------------------------------------------
    "move_rate_individual": Param(0.007, "/yr", "set to reproduce registered moves 30-40 k/yr 1999-2009 (registered_internal_migration.csv) with the registration gap"),
    "move_rate_family": Param(0.001, "/yr (households)", "set to reproduce the 1990-94 whole-family relocations (seed) and 89 k registered moves in 1991"),
    "great_migration_amplitude": Param(22, "ratio", "family-move hazard multiplier while the drivers' family_move_share = 1 (1989-94); set to reproduce 89 k (1991) -> 38 k (1998) registered moves"),
    "propiska_move_reduction": Param(0.7, "fraction", "share of moves prevented when the propiska is fully enforced (drivers' mobility_control = 1); seed: 'did not allow rural residents to move freely'"),
    "push_strength": Param(0.4, "per s.d. of utility", "out-move hazard multiplier exp(-push*(V_origin-mean)); seed: out-migration from worse-off places"),
    "rural_crisis_push": Param(0.4, "ratio", "extra rural out-move hazard when farm subsidies end (seed: 'cannot survive without state support')"),
    "mining_push": Param(1.0, "ratio", "extra individual out-move hazard in a mining town once its mine closed (closure year per town from mining_closures.csv; seed: Ak-Tyuz, Kok-Jangak; mining_towns.csv -45..-76%); set by hand"),
    "mine_closure_exit": Param(0.118, "/yr (households)", "derived: whole-family exit hazard of a town whose mine closed, h(s) = h0 exp(-s/tau), s = years since the closure (seed: workers 'made redundant and with no other job prospects were forced to migrate'). Fitted exactly to the median excess log-decline vs the own oblast of the 9 atlas mining towns closed by 1994 (censuses 1989/1999/2009, atlas populations.csv; closures mining_closures.csv, taken at 1992): 0.487 in 1989-99 = h0 tau (1 - e^(-7/tau)), 0.177 in 1999-2009 = h0 tau (e^(-7/tau) - e^(-17/tau)) -> h0 = 0.118, tau = 5.96 (tests/test_sim_behaviour.py recomputes it)"),
    "mine_closure_decay_years": Param(5.96, "years", "derived with mine_closure_exit (decay of the closure exit hazard; see there)"),
    "stopover_multiplier": Param(15, "ratio", "seed: regional towns are 'merely stopovers' — movers re-decide soon"),
    "stopover_months": Param(36, "months", "window after arrival in a regional town with a raised move hazard (seed: 'do not often stay for long')"),
    "return_rate": Param(0.02, "/yr", "return moves to the place of origin; assumption, to be calibrated"),
    "age_peak": Param(21.0, "years", "Rogers-Castro model schedule peak (Rogers & Castro 1981); seed: young people and students migrate"),
    # --- destination utility ------------------------------------------------------------------
    "beta_income": Param(0.3, "per s.d.", "seed: 'easier ways to earn money in urban areas'; jobs and incomes the top reason (IOM 2000)"),
    "beta_jobs": Param(0.08, "per s.d.", "seed: search for a job the most important reason (IOM 2000)"),
    "beta_education": Param(0.15, "per s.d.", "seed: Chui and the capital offer more higher education"),
    "beta_health": Param(0.05, "per s.d.", "seed: lack of medical facilities"),
    "beta_land": Param(0.5, "per s.d.", "seed: larger land parcels in the north (2 ha, 21% vs 10%)"),
    "beta_hazard": Param(-0.1, "per s.d.", "seed: environmental degradation in risk-prone areas"),
    "beta_remoteness": Param(-0.15, "per s.d.", "seed: remote villages 'bleak prospects'"),
    "beta_services": Param(0.05, "per s.d.", "seed: poor infrastructure, shortage of basic services"),
    "beta_urban": Param(0.05, "per s.d.", "seed: rural -> urban is one of the four directions"),
    "beta_other": Param(0.05, "per s.d.", "any other standardised driver component"),
    "beta_size": Param(0.8, "per log person", "gravity mass exponent (spatial-interaction convention); set to reproduce Bishkek's share of destinations (42% potential migrants, seed)"),
    "beta_capital": Param(0.5, "utility", "set to reproduce the seed's ranking of destinations: Bishkek 42%, Chui 13%"),
    "beta_network": Param(0.1, "per log(1+migrants per 1000)", "networks: earlier migrants from the same origin raise a destination's pull (seed: relocating families follow earlier movers)"),
    "beta_same_oblast": Param(0.8, "utility", "moves within the oblast/rayon are easier (seed: 'small-scale migration' to nearby towns)"),
    "beta_valley": Param(0.4, "per 1000 m lower", "seed: mountain -> valley; funded families move to 'lower-lying valleys'"),
    "beta_crowding": Param(10, "per relative growth", "Soviet housing stock: a town growing beyond its 1989 population loses pull (seed: de-urbanisation of small and medium towns); set by hand"),
    "travel_cost_poor": Param(0.45, "per hour", "step migration: without resources only nearby places are reachable (seed); set by hand"),
    "travel_cost_rich": Param(0.12, "per hour", "with resources (savings, education) far destinations are reachable; set by hand"),
    # --- capital housing ----------------------------------------------------------------------
    "capital_housing_slack": Param(0.0, "fraction", "vacant formal capacity in 1989 beyond the drivers' housing_supply_capital index (assumption)"),
    "informal_legalisation_rate": Param(0.10, "/yr", "seed: squats 'finally legalized'; Kalys-Ordo titles a year later (shared data README)"),
    "informal_legalisation_min_age": Param(3.0, "years", "assumption: minimum age of a settlement before legalisation"),
    # --- registration -----------------------------------------------------------------------
    "registration_formal": Param(0.95, "x drivers' registration_propensity", "a move to an ordinary place is registered with the drivers' propensity (1 under the propiska, 0.68 = 1 - 32% after; seed)"),
    "registration_big_city": Param(0.6, "x registration_propensity", "seed: unregistered 'especially in the cities of Bishkek and Osh'; set by hand"),
    "registration_informal": Param(0.25, "x registration_propensity", "seed: squatters cannot register plots; renters rarely need to; set by hand"),
    "registration_family_bonus": Param(0.10, "probability", "families (and, doubled, house buyers with remittance savings) register more often (seed: owners 'first need to register their house')"),
    "late_registration_rate": Param(0.01, "/yr", "unregistered residents of legal places who register later; assumption"),
    # --- international ------------------------------------------------------------------------
    "emigration_slavic": Param(0.09, "/yr at pressure 1", "set to reproduce 296 k Russians + 39 k Ukrainians departing 1989-95 and net -340 k 1989-94 (international_migration_1989_2015.csv)"),
    "emigration_german": Param(0.30, "/yr at pressure 1", "set to reproduce Germans 101.3 k (1989) -> 26.1 k (1995) (Elebaeva 2002)"),
    "emigration_other": Param(0.002, "/yr at pressure 1", "set to reproduce UN WPP net migration after 1995 (national_un_wpp_1990_2015.csv)"),
    "mining_emigration_multiplier": Param(1.5, "ratio", "emigration multiplier in a mining town once its mine closed; seed: mining-town Russians 'migrated to Russia'; set by hand"),
    "abroad_rate": Param(0.14, "/yr at demand 1", "set to reproduce ~330 k temporarily absent at the 2009 census (international_migration_1989_2015.csv)"),
    "abroad_return_rate": Param(0.35, "/yr", "mean stay abroad ~3 years (assumption; seasonal + long stays)"),
    "abroad_settle_rate": Param(0.04, "/yr", "labour migrants who stay abroad for good (shared data: 910 k departures 1991-2013, ~540 k took Russian citizenship)"),
    "seasonal_amplitude": Param(0.5, "relative", "spring departures / late-autumn returns (seed: seasonal arrivals and departures)"),
    "remittance_per_month": Param(1.0, "household-months of income", "seed: labour migrants invest earnings; remittances ~21-30% of GDP (World Bank)"),
    "savings_decay": Param(0.02, "/month", "savings spent on living (assumption; applied once a year as (1 - d)^12)"),
    "relocation_cost": Param(40, "household-months of income", "cost of buying a house in a valley/town; set so funded relocations start in the 2000s"),
    "funded_relocation_rate": Param(0.012, "/yr", "households that can pay relocate with this hazard (seed: 'invest their earnings in the relocation of their families')"),
    "displacement_return_months": Param(1.0, "months", "June 2010 Osh displacement: most returned by late June 2010 (UNHCR, shared data; drivers events.csv months_to_return = 1)"),
}
# fmt: on

#: the hand-set values above (before any calibration)
HAND_SET: dict[str, float] = {k: float(p.value) for k, p in DEFAULTS.items()}
#: the calibrated defaults written by ``kochu calibrate`` (its ``parameters`` block)
CALIBRATED_FILE = Path(__file__).resolve().parent.parent / "estimate" / "data" / "calibrated.json"


@lru_cache(maxsize=8)
def _read_defaults(path: str, mtime_ns: int) -> tuple[tuple[tuple[str, float], ...], str]:
    text = Path(path).read_text()
    try:
        block = json.loads(text)["parameters"]
        if not isinstance(block, dict):
            raise TypeError("not an object")
    except (ValueError, KeyError, TypeError) as exc:
        raise KochuError(f"{path}: expected a JSON object with a 'parameters' object ({exc})") from None
    values: dict[str, float] = {}
    for name, v in block.items():
        if name not in DEFAULTS:
            raise KochuError(f"{path}: parameters.{name}: unknown parameter (valid: {', '.join(sorted(DEFAULTS))})")
        try:
            fv = float(v)
        except (TypeError, ValueError):
            fv = float("nan")
        if fv != fv or fv in (float("inf"), float("-inf")):
            raise KochuError(f"{path}: parameters.{name}: expected a finite number ({DEFAULTS[name].unit}), got {v!r}")
        values[name] = fv
    digest = hashlib.sha256(text.encode()).hexdigest()[:12]
    shown = Path(path)
    root = Path(__file__).resolve().parent.parent.parent
    if shown.is_relative_to(root):
        shown = shown.relative_to(root)
    return tuple(values.items()), f"{shown} (sha256 {digest}; {len(values)} calibrated, the rest hand-set)"


def defaults(path: Path | str | None = None) -> tuple[dict[str, float], str]:
    """The default parameter values and where they come from.

    Hand-set values (:data:`HAND_SET`) with the ``parameters`` block of ``path`` (default
    :data:`CALIBRATED_FILE`) over them; without that file, the hand-set values alone.
    """
    p = Path(path) if path is not None else CALIBRATED_FILE
    if not p.is_file():
        return dict(HAND_SET), "hand-set (kochu/sim/params.py; no calibrated file)"
    items, source = _read_defaults(str(p), p.stat().st_mtime_ns)
    return {**HAND_SET, **dict(items)}, source


class Params(Mapping[str, float]):
    """The closed set of simulation parameters (immutable mapping name → value).

    >>> Params(abroad_rate=0.05)["abroad_rate"]
    0.05
    >>> Params(abroad_rat=0.05)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    KochuError: unknown parameter 'abroad_rat' (valid: ...)
    """

    def __init__(self, values: Mapping[str, Any] | None = None, **overrides: Any) -> None:
        base, self.defaults_source = defaults()
        merged = {**(values or {}), **overrides}
        unknown = sorted(set(merged) - set(DEFAULTS))
        if unknown:
            raise KochuError(
                f"unknown parameter '{unknown[0]}' (valid: {', '.join(sorted(DEFAULTS))})"
            )
        vals: dict[str, float] = {}
        for name, p in DEFAULTS.items():
            v = merged.get(name, base[name])
            try:
                fv = float(v)
            except (TypeError, ValueError):
                raise KochuError(f"parameter '{name}': expected a number ({p.unit}), got {v!r}") from None
            if fv != fv or fv in (float("inf"), float("-inf")):
                raise KochuError(f"parameter '{name}': expected a finite number ({p.unit}), got {v!r}")
            vals[name] = fv
        self._values = vals
        self._defaults = base

    def __getitem__(self, key: str) -> float:
        try:
            return self._values[key]
        except KeyError:
            raise KochuError(f"unknown parameter '{key}' (valid: {', '.join(sorted(DEFAULTS))})") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def replace(self, **overrides: Any) -> Params:
        """A copy with some values changed (unknown keys rejected)."""
        return Params({**self._values, **overrides})

    def to_dict(self) -> dict[str, float]:
        """Plain dict of all values (for the manifest)."""
        return dict(self._values)

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if v != self._defaults[k]}
        return f"Params({changed})"
