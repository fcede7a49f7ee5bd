"""Regenerate the comparison tables of docs/policies.md from the simulator.

Two tables, each the Val-de-Marne baseline against variants under common random numbers
(paired differences, Student-t 95 % intervals over the replications):

* countermeasures: each measure against bots alone (and the batch release, the lottery and
  the waitlist), on the baseline with its two operators;
* booking policies: the race, the waitlist with and without reminders, the lottery, and the
  channels for people without digital access shipped as what-ifs.

Each table is written between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` in the page,
with the command that made it. Usage::

    .venv/bin/python scripts/policy_tables.py [--replications 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sim.experiments.compare import paired_differences  # noqa: E402
from sim.experiments.experiment import run  # noqa: E402
from sim.scenario.loader import load  # noqa: E402

BASELINE = ROOT / "scenarios" / "val-de-marne-2021.yaml"
WHAT_IFS = ROOT / "scenarios" / "what-ifs"
PAGE = ROOT / "docs" / "policies.md"

COUNTERMEASURES = {
    "no CAPTCHA": ["countermeasures.captcha=false"],
    "filtering 90 %": ["countermeasures.filtered_share=0.9"],
    "one booking per e-mail": ["countermeasures.per_email_cap=1"],
    "AGDREF check, all procedures": [
        "countermeasures.agdref_procedures=[first_title, aes, duplicate, protection_order, "
        "renewal]"],
    "name-bound bookings": ["countermeasures.name_bound=true"],
    "prepayment 50 EUR": ["countermeasures.prepayment_eur=50"],
    "batch release (30 min)": ["channels.online.release.allocation=batch"],
    "lottery": ["channels.online.kind=lottery"],
    "anti-bot package (what-if)": WHAT_IFS / "anti-bot.yaml",
    "waitlist (what-if)": WHAT_IFS / "waitlist.yaml",
}
POLICIES = {
    "waitlist with reminders": WHAT_IFS / "waitlist.yaml",
    "waitlist without reminders": WHAT_IFS / "waitlist-no-reminders.yaml",
    "lottery": ["channels.online.kind=lottery"],
    "batch release": WHAT_IFS / "batch-release.yaml",
    "walk-in desk": WHAT_IFS / "desk.yaml",
    "phone line": WHAT_IFS / "phone.yaml",
    "assisted filing": WHAT_IFS / "assisted-filing.yaml",
}
COLUMNS = {  # KPI -> (column title, format)
    "bot_slot_share.channel.online": ("bots' share of race bookings", "{:+.1%}"),
    "paid_booking_share": ("bookings paid for", "{:+.1%}"),
    "wasted_slot_share": ("slots wasted", "{:+.1%}"),
    "served": ("deposits", "{:+,.0f}"),
    "wait_days_p90.paid.no": ("p90 wait of non-payers (days)", "{:+.1f}"),
    "wait_days_p50.access.non_digital": ("median wait without digital access (days)",
                                         "{:+.1f}"),
    "protection_orders_expired": ("protection orders expired", "{:+.1f}"),
}


def _scenario(spec: list[str] | Path):  # type: ignore[no-untyped-def]
    return load(spec) if isinstance(spec, Path) else load(BASELINE, spec)


def _one(args: tuple[str, list[str] | Path, int, int]) -> pd.DataFrame:
    label, spec, seed, r = args
    kpis = run(_scenario(spec), seed, r).kpis
    return kpis.assign(scenario=label)


def table(variants: dict[str, list[str] | Path], replications: int, seed: int,
          workers: int) -> str:
    """A markdown table: one row per variant, the paired difference of each KPI."""
    jobs = [(label, spec, seed, r) for label, spec in
            {"baseline": [], **{k: v for k, v in variants.items()
                                if not isinstance(v, Path) or v.exists()}}.items()
            for r in range(replications)]
    with ProcessPoolExecutor(workers) as pool:
        reps = pd.concat(pool.map(_one, jobs), ignore_index=True)
    diff = paired_differences(reps, "baseline")
    diff = diff[diff["procedure"].astype(str) == "all"].set_index(["scenario", "kpi"])
    base = reps[(reps["scenario"] == "baseline") & (reps["procedure"] == "all")]
    base = base.groupby("kpi")["value"].mean()
    head = "| variant | " + " | ".join(t for t, _ in COLUMNS.values()) + " |"
    lines = [head, "|---" * (len(COLUMNS) + 1) + "|"]
    lines.append("| baseline (level) | " + " | ".join(
        fmt.replace("+", "").format(base.get(k, float("nan")))
        for k, (_, fmt) in COLUMNS.items()) + " |")
    for label in variants:
        cells = []
        for k, (_, fmt) in COLUMNS.items():
            if (label, k) not in diff.index:
                cells.append("n/a")
                continue
            row = diff.loc[(label, k)]
            mark = "" if row["significant"] else " (ns)"
            cells.append(f"{fmt.format(row['difference'])}{mark}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write(page: Path, name: str, body: str, command: str) -> None:
    text = page.read_text(encoding="utf-8")
    block = (f"<!-- {name}:start -->\n_Generated by `{command}`; differences with the "
             f"baseline, paired over replications; (ns): the 95 % interval contains 0._\n\n"
             f"{body}\n<!-- {name}:end -->")
    pattern = re.compile(rf"<!-- {name}:start -->.*?<!-- {name}:end -->", re.S)
    if not pattern.search(text):
        raise SystemExit(f"{page}: no <!-- {name}:start --> ... end marker")
    page.write_text(pattern.sub(lambda _m: block, text), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", choices=["countermeasures", "policies"])
    args = parser.parse_args(argv)
    command = (f".venv/bin/python scripts/policy_tables.py --replications {args.replications} "
               f"--seed {args.seed}")
    for name, variants in (("countermeasures", COUNTERMEASURES), ("policies", POLICIES)):
        if args.only in (None, name):
            body = table(variants, args.replications, args.seed, args.workers)
            write(PAGE, name, body, command)
            print(f"{name}:\n{body}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
