"""Who may go to court: failed attempts in several different calendar weeks.

The Conseil d'État (10 June 2020, n° 435594) lets a foreigner ask the administrative court
to order an appointment once they show that no date was obtained "malgré plusieurs
tentatives n'ayant pas été effectuées la même semaine". The rule here: an applicant looking
in a race channel becomes *eligible* at their first failed attempt in the
``weeks_of_attempts``-th different calendar week (Monday to Sunday) of their search.

**Exact under one stated approximation.** The race never draws a seeker's visits one by one
(:mod:`sim.engine.booking.race`): they form a non-homogeneous Poisson process of their
class's intensity (their own, or their helper's without digital access), and a visit while
no slot of their procedure is free is a failed attempt. The eligibility date is drawn as if
every visit failed: the first visit after entering the race is the point of that process
where the integrated intensity has grown by an exponential draw (time change,
:meth:`sim.engine.intensity.Profile.inverse`), and each next week's first visit is drawn the
same way from the following Monday. A visit that fell while a slot was free would in fact
have booked, and the seeker would have left: so the rule is exact for anyone still looking
at the date drawn, except that the two visits drawn may have fallen in a free span, with
probability at most ``weeks_of_attempts`` times the share of the seeker's intensity that
falls in free spans. In a race where released slots go within minutes that share is tiny
(measured on the Val-de-Marne baseline in docs/policies.md); in a race with free slots most
of the time, people book at their first visit and are never eligible.

Only an applicant's first search counts (someone who booked, missed the date and looks
again has had a date). The draws come from the applicant's own streams, named per segment
and procedure (``court.attempts.<procedure>``, ``court.going.<procedure>``,
``court.delay.<procedure>``, with the ``burn_in.`` and ``follow_up.`` prefixes of
:func:`sim.engine.frame.segments`), so that the same people are eligible, go to court and
wait for the judge the same time in two scenarios with the same demand.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.engine.demand import Population
from sim.engine.frame import Frame, segments
from sim.engine.intensity import WEEK, Profile
from sim.engine.sampling import sample
from sim.engine.streams import Streams
from sim.scenario.observers import Courts


class CourtDraws(NamedTuple):
    """Each applicant's own draws for the court mechanism."""

    attempts: np.ndarray  # (n, weeks) exponentials: the integrated intensity to each attempt
    going: np.ndarray  # uniform: goes to court if below going_share
    delay: np.ndarray  # days from eligibility to the court's order


def court_draws(spec: Courts, population: Population, frame: Frame,
                streams: Streams) -> CourtDraws:
    """Every applicant's draws, from the streams of their segment and procedure."""
    n, weeks = population.size, spec.weeks_of_attempts
    attempts, going, delay = np.full((n, weeks), np.inf), np.ones(n), np.full(n, np.inf)
    d = spec.delay
    for prefix, first, end in segments(frame):
        inside = (population.arrival >= first) & (population.arrival < end)
        for code, name in enumerate(population.procedures):
            rows = np.flatnonzero(inside & (population.procedure == code))
            attempts[rows] = streams[f"{prefix}court.attempts.{name}"].exponential(
                size=(rows.size, weeks))
            going[rows] = streams[f"{prefix}court.going.{name}"].random(rows.size)
            delay[rows] = sample(streams[f"{prefix}court.delay.{name}"], d.kind, d.mean, d.cv,
                                 rows.size)
    return CourtDraws(attempts, going, delay)


def eligible_times(entry: np.ndarray, classes: np.ndarray, profiles: list[Profile],
                   attempts: np.ndarray, phase: float) -> np.ndarray:
    """When each searcher (entering at ``entry``, checking with ``profiles[classes]``) has
    failed in ``attempts.shape[1]`` different calendar weeks, if every visit fails
    (``phase``: the weekday of run time 0, Monday = 0).

    >>> from sim.engine.intensity import Grid
    >>> flat = [Profile(Grid([], phase=0.0), [1.0])]  # one visit a day
    >>> x = np.array([[0.5, 2.0], [0.5, 2.0]])        # integrated intensity to each attempt
    >>> eligible_times(np.array([1.0, 6.75]), np.array([0, 0]), flat, x, 0.0).tolist()
    [9.0, 16.0]
    """
    out = np.full(entry.size, np.inf)
    for c, profile in enumerate(profiles):
        mine = classes == c
        if not mine.any():
            continue
        with np.errstate(invalid="ignore"):  # never (inf): stays never
            t = profile.inverse(profile.cumulative(entry[mine]) + attempts[mine, 0])
            for k in range(1, attempts.shape[1]):
                monday = WEEK * (np.floor((t + phase) / WEEK) + 1.0) - phase
                t = profile.inverse(profile.cumulative(monday) + attempts[mine, k])
        out[mine] = np.where(np.isnan(t), np.inf, t)
    return out
