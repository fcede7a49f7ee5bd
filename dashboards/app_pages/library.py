"""Library page: the bundled scenarios, uploads, and the variants built in the editor."""

from __future__ import annotations

import pandas as pd
import scenario_set
import state
import streamlit as st

from sim.scenario.errors import ScenarioError
from sim.scenario.files import parse_yaml

st.title("Scenario library")
st.write("The scenarios you can compare: those shipped with prefsim (`scenarios/`), YAML "
         "files you upload, and variants you build in the **Editor**. Pick up to "
         f"{state.MAX_SCENARIOS} of them on the **Compare** page.")

# --- uploads --------------------------------------------------------------------------------

uploads = st.file_uploader(
    "Upload scenario files (YAML)", type=["yaml", "yml"], accept_multiple_files=True,
    key="upload.files",
    help="Checked like `prefsim check`: every problem is listed with its field and the "
         "allowed values. A file may `extends:` a bundled scenario, e.g. `extends: demo.yaml`. "
         "A scenario set downloaded below brings all its scenarios back at once.")
seen: dict[str, tuple[str | None, list[str]]] = st.session_state.setdefault("upload.seen", {})


def add_upload(raw: bytes, name: str) -> tuple[str | None, list[str]]:
    """Validate one uploaded file and add it to the library: (label, []) or (None, problems)."""
    lib = state.session_library()
    if sum(e.source != "bundled" for e in lib.entries.values()) >= state.MAX_UPLOADS:
        return None, [f"{name}: this session already holds {state.MAX_UPLOADS} uploaded or "
                      "edited scenarios; remove some below first."]
    try:
        if scenario_set.is_set(parse_yaml(raw, name)):
            return add_set(raw, name, lib)
        spec = state.read_upload(raw, name)
    except ScenarioError as exc:
        return None, list(exc.problems)
    except Exception as exc:  # a core bug must not take the page down
        return None, [f"{name}: could not be read ({type(exc).__name__}: {exc})"]
    label = lib.free_label(spec.name)
    state.add_user_entry(state.Entry(label, "uploaded", name, spec))
    return label, []


def add_set(raw: bytes, name: str, lib: state.Library) -> tuple[str | None, list[str]]:
    """Add every scenario of a downloaded scenario set (all or none)."""
    entries = scenario_set.read(raw, name, lib)
    room = state.MAX_UPLOADS - sum(e.source != "bundled" for e in lib.entries.values())
    if len(entries) > room:
        return None, [f"{name}: {len(entries)} scenarios, but this session has room for "
                      f"{room} more (at most {state.MAX_UPLOADS}); remove some below first."]
    for entry in entries:
        state.add_user_entry(entry)
    return ", ".join(e.label for e in entries), []


for upload in uploads or []:
    file_id = getattr(upload, "file_id", None) or f"{upload.name}:{upload.size}"
    if file_id not in seen:  # each file once, however often the page reruns
        seen[file_id] = add_upload(upload.getvalue(), upload.name)
    label, problems = seen[file_id]
    if problems:
        state.show_problems(problems, f"**{upload.name}** was not added:")
    elif label is not None and all(x in state.session_library().entries
                                   for x in label.split(", ")):
        st.success(f"**{upload.name}** added to the library as **{label}**.")
    else:
        st.info(f"**{upload.name}** was removed from the library; upload it again to add it.")

# --- the table ------------------------------------------------------------------------------

lib = state.session_library()
rows = []
for entry in lib.entries.values():
    s = entry.scenario
    n = state.expected_applicants(s)
    rows.append({
        "label": entry.label,
        "source": entry.source,
        "from": entry.origin,
        "description": s.description,
        "days": s.horizon.days,
        "procedures": len(s.procedures),
        "applicants per run (approx.)": round(n),
        "channels": ", ".join(f"{name} ({ch.kind})" for name, ch in s.channels.items()),
        "within dashboard limits": "yes" if not state.check_limits({entry.label: s}, 1)
        else "no: use the CLI",
    })
st.subheader(f"{len(rows)} scenarios")
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
mine = [e for e in lib.entries.values() if e.source != "bundled"]
if mine:
    st.download_button(
        f"Download my {len(mine)} scenario(s) (uploads and variants) as one file",
        scenario_set.dump(mine), file_name="prefsim-scenarios.yaml", mime="application/x-yaml",
        key="btn.lib.set",
        help="Your uploads and variants belong to this browser session; upload this file "
             "again (here, another day, or on a colleague's dashboard) to get them all back.")
for broken in lib.broken:
    st.warning(f"Bundled file **{broken.path}** was left out: it does not load.\n\n"
               + "\n".join(f"- {p}" for p in broken.problems))

# --- one scenario in detail -------------------------------------------------------------------

if lib.entries:
    st.subheader("Resolved scenario")
    chosen = st.selectbox("Scenario", lib.labels(), key="lib.show")
    entry = lib.entries[chosen]
    if entry.overrides:
        st.caption("Built from " + entry.origin + " with: " + ", ".join(
            f"`{o}`" for o in entry.overrides))
    text = state.resolved_yaml(entry.scenario)
    st.download_button("Download resolved YAML", text, file_name=f"{chosen}.yaml",
                       mime="application/x-yaml", key="btn.lib.yaml")
    with st.expander("YAML (every field, inheritance resolved)"):
        st.code(text, language="yaml")
    if entry.source != "bundled" and st.button(f"Remove {chosen} from the library",
                                               key="btn.lib.remove"):
        state.remove_user_entry(chosen)
        st.rerun()
