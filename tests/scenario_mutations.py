"""Mutated bundled scenarios, drawn by hypothesis, for the fuzz tests and the fuzz script.

Each example starts from a bundled scenario (every ``scenarios/**/*.yaml`` but the national
plan), resolved (``extends:`` merged) and shortened to a short run (at most 60 days, a month
of burn-in and follow-up, dated channels and moves to ANEF inside the horizon), then changes
it one to four times, the way a hurried planner or an adversary would:

* ``set``: a value anywhere (a leaf, a section, a list) replaced by an edge value: zero,
  negative, tiny, huge, infinite, NaN, a boolean, null, a string, an impossible date, an
  integer where a date goes, an empty list or mapping;
* ``scale``: a number multiplied by 0, a millionth, ten, a thousand or a million;
* ``drop`` and ``add``: a key removed, or an unknown one added;
* ``kind``: a channel switched to another policy;
* ``grow``: one of the fields that drive a run's work set to a bound of the schema (staff,
  volumes, minutes per visit, horizon, burn-in, follow-up, release schedule, bots, checking
  rates, opening hours).

The result is a mapping written to a YAML file (``write``) and given to ``prefsim check`` and
``prefsim run`` by the tests (``tests/test_fuzz.py``) and by ``benchmarks/fuzz_scenarios.py``.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st
from pydantic import BaseModel

from sim.scenario import Scenario
from sim.scenario.loader import load

REPO = Path(__file__).resolve().parents[1]
BUNDLED = sorted(str(p.relative_to(REPO)) for p in (REPO / "scenarios").glob("**/*.yaml")
                 if p.name != "national.yaml")
SHORT_DAYS = 60

EDGES: list[Any] = [
    0, -1, 1, 0.5, 1e-9, 1e-3, 7, 365, 3650, 5000, 10000, 5e6, 1e12, float("inf"),
    float("-inf"), float("nan"), True, False, None, "", "x", "2021-02-30", "2021-06-01",
    20210104, [], {}, [1, 2], {"kind": "x"}, "1e-9",
]
FACTORS = [0, 1e-6, 0.1, 10, 1000, 1e6]
KINDS = ["desk", "race", "waitlist", "lottery", "online"]
GROW: list[tuple[str, list[Any]]] = [
    ("staff.front_office_etp", [0, 1e-6, 5000]),
    ("staff.back_office_etp", [0, 5000]),
    ("procedures.*.annual_volume", [0, 1, 5e6]),
    ("procedures.*.counter_minutes_per_visit", [1, 480]),
    ("procedures.*.service_cv", [0, 10]),
    ("horizon.days", [1, 3660]),
    ("horizon.burn_in_days", [3650]),
    ("horizon.follow_up_days", [3650]),
    ("calendar.close_hour", [9.0166667, 24]),
    ("calendar.continuous", [True]),
    ("channels.*.release", [{"kind": "continuous", "horizon_days": 730},
                            {"kind": "random", "horizon_days": 0.01}]),
    ("channels.*.counter_share", [0, 1]),
    ("channels.*.overbooking_share", [1]),
    ("channels.*.prebooked_days", [730]),
    ("behaviour.seekers", [[{"share": 1, "checks_per_day": 1e6, "release_checks": 1000}]]),
    ("behaviour.patience", [None, {"kind": "lognormal", "mean": 36500, "cv": 10}]),
    ("bots", [{"b": {"requests_per_day": 1e10, "identities": 10_000_000,
                     "release_poll_interval_seconds": 1e-9}}]),
]


@functools.cache
def resolved(path: str) -> dict[str, Any]:
    """A bundled scenario as a plain mapping, ``extends:`` merged."""
    return load(REPO / path, allow_outside=True).model_dump(mode="json")


def shortened(data: dict[str, Any], days: int = SHORT_DAYS) -> dict[str, Any]:
    """``data`` over at most ``days`` days, with whatever was dated past them undated."""
    data = copy.deepcopy(data)
    h = data["horizon"]
    h["days"] = min(h["days"], days)
    h["warmup_days"] = min(h["warmup_days"], h["days"] // 4)
    h["burn_in_days"], h["follow_up_days"] = min(h["burn_in_days"], 30), min(
        h["follow_up_days"], 30)
    end = dt.date.fromisoformat(h["start"]) + dt.timedelta(days=h["days"])
    for ch in data["channels"].values():
        for key in ("active_from", "active_until"):
            if ch.get(key) and dt.date.fromisoformat(ch[key]) >= end:
                ch[key] = None
    for proc in data["procedures"].values():
        if proc.get("anef") and dt.date.fromisoformat(proc["anef"]["from_date"]) >= end:
            proc["anef"] = None
    return data


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path inside a mapping (list items included)."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    for key, value in items:
        out.append((*prefix, key))
        out += _paths(value, (*prefix, key))
    return out


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        data = data[key]
    return data


def _find(data: Any, path: tuple[Any, ...]) -> Any:
    """What ``path`` leads to in ``data``, or None where it leads nowhere (a dropped key)."""
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _put(data: Any, path: tuple[Any, ...], value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, dict[str, Any], list[str]]:
    """(bundled file, mutated mapping, what was done), one to four mutations."""
    source = draw(st.sampled_from(BUNDLED))
    data = shortened(resolved(source))
    done = []
    for _ in range(draw(st.integers(1, 4))):
        how = draw(st.sampled_from(["set", "set", "scale", "drop", "add", "kind", "grow",
                                    "grow"]))
        paths = _paths(data)
        if how == "grow":
            field, values = draw(st.sampled_from(GROW))
            parts = field.split(".")
            if "*" in parts:
                parent = _find(data, tuple(parts[:parts.index("*")]))
                if not isinstance(parent, dict) or not parent:
                    continue
                parts[parts.index("*")] = draw(st.sampled_from(sorted(parent)))
            value = draw(st.sampled_from(values))
            node = _find(data, tuple(parts[:-1]))
            if isinstance(node, dict):
                node[parts[-1]] = copy.deepcopy(value)
                done.append(f"{'.'.join(parts)}={value!r}")
        elif how == "set":
            path = draw(st.sampled_from(paths))
            value = draw(st.sampled_from(EDGES) | st.floats() | st.integers(-10**15, 10**15))
            _put(data, path, copy.deepcopy(value))
            done.append(f"{_dotted(path)}={value!r}")
        elif how == "scale":
            numbers = [p for p in paths if isinstance(_get(data, p), int | float)
                       and not isinstance(_get(data, p), bool)]
            if numbers:
                path, factor = draw(st.sampled_from(numbers)), draw(st.sampled_from(FACTORS))
                _put(data, path, _get(data, path) * factor)
                done.append(f"{_dotted(path)}*={factor:g}")
        elif how == "drop":
            keyed = [p for p in paths if isinstance(_get(data, p[:-1]), dict)]
            path = draw(st.sampled_from(keyed))
            del _get(data, path[:-1])[path[-1]]
            done.append(f"-{_dotted(path)}")
        elif how == "add":
            maps = [()] + [p for p in paths if isinstance(_get(data, p), dict)]
            path = draw(st.sampled_from(maps))
            _get(data, path)["unexpected"] = 1
            done.append(f"+{_dotted((*path, 'unexpected'))}")
        elif isinstance(data.get("channels"), dict) and data["channels"]:
            name = draw(st.sampled_from(sorted(data["channels"])))
            kind = draw(st.sampled_from(KINDS))
            if isinstance(data["channels"][name], dict):
                data["channels"][name]["kind"] = kind
                done.append(f"channels.{name}.kind={kind}")
    return source, data, done


def _dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(k) for k in path) or "(top level)"


def write(data: dict[str, Any], path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _field_names(model: type[BaseModel], seen: set[str]) -> set[str]:
    names = set()
    for name, field in model.model_fields.items():
        names.add(name)
        for tp in re.findall(r"\w+", repr(field.annotation)):
            sub = _MODELS.get(tp)
            if sub is not None and tp not in seen:
                seen.add(tp)
                names |= _field_names(sub, seen)
    return names


def _models() -> dict[str, type[BaseModel]]:
    import sim.scenario as schema

    return {name: m for name in dir(schema) if isinstance(m := getattr(schema, name), type)
            and issubclass(m, BaseModel)} | _submodels()


def _submodels() -> dict[str, type[BaseModel]]:
    from sim.scenario import behaviour, channels, countermeasures, procedures, staff

    out = {}
    for module in (behaviour, channels, countermeasures, procedures, staff):
        out |= {name: m for name, m in vars(module).items() if isinstance(m, type)
                and issubclass(m, BaseModel)}
    return out


_MODELS = _models()
FIELDS = _field_names(Scenario, set()) | {"extends"}
NAMES_A_FIELD = re.compile(r"\b(" + "|".join(sorted(FIELDS, key=len, reverse=True)) + r")\b")


def names_a_field(line: str) -> bool:
    """Does a problem line name a field of the schema (``staff.front_office_etp``...)?"""
    return NAMES_A_FIELD.search(line) is not None
