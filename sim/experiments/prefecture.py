"""One prefecture of the national picture: its scenario, from a template and its own data.

Every prefecture runs the same service as the template (Val-de-Marne): the same procedures,
behaviour, casework, countermeasures and calendar, because nothing else is published per
prefecture. What differs is what the data give (:mod:`sim.experiments.data.prefectures`):

* its demand, the template's volumes times ``demand`` (every procedure alike);
* its staff, the template's counter, back-office and contract ETP times ``staff``;
* its bots, the template's operators sending ``bots`` times the requests;
* its booking policy: procedures moved from the race to a convocation after an online
  request (a waitlist, :data:`CONVOCATION`), or from a convocation to the race. A moved
  procedure takes its part of its channel's counter time with it, the part the channel
  would give it (in proportion to the counter time the procedure demands, as
  :func:`sim.engine.booking.slotting.procedure_shares` does), so a policy changes who gets
  the slots, not how many there are;
* its local public holidays (Alsace-Moselle, overseas);
* with ``protect_renewals``, its renewal convocations keep the template's counter time per
  renewal (:func:`protect_renewals`).

:func:`departement_scenario` assembles them; :func:`scale_dict` and :func:`scale_scenario`
scale a whole scenario (also used by calibration, at reduced size).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from sim.scenario import Scenario
from sim.scenario.countermeasures import scale_volume
from sim.scenario.errors import ScenarioError
from sim.scenario.files import deep_merge
from sim.scenario.loader import override_layer, validate

CONVOCATION = "request_convocation"  # the channel of procedures convoked after a request
COUNTER_KINDS = ("race", "waitlist", "lottery", "desk")
SECONDS_PER_DAY = 86400.0
MAX_RENEWAL_SHARE = 0.9
"""The largest share of counter time renewal convocations take when protected: first
requests keep at least a tenth (*estimate*: no prefecture publishes how it splits its
counters; low 0.8, high 1.0)."""
# Local public holidays: Alsace-Moselle and the overseas départements (holidays library codes)
SUBDIVISIONS = {"57": "57", "67": "6AE", "68": "6AE", "971": "971", "972": "972",
                "973": "973", "974": "974", "976": "976"}


class Factors(NamedTuple):
    """What one prefecture is, relative to the template."""

    demand: float  # multiplies every procedure's volume
    staff: float  # multiplies counter, back-office, reinforcement and seasonal ETP
    bots: float  # multiplies the operators' requests


def scale_dict(scenario: Mapping[str, Any], factor: float, bots: bool = True,
               staff: float | None = None) -> dict[str, Any]:
    """A scenario mapping whose demand, staff (and bots) are multiplied by ``factor``.

    ``staff`` multiplies the staff instead, when given. Fixed desk counters and bot
    identities are rounded, never below 1.
    """
    out = copy.deepcopy(dict(scenario))
    for proc in out["procedures"].values():
        proc["annual_volume"] *= factor
    people = factor if staff is None else staff
    team = out["staff"]
    team["front_office_etp"] *= people
    team["back_office_etp"] *= people
    for item in (*team.get("reinforcements", ()), *team.get("seasonal", ())):
        item["etp"] *= people
    for channel in out["channels"].values():
        if channel.get("counters") is not None:
            channel["counters"] = max(1, round(channel["counters"] * people))
    if bots:
        scale_bots(out, factor)
    return out


def scale_bots(scenario: dict[str, Any], factor: float) -> None:
    """Multiply the requests of every operator of ``scenario`` (a mapping) in place.

    A polling interval is capped at a day (the schema's bound): only the smallest
    prefectures at reduced scale reach it, where it adds at most a request a day.
    """
    for name, op in scenario.get("bots", {}).items():
        op = scenario["bots"][name] = scale_volume(op, factor)
        op["identities"] = max(1, round(op["identities"] * factor))
        for key in ("poll_interval_seconds", "release_poll_interval_seconds"):
            if op.get(key) is not None:
                op[key] = min(op[key], SECONDS_PER_DAY)


def scale_scenario(scenario: Scenario, factor: float, bots: bool = True) -> Scenario:
    """``scenario`` scaled by ``factor`` (see :func:`scale_dict`), through the loader's door."""
    if factor == 1.0:
        return scenario
    return validate(scale_dict(scenario.model_dump(mode="json"), factor, bots), scenario.name)


def departement_scenario(template: Scenario, code: str, factors: Factors,
                         to_convocation: Sequence[str] = (), to_race: Sequence[str] = (),
                         overrides: Sequence[str] = (), description: str = "",
                         shown: str = "national", renewals_protected: bool = False) -> Scenario:
    """The prefecture of ``code``: the template scaled, its policy, name and holidays (and
    its renewal convocations protected, if asked: :func:`protect_renewals`)."""
    data = scale_dict(template.model_dump(mode="json"), factors.demand, bots=False,
                      staff=factors.staff)
    scale_bots(data, factors.bots)
    where = f"{shown}: {code}"
    apply_policy(data, to_convocation, to_race, where)
    if renewals_protected:
        protect_renewals(data, factors.demand / factors.staff)
    data["name"] = f"{template.name}-{code}"
    data["description"] = description or data.get("description", "")
    data["calendar"]["subdivision"] = SUBDIVISIONS.get(code)
    layer = override_layer(data, list(overrides), f"{shown}: overrides.{code}") if overrides else {}
    return validate(deep_merge(data, layer), where)


def apply_policy(scenario: dict[str, Any], to_convocation: Sequence[str],
                 to_race: Sequence[str], where: str = "policy") -> None:
    """Move procedures to a convocation after a request (:data:`CONVOCATION`, a waitlist)
    or to the template's race, each with the part of the counter share its channel gives
    it in the template; a channel that ends up mixing parts of different channels splits
    its slots by an explicit ``allocation``, one left without procedures is removed.
    Changes ``scenario`` (a mapping) in place."""
    if not to_convocation and not to_race:
        return
    channels = scenario["channels"]
    race = next((n for n, c in channels.items() if c["kind"] == "race"), None)
    if race is None:
        raise ScenarioError([f"{where}: the template has no race channel to start from"])
    model = copy.deepcopy(channels[race])
    staying = [p for t in (CONVOCATION, race) if t in channels  # what the targets book
               for p in channels[t]["procedures"] if p not in (*to_convocation, *to_race)]
    parts = _parts(scenario, [*to_convocation, *to_race, *staying], where)
    moves = [*((p, CONVOCATION) for p in to_convocation), *((p, race) for p in to_race)]
    for name, target in moves:
        source, part = parts[name]
        if source == target:
            continue
        if target not in channels:
            channels[target] = _empty(model, waitlist=target == CONVOCATION)
        channels[source]["counter_share"] -= part
        channels[source]["procedures"].remove(name)
        channels[target]["counter_share"] += part
        channels[target]["procedures"].append(name)
    for name in [n for n, c in channels.items() if c.get("procedures") == []]:
        del channels[name]
    for name in {t for _, t in moves}:
        mine = channels[name]["procedures"]
        share = {p: part for p, (_, part) in _parts(scenario, mine, where).items()}
        before = {p: parts[p][1] for p in mine}
        total = sum(before.values())
        if total > 0 and any(abs(before[p] - share[p]) > 1e-12 for p in mine):
            channels[name]["allocation"] = {p: before[p] / total for p in mine}


def protect_renewals(scenario: dict[str, Any], load: float) -> None:
    """Give the channels that convoke renewals alone at least the template's counter time
    per renewal: their counter share times ``load`` (the prefecture's demand per agent over
    the template's) when above 1, at most :data:`MAX_RENEWAL_SHARE` of the counters (a
    prefecture with staff to spare keeps the template's shares); the other counter channels
    share the rest as they share it in the template. A prefecture convokes its renewals
    before titles expire and answers first requests with what is left, so a short
    prefecture's shortage falls on first requests, not on people already in the country.
    Nothing moves where renewals share a channel with other procedures. Changes ``scenario``
    in place.

    >>> s = {"procedures": {"r": {"renewal": {}}, "f": {"renewal": None}},
    ...      "channels": {"conv": {"kind": "waitlist", "procedures": ["r"], "counter_share": 0.5},
    ...                   "race": {"kind": "race", "procedures": ["f"], "counter_share": 0.5}}}
    >>> protect_renewals(s, 1.4)
    >>> [round(c["counter_share"], 3) for c in s["channels"].values()]
    [0.7, 0.3]
    >>> protect_renewals(s, 0.5)  # staff to spare: nothing moves
    >>> protect_renewals(s, 5.0)  # at most 0.9 of the counters
    >>> [round(c["counter_share"], 3) for c in s["channels"].values()]
    [0.9, 0.1]
    """
    procs, channels = scenario["procedures"], scenario["channels"]
    counters = {n: c for n, c in channels.items() if c["kind"] in COUNTER_KINDS
                and c.get("procedures") and c.get("counters") is None}  # a desk of its own
    renewal = [n for n, c in counters.items()
               if all(procs[p].get("renewal") is not None for p in c["procedures"])]
    total = sum(c["counter_share"] for c in counters.values())
    kept = sum(counters[n]["counter_share"] for n in renewal)
    others = total - kept
    if not renewal or kept <= 0 or others <= 0:
        return
    wanted = min(max(kept, kept * load), max(kept, MAX_RENEWAL_SHARE * total))
    for name, channel in counters.items():
        channel["counter_share"] *= wanted / kept if name in renewal else (total - wanted) / others


def _parts(scenario: Mapping[str, Any], names: Sequence[str], where: str
           ) -> dict[str, tuple[str, float]]:
    """For each procedure, the counter channel that books it and the part of that channel's
    counter share it demands (annual volume times counter minutes)."""
    procs, channels = scenario["procedures"], scenario["channels"]
    demand = {p: v["annual_volume"] * v["counter_minutes_per_visit"] for p, v in procs.items()}
    out = {}
    for name in names:
        found = [n for n, c in channels.items() if c["kind"] in COUNTER_KINDS
                 and name in (c.get("procedures") or ())]
        if name not in procs or len(found) != 1 or channels[found[0]].get("allocation"):
            raise ScenarioError([
                f"{where}: booking policy: {name!r} must be a procedure booked through exactly "
                f"one counter channel without allocation (found {found})"])
        channel = channels[found[0]]
        total = sum(demand[p] for p in channel["procedures"])
        out[name] = (found[0], channel["counter_share"] * demand[name] / total if total else 0.0)
    return out


def _empty(race: Mapping[str, Any], waitlist: bool) -> dict[str, Any]:
    """An empty race like the template's; or a convocation after an online request: a
    waitlist with the race's audience, no-shows and full calendar, dates given two weeks
    ahead as for the template's renewal convocations (estimate), no release schedule."""
    if not waitlist:
        return {**copy.deepcopy(dict(race)), "procedures": [], "counter_share": 0.0}
    keep = ("audience", "no_show", "prebooked_days", "cancellation_probability")
    return {"kind": "waitlist", "procedures": [], "counter_share": 0.0, "min_lead_days": 14.0,
            **{k: copy.deepcopy(race[k]) for k in keep if k in race}}
