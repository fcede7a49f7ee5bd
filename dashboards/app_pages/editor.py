"""Editor page: the levers people pull, as widgets, building a variant of a scenario.

Every widget starts at the base scenario's value; what differs becomes a dotted override
(``staff.front_office_etp=40``) and the variant is built by :func:`sim.scenario.loader.variant`, the
schema's own override path, so a bad combination is reported exactly as ``--set`` would be.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import levers
import state
import streamlit as st
import widgets

from sim.scenario import Horizon, Procedure, Reinforcement, Staff
from sim.scenario.channels import ReleaseSchedule, SlotChannelBase, WaitlistChannel
from sim.scenario.countermeasures import BotOperator, Countermeasures
from sim.scenario.errors import ScenarioError
from sim.scenario.files import dump_yaml
from sim.scenario.loader import variant
from sim.scenario.procedures import Anef, ProtectionOrder, ValidityPeriod

POLICIES = {"race": "race: first come on released slots", "waitlist": "waitlist: a date "
            "given in turn", "lottery": "lottery: slots drawn among requests"}
ORDERS = {"fifo": "oldest request first", "earliest_deadline_first": "earliest deadline first"}

st.title("Scenario editor")
lib = state.session_library()
labels = lib.labels()
if not labels:
    st.error("The library is empty: no bundled scenario loads and nothing was uploaded.")
    st.stop()
if st.session_state.get("ed.base") not in labels:
    st.session_state["ed.base"] = labels[0]
base_label = st.selectbox("Start from", labels, key="ed.base",
                          help="A scenario of the library; the levers start at its values.")
base = lib.entries[base_label].scenario


w = widgets.LeverWidgets(base_label)
number, choice, switch, day, key = w.number, w.choice, w.switch, w.day, w.key

overrides: list[str] = []
levers_col, result_col = st.columns([3, 2], gap="large")

with levers_col:
    # --- horizon and staff ------------------------------------------------------------------
    with st.expander("Horizon and staff", expanded=True):
        days = number("Simulated days (horizon.days)", "horizon.days", Horizon, "days",
                      base.horizon.days, integer=True,
                      help=f"The dashboard runs at most {state.LIMITS.max_horizon_days} days; "
                           "the schema's rules apply (the warm-up must be shorter).")
        overrides += levers.changed("horizon.days", base.horizon.days, days)
        c1, c2 = st.columns(2)
        with c1:
            front = number("Front-office ETP (counters)", "staff.front_office_etp", Staff,
                           "front_office_etp", base.staff.front_office_etp)
        with c2:
            back = number("Back-office ETP (instruction)", "staff.back_office_etp", Staff,
                          "back_office_etp", base.staff.back_office_etp)
        overrides += levers.changed("staff.front_office_etp", base.staff.front_office_etp, front)
        overrides += levers.changed("staff.back_office_etp", base.staff.back_office_etp, back)

        st.markdown("**Reinforcement plan** (dated ETP increments)")
        plan: list[dict[str, Any]] = []
        offices = {"front": "front", "back": "back"}
        rows = [r.model_dump() for r in base.staff.reinforcements]
        start = base.horizon.start + dt.timedelta(days=base.horizon.days // 2)
        for k, row in enumerate([*rows, None]):
            new = row is None
            row = row or {"start": start, "etp": 5.0, "ramp_up_days": 60.0, "office": "front"}
            p = f"staff.reinforcements.{'new' if new else k}"
            cols = st.columns([1.7, 1, 1.1, 1, 0.8])
            with cols[4]:
                keep = switch("add" if new else "keep", f"{p}.keep", not new)
            with cols[0]:
                when = day("start", f"{p}.start", row["start"])
            with cols[1]:
                etp = number("ETP", f"{p}.etp", Reinforcement, "etp", row["etp"])
            with cols[2]:
                ramp = number("ramp-up days", f"{p}.ramp_up_days", Reinforcement,
                              "ramp_up_days", row["ramp_up_days"])
            with cols[3]:
                office = choice("office", f"{p}.office", offices, row["office"])
            if keep:
                plan.append({"start": when, "etp": etp, "ramp_up_days": ramp, "office": office})
        overrides += levers.reinforcement_overrides(base, plan)

    # --- demand -----------------------------------------------------------------------------
    with st.expander("Demand (needs per year, by procedure)", expanded=True):
        st.caption("How many appointment needs appear in a year for each procedure (the "
                   "seasonality and trend of the scenario apply on top).")
        cols = st.columns(min(3, max(1, len(base.procedures))))
        for k, (proc, spec_p) in enumerate(base.procedures.items()):
            with cols[k % len(cols)]:
                volume = number(f"`{proc}`", f"procedures.{proc}.annual_volume", Procedure,
                                "annual_volume", spec_p.annual_volume, step=100.0,
                                help=f"{spec_p.label or proc}: "
                                + (Procedure.model_fields["annual_volume"].description or ""))
            overrides += levers.changed(f"procedures.{proc}.annual_volume",
                                        spec_p.annual_volume, volume)

    # --- booking policy ---------------------------------------------------------------------
    with st.expander("Booking policy and release schedule", expanded=True):
        channels = levers.slot_channels(base)
        if not channels:
            st.info("This scenario has no channel handing out dated slots (only desks or "
                    "online deposits): nothing to change here.")
        for name in channels:
            ch = base.channels[name]
            assert isinstance(ch, SlotChannelBase)
            st.markdown(f"**Channel `{name}`** (audience {ch.audience}, counter share "
                        f"{ch.counter_share:g})")
            kind = choice("Booking policy", f"channels.{name}.kind", POLICIES, ch.kind)
            release_now = getattr(ch, "release", None)
            scheduled = True
            if kind == "waitlist":
                scheduled = switch("Slots open on a schedule", f"channels.{name}.scheduled",
                                   isinstance(ch, WaitlistChannel) and ch.release is not None,
                                   help="Off: the register sees every slot however far ahead "
                                        "and gives the earliest free one at once.")
            release = None
            if scheduled:
                r = release_now or ReleaseSchedule()
                c1, c2, c3 = st.columns(3)
                with c1:
                    rkind = choice("Release", f"channels.{name}.release.kind",
                                   {k: k for k in levers.RELEASE_KINDS}, r.kind,
                                   help=ReleaseSchedule.model_fields["kind"].description)
                with c2:
                    hour = number("Release hour", f"channels.{name}.release.hour",
                                  ReleaseSchedule, "hour", r.hour, step=0.25)
                with c3:
                    ahead = number("Booking horizon (days)",
                                   f"channels.{name}.release.horizon_days", ReleaseSchedule,
                                   "horizon_days", r.horizon_days)
                release = {**r.model_dump(mode="json"), "kind": rkind, "hour": hour,
                           "weekday": r.weekday, "horizon_days": ahead}
                if rkind == "weekly":
                    release["weekday"] = number("Release weekday (0 = Monday)",
                                                f"channels.{name}.release.weekday",
                                                ReleaseSchedule, "weekday", r.weekday,
                                                integer=True)
            order = None
            if kind == "waitlist":
                order = choice("Who gets an opening slot first", f"channels.{name}.order",
                               ORDERS, getattr(ch, "order", "fifo"))
            overrides += levers.channel_overrides(base, name, kind, release, order)

    # --- bots and countermeasures -----------------------------------------------------------
    with st.expander("Bots and countermeasures"):
        modes = {"speculative": "speculative (books, then resells)",
                 "for_hire": "for hire (books for a paying applicant)"}
        for name, bot in base.bots.items():
            st.markdown(f"**Bot operator `{name}`**")
            c1, c2, c3 = st.columns(3)
            with c1:
                mode = choice("Mode", f"bots.{name}.mode", modes, bot.mode)
            with c2:  # the operator's volume, as its file gives it
                if bot.requests_per_day is not None:
                    field, label, step = "requests_per_day", "Requests per day", 1000.0
                else:
                    field, label, step = ("poll_interval_seconds",
                                          "Seconds between two polls of a page", 1.0)
                current = getattr(bot, field)
                volume = number(label, f"bots.{name}.{field}", BotOperator, field, current,
                                step=step)
            with c3:
                ids = number("Identities (e-mail accounts)", f"bots.{name}.identities",
                             BotOperator, "identities", bot.identities, integer=True)
            overrides += levers.changed(f"bots.{name}.mode", bot.mode, mode)
            overrides += levers.changed(f"bots.{name}.{field}", current, volume)
            overrides += levers.changed(f"bots.{name}.identities", bot.identities, ids)
        if not base.bots and switch("Add a reseller running bots", "bots.new.on", False):
            c1, c2, c3 = st.columns(3)
            with c1:
                mode = choice("Mode", "bots.new.mode", modes, "speculative")
            with c2:
                rate = number("Requests per day", "bots.new.requests_per_day", BotOperator,
                              "requests_per_day", 500_000.0, step=1000.0)
            with c3:
                ids = number("Identities (e-mail accounts)", "bots.new.identities",
                             BotOperator, "identities", 100, integer=True)
            overrides += levers.new_bot_overrides("reseller", mode, rate, ids)

        cm = base.countermeasures
        st.markdown("**Countermeasures**")
        c1, c2 = st.columns(2)
        with c1:
            captcha = switch("CAPTCHA", "countermeasures.captcha", cm.captcha,
                             Countermeasures.model_fields["captcha"].description)
            agdref = switch("AGDREF check on renewals", "countermeasures.agdref_check",
                            cm.agdref_check,
                            Countermeasures.model_fields["agdref_check"].description)
            named = switch("Nominative bookings checked at the counter",
                           "countermeasures.name_bound", cm.name_bound,
                           Countermeasures.model_fields["name_bound"].description)
        with c2:
            passing = number("CAPTCHA pass rate for bots", "countermeasures.captcha_pass_rate",
                             Countermeasures, "captcha_pass_rate", cm.captcha_pass_rate,
                             step=0.05)
            filtered = number("Share of bot requests filtered",
                              "countermeasures.filtered_share", Countermeasures,
                              "filtered_share", cm.filtered_share, step=0.05)
        c1, c2 = st.columns(2)
        with c1:
            cap = number("Bookings per e-mail address (0: no cap)",
                         "countermeasures.per_email_cap", Countermeasures, "per_email_cap",
                         cm.per_email_cap or 0, integer=True)
        with c2:
            fee = number("Prepayment at booking (EUR)", "countermeasures.prepayment_eur",
                         Countermeasures, "prepayment_eur", cm.prepayment_eur, step=5.0)
        for field, value in (("captcha", captcha), ("agdref_check", agdref),
                             ("name_bound", named), ("captcha_pass_rate", passing),
                             ("filtered_share", filtered), ("per_email_cap", cap or None),
                             ("prepayment_eur", fee)):
            overrides += levers.changed(f"countermeasures.{field}", getattr(cm, field), value)

    # --- protection orders ------------------------------------------------------------------
    with st.expander("Protection orders (validity and lane)"):
        orders = levers.protection_procedures(base)
        if not orders:
            st.info("No procedure of this scenario holds protection orders "
                    "(`procedures.<name>.protection_order`): nothing to change here. "
                    "Scenarios with a protection-order procedure show its validity and lane.")
        for proc in orders:
            po = base.procedures[proc].protection_order
            assert po is not None
            st.markdown(f"**Procedure `{proc}`**")
            months = []
            for k, period in enumerate(po.validity):
                months.append(number(f"Validity (months) of orders issued from "
                                     f"{period.issued_from}",
                                     f"procedures.{proc}.protection_order.validity.{k}",
                                     ValidityPeriod, "months", period.months))
            overrides += levers.validity_overrides(base, proc, months)
            ext = number("Probability that the judge extends the order",
                         f"procedures.{proc}.protection_order.extension_probability",
                         ProtectionOrder, "extension_probability", po.extension_probability,
                         step=0.05)
            overrides += levers.changed(
                f"procedures.{proc}.protection_order.extension_probability",
                po.extension_probability, ext)
        lanes = levers.lane_channels(base)
        for name in lanes:
            ch = base.channels[name]
            share = number(f"Counter share of the lane `{name}`",
                           f"channels.{name}.counter_share", type(ch), "counter_share",
                           ch.counter_share, step=0.01)
            overrides += levers.changed(f"channels.{name}.counter_share", ch.counter_share,
                                        share)
        donors = [n for n, ch in base.channels.items() if ch.counter_share > 0]
        if orders and not lanes and donors and switch(
                "Open a reserved lane (waitlist, earliest expiry first)", "lane.on", False):
            serving = [n for n in donors if set(base.channels[n].procedures or base.procedures)
                       & set(orders)]  # by default, the channel that loses these applicants
            c1, c2 = st.columns(2)
            with c1:
                share = number("Counter share of the lane", "lane.counter_share",
                               WaitlistChannel, "counter_share", 0.01, step=0.001)
            with c2:
                donor = choice("Counter time taken from", "lane.take_from",
                               {n: n for n in donors}, (serving or donors)[0])
            overrides += levers.new_lane_overrides(base, share, donor)

    # --- ANEF -------------------------------------------------------------------------------
    with st.expander("ANEF (online files, fewer counter visits)"):
        middle = base.horizon.start + dt.timedelta(days=base.horizon.days // 2)
        for proc, spec in base.procedures.items():
            anef = spec.anef
            on = switch(f"`{proc}` moves to ANEF", f"procedures.{proc}.anef.on",
                        anef is not None)
            when, visits = (anef.from_date, anef.visits_per_title) if anef else (middle, 1.0)
            if on:
                c1, c2 = st.columns(2)
                with c1:
                    when = day("from", f"procedures.{proc}.anef.from_date", when)
                with c2:
                    visits = number("Counter visits per title", f"procedures.{proc}.anef."
                                    "visits_per_title", Anef, "visits_per_title", visits,
                                    step=0.1)
            overrides += levers.anef_overrides(base, proc, on, when, visits)

with result_col:
    st.subheader("Variant")
    st.session_state.setdefault(key("name"), f"{base.name}-edited")
    name = st.text_input("Name of the variant", key=key("name"))
    if not overrides:
        st.info(f"No lever changed yet: this is **{base_label}** as it is.")
    else:
        st.markdown(f"**{len(overrides)} override(s)**, as `prefsim run --set` would take them:")
        st.code("\n".join(overrides), language="text")
    spec = None
    if not (name or "").strip():
        st.error("Give the variant a name.")
    else:
        try:
            spec = variant(base, [*overrides, levers.override("name", name.strip())])
        except ScenarioError as exc:
            state.show_problems(exc.problems, "This variant is not valid:")
    if spec is not None:
        problems = state.check_limits({spec.name: spec}, 1)
        if problems:
            st.warning("Valid, but too big to run here:\n\n" + "\n".join(
                f"- {p}" for p in problems))
        st.caption(f"About {state.expected_applicants(spec):,.0f} applicants per run.")
        if st.button("Add to library", type="primary", key="btn.ed.add",
                     disabled=not overrides):
            current = state.session_library()
            if sum(e.source != "bundled" for e in current.entries.values()) >= state.MAX_UPLOADS:
                st.error(f"This session already holds {state.MAX_UPLOADS} uploaded or edited "
                         "scenarios: remove some on the Library page first.")
            else:
                label = current.free_label(spec.name)
                state.add_user_entry(state.Entry(label, "variant", f"{base_label} + overrides",
                                                 spec, tuple(overrides)))
                st.session_state["ed.added"] = label
        if st.session_state.get("ed.added"):
            st.success(f"Added **{st.session_state['ed.added']}** to the library: pick it on "
                       "the Compare page.")
        text = dump_yaml(spec)
        st.download_button("Download resolved YAML", text, file_name=f"{spec.name}.yaml",
                           mime="application/x-yaml", key="btn.ed.yaml")
        st.markdown("**Resolved YAML** (every field, ready for `prefsim run`)")
        st.code(text, language="yaml")
    if st.button("Reset the levers", key="btn.ed.reset"):
        for k in [k for k in st.session_state if str(k).startswith(f"ed.{base_label}.")]:
            del st.session_state[k]
        st.session_state.pop("ed.added", None)
        st.rerun()
