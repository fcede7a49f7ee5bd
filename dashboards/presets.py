"""URL parameters that preset widgets, checked against their allowed range.

A link such as ``?etp=40&replications=3`` opens the dashboard with the editor's front-office
ETP at 40 and three replications per scenario. A value out of range, or not a number, is
refused with a message naming the field and its range; the widget keeps its default.
Ranges are the schema's own (``Field(ge=..., le=...)``) or the dashboard's limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from levers import bounds

from sim.scenario import Horizon, Staff


@dataclass(frozen=True)
class Preset:
    """A URL parameter that presets a widget: its allowed range and what it means."""

    param: str
    what: str
    low: float
    high: float
    integer: bool = True


def parse_preset(raw: Any, preset: Preset) -> tuple[float | int | None, str | None]:
    """A URL value checked against its range: (value, None), or (None, message).

    >>> p = Preset("replications", "replications per scenario", 1, 10)
    >>> parse_preset("3", p)
    (3, None)
    >>> parse_preset("500", p)[1]
    'URL parameter replications=500 is out of range: replications per scenario must be between 1 and 10.'
    >>> parse_preset("abc", p)[1]
    "URL parameter replications='abc' is not a number: replications per scenario must be between 1 and 10."
    """  # noqa: E501
    text = raw[-1] if isinstance(raw, list) and raw else raw
    allowed = f"{preset.what} must be between {preset.low:g} and {preset.high:g}."
    try:
        value = float(str(text).strip())
    except ValueError:
        return None, f"URL parameter {preset.param}={str(text)[:40]!r} is not a number: {allowed}"
    if value != value or not preset.low <= value <= preset.high:  # NaN or out of range
        return None, f"URL parameter {preset.param}={str(text)[:40]} is out of range: {allowed}"
    if preset.integer:
        if value != int(value):
            return None, (f"URL parameter {preset.param}={str(text)[:40]} is not a whole "
                          f"number: {allowed}")
        return int(value), None
    return value, None


def flag(raw: Any) -> bool | None:
    """A URL boolean: 1/true/yes/on or 0/false/no/off; None if neither.

    >>> flag("1"), flag("off"), flag("maybe")
    (True, False, None)
    """
    text = str(raw[-1] if isinstance(raw, list) and raw else raw).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    return None


def editor_presets(max_horizon_days: int) -> list[tuple[str, Preset, str]]:
    """URL parameters that preset editor levers: (parameter, its range, dotted path).

    Ranges are the schema's (the horizon also within the dashboard's limit).
    """
    front, back, days = (bounds(Staff, "front_office_etp"), bounds(Staff, "back_office_etp"),
                         bounds(Horizon, "days"))
    return [
        ("etp", Preset("etp", "staff.front_office_etp (front-office ETP)", front[0] or 0,
                       front[1] or 1e4, integer=False), "staff.front_office_etp"),
        ("back_etp", Preset("back_etp", "staff.back_office_etp (back-office ETP)", back[0] or 0,
                            back[1] or 1e4, integer=False), "staff.back_office_etp"),
        ("days", Preset("days", "horizon.days (simulated days)", days[0] or 1,
                        min(days[1] or max_horizon_days, max_horizon_days)), "horizon.days"),
    ]
