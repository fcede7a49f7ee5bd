"""The run's timeline: a burn-in before the start, the measured window, a follow-up after it.

A planner asks about a period: the year 2021, say (``horizon.start``, ``horizon.days``).
Simulating exactly that period from an empty office answers another question: an office
that opens on 1 January with nobody waiting, no appointment booked and no file in
instruction, and whose applicants of December are cut off at the end of the run before
their fate is known. Both artefacts change the answer with the run's length. The engine
therefore runs on a longer timeline::

    internal day 0      offset          measure_from        measure_to           stop
    |--- burn-in ---|--- warm-up ---|--- measured window ---|--- follow-up ---|
     (discarded)      (simulated,      (needs appearing       (demand goes on;
                       not measured)    here are the cohort)   the cohort is followed)

* **Burn-in** (``horizon.burn_in_days``): the days before ``start`` are simulated under the
  scenario's own parameters as dated (demand with its seasonality and trend, staff and
  channels as they stand on those dates), then discarded: the measured period starts with
  people already looking, slots already booked and files already in instruction.
* **Warm-up** (``horizon.warmup_days``): simulated and reported, but left out of the KPIs.
* **Follow-up** (``horizon.follow_up_days``): the needs of the measured window are followed
  after its end until they are served, give up, lapse or expire, up to this cap; demand
  goes on meanwhile (in the race newcomers compete with the cohort: stopping them would
  shorten the cohort's waits), but the newcomers are not measured.

Internal times are days since the burn-in's first day; the tables report days since
``start`` (internal time minus :attr:`Frame.offset`). Each segment of demand draws from its
own named streams (:func:`segments`), so the measured cohort is the same applicants, with
the same attributes, whatever the burn-in and the follow-up (common random numbers).
"""

from __future__ import annotations

from typing import NamedTuple

from sim.engine.calendar import Calendar, build_calendar
from sim.scenario import Horizon, Scenario


class Frame(NamedTuple):
    """Landmarks of a run's timeline, in internal days (see the module docstring)."""

    offset: float  # internal time of ``horizon.start`` (the burn-in's length)
    measure_from: float  # needs appearing from here on are measured (after the warm-up)
    measure_to: float  # ... up to here (the horizon's end)
    stop: float  # the run ends here (after the follow-up)

    @property
    def run_days(self) -> int:
        """Days of the internal timeline."""
        return int(self.stop)


def frame_of(horizon: Horizon) -> Frame:
    """The timeline of a scenario's horizon.

    >>> frame_of(Horizon(days=365, warmup_days=30, burn_in_days=180, follow_up_days=90))
    Frame(offset=180.0, measure_from=210.0, measure_to=545.0, stop=635.0)
    """
    offset = float(horizon.burn_in_days)
    end = offset + horizon.days
    return Frame(offset, offset + horizon.warmup_days, end, end + horizon.follow_up_days)


def run_calendar(scenario: Scenario, extra_days: int = 0) -> Calendar:
    """The calendar of the whole internal timeline (and ``extra_days`` after its stop)."""
    h = scenario.horizon
    return build_calendar(scenario.calendar, h, h.follow_up_days + extra_days,
                          before_days=h.burn_in_days)


def segments(frame: Frame) -> list[tuple[str, int, int]]:
    """Demand segments: (stream prefix, first internal day, end day), empty ones left out.

    The measured window keeps the unprefixed stream names, so a scenario without burn-in
    or follow-up draws exactly what it drew before they existed.

    >>> segments(Frame(10.0, 10.0, 20.0, 25.0))
    [('burn_in.', 0, 10), ('', 10, 20), ('follow_up.', 20, 25)]
    """
    cuts = [("burn_in.", 0, int(frame.offset)),
            ("", int(frame.offset), int(frame.measure_to)),
            ("follow_up.", int(frame.measure_to), int(frame.stop))]
    return [c for c in cuts if c[2] > c[1]]
