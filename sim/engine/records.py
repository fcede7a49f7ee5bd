"""The event log of one replication: what happened to each applicant, as columns.

Channels write here and nowhere else; :mod:`sim.analysis.metrics` turns it into tidy tables once
the run is over. One slot per applicant and per column (numpy arrays indexed by the applicant's
position in the population), so writing is cheap and nothing is ever appended in a loop.

Outcomes: *waiting* (still without a first appointment at the run's stop: censored),
*served* (had their first appointment), *abandoned* (gave up looking), *no_show* (missed their
appointment and did not book again: their need was gone), *cancelled* (booked, then cancelled
and left). A person who misses an appointment but still needs one books again: they count one
more missed appointment (``missed``) and go on looking.
"""

from __future__ import annotations

import numpy as np

WAITING, SERVED, ABANDONED, NO_SHOW, CANCELLED = 0, 1, 2, 3, 4
OUTCOMES = ("waiting", "served", "abandoned", "no_show", "cancelled")


class Records:
    """Outcome columns for ``n`` applicants; times are in days since the start."""

    def __init__(self, n: int):
        self.channel = np.full(n, -1, dtype=np.int16)
        self.outcome = np.zeros(n, dtype=np.int8)
        self.booked_at = np.full(n, np.nan)  # when a slot was booked (dated channels)
        self.slot = np.full(n, -1, dtype=np.int64)  # slot booked, index in its channel's book
        self.appointment_at = np.full(n, np.nan)  # first appointment (or booked date)
        self.left_at = np.full(n, np.nan)  # when a seeker gave up, cancelled or missed
        self.visit_minutes = np.zeros(n)  # counter time used by the first visit
        self.requests = np.zeros(n, dtype=np.int64)  # bookings or registrations made
        self.missed = np.zeros(n, dtype=np.int64)  # appointments missed (then booked again)
        self.attempts = np.zeros(n, dtype=np.int64)  # requests, calls or desk visits made
        self.answered = np.zeros(n, dtype=np.int64)  # phone calls answered
        self.hold_days = np.zeros(n)  # time spent on hold by the calls answered
        self.night_attempts = np.zeros(n, dtype=np.int64)
        self.paid_eur = np.zeros(n)  # price paid to a reseller or bot operator (0: none)
        # court cases (sim.engine.booking.courts): when the applicant became eligible, when
        # the court decided on their case (NaN: no case), the slot the order gave (-1: none)
        self.eligible_at = np.full(n, np.nan)
        self.court_at = np.full(n, np.nan)
        self.court_slot = np.full(n, -1, dtype=np.int64)

    def serve(self, i: int, at: float, minutes: float) -> None:
        self.outcome[i] = SERVED
        self.appointment_at[i] = at
        self.visit_minutes[i] = minutes

    def abandon(self, i: int, at: float) -> None:
        self.outcome[i] = ABANDONED
        self.left_at[i] = at
