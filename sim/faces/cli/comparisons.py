"""Commands that compare scenarios: ``prefsim compare`` and ``prefsim report``.

``compare`` runs several scenarios under common random numbers, writes the tables, the
paired differences and report.html with its figures, and prints the headline differences;
``report`` rebuilds report.html and its figures from the tables of an earlier comparison.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from sim.experiments import compare as comparing
from sim.experiments import io
from sim.faces.cli.common import (
    DEFAULT_BUDGET,
    ExtendsOutside,
    MaxMemory,
    MaxMinutes,
    OutDir,
    Overrides,
    Seed,
    err,
    fail,
    num,
    out,
    prepare_out,
    progress_bar,
    source_label,
    within_budget,
)
from sim.faces.report import load_comparison, write_report
from sim.scenario import Scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


COMPARE_FILES = ("*.csv", "*.parquet", "*.png", "report.html", "manifest.json", "scenarios")
"""What ``compare`` writes in its output folder (an earlier comparison there is replaced)."""


def _load_all(paths: list[Path], overrides: list[str] | None,
              allow_outside: bool = False) -> list[Scenario]:
    """Load every scenario, reporting the problems of all files before exiting."""
    specs, problems = [], []
    for path in paths:
        try:
            specs.append(load(path, overrides or [], allow_outside))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        fail(problems)
    return specs


@app.command("compare")
def compare_command(
    scenarios: Annotated[list[Path], typer.Argument(help="Scenario files; the first is the "
                                                    "baseline.")],
    replications: Annotated[int, typer.Option("--replications", "-r", min=1, max=10000,
                                              help="Replications (first batch with "
                                              "--precision).")] = 5,
    seed: Seed = 1,
    out_dir: OutDir = Path("out/compare"),
    precision: Annotated[float | None, typer.Option(
        "--precision", min=0.0001, max=0.9999,
        help="Add replications until headline KPI half-widths are within this share of "
        "their means.")] = None,
    max_replications: Annotated[int, typer.Option("--max-replications", min=2, max=10000,
                                                  help="Cap with --precision.")] = 100,
    overrides: Overrides = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table.")] = False,
    max_memory: MaxMemory = DEFAULT_BUDGET.memory_gb,
    max_minutes: MaxMinutes = DEFAULT_BUDGET.minutes,
    allow_outside: ExtendsOutside = False,
) -> None:
    """Compare scenarios under common random numbers and write report.html with figures."""
    specs = _load_all(scenarios, overrides, allow_outside)
    planned = max(replications, max_replications) if precision is not None else replications
    names = comparing.unique_labels([source_label(p, overrides) for p in scenarios])
    within_budget(dict(zip(names, specs, strict=True)), max_memory, max_minutes, planned)
    prepare_out(out_dir, COMPARE_FILES)
    started = time.time()
    with progress_bar() as bar:
        task = bar.add_task("compare: replications", total=None)
        result = comparing.compare(
            specs, seed, replications, precision, max_replications,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    try:
        io.replace_folder(out_dir, lambda folder: write_report(
            result, folder, specs, precision, [str(p) for p in scenarios]), COMPARE_FILES)
        page = out_dir / "report.html"
    except OSError as exc:
        fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
    if not quiet:
        out.print(_differences_table(result))
    met = result.precision["met"].dropna()
    if precision is not None:
        verdict = "reached" if met.astype(bool).all() else "NOT reached (cap)"
        err.print(f"precision {precision:g}: {verdict} with {result.n_replications} "
                  "replications per scenario")
    err.print(f"wrote {escape(str(page))} in {time.time() - started:.1f} s")


def _differences_table(result: comparing.Comparison) -> Table:
    """Headline KPIs of every scenario and their paired differences with the baseline."""
    table = Table(title=escape(f"{' vs '.join(result.labels)}: seed {result.seed}, "
                               f"{result.n_replications} replications"), title_justify="left")
    for name, justify in (("kpi", "left"), ("scenario", "left"), ("mean", "right"),
                          ("difference [95% interval]", "right")):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    s, d = result.summary, result.differences
    for kpi in comparing.HEADLINE:
        for label in result.labels:
            row = s[(s["scenario"] == label) & (s["kpi"] == kpi) & (s["procedure"] == "all")]
            diff = d[(d["scenario"] == label) & (d["kpi"] == kpi) & (d["procedure"] == "all")]
            shown = "" if diff.empty else (
                f"{num(diff['difference'].iloc[0])} [{num(diff['ci_low'].iloc[0])}, "
                f"{num(diff['ci_high'].iloc[0])}]")
            table.add_row(escape(kpi) if label == result.labels[0] else "", escape(label),
                          num(row["mean"].iloc[0]) if len(row) else "n/a", shown)
    return table


@app.command("report")
def report_command(
    out_dir: Annotated[Path, typer.Argument(help="Output directory of prefsim compare.")],
) -> None:
    """Rebuild report.html and its figures from the tables of a comparison."""
    try:
        result, manifest = load_comparison(out_dir)
    except (OSError, ValueError, KeyError) as exc:
        fail([f"{out_dir}: not a comparison output ({type(exc).__name__}: {exc}); "
               "run prefsim compare first"])
    precision = manifest.get("precision")
    try:
        page = write_report(result, out_dir, (), precision if isinstance(precision, float)
                            else None, [str(f) for f in manifest.get("files", [])])
    except OSError as exc:
        fail([f"{out_dir}: cannot write the report ({exc.strerror or exc})"])
    err.print(f"wrote {escape(str(page))}")
