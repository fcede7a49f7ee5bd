"""Reading scenario files: YAML, ``extends:`` inheritance, dotted overrides, one door.

A scenario file may start from another (``extends: baseline.yaml``, relative to the file)
and change a few fields: the parent is deep-merged under the child (mappings merge key by
key, anything else is replaced). Overrides such as ``staff.front_office_etp=80`` merge the
same way. Whatever the source, the merged mapping goes through :func:`validate`, the single
door to a :class:`~sim.scenario.Scenario`; every problem becomes a :class:`ScenarioError`
with one line per problem naming the file, the field path, the value and what is allowed::

    base.yaml: staff.front_office_etp = -3: Input should be greater than or equal to 0

Each problem names the source that wrote the offending field: the file itself, one of the
files it extends, or ``FILE --set`` for a command-line override.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import ValidationError

from sim.scenario import Scenario
from sim.schema_paths import (
    Layer,
    child_type,
    format_problem,
    show_value,
    tagged_models,
    unsettable,
)

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 200_000




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


# --- YAML ------------------------------------------------------------------------------------


class _SafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` whose bad scalars (``2021-13-45``, ``!!int x``) are YAML errors."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, AttributeError, OverflowError) as exc:
            shown = f" {node.value!r}" if isinstance(node, yaml.ScalarNode) else ""
            tag = node.tag.rsplit(":", 1)[-1]
            raise yaml.constructor.ConstructorError(
                None, None, f"invalid {tag}{shown} ({exc})", node.start_mark
            ) from None


def read_yaml(path: Path, shown: str | None = None) -> dict[str, Any]:
    """Parse one YAML mapping safely (no Python tags), with size caps against bombs.

    ``shown`` is the name used in messages (default: ``path``).
    """
    shown = str(path) if shown is None else shown
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([f"{shown}: file not found"]) from None
    except OSError as exc:
        raise ScenarioError([f"{shown}: cannot read ({exc.strerror or exc})"]) from None
    return parse_yaml(raw, shown)


def parse_yaml(raw: bytes | str, source: str) -> dict[str, Any]:
    """Parse YAML text into a mapping, turning every failure into a :class:`ScenarioError`.

    >>> parse_yaml("staff: {front_office_etp: 3}", "a.yaml")
    {'staff': {'front_office_etp': 3}}
    >>> parse_yaml("- 1", "a.yaml")
    Traceback (most recent call last):
    sim.loader.ScenarioError: a.yaml: top level must be a mapping of fields, got a list
    """
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([f"{source}: file larger than {MAX_FILE_BYTES} bytes"])
    try:
        data = yaml.load(raw, Loader=_SafeLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{source}: malformed YAML{_yaml_problem(exc)}"]) from None
    except RecursionError:
        raise ScenarioError([f"{source}: malformed YAML: nested too deeply"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = {"list": "a list", "str": "a string"}.get(type(data).__name__, type(data).__name__)
        raise ScenarioError([f"{source}: top level must be a mapping of fields, got {kind}"])
    _check_size(data, source)
    return data


def _yaml_problem(exc: yaml.YAMLError) -> str:
    where = getattr(exc, "problem_mark", None)
    at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{at}: {what}"


def _check_size(data: Any, source: str, limit: int = MAX_NODES) -> None:
    """Refuse documents that expand to huge structures through aliases (a 'YAML bomb')."""
    count, stack = 0, [data]
    while stack:
        item = stack.pop()
        count += 1
        if count > limit:
            raise ScenarioError(
                [f"{source}: document expands to more than {limit} values (YAML alias bomb?)"]
            )
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


# --- extends: ---------------------------------------------------------------------------------


def read_layers(path: str | Path) -> list[Layer]:
    """A scenario file and the files it ``extends:``, root ancestor first, ``extends`` removed.

    A relative ``extends:`` path is relative to the directory of the file that holds it.
    """
    return _layers(str(path), Path(path).resolve(), ())


def _layers(shown: str, real: Path, chain: tuple[Path, ...]) -> list[Layer]:
    data = read_yaml(real, shown)
    parent = data.pop("extends", None)
    if parent is None:
        return [(shown, data)]
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(
            [f"{shown}: extends = {show_value(parent)}: must be the path of a scenario file"]
        )
    parent_real = (real.parent / parent).resolve()
    parent_shown = os.path.normpath(Path(shown).parent / parent)
    seen = (*chain, real)
    if parent_real in seen:
        cycle = " -> ".join(p.name for p in (*seen[seen.index(parent_real) :], parent_real))
        raise ScenarioError(
            [f"{shown}: extends = {parent!r}: circular inheritance ({cycle})"]
        )
    if not parent_real.is_file():
        raise ScenarioError(
            [f"{shown}: extends = {parent!r}: file not found (looked for {parent_shown})"]
        )
    return [*_layers(parent_shown, parent_real, seen), (shown, data)]


def merge_layers(layers: Iterable[Layer]) -> dict[str, Any]:
    """Deep-merge layers, later ones over earlier ones."""
    out: dict[str, Any] = {}
    for _, data in layers:
        out = deep_merge(out, data)
    return out


def resolve_file(path: str | Path) -> dict[str, Any]:
    """Read a scenario file and resolve its ``extends:`` chain into one mapping."""
    return merge_layers(read_layers(path))


# --- --set overrides --------------------------------------------------------------------------


def parse_override(text: str, source: str = "--set") -> tuple[list[str], Any]:
    """Split ``a.b.c=value`` into a key path and a YAML-parsed value.

    >>> parse_override("staff.front_office_etp=80")
    (['staff', 'front_office_etp'], 80)
    >>> parse_override("calendar.weekdays=[0, 1, 2]")
    (['calendar', 'weekdays'], [0, 1, 2])
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ScenarioError(
            [f"{source}: {text!r}: expected KEY=VALUE, e.g. staff.front_office_etp=80"]
        )
    return [k.strip() for k in key.strip().split(".")], _parse_value(value, source)


def _parse_value(text: str, source: str) -> Any:
    """A ``--set`` value read as YAML (``80``, ``[0, 1]``, ``null``); as text if not YAML."""
    if not text.strip():
        return None
    try:
        value = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, RecursionError):
        return text
    _check_size(value, source)
    return value


def override_layer(
    data: Mapping[str, Any], overrides: Iterable[str], source: str = "--set"
) -> dict[str, Any]:
    """Dotted overrides as one nested mapping to merge over ``data``; unknown keys are errors.

    Every field of the schema may be set, even one ``data`` does not mention; entries of
    ``procedures`` and ``channels`` must already exist in ``data``.
    """
    layer: dict[str, Any] = {}
    problems = []
    for text in overrides:
        path, value = parse_override(text, source)
        why = unsettable(path, deep_merge(data, layer))
        if why:
            problems.append(f"{source}: {'.'.join(path)} = {show_value(value)}: {why}")
            continue
        for key in reversed(path):
            value = {key: value}
        layer = deep_merge(layer, value)
    if problems:
        raise ScenarioError(problems)
    return layer


def apply_overrides(
    data: Mapping[str, Any], overrides: Iterable[str], source: str = "--set"
) -> dict[str, Any]:
    """``data`` with dotted overrides merged in (not validated; see :func:`override_layer`)."""
    return deep_merge(data, override_layer(data, overrides, source))


def validate(
    data: Mapping[str, Any], source: str = "<scenario>", layers: Sequence[Layer] = ()
) -> Scenario:
    """The one door: a mapping becomes a :class:`Scenario` or a :class:`ScenarioError`.

    ``source`` names the mapping in messages; if the mapping was merged from ``layers``,
    each problem names the layer that wrote the offending field instead.
    """
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError([format_problem(err, source, layers) for err in exc.errors()]) from None


def load(path: str | Path, overrides: Iterable[str] = ()) -> Scenario:
    """Load, resolve ``extends:``, apply ``overrides`` and validate a scenario file."""
    layers = read_layers(path)
    data = merge_layers(layers)
    overrides = list(overrides)
    if overrides:
        source = f"{path} --set"
        extra = override_layer(data, overrides, source)
        layers, data = [*layers, (source, extra)], _switch_kinds(deep_merge(data, extra), extra)
    return validate(data, str(path), layers)


def _switch_kinds(data: dict[str, Any], extra: Mapping[str, Any],
                  previous: Scenario | None = None) -> dict[str, Any]:
    """A channel whose ``kind`` an override changes keeps only the fields its new kind has.

    So ``--set channels.online.kind=waitlist`` works on a race channel: its ``release``
    schedule, meaningless for a waitlist, is dropped instead of rejected. When the channel
    comes from a validated ``previous`` scenario, only the fields set explicitly there are
    carried over (an old kind's defaults, e.g. a waitlist's ``release: null``, are not).
    """
    kinds = tagged_models(get_args(child_type(Scenario, "channels"))[1])
    for name, change in (extra.get("channels") or {}).items():
        channel = data.get("channels", {}).get(name)
        kind = change.get("kind") if isinstance(change, Mapping) else None
        model = kinds.get(kind) if isinstance(kind, str) else None
        if not isinstance(channel, dict) or model is None:
            continue
        if previous is not None and name in previous.channels:
            channel = deep_merge(
                previous.channels[name].model_dump(mode="json", exclude_unset=True), change)
        data["channels"][name] = {k: v for k, v in channel.items() if k in model.model_fields}
    return data


def variant(scenario: Scenario, overrides: Iterable[str], source: str | None = None) -> Scenario:
    """A new scenario from an existing one and dotted overrides, through the same door;
    problems name ``source`` (default ``NAME --set``).

    The original is never changed; without overrides it is returned as is.
    """
    overrides = list(overrides)
    if not overrides:
        return scenario
    data = scenario.model_dump(mode="json")
    source = source or f"{scenario.name} --set"
    extra = override_layer(data, overrides, source)
    layers = [(scenario.name, data), (source, extra)]
    merged = _switch_kinds(deep_merge(data, extra), extra, scenario)
    return validate(merged, scenario.name, layers)


def dump_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML text (loads back to an equal scenario)."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
