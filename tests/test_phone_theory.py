"""The phone line's call queue against queueing theory (slow tier).

With retrials off, a continuous calendar, a fixed number of agents, Poisson calls (every need
calls once, when it appears), exponential handling times and exponential patience on hold,
and unlimited lines, the call queue of :mod:`sim.engine.booking.phone` is exactly the
M/M/c+M (Erlang-A) queue. This file checks the share of calls that wait, the share that
hang up and the mean wait on hold of the answered calls against
:func:`sim.analysis.theory.erlang_a.erlang_a`, as ``tests/test_desk_theory.py`` does for the
walk-in desk.

Design (as the desk's; see docs/validation.md)
----------------------------------------------
* Scenarios are ``scenarios/validation/phone_abandon.yaml`` with dotted overrides for the
  rates and the horizon, loaded through :func:`sim.scenario.loader.load`; the closed forms
  are evaluated at the rates of the loaded scenario.
* Each case runs ``REPLICATIONS`` replications of its own seed, derived from the fixed
  ``SEED`` and the case's parameters.
* The line starts empty: calls of the warm-up (many relaxation times) are left out, and so
  are those of a cool-down long enough that every measured call is answered or abandoned
  before the horizon (asserted: nobody measured is still holding).
* Per replication: ``P(wait > 0)``, ``P(abandon)`` (calls that hung up) and the mean wait on
  hold of the answered calls; a 99 % Student-t interval across replications must contain
  the closed form. ``SEED`` is fixed once and never tuned.

A check that can fail: the same replications against the closed form at a 5 % higher call
rate fall outside every interval (run by hand while building this file, not kept in the
suite).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.analysis.theory.checks import t_interval
from sim.analysis.theory.erlang_a import erlang_a
from sim.engine.model import simulate
from sim.engine.records import ABANDONED
from sim.engine.streams import stable_hash
from sim.scenario.loader import load

pytestmark = pytest.mark.slow

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "phone_abandon.yaml"
SEED = 20261203  # fixed once for the whole file; never tuned to make a case pass
REPLICATIONS = 20
MEASURED = 20_000  # expected measured calls per replication
CONFIDENCE = 0.99
MU = 480.0  # calls per agent per day: 3-minute calls
SLOT_MINUTES_PER_ETP = 1607 * 0.6 * 60 / 365  # one-minute slots a day per front-office ETP

CASES = [
    pytest.param(c, rho, ratio, id=f"c{c}-rho{rho}-theta{ratio}mu")
    for c, rho, ratio in [(1, 0.7, 0.5), (1, 1.3, 0.5), (5, 1.0, 0.5), (5, 1.3, 2.0),
                          (20, 0.9, 0.5), (20, 1.2, 0.2)]
]


@pytest.mark.parametrize(("c", "rho", "theta_over_mu"), CASES)
def test_phone_queue_matches_erlang_a(c: int, rho: float, theta_over_mu: float) -> None:
    lam, theta = rho * c * MU, theta_over_mu * MU
    warmup = 20 / min(theta, MU)
    cooldown = 40 / theta
    days = math.ceil(warmup + MEASURED / lam + cooldown)
    scenario = load(SCENARIO, [
        f"procedures.caller.annual_volume={lam * 365!r}",
        f"channels.phone.agents={c}",
        f"channels.phone.handling_minutes={1440 / MU!r}",
        f"channels.phone.hold_patience_minutes={1440 / theta!r}",
        f"staff.front_office_etp={math.ceil(1.5 * lam / SLOT_MINUTES_PER_ETP)}",
        f"horizon.days={days}",
        f"horizon.warmup_days={warmup!r}",
    ])
    # the closed form at the rates of the scenario as loaded
    phone = scenario.channels["phone"]
    assert scenario.calendar.continuous and phone.kind == "phone"
    assert phone.retrial_mean_hours is None and phone.lines is None
    assert phone.handling_kind == "exponential" and phone.agents == c
    assert phone.hold_patience_minutes is not None
    lam_s = scenario.procedures["caller"].annual_volume / 365
    mu_s, theta_s = 1440 / phone.handling_minutes, 1440 / phone.hold_patience_minutes
    exact = erlang_a(lam_s, mu_s, theta_s, c)
    seed = stable_hash(f"{SEED}/c={c}/rho={rho!r}/theta_over_mu={theta_over_mu!r}")
    rows = []
    for r in range(REPLICATIONS):
        out = simulate(scenario, seed, r)
        pop, rec = out.population, out.records
        measured = (pop.arrival >= warmup) & (pop.arrival < days - cooldown)
        calls = rec.attempts[measured]
        answered = rec.answered[measured]
        hold = rec.hold_days[measured]
        hung_up = rec.outcome[measured] == ABANDONED
        assert (calls == 1).all()  # no retrial
        assert (answered + hung_up == 1).all(), "a measured call is still on hold"
        rows.append([((answered == 1) & (hold > 0)).sum() / calls.sum() + hung_up.mean(),
                     hung_up.mean(), hold[answered == 1].mean()])
    estimates = np.array(rows)
    targets = {"p_wait": exact.p_wait, "p_abandon": exact.p_abandon,
               "mean_hold_answered": exact.mean_wait_served}
    lines, failed = [], []
    for k, (name, value) in enumerate(targets.items()):
        mean, low, high = t_interval(estimates[:, k], confidence=CONFIDENCE)
        ok = low <= value <= high
        lines.append(f"phone M/M/{c}+M rho={rho} theta/mu={theta_over_mu} {name}: exact "
                     f"{value:.6g}, mean {mean:.6g}, 99% interval [{low:.6g}, {high:.6g}]"
                     f"{'' if ok else '  <-- outside'}")
        if not ok:
            failed.append(name)
    print("\n".join(lines))  # the validation table, with ``pytest -s``
    assert not failed, "\n".join(lines)
