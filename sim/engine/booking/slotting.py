"""Cutting a channel's share of counter time into dated slots, per procedure.

A slot channel receives ``counter_share`` of the booking channels' counter minutes each day
(or the share that follows demand, :mod:`sim.engine.counter_time`), plus
``overbooking_share``, splits them between its procedures by ``allocation`` (by default in
proportion to the counter time each demands) and cuts them into slots of each procedure's
``counter_minutes_per_visit`` (:func:`sim.engine.slots.slots_per_day`). A
register that dates every request at once cuts the whole calendar of future counter time; a
channel that releases on a schedule cuts nothing dated past the run's stop plus its booking
horizon.
"""

from __future__ import annotations

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.slots import allocation, slot_times, slots_per_day
from sim.scenario import Scenario
from sim.scenario.channels import SlotChannelBase


def procedure_shares(scenario: Scenario, spec: SlotChannelBase) -> dict[int, float]:
    """Share of a channel's slots per procedure code: its ``allocation``, or in proportion
    to the counter time each procedure it serves demands."""
    names = list(scenario.procedures)
    if spec.allocation is not None:
        return {names.index(p): s for p, s in spec.allocation.items()}
    procs = scenario.procedures
    served = [names.index(p) for p in (spec.procedures or names)]
    return allocation({c: procs[names[c]].annual_volume * procs[names[c]].counter_minutes_per_visit
                       for c in served})


def last_slot_day(spec: SlotChannelBase, stop: float, n_days: int) -> int:
    """Days of the appointment calendar a channel cuts: a register without release schedule
    dates requests as far as the calendar goes; a channel that releases on a schedule
    opens nothing dated past the stop plus its booking horizon."""
    release = getattr(spec, "release", None)
    if release is None:
        return n_days
    return min(n_days, int(np.ceil(stop + release.horizon_days)) + 1)


def cut_slots(scenario: Scenario, spec: SlotChannelBase, calendar: Calendar,
              minutes: np.ndarray, last_day: int,
              channel_share: np.ndarray | None = None) -> list[tuple[int, np.ndarray, float]]:
    """The channel's slots on the first ``last_day`` days of ``calendar``, per procedure:
    (code, start times, counter minutes per slot), from the booking channels' counter
    ``minutes`` per day and the channel's share of them each day (None: its
    ``counter_share``; see :mod:`sim.engine.counter_time`)."""
    procs, names = scenario.procedures, list(scenario.procedures)
    if channel_share is None:
        mine = minutes[:last_day] * spec.counter_share * (1.0 + spec.overbooking_share)
    else:
        mine = minutes[:last_day] * channel_share[:last_day] * (1.0 + spec.overbooking_share)
    out = []
    for code, share in procedure_shares(scenario, spec).items():
        per_visit = procs[names[code]].counter_minutes_per_visit
        out.append((code, slot_times(calendar, slots_per_day(mine * share, per_visit)),
                    per_visit))
    return out


def slot_counts(scenario: Scenario, name: str, calendar: Calendar,
                minutes: np.ndarray, share: np.ndarray | None = None,
                last_day: int | None = None) -> np.ndarray:
    """Slots channel ``name`` cuts on the first ``last_day`` days of ``calendar`` (all by
    default), per procedure code, with its daily ``share`` of the counter ``minutes`` (None:
    its ``counter_share``): counted, not laid out, so that asking costs nothing however many
    slots there would be."""
    spec = scenario.channels[name]
    assert isinstance(spec, SlotChannelBase)
    procs, names = scenario.procedures, list(scenario.procedures)
    last_day = calendar.n_days if last_day is None else last_day
    channel = spec.counter_share if share is None else share[:last_day]
    mine = minutes[:last_day] * channel * (1.0 + spec.overbooking_share)
    counts = np.zeros(len(scenario.procedures))
    for code, part in procedure_shares(scenario, spec).items():
        per_visit = procs[names[code]].counter_minutes_per_visit
        total = np.cumsum(mine * part)[-1] if last_day > 0 else 0.0  # as slots_per_day adds
        counts[code] = np.floor(total / per_visit + 1e-9)
    return counts
