"""What the probe read: bin shares per procedure and month, and the share that found a date.

The engine records, per race channel and procedure, the pieces of time during which a
reading would have fallen in each bin (:mod:`sim.engine.probe`). A reading is made at a
random moment of the probe's intensity ``lambda(t)`` (a rate with a shape over the day and
the week), so the expected share of a month's readings in bin ``b`` is

    integral over the month of lambda(t) 1[bin(t) = b] dt / integral over the month of lambda(t)

and the expected number of readings is the denominator. Both come from the intensity's
integral (:meth:`sim.engine.intensity.Profile.cumulative`) at the pieces' ends, with
prefix sums per bin evaluated at the months' boundaries: no reading is simulated.

* ``probe_table``: one row per race channel, procedure (and ``all``: every procedure's
  readings pooled), month of the horizon and bin: ``readings`` (expected), ``share``;
* KPI ``probe_offer_share``: share of the readings over the measured window that found at
  least one date (any bin but ``no_date``), per procedure and ``all``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.engine.intensity import Profile
from sim.engine.model import SimOutput
from sim.engine.probe import WatchedBook

COLUMNS = ["channel", "procedure", "month", "bin", "readings", "share"]


def watched(out: SimOutput) -> dict[str, WatchedBook]:
    """The run's slot books the probe followed, by channel."""
    return {name: book for name, book in out.books.items() if isinstance(book, WatchedBook)}


def readings_by_bin(profile: Profile, pieces: tuple[np.ndarray, ...], n_bins: int,
                    cuts: np.ndarray) -> np.ndarray:
    """Expected readings in each bin between consecutive ``cuts`` (sorted times), from the
    pieces ``(start, end, bin)`` of one procedure (contiguous, in time order): shape
    ``(len(cuts) - 1, n_bins)``.

    >>> from sim.engine.intensity import Grid
    >>> flat = Profile(Grid([], phase=0.0), [24.0])  # hourly
    >>> pieces = (np.array([0.0, 1.5]), np.array([1.5, 3.0]), np.array([1, 0]))
    >>> readings_by_bin(flat, pieces, 2, np.array([0.0, 1.0, 3.0])).tolist()
    [[0.0, 24.0], [36.0, 12.0]]
    """
    start, end, b = pieces
    if not start.size:
        return np.zeros((max(cuts.size - 1, 0), n_bins))
    la = profile.cumulative(start)
    weight = profile.cumulative(end) - la
    onehot = np.zeros((start.size, n_bins))
    onehot[np.arange(start.size), b] = weight
    prefix = np.vstack([np.zeros(n_bins), np.cumsum(onehot, axis=0)])
    j = np.searchsorted(end, cuts, side="right")  # pieces ending by each cut
    below = prefix[j].copy()
    part = np.flatnonzero((j < start.size) & (start[np.minimum(j, start.size - 1)] < cuts))
    if part.size:
        jj = j[part]
        below[part, b[jj]] += profile.cumulative(cuts[part]) - la[jj]
    return np.diff(below, axis=0)


def _per_procedure(book: WatchedBook) -> dict[int, tuple[np.ndarray, ...]]:
    p, start, end, b = (np.asarray(x) for x in book.free_dates.pieces)
    return {code: (start[p == code].astype(float), end[p == code].astype(float),
                   b[p == code].astype(np.int64)) for code in book.free_dates.dates}


def probe_table(out: SimOutput) -> pd.DataFrame:
    """Bin shares per race channel, procedure (and ``all``) and month of the horizon."""
    frame, dates = out.frame, out.calendar.dates
    days = np.arange(int(frame.offset), int(frame.measure_to))
    if not days.size:
        return pd.DataFrame(columns=COLUMNS)
    months = dates[days].astype("datetime64[M]")
    first = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    cuts = np.r_[days[first], frame.measure_to].astype(float)
    labels = [str(m) for m in months[first]]
    frames = []
    for name, book in watched(out).items():
        per = {code: readings_by_bin(book.profile, pieces, len(book.labels), cuts)
               for code, pieces in _per_procedure(book).items()}
        if not per:
            continue
        per_name = {out.population.procedures[c]: r for c, r in per.items()}
        per_name["all"] = np.sum(list(per.values()), axis=0)
        for proc, readings in per_name.items():
            total = readings.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = readings / total
            frames.append(pd.DataFrame({
                "channel": name, "procedure": proc,
                "month": np.repeat(labels, len(book.labels)),
                "bin": np.tile(book.labels, len(labels)),
                "readings": np.repeat(total[:, 0], len(book.labels)),
                "share": share.ravel(),
            }))
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "replication", out.replication)
    table.insert(0, "seed", out.seed)
    table.insert(0, "scenario", out.scenario.name)
    return table


def offer_shares(out: SimOutput) -> dict[str, float]:
    """``probe_offer_share`` per procedure and ``all`` over the measured window (empty
    when nothing was probed)."""
    cuts = np.array([out.frame.measure_from, out.frame.measure_to])
    found: dict[str, np.ndarray] = {}
    for book in watched(out).values():
        for code, pieces in _per_procedure(book).items():
            r = readings_by_bin(book.profile, pieces, len(book.labels), cuts)[0]
            name = out.population.procedures[code]
            found[name] = found.get(name, 0.0) + np.array([r[:-1].sum(), r.sum()])
    if not found:
        return {}
    found["all"] = sum(found.values())  # type: ignore[assignment]
    return {k: float(v[0] / v[1]) if v[1] > 0 else np.nan for k, v in found.items()}
