"""Calibration parameters: the knobs a fit turns, and how they change a scenario.

A parameter is a named multiplier of a scenario's current values (``latent_demand=0.3:3``
multiplies the volume of every procedure booked through a race; ``checks_per_day``,
``bot_requests``, ``back_office_hours``, ``external_delay``: the mean wait for consultations
of every procedure that has one), or any numeric dotted field with absolute bounds
(``staff.productive_share=0.4:0.8``). Every change goes through the scenario's one door
(:func:`sim.scenario.loader.validate`). The fit itself: :mod:`sim.experiments.calibration.fit`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from sim.scenario import Scenario
from sim.scenario.countermeasures import scale_volume
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import validate

MULTIPLIERS = ("latent_demand", "checks_per_day", "bot_requests", "back_office_hours",
               "external_delay")


class CalibrationError(ScenarioError):
    """Parameters or targets that cannot be used; one line per problem."""

class Parameter(NamedTuple):
    """A knob: a named multiplier, or a dotted field with absolute bounds."""

    name: str
    low: float
    high: float

    @property
    def is_multiplier(self) -> bool:
        return self.name in MULTIPLIERS


_RANGE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*=\s*([0-9.eE+-]+)\s*:\s*([0-9.eE+-]+)\s*$")


def parse_parameter(text: str) -> Parameter:
    """``NAME=LOW:HIGH``; a multiplier name or a dotted numeric field.

    >>> parse_parameter("latent_demand=0.5:3")
    Parameter(name='latent_demand', low=0.5, high=3.0)
    """
    m = _RANGE.match(text)
    if not m:
        raise CalibrationError([f"--param {text!r}: expected NAME=LOW:HIGH, e.g. "
                                "latent_demand=0.5:3"])
    low, high = float(m.group(2)), float(m.group(3))
    if not 0 < low < high:
        raise CalibrationError([f"--param {text!r}: need 0 < LOW < HIGH"])
    name = m.group(1)
    if "." not in name and name not in MULTIPLIERS:
        raise CalibrationError([f"--param {text!r}: unknown parameter {name!r} (known: "
                                f"{', '.join(MULTIPLIERS)}, or a dotted scenario field)"])
    return Parameter(name, low, high)


def race_procedures(scenario: Scenario) -> list[str]:
    """Procedures booked through a race channel, whose demand is latent; protection orders
    are left out (their number comes from court statistics)."""
    races = [n for n, ch in scenario.channels.items() if ch.kind == "race"]
    out = []
    for proc, spec in scenario.procedures.items():
        if spec.protection_order is not None:
            continue
        for name in races:
            served = scenario.channels[name].procedures
            if served is None or proc in served:
                out.append(proc)
                break
    return out


def apply(scenario: Scenario, params: Sequence[Parameter], values: Sequence[float]) -> Scenario:
    """``scenario`` with each parameter set to its value, validated again."""
    d = scenario.model_dump(mode="json")
    for p, x in zip(params, values, strict=True):
        if p.name == "latent_demand":
            for proc in race_procedures(scenario):
                d["procedures"][proc]["annual_volume"] *= x
        elif p.name == "checks_per_day":
            for cls in d["behaviour"]["seekers"]:
                cls["checks_per_day"] *= x
        elif p.name == "bot_requests":
            d["bots"] = {k: scale_volume(op, x) for k, op in d["bots"].items()}
        elif p.name == "back_office_hours":
            for proc in d["procedures"].values():
                proc["casework"]["back_office_hours_per_file"] *= x
        elif p.name == "external_delay":
            for proc in d["procedures"].values():
                if proc["casework"]["external_delay_days"] is not None:
                    proc["casework"]["external_delay_days"]["mean"] *= x
        else:
            node: Any = d
            *path, last = p.name.split(".")
            for key in path:
                node = node[key] if isinstance(node, dict) and key in node else None
                if node is None:
                    raise CalibrationError([f"--param {p.name}: no such field"])
            if not isinstance(node, dict) or not isinstance(node.get(last), int | float):
                raise CalibrationError([f"--param {p.name}: not a numeric field"])
            node[last] = x
    return validate(d, scenario.name)


def start_value(scenario: Scenario, p: Parameter) -> float:
    """Where the search starts: 1 for a multiplier, the current value of a field."""
    if p.is_multiplier:
        x = 1.0
    else:
        node: Any = scenario.model_dump(mode="json")
        for key in p.name.split("."):
            node = node[key]
        x = float(node)
    return min(max(x, p.low), p.high)


DEFAULT_PARAMETERS = ("latent_demand=0.3:3", "external_delay=0.3:3",
                      "bot_requests=0.1:10")
