"""Who checks a race channel when: the intensities of people, helpers and bots.

A race channel publishes slots on a schedule (:class:`sim.channels.ReleaseSchedule`). When
the schedule has a fixed hour (``daily`` or ``weekly``), people know it: each seeker class
makes ``release_checks`` extra visits in the ``release_window_minutes`` after it, on top of
its daily visits (``checks_per_day``, a share ``night_share`` of them at night, 22h-6h).
Bot operators poll each target page every ``poll_interval_seconds`` around the clock (or
spread ``requests_per_day`` evenly), and every ``release_poll_interval_seconds`` from
``release_window_minutes_before`` a known release to ``release_window_minutes_after`` it.
Random and continuous releases, and slots given back (cancellations), happen at times
nobody knows: they bring no burst.

Countermeasures act on each bot request as it is sent: filtering blocks
``filtered_share``; with a CAPTCHA an operator solves at most ``identities /
captcha_solve_seconds`` per second (all targets together) and only ``captcha_pass_rate`` of
the solved requests pass. What passes is the operator's *effective* intensity, the one that
competes in the race (:mod:`sim.engine.booking.race`).

Sources of the defaults (``docs/policies.md``): public bots poll every 0.8-1 s
(``2ooom/bot-prefecture`` ``watcher.py``: ``DELAY_IF_NOT_FOUND_SEC = 1``;
``anesabdelli/bot-rdv-prefecture``: 0.8 s), paid alert services every 30-45 s; people's
habits are *estimates*.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.engine.intensity import (
    Grid,
    Profile,
    daily_shape,
    in_windows,
    night_bins,
    window_cuts,
)
from sim.scenario import Behaviour, SeekerClass
from sim.scenario.channels import ReleaseSchedule
from sim.scenario.countermeasures import BotOperator, Countermeasures

MINUTE = 1.0 / 1440.0
SECONDS_PER_DAY = 86400.0


def known_releases(schedule: ReleaseSchedule | None) -> list[float]:
    """Week times (days since Monday 0:00) of the releases people and bots know of.

    >>> known_releases(ReleaseSchedule(kind="weekly", weekday=0, hour=9.0))
    [0.375]
    >>> len(known_releases(ReleaseSchedule(kind="daily", hour=8.0)))
    7
    """
    if schedule is None or schedule.kind not in ("daily", "weekly"):
        return []
    hour = schedule.hour / 24.0
    if schedule.kind == "weekly":
        return [schedule.weekday + hour]
    return [d + hour for d in range(7)]


def channel_grid(behaviour: Behaviour, bots: Sequence[BotOperator],
                 schedule: ReleaseSchedule | None, phase: float) -> Grid:
    """The bins on which every intensity of a race channel is constant: night edges and
    the windows around its known releases."""
    releases = known_releases(schedule)
    cuts = [d + h for d in range(7) for h in (6.0 / 24.0, 22.0 / 24.0)]
    cuts += window_cuts(releases, 0.0, behaviour.release_window_minutes * MINUTE)
    for op in bots:
        if op.release_poll_interval_seconds is not None:
            cuts += window_cuts(releases, op.release_window_minutes_before * MINUTE,
                                op.release_window_minutes_after * MINUTE)
    return Grid(cuts, phase)


def checker_profiles(behaviour: Behaviour, grid: Grid,
                     schedule: ReleaseSchedule | None) -> list[Profile]:
    """Intensity (visits per day per person) of each seeker class, then of the helpers of
    people without digital access (if ``behaviour.help`` is set)."""
    releases = known_releases(schedule)
    window = behaviour.release_window_minutes * MINUTE
    after = in_windows(grid, releases, 0.0, window)
    classes: list[SeekerClass] = list(behaviour.seekers)
    out = [_person(grid, c.checks_per_day, c.night_share, c.release_checks, after, window)
           for c in classes]
    if behaviour.help is not None:
        h = behaviour.help
        out.append(_person(grid, h.checks_per_day, h.night_share, h.release_checks, after,
                           window))
    return out


def checker_classes(behaviour: Behaviour, seeker_class: np.ndarray,
                    digital: np.ndarray) -> np.ndarray:
    """Each applicant's class of checker: their seeker class, or, without digital access
    and with ``behaviour.help`` set, the helpers' class (the last of
    :func:`checker_profiles`): they cannot check the site themselves."""
    classes = seeker_class.copy()
    if behaviour.help is not None:
        classes[~digital] = len(behaviour.seekers)
    return classes


def _person(grid: Grid, per_day: float, night_share: float, release_checks: float,
            after: list[bool], window: float) -> Profile:
    extra = release_checks / window if release_checks else 0.0
    shape = daily_shape(grid, night_share)
    return Profile(grid, [per_day * s + (extra if a else 0.0)
                          for s, a in zip(shape, after, strict=True)])


def bot_profiles(op: BotOperator, measures: Countermeasures, grid: Grid,
                 schedule: ReleaseSchedule | None,
                 n_targets: int) -> tuple[Profile, Profile, Profile]:
    """Requests per day on one target page of an operator that spreads its requests over
    ``n_targets`` pages: sent, passing (they compete in the race) and blocked (filtered or
    failing the CAPTCHA; requests it could not solve in time are neither)."""
    if op.poll_interval_seconds is not None:
        background = SECONDS_PER_DAY / op.poll_interval_seconds
    else:
        background = (op.requests_per_day or 0.0) / n_targets
    sent = [background] * grid.n
    if op.release_poll_interval_seconds is not None:
        burst = SECONDS_PER_DAY / op.release_poll_interval_seconds
        inside = in_windows(grid, known_releases(schedule),
                            op.release_window_minutes_before * MINUTE,
                            op.release_window_minutes_after * MINUTE)
        sent = [max(burst, r) if w else r for r, w in zip(sent, inside, strict=True)]
    fates = [_fate(r, op, measures, n_targets) for r in sent]
    return (Profile(grid, sent), Profile(grid, [f[0] for f in fates]),
            Profile(grid, [f[1] for f in fates]))


def _fate(rate: float, op: BotOperator, m: Countermeasures,
          n_targets: int) -> tuple[float, float]:
    """(passing, blocked) requests per day on one target, of ``rate`` sent."""
    reaching = rate * (1.0 - m.filtered_share)
    if not m.captcha:
        return reaching, rate - reaching
    solved = min(reaching, op.identities * SECONDS_PER_DAY
                 / max(m.captcha_solve_seconds, 1e-9) / n_targets)
    passed = solved * m.captcha_pass_rate
    return passed, rate - reaching + solved - passed


def night_profile(profile: Profile) -> Profile:
    """The part of an intensity that falls at night (22h-6h)."""
    return profile.masked(night_bins(profile.grid))
