"""prefsim dashboard: pick or tweak scenarios and compare them side by side.

Start it with ``prefsim dashboard`` (or ``make dashboard``), which runs
``streamlit run dashboards/app.py --server.address 127.0.0.1``. Three pages:

* **Library**: the scenarios shipped in ``scenarios/`` and the YAML files a visitor uploads,
  validated with the same messages as the command line;
* **Editor**: the levers people pull, as widgets, building a variant through the schema's own
  override path (:func:`sim.scenario.loader.variant`);
* **Compare**: up to four scenarios run under common random numbers, the answer in words,
  KPI cards with their differences against the first (definitions in the tooltips), per
  procedure, interactive charts, figures from :mod:`sim.faces.plots`, downloads;
* **Plan**: goal seeking (the least staff cost meeting a target) and sweeps over a lever,
  with their plots.

The sidebar holds the run settings and the language of the indicators and summaries (French
by default). URL parameters preset widgets once per visit:
``?etp=40&back_etp=60&days=180&replications=3&seed=7&quick=1&base=demo&scenarios=demo,demo-race
&cards=wait_days_p90,renewal_lapses&lang=en``; a value out of range is reported on the page and
ignored.

This is a thin client: every number comes from the ``sim`` API (see docs/dashboard.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

from sim.analysis import glossary

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the helper modules beside this script
    sys.path.insert(0, str(HERE))

import levers  # noqa: E402
import presets  # noqa: E402
import state  # noqa: E402

st.set_page_config(page_title="prefsim: compare scenarios", layout="wide")

# Widgets of a page that is not shown are forgotten by Streamlit; the editor's and the
# comparison's are kept (keys "ed.*", "cmp.*") so that a visitor can switch pages and back.
for key in [k for k in st.session_state if str(k).startswith(("ed.", "cmp.", "plan."))]:
    st.session_state[key] = st.session_state[key]


def _presets() -> None:
    """Apply the URL's presets once per visit; say on the page which ones were refused."""
    if st.session_state.get("presets_done"):
        return
    st.session_state["presets_done"] = True
    messages = st.session_state.setdefault("preset_messages", [])
    params = st.query_params

    def number(name: str, preset: presets.Preset, key: str) -> None:
        if name in params:
            value, problem = presets.parse_preset(params.get_all(name), preset)
            if problem:
                messages.append(f"{problem} Ignored.")
            else:
                st.session_state[key] = value

    number("replications", presets.Preset("replications", "replications per scenario", 1,
                                          state.LIMITS.max_replications), "run.replications")
    number("seed", presets.Preset("seed", "the seed", 0, 2**31 - 1), "run.seed")
    if "quick" in params:
        value = presets.flag(params.get_all("quick"))
        if value is None:
            messages.append("URL parameter quick must be 1/true/yes/on or 0/false/no/off. "
                            "Ignored.")
        else:
            st.session_state["run.quick"] = value
    elif "replications" in params and "run.replications" in st.session_state:
        st.session_state["run.quick"] = False  # an explicit count means "not quick"

    labels = state.session_library().labels()
    base = labels[0] if labels else None
    if "base" in params:
        wanted = params.get_all("base")[-1]
        if wanted in labels:
            base = wanted
            st.session_state["ed.base"] = wanted
        else:
            messages.append(f"URL parameter base={wanted[:60]!r} is not a scenario of the "
                            f"library (known: {', '.join(labels)}). Ignored.")
    if base is not None:
        for name, preset, path in presets.editor_presets(state.LIMITS.max_horizon_days):
            number(name, preset, levers.widget_key(base, path))
    if "scenarios" in params:
        chosen = [s.strip() for s in ",".join(params.get_all("scenarios")).split(",")
                  if s.strip()]
        known = [s for s in chosen if s in labels][: state.MAX_SCENARIOS]
        unknown = [s for s in chosen if s not in labels]
        if unknown:
            messages.append(f"URL parameter scenarios: {', '.join(repr(s[:60]) for s in unknown)} "
                            f"not in the library (known: {', '.join(labels)}). Ignored.")
        if len([s for s in chosen if s in labels]) > state.MAX_SCENARIOS:
            messages.append(f"URL parameter scenarios: at most {state.MAX_SCENARIOS} scenarios; "
                            f"kept the first {state.MAX_SCENARIOS}.")
        st.session_state["cmp.scenarios"] = known
    if "cards" in params:
        cards = [s.strip() for s in ",".join(params.get_all("cards")).split(",") if s.strip()]
        problems = glossary.check_names(cards, "URL parameter cards")
        messages += [f"{p} Ignored." for p in problems]
        good = [k for k in cards if glossary.term(k) is not None]
        if good:
            st.session_state["cmp.cards"] = st.session_state["cmp.cards.wanted"] = good
    if "lang" in params:
        wanted = params.get_all("lang")[-1]
        if wanted in ("fr", "en"):
            st.session_state["run.lang"] = wanted
        else:
            messages.append(f"URL parameter lang={wanted[:20]!r}: the languages are fr "
                            "(French) and en (English). Ignored.")


def _sidebar() -> None:
    with st.sidebar:
        st.header("Run settings")
        st.session_state.setdefault("run.quick", True)
        st.session_state.setdefault("run.replications", 3)
        st.session_state.setdefault("run.seed", 1)
        quick = st.toggle("Quick run (2 replications)", key="run.quick",
                          help="Two replications per scenario: rough intervals in seconds.")
        st.number_input("Replications per scenario", min_value=1,
                        max_value=state.LIMITS.max_replications, step=1,
                        key="run.replications", disabled=quick,
                        help="Replication r of every scenario draws the same applicants "
                             "(common random numbers).")
        st.number_input("Seed", min_value=0, max_value=2**31 - 1, step=1, key="run.seed")
        st.session_state.setdefault("run.lang", "fr")
        st.radio("Langue des indicateurs / Language of the indicators", ["fr", "en"],
                 key="run.lang", horizontal=True,
                 format_func={"fr": "français", "en": "English"}.__getitem__,
                 help="Labels, units, definitions and the summary in words.")
        lim = state.LIMITS
        st.caption(f"Limits per request: horizon up to {lim.max_horizon_days} days, "
                   f"{lim.max_replications} replications, {lim.max_applicants_per_run:,} "
                   f"applicants per run, {lim.max_applicants_per_comparison:,} per "
                   f"comparison, {state.MAX_SCENARIOS} scenarios, an estimated "
                   f"{lim.max_memory_gb:g} GB and {lim.max_minutes_per_comparison:g} CPU "
                   "minutes. Bigger studies: "
                   "`prefsim compare` on the command line.")


_presets()
page = st.navigation([
    st.Page(HERE / "app_pages" / "library.py", title="Library", icon=":material/folder_open:",
            default=True),
    st.Page(HERE / "app_pages" / "editor.py", title="Editor", icon=":material/tune:"),
    st.Page(HERE / "app_pages" / "compare.py", title="Compare", icon=":material/compare:"),
    st.Page(HERE / "app_pages" / "plan.py", title="Plan", icon=":material/target:"),
])
_sidebar()
for message in st.session_state.get("preset_messages", []):
    st.error(message)
page.run()
