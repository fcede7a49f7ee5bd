"""Commands on one scenario: run it, check it, and describe the schema.

* ``prefsim run SCENARIO``: simulate, write the KPI, replication, applicant and daily tables
  with the resolved scenario and a manifest, and print the KPIs;
* ``prefsim check SCENARIO``: validate and summarise;
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
from sim.experiments import io
from sim.experiments.experiment import Results, replicate
from sim.faces.cli.common import (
    Overrides,
    ScenarioPath,
    err,
    fail,
    kpi_rich_table,
    load_scenario,
    out,
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
) -> None:
    """Simulate SCENARIO and write KPIs, replications, applicants and daily tables."""
    spec = load_scenario(scenario, overrides)
    try:  # fail before simulating, not after
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail([f"{out_dir}: cannot create output directory ({exc.strerror or exc})"])
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
    probe = "probe.parquet, " if results.probe is not None else ""
    err.print(f"wrote {escape(str(out_dir))}/ (kpis.csv, replications.csv, applicants.parquet, "
              f"daily.parquet, {probe}scenario.yaml, manifest.json) in {elapsed:.1f} s")


def _write_results(out_dir: Path, results: Results, spec: Scenario,
                   manifest: dict[str, Any]) -> None:
    """Write the result files of a run (six, and the probe's table), each atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    io.write_csv(out_dir / "kpis.csv", results.kpis)
    io.write_csv(out_dir / "replications.csv", results.replications)
    io.write_parquet(out_dir / "applicants.parquet", results.applicants)
    io.write_parquet(out_dir / "daily.parquet", results.daily)
    if results.probe is not None:
        io.write_parquet(out_dir / "probe.parquet", results.probe)
    io.write_text(out_dir / "scenario.yaml", dump_yaml(spec))
    io.write_json(out_dir / "manifest.json", manifest)


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
def check(scenario: ScenarioPath, overrides: Overrides = None) -> None:
    """Validate SCENARIO and summarise it."""
    spec = load_scenario(scenario, overrides)
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
