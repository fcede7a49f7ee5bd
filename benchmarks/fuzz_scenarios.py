"""Fuzz at scale: thousands of mutated bundled scenarios through ``check``, hundreds of runs.

The mutations are those of the fuzz tests (``tests/scenario_mutations.py``), drawn by
hypothesis with a fixed seed. Each goes through ``prefsim check`` in this process (a watchdog
counts any check lasting more than 60 s as a hang); the first ``--runs`` that pass go through
``prefsim run -r 1`` each in its own process, killed after 60 s, whose peak resident memory
is read from the kernel (``os.wait4``). Counted: tracebacks, exit statuses other than 0 and
2, refusal lines that name no field, hangs over 60 s, and runs over 4 GB; all must be 0.

Usage::

    .venv/bin/python benchmarks/fuzz_scenarios.py [--checks 1000] [--runs 150]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from scenario_mutations import mutated, names_a_field, write  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from sim.engine.workload import estimate  # noqa: E402
from sim.faces.cli.main import app  # noqa: E402
from sim.scenario.loader import load  # noqa: E402

HANG_SECONDS = 60
RUN_BUDGET = ["--max-memory", "4", "--max-minutes", "0.25"]
GB = 1e9


def examples(n: int) -> list[tuple[str, dict[str, Any], list[str]]]:
    """``n`` mutated scenarios, the same on every machine (a fixed seed)."""
    drawn: list[tuple[str, dict[str, Any], list[str]]] = []

    @settings(max_examples=n, database=None, derandomize=True, deadline=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(mutated())
    def collect(example: tuple[str, dict[str, Any], list[str]]) -> None:
        drawn.append(example)

    collect()
    return drawn


class Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Hang


def check(path: Path) -> dict[str, Any]:
    """``prefsim check`` in this process, with a watchdog."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_SECONDS)
    started = time.perf_counter()
    try:
        result = CliRunner().invoke(app, ["check", str(path)])
    except Hang:
        return {"status": "hang", "seconds": time.perf_counter() - started}
    finally:
        signal.alarm(0)
    seconds = time.perf_counter() - started
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines() if result.exit_code == 2 else []
    return {"status": "traceback" if crashed or "Traceback" in result.output
            else {0: "valid", 2: "refused"}.get(result.exit_code, f"exit {result.exit_code}"),
            "seconds": seconds, "unnamed": [x for x in lines if not names_a_field(x)],
            "error": repr(result.exception) if crashed else None}


def _child(args: list[str]) -> tuple[subprocess.Popen[bytes], float]:
    return subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE), time.perf_counter()


def startup() -> dict[str, float]:
    """CPU seconds and peak memory of a process that only imports the command line."""
    proc, _ = _child(["-c", "import sim.faces.cli.main, sim.experiments.experiment"])
    _, _, usage = os.wait4(proc.pid, 0)
    return {"cpu_seconds": usage.ru_utime + usage.ru_stime, "peak_bytes": usage.ru_maxrss * 1024}


def run(path: Path, out: Path) -> dict[str, Any]:
    """``prefsim run -r 1`` in its own process: status, wall and CPU seconds, peak memory,
    and the estimate of the replication's memory and CPU time."""
    work = estimate(load(path))
    proc, started = _child(["-m", "sim.faces.cli", "run", str(path), "-r", "1", "-q",
                            "--out", str(out), *RUN_BUDGET])
    deadline = started + HANG_SECONDS
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            return {"status": "hang", "seconds": HANG_SECONDS,
                    "peak_bytes": usage.ru_maxrss * 1024}
        time.sleep(0.05)
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    lines = stderr.splitlines() if code == 2 else []
    return {"status": "traceback" if "Traceback" in stderr else
            {0: "ran", 2: "refused"}.get(code, f"exit {code}"),
            "seconds": time.perf_counter() - started, "peak_bytes": usage.ru_maxrss * 1024,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "estimated_seconds": work.seconds, "estimated_bytes": work.memory_bytes,
            "unnamed": [x for x in lines if not names_a_field(x)],
            "stderr": stderr[-2000:] if "Traceback" in stderr or code not in (0, 2) else ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checks", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=150)
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results"
                        / "fuzz.json")
    args = parser.parse_args()
    drawn = examples(args.checks)
    base = startup()
    checks, runs, bad = [], [], []
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        for k, (source, data, done) in enumerate(drawn):
            path = write(data, Path(tmp) / f"mutated-{k:04d}.yaml")
            got = check(path) | {"source": source, "mutations": done}
            checks.append(got)
            if got["status"] not in ("valid", "refused") or got["unnamed"]:
                bad.append(got)
            if got["status"] == "valid" and len(runs) < args.runs:
                ran = run(path, Path(tmp) / "out") | {"source": source, "mutations": done}
                runs.append(ran)
                if ran["status"] not in ("ran", "refused") or ran["unnamed"] or \
                        ran["peak_bytes"] > 4 * GB:
                    bad.append(ran)
            if (k + 1) % 100 == 0:
                print(f"{k + 1} checks, {len(runs)} runs, {len(bad)} problems", flush=True)
    summary = {
        "checks": len(checks),
        "check_outcomes": dict(collections.Counter(c["status"] for c in checks)),
        "check_tracebacks": sum(c["status"] == "traceback" for c in checks),
        "check_hangs_over_60s": sum(c["status"] == "hang" for c in checks),
        "check_seconds_max": max(c["seconds"] for c in checks),
        "refusals_naming_no_field": sum(bool(c.get("unnamed")) for c in checks + runs),
        "runs": len(runs),
        "run_outcomes": dict(collections.Counter(r["status"] for r in runs)),
        "run_tracebacks": sum(r["status"] == "traceback" for r in runs),
        "run_hangs_over_60s": sum(r["status"] == "hang" for r in runs),
        "runs_over_4gb": sum(r["peak_bytes"] > 4 * GB for r in runs),
        "run_seconds_max": max((r["seconds"] for r in runs), default=0.0),
        "run_peak_gb_max": max((r["peak_bytes"] for r in runs), default=0) / GB,
        "startup": base,
        "runs_above_their_estimate": [
            r for r in runs if r["status"] == "ran" and (
                r["peak_bytes"] - base["peak_bytes"] > r["estimated_bytes"]
                or r["cpu_seconds"] - base["cpu_seconds"] > r["estimated_seconds"])],
        "slowest_runs": sorted(runs, key=lambda r: -r["seconds"])[:5],
        "largest_runs": sorted(runs, key=lambda r: -r["peak_bytes"])[:5],
        "problems": bad,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in summary.items()
                      if k not in ("problems", "slowest_runs", "largest_runs",
                                   "runs_above_their_estimate")}, indent=2))
    print(f"runs above their estimate: {len(summary['runs_above_their_estimate'])}")
    print(f"wrote {args.output}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
