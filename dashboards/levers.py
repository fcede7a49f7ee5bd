"""The editor's levers as dotted overrides: widget values in, ``KEY=VALUE`` strings out.

A manager changes a few levers (counter staff, the booking policy, the release schedule, bots
and countermeasures, protection orders, ANEF) and wants a *variant* of a scenario. The variant
is never built here: these functions only write the overrides that
:func:`sim.scenario.loader.variant` merges into the scenario and validates through the schema's own
door, exactly as ``prefsim run --set`` would. Values are written as JSON (a subset of YAML),
so a string stays a string and a date stays an ISO date.

Only what differs from the base scenario becomes an override, so an untouched editor gives
the base scenario back unchanged. Bounds shown by the widgets come from the schema's
``Field(ge=..., le=...)``, never from numbers copied here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import annotated_types as at
from pydantic import BaseModel

from sim.scenario import Scenario
from sim.scenario.channels import DeskChannel, PhoneChannel, SlotChannelBase

SLOT_KINDS = ("race", "waitlist", "lottery")
RELEASE_KINDS = ("daily", "weekly", "random", "continuous")
ORDERS = ("fifo", "earliest_deadline_first")
LANE = "protection_lane"


def bounds(model: type[BaseModel], name: str) -> tuple[float | None, float | None]:
    """The inclusive (or strict) bounds a schema field declares, None where open.

    >>> from sim.scenario import Staff
    >>> bounds(Staff, "front_office_etp"), bounds(Staff, "absence_rate")
    ((0, 5000), (0, 1))
    """
    low: Any = None
    high: Any = None
    for meta in model.model_fields[name].metadata:
        if isinstance(meta, at.Ge | at.Gt):
            low = meta.ge if isinstance(meta, at.Ge) else meta.gt
        elif isinstance(meta, at.Le | at.Lt):
            high = meta.le if isinstance(meta, at.Le) else meta.lt
    return low, high


def widget_range(model: type[BaseModel], name: str,
                 step: float = 1.0) -> tuple[float | None, float | None]:
    """The range a widget for a schema field may offer: strict bounds moved in by ``step``.

    >>> from sim.scenario.channels import ReleaseSchedule
    >>> widget_range(ReleaseSchedule, "hour", 0.25), widget_range(ReleaseSchedule, "horizon_days")
    ((0, 23.75), (1.0, 730))
    """
    low: Any = None
    high: Any = None
    for meta in model.model_fields[name].metadata:
        if isinstance(meta, at.Ge):
            low = meta.ge
        elif isinstance(meta, at.Gt):
            low = float(meta.gt) + step  # type: ignore[arg-type]
        elif isinstance(meta, at.Le):
            high = meta.le
        elif isinstance(meta, at.Lt):
            high = float(meta.lt) - step  # type: ignore[arg-type]
    return low, high


def decimals(x: float, most: int = 6) -> int:
    """Decimals needed to show ``x`` exactly (at most ``most``).

    >>> decimals(0.497), decimals(60.0), decimals(0.001), decimals(0.1234567)
    (3, 0, 3, 6)
    """
    text = f"{abs(float(x)):.{most}f}".rstrip("0")
    return len(text.partition(".")[2])


def override(path: str, value: Any) -> str:
    """One ``KEY=VALUE`` override with the value written as JSON.

    >>> override("staff.front_office_etp", 40.0)
    'staff.front_office_etp=40.0'
    >>> override("name", "yes"), override("x", dt.date(2021, 6, 1))
    ('name="yes"', 'x="2021-06-01"')
    """
    return f"{path}={json.dumps(_plain(value), ensure_ascii=False)}"


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def same(a: Any, b: Any) -> bool:
    """Equal as scenario values: numbers within rounding, dates as ISO text, recursively.

    >>> same(10, 10.0), same(0.1 + 0.2, 0.3), same({"d": dt.date(2021, 1, 1)}, {"d": "2021-01-01"})
    (True, True, True)
    """
    a, b = _plain(a), _plain(b)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b and type(a) is type(b)
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def changed(path: str, base: Any, value: Any) -> list[str]:
    """``[override(path, value)]`` if ``value`` differs from ``base``, else ``[]``."""
    return [] if same(base, value) else [override(path, value)]


# --- the booking policy ---------------------------------------------------------------------


def slot_channels(scenario: Scenario) -> list[str]:
    """Channels that hand out dated slots on a website (race, waitlist, lottery), in file
    order: a phone line's policy is not one of these."""
    return [n for n, ch in scenario.channels.items()
            if isinstance(ch, SlotChannelBase) and ch.kind in SLOT_KINDS]


def channel_overrides(scenario: Scenario, name: str, kind: str,
                      release: Mapping[str, Any] | None, order: str | None) -> list[str]:
    """Overrides that make channel ``name`` a ``kind`` channel with this release and order.

    ``release`` None means no schedule (a waitlist that sees every slot at once); race and
    lottery channels always have one. The kind comes first: the loader then keeps only the
    fields the new kind has, and the release and order are written whole.
    """
    base = scenario.channels[name].model_dump(mode="json")
    out = changed(f"channels.{name}.kind", base["kind"], kind)
    if kind != "waitlist" and release is None:
        raise ValueError(f"a {kind} channel needs a release schedule")
    kind_changed = bool(out)
    if kind_changed or not same(base.get("release"), release):
        out.append(override(f"channels.{name}.release", release))
    if kind == "waitlist":  # a channel that just became a waitlist starts first in, first out
        before = "fifo" if kind_changed else base.get("order", "fifo")
        out += changed(f"channels.{name}.order", before, order or "fifo")
    return out


# --- staff ----------------------------------------------------------------------------------


def reinforcement_overrides(scenario: Scenario, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """``staff.reinforcements`` written whole if the plan differs from the base's.

    Each row has ``start``, ``etp``, ``ramp_up_days`` and ``office``.
    """
    base = [r.model_dump(mode="json") for r in scenario.staff.reinforcements]
    plan = [{"start": r["start"], "etp": r["etp"], "ramp_up_days": r["ramp_up_days"],
             "office": r["office"]} for r in rows]
    return changed("staff.reinforcements", base, plan)


# --- bots -----------------------------------------------------------------------------------


def new_bot_overrides(name: str, mode: str, requests_per_day: float,
                      identities: int) -> list[str]:
    """Add a bot operator to a scenario that has none (a new entry is written whole)."""
    return [override("bots", {name: {"mode": mode, "requests_per_day": requests_per_day,
                                     "identities": identities}})]


# --- protection orders ----------------------------------------------------------------------


def protection_procedures(scenario: Scenario) -> list[str]:
    """Procedures whose applicants hold a protection order, in file order."""
    return [n for n, p in scenario.procedures.items() if p.protection_order is not None]


def lane_channels(scenario: Scenario) -> list[str]:
    """Channels reserved to protection-order procedures (their ``procedures`` are only those)."""
    orders = set(protection_procedures(scenario))
    return [n for n, ch in scenario.channels.items()
            if orders and ch.procedures is not None and set(ch.procedures) <= orders]


def new_lane_overrides(scenario: Scenario, counter_share: float, take_from: str) -> list[str]:
    """Open a waitlist reserved to protection-order holders, earliest expiry first.

    The lane takes ``counter_share`` of the counter time from channel ``take_from`` and
    releases its slots on the schedule of the scenario's first scheduled channel. Online
    channels (not desks or phone lines: people without digital access keep their way in)
    stop serving the protection-order procedures, so their applicants reach the lane; an
    applicant uses the first channel in file order that serves them, and the lane is added
    last.
    """
    orders = protection_procedures(scenario)
    if not orders:
        return []
    everything = list(scenario.procedures)
    out = []
    for name, ch in scenario.channels.items():
        if isinstance(ch, DeskChannel | PhoneChannel):
            continue
        served = list(ch.procedures) if ch.procedures is not None else everything
        if set(served) & set(orders):
            out.append(override(f"channels.{name}.procedures",
                                [p for p in served if p not in orders]))
    source = scenario.channels[take_from]
    out.append(override(f"channels.{take_from}.counter_share",
                        round(source.counter_share - counter_share, 12)))
    # earliest-deadline-first hands out slots as they open: the lane releases them on the
    # schedule of the first channel that has one (the schema's default schedule otherwise)
    schedules = [release for ch in scenario.channels.values()
                 if (release := getattr(ch, "release", None)) is not None]
    release = schedules[0].model_dump(mode="json") if schedules else {}
    out.append(override("channels", {LANE: {
        "kind": "waitlist", "audience": "all", "procedures": orders,
        "counter_share": counter_share, "order": "earliest_deadline_first",
        "release": release}}))
    return out


def validity_overrides(scenario: Scenario, procedure: str, months: Sequence[float]) -> list[str]:
    """``procedures.<p>.protection_order.validity`` with new months per period, if changed."""
    order = scenario.procedures[procedure].protection_order
    assert order is not None
    base = [v.model_dump(mode="json") for v in order.validity]
    new = [{**v, "months": m} for v, m in zip(base, months, strict=True)]
    return changed(f"procedures.{procedure}.protection_order.validity", base, new)


# --- ANEF -----------------------------------------------------------------------------------


def anef_overrides(scenario: Scenario, procedure: str, on: bool,
                   from_date: dt.date | None, visits_per_title: float) -> list[str]:
    """``procedures.<p>.anef`` set, changed or removed (``null``)."""
    proc = scenario.procedures[procedure]
    base = None if proc.anef is None else proc.anef.model_dump(mode="json")
    new = {"from_date": from_date, "visits_per_title": visits_per_title} if on else None
    return changed(f"procedures.{procedure}.anef", base, new)


# --- widget keys and URL presets --------------------------------------------------------------


def widget_key(base: str, path: str) -> str:
    """The session-state key of the editor widget for ``path`` when editing ``base``."""
    return f"ed.{base}.{path}"
