"""Scenario schema of what outsiders see and do: the associations' probe, and the courts.

Two public mechanisms let outsiders measure the appointment crisis, and one changes it.

* **The probe** (``probe:``). La Cimade's robot (« À guichets fermés », 2016-2021, 65
  départements) queried each service's booking page every hour ("une requête automatique
  toutes les heures", Libération, March 2016) and noted the first two dates offered; the
  associations classified each reading in five bins: at least two dates within a month; one
  date within a month; first date between one and two months; first date beyond two months;
  no date (S. Chelbi, Village de la Justice, 23 March 2022). A simulated probe reads each
  race channel's page per procedure the same way and books nothing.
  ``readings_per_day`` (24, hourly: sourced) spread over ``from_hour``-``to_hour`` on
  ``weekdays``; ``bins_days`` (30, 60: a month, two months) are the edges of the bins.
* **Court cases** (``courts:``, the *référé mesures utiles*, art. L.521-3 CJA). Since the
  Conseil d'État's decision of 10 June 2020 (n° 435594) a foreigner who shows that no date
  was obtained "malgré plusieurs tentatives n'ayant pas été effectuées la même semaine" may
  ask the administrative court to order the prefecture to give an appointment; judges set a
  deadline ("un rendez-vous qui devra avoir lieu dans un délai de 15 jours", TA Grenoble
  2025). ``weeks_of_attempts`` (2: the CE's "not the same week"; low 2, high 3, TA Cergy
  2020 asked for screenshots over three weeks) defines who is eligible; ``going_share`` of
  eligible people go to court (*fitted* to the published court counts: see
  docs/calibration.md); ``delay`` runs from eligibility to the order (filing, then the
  judge: decided in 2 days at TA Melun in 2022, "quelques semaines" per its president, about
  a month per a lawyer; *estimate* gamma mean 21 days, cv 0.6, low 7, high 45);
  ``deadline_days`` (15, TA Grenoble; low 8, TA Montreuil request; high 30, *estimate*) and
  ``notice_days`` (3: "sous trois jours ouvrables", TA Grenoble) frame the ordered date.
  Costs per case are parameters: the court's (*estimate* 500 EUR: legal aid of 8 to 14
  units of value, 272-476 EUR, plus the judge's time, unpublished; low 272, high 1,000) and
  the prefecture's (costs awarded against the State, 500 EUR in TA Montreuil 2021; low 0,
  high 1,100, TA Montreuil 2024).

The engine: :mod:`sim.engine.probe` and :mod:`sim.engine.booking.courts`.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from sim.scenario.distributions import DistributionSpec
from sim.scenario.frozen import Frozen


class Probe(Frozen):
    """An observer that reads each race channel's booking page per procedure, books nothing,
    and sorts each reading into bins (La Cimade's five by default)."""

    readings_per_day: float = Field(
        24.0, ge=0, le=1e6,
        description="Readings of each procedure's page per active day, spread evenly over "
        "from_hour-to_hour (La Cimade's robot: every hour, 24 a day). The bin shares do not "
        "depend on it, only on its shape over the day and the week.",
    )
    bins_days: tuple[float, ...] = Field(
        (30.0, 60.0), min_length=1, max_length=12,
        description="Edges of the bins in days ahead, increasing: at least two dates within "
        "the first edge; one date within it; first date between two edges (one bin per gap); "
        "first date beyond the last edge; no date. (30, 60): La Cimade's five bins.",
    )
    from_hour: float = Field(0.0, ge=0, lt=24, description="First hour of the readings.")
    to_hour: float = Field(24.0, gt=0, le=24, description="Readings stop at this hour.")
    weekdays: tuple[int, ...] = Field(
        (0, 1, 2, 3, 4, 5, 6), min_length=1, max_length=7,
        description="Weekdays with readings, 0 = Monday.",
    )

    @field_validator("bins_days")
    @classmethod
    def _increasing(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(e <= 0 for e in v) or any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError(f"bins must be positive and strictly increasing (days ahead), "
                             f"e.g. [30, 60]; got {list(v)}")
        return v

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 <= d <= 6 for d in v) or len(set(v)) != len(v):
            raise ValueError(f"weekdays must be distinct integers in [0, 6]; got {list(v)}")
        return v

    @model_validator(mode="after")
    def _hours(self) -> Probe:
        if self.to_hour <= self.from_hour:
            raise ValueError(f"probe.to_hour ({self.to_hour:g}) must be after from_hour "
                             f"({self.from_hour:g})")
        return self


class Courts(Frozen):
    """Court cases (référé mesures utiles): applicants who failed to book for long enough
    go to court, which orders the prefecture to give them an appointment."""

    weeks_of_attempts: int = Field(
        2, ge=1, le=52,
        description="An applicant is eligible once they have made failed attempts in this "
        "many different calendar weeks (CE 10 June 2020 n° 435594: 'not the same week').",
    )
    going_share: float = Field(
        0.0, ge=0, le=1,
        description="Share of eligible applicants who go to court (nothing is published: "
        "fitted to the court counts for the baseline).",
    )
    delay: DistributionSpec = Field(
        default_factory=lambda: DistributionSpec(kind="gamma", mean=21.0, cv=0.6),
        description="Days from eligibility to the court's order (filing, then the judge). "
        "*Estimate*: gamma mean 21, cv 0.6 (low 7, high 45).",
    )
    deadline_days: float = Field(
        15.0, ge=0, le=365,
        description="The order's deadline: the appointment must take place within this many "
        "days of the order (TA Grenoble 2025: 15; low 8, high 30). An order executed later "
        "is late.",
    )
    notice_days: float = Field(
        3.0, ge=0, le=60,
        description="The ordered appointment is at least this many days after the order, "
        "the time for the convocation ('sous trois jours ouvrables', TA Grenoble 2025).",
    )
    court_cost_per_case_eur: float = Field(
        500.0, ge=0, le=1e6,
        description="Cost of a case to the court and legal aid (*estimate*: 500 EUR, low 272, "
        "high 1,000).",
    )
    prefecture_cost_per_case_eur: float = Field(
        500.0, ge=0, le=1e6,
        description="Cost of a case to the prefecture: costs awarded against the State and "
        "the time to answer (*estimate*: 500 EUR, low 0, high 1,100).",
    )

    @model_validator(mode="after")
    def _notice_within_deadline(self) -> Courts:
        if self.notice_days > self.deadline_days:
            raise ValueError(f"courts.notice_days ({self.notice_days:g}) must be at most "
                             f"deadline_days ({self.deadline_days:g})")
        return self
