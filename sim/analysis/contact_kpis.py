"""KPIs of the channels people reach in person or by phone: desk visits and phone calls.

Counted over the measured cohort (needs appearing in the measured window), per procedure and
for ``all``; NaN when no such channel serves them:

* ``desk_turned_away_per_service``: visits to a daily-ticket desk that ended without a
  ticket, per person served there (:mod:`sim.engine.booking.tickets`);
* ``desk_visitors_served_share``: people served over visits, i.e. the share of a day's
  visitors who got a ticket, pooled over the days;
* ``phone_calls_per_booking``: calls made to a phone line per date it booked (rebookings
  after a missed date included, :mod:`sim.engine.booking.phone`);
* ``phone_answered_share``: calls answered over calls made;
* ``phone_hold_minutes_mean``: mean time on hold of the answered calls.

The waits for the appointment itself are the usual wait KPIs, by channel segment
(``wait_days_p50.channel.<name>``).
"""

from __future__ import annotations

import numpy as np

from sim.engine.model import SimOutput
from sim.engine.records import SERVED

KPIS = (
    "desk_turned_away_per_service",
    "desk_visitors_served_share",
    "phone_calls_per_booking",
    "phone_answered_share",
    "phone_hold_minutes_mean",
)


def _ratio(top: float, bottom: float) -> float:
    return float(top / bottom) if bottom else np.nan


def kpis(out: SimOutput, in_window: np.ndarray) -> dict[tuple[str, str], float]:
    """(kpi, procedure) -> value for the applicants flagged ``in_window``."""
    rec, pop = out.records, out.population
    channels = list(out.scenario.channels.values())
    tickets = [k for k, ch in enumerate(channels)
               if getattr(ch, "mode", "") == "daily_tickets"]
    phones = [k for k, ch in enumerate(channels) if ch.kind == "phone"]
    at_desk = in_window & np.isin(rec.channel, tickets)
    on_phone = in_window & np.isin(rec.channel, phones)
    served = rec.outcome == SERVED
    values: dict[tuple[str, str], float] = {}
    codes = [*range(len(pop.procedures)), None]
    for code in codes:
        label = "all" if code is None else pop.procedures[code]
        mine = np.ones(pop.size, bool) if code is None else pop.procedure == code
        desk, phone = at_desk & mine, on_phone & mine
        visits, n_served = rec.attempts[desk].sum(), served[desk].sum()
        calls, answered = rec.attempts[phone].sum(), rec.answered[phone].sum()
        values["desk_turned_away_per_service", label] = _ratio(visits - n_served, n_served)
        values["desk_visitors_served_share", label] = _ratio(n_served, visits)
        values["phone_calls_per_booking", label] = _ratio(calls, rec.requests[phone].sum())
        values["phone_answered_share", label] = _ratio(answered, calls)
        values["phone_hold_minutes_mean", label] = _ratio(
            1440.0 * rec.hold_days[phone].sum(), answered)
    return values
