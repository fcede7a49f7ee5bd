"""The answer in words: two to five sentences per what-if, written from the tables.

A ministry planner compares the +570 ETP plan with the Val-de-Marne baseline and wants the
answer before the tables: "Compared with val-de-marne-2021, the plan cuts the 90th-percentile
wait from 244 to 130 days (-47 %; 95 % interval -48 % to -46 %)... It avoids about 3,600
renewal lapses... It costs 0.88 M EUR more in staff (+28 %). No significant change in
protection orders expired before the deposit (95 % intervals include 0)."

Nothing here is hand-written about a scenario: the sentences are built from the comparison's
``summary`` (means) and ``differences`` (paired intervals) for the curated headline KPIs
(:data:`sim.analysis.glossary.HEADLINE`, procedure ``all``), with the glossary's labels and
:mod:`sim.analysis.formats`' numbers, in French or English (:mod:`sim.analysis.phrases`).
A KPI *moved* when its paired 95 % interval excludes 0. Waits and shares are told as "from A
to B" with the relative change (or the difference, against a baseline near 0) and its
interval; counts of events as events avoided or added; the staff cost and utilisation in a
sentence of their own; what did not move is named; a headline count resting on few events
(:func:`sim.experiments.compare.events_table`) gets a warning.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sim.analysis import formats, glossary
from sim.analysis.phrases import article, frame, join, verb

MAX_CLAUSES = 3  # in the first sentence; one more sentence takes up to four more


def _level(kpi: str, row: pd.Series, a: float, b: float, lang: str) -> str:
    t = glossary.term(kpi)
    assert t is not None
    label = glossary.label(kpi, lang)
    change, lo, hi = _change(kpi, row, lang)
    if t.domain == "count":
        return frame(lang, "count").format(label=label, a=formats.number(a, lang),
                                           b=formats.number(b, lang), change=change, lo=lo,
                                           hi=hi)
    digits = None  # a change smaller than the rounding gets the digits that show it
    while formats.number(a, lang, digits) == formats.number(b, lang, digits) and (digits or 3) < 6:
        digits = (digits or 3) + 1
    if t.domain == "share":
        first, last = (formats.percent(x, lang) for x in (a, b))
    else:
        unit = glossary.unit(kpi, lang)
        first = formats.number(a, lang, digits)
        last = formats.number(b, lang, digits) + (formats.SPACE if lang == "fr" else " ") + unit
    return frame(lang, "level").format(
        verb=verb(lang, row["difference"] > 0, t.domain == "days"), label=label,
        article=article(label, t.gender) if lang == "fr" else "",
        a=first, b=last.strip(), change=change, lo=lo, hi=hi)


def _change(kpi: str, row: pd.Series, lang: str) -> tuple[str, str, str]:
    """The relative change and its interval (for shares, and against a baseline near 0, the
    difference), with a digit more when the interval's ends would read the same."""
    if math.isfinite(row["relative"]) and glossary.domain(kpi) != "share":
        for digits in (2, 3, 4):
            texts = [formats.relative(row[c], lang, digits) for c in
                     ("relative", "relative_low", "relative_high")]
            if texts[1] != texts[2]:
                break
        return texts[0], texts[1], texts[2]
    change, hi = (formats.value(kpi, row[c], lang, signed=True) for c in ("difference",
                                                                          "ci_high"))
    return change, formats.number(100 * row["ci_low"] if glossary.domain(kpi) == "share"
                                  else row["ci_low"], lang, signed=True), hi


def _events(kpi: str, row: pd.Series, a: float, b: float, lang: str,
            period_days: float | None) -> str:
    fewer = row["difference"] < 0
    lo, hi = sorted(abs(row[c]) for c in ("ci_low", "ci_high"))
    period = "" if not period_days else frame(lang, "period").format(
        days=formats.number(period_days, lang))
    return frame(lang, "fewer" if fewer else "more").format(
        d=formats.number(abs(row["difference"]), lang, 2),
        label=glossary.label(kpi, lang) + period, a=formats.number(b, lang, 2),
        b=formats.number(a, lang, 2), lo=formats.number(lo, lang, 2),
        hi=formats.number(hi, lang, 2))


def _cost(kpi: str, row: pd.Series, lang: str) -> str:
    name = "cost_up" if row["difference"] > 0 else "cost_down"
    return frame(lang, name).format(d=formats.money(abs(row["difference"]), lang),
                                    rel=formats.relative(row["relative"], lang))


def _fold(clauses: list[str]) -> list[str]:
    """A verb said once for clauses in a row that share it ("cuts A, B and C").

    >>> _fold(["cuts a", "cuts b", "lowers c"])
    ['cuts a', 'b', 'lowers c']
    """
    out, previous = [], None
    for clause in clauses:
        first, _, rest = clause.partition(" ")
        out.append(rest if first == previous else clause)
        previous = first
    return out


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def what_if(summary: pd.DataFrame, differences: pd.DataFrame, scenario: str, baseline: str,
            lang: str = "fr", kpis: Sequence[str] = glossary.HEADLINE,
            events: pd.DataFrame | None = None, period_days: float | None = None) -> list[str]:
    """Two to five sentences on what ``scenario`` changes against ``baseline``.

    ``summary`` and ``differences`` are a comparison's tables
    (:class:`sim.experiments.compare.Comparison`); ``kpis`` are told in this order (segment
    KPIs included); ``events`` is the comparison's table of rare events; ``period_days`` the
    length of the measured period, said with counts of events.
    """
    formats.check_lang(lang)
    d = differences[(differences["scenario"].astype(str) == scenario)
                     & (differences["procedure"].astype(str) == "all")].set_index("kpi")
    s = summary[summary["procedure"].astype(str) == "all"].set_index(["scenario", "kpi"])
    clauses, cost, use, still = [], [], [], []
    n = int(d["n"].max()) if len(d) else 0
    for kpi in kpis:
        if kpi not in d.index or glossary.term(kpi) is None:
            continue
        row = d.loc[kpi]
        if row["n"] < 2 or not math.isfinite(row["difference"]):
            continue
        a, b = (float(s["mean"].get((name, kpi), math.nan)) for name in (baseline, scenario))
        if a == 0 and b == 0:
            continue  # a mechanism neither scenario has (no bots, no protection orders)
        if not bool(row["significant"]):
            still.append(glossary.label(kpi, lang))
            continue
        t = glossary.term(kpi)
        assert t is not None
        if t.domain == "eur" and kpi.startswith("staff_cost"):
            cost.append(_cost(kpi, row, lang))
        elif t.direction is None:
            label = glossary.label(kpi, lang)
            use.append(frame(lang, "use").format(
                label=label, article=article(label, t.gender) if lang == "fr" else "",
                a=formats.value(kpi, a, lang), b=formats.value(kpi, b, lang)))
        elif t.events:
            clauses.append(_events(kpi, row, a, b, lang, period_days))
        else:
            clauses.append(_level(kpi, row, a, b, lang))
    sentences = []
    if clauses:
        sentences.append(frame(lang, "open").format(
            baseline=baseline, scenario=scenario, clauses=join(_fold(clauses[:MAX_CLAUSES]),
                                                               lang)))
    elif not (cost or use):
        sentences.append(frame(lang, "none").format(baseline=baseline, scenario=scenario, n=n))
    if clauses[MAX_CLAUSES:]:
        sentences.append(frame(lang, "also").format(
            clauses=join(_fold(clauses[MAX_CLAUSES:2 * MAX_CLAUSES + 1]), lang)))
    if cost or use:
        text = frame(lang, "then").join([*cost, *use])
        if not clauses:
            text = frame(lang, "open").format(baseline=baseline, scenario=scenario,
                                              clauses=text[:1].lower() + text[1:])[:-1]
        sentences.append(_capital(text) + ".")
    if still:
        shown = still if len(still) <= 4 else [*still[:4], "..."]
        sentences.append(frame(lang, "same").format(labels=join(shown, lang)))
    sentences += _warnings(events, kpis, lang, (baseline, scenario))[:1]
    return sentences[:5]


def _warnings(events: pd.DataFrame | None, kpis: Sequence[str], lang: str,
              scenarios: Sequence[str] | None = None) -> list[str]:
    """A warning per headline count resting on few events (in ``scenarios``, if given)."""
    if events is None or events.empty:
        return []
    few = events[events["few"].astype(bool) & events["kpi"].isin(list(kpis))]
    if scenarios is not None:
        few = few[few["scenario"].astype(str).isin(list(scenarios))]
    return [frame(lang, "few").format(
        label=glossary.label(str(r.kpi), lang), events=formats.number(
            float(r.events), lang), n=int(r.replications), scenario=r.scenario)
        for r in few.itertuples()]


def summaries(summary: pd.DataFrame, differences: pd.DataFrame, labels: Sequence[str],
              lang: str = "fr", kpis: Sequence[str] = glossary.HEADLINE,
              events: pd.DataFrame | None = None,
              period_days: float | None = None) -> dict[str, list[str]]:
    """:func:`what_if` for every scenario after the first (the baseline), by label."""
    return {label: what_if(summary, differences, label, labels[0], lang, kpis, events,
                           period_days) for label in labels[1:]}
