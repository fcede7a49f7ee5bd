"""Comparisons: common random numbers, paired intervals, precision on demand, the report.

A scenario compared with itself must differ by exactly zero with an interval of width zero;
two scenarios share their applicants, so the paired interval of a difference is tighter than
the two separate intervals; ``precision`` adds replications until the headline KPIs are
precise enough or the cap is hit; the report refers only to files that exist.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import scenario
from typer.testing import CliRunner, Result

from sim.experiments.compare import (
    Comparison,
    compare,
    paired_differences,
    t_interval,
    unique_labels,
)
from sim.faces.cli.main import app
from sim.faces.report import load_comparison, optional_kpis, write_report
from sim.scenario.files import dump_yaml


def invoke(*args: str | Path) -> Result:
    """``prefsim ARGS`` in-process; nothing but a clean exit may escape, never a traceback."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    return result


def failed(*args: str | Path) -> list[str]:
    """stderr lines of a command that must exit with status 2 and print nothing on stdout."""
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    return result.stderr.splitlines()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("scenarios")
    out = {}
    for name, spec in {"base": scenario(name="base"),
                       "more": scenario(name="more", staff={"front_office_etp": 8})}.items():
        out[name] = root / f"{name}.yaml"
        out[name].write_text(dump_yaml(spec), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def pair() -> Comparison:
    return compare([scenario(name="base"), scenario(name="more", staff={"front_office_etp": 8})],
                   seed=3, replications=4)


def test_scenario_against_itself_differs_by_exactly_zero() -> None:
    spec = scenario()
    c = compare([spec, spec], seed=5, replications=3)
    assert c.labels == ["tiny", "tiny (2)"]
    d = c.differences
    assert (d.set_index("kpi").loc[["wait_days_mean", "served"], "n"] == 3).all()
    finite = d[d["n"] >= 2]
    assert len(finite) > 40 and (finite["difference"] == 0).all()
    assert (finite["ci_low"] == 0).all() and (finite["ci_high"] == 0).all()
    assert not d["significant"].any()


def test_common_random_numbers_share_the_applicants(pair: Comparison) -> None:
    d = pair.differences.set_index(["kpi", "procedure"])
    assert d.loc[("arrivals", "all"), "difference"] == 0  # same people arrive
    assert d.loc[("arrivals", "all"), "ci_high"] == 0
    # more counter staff: shorter waits, and the paired interval says so
    assert d.loc[("wait_days_mean", "all"), "ci_high"] < 0
    # pairing pays: the paired half-width beats the two separate ones added
    s = pair.summary.set_index(["scenario", "kpi", "procedure"])
    separate = sum((s.loc[(n, "wait_days_mean", "all"), "ci_high"]
                    - s.loc[(n, "wait_days_mean", "all"), "ci_low"]) / 2 for n in pair.labels)
    paired = (d.loc[("wait_days_mean", "all"), "ci_high"]
              - d.loc[("wait_days_mean", "all"), "ci_low"]) / 2
    assert paired < separate


def test_paired_difference_is_the_mean_of_per_replication_differences(pair: Comparison) -> None:
    reps = pair.replications
    pivot = reps[(reps["kpi"] == "served") & (reps["procedure"] == "all")].pivot(
        index="replication", columns="scenario", values="value")
    diffs = (pivot["more"] - pivot["base"]).to_numpy()
    mean, half, n = t_interval(diffs)
    row = paired_differences(reps, "base").set_index(["kpi", "procedure"]).loc[("served", "all")]
    assert row["difference"] == pytest.approx(mean) and n == 4
    assert row["ci_high"] - row["difference"] == pytest.approx(half)


def test_helpers() -> None:
    assert unique_labels(["a", "a", "b", "a"]) == ["a", "a (2)", "b", "a (3)"]
    assert t_interval(np.array([2.0]))[1] != t_interval(np.array([2.0]))[1]  # NaN: one value
    assert t_interval(np.array([np.nan, np.nan]))[2] == 0


def test_precision_adds_replications_until_met_or_capped() -> None:
    loose = compare([scenario()], seed=1, replications=2, precision=0.5, max_replications=30)
    met = loose.precision["met"].dropna()
    assert len(met) and met.astype(bool).all()
    assert 2 <= loose.n_replications <= 30
    assert loose.replications["replication"].nunique() == loose.n_replications
    capped = compare([scenario()], seed=1, replications=2, precision=1e-4, max_replications=4)
    assert capped.n_replications == 4
    assert not capped.precision["met"].dropna().astype(bool).all()


def test_report_refers_to_files_that_exist(pair: Comparison, tmp_path: Path) -> None:
    page = write_report(pair, tmp_path, precision=None)
    html = page.read_text(encoding="utf-8")
    images = re.findall(r"<img src='([^']+)'", html)
    assert {"figures/wait-distribution.png", "figures/backlog-by-month.png",
            "figures/kpis.png", "figures/differences.png"} <= set(images)
    links = re.findall(r"<a href='([^']+)'", html)
    for name in [*images, *links]:
        assert (tmp_path / name).is_file(), name
    for name in ("summary.csv", "differences.csv", "replications.csv", "precision.csv"):
        assert len(pd.read_csv(tmp_path / name)) > 0
    again, manifest = load_comparison(tmp_path)  # what `prefsim report DIR` reads back
    assert again.labels == pair.labels and manifest["seed"] == 3
    pd.testing.assert_frame_equal(again.summary, pair.summary, check_dtype=False)


def test_report_skips_absent_kpis_and_draws_present_ones(pair: Comparison,
                                                        tmp_path: Path) -> None:
    summary = pair.summary[~pair.summary["kpi"].str.startswith(("protection_order", "bot_"))]
    absent = pair._replace(summary=summary)
    html = write_report(absent, tmp_path / "a", lang="en").read_text(encoding="utf-8")
    assert "Skipped: these results hold no KPI named protection_order*" in html
    assert "figures/protection-orders-expired.png" not in html
    extra = pd.DataFrame({"scenario": pair.labels, "kpi": "protection_orders_expired",
                          "procedure": "all", "mean": [3.0, 1.0], "ci_low": [2.0, 0.5],
                          "ci_high": [4.0, 1.5], "n": 4})
    present = pair._replace(summary=pd.concat([summary, extra], ignore_index=True))
    assert optional_kpis(present.summary, ("protection_order",)) == ["protection_orders_expired"]
    html = write_report(present, tmp_path / "b").read_text(encoding="utf-8")
    assert "figures/protection-orders-expired.png" in html
    assert (tmp_path / "b" / "figures" / "protection-orders-expired.png").is_file()


# --- command line ---------------------------------------------------------------------------


def test_cli_compare_writes_the_report(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    result = invoke("compare", files["base"], files["more"], "-r", "3", "--seed", "2",
                    "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("more: Par rapport à base, more ")  # the answer first
    assert "Attente du 9e décile" in result.stdout  # then the headline, in French
    assert (out / "report.html").is_file() and (out / "scenarios" / "more.yaml").is_file()
    english = (out / "answer-en.txt").read_text(encoding="utf-8")
    assert english.startswith("more\nCompared with base, more ")
    (out / "report.html").unlink()
    assert invoke("report", out, "--lang", "en").exit_code == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>What each scenario changes</h2>" in html and "Compared with base" in html


def test_cli_compare_in_english_with_chosen_kpis(files: dict[str, Path], tmp_path: Path) -> None:
    result = invoke("compare", files["base"], files["more"], "-r", "2", "--lang", "en",
                    "--kpis", "served,wait_days_mean", "--over-days", "7", "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("more: Compared with base, more ")
    assert "People received" in result.stdout and "Median wait" not in result.stdout
    over = pd.read_csv(tmp_path / "o" / "waiting-over.csv")
    assert set(over["over_days"]) == {7}


def test_cli_compare_goes_to_a_fresh_folder_and_keeps_earlier_ones(
        files: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        assert invoke("compare", files["base"], "-r", "1", "-q").exit_code == 0
    folders = sorted((tmp_path / "out").iterdir())
    assert len(folders) == 2 and all(f.name.startswith("compare-") for f in folders)
    assert all((f / "report.html").is_file() for f in folders)


def test_cli_compare_refuses_a_used_or_file_out(files: dict[str, Path], tmp_path: Path) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine", encoding="utf-8")
    (line,) = failed("compare", files["base"], "-r", "1", "--out", used)
    assert line == (f"--out {used}: the folder is not empty (an earlier run?); give a new "
                    "folder, or add --force to write into it")
    assert sorted(p.name for p in used.iterdir()) == ["notes.txt"]  # nothing written
    a_file = tmp_path / "report.txt"
    a_file.write_text("keep", encoding="utf-8")
    (line,) = failed("compare", files["base"], "-r", "1", "--out", a_file)
    assert line == f"--out {a_file}: is a file, not a folder; give a new folder, or an empty one"
    assert a_file.read_text(encoding="utf-8") == "keep"
    result = invoke("compare", files["base"], "-r", "1", "-q", "--out", used, "--force")
    assert result.exit_code == 0 and (used / "report.html").is_file()
    assert (used / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("args, expected", [
    (("--kpis", "wait_days_p09,served"), "--kpis: unknown KPI 'wait_days_p09'; did you mean "
                                         "'wait_days_p90'"),
    (("--over-days", "0"), "--over-days 0: X must be a number of days above 0, e.g. 60"),
    (("--over-days", "-3"), "--over-days -3: X must be a number of days above 0, e.g. 60"),
    (("--lang", "de"), "--lang 'de': the languages are fr (French) and en (English)"),
])
def test_cli_compare_bad_options_one_line_exit_2(files: dict[str, Path], tmp_path: Path,
                                                args: tuple[str, ...], expected: str) -> None:
    out = tmp_path / "o"
    (line,) = failed("compare", files["base"], *args, "--out", out)
    assert line.startswith(expected), line
    assert not out.exists()


def test_cli_compare_precision_says_how_many(files: dict[str, Path], tmp_path: Path) -> None:
    result = invoke("compare", files["base"], "-r", "2", "--precision", "0.5",
                    "--max-replications", "20", "--out", tmp_path / "p", "-q")
    assert result.exit_code == 0, result.output
    assert re.search(r"precision 0.5: reached with \d+ replications", result.stderr)


def test_cli_compare_bad_input(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("staff: {front_office_etp: -1}\n", encoding="utf-8")
    lines = failed("compare", files["base"], bad, tmp_path / "missing.yaml",
                   "--out", tmp_path / "o")
    assert any("bad.yaml" in line for line in lines)
    assert any("missing.yaml: file not found" in line for line in lines)
    assert not (tmp_path / "o").exists()
    assert failed("report", tmp_path)[0].startswith(f"{tmp_path}: not a comparison output")


def test_report_rebuilds_the_tables_of_an_earlier_prefsim(pair: Comparison,
                                                          tmp_path: Path) -> None:
    """Folders written before the relative intervals existed are summarised again."""
    write_report(pair, tmp_path, lang="en")
    old = pd.read_csv(tmp_path / "differences.csv").drop(columns=["relative_low",
                                                                  "relative_high"])
    old.to_csv(tmp_path / "differences.csv", index=False)
    (tmp_path / "events.csv").unlink()
    (tmp_path / "report.html").unlink()
    assert invoke("report", tmp_path).exit_code == 0
    assert "What each scenario changes" in (tmp_path / "report.html").read_text(encoding="utf-8")
