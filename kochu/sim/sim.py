"""The agent-based simulation: :class:`Sim` and its monthly loop."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numba as nb
import numpy as np

from kochu.errors import KochuError
from kochu.sim import kernels as K
from kochu.sim.checkpoint import Writer
from kochu.sim.decisions import Decisions, age_profiles
from kochu.sim.demography import Vital
from kochu.sim.events import month_events
from kochu.sim.housing import Housing
from kochu.sim.init import build_population
from kochu.sim.params import Params
from kochu.sim.people import ABROAD, MONTH0_YEAR, People
from kochu.sim.registration import registration_tables
from kochu.sim.results import Results
from kochu.sim.rng import STREAMS, step_key, stream_key
from kochu.sim.world import World, build_world

LOOP_ORDER = (
    "1 demography — monthly birth and death probabilities by oblast, age and sex: the national crude rates "
    "shared by age, ethnic group and the units' relative factors",
    "2 drivers and interventions — January: legalisation of informal settlements, migrant networks; "
    "every month: each intervention's step(sim), then the push–pull utility, destination tables and hazards, "
    "then the month's dated events (legalisations; displacements to the nearest settlement, counted as moves; "
    "refugees abroad, counted as emigration and, on return, immigration)",
    "3 decisions — one fused pass: every person draws death / work abroad / move / return / late registration, "
    "every household draws emigration / a whole-family move (remittance-funded when it can pay), women draw births",
    "4 moves and housing — actors applied in slot order; arrivals in the capital take formal housing while "
    "there is room, the others settle in informal settlements",
    "5 registration — each move registered or not (true and registered flows kept apart)",
    "6 remittances — savings decay (yearly); each member abroad since the month's start adds to the household's savings",
    "7 results — stocks at the start of the month, flows of the month, conservation check",
)


class Sim:
    """Simulate internal and international migration of every person, month by month.

    Lifecycle: ``Sim(atlas, scenario=None, seed=1, scale=1.0, ...)`` → :meth:`init` →
    :meth:`run` (``until=YEAR`` advances the clock to 1 January YEAR; may be called again to
    continue) → :meth:`finalize` (returns :class:`~kochu.sim.results.Results`; the run cannot
    be continued after it) → :meth:`write` (run store + CSV exports).
    ``run(until, checkpoint=DIR)`` saves the whole loop state at year boundaries
    (:mod:`kochu.sim.checkpoint`); :meth:`restore` ``(DIR, until)`` on a new ``Sim`` with the
    same options continues from there with the same results as a straight run.

    Loop order of one month (``Sim.loop_order()`` prints it)::

        1 demography → 2 drivers and interventions → 3 decisions → 4 moves and housing
        → 5 registration → 6 remittances → 7 results

    Interventions are plug-ins with ``init(sim)``, ``step(sim)`` (each month, after the
    drivers are set and before the decisions) and ``finalize(sim)``. They may change only:

    ``sim.pull_adjust[place]``            utility added to a destination (float array, n places)
    ``sim.move_multiplier[place]``        multiplier of out-move hazards from a place
    ``sim.travel_multiplier``             scalar or (n, n) multiplier of travel hours
    ``sim.registration_multiplier[place]`` multiplier of the registration probability at a place
    ``sim.late_registration_multiplier[place]`` multiplier of late registration at a place
    ``sim.capital_housing_extra``         extra formal housing in the capital (people, run scale)
    ``sim.housing.legal[place]``          legal status of informal settlements (0 legal, 1 legalised, 2 illegal)
    ``sim.request_displacement(places, fraction, months)``  displace people next decision phase
    and read anything else (``sim.year``, ``sim.month``, ``sim.t`` (months since January of
    the start year), ``sim.world``, ``sim.people``, ``sim.results``, ``sim.place_index(id)``).
    (``kochu.scenarios.hooks`` is the one module that translates policy levers into these.)

    ``scenario`` may be a :class:`kochu.scenarios.Scenario` (its interventions are added and
    its dict goes to the manifest), a path to a scenario TOML file, or a plain dict (its
    ``parameters`` table overrides :mod:`kochu.sim.params`).
    """

    def __init__(
        self,
        atlas: Any = None,
        scenario: Mapping[str, Any] | None = None,
        seed: int = 1,
        scale: float = 1.0,
        *,
        start: int = 1989,
        end: int = 2050,
        params: Mapping[str, Any] | Params | None = None,
        drivers: Any = None,
        interventions: Sequence[Any] = (),
        migration: bool = True,
        check_conservation: bool = True,
        threads: int | None = None,
        progress: bool = False,
    ) -> None:
        if not (0 < float(scale) <= 1.0):
            raise KochuError(f"scale {scale}: expected a number in (0, 1]")
        if int(end) <= int(start):
            raise KochuError(f"end {end} is not after start {start}")
        self.atlas = atlas
        scenario_ivs: list[Any] = []
        self.scenario_obj: Any = None  # a kochu.scenarios.Scenario when one was given
        if isinstance(scenario, str | Path):
            from kochu.scenarios import load_scenario

            scenario = load_scenario(scenario, atlas)
        if hasattr(scenario, "all_interventions"):
            scenario_ivs = list(scenario.all_interventions)
            self.scenario_obj = scenario
            scenario = scenario.to_dict()
        self.scenario = dict(scenario or {})
        self.seed, self.scale = int(seed), float(scale)
        self.start, self.end = int(start), int(end)
        overrides = dict(self.scenario.get("parameters", {}))
        self.params = params if isinstance(params, Params) else Params({**overrides, **dict(params or {})})
        self.drivers = drivers
        self.interventions = scenario_ivs + list(interventions)
        self.migration = bool(migration)
        self.check_conservation = bool(check_conservation)
        self.threads = threads
        self.progress = progress
        self.initialized = self.finalized = False
        self._ck_writer = Writer()  # checkpoints (kochu.sim.checkpoint)
        self.timing = {"seconds": 0.0, "person_steps": 0}

    # ---- lifecycle -------------------------------------------------------------------------
    @staticmethod
    def loop_order() -> str:
        """The written loop order of one month."""
        return "\n".join(LOOP_ORDER)

    def init(self) -> Sim:
        """Build the world, the 1989 population, the decision tables; call interventions' init."""
        if self.initialized:
            raise KochuError("Sim.init(): already initialised")
        if self.atlas is None:
            from kochu.atlas import load_atlas

            self.atlas = load_atlas()
        if self.threads:
            nb.set_num_threads(int(self.threads))
        self.world: World = build_world(self.atlas, self.start)
        if self.drivers is None:
            from kochu.drivers import build_drivers

            self.drivers = build_drivers(self.atlas, start=self.start, end=self.end)
        self.dec = Decisions(self.world, self.drivers, self.params)
        self.vital = Vital(self.atlas, self.world, self.params, self.start, self.end)
        self.people: People = build_population(self.world, self.atlas, self.params, self.seed, self.scale, self.start)
        n = self.world.n
        self.year, self.month = self.start, 1
        self.results = Results(self.world, self.scale)
        self.pull_adjust = np.zeros(n)
        self.move_multiplier = np.ones(n)
        self.travel_multiplier: float | np.ndarray = 1.0
        self.registration_multiplier = np.ones(n)
        self.late_registration_multiplier = np.ones(n)
        self.capital_housing_extra = 0.0
        self.displacement_return_months = self.params["displacement_return_months"]
        self._displacements: list[tuple[np.ndarray, float, float]] = []
        pres = np.bincount(self.people.place[: self.people.n], minlength=n)
        self.housing = Housing(self.world, self.params, float(pres[self.world.capital]), self.start, self.scale)
        self._present = pres.astype(np.int64)
        self._network = K.network_counts(self.people.n, self.people.place, self.people.origin, self.people.status, n)
        self._stream = {name: stream_key(self.seed, name) for name in STREAMS}
        fr = self.params["fertility_slavic_ratio"]
        self._fert_eth = np.array([1.0, fr, fr])
        self.dec.pop0 = pres.astype(np.float64)
        self._move_age, self._abroad_age = age_profiles(self.params)
        self._is_stop = (self.world.admin_rank >= 1) & (self.world.admin_rank <= 3) & ~self.world.informal
        t = self.tm
        nu, ss, fs = K.unit_sums(self.people.n, t, self.people.born, self.people.sex, self.people.place,
                                 self.people.status, self.people.eth, self.world.unit, self.vital.mshape,
                                 self.vital.fshape, self._fert_eth, len(self.world.unit_ids))
        self._unit_sums = (nu, ss, fs)
        self._unit_abroad = np.zeros(len(self.world.unit_ids))
        self._last_total: int | None = None
        self._act = np.zeros(0, np.uint8)
        self._last_tally: np.ndarray | None = None
        self.initialized = True
        for iv in self.interventions:
            iv.init(self)
        return self

    @property
    def tm(self) -> int:
        """Kernel month index (months since January 1880) of the current step."""
        return (self.year - MONTH0_YEAR) * 12 + self.month - 1

    @property
    def t(self) -> int:
        """Months since January of the start year (1989) of the current step."""
        return (self.year - self.start) * 12 + self.month - 1

    def place_index(self, place_id: str) -> int:
        """Index of a settlement id (raises a one-line error for unknown ids)."""
        hits = np.flatnonzero(self.world.ids == place_id)
        if len(hits) == 0:
            raise KochuError(f"unknown place '{place_id}' (not a settlement of the atlas)")
        return int(hits[0])

    def request_displacement(self, places: Sequence[str] | np.ndarray, fraction: float, months: float) -> None:
        """Displace ``fraction`` of the households of ``places`` at the next decision phase."""
        idx = np.array([self.place_index(p) if isinstance(p, str) else int(p) for p in places], dtype=np.int64)
        self._displacements.append((idx, float(fraction), float(months)))
        self.displacement_return_months = float(months)

    def run(self, until: int | None = None, checkpoint: str | Path | None = None,
            checkpoint_seconds: float = 0.0) -> Sim:
        """Advance month by month to 1 January ``until`` (default: the end year).

        With ``checkpoint`` (a folder), the state is saved there atomically at each year
        boundary before ``until`` (only the latest is kept; at most one every
        ``checkpoint_seconds`` of wall time), so :meth:`restore` can resume after a crash.
        """
        if self.finalized:
            raise KochuError("Sim.run(): the run is finalized and cannot continue (make a new Sim)")
        if not self.initialized:
            self.init()
        until = self.end if until is None else int(until)
        if until > self.end:
            raise KochuError(f"until {until} is after the end of the drivers ({self.end})")
        if until < self.year:
            raise KochuError(f"until {until} is before the current year {self.year}")
        n_steps = (until - self.year) * 12 - (self.month - 1)
        t0 = time.perf_counter()
        last_ck = [time.monotonic()]

        def after_step() -> None:
            if checkpoint is not None and self.month == 1 and self.year < until:
                now = time.monotonic()
                if now - last_ck[0] >= checkpoint_seconds:
                    self.save_checkpoint(checkpoint, until, elapsed=time.perf_counter() - t0, background=True)
                    last_ck[0] = time.monotonic()

        try:
            if self.progress and n_steps > 0:
                from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

                with Progress(TextColumn("simulating {task.fields[date]}"), BarColumn(), TimeRemainingColumn(),
                              transient=True) as bar:
                    task = bar.add_task("sim", total=n_steps, date=f"{self.year}-{self.month:02d}")
                    for _ in range(n_steps):
                        self.step()
                        after_step()
                        bar.update(task, advance=1, date=f"{self.year}-{self.month:02d}")
            else:
                for _ in range(n_steps):
                    self.step()
                    after_step()
        finally:
            self.wait_checkpoint()
        self._snapshot()
        self.timing["seconds"] += time.perf_counter() - t0
        return self

    def save_checkpoint(self, folder: str | Path, until: int, elapsed: float = 0.0,
                        background: bool = False) -> None:
        """Save the state between two steps to ``FOLDER/state.npz`` (see
        :mod:`kochu.sim.checkpoint`). With ``background``, the state is copied now and written
        by a thread while the run goes on (:meth:`wait_checkpoint` joins it; the next
        checkpoint and the end of :meth:`run` wait for it)."""
        from kochu.sim import checkpoint as ck

        self.wait_checkpoint()
        seconds = self.timing["seconds"]
        self.timing["seconds"] = seconds + elapsed  # the checkpoint's timing includes this segment
        try:
            arrays = ck.snapshot(self, until)
        finally:
            self.timing["seconds"] = seconds
        self._ck_writer.start(arrays, folder, background)

    def wait_checkpoint(self) -> None:
        """Wait for a checkpoint being written in the background; re-raise its error."""
        self._ck_writer.wait()

    def restore(self, folder: str | Path, until: int | None = None) -> Sim:
        """Continue from the checkpoint in ``folder`` (made by a run with the same options and
        ``until``; otherwise a one-line :class:`~kochu.errors.KochuError`)."""
        from kochu.sim import checkpoint as ck

        if self.finalized:
            raise KochuError("Sim.restore(): the run is finalized")
        if not self.initialized:
            self.init()
        ck.load(self, folder, self.end if until is None else int(until))
        return self

    def finalize(self) -> Results:
        """Call interventions' finalize; freeze the run; return the results."""
        if not self.initialized:
            raise KochuError("Sim.finalize(): the run was never initialised")
        if not self.finalized:
            for iv in self.interventions:
                iv.finalize(self)
            self.finalized = True
        return self.results

    # ---- one month -------------------------------------------------------------------------
    def _keys(self) -> np.ndarray:
        t = self.tm
        return np.array([np.uint64(step_key(self._stream[s], np.int64(t))) for s in STREAMS], dtype=np.uint64)

    def _tables(self) -> dict[str, Any]:
        y, w = self.year, self.world
        if self.month == 1:
            self.housing.legalise(self.seed, y, False)
            if y != self.start:
                p = self.people
                self._network = K.network_counts(p.n, p.place, p.origin, p.status, w.n)
        for iv in self.interventions:
            iv.step(self)
        attract = self.dec.attractiveness(y, self.pull_adjust)
        cdf = self.dec.destination_cdf(y, attract, self._present, self._network, self.travel_multiplier)
        hz = self.dec.hazards(y, self.month, attract, self._present, self.move_multiplier,
                              self.displacement_return_months)
        if not self.migration:
            for k in ("p_move", "p_fam", "p_abroad", "p_emig"):
                hz[k] = np.zeros_like(hz[k])
            hz["p_return"] = hz["p_ret_abroad"] = hz["p_settle_abroad"] = 0.0
        p_reg, p_late = registration_tables(self.dec, y, self.housing.legal, self.registration_multiplier)
        p_late = p_late * self.late_registration_multiplier
        return {"cdf": cdf, "hz": hz, "p_reg": p_reg, "p_late": p_late}

    def _bounds(self, p_death: np.ndarray, p_birth: np.ndarray, hz: dict, p_late: np.ndarray) -> tuple:
        """Thresholds of the decide kernel's fast path for the ~97% of people to whom nothing
        happens in a month: ``thr_ind[p, a, s]`` = death + upper bound of the individual hazards
        beyond death at place ``p``, age ``a`` and sex ``s``; ``thr_hh[p, eth]`` = emigration + upper bound of a family
        move; ``thr_birth[p, a, s]`` = the birth probability's bound (0 for men); ``thr_ret`` =
        return or settlement of people abroad. Exact: the slow path would also do nothing for a
        person whose uniforms are all at or above them. Returned in the kernel's integer form
        (:func:`kochu.sim.kernels.int_bounds`): ``thr_ib`` (individual and birth, interleaved,
        flat), ``thr_hh`` (flat), ``thr_ret``, and the number of ages."""
        pr, w = self.params, self.world
        stop = np.where(self._is_stop, max(pr["stopover_multiplier"], 1.0), 1.0)
        # by place, age and sex: children and the old, who rarely move, mostly take the fast path
        ind = (hz["p_abroad"][:, None, None] * self._abroad_age[None, :, :]
               + (hz["p_move"] * stop)[:, None, None] * self._move_age[None, :, None]
               + (hz["p_return"] + p_late)[:, None, None])
        ind = ind * (1 + 1e-9) + 1e-12
        hh = hz["p_fam"].max(axis=1) * (1 + 1e-9) + 1e-12
        birth = np.full(p_birth.shape[0], self._fert_eth.max()) * (1 + 1e-9) + 1e-12
        u = w.unit
        thr_ind = p_death[u] + ind
        thr_hh = hz["p_emig"] + hh[:, None]
        thr_birth = np.zeros((w.n, p_birth.shape[1], 2))
        thr_birth[:, :, 0] = (p_birth * birth[:, None])[u]
        thr_ret = (hz["p_ret_abroad"] + hz["p_settle_abroad"]) * (1 + 1e-9) + 1e-12
        thr_ib = np.stack([K.int_bounds(thr_ind, 32), K.int_bounds(thr_birth, 32)], axis=-1)
        return (thr_ib.ravel(), K.int_bounds(thr_hh, 53).ravel(), np.int64(K.int_bounds(thr_ret, 53)),
                thr_ind.shape[1])

    def step(self) -> None:
        """Simulate one month (see :meth:`loop_order`)."""
        w, p, pr = self.world, self.people, self.params
        n_units = len(w.unit_ids)
        # 1 demography
        nu, ss, fs = self._unit_sums
        p_death, p_birth = self.vital.tables(self.year, nu, ss, fs, self._unit_abroad)
        # 2 drivers and interventions
        tb = self._tables()
        hz = tb["hz"]
        keys = self._keys()
        displaced = month_events(self, keys, tb["p_reg"])
        # 3 decisions
        n = p.n
        nch = (n + K.CHUNK - 1) // K.CHUNK
        present_c = np.zeros((nch, w.n), np.int64)
        abroad_c = np.zeros((nch, w.n), np.int64)
        unreg_c = np.zeros(nch, np.int64)
        nunit_c = np.zeros((nch, n_units), np.float64)
        ssum_c = np.zeros((nch, n_units), np.float64)
        fsum_c = np.zeros((nch, n_units), np.float64)
        nact_c = np.zeros(nch, np.int64)
        nbirth_c = np.zeros(nch, np.int64)
        if len(self._act) < p.capacity:  # reusable buffers (no per-month zeroing)
            self._act = np.zeros(p.capacity, np.uint8)
            self._dst = np.zeros(p.capacity, np.int16)
            self._actors_buf = np.zeros(p.capacity + K.CHUNK, np.int64)
            self._abroad_buf = np.zeros(p.capacity + K.CHUNK, np.int64)
        act, dst = self._act, self._dst
        nab_c = np.zeros(nch, np.int64)
        chunksize = nb.set_parallel_chunksize(1)  # chunks handed out one at a time (balanced on busy cores)
        K.decide(
            n, self.tm, keys, p.pid, p.born, p.sex, p.hh, p.place, p.reg, p.origin, p.eth, p.edu, p.status,
            p.moved, p.hh_savings, w.unit, self._is_stop, p_death, p_birth, self._fert_eth, self.vital.mshape,
            self.vital.fshape, hz["p_emig"], hz["p_fam"], hz["p_abroad"], self._abroad_age, hz["p_move"],
            self._move_age, hz["p_return"], tb["p_late"], hz["p_ret_abroad"], hz["p_settle_abroad"],
            hz["p_disp_return"], pr["stopover_multiplier"], int(pr["stopover_months"]), pr["relocation_cost"],
            tb["cdf"], act, dst, present_c, abroad_c, unreg_c, nunit_c, ssum_c, fsum_c, nact_c, nbirth_c,
            self.month == 1, *self._bounds(p_death, p_birth, hz, tb["p_late"]),
            self._actors_buf, self._abroad_buf, nab_c,
        )
        nb.set_parallel_chunksize(chunksize)
        present = present_c.sum(axis=0)
        abroad = abroad_c.sum(axis=0)
        self._present = present
        if self.month == 1:  # the demography scaling sums are refreshed every January
            self._unit_sums = (nunit_c.sum(axis=0), ssum_c.sum(axis=0), fsum_c.sum(axis=0))
            self._unit_abroad = np.bincount(w.unit, weights=abroad, minlength=n_units).astype(np.float64)
        self._conserve(int(present.sum()))
        self.results.record_stock(self.year, self.month, present, abroad, int(unreg_c.sum()))
        # 4 moves and housing, 5 registration (and births appended)
        actors = K.gather(self._actors_buf, nact_c)
        abroad_slots = K.gather(self._abroad_buf, nab_c)
        births = int(nbirth_c.sum())
        p.reserve(births)
        supply = self.dec.regime_at("housing_supply_capital", self.year)
        room = self.housing.capacity(supply, self.capital_housing_extra) - present[w.capital]
        inf_ids, inf_cdf = self.housing.informal_table(self.year, present)
        if not w.informal.any() or len(np.flatnonzero(w.informal & ((w.founded == 0) | (w.founded <= self.year)))) == 0:
            room = float("inf")
        tflow, rflow = self.results.flow_matrices(self.year)
        tally = np.zeros(8, np.int64)
        tally[4], tally[5] = displaced  # displacement moves of this month's events
        m = K.apply(
            actors, self.tm, keys, p.next_pid, p.n_hh0, p.pid, p.born, p.sex, p.hh, p.place, p.home, p.reg,
            p.origin, p.eth, p.edu, p.status, p.moved, p.hh_savings, act, dst, n, w.informal, w.capital,
            max(room, 0.0), inf_ids, inf_cdf, tb["p_reg"], pr["registration_family_bonus"],
            pr["registration_family_bonus"] * 2.0, pr["relocation_cost"], pr["sex_ratio_birth"],
            pr["higher_education_share"], tflow, rflow, tally,
        )
        p.next_pid += m - n
        p.n = m
        # 6 remittances
        keep = (1.0 - pr["savings_decay"]) ** 12 if self.month == 12 else 1.0  # decay applied yearly
        K.remittances(abroad_slots, p.hh, p.status, p.hh_savings, p.n_hh0 + p.next_pid,
                      np.float32(pr["remittance_per_month"]), keep)
        # 7 results
        self.results.record_flows(self.year, self.month, tally)
        self._last_tally = tally
        self.timing["person_steps"] += n
        self._advance()

    def _conserve(self, total: int) -> None:
        if self.check_conservation and self._last_total is not None and self._last_tally is not None:
            b, d, im, em = (int(x) for x in self._last_tally[:4])
            expect = self._last_total + b - d + im - em
            if total != expect:
                raise KochuError(
                    f"conservation violated in {self.year}-{self.month:02d}: population {total:,} != "
                    f"{self._last_total:,} + births {b:,} - deaths {d:,} + immigration {im:,} - emigration {em:,}"
                )
        self._last_total = total

    def _advance(self) -> None:
        self.month += 1
        if self.month == 13:
            self.month = 1
            self.year += 1
            p = self.people
            if p.n and (p.status[: p.n] == 0).mean() > 0.15:
                p.compact()

    def _snapshot(self) -> None:
        """Record the stocks at the current month start (the end of a run segment)."""
        p, w = self.people, self.world
        live = p.status[: p.n]
        pl = p.place[: p.n]
        present = np.bincount(pl[(live != 0) & (live != ABROAD)], minlength=w.n)
        abroad = np.bincount(pl[live == ABROAD], minlength=w.n)
        unreg = int(((p.reg[: p.n] != pl) & (live != 0) & (live != ABROAD)).sum())
        self._conserve(int(present.sum()))
        self.results.record_stock(self.year, self.month, present, abroad, unreg)
        self._last_tally = np.zeros(8, np.int64)  # the next step recounts this same month

    # ---- output ----------------------------------------------------------------------------
    def write(self, out: str | Path) -> Path:
        """Write the run store and CSV exports to ``out`` (manifest last)."""
        from kochu.sim.output import write_run

        return write_run(self, Path(out))
