"""Scenario files: safe YAML, ``extends:`` inheritance, and the resolved scenario written back.

A scenario file is a YAML mapping read without Python tags and with size caps against alias
bombs. It may start from another (``extends: baseline.yaml``, relative to the file) and change
a few fields: the parent is deep-merged under the child (mappings merge key by key, anything
else is replaced), with circular inheritance reported as such. The merged mapping is not yet
a scenario: :mod:`sim.scenario.loader` validates it through one door.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sim.scenario.errors import ScenarioError
from sim.scenario.schema_paths import Layer, show_value

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

MAX_FILE_BYTES = 1_000_000
MAX_NODES = 200_000


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


class StrictLoader(yaml.SafeLoader):
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
    sim.scenario.errors.ScenarioError: a.yaml: top level must be a mapping of fields, got a list
    """
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError([f"{source}: file larger than {MAX_FILE_BYTES} bytes"])
    try:
        data = yaml.load(raw, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise ScenarioError([f"{source}: malformed YAML{_yaml_problem(exc)}"]) from None
    except RecursionError:
        raise ScenarioError([f"{source}: malformed YAML: nested too deeply"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        kind = {"list": "a list", "str": "a string"}.get(type(data).__name__, type(data).__name__)
        raise ScenarioError([f"{source}: top level must be a mapping of fields, got {kind}"])
    check_size(data, source)
    return data


def _yaml_problem(exc: yaml.YAMLError) -> str:
    where = getattr(exc, "problem_mark", None)
    at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
    what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{at}: {what}"


def check_size(data: Any, source: str, limit: int = MAX_NODES) -> None:
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


def dump_yaml(scenario: Scenario) -> str:
    """The resolved scenario as YAML text (loads back to an equal scenario)."""
    return yaml.safe_dump(scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
