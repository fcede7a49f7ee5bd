"""Fuzz: mutated bundled scenarios through ``prefsim check`` and a short ``prefsim run``.

Hypothesis draws mutations of every bundled scenario (``tests/scenario_mutations.py``: edge
values anywhere, numbers scaled, keys dropped or added, channels switched, the fields that
drive the work pushed to the schema's bounds) and gives each to ``check``, then, if it
passes, to a one-replication ``run``, both under a small budget (1 GB, 15 CPU seconds per
replication). Whatever the mutation:

* nothing escapes as a traceback; the exit status is 0 or 2;
* every refusal is one line per problem, each naming a field of the schema;
* a run the budget lets through stays within it: its CPU time under 15 s, the process's peak
  memory under 1 GB above what it held before.

Fast tier: a few dozen examples; slow tier (``-m slow``): hundreds.
``benchmarks/fuzz_scenarios.py`` runs thousands, each run in its own process.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from scenario_mutations import BUNDLED, mutated, names_a_field, resolved, shortened, write
from typer.testing import CliRunner, Result

from sim.faces.cli.main import app

MEMORY_GB, MINUTES = 1.0, 0.25
BUDGET = ["--max-memory", str(MEMORY_GB), "--max-minutes", str(MINUTES)]
FUZZ = settings(deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize()


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _reset_peak() -> None:
    """Start the process's peak memory afresh (Linux: VmHWM := VmRSS), so that the peak read
    after a run is this run's, not that of whatever the process ran before (another test on
    the same pytest-xdist worker). Where the kernel does not allow it, the peak stays the
    process's lifetime peak, which is never lower: the check is then only stricter."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _clean(result: Result, what: str) -> None:
    """No traceback, status 0 or 2, and each refusal line names a field."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{what}: {result.exception!r}") from result.exception
    assert "Traceback" not in result.output, what
    assert result.exit_code in (0, 2), f"{what}: exit {result.exit_code}\n{result.output}"
    if result.exit_code == 2:
        lines = result.stderr.splitlines()
        assert lines, what
        for line in lines:
            assert names_a_field(line), f"{what}: no field named in {line!r}"


def through_the_cli(example: tuple[str, dict[str, Any], list[str]]) -> str:
    """``check`` then, if valid, a short ``run`` of a mutated scenario: what became of it."""
    source, data, done = example
    what = f"{source} with {', '.join(done) or 'nothing changed'}"
    with tempfile.TemporaryDirectory(prefix="fuzz-") as tmp:
        path = write(data, Path(tmp) / "mutated.yaml")
        check = CliRunner().invoke(app, ["check", str(path), *BUDGET])
        _clean(check, f"check {what}")
        if check.exit_code != 0:
            return "refused by check"
        _reset_peak()
        before, cpu = _rss(), time.process_time()
        run = CliRunner().invoke(app, ["run", str(path), "-r", "1", "-q", "--out",
                                       str(Path(tmp) / "out"), *BUDGET])
        cpu = time.process_time() - cpu
        _clean(run, f"run {what}")
        assert cpu < 60 * MINUTES, f"run {what}: {cpu:.1f} CPU seconds, over the budget"
        assert _peak() - before < MEMORY_GB * 1e9, f"run {what}: over the memory budget"
        return "ran" if run.exit_code == 0 else "refused by run"


@settings(FUZZ, max_examples=30)
@given(mutated())
def test_mutated_scenarios_fast(example: tuple[str, dict[str, Any], list[str]]) -> None:
    through_the_cli(example)


@pytest.mark.slow
@settings(FUZZ, max_examples=300)
@given(mutated())
def test_mutated_scenarios_slow(example: tuple[str, dict[str, Any], list[str]]) -> None:
    through_the_cli(example)


@pytest.mark.parametrize("source", BUNDLED)
def test_every_bundled_scenario_shortened_is_checked_clean(source: str) -> None:
    """The fuzz starts from sound ground: each bundled scenario, shortened, passes check."""
    assert through_the_cli((source, shortened(resolved(source)), [])) in (
        "ran", "refused by check")
