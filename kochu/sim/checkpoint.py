"""Checkpoints at year boundaries: crash-safe resume of a run.

A checkpoint is one file, ``FOLDER/state.npz`` (uncompressed ``numpy.savez``), written
atomically (:func:`kochu.runs.store.atomic_path`: a temporary file, fsync, rename), so a
SIGKILL leaves either the previous checkpoint or the new one, never half of one; only the
latest is kept. It holds *everything the monthly loop carries* between two steps:

* the people columns (used slots), the household savings and the slot/id counters;
* the clock (``year``, ``month``; always 1 January), the intervention hooks
  (``pull_adjust``, ``move_multiplier``, ``travel_multiplier``, registration multipliers,
  ``capital_housing_extra``, pending displacements and their return time), the legal status
  of informal settlements, the state of every intervention (pydantic private attributes, or
  the plain attributes of other plug-ins);
* the loop's carried tables: present population by place (destination sizes), migrant
  networks, the demography scaling sums of the last January, the conservation check's last
  total and tally;
* the results accumulated so far (monthly stocks, events, yearly flow matrices, sparse) and
  the timing.

The static rest (world, drivers, decision tables, vital rates) is rebuilt by
:meth:`kochu.sim.Sim.init` from the same atlas, scenario and parameters; the random numbers
are counter-based (seed, stream, month, id), so a resumed run draws exactly what a straight
run draws and finishes with byte-identical tables. The run's *options* (atlas data hash,
scenario, parameters, seed, scale, years, target year) are stored too; resuming with other
options is refused with a one-line error naming the first difference.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from kochu import __version__
from kochu.errors import KochuError
from kochu.runs.store import atomic_path
from kochu.sim.people import COLUMNS, People

CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "state.npz"
FORMAT = 1

#: Sim attributes saved as numpy arrays (the loop's carried state)
_SIM_ARRAYS = ("pull_adjust", "move_multiplier", "registration_multiplier", "late_registration_multiplier",
               "_present", "_network", "_unit_abroad")


def state_path(folder: str | Path) -> Path:
    """The checkpoint file inside a checkpoint folder."""
    return Path(folder) / STATE_FILE


def run_options(sim: Any, until: int) -> dict[str, Any]:
    """What must be equal for a checkpoint to be resumed (JSON-comparable values)."""
    atlas = getattr(sim.atlas, "data_hash", None) or str(getattr(sim.atlas, "path", ""))
    opts = {
        "kochu_version": __version__,
        "atlas": atlas,
        "scenario": sim.scenario,
        "parameters": sim.params.to_dict(),
        "seed": sim.seed,
        "scale": sim.scale,
        "start": sim.start,
        "end": sim.end,
        "until": int(until),
        "migration": sim.migration,
    }
    return json.loads(json.dumps(opts, sort_keys=True, default=str))


def _iv_state(iv: Any) -> dict[str, Any]:
    private = getattr(iv, "__pydantic_private__", None)
    if private is not None:
        return dict(private)
    return dict(vars(iv))


def _set_iv_state(iv: Any, state: dict[str, Any]) -> None:
    if getattr(iv, "__pydantic_private__", None) is not None:
        for k, v in state.items():
            setattr(iv, k, v)
    else:
        vars(iv).update(state)


def _results_arrays(res: Any) -> dict[str, np.ndarray]:
    from kochu.sim.results import EVENT_FLOWS, EVENT_STOCKS

    out: dict[str, np.ndarray] = {}
    keys = sorted(res.stocks)
    out["res.stock_keys"] = np.array(keys, np.int64).reshape(-1, 2)
    n = res.world.n
    out["res.present"] = np.array([res.stocks[k][0] for k in keys], np.int64).reshape(-1, n)
    out["res.permanent"] = np.array([res.stocks[k][1] for k in keys], np.int64).reshape(-1, n)
    ekeys = sorted(res.events)
    cols = EVENT_FLOWS + EVENT_STOCKS
    out["res.event_keys"] = np.array(ekeys, np.int64).reshape(-1, 2)
    out["res.events"] = np.array([[res.events[k][c] for c in cols] for k in ekeys], np.int64).reshape(-1, len(cols))
    out["res.simulated"] = np.array(sorted(res.simulated), np.int64).reshape(-1, 2)
    years = sorted(res.true_flows)
    out["res.flow_years"] = np.array(years, np.int64)
    for y in years:
        t, r = res.true_flows[y], res.reg_flows[y]
        nz = np.flatnonzero((t != 0) | (r != 0))
        out[f"res.flow_idx.{y}"] = nz.astype(np.int64)
        out[f"res.flow_true.{y}"] = t.ravel()[nz]
        out[f"res.flow_reg.{y}"] = r.ravel()[nz]
    return out


def _restore_results(res: Any, z: Any) -> None:
    from kochu.sim.results import EVENT_FLOWS, EVENT_STOCKS

    cols = EVENT_FLOWS + EVENT_STOCKS
    res.stocks = {(int(y), int(m)): (z["res.present"][i].copy(), z["res.permanent"][i].copy())
                  for i, (y, m) in enumerate(z["res.stock_keys"])}
    res.events = {(int(y), int(m)): {c: int(v) for c, v in zip(cols, z["res.events"][i], strict=True)}
                  for i, (y, m) in enumerate(z["res.event_keys"])}
    res.simulated = {(int(y), int(m)) for y, m in z["res.simulated"]}
    res.true_flows, res.reg_flows = {}, {}
    for y in z["res.flow_years"]:
        t, r = res.flow_matrices(int(y))
        idx = z[f"res.flow_idx.{y}"]
        t.ravel()[idx] = z[f"res.flow_true.{y}"]
        r.ravel()[idx] = z[f"res.flow_reg.{y}"]


def snapshot(sim: Any, until: int) -> dict[str, np.ndarray]:
    """A copy of the state of ``sim`` between two steps (arrays + pickled metadata), ready for
    :func:`write` (which may run in another thread while the simulation goes on)."""
    p = sim.people
    arrays: dict[str, np.ndarray] = {f"people.{k}": v.copy() for k, v in p.columns().items()}
    arrays["people.hh_savings"] = p.hh_savings.copy()
    for name in _SIM_ARRAYS:
        arrays[f"sim.{name}"] = np.array(getattr(sim, name))
    arrays["sim.unit_sums"] = np.stack(sim._unit_sums)
    arrays["housing.legal"] = sim.housing.legal.copy()
    arrays.update(_results_arrays(sim.results))
    meta = {
        "format": FORMAT,
        "options": run_options(sim, until),
        "year": sim.year, "month": sim.month,
        "people": {"n": p.n, "next_pid": p.next_pid, "n_hh0": p.n_hh0, "capacity": p.capacity},
        "travel_multiplier": sim.travel_multiplier,
        "capital_housing_extra": sim.capital_housing_extra,
        "displacement_return_months": sim.displacement_return_months,
        "displacements": sim._displacements,
        "last_total": sim._last_total,
        "last_tally": sim._last_tally,
        "housing_k0": sim.housing.k0,
        "timing": dict(sim.timing),
        "interventions": [_iv_state(iv) for iv in sim.interventions],
    }
    arrays["meta"] = np.frombuffer(pickle.dumps(meta, protocol=pickle.HIGHEST_PROTOCOL), np.uint8)
    return arrays


def write(arrays: dict[str, np.ndarray], folder: str | Path) -> Path:
    """Write a :func:`snapshot` to ``FOLDER/state.npz`` atomically (replacing the previous one)."""
    target = state_path(folder)
    with atomic_path(target) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    return target


def save(sim: Any, folder: str | Path, until: int) -> Path:
    """Write the state of ``sim`` (between two steps) to ``FOLDER/state.npz`` atomically."""
    return write(snapshot(sim, until), folder)


def read_meta(folder: str | Path) -> dict[str, Any]:
    """The metadata of the checkpoint in ``folder`` (clock, options), without loading people."""
    path = state_path(folder)
    try:
        with np.load(path, allow_pickle=False) as z:
            return pickle.loads(z["meta"].tobytes())
    except FileNotFoundError:
        raise KochuError(f"{path}: no checkpoint to resume from") from None
    except Exception as exc:  # a damaged file: say so in one line
        raise KochuError(f"{path}: unreadable checkpoint ({type(exc).__name__}); run again without --resume") from None


def _first_difference(a: Any, b: Any, path: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}{k}"
            d = _first_difference(a[k], b[k], f"{path}{k}.")
            if d:
                return d
        return None
    return None if a == b else path.rstrip(".") or "value"


def check_options(meta: dict[str, Any], sim: Any, until: int, folder: str | Path) -> None:
    """Refuse (one line) when the checkpoint was made with other options than ``sim``'s."""
    if meta.get("format") != FORMAT:
        raise KochuError(f"{state_path(folder)}: checkpoint format {meta.get('format')}, expected {FORMAT}; "
                         "run again without --resume")
    saved, now = meta["options"], run_options(sim, until)
    diff = _first_difference(saved, now)
    if diff is not None:
        def get(d: Any) -> Any:
            for part in diff.split("."):
                d = d.get(part, "(missing)") if isinstance(d, dict) else d
            text = json.dumps(d, default=str)
            return text if len(text) <= 60 else text[:57] + "..."

        raise KochuError(
            f"--resume: the checkpoint in {folder} was made with {diff} = {get(saved)}, not {get(now)} "
            "(use the same options, or run without --resume to start over)"
        )


def load(sim: Any, folder: str | Path, until: int) -> dict[str, Any]:
    """Restore ``sim`` (initialised with the same options) from the checkpoint in ``folder``."""
    meta = read_meta(folder)
    check_options(meta, sim, until, folder)
    path = state_path(folder)
    with np.load(path, allow_pickle=False) as zf:
        z = {k: zf[k] for k in zf.files}
    pm = meta["people"]
    people = People(pm["capacity"])
    people.n, people.next_pid, people.n_hh0 = pm["n"], pm["next_pid"], pm["n_hh0"]
    for name in COLUMNS:
        getattr(people, name)[: people.n] = z[f"people.{name}"]
    people.hh_savings = z["people.hh_savings"].copy()
    sim.people = people
    for name in _SIM_ARRAYS:
        setattr(sim, name, z[f"sim.{name}"].copy())
    nu, ss, fs = z["sim.unit_sums"]
    sim._unit_sums = (nu.copy(), ss.copy(), fs.copy())
    sim.housing.legal = z["housing.legal"].copy()
    sim.housing.k0 = meta["housing_k0"]
    _restore_results(sim.results, z)
    sim.year, sim.month = int(meta["year"]), int(meta["month"])
    sim.travel_multiplier = meta["travel_multiplier"]
    sim.capital_housing_extra = meta["capital_housing_extra"]
    sim.displacement_return_months = meta["displacement_return_months"]
    sim._displacements = list(meta["displacements"])
    sim._last_total = meta["last_total"]
    sim._last_tally = meta["last_tally"]
    sim.timing = dict(meta["timing"])
    ivs = meta["interventions"]
    if len(ivs) != len(sim.interventions):
        raise KochuError(f"{path}: checkpoint has {len(ivs)} interventions, the run has {len(sim.interventions)}")
    for iv, state in zip(sim.interventions, ivs, strict=True):
        _set_iv_state(iv, state)
    sim._act = np.zeros(0, np.uint8)  # scratch buffers are re-made on the next step
    return meta


def remove(folder: str | Path) -> None:
    """Delete a checkpoint folder (after the run's manifest is written)."""
    shutil.rmtree(Path(folder), ignore_errors=True)


def describe(meta: dict[str, Any]) -> str:
    """``1 January YEAR`` of a checkpoint (for progress messages)."""
    return f"1 January {meta['year']}" if meta.get("month") == 1 else f"{meta['year']}-{meta['month']:02d}"


__all__ = ["CHECKPOINT_DIR", "check_options", "describe", "load", "read_meta", "remove", "save", "snapshot",
           "state_path", "write"]


class Writer:
    """Writes checkpoints one at a time, optionally in a background thread (the run goes on
    while the copied state is written; :meth:`wait` joins it and re-raises its error)."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, arrays: dict[str, np.ndarray], folder: str | Path, background: bool) -> None:
        """Write ``arrays`` to ``folder`` now, or in a thread with ``background``."""
        self.wait()
        if background:
            def work() -> None:
                try:
                    write(arrays, folder)
                except BaseException as exc:  # reported by wait()
                    self._error = exc

            self._thread = threading.Thread(target=work, name="kochu-checkpoint", daemon=True)
            self._thread.start()
        else:
            write(arrays, folder)
        pause = float(os.environ.get("KOCHU_CHECKPOINT_PAUSE", "0") or 0)
        if pause > 0:  # a testing hook: crash tests get time to kill the run between checkpoints
            self.wait()
            time.sleep(pause)

    def wait(self) -> None:
        """Wait for the background write, if any; re-raise its error as a one-line KochuError."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            err, self._error = self._error, None
            raise KochuError(f"checkpoint: could not write ({type(err).__name__}: {err})")
