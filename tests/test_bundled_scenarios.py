"""The scenarios shipped in scenarios/: they load, cite real data, and what-ifs move one lever.

``scenarios/national.yaml`` is not a scenario (it derives one scenario per département from
the baseline): its own tests are at the end.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.engine.operators import request_volumes
from sim.experiments import national
from sim.experiments.data import figures, references
from sim.experiments.experiment import run
from sim.faces.cli.main import app as cli
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
BASELINE = SCENARIOS / "val-de-marne-2021.yaml"
NATIONAL = SCENARIOS / "national.yaml"
FILES = sorted(p for p in SCENARIOS.rglob("*.yaml") if p != NATIONAL)

# what-if -> (top-level fields it changes, second-level fields it changes)
LEVERS = {
    "plan-570-etp": ({"staff"}, {"staff.reinforcements"}),
    "waitlist": ({"channels"}, {"channels.online"}),
    "anti-bot": ({"countermeasures"}, {"countermeasures.name_bound",
                                       "countermeasures.per_email_cap",
                                       "countermeasures.filtered_share"}),
    "protection-order-lane": ({"channels", "bots"}, {"channels.online",
                                                     "channels.protection_order_lane",
                                                     "bots.reseller"}),
    "anef-single-visit": ({"procedures", "staff"}, {"procedures.first_title", "procedures.aes",
                                                    "staff.counter_time"}),
    "desk": ({"channels"}, {"channels.online", "channels.desk"}),
    "protection-orders-12-months": ({"procedures"}, {"procedures.protection_order"}),
    "seasonal-staff": ({"staff"}, {"staff.seasonal"}),
    "waitlist-no-reminders": ({"channels"}, {"channels.online"}),
    "bots-low": ({"behaviour", "bots"}, {"behaviour.resale", "bots.reseller",
                                         "bots.booking_service"}),
    "bots-high": ({"behaviour", "bots"}, {"behaviour.resale", "bots.reseller",
                                          "bots.booking_service"}),
    "batch-release": ({"channels"}, {"channels.online"}),
    "courts-more": ({"courts"}, {"courts.going_share"}),
    "phone": ({"channels"}, {"channels.online", "channels.phone"}),
    "assisted-filing": ({"channels"}, {"channels.online", "channels.assisted_filing"}),
}


def differing(a: dict[str, Any], b: dict[str, Any], depth: int) -> set[str]:
    """Dotted paths, ``depth`` levels deep, where two dumped scenarios differ."""
    out = set()
    for key in set(a) | set(b):
        if key in ("name", "description") or a.get(key) == b.get(key):
            continue
        x, y = a.get(key), b.get(key)
        if depth > 1 and isinstance(x, dict) and isinstance(y, dict):
            out |= {f"{key}.{sub}" for sub in differing(x, y, depth - 1)}
        else:
            out.add(key)
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_every_bundled_scenario_loads_and_cites_real_data(path: Path) -> None:
    scenario = load(path)
    assert scenario.name
    assert references.check_references(path) == []


def test_every_what_if_has_its_lever() -> None:
    found = {p.stem for p in (SCENARIOS / "what-ifs").glob("*.yaml")}
    assert found == set(LEVERS)


@pytest.mark.parametrize("name", sorted(LEVERS))
def test_what_if_changes_only_its_lever(name: str) -> None:
    base = load(BASELINE).model_dump(mode="json")
    what_if = load(SCENARIOS / "what-ifs" / f"{name}.yaml").model_dump(mode="json")
    top, second = LEVERS[name]
    assert differing(base, what_if, 1) == top
    assert differing(base, what_if, 2) == second


def test_baseline_cites_its_sources() -> None:
    refs = references.references(BASELINE)
    assert len(refs) >= 15
    assert sum(r.exact for r in refs) >= 8  # numbers checked against their figure


def test_a_short_run_of_the_baseline() -> None:
    scenario = load(BASELINE, ["horizon.days=60", "horizon.warmup_days=10", "staff.seasonal=[]",
                               "horizon.burn_in_days=30", "horizon.follow_up_days=30",
                               "channels.anef_duplicate.active_from=null"])
    result = run(scenario, seed=1)
    kpis = result.kpis.set_index(["kpi", "procedure"])["value"]
    assert kpis["arrivals", "all"] > 5000
    assert kpis["served", "all"] > 0
    # the bots' polling intervals are fitted to the blocked requests a day (within 3 %)
    published = figures.value("vdm_blocked_requests_per_day", 2021)
    assert kpis["blocked_requests_per_day", "all"] == pytest.approx(published, rel=0.03)


def test_unknown_procedure_in_a_what_if_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {BASELINE}\nchannels:\n  online:\n    procedures: [visa]\n",
                    encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load(path, allow_outside=True)  # a file of tmp_path extending the repository's
    assert len(exc.value.problems) == 1 and "unknown procedure(s) ['visa']" in str(exc.value)


# --- national.yaml ---------------------------------------------------------------------------


def test_national_file_builds_every_departement() -> None:
    assert references.check_references(NATIONAL) == []
    nat = national.read_national(NATIONAL)
    assert len(nat.scenarios) == 101
    assert nat.spec.model_dump(include={"demand", "staff", "policies", "bots"}) == {
        "demand": "immigrants", "staff": "population", "policies": "documented",
        "bots": "targeted"}
    scale = nat.spec.scale
    template = load(BASELINE)
    # staff follows the population weights the template was made with
    assert nat.scenarios["94"].staff.front_office_etp == pytest.approx(
        template.staff.front_office_etp * scale)
    # demand its share of immigrants: 4.63 % for Val-de-Marne against 4.56 % of population
    assert nat.scenarios["94"].procedures["renewal"].annual_volume == pytest.approx(
        template.procedures["renewal"].annual_volume * scale * 0.04626 / 0.0456, rel=1e-3)
    volumes = {s.procedures["renewal"].annual_volume for s in nat.scenarios.values()}
    assert len(volumes) == 101  # no clone: every prefecture its own demand
    assert nat.scenarios["69"].channels["request_convocation"].kind == "waitlist"
    assert nat.scenarios["57"].calendar.subdivision == "57"
    assert nat.scenarios["67"].calendar.subdivision == "6AE"
    # targeted bots: Seine-Saint-Denis gets more requests than the Rhône per applicant
    per_need = {c: request_volumes(nat.scenarios[c])[0]
                / nat.scenarios[c].procedures["first_title"].annual_volume for c in ("93", "13")}
    assert per_need["93"] == pytest.approx(2 * per_need["13"])


def _national_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "national.yaml"
    path.write_text(f"base: {BASELINE}\nreference: '94'\n{body}", encoding="utf-8")
    return path


def test_unknown_departement_is_one_line(tmp_path: Path) -> None:
    path = _national_file(tmp_path, "departements: ['75', '999']\n")
    with pytest.raises(ScenarioError) as exc:
        national.read_national(path)
    assert exc.value.problems == [
        "national.yaml: departements.999: unknown département (known: 01..95, 2A, 2B, "
        "971..976)"]
    result = CliRunner().invoke(cli, ["national", str(path)])
    assert result.exit_code == 2
    assert result.stderr.strip() == exc.value.problems[0]
    bad = _national_file(tmp_path, "scale: -1\n")
    with pytest.raises(ScenarioError, match=r"national.yaml: scale: Input should be greater"):
        national.read_national(bad)
    bad = _national_file(tmp_path, "renewals: first\n")
    with pytest.raises(ScenarioError) as exc:
        national.read_national(bad)
    assert exc.value.problems == [
        "national.yaml: renewals: Input should be 'protected' or 'shared'"]


def test_per_prefecture_bots_keep_the_template_rate(tmp_path: Path) -> None:
    path = _national_file(tmp_path, "bots: per_prefecture\nscale: 0.5\n"
                          "departements: ['48', '75']\n"
                          "overrides: {'75': ['staff.front_office_etp=100']}\n")
    nat = national.read_national(path)
    rate = request_volumes(load(BASELINE))[0] * 0.5
    assert [request_volumes(s)[0] for s in nat.scenarios.values()] == [pytest.approx(rate)] * 2
    assert nat.scenarios["75"].staff.front_office_etp == 100


def test_national_run_aggregates_in_parallel(tmp_path: Path) -> None:
    path = _national_file(tmp_path, "scale: 0.02\ndepartements: ['48', '23', '15']\n")
    nat = national.read_national(path)
    serial = national.simulate_national(nat, seed=1, replications=1, workers=0)
    pooled = national.simulate_national(nat, seed=1, replications=1, workers=2)
    assert serial.national.equals(pooled.national)  # same streams, wherever they run
    table = serial.national.set_index(["kpi", "procedure"])
    per_dep = serial.departements.set_index(["departement", "kpi"])["value"]
    arrivals = sum(per_dep[c, "arrivals"] for c in ("48", "23", "15"))
    assert table.loc[("arrivals", "all"), "mean"] == pytest.approx(arrivals / 0.02)
    assert table.loc[("arrivals", "all"), "method"] == "sum / scale"
    assert table.loc[("wait_days_p50", "all"), "method"] == "pooled Kaplan-Meier"
    assert table.loc[("abandoned_share", "all"), "method"] == "arrival-weighted mean"
    rows = serial.table.set_index("code")  # one row per département, counts at full size
    assert list(rows.index) == ["48", "23", "15"]
    assert rows.loc["48", "arrivals"] == pytest.approx(per_dep["48", "arrivals"] / 0.02)
    assert rows.loc["48", "wait_days_p50"] == pytest.approx(per_dep["48", "wait_days_p50"])
    assert rows.loc["23", "name"] == "Creuse"
    pd.testing.assert_frame_equal(serial.table, pooled.table)


def test_national_command_writes_its_tables_ranking_and_maps(tmp_path: Path) -> None:
    path = _national_file(tmp_path, "scale: 0.01\ndepartements: ['48', '23']\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["national", str(path), "--days", "250", "-r", "1",
                                      "--workers", "0", "--out", str(out)])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in out.iterdir())
    assert written == ["departements.csv", "inputs.csv", "manifest.json", "map-lapses.png",
                       "map-waits.png", "national.csv", "prefectures.csv", "ranking.png",
                       "replications.csv"]
    for name in ("map-waits.png", "map-lapses.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    listed = result.stderr.split("(")[1].split(")")[0].split(", ")
    assert sorted(listed) == written  # the closing line names every file written
