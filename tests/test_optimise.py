"""Goal seeking: parsing targets and levers, the least-cost feasible plan, the frontier.

The search runs under common random numbers, so it is reproducible; the plan it returns
meets the targets, and the lever value one step below it (evaluated during the bisection)
does not.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import scenario
from typer.testing import CliRunner, Result

from sim.experiments.executors import PoolExecutor
from sim.experiments.goals import Lever, OptimiseError, Target, parse_lever, parse_target
from sim.experiments.optimise import Optimisation, optimise, shortfall
from sim.faces.cli.main import app
from sim.faces.report import write_optimisation
from sim.scenario import Scenario
from sim.scenario.files import dump_yaml

ETP = "staff.front_office_etp"


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
    return result.stderr.splitlines()


@pytest.fixture(scope="module")
def base_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("opt") / "base.yaml"
    path.write_text(dump_yaml(base()), encoding="utf-8")
    return path


def test_parse_targets_and_levers() -> None:
    assert parse_target(" wait_days_p90 <= 30 ") == Target("wait_days_p90", "all", "<=", 30.0)
    assert parse_target("served@renewal>=1e3") == Target("served", "renewal", ">=", 1000.0)
    assert parse_lever("staff.front_office_etp=40:120") == Lever(ETP, 40.0, 120.0, None)
    assert parse_lever("a.b=0.5:1.5:0.25").step == 0.25
    for bad in ("wait_days_p90<30", "wait_days_p90<=", "<=3", "x<=3; import os", "p90 == 3"):
        with pytest.raises(OptimiseError, match="expected KPI<=VALUE"):
            parse_target(bad)
    for bad in ("staff.front_office_etp", "staff.front_office_etp=40", "x=3:1", "x=1:3:0"):
        with pytest.raises(OptimiseError, match="--lever"):
            parse_lever(bad)


def test_lever_grid_and_snapping() -> None:
    lever = Lever("x", 2.0, 10.0, 1.0)
    assert lever.coarse(5) == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert lever.snap(4.2) == 5.0 and lever.snap(99) == 10.0
    assert Lever("x", 0.0, 1.0, None).tolerance == pytest.approx(1 / 128)


@pytest.fixture(scope="module")
def single() -> Optimisation:
    return optimise(base(), [parse_target("wait_days_p90<=8")], [parse_lever(f"{ETP}=2:12:0.5")],
                    seed=4, replications=2)


def test_single_lever_finds_the_boundary(single: Optimisation) -> None:
    result = single
    plans = result.plans
    best = plans.loc[result.best]
    assert best["feasible"] and best["wait_days_p90"] <= 8
    below = plans[np.isclose(plans[ETP], best[ETP] - 0.5)]
    assert len(below) == 1 and not below["feasible"].iloc[0]  # one step less misses
    cheaper = plans[plans["staff_cost_eur"] < best["staff_cost_eur"]]
    assert not cheaper["feasible"].any()
    assert plans["staff_cost_eur"].is_monotonic_increasing
    assert result.scenario.staff.front_office_etp == best[ETP]
    assert plans["frontier"].any() and plans["chosen"].sum() == 1


def test_search_is_reproducible_under_crn(single: Optimisation) -> None:
    again = optimise(base(), [parse_target("wait_days_p90<=8")],
                     [parse_lever(f"{ETP}=2:12:0.5")], seed=4, replications=2,
                     executor=PoolExecutor(2))
    pd.testing.assert_frame_equal(again.plans, single.plans)


def test_two_levers_least_cost_among_feasible() -> None:
    result = optimise(base(), [parse_target("wait_days_p90<=8")],
                      [parse_lever(f"{ETP}=2:12:1"), parse_lever("staff.back_office_etp=0:10")],
                      seed=4, replications=2, coarse=3)
    plans = result.plans
    best = plans.loc[result.best]
    assert best["feasible"]
    assert best["staff_cost_eur"] == plans.loc[plans["feasible"], "staff_cost_eur"].min()
    assert best["staff.back_office_etp"] == 0  # back office costs and does not shorten waits
    assert float(best[ETP]).is_integer()


def test_unreachable_targets_give_no_plan_and_say_why(tmp_path: Path) -> None:
    result = optimise(base(), [parse_target("wait_days_p90<=0.001")],
                      [parse_lever(f"{ETP}=2:4:1")], seed=1, replications=1)
    assert result.best is None and result.scenario is None
    assert shortfall(result).startswith(f"even at {ETP}=4: wait_days_p90 = ")
    written = write_optimisation(result, tmp_path)
    assert not (tmp_path / "best.yaml").exists()
    assert all(p.exists() for p in written)


def test_unknown_kpi_lists_the_known_ones() -> None:
    with pytest.raises(OptimiseError) as info:
        optimise(base(), [parse_target("protection_orders_lost<=0"),
                          parse_target("wait_days_p90@nope<=3")],
                 [parse_lever(f"{ETP}=2:4")], replications=1)
    first, second = info.value.problems
    assert "unknown KPI 'protection_orders_lost' (known: arrivals, served," in first
    assert "wait_days_mean.channel.online" in first
    assert "no KPI 'wait_days_p90' for procedure 'nope'" in second


def test_bad_levers_are_reported_before_any_run() -> None:
    with pytest.raises(OptimiseError) as info:
        optimise(base(), [], [parse_lever("staff.nope=1:2"), parse_lever(f"{ETP}=-3:2")])
    problems = info.value.problems
    assert problems[0].startswith("give at least one --target")
    assert sum("staff.nope" in p for p in problems) == 1
    assert any("greater than or equal to 0" in p for p in problems)


# --- command line -----------------------------------------------------------------------------


def test_cli_optimise_writes_plan_and_frontier(base_file: Path, tmp_path: Path) -> None:
    result = invoke("optimise", base_file, "--target", "wait_days_p90<=8", "--lever",
                    f"{ETP}=2:12:1", "-r", "2", "--seed", "4", "--out", tmp_path, "-w", "0")
    assert result.exit_code == 0, result.output
    assert "least-cost plan: staff.front_office_etp=" in result.stderr
    for name in ("plans.csv", "frontier-wait_days_p90.png", "best.yaml", "optimise.json"):
        assert (tmp_path / name).is_file(), name
    summary = json.loads((tmp_path / "optimise.json").read_text())
    assert summary["best"]["feasible"] and summary["targets"] == ["wait_days_p90<=8"]


def test_cli_optimise_bad_input(base_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    lines = failed("optimise", base_file, "--target", "wait_days_p90<30", "--lever", ETP,
                   "--out", out)
    assert len(lines) == 2
    assert lines[0].startswith("--target 'wait_days_p90<30': expected")
    assert lines[1].startswith(f"--lever '{ETP}': expected KEY=LOW:HIGH")
    unknown = failed("optimise", base_file, "--target", "nope<=1", "--lever", f"{ETP}=2:3",
                     "-r", "1", "-w", "0", "--out", out)
    assert len(unknown) == 1 and "unknown KPI 'nope' (known: " in unknown[0]
    assert not any(out.glob("*"))


def test_cli_optimise_unreachable_exits_1(base_file: Path, tmp_path: Path) -> None:
    result = invoke("optimise", base_file, "--target", "wait_days_p90<=0.001", "--lever",
                    f"{ETP}=2:3:1", "-r", "1", "-w", "0", "--out", tmp_path)
    assert result.exit_code == 1
    assert "no plan within the lever ranges meets the targets: even at" in result.stderr
    assert (tmp_path / "plans.csv").is_file()
