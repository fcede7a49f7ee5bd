"""How applicants behave while they look for an appointment: online or not, how often they
check the booking site, how long they wait before giving up, whether they pay a reseller.

The default seeker classes are an *estimate*: testimonies describe people checking many
times a day, also at night; the share able to book online (85 %) is an *estimate* too. People
without digital access who must use an online channel depend on help (``help``: a delay, a
helper's own checking habit); people holding a date may see their need go away before it
comes (``holding``). The engine draws each applicant's class, patience, holding patience and
help delay at arrival (:mod:`sim.engine.demand`).
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
    release_checks: float = Field(
        0.0,
        ge=0,
        le=1000,
        description="Extra visits made in the window after each release the person knows of "
        "(slots opened at a fixed hour, daily or weekly: see behaviour.release_window_minutes). "
        "*Estimate*.",
    )


DEFAULT_SEEKERS = (
    SeekerClass(share=0.5, checks_per_day=3, night_share=0.1),
    SeekerClass(share=0.4, checks_per_day=12, night_share=0.25),
    SeekerClass(share=0.1, checks_per_day=48, night_share=0.4),
)


class Holding(Frozen):
    """People holding a date: their need may go away before it comes."""

    patience: DistributionSpec | None = Field(
        None,
        description="Days a person keeps needing a date they hold, counted from the booking "
        "(they found another solution, moved away, gave up); None: everybody keeps it. "
        "*Estimate* (nothing is published): exponential, mean 365 days (low 180, high 730).",
    )
    cancel_probability: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Probability that a person whose need went away cancels the date (the "
        "slot goes back to the channel); the others simply do not come. *Estimate* (low "
        "0.2, high 0.8).",
    )


class Help(Frozen):
    """People without digital access who are routed to an online channel need help."""

    delay: DistributionSpec | None = Field(
        None,
        description="Days to find someone who books for them (an association, a relative, a "
        "paid intermediary); None: no delay. *Estimate*: exponential, mean 14 days "
        "(low 7, high 30).",
    )
    checks_per_day: float = Field(
        1.0,
        gt=0,
        le=1e6,
        description="Visits a helper makes to the booking site per day on their behalf "
        "(race). *Estimate* (low 0.5, high 3): a helper checks for many people, in office "
        "hours.",
    )
    night_share: float = Field(
        0.0, ge=0, le=1, description="Share of the helper's visits made at night (22h-6h)."
    )
    release_checks: float = Field(
        0.0,
        ge=0,
        le=1000,
        description="Extra visits the helper makes after each release they know of (see "
        "seeker classes). *Estimate*: associations know the release hours.",
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
    release_window_minutes: float = Field(
        60.0,
        gt=0,
        le=1440,
        description="Window after a known release (a fixed hour) in which people make their "
        "extra visits (seeker classes' release_checks). *Estimate*.",
    )
    holding: Holding = Field(
        default_factory=Holding, description="People holding a date: give-ups, cancellations."
    )
    help: Help | None = Field(
        None,
        description="People without digital access routed to an online channel (race, "
        "waitlist, lottery, online deposit) depend on help: a delay before they enter it, "
        "and in the race the helper's own checking habit. None: they book as anyone does.",
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
