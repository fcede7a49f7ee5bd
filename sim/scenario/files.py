"""Scenario files: safe YAML, ``extends:`` inheritance, and the resolved scenario written back.

A scenario file is a YAML mapping read safely, within limits (:mod:`sim.scenario.safe_yaml`).
A scenario may start from another (``extends: baseline.yaml``, relative to the file) and
change a few fields: the parent is deep-merged under the child (mappings merge key by key,
anything else is replaced), with circular inheritance reported as such and chains of at most
:data:`MAX_EXTENDS` files. A parent must lie in the scenario's folder tree (:func:`home`):
the folder of the file given and, when that file lies in the working directory, the working
directory (so ``scenarios/what-ifs/x.yaml`` may extend ``scenarios/base.yaml`` from the
project's folder); anything else is refused, naming the file whose ``extends:`` asked for
it, unless the caller allows it (``--allow-extends-outside``). The merged mapping is not
yet a scenario: :mod:`sim.scenario.loader` validates it through one door.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sim.scenario.errors import ScenarioError
from sim.scenario.safe_yaml import (  # noqa: F401 - re-exported: the file readers' one home
    MAX_EXPANDED,
    MAX_FILE_BYTES,
    MAX_NODES,
    StrictLoader,
    check_size,
    parse_yaml,
    read_yaml,
)
from sim.scenario.schema_paths import Layer, show_value

if TYPE_CHECKING:
    from sim.scenario.schema import Scenario

MAX_EXTENDS = 20
"""Files in one ``extends:`` chain."""


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


# --- extends: ---------------------------------------------------------------------------------


def home(path: str | Path) -> Path:
    """The folder tree a scenario file's ``extends:`` chain may reach: the file's folder,
    or the working directory when the file lies inside it."""
    folder = _real(Path(path), str(path)).parent
    cwd = Path.cwd().resolve()
    return cwd if folder.is_relative_to(cwd) else folder


def read_layers(path: str | Path, root: str | Path | None = None,
                allow_outside: bool = False) -> list[Layer]:
    """A scenario file and the files it ``extends:``, root ancestor first, ``extends`` removed.

    A relative ``extends:`` path is relative to the directory of the file that holds it. A
    parent must lie under ``root`` (by default :func:`home`) unless ``allow_outside``.
    """
    shown, real = str(path), _real(Path(path), str(path))
    tree = home(path) if root is None else Path(root).resolve()
    layers: list[Layer] = []
    chain: list[Path] = []
    child = None
    while True:
        if len(chain) == MAX_EXTENDS:
            raise ScenarioError([f"{path}: extends: more than {MAX_EXTENDS} files in the chain "
                                 f"(the last one read: {child})"])
        data = _read_parent(real, shown, child)
        chain.append(real)
        layers.append((shown, data))
        parent = data.pop("extends", None)
        if parent is None:
            return layers[::-1]
        if not isinstance(parent, str) or not parent.strip():
            raise ScenarioError(
                [f"{shown}: extends = {show_value(parent)}: must be the path of a scenario file"])
        parent_shown = os.path.normpath(Path(shown).parent / parent)
        parent_real = _real(real.parent / parent, f"{shown}: extends = {parent!r}")
        if parent_real in chain:
            cycle = " -> ".join(p.name for p in (*chain[chain.index(parent_real):], parent_real))
            raise ScenarioError([f"{shown}: extends = {parent!r}: circular inheritance ({cycle})"])
        if not parent_real.exists():
            raise ScenarioError(
                [f"{shown}: extends = {parent!r}: file not found (looked for {parent_shown})"])
        if not (allow_outside or parent_real.is_relative_to(tree)):
            raise ScenarioError(
                [f"{shown}: extends = {parent!r}: {parent_shown} is outside the scenario's "
                 f"folder tree ({tree}); refused unless allowed (--allow-extends-outside)"])
        child, shown, real = shown, parent_shown, parent_real


def _real(path: Path, shown: str) -> Path:
    """``path`` with its symbolic links resolved; a loop of links is a problem of ``shown``."""
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # RuntimeError: "Symlink loop" (Python < 3.13)
        raise ScenarioError([f"{shown}: a loop of symbolic links"]) from None


def _read_parent(real: Path, shown: str, child: str | None) -> dict[str, Any]:
    """Read one file of the chain; a parent's problems also name the file that extends it."""
    try:
        return read_yaml(real, shown)
    except ScenarioError as exc:
        if child is None:
            raise
        asked = f"{shown} (extended by {child})"
        raise ScenarioError([line.replace(shown, asked, 1) for line in exc.problems]) from None


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
