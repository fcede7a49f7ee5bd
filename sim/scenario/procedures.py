"""Scenario schema of a procedure (démarche): demand, counter time, deadlines, casework.

Each procedure has its own demand, counter time per visit and, where the law sets one, a
deadline: the expiry of the current title for renewals, the end of validity of a protection
order (ordonnance de protection, CESEDA L.425-6), or any generic deadline. After the deposit
appointment, a file goes through back-office instruction, a decision and the title pickup.

Sources of defaults
-------------------
* Protection orders: the judge rules within 6 days (``judge_delay_days`` uniform on [0, 6]);
  validity 6 months, 12 months for orders issued from 15 June 2024 (loi n°2024-536 du 13 juin
  2024; Actu-Juridique, June 2024).
* Renewals: the request is due in the two months before the title expires (CESEDA R.431-5):
  ``expiry_after_days`` averages 60 days. *Estimate* of when people start looking.
* ``back_office_hours_per_file = 2.5``: *estimate* below the 3.4 gross hours per document
  derived from 2,000 séjour ETP x 1,607 h / 950,000 documents (2021), which include reception.
* ``fabrication_days = 21``: title production after the decision (Rhône, 2025).
* Refusals: 20,079 first requests and 8,031 renewals refused from October 2020 to June 2021
  (Ministry of the Interior communiqué, 8 July 2021), about 9 % of first requests and 1.3 %
  of renewals a year; incomplete files and consultation delays are not published.
* Bounds: ``counter_minutes_per_visit`` from 1 to 480 minutes (a visit is not shorter than
  a minute, nor longer than a working day); ``annual_volume`` at most five million needs a
  year, above the whole country's (950,000 titles x 3.7 visits, 2021). What a run costs
  within those bounds is estimated before it starts (:mod:`sim.engine.workload`).
* ``visits_per_title``: 3.7 before ANEF, 1 after: "de trois à quatre en moyenne" ramené "à un
  seul rendez-vous" (AN question écrite n°36475, answer of 16 Nov. 2021). The default, 1,
  models the deposit only; calibrated scenarios set 3.7.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from sim.scenario.distributions import DistributionSpec
from sim.scenario.frozen import Frozen

DAYS_PER_MONTH = 365.25 / 12


class Deadline(Frozen):
    """A generic deadline: it falls some time after the need appears."""

    after_days: DistributionSpec = Field(description="Days from the need to the deadline.")


class Renewal(Frozen):
    """The current title expires some time after the need to renew appears."""

    expiry_after_days: DistributionSpec = Field(
        default_factory=lambda: DistributionSpec(kind="uniform", mean=60.0),
        description="Days from the need appearing to the expiry of the current title.",
    )


class ValidityPeriod(Frozen):
    """Validity of protection orders issued from a date on."""

    issued_from: dt.date = Field(description="First issue date this validity applies to.")
    months: float = Field(gt=0, le=120, description="Validity of the order (months).")


class ProtectionOrder(Frozen):
    """Victims of domestic violence holding a protection order are entitled to a title."""

    judge_delay_days: DistributionSpec | None = Field(
        default_factory=lambda: DistributionSpec(kind="uniform", mean=3.0),
        description="Days from the request (the need) to the order; None: the same day.",
    )
    validity: tuple[ValidityPeriod, ...] = Field(
        (ValidityPeriod(issued_from=dt.date(2010, 7, 9), months=6),
         ValidityPeriod(issued_from=dt.date(2024, 6, 15), months=12)),
        min_length=1,
        description="Validity by issue date (the latest period starting on or before the "
        "issue date applies).",
    )
    extension_probability: float = Field(
        0.0, ge=0, le=1, description="Probability that the judge extends the order once."
    )
    extension_months: float = Field(6.0, gt=0, le=120, description="Length of an extension.")

    @field_validator("validity")
    @classmethod
    def _sorted(cls, v: tuple[ValidityPeriod, ...]) -> tuple[ValidityPeriod, ...]:
        return tuple(sorted(v, key=lambda p: p.issued_from))


class Anef(Frozen):
    """Dematerialisation (ANEF) of this procedure from a date."""

    from_date: dt.date = Field(description="Date the procedure moves to ANEF.")
    visits_per_title: float = Field(
        1.0, ge=1, le=10, description="Counter visits per title after the move."
    )


class Casework(Frozen):
    """What happens after the deposit appointment."""

    back_office_hours_per_file: float = Field(
        2.5, ge=0, le=200, description="Instruction hours per file. *Estimate*."
    )
    hours_cv: float = Field(0.5, ge=0, le=5, description="Spread of instruction hours (cv).")
    fabrication_days: float = Field(
        21.0, ge=0, le=365, description="Days to produce the title after the decision."
    )
    visits_per_title: float = Field(
        1.0,
        ge=1,
        le=10,
        description="Counter visits per title, the deposit included. The later visits "
        "(pickup, complements) take counter time off the booking channels. 1 (default): "
        "only the deposit is modelled; 3.7 matches the ministry's 'three to four' before ANEF.",
    )
    pickup_wait_days: float = Field(
        14.0, ge=0, le=365,
        description="Days from the title being ready to its pickup visit. *Estimate*.",
    )
    priority: int = Field(
        1, ge=1, le=9,
        description="Back-office priority class: agents take the oldest file of the "
        "highest class (1 first) that has one; first in, first out within a class.",
    )
    external_delay_days: DistributionSpec | None = Field(
        None,
        description="Days a file waits, after the agent's work, for the opinions of other "
        "services (consultations); no agent time. None: no wait.",
    )
    incomplete_share: float = Field(
        0.0, ge=0, le=1,
        description="Share of files lacking documents: they wait for the applicant's reply "
        "(`reply_delay_days`) before the decision. *Estimate*: nothing is published (low "
        "0.2, central 0.35, high 0.5 in the research notes).",
    )
    reply_delay_days: DistributionSpec = Field(
        default_factory=lambda: DistributionSpec(kind="exponential", mean=30.0),
        description="Days an incomplete file waits for the missing documents. *Estimate* "
        "(low 15, central 30, high 60).",
    )
    refusal_share: float = Field(
        0.0, ge=0, le=1,
        description="Share of decisions that are refusals (no title). About 0.09 of first "
        "requests and 0.013 of renewals in 2020-21 (Ministry of the Interior, 8 July 2021: "
        "20,079 first-request and 8,031 renewal refusals in nine months).",
    )


class DemandStep(Frozen):
    """A lasting change of demand from a date (e.g. multi-year titles: fewer renewals)."""

    from_date: dt.date = Field(description="Date the change takes effect.")
    factor: float = Field(ge=0, le=100, description="Multiplier of the arrival rate.")


class Procedure(Frozen):
    """One démarche: its demand and the counter time it needs."""

    label: str = Field("", description="Human-readable (French) name.")
    annual_volume: float = Field(
        ge=0, le=5e6,
        description="Needs appearing per year (applicants per 365 days): at most five "
        "million, more than the whole country's (about 950,000 séjour titles a year at 3.7 "
        "visits each, 2021).",
    )
    seasonality: tuple[float, ...] = Field(
        (1.0,) * 12,
        min_length=12,
        max_length=12,
        description="Twelve monthly factors (January first) multiplying the arrival rate; "
        "they are rescaled to average 1.",
    )
    trend_per_year: float = Field(
        0.0,
        ge=-0.9,
        le=10,
        description="Relative growth of demand per year: the rate is multiplied by "
        "(1 + trend) ** (t / 365), applied per day.",
    )
    counter_minutes_per_visit: float = Field(
        30.0, ge=1, le=480,
        description="Mean counter time of one visit (minutes): at least one (checking an "
        "identity and taking a file take minutes; a shorter visit cuts the counter time into "
        "millions of slots), at most a working day.",
    )
    service_kind: Literal["exponential", "deterministic", "lognormal", "gamma"] = Field(
        "exponential", description="Distribution of the counter time at the walk-in desk."
    )
    service_cv: float = Field(
        1.0, ge=0, le=10, description="Coefficient of variation of the counter time."
    )
    demand_steps: tuple[DemandStep, ...] = Field(
        (), description="Lasting changes of demand from given dates."
    )
    deadline: Deadline | None = Field(None, description="A generic deadline, if any.")
    renewal: Renewal | None = Field(
        None, description="This procedure renews a title that expires: count lapses."
    )
    protection_order: ProtectionOrder | None = Field(
        None, description="Applicants hold a protection order that expires: count expiries."
    )
    casework: Casework = Field(default_factory=Casework)
    anef: Anef | None = Field(None, description="Dematerialisation from a date, if any.")

    @field_validator("seasonality")
    @classmethod
    def _seasonality_positive(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(f < 0 for f in v) or sum(v) <= 0:
            raise ValueError("seasonality factors must be >= 0 and not all zero")
        mean = sum(v) / len(v)
        if abs(mean - 1) < 1e-12:
            return v  # already rescaled: keep it bit for bit (round trips stay equal)
        return tuple(f / mean for f in v)

    @model_validator(mode="after")
    def _one_deadline(self) -> Procedure:
        kinds = [k for k in ("deadline", "renewal", "protection_order") if getattr(self, k)]
        if len(kinds) > 1:
            raise ValueError(f"a procedure has at most one deadline kind, got {kinds}")
        return self
