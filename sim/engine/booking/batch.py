"""Batch-then-allocate releases: speed buys nothing.

Instead of giving each released slot to the first request (the race), the booking site
collects the requests made in the ``batch_window_minutes`` after a release, then draws the
released slots among those who asked, one slot each; slots left over go first come after
the window. A bot polling every second and a person checking twice in the window hold one
entry each: a frequent batch auction (Budish, Cramton and Shim, *The High-Frequency Trading
Arms Race*, QJE 2015) turns the race on speed into a lottery among those present.

Who asked, without an event per request: a seeker of class ``c`` present at the end of the
window asked at least once with probability ``1 - exp(-integral of lambda_c over the
window)`` (:mod:`sim.engine.timing`), so the entries of a class are a binomial draw; a bot
operator enters once per identity it may still use (below its cap). Entries are then drawn
uniformly, and a drawn seeker is a uniform member of their class.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from sim.engine.booking.seekers import SeekerPool
from sim.engine.bots import Bots
from sim.engine.intensity import Profile
from sim.engine.sampling import choose
from sim.engine.slots import SlotBook
from sim.engine.streams import Uniforms


class BatchChannel(Protocol):
    """What a batch allocation uses of a race channel."""

    book: SlotBook
    seekers: dict[int, SeekerPool]
    profiles: list[Profile]
    u: Uniforms
    batch_rng: np.random.Generator

    @property
    def competing_bots(self) -> Bots | None: ...

    def purge(self, pool: SeekerPool, now: float) -> None: ...

    def people_win(self, p: int, cls: int, u: float, now: float) -> None: ...

    def bot_wins(self, k: int, p: int, now: float) -> None: ...

    def redraw(self, p: int) -> None: ...


def allocate(race: BatchChannel, procedures: set[int], released: float, now: float) -> None:
    """The slots of ``procedures`` opened at ``released`` go, at ``now`` (the window's end),
    to the people and bot identities who asked meanwhile, drawn at random, one each; then
    the rest is first come."""
    bots = race.competing_bots
    for p in sorted(procedures & set(race.seekers)):
        pool = race.seekers[p]
        race.purge(pool, now)
        entries: list[tuple[int, int]] = []  # (class, or -1 - operator; entries)
        for c, group in enumerate(pool.members):
            if group:
                window = float(race.profiles[c].integral(np.array([released]),
                                                         np.array([now]))[0])
                asked = 1.0 - math.exp(-window)
                entries.append((c, int(race.batch_rng.binomial(len(group), asked))))
        if bots is not None:
            entries += [(-1 - k, bots.identities_free(k)) for k, _ in bots.competing(p, now)]
        left = sum(n for _, n in entries)
        while left > 0 and race.book.has_free(p, now):
            e = choose([n for _, n in entries], race.u() * left)
            who, n = entries[e]
            entries[e] = (who, n - 1)
            left -= 1
            if who < 0:
                race.bot_wins(-1 - who, p, now)
            elif pool.members[who]:
                race.people_win(p, who, race.u(), now)
        race.redraw(p)
