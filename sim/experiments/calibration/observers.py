"""The calibration report's section on observers: the probe against La Cimade's readings.

The associations published what their robot read (five bins, offer shares), but never for
Val-de-Marne in 2021 in numbers: the readings compared here are of other prefectures or
other years, and one of the same département and year in words. :func:`probe_section`
sets the baseline's probe (months of the horizon and replications pooled by their readings)
beside each published reading and says where the place or the year differ. The court
counts are a calibration target of their own (:data:`~sim.experiments.calibration.targets.
PUBLISHED`, ``court_cases``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.experiments.data import figures
from sim.experiments.experiment import RunResult


def pooled_bins(probes: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Share of readings in each bin per procedure, months pooled by their readings, then
    averaged over replications: one row per procedure, one column per bin, in table order."""
    reps = []
    for table in probes:
        n = table.assign(n=table["readings"] * table["share"].fillna(0.0))
        counts = n.groupby(["procedure", "bin"], sort=False)["n"].sum().unstack("bin")
        reps.append(counts.div(counts.sum(axis=1), axis=0))
    bins = list(pd.unique(probes[0]["bin"]))
    procs = list(pd.unique(probes[0]["procedure"]))
    return (sum(reps) / len(reps)).reindex(index=procs, columns=bins)  # type: ignore[union-attr]


def january_no_date(probes: Sequence[pd.DataFrame], month: str) -> tuple[str, float]:
    """The procedure whose page showed no date most often in ``month``, and that share
    (mean over replications)."""
    shares = []
    for table in probes:
        rows = table[(table["month"] == month) & (table["bin"] == "no_date")
                     & (table["procedure"] != "all")]
        shares.append(rows.set_index("procedure")["share"])
    mean = pd.concat(shares, axis=1).mean(axis=1)
    return str(mean.idxmax()), float(mean.max())


def _pct(x: float) -> str:
    """A share as a percentage with two decimals (99.97 % must not read 100 %)."""
    return "n/a" if not math.isfinite(x) else f"{100 * x:.2f} %"


def probe_section(runs: Sequence[RunResult]) -> list[str]:
    """Markdown lines: the baseline's five bins and the published readings beside them."""
    probes = [r.probe for r in runs if r.probe is not None and len(r.probe)]
    if not probes:
        return []
    bins = pooled_bins(probes)
    first_month = str(probes[0]["month"].iloc[0])
    year = first_month[:4]
    lines = [
        "## What the associations' robot would have read", "",
        "The scenario's probe reads the race's booking page of each procedure as La Cimade's "
        "robot did (every hour, `cimade_robot_queries_per_day@2016`), books nothing, and sorts "
        "each reading in the robot's five bins (`cimade_robot_idf_no_date_share@2022`, note). "
        f"Shares of the readings of the horizon ({first_month} on), replications averaged:", "",
        "| procedure | " + " | ".join(f"`{b}`" for b in bins.columns) + " | found a date |",
        "|---|" + "---|" * (len(bins.columns) + 1),
    ]
    for proc, row in bins.iterrows():
        found = 1.0 - float(row.get("no_date", np.nan))
        lines.append(f"| {proc} | " + " | ".join(_pct(float(v)) for v in row) + f" | "
                     f"{_pct(found)} |")
    offer = 1.0 - float(bins.loc["all", "no_date"]) if "all" in bins.index else np.nan
    pages = bins.drop(index="all", errors="ignore")["no_date"].sort_values(ascending=False)
    hardest, name = float(pages.iloc[0]), str(pages.index[0])
    listed = ", ".join(f"{p} {_pct(float(x))}" for p, x in pages.items())
    worst_proc, worst = january_no_date(probes, f"{year}-01")
    v = figures.value
    lines += [
        "", "Published readings, beside the comparable simulated share:", "",
        "| reading | place, year | published | simulated (Val-de-Marne, "
        f"{year}) | where they differ |", "|---|---|---|---|---|",
        f"| booking modules with no slot | Val-de-Marne, 2021 | "
        f"\"{figures.figure('vdm_booking_modules_without_slot', 2021).value}\" "
        f"(`vdm_booking_modules_without_slot@2021`) | no date in: {listed} "
        "| same département and year; a lawyer's words, not a count |",
        f"| robot attempts with no date | Île-de-France, 2020-2022 | "
        f"{v('cimade_robot_idf_no_date_share', 2022):.0f} % "
        "(`cimade_robot_idf_no_date_share@2022`; Paris AES: "
        f"{v('pp_paris_aes_attempts_no_slot', 2022):,.0f} attempts, none) | "
        f"{_pct(hardest)} ({name}) | other prefectures of the region, mostly AES pages; "
        "a year later |",
        f"| attempts that found an offer | Évry (Essonne), 2017 | "
        f"{v('cimade_robot_offer_share_evry', 2017):.0f} in 100 "
        f"(`cimade_robot_offer_share_evry@2017`) | {_pct(offer)} of all pages' readings, "
        f"{_pct(1.0 - hardest)} on the {name} page | another prefecture of the region, four "
        "years earlier; the offers are on the pages few people seek |",
        f"| offers in three months | Clermont-Ferrand, 2017 | "
        f"{v('cimade_robot_offer_share_clermont', 2017):.0f} "
        f"(`cimade_robot_offer_share_clermont@2017`) | {_pct(1.0 - hardest)} of the {name} "
        "page's readings | a smaller prefecture outside the region, four years earlier |",
        f"| prefectures with no date for at least one procedure | France, January 2021 | more "
        f"than {v('cimade_prefectures_without_date_share', 2021):.0f} % "
        f"(`cimade_prefectures_without_date_share@2021`) | in January {year} the "
        f"{worst_proc} page showed no date in {_pct(worst)} of readings: Val-de-Marne would "
        f"be {'among them' if worst > 0.95 else 'counted only at some readings'} | a share "
        "of prefectures, against one prefecture's readings |",
        "",
        "Pages of procedures nobody seeks in the race any more (duplicates after their move "
        "to ANEF in September 2021) or seldom (protection orders) show dates: their slots "
        "stay free, the allocation of counter time between procedures being fixed. The "
        "simulated shares are expected shares; the robot's were counts of about 720 readings "
        "a month per page, within a point or two of their expectation.", "",
    ]
    return lines
