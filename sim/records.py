"""The event log of one replication: what happened to each applicant, as columns.

Channels write here and nowhere else; :mod:`sim.metrics` turns it into tidy tables once the
run is over. One slot per applicant and per column (numpy arrays indexed by the applicant's
position in the population), so writing is cheap and nothing is ever appended in a loop.
"""

from __future__ import annotations

import numpy as np

WAITING, SERVED, ABANDONED = 0, 1, 2
OUTCOMES = ("waiting", "served", "abandoned")


class Records:
    """Outcome columns for ``n`` applicants; times are in days since the start."""

    def __init__(self, n: int):
        self.channel = np.full(n, -1, dtype=np.int16)
        self.outcome = np.zeros(n, dtype=np.int8)
        self.booked_at = np.full(n, np.nan)  # when a slot was booked (dated channels)
        self.appointment_at = np.full(n, np.nan)  # first appointment: service start
        self.left_at = np.full(n, np.nan)  # when an abandoning seeker gave up
        self.visit_minutes = np.zeros(n)  # counter time used by the first visit
        self.attempts = np.zeros(n, dtype=np.int64)  # requests made to get a booking

    def serve(self, i: int, at: float, minutes: float) -> None:
        self.outcome[i] = SERVED
        self.appointment_at[i] = at
        self.visit_minutes[i] = minutes

    def abandon(self, i: int, at: float) -> None:
        self.outcome[i] = ABANDONED
        self.left_at[i] = at
