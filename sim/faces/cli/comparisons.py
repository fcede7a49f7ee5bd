"""Commands that compare scenarios: ``prefsim compare`` and ``prefsim report``.

``compare`` runs several scenarios under common random numbers, writes the tables, the
paired differences and report.html with its figures, and prints the answer in words (two to
five sentences per what-if) above the headline KPIs and their differences; ``report``
rebuilds report.html and its figures from the tables of an earlier comparison.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from sim.faces.cli.common import (
    DEFAULT_MEMORY_GB,
    DEFAULT_MINUTES,
    ExtendsOutside,
    Force,
    FreshOut,
    Kpis,
    Lang,
    MaxMemory,
    MaxMinutes,
    Overrides,
    Seed,
    check_lang,
    err,
    fail,
    kpi_list,
    out,
    output_dir,
    progress_bar,
    source_label,
    within_budget,
    write_results,
)

if TYPE_CHECKING:
    from rich.table import Table

    from sim.experiments.compare import Comparison
    from sim.scenario import Scenario

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

OverDays = Annotated[float, typer.Option(
    "--over-days", help="X of the figure and table of people waiting more than X days "
    "(days, above 0).")]


COMPARE_FILES = ("*.csv", "*.parquet", "answer-*.txt", "figures", "report.html", "manifest.json",
                 "scenarios")
"""What ``compare`` writes in its output folder (an earlier comparison there is replaced)."""


def _load_all(paths: list[Path], overrides: list[str] | None,
              allow_outside: bool = False) -> list[Scenario]:
    """Load every scenario, reporting the problems of all files before exiting."""
    from sim.scenario.errors import ScenarioError
    from sim.scenario.loader import load

    specs, problems = [], []
    for path in paths:
        try:
            specs.append(load(path, overrides or [], allow_outside))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        fail(problems)
    return specs


def check_over_days(over_days: float) -> float:
    """X of "waiting more than X days": a positive number of days, or one line and exit 2."""
    if not (over_days > 0 and over_days < float("inf")):
        fail([f"--over-days {over_days:g}: X must be a number of days above 0, e.g. 60"])
    return over_days


@app.command("compare")
def compare_command(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files; the first is the "
                                                    "baseline.")],
    replications: Annotated[int, typer.Option("--replications", "-r", min=1, max=10000,
                                              help="Replications (first batch with "
                                              "--precision).")] = 5,
    seed: Seed = 1,
    out_dir: FreshOut = None,
    precision: Annotated[float | None, typer.Option(
        "--precision", min=0.0001, max=0.9999,
        help="Add replications until headline KPI half-widths are within this share of "
        "their means.")] = None,
    max_replications: Annotated[int | None, typer.Option(
        "--max-replications", min=2, max=10000, help="Cap on replications added for "
        "--precision (default 100) or for rare events (default 4 x --replications).")] = None,
    min_events: Annotated[int, typer.Option(
        "--min-events", min=0, help="Add replications while a headline count of events "
        "(protection orders expired...) totals fewer than this in a scenario; 0: never.")] = 20,
    overrides: Overrides = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table.")] = False,
    lang: Lang = "fr",
    over_days: OverDays = 60.0,
    kpis: Kpis = None,
    force: Force = False,
    max_memory: MaxMemory = DEFAULT_MEMORY_GB,
    max_minutes: MaxMinutes = DEFAULT_MINUTES,
    allow_outside: ExtendsOutside = False,
) -> None:
    """Compare scenarios under common random numbers and write report.html with figures."""
    from sim.experiments import budget
    from sim.experiments import compare as comparing
    from sim.faces.report import answers, measured_days, write_report

    check_lang(lang)
    check_over_days(over_days)
    shown = kpi_list(kpis)
    specs = _load_all(scenarios, overrides, allow_outside)
    names = comparing.unique_labels([source_label(p, overrides) for p in scenarios])
    named = dict(zip(names, specs, strict=True))
    within_budget(named, max_memory, max_minutes, replications)  # the first batch must fit
    # replications added for a precision target or rare events stop where memory runs out
    cap = comparing.replication_cap(replications, precision, max_replications, min_events)
    fits = budget.most_replications(named, budget.Budget(max_memory, max_minutes), cap)
    if fits < cap:
        err.print(f"the memory budget of {max_memory:g} GB allows at most {fits} replications "
                  f"per scenario (not {cap}): added ones stop there (raise with --max-memory)")
    out_dir = output_dir(out_dir, force, "compare", COMPARE_FILES)
    started = time.time()
    with progress_bar() as bar:
        task = bar.add_task("compare: replications", total=None)
        result = comparing.compare(
            specs, seed, replications, precision, max(fits, replications),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            min_events=min_events,
        )
    try:
        write_results(out_dir, lambda folder: write_report(
            result, folder, specs, precision, [str(p) for p in scenarios], lang, over_days),
            COMPARE_FILES)
        page = out_dir / "report.html"
    except OSError as exc:
        fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
    if not quiet:
        for label, sentences in answers(result, lang, measured_days(specs)).items():
            out.print(f"{label}: " + " ".join(sentences), markup=False, highlight=False)
            out.print()
        out.print(_differences_table(result, shown, lang))
    if result.n_replications > replications and precision is None:
        err.print(f"rare events: ran {result.n_replications} replications per scenario "
                  "(see events.csv)")
    met = result.precision["met"].dropna()
    if precision is not None:
        verdict = "reached" if met.astype(bool).all() else "NOT reached (cap)"
        err.print(f"precision {precision:g}: {verdict} with {result.n_replications} "
                  "replications per scenario")
    err.print(f"wrote {escape(str(page))} in {time.time() - started:.1f} s")


def _differences_table(result: Comparison, kpis: list[str] | None, lang: str) -> Table:
    """The headline KPIs (or ``kpis``) of every scenario and their paired differences."""
    from rich.table import Table

    from sim.analysis import formats, glossary
    from sim.faces.report_html import present

    table = Table(title=escape(f"{' vs '.join(result.labels)}: seed {result.seed}, "
                               f"{result.n_replications} replications"), title_justify="left",
                  caption="* l'intervalle apparié à 95 % exclut 0" if lang == "fr" else
                  "* the paired 95 % interval excludes 0", caption_justify="left")
    table.add_column("indicator", max_width=34, overflow="fold")  # long labels wrap
    for name, justify in (("scenario", "left"), ("mean", "right"),
                          ("difference [95% interval]", "right")):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    s, d = result.summary, result.differences
    s = s[s["procedure"].astype(str) == "all"].set_index(["scenario", "kpi"])
    d = d[d["procedure"].astype(str) == "all"].set_index(["scenario", "kpi"])
    for kpi in kpis or present(result, glossary.HEADLINE, nonzero=True):
        for label in result.labels:
            mean = s["mean"].get((label, kpi), float("nan"))
            shown = ""
            if (label, kpi) in d.index:
                row = d.loc[(label, kpi)]
                bounds = formats.interval(kpi, row["ci_low"], row["ci_high"], lang, True)
                shown = " ".join(x for x in (
                    formats.value(kpi, row["difference"], lang, signed=True), bounds,
                    "*" if bool(row["significant"]) else "") if x)
            first = label == result.labels[0]
            table.add_row(escape(glossary.label(kpi, lang, capital=True)) if first else "",
                          escape(label), formats.value(kpi, mean, lang), shown)
    return table


@app.command("report")
def report_command(
    out_dir: Annotated[Path, typer.Argument(help="Output directory of prefsim compare.")],
    lang: Annotated[str | None, typer.Option(
        "--lang", help="fr or en (default: the comparison's).")] = None,
    over_days: Annotated[float | None, typer.Option(
        "--over-days", help="X of the share waiting more than X days (default: the "
        "comparison's).")] = None,
) -> None:
    """Rebuild report.html and its figures from the tables of a comparison."""
    from sim.faces.report import load_comparison, write_report

    try:
        result, manifest = load_comparison(out_dir)
    except (OSError, ValueError, KeyError) as exc:
        fail([f"{out_dir}: not a comparison output ({type(exc).__name__}: {exc}); "
               "run prefsim compare first"])
    lang = check_lang(lang or str(manifest.get("lang", "fr")))
    over = check_over_days(over_days if over_days is not None
                           else float(manifest.get("over_days", 60.0)))
    precision = manifest.get("precision")
    try:
        page = write_report(result, out_dir, (), precision if isinstance(precision, float)
                            else None, [str(f) for f in manifest.get("files", [])], lang, over,
                            manifest.get("measured_days"))
    except OSError as exc:
        fail([f"{out_dir}: cannot write the report ({exc.strerror or exc})"])
    err.print(f"wrote {escape(str(page))}")
