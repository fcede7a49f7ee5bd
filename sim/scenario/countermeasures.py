"""Scenario schema of bot operators, the resale market and the measures against them.

Intermediaries run bots that request the booking pages far faster than people, grab the
slots as they are released and resell them ("des officines ... mettent au point des
algorithmes permettant de préempter les créneaux de rendez-vous pour les revendre", AN
question écrite n°36475, 2021). The ministry answered with a CAPTCHA (May 2019), a cap on
bookings per e-mail address, a residence-number (AGDREF) check for renewals, and filtering:
about 170 million malicious connections identified and foiled from June 2020 to late 2021.

Sources of defaults
-------------------
* ``price.mean_eur = 120``: a slot resold 120 EUR in Bobigny (Le Parisien, 2019); AN question
  écrite n°23368 reports 100-200 EUR; the Senate (2021) 15-200 EUR. ``cv = 0.4`` is an
  *estimate* spanning that range.
* ``pay_share = 0.3`` and ``buy_after_days = 30``: *estimates* (nobody publishes how many
  applicants pay); to be calibrated.
* ``captcha_pass_rate = 0.1``, ``captcha_solve_seconds = 20``: *estimates*; solving services
  answer in tens of seconds.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from sim.scenario.frozen import Frozen


class Price(Frozen):
    """Price a reseller asks for one slot (lognormal)."""

    mean_eur: float = Field(120.0, ge=0, le=10000, description="Mean price (EUR).")
    cv: float = Field(0.4, ge=0, le=5, description="Coefficient of variation of the price.")


class BotOperator(Frozen):
    """An intermediary running booking bots."""

    mode: Literal["speculative", "for_hire"] = Field(
        "speculative",
        description="speculative: book slots under invented names, then sell them; "
        "for_hire: book on behalf of a paying applicant with their real details.",
    )
    requests_per_day: float | None = Field(
        None,
        ge=0,
        le=1e10,
        description="Requests sent to the booking pages per day, all targets together, spread "
        "evenly over the day (give this or poll_interval_seconds).",
    )
    poll_interval_seconds: float | None = Field(
        None,
        gt=0,
        le=86400,
        description="Seconds between two requests to one target page, around the clock (give "
        "this or requests_per_day). Public bots wait 1 s between checks when nothing is "
        "found (2ooom/bot-prefecture); alert services 30-45 s.",
    )
    release_poll_interval_seconds: float | None = Field(
        None,
        gt=0,
        le=86400,
        description="Seconds between two requests to one target page in the windows around "
        "the releases it knows of (slots opened at a fixed hour); None: no burst. Public "
        "bots: 0.8-1 s.",
    )
    release_window_minutes_before: float = Field(
        5.0, ge=0, le=1440, description="The burst starts this long before a known release."
    )
    release_window_minutes_after: float = Field(
        30.0, ge=0, le=1440, description="... and ends this long after it."
    )
    cost_per_booking_eur: float = Field(
        0.5,
        ge=0,
        le=10000,
        description="Speculative: what one booking costs the operator (CAPTCHA solves, "
        "proxies, identities); it books a slot for stock only while the chance of selling it "
        "before its date times the mean price exceeds this; 0: it stocks whatever it can "
        "take. *Estimate* (low 0.05, high 3).",
    )
    identities: int = Field(
        50, ge=1, le=10_000_000, description="E-mail addresses (accounts) the operator uses."
    )
    procedures: tuple[str, ...] | None = Field(
        None, description="Procedures targeted; None means all procedures booked online."
    )
    price: Price = Field(default_factory=Price)
    unsold_release_days: float = Field(
        2.0,
        ge=0,
        le=365,
        description="Speculative: a slot still unsold this many days before its date is "
        "given up (cancelled late, so it is released again, or simply not honoured); the "
        "operator books closer slots only for a buyer already waiting.",
    )
    market_memory_days: float = Field(
        30.0,
        gt=0,
        le=365,
        description="Speculative: days over which the operator averages the buyers coming to "
        "the market, to judge how many slots it can sell. *Estimate*.",
    )
    unsold_no_show_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Speculative: share of unsold slots not honoured (wasted) rather than "
        "cancelled and released again.",
    )


    @model_validator(mode="after")
    def _one_volume(self) -> BotOperator:
        if (self.requests_per_day is None) == (self.poll_interval_seconds is None):
            raise ValueError(
                "give exactly one of requests_per_day (all targets, per day) and "
                "poll_interval_seconds (per target page)"
            )
        return self


class ResaleDemand(Frozen):
    """Applicants who turn to resellers."""

    pay_share: float = Field(
        0.3, ge=0, le=1, description="Share of applicants able and willing to pay. *Estimate*."
    )
    buy_after_days: float = Field(
        30.0,
        ge=0,
        le=3650,
        description="An applicant willing to pay turns to resellers after failing this long "
        "(at the operators' next daily round, at midnight). *Estimate*.",
    )


class Countermeasures(Frozen):
    """Measures against bots, each a switch with its documented effect."""

    captcha: bool = Field(
        False,
        description="CAPTCHA on booking requests (reCAPTCHA since May 2019): only "
        "`captcha_pass_rate` of bot requests pass, each costing `captcha_solve_seconds`.",
    )
    captcha_pass_rate: float = Field(
        0.1, ge=0, le=1, description="Share of bot requests that pass the CAPTCHA. *Estimate*."
    )
    captcha_solve_seconds: float = Field(
        20.0,
        ge=0,
        le=3600,
        description="Seconds to solve one CAPTCHA: an operator can send at most identities x "
        "86,400 / seconds solved requests a day. *Estimate*.",
    )
    per_email_cap: int | None = Field(
        None,
        ge=1,
        le=1000,
        description="Bookings one e-mail address may hold at once; None: no cap. A "
        "speculative operator then holds at most identities x cap slots.",
    )
    filtered_share: float = Field(
        0.0, ge=0, le=1, description="Share of bot requests blocked by filtering and firewalls."
    )
    agdref_check: bool = Field(
        False,
        description="Renewal bookings require a valid residence number (AGDREF): no "
        "speculative booking of the procedures in `agdref_procedures`.",
    )
    agdref_procedures: tuple[str, ...] = Field(
        ("renewal",), description="Procedures subject to the AGDREF check."
    )
    name_bound: bool = Field(
        False,
        description="Bookings are nominative and checked at the counter: a slot booked under "
        "an invented name cannot be resold, so speculative booking stops.",
    )
    prepayment_eur: float = Field(
        0.0,
        ge=0,
        le=10000,
        description="Fee paid at booking, refunded at the appointment: unsold speculative "
        "slots would cost the operator the fee, so it books only for a buyer already found.",
    )


def scale_volume(operator: dict[str, Any], factor: float) -> dict[str, Any]:
    """An operator's data (``model_dump``) sending ``factor`` times as many requests: its
    ``requests_per_day`` multiplied, or its polling intervals divided.

    >>> scale_volume({"requests_per_day": None, "poll_interval_seconds": 30.0,
    ...               "release_poll_interval_seconds": 1.0}, 2.0)["poll_interval_seconds"]
    15.0
    """
    out = dict(operator)
    if out.get("requests_per_day") is not None:
        out["requests_per_day"] *= factor
    for key in ("poll_interval_seconds", "release_poll_interval_seconds"):
        if out.get(key) is not None:
            out[key] /= factor
    return out
