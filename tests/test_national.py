"""The national picture: each prefecture built from the template and its own data.

A prefecture's scenario is the template scaled by its demand, staff and bot weights, with
its documented booking policy; weights sum to one, national totals are kept whatever the
rule, a booking policy moves procedures without changing the counter time each gets, and a
scenario's description cites its data. The bundled file's own tests are in
``tests/test_bundled_scenarios.py``; the Dask run's in ``tests/test_sweep.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.engine.operators import request_volumes
from sim.experiments import national
from sim.experiments.data import departements, prefectures
from sim.experiments.national_tables import departement_table
from sim.experiments.prefecture import (
    CONVOCATION,
    MAX_RENEWAL_SHARE,
    Factors,
    apply_policy,
    departement_scenario,
)
from sim.scenario import Scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "val-de-marne-2021.yaml"
NATIONAL = REPO / "scenarios" / "national.yaml"
COUNTER = ("race", "waitlist")


@pytest.fixture(scope="module")
def template() -> Scenario:
    return load(BASELINE)


@pytest.fixture(scope="module")
def nat() -> national.National:
    return national.read_national(NATIONAL, scale=1.0)


def counter_share_of(scenario: Scenario) -> dict[str, float]:
    """The counter share each procedure gets, as the channels split it by counter demand."""
    demand = {p: v.annual_volume * v.counter_minutes_per_visit
              for p, v in scenario.procedures.items()}
    out: dict[str, float] = {}
    for channel in scenario.channels.values():
        if channel.kind in COUNTER:
            total = sum(demand[p] for p in channel.procedures or ())
            split = channel.allocation or {p: demand[p] / total for p in channel.procedures or ()}
            for p in channel.procedures or ():
                out[p] = channel.counter_share * split[p]
    return out


def booked_by(scenario: Scenario) -> dict[str, str]:
    return {p: c.kind for c in scenario.channels.values() if c.kind in COUNTER
            for p in c.procedures or ()}


def test_weights_sum_to_one_and_keep_the_template() -> None:
    table = prefectures.prefecture_inputs()
    assert len(table) == 101 and table["code"].is_unique
    for column in ("demand_weight", "population_weight", "staff_weight", "bot_weight"):
        assert table[column].sum() == pytest.approx(1.0), column
    assert (table["demand_weight_low"] <= table["demand_weight"]).all()
    assert (table["demand_weight"] <= table["demand_weight_high"]).all()
    inside = table["population_weight"].between(table["demand_weight_low"],
                                                table["demand_weight_high"])
    assert inside.all()  # the band spans the population weights too
    # staff follows the population weights, the template's own (4.56 % for Val-de-Marne)
    assert prefectures.prefecture("94")["staff_weight"] == departements.weight("94")
    # Seine-Saint-Denis: a third of its residents are immigrants; the Cantal one in forty
    load = (table["demand_weight"] / table["staff_weight"]).set_axis(table["code"])
    assert load["93"] > 1.3 and load["15"] < 0.4
    assert prefectures.largest_for_half() == 13  # the Cour des comptes counted 12 (2012)


def test_bot_pressure_follows_the_groups() -> None:
    table = prefectures.prefecture_inputs().set_index("code")
    assert set(table.loc[list(departements.IDF), "bot_group"]) == {"idf"}
    assert table.loc["69", "bot_group"] == table.loc["13", "bot_group"] == "large_city"
    per_demand = table["bot_weight"] / table["demand_weight"]
    assert per_demand["93"] == pytest.approx(2 * per_demand["69"])  # 30 s against 60 s
    assert per_demand["69"] == pytest.approx(3 * per_demand["48"], rel=1e-3)  # 60 s, 180 s


def test_every_departement_has_its_own_weight_and_policy(nat: national.National,
                                                         template: Scenario) -> None:
    assert len(nat.scenarios) == 101
    inputs = nat.inputs.set_index("code")
    w94 = departements.weight("94")
    for code, scenario in nat.scenarios.items():
        row = inputs.loc[code]
        volume = scenario.procedures["renewal"].annual_volume
        assert volume == pytest.approx(template.procedures["renewal"].annual_volume
                                       * row["demand_weight"] / w94)
        assert scenario.staff.back_office_etp == pytest.approx(
            template.staff.back_office_etp * row["staff_weight"] / w94)
        moved = {p: "waitlist" for p in prefectures.procedures(row["to_convocation"])}
        moved |= {p: "race" for p in prefectures.procedures(row["to_race"])}
        assert booked_by(scenario) == booked_by(template) | moved, code
    assert booked_by(nat.scenarios["69"])["first_title"] == "waitlist"
    assert booked_by(nat.scenarios["86"])["renewal"] == "race"
    assert booked_by(nat.scenarios["93"]) == booked_by(template)
    documented = {"04", "33", "69", "86", "91"}
    changed = {c for c, s in nat.scenarios.items() if booked_by(s) != booked_by(template)}
    assert changed == documented


def test_national_totals_are_kept(nat: national.National, template: Scenario) -> None:
    w94 = departements.weight("94")
    scenarios = nat.scenarios.values()
    total = sum(s.staff.front_office_etp for s in scenarios)
    assert total == pytest.approx(template.staff.front_office_etp / w94)
    demand = sum(s.procedures["first_title"].annual_volume for s in scenarios)
    assert demand == pytest.approx(template.procedures["first_title"].annual_volume / w94)
    # targeted bots: one national budget split by demand times pressure; a convocation has
    # no release burst to poll for, so where a policy moved procedures fewer requests are sent
    budget = request_volumes(template)[0] / w94
    inputs = nat.inputs.set_index("code")
    same = inputs.index[inputs["to_convocation"] == ""]
    requests = {c: request_volumes(s)[0] for c, s in nat.scenarios.items()}
    assert sum(requests[c] for c in same) == pytest.approx(
        budget * inputs.loc[same, "bot_weight"].sum(), rel=1e-6)
    for code in inputs.index.difference(same):
        assert requests[code] < budget * inputs.loc[code, "bot_weight"]


def national_file(tmp_path: Path, **rules: str) -> Path:
    """The bundled national file with the template's absolute path and some rules changed."""
    lines = [f"base: {BASELINE}" if line.startswith("base:") else line
             for line in NATIONAL.read_text(encoding="utf-8").splitlines()
             if line.split(":")[0] not in rules]
    path = tmp_path / "national.yaml"
    path.write_text("\n".join(lines + [f"{k}: {v}" for k, v in rules.items()]) + "\n",
                    encoding="utf-8")
    return path


def test_a_policy_moves_procedures_with_their_counter_time(tmp_path: Path,
                                                           template: Scenario) -> None:
    before = counter_share_of(template)
    shared = national.read_national(national_file(
        tmp_path, renewals="shared", departements="['69', '86', '33', '04', '91']"), scale=1.0)
    for code in ("69", "86", "33", "04", "91"):
        scenario = shared.scenarios[code]
        assert counter_share_of(scenario) == pytest.approx(before), code
        assert sum(c.counter_share for c in scenario.channels.values()) == pytest.approx(1.0)
    vienne = shared.scenarios["86"].channels
    assert set(vienne) == {"anef_student", "anef_duplicate", "online", CONVOCATION}
    assert vienne[CONVOCATION].kind == "waitlist" and not vienne[CONVOCATION].assisted
    assert vienne["online"].allocation is not None  # renewals keep their own counter time
    assert shared.scenarios["69"].channels[CONVOCATION].allocation is None  # all from the race
    assert vienne["online"].release == template.channels["online"].release


def test_protected_renewals_keep_their_counter_time_per_renewal(
        nat: national.National, template: Scenario) -> None:
    kept = template.channels["renewal_convocation"].counter_share
    inputs = nat.inputs.set_index("code")
    short = capped = spare = 0
    for code, scenario in nat.scenarios.items():
        channels = scenario.channels
        load = inputs.loc[code, "load"]
        if "renewal_convocation" not in channels:  # renewals moved to the race: not protected
            continue
        want = min(max(kept, kept * load), MAX_RENEWAL_SHARE)
        assert channels["renewal_convocation"].counter_share == pytest.approx(want), code
        assert sum(c.counter_share for c in channels.values()
                   if c.kind in COUNTER) == pytest.approx(1.0), code
        short += load > 1.0
        capped += want == MAX_RENEWAL_SHARE
        spare += load < 1.0
    # the three cases are exercised: prefectures short of staff, some at the cap, some
    # with staff to spare (which keep the template's shares)
    assert short >= 10 and capped >= 1 and spare >= 10


def test_policy_problems_are_one_line(template: Scenario) -> None:
    data = template.model_dump(mode="json")
    with pytest.raises(ScenarioError) as exc:
        apply_policy(data, ["visa"], [], "x.yaml: 99")
    assert len(exc.value.problems) == 1
    assert exc.value.problems[0].startswith("x.yaml: 99: booking policy: 'visa' must be")
    with pytest.raises(ScenarioError, match="anef_student|exactly one counter channel"):
        departement_scenario(template, "48", Factors(0.1, 0.1, 0.1), ["student"])


def test_a_departement_scenario_cites_its_data(nat: national.National) -> None:
    inputs = nat.inputs.set_index("code")
    for code, scenario in nat.scenarios.items():
        assert inputs.loc[code, "demand_source"] in scenario.description
        if inputs.loc[code, "policy_source"]:
            assert inputs.loc[code, "policy_source"] in scenario.description
    rhone = nat.scenarios["69"].description
    assert rhone.startswith("Rhône, built from val-de-marne-2021: demand 3.55% of France")
    assert "lozenavocats.fr" in rhone


def test_rules_change_the_weights(tmp_path: Path, template: Scenario) -> None:
    path = tmp_path / "national.yaml"
    path.write_text(f"base: {BASELINE}\nreference: '94'\ndepartements: ['93', '69']\n"
                    "demand: population\nstaff: demand\npolicies: template\nbots: national\n",
                    encoding="utf-8")
    old = national.read_national(path)  # the picture before real départements: clones
    w = departements.departement_weights().set_index("code")["weight"]
    for code, scenario in old.scenarios.items():
        factor = w[code] / w["94"]
        assert booked_by(scenario) == booked_by(template)
        assert scenario.staff.front_office_etp == pytest.approx(
            template.staff.front_office_etp * factor)
        assert request_volumes(scenario)[0] == pytest.approx(request_volumes(template)[0]
                                                             * factor)
    assert (old.inputs["load"] == 1.0).all()


def test_departement_table_reads_at_full_size() -> None:
    kpis = pd.DataFrame({
        "departement": ["48"] * 6 + ["23"] * 6,
        "replication": [0, 1] * 6,
        "kpi": ["wait_days_p50", "wait_days_p50", "arrivals", "arrivals", "arrivals",
                "arrivals"] * 2,
        "procedure": ["first_title", "first_title", "all", "all", "renewal", "renewal"] * 2,
        "value": [10.0, 20.0, 50.0, 70.0, 20.0, 20.0, 5.0, np.nan, 10.0, 10.0, 4.0, 4.0],
    })
    inputs = national.inputs_table(national.NationalSpec(base="x", reference="94")).loc[
        ["48", "23"]].reset_index()
    table = departement_table(kpis, inputs, scale=0.5).set_index("code")
    assert table.loc["48", "first_title_wait_days_p50"] == 15.0
    assert np.isnan(table.loc["23", "first_title_wait_days_p50"])  # a replication never got there
    assert table.loc["48", "arrivals"] == 120.0 and table.loc["48", "renewals"] == 40.0
    assert table.loc["48", "name"] == "Lozère"
