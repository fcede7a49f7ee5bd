"""No scenario can exhaust the machine: the work is estimated and budgeted before any run,
and results replace their folder at once.

The estimate (:mod:`sim.engine.workload`) must be quick, stay above what a run takes, and
name the fields that drive it; the budget (:mod:`sim.experiments.budget`) refuses, in one
line per scenario and with exit status 2, what exceeds it; ``benchmarks/bench_workload.py``
compares the estimate with measured runs at large. Results (:func:`sim.experiments.io.
replace_folder`) are never a mix of an earlier run's files and a new one's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from sim.engine.workload import estimate
from sim.experiments import io
from sim.experiments.budget import Budget, problems
from sim.experiments.sweep import SweepError, sweep
from sim.faces.cli.main import app
from sim.scenario.loader import load

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo.yaml"
PROCEDURES = ("renewal", "first_title", "naturalisation")


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def refused(*args: str | Path) -> str:
    """The one line of a command refused with exit status 2, timed."""
    started = time.perf_counter()
    result = invoke(*args)
    assert time.perf_counter() - started < 5
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    return line


# --- the estimate and the budget -------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "fields"), [
    (["procedures.renewal.counter_minutes_per_visit=1e-9"],
     ["procedures.renewal.counter_minutes_per_visit", "greater than or equal to 1"]),
    (["staff.front_office_etp=10000"], ["staff.front_office_etp", "less than or equal to 5000"]),
    (["procedures.renewal.annual_volume=5e6"],
     ["procedures.renewal.annual_volume = 5,000,000", "GB for 5 replications",
      "above the memory budget of 4 GB", "--max-memory"]),
    ([*(f"procedures.{p}.counter_minutes_per_visit=1" for p in PROCEDURES),
      "staff.front_office_etp=5000"],
     ["slots in channels.online", "staff.front_office_etp = 5000",
      "counter_minutes_per_visit = 1", "CPU minutes per replication", "--max-minutes"]),
])
def test_serious_reproducers_are_refused_before_anything_runs(
        tmp_path: Path, overrides: list[str], fields: list[str]) -> None:
    out = tmp_path / "out"
    line = refused("run", DEMO, "--out", out, *[a for o in overrides for a in ("--set", o)])
    assert line.startswith(f"{DEMO} --set: ")
    assert all(f in line for f in fields), line
    assert not out.exists() and not list(tmp_path.iterdir())


def test_the_budget_can_be_raised_and_lowered(tmp_path: Path) -> None:
    many = ["--set", "staff.front_office_etp=1500"]
    assert invoke("check", DEMO, *many).exit_code == 0
    line = refused("check", DEMO, *many, "--max-memory", "0.5")
    assert "above the memory budget of 0.5 GB (raise with --max-memory)" in line
    assert "slots in channels.online (staff.front_office_etp = 1500" in line
    line = refused("run", DEMO, "--max-minutes", "0.01", "--out", tmp_path / "o")
    assert "above the budget of 0.01 CPU minutes per replication" in line


def test_check_prints_the_estimate() -> None:
    result = invoke("check", DEMO)
    assert result.exit_code == 0
    assert "work of one replication (estimate): 21,135 applicants over 365 days" in \
        result.stdout


def test_a_register_that_dates_requests_years_ahead_is_named() -> None:
    spec = load(DEMO, ["procedures.renewal.annual_volume=4000000"])
    work = estimate(spec)
    assert work.book_days["online"] > 3650  # the waitlist's calendar ran ten years ahead
    (line,) = problems({"demo": spec}, Budget(), replications=5)
    assert "a waitlist without release dates requests up to 10 years ahead" not in line  # small
    assert "procedures.renewal.annual_volume = 4,000,000 and 2 other procedure(s)" in line


def test_the_estimate_is_quick_and_grows_with_its_drivers() -> None:
    demo = load(DEMO)
    started = time.process_time()
    base = estimate(demo)
    assert time.process_time() - started < 1
    more_people = estimate(load(DEMO, ["procedures.renewal.annual_volume=120000"]))
    race = REPO / "scenarios" / "demo-race.yaml"  # a book of fixed length, unlike a waitlist
    more_staff = estimate(load(race, ["staff.front_office_etp=100"]))
    longer = estimate(load(DEMO, ["horizon.burn_in_days=365", "horizon.follow_up_days=365"]))
    assert more_people.applicants > 5 * base.applicants
    assert more_staff.n_slots > 5 * estimate(load(race)).n_slots
    assert longer.applicants > 2.5 * base.applicants and longer.days == 365 * 3
    assert all(w.memory_bytes > base.memory_bytes and w.seconds > base.seconds
               for w in (more_people, more_staff, longer))


def test_several_scenarios_add_their_kept_tables() -> None:
    demo = load(DEMO, ["procedures.renewal.annual_volume=300000"])
    alone = problems({"a": demo}, Budget(memory_gb=2.0), replications=3)
    together = problems({"a": demo, "b": demo, "c": demo}, Budget(memory_gb=2.0),
                        replications=3)
    assert alone == [] and len(together) == 1
    assert together[0].startswith("about ") and "for 3 scenarios x 3 replications" in together[0]
    workers = problems({"a": demo}, Budget(memory_gb=1.0), replications=8, workers=2,
                       keep_tables=False)
    assert "for 2 replications at once" in workers[0]


def test_a_sweep_over_budget_is_refused_before_writing_anything(tmp_path: Path) -> None:
    base = load(DEMO, [f"procedures.{p}.counter_minutes_per_visit=1" for p in PROCEDURES])
    grid = {"staff.front_office_etp": [10, 4000]}
    with pytest.raises(SweepError) as exc:
        sweep(base, grid, tmp_path / "out", budget=Budget())
    (line,) = exc.value.problems
    assert line.startswith("point ") and "staff.front_office_etp=4000" in line
    assert not (tmp_path / "out").exists()


def test_optimise_checks_the_ends_of_its_levers(tmp_path: Path) -> None:
    line = refused("optimise", DEMO, "--target", "wait_days_p90<=30", "--lever",
                   "staff.front_office_etp=10:4000", "--out", tmp_path / "o", "-w", "0",
                   *[a for p in PROCEDURES for a in
                     ("--set", f"procedures.{p}.counter_minutes_per_visit=1")])
    assert line.startswith(f"{DEMO} --set with staff.front_office_etp=4000.0: about ")
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.parametrize("overrides", [
    ["staff.front_office_etp=1500"],  # slots dominate
    [f"procedures.{p}.annual_volume={v}" for p, v in
     zip(PROCEDURES, (120000, 60000, 25000), strict=True)],  # applicants dominate
])
def test_the_estimate_stays_above_a_measured_run(overrides: list[str]) -> None:
    """Peak resident memory above the imports, and CPU time, of one replication run in a
    fresh process: both below the estimate (benchmarks/bench_workload.py does more)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_workload import MEASURE

    done = subprocess.run([sys.executable, "-c", MEASURE, str(DEMO), *overrides], cwd=REPO,
                          capture_output=True, text=True, check=True)
    got = json.loads(done.stdout.splitlines()[-1])
    assert got["memory_bytes"] < got["estimated_bytes"]
    assert got["cpu_seconds"] < got["estimated_seconds"]


@pytest.mark.slow
def test_a_saturated_phone_lines_calls_stay_inside_the_estimate() -> None:
    """Every call, hang-up and retrial of a phone line is an event: a line with one agent
    for half the applicants, callers who hang up after 5 minutes and call again within the
    hour, makes over a hundred calls per caller, and the estimate counts them (it counted
    none before: 2.4 million events of a year against 42,000 estimated)."""
    from sim.engine.model import simulate
    from sim.scenario.loader import validate

    data = load(DEMO, ["horizon.days=120", "behaviour.digital_access_share=0.5"]).model_dump(
        mode="json")
    data["channels"] = {
        "phone": {"kind": "phone", "audience": "non_digital", "counter_share": 0.15,
                  "agents": 1, "handling_minutes": 30, "hold_patience_minutes": 5,
                  "retrial_mean_hours": 1},
        "online": data["channels"]["online"]}
    scenario = validate(data)
    work = estimate(scenario)
    started = time.process_time()
    out = simulate(scenario, 1, 0)
    seconds = time.process_time() - started
    callers = int((out.records.channel == 0).sum())
    assert out.n_events > 50 * callers  # the calls do dominate
    assert out.n_events < work.events and seconds < work.seconds


# --- results replace their folder at once -------------------------------------------------------


RUN_FILES = ("kpis.csv", "replications.csv", "applicants.parquet", "daily.parquet",
             "scenario.yaml", "manifest.json")


def test_a_result_folder_is_replaced_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    io.replace_folder(out, lambda f: (f / "a.csv").write_text("old"), ["*.csv"])
    (out / "b.csv").write_text("old, and not written again")
    io.replace_folder(out, lambda f: (f / "a.csv").write_text("new"), ["*.csv"])
    assert sorted(p.name for p in out.iterdir()) == ["a.csv"]  # no old file left beside
    assert (out / "a.csv").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary leftovers


def test_a_failed_write_leaves_the_earlier_result_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    io.replace_folder(out, lambda f: (f / "a.csv").write_text("old"), ["*.csv"])

    def half(folder: Path) -> None:
        (folder / "a.csv").write_text("new")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        io.replace_folder(out, half, ["*.csv"])
    assert (out / "a.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_holding_other_things_is_never_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "demo").mkdir(parents=True)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(io.FolderInTheWay, match=r"holds what this command does not write "
                       r"\(demo/, notes.txt\); choose another --out"):
        io.replace_folder(out, lambda f: None, RUN_FILES)
    line = refused("run", DEMO, "-r", "1", "--out", out)
    assert line == f"--out {out}: the folder is not empty (an earlier run?); give a new " \
        "folder, or add --force to write into it"
    assert sorted(p.name for p in out.iterdir()) == ["demo", "notes.txt"]
    tiny = ["--set", "horizon.days=40", "--set", "horizon.warmup_days=5", "-q", "-r", "1"]
    assert invoke("run", DEMO, *tiny, "--out", out, "--force").exit_code == 0  # written into
    assert sorted(p.name for p in out.iterdir()) == sorted(["demo", "notes.txt", *RUN_FILES])
    assert (out / "notes.txt").read_text() == "mine"


def test_run_twice_into_one_folder_gives_the_second_run_only(tmp_path: Path) -> None:
    tiny = ["--set", "horizon.days=40", "--set", "horizon.warmup_days=5", "-q", "-r", "1"]
    assert invoke("run", DEMO, *tiny, "--out", tmp_path / "out").exit_code == 0
    first = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert invoke("run", DEMO, *tiny, "--seed", "2", "--out", tmp_path / "out",
                  "--force").exit_code == 0
    second = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert (first["seed"], second["seed"]) == (1, 2)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(RUN_FILES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_options_default_budget_is_the_budget_default() -> None:
    from sim.experiments.budget import Budget
    from sim.faces.cli.common import DEFAULT_MEMORY_GB, DEFAULT_MINUTES

    assert tuple(Budget()) == (DEFAULT_MEMORY_GB, DEFAULT_MINUTES)


def test_writing_beside_the_users_files_leaves_no_earlier_result(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    (out / "probe.parquet").write_text("an earlier run's")
    (out / "kpis.csv").write_text("old")

    def write(folder: Path) -> None:
        (folder / "kpis.csv").write_text("new")
        (folder / "manifest.json").write_text("{}")

    io.write_beside(out, write, [*RUN_FILES, "probe.parquet"])
    assert sorted(p.name for p in out.iterdir()) == ["kpis.csv", "manifest.json", "notes.txt"]
    assert (out / "kpis.csv").read_text() == "new"

    def broken(folder: Path) -> None:
        (folder / "kpis.csv").write_text("half")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space"):
        io.write_beside(out, broken, RUN_FILES)
    assert (out / "kpis.csv").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.slow
def test_compare_adds_replications_only_as_far_as_memory_allows(tmp_path: Path) -> None:
    """A precision target (or rare events) adds replications; the budget caps them where the
    kept tables would not fit, says so, and the first batch still runs."""
    from sim.experiments.budget import GB, most_replications

    short = ["--set", "horizon.days=60"]
    spec = load(DEMO, ["horizon.days=60"])
    work = estimate(spec)
    gb = (work.memory_bytes + 3.0 * 3.5 * 2 * work.table_bytes) / GB  # 3 of each of the two
    assert most_replications({"a": spec, "b": spec}, Budget(gb), 100) == 3
    result = invoke("compare", DEMO, DEMO, *short, "-r", "2", "--precision", "0.0001",
                    "--max-memory", f"{gb:.6f}", "--out", tmp_path / "c")
    assert result.exit_code == 0, result.output
    assert "allows at most 3 replications per scenario (not 100)" in result.stderr
    assert "precision 0.0001: NOT reached (cap) with 3 replications" in result.stderr
