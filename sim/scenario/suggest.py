"""Suggestions ("did you mean ...?"): the nearest known names to a name nobody knows.

A planner types ``wait_days_p09`` or ``staff.front_ofice_etp``; the message should name the
value, what is allowed, and the likely intended name. The distance is :mod:`difflib`'s
similarity ratio, the same the standard library uses for its own suggestions. It lives in the
lowest layer because the scenario's messages use it; KPI and command names use it too.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_names(word: str, known: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` names of ``known`` close to ``word``, nearest first.

    >>> close_names("wait_days_p09", ["wait_days_p50", "wait_days_p90", "served"])
    ['wait_days_p90', 'wait_days_p50']
    >>> close_names("zzz", ["served"])
    []
    """
    return difflib.get_close_matches(word, list(dict.fromkeys(known)), n=n, cutoff=cutoff)


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` (or ``'x' or 'y'``) for the close names, else ``""``.

    >>> did_you_mean("front_ofice_etp", ["front_office_etp", "back_office_etp"])
    "; did you mean 'front_office_etp'?"
    >>> did_you_mean("wait_days_p70", ["wait_days_p50", "wait_days_p90"])
    "; did you mean 'wait_days_p90' or 'wait_days_p50'?"
    >>> did_you_mean("xyz", ["served"])
    ''
    """
    names = close_names(word, known, n=2)
    if not names:
        return ""
    ratio = [difflib.SequenceMatcher(None, word, x).ratio() for x in names]
    names = [x for x, r in zip(names, ratio, strict=True) if r >= ratio[0] - 0.02]
    return "; did you mean " + " or ".join(repr(x) for x in names) + "?"
