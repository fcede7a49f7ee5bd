"""References in scenario files: where each number comes from, checked against ``data/``.

Scenario files tie their numbers to figure keys in comments::

    annual_volume: 18      # [vdm_protection_order_titles@2021]
    months: 6              # [= op_max_duration@2014]

``[key@year]`` says where a number comes from; ``[= key@year]`` also asserts that the number
on that line equals the figure (within 1 %, for rounding). :func:`check_references` reports an
unknown key or a wrong value as one line naming the file and line.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import NamedTuple

from sim.experiments.data.figures import figure
from sim.experiments.data.sources import DataError

_REF = re.compile(r"\[(=)?\s*([a-z][a-z0-9_]*)@(\d{4})\s*\]")
_NUMBER = re.compile(r":\s*(-?[0-9][0-9_.eE+-]*)\s*(?:#|$)")


class Reference(NamedTuple):
    line: int
    key: str
    year: int
    exact: bool
    number: float | None  # the number on that line, if any


def references(path: str | Path) -> list[Reference]:
    """The ``[key@year]`` and ``[= key@year]`` references in a file's comments."""
    found = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if "#" not in line:
            continue
        comment = line[line.index("#"):]
        number = _NUMBER.search(line)
        for m in _REF.finditer(comment):
            num = float(number.group(1).replace("_", "")) if number else None
            found.append(Reference(n, m.group(2), int(m.group(3)), bool(m.group(1)), num))
    return found


def check_references(path: str | Path) -> list[str]:
    """One line per unknown data key or per number that differs from the figure it cites."""
    problems = []
    for ref in references(path):
        try:
            fig = figure(ref.key, ref.year)
        except DataError as exc:
            problems += [f"{path}:{ref.line}: {p}" for p in exc.problems]
            continue
        if ref.exact:
            ok = isinstance(fig.value, float) and ref.number is not None and math.isclose(
                ref.number, fig.value, rel_tol=0.01)
            if not ok:
                problems.append(f"{path}:{ref.line}: value {ref.number} does not match "
                                f"{ref.key}@{ref.year} = {fig.value}")
    return problems
