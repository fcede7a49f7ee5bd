"""What the dashboard remembers and guards: the scenario library, run limits, cached runs.

A manager opens the page, picks scenarios from a library (the files shipped in
``scenarios/``, files they upload, variants they built in the editor), and compares up to four
of them. Everything here goes through the ``sim`` API: files are read by
:func:`sim.scenario.files.read_layers` / :func:`sim.scenario.files.parse_yaml` and become
scenarios only through :func:`sim.scenario.loader.validate`; runs are
:func:`sim.experiments.compare.compare`. Nothing is simulated here.

The server is shared, so one visitor must not be able to hang it: the limits of a request
(:mod:`limits`, re-exported here) say why it is refused *before* anything runs. Runs are
cached by the resolved scenarios' YAML text, labels, seed and replications
(:func:`run_comparison`), so a second visitor asking for the same comparison gets it at once.

Only the functions whose name says so touch Streamlit; the rest are plain and unit-tested.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st
from limits import (  # noqa: F401 - re-exported: the pages ask state for the limits
    LIMITS,
    MAX_SCENARIOS,
    Limits,
    check_limits,
    expected_applicants,
)

from sim.experiments.compare import Comparison, compare
from sim.scenario import Scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.files import dump_yaml, merge_layers, parse_yaml, read_layers
from sim.scenario.loader import validate

REPO = Path(__file__).resolve().parents[1]
SCENARIO_DIR = REPO / "scenarios"
MAX_UPLOADS = 20
QUICK_REPLICATIONS = 2


# --- the library ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One scenario of the library: its label, where it came from, and the scenario."""

    label: str
    source: str  # "bundled", "uploaded" or "variant"
    origin: str  # file path, uploaded file name, or "<base> + overrides"
    scenario: Scenario
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Broken:
    """A bundled file that does not load, and why (shown as a note, never an exception)."""

    path: str
    problems: tuple[str, ...]


@dataclass
class Library:
    """Bundled entries (shared) and this visitor's uploads and variants, by label."""

    entries: dict[str, Entry] = field(default_factory=dict)
    broken: list[Broken] = field(default_factory=list)

    def labels(self) -> list[str]:
        return list(self.entries)

    def free_label(self, wanted: str) -> str:
        """``wanted`` if unused, else ``wanted (2)``, ``wanted (3)``..."""
        label, k = wanted, 1
        while label in self.entries:
            k += 1
            label = f"{wanted} ({k})"
        return label


NOT_SCENARIOS = ("national.yaml",)  # a national run's plan (sim.experiments.national)


def scenario_files(root: Path = SCENARIO_DIR) -> list[Path]:
    """Every scenario ``*.yaml`` under ``root`` (``scenarios/**/*.yaml``), sorted, top level
    first; the national plan, another format, is left out."""
    return sorted((p for p in root.glob("**/*.yaml") if p.name not in NOT_SCENARIOS),
                  key=lambda p: (len(p.relative_to(root).parts), str(p.with_suffix(""))))


def _signature(paths: Sequence[Path]) -> tuple[tuple[str, int], ...]:
    out = []
    for p in paths:
        try:
            out.append((str(p), p.stat().st_mtime_ns))
        except OSError:
            out.append((str(p), -1))
    return tuple(out)


@st.cache_resource(show_spinner=False, max_entries=4)
def _bundled(signature: tuple[tuple[str, int], ...]) -> tuple[list[Entry], list[Broken]]:
    """Load every bundled file once per change of the files (scenarios are immutable)."""
    entries, broken, used = [], [], set()
    for path_text, _ in signature:
        path = Path(path_text)
        shown = str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)
        try:
            layers = read_layers(path, REPO)  # bundled files extend within the repository
            spec = validate(merge_layers(layers), shown, layers)
        except ScenarioError as exc:
            root = f"{REPO}{os.sep}"  # messages name files relative to the repository
            broken.append(Broken(shown, tuple(p.replace(root, "") for p in exc.problems)))
            continue
        label = spec.name if spec.name not in used else f"{spec.name} ({shown})"
        used.add(label)
        entries.append(Entry(label, "bundled", shown, spec))
    return entries, broken


def bundled_library(root: Path = SCENARIO_DIR) -> tuple[list[Entry], list[Broken]]:
    """The bundled scenarios, reloaded when a file changes, appears or goes."""
    return _bundled(_signature(scenario_files(root)))


def session_library() -> Library:
    """The library of this visitor: the bundled scenarios, then their uploads and variants."""
    entries, broken = bundled_library()
    lib = Library({e.label: e for e in entries}, list(broken))
    for entry in st.session_state.setdefault("user_entries", []):
        lib.entries[entry.label] = entry
    return lib


def add_user_entry(entry: Entry) -> None:
    """Add an upload or a variant to this visitor's library (never a duplicate label)."""
    st.session_state.setdefault("user_entries", []).append(entry)


def remove_user_entry(label: str) -> None:
    st.session_state["user_entries"] = [
        e for e in st.session_state.setdefault("user_entries", []) if e.label != label]


def read_upload(raw: bytes, name: str, root: Path = SCENARIO_DIR) -> Scenario:
    """An uploaded scenario file, validated like a file given to the CLI.

    :func:`sim.scenario.files.parse_yaml` refuses files above its size cap, YAML bombs and Python
    tags. An upload may ``extends:`` a bundled scenario (``extends: demo.yaml``, relative to
    ``scenarios/``) but nothing else on the server's disk.
    """
    data = parse_yaml(raw, name)
    parent = data.pop("extends", None)
    if parent is None:
        return validate(data, name)
    target = (root / parent).resolve() if isinstance(parent, str) and parent.strip() else None
    allowed = {p.resolve() for p in scenario_files(root)}
    if target is None or target not in allowed:
        names = ", ".join(str(p.relative_to(root)) for p in scenario_files(root))
        raise ScenarioError([f"{name}: extends = {parent!r}: an uploaded file may only extend "
                             f"a bundled scenario (one of: {names})"])
    layers = [*read_layers(target, root), (name, data)]
    return validate(merge_layers(layers), name, layers)


# --- runs -----------------------------------------------------------------------------------


def run_key(yaml_texts: Sequence[str], labels: Sequence[str], seed: int,
            replications: int) -> str:
    """A short key naming one comparison (for widget keys and file names)."""
    h = hashlib.sha256("\x00".join([*yaml_texts, *labels, str(seed), str(replications)])
                       .encode("utf-8"))
    return h.hexdigest()[:12]


@st.cache_data(show_spinner=False, max_entries=8, ttl=6 * 3600)
def run_comparison(yaml_texts: tuple[str, ...], labels: tuple[str, ...], seed: int,
                   replications: int) -> Comparison:
    """:func:`sim.experiments.compare.compare` of the resolved scenarios, cached by their YAML text.

    Draws its own progress bar (inside the cached function, so that Streamlit can replay it
    when the result comes from the cache).
    """
    scenarios = [validate(parse_yaml(text, label), label)
                 for text, label in zip(yaml_texts, labels, strict=True)]
    planned = len(scenarios) * replications
    bar = st.progress(0.0, text=f"Running 0 of {planned} simulations...")

    def progress(done: int, total: int) -> None:
        bar.progress(min(1.0, done / max(total, 1)),
                     text=f"Running {done} of {total} simulations...")

    result = compare(scenarios, seed=seed, replications=replications, labels=list(labels),
                     progress=progress)
    bar.progress(1.0, text=f"Ran {planned} simulations ({len(scenarios)} scenario(s) x "
                           f"{replications} replication(s), seed {seed}).")
    return result


def resolved_yaml(scenario: Scenario) -> str:
    return dump_yaml(scenario)


def show_problems(problems: Sequence[str], intro: str | None = None) -> None:
    """One ``st.error`` listing every problem, one per line (never a traceback)."""
    lines = ([intro] if intro else []) + [f"- {p}" for p in problems]
    st.error("\n".join(lines))
