"""kochu — simulate, estimate and plan internal migration, starting with Kyrgyzstan."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Sim", "__version__"]


def __getattr__(name: str) -> object:
    """``kochu.Sim`` — imported on first use (keeps ``import kochu`` and the CLI start fast)."""
    if name == "Sim":
        from kochu.sim.sim import Sim

        return Sim
    raise AttributeError(f"module 'kochu' has no attribute {name!r}")
