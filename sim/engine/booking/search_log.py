"""What the race remembers of each search, to count attempts afterwards.

Nobody's visits to the booking site are simulated one by one (:mod:`sim.engine.booking.race`).
A seeker's unsuccessful visits are counted at the end: over each period they spent looking
(from entering the race, or from a missed appointment, to booking, buying or giving up), they
made ``Poisson(m)`` of them, ``m`` the integral of their class's intensity over the period
*outside* the spans when a bookable slot of their procedure was free (a visit then books it);
their night visits are a binomial share of them, the night's part of ``m`` (the intensity
restricted to 22h-6h). Their bookings count one request each, at night if booked then.

The log keeps the search periods as three plain lists and the free spans per procedure, so
the run pays a few appends per booking; the integrals are vectorised once, at the end.
"""

from __future__ import annotations

import numpy as np

from sim.engine.demand import LUCK_ATTEMPTS, LUCK_NIGHT, Population
from sim.engine.intensity import Profile
from sim.engine.sampling import binomial_quantile, poisson_quantile


class SearchLog:
    """Search periods of a race's seekers and the spans with a bookable slot free."""

    def __init__(self, procedures: list[int]):
        self.since: dict[int, float] = {}  # applicant -> start of their open period
        self.periods: tuple[list[int], list[float], list[float]] = ([], [], [])
        self.free_since: dict[int, float | None] = dict.fromkeys(procedures)
        self.free_spans: dict[int, tuple[list[float], list[float]]] = {
            p: ([], []) for p in procedures}
        self.night_bookings: dict[int, int] = {}

    def start(self, i: int, now: float) -> None:
        self.since[i] = now

    def stop(self, i: int, now: float) -> None:
        """Applicant ``i``'s search period ends at ``now`` (booked, bought or gave up)."""
        who, start, end = self.periods
        who.append(i)
        start.append(self.since.pop(i))
        end.append(now)

    def booked_at_night(self, i: int) -> None:
        self.night_bookings[i] = self.night_bookings.get(i, 0) + 1

    def is_free(self, p: int) -> bool:
        return self.free_since[p] is not None

    def mark_free(self, p: int, now: float, free: bool) -> None:
        """A bookable slot of ``p`` is (or is no longer) free from ``now`` on."""
        since = self.free_since[p]
        if free and since is None:
            self.free_since[p] = now
        elif not free and since is not None:
            starts, ends = self.free_spans[p]
            starts.append(since)
            ends.append(now)
            self.free_since[p] = None

    def close(self, end: float) -> None:
        """The run ends: close the periods of people still looking, and the free spans."""
        for i in list(self.since):
            self.stop(i, end)
        for p in self.free_since:
            self.mark_free(p, end, False)

    def expected_failed(self, n: int, classes: np.ndarray, procedure: np.ndarray,
                        profiles: list[Profile], night: list[bool]
                        ) -> tuple[np.ndarray, np.ndarray]:
        """Per applicant (``n`` of them), the expected unsuccessful visits, all and at
        night, from their class's intensity (``profiles[classes[i]]``)."""
        total, at_night = np.zeros(n), np.zeros(n)
        who, start, end = (np.asarray(x) for x in self.periods)
        if not who.size:
            return total, at_night
        who = who.astype(np.int64)
        start, end = start.astype(float), end.astype(float)
        cls, proc = classes[who], procedure[who]
        for c, profile in enumerate(profiles):
            for p, spans in self.free_spans.items():
                mine = (cls == c) & (proc == p)
                if not mine.any():
                    continue
                for out, prof in ((total, profile), (at_night, profile.masked(night))):
                    np.add.at(out, who[mine], busy_integral(prof, spans, start[mine], end[mine]))
        return total, at_night

    def attempts(self, members: np.ndarray, requests: np.ndarray, pop: Population,
                 classes: np.ndarray, profiles: list[Profile], night: list[bool]
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Attempts and night attempts of ``members``: their requests (one per booking)
        plus the unsuccessful visits, a Poisson draw of their expected number by inversion
        of the applicant's own uniform; at night, the bookings made at night plus a
        binomial share of the unsuccessful visits (the night's part of the expected
        number)."""
        expected, at_night = self.expected_failed(pop.size, classes, pop.procedure,
                                                  profiles, night)
        mean, night_mean = expected[members], at_night[members]
        failed = poisson_quantile(pop.luck[members, LUCK_ATTEMPTS], mean)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.clip(np.where(mean > 0, night_mean / mean, 0.0), 0.0, 1.0)
        failed_at_night = binomial_quantile(pop.luck[members, LUCK_NIGHT], failed, share)
        booked_at_night = np.zeros(pop.size, dtype=np.int64)
        for i, k in self.night_bookings.items():
            booked_at_night[i] = k
        return requests[members] + failed, failed_at_night + booked_at_night[members]


def busy_integral(profile: Profile, spans: tuple[list[float], list[float]],
                  start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Integral of ``profile`` over each ``[start, end]`` outside the free ``spans``
    (disjoint, in time order).

    >>> from sim.engine.intensity import Grid
    >>> flat = Profile(Grid([], phase=0.0), [2.0])  # two visits a day
    >>> busy_integral(flat, ([1.0, 3.0], [2.0, 3.5]), np.array([0.0, 2.5]),
    ...               np.array([4.0, 3.25])).tolist()  # free 1-2 and 3-3.5
    [5.0, 1.0]
    """
    whole = profile.integral(start, end)
    if not spans[0]:
        return whole
    a, b = np.asarray(spans[0]), np.asarray(spans[1])
    la, lb = profile.cumulative(a), profile.cumulative(b)
    before = np.concatenate([[0.0], np.cumsum(lb - la)])  # free integral before span m

    def free_until(t: np.ndarray) -> np.ndarray:
        m = np.searchsorted(a, t, side="right") - 1
        inside = m >= 0
        out = np.zeros(t.size)
        mm = m[inside]
        out[inside] = before[mm] + profile.cumulative(np.minimum(t[inside], b[mm])) - la[mm]
        return out

    return np.maximum(whole - (free_until(end) - free_until(start)), 0.0)
