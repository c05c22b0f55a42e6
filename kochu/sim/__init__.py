"""kochu.sim — the agent-based simulation of internal and international migration.

Every person of the atlas's country (Kyrgyzstan: ≈4.3 M in 1989) as numpy columns, moving
month by month from 1989 for the reasons the seed text gives. Modules, one idea each:

================  =========================================================================
``sim``           :class:`Sim` — lifecycle ``init → run(until=) → finalize``, the loop order
``people``        the struct of arrays (columns, households, capacity, compaction)
``init``          the 1989 population from the atlas (ages, households, ethnic groups)
``rng``           counter-based random numbers (seed, stream, month, id) → uniform
``demography``    births and deaths from the atlas's crude rates by oblast
``decisions``     utility, push, regimes → hazards and destination tables (drivers coupling)
``housing``       capital housing capacity, informal settlements, legalisation
``registration``  whether a move is registered (flows kept twice)
``kernels``       numba kernels of the monthly step (parallel, thread-count independent)
``results``       stocks, flows, events → run-store tables and CSV exports
``output``        writing a run folder (tables, exports, indicators, manifest last)
``checkpoint``    year-boundary checkpoints of the whole loop state (crash-safe resume)
``params``        the one closed parameter set (value, unit, source per line)
``world``         the atlas's settlements as arrays
``cli``           ``kochu run`` (tables, exports, report; ``--resume``)
================  =========================================================================
"""

from __future__ import annotations

__all__ = ["Params", "Sim"]


def __getattr__(name: str) -> object:
    """``Sim`` and ``Params`` on first use (the CLI does not pay for numba until it runs)."""
    if name == "Sim":
        from kochu.sim.sim import Sim

        return Sim
    if name == "Params":
        from kochu.sim.params import Params

        return Params
    raise AttributeError(f"module 'kochu.sim' has no attribute {name!r}")
