"""The HTML of the comparison report: the answer first, the curated headline, then the rest.

A head of service opens ``report.html`` and reads, in this order: what each what-if changes,
in two to five generated sentences (:mod:`sim.analysis.narrative`); the headline KPIs
(:data:`sim.analysis.glossary.HEADLINE`) with their units, 95 % intervals, paired differences
and one-line definitions; the figures; and, folded away, every KPI and every procedure. The
page is in French or English (``lang``); numbers are :mod:`sim.analysis.formats`'.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim.analysis import formats, glossary
from sim.experiments.compare import Comparison

WORDS = {
    "en": {"title": "Comparison", "baseline": "Baseline", "seed": "seed",
           "reps": "replication(s) per scenario, common random numbers (the same applicants)",
           "answer": "What each scenario changes", "head": "Headline KPIs (all procedures)",
           "kpi": "indicator", "vs": "against", "defs": "Definitions",
           "note": "Mean over replications [95 % interval]; a difference is paired replication "
                   "by replication and marked * when its interval excludes 0. Intervals stay "
                   "within each indicator's possible values.",
           "zero": "0 in every scenario, not shown",
           "all": "Every KPI, all procedures ({n})", "proc": "Every KPI by procedure",
           "tables": "Tables", "svg": "SVG", "few": "Rests on few events",
           "precision": "Precision requested: headline half-widths within {p} % of their "
                        "means: {verdict} with {n} replications.",
           "reached": "reached", "missed": "not reached (replication cap)"},
    "fr": {"title": "Comparaison", "baseline": "Référence", "seed": "graine",
           "reps": "réplication(s) par scénario, nombres aléatoires communs (les mêmes "
                   "demandeurs)",
           "answer": "Ce que change chaque scénario",
           "head": "Indicateurs principaux (toutes démarches)", "kpi": "indicateur",
           "vs": "par rapport à", "defs": "Définitions",
           "note": "Moyenne sur les réplications [intervalle à 95 %] ; un écart est apparié "
                   "réplication par réplication et marqué * quand son intervalle exclut 0. Les "
                   "intervalles restent dans les valeurs possibles de chaque indicateur.",
           "zero": "nuls dans tous les scénarios, non affichés",
           "all": "Tous les indicateurs, toutes démarches ({n})",
           "proc": "Tous les indicateurs par démarche", "tables": "Tableaux", "svg": "SVG",
           "few": "Repose sur peu d'événements",
           "precision": "Précision demandée : demi-largeurs des indicateurs principaux sous "
                        "{p} % de leur moyenne : {verdict} avec {n} réplications.",
           "reached": "atteinte", "missed": "non atteinte (plafond de réplications)"},
}


class Section(NamedTuple):
    title: str
    image: str | None  # PNG path relative to the report
    note: str
    svg: str | None = None


def page(c: Comparison, manifest: Mapping[str, Any], sections: Sequence[Section],
         answers: Mapping[str, list[str]], lang: str, links: Sequence[str]) -> str:
    """The whole report as one HTML page."""
    w, e = WORDS[lang], html.escape
    title = " vs ".join(c.labels)
    parts = [f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'>",
             f"<title>prefsim: {e(title)}</title>", STYLE, "</head><body>",
             f"<h1>{w['title']} : {e(title)}</h1>" if lang == "fr" else
             f"<h1>{w['title']}: {e(title)}</h1>",
             f"<p>{w['baseline']} <b>{e(c.labels[0])}</b>; {w['seed']} {c.seed}; "
             f"{c.n_replications} {w['reps']}; prefsim {e(str(manifest['prefsim_version']))}; "
             f"{e(str(manifest['finished_at']))}.</p>", _precision(c, manifest, lang)]
    if answers:
        parts.append(f"<h2>{w['answer']}</h2>")
        for label, sentences in answers.items():
            parts.append(f"<h3>{e(label)}</h3><p class='answer'>"
                         + " ".join(e(s) for s in sentences) + "</p>")
    kpis = present(c, glossary.HEADLINE, nonzero=True)
    zeros = [glossary.label(k, lang) for k in present(c, glossary.HEADLINE) if k not in kpis]
    parts += [f"<h2>{w['head']}</h2>", headline_table(c, kpis, lang),
              f"<p class='note'>{e(w['note'])}"
              + (f" {e(w['zero'])}: {e(', '.join(zeros))}." if zeros else "") + "</p>",
              f"<details><summary>{w['defs']}</summary>"
              "<dl>" + "".join(f"<dt>{e(glossary.label(k, lang, capital=True))}</dt><dd>"
                               f"{e(glossary.definition(k, lang))}</dd>" for k in kpis)
              + "</dl></details>"]
    for s in sections:
        parts.append(f"<h2>{e(s.title)}</h2>")
        if s.image:
            parts.append(f"<img src='{e(s.image)}' alt='{e(s.title)}'>")
        if s.svg:
            parts.append(f"<p class='note'><a href='{e(s.svg)}'>{w['svg']}</a></p>")
        if s.note:
            parts.append(f"<p class='note'>{e(s.note)}</p>")
    everything = present(c, pd.unique(c.summary["kpi"].astype(str)))
    parts += [f"<details><summary>{w['all'].format(n=len(everything))}</summary>",
              headline_table(c, everything, lang), "</details>",
              f"<details><summary>{w['proc']}</summary>", by_procedure(c, lang), "</details>",
              f"<h2>{w['tables']}</h2>",
              "<p>" + " · ".join(f"<a href='{n}'>{n}</a>" for n in links) + "</p>",
              "</body></html>"]
    return "\n".join(p for p in parts if p) + "\n"


def present(c: Comparison, kpis: Sequence[str], nonzero: bool = False) -> list[str]:
    """The KPIs of ``kpis`` that some scenario has (procedure ``all``), in that order; with
    ``nonzero``, only those that are not 0 in every scenario."""
    rows = c.summary[c.summary["procedure"].astype(str) == "all"]
    keep = rows["mean"].notna() & ((rows["mean"] != 0) if nonzero else True)
    have = set(rows.loc[keep, "kpi"].astype(str))
    return [k for k in kpis if k in have]


def cell(kpi: str, mean: float, low: float, high: float, lang: str) -> str:
    """``244 days [241, 247]``; no brackets for a value without spread."""
    bounds = formats.interval(kpi, low, high, lang)
    return formats.value(kpi, mean, lang) + (f" {bounds}" if bounds else "")


def _difference(kpi: str, row: pd.Series, lang: str) -> str:
    text = formats.value(kpi, row["difference"], lang, signed=True)
    if np.isfinite(row["relative"]) and glossary.domain(kpi) != "share":
        text += f" ({formats.relative(row['relative'], lang)})"
    return text + (" *" if bool(row["significant"]) else "")


def headline_table(c: Comparison, kpis: Sequence[str], lang: str,
                   procedure: str = "all") -> str:
    """One row per KPI: label (definition as a tooltip), each scenario's mean and interval,
    and each what-if's paired difference with the baseline."""
    e, w = html.escape, WORDS[lang]
    s = c.summary[c.summary["procedure"].astype(str) == procedure].set_index(["scenario",
                                                                               "kpi"])
    d = c.differences[c.differences["procedure"].astype(str) == procedure].set_index(
        ["scenario", "kpi"])
    few = set()
    if c.events is not None and len(c.events):
        few = set(c.events.loc[c.events["few"].astype(bool), "kpi"].astype(str))
    head = [f"<th>{w['kpi']}</th>", *(f"<th>{e(n)}</th>" for n in c.labels),
            *(f"<th>{e(n)} {w['vs']} {e(c.labels[0])}</th>" for n in c.labels[1:])]
    rows = []
    for kpi in kpis:
        name = glossary.label(kpi, lang, capital=True) + (" †" if kpi in few else "")
        tip = glossary.definition(kpi, lang) + (f" ({w['few']})" if kpi in few else "")
        cells = [f"<td title='{e(tip)}'>{e(name)}</td>"]
        for label in c.labels:
            r = s.loc[(label, kpi)] if (label, kpi) in s.index else None
            cells.append("<td></td>" if r is None else
                         f"<td>{e(cell(kpi, r['mean'], r['ci_low'], r['ci_high'], lang))}</td>")
        for label in c.labels[1:]:
            r = d.loc[(label, kpi)] if (label, kpi) in d.index else None
            cells.append("<td></td>" if r is None else f"<td>{e(_difference(kpi, r, lang))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return ("<table><thead><tr>" + "".join(head) + "</tr></thead><tbody>" + "".join(rows)
            + "</tbody></table>")


def by_procedure(c: Comparison, lang: str) -> str:
    """The headline table of every procedure other than ``all``."""
    procs = [p for p in pd.unique(c.summary["procedure"].astype(str)) if p != "all"]
    kpis = [k for k in pd.unique(c.summary["kpi"].astype(str)) if "." not in k]
    parts = []
    for proc in procs:
        rows = c.summary[(c.summary["procedure"].astype(str) == proc) & c.summary["mean"]
                         .notna()]
        mine = [k for k in kpis if k in set(rows["kpi"].astype(str))]
        parts += [f"<h3>{html.escape(proc)}</h3>", headline_table(c, mine, lang, proc)]
    return "\n".join(parts)


def _precision(c: Comparison, manifest: Mapping[str, Any], lang: str) -> str:
    precision = manifest.get("precision")
    if not isinstance(precision, float | int):
        return ""
    met = c.precision["met"].dropna()
    reached = bool(met.astype(bool).all()) if len(met) else True
    w = WORDS[lang]
    return "<p>" + w["precision"].format(p=f"{100 * float(precision):g}", n=c.n_replications,
                                         verdict=w["reached" if reached else "missed"]) + "</p>"


STYLE = """<style>
body { font-family: system-ui, sans-serif; max-width: 64rem; margin: 2rem auto; color: #222; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0 1rem; }
th, td { padding: 0.2rem 0.6rem; text-align: right; border-bottom: 1px solid #ddd; }
th:first-child, td:first-child { text-align: left; }
td[title] { text-decoration: underline dotted; cursor: help; }
img { max-width: 100%; } .note { color: #555; font-size: 0.9rem; }
.answer { font-size: 1.05rem; line-height: 1.5; background: #f4f7fb; padding: 0.6rem 0.9rem;
          border-left: 4px solid #2a6ebb; }
details { margin: 1rem 0; } summary { cursor: pointer; font-weight: 600; }
</style>"""
