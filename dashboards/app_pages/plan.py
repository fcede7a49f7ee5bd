"""Plan page: goal seeking (the least staff cost meeting a target) and sweeps over a lever.

Both run :mod:`sim.experiments.optimise` and :mod:`sim.experiments.sweep` in this process,
under common random numbers, within the dashboard's limits (every plan or point is a run of
the scenario, counted against the applicants per comparison); bigger searches belong to
``prefsim optimise`` and ``prefsim sweep``.
"""

from __future__ import annotations

import tempfile

import charts
import state
import streamlit as st
import views

from sim.analysis import glossary
from sim.experiments.goals import Lever, OptimiseError, Target
from sim.experiments.grid import GridError
from sim.experiments.optimise import optimise
from sim.experiments.sweep import sweep
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import variant

LEVERS = {"staff.front_office_etp": "front-office ETP (counters)",
          "staff.back_office_etp": "back-office ETP (instruction)"}

st.title("Plan: targets and sweeps")
lib = state.session_library()
labels = lib.labels()
lang = str(st.session_state.get("run.lang", "fr"))
seed = int(st.session_state.get("run.seed", 1))
if not labels:
    st.error("The library is empty.")
    st.stop()
if st.session_state.get("plan.base") not in labels:
    st.session_state["plan.base"] = labels[0]
base_label = st.selectbox("Scenario", labels, key="plan.base")
base = lib.entries[base_label].scenario
names = [*glossary.HEADLINE, *(k for k in glossary.TERMS if k not in glossary.HEADLINE)]


def _within_limits(runs: int) -> list[str]:
    """Why ``runs`` runs of the base scenario are refused (the comparison's limits)."""
    problems = state.check_limits({base_label: base}, 1)
    total = state.expected_applicants(base) * runs
    if not problems and total > state.LIMITS.max_applicants_per_comparison:
        problems.append(f"about {total:,.0f} applicants in all ({runs} runs) is above the "
                        f"dashboard limit of {state.LIMITS.max_applicants_per_comparison:,}; "
                        "use fewer replications, plans or points, or the command line.")
    return problems


seek, sweeping = st.tabs(["Goal seeking", "Sweep"])

# --- goal seeking -----------------------------------------------------------------------------

with seek:
    st.write("The least staff cost that meets a target, found by simulation: a coarse grid "
             "over the lever, then a bisection towards the cheapest plan that still meets it.")
    c1, c2, c3 = st.columns([2, 1, 1])
    with c1:
        kpi = st.selectbox("Target KPI (all procedures)", names, key="plan.kpi",
                           format_func=lambda k: views.label(k, lang),
                           help="Hover the cards of the Compare page for the definitions.")
    op = "<=" if glossary.direction(kpi) != "higher" else ">="
    with c2:
        st.session_state.setdefault("plan.value", 30.0)
        value = st.number_input(f"must be {op}", step=1.0, key="plan.value",
                                help=glossary.definition(kpi, lang))
    with c3:
        st.caption(glossary.unit(kpi, lang) or " ")
    c1, c2, c3, c4 = st.columns(4)
    with c1:
        key = st.selectbox("Lever", list(LEVERS), format_func=LEVERS.__getitem__,
                           key="plan.lever")
    current = float(base.staff.front_office_etp if key.endswith("front_office_etp")
                    else base.staff.back_office_etp)
    for name, default in (("plan.low", max(1.0, float(round(current / 2)))),
                          ("plan.high", max(2.0, float(round(current * 2)))),
                          ("plan.step", 1.0), ("plan.reps", 2), ("plan.budget", 12)):
        st.session_state.setdefault(name, default)
    with c2:
        low = st.number_input("from", min_value=0.0, key="plan.low")
    with c3:
        high = st.number_input("to", min_value=0.0, key="plan.high")
    with c4:
        step = st.number_input("step", min_value=0.1, key="plan.step")
    c1, c2 = st.columns(2)
    with c1:
        reps = st.number_input("Replications per plan", 1, state.LIMITS.max_replications,
                               key="plan.reps")
    with c2:
        budget = st.number_input("Plans at most", 3, 30, key="plan.budget")
    problems = _within_limits(int(reps) * int(budget))
    if low >= high:
        problems.append(f"the lever's range must go up: from {low:g} to {high:g}")
    if problems:
        st.warning("\n\n".join(f"- {p}" for p in problems))
    if st.button("Find the least-cost plan", type="primary", key="btn.plan.seek",
                 disabled=bool(problems)):
        bar = st.progress(0.0, text="Evaluating plans...")
        try:
            result = optimise(base, [Target(kpi, "all", op, float(value))],
                              [Lever(key, float(low), float(high), float(step))], seed,
                              int(reps), 4, int(budget),
                              progress=lambda n: bar.progress(min(1.0, n / int(budget)),
                                                              text=f"{n} plan(s) evaluated"))
        except (OptimiseError, ScenarioError) as exc:
            state.show_problems(exc.problems, "The search could not run:")
        else:
            st.session_state["plan.result"] = (result, kpi, key, float(value), base_label)
    found = st.session_state.get("plan.result")
    if found is not None:
        result, kpi_done, key_done, value_done, label_done = found
        plans = result.plans
        st.altair_chart(charts.frontier(plans, key_done, kpi_done, value_done,
                                        views.label(kpi_done, lang), lang), width="stretch")
        if result.best is None:
            st.error(f"No plan between {plans[key_done].min():g} and {plans[key_done].max():g} "
                     f"meets {views.label(kpi_done, lang)} {op} {value_done:g}: widen the "
                     "lever's range.")
        else:
            best = plans.loc[result.best]
            st.success(f"Least-cost plan for **{label_done}**: `{key_done}={best[key_done]:g}`, "
                       f"staff cost {views.fmt('staff_cost_eur', best['staff_cost_eur'])}, "
                       f"{views.label(kpi_done, lang)} "
                       f"{views.fmt(kpi_done, best[kpi_done], lang=lang)}.")
            if st.button("Add this plan to the library", key="btn.plan.add"):
                override = f"{key_done}={best[key_done]:g}"
                spec = variant(lib.entries[label_done].scenario,
                               [override, f"name={label_done}-plan"])
                label = state.session_library().free_label(spec.name)
                state.add_user_entry(state.Entry(label, "variant",
                                                 f"{label_done} + goal seeking", spec,
                                                 (override,)))
                st.success(f"Added **{label}**: compare it on the Compare page.")
        st.dataframe(plans, hide_index=True, width="stretch")

# --- sweep -------------------------------------------------------------------------------------

with sweeping:
    st.write("Every value of one lever simulated, under the same applicants: how a KPI "
             "responds to staff.")
    c1, c2 = st.columns(2)
    with c1:
        skey = st.selectbox("Lever", list(LEVERS), format_func=LEVERS.__getitem__,
                            key="plan.sweep.lever")
    st.session_state.setdefault("plan.sweep.values", "8, 10, 12, 14")
    st.session_state.setdefault("plan.sweep.reps", 2)
    with c2:
        text = st.text_input("Values (comma-separated)", key="plan.sweep.values")
    skpi = st.selectbox("KPI to plot", names, key="plan.sweep.kpi",
                        format_func=lambda k: views.label(k, lang))
    sreps = st.number_input("Replications per value", 1, state.LIMITS.max_replications,
                            key="plan.sweep.reps")
    values, problems = [], []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            values.append(float(part))
        except ValueError:
            problems.append(f"values: {part!r} is not a number (give numbers separated by "
                            "commas, e.g. 8, 10, 12)")
    if not values and not problems:
        problems.append("values: give at least one number")
    problems += _within_limits(len(values) * int(sreps))
    if problems:
        st.warning("\n\n".join(f"- {p}" for p in problems))
    if st.button("Run the sweep", type="primary", key="btn.plan.sweep",
                 disabled=bool(problems)):
        bar = st.progress(0.0, text="Running...")
        try:
            with tempfile.TemporaryDirectory(prefix="prefsim-sweep-") as folder:
                done = sweep(base, {skey: values}, folder, seed, int(sreps),
                             progress=lambda d, t: bar.progress(d / max(t, 1),
                                                                text=f"{d} of {t} runs"))
        except (GridError, ScenarioError) as exc:
            state.show_problems(exc.problems, "The sweep could not run:")
        else:
            st.session_state["plan.sweep.result"] = (done.summary, skey)
    swept = st.session_state.get("plan.sweep.result")
    if swept is not None:
        summary, skey_done = swept
        st.altair_chart(charts.sweep(summary, skey_done, skpi, views.label(skpi, lang)),
                        width="stretch")
        rows = summary[(summary["kpi"] == skpi) & (summary["procedure"].astype(str) == "all")]
        st.dataframe(rows, hide_index=True, width="stretch")
