"""Calibration: fit what nobody publishes to what was published, by search over the simulator.

Some inputs of a prefecture are never published: how many appointments people really need
(latent demand: refused and incomplete files, repeated visits, people counted twice), how
often they check the booking site, how many requests the bots send, how many back-office
hours a title takes. Others are published as *outcomes*: waits of 2 to 6 months, instruction
delays of 114 to 134 days, 170 million requests blocked. Calibration turns the knobs until
the simulated outcomes come close to the published ones.

Parameters are multipliers of a scenario's current values (``latent_demand=0.3:3`` multiplies
the volume of every procedure booked through a race), or any numeric dotted field with
absolute bounds (``staff.productive_share=0.4:0.8``). Targets are published figures named in
:data:`PUBLISHED` (each tied to ``data/`` keys) or ``MEASURE=VALUE``. The distance is the sum
of squared log ratios, simulated over published, so a 10 % gap weighs the same for a wait and
for a count. Every evaluation runs replications ``0..R-1`` of one seed (common random
numbers), so the search compares parameter values, not dice. One parameter:
:func:`scipy.optimize.minimize_scalar` (bounded); several: Nelder-Mead (bounded), both on
log-parameters.

Speed: ``scale`` shrinks demand, staff and bots alike (:func:`sim.national.scale_scenario`)
and ``days`` shortens the horizon; counts are divided by ``scale`` before comparison. A fit at
scale 0.25 over a year of Val-de-Marne takes about a minute.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize

from sim import data
from sim.analysis.metrics import km_quantile
from sim.experiment import RunResult, run
from sim.national import scale_scenario
from sim.scenario import Scenario
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import validate

MULTIPLIERS = ("latent_demand", "checks_per_day", "bot_requests", "back_office_hours")
EXTENSIVE = ("arrivals", "served", "still_waiting_end", "reseller_revenue_eur",
             "malicious_requests_per_day", "blocked_requests_per_day", "renewal_lapses",
             "undocumented_person_days", "protection_orders_expired", "staff_cost_eur",
             "appointments_per_week")
PENALTY = 25.0  # squared log gap given to a measure the simulation cannot produce (NaN)


class CalibrationError(ScenarioError):
    """Parameters or targets that cannot be used; one line per problem."""


# --- parameters ------------------------------------------------------------------------------


class Parameter(NamedTuple):
    """A knob: a named multiplier, or a dotted field with absolute bounds."""

    name: str
    low: float
    high: float

    @property
    def is_multiplier(self) -> bool:
        return self.name in MULTIPLIERS


_RANGE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*=\s*([0-9.eE+-]+)\s*:\s*([0-9.eE+-]+)\s*$")


def parse_parameter(text: str) -> Parameter:
    """``NAME=LOW:HIGH``; a multiplier name or a dotted numeric field.

    >>> parse_parameter("latent_demand=0.5:3")
    Parameter(name='latent_demand', low=0.5, high=3.0)
    """
    m = _RANGE.match(text)
    if not m:
        raise CalibrationError([f"--param {text!r}: expected NAME=LOW:HIGH, e.g. "
                                "latent_demand=0.5:3"])
    low, high = float(m.group(2)), float(m.group(3))
    if not 0 < low < high:
        raise CalibrationError([f"--param {text!r}: need 0 < LOW < HIGH"])
    name = m.group(1)
    if "." not in name and name not in MULTIPLIERS:
        raise CalibrationError([f"--param {text!r}: unknown parameter {name!r} (known: "
                                f"{', '.join(MULTIPLIERS)}, or a dotted scenario field)"])
    return Parameter(name, low, high)


def race_procedures(scenario: Scenario) -> list[str]:
    """Procedures booked through a race channel, whose demand is latent; protection orders
    are left out (their number comes from court statistics)."""
    races = [n for n, ch in scenario.channels.items() if ch.kind == "race"]
    out = []
    for proc, spec in scenario.procedures.items():
        if spec.protection_order is not None:
            continue
        for name in races:
            served = scenario.channels[name].procedures
            if served is None or proc in served:
                out.append(proc)
                break
    return out


def apply(scenario: Scenario, params: Sequence[Parameter], values: Sequence[float]) -> Scenario:
    """``scenario`` with each parameter set to its value, validated again."""
    d = scenario.model_dump(mode="json")
    for p, x in zip(params, values, strict=True):
        if p.name == "latent_demand":
            for proc in race_procedures(scenario):
                d["procedures"][proc]["annual_volume"] *= x
        elif p.name == "checks_per_day":
            for cls in d["behaviour"]["seekers"]:
                cls["checks_per_day"] *= x
        elif p.name == "bot_requests":
            for op in d["bots"].values():
                op["requests_per_day"] *= x
        elif p.name == "back_office_hours":
            for proc in d["procedures"].values():
                proc["casework"]["back_office_hours_per_file"] *= x
        else:
            node: Any = d
            *path, last = p.name.split(".")
            for key in path:
                node = node[key] if isinstance(node, dict) and key in node else None
                if node is None:
                    raise CalibrationError([f"--param {p.name}: no such field"])
            if not isinstance(node, dict) or not isinstance(node.get(last), int | float):
                raise CalibrationError([f"--param {p.name}: not a numeric field"])
            node[last] = x
    return validate(d, scenario.name)


def start_value(scenario: Scenario, p: Parameter) -> float:
    """Where the search starts: 1 for a multiplier, the current value of a field."""
    if p.is_multiplier:
        x = 1.0
    else:
        node: Any = scenario.model_dump(mode="json")
        for key in p.name.split("."):
            node = node[key]
        x = float(node)
    return min(max(x, p.low), p.high)


# --- measures and targets --------------------------------------------------------------------


def measures(runs: Sequence[RunResult], scenario: Scenario, scale: float = 1.0
             ) -> dict[str, float]:
    """Every KPI (``kpi`` for all procedures, ``kpi@procedure``) as a mean over replications,
    plus ``appointments_per_week[.race]`` and ``wait_days_p50.race``; counts / ``scale``."""
    kpis = pd.concat([r.kpis for r in runs], ignore_index=True)
    means = kpis.groupby(["kpi", "procedure"], sort=False)["value"].mean()
    out = {(k if p == "all" else f"{k}@{p}"): float(v) for (k, p), v in means.items()}
    races = [n for n, ch in scenario.channels.items() if ch.kind == "race"]
    h = scenario.horizon
    weeks = (h.days - math.floor(h.warmup_days)) / 7.0
    per_week, race_week, p50, p90 = [], [], [], []
    for r in runs:
        a = r.applicants
        came = a["outcome"].isin(["served", "no_show"]) & a["booked_at"].notna()
        due = came & (a["appointment_at"] >= math.floor(h.warmup_days))
        due &= a["appointment_at"] < h.days
        per_week.append(due.sum() / weeks)
        race_week.append((due & a["channel"].isin(races)).sum() / weeks)
        mine = a[a["after_warmup"] & a["channel"].isin(races)]
        seen = ~mine["censored"].to_numpy()
        wait = mine["wait_days"].to_numpy()
        p50.append(km_quantile(wait, seen, 0.5) if len(mine) else np.nan)
        p90.append(km_quantile(wait, seen, 0.9) if len(mine) else np.nan)
    out["appointments_per_week"] = float(np.mean(per_week))
    out["appointments_per_week.race"] = float(np.mean(race_week))
    out["wait_days_p50.race"] = float(np.nanmean(p50)) if np.isfinite(p50).any() else np.nan
    out["wait_days_p90.race"] = float(np.nanmean(p90)) if np.isfinite(p90).any() else np.nan
    for key in list(out):
        if key.split("@")[0].split(".")[0] in EXTENSIVE:
            out[key] /= scale
    return out


def simulate(scenario: Scenario, seed: int, replications: int, scale: float = 1.0
             ) -> dict[str, float]:
    """Measures of ``scenario`` (scaled down by ``scale``) over ``replications``."""
    small = scale_scenario(scenario, scale)
    return measures([run(small, seed, r) for r in range(replications)], scenario, scale)


class Target(NamedTuple):
    """A published (or user-given) value a simulated measure should come close to."""

    name: str
    measure: str
    value: float
    low: float | None = None
    high: float | None = None
    weight: float = 1.0
    source: str = "given on the command line"


class Published(NamedTuple):
    """A published figure the baseline is compared with; keys refer to ``data/``."""

    name: str
    label: str
    measure: str
    key: str  # point target, KEY@YEAR
    range: tuple[str, str] | None  # published range, KEY@YEAR each
    shown: tuple[str, ...]  # other figures shown beside it
    per_94: bool  # a national figure, times Val-de-Marne's weight
    why: str  # what explains a gap, in words


PUBLISHED: tuple[Published, ...] = (
    Published(
        "race_appointments_per_week", "Séjour appointments a week, Val-de-Marne",
        "appointments_per_week.race", "val_de_marne_sejour_appointments_per_week_estimate@2019",
        None, ("val_de_marne_sejour_appointments_h1@2019",), False,
        "The race's counter share was set so that the permanent staff give this figure. "
        "The 2021 contract staff (September to December) add slots, which lifts the simulated "
        "figure; slots lost on the way (expired unbooked, bot bookings given up unsold) lower "
        "it. No-shows count, as the published figure counts appointments granted. Renewal "
        "convocations are assumed outside the published count, and 2019 is compared with "
        "2021."),
    Published(
        "appointment_wait", "Wait for an appointment (race), median",
        "wait_days_p50.race", "appointment_wait_mid_days@2019",
        ("appointment_wait_min_days@2019", "appointment_wait_max_days@2019"), (), False,
        "Associations report 2 to 6 months nationally (2019); the median is fitted to the "
        "geometric middle through latent demand. The published range mixes prefectures and "
        "procedures; the simulated median mixes first titles, AES, duplicates and protection "
        "orders of one prefecture, and counts people who gave up as censored."),
    Published(
        "first_title_delay", "Instruction delay, first titles",
        "instruction_days_mean@first_title", "first_title_delay_observed@2021", None,
        ("first_title_delay_observed@2020", "first_title_delay_observed@2022"), False,
        "National means for 2020 and 2022, interpolated for 2021 and fitted through the "
        "back-office hours per title. The model's back office starts empty and works one "
        "first-in first-out queue for every procedure, so its delay grows through the year "
        "instead of starting at its 2021 level."),
    Published(
        "renewal_delay", "Instruction delay, renewals",
        "instruction_days_mean@renewal", "renewal_delay_observed@2021", None,
        ("renewal_delay_observed@2020", "renewal_delay_observed@2022"), False,
        "Not fitted. One first-in first-out instruction queue serves every procedure, so "
        "renewals wait as long as first titles; in reality renewals are simpler and go "
        "faster (63-77 against 114-134 days). Per-procedure queues would be needed."),
    Published(
        "blocked_requests", "Malicious requests blocked a day, Val-de-Marne share",
        "blocked_requests_per_day", "vdm_blocked_requests_per_day@2021", None,
        ("illicit_connections_blocked_since_june_2020@2021",
         "blocked_requests_per_day_national@2021"), False,
        "About 170 million requests were identified and foiled nationally from June 2020 to "
        "late 2021; Val-de-Marne's share follows its demand weight. The bots' request rate is "
        "fitted so that filtering and the CAPTCHA block this many; how many pass is not "
        "published: with the estimated filtering (50 %) and CAPTCHA pass rate (10 %) only 5 % "
        "pass, too few against people's own checks to take more than a small share of slots "
        "in this model, where a bot's request is no faster than a person's."),
)
DEFAULT_TARGETS = ("appointment_wait", "first_title_delay", "blocked_requests")
DEFAULT_PARAMETERS = ("latent_demand=0.3:3", "back_office_hours=0.5:4",
                      "bot_requests=0.1:10")


def _figure(ref: str) -> float:
    key, _, year = ref.partition("@")
    return data.value(key, int(year))


def published_target(name: str) -> Target:
    """The :class:`Target` of a published figure, values read from ``data/``."""
    pub = {p.name: p for p in PUBLISHED}.get(name)
    if pub is None:
        raise CalibrationError([f"--target {name!r}: unknown published target (known: "
                                f"{', '.join(p.name for p in PUBLISHED)}), or MEASURE=VALUE"])
    low = high = None
    if pub.range:
        low, high = (_figure(r) for r in pub.range)
    return Target(pub.name, pub.measure, _figure(pub.key), low, high, 1.0, pub.key)


def parse_target(text: str) -> Target:
    """A published target's name, or ``MEASURE=VALUE``.

    >>> parse_target("wait_days_mean@first_title=90").value
    90.0
    """
    if "=" not in text:
        return published_target(text.strip())
    measure, _, raw = text.partition("=")
    try:
        value = float(raw)
    except ValueError:
        raise CalibrationError([f"--target {text!r}: VALUE must be a number"]) from None
    if value <= 0:
        raise CalibrationError([f"--target {text!r}: VALUE must be positive (gaps are "
                                "log ratios)"])
    return Target(measure.strip(), measure.strip(), value)


def distance(sim: dict[str, float], targets: Sequence[Target]) -> float:
    """Sum of weighted squared log ratios; a missing or non-positive measure costs PENALTY."""
    total = 0.0
    for t in targets:
        x = sim.get(t.measure, np.nan)
        total += t.weight * (math.log(x / t.value) ** 2 if x > 0 else PENALTY)
    return total


def check_measures(sim: dict[str, float], targets: Sequence[Target]) -> None:
    unknown = [t.measure for t in targets if t.measure not in sim]
    if unknown:
        known = ", ".join(sorted(k for k in sim if "@" not in k)[:12])
        raise CalibrationError([f"--target: unknown measure {m!r} (e.g. {known}; add "
                                "@PROCEDURE for one procedure)" for m in unknown])


# --- the fit ---------------------------------------------------------------------------------


class Fit(NamedTuple):
    scenario: Scenario  # the full-size scenario with fitted values
    parameters: pd.DataFrame  # parameter, low, high, start, fitted
    quality: pd.DataFrame  # target, measure, published, low, high, simulated, gap_pct
    trace: pd.DataFrame  # one row per evaluation: values and distance
    distance: float
    start_distance: float
    evaluations: int
    seconds: float
    message: str


def calibrate(scenario: Scenario, params: Sequence[Parameter], targets: Sequence[Target],
              seed: int = 1, replications: int = 2, scale: float = 1.0,
              max_evaluations: int = 60, progress: Callable[[int], None] | None = None) -> Fit:
    """Fit ``params`` of ``scenario`` to ``targets`` (see the module docstring)."""
    if not params or not targets:
        raise CalibrationError(["calibrate needs at least one parameter and one target"])
    started = time.time()
    trace: list[tuple[float, ...]] = []
    cache: dict[tuple[float, ...], tuple[float, dict[str, float]]] = {}

    def evaluate(values: Sequence[float]) -> tuple[float, dict[str, float]]:
        key = tuple(round(float(v), 10) for v in values)
        if key not in cache:
            sim = simulate(apply(scenario, params, key), seed, replications, scale)
            if not trace:
                check_measures(sim, targets)
            cache[key] = (distance(sim, targets), sim)
            trace.append((*key, cache[key][0]))
            if progress is not None:
                progress(len(trace))
        return cache[key]

    def objective(z: np.ndarray) -> float:
        return evaluate(np.exp(np.atleast_1d(z)))[0]

    lo = np.log([p.low for p in params])
    hi = np.log([p.high for p in params])
    x0 = np.log([start_value(scenario, p) for p in params])
    start = objective(x0)
    if len(params) == 1:
        res = optimize.minimize_scalar(lambda z: objective(np.array([z])), bounds=(lo[0], hi[0]),
                                       method="bounded",
                                       options={"maxiter": max_evaluations, "xatol": 0.01})
    else:
        step = np.minimum(0.3, (hi - lo) / 2)
        simplex = np.vstack([x0] + [x0 + np.eye(len(x0))[k] * np.where(
            x0 + step[k] <= hi[k], step[k], -step[k]) for k in range(len(x0))])
        bounds = list(zip(lo, hi, strict=True))
        res = optimize.minimize(objective, x0, method="Nelder-Mead", bounds=bounds,
                                options={"maxfev": max_evaluations, "xatol": 0.01,
                                         "fatol": 1e-4, "initial_simplex": simplex})
    # the best evaluation seen (the optimiser's last point may be worse under noise)
    done = pd.DataFrame(trace, columns=[*(p.name for p in params), "distance"])
    row = done.loc[done["distance"].idxmin()]
    values = [float(row[p.name]) for p in params]
    dist, sim = evaluate(values)
    fitted = apply(scenario, params, values)
    table = pd.DataFrame({"parameter": [p.name for p in params],
                          "low": [p.low for p in params], "high": [p.high for p in params],
                          "start": [start_value(scenario, p) for p in params],
                          "fitted": values})
    return Fit(fitted, table, quality(sim, targets), done, dist, start, len(trace),
               time.time() - started, str(getattr(res, "message", "")))


def quality(sim: dict[str, float], targets: Sequence[Target]) -> pd.DataFrame:
    """Target, published value (and range), simulated value and the gap in percent."""
    rows = []
    for t in targets:
        x = sim.get(t.measure, np.nan)
        rows.append((t.name, t.measure, t.value, t.low, t.high, x,
                     100.0 * (x / t.value - 1.0), t.source))
    return pd.DataFrame(rows, columns=["target", "measure", "published", "low", "high",
                                       "simulated", "gap_pct", "source"])


# --- the calibration report --------------------------------------------------------------------

CONTEXT = (  # simulated outcomes nobody publishes, shown for orientation
    ("bot_slot_share", "Share of race bookings made by bots"),
    ("paid_booking_share", "Share of bookings paid to a reseller"),
    ("attempts_per_booking", "Online requests per booking"),
    ("renewal_lapses", "Renewals lapsed before their convocation (a year)"),
    ("protection_orders_expired", "Protection orders expired before the deposit (a year)"),
    ("front_office_utilisation", "Counter utilisation"),
    ("back_office_utilisation", "Back-office utilisation"),
)


def _interval(values: Sequence[float]) -> tuple[float, float]:
    from sim.compare import t_interval

    mean, half, _ = t_interval(np.asarray(values, dtype=float))
    return mean, half


def _num(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) < 10 else f"{x:.0f}"


def _ref(ref: str) -> str:
    key, _, year = ref.partition("@")
    fig = data.figure(key, int(year))
    source = fig.source if fig.status == "sourced" else f"{fig.status}: {fig.source}"
    return f"`{ref}` = {_num(float(fig.value))} {fig.unit} ({source})"


def _verdict(x: float, t: Target) -> str:
    if not math.isfinite(x):
        return "not produced"
    gap = f"{100 * (x / t.value - 1):+.0f} %"
    if t.low is not None and t.high is not None:
        inside = t.low <= x <= t.high
        return f"{gap} ({'inside' if inside else 'outside'} the published range)"
    return gap


def report(scenario: Scenario, source: str, seed: int = 1, replications: int = 5,
           fit: dict[str, Any] | None = None, command: str = "") -> str:
    """The calibration report (Markdown): simulated against published, gaps explained.

    Deterministic given the seed: it holds no time stamp and no run time.
    """
    runs = [run(scenario, seed, r) for r in range(replications)]
    per_rep = [measures([r], scenario) for r in runs]
    w94 = data.value("departement_weight_94", 2021)
    lines = [
        "# Calibration report: Val-de-Marne 2021 baseline",
        "",
        f"Generated by `{command or 'prefsim calibration-report'}`; do not edit by hand.",
        f"Scenario `{source}` ({scenario.name}), seed {seed}, {replications} replications, "
        f"full scale. Simulated values are means over replications with the half-width of "
        "a Student-t 95 % interval. Published figures and the figures derived from them "
        "come from `data/` (see [data](data.md)); `estimate` marks a derived figure that "
        "involves an assumption.",
        "",
        "| quantity | published | simulated | gap |",
        "|---|---|---|---|",
    ]
    details = []
    for pub in PUBLISHED:
        t = published_target(pub.name)
        mean, half = _interval([m.get(t.measure, np.nan) for m in per_rep])
        shown = f"{_num(t.value)}" + (f" ({_num(t.low)}-{_num(t.high)})" if t.low else "")
        sim = f"{_num(mean)} ± {_num(half)}"
        lines.append(f"| {pub.label} | {shown} | {sim} | {_verdict(mean, t)} |")
        refs = [pub.key, *(pub.range or ()), *pub.shown]
        extra = ""
        if pub.name == "blocked_requests" and math.isfinite(mean):
            extra = (f" Simulated nationally (divided by the weight {w94:.4f}) over the 547 "
                     f"days: {mean / w94 * 547 / 1e6:,.0f} million.")
        details += [f"### {pub.label}", "", f"Measure `{t.measure}`. {pub.why}{extra}", "",
                    *[f"- {_ref(r)}" for r in refs], ""]
    lines += ["", "## Why the gaps", "", *details]
    lines += ["## Simulated, not published", "",
              "Orientation only: no public figure to compare with.", "",
              "| quantity | simulated |", "|---|---|"]
    for kpi, label in CONTEXT:
        mean, half = _interval([m.get(kpi, np.nan) for m in per_rep])
        lines.append(f"| {label} (`{kpi}`) | {_num(mean)} ± {_num(half)} |")
    if fit:
        lines += ["", "## Parameters fitted by `prefsim calibrate`", "",
                  f"Command: `{fit.get('command', '')}`; seed {fit.get('seed')}, "
                  f"{fit.get('replications')} replications, scale {fit.get('scale')}, "
                  f"{fit.get('evaluations')} evaluations; distance "
                  f"{fit.get('start_distance', 0):.3g} at the start, "
                  f"{fit.get('distance', 0):.3g} fitted.", "",
                  "| parameter | range | fitted |", "|---|---|---|"]
        for p in fit.get("parameters", []):
            lines.append(f"| `{p['parameter']}` | {p['low']:g}-{p['high']:g} | "
                         f"{p['fitted']:.3f} |")
        lines += ["", "The fitted multipliers are written into "
                  "`scenarios/val-de-marne-2021.yaml` (comments mark them `fitted`)."]
    return "\n".join(lines) + "\n"
