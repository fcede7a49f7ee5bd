"""The KPI glossary: one entry per KPI, the single source of its words, unit, domain and sense.

A planner reads "90th-percentile wait: 118 days", not ``wait_days_p90 = 118.2``. Every face
(command line, report, dashboard) and every sentence of a summary takes a KPI's label, unit
and one-line definition from here, in English or French, and so does the statistics: the
*domain* (``count`` >= 0, ``share`` in [0, 1], ``days`` >= 0, ``eur`` >= 0, ``margin``: signed
days) decides how its interval is built (:func:`sim.analysis.intervals.bounded_interval`) and
the *direction* ("lower is better", "higher is better", or neither, as for utilisation) how a
change is told.

Intervals per domain (the mean over replications, 95 %):

* ``share``: Student-t on the logit scale by the delta method (the mean's standard error
  divided by ``p(1 - p)``), mapped back: never below 0 nor above 1;
* ``count``, ``days``, ``eur``: Student-t on the log scale by the delta method (standard error
  over the mean), mapped back: never below 0, longer on the side where skewed quantities
  (rare events, money paid to resellers) spread;
* ``margin``: plain Student-t (a margin may be negative: a deposit after the expiry).

A value that is the same in every replication keeps an interval of width 0. Segment KPIs
(``wait_days_p90.access.non_digital``) take their entry from the KPI before the first dot and
a label from :data:`SEGMENTS`. A new KPI needs an entry here: ``tests/test_glossary.py``
fails on any name :func:`sim.analysis.kpis.kpi_table` produces without one; entries live
in :mod:`sim.analysis.glossary.terms`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from sim.analysis.glossary.terms import TERMS, Term
from sim.scenario.suggest import did_you_mean

DOMAINS = {  # domain -> (lowest, highest, scale of the interval)
    "count": (0.0, math.inf, "log"), "share": (0.0, 1.0, "logit"),
    "days": (0.0, math.inf, "log"), "eur": (0.0, math.inf, "log"),
    "margin": (-math.inf, math.inf, "t"),
}
NEAR_ZERO = {"count": 5.0, "share": 0.005, "days": 0.5, "eur": 1000.0, "margin": math.inf}
"""A baseline below this is "near 0": no relative change is shown against it."""


SEGMENTS = {  # segment of a KPI name -> (English, French) for the label
    "access.digital": ("people with digital access", "personnes ayant accès au numérique"),
    "access.non_digital": ("people without digital access", "personnes sans accès au numérique"),
    "paid.yes": ("people who paid a reseller", "personnes ayant payé un revendeur"),
    "paid.no": ("people who did not pay", "personnes n'ayant pas payé"),
    "court.yes": ("people who went to court", "personnes ayant saisi le juge"),
    "court.no": ("people who did not go to court", "personnes n'ayant pas saisi le juge"),
    "court.eligible_no": ("people able to go to court who did not",
                          "personnes pouvant saisir le juge qui ne l'ont pas fait"),
}

HEADLINE = ("wait_days_p50", "wait_days_p90", "wait_days_p90.access.non_digital",
            "gave_up_share", "still_waiting_end", "renewal_lapses",
            "protection_orders_expired", "time_to_title_days_mean", "bot_slot_share",
            "front_office_utilisation", "staff_cost_eur")
"""The curated headline (procedure ``all``): what a report, a run and the cards show first."""


def term(kpi: str) -> Term | None:
    """The entry of ``kpi`` (a segment KPI takes its base KPI's); None if there is none.

    >>> term("wait_days_p90.access.non_digital").domain, term("nonsense") is None
    ('days', True)
    """
    head, _, segment = kpi.partition(".")
    found = TERMS.get(head)
    if found is None or (segment and _segment(segment) is None):
        return None
    return found


def _segment(segment: str) -> tuple[str, str] | None:
    if segment.startswith("channel.") and len(segment) > len("channel."):
        name = segment.removeprefix("channel.")
        return f"channel {name}", f"canal {name}"
    return SEGMENTS.get(segment)


def label(kpi: str, lang: str = "en", capital: bool = False) -> str:
    """The KPI as people read it (its code name if it has no entry).

    >>> label("wait_days_p90.access.non_digital"), label("wait_days_p50", "fr", capital=True)
    ('90th-percentile wait (people without digital access)', 'Attente médiane')
    """
    t = term(kpi)
    if t is None:
        return kpi
    text = t.fr if lang == "fr" else t.en
    segment = kpi.partition(".")[2]
    if segment:
        words = _segment(segment)
        assert words is not None
        text += f" ({words[1] if lang == 'fr' else words[0]})"
    return text[:1].upper() + text[1:] if capital else text


def definition(kpi: str, lang: str = "en") -> str:
    """One line saying what the KPI measures ("" if it has no entry)."""
    t = term(kpi)
    return "" if t is None else (t.define_fr if lang == "fr" else t.define_en)


def unit(kpi: str, lang: str = "en") -> str:
    t = term(kpi)
    return "" if t is None else (t.unit_fr if lang == "fr" else t.unit_en)


def domain(kpi: str) -> str | None:
    t = term(kpi)
    return None if t is None else t.domain


def direction(kpi: str) -> str | None:
    t = term(kpi)
    return None if t is None else t.direction


def bounds(kpi: str) -> tuple[float, float]:
    """The values the KPI can take (any real number without an entry)."""
    d = domain(kpi)
    return (-math.inf, math.inf) if d is None else DOMAINS[d][:2]


def near_zero(kpi: str, baseline: float) -> bool:
    """Whether a baseline is too close to 0 for a relative change to mean anything.

    >>> near_zero("protection_orders_expired", 3.6), near_zero("wait_days_p90", 244.0)
    (True, False)
    """
    d = domain(kpi)
    floor = NEAR_ZERO.get(d, 0.0) if d is not None else 0.0
    return not math.isfinite(baseline) or abs(baseline) < floor or baseline == 0


def known_names() -> list[str]:
    """Every KPI name with an entry, with the segments that do not depend on a scenario
    (segments by channel are named after the scenario's channels)."""
    return [*TERMS, *(f"{k}.{s}" for k in ("wait_days_mean", "wait_days_p50", "wait_days_p90")
                      for s in SEGMENTS)]


def check_names(names: Iterable[str], what: str) -> list[str]:
    """One line per unknown KPI name of ``names``, naming ``what`` gave it and what is allowed.

    >>> check_names(["wait_days_p90", "wait_dayz_p90"], "--kpis")  # doctest: +ELLIPSIS
    ["--kpis: unknown KPI 'wait_dayz_p90'; did you mean 'wait_days_p90'? (known: arrivals, ...)"]
    """
    known = known_names()
    return [f"{what}: unknown KPI {name!r}{did_you_mean(name, known)} "
            f"(known: {', '.join(TERMS)}; segments such as wait_days_p90.access.non_digital "
            "or wait_days_mean.channel.<channel>)"
            for name in names if term(name) is None]
