"""CPU time of one Val-de-Marne replication in two source trees, per applicant, interleaved.

For a before/after comparison across commits whose scenarios differ (a later tree may
simulate a burn-in and a follow-up): each tree runs its own
``scenarios/val-de-marne-2021.yaml`` in a fresh process (a warm-up replication, then one
timed), the trees alternating in order from repeat to repeat; medians of ``simulate`` and
of ``run`` (simulation and tables), and the cost per applicant of the measured cohort.
Usage (check the older commit out with ``git worktree add /tmp/old <commit>``)::

    .venv/bin/python benchmarks/bench_trees.py /tmp/old . [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

CHILD = r"""
import json, os, sys, time
sys.path.insert(0, os.getcwd())
try:
    from sim.engine.model import simulate
    from sim.experiments.experiment import run
    from sim.scenario.loader import load
except ImportError:  # the flat layout before the layers
    from sim.experiment import run
    from sim.loader import load
    from sim.model import simulate
spec = load("scenarios/val-de-marne-2021.yaml")
run(spec, 1, 0)
t = time.process_time(); simulate(spec, 1, 1); s = time.process_time() - t
t = time.process_time(); r = run(spec, 1, 1); w = time.process_time() - t
print(json.dumps({"simulate": s, "run": w, "applicants": len(r.applicants)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs=2, help="two source trees (older first)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows: dict[str, list[dict[str, float]]] = {tree: [] for tree in args.trees}
    for k in range(args.repeats):
        for tree in args.trees if k % 2 == 0 else reversed(args.trees):
            done = subprocess.run([sys.executable, "-c", CHILD], cwd=tree, check=True,
                                  capture_output=True, text=True)
            rows[tree].append(json.loads(done.stdout.splitlines()[-1]))
    for tree, got in rows.items():
        n = got[0]["applicants"]
        sim = statistics.median(r["simulate"] for r in got)
        whole = statistics.median(r["run"] for r in got)
        print(f"{tree}: {n:,.0f} applicants measured; simulate {sim:.2f} s "
              f"({1e6 * sim / n:.1f} us each), run {whole:.2f} s ({1e6 * whole / n:.1f} us each)")


if __name__ == "__main__":
    main()
