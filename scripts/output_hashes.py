"""Hash the tables of one replication of every bundled scenario, to compare two trees.

Run it in each tree (a commit checked out with ``git worktree add``) and compare the
outputs: a change that means to alter no behaviour (a restructuring, a speed-up) must leave
every hash as it was. Each hash covers the applicants, daily and KPI tables of replication 0
of the seed (values, index and column names). National files are skipped (they are not
scenarios). Usage, from the tree's root::

    python scripts/output_hashes.py [--seed 1] > hashes.txt
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import os
import sys

import pandas as pd

sys.path.insert(0, os.getcwd())  # this tree's sim, not an installed one

try:  # today's layout, or the flat one before the layers
    from sim.experiments.experiment import run
    from sim.scenario.loader import load
except ImportError:  # pragma: no cover - older trees
    from sim.experiment import run  # type: ignore[no-redef]
    from sim.loader import load  # type: ignore[no-redef]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for path in sorted(glob.glob("scenarios/*.yaml") + glob.glob("scenarios/what-ifs/*.yaml")):
        if "national" in os.path.basename(path):
            continue
        result = run(load(path), args.seed, 0)
        digest = hashlib.sha256()
        for table in (result.applicants, result.daily, result.kpis):
            digest.update(pd.util.hash_pandas_object(table, index=True).to_numpy().tobytes())
            digest.update(",".join(map(str, table.columns)).encode())
        print(path, digest.hexdigest()[:16], flush=True)


if __name__ == "__main__":
    main()
