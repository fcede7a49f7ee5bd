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

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import ValidationError

from sim.scenario.errors import ScenarioError
from sim.scenario.files import StrictLoader, check_size, deep_merge, merge_layers, read_layers
from sim.scenario.schema import Scenario
from sim.scenario.schema_paths import (
    Layer,
    child_type,
    format_problem,
    show_value,
    tagged_models,
    unsettable,
)

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
        value = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, RecursionError):
        return text
    check_size(value, source)
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


def load(path: str | Path, overrides: Iterable[str] = (), allow_outside: bool = False
         ) -> Scenario:
    """Load, resolve ``extends:``, apply ``overrides`` and validate a scenario file;
    ``allow_outside`` lets ``extends:`` reach outside the scenario's folder tree
    (:func:`sim.scenario.files.read_layers`)."""
    layers = read_layers(path, allow_outside=allow_outside)
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
    changes, channels = extra.get("channels"), data.get("channels")
    if not isinstance(changes, Mapping) or not isinstance(channels, Mapping):
        return data  # not a mapping of channels: validation says so, naming the field
    for name, change in changes.items():
        channel = channels.get(name)
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
