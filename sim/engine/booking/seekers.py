"""Active seekers of one procedure: who is looking, at what rate, until when.

A small container shared by the race (seekers who poll) and the lottery (registered
requests): members grouped by class, O(1) insertion and removal (swap with the last), a
draw proportional to each class's total rate, and a heap of deadlines (arrival + patience)
purged lazily.
"""

from __future__ import annotations

import heapq
import math


class SeekerPool:
    """Active seekers of one procedure, by class, with O(1) add, remove and uniform pick."""

    def __init__(self, rates: list[float]):
        self.rates = rates
        self.members: list[list[int]] = [[] for _ in rates]
        self.where: dict[int, int] = {}
        self.deadlines: list[tuple[float, int]] = []
        self.total = 0.0  # sum of members' rates, kept up to date

    def __len__(self) -> int:
        return len(self.where)

    def add(self, i: int, cls: int, deadline: float) -> None:
        self.where[i] = len(self.members[cls])
        self.members[cls].append(i)
        self.total += self.rates[cls]
        if deadline < math.inf:
            heapq.heappush(self.deadlines, (deadline, i))

    def remove(self, i: int, cls: int) -> None:
        group, k = self.members[cls], self.where.pop(i)
        last = group.pop()
        if last != i:
            group[k] = last
            self.where[last] = k
        # reset when empty, so rounding never accumulates
        self.total = self.total - self.rates[cls] if self.where else 0.0

    def expire(self, now: float, classes: list[int]) -> list[tuple[int, float]]:
        """Remove seekers whose deadline is ``<= now``; return (applicant, deadline) pairs."""
        gone = []
        while self.deadlines and self.deadlines[0][0] <= now:
            at, i = heapq.heappop(self.deadlines)
            if i in self.where:
                self.remove(i, classes[i])
                gone.append((i, at))
        return gone

    def pick(self, u: float, total: float) -> tuple[int, int]:
        """The seeker whose check came first, from one uniform ``u``."""
        x = u * total
        for cls, (group, r) in enumerate(zip(self.members, self.rates, strict=True)):
            weight = len(group) * r
            if x < weight and group:
                return group[int(x / r)], cls
            x -= weight
        cls = max(range(len(self.members)), key=lambda c: len(self.members[c]))
        return self.members[cls][-1], cls  # floating-point edge: last member
