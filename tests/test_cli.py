"""The ``prefsim`` command line: check, run, schema, reference.

Bad input exits with status 2 and one line per problem on stderr, never a traceback; ``run``
writes its six files, byte-identical for the same seed (except the manifest, which records
the wall-clock run time).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner, Result

from sim import __version__
from sim.faces.cli.main import app
from sim.scenario.files import deep_merge
from sim.scenario.loader import load
from sim.scenario.reference import reference_markdown

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo.yaml"
DOCS = REPO / "docs" / "scenario-reference.md"

TINY: dict[str, Any] = {
    "name": "tiny",
    "horizon": {"start": "2021-03-01", "days": 60, "warmup_days": 5},
    "procedures": {
        "first_title": {"annual_volume": 1500, "counter_minutes_per_visit": 40},
        "renewal": {"annual_volume": 2500, "counter_minutes_per_visit": 20},
    },
    "behaviour": {"digital_access_share": 0.8, "patience": {"kind": "exponential", "mean": 30}},
    "staff": {"front_office_etp": 2},
    "channels": {
        "desk": {"kind": "desk", "audience": "non_digital", "counter_share": 0.2},
        "online": {"kind": "waitlist", "audience": "all", "counter_share": 0.8},
    },
}
KPIS = (
    "arrivals", "served", "abandoned_share", "still_waiting_end", "wait_days_mean",
    "wait_days_p50", "wait_days_p90", "front_office_utilisation", "staff_cost_eur",
)
PER_PROCEDURE = KPIS[:7]
FILES = (
    "kpis.csv", "replications.csv", "applicants.parquet", "daily.parquet", "scenario.yaml",
    "manifest.json",
)


def invoke(*args: str | Path) -> Result:
    """Run ``prefsim ARGS`` in-process; no exception may escape except a clean exit."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.output
    )
    assert "Traceback" not in result.output
    return result


def failed(*args: str | Path) -> list[str]:
    """The stderr lines of a command that must exit with status 2 and print nothing else."""
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines
    return lines


def write(path: Path, content: dict[str, Any] | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("scenario") / "tiny.yaml", TINY)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, tiny: Path) -> dict[str, Path]:
    """Output directories: seed 3 twice, seed 4, and seed 3 with more front-office staff."""
    root = tmp_path_factory.mktemp("runs")
    args = {
        "a": ["--seed", "3"],
        "b": ["--seed", "3"],
        "c": ["--seed", "4"],
        "more_staff": ["--seed", "3", "--set", "staff.front_office_etp=6"],
    }
    for name, extra in args.items():
        result = invoke("run", tiny, "--replications", "2", "--out", root / name, "-q", *extra)
        assert result.exit_code == 0, result.output
    return {name: root / name for name in args}


# --- check ----------------------------------------------------------------------------------


def test_check_demo_summarises() -> None:
    result = invoke("check", DEMO)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("demo: valid.")
    spec = load(DEMO)
    assert f"horizon: {spec.horizon.days} days from {spec.horizon.start}" in out
    for name in spec.procedures:
        assert f"procedure {name}: " in out
    for name, channel in spec.channels.items():
        assert f"channel {name}: {channel.kind}" in out
    assert f"staff: {spec.staff.front_office_etp:g} front-office ETP" in out
    assert result.stderr == ""


def test_check_applies_overrides(tiny: Path) -> None:
    result = invoke("check", tiny, "--set", "staff.front_office_etp=12")
    assert result.exit_code == 0
    assert "staff: 12 front-office ETP" in result.stdout


def test_check_prints_user_text_verbatim(tmp_path: Path) -> None:
    """Names and descriptions are not rich markup: brackets must neither vanish nor crash."""
    path = write(tmp_path / "odd.yaml", deep_merge(TINY, {"name": "[/odd]", "description": "[b]x"}))
    result = invoke("check", path)
    assert result.exit_code == 0
    assert result.stdout.startswith("[/odd]: valid. [b]x\n")


BAD_CASES: dict[str, tuple[str | dict[str, Any], str]] = {
    "negative_etp": (
        {"staff": {"front_office_etp": -4}},
        "staff.front_office_etp = -4: Input should be greater than or equal to 0",
    ),
    "unknown_field": ({"staff": {"etp": 4}}, "staff.etp = 4: unknown field (allowed: "),
    "short_seasonality": (
        {"procedures": {"renewal": {"seasonality": [1, 1]}}},
        "procedures.renewal.seasonality = [1, 1]: Tuple should have at least 12 items",
    ),
    "probability_above_one": (
        {"behaviour": {"digital_access_share": 1.2}},
        "behaviour.digital_access_share = 1.2: Input should be less than or equal to 1",
    ),
    "channel_field": (
        {"channels": {"online": {"counter_share": 1.5}}},
        "channels.online.counter_share = 1.5: Input should be less than or equal to 1",
    ),
    "channel_kind": (
        {"channels": {"online": {"kind": "fax"}}},
        "channels.online.kind = 'fax': unknown kind (allowed: 'desk', ",
    ),
    "probe_rate_negative": (
        {"probe": {"readings_per_day": -1}},
        "probe.readings_per_day = -1: Input should be greater than or equal to 0",
    ),
    "probe_bins_not_increasing": (
        {"probe": {"bins_days": [60, 30]}},
        "probe.bins_days = [60, 30]: bins must be positive and strictly increasing",
    ),
    "court_delay_negative": (
        {"courts": {"delay": {"mean": -3}}},
        "courts.delay.mean = -3: Input should be greater than 0",
    ),
    "court_deadline_negative": (
        {"courts": {"deadline_days": -1}},
        "courts.deadline_days = -1: Input should be greater than or equal to 0",
    ),
    "going_share_above_one": (
        {"courts": {"going_share": 1.5}},
        "courts.going_share = 1.5: Input should be less than or equal to 1",
    ),
    "malformed_yaml": ("name: [unclosed\n", "malformed YAML (line "),
    "python_tag": ("name: !!python/name:os.system\n", "malformed YAML (line 1, column 7): "),
    "not_a_mapping": ("- a\n- b\n", "top level must be a mapping of fields, got a list"),
    "missing_parent": ("extends: ghost.yaml\n", "extends = 'ghost.yaml': file not found"),
    "self_cycle": ("extends: bad.yaml\n", "circular inheritance (bad.yaml -> bad.yaml)"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_check_bad_file_exits_2_with_one_clean_line(tmp_path: Path, case: str) -> None:
    content, expected = BAD_CASES[case]
    data = deep_merge(TINY, content) if isinstance(content, dict) else content
    path = write(tmp_path / "bad.yaml", data)
    lines = failed("check", path)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: ")
    assert expected in lines[0]


def test_check_circular_pair(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", "extends: b.yaml\n")
    b = write(tmp_path / "b.yaml", "extends: a.yaml\n")
    assert failed("check", a) == [
        f"{b}: extends = 'a.yaml': circular inheritance (a.yaml -> b.yaml -> a.yaml)"
    ]


def test_check_missing_file(tmp_path: Path) -> None:
    ghost = tmp_path / "ghost.yaml"
    assert failed("check", ghost) == [f"{ghost}: file not found"]


def test_check_unknown_set_key(tiny: Path) -> None:
    (line,) = failed("check", tiny, "--set", "staff.front_offce_etp=80")
    assert line.startswith(
        f"{tiny} --set: staff.front_offce_etp = 80: unknown key 'front_offce_etp' in staff "
        "(known: front_office_etp, "
    )


def test_check_set_out_of_range(tiny: Path) -> None:
    assert failed("check", tiny, "--set", "staff.front_office_etp=-1") == [
        f"{tiny} --set: staff.front_office_etp = -1: Input should be greater than or equal to 0"
    ]


def test_many_problems_one_line_each_however_long(tmp_path: Path) -> None:
    """Lines are never wrapped to the terminal width: one problem, one line."""
    path = write(
        tmp_path / "a_rather_long_scenario_file_name_to_push_lines_past_eighty_columns.yaml",
        deep_merge(TINY, {"staff": {"front_office_etp": -1, "absence_rate": 3, "x": 1}}),
    )
    lines = failed("check", path)
    assert len(lines) == 3
    assert all(line.startswith(f"{path}: staff.") for line in lines)
    assert max(map(len, lines)) > 120


# --- run -------------------------------------------------------------------------------------


def test_run_writes_the_six_files(runs: dict[str, Path]) -> None:
    for out in runs.values():
        assert sorted(p.name for p in out.iterdir()) == sorted(FILES)


def test_kpis_csv_columns_and_names(runs: dict[str, Path]) -> None:
    kpis = pd.read_csv(runs["a"] / "kpis.csv", keep_default_na=False)
    assert list(kpis.columns) == ["kpi", "procedure", "mean", "ci_low", "ci_high", "n"]
    assert set(KPIS) <= set(kpis["kpi"])
    assert set(kpis["procedure"]) == {"all", *TINY["procedures"]}
    pairs = set(zip(kpis["kpi"], kpis["procedure"], strict=True))
    assert {(k, "all") for k in KPIS} <= pairs
    assert {(k, p) for k in PER_PROCEDURE for p in TINY["procedures"]} <= pairs
    assert not kpis.duplicated(["kpi", "procedure"]).any()


def test_same_seed_gives_identical_files(runs: dict[str, Path]) -> None:
    for name in FILES:
        if name != "manifest.json":
            same = (runs["a"] / name).read_bytes() == (runs["b"] / name).read_bytes()
            assert same, f"{name} differs between two runs with the same seed"


def test_other_seed_gives_other_kpis(runs: dict[str, Path]) -> None:
    assert (runs["a"] / "kpis.csv").read_bytes() != (runs["c"] / "kpis.csv").read_bytes()


def test_manifest(runs: dict[str, Path], tiny: Path) -> None:
    manifest = json.loads((runs["a"] / "manifest.json").read_text())
    assert manifest["prefsim_version"] == __version__
    assert manifest["seed"] == 3 and manifest["replications"] == 2
    assert isinstance(manifest["run_seconds"], float | int) and manifest["run_seconds"] >= 0
    assert manifest["scenario"] == "tiny" and manifest["scenario_file"] == str(tiny)
    assert manifest["overrides"] == []
    more = json.loads((runs["more_staff"] / "manifest.json").read_text())
    assert more["overrides"] == ["staff.front_office_etp=6"]


def test_resolved_scenario_loads_back_equal(runs: dict[str, Path], tiny: Path) -> None:
    assert load(runs["a"] / "scenario.yaml") == load(tiny)
    more = load(runs["more_staff"] / "scenario.yaml")
    assert more == load(tiny, ["staff.front_office_etp=6"])


def test_set_changes_the_results(runs: dict[str, Path]) -> None:
    before = pd.read_csv(runs["a"] / "kpis.csv").set_index(["kpi", "procedure"])
    after = pd.read_csv(runs["more_staff"] / "kpis.csv").set_index(["kpi", "procedure"])
    assert not before.equals(after)
    cost = ("staff_cost_eur", "all")
    assert after.loc[cost, "mean"] > before.loc[cost, "mean"]
    arrivals = ("arrivals", "all")  # common random numbers: same applicants
    assert after.loc[arrivals, "mean"] == before.loc[arrivals, "mean"]


def test_run_prints_the_kpi_table(tiny: Path, tmp_path: Path) -> None:
    result = invoke("run", tiny, "-r", "1", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert "staff_cost_eur" in result.stdout and "tiny: 1 replications, seed 1" in result.stdout
    assert f"wrote {tmp_path / 'out'}/" in result.stderr


def test_run_bad_scenario_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.yaml", deep_merge(TINY, {"staff": {"front_office_etp": -1}}))
    out = tmp_path / "out"
    (line,) = failed("run", path, "--out", out)
    assert line == (
        f"{path}: staff.front_office_etp = -1: Input should be greater than or equal to 0"
    )
    assert not out.exists()


def test_run_overlapping_closures_writes_nothing(tmp_path: Path) -> None:
    closures = [{"start": "2021-03-01", "end": "2021-03-20"},
                {"start": "2021-03-10", "end": "2021-04-01"}]
    path = write(tmp_path / "bad.yaml", deep_merge(TINY, {"calendar": {"closures": closures}}))
    out = tmp_path / "out"
    (line,) = failed("run", path, "--out", out)
    assert line.startswith(f"{path}: calendar: closures.0 (2021-03-01 to 2021-03-20) and ")
    assert "overlap" in line and not out.exists()


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ({"kind": "phone", "counter_share": 0.1},
         "channels.extra: agents or agent_etp: a phone line needs someone to answer"),
        ({"kind": "phone", "counter_share": 0.1, "agents": 1, "retrial_mean_hours": 0},
         "channels.extra.retrial_mean_hours = 0: Input should be greater than 0"),
        ({"kind": "phone", "counter_share": 0.1, "agents": 1, "handling_minutes": -1},
         "channels.extra.handling_minutes = -1: Input should be greater than 0"),
        ({"kind": "desk", "mode": "daily_tickets", "counter_share": 0.1,
          "retrial_mean_days": 0},
         "channels.extra.retrial_mean_days = 0: Input should be greater than 0"),
    ],
)
def test_run_bad_phone_or_desk_writes_nothing(tmp_path: Path, channel: dict[str, Any],
                                              expected: str) -> None:
    path = write(tmp_path / "bad.yaml", deep_merge(TINY, {"channels": {
        "desk": {"counter_share": 0.1}, "extra": channel}}))
    out = tmp_path / "out"
    (line,) = failed("run", path, "--out", out)
    assert line.startswith(f"{path}: {expected}")
    assert not out.exists()


def test_run_unknown_set_key(tiny: Path, tmp_path: Path) -> None:
    (line,) = failed("run", tiny, "--out", tmp_path / "out", "--set", "staff.nope=1")
    assert "unknown key 'nope' in staff" in line


def test_run_unwritable_output_is_a_clean_error(tiny: Path, tmp_path: Path) -> None:
    blocker = write(tmp_path / "file", "not a directory")
    (line,) = failed("run", tiny, "--out", blocker / "out", "-q")
    assert line.startswith(f"{blocker / 'out'}: cannot create output directory (")


# --- schema and reference ---------------------------------------------------------------------


def test_schema_prints_json_schema() -> None:
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert {"staff", "channels", "procedures", "extends"} <= set(schema["properties"])
    assert set(schema["required"]) >= {"staff", "channels", "procedures"}
    assert schema["title"] == "prefsim scenario"


def test_reference_writes_the_markdown(tmp_path: Path) -> None:
    out = tmp_path / "docs" / "ref.md"
    result = invoke("reference", "--out", out)
    assert result.exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert text == reference_markdown()
    assert "`front_office_etp`" in text and ">= 0" in text


def test_committed_reference_is_up_to_date() -> None:
    if not DOCS.exists():
        pytest.skip(f"{DOCS.relative_to(REPO)} not generated yet (run `make reference`)")
    assert DOCS.read_text(encoding="utf-8") == reference_markdown(), (
        "docs/scenario-reference.md is out of date with sim/scenario/: run `make reference`"
    )


def test_dashboard_command_starts_streamlit_on_localhost(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`prefsim dashboard` becomes a Streamlit server bound to 127.0.0.1 by default."""
    import os

    seen: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda exe, argv: seen.append(argv))
    result = CliRunner().invoke(app, ["dashboard", "--port", "8765"])
    assert result.exit_code == 0, result.output
    argv = seen[0]
    assert argv[1:4] == ["-m", "streamlit", "run"] and argv[4].endswith("dashboards/app.py")
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv[argv.index("--server.port") + 1] == "8765"


# --- care: version, speed, suggestions, output folders --------------------------------------


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout == f"prefsim {__version__}\n"


def test_help_answers_in_under_a_second() -> None:
    """The command modules import the simulator inside their commands. Measured as the CPU
    time of the process (median of three), which other work on a shared machine does not
    inflate as it does the wall-clock time."""
    import resource
    import statistics
    import subprocess
    import sys

    def cpu() -> float:
        use = resource.getrusage(resource.RUSAGE_CHILDREN)
        return use.ru_utime + use.ru_stime

    times = []
    for _ in range(3):
        before = cpu()
        done = subprocess.run([sys.executable, "-m", "sim.faces.cli", "--help"],
                              capture_output=True, text=True, check=True)
        times.append(cpu() - before)
        assert "compare" in done.stdout
    assert statistics.median(times) < 1.0, times
    heavy = subprocess.run([sys.executable, "-c", "import sys, sim.faces.cli.main; print("
                            "[m for m in ('pandas', 'pydantic', 'simpy', 'matplotlib', 'scipy') "
                            "if m in sys.modules])"], capture_output=True, text=True, check=True)
    assert heavy.stdout.strip() == "[]"


def test_unknown_command_gets_a_suggestion() -> None:
    result = invoke("compar")
    assert result.exit_code == 2 and "Did you mean 'compare'?" in result.output


def test_calibrate_help_lists_the_live_defaults() -> None:
    """The help text is written out (no heavy import for --help): it must stay true."""
    from sim.experiments.calibration.parameters import DEFAULT_PARAMETERS
    from sim.experiments.calibration.targets import DEFAULT_TARGETS, PUBLISHED
    from sim.faces.cli import calibration

    assert ", ".join(DEFAULT_PARAMETERS) == calibration.PARAM_DEFAULTS
    assert ", ".join(p.name for p in PUBLISHED) == calibration.PUBLISHED_TARGETS
    assert ", ".join(DEFAULT_TARGETS) == calibration.TARGET_DEFAULTS


def test_run_shows_the_headline_and_all_on_demand(tiny: Path, tmp_path: Path) -> None:
    short = invoke("run", tiny, "-r", "1", "--out", tmp_path / "a", "--lang", "en")
    assert short.exit_code == 0, short.output
    assert "Median wait" in short.stdout and "night_attempt_share" not in short.stdout
    everything = invoke("run", tiny, "-r", "1", "--out", tmp_path / "b", "--all")
    assert "night_attempt_share" in everything.stdout and "Attente médiane" in everything.stdout
    chosen = invoke("run", tiny, "-r", "1", "--out", tmp_path / "c", "--kpis", "served")
    assert "served" in chosen.stdout and "wait_days_p50" not in chosen.stdout


def test_run_refuses_a_used_out_unless_forced(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert invoke("run", tiny, "-r", "1", "--out", out, "-q").exit_code == 0
    before = (out / "kpis.csv").read_bytes()
    (line,) = failed("run", tiny, "-r", "1", "--seed", "9", "--out", out, "-q")
    assert line.startswith(f"--out {out}: the folder is not empty")
    assert (out / "kpis.csv").read_bytes() == before
    assert invoke("run", tiny, "-r", "1", "--seed", "9", "--out", out, "-q",
                  "--force").exit_code == 0
    assert (out / "kpis.csv").read_bytes() != before


@pytest.mark.parametrize("kpis", ["wait_days_p09", "served,,nope"])
def test_run_unknown_kpi_names_exit_2_before_running(tiny: Path, tmp_path: Path,
                                                     kpis: str) -> None:
    lines = failed("run", tiny, "--kpis", kpis, "--out", tmp_path / "o")
    assert len(lines) == 1 and "unknown KPI" in lines[0] and "(known: arrivals" in lines[0]
    assert not (tmp_path / "o").exists()


def test_optimise_unknown_target_kpi_exits_2_before_any_run(tiny: Path, tmp_path: Path) -> None:
    (line,) = failed("optimise", tiny, "--target", "wait_days_p09<=30", "--lever",
                     "staff.front_office_etp=1:4", "--out", tmp_path / "o")
    assert line.startswith("--target 'wait_days_p09<=30': unknown KPI 'wait_days_p09'; did you "
                           "mean 'wait_days_p90'")
    assert not (tmp_path / "o").exists()


def test_kpis_lists_the_glossary() -> None:
    result = invoke("kpis", "--lang", "en", "--headline")
    assert result.exit_code == 0
    assert "wait_days_p90" in result.stdout and "90th-percentile wait" in result.stdout
