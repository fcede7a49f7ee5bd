"""Reading scenario files: YAML, ``extends:`` inheritance, dotted overrides, one door.

A scenario file may start from another (``extends: baseline.yaml``, relative to the file)
and change a few fields: the parent is deep-merged under the child (mappings merge key by
key, anything else is replaced). Overrides such as ``staff.front_office_etp=80`` merge the
same way. Whatever the source, the merged mapping goes through :func:`validate`, the single
door to a :class:`~sim.scenario.Scenario`; every problem becomes a :class:`ScenarioError`
with one line per problem naming the file, the field path, the value and what is allowed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.scenario import Scenario

MAX_FILE_BYTES = 1_000_000


class ScenarioError(ValueError):
    """A scenario that cannot be built; ``problems`` holds one message per problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def deep_merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``top`` over ``base``: mappings merge recursively, other values replace.

    >>> deep_merge({"staff": {"front_office_etp": 40, "absence_rate": 0.1}},
    ...            {"staff": {"front_office_etp": 80}})
    {'staff': {'front_office_etp': 80, 'absence_rate': 0.1}}
    """
    out = copy.deepcopy(dict(base))
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read_yaml(path: Path) -> dict[str, Any]:
    """Parse one YAML mapping safely (no Python tags), with a size cap against bombs."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([f"{path}: file not found"]) from None
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read ({exc.strerror})"]) from None
    return parse_yaml(raw, str(path))


def parse_yaml(raw: bytes | str, source: str) -> dict[str, Any]:
    """Parse YAML text into a mapping, turning every failure into a :class:`ScenarioError`."""
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([f"{source}: file larger than {MAX_FILE_BYTES} bytes"])
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
        what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError([f"{source}: malformed YAML{at}: {what}"]) from None
    except RecursionError:
        raise ScenarioError([f"{source}: YAML nested too deeply"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([f"{source}: top level must be a mapping, got {type(data).__name__}"])
    _check_size(data, source)
    return data


def _check_size(data: Any, source: str, limit: int = 200_000) -> None:
    """Refuse documents that expand to huge structures through aliases (a 'YAML bomb')."""
    count, stack = 0, [data]
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            raise ScenarioError([f"{source}: document expands to more than {limit} nodes"])
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def resolve_file(path: str | Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read a scenario file and resolve its ``extends:`` chain into one mapping."""
    path = Path(path).resolve()
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ScenarioError([f"{_chain[0]}: extends: circular inheritance ({cycle})"])
    data = read_yaml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError([f"{path}: extends: must be a file path, got {parent!r}"])
    parent_path = (path.parent / parent).resolve()
    if not parent_path.exists():
        raise ScenarioError([f"{path}: extends: '{parent}' not found (looked for {parent_path})"])
    return deep_merge(resolve_file(parent_path, (*_chain, path)), data)


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=value`` into a key path and a YAML-parsed value.

    >>> parse_override("staff.front_office_etp=80")
    (['staff', 'front_office_etp'], 80)
    >>> parse_override("calendar.weekdays=[0, 1, 2]")
    (['calendar', 'weekdays'], [0, 1, 2])
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError([f"--set {text!r}: expected KEY=VALUE, e.g. staff.front_office_etp=80"])
    try:
        parsed = yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError:
        parsed = value
    return key.strip().split("."), parsed


def apply_overrides(
    data: Mapping[str, Any], overrides: Iterable[str], source: str = "--set"
) -> dict[str, Any]:
    """Apply dotted overrides to a scenario mapping; unknown keys are errors.

    Known keys are those of the fully defaulted scenario, so that any documented field can be
    set even if the file does not mention it.
    """
    out = copy.deepcopy(dict(data))
    known = validate(out, source).model_dump(mode="json") if overrides else {}
    problems = []
    for text in overrides:
        path, value = parse_override(text)
        node_known: Any = known
        node = out
        for depth, key in enumerate(path):
            last = depth == len(path) - 1
            if isinstance(node_known, dict) and key not in node_known:
                options = ", ".join(sorted(node_known)) or "none"
                where = ".".join(path[:depth]) or "top level"
                problems.append(
                    f"--set {'.'.join(path)}: unknown key '{key}' in {where} (known: {options})"
                )
                break
            node_known = node_known.get(key) if isinstance(node_known, dict) else None
            if last:
                node[key] = value
            else:
                if not isinstance(node.get(key), dict):
                    node[key] = {}
                node = node[key]
    if problems:
        raise ScenarioError(problems)
    return out


def validate(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """The one door: a mapping becomes a :class:`Scenario` or a :class:`ScenarioError`."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([_format(source, err) for err in exc.errors()]) from None


def _format(source: str, err: Mapping[str, Any]) -> str:
    path = ".".join(str(p) for p in err["loc"] if not str(p).endswith("Channel")) or "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    value = err.get("input")
    shown = "" if isinstance(value, dict) or err["type"] == "missing" else f" = {value!r}"
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    return f"{source}: {path}{shown}: {msg}"


def load(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, resolve ``extends:``, apply ``overrides`` and validate a scenario file."""
    overrides = list(overrides)
    data = resolve_file(path)
    if overrides:
        data = apply_overrides(data, overrides, str(path))
    return validate(data, str(path))


def variant(scenario: Scenario, overrides: Iterable[str]) -> Scenario:
    """A new scenario from an existing one and dotted overrides, through the same door."""
    data = apply_overrides(scenario.model_dump(mode="json"), list(overrides), scenario.name)
    return validate(data, scenario.name)


def dump_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML text (loads back to an equal scenario)."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
