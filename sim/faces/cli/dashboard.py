"""``prefsim dashboard``: the Streamlit dashboard, served by this process until Ctrl-C."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from sim.faces.cli.common import err, fail

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


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

    app_file = Path(__file__).resolve().parents[3] / "dashboards" / "app.py"
    if not app_file.is_file():
        fail([f"{app_file}: dashboard not found (it comes with the source tree: install "
               "prefsim with `pip install -e .` from a clone)"])
    err.print(f"prefsim dashboard on http://{address}:{port} (Ctrl-C to stop)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [  # become the server: Ctrl-C and kill reach it directly
        sys.executable, "-m", "streamlit", "run", str(app_file),
        "--server.address", address, "--server.port", str(port),
        "--server.headless", "true", "--server.maxUploadSize", "1",
        "--browser.gatherUsageStats", "false", "--client.toolbarMode", "viewer"])
