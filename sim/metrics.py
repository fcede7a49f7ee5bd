"""From the event log to tidy tables: applicants, days, KPIs.

Three grains, built once at the end of a replication, each row carrying the scenario name,
the seed and the replication:

* **applicants**: one row per applicant. People still waiting at the horizon are kept, with
  ``censored = True`` and a wait counted up to the horizon; people who gave up are censored
  at the moment they left.
* **daily**: one row per day and procedure (plus ``all``): arrivals, first appointments,
  abandonments, the backlog at the end of the day, and for ``all`` the counter minutes offered
  and used, whence utilisation.
* **kpis**: one row per KPI and procedure (``all`` for the total), computed on applicants
  whose need appeared after the warm-up.

Waits run from the need appearing to the first appointment date (people who then missed it,
``no_show``, waited as long as those who came). ``wait_days_mean`` is the mean over people
whose appointment date came. ``wait_days_p50`` and ``wait_days_p90`` come from a
Kaplan-Meier estimate (:func:`scipy.stats.ecdf`) in which people still waiting at the horizon
and people who gave up or cancelled count as right-censored: it estimates the wait a person
would face if they kept looking, without dropping the longest waits (which simply ignoring
the still-waiting would do). When a percentile is never reached (too much censoring) it is
reported as NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sim import casework, deadlines
from sim.bots import blocked_rate
from sim.model import SimOutput
from sim.records import ABANDONED, CANCELLED, NO_SHOW, OUTCOMES, SERVED, WAITING
from sim.staff import staff_cost_eur

KPI_NAMES = (
    "arrivals",
    "served",
    "abandoned_share",
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
    *casework.KPIS,
)
# Waits by segment: ``wait_days_mean.channel.<name>``, ``wait_days_p90.access.non_digital``...
SEGMENT_KPIS = ("wait_days_mean", "wait_days_p50", "wait_days_p90")
SLOT_FATES = ("unreleased", "free", "booked", "expired", "prebooked")


def km_quantile(wait: np.ndarray, observed: np.ndarray, q: float) -> float:
    """The ``q``-quantile of a Kaplan-Meier estimate; NaN if the curve never reaches it.

    Three people were served after 1, 2 and 4 days; two were still waiting after 3 days and
    one after 5. The estimate falls by 1/6 at day 1, then by 1/5 of what is left at day 2
    (F = 1/3), and by half of what is left at day 4, when only two people remain at risk
    (F = 2/3); it never reaches 0.9, since the last person is censored.

    >>> w = np.array([1.0, 2.0, 3.0, 3.0, 4.0, 5.0])
    >>> seen = np.array([True, True, False, False, True, False])
    >>> km_quantile(w, seen, 0.5), km_quantile(w, seen, 0.9)
    (4.0, nan)
    """
    if not observed.any():
        return float("nan")
    if observed.all():
        return float(np.quantile(wait, q, method="inverted_cdf"))
    data = stats.CensoredData(uncensored=wait[observed], right=wait[~observed])
    sf = stats.ecdf(data).sf
    cdf = 1.0 - sf.probabilities
    reached = np.flatnonzero(cdf >= q - 1e-12)
    return float(sf.quantiles[reached[0]]) if reached.size else float("nan")


def applicants_table(
    out: SimOutput, cw: casework.CaseworkOutcome | None = None
) -> pd.DataFrame:
    """One row per applicant, censored ones included; ``cw`` is computed if not given."""
    pop, rec = out.population, out.records
    cw = casework.after_deposit(out) if cw is None else cw
    horizon = float(out.scenario.horizon.days)
    dated = (rec.outcome == SERVED) | (rec.outcome == NO_SHOW)
    left = (rec.outcome == ABANDONED) | (rec.outcome == CANCELLED)
    kinds = np.array([deadlines.kind_of(out.scenario.procedures[p]) for p in pop.procedures])
    end = np.select([dated, left], [rec.appointment_at, rec.left_at], default=horizon)
    return pd.DataFrame(
        {
            "scenario": out.scenario.name,
            "seed": out.seed,
            "replication": out.replication,
            "applicant": np.arange(pop.size),
            "procedure": pd.Categorical.from_codes(pop.procedure, pop.procedures),
            "channel": pd.Categorical.from_codes(rec.channel, out.channels),
            "digital": pop.digital,
            "arrival_day": pop.arrival,
            "outcome": pd.Categorical.from_codes(rec.outcome, OUTCOMES),
            "booked_at": rec.booked_at,
            "appointment_at": rec.appointment_at,
            "left_at": rec.left_at,
            "wait_days": end - pop.arrival,
            "censored": ~dated,
            "attempts": rec.attempts,
            "night_attempts": rec.night_attempts,
            "paid_eur": rec.paid_eur,
            "deadline_kind": pd.Categorical.from_codes(kinds[pop.procedure], deadlines.KINDS),
            "deadline_at": pop.deadline,
            # positive: deposited with that many days to spare; negative: too late
            "deadline_margin_days": np.where(rec.outcome == SERVED,
                                             pop.deadline - rec.appointment_at, np.nan),
            "decision_at": cw.decision_at,
            "title_at": cw.title_at,
            "time_to_title_days": cw.title_at - pop.arrival,
            "after_warmup": pop.arrival >= out.scenario.horizon.warmup_days,
        }
    )


def _per_day(day: np.ndarray, code: np.ndarray, n_codes: int, n_days: int,
             weights: np.ndarray | None = None) -> np.ndarray:
    """Counts (or sums of ``weights``) per (code, day) for finite days inside the horizon."""
    ok = np.isfinite(day) & (day < n_days)
    flat = code[ok] * n_days + np.floor(day[ok]).astype(np.int64)
    w = None if weights is None else weights[ok]
    return np.bincount(flat, w, minlength=n_codes * n_days).reshape(n_codes, n_days)


def daily_table(out: SimOutput, cw: casework.CaseworkOutcome | None = None) -> pd.DataFrame:
    """One row per day and procedure, plus ``all``; ``cw`` is computed if not given."""
    pop, rec, cal = out.population, out.records, out.calendar
    cw = casework.after_deposit(out) if cw is None else cw
    n_days, n_codes = cal.n_days, len(pop.procedures)
    def when(outcome: int, times: np.ndarray) -> np.ndarray:
        return _per_day(np.where(rec.outcome == outcome, times, np.nan), pop.procedure,
                        n_codes, n_days)

    arrivals = _per_day(pop.arrival, pop.procedure, n_codes, n_days)
    served = when(SERVED, rec.appointment_at)
    abandoned = when(ABANDONED, rec.left_at)
    missed = when(NO_SHOW, rec.appointment_at)
    cancelled = when(CANCELLED, rec.left_at)
    # the backlog: people whose need appeared and who have neither had an appointment date
    # come (served or missed) nor left (gave up or cancelled)
    backlog = np.cumsum(arrivals - served - abandoned - missed - cancelled, axis=1)
    # files deposited (served) and not yet decided by the back office
    decided = _per_day(cw.decision_at, pop.procedure, n_codes, n_days)
    instruction_backlog = np.cumsum(served - decided, axis=1)
    used = out.used_minutes.sum(axis=0)
    offered = out.capacity_minutes.sum(axis=0)
    frames = []
    labels = [*pop.procedures, "all"]
    stack = [np.vstack([m, m.sum(axis=0)])
             for m in (arrivals, served, abandoned, backlog, missed, cancelled,
                       instruction_backlog)]
    for k, label in enumerate(labels):
        is_all = label == "all"
        frames.append(
            pd.DataFrame(
                {
                    "day": np.arange(n_days),
                    "date": cal.dates,
                    "procedure": label,
                    "arrivals": stack[0][k].astype(np.int64),
                    "served": stack[1][k].astype(np.int64),
                    "abandoned": stack[2][k].astype(np.int64),
                    "no_shows": stack[4][k].astype(np.int64),
                    "cancelled": stack[5][k].astype(np.int64),
                    "backlog_end": stack[3][k].astype(np.int64),
                    "counter_minutes_offered": offered if is_all else np.nan,
                    "counter_minutes_used": used if is_all else np.nan,
                    "instruction_backlog": stack[6][k].astype(np.int64),
                    "back_office_hours_offered": cw.hours_offered if is_all else np.nan,
                    "back_office_hours_used": cw.hours_used if is_all else np.nan,
                }
            )
        )
    daily = pd.concat(frames, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        daily["utilisation"] = daily["counter_minutes_used"] / daily["counter_minutes_offered"]
    daily.insert(0, "replication", out.replication)
    daily.insert(0, "seed", out.seed)
    daily.insert(0, "scenario", out.scenario.name)
    daily["procedure"] = pd.Categorical(daily["procedure"], labels)
    return daily


def _wait_kpis(group: pd.DataFrame) -> dict[str, float]:
    outcome = group["outcome"].to_numpy()
    wait = group["wait_days"].to_numpy()
    dated = ~group["censored"].to_numpy()
    n = len(group)
    return {
        "arrivals": float(n),
        "served": float((outcome == OUTCOMES[SERVED]).sum()),
        "abandoned_share": _share(outcome == OUTCOMES[ABANDONED], n),
        "still_waiting_end": float((outcome == OUTCOMES[WAITING]).sum()),
        "wait_days_mean": float(wait[dated].mean()) if dated.any() else np.nan,
        "wait_days_p50": km_quantile(wait, dated, 0.5) if n else np.nan,
        "wait_days_p90": km_quantile(wait, dated, 0.9) if n else np.nan,
    }


def _share(mask: np.ndarray, n: float) -> float:
    return float(mask.sum() / n) if n else np.nan


def _booking_kpis(group: pd.DataFrame) -> dict[str, float]:
    """Effort to book and what became of bookings (dated channels only)."""
    booked = group["booked_at"].notna().to_numpy()
    outcome = group["outcome"].to_numpy()
    attempts = group["attempts"].to_numpy()
    came_due = booked & np.isin(outcome, [OUTCOMES[SERVED], OUTCOMES[NO_SHOW]])
    total = attempts.sum()
    paid = group["paid_eur"].to_numpy()
    return {
        "attempts_per_booking": float(attempts[booked].sum() / booked.sum())
        if booked.any() else np.nan,
        "paid_booking_share": _share(paid[booked] > 0, booked.sum()),
        "reseller_revenue_eur": float(paid.sum()),
        "night_attempt_share": float(group["night_attempts"].sum() / total) if total else np.nan,
        "no_show_share": _share(outcome[came_due] == OUTCOMES[NO_SHOW], came_due.sum()),
        "cancelled_share": _share(outcome == OUTCOMES[CANCELLED], len(group)),
    }


def _deadline_kpis(group: pd.DataFrame, horizon: float) -> dict[str, float]:
    """Deadlines passed before the deposit (the first appointment that took place).

    A deadline counts as passed when it falls before the deposit, or, without a deposit,
    before the horizon; a later deadline of someone still without a deposit is unknown.
    """
    kind = group["deadline_kind"].to_numpy()
    due = group["deadline_at"].to_numpy()
    served = (group["outcome"] == OUTCOMES[SERVED]).to_numpy()
    deposit = np.where(served, group["appointment_at"].to_numpy(), np.inf)
    end = np.minimum(deposit, horizon)
    passed = due < end
    known = served | passed
    undocumented = np.clip(end - due, 0.0, None)
    renewal, order = kind == "renewal", kind == "protection_order"
    generic = kind == "generic"
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
                 _deadline_kpis(group, float(out.scenario.horizon.days)).items()]
    for name, group in _segments(window, out.channels):
        waits = _wait_kpis(group)
        rows += [(f"{k}.{name}", "all", waits[k]) for k in SEGMENT_KPIS]
    rows += [
        ("front_office_utilisation", "all", _utilisation(out)),
        ("wasted_slot_share", "all", _wasted_share(out)),
        ("bot_slot_share", "all", _bot_share(out)),
        ("malicious_requests_per_day", "all", sum(
            op.requests_per_day for op in out.scenario.bots.values())),
        ("blocked_requests_per_day", "all", sum(
            blocked_rate(op, out.scenario.countermeasures)
            for op in out.scenario.bots.values())),
        ("staff_cost_eur", "all",
         staff_cost_eur(out.scenario.staff, out.calendar, out.scenario.horizon.warmup_days)),
    ]
    in_window = out.population.arrival >= out.scenario.horizon.warmup_days
    rows += [(k, p, v) for (k, p), v in casework.kpis(out, cw, in_window).items()]
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


def slots_table(out: SimOutput) -> pd.DataFrame:
    """One row per slot of every dated channel: when it took place, opened, and its fate.

    ``fate`` is the slot's final state (``booked`` slots may still have been missed: see
    ``attended``); ``holder`` is the applicant who held it at the end (-1: nobody).
    """
    frames = []
    for channel, book in out.books.items():
        attended = book.attended(out.records.outcome)
        frames.append(pd.DataFrame({
            "channel": channel,
            "slot": np.arange(book.size),
            "procedure": pd.Categorical.from_codes(book.procedure, out.population.procedures),
            "time": book.time,
            "release": book.release,
            "minutes": book.minutes,
            "fate": pd.Categorical.from_codes(book.state, SLOT_FATES),
            "holder": book.holder,
            "attended": attended,
        }))
    if not frames:
        return pd.DataFrame(columns=["channel", "slot", "procedure", "time", "release",
                                     "minutes", "fate", "holder", "attended"])
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "replication", out.replication)
    table.insert(0, "seed", out.seed)
    table.insert(0, "scenario", out.scenario.name)
    return table


def _bot_share(out: SimOutput) -> float:
    """Share of bookings of slots dated after the warm-up that bots made (for themselves or
    for a client); a slot booked, given up and booked again counts twice."""
    start = out.scenario.horizon.warmup_days
    total = by_bots = 0
    for book in out.books.values():
        slots = np.asarray(book.log_slot, dtype=np.int64)
        dated = (book.time[slots] >= start) & (book.time[slots] < out.scenario.horizon.days)
        bots = np.asarray(book.log_by_bot, dtype=bool)
        total += int(dated.sum())
        by_bots += int((bots & dated).sum())
    return by_bots / total if total else np.nan


def _wasted_share(out: SimOutput) -> float:
    """Share of dated slots after the warm-up that nobody attended."""
    start = np.floor(out.scenario.horizon.warmup_days)
    total = wasted = 0
    for book in out.books.values():
        in_window = (book.time >= start) & (book.time < out.scenario.horizon.days)
        attended = book.attended(out.records.outcome)
        total += int(in_window.sum())
        wasted += int((in_window & ~attended).sum())
    return wasted / total if total else np.nan


def _utilisation(out: SimOutput) -> float:
    """Counter minutes used by first appointments over minutes offered, after warm-up."""
    start = int(np.floor(out.scenario.horizon.warmup_days))
    offered = out.capacity_minutes[:, start:].sum()
    used = out.used_minutes[:, start:].sum()
    return float(used / offered) if offered > 0 else np.nan


def summarise(replications: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Mean and Student-t interval of each (kpi, procedure) over replications.

    >>> reps = pd.DataFrame({"kpi": ["served"] * 3, "procedure": ["all"] * 3,
    ...                      "value": [10.0, 12.0, 14.0]})
    >>> summarise(reps).round(2).to_dict("records")
    [{'kpi': 'served', 'procedure': 'all', 'mean': 12.0, 'ci_low': 7.03, 'ci_high': 16.97, 'n': 3}]
    """
    rows = []
    for (kpi, proc), group in replications.groupby(["kpi", "procedure"], sort=False):
        values = group["value"].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        n = values.size
        mean = float(values.mean()) if n else np.nan
        if n >= 2 and np.ptp(values) == 0:
            half = 0.0
        elif n >= 2:
            half = stats.t.ppf((1 + confidence) / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
        else:
            half = np.nan
        rows.append((kpi, proc, mean, mean - half, mean + half, n))
    return pd.DataFrame(rows, columns=["kpi", "procedure", "mean", "ci_low", "ci_high", "n"])
