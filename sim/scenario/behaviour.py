"""How applicants behave while they look for an appointment: online or not, how often they
check the booking site, how long they wait before giving up, whether they pay a reseller.

The default seeker classes are an *estimate*: testimonies describe people checking many
times a day, also at night; the share able to book online (85 %) is an *estimate* too. The
engine draws each applicant's class and patience at arrival (:mod:`sim.engine.demand`).
"""

from __future__ import annotations

from pydantic import Field, field_validator

from sim.scenario.countermeasures import ResaleDemand
from sim.scenario.distributions import DistributionSpec
from sim.scenario.frozen import Frozen


class SeekerClass(Frozen):
    """A kind of online seeker: how often they check the booking site, and when."""

    share: float = Field(ge=0, le=1, description="Share of online seekers in this class.")
    checks_per_day: float = Field(
        gt=0, le=1e6, description="Visits to the booking site per day while looking."
    )
    night_share: float = Field(
        0.2, ge=0, le=1, description="Share of those visits made at night (22h-6h)."
    )


DEFAULT_SEEKERS = (
    SeekerClass(share=0.5, checks_per_day=3, night_share=0.1),
    SeekerClass(share=0.4, checks_per_day=12, night_share=0.25),
    SeekerClass(share=0.1, checks_per_day=48, night_share=0.4),
)


class Behaviour(Frozen):
    """How applicants behave while they look for an appointment."""

    digital_access_share: float = Field(
        0.85,
        ge=0,
        le=1,
        description="Share of applicants able to book online by themselves. *Estimate*.",
    )
    patience: DistributionSpec | None = Field(
        None,
        description="Time (days) after which a seeker gives up; None means nobody gives up.",
    )
    resale: ResaleDemand = Field(
        default_factory=ResaleDemand, description="Who turns to resellers, and when."
    )
    seekers: tuple[SeekerClass, ...] = Field(
        DEFAULT_SEEKERS,
        min_length=1,
        description="Classes of online seekers by checking habit (shares sum to 1). Default "
        "*estimate*: testimonies describe people checking many times a day, also at night.",
    )

    @field_validator("seekers")
    @classmethod
    def _shares_sum_to_one(cls, v: tuple[SeekerClass, ...]) -> tuple[SeekerClass, ...]:
        total = sum(c.share for c in v)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"seeker class shares must sum to 1, got {total:g}")
        return v
