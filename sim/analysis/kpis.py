"""Key performance indicators of one replication, one row per KPI and procedure.

Computed on applicants whose need appeared after the warm-up (``all`` for the total):

* waits: ``arrivals``, ``served``, ``abandoned_share``, ``gave_up_share``, ``still_waiting_end``,
  ``wait_days_mean`` (over people whose appointment date came), ``wait_days_p50`` and
  ``wait_days_p90`` (Kaplan-Meier, people still waiting or who left are censored);
* effort and bookings: ``attempts_per_booking``, ``night_attempt_share``, ``no_show_share``,
  ``cancelled_share``, ``paid_booking_share``, ``reseller_revenue_eur``;
* deadlines: ``renewal_lapses``, ``undocumented_person_days``, ``protection_orders_expired``,
  ``protection_order_expiry_share``, ``protection_order_margin_days_p50``,
  ``deadlines_missed``, ``deadline_missed_share``;
* capacity and bots (``all`` only): ``front_office_utilisation``, ``wasted_slot_share``,
  ``bot_slot_share``, ``malicious_requests_per_day``, ``blocked_requests_per_day``,
  ``staff_cost_eur`` (phone agents in ETP included); the desk visits and phone calls of
  :mod:`sim.analysis.contact_kpis`; and the casework KPIs of :mod:`sim.engine.casework`;
* waits by segment (``all`` only): ``wait_days_mean.channel.<name>``,
  ``wait_days_p90.access.non_digital``, ``wait_days_p50.paid.yes``...;
* per slot channel (``all`` only): appointments granted a week,
  ``appointments_per_week.channel.<name>``, and the bots' share of its bookings,
  ``bot_slot_share.channel.<name>``;
* the probe and the court cases, when the scenario has them: :mod:`sim.analysis.court_kpis`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis import casework_kpis, contact_kpis, court_kpis
from sim.analysis.intervals import km_quantiles
from sim.engine import casework, deadlines
from sim.engine.model import SimOutput
from sim.engine.operators import request_volumes
from sim.engine.records import ABANDONED, CANCELLED, NO_SHOW, SERVED, WAITING
from sim.engine.staff import staff_cost_eur

KPI_NAMES = (
    "arrivals",
    "served",
    "abandoned_share",
    "gave_up_share",
    "still_waiting_end",
    "wait_days_mean",
    "wait_days_p50",
    "wait_days_p90",
    "attempts_per_booking",
    "night_attempt_share",
    "no_show_share",
    "cancelled_share",
    "front_office_utilisation",
    "wasted_slot_share",
    "bot_slot_share",
    "paid_booking_share",
    "reseller_revenue_eur",
    "malicious_requests_per_day",
    "blocked_requests_per_day",
    "renewal_lapses",
    "undocumented_person_days",
    "protection_orders_expired",
    "protection_order_expiry_share",
    "protection_order_margin_days_p50",
    "deadlines_missed",
    "deadline_missed_share",
    "staff_cost_eur",
    *contact_kpis.KPIS,
    *casework_kpis.KPIS,
    *court_kpis.KPIS,
)
# Waits by segment: ``wait_days_mean.channel.<name>``, ``wait_days_p90.access.non_digital``...
SEGMENT_KPIS = ("wait_days_mean", "wait_days_p50", "wait_days_p90")
def _wait_kpis(group: pd.DataFrame) -> dict[str, float]:
    outcome = group["outcome"].cat.codes.to_numpy()  # codes follow OUTCOMES
    wait = group["wait_days"].to_numpy()
    dated = ~group["censored"].to_numpy()
    n = len(group)
    p50, p90 = km_quantiles(wait, dated, (0.5, 0.9)) if n else (np.nan, np.nan)
    return {
        "arrivals": float(n),
        "served": float((outcome == SERVED).sum()),
        "abandoned_share": _share(outcome == ABANDONED, n),
        "gave_up_share": _share((outcome == ABANDONED) | (outcome == CANCELLED)
                                | (outcome == NO_SHOW), n),
        "still_waiting_end": float((outcome == WAITING).sum()),
        "wait_days_mean": float(wait[dated].mean()) if dated.any() else np.nan,
        "wait_days_p50": p50,
        "wait_days_p90": p90,
    }


def _share(mask: np.ndarray, n: float) -> float:
    return float(mask.sum() / n) if n else np.nan


def _booking_kpis(group: pd.DataFrame) -> dict[str, float]:
    """Effort to book and what became of bookings (dated channels only)."""
    booked = group["booked_at"].notna().to_numpy()
    outcome = group["outcome"].cat.codes.to_numpy()  # codes follow OUTCOMES
    attempts = group["attempts"].to_numpy()
    missed = int(group["missed"].sum())  # appointments missed, rebooked or not
    came_due = int((booked & (outcome == SERVED)).sum()) + missed
    total = attempts.sum()
    paid = group["paid_eur"].to_numpy()
    return {
        "attempts_per_booking": float(attempts[booked].sum() / booked.sum())
        if booked.any() else np.nan,
        "paid_booking_share": _share(paid[booked] > 0, booked.sum()),
        "reseller_revenue_eur": float(paid.sum()),
        "night_attempt_share": float(group["night_attempts"].sum() / total) if total else np.nan,
        "no_show_share": missed / came_due if came_due else np.nan,
        "cancelled_share": _share(outcome == CANCELLED, len(group)),
    }


def _deadline_kpis(group: pd.DataFrame, horizon: float) -> dict[str, float]:
    """Deadlines passed before the deposit (the first appointment that took place).

    A deadline counts as passed when it falls before the deposit, or, without a deposit,
    before the run's stop (``horizon``: the horizon's end, or the end of the follow-up); a
    later deadline of someone still without a deposit is unknown.
    """
    kind = group["deadline_kind"].cat.codes.to_numpy()  # codes follow deadlines.KINDS
    due = group["deadline_at"].to_numpy()
    served = group["outcome"].cat.codes.to_numpy() == SERVED
    deposit = np.where(served, group["appointment_at"].to_numpy(), np.inf)
    end = np.minimum(deposit, horizon)
    passed = due < end
    known = served | passed
    undocumented = np.clip(end - due, 0.0, None)
    renewal, order = kind == deadlines.RENEWAL, kind == deadlines.PROTECTION_ORDER
    generic = kind == deadlines.GENERIC
    margin = group["deadline_margin_days"].to_numpy()[order & served]
    return {
        "renewal_lapses": float((renewal & passed).sum()),
        "undocumented_person_days": float(undocumented[renewal].sum()),
        "protection_orders_expired": float((order & passed).sum()),
        "protection_order_expiry_share": _share(passed[order & known], (order & known).sum()),
        "protection_order_margin_days_p50": float(np.median(margin)) if margin.size else np.nan,
        "deadlines_missed": float((generic & passed).sum()),
        "deadline_missed_share": _share(passed[generic & known], (generic & known).sum()),
    }


def kpi_table(out: SimOutput, applicants: pd.DataFrame,
              cw: casework.CaseworkOutcome | None = None) -> pd.DataFrame:
    """One row per (kpi, procedure) for this replication, plus waits by segment."""
    cw = casework.after_deposit(out) if cw is None else cw
    window = applicants[applicants["after_warmup"]]
    rows = []
    for proc in [*out.population.procedures, "all"]:
        group = window if proc == "all" else window[window["procedure"] == proc]
        rows += [(k, proc, v) for k, v in _wait_kpis(group).items()]
        rows += [(k, proc, v) for k, v in _booking_kpis(group).items()]
        rows += [(k, proc, v) for k, v in
                 _deadline_kpis(group, out.frame.stop - out.frame.offset).items()]
    volumes = request_volumes(out.scenario)
    for name, group in [*_segments(window, out.channels), *court_kpis.segments(out, window)]:
        waits = _wait_kpis(group)
        rows += [(f"{k}.{name}", "all", waits[k]) for k in SEGMENT_KPIS]
    rows += [(f"appointments_per_week.channel.{name}", "all", per_week)
             for name, per_week in _appointments_per_week(out).items()]
    rows += [(f"bot_slot_share.channel.{name}", "all", _bot_share(out, name))
             for name in out.books]
    rows += [(k, "all", v) for k, v in _utilisation(out).items()]
    rows += [
        ("wasted_slot_share", "all", _wasted_share(out)),
        ("bot_slot_share", "all", _bot_share(out)),
        ("malicious_requests_per_day", "all", volumes[0]),
        ("blocked_requests_per_day", "all", volumes[1]),
        ("staff_cost_eur", "all",
         staff_cost_eur(out.scenario.staff, out.calendar, out.frame.measure_from,
                        out.frame.measure_to, _agent_etp(out))),
    ]
    arrival = out.population.arrival
    in_window = (arrival >= out.frame.measure_from) & (arrival < out.frame.measure_to)
    rows += [(k, p, v) for (k, p), v in contact_kpis.kpis(out, in_window).items()]
    rows += [(k, p, v) for (k, p), v in casework_kpis.kpis(out, cw, in_window).items()]
    rows += court_kpis.kpis(out, window)
    table = pd.DataFrame(rows, columns=["kpi", "procedure", "value"])
    table.insert(0, "replication", out.replication)
    table.insert(0, "seed", out.seed)
    table.insert(0, "scenario", out.scenario.name)
    return table


def _segments(window: pd.DataFrame, channels: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """(name, rows) per channel and per digital access, for equity comparisons."""
    for channel in channels:
        yield f"channel.{channel}", window[window["channel"] == channel]
    digital = window["digital"].to_numpy()
    yield "access.digital", window[digital]
    yield "access.non_digital", window[~digital]
    paid = window["paid_eur"].to_numpy() > 0
    yield "paid.yes", window[paid]
    yield "paid.no", window[~paid]


def _agent_etp(out: SimOutput) -> float:
    """Phone agents given in ETP: staff added to the plan, paid like the others."""
    return float(sum(getattr(ch, "agent_etp", None) or 0.0
                     for ch in out.scenario.channels.values()))


def _bot_share(out: SimOutput, only: str | None = None) -> float:
    """Share of bookings of slots dated in the measured window that bots made (for
    themselves or for a client), over every slot channel or ``only`` one; a slot booked,
    given up and booked again counts twice."""
    start, end = out.frame.measure_from, out.frame.measure_to
    total = by_bots = 0
    for name, book in out.books.items():
        if only is not None and name != only:
            continue
        slots = np.asarray(book.log_slot, dtype=np.int64)
        dated = (book.time[slots] >= start) & (book.time[slots] < end)
        bots = np.asarray(book.log_by_bot, dtype=bool)
        total += int(dated.sum())
        by_bots += int((bots & dated).sum())
    return by_bots / total if total else np.nan


def _appointments_per_week(out: SimOutput) -> dict[str, float]:
    """Appointments granted per week in the measured window, by slot channel: slots dated in
    the window that someone booked (a person, a bot, or before the start), whoever came;
    what a prefecture counts when it publishes its appointments a week."""
    start, end = np.floor(out.frame.measure_from), out.frame.measure_to
    weeks = (end - start) / 7.0
    out_rows = {}
    for name, book in out.books.items():
        dated = (book.time >= start) & (book.time < end)
        granted = (book.state == book.BOOKED) | (book.state == book.PREBOOKED)
        out_rows[name] = float((dated & granted).sum() / weeks) if weeks > 0 else np.nan
    return out_rows


def _wasted_share(out: SimOutput) -> float:
    """Share of dated slots after the warm-up that nobody attended."""
    start, end = np.floor(out.frame.measure_from), out.frame.measure_to
    total = wasted = 0
    for book in out.books.values():
        in_window = (book.time >= start) & (book.time < end)
        attended = book.attended(out.records.outcome)
        total += int(in_window.sum())
        wasted += int((in_window & ~attended).sum())
    return wasted / total if total else np.nan


def _utilisation(out: SimOutput) -> dict[str, float]:
    """Counter minutes used by first appointments over minutes offered, after warm-up; none
    when no counter minute was offered: utilisation is then not applicable (no row)."""
    days = slice(int(np.floor(out.frame.measure_from)), int(out.frame.measure_to))
    offered = out.capacity_minutes[:, days].sum()
    used = out.used_minutes[:, days].sum()
    return {"front_office_utilisation": min(1.0, float(used / offered))} if offered > 0 else {}


