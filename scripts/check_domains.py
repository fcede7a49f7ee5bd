"""Check that every mean and interval bound of comparison tables lies in its KPI's domain.

Each KPI's domain comes from the glossary (counts and days >= 0, shares in [0, 1]). Give it
the ``summary.csv`` of one or more ``prefsim compare`` folders; it prints each value outside
its domain and a count, and exits 1 if any. Usage::

    python scripts/check_domains.py out/compare-*/summary.csv
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.analysis import glossary  # noqa: E402


def main(paths: list[str]) -> int:
    checked = outside = 0
    for path in paths:
        for row in pd.read_csv(path).itertuples():
            term = glossary.term(str(row.kpi))
            if term is None:
                print(f"{path}: {row.kpi}: no glossary entry")
                outside += 1
                continue
            low, high, _ = glossary.DOMAINS[term.domain]
            for value in (row.mean, row.ci_low, row.ci_high):
                if np.isfinite(value):
                    checked += 1
                    if not low - 1e-12 <= value <= high + 1e-12:
                        outside += 1
                        print(f"{path}: {row.scenario} {row.kpi} {row.procedure}: {value} "
                              f"outside [{low}, {high}]")
    print(f"{checked:,} values checked, {outside} outside their domain")
    return 1 if outside else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
