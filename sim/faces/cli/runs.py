"""Commands on one scenario: run it, check it, and describe the schema.

* ``prefsim run SCENARIO``: simulate, write the KPI, replication, applicant and daily tables
  with the resolved scenario and a manifest (into a fresh folder renamed into place), and
  print the KPIs;
* ``prefsim check SCENARIO``: validate, estimate the work of a replication, and summarise;
* ``prefsim schema`` / ``prefsim reference``: the JSON Schema and docs/scenario-reference.md.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sim import __version__
from sim.engine.workload import estimate
from sim.experiments import io
from sim.experiments.experiment import Results, replicate
from sim.faces.cli.common import (
    DEFAULT_BUDGET,
    ExtendsOutside,
    MaxMemory,
    MaxMinutes,
    Overrides,
    ScenarioPath,
    err,
    fail,
    kpi_rich_table,
    load_scenario,
    out,
    prepare_out,
    source_label,
    within_budget,
)
from sim.scenario import Scenario
from sim.scenario.files import dump_yaml
from sim.scenario.reference import reference_markdown, schema_json

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.command()
def run(
    scenario: ScenarioPath,
    replications: Annotated[int, typer.Option("--replications", "-r", min=1, max=10000)] = 5,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0)] = 1,
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "out"
    ),
    overrides: Overrides = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No KPI table.")] = False,
    by_procedure: Annotated[bool, typer.Option(
        "--by-procedure", help="Print every procedure's KPIs, not only the totals.")] = False,
    max_memory: MaxMemory = DEFAULT_BUDGET.memory_gb,
    max_minutes: MaxMinutes = DEFAULT_BUDGET.minutes,
    allow_outside: ExtendsOutside = False,
) -> None:
    """Simulate SCENARIO and write KPIs, replications, applicants and daily tables."""
    spec = load_scenario(scenario, overrides, allow_outside)
    within_budget({source_label(scenario, overrides): spec}, max_memory, max_minutes, replications)
    prepare_out(out_dir, RUN_FILES)  # fail before simulating, not after
    started = time.time()
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=False, disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(f"{escape(spec.name)}: replications", total=replications)
        results = replicate(spec, seed, replications, lambda k: bar.update(task, completed=k))
    elapsed = time.time() - started
    try:
        _write_results(out_dir, results, spec, _manifest(spec, scenario, overrides, seed,
                                                         replications, elapsed))
    except OSError as exc:
        fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
    if not quiet:
        shown = results.kpis if by_procedure else results.kpis[
            results.kpis["procedure"] == "all"]
        scope = "by procedure" if by_procedure else "all procedures; per procedure in kpis.csv"
        out.print(kpi_rich_table(shown, f"{spec.name}: {replications} replications, seed "
                                        f"{seed} ({scope})"))
    err.print(f"wrote {escape(str(out_dir))}/ (kpis.csv, replications.csv, applicants.parquet, "
              f"daily.parquet, scenario.yaml, manifest.json) in {elapsed:.1f} s")


RUN_FILES = ("kpis.csv", "replications.csv", "applicants.parquet", "daily.parquet",
             "scenario.yaml", "manifest.json")


def _write_results(out_dir: Path, results: Results, spec: Scenario,
                   manifest: dict[str, Any]) -> None:
    """Write the six result files of a run into a fresh folder that then takes
    ``out_dir``'s place: never a mix of an earlier run's files and this one's."""
    def write(folder: Path) -> None:
        io.write_csv(folder / "kpis.csv", results.kpis)
        io.write_csv(folder / "replications.csv", results.replications)
        io.write_parquet(folder / "applicants.parquet", results.applicants)
        io.write_parquet(folder / "daily.parquet", results.daily)
        io.write_text(folder / "scenario.yaml", dump_yaml(spec))
        io.write_json(folder / "manifest.json", manifest)

    io.replace_folder(out_dir, write, RUN_FILES)


def _manifest(spec: Scenario, scenario: Path, overrides: list[str] | None, seed: int,
              replications: int, elapsed: float) -> dict[str, Any]:
    """What produced a run: package version, inputs, seed and run time."""
    return {
        "prefsim_version": __version__,
        "scenario": spec.name,
        "scenario_file": str(scenario),
        "overrides": overrides or [],
        "seed": seed,
        "replications": replications,
        "run_seconds": round(elapsed, 3),
        "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": sys.version.split()[0],
    }


@app.command()
def check(scenario: ScenarioPath, overrides: Overrides = None,
          max_memory: MaxMemory = DEFAULT_BUDGET.memory_gb,
          max_minutes: MaxMinutes = DEFAULT_BUDGET.minutes,
          allow_outside: ExtendsOutside = False) -> None:
    """Validate SCENARIO, estimate a replication's work, and summarise it."""
    spec = load_scenario(scenario, overrides, allow_outside)
    within_budget({source_label(scenario, overrides): spec}, max_memory, max_minutes)
    for line in summary_lines(spec):
        out.print(line, markup=False, highlight=False)


def summary_lines(spec: Scenario) -> list[str]:
    """A plain-text summary of a validated scenario, one line per part."""
    lines = [f"{spec.name}: valid. {spec.description}".rstrip()]
    h = spec.horizon
    lines.append(f"horizon: {h.days} days from {h.start}, warm-up {h.warmup_days:g} days")
    cal = spec.calendar
    lines.append("calendar: continuous (24/7)" if cal.continuous else
                 f"calendar: weekdays {list(cal.weekdays)}, {cal.open_hour:g}h-"
                 f"{cal.close_hour:g}h, public holidays "
                 f"{'closed' if cal.public_holidays else 'open'}")
    for name, proc in spec.procedures.items():
        lines.append(f"procedure {name}: {proc.annual_volume:,.0f}/year, "
                     f"{proc.counter_minutes_per_visit:g} min per visit")
    st = spec.staff
    lines.append(f"staff: {st.front_office_etp:g} front-office ETP, {st.back_office_etp:g} "
                 f"back-office ETP, {len(st.reinforcements)} reinforcement(s), "
                 f"{len(st.seasonal)} seasonal period(s)")
    for name, ch in spec.channels.items():
        lines.append(f"channel {name}: {ch.kind}, audience {ch.audience}, "
                     f"counter share {ch.counter_share:g}")
    work = estimate(spec)
    lines.append(f"work of one replication (estimate): {work.applicants:,.0f} applicants over "
                 f"{work.days:,} days, {work.n_slots:,.0f} slots, {work.events:,.0f} events; "
                 f"at most about {work.memory_bytes / 1e9:.2g} GB and "
                 f"{work.seconds:,.0f} CPU seconds")
    return lines


@app.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor autocompletion)."""
    typer.echo(json.dumps(schema_json(), indent=2))


@app.command()
def reference(
    out_file: Annotated[Path, typer.Option("--out", "-o")] = Path("docs/scenario-reference.md"),
) -> None:
    """Regenerate the scenario field reference (docs/scenario-reference.md)."""
    try:
        io.write_text(out_file, reference_markdown())
    except OSError as exc:
        fail([f"{out_file}: cannot write ({exc.strerror or exc})"])
    err.print(f"wrote {escape(str(out_file))}")
