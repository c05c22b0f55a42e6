"""Counter-based random numbers: uniform = hash(seed, stream, step, id).

There is no random state at all. Every draw is a pure function of the run seed, a named
stream (one per stochastic decision, derived from a stable name with blake2b), the month
and the id of whoever draws (a person's ``pid``, a household id or a place index). Hence:

* results do not depend on the number of threads, the chunking or the order of evaluation;
* a scenario that changes what happens to some people leaves everybody else's draws
  unchanged (common random numbers across scenarios).

The mixer is splitmix64's finaliser (Steele, Lea & Flood 2014), the standard 64-bit
avalanche used by ``numpy``'s ``SeedSequence`` family; 53 high bits give a double in [0, 1).
"""

from __future__ import annotations

import hashlib

import numba as nb
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0
_S32 = np.uint64(32)
_LO32 = np.uint64(0xFFFFFFFF)
_INV32 = 1.0 / 4294967296.0

#: the named streams used by the engine (stable names → stable draws)
STREAMS = (
    "demography",  # death / emigration / move competing risks of a person
    "birth",  # fertility of a woman, sex of the child
    "household",  # household-level decisions (family moves, family emigration)
    "destination",  # destination draws (person or household)
    "registration",  # whether a move is registered
    "housing",  # formal vs informal housing on arrival in the capital
    "legalisation",  # legalisation of informal settlements (per place and year)
    "init",  # the 1989 population
    "displacement",  # displacement events
)


@nb.njit(inline="always", cache=True)
def mix(z: np.uint64) -> np.uint64:
    """splitmix64 finaliser: a bijective 64-bit avalanche."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@nb.njit(inline="always", cache=True)
def step_key(stream_key: np.uint64, step: np.int64) -> np.uint64:
    """Key of one stream at one step."""
    return mix(stream_key ^ (np.uint64(step) * _GOLDEN + np.uint64(0x632BE59BD9B4E019)))


@nb.njit(inline="always", cache=True)
def uniform(key: np.uint64, ident: np.int64) -> float:
    """Uniform [0, 1) for ``ident`` under a step key."""
    z = mix(key ^ (np.uint64(ident) * _GOLDEN))
    return np.float64(z >> _S11) * _INV53


@nb.njit(inline="always", cache=True)
def uniform2(key: np.uint64, ident: np.int64) -> float:
    """A second, independent uniform for the same ``ident`` and key."""
    z = mix(mix(key ^ (np.uint64(ident) * _GOLDEN)) + _GOLDEN)
    return np.float64(z >> _S11) * _INV53


@nb.njit(inline="always", cache=True)
def uniform_pair(key: np.uint64, ident: np.int64) -> tuple[float, float]:
    """Two uniforms with 32-bit resolution from one hash (high and low halves)."""
    z = mix(key ^ (np.uint64(ident) * _GOLDEN))
    return np.float64(z >> _S32) * _INV32, np.float64(z & _LO32) * _INV32


def stream_key(seed: int, name: str) -> np.uint64:
    """64-bit key of stream ``name`` for run ``seed`` (blake2b of both; stable across versions)."""
    if name not in STREAMS:
        raise ValueError(f"unknown random stream '{name}' (valid: {', '.join(STREAMS)})")
    digest = hashlib.blake2b(f"{int(seed)}:{name}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


@nb.njit(cache=True)
def _uniforms(key: np.uint64, ids: np.ndarray) -> np.ndarray:
    out = np.empty(ids.shape[0], np.float64)
    for i in range(ids.shape[0]):
        out[i] = uniform(key, ids[i])
    return out


def uniforms(seed: int, name: str, step: int, ids: np.ndarray) -> np.ndarray:
    """Vector of uniforms for ``ids`` (numpy helper for set-up code and tests)."""
    key = np.uint64(step_key(stream_key(seed, name), np.int64(step)))
    return _uniforms(key, np.asarray(ids, dtype=np.int64))
