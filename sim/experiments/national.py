"""The national picture: every département's prefecture as its own queue, run in parallel.

Applicants file where they live: each prefecture has its own counters, its own calendar of
slots and its own race, so France is a set of independent queues, not one big one. A national
file (``scenarios/national.yaml``) names a *template* prefecture (a scenario file describing
one département, the ``reference``) and derives every other one by scaling the template's
demand, staff and bots by the ratio of demand weights
(:func:`sim.experiments.data.departements.departement_weights`)::

    name: national-2021
    base: val-de-marne-2021.yaml   # the template, relative to this file
    reference: "94"                # the département the template describes
    scale: 1.0                     # multiplies every prefecture (0.05 for a quick run)
    bots: national                 # or per_prefecture
    departements: all              # or a list of codes
    overrides:                     # dotted overrides for some départements
      "93": ["staff.front_office_etp=30"]

Bots. The booking module is national (one "module national de prise de rendez-vous", whose
CAPTCHA came in May 2019 for every prefecture), the ministry counts malicious requests
nationally (170 million from June 2020), and an operator's request budget (servers, CAPTCHA
solving, e-mail identities) is finite: it spends it where slots sell, and slots sell where
applicants are. ``bots: national`` therefore splits one national budget between prefectures
in proportion to demand (the template's operators scaled like its demand); their national sum
is the template's rate divided by its weight. Each prefecture still runs alone, so an operator
cannot move its budget to another prefecture during a run: the split is static.
``bots: per_prefecture`` instead gives every prefecture the template's operators unchanged,
as if each prefecture had its own resellers of Val-de-Marne's size: an upper bound.

Aggregation over départements, per replication (then means and Student-t intervals over
replications): counts and money (``arrivals``, ``served``, lapses, expiries, revenue, cost,
requests per day) are summed; waits' percentiles are recomputed on the pooled applicants
(Kaplan-Meier); means of waits and delays are weighted by ``served``; shares and the other
means are weighted by ``arrivals``. Sums are divided by ``scale`` so that they read as
national totals.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from sim.analysis.metrics import km_quantile, summarise
from sim.experiments.data import departements
from sim.experiments.executors import make_executor
from sim.experiments.experiment import run
from sim.scenario import Scenario
from sim.scenario.countermeasures import scale_volume
from sim.scenario.errors import ScenarioError
from sim.scenario.files import deep_merge, parse_yaml
from sim.scenario.frozen import Frozen
from sim.scenario.loader import load, override_layer, validate

SUMS = ("arrivals", "served", "still_waiting_end", "reseller_revenue_eur",
        "malicious_requests_per_day", "blocked_requests_per_day", "renewal_lapses",
        "undocumented_person_days", "protection_orders_expired", "deadlines_missed",
        "staff_cost_eur", "court_cases_per_year", "court_cost_eur")
SERVED_WEIGHTED = ("wait_days_mean", "time_to_title_days_mean", "instruction_days_mean")
POOLED = ("wait_days_p50", "wait_days_p90")
# Local public holidays: Alsace-Moselle and the overseas départements (holidays library codes)
SUBDIVISIONS = {"57": "57", "67": "6AE", "68": "6AE", "971": "971", "972": "972",
                "973": "973", "974": "974", "976": "976"}


class NationalSpec(Frozen):
    """A national file: a template prefecture and how to derive the others from it."""

    name: str = Field("national", description="Short name used in outputs.")
    description: str = Field("", description="Free text.")
    base: str = Field(description="Template scenario file, relative to the national file.")
    reference: str = Field(description="Département code the template describes.")
    scale: float = Field(1.0, gt=0, le=10, description="Multiplies demand, staff and bots.")
    bots: Literal["national", "per_prefecture"] = Field(
        "national", description="Split one national bot budget by demand, or give each "
        "prefecture the template's operators.")
    departements: Literal["all"] | list[str] = Field(
        "all", description="Départements to simulate: all, or a list of codes.")
    overrides: dict[str, list[str]] = Field(
        default_factory=dict, description="Dotted overrides per département code.")


class National(NamedTuple):
    """A validated national file: its spec and one scenario per département."""

    spec: NationalSpec
    scenarios: dict[str, Scenario]


def read_national(path: str | Path, scale: float | None = None,
                  days: int | None = None) -> National:
    """Read and validate a national file; every problem is a one-line ScenarioError."""
    path = Path(path)
    shown = path.name
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read ({exc.strerror or exc})"]) from None
    raw = parse_yaml(text, shown)
    if scale is not None:
        raw["scale"] = scale
    try:
        spec = NationalSpec.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError([f"{shown}: {'.'.join(map(str, e['loc'])) or '(top level)'}: "
                             f"{e['msg']}" for e in exc.errors()]) from None
    codes = _codes(spec, shown)
    template = load(path.parent / spec.base, [f"horizon.days={days}"] if days else [])
    w_ref = departements.weight(spec.reference)
    scenarios = {}
    for code in codes:
        factor = spec.scale * departements.weight(code) / w_ref
        scenarios[code] = departement_scenario(template, code, factor, spec.bots == "national",
                                               spec.scale, spec.overrides.get(code, []), shown)
    return National(spec, scenarios)


def _codes(spec: NationalSpec, shown: str) -> list[str]:
    """The départements to simulate; unknown codes are one-line problems."""
    listed = [] if spec.departements == "all" else spec.departements
    checks = [("reference", spec.reference)]
    checks += [(f"departements.{c}", c) for c in listed]
    checks += [(f"overrides.{c}", c) for c in spec.overrides]
    problems = [f"{shown}: {where}: unknown département (known: {departements.KNOWN_CODES})"
                for where, code in checks if not departements.is_known(code)]
    if problems:
        raise ScenarioError(problems)
    every = departements.departements()["code"].tolist()
    chosen = every if spec.departements == "all" else [
        departements.normalise_code(c) for c in listed]
    return list(dict.fromkeys(chosen))


def scale_dict(scenario: Mapping[str, Any], factor: float, bots: bool = True) -> dict[str, Any]:
    """A scenario mapping whose demand, staff (and bots) are multiplied by ``factor``.

    Fixed desk counters and bot identities are rounded, never below 1.
    """
    out = copy.deepcopy(dict(scenario))
    for proc in out["procedures"].values():
        proc["annual_volume"] *= factor
    staff = out["staff"]
    staff["front_office_etp"] *= factor
    staff["back_office_etp"] *= factor
    for item in (*staff.get("reinforcements", ()), *staff.get("seasonal", ())):
        item["etp"] *= factor
    for channel in out["channels"].values():
        if channel.get("counters") is not None:
            channel["counters"] = max(1, round(channel["counters"] * factor))
    if bots:
        _scale_bots(out, factor)
    return out


def _scale_bots(scenario: dict[str, Any], factor: float) -> None:
    for name, op in scenario.get("bots", {}).items():
        op = scenario["bots"][name] = scale_volume(op, factor)
        op["identities"] = max(1, round(op["identities"] * factor))


def scale_scenario(scenario: Scenario, factor: float, bots: bool = True) -> Scenario:
    """``scenario`` scaled by ``factor`` (see :func:`scale_dict`), through the loader's door."""
    if factor == 1.0:
        return scenario
    return validate(scale_dict(scenario.model_dump(mode="json"), factor, bots), scenario.name)


def departement_scenario(template: Scenario, code: str, factor: float, national_bots: bool,
                         scale: float, overrides: list[str], shown: str) -> Scenario:
    """The prefecture of ``code``: the template scaled, renamed, with its local holidays."""
    scaled = scale_dict(template.model_dump(mode="json"), factor, bots=False)
    _scale_bots(scaled, factor if national_bots else scale)
    scaled["name"] = f"{template.name}-{code}"
    scaled["calendar"]["subdivision"] = SUBDIVISIONS.get(code)
    source = f"{shown}: overrides.{code}"
    layer = override_layer(scaled, overrides, source) if overrides else {}
    return validate(deep_merge(scaled, layer), f"{shown}: {code}")


# --- running -------------------------------------------------------------------------------


class Waits(NamedTuple):
    wait: np.ndarray  # float32 days
    seen: np.ndarray  # bool: appointment date came (not censored)
    procedure: np.ndarray  # procedure names (object)


def run_departement(code: str, scenario: Scenario, seed: int,
                    replications: int) -> tuple[str, pd.DataFrame, list[Waits]]:
    """All replications of one prefecture: KPI rows and the waits for pooled percentiles."""
    rows, waits = [], []
    for r in range(replications):
        result = run(scenario, seed, r)
        rows.append(result.kpis)
        a = result.applicants[result.applicants["after_warmup"]]
        waits.append(Waits(a["wait_days"].to_numpy(np.float32),
                           (~a["censored"]).to_numpy(), a["procedure"].astype(str).to_numpy()))
    kpis = pd.concat(rows, ignore_index=True)
    kpis.insert(0, "departement", code)
    return code, kpis, waits


def departement_seed(seed: int, code: str) -> int:
    """Independent streams per prefecture, the same for every national scenario (CRN)."""
    return seed * 1000 + departements.departements()["code"].tolist().index(code)


class NationalResult(NamedTuple):
    national: pd.DataFrame  # kpi, procedure, mean, ci_low, ci_high, n, method
    replications: pd.DataFrame  # kpi, procedure, replication, value
    departements: pd.DataFrame  # one row per département and kpi (procedure all): mean
    failures: list[str]


def simulate_national(nat: National, seed: int = 1, replications: int = 2,
                      workers: int | None = None,
                      progress: Callable[[int, int], None] | None = None) -> NationalResult:
    """Run every département (in parallel) and aggregate nationally."""
    tasks = [(code, sc, departement_seed(seed, code), replications)
             for code, sc in nat.scenarios.items()]
    frames, waits, failures = [], {}, []
    with make_executor(workers) as pool:
        for done, outcome in enumerate(pool.imap(run_departement, tasks), 1):
            code = tasks[outcome.task][0]
            if outcome.error:
                failures.append(f"département {code}: {outcome.error}")
            else:
                frames.append(outcome.value[1])
                waits[code] = outcome.value[2]
            if progress is not None:
                progress(done, len(tasks))
    if not frames:
        raise ScenarioError(failures or ["no département simulated"])
    kpis = pd.concat(frames, ignore_index=True)
    reps = aggregate(kpis, waits, nat.spec.scale, replications)
    table = summarise(reps)
    table["method"] = table["kpi"].map(method_of)
    per_dep = (kpis[kpis["procedure"] == "all"].groupby(["departement", "kpi"], sort=False)
               ["value"].mean().reset_index())
    return NationalResult(table, reps, per_dep, failures)


def method_of(kpi: str) -> str:
    """How a KPI is aggregated over départements."""
    if kpi in SUMS:
        return "sum / scale"
    if kpi in POOLED:
        return "pooled Kaplan-Meier"
    if kpi in SERVED_WEIGHTED:
        return "served-weighted mean"
    return "arrival-weighted mean"


def aggregate(kpis: pd.DataFrame, waits: Mapping[str, list[Waits]], scale: float,
              replications: int) -> pd.DataFrame:
    """National value of every (kpi, procedure) in every replication."""
    rows = []
    wide = kpis.pivot_table(index=["replication", "procedure", "departement"], columns="kpi",
                            values="value", aggfunc="first")
    for (rep, proc), group in wide.groupby(level=[0, 1], sort=False):
        arrivals = group.get("arrivals", pd.Series(0.0, index=group.index)).fillna(0.0)
        served = group.get("served", pd.Series(0.0, index=group.index)).fillna(0.0)
        for kpi in group.columns:
            if kpi in POOLED:
                continue
            v = group[kpi]
            if kpi in SUMS:
                value = float(v.sum(skipna=True)) / scale
            else:
                w = served if kpi in SERVED_WEIGHTED else arrivals
                ok = v.notna() & (w > 0)
                value = float(np.average(v[ok], weights=w[ok])) if ok.any() else np.nan
            rows.append((kpi, proc, rep, value))
        rows += _pooled(waits, int(rep), str(proc))
    out = pd.DataFrame(rows, columns=["kpi", "procedure", "replication", "value"])
    return out.sort_values(["kpi", "procedure", "replication"], kind="stable")


def _pooled(waits: Mapping[str, list[Waits]], rep: int, proc: str) -> list[tuple]:
    parts = [w[rep] for w in waits.values() if rep < len(w)]
    if not parts:
        return []
    wait = np.concatenate([p.wait for p in parts]).astype(float)
    seen = np.concatenate([p.seen for p in parts])
    if proc != "all":
        mine = np.concatenate([p.procedure for p in parts]) == proc
        wait, seen = wait[mine], seen[mine]
    if wait.size == 0:
        return [(k, proc, rep, np.nan) for k in POOLED]
    return [("wait_days_p50", proc, rep, km_quantile(wait, seen, 0.5)),
            ("wait_days_p90", proc, rep, km_quantile(wait, seen, 0.9))]
