"""Compare page: run up to four scenarios under common random numbers and show the result."""

from __future__ import annotations

import charts
import state
import streamlit as st
import views

from sim.experiments.compare import Comparison
from sim.faces.report import measured_days
from sim.scenario.errors import ScenarioError
from sim.scenario.files import dump_yaml

st.title("Compare scenarios")
lib = state.session_library()
labels = lib.labels()
kept = [x for x in st.session_state.get("cmp.scenarios", []) if x in labels]
st.session_state["cmp.scenarios"] = kept[: state.MAX_SCENARIOS]
chosen = st.multiselect(
    f"Scenarios to compare (up to {state.MAX_SCENARIOS}; the first is the baseline)", labels,
    key="cmp.scenarios", max_selections=state.MAX_SCENARIOS,
    placeholder="Choose scenarios from the library")

quick = bool(st.session_state.get("run.quick", True))
replications = (state.QUICK_REPLICATIONS if quick
                else int(st.session_state.get("run.replications", 3)))
seed = int(st.session_state.get("run.seed", 1))
st.caption(f"{replications} replication(s) per scenario{' (quick run)' if quick else ''}, "
           f"seed {seed}: change them in the sidebar. Every scenario sees the same applicants "
           "in replication r (common random numbers), so differences are paired.")

specs = {label: lib.entries[label].scenario for label in chosen}
texts = tuple(dump_yaml(s) for s in specs.values())
problems = state.check_limits(specs, replications) if specs else []
if problems:
    st.warning("Too big for the dashboard:\n\n" + "\n".join(f"- {p}" for p in problems))

if st.button("Run comparison", type="primary", disabled=not chosen, key="btn.cmp.run"):
    if problems:
        state.show_problems(problems, "Not run: this request is above the dashboard's limits.")
    else:
        try:
            result = state.run_comparison(texts, tuple(chosen), seed, replications)
        except (ScenarioError, ValueError) as exc:
            state.show_problems(str(exc).splitlines(), "The comparison could not run:")
        except Exception as exc:  # a core bug: say so, keep serving
            st.error(f"The simulation failed ({type(exc).__name__}: {exc}). This is a bug in "
                     "prefsim: please report it with the scenarios' YAML.")
        else:
            st.session_state["result"] = result
            st.session_state["result.key"] = state.run_key(texts, chosen, seed, replications)
            st.session_state["result.yaml"] = dict(zip(chosen, texts, strict=True))

c: Comparison | None = st.session_state.get("result")
if c is None:
    st.info("Choose scenarios and press **Run comparison**.")
    st.stop()

run_id = st.session_state["result.key"]
if run_id != state.run_key(texts, chosen, seed, replications):
    st.info("The results below are for an earlier choice of scenarios or settings; press "
            "**Run comparison** to update them.")

lang = str(st.session_state.get("run.lang", "fr"))
st.header(" vs ".join(c.labels))
st.caption(f"Baseline **{c.labels[0]}**; seed {c.seed}; {c.n_replications} replication(s) per "
           "scenario; means with their 95 % interval (kept within each indicator's possible "
           "values), and differences with the baseline paired replication by replication.")

# --- the answer in words --------------------------------------------------------------------

specs_run = [lib.entries[x].scenario for x in c.labels if x in lib.entries]
period = measured_days(specs_run) if len(specs_run) == len(c.labels) else None
for name, sentences in views.answers(c, lang, period).items():
    st.markdown(f"**{name}** — " + " ".join(sentences))
if c.events is not None and c.events["few"].astype(bool).any():
    st.caption("† Rests on few events: " + ", ".join(sorted({
        views.label(k, lang) for k in c.events.loc[c.events["few"].astype(bool), "kpi"]}))
        + f". The comparison already ran {c.n_replications} replications; more (the sidebar, "
        "or `prefsim compare`) would sharpen these intervals.")

# --- KPI cards ------------------------------------------------------------------------------

procedures = views.procedures(c)
procedure = st.selectbox("Procedure", procedures, key="cmp.procedure",
                         format_func=lambda p: "all procedures" if p == "all" else p,
                         help="Cards, charts and tables for one procedure (segment KPIs by "
                              "channel or digital access exist for all procedures only).")
available = views.card_kpis(c, procedure)
# the cards asked for, kept across procedures (a segment KPI exists for all procedures only)
wanted = st.session_state.setdefault(
    "cmp.cards.wanted", list(st.session_state.get("cmp.cards", views.DEFAULT_CARDS)))
st.session_state["cmp.cards"] = [k for k in wanted if k in available]


def _remember() -> None:
    chosen = st.session_state["cmp.cards"]
    st.session_state["cmp.cards.wanted"] = [*(k for k in wanted if k not in available),
                                            *chosen]


shown = st.multiselect("KPI cards", available, key="cmp.cards", on_change=_remember,
                       format_func=lambda k: views.label(k, lang),
                       help="The headline KPIs by default; hover a card for its definition.")
heads = st.columns(len(c.labels))
for col, name in zip(heads, c.labels, strict=True):
    col.markdown(f"#### {name}" + (" (baseline)" if name == c.labels[0] else ""))
for kpi in shown:
    cols = st.columns(len(c.labels))
    for col, card in zip(cols, views.cards(c, kpi, procedure, lang), strict=True):
        with col:
            st.metric(views.label(kpi, lang), card.value, card.delta,
                      delta_color=views.delta_colour(kpi),  # type: ignore[arg-type]
                      help=views.help_text(kpi, lang), border=True)
            st.caption(" · ".join(x for x in (card.interval, card.delta_interval) if x))

# --- interactive charts ---------------------------------------------------------------------

st.subheader("Charts")
st.session_state.setdefault("cmp.over_days", 60.0)
over_days = st.number_input("X for the share waiting more than X days", min_value=1.0,
                            max_value=3650.0, step=5.0, key="cmp.over_days",
                            help="The NHS publishes the share waiting more than 18 weeks; "
                                 "choose the delay that matters here.")
if st.session_state.get("cmp.tables.key") != (run_id, over_days):  # once per run and X
    st.session_state["cmp.tables"] = views.wait_tables(c, over_days)
    st.session_state["cmp.tables.key"] = (run_id, over_days)
tables = st.session_state["cmp.tables"]
names = ["Waits by month of need", f"Waiting more than {over_days:g} days",
         "Wait curves", "Backlog"]
for tab, draw in zip(st.tabs(names), (
        lambda: charts.waits_by_month(tables[0], procedure, c.labels, lang),
        lambda: charts.waiting_over(tables[1], procedure, c.labels, lang),
        lambda: charts.wait_curves(c.applicants, procedure, c.labels, lang),
        lambda: charts.backlog(c.daily, procedure, c.labels, lang)), strict=True):
    with tab:
        st.altair_chart(draw(), width="stretch")
st.caption("Hover for values, scroll to zoom, click a legend entry to show one scenario. "
           "Waits are Kaplan-Meier estimates: people still waiting at the end count as "
           "censored, not dropped.")

# --- figures (static, as in the report) -----------------------------------------------------

st.subheader("Figures")
figures: dict[str, bytes] = st.session_state.setdefault("figures", {})
if st.session_state.get("figures.key") != (run_id, lang):
    figures.clear()
    st.session_state["figures.key"] = (run_id, lang)
static = views.charts(c, lang)
for tab, chart in zip(st.tabs([ch.title for ch in static]), static, strict=True):
    with tab:
        if chart.stem not in figures:
            figures[chart.stem] = views.png(chart.draw())
        st.image(figures[chart.stem], caption=chart.note)
        st.download_button(f"Download {chart.stem}.png", figures[chart.stem],
                           file_name=f"{chart.stem}.png", mime="image/png",
                           key=f"btn.cmp.png.{chart.stem}")

# --- tables and downloads -------------------------------------------------------------------

with st.expander("Tables"):
    st.markdown("**Every KPI: mean [95 % interval]**")
    st.dataframe(views.wide_summary(c, procedure, lang), width="stretch")
    if len(c.labels) > 1:
        st.markdown(f"**Paired differences against {c.labels[0]}**")
        st.dataframe(c.differences[c.differences["procedure"].astype(str) == procedure],
                     hide_index=True, width="stretch")
    st.markdown("**Waits by month of need**")
    st.dataframe(tables[0][tables[0]["procedure"].astype(str) == procedure], hide_index=True,
                 width="stretch")

st.subheader("Downloads")
cols = st.columns(3)
downloads = [("summary.csv", lambda: views.csv_bytes(c.summary), "text/csv"),
             ("differences.csv", lambda: views.csv_bytes(c.differences), "text/csv"),
             ("replications.csv", lambda: views.csv_bytes(c.replications), "text/csv"),
             ("monthly.csv", lambda: views.csv_bytes(tables[0]), "text/csv"),
             ("applicants.parquet", lambda: views.parquet_bytes(c.applicants),
              "application/vnd.apache.parquet"),
             ("daily.parquet", lambda: views.parquet_bytes(c.daily),
              "application/vnd.apache.parquet")]
for k, (file_name, data, mime) in enumerate(downloads):
    cols[k % 3].download_button(file_name, data, file_name=file_name, mime=mime,
                                key=f"btn.cmp.dl.{file_name}")
for k, (name, text) in enumerate(st.session_state.get("result.yaml", {}).items()):
    cols[k % 3].download_button(f"{name}.yaml (resolved)", text,
                                file_name=f"{views.slug(name)}.yaml", mime="application/x-yaml",
                                key=f"btn.cmp.yaml.{k}")
