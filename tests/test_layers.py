"""The layout of ``sim/`` stays true: imports only go down the layers, and no module imports
itself back through others.

``sim/`` is in five layers, lowest first (docs/architecture.md)::

    scenario < engine < analysis < experiments < faces

A module may import its own layer and the layers below, never one above: the engine never
reads a table, the analysis never runs an experiment, nothing below the faces prints or
plots. Every import counts, wherever it stands: at the top of a module, inside a function,
or under ``if TYPE_CHECKING:`` (a type-only import still says which way a module leans).
The package root ``sim`` is the public facade (``sim.load``, ``sim.run``... imported on first
use); other modules may take only ``__version__`` from it.

The modules and their imports are read with :mod:`ast`, nothing is imported. Each import is
an edge from the importing module to the module it names (``from sim.x import y`` names the
module ``sim.x.y`` when there is one, else ``sim.x``); a cycle is a path of such edges that
comes back to where it started, found by a depth-first search over the whole graph.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYERS = ("scenario", "engine", "analysis", "experiments", "faces")
ROOT_NAMES = {"__version__"}  # what a module may import from the facade ``sim``
MAX_LINES = 300

Edge = tuple[str, str, int]  # importing module, imported module, line


def module_names(root: Path) -> dict[str, Path]:
    """Dotted name of every module of the package at ``root`` (``__init__`` as its package)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    """The module a relative ``from . import`` names (``sim`` uses none, but it may one day)."""
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports(module: str, path: Path, known: set[str]) -> Iterator[tuple[str, int, list[str]]]:
    """(imported module of the package, line, names taken) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    top = module.split(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == top:
                    yield alias.name, node.lineno, []
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node, path.name == "__init__.py")
            if base.split(".")[0] != top:
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in known:
                    yield full, node.lineno, []
                else:
                    yield base, node.lineno, [alias.name]


def layer(module: str) -> int | None:
    """Index of ``module``'s layer in :data:`LAYERS`; None for the facade (the root)."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 else None


def check(root: Path) -> tuple[list[str], list[list[str]], dict[str, set[str]]]:
    """Upward imports and cycles of the package at ``root``, and its import graph."""
    names = module_names(root)
    known = set(names)
    problems, graph = [], {m: set() for m in names}
    for module, path in names.items():
        here = layer(module)
        for target, line, taken in imports(module, path, known):
            if target not in known:
                problems.append(f"{path.relative_to(root.parent)}:{line}: imports {target}, "
                                "which is not a module of the package")
                continue
            if target != module:
                graph[module].add(target)
            where = f"{path.relative_to(root.parent)}:{line}: {module}"
            if here is None:
                continue  # the facade may import anything (lazily)
            there = layer(target)
            if there is None:
                if set(taken) - ROOT_NAMES:
                    problems.append(f"{where} takes {sorted(set(taken) - ROOT_NAMES)} from the "
                                    f"facade {target}; import them from their own modules")
            elif there > here:
                problems.append(f"{where} ({LAYERS[here]}) imports {target} "
                                f"({LAYERS[there]}, a higher layer)")
    return problems, cycles(graph), graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per back edge met by a depth-first search, as the path that closes it."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


# --- the real package ----------------------------------------------------------------------


def test_every_module_sits_in_a_layer() -> None:
    stray = [m for m in module_names(REPO / "sim") if m != "sim" and m.split(".")[1] not in LAYERS]
    assert stray == [], f"modules outside the layers {LAYERS}: {stray}"


def test_imports_only_go_down_the_layers() -> None:
    problems, _, _ = check(REPO / "sim")
    assert problems == [], "\n".join(problems)


def test_no_import_cycle() -> None:
    _, found, _ = check(REPO / "sim")
    assert found == [], "\n".join(" -> ".join(c) for c in found)


def test_modules_stay_small() -> None:
    big = {str(p.relative_to(REPO)): n for p in (REPO / "sim").rglob("*.py")
           if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert big == {}, f"split these by concept (house style: about {MAX_LINES} lines): {big}"


def test_the_graph_is_read_whole() -> None:
    """A check that finds nothing must have looked: the graph has the edges we know of."""
    _, _, graph = check(REPO / "sim")
    assert "sim.scenario.schema" in graph["sim.engine.model"] or "sim.scenario" in graph[
        "sim.engine.model"]
    assert "sim.engine.booking.interface" in graph["sim.engine.bots"]  # a TYPE_CHECKING import
    assert "sim.engine.booking.interface" in graph["sim.engine.booking.base"]


# --- the checker itself: it must fail on a bad layout --------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "sim"
    for name, text in {"__init__.py": "", "scenario/__init__.py": "", "engine/__init__.py": "",
                       "analysis/__init__.py": "", **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_an_upward_import_is_found_even_inside_a_function(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "scenario/schema.py": "def f():\n    from sim.engine.model import run\n",
        "engine/model.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                           "    from sim.analysis import kpis\n",
        "analysis/kpis.py": "from sim.engine import model\nfrom sim import run\n",
    })
    problems, _, _ = check(root)
    assert len(problems) == 3, problems
    assert "sim.scenario.schema (scenario) imports sim.engine.model (engine" in problems[2]
    assert "sim.engine.model (engine) imports sim.analysis.kpis (analysis" in problems[1]
    assert "takes ['run'] from the facade sim" in problems[0]


def test_a_cycle_is_found(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "engine/a.py": "from sim.engine.b import x\n",
        "engine/b.py": "import sim.engine.c\n",
        "engine/c.py": "def f():\n    from sim.engine import a\n",
    })
    problems, found, _ = check(root)
    assert problems == []
    assert found == [["sim.engine.a", "sim.engine.b", "sim.engine.c", "sim.engine.a"]]
