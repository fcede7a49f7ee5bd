"""Online deposit (ANEF): the file is deposited online, without a first appointment.

From 2019 the ministry moved procedures to the "Administration numérique des étrangers en
France" (ANEF): students from November 2020, then work permits, "passeports talents",
duplicates and changes of address in 2021. The deposit no longer needs a counter slot: the
applicant files online when the need appears, and only the title pickup (if any) needs a
visit. The Conseil d'État (3 June 2022) requires a substitute for those who cannot file
online: route non-digital applicants to a desk or another channel.

Assumption: filing online takes no waiting time; the "first appointment" is the online
deposit itself, at the moment the need appears (or after the channel's admission delay).
"""

from __future__ import annotations

import numpy as np

from sim.engine.booking.interface import Context
from sim.scenario.channels import OnlineChannel


class Online:
    """Every applicant deposits at once; no counter time."""

    def __init__(self, ctx: Context, name: str, index: int, spec: OnlineChannel):
        self.ctx, self.name, self.index, self.spec = ctx, name, index, spec

    def start(self) -> None:
        """Nothing to schedule."""

    def admit(self, i: int) -> None:
        rec = self.ctx.records
        rec.booked_at[i] = self.ctx.env.now
        rec.attempts[i] = 1
        rec.serve(i, self.ctx.env.now, 0.0)

    def close(self) -> None:
        """Nobody is left waiting."""

    def capacity_minutes(self) -> np.ndarray:
        return np.zeros(self.ctx.calendar.n_days)

    def used_minutes(self) -> np.ndarray:
        return np.zeros(self.ctx.calendar.n_days)
