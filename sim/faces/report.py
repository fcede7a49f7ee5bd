"""The comparison report: tables as CSV, figures as PNG, one self-contained ``report.html``.

A comparison is read by people who will not open a DataFrame: a head of service, an
association, a judge. The report says what was compared (scenarios, seed, replications and
whether the requested precision was reached), shows the wait distributions, the backlog month
by month and the headline KPIs with their intervals, then the paired differences against the
baseline, and links every table as CSV.

Figures about mechanisms a simulator version may not have (protection orders expiring, bots
taking slots) are drawn when their KPIs are in the results and replaced by a note otherwise,
so the report picks them up as soon as the engine produces them. Every file is written
atomically; ``report.html`` last, so a report that exists refers to files that exist.

A goal-seeking search (:mod:`sim.experiments.optimise`) is reported the same way, by
:func:`write_optimisation`: every evaluated plan as CSV, the cost-vs-target frontier as PNG,
the chosen plan as a scenario file.
"""

from __future__ import annotations

import html
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim import __version__
from sim.experiments import io
from sim.experiments.compare import HEADLINE, Comparison
from sim.experiments.optimise import Optimisation
from sim.faces import plots
from sim.scenario import Scenario
from sim.scenario.files import dump_yaml

KPI_PANELS = (*HEADLINE, "still_waiting_end", "front_office_utilisation", "staff_cost_eur")


class OptionalFigure(NamedTuple):
    """A figure drawn only when the results hold KPIs whose names start with a prefix."""

    stem: str
    title: str
    prefixes: tuple[str, ...]


OPTIONAL = (
    OptionalFigure("protection-orders-expired", "Protection orders expired before the deposit",
                   ("protection_order",)),
    OptionalFigure("bot-share", "Slots taken by bots and resellers",
                   ("bot_", "reseller_", "paid_", "malicious_", "blocked_")),
    OptionalFigure("renewal-lapses", "Renewals lapsed before filing", ("renewal_lapse",)),
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


def write_report(comparison: Comparison, out_dir: str | Path,
                 scenarios: Sequence[Scenario] = (), precision: float | None = None,
                 sources: Sequence[str] = ()) -> Path:
    """Write tables, figures and ``report.html`` into ``out_dir``; return the HTML path."""
    out = Path(out_dir)
    c = comparison
    io.write_csv(out / "summary.csv", c.summary)
    io.write_csv(out / "differences.csv", c.differences)
    io.write_csv(out / "replications.csv", c.replications)
    io.write_csv(out / "precision.csv", c.precision)
    io.write_parquet(out / "applicants.parquet", c.applicants)
    io.write_parquet(out / "daily.parquet", c.daily)
    if c.probe is not None:
        io.write_parquet(out / "probe.parquet", c.probe)
    for label, spec in zip(c.labels, scenarios, strict=False):
        io.write_text(out / "scenarios" / f"{_slug(label)}.yaml", dump_yaml(spec))
    manifest = {
        "prefsim_version": __version__, "scenarios": c.labels, "files": list(sources),
        "seed": c.seed, "replications": c.n_replications, "precision": precision,
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    io.write_json(out / "manifest.json", manifest)
    sections = _figures(c, out)
    return io.write_text(out / "report.html", _html(c, manifest, sections))


def load_comparison(out_dir: str | Path) -> tuple[Comparison, dict[str, Any]]:
    """Read back what :func:`write_report` wrote (to rebuild the report)."""
    out = Path(out_dir)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    csv = {name: pd.read_csv(out / f"{name}.csv", keep_default_na=True)
           for name in ("summary", "differences", "replications", "precision")}
    for table in csv.values():
        table["scenario"] = table["scenario"].astype(str)
    comparison = Comparison(
        list(manifest["scenarios"]), csv["replications"], csv["summary"], csv["differences"],
        csv["precision"], pd.read_parquet(out / "applicants.parquet"),
        pd.read_parquet(out / "daily.parquet"), int(manifest["seed"]),
        int(manifest["replications"]),
        pd.read_parquet(out / "probe.parquet") if (out / "probe.parquet").is_file() else None,
    )
    return comparison, manifest


# --- figures ------------------------------------------------------------------------------------


class Section(NamedTuple):
    title: str
    image: str | None  # path relative to the report
    note: str


def _figures(c: Comparison, out: Path) -> list[Section]:
    sections = []

    def save(stem: str, title: str, fig: plots.Figure, note: str = "") -> None:
        plots.save_png(fig, out / "figures" / f"{stem}.png")
        sections.append(Section(title, f"figures/{stem}.png", note))

    save("wait-distribution", "Wait for a first appointment",
         plots.wait_distribution(c.applicants),
         "Kaplan-Meier estimate, replications pooled, after warm-up: people still waiting "
         "at the horizon or who gave up count as censored, not as served.")
    save("backlog-by-month", "Backlog by month", plots.backlog_by_month(c.daily),
         "Monthly mean of people still looking; the band spans the replications.")
    save("kpis", "Headline KPIs", plots.kpi_comparison(c.summary, KPI_PANELS),
         "Mean over replications with its 95 % interval.")
    if len(c.labels) > 1:
        save("differences", f"Paired differences against {c.labels[0]}",
             plots.differences(c.differences, KPI_PANELS),
             "Same applicants in every scenario (common random numbers): an interval that "
             "misses 0 is an effect of the scenario, not of chance.")
    if c.probe is not None:
        save("probe", "What the probe read", plots.probe_bins(c.probe),
             "Readings of each race page per procedure in La Cimade's five bins (at least "
             "two dates within a month, one, first date in the second month, beyond, none), "
             "every month of the horizon and every replication pooled.")
    for fig in OPTIONAL:
        names = optional_kpis(c.summary, fig.prefixes)
        if names:
            save(fig.stem, fig.title, plots.kpi_comparison(c.summary, names, title=fig.title))
        else:
            sections.append(Section(fig.title, None, "Skipped: these results hold no KPI "
                                    f"named {' / '.join(p + '*' for p in fig.prefixes)} "
                                    "(this simulator version does not produce it yet)."))
    return sections


# --- HTML ---------------------------------------------------------------------------------------


def _html(c: Comparison, manifest: dict[str, object], sections: list[Section]) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>prefsim comparison: {e(' vs '.join(c.labels))}</title>", _STYLE, "</head><body>",
        f"<h1>Comparison: {e(' vs '.join(c.labels))}</h1>",
        f"<p>Baseline <b>{e(c.labels[0])}</b>; seed {c.seed}; {c.n_replications} replication(s) "
        f"per scenario, common random numbers; prefsim {e(__version__)}; "
        f"{e(str(manifest['finished_at']))}.</p>",
        _precision_html(c, manifest.get("precision")),
        "<h2>Headline KPIs (all procedures)</h2>", _table(_wide(c.summary)),
    ]
    if len(c.labels) > 1:
        parts += [f"<h2>Differences against {e(c.labels[0])}</h2>", _table(_diff_view(c))]
    for s in sections:
        parts.append(f"<h2>{e(s.title)}</h2>")
        if s.image:
            parts.append(f"<img src='{e(s.image)}' alt='{e(s.title)}'>")
        if s.note:
            parts.append(f"<p class='note'>{e(s.note)}</p>")
    links = " · ".join(f"<a href='{n}'>{n}</a>" for n in (
        "summary.csv", "differences.csv", "replications.csv", "precision.csv",
        "applicants.parquet", "daily.parquet",
        *(["probe.parquet"] if c.probe is not None else []), "manifest.json"))
    parts += ["<h2>Tables</h2>", f"<p>{links}</p>", "</body></html>"]
    return "\n".join(parts) + "\n"


def _precision_html(c: Comparison, precision: object) -> str:
    if not isinstance(precision, float | int):
        return ""
    met = c.precision["met"].dropna()
    reached = bool(met.astype(bool).all()) if len(met) else True
    verdict = "reached" if reached else "not reached (replication cap)"
    return (f"<p>Precision requested: headline interval half-widths within "
            f"{100 * float(precision):g} % of their means: {verdict} with "
            f"{c.n_replications} replications.</p>")


def _wide(summary: pd.DataFrame) -> pd.DataFrame:
    rows = summary[(summary["procedure"].astype(str) == "all")
                   & ~summary["kpi"].astype(str).str.contains(".", regex=False)]
    cell = [f"{_num(m)} [{_num(lo)}, {_num(hi)}]" if np.isfinite(hi) and hi > lo else _num(m)
            for m, lo, hi in rows[["mean", "ci_low", "ci_high"]].to_numpy(float)]
    return (rows.assign(value=cell).pivot(index="kpi", columns="scenario", values="value")
            .reindex(index=pd.unique(rows["kpi"]), columns=pd.unique(rows["scenario"])))


def _diff_view(c: Comparison) -> pd.DataFrame:
    d = c.differences
    d = d[(d["procedure"].astype(str) == "all")
          & ~d["kpi"].astype(str).str.contains(".", regex=False)]
    return pd.DataFrame({
        "scenario": d["scenario"], "kpi": d["kpi"],
        "difference [95 % interval]": [f"{_num(m)} [{_num(lo)}, {_num(hi)}]" for m, lo, hi
                                       in d[["difference", "ci_low", "ci_high"]].to_numpy(float)],
        "relative": [f"{100 * r:+.1f} %" if np.isfinite(r) else "" for r in d["relative"]],
        "significant": np.where(d["significant"].astype(bool), "yes", ""),
    })


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(escape=True, border=0, index=frame.index.name is not None)


def _num(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


_STYLE = """<style>
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; color: #222; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.5rem 0 1.5rem; }
th, td { padding: 0.2rem 0.6rem; text-align: right; border-bottom: 1px solid #ddd; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; } .note { color: #555; font-size: 0.9rem; }
</style>"""


# --- optimisation outputs ----------------------------------------------------------------------


def write_optimisation(result: Optimisation, out_dir: str | Path) -> list[Path]:
    """Write plans.csv, one frontier PNG per target, best.yaml and optimise.json."""
    out_dir = Path(out_dir)
    written = [io.write_csv(out_dir / "plans.csv", result.plans)]
    for t in result.targets:
        fig = plots.frontier(result.plans, t.label, t.value, result.best,
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


