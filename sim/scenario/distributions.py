"""Positive random durations given by a mean and a coefficient of variation: their schema.

Service times, patience, deadlines and lead times are all "a positive duration with this
mean and this spread". One small family covers them: exponential (cv = 1, the
queueing-theory case), deterministic (cv = 0), lognormal and gamma (any cv), and uniform on
[0, 2 x mean] (a judge deciding "within six days"). The engine draws them with
:func:`sim.engine.sampling.sample`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.scenario.frozen import Frozen

KINDS = ("exponential", "deterministic", "lognormal", "gamma", "uniform")


class DistributionSpec(Frozen):
    """A positive random duration given by its mean and coefficient of variation."""

    kind: Literal["exponential", "deterministic", "lognormal", "gamma", "uniform"] = Field(
        "exponential",
        description="Family of the distribution (uniform: on [0, 2 x mean]).",
    )
    mean: float = Field(
        gt=0, le=36500,
        description="Mean, in the unit named by the owning field (days, at most a century: "
        "the owning field's null says 'never').",
    )
    cv: float = Field(
        1.0,
        ge=0,
        le=10,
        description="Coefficient of variation (std/mean); used by lognormal and gamma only "
        "(exponential has cv 1, deterministic cv 0).",
    )
