"""The ``prefsim`` command: one Typer app gathering every command group.

Commands are listed in ``prefsim --help`` in the order their groups are added here: one
scenario (:mod:`~sim.faces.cli.runs`), comparisons (:mod:`~sim.faces.cli.comparisons`),
searches (:mod:`~sim.faces.cli.sweeps`), the dashboard (:mod:`~sim.faces.cli.dashboard`), and
the commands on published data (:mod:`~sim.faces.cli.calibration`). The console script
``prefsim`` is :data:`app`.
"""

from __future__ import annotations

import typer

from sim.faces.cli import calibration, comparisons, dashboard, runs, sweeps

app = typer.Typer(
    help="prefsim: wait times, backlogs and capacity of appointment-based public services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for group in (runs, comparisons, sweeps, dashboard, calibration):
    app.add_typer(group.app)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
