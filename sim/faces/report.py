"""The comparison report: tables as CSV, figures as PNG and SVG, one self-contained report.html.

A comparison is read by people who will not open a DataFrame: a head of service, an
association, a judge. The report opens with the answer in words (two to five sentences per
what-if, generated from the tables, in French or English), then the curated headline KPIs with
units, intervals and definitions, the figures (waits by month of need, the share waiting more
than X days, wait curves, the backlog, the headline KPIs and their differences), and folds
every other KPI away (:mod:`sim.faces.report_html`). It says what was compared (scenarios,
seed, replications, whether the requested precision was reached) and links every table.

A figure whose KPIs the results do not hold, or hold only as zeros, is replaced by a note, so
the report picks up a mechanism as soon as the engine produces it and never draws an empty
plot. Every file is written atomically; ``report.html`` last, so a report that exists refers to
files that exist.

A goal-seeking search (:mod:`sim.experiments.optimise`) is reported the same way, by
:func:`write_optimisation`: every evaluated plan as CSV, the cost-vs-target frontier as PNG,
the chosen plan as a scenario file.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from sim import __version__
from sim.analysis import formats, glossary, narrative
from sim.analysis.monthly import backlog_by_month as monthly_backlog
from sim.analysis.waits_over_time import waiting_over, waits_by_month
from sim.experiments import io
from sim.experiments.compare import (
    Comparison,
    events_table,
    paired_differences,
    summarise_by_scenario,
)
from sim.experiments.optimise import Optimisation
from sim.faces import plan_figures, plots, probe_figures, wait_figures
from sim.faces.report_html import Section, page
from sim.scenario import Scenario
from sim.scenario.files import dump_yaml

KPI_PANELS = glossary.HEADLINE
TABLES = ("summary.csv", "differences.csv", "replications.csv", "precision.csv", "events.csv",
          "monthly.csv", "waiting-over.csv", "backlog_by_month.csv", "answer-fr.txt",
          "answer-en.txt",
          "applicants.parquet", "daily.parquet", "manifest.json")


class OptionalFigure(NamedTuple):
    """A figure drawn only when the results hold KPIs whose names start with a prefix."""

    stem: str
    title: str
    prefixes: tuple[str, ...]
    title_fr: str = ""

    def heading(self, lang: str) -> str:
        return self.title_fr if lang == "fr" and self.title_fr else self.title


OPTIONAL = (
    OptionalFigure("protection-orders-expired", "Protection orders expired before the deposit",
                   ("protection_order",), "Ordonnances de protection expirées avant le dépôt"),
    OptionalFigure("bot-share", "Slots taken by bots and resellers",
                   ("bot_", "reseller_", "paid_", "malicious_", "blocked_"),
                   "Créneaux pris par des robots et des revendeurs"),
    OptionalFigure("renewal-lapses", "Renewals lapsed before filing", ("renewal_lapse",),
                   "Renouvellements en rupture de droits avant le dépôt"),
)


def optional_kpis(summary: pd.DataFrame, prefixes: Sequence[str]) -> list[str]:
    """KPI names (procedure ``all``) that start with one of ``prefixes``, in table order.

    >>> table = pd.DataFrame({"kpi": ["served", "bot_slot_share"], "procedure": "all"})
    >>> optional_kpis(table, ("bot_",)), optional_kpis(table, ("protection_order",))
    (['bot_slot_share'], [])
    """
    rows = summary[summary["procedure"].astype(str) == "all"]
    names = pd.unique(rows["kpi"].astype(str))
    return [k for k in names if k.startswith(tuple(prefixes))]


def measured_days(scenarios: Sequence[Scenario]) -> float | None:
    """Days measured after the warm-up, when every scenario measures the same number."""
    days = {s.horizon.days - s.horizon.warmup_days for s in scenarios}
    return float(days.pop()) if len(days) == 1 else None


def answers(c: Comparison, lang: str, period_days: float | None = None) -> dict[str, list[str]]:
    """The summary in words of every what-if (:func:`sim.analysis.narrative.summaries`)."""
    return narrative.summaries(c.summary, c.differences, c.labels, lang, events=c.events,
                               period_days=period_days)


def write_report(comparison: Comparison, out_dir: str | Path,
                 scenarios: Sequence[Scenario] = (), precision: float | None = None,
                 sources: Sequence[str] = (), lang: str = "fr", over_days: float = 60.0,
                 period_days: float | None = None) -> Path:
    """Write tables, figures and ``report.html`` into ``out_dir``; return the HTML path.

    ``lang`` is the report's language (the summaries are written in both, as
    ``answer-fr.txt`` and ``answer-en.txt``); ``over_days`` the X of the share waiting more
    than X days; ``period_days`` the measured period (default: from ``scenarios``).
    """
    formats.check_lang(lang)
    out = Path(out_dir)
    c = comparison
    period = period_days if period_days is not None else measured_days(scenarios)
    monthly = waits_by_month(c.applicants, c.daily, over_days)
    over = waiting_over(c.applicants, c.daily, over_days)
    for name, table in (("summary", c.summary), ("differences", c.differences),
                        ("replications", c.replications), ("precision", c.precision),
                        ("events", c.events if c.events is not None else pd.DataFrame(
                            columns=["scenario", "kpi", "events", "replications", "few"])),
                        ("monthly", monthly), ("waiting-over", over)):
        io.write_csv(out / f"{name}.csv", table)
    words = {code: answers(c, code, period) for code in formats.LANGS}
    for code, text in words.items():
        io.write_text(out / f"answer-{code}.txt", "".join(
            f"{label}\n" + "\n".join(sentences) + "\n\n" for label, sentences in text.items()))
    io.write_parquet(out / "applicants.parquet", c.applicants)
    io.write_parquet(out / "daily.parquet", c.daily)
    io.write_csv(out / "backlog_by_month.csv", monthly_backlog(c.daily))
    if c.probe is not None:
        io.write_parquet(out / "probe.parquet", c.probe)
    for label, spec in zip(c.labels, scenarios, strict=False):
        io.write_text(out / "scenarios" / f"{_slug(label)}.yaml", dump_yaml(spec))
    manifest = {
        "prefsim_version": __version__, "scenarios": c.labels, "files": list(sources),
        "seed": c.seed, "replications": c.n_replications, "precision": precision,
        "lang": lang, "over_days": over_days, "measured_days": period,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    io.write_json(out / "manifest.json", manifest)
    sections = _figures(c, out, lang, monthly, over)
    links = TABLES + (("probe.parquet",) if c.probe is not None else ())
    return io.write_text(out / "report.html", page(c, manifest, sections, words[lang], lang,
                                                   links))


def load_comparison(out_dir: str | Path) -> tuple[Comparison, dict[str, Any]]:
    """Read back what :func:`write_report` wrote (to rebuild the report); the tables of an
    earlier prefsim, without the relative intervals, are summarised again from
    ``replications.csv`` with today's intervals."""
    out = Path(out_dir)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    csv = {name: pd.read_csv(out / f"{name}.csv", keep_default_na=True)
           for name in ("summary", "differences", "replications", "precision")
           + (("events",) if (out / "events.csv").is_file() else ())}
    for table in csv.values():
        table["scenario"] = table["scenario"].astype(str)
    if "relative_low" not in csv["differences"].columns:  # written by an earlier prefsim:
        reps, base = csv["replications"], str(manifest["scenarios"][0])  # today's intervals
        csv["summary"] = summarise_by_scenario(reps)
        csv["differences"] = paired_differences(reps, base)
        csv["events"] = events_table(reps)
    comparison = Comparison(
        list(manifest["scenarios"]), csv["replications"], csv["summary"], csv["differences"],
        csv["precision"], pd.read_parquet(out / "applicants.parquet"),
        pd.read_parquet(out / "daily.parquet"), int(manifest["seed"]),
        int(manifest["replications"]), csv.get("events"),
        pd.read_parquet(out / "probe.parquet") if (out / "probe.parquet").is_file() else None,
    )
    return comparison, manifest


# --- figures ------------------------------------------------------------------------------------

NOTES = {
    "en": {"km": "Kaplan-Meier estimate, replications pooled, after warm-up: people still "
                 "waiting at the end or who gave up count as censored, not as served.",
           "months": "Median (bold) and 90th percentile (faint) of the wait of people whose need "
                     "appeared in each month; a point is missing when too many of them were "
                     "still waiting at the end to tell.",
           "over": "At the end of each day after the warm-up, among people still waiting for a "
                   "first appointment, the share who have waited more than {x:g} days (mean "
                   "of the replications; the band spans them).",
           "backlog": "Monthly mean of people still looking; the band spans the replications.",
           "kpis": "Mean over replications with its 95 % interval.",
           "diff": "Same applicants in every scenario (common random numbers): an interval "
                   "that misses 0 is an effect of the scenario, not of chance.",
           "absent": "Skipped: these results hold no KPI named {names} (this simulator version "
                     "does not produce it yet).",
           "zero": "Skipped: every scenario has 0 for {names}.",
           "backlog_title": "Backlog by month", "kpis_title": "Headline KPIs",
           "diff_title": "Paired differences against {b}"},
    "fr": {"km": "Estimateur de Kaplan-Meier, réplications regroupées, après la mise en route : "
                 "les personnes encore en attente ou qui ont renoncé sont censurées.",
           "months": "Médiane (trait fort) et 9e décile (trait pâle) de l'attente des personnes "
                     "dont le besoin est apparu chaque mois ; un point manque quand trop "
                     "d'entre elles attendaient encore à la fin pour le dire.",
           "over": "Chaque soir après la mise en route, parmi les personnes qui attendent un "
                   "premier rendez-vous, la part qui attend depuis plus de {x:g} jours "
                   "(moyenne des réplications ; la bande les couvre).",
           "backlog": "Moyenne mensuelle des personnes qui cherchent encore ; la bande couvre "
                      "les réplications.",
           "kpis": "Moyenne sur les réplications et intervalle à 95 %.",
           "diff": "Les mêmes demandeurs dans chaque scénario (nombres aléatoires communs) : un "
                   "intervalle qui exclut 0 est un effet du scénario, pas du hasard.",
           "absent": "Omis : ces résultats ne contiennent pas d'indicateur {names} (cette "
                     "version du simulateur ne le produit pas encore).",
           "zero": "Omis : tous les scénarios valent 0 pour {names}.",
           "backlog_title": "Stock de demandes par mois", "kpis_title": "Indicateurs "
           "principaux", "diff_title": "Écarts appariés par rapport à {b}"},
}


def _figures(c: Comparison, out: Path, lang: str, monthly: pd.DataFrame,
             over: pd.DataFrame) -> list[Section]:
    sections: list[Section] = []
    n = NOTES[lang]
    label = partial(glossary.label, lang=lang, capital=True)

    def save(stem: str, title: str, fig: plots.Figure, note: str = "") -> None:
        plots.save_png_and_svg(fig, out / "figures" / f"{stem}.png",
                               out / "figures" / f"{stem}.svg")
        sections.append(Section(title, f"figures/{stem}.png", note, f"figures/{stem}.svg"))

    def draw(stem: str, fig: plots.Figure, note: str) -> None:
        save(stem, str(fig.get_suptitle() or fig.axes[0].get_title()), fig, note)

    draw("waits-by-month", wait_figures.waits_by_month(monthly, lang=lang), n["months"])
    draw("waiting-over", wait_figures.share_waiting_over(over, lang=lang),
         n["over"].format(x=float(over["over_days"].iloc[0]) if len(over) else 0.0))
    draw("wait-distribution", plots.wait_distribution(
        c.applicants, title=wait_figures.WORDS[lang]["curves"].split(" (")[0]), n["km"])
    draw("wait-distribution-by-procedure",
         wait_figures.wait_distribution_by_procedure(c.applicants, lang=lang), n["km"])
    save("backlog-by-month", n["backlog_title"], plots.backlog_by_month(c.daily), n["backlog"])
    save("instruction-by-month", "Files in instruction by month",
         plots.backlog_by_month(c.daily, title="Back office: files in instruction",
                                column="instruction_backlog",
                                ylabel="files deposited, not decided (monthly mean)"),
         "Monthly mean of files deposited and not yet decided (backlog_by_month.csv has "
         "the levels at each month's end, with the files no agent has worked on yet).")
    panels = [k for k in KPI_PANELS if plots.has_values(c.summary, [k])]
    save("kpis", n["kpis_title"], plots.kpi_comparison(c.summary, panels, labels=label,
                                                       title=n["kpis_title"]), n["kpis"])
    if len(c.labels) > 1:
        title = n["diff_title"].format(b=c.labels[0])
        save("differences", title, plots.differences(c.differences, panels, labels=label,
                                                     title=title), n["diff"])
    if c.probe is not None:
        save("probe", "What the probe read", probe_figures.probe_bins(c.probe),
             "Readings of each race page per procedure in La Cimade's five bins (at least "
             "two dates within a month, one, first date in the second month, beyond, none), "
             "every month of the horizon and every replication pooled.")
    for fig in OPTIONAL:
        names = optional_kpis(c.summary, fig.prefixes)
        shown = [k for k in names if plots.has_values(c.summary, [k])]
        heading = fig.heading(lang)
        if shown:
            save(fig.stem, heading, plots.kpi_comparison(c.summary, shown, title=heading,
                                                         labels=label))
        else:
            what = " / ".join(p + "*" for p in fig.prefixes) if not names else ", ".join(
                label(k) for k in names)
            sections.append(Section(heading, None, n["absent" if not names else "zero"]
                                    .format(names=what)))
    return sections


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


# --- optimisation outputs ----------------------------------------------------------------------


def write_optimisation(result: Optimisation, out_dir: str | Path) -> list[Path]:
    """Write plans.csv, one frontier PNG per target, best.yaml and optimise.json."""
    out_dir = Path(out_dir)
    written = [io.write_csv(out_dir / "plans.csv", result.plans)]
    for t in result.targets:
        fig = plan_figures.frontier(result.plans, t.label, t.value, result.best,
                             title=f"Staff cost against {t.label} (target {t.op} {t.value:g})")
        written.append(plots.save_png(fig, out_dir / f"frontier-{_slug(t.label)}.png"))
    if result.scenario is not None:
        written.append(io.write_text(out_dir / "best.yaml", dump_yaml(result.scenario)))
    best = None if result.best is None else result.plans.loc[result.best].to_dict()
    written.append(io.write_json(out_dir / "optimise.json", {
        "targets": [f"{t.label}{t.op}{t.value:g}" for t in result.targets],
        "levers": [lv._asdict() for lv in result.levers], "seed": result.seed,
        "replications": result.replications, "evaluations": len(result.plans), "best": best,
    }))
    return written


