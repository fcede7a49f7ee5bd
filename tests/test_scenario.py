"""Scenario files through the loader's one door: every bad input is one readable line.

Each problem must name the file (or ``FILE --set``), the dotted field path as written in the
file, the bad value and what is allowed; nothing else may escape as a traceback. Also covered:
``extends:`` (deep merge, relative paths, missing parent, cycles), ``--set`` overrides,
:func:`sim.scenario.loader.variant`, :func:`sim.scenario.files.dump_yaml` round trips, and frozen
scenarios.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from sim.scenario import Scenario, safe_yaml
from sim.scenario.errors import ScenarioError
from sim.scenario.files import deep_merge, dump_yaml, parse_yaml
from sim.scenario.loader import load, validate, variant

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo.yaml"

TINY: dict[str, Any] = {
    "name": "tiny",
    "horizon": {"start": "2021-03-01", "days": 60, "warmup_days": 5},
    "procedures": {
        "first_title": {"annual_volume": 1500, "counter_minutes_per_visit": 40},
        "renewal": {"annual_volume": 2500, "counter_minutes_per_visit": 20},
    },
    "behaviour": {"digital_access_share": 0.8},
    "staff": {"front_office_etp": 2, "absence_rate": 0.1},
    "channels": {
        "desk": {"kind": "desk", "audience": "non_digital", "counter_share": 0.2},
        "online": {"kind": "waitlist", "audience": "all", "counter_share": 0.8},
    },
}


def write(path: Path, content: dict[str, Any] | str) -> Path:
    """Write a mapping as YAML (or text as is) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    return path


def tiny(tmp_path: Path, name: str = "tiny.yaml", **changes: Any) -> Path:
    """The tiny scenario with ``changes`` deep-merged in, written to ``tmp_path / name``."""
    return write(tmp_path / name, deep_merge(TINY, changes))


def problems(path: Path, overrides: list[str] | None = None) -> list[str]:
    """The problem lines :func:`load` reports for ``path`` (fails if it loads)."""
    with pytest.raises(ScenarioError) as info:
        load(path, overrides or [])
    lines = info.value.problems
    assert lines and all("\n" not in line for line in lines), lines
    assert str(info.value) == "\n".join(lines)
    return lines


def only(path: Path, overrides: list[str] | None = None) -> str:
    """The single problem line for ``path``."""
    lines = problems(path, overrides)
    assert len(lines) == 1, lines
    return lines[0]


# --- values out of range, unknown fields --------------------------------------------------------


def test_tiny_scenario_is_valid(tmp_path: Path) -> None:
    spec = load(tiny(tmp_path))
    assert spec.staff.front_office_etp == 2
    assert list(spec.channels) == ["desk", "online"]


def test_negative_etp(tmp_path: Path) -> None:
    path = tiny(tmp_path, staff={"front_office_etp": -3})
    assert only(path) == (
        f"{path}: staff.front_office_etp = -3: Input should be greater than or equal to 0"
    )


def test_unknown_field_names_the_allowed_fields(tmp_path: Path) -> None:
    path = tiny(tmp_path, staff={"front_office_eTP": 4})
    line = only(path)
    assert line.startswith(f"{path}: staff.front_office_eTP = 4: unknown field (allowed: ")
    assert "front_office_etp" in line and "absence_rate" in line


def test_unknown_top_level_field(tmp_path: Path) -> None:
    path = tiny(tmp_path, stafff={"front_office_etp": 4})
    line = only(path)
    assert line.startswith(f"{path}: stafff: unknown field (allowed: ")
    assert "staff" in line and "channels" in line


@pytest.mark.parametrize(
    ("factors", "allowed"),
    [([1.0] * 11, "at least 12 items"), ([1.0] * 13, "at most 12 items"), ([], "at least 12")],
)
def test_seasonality_must_have_twelve_factors(
    tmp_path: Path, factors: list[float], allowed: str
) -> None:
    path = tiny(tmp_path, procedures={"renewal": {"seasonality": factors}})
    line = only(path)
    assert line.startswith(f"{path}: procedures.renewal.seasonality = {factors!r}: ")
    assert allowed in line


def test_probability_above_one(tmp_path: Path) -> None:
    path = tiny(tmp_path, behaviour={"digital_access_share": 1.5})
    assert only(path) == (
        f"{path}: behaviour.digital_access_share = 1.5: Input should be less than or equal to 1"
    )


def test_not_a_number(tmp_path: Path) -> None:
    path = tiny(tmp_path, procedures={"renewal": {"annual_volume": "lots"}})
    line = only(path)
    assert line.startswith(f"{path}: procedures.renewal.annual_volume = 'lots': ")
    assert "valid number" in line


def test_missing_required_fields(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.yaml", "# nothing here\n")
    assert sorted(problems(path)) == sorted(
        f"{path}: {field}: Field required" for field in ("procedures", "staff", "channels")
    )


def test_every_problem_is_reported_on_its_own_line(tmp_path: Path) -> None:
    path = tiny(
        tmp_path,
        staff={"front_office_etp": -1, "bogus": True},
        behaviour={"digital_access_share": 2},
        procedures={"first_title": {"seasonality": [1, 2, 3]}},
    )
    lines = problems(path)
    assert len(lines) == 4
    assert all(line.startswith(f"{path}: ") for line in lines)
    fields = {line.split(": ")[1].split(" = ")[0] for line in lines}
    assert fields == {
        "staff.front_office_etp",
        "staff.bogus",
        "behaviour.digital_access_share",
        "procedures.first_title.seasonality",
    }


def test_nested_list_item_path(tmp_path: Path) -> None:
    reinforcement = {"start": "2021-04-01", "etp": 1, "ramp_up_days": -5}
    path = tiny(tmp_path, staff={"reinforcements": [reinforcement]})
    assert only(path) == (
        f"{path}: staff.reinforcements.0.ramp_up_days = -5: "
        "Input should be greater than or equal to 0"
    )


def test_cross_field_problem_names_its_section(tmp_path: Path) -> None:
    path = tiny(tmp_path, horizon={"days": 60, "warmup_days": 60})
    line = only(path)
    assert line.startswith(f"{path}: horizon: ")
    assert "warmup_days (60.0) must be smaller than days (60)" in line


def test_scenario_wide_problem_names_the_file(tmp_path: Path) -> None:
    path = tiny(tmp_path, channels={"desk": {"procedures": ["ghost"]}})
    line = only(path)
    assert line.startswith(f"{path}: channels.desk.procedures: unknown procedure(s) ['ghost']")
    assert "(top level)" not in line


# --- back office, closures, counter time --------------------------------------------------------


def test_closure_ending_before_it_starts(tmp_path: Path) -> None:
    closure = {"start": "2021-03-20", "end": "2021-03-10"}
    path = tiny(tmp_path, calendar={"closures": [closure]})
    assert only(path) == (
        f"{path}: calendar.closures.0: end (2021-03-10) must be after start (2021-03-20)"
    )


def test_overlapping_closures(tmp_path: Path) -> None:
    closures = [{"start": "2021-04-01", "end": "2021-04-20"},
                {"start": "2021-03-01", "end": "2021-04-02"}]
    path = tiny(tmp_path, calendar={"closures": closures})
    assert only(path) == (
        f"{path}: calendar: closures.1 (2021-03-01 to 2021-04-02) and closures.0 (2021-04-01 "
        "to 2021-04-20) overlap: a closure must end (its first open day) on or before the "
        "next one starts"
    )
    # back to back is allowed: the first one's end is the second one's start
    closures[1]["end"] = "2021-04-01"
    assert load(tiny(tmp_path, calendar={"closures": closures})).calendar.closures


@pytest.mark.parametrize(("field", "value", "allowed"), [
    ("back_office_share", 1.5, "less than or equal to 1"),
    ("deadline_extension_days", -3, "greater than or equal to 0"),
])
def test_closure_values_out_of_range(tmp_path: Path, field: str, value: float,
                                     allowed: str) -> None:
    closure = {"start": "2021-03-10", "end": "2021-03-20", field: value}
    path = tiny(tmp_path, calendar={"closures": [closure]})
    assert only(path) == f"{path}: calendar.closures.0.{field} = {value}: Input should be {allowed}"


@pytest.mark.parametrize(("value", "allowed"), [(0, "greater than or equal to 1"),
                                                (10, "less than or equal to 9")])
def test_priority_out_of_range(tmp_path: Path, value: int, allowed: str) -> None:
    path = tiny(tmp_path, procedures={"renewal": {"casework": {"priority": value}}})
    assert only(path) == (
        f"{path}: procedures.renewal.casework.priority = {value}: Input should be {allowed}"
    )


@pytest.mark.parametrize("field", ["external_delay_days", "reply_delay_days"])
def test_negative_delay(tmp_path: Path, field: str) -> None:
    path = tiny(tmp_path, procedures={"renewal": {"casework": {field: {"mean": -5}}}})
    assert only(path) == (
        f"{path}: procedures.renewal.casework.{field}.mean = -5: Input should be greater than 0"
    )


@pytest.mark.parametrize("field", ["refusal_share", "incomplete_share"])
def test_back_office_share_above_one(tmp_path: Path, field: str) -> None:
    path = tiny(tmp_path, procedures={"first_title": {"casework": {field: 1.2}}})
    assert only(path) == (
        f"{path}: procedures.first_title.casework.{field} = 1.2: "
        "Input should be less than or equal to 1"
    )


def test_follow_demand_needs_shares_summing_to_one(tmp_path: Path) -> None:
    path = tiny(tmp_path, staff={"counter_time": {"rule": "follow_demand"}},
                channels={"online": {"counter_share": 0.7}})
    assert only(path) == (
        f"{path}: staff.counter_time.rule = follow_demand shares all counter time between the "
        "channels: their counter_share values must sum to 1, got 0.9"
    )
    # the same shares are fine under the fixed rule (time left to no channel is not offered)
    assert load(tiny(tmp_path, channels={"online": {"counter_share": 0.7}}))


def test_unknown_counter_time_rule(tmp_path: Path) -> None:
    path = tiny(tmp_path, staff={"counter_time": {"rule": "sometimes"}})
    assert only(path) == (
        f"{path}: staff.counter_time.rule = 'sometimes': Input should be 'fixed' or "
        "'follow_demand'"
    )


# --- channels: a discriminated union on `kind` ---------------------------------------------------


def test_channel_field_path_has_no_union_tag(tmp_path: Path) -> None:
    path = tiny(tmp_path, channels={"online": {"min_lead_days": -1}})
    assert only(path) == (
        f"{path}: channels.online.min_lead_days = -1: Input should be greater than or equal to 0"
    )


def test_channel_named_like_its_kind(tmp_path: Path) -> None:
    """A channel called ``desk`` of kind ``desk``: the name stays, the tag goes."""
    path = tiny(tmp_path, channels={"desk": {"counters": 0}})
    assert only(path) == (
        f"{path}: channels.desk.counters = 0: Input should be greater than or equal to 1"
    )


def test_unknown_field_in_channel_lists_that_kind_of_channel(tmp_path: Path) -> None:
    path = tiny(tmp_path, channels={"desk": {"min_lead_days": 3}})
    line = only(path)
    assert line.startswith(f"{path}: channels.desk.min_lead_days = 3: unknown field (allowed: ")
    assert "counters" in line and "counter_share" in line


def test_unknown_channel_kind_names_the_allowed_kinds(tmp_path: Path) -> None:
    path = tiny(tmp_path, channels={"online": {"kind": "fax"}})
    line = only(path)
    assert line.startswith(f"{path}: channels.online.kind = 'fax': unknown kind (allowed: ")
    assert "'desk'" in line and "'waitlist'" in line
    assert "Input tag" not in line


def test_missing_channel_kind_names_the_allowed_kinds(tmp_path: Path) -> None:
    data = copy.deepcopy(TINY)
    del data["channels"]["online"]["kind"]
    path = write(tmp_path / "nokind.yaml", data)
    line = only(path)
    assert line.startswith(f"{path}: channels.online.kind: missing kind (allowed: ")
    assert "'desk'" in line and "'waitlist'" in line


# --- the phone line and the desk's daily tickets ---------------------------------------------

PHONE = {"kind": "phone", "audience": "non_digital", "counter_share": 0.1, "agents": 2}


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        ({"agents": None},
         "channels.phone: agents or agent_etp: a phone line needs someone to answer: set "
         "agents (>= 1) or agent_etp (> 0)"),
        ({"agents": 0}, "channels.phone.agents = 0: Input should be greater than or equal to 1"),
        ({"agents": None, "agent_etp": 0},
         "channels.phone.agent_etp = 0: Input should be greater than 0"),
        ({"agent_etp": 1.5},
         "channels.phone: agents (2) and agent_etp (1.5): set one of them, not both"),
        ({"open_hour": 16, "close_hour": 9},
         "channels.phone.close_hour (9) must be greater than open_hour (16): the line has no "
         "opening hours"),
        ({"close_hour": 25}, "channels.phone.close_hour = 25: Input should be less than or "
         "equal to 24"),
        ({"retrial_mean_hours": 0},
         "channels.phone.retrial_mean_hours = 0: Input should be greater than 0"),
        ({"retrial_mean_hours": -2},
         "channels.phone.retrial_mean_hours = -2: Input should be greater than 0"),
        ({"handling_minutes": -3},
         "channels.phone.handling_minutes = -3: Input should be greater than 0"),
        ({"hold_patience_minutes": 0},
         "channels.phone.hold_patience_minutes = 0: Input should be greater than 0"),
        ({"cancellation_probability": 1.5},
         "channels.phone.cancellation_probability = 1.5: Input should be less than or equal "
         "to 1"),
        ({"no_show": {"base_probability": -0.1}},
         "channels.phone.no_show.base_probability = -0.1: Input should be greater than or "
         "equal to 0"),
        ({"lines": -1}, "channels.phone.lines = -1: Input should be greater than or equal to 0"),
    ],
)
def test_bad_phone_channel_is_one_line(tmp_path: Path, channel: dict[str, Any],
                                       expected: str) -> None:
    path = tiny(tmp_path, channels={"desk": {"counter_share": 0.1},
                                    "phone": {**PHONE, **channel}})
    assert only(path) == f"{path}: {expected}"


def test_phone_hours_need_not_be_given_but_must_leave_the_line_open(tmp_path: Path) -> None:
    path = tiny(tmp_path, calendar={"open_hour": 9, "close_hour": 12},
                channels={"desk": {"counter_share": 0.1}, "phone": {**PHONE, "open_hour": 12}})
    assert only(path) == (f"{path}: channels.phone.close_hour (12) must be greater than "
                          "open_hour (12): the line has no opening hours")
    ok = tiny(tmp_path, "ok.yaml", channels={"desk": {"counter_share": 0.1}, "phone": PHONE})
    assert load(ok).channels["phone"].kind == "phone"


@pytest.mark.parametrize(
    ("desk", "expected"),
    [
        ({"mode": "daily_tickets", "retrial_mean_days": 0},
         "channels.desk.retrial_mean_days = 0: Input should be greater than 0"),
        ({"mode": "daily_tickets", "retrial_mean_days": -1},
         "channels.desk.retrial_mean_days = -1: Input should be greater than 0"),
        ({"mode": "tickets"},
         "channels.desk.mode = 'tickets': Input should be 'queue' or 'daily_tickets'"),
    ],
)
def test_bad_ticket_desk_is_one_line(tmp_path: Path, desk: dict[str, Any],
                                     expected: str) -> None:
    path = tiny(tmp_path, channels={"desk": desk})
    assert only(path) == f"{path}: {expected}"


def test_route_first_puts_a_channel_before_the_others() -> None:
    from sim.scenario import route

    spec = validate(deep_merge(TINY, {"channels": {"desk": {"counter_share": 0.1}, "phone": {
        **PHONE, "procedures": ["renewal"], "route_first": True}}}))
    assert list(spec.channels) == ["desk", "online", "phone"]
    assert route(spec, "renewal", digital=False) == "phone"
    assert route(spec, "first_title", digital=False) == "desk"
    assert route(spec, "renewal", digital=True) == "online"


# --- malformed and hostile YAML ---------------------------------------------------------------


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.yaml", "name: x\nstaff: {front_office_etp: 3\nchannels: 1\n")
    line = only(path)
    assert line.startswith(f"{path}: malformed YAML (line ")
    assert "Traceback" not in line


def test_bad_indentation(tmp_path: Path) -> None:
    path = write(tmp_path / "indent.yaml", "staff:\n  front_office_etp: 3\n absence_rate: 2\n")
    assert only(path).startswith(f"{path}: malformed YAML (line 3, column 2): ")


def test_impossible_date_is_a_yaml_problem(tmp_path: Path) -> None:
    text = yaml.safe_dump(TINY).replace("2021-03-01", "2021-13-45").replace("'", "")
    path = write(tmp_path / "date.yaml", text)
    line = only(path)
    assert line.startswith(f"{path}: malformed YAML (line ")
    assert "'2021-13-45'" in line and "month must be in 1..12" in line


def test_python_tags_are_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(
        tmp_path / "evil.yaml",
        f"name: !!python/object/apply:os.system ['touch {marker}']\n",
    )
    line = only(path)
    assert line.startswith(f"{path}: malformed YAML (line 1, column 7): ")
    assert "python/object" in line
    assert not marker.exists()


def test_billion_laughs_is_refused_quickly(tmp_path: Path) -> None:
    rows = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    rows += [f"a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * 9)}]" for k in range(1, 10)]
    path = write(tmp_path / "bomb.yaml", "\n".join(rows) + "\n")
    started = time.perf_counter()
    line = only(path)
    assert time.perf_counter() - started < 2
    assert line.startswith(f"{path}: document expands to more than ")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "deep.yaml", "name: " + "[" * 5000 + "]" * 5000 + "\n")
    assert only(path) == f"{path}: over a limit (line 1): nested more than 20 levels deep"


def test_oversized_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "big.yaml", "# " + "x" * 300_000 + "\n")
    assert only(path) == f"{path}: file larger than 256000 bytes"


@pytest.mark.parametrize(("text", "limit"), [
    ("\n".join(f"k{i}: {i}" for i in range(15_000)), "more than 5000 values"),
    ("a: [" + ", ".join(["1"] * 60_000) + "]", "more than 5000 values"),
    ("a: &a [1]\nb: [" + ", ".join(["*a"] * 1000) + "]", "more than 100 aliases"),
])
def test_limits_are_checked_while_parsing(tmp_path: Path, text: str, limit: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing stops at the first value past a limit: a file just under the size cap but
    full of keys is refused after reading about as many parser events as the limit allows,
    not after parsing it all (counted, so that the check holds on a loaded machine)."""
    path = write(tmp_path / "many.yaml", text + "\n")
    read = 0
    get_event = safe_yaml.StrictLoader.get_event

    def counted(self: safe_yaml.StrictLoader) -> Any:
        nonlocal read
        read += 1
        return get_event(self)

    monkeypatch.setattr(safe_yaml.StrictLoader, "get_event", counted)
    line = only(path)
    assert line.startswith(f"{path}: over a limit (line ") and limit in line, line
    whole = sum(1 for _ in yaml.parse(text))
    cap = safe_yaml.MAX_ALIASES if "aliases" in limit else safe_yaml.MAX_NODES
    assert read <= cap + 10 < whole / 2, (read, whole)


def test_duplicate_keys_are_refused_with_their_line(tmp_path: Path) -> None:
    text = yaml.safe_dump(TINY, sort_keys=False) + "staff:\n  front_office_etp: 9\n"
    path = write(tmp_path / "dup.yaml", text)
    first = text.splitlines().index("staff:") + 1
    last = len(text.splitlines()) - 1
    assert only(path) == (f"{path}: malformed YAML (line {last}, column 1): duplicate key "
                          f"'staff' (first written on line {first}): a key may appear once in "
                          "a mapping")
    nested = write(tmp_path / "nested.yaml", "staff: {front_office_etp: 2, front_office_etp: 3}\n")
    assert "duplicate key 'front_office_etp'" in only(nested)
    merged = write(tmp_path / "merge.yaml", yaml.safe_dump(TINY) + "base: &b {x: 1}\n"
                   "other: {<<: *b, x: 2}\n")  # a merge key's values may be overridden
    assert not any("duplicate key" in line for line in problems(merged))


def test_named_pipes_and_symbolic_link_loops_are_refused(tmp_path: Path) -> None:
    import os

    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    assert only(pipe) == f"{pipe}: not a regular file (a named pipe)"  # never blocks
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    assert only(tmp_path / "a.yaml") == f"{tmp_path / 'a.yaml'}: a loop of symbolic links"
    child = write(tmp_path / "child.yaml", "extends: a.yaml\n")
    assert only(child) == f"{child}: extends = 'a.yaml': a loop of symbolic links"
    via = write(tmp_path / "via.yaml", "extends: pipe.yaml\n")
    assert only(via) == f"{pipe} (extended by {via}): not a regular file (a named pipe)"


@pytest.mark.parametrize(
    ("text", "got"), [("- 1\n- 2\n", "a list"), ("just words\n", "a string"), ("42\n", "int")]
)
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str, got: str) -> None:
    path = write(tmp_path / "list.yaml", text)
    assert only(path) == f"{path}: top level must be a mapping of fields, got {got}"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    assert only(path) == f"{path}: file not found"


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    assert only(tmp_path) == f"{tmp_path}: not a regular file (a directory)"


def test_parse_yaml_refuses_non_mappings_directly() -> None:
    with pytest.raises(ScenarioError, match=r"^src: top level must be a mapping"):
        parse_yaml("[1, 2]", "src")


# --- extends: ----------------------------------------------------------------------------------


def test_extends_deep_merges_one_nested_field(tmp_path: Path) -> None:
    tiny(tmp_path, "base.yaml")
    child = write(
        tmp_path / "child.yaml",
        "extends: base.yaml\nname: child\nstaff:\n  front_office_etp: 5\n",
    )
    spec = load(child)
    base = load(tmp_path / "base.yaml")
    assert spec.name == "child"
    assert spec.staff.front_office_etp == 5
    assert spec.staff.absence_rate == 0.1  # sibling kept from the parent
    assert spec.procedures == base.procedures and spec.channels == base.channels
    assert spec.model_copy(update={"name": "tiny", "staff": base.staff}) == base


def test_extends_chain_of_three(tmp_path: Path) -> None:
    tiny(tmp_path, "a.yaml")
    write(tmp_path / "b.yaml", "extends: a.yaml\nstaff: {front_office_etp: 4}\n")
    write(tmp_path / "c.yaml", "extends: b.yaml\nstaff: {absence_rate: 0.2}\n")
    spec = load(tmp_path / "c.yaml")
    assert (spec.staff.front_office_etp, spec.staff.absence_rate) == (4, 0.2)


def test_extends_is_relative_to_the_file_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny(tmp_path, "base.yaml")
    write(tmp_path / "sub" / "deeper" / "child.yaml", "extends: ../../base.yaml\nname: sub\n")
    monkeypatch.chdir(tmp_path)  # relative to the cwd, ../../base.yaml would be outside it
    assert load("sub/deeper/child.yaml").name == "sub"
    assert load(tmp_path / "sub" / "deeper" / "child.yaml").name == "sub"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the file is not in the cwd: its own folder is its tree
    assert load("../sub/deeper/child.yaml", allow_outside=True).name == "sub"


def test_extends_missing_parent(tmp_path: Path) -> None:
    child = write(tmp_path / "child.yaml", "extends: nope.yaml\nname: child\n")
    line = only(child)
    assert line.startswith(f"{child}: extends = 'nope.yaml': file not found (looked for ")
    assert "nope.yaml)" in line


def test_extends_must_be_a_path(tmp_path: Path) -> None:
    child = write(tmp_path / "child.yaml", "extends: [a.yaml, b.yaml]\n")
    assert only(child) == (
        f"{child}: extends = ['a.yaml', 'b.yaml']: must be the path of a scenario file"
    )


def test_extends_two_file_cycle(tmp_path: Path) -> None:
    a = write(tmp_path / "a.yaml", "extends: b.yaml\nname: a\n")
    b = write(tmp_path / "b.yaml", "extends: a.yaml\nname: b\n")
    assert only(a) == f"{b}: extends = 'a.yaml': circular inheritance (a.yaml -> b.yaml -> a.yaml)"


def test_extends_self_cycle(tmp_path: Path) -> None:
    me = write(tmp_path / "me.yaml", "extends: ./me.yaml\n")
    assert only(me) == f"{me}: extends = './me.yaml': circular inheritance (me.yaml -> me.yaml)"


def test_extends_outside_the_folder_tree_is_refused_naming_the_file_that_asked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = write(tmp_path / "secret.yaml", "password: hunter2\n")
    child = write(tmp_path / "project" / "child.yaml", "extends: ../secret.yaml\n")
    monkeypatch.chdir(tmp_path / "project")
    line = only(Path("child.yaml"))
    assert line == ("child.yaml: extends = '../secret.yaml': ../secret.yaml is outside the "
                    f"scenario's folder tree ({tmp_path / 'project'}); refused unless allowed "
                    "(--allow-extends-outside)")
    assert "hunter2" not in line
    absolute = write(tmp_path / "project" / "abs.yaml", f"extends: {secret}\n")
    assert "is outside the scenario's folder tree" in only(absolute)
    with pytest.raises(ScenarioError) as exc:
        load(child, allow_outside=True)  # allowed: the parent is read (and is no scenario)
    assert "password" in str(exc.value) and "folder tree" not in str(exc.value)


def test_a_long_extends_chain_is_refused_as_such(tmp_path: Path) -> None:
    for k in range(30):
        write(tmp_path / f"f{k}.yaml", f"extends: f{k + 1}.yaml\n")
    tiny(tmp_path, "f30.yaml")
    line = only(tmp_path / "f0.yaml")
    assert line.startswith(f"{tmp_path / 'f0.yaml'}: extends: more than 20 files in the chain")
    assert load(tmp_path / "f12.yaml").name == "tiny"  # 19 files: fine


def test_problem_names_the_parent_file_that_wrote_the_value(tmp_path: Path) -> None:
    base = tiny(tmp_path, "base.yaml", staff={"front_office_etp": -2})
    child = write(tmp_path / "child.yaml", "extends: base.yaml\nname: child\n")
    assert only(child) == (
        f"{base}: staff.front_office_etp = -2: Input should be greater than or equal to 0"
    )


def test_problem_names_the_child_file_that_overrode_the_value(tmp_path: Path) -> None:
    tiny(tmp_path, "base.yaml")
    child = write(tmp_path / "child.yaml", "extends: base.yaml\nstaff: {absence_rate: 1}\n")
    assert only(child) == f"{child}: staff.absence_rate = 1: Input should be less than 1"


def test_problem_in_a_list_names_the_file_that_replaced_it(tmp_path: Path) -> None:
    """Lists replace, they do not merge: the child's shorter item is the child's problem."""
    tiny(tmp_path, "base.yaml", staff={"reinforcements": [{"start": "2021-04-01", "etp": 1}]})
    child = write(tmp_path / "child.yaml", "extends: base.yaml\nstaff:\n  reinforcements:\n"
                  "    - etp: 2\n")
    assert only(child) == f"{child}: staff.reinforcements.0.start: Field required"


# --- --set overrides ---------------------------------------------------------------------------


def test_set_changes_a_field_even_one_the_file_does_not_mention(tmp_path: Path) -> None:
    spec = load(
        tiny(tmp_path),
        ["staff.front_office_etp=7", "staff.productive_share=0.5", "calendar.weekdays=[0, 2]"],
    )
    assert spec.staff.front_office_etp == 7
    assert spec.staff.productive_share == 0.5
    assert spec.staff.absence_rate == 0.1
    assert spec.calendar.weekdays == (0, 2)


def test_set_into_an_absent_optional_sub_model(tmp_path: Path) -> None:
    spec = load(tiny(tmp_path), ["behaviour.patience.mean=45"])
    assert spec.behaviour.patience is not None
    assert spec.behaviour.patience.mean == 45


def test_set_is_revalidated_through_the_same_door(tmp_path: Path) -> None:
    path = tiny(tmp_path)
    assert only(path, ["staff.front_office_etp=-1"]) == (
        f"{path} --set: staff.front_office_etp = -1: Input should be greater than or equal to 0"
    )


def test_set_inside_a_channel(tmp_path: Path) -> None:
    path = tiny(tmp_path)
    assert load(path, ["channels.online.min_lead_days=3"]).channels["online"].min_lead_days == 3
    assert only(path, ["channels.online.min_lead_days=-3"]) == (
        f"{path} --set: channels.online.min_lead_days = -3: "
        "Input should be greater than or equal to 0"
    )


def test_set_unknown_key_lists_known_keys(tmp_path: Path) -> None:
    path = tiny(tmp_path)
    line = only(path, ["staff.front_office=80"])
    assert line.startswith(
        f"{path} --set: staff.front_office = 80: unknown key 'front_office' in staff (known: "
    )
    assert "front_office_etp" in line and "absence_rate" in line


def test_set_unknown_top_level_key(tmp_path: Path) -> None:
    line = only(tiny(tmp_path), ["stuff=1"])
    assert "unknown key 'stuff' in top level (known: " in line and "staff" in line


def test_set_unknown_key_of_a_channel_kind(tmp_path: Path) -> None:
    line = only(tiny(tmp_path), ["channels.online.counters=3"])
    assert "unknown key 'counters' in channels.online (known: " in line
    assert "min_lead_days" in line


def test_set_cannot_invent_a_procedure(tmp_path: Path) -> None:
    path = tiny(tmp_path)
    assert only(path, ["procedures.newproc.annual_volume=5"]) == (
        f"{path} --set: procedures.newproc.annual_volume = 5: "
        "unknown key 'newproc' in procedures (known: first_title, renewal)"
    )


def test_set_reports_every_unknown_key(tmp_path: Path) -> None:
    lines = problems(tiny(tmp_path), ["staff.x=1", "horizon.y=2", "staff.front_office_etp=3"])
    assert len(lines) == 2
    assert "'x' in staff" in lines[0] and "'y' in horizon" in lines[1]


def test_set_without_equals_sign(tmp_path: Path) -> None:
    path = tiny(tmp_path)
    assert only(path, ["staff.front_office_etp"]) == (
        f"{path} --set: 'staff.front_office_etp': expected KEY=VALUE, "
        "e.g. staff.front_office_etp=80"
    )


def test_set_inside_a_list_or_value_is_refused(tmp_path: Path) -> None:
    path = tiny(tmp_path, staff={"reinforcements": [{"start": "2021-04-01", "etp": 1}]})
    assert only(path, ["staff.reinforcements.0.etp=2"]) == (
        f"{path} --set: staff.reinforcements.0.etp = 2: staff.reinforcements is not a mapping "
        "of fields; set it whole with --set staff.reinforcements=..."
    )
    assert "staff.front_office_etp is not a mapping" in only(path, ["staff.front_office_etp.x=1"])


def test_set_whole_values(tmp_path: Path) -> None:
    path = tiny(tmp_path, behaviour={"patience": {"kind": "exponential", "mean": 20}})
    assert load(path, ["behaviour.patience=null"]).behaviour.patience is None
    spec = load(path, ["staff.reinforcements=[{start: 2021-04-01, etp: 2}]", "name=two words"])
    assert spec.staff.reinforcements[0].etp == 2 and spec.name == "two words"


def test_set_can_repair_a_file(tmp_path: Path) -> None:
    path = tiny(tmp_path, staff={"front_office_etp": -1})
    assert load(path, ["staff.front_office_etp=3"]).staff.front_office_etp == 3


def test_set_later_override_wins(tmp_path: Path) -> None:
    spec = load(tiny(tmp_path), ["staff.front_office_etp=3", "staff.front_office_etp=4"])
    assert spec.staff.front_office_etp == 4


# --- variant, dump_yaml, frozen -----------------------------------------------------------------


def test_variant_never_mutates_and_validates() -> None:
    base = validate(TINY)
    before = base.model_dump()
    more = variant(base, ["staff.front_office_etp=9"])
    assert more.staff.front_office_etp == 9 and more is not base
    assert base.model_dump() == before and base.staff.front_office_etp == 2
    assert variant(base, []) == base
    with pytest.raises(ScenarioError) as info:
        variant(base, ["staff.front_office_etp=-9"])
    assert info.value.problems == [
        "tiny --set: staff.front_office_etp = -9: Input should be greater than or equal to 0"
    ]
    with pytest.raises(ScenarioError, match="unknown key 'nope' in staff"):
        variant(base, ["staff.nope=1"])
    assert base.model_dump() == before


def test_validate_does_not_mutate_its_input() -> None:
    data = copy.deepcopy(TINY)
    validate(data)
    assert data == TINY


def test_validate_names_its_source() -> None:
    with pytest.raises(ScenarioError) as info:
        validate(deep_merge(TINY, {"staff": {"front_office_etp": -1}}), "dashboard")
    assert info.value.problems == [
        "dashboard: staff.front_office_etp = -1: Input should be greater than or equal to 0"
    ]


def test_dump_yaml_round_trips(tmp_path: Path) -> None:
    spec = load(
        tiny(tmp_path, staff={"reinforcements": [{"start": "2021-04-01", "etp": 1.5}]}),
        ["behaviour.patience.mean=30"],
    )
    text = dump_yaml(spec)
    assert validate(yaml.safe_load(text)) == spec
    again = write(tmp_path / "again.yaml", text)
    assert load(again) == spec
    assert dump_yaml(load(again)) == text


def test_dump_yaml_round_trips_the_demo() -> None:
    spec = load(DEMO)
    assert validate(yaml.safe_load(dump_yaml(spec))) == spec


def test_scenarios_are_frozen() -> None:
    spec = validate(TINY)
    with pytest.raises(pydantic.ValidationError):
        spec.name = "changed"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        spec.staff.front_office_etp = 99  # type: ignore[misc]
    assert spec.name == "tiny" and spec.staff.front_office_etp == 2
    assert isinstance(spec, Scenario)


def test_demo_is_valid() -> None:
    spec = load(DEMO)
    assert spec.name == "demo" and set(spec.procedures) >= {"renewal"}


def test_variant_switches_a_channel_kind_both_ways() -> None:
    """A waitlist's default fields (release: null, order) do not leak into a race, and a
    race's release schedule does not leak into a waitlist."""
    from sim.scenario.loader import variant

    race = variant(load(DEMO), ["channels.online.kind=race"])
    assert race.channels["online"].kind == "race"
    back = variant(race, ["channels.online.kind=waitlist"])
    assert back.channels["online"].kind == "waitlist" and back.channels["online"].release is None
    assert back.channels["online"].counter_share == race.channels["online"].counter_share
