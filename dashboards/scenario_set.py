"""A visitor's scenarios in one file: download them, upload them back another day.

Uploads and variants live in the browser session and are lost when it ends. A manager who
built three variants of the baseline downloads them as one YAML file (a *scenario set*) and
uploads it again later, or sends it to a colleague: every scenario comes back with its label,
where it came from and the overrides that made it. Each one is written resolved (every field,
inheritance applied) and read back through the schema's one door
(:func:`sim.scenario.loader.validate`), with the same size and safety limits as any upload.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml
from state import Entry, Library

from sim.scenario.errors import ScenarioError
from sim.scenario.files import parse_yaml
from sim.scenario.loader import validate

MARK = "prefsim_scenario_set"
VERSION = 1


def dump(entries: Sequence[Entry]) -> str:
    """The entries as one YAML document (resolved scenarios, labels, origins, overrides).

    >>> from sim.scenario.loader import load
    >>> demo = load("scenarios/demo.yaml")
    >>> text = dump([Entry("mine", "variant", "demo + overrides", demo, ("x=1",))])
    >>> text.splitlines()[:3]
    ['prefsim_scenario_set: 1', 'scenarios:', '- label: mine']
    """
    return yaml.safe_dump({MARK: VERSION, "scenarios": [
        {"label": e.label, "source": e.source, "origin": e.origin,
         "overrides": list(e.overrides), "scenario": e.scenario.model_dump(mode="json")}
        for e in entries]}, sort_keys=False, allow_unicode=True)


def is_set(data: Any) -> bool:
    return isinstance(data, dict) and MARK in data


def read(raw: bytes, name: str, library: Library) -> list[Entry]:
    """The entries of an uploaded scenario set, labelled so none clashes with ``library``.

    Raises :class:`ScenarioError` (one line per problem, naming the entry) for a file that
    is not a scenario set, or whose scenarios do not validate.
    """
    data = parse_yaml(raw, name)
    if not is_set(data) or data.get(MARK) != VERSION or not isinstance(
            data.get("scenarios"), list):
        raise ScenarioError([f"{name}: not a scenario set (expected '{MARK}: {VERSION}' and a "
                             "list 'scenarios'); download one from the Library page"])
    entries, problems, taken = [], [], set(library.entries)
    for k, item in enumerate(data["scenarios"]):
        where = f"{name}: scenarios[{k}]"
        if not isinstance(item, dict) or not isinstance(item.get("scenario"), dict):
            problems.append(f"{where}: expected a mapping with a 'scenario'")
            continue
        wanted = str(item.get("label") or item["scenario"].get("name") or f"scenario {k}")
        try:
            spec = validate(item["scenario"], f"{where} ({wanted})")
        except ScenarioError as exc:
            problems += exc.problems
            continue
        label, n = wanted, 1
        while label in taken:
            n += 1
            label = f"{wanted} ({n})"
        taken.add(label)
        source = item.get("source") if item.get("source") in ("uploaded", "variant") else "uploaded"
        entries.append(Entry(label, str(source), str(item.get("origin") or name), spec,
                             tuple(str(o) for o in item.get("overrides") or ())))
    if problems:
        raise ScenarioError(problems)
    return entries
