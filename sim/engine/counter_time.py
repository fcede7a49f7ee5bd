"""Counter time between channels: fixed shares, or shares that follow demand week by week.

A prefecture gives each booking channel a share of its counter time (``counter_share``). When
demand moves (ANEF takes first titles online, a desk closes), a fixed share leaves counters
idle in one channel while another's queue grows; a manager would move the freed counters at
once. With ``staff.counter_time.rule: follow_demand``, each week:

1. each channel that uses counter time expects ``need = (1 + headroom) * expected arrivals
   routed to it * minutes per visit`` (from the demand rates, the digital-access share and
   the routing of :func:`sim.engine.model.routing`, by the day the need appears);
2. its share of the week's counter minutes is its ``supply``; a channel with more than it
   needs gives the surplus away, keeping ``need``;
3. the surplus goes to the channels that need more than their supply, in proportion to their
   shortfall (all of it: spare time serves a short channel better than an idle counter).

Nothing moves in a week with no surplus or no shortfall: the shares are then exactly the
fixed ones, and a scenario where nothing ever moves gives the fixed rule's results to the
byte. ``headroom`` keeps a giving channel below utilisation 1 (where a queue grows without
bound): *estimate* 0.1. The rule uses expected demand, not the backlog: it does not chase
the random ups and downs of the queues, and it ignores latent demand beyond the arrivals
(rebookings after a no-show, for instance).
"""

from __future__ import annotations

import numpy as np

from sim.engine.calendar import Calendar
from sim.engine.demand import daily_rate
from sim.scenario import DeskChannel, OnlineChannel, Scenario, routing_order


def uses_counter_time(channel: object) -> bool:
    """Does this channel take a share of the staff's counter time?"""
    if isinstance(channel, OnlineChannel):
        return False
    return not (isinstance(channel, DeskChannel) and channel.counters is not None)


def expected_minutes(scenario: Scenario, calendar: Calendar) -> np.ndarray:
    """Counter minutes of first visits expected per (channel, day): arrivals of each
    procedure split by digital access, each part routed to its first matching channel (in
    routing order: ``route_first`` channels, then file order).

    >>> from sim.engine.calendar import build_calendar
    >>> from sim.scenario.loader import validate
    >>> s = validate({"procedures": {"p": {"annual_volume": 365, "counter_minutes_per_visit": 10}},
    ...               "behaviour": {"digital_access_share": 0.75},
    ...               "staff": {"front_office_etp": 1},
    ...               "channels": {"desk": {"kind": "desk", "audience": "non_digital",
    ...                                     "counter_share": 0.2},
    ...                            "web": {"kind": "waitlist", "counter_share": 0.8}}})
    >>> expected_minutes(s, build_calendar(s.calendar, s.horizon))[:, 0].tolist()
    [2.5, 7.5]
    """
    dates = calendar.dates
    names = list(scenario.channels)
    need = np.zeros((len(scenario.channels), calendar.n_days))
    share = scenario.behaviour.digital_access_share
    for name, proc in scenario.procedures.items():
        minutes = daily_rate(proc, calendar) * proc.counter_minutes_per_visit
        for digital, weight in ((True, share), (False, 1.0 - share)):
            left = np.ones(calendar.n_days, dtype=bool)
            for name_k, ch in routing_order(scenario):
                k = names.index(name_k)
                if ch.procedures is not None and name not in ch.procedures:
                    continue
                if not (ch.audience == "all" or (ch.audience == "digital") == digital):
                    continue
                active = np.ones(calendar.n_days, dtype=bool)
                if ch.active_from is not None:
                    active &= dates >= np.datetime64(ch.active_from, "D")
                if ch.active_until is not None:
                    active &= dates < np.datetime64(ch.active_until, "D")
                need[k] += minutes * weight * (left & active)
                left &= ~active
    return need


def daily_shares(scenario: Scenario, calendar: Calendar,
                 minutes: np.ndarray) -> dict[str, np.ndarray]:
    """Each channel's share of the booking ``minutes`` on each day of ``calendar`` under the
    scenario's rule; empty under the fixed rule (channels then use their ``counter_share``).
    """
    rule = scenario.staff.counter_time
    if rule.rule == "fixed":
        return {}
    names = [n for n, ch in scenario.channels.items() if uses_counter_time(ch)]
    rows = [list(scenario.channels).index(n) for n in names]
    fixed = np.array([scenario.channels[n].counter_share for n in names])[:, None]
    first_weekday = int((calendar.dates[0].astype("datetime64[D]").astype(np.int64) + 3) % 7)
    week = (np.arange(calendar.n_days) + first_weekday) // 7
    n_weeks = int(week[-1]) + 1 if calendar.n_days else 0

    def weekly(x: np.ndarray) -> np.ndarray:
        return np.stack([np.bincount(week, row, minlength=n_weeks) for row in x])

    total = np.bincount(week, minutes, minlength=n_weeks)
    supply = fixed * total
    need = (1.0 + rule.headroom) * weekly(expected_minutes(scenario, calendar)[rows])
    surplus, short = np.maximum(supply - need, 0.0), np.maximum(need - supply, 0.0)
    given, wanted = surplus.sum(axis=0), short.sum(axis=0)
    moves = (given > 0) & (wanted > 0) & (total > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        moved = supply - surplus + given * short / wanted
        shares = np.where(moves, moved / total, fixed)
    return {name: shares[k][week] for k, name in enumerate(names)}
