"""Sweeps: grids, validation before any run, executors that agree, resumption after a stop.

The Dask tests run on a real ``distributed.LocalCluster`` (two worker processes, one thread
each), shared by the module: the cluster's numbers must equal the local pool's for the same
seeds, and a sweep interrupted mid-way then restarted must end with every (point,
replication) exactly once and the numbers of an uninterrupted sweep.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from conftest import scenario
from typer.testing import CliRunner, Result

from sim.experiments import national
from sim.experiments import sweep as sweeping
from sim.experiments.executors import DaskExecutor, ExecutorError, PoolExecutor, SerialExecutor
from sim.experiments.grid import grid_points, parse_grid, point_id
from sim.experiments.sweep import SweepError, sweep
from sim.faces.cli.main import app
from sim.scenario import Scenario

distributed = pytest.importorskip("distributed")

REPO = Path(__file__).resolve().parents[1]
GRID = {"staff.front_office_etp": [4, 6, 8], "channels.online.kind": ["waitlist", "lottery"]}
KEYS = ["point", "replication", "kpi", "procedure"]


TINY: dict[str, Any] = {  # conftest's scenario() as a person writes it, 60 days
    "name": "tiny",
    "horizon": {"start": "2021-03-01", "days": 60, "warmup_days": 5},
    "procedures": {
        "first_title": {"annual_volume": 3000, "counter_minutes_per_visit": 40},
        "renewal": {"annual_volume": 5000, "counter_minutes_per_visit": 20},
    },
    "behaviour": {"digital_access_share": 0.8, "patience": {"kind": "exponential", "mean": 30}},
    "staff": {"front_office_etp": 6},
    "channels": {
        "desk": {"kind": "desk", "audience": "non_digital", "counter_share": 0.2},
        "online": {"kind": "waitlist", "audience": "all", "counter_share": 0.8},
    },
}


def base() -> Scenario:
    return scenario(horizon={"days": 60, "warmup_days": 5})


def invoke(*args: str | Path) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def failed(*args: str | Path) -> list[str]:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines
    return lines


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=logging.ERROR) as c:
        yield c


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The sweep run in this process, one task after the other."""
    out = tmp_path_factory.mktemp("serial")
    return sweep(base(), GRID, out, seed=7, replications=2, executor=SerialExecutor()).kpis


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inputs")
    paths = {"base": root / "base.yaml", "grid": root / "grid.yaml"}
    paths["base"].write_text(yaml.safe_dump(TINY), encoding="utf-8")
    paths["grid"].write_text("staff.front_office_etp: [4, 6]\n"
                             "channels: {online: {kind: [waitlist, lottery]}}\n", encoding="utf-8")
    return paths


# --- grids ------------------------------------------------------------------------------------


def test_grid_is_a_validated_cartesian_product() -> None:
    points = grid_points(base(), parse_grid(GRID))
    assert len(points) == 6 and len({p.id for p in points}) == 6
    assert points[0].params == {"staff.front_office_etp": 4, "channels.online.kind": "waitlist"}
    assert points[-1].scenario.staff.front_office_etp == 8
    assert points[-1].scenario.channels["online"].kind == "lottery"


def test_point_ids_are_stable() -> None:
    assert point_id({"staff.front_office_etp": 40}) == "b1282f4c9043"  # any process, any day
    assert point_id({"a": 1, "b": "x"}) == point_id({"b": "x", "a": 1.0})
    assert point_id({"a": 1}) != point_id({"a": 2})


def test_grid_problems_are_all_reported_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(SweepError, match="empty grid"):
        parse_grid({})
    with pytest.raises(SweepError, match="staff.front_office_etp: no values"):
        parse_grid({"staff.front_office_etp": []})
    with pytest.raises(SweepError) as unknown:
        sweep(base(), parse_grid({"staff.nope": [1], "nope": [2]}), tmp_path / "o")
    assert len(unknown.value.problems) == 2
    assert "unknown key 'nope' in staff" in unknown.value.problems[0]
    bad = {"staff.front_office_etp": [-1, 4, -2], "channels.online.kind": ["waitlist", "x"]}
    with pytest.raises(SweepError) as values:
        sweep(base(), parse_grid(bad), tmp_path / "o")
    assert len(values.value.problems) == 3  # -1, -2 and the unknown kind, each once
    assert not (tmp_path / "o").exists()


# --- executors agree --------------------------------------------------------------------------


def test_local_pool_gives_the_serial_numbers(reference: pd.DataFrame, tmp_path: Path) -> None:
    got = sweep(base(), GRID, tmp_path, seed=7, replications=2, executor=PoolExecutor(2))
    pd.testing.assert_frame_equal(got.kpis, reference)
    assert got.n_run == 12 and got.n_skipped == 0
    combined = pd.read_parquet(tmp_path / "kpis.parquet")
    pd.testing.assert_frame_equal(combined, reference)
    assert {"staff.front_office_etp", "channels.online.kind"} <= set(combined.columns)


def test_dask_cluster_gives_the_local_pool_numbers(cluster: Any, reference: pd.DataFrame,
                                                   tmp_path: Path) -> None:
    got = sweep(base(), GRID, tmp_path, seed=7, replications=2,
                executor=DaskExecutor(cluster.scheduler_address))
    pd.testing.assert_frame_equal(got.kpis, reference)
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert set(summary["point"]) == set(reference["point"])


def test_dask_cluster_gives_the_national_pool_numbers(cluster: Any, tmp_path: Path) -> None:
    """The national run: départements of different sizes, policies and bot groups."""
    path = tmp_path / "national.yaml"
    path.write_text(f"base: {REPO / 'scenarios' / 'val-de-marne-2021.yaml'}\n"
                    "reference: '94'\nscale: 0.02\ndepartements: ['48', '86', '69']\n",
                    encoding="utf-8")
    nat = national.read_national(path, days=250)
    pooled = national.simulate_national(nat, seed=3, replications=2,
                                        executor=PoolExecutor(2))
    dask = national.simulate_national(nat, seed=3, replications=2,
                                      executor=DaskExecutor(cluster.scheduler_address))
    for got, want in zip(dask, pooled, strict=True):
        if isinstance(want, pd.DataFrame):
            pd.testing.assert_frame_equal(got, want)
    assert dask.failures == [] and len(dask.table) == 3


def test_interrupted_dask_sweep_resumes_with_every_point_once(
        cluster: Any, reference: pd.DataFrame, tmp_path: Path) -> None:
    def stop_after_five(done: int, total: int) -> None:
        if done >= 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(base(), GRID, tmp_path, seed=7, replications=2,
              executor=DaskExecutor(cluster.scheduler_address), progress=stop_after_five)
    written = sorted((tmp_path / "points").glob("*.parquet"))
    assert len(written) == 5 and not (tmp_path / "kpis.parquet").exists()
    (tmp_path / "points" / ".stale.parquet.tmp").write_bytes(b"half a file")  # a killed write
    before = {p.name: p.read_bytes() for p in written}
    again = sweep(base(), GRID, tmp_path, seed=7, replications=2,
                  executor=DaskExecutor(cluster.scheduler_address))
    assert again.n_skipped == 5 and again.n_run == 7
    assert all((tmp_path / "points" / n).read_bytes() == b for n, b in before.items())
    pd.testing.assert_frame_equal(again.kpis, reference)
    assert not again.kpis.duplicated(KEYS).any()
    assert again.kpis.groupby(["point", "replication"]).ngroups == 12


@pytest.mark.slow
def test_killed_cli_sweep_resumes(files: dict[str, Path], tmp_path: Path) -> None:
    """SIGKILL a real ``prefsim sweep`` mid-way, run it again: every task exactly once."""
    out = tmp_path / "out"
    grid = tmp_path / "big.yaml"
    grid.write_text("staff.front_office_etp: [3, 4, 5, 6, 7, 8]\n"
                    "channels.online.kind: [waitlist, lottery]\n", encoding="utf-8")
    args = [sys.executable, "-m", "sim.faces.cli", "sweep", str(files["base"]), "--grid", str(grid),
            "--out", str(out), "-r", "2", "--workers", "0"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while len(list((out / "points").glob("*.parquet"))) < 4 and time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(list((out / "points").glob("*.parquet")))
    assert 4 <= partial < 24, "the sweep must be killed mid-way"
    assert subprocess.run(args, capture_output=True, check=False).returncode == 0
    rows = pd.read_parquet(out / "kpis.parquet")
    assert rows.groupby(["point", "replication"]).ngroups == 24
    assert not rows.duplicated(KEYS).any()
    fresh = sweep(base(), sweeping.read_grid(grid), tmp_path / "fresh", replications=2)
    pd.testing.assert_frame_equal(rows, fresh.kpis)


def test_growing_the_grid_runs_only_new_points(tmp_path: Path) -> None:
    first = sweep(base(), {"staff.front_office_etp": [4, 6]}, tmp_path, replications=2)
    more = sweep(base(), {"staff.front_office_etp": [4, 6, 8]}, tmp_path, replications=3)
    assert first.n_run == 4 and more.n_run == 5 and more.n_skipped == 4


def test_failed_tasks_are_reported_and_the_rest_kept(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    real = sweeping.run_kpis

    def flaky(spec: Scenario, seed: int, replication: int) -> pd.DataFrame:
        if spec.staff.front_office_etp == 6:
            raise ValueError("engine exploded\nsecond line")
        return real(spec, seed, replication)

    monkeypatch.setattr(sweeping, "run_kpis", flaky)
    got = sweep(base(), {"staff.front_office_etp": [4, 6]}, tmp_path, replications=2)
    assert len(got.failures) == 2
    assert got.failures[0].endswith("replication 0: ValueError: engine exploded")
    assert len(list((tmp_path / "points").glob("*.parquet"))) == 2
    assert not (tmp_path / "kpis.parquet").exists()


# --- command line -----------------------------------------------------------------------------


def test_cli_sweep_on_a_scheduler_then_resume(cluster: Any, files: dict[str, Path],
                                              tmp_path: Path) -> None:
    result = invoke("sweep", files["base"], "--grid", files["grid"], "--out", tmp_path,
                    "-r", "2", "--scheduler", cluster.scheduler_address)
    assert result.exit_code == 0, result.output
    assert "ran 8, skipped 0" in result.stderr
    rows = pd.read_parquet(tmp_path / "kpis.parquet")
    assert rows.groupby(["point", "replication"]).ngroups == 8
    again = invoke("sweep", files["base"], "--grid", files["grid"], "--out", tmp_path, "-r", "2")
    assert again.exit_code == 0 and "ran 0, skipped 8" in again.stderr


def test_cli_sweep_bad_input(files: dict[str, Path], tmp_path: Path) -> None:
    grid = tmp_path / "g.yaml"
    grid.write_text("staff.nope: [1, 2]\n", encoding="utf-8")
    lines = failed("sweep", files["base"], "--grid", grid, "--out", tmp_path / "o")
    assert len(lines) == 1 and "unknown key 'nope' in staff" in lines[0]
    grid.write_text("{}\n", encoding="utf-8")
    assert "empty grid" in failed("sweep", files["base"], "--grid", grid, "--out",
                                  tmp_path / "o")[0]
    assert failed("sweep", files["base"], "--grid", tmp_path / "none.yaml", "--out",
                  tmp_path / "o") == [f"{tmp_path / 'none.yaml'}: file not found"]
    assert not (tmp_path / "o").exists()


def test_cli_unreachable_scheduler_loses_nothing(files: dict[str, Path], tmp_path: Path) -> None:
    assert invoke("sweep", files["base"], "--grid", files["grid"], "--out", tmp_path,
                  "-r", "1", "-w", "0").exit_code == 0
    before = snapshot(tmp_path)
    lines = failed("sweep", files["base"], "--grid", files["grid"], "--out", tmp_path,
                   "-r", "2", "--scheduler", "tcp://127.0.0.1:9", "--timeout", "0.5")
    assert len(lines) == 1
    assert lines[0].startswith("cannot reach the Dask scheduler at tcp://127.0.0.1:9")
    assert snapshot(tmp_path) == before
    other = failed("sweep", files["base"], "--grid", files["grid"], "--out", tmp_path,
                   "--seed", "9")
    assert "holds a sweep of another base scenario or seed" in other[0]
    assert snapshot(tmp_path) == before


def test_unreachable_scheduler_error() -> None:
    with pytest.raises(ExecutorError, match="cannot reach"), \
            DaskExecutor("tcp://127.0.0.1:9", timeout=0.5):
        pass


def test_switching_a_kind_matches_the_file_with_that_kind(tmp_path: Path) -> None:
    """``channels.online.kind: [race]`` gives what ``--set channels.online.kind=race`` gives,
    not the old kind's defaults (a waitlist's ``release: null``) under a new kind."""
    from sim.scenario.loader import load

    path = tmp_path / "base.yaml"  # as a person writes it: only the fields that matter
    path.write_text("procedures: {renewal: {annual_volume: 2000}}\n"
                    "staff: {front_office_etp: 3}\n"
                    "channels: {online: {kind: waitlist, min_lead_days: 1}}\n", encoding="utf-8")
    spec = load(path)
    (point,) = grid_points(spec, {"channels.online.kind": ["race"]})
    assert point.scenario == load(path, ["channels.online.kind=race"])
    (same,) = grid_points(spec, {"channels.online.kind": ["waitlist"]})
    assert same.scenario == spec


# --- integrity of the task files ---------------------------------------------------------------


def test_damaged_or_foreign_task_files_are_redone(reference: pd.DataFrame, tmp_path: Path) -> None:
    """A truncated, an empty and a foreign task file (another task's, copied over it) are each
    found on resume, redone and counted; the result is the uninterrupted sweep's."""
    sweep(base(), GRID, tmp_path, seed=7, replications=2, executor=SerialExecutor())
    files = sorted((tmp_path / "points").glob("*.parquet"))
    truncated, empty, foreign, donor = files[0], files[3], files[5], files[8]
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    empty.write_bytes(b"")
    foreign.write_bytes(donor.read_bytes())
    (tmp_path / "kpis.parquet").unlink()
    again = sweep(base(), GRID, tmp_path, seed=7, replications=2, executor=SerialExecutor())
    assert again.redone == {"truncated or unreadable": 1, "empty": 1, "another task's": 1}
    assert again.n_run == 3 and again.n_skipped == 9 and not again.failures
    pd.testing.assert_frame_equal(again.kpis, reference)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "kpis.parquet"), reference)
    assert again.kpis.groupby(["point", "replication"]).ngroups == 12
    settled = sweep(base(), GRID, tmp_path, seed=7, replications=2)
    assert settled.n_run == 0 and settled.n_redone == 0 and settled.n_skipped == 12


def test_a_file_the_manifest_does_not_vouch_for_is_redone(tmp_path: Path) -> None:
    grid = {"staff.front_office_etp": [4, 6]}
    sweep(base(), grid, tmp_path, replications=1)
    manifest = tmp_path / "tasks.jsonl"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    manifest.write_text(lines[0] + "\n" + lines[1][:20], encoding="utf-8")  # killed mid-line
    again = sweep(base(), grid, tmp_path, replications=1)
    assert again.redone == {"unrecorded": 1} and again.n_run == 1 and again.n_skipped == 1
    first = sorted((tmp_path / "points").glob("*.parquet"))[0]
    frame = pd.read_parquet(first)
    frame.assign(value=frame["value"] + 1).to_parquet(first, index=False)  # edited by hand
    assert sweep(base(), grid, tmp_path, replications=1).redone == {"altered": 1}


def test_cli_says_how_many_task_files_it_redid(files: dict[str, Path], tmp_path: Path) -> None:
    assert invoke("sweep", files["base"], "--grid", files["grid"], "--out", tmp_path,
                  "-r", "1", "-w", "0").exit_code == 0
    next(iter(sorted((tmp_path / "points").glob("*.parquet")))).write_bytes(b"")
    again = invoke("sweep", files["base"], "--grid", files["grid"], "--out", tmp_path,
                   "-r", "1", "-w", "0")
    assert again.exit_code == 0
    assert ("ran 1 (of which 1 redone: their task file did not check out: 1 empty), "
            "skipped 3 already done") in again.stderr
