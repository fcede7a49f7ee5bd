"""Commands on published data: calibration, the national run, and the data's own checks.

:mod:`sim.faces.cli.main` registers these commands with ``app.add_typer(calibration.app)``:

* ``prefsim calibrate SCENARIO``: fit unpublished parameters to published figures;
* ``prefsim calibration-report``: write docs/calibration.md (simulated against published);
* ``prefsim data-check FILE...``: check the data references of scenario files;
* ``prefsim data-derive``: rewrite the derived inputs in data/ from the sourced figures
  (derived figures, département weights, each prefecture's inputs).

Like the main CLI, bad input (unknown data key, département, procedure, parameter or target)
prints one line per problem on stderr and exits with status 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from sim import __version__
from sim.experiments.data import sources
from sim.faces.cli.common import Force, FreshOut, Seed, err, fail, out, output_dir

if TYPE_CHECKING:
    from rich.table import Table

    from sim.experiments.calibration.fit import Fit
    from sim.scenario import Scenario

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

BASELINE = Path("scenarios/val-de-marne-2021.yaml")
FIT_DIR = Path("data/calibration/val-de-marne-2021")
# Written out so that `prefsim --help` need not import the calibration (tests/test_cli.py
# checks them against DEFAULT_PARAMETERS, PUBLISHED and DEFAULT_TARGETS).
PARAM_DEFAULTS = "latent_demand=0.3:3, external_delay=0.3:3, bot_requests=0.1:10"
PUBLISHED_TARGETS = ("race_appointments_per_week, appointment_wait, first_title_delay, "
                     "renewal_delay, blocked_requests, court_cases")
TARGET_DEFAULTS = "appointment_wait, first_title_delay, renewal_delay, blocked_requests"


def _scenario(path: Path, overrides: list[str] | None = None) -> Scenario:
    """Load a scenario after checking its data references; one line per problem."""
    from sim.experiments.data import references
    from sim.scenario.errors import ScenarioError
    from sim.scenario.loader import load

    try:
        problems = references.check_references(path) if path.is_file() else []
        if problems:
            fail(problems)
        return load(path, overrides or [])
    except ScenarioError as exc:
        fail(exc.problems)


def _command() -> str:
    return "prefsim " + " ".join(sys.argv[1:]) if sys.argv[1:] else "prefsim"


@app.command("calibrate")
def calibrate_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.")] = BASELINE,
    params: Annotated[list[str] | None, typer.Option(
        "--param", "-p", help="NAME=LOW:HIGH: a multiplier (latent_demand, checks_per_day, "
        "bot_requests, back_office_hours, external_delay) or a dotted field. Default: "
        + PARAM_DEFAULTS)] = None,
    targets: Annotated[list[str] | None, typer.Option(
        "--target", "-t", help=f"A published target ({PUBLISHED_TARGETS}) or MEASURE=VALUE. "
        f"Default: {TARGET_DEFAULTS}")] = None,
    out_dir: FreshOut = None,
    seed: Seed = 1,
    replications: Annotated[int, typer.Option("--replications", "-r", min=1, max=100)] = 2,
    scale: Annotated[float, typer.Option("--scale", min=0.001, max=1.0,
                                         help="Shrink demand, staff and bots (speed).")] = 0.25,
    days: Annotated[int | None, typer.Option("--days", min=30, help="Shorter horizon.")] = None,
    max_evaluations: Annotated[int, typer.Option("--max-evaluations", min=2)] = 60,
    force: Force = False,
) -> None:
    """Fit unpublished parameters to published figures; write the fitted scenario."""
    from sim.experiments import io
    from sim.experiments.calibration.fit import calibrate
    from sim.experiments.calibration.parameters import (
        DEFAULT_PARAMETERS,
        apply,
        parse_parameter,
    )
    from sim.experiments.calibration.targets import DEFAULT_TARGETS, parse_target
    from sim.scenario.errors import ScenarioError
    from sim.scenario.files import dump_yaml

    spec = _scenario(scenario, [f"horizon.days={days}"] if days else [])
    full = _scenario(scenario)
    try:
        parsed_params = [parse_parameter(p) for p in params or DEFAULT_PARAMETERS]
        parsed_targets = [parse_target(t) for t in targets or DEFAULT_TARGETS]
    except ScenarioError as exc:
        fail(exc.problems)
    out_dir = output_dir(out_dir, force, "calibrate")
    with _progress() as bar:
        task = bar.add_task("calibrate: evaluations", total=max_evaluations)
        try:
            fit = calibrate(spec, parsed_params, parsed_targets, seed, replications, scale,
                                max_evaluations, lambda n: bar.update(task, completed=n))
        except ScenarioError as exc:
            fail(exc.problems)
    fitted = apply(full, parsed_params, fit.parameters["fitted"].tolist())
    manifest = {
        "prefsim_version": __version__, "command": _command(), "scenario_file": str(scenario),
        "seed": seed, "replications": replications, "scale": scale, "days": days,
        "evaluations": fit.evaluations, "distance": fit.distance,
        "start_distance": fit.start_distance, "message": fit.message,
        "parameters": fit.parameters.to_dict("records"),
        "quality": fit.quality.to_dict("records"),
    }
    try:
        io.write_text(out_dir / "fitted.yaml", dump_yaml(fitted))
        io.write_csv(out_dir / "fit.csv", fit.quality)
        io.write_csv(out_dir / "evaluations.csv", fit.trace)
        io.write_json(out_dir / "fit.json", manifest)
    except OSError as exc:
        fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"])
    out.print(_fit_table(fit))
    err.print(f"{fit.evaluations} evaluations in {fit.seconds:.0f} s; distance "
              f"{fit.start_distance:.3g} -> {fit.distance:.3g}; wrote {escape(str(out_dir))}/ "
              "(fitted.yaml, fit.csv, fit.json, evaluations.csv)")


def _progress():  # type: ignore[no-untyped-def]
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    console=err, disable=not err.is_terminal)


def _fit_table(fit: Fit) -> Table:
    from rich.table import Table

    from sim.experiments.calibration.report import _num

    table = Table(title="fit quality", title_justify="left")
    for name in ("target", "published", "simulated", "gap"):
        table.add_column(name, justify="left" if name == "target" else "right")
    for row in fit.quality.itertuples():
        table.add_row(escape(row.target), _num(row.published), _num(row.simulated),
                      f"{row.gap_pct:+.1f} %")
    for row in fit.parameters.itertuples():
        table.add_row(escape(f"parameter {row.parameter}"), f"{row.start:g}",
                      f"{row.fitted:.3f}", "")
    return table


@app.command("calibration-report")
def calibration_report_command(
    scenario: Annotated[Path, typer.Argument(help="Baseline scenario.")] = BASELINE,
    out_file: Annotated[Path, typer.Option("--out", "-o")] = Path("docs/calibration.md"),
    seed: Seed = 1,
    replications: Annotated[int, typer.Option("--replications", "-r", min=2, max=100)] = 5,
    fit_file: Annotated[Path, typer.Option("--fit", help="fit.json of prefsim calibrate.")
                        ] = FIT_DIR / "fit.json",
) -> None:
    """Write the calibration report: simulated against published figures, gaps explained."""
    from sim.experiments import io
    from sim.experiments.calibration.report import report

    spec = _scenario(scenario)
    fit = json.loads(fit_file.read_text(encoding="utf-8")) if fit_file.is_file() else None
    text = report(spec, str(scenario), seed, replications, fit,
                      f"prefsim calibration-report {scenario} --seed {seed} "
                      f"--replications {replications}")
    try:
        io.write_text(out_file, text)
    except OSError as exc:
        fail([f"{out_file}: cannot write ({exc.strerror or exc})"])
    err.print(f"wrote {escape(str(out_file))}")


@app.command("data-check")
def data_check_command(
    files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")],
) -> None:
    """Check that every [key@year] reference of scenario files exists (and [= ...] matches)."""
    from sim.experiments.data import references
    from sim.scenario.errors import ScenarioError

    problems = []
    for path in files:
        try:
            found = references.check_references(path)
        except OSError as exc:
            found = [f"{path}: cannot read ({exc.strerror or exc})"]
        except ScenarioError as exc:
            found = exc.problems
        problems += found
        if not found:
            err.print(f"{escape(str(path))}: {len(references.references(path))} data references, "
                      "all found")
    if problems:
        fail(problems)


@app.command("data-derive")
def data_derive_command(
    out_dir: Annotated[Path, typer.Option("--out", "-o")] = sources.DATA_DIR,
) -> None:
    """Rewrite the derived files of data/ (figures, weights, prefectures) from the sources."""
    from sim.experiments import io
    from sim.experiments.data import figures, prefectures
    from sim.scenario.errors import ScenarioError

    try:
        io.write_csv(out_dir / "derived_figures.csv", figures.derived_table())
        io.write_csv(out_dir / "departement_weights.csv", figures.weights_table())
        io.write_csv(out_dir / "prefectures.csv", prefectures.prefectures_table())
    except ScenarioError as exc:
        fail(exc.problems)
    except OSError as exc:
        fail([f"{out_dir}: cannot write ({exc.strerror or exc})"])
    err.print(f"wrote {escape(str(out_dir))}/derived_figures.csv, departement_weights.csv and "
              "prefectures.csv")
