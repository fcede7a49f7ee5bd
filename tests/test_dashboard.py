"""The dashboard, driven headlessly with Streamlit's AppTest: every page and the main paths.

A visitor opens the library, uploads files (good and bad), pulls levers in the editor,
compares scenarios and gets KPI cards with deltas; hostile input (a file that is not YAML, a
YAML bomb, a ``!!python`` tag, values out of range in the URL) gets a clear message on the
page and the app keeps serving. Runs are small (quick setting: two replications).
"""

from __future__ import annotations

import doctest
import sys
from pathlib import Path

import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DASHBOARDS = REPO / "dashboards"
APP = str(DASHBOARDS / "app.py")
if str(DASHBOARDS) not in sys.path:
    sys.path.insert(0, str(DASHBOARDS))

import levers  # noqa: E402
import limits  # noqa: E402
import presets  # noqa: E402
import scenario_set  # noqa: E402
import state  # noqa: E402
import views  # noqa: E402

from sim.scenario.errors import ScenarioError  # noqa: E402
from sim.scenario.loader import load, validate, variant  # noqa: E402

PAGES = ("app_pages/library.py", "app_pages/editor.py", "app_pages/compare.py",
         "app_pages/plan.py")
TIMEOUT = 60


def open_app(params: dict[str, str] | None = None, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def codes(at: AppTest) -> str:
    return "\n".join(c.value for c in at.code)


def compare(at: AppTest, labels: list[str]) -> AppTest:
    at.switch_page("app_pages/compare.py").run()
    at.multiselect(key="cmp.scenarios").set_value(labels).run()
    return at.button(key="btn.cmp.run").click().run()


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_error(page: str) -> None:
    at = open_app(page=page)
    no_exception(at)
    assert not at.error, errors(at)
    assert at.title[0].value in ("Scenario library", "Scenario editor", "Compare scenarios",
                                 "Plan: targets and sweeps")
    assert at.sidebar.toggle(key="run.quick").value is True  # run settings on every page


def test_library_lists_the_bundled_scenarios() -> None:
    at = open_app()
    table = at.dataframe[0].value
    assert {"demo", "demo-race", "demo-bots"} <= set(table["label"])
    assert set(table["source"]) == {"bundled"}
    assert "name: demo" in codes(at)  # the resolved YAML of the chosen scenario


# --- uploads --------------------------------------------------------------------------------

GOOD = b"extends: demo.yaml\nname: demo-more-staff\nstaff: {front_office_etp: 14}\n"
BOMB = b"""a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]
"""


def test_a_good_upload_joins_the_library_and_can_be_compared() -> None:
    at = open_app()
    at.file_uploader(key="upload.files").set_value(("more.yaml", GOOD, "application/x-yaml"))
    at.run()
    no_exception(at)
    assert "added to the library as **demo-more-staff**" in at.success[0].value
    assert "demo-more-staff" in set(at.dataframe[0].value["label"])
    at = compare(at, ["demo", "demo-more-staff"])
    no_exception(at)
    assert len(at.metric) >= 4


def test_an_upload_can_be_removed_again() -> None:
    at = open_app()
    at.file_uploader(key="upload.files").set_value(("mine.yaml", GOOD, "text/yaml"))
    at.run()
    at.selectbox(key="lib.show").set_value("demo-more-staff").run()
    at.button(key="btn.lib.remove").click().run()
    no_exception(at)
    assert "demo-more-staff" not in set(at.dataframe[0].value["label"])
    assert "was removed from the library" in at.info[0].value


@pytest.mark.parametrize("name, content, message", [
    ("notes.yaml", b"\x89PNG\r\n\x1a\n\x00\x00binary", "malformed YAML"),
    ("unclosed.yaml", b"staff: {front_office_etp: [1, 2\n", "malformed YAML"),
    ("bomb.yaml", BOMB, "YAML alias bomb"),
    ("evil.yaml", b"name: !!python/object/apply:os.system ['echo pwned']\n", "malformed YAML"),
    ("list.yaml", b"- 1\n- 2\n", "top level must be a mapping"),
    ("range.yaml", b"extends: demo.yaml\nstaff: {front_office_etp: -3}\n",
     "staff.front_office_etp = -3"),
    ("escape.yaml", b"extends: ../../../etc/passwd\n", "may only extend a bundled scenario"),
    ("huge.yaml", b"description: '" + b"x" * 1_100_000 + b"'\n", "larger than"),
    ("deep.yaml", b"a: " + b"[" * 5000 + b"]" * 5000, "nested more than 20 levels deep"),
])
def test_a_bad_upload_gets_a_clear_message_and_the_app_keeps_serving(
        name: str, content: bytes, message: str) -> None:
    at = open_app()
    at.file_uploader(key="upload.files").set_value((name, content, "application/x-yaml"))
    at.run()
    no_exception(at)
    assert message in errors(at), errors(at)
    assert name in errors(at)
    assert set(at.dataframe[0].value["source"]) == {"bundled"}  # nothing was added
    at.switch_page("app_pages/editor.py").run()  # and the server keeps serving
    no_exception(at)
    assert at.title[0].value == "Scenario editor"


# --- editor ---------------------------------------------------------------------------------


def test_editing_a_lever_changes_the_resolved_yaml() -> None:
    at = open_app(page="app_pages/editor.py")
    at.selectbox(key="ed.base").set_value("demo").run()
    etp = load(REPO / "scenarios" / "demo.yaml").staff.front_office_etp
    assert f"front_office_etp: {float(etp)}" in codes(at)
    at.number_input(key="ed.demo.staff.front_office_etp").set_value(40.0).run()
    no_exception(at)
    assert "staff.front_office_etp=40.0" in codes(at)
    assert "front_office_etp: 40.0" in codes(at)
    assert "name: demo-edited" in codes(at)


def test_switching_the_booking_policy_and_adding_bots_and_an_anef_date() -> None:
    at = open_app(page="app_pages/editor.py")
    at.selectbox(key="ed.base").set_value("demo").run()
    at.selectbox(key="ed.demo.channels.online.kind").set_value("race").run()
    at.toggle(key="ed.demo.bots.new.on").set_value(True).run()
    at.toggle(key="ed.demo.countermeasures.captcha").set_value(True).run()
    at.toggle(key="ed.demo.procedures.renewal.anef.on").set_value(True).run()
    no_exception(at)
    assert not at.error, errors(at)
    text = codes(at)
    assert 'channels.online.kind="race"' in text
    assert "kind: race" in text and "horizon_days: 60.0" in text
    assert "reseller:" in text and "requests_per_day: 500000.0" in text
    assert "captcha: true" in text
    assert "anef:" in text and "from_date: '2021-07-05'" in text


def test_an_untouched_editor_gives_every_bundled_scenario_back_unchanged() -> None:
    at = open_app(page="app_pages/editor.py")
    bundled = [e.label for e in state.bundled_library()[0]]
    assert "demo" in bundled
    for label in bundled:
        at.selectbox(key="ed.base").set_value(label).run()
        no_exception(at)
        assert not at.error, (label, errors(at))
        assert any(f"this is **{label}** as it is" in i.value for i in at.info), label


PROTECTION = b"""extends: demo-race.yaml
name: demo-orders
procedures:
  protection:
    annual_volume: 300
    protection_order: {}
"""


def test_protection_order_validity_and_a_new_lane() -> None:
    at = open_app()
    at.file_uploader(key="upload.files").set_value(("orders.yaml", PROTECTION, "text/yaml"))
    at.run()
    at.switch_page("app_pages/editor.py").run()
    at.selectbox(key="ed.base").set_value("demo-orders").run()
    at.number_input(key="ed.demo-orders.procedures.protection.protection_order.validity.0") \
        .set_value(9.0).run()
    at.toggle(key="ed.demo-orders.lane.on").set_value(True).run()
    no_exception(at)
    assert not at.error, errors(at)
    text = codes(at)
    assert "months: 9.0" in text
    assert "protection_lane:" in text and "order: earliest_deadline_first" in text
    others = list(load(REPO / "scenarios" / "demo-race.yaml").procedures)
    assert levers.override("channels.online.procedures", others) in text


def test_an_invalid_variant_is_reported_with_the_field_and_nothing_crashes() -> None:
    at = open_app(page="app_pages/editor.py")
    at.selectbox(key="ed.base").set_value("demo").run()
    at.number_input(key="ed.demo.horizon.days").set_value(20).run()  # shorter than warm-up
    no_exception(at)
    assert "horizon: warmup_days (30.0) must be smaller than days (20)" in errors(at)
    assert "btn.ed.add" not in {b.key for b in at.button}  # nothing invalid joins the library
    at.button(key="btn.ed.reset").click().run()
    no_exception(at)
    assert not at.error
    assert at.number_input(key="ed.demo.horizon.days").value == 365


def test_a_variant_added_in_the_editor_is_compared_with_its_base() -> None:
    at = open_app(page="app_pages/editor.py")
    at.selectbox(key="ed.base").set_value("demo").run()
    at.number_input(key="ed.demo.staff.front_office_etp").set_value(14.0).run()
    at.button(key="btn.ed.add").click().run()
    no_exception(at)
    assert "Added **demo-edited**" in at.success[0].value
    at = compare(at, ["demo", "demo-edited"])
    no_exception(at)
    cards = {(m.label, m.value, m.delta) for m in at.metric}
    assert any(label == "Coût en personnel" and delta and delta.startswith("+")
               for label, _, delta in cards)  # more staff, higher cost (French by default)
    at.switch_page("app_pages/editor.py").run()  # the editor kept its levers
    assert at.number_input(key="ed.demo.staff.front_office_etp").value == 14.0


# --- compare --------------------------------------------------------------------------------


INTERACTIVE = ("Waits by month of need", "Waiting more than 60 days", "Wait curves", "Backlog")


def test_comparing_two_scenarios_shows_kpi_cards_with_deltas_intervals_and_figures() -> None:
    at = open_app({"lang": "en"})
    at = compare(at, ["demo", "demo-race"])
    no_exception(at)
    assert not at.error, errors(at)
    metrics = list(at.metric)
    shown = at.multiselect(key="cmp.cards").value
    assert len(metrics) == 2 * len(shown) and "wait_days_p90" in shown
    waits = [m for m in metrics if m.label == "90th-percentile wait"]
    assert waits[0].value.endswith("days") and not waits[0].delta  # the baseline
    assert waits[1].delta.startswith("+")  # the race makes people wait longer
    assert waits[0].help.startswith("Nine applicants in ten get a first appointment")
    captions = " ".join(c.value for c in at.caption)
    assert "95 % interval" in captions and "difference" in captions
    words = " ".join(m.value for m in at.markdown)
    assert "**demo-race** — Compared with demo, demo-race lengthens the median wait" in words
    tabs = [t.label for t in at.tabs]
    assert list(INTERACTIVE) == tabs[:4]
    assert len(at.get("vega_lite_chart")) == 4  # interactive (Altair)
    static = tabs[4:]
    assert {"Wait for a first appointment", "Backlog by month", "Staff utilisation",
            "Paired differences against demo"} <= set(static)
    assert "Slots taken by bots and resellers" not in static  # no bots: only zeros, skipped
    assert len(at.get("image")) == len(static)  # one figure of sim.faces.plots per tab
    labels = {b.label for b in at.get("download_button")}
    assert {"summary.csv", "monthly.csv", "applicants.parquet", "daily.parquet",
            "demo.yaml (resolved)", "Download wait-distribution.png"} <= labels
    # a new choice of cards is honoured without running again
    at.multiselect(key="cmp.cards").set_value(["bot_slot_share"]).run()
    assert [m.label for m in at.metric] == ["Share of bookings made by bots"] * 2


def test_a_comparison_per_procedure_and_in_french() -> None:
    at = compare(open_app(), ["demo", "demo-race"])
    words = " ".join(m.value for m in at.markdown)
    assert "Par rapport à demo, demo-race allonge l'attente médiane" in words
    before = [m.value for m in at.metric]
    at.selectbox(key="cmp.procedure").set_value("renewal").run()
    no_exception(at)
    assert [m.value for m in at.metric] != before and at.metric[0].label == "Attente médiane"
    segment = "Attente du 9e décile (personnes sans accès au numérique)"
    assert segment not in {m.label for m in at.metric}  # a segment KPI exists for all only
    at.selectbox(key="cmp.procedure").set_value("all").run()
    assert segment in {m.label for m in at.metric}  # and comes back with it
    at.number_input(key="cmp.over_days").set_value(30.0).run()
    no_exception(at)
    assert "Waiting more than 30 days" in [t.label for t in at.tabs]


def test_an_over_limit_request_is_refused_with_a_clear_message() -> None:
    at = open_app()
    big = b"extends: demo.yaml\nname: demo-long\nhorizon: {days: 2000}\n"
    at.file_uploader(key="upload.files").set_value(("long.yaml", big, "application/x-yaml"))
    at.run()
    at = compare(at, ["demo", "demo-long"])
    no_exception(at)
    assert "Not run" in errors(at)
    assert "demo-long: horizon.days = 2000 is above the dashboard limit of 1100 days" \
        in errors(at)
    assert not at.metric


# --- demand, scenario sets, planning ---------------------------------------------------------


def test_the_demand_lever_sets_annual_volumes() -> None:
    at = open_app(page="app_pages/editor.py")
    at.selectbox(key="ed.base").set_value("demo").run()
    at.number_input(key="ed.demo.procedures.renewal.annual_volume").set_value(20000.0).run()
    no_exception(at)
    assert "procedures.renewal.annual_volume=20000.0" in codes(at)
    assert "annual_volume: 20000.0" in codes(at)


def test_variants_are_saved_as_a_set_and_reloaded() -> None:
    import scenario_set

    at = open_app(page="app_pages/editor.py")
    at.selectbox(key="ed.base").set_value("demo").run()
    at.number_input(key="ed.demo.staff.front_office_etp").set_value(14.0).run()
    at.button(key="btn.ed.add").click().run()
    at.switch_page("app_pages/library.py").run()
    (button,) = [b for b in at.get("download_button") if b.key == "btn.lib.set"]
    assert "1 scenario(s)" in button.label
    # the file the button serves, built as the page builds it
    entry = state.Entry("demo-edited", "variant", "demo + overrides",
                        variant(load(REPO / "scenarios" / "demo.yaml"),
                                ["staff.front_office_etp=14.0", "name=demo-edited"]),
                        ("staff.front_office_etp=14.0",))
    text = scenario_set.dump([entry]).encode("utf-8")
    fresh = open_app()  # another day: an empty session
    fresh.file_uploader(key="upload.files").set_value(("prefsim-scenarios.yaml", text,
                                                       "application/x-yaml"))
    fresh.run()
    no_exception(fresh)
    assert "added to the library as **demo-edited**" in fresh.success[0].value
    table = fresh.dataframe[0].value.set_index("label")
    assert table.loc["demo-edited", "source"] == "variant"
    bad = text.replace(b"front_office_etp: 14.0", b"front_office_etp: -14.0")
    fresh.file_uploader(key="upload.files").set_value(("bad-set.yaml", bad, "text/yaml"))
    fresh.run()
    assert "staff.front_office_etp = -14.0" in errors(fresh) and "scenarios[0]" in errors(fresh)


def test_goal_seeking_and_a_sweep_on_the_plan_page() -> None:
    at = open_app({"lang": "en"}, page="app_pages/plan.py")
    no_exception(at)
    at.selectbox(key="plan.base").set_value("demo").run()
    at.selectbox(key="plan.kpi").set_value("wait_days_p90").run()
    at.number_input(key="plan.value").set_value(60.0).run()
    at.number_input(key="plan.low").set_value(6.0).run()
    at.number_input(key="plan.high").set_value(14.0).run()
    at.number_input(key="plan.step").set_value(2.0).run()
    at.number_input(key="plan.reps").set_value(1).run()
    at.number_input(key="plan.budget").set_value(6).run()
    at.button(key="btn.plan.seek").click().run()
    no_exception(at)
    assert not at.error, errors(at)
    assert "Least-cost plan for **demo**: `staff.front_office_etp=" in at.success[0].value
    assert len(at.get("vega_lite_chart")) == 1
    at.text_input(key="plan.sweep.values").set_value("8, 12").run()
    at.number_input(key="plan.sweep.reps").set_value(1).run()
    at.button(key="btn.plan.sweep").click().run()
    no_exception(at)
    assert len(at.get("vega_lite_chart")) == 2
    at.text_input(key="plan.sweep.values").set_value("8, lots").run()
    assert "'lots' is not a number" in " ".join(w.value for w in at.warning)


# --- URL presets ----------------------------------------------------------------------------


def test_url_parameters_preset_the_widgets() -> None:
    at = open_app({"etp": "40", "replications": "3", "seed": "7", "base": "demo",
                   "scenarios": "demo,demo-race"})
    no_exception(at)
    assert not at.error, errors(at)
    assert at.sidebar.number_input(key="run.replications").value == 3
    assert at.sidebar.toggle(key="run.quick").value is False
    assert at.sidebar.number_input(key="run.seed").value == 7
    at.switch_page("app_pages/editor.py").run()
    assert at.number_input(key="ed.demo.staff.front_office_etp").value == 40
    assert "front_office_etp: 40.0" in codes(at)
    at.switch_page("app_pages/compare.py").run()
    assert at.multiselect(key="cmp.scenarios").value == ["demo", "demo-race"]


def test_url_values_out_of_range_are_reported_and_ignored() -> None:
    at = open_app({"etp": "-5", "replications": "500", "seed": "abc", "days": "99999",
                   "base": "nowhere", "quick": "perhaps", "scenarios": "demo,nowhere"})
    no_exception(at)
    text = errors(at)
    assert "replications=500 is out of range: replications per scenario must be between 1 " \
           "and 10" in text
    assert "seed='abc' is not a number" in text
    assert "base='nowhere' is not a scenario of the library" in text
    assert "quick must be" in text
    assert "scenarios: 'nowhere' not in the library" in text
    assert at.sidebar.number_input(key="run.replications").value == 3
    at = open_app({"cards": "wait_days_p90,wait_dayz_p50", "lang": "de"})
    text = errors(at)
    assert "URL parameter cards: unknown KPI 'wait_dayz_p50'; did you mean 'wait_days_p50'" \
        in text
    assert "lang='de': the languages are fr (French) and en (English). Ignored." in text
    at = open_app({"etp": "-5", "days": "99999"}, page="app_pages/editor.py")
    text = errors(at)
    assert "etp=-5 is out of range: staff.front_office_etp (front-office ETP) must be " \
           "between 0 and 5000" in text
    assert "days=99999 is out of range: horizon.days (simulated days) must be between 1 " \
           "and 1100" in text
    no_exception(at)
    base = at.selectbox(key="ed.base").value
    assert at.number_input(key=f"ed.{base}.staff.front_office_etp").value == \
        load(REPO / "scenarios" / f"{base}.yaml").staff.front_office_etp


# --- the helpers, without Streamlit ---------------------------------------------------------


@pytest.mark.parametrize("module", [levers, limits, presets, views, scenario_set])
def test_the_dashboard_helpers_doctests(module: object) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)  # type: ignore[arg-type]
    assert result.failed == 0 and result.attempted > 0


def test_the_levers_build_valid_variants_through_the_override_path() -> None:
    race = load(REPO / "scenarios" / "demo-race.yaml")
    assert levers.channel_overrides(race, "online", "race", race.channels["online"].release
                                    .model_dump(mode="json"), None) == []
    waitlist = variant(race, levers.channel_overrides(race, "online", "waitlist", None, "fifo"))
    assert waitlist.channels["online"].kind == "waitlist"
    assert waitlist.channels["online"].release is None
    data = race.model_dump(mode="json")
    data["procedures"]["protection"] = {"annual_volume": 300, "protection_order": {}}
    with_orders = validate(data)
    lane = variant(with_orders, levers.new_lane_overrides(with_orders, 0.05, "online"))
    assert lane.channels[levers.LANE].procedures == ("protection",)
    assert lane.channels[levers.LANE].order == "earliest_deadline_first"
    assert lane.channels["online"].counter_share == pytest.approx(0.8)
    assert "protection" not in (lane.channels["online"].procedures or ())
    longer = variant(with_orders, levers.validity_overrides(with_orders, "protection", [9, 12]))
    assert [v.months for v in longer.procedures["protection"].protection_order.validity] \
        == [9, 12]
    with pytest.raises(ScenarioError, match="front_office_etp"):
        variant(race, [levers.override("staff.front_office_etp", -1)])


def test_the_limits_name_the_field_and_the_cap() -> None:
    demo = load(REPO / "scenarios" / "demo.yaml")
    assert state.check_limits({"demo": demo}, 3) == []
    tight = state.Limits(max_applicants_per_run=1000)
    expected = state.expected_applicants(demo)
    assert expected > sum(p.annual_volume for p in demo.procedures.values())  # a high estimate
    assert f"about {expected:,.0f} applicants per run" in \
        state.check_limits({"demo": demo}, 3, tight)[0]
    assert "replications = 50" in state.check_limits({"demo": demo}, 50)[0]


def test_the_limits_apply_the_work_estimate() -> None:
    """A scenario of few applicants but a huge staff cuts millions of slots: the applicant cap
    lets it through, the estimate does not (the command line's estimate, per request)."""
    staff = variant(load(REPO / "scenarios" / "demo.yaml"), ["staff.front_office_etp=5000"])
    (line,) = state.check_limits({"big staff": staff}, 2)
    assert line.startswith("big staff: about ") and "slots in channels.online" in line
    assert "staff.front_office_etp = 5000" in line
    assert "PREFSIM_DASHBOARD_MAX_MEMORY_GB, or run it with `prefsim compare`" in line
    roomy = state.Limits(max_memory_gb=100, max_minutes=100)
    assert state.check_limits({"big staff": staff}, 2, roomy) == []
    short = state.Limits(max_memory_gb=100, max_minutes=100, max_minutes_per_comparison=2)
    (total,) = state.check_limits({"big staff": staff}, 10, short)
    assert total.endswith("above the dashboard limit of 2 minutes per comparison; use fewer "
                          "replications or scenarios, or the quick setting.")
