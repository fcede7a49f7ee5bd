"""The ``prefsim`` command line: parse, call one API function, show.

Every scenario problem (bad YAML, unknown field, value out of range, missing or circular
``extends:``, unknown ``--set`` key) is printed as one line per problem on stderr and the
command exits with status 2, never with a traceback.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim import __version__, cli_calibrate
from sim.experiments import compare as comparing
from sim.experiments import goals, io
from sim.experiments import optimise as optimising
from sim.experiments import sweep as sweeping
from sim.experiments.executors import Executor, ExecutorError, make_executor
from sim.experiments.experiment import Results, replicate
from sim.report import load_comparison, write_optimisation, write_report
from sim.scenario import Scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.files import dump_yaml
from sim.scenario.loader import load
from sim.scenario.reference import reference_markdown, schema_json

app = typer.Typer(
    help="prefsim: wait times, backlogs and capacity of appointment-based public services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(cli_calibrate.app)  # calibrate, calibration-report, national, data-*
err = Console(stderr=True, soft_wrap=True)  # soft wrap: one problem, one line, any width
out = Console(soft_wrap=True)
if not out.is_terminal:  # files and pipes: room for the KPI table instead of 80 columns
    out.width = 132

ScenarioPath = Annotated[Path, typer.Argument(help="Scenario YAML file.")]
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a field, e.g. --set staff.front_office_etp=80."),
]


def _fail(problems: list[str]) -> NoReturn:
    """Print one line per problem on stderr and exit with status 2."""
    for line in problems:
        typer.echo(line, err=True)
    raise typer.Exit(code=2)


def _load(path: Path, overrides: list[str] | None) -> Scenario:
    try:
        return load(path, overrides or [])
    except ScenarioError as exc:
        _fail(exc.problems)


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
    spec = _load(scenario, overrides)
    try:  # fail before simulating, not after
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail([f"{out_dir}: cannot create output directory ({exc.strerror or exc})"])
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
        _fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
    if not quiet:
        shown = results.kpis if by_procedure else results.kpis[
            results.kpis["procedure"] == "all"]
        scope = "by procedure" if by_procedure else "all procedures; per procedure in kpis.csv"
        out.print(kpi_rich_table(shown, f"{spec.name}: {replications} replications, seed "
                                        f"{seed} ({scope})"))
    err.print(f"wrote {escape(str(out_dir))}/ (kpis.csv, replications.csv, applicants.parquet, "
              f"daily.parquet, scenario.yaml, manifest.json) in {elapsed:.1f} s")


def _write_results(out_dir: Path, results: Results, spec: Scenario,
                   manifest: dict[str, Any]) -> None:
    """Write the six result files of a run, each atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    io.write_csv(out_dir / "kpis.csv", results.kpis)
    io.write_csv(out_dir / "replications.csv", results.replications)
    io.write_parquet(out_dir / "applicants.parquet", results.applicants)
    io.write_parquet(out_dir / "daily.parquet", results.daily)
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


def kpi_rich_table(kpis: pd.DataFrame, title: str) -> Table:
    """The KPI summary as a terminal table: mean and 95 % interval per KPI and procedure."""
    table = Table(title=escape(title), title_justify="left")
    for name, justify in (("kpi", "left"), ("procedure", "left"), ("mean", "right"),
                          ("95% interval", "right"), ("n", "right")):
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    previous = None
    for row in kpis.itertuples():
        table.add_row(
            "" if row.kpi == previous else escape(str(row.kpi)), escape(str(row.procedure)),
            _num(row.mean),
            f"{_num(row.ci_low)} - {_num(row.ci_high)}" if row.ci_high > row.ci_low else "",
            str(row.n),
        )
        previous = row.kpi
    return table


def _num(x: float) -> str:
    if pd.isna(x):
        return "n/a"
    return f"{x:,.3g}" if abs(x) < 100 else f"{x:,.0f}"


@app.command()
def check(scenario: ScenarioPath, overrides: Overrides = None) -> None:
    """Validate SCENARIO and summarise it."""
    spec = _load(scenario, overrides)
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
        _fail([f"{out_file}: cannot write ({exc.strerror or exc})"])
    err.print(f"wrote {escape(str(out_file))}")


# --- experiments: compare, sweep, optimise, report ----------------------------------------------

Seed = Annotated[int, typer.Option("--seed", "-s", min=0, help="Common random numbers seed.")]
OutDir = Annotated[Path, typer.Option("--out", "-o", help="Output directory.")]
Workers = Annotated[
    int | None,
    typer.Option("--workers", "-w", min=0, help="Local worker processes (default: one per "
                 "core; 0: run in this process)."),
]


def _bar() -> Progress:
    """A progress bar on stderr (hidden when stderr is not a terminal)."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=err, transient=False, disable=not err.is_terminal,
    )


def _load_all(paths: list[Path], overrides: list[str] | None) -> list[Scenario]:
    """Load every scenario, reporting the problems of all files before exiting."""
    specs, problems = [], []
    for path in paths:
        try:
            specs.append(load(path, overrides or []))
        except ScenarioError as exc:
            problems += exc.problems
    if problems:
        _fail(problems)
    return specs


def _mkdir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail([f"{out_dir}: cannot create output directory ({exc.strerror or exc})"])


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
) -> None:
    """Compare scenarios under common random numbers and write report.html with figures."""
    specs = _load_all(scenarios, overrides)
    _mkdir(out_dir)
    started = time.time()
    with _bar() as bar:
        task = bar.add_task("compare: replications", total=None)
        result = comparing.compare(
            specs, seed, replications, precision, max_replications,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    try:
        page = write_report(result, out_dir, specs, precision, [str(p) for p in scenarios])
    except OSError as exc:
        _fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
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
                f"{_num(diff['difference'].iloc[0])} [{_num(diff['ci_low'].iloc[0])}, "
                f"{_num(diff['ci_high'].iloc[0])}]")
            table.add_row(escape(kpi) if label == result.labels[0] else "", escape(label),
                          _num(row["mean"].iloc[0]) if len(row) else "n/a", shown)
    return table


@app.command("report")
def report_command(
    out_dir: Annotated[Path, typer.Argument(help="Output directory of prefsim compare.")],
) -> None:
    """Rebuild report.html and its figures from the tables of a comparison."""
    try:
        result, manifest = load_comparison(out_dir)
    except (OSError, ValueError, KeyError) as exc:
        _fail([f"{out_dir}: not a comparison output ({type(exc).__name__}: {exc}); "
               "run prefsim compare first"])
    precision = manifest.get("precision")
    try:
        page = write_report(result, out_dir, (), precision if isinstance(precision, float)
                            else None, [str(f) for f in manifest.get("files", [])])
    except OSError as exc:
        _fail([f"{out_dir}: cannot write the report ({exc.strerror or exc})"])
    err.print(f"wrote {escape(str(page))}")


def _executor(workers: int | None, scheduler: str | None, dask_workers: int | None,
              timeout: float) -> Executor:
    if scheduler is not None and dask_workers is not None:
        _fail(["--scheduler and --dask-workers exclude each other: --scheduler uses an "
               "existing cluster, --dask-workers starts a local one"])
    return make_executor(workers, scheduler, dask_workers, timeout)


@app.command("sweep")
def sweep_command(
    base: ScenarioPath,
    grid: Annotated[Path, typer.Option("--grid", "-g", help="Grid YAML: dotted keys -> lists "
                                       "of values.")],
    out_dir: OutDir = Path("out/sweep"),
    replications: Annotated[int, typer.Option("--replications", "-r", min=1,
                                              max=10000)] = 3,
    seed: Seed = 1,
    workers: Workers = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler of an existing cluster, e.g. tcp://host:8786.")
    ] = None,
    dask_workers: Annotated[int | None, typer.Option(
        "--dask-workers", min=1, help="Start a Dask LocalCluster with this many workers.")
    ] = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1,
                                           help="Seconds to wait for the scheduler.")] = 10.0,
    overrides: Overrides = None,
) -> None:
    """Simulate every point of a grid over BASE; resumable (finished tasks are skipped)."""
    spec = _load(base, overrides)
    executor = _executor(workers, scheduler, dask_workers, timeout)
    started = time.time()
    bar = _bar()  # started once the workers are up: forking next to its thread is unsafe
    task = bar.add_task(f"{escape(spec.name)}: sweep", total=None)

    def running(ex: Executor) -> None:
        err.print(f"running on {escape(ex.description)}")
        bar.start()

    try:
        values = sweeping.read_grid(grid)
        result = sweeping.sweep(
            spec, values, out_dir, seed, replications, executor,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            source=str(grid), started=running,
        )
    except (ScenarioError, sweeping.SweepError, ExecutorError) as exc:
        _fail(exc.problems if hasattr(exc, "problems") else [str(exc)])
    except OSError as exc:
        _fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
    except KeyboardInterrupt:
        err.print(f"interrupted: finished tasks are kept in {escape(str(out_dir))}/points; "
                  "run the same command again to resume")
        raise typer.Exit(code=130) from None
    finally:
        bar.stop()
    if result.failures:
        for line in result.failures:
            typer.echo(line, err=True)
        typer.echo(f"{len(result.failures)} task(s) failed; the others are kept in "
                   f"{out_dir}/points", err=True)
        raise typer.Exit(code=1)
    err.print(f"wrote {escape(str(out_dir))}/kpis.parquet and summary.csv: "
              f"{len(result.points)} point(s) x {replications} replication(s), ran "
              f"{result.n_run}, skipped {result.n_skipped} already done, in "
              f"{time.time() - started:.1f} s")


@app.command("optimise")
def optimise_command(
    base: ScenarioPath,
    targets: Annotated[list[str], typer.Option(
        "--target", "-t", help="KPI[@PROCEDURE]<=VALUE or >=VALUE, e.g. wait_days_p90<=30.")],
    levers: Annotated[list[str], typer.Option(
        "--lever", "-l", help="KEY=LOW:HIGH[:STEP], e.g. staff.front_office_etp=40:120:1.")],
    out_dir: OutDir = Path("out/optimise"),
    replications: Annotated[int, typer.Option("--replications", "-r", min=1,
                                              max=1000)] = 3,
    seed: Seed = 1,
    coarse: Annotated[int, typer.Option("--coarse", min=2, max=50,
                                        help="Coarse grid values per lever.")] = 5,
    max_evaluations: Annotated[int, typer.Option("--max-evaluations", min=1)] = 200,
    workers: Workers = None,
    overrides: Overrides = None,
) -> None:
    """Find the least staff cost plan meeting the targets, and the cost-vs-target frontier."""
    spec = _load(base, overrides)
    parsed_targets, parsed_levers, problems = [], [], []
    for text in targets:
        try:
            parsed_targets.append(goals.parse_target(text))
        except goals.OptimiseError as exc:
            problems += exc.problems
    for text in levers:
        try:
            parsed_levers.append(goals.parse_lever(text))
        except goals.OptimiseError as exc:
            problems += exc.problems
    if problems:
        _fail(problems)
    _mkdir(out_dir)
    started = time.time()
    bar = _bar()
    task = bar.add_task(f"{escape(spec.name)}: plans evaluated", total=None)
    try:
        result = optimising.optimise(
            spec, parsed_targets, parsed_levers, seed, replications, coarse,
            max_evaluations, make_executor(workers),
            progress=lambda n: bar.update(task, completed=n), started=lambda _: bar.start(),
        )
        bar.stop()
        write_optimisation(result, out_dir)
    except goals.OptimiseError as exc:
        _fail(exc.problems)
    except OSError as exc:
        _fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
    finally:
        bar.stop()
    out.print(_plans_table(result))
    elapsed = time.time() - started
    if result.best is None:
        typer.echo(f"no plan within the lever ranges meets the targets: "
                   f"{optimising.shortfall(result)}; see {out_dir}/plans.csv", err=True)
        raise typer.Exit(code=1)
    best = result.plans.loc[result.best]
    levels = ", ".join(f"{lv.key}={best[lv.key]:g}" for lv in result.levers)
    err.print(f"least-cost plan: {escape(levels)}, staff cost {best['staff_cost_eur']:,.0f} EUR; "
              f"wrote {escape(str(out_dir))}/ (plans.csv, frontier-*.png, best.yaml, "
              f"optimise.json) in {elapsed:.1f} s")


def _plans_table(result: optimising.Optimisation) -> Table:
    """The plans on the cost-vs-target frontier, cheapest first."""
    table = Table(title=f"cost-vs-target frontier ({len(result.plans)} plans evaluated, "
                  f"{result.replications} replication(s) each)", title_justify="left")
    columns = [lv.key for lv in result.levers] + ["staff_cost_eur"]
    columns += [t.label for t in result.targets]
    for name in [*columns, "meets targets", "chosen"]:
        table.add_column(escape(name), justify="right", no_wrap=True)
    for _, row in result.plans[result.plans["frontier"]].iterrows():
        table.add_row(*[_num(row[c]) for c in columns], "yes" if row["feasible"] else "no",
                      "<-" if row["chosen"] else "")
    return table



@app.command()
def dashboard(
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535,
                                      help="Port to serve on.")] = 8501,
    address: Annotated[str, typer.Option(
        "--address", help="Address to bind; the default, 127.0.0.1, serves this machine "
        "only.")] = "127.0.0.1",
) -> None:
    """Start the Streamlit dashboard (dashboards/app.py) in this process, until Ctrl-C."""
    import os

    app_file = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
    if not app_file.is_file():
        _fail([f"{app_file}: dashboard not found (it comes with the source tree: install "
               "prefsim with `pip install -e .` from a clone)"])
    err.print(f"prefsim dashboard on http://{address}:{port} (Ctrl-C to stop)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [  # become the server: Ctrl-C and kill reach it directly
        sys.executable, "-m", "streamlit", "run", str(app_file),
        "--server.address", address, "--server.port", str(port),
        "--server.headless", "true", "--server.maxUploadSize", "1",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer"])


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
