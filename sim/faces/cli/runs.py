"""Commands on one scenario: run it, check it, and describe the schema.

* ``prefsim run SCENARIO``: simulate, write the KPI, replication, applicant and daily tables
  with the resolved scenario and a manifest (a folder holding an earlier run is replaced at
  once), and print the headline KPIs (``--all``: every KPI);
* ``prefsim check SCENARIO``: validate, estimate the work of a replication, and summarise;
* ``prefsim schema`` / ``prefsim reference``: the JSON Schema and docs/scenario-reference.md.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from sim import __version__
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
    ScenarioPath,
    check_lang,
    err,
    fail,
    kpi_list,
    kpi_rich_table,
    load_scenario,
    out,
    output_dir,
    progress_bar,
    source_label,
    within_budget,
    write_results,
)

if TYPE_CHECKING:
    from sim.experiments.experiment import Results
    from sim.scenario import Scenario

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.command()
def run(
    scenario: ScenarioPath,
    replications: Annotated[int, typer.Option("--replications", "-r", min=1, max=10000)] = 5,
    seed: Annotated[int, typer.Option("--seed", "-s", min=0)] = 1,
    out_dir: FreshOut = None,
    overrides: Overrides = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No KPI table.")] = False,
    by_procedure: Annotated[bool, typer.Option(
        "--by-procedure", help="Print every procedure's KPIs, not only the totals.")] = False,
    every: Annotated[bool, typer.Option(
        "--all", help="Print every KPI, not only the headline.")] = False,
    kpis: Kpis = None,
    lang: Lang = "fr",
    force: Force = False,
    max_memory: MaxMemory = DEFAULT_MEMORY_GB,
    max_minutes: MaxMinutes = DEFAULT_MINUTES,
    allow_outside: ExtendsOutside = False,
) -> None:
    """Simulate SCENARIO and write KPIs, replications, applicants and daily tables."""
    from sim.experiments.experiment import replicate

    check_lang(lang)
    shown_kpis = kpi_list(kpis)
    spec = load_scenario(scenario, overrides, allow_outside)
    within_budget({source_label(scenario, overrides): spec}, max_memory, max_minutes, replications)
    out_dir = output_dir(out_dir, force, "run", RUN_FILES)  # fail before simulating, not after
    started = time.time()
    with progress_bar() as bar:
        task = bar.add_task(f"{escape(spec.name)}: replications", total=replications)
        results = replicate(spec, seed, replications, lambda k: bar.update(task, completed=k))
    elapsed = time.time() - started
    try:
        _write_results(out_dir, results, spec, _manifest(spec, scenario, overrides, seed,
                                                         replications, elapsed))
    except OSError as exc:
        fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
    if not quiet:
        rows = _shown(results.kpis, by_procedure, every, shown_kpis)
        zero = [] if every or shown_kpis else _zero_kpis(rows)
        rows = rows[~rows["kpi"].isin(zero)]
        out.print(kpi_rich_table(rows, f"{spec.name}: {replications} replications, seed {seed} "
                                       f"({_scope(by_procedure, every, shown_kpis)})", lang))
        if zero:
            from sim.analysis import glossary

            out.print("0 in every replication (not shown): " + ", ".join(
                glossary.label(k, lang) for k in zero), markup=False, highlight=False)
    probe = "probe.parquet, " if results.probe is not None else ""
    err.print(f"wrote {escape(str(out_dir))}/ (kpis.csv, replications.csv, applicants.parquet, "
              f"daily.parquet, {probe}scenario.yaml, manifest.json) in {elapsed:.1f} s")


def _shown(kpis: Any, by_procedure: bool, every: bool, names: list[str] | None) -> Any:
    """The rows of the KPI table to print: the headline (or ``names``, or every KPI), for
    procedure ``all`` (or every procedure), in the glossary's order."""
    from sim.analysis import glossary

    rows = kpis if by_procedure else kpis[kpis["procedure"] == "all"]
    if every and names is None:
        return rows
    order = {k: i for i, k in enumerate(names or glossary.HEADLINE)}
    rows = rows[rows["kpi"].isin(order)]
    return rows.iloc[rows["kpi"].map(order).argsort(kind="stable")]


def _zero_kpis(rows: Any) -> list[str]:
    """KPIs whose every shown row is 0 (a mechanism this scenario does not have)."""
    zero = rows.groupby("kpi", sort=False)["mean"].apply(lambda m: bool((m == 0).all()))
    return [str(k) for k, z in zero.items() if z]


def _scope(by_procedure: bool, every: bool, names: list[str] | None) -> str:
    what = "chosen KPIs" if names else "every KPI" if every else "headline KPIs"
    where = "by procedure" if by_procedure else "all procedures"
    more = [flag for flag, shown in (("--all", every or names), ("--by-procedure", by_procedure))
            if not shown]
    return f"{what}, {where}; " + (f"{' or '.join(more)} for more, " if more else "") + \
        "kpis.csv has them all"


RUN_FILES = ("kpis.csv", "replications.csv", "applicants.parquet", "daily.parquet",
             "probe.parquet", "scenario.yaml", "manifest.json")


def _write_results(out_dir: Path, results: Results, spec: Scenario,
                   manifest: dict[str, Any]) -> None:
    """Write the result files of a run (six, and the probe's table), each atomically, into a
    fresh folder that then takes ``out_dir``'s place (:func:`write_results`)."""
    from sim.experiments import io
    from sim.scenario.files import dump_yaml

    def write(folder: Path) -> None:
        io.write_csv(folder / "kpis.csv", results.kpis)
        io.write_csv(folder / "replications.csv", results.replications)
        io.write_parquet(folder / "applicants.parquet", results.applicants)
        io.write_parquet(folder / "daily.parquet", results.daily)
        if results.probe is not None:
            io.write_parquet(folder / "probe.parquet", results.probe)
        io.write_text(folder / "scenario.yaml", dump_yaml(spec))
        io.write_json(folder / "manifest.json", manifest)

    write_results(out_dir, write, RUN_FILES)


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
          max_memory: MaxMemory = DEFAULT_MEMORY_GB,
          max_minutes: MaxMinutes = DEFAULT_MINUTES,
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
    for c in cal.closures:
        lines.append(f"closed {c.start} to {c.end} (reopens): back office at "
                     f"{c.back_office_share:g}, renewal deadlines inside +"
                     f"{c.deadline_extension_days:g} days" + (f" ({c.label})" if c.label else ""))
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
    from sim.engine.workload import estimate

    work = estimate(spec)
    lines.append(f"work of one replication (estimate): {work.applicants:,.0f} applicants over "
                 f"{work.days:,} days, {work.n_slots:,.0f} slots, {work.events:,.0f} events; "
                 f"at most about {work.memory_bytes / 1e9:.2g} GB and "
                 f"{work.seconds:,.0f} CPU seconds")
    return lines


@app.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor autocompletion)."""
    from sim.scenario.reference import schema_json

    typer.echo(json.dumps(schema_json(), indent=2))


@app.command()
def reference(
    out_file: Annotated[Path, typer.Option("--out", "-o")] = Path("docs/scenario-reference.md"),
) -> None:
    """Regenerate the scenario field reference (docs/scenario-reference.md)."""
    from sim.experiments import io
    from sim.scenario.reference import reference_markdown

    try:
        io.write_text(out_file, reference_markdown())
    except OSError as exc:
        fail([f"{out_file}: cannot write ({exc.strerror or exc})"])
    err.print(f"wrote {escape(str(out_file))}")
