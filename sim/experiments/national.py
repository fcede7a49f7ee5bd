"""The national picture: every département's prefecture as its own queue, run in parallel.

Applicants file where they live: each prefecture has its own counters, its own calendar of
slots and its own race, so France is a set of independent queues, not one big one. A national
file (``scenarios/national.yaml``) names a *template* prefecture (a scenario file describing
one département, the ``reference``) and builds every prefecture from it and its own data
(:mod:`sim.experiments.prefecture`, :mod:`sim.experiments.data.prefectures`)::

    name: national-2021
    base: val-de-marne-2021.yaml   # the template, relative to this file
    reference: "94"                # the département the template describes
    scale: 1.0                     # multiplies every prefecture (0.05 for a quick run)
    demand: immigrants             # or population: each prefecture's share of demand
    staff: population              # or demand: the rule that shares the staff
    policies: documented           # or template: the booking policy of each prefecture
    bots: targeted                 # or national, per_prefecture
    departements: all              # or a list of codes
    overrides:                     # dotted overrides for some départements
      "93": ["staff.front_office_etp=30"]

The template was derived from national figures times its population weight (4.56 % for
Val-de-Marne), so a prefecture with demand weight ``w`` gets the template's demand times
``w / 0.0456``, and likewise its staff and bots with their own weights: national totals are
kept whatever the rule.

Bots. The booking module is national (one "module national de prise de rendez-vous", whose
CAPTCHA came in May 2019 for every prefecture), the ministry counts malicious requests
nationally (170 million from June 2020), and an operator's request budget (servers, CAPTCHA
solving, e-mail identities) is finite: it spends it where slots sell. ``bots: targeted``
splits one national budget in proportion to demand times each group's pressure
(Île-de-France, Lyon and Marseille, the rest: one alert service's polling intervals);
``bots: national`` in proportion to demand alone. Each prefecture still runs alone, so an
operator cannot move its budget during a run: the split is static. ``bots: per_prefecture``
gives every prefecture the template's operators unchanged: an upper bound.

Each prefecture runs alone with its own seed; :mod:`sim.experiments.national_tables`
aggregates them nationally (sums, pooled Kaplan-Meier percentiles, weighted means) and gives
one row per prefecture (:func:`~sim.experiments.national_tables.departement_table`): its
inputs, waits, renewal lapses and protection orders expired. The départements run on any
executor (a local pool, a Dask cluster) with the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError

from sim.analysis.metrics import summarise
from sim.experiments.data import departements, prefectures
from sim.experiments.data.prefectures import procedures
from sim.experiments.executors import Executor, make_executor
from sim.experiments.experiment import run
from sim.experiments.national_tables import Waits, aggregate, departement_table, method_of
from sim.experiments.prefecture import Factors, departement_scenario
from sim.scenario import Scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.files import parse_yaml
from sim.scenario.frozen import Frozen
from sim.scenario.loader import load


class NationalSpec(Frozen):
    """A national file: a template prefecture and how to derive the others from it."""

    name: str = Field("national", description="Short name used in outputs.")
    description: str = Field("", description="Free text.")
    base: str = Field(description="Template scenario file, relative to the national file.")
    reference: str = Field(description="Département code the template describes.")
    scale: float = Field(1.0, gt=0, le=10, description="Multiplies demand, staff and bots.")
    demand: Literal["immigrants", "population"] = Field(
        "immigrants", description="Each prefecture's share of demand: its share of the "
        "immigrants of France, or the population weights.")
    staff: Literal["population", "demand"] = Field(
        "population", description="Staff shared by population (as it historically was), or "
        "in proportion to demand (a what-if: every prefecture as loaded as the template).")
    renewals: Literal["protected", "shared"] = Field(
        "protected", description="Counter time of the renewal convocations: `protected` "
        "keeps at least the template's counter time per renewal (up to 0.9 of the counters; "
        "first requests take the shortage), `shared` the template's share of the counters "
        "(above the template's load the convocations fall behind and renewals lapse).")
    policies: Literal["documented", "template"] = Field(
        "documented", description="Each prefecture's documented booking policy, or the "
        "template's everywhere.")
    bots: Literal["targeted", "national", "per_prefecture"] = Field(
        "targeted", description="Split one national bot budget by demand times each group's "
        "pressure, by demand alone, or give each prefecture the template's operators.")
    departements: Literal["all"] | list[str] = Field(
        "all", description="Départements to simulate: all, or a list of codes.")
    overrides: dict[str, list[str]] = Field(
        default_factory=dict, description="Dotted overrides per département code.")


class National(NamedTuple):
    """A validated national file: its spec, one scenario per département, and the inputs
    each was built from (one row per département, :func:`inputs_table`)."""

    spec: NationalSpec
    scenarios: dict[str, Scenario]
    inputs: pd.DataFrame


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
    inputs = inputs_table(spec).loc[codes]
    scenarios = {}
    for code, row in inputs.iterrows():
        factors = Factors(row["demand_factor"], row["staff_factor"], row["bot_factor"])
        scenarios[code] = departement_scenario(
            template, code, factors, procedures(row["to_convocation"]),
            procedures(row["to_race"]), spec.overrides.get(code, []),
            describe(template.name, row, spec), shown, spec.renewals == "protected")
    return National(spec, scenarios, inputs.reset_index())


def inputs_table(spec: NationalSpec) -> pd.DataFrame:
    """Every prefecture's weights and policy under ``spec``'s rules, and its factors over the
    template (scale included), indexed by département code."""
    table = prefectures.prefecture_inputs().set_index("code")
    template = departements.weight(spec.reference)  # what the template's numbers were made with
    demand = table["demand_weight" if spec.demand == "immigrants" else "population_weight"]
    staff = table["staff_weight"] if spec.staff == "population" else demand
    bots = (prefectures.bot_weights(demand, table["bot_pressure"]) if spec.bots == "targeted"
            else demand)
    out = table[["name", "bot_group", "policy", "to_convocation", "to_race", "policy_source",
                 "demand_source"]].copy()
    if spec.policies == "template":
        out[["policy", "to_convocation", "to_race", "policy_source"]] = ["template", "", "", ""]
    out["demand_weight"], out["staff_weight"], out["bot_weight"] = demand, staff, bots
    out["demand_factor"] = spec.scale * demand / template
    out["staff_factor"] = spec.scale * staff / template
    out["bot_factor"] = spec.scale * (1.0 if spec.bots == "per_prefecture" else bots / template)
    out["load"] = demand / staff  # demand per staff, relative to the template's
    return out


def describe(template: str, row: pd.Series, spec: NationalSpec) -> str:
    """A prefecture's scenario description: what it is built from, with its sources."""
    policy = ("the template's booking" if row["policy"] in ("template", "")
              else f"booking: {row['policy']} [{row['policy_source']}]")
    return (f"{row['name']}, built from {template}: demand {row['demand_weight']:.2%} of France "
            f"({spec.demand}) [{row['demand_source']}]; staff {row['staff_weight']:.2%} "
            f"({spec.staff}); {policy}; bots {spec.bots} ({row['bot_group']} group, "
            "data/bot_pressure.csv).")


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


# --- running -------------------------------------------------------------------------------


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
    table: pd.DataFrame  # one row per département: inputs and results (departement_table)


def simulate_national(nat: National, seed: int = 1, replications: int = 2,
                      workers: int | None = None,
                      progress: Callable[[int, int], None] | None = None,
                      executor: Executor | None = None) -> NationalResult:
    """Run every département on ``executor`` (default: a local pool of ``workers``) and
    aggregate nationally. Each département has its own seed, so the numbers do not depend
    on where or in which order the départements run."""
    tasks = [(code, sc, departement_seed(seed, code), replications)
             for code, sc in nat.scenarios.items()]
    done_by_task: dict[int, tuple[pd.DataFrame, list[Waits]]] = {}
    failures = []
    with executor or make_executor(workers) as pool:
        for done, outcome in enumerate(pool.imap(run_departement, tasks), 1):
            if outcome.error:
                failures.append(f"département {tasks[outcome.task][0]}: {outcome.error}")
            else:
                done_by_task[outcome.task] = outcome.value[1:]
            if progress is not None:
                progress(done, len(tasks))
    if not done_by_task:
        raise ScenarioError(failures or ["no département simulated"])
    order = sorted(done_by_task)  # task order, whatever order they finished in
    kpis = pd.concat([done_by_task[k][0] for k in order], ignore_index=True)
    waits = {tasks[k][0]: done_by_task[k][1] for k in order}
    reps = aggregate(kpis, waits, nat.spec.scale, replications)
    table = summarise(reps)
    table["method"] = table["kpi"].map(method_of)
    per_dep = (kpis[kpis["procedure"] == "all"].groupby(["departement", "kpi"], sort=False)
               ["value"].mean().reset_index())
    return NationalResult(table, reps, per_dep, failures,
                          departement_table(kpis, nat.inputs, nat.spec.scale))
