"""Commands that search over many variants: ``prefsim sweep`` and ``prefsim optimise``.

``sweep`` simulates every point of a grid over a base scenario on an executor (this process,
a local pool, or a Dask cluster), resumably; ``optimise`` finds the least staff cost plan
meeting the targets and writes the cost-vs-target frontier.
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
    DaskWorkers,
    ExtendsOutside,
    Force,
    FreshOut,
    MaxMemory,
    MaxMinutes,
    OutDir,
    Overrides,
    ScenarioPath,
    Scheduler,
    Seed,
    Workers,
    err,
    fail,
    load_scenario,
    make_dir,
    num,
    out,
    output_dir,
    progress_bar,
    source_label,
    within_budget,
)

if TYPE_CHECKING:
    from rich.table import Table

    from sim.experiments import optimise as optimising
    from sim.experiments.executors import Executor

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def _executor(workers: int | None, scheduler: str | None, dask_workers: int | None,
              timeout: float) -> Executor:
    from sim.experiments.executors import make_executor

    if scheduler is not None and dask_workers is not None:
        fail(["--scheduler and --dask-workers exclude each other: --scheduler uses an "
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
    scheduler: Scheduler = None,
    dask_workers: DaskWorkers = None,
    timeout: Annotated[float, typer.Option("--timeout", min=0.1,
                                           help="Seconds to wait for the scheduler.")] = 10.0,
    overrides: Overrides = None,
    max_memory: MaxMemory = DEFAULT_MEMORY_GB,
    max_minutes: MaxMinutes = DEFAULT_MINUTES,
    allow_outside: ExtendsOutside = False,
) -> None:
    """Simulate every point of a grid over BASE; resumable (finished tasks are skipped,
    damaged or foreign task files redone)."""
    from sim.experiments import sweep as sweeping
    from sim.experiments.budget import Budget
    from sim.experiments.executors import ExecutorError
    from sim.scenario.errors import ScenarioError

    spec = load_scenario(base, overrides, allow_outside)
    if out_dir.exists() and not out_dir.is_dir():
        make_dir(out_dir)  # one line: a file is not a folder
    executor = _executor(workers, scheduler, dask_workers, timeout)
    started = time.time()
    bar = progress_bar()  # started once the workers are up: forking next to its thread is unsafe
    task = bar.add_task(f"{escape(spec.name)}: sweep", total=None)

    def running(ex: Executor) -> None:
        err.print(f"running on {escape(ex.description)}")
        bar.start()

    try:
        values = sweeping.read_grid(grid)
        result = sweeping.sweep(
            spec, values, out_dir, seed, replications, executor,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            source=str(grid), started=running, budget=Budget(max_memory, max_minutes),
        )
    except (ScenarioError, sweeping.SweepError, ExecutorError) as exc:
        fail(exc.problems if hasattr(exc, "problems") else [str(exc)])
    except OSError as exc:
        fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
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
    redone = ""
    if result.n_redone:
        reasons = ", ".join(f"{n} {why}" for why, n in sorted(result.redone.items()))
        redone = (f" (of which {result.n_redone} redone: their task file did not check "
                  f"out: {reasons})")
    err.print(f"wrote {escape(str(out_dir))}/kpis.parquet and summary.csv: "
              f"{len(result.points)} point(s) x {replications} replication(s), ran "
              f"{result.n_run}{redone}, skipped {result.n_skipped} already done, in "
              f"{time.time() - started:.1f} s")


@app.command("optimise")
def optimise_command(
    base: ScenarioPath,
    targets: Annotated[list[str], typer.Option(
        "--target", "-t", help="KPI[@PROCEDURE]<=VALUE or >=VALUE, e.g. wait_days_p90<=30.")],
    levers: Annotated[list[str], typer.Option(
        "--lever", "-l", help="KEY=LOW:HIGH[:STEP], e.g. staff.front_office_etp=40:120:1.")],
    out_dir: FreshOut = None,
    replications: Annotated[int, typer.Option("--replications", "-r", min=1,
                                              max=1000)] = 3,
    seed: Seed = 1,
    coarse: Annotated[int, typer.Option("--coarse", min=2, max=50,
                                        help="Coarse grid values per lever.")] = 5,
    max_evaluations: Annotated[int, typer.Option("--max-evaluations", min=1)] = 200,
    workers: Workers = None,
    overrides: Overrides = None,
    force: Force = False,
    max_memory: MaxMemory = DEFAULT_MEMORY_GB,
    max_minutes: MaxMinutes = DEFAULT_MINUTES,
    allow_outside: ExtendsOutside = False,
) -> None:
    """Find the least staff cost plan meeting the targets, and the cost-vs-target frontier."""
    from sim.analysis import glossary
    from sim.experiments import goals
    from sim.experiments import optimise as optimising
    from sim.experiments.executors import make_executor
    from sim.faces.report import write_optimisation

    spec = load_scenario(base, overrides, allow_outside)
    parsed_targets, parsed_levers, problems = [], [], []
    for text in targets:
        try:
            parsed_targets.append(goals.parse_target(text))
        except goals.OptimiseError as exc:
            problems += exc.problems
            continue
        problems += glossary.check_names([parsed_targets[-1].kpi], f"--target {text!r}")
    for text in levers:
        try:
            parsed_levers.append(goals.parse_lever(text))
        except goals.OptimiseError as exc:
            problems += exc.problems
    if problems:
        fail(problems)
    executor = make_executor(workers)
    try:  # the plans at the ends of the lever ranges: the largest the search may run
        corners = optimising.corners(spec, parsed_levers)
    except goals.OptimiseError as exc:
        fail(exc.problems)
    shown = source_label(base, overrides)
    within_budget({f"{shown} with {name}": plan for name, plan in corners.items()},
                  max_memory, max_minutes, replications * len(corners), executor.workers,
                  keep_tables=False)
    out_dir = output_dir(out_dir, force, "optimise")
    started = time.time()
    bar = progress_bar()
    task = bar.add_task(f"{escape(spec.name)}: plans evaluated", total=None)
    try:
        result = optimising.optimise(
            spec, parsed_targets, parsed_levers, seed, replications, coarse,
            max_evaluations, executor,
            progress=lambda n: bar.update(task, completed=n), started=lambda _: bar.start(),
        )
        bar.stop()
        write_optimisation(result, out_dir)
    except goals.OptimiseError as exc:
        fail(exc.problems)
    except OSError as exc:
        fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
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
    from rich.table import Table

    table = Table(title=f"cost-vs-target frontier ({len(result.plans)} plans evaluated, "
                  f"{result.replications} replication(s) each)", title_justify="left")
    columns = [lv.key for lv in result.levers] + ["staff_cost_eur"]
    columns += [t.label for t in result.targets]
    for name in [*columns, "meets targets", "chosen"]:
        table.add_column(escape(name), justify="right", no_wrap=True)
    for _, row in result.plans[result.plans["frontier"]].iterrows():
        table.add_row(*[num(row[c]) for c in columns], "yes" if row["feasible"] else "no",
                      "<-" if row["chosen"] else "")
    return table
