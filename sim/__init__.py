"""prefsim: capacity-planning and wait-time simulator for appointment-based public services.

The package is in layers, each importing only those below it (docs/architecture.md):
:mod:`sim.scenario` (the schema and its loading) < :mod:`sim.engine` (the simulation) <
:mod:`sim.analysis` (event log -> tables) < :mod:`sim.experiments` (replications,
comparisons, sweeps) < :mod:`sim.faces` (command line, report, figures).

The few entry points most scripts need are also here, imported on first use so that
``import sim`` stays cheap::

    import sim
    scenario = sim.load("scenarios/demo.yaml")
    results = sim.replicate(scenario, seed=1, replications=2)
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("prefsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from sim.engine.model import simulate
    from sim.experiments.compare import compare
    from sim.experiments.experiment import replicate, run
    from sim.scenario.loader import load, validate

_API = {  # public name -> the module that defines it
    "load": "sim.scenario.loader",
    "validate": "sim.scenario.loader",
    "simulate": "sim.engine.model",
    "run": "sim.experiments.experiment",
    "replicate": "sim.experiments.experiment",
    "compare": "sim.experiments.compare",
}

__all__ = ["__version__", "compare", "load", "replicate", "run", "simulate", "validate"]


def __getattr__(name: str) -> Any:
    """The entry points of :data:`_API`, imported when first asked for (PEP 562)."""
    home = _API.get(name)
    if home is None:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
