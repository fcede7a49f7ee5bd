"""The ``prefsim`` command: one Typer app gathering every command group.

Commands are listed in ``prefsim --help`` in the order their groups are added here: one
scenario (:mod:`~sim.faces.cli.runs`), comparisons (:mod:`~sim.faces.cli.comparisons`),
the KPI glossary (:mod:`~sim.faces.cli.kpis`), searches (:mod:`~sim.faces.cli.sweeps`), the
dashboard (:mod:`~sim.faces.cli.dashboard`), the commands on published data
(:mod:`~sim.faces.cli.calibration`) and the national run (:mod:`~sim.faces.cli.national`).
The console script ``prefsim`` is :data:`app`.

The command modules import the simulator inside their commands, so ``prefsim --help`` and
``prefsim --version`` load Typer and Rich only (``tests/test_cli.py`` keeps them under a
second). An unknown command gets Click's "Did you mean ...?".
"""

from __future__ import annotations

from typing import Annotated

import typer

from sim.faces.cli import calibration, comparisons, dashboard, kpis, national, runs, sweeps

app = typer.Typer(
    help="prefsim: wait times, backlogs and capacity of appointment-based public services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (runs, comparisons, kpis, sweeps, dashboard, calibration, national):
    app.add_typer(group.app)


def _version(shown: bool) -> None:
    if shown:
        from sim import __version__

        typer.echo(f"prefsim {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", callback=_version,
        is_eager=True)] = False,
) -> None:
    """prefsim: wait times, backlogs and capacity of appointment-based public services."""


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
