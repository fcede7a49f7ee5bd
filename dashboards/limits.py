"""What one request may ask of the shared dashboard server, checked before anything runs.

The server is shared, so one visitor must not be able to hang it: :class:`Limits` caps the
horizon, the replications, the applicants a run may simulate, and the memory and CPU time a
request is estimated to take (the command line's estimate, :mod:`sim.engine.workload`: a
scenario with a huge staff or very short visits cuts millions of slots from few applicants),
and :func:`check_limits` says why a request is refused *before* anything runs. Defaults are
raised with ``PREFSIM_DASHBOARD_*`` environment variables on the server. Nothing here touches
Streamlit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sim.engine.workload import estimate
from sim.experiments.budget import Budget, Hints
from sim.experiments.budget import problems as budget_problems
from sim.scenario import Scenario

MAX_SCENARIOS = 4


def _env_int(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, default)))
    except ValueError:
        return default


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 and value < float("inf") else default


@dataclass(frozen=True)
class Limits:
    """What one request may ask of the server; raise them with ``PREFSIM_DASHBOARD_*``."""

    max_horizon_days: int = 1100
    max_replications: int = 10
    max_applicants_per_run: int = 200_000
    max_applicants_per_comparison: int = 2_000_000
    max_memory_gb: float = 2.0  # a comparison, all its replications' tables included
    max_minutes: float = 0.5  # CPU minutes of one replication (estimated)
    max_minutes_per_comparison: float = 5.0  # CPU minutes of all the replications

    @classmethod
    def from_env(cls) -> Limits:
        """Defaults, or the values of ``PREFSIM_DASHBOARD_MAX_HORIZON_DAYS`` and friends."""
        d = cls()
        return cls(
            _env_int("PREFSIM_DASHBOARD_MAX_HORIZON_DAYS", d.max_horizon_days),
            _env_int("PREFSIM_DASHBOARD_MAX_REPLICATIONS", d.max_replications),
            _env_int("PREFSIM_DASHBOARD_MAX_APPLICANTS_PER_RUN", d.max_applicants_per_run),
            _env_int("PREFSIM_DASHBOARD_MAX_APPLICANTS_PER_COMPARISON",
                     d.max_applicants_per_comparison),
            _env_float("PREFSIM_DASHBOARD_MAX_MEMORY_GB", d.max_memory_gb),
            _env_float("PREFSIM_DASHBOARD_MAX_MINUTES", d.max_minutes),
            _env_float("PREFSIM_DASHBOARD_MAX_MINUTES_PER_COMPARISON",
                       d.max_minutes_per_comparison),
        )


LIMITS = Limits.from_env()


DASHBOARD_HINTS = Hints(
    "the server's PREFSIM_DASHBOARD_MAX_MEMORY_GB, or run it with `prefsim compare`",
    "the server's PREFSIM_DASHBOARD_MAX_MINUTES, or run it with `prefsim compare`")


def expected_applicants(scenario: Scenario) -> float:
    """Applicants one run may draw: the annual volumes over the whole simulated timeline
    (burn-in and follow-up included), a high estimate (:func:`sim.engine.workload.estimate`).

    >>> from sim.scenario.loader import validate
    >>> s = validate({"horizon": {"days": 73}, "staff": {"front_office_etp": 1},
    ...               "procedures": {"a": {"annual_volume": 1000}, "b": {"annual_volume": 500}},
    ...               "channels": {"online": {"kind": "waitlist"}}})
    >>> round(expected_applicants(s))  # 300 expected, four standard deviations up
    369
    """
    return estimate(scenario).applicants


def check_limits(scenarios: Mapping[str, Scenario], replications: int,
                 limits: Limits = LIMITS) -> list[str]:
    """Why running ``scenarios`` (by label) with ``replications`` is refused; [] if allowed.

    >>> from sim.scenario.loader import validate
    >>> s = validate({"horizon": {"days": 2000}, "staff": {"front_office_etp": 1},
    ...               "procedures": {"a": {"annual_volume": 1000}},
    ...               "channels": {"online": {"kind": "waitlist"}}})
    >>> check_limits({"big": s}, 3)  # doctest: +NORMALIZE_WHITESPACE
    ['big: horizon.days = 2000 is above the dashboard limit of 1100 days; shorten it in the
      Editor, or run it with `prefsim compare` on the command line.']
    """
    problems = []
    if not 1 <= replications <= limits.max_replications:
        problems.append(f"replications = {replications}: the dashboard allows 1 to "
                        f"{limits.max_replications} per scenario.")
    if len(scenarios) > MAX_SCENARIOS:
        problems.append(f"{len(scenarios)} scenarios selected: compare at most {MAX_SCENARIOS}.")
    total = 0.0
    for label, s in scenarios.items():
        if s.horizon.days > limits.max_horizon_days:
            problems.append(f"{label}: horizon.days = {s.horizon.days} is above the dashboard "
                            f"limit of {limits.max_horizon_days} days; shorten it in the "
                            "Editor, or run it with `prefsim compare` on the command line.")
        n = expected_applicants(s)
        total += n * replications
        if n > limits.max_applicants_per_run:
            problems.append(f"{label}: about {n:,.0f} applicants per run (annual volumes over "
                            "the simulated days, burn-in and follow-up included) is above the "
                            f"dashboard limit of {limits.max_applicants_per_run:,} per run; "
                            "shorten the horizon or use `prefsim compare` on the command line.")
    if not problems:
        problems += budget_problems(scenarios, Budget(limits.max_memory_gb, limits.max_minutes),
                                    replications, hints=DASHBOARD_HINTS)
    minutes = sum(estimate(s).seconds for s in scenarios.values()) * replications / 60
    if not problems and minutes > limits.max_minutes_per_comparison:
        problems.append(f"about {minutes:,.1f} CPU minutes in all ({replications} replications "
                        f"x {len(scenarios)} scenarios) is above the dashboard limit of "
                        f"{limits.max_minutes_per_comparison:g} minutes per comparison; use "
                        "fewer replications or scenarios, or the quick setting.")
    if not problems and total > limits.max_applicants_per_comparison:
        problems.append(f"about {total:,.0f} applicants in all ({replications} replications x "
                        f"{len(scenarios)} scenarios) is above the dashboard limit of "
                        f"{limits.max_applicants_per_comparison:,} per comparison; use fewer "
                        "replications or scenarios, or the quick setting.")
    return problems
