"""Safe YAML for scenario files: no Python tags, no duplicate keys, limits checked while parsing.

A scenario file is a YAML mapping read with a ``SafeLoader`` (no Python tags, so nothing is
ever executed) within limits checked while it is parsed, so that no file, however written,
takes more than a moment to refuse: at most :data:`MAX_FILE_BYTES` bytes, :data:`MAX_NODES`
values (keys included), :data:`MAX_DEPTH` levels of nesting and :data:`MAX_ALIASES` aliases,
and, once aliases are expanded, :data:`MAX_EXPANDED` values (a "YAML bomb"). Parsing stops at
the first value past a limit. A key written twice in one mapping is refused with its line
(YAML would silently keep the second block). Only regular files are read: a named pipe, a
device or a loop of symbolic links is refused, never waited on. Every failure is one
:class:`~sim.scenario.errors.ScenarioError` line naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from sim.scenario.errors import ScenarioError

MAX_FILE_BYTES = 256_000
"""The largest bundled scenario is under 10 kB."""
MAX_NODES = 5_000
"""Values a file may write, keys included; the largest bundled scenario writes about 300."""
MAX_DEPTH = 20
"""Levels of nesting; a scenario uses six at most."""
MAX_ALIASES = 100
MAX_EXPANDED = 200_000
"""Values once aliases are expanded (each alias copies what it names)."""


class TooLarge(yaml.YAMLError):
    """A document past one of the limits, found while parsing it."""

    def __init__(self, what: str, mark: yaml.Mark | None):
        self.what, self.mark = what, mark
        super().__init__(what)


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` within the limits, refusing duplicate keys, and whose bad scalars
    (``2021-13-45``, ``!!int x``) are YAML errors."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._nodes = self._aliases = self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        mark = self.peek_event().start_mark
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise TooLarge(f"more than {MAX_ALIASES} aliases", mark)
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise TooLarge(f"more than {MAX_NODES} values (a scenario writes a few hundred)",
                           mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise TooLarge(f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)  # type: ignore[no-any-return]
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
                continue
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (first written on line {seen[key]}): "
                    "a key may appear once in a mapping", key_node.start_mark)
            seen[key] = line
        return super().construct_mapping(node, deep)  # type: ignore[no-any-return]

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
    """Parse one YAML mapping safely (no Python tags), within the limits.

    ``shown`` is the name used in messages (default: ``path``).
    """
    shown = str(path) if shown is None else shown
    return parse_yaml(read_bytes(path, shown), shown)


def read_bytes(path: Path, shown: str) -> bytes:
    """The first ``MAX_FILE_BYTES + 1`` bytes of a regular file; anything else is refused
    without waiting (a named pipe would block a plain ``open`` forever)."""
    try:
        kind = os.stat(path).st_mode
        if not stat.S_ISREG(kind):
            raise ScenarioError([f"{shown}: not a regular file ({_kind(kind)})"])
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped meanwhile
                raise ScenarioError([f"{shown}: not a regular file"])
            return handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ScenarioError([f"{shown}: file not found"]) from None
    except OSError as exc:
        raise ScenarioError([f"{shown}: cannot read ({exc.strerror or exc})"]) from None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return "not a file"


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
    except TooLarge as exc:
        at = f" (line {exc.mark.line + 1})" if exc.mark else ""
        raise ScenarioError([f"{source}: over a limit{at}: {exc.what}"]) from None
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


def check_size(data: Any, source: str, limit: int = MAX_EXPANDED) -> None:
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
