"""Numbers as planners read them, in English or French: units, separators, no exponents.

``0.0928`` is "9.3 %" (French "9,3 %"), ``3176285.0`` EUR is "3.18 M EUR", a wait of
``243.96`` days is "244 days" ("244 jours"), a count of 7,377.4 is "7,377" ("7 377", with a
no-break space). The unit and the domain come from :mod:`sim.analysis.glossary`; a difference
of shares is in percentage points. Tables, summaries, cards and figures use these functions,
so a number reads the same everywhere.
"""

from __future__ import annotations

import math

from sim.analysis import glossary

LANGS = ("fr", "en")
NA = {"en": "n/a", "fr": "n.d."}
SPACE = "\u00a0"  # no-break space: French thousands and units stay on one line


def check_lang(lang: str) -> str:
    """``lang`` if it is a supported language.

    >>> check_lang("de")
    Traceback (most recent call last):
    ...
    ValueError: lang = 'de': the languages are fr (French) and en (English)
    """
    if lang not in LANGS:
        raise ValueError(f"lang = {lang!r}: the languages are fr (French) and en (English)")
    return lang


def number(x: float, lang: str = "en", digits: int | None = None, signed: bool = False) -> str:
    """``x`` with ``digits`` significant digits, no exponent; by default 3 significant digits
    below 1,000 and whole numbers above.

    >>> number(7377.4), number(7377.4, "fr"), number(0.09277), number(-45.91, "fr", signed=True)
    ('7,377', '7\\xa0377', '0.0928', '-45,9')
    >>> number(1234567.0, digits=2), number(0.000012)
    ('1,200,000', '0.000012')
    """
    if x is None or not math.isfinite(x):
        return NA.get(lang, "n/a")
    if digits is None:
        digits = max(3, math.floor(math.log10(abs(x))) + 1) if x != 0 else 3
    if x != 0:
        magnitude = math.floor(math.log10(abs(x)))
        x = round(x, digits - 1 - magnitude)
    decimals = 0 if x == 0 or abs(x) >= 10 ** (digits - 1) else digits - 1 - math.floor(
        math.log10(abs(x)))
    text = f"{x:{'+' if signed and x != 0 else ''},.{max(decimals, 0)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if lang == "fr":
        text = text.replace(",", SPACE).replace(".", ",")
    return text


def percent(share: float, lang: str = "en", signed: bool = False) -> str:
    """A share as a percentage, 3 significant digits (2 below 1 %).

    >>> percent(0.17539), percent(0.0065, "fr"), percent(-0.4679, signed=True)
    ('17.5 %', '0,65\\xa0%', '-46.8 %')
    """
    if share is None or not math.isfinite(share):
        return NA.get(lang, "n/a")
    digits = 2 if abs(share) < 0.01 else 3
    return number(100 * share, lang, digits, signed) + (SPACE if lang == "fr" else " ") + "%"


def money(x: float, lang: str = "en", signed: bool = False) -> str:
    """Euros: whole below 100,000, in millions above.

    >>> money(3176285.0), money(881506.8, "fr", signed=True), money(12391.1)
    ('3.18 M EUR', '+0,88\\xa0M\\xa0EUR', '12,391 EUR')
    """
    if x is None or not math.isfinite(x):
        return NA.get(lang, "n/a")
    sep = SPACE if lang == "fr" else " "
    if abs(x) >= 100_000:
        return f"{number(x / 1e6, lang, 2 if abs(x) < 1e6 else 3, signed)}{sep}M{sep}EUR"
    return f"{number(round(x), lang, None, signed)}{sep}EUR"


def value(kpi: str, x: float, lang: str = "en", signed: bool = False) -> str:
    """A KPI value with its unit; with ``signed``, a difference (shares in points).

    >>> value("abandoned_share", 0.0928), value("abandoned_share", -0.0826, "fr", signed=True)
    ('9.28 %', '-8,26\\xa0points')
    >>> value("wait_days_p90", 243.96, "fr"), value("staff_cost_eur", 881506.8, signed=True)
    ('244\\xa0jours', '+0.88 M EUR')
    """
    if x is None or not math.isfinite(x):
        return NA.get(lang, "n/a")
    domain = glossary.domain(kpi)
    sep = SPACE if lang == "fr" else " "
    if domain == "share":
        if signed:
            return f"{number(100 * x, lang, None, signed)}{sep}points"
        return percent(x, lang)
    if domain == "eur":
        return money(x, lang, signed)
    u = glossary.unit(kpi, lang)
    return f"{number(x, lang, None, signed)}{sep}{u}" if u else number(x, lang, None, signed)


def interval(kpi: str, low: float, high: float, lang: str = "en", signed: bool = False) -> str:
    """``[low, high]`` as plain numbers in the unit :func:`value` shows (per cent, points)
    for the KPI; empty when there is no spread.

    >>> interval("abandoned_share", -0.00525, -0.00278, signed=True)
    '[-0.525, -0.278]'
    >>> interval("staff_cost_eur", 5.0, 5.0), interval("served", 1200.0, 1410.5, "fr")
    ('', '[1\xa0200, 1\xa0410]')
    """
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)) \
            or high <= low:
        return ""
    scale = 100.0 if glossary.domain(kpi) == "share" else 1.0
    a, b = (number(scale * x, lang, None, signed) for x in (low, high))
    return f"[{a}, {b}]"


def relative(r: float, lang: str = "en", digits: int = 2) -> str:
    """A relative change, signed: two significant digits by default.

    >>> relative(-0.4679), relative(0.0772, "fr"), relative(float("nan"))
    ('-47 %', '+7,7\\xa0%', 'n/a')
    """
    if r is None or not math.isfinite(r):
        return NA.get(lang, "n/a")
    return number(100 * r, lang, digits, signed=True) + (SPACE if lang == "fr" else " ") + "%"
