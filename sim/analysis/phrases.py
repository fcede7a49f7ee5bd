"""The words of a summary, in English and French: verbs, articles and sentence frames.

:mod:`sim.analysis.narrative` decides *what* to say from the tables (which KPIs moved, by how
much, with which interval); this module only says it. A frame is a ``str.format`` pattern; a
verb depends on the sense of the change and on the KPI (a wait *lengthens*, a share *rises*).
French labels take their article from the glossary's gender, elided before a vowel.
"""

from __future__ import annotations

VOWELS = "aeiouyàâéèêëîïôûœh"

FRAMES = {
    "en": {
        "open": "Compared with {baseline}, {scenario} {clauses}.",
        "none": "Compared with {baseline}, {scenario} changes none of the headline figures "
                "significantly ({n} replications, same applicants).",
        "level": "{verb} the {label} from {a} to {b} ({change}; 95 % interval {lo} to {hi})",
        "count": "leaves {b} {label} instead of {a} ({change}; 95 % interval {lo} to {hi})",
        "also": "It also {clauses}.",
        "fewer": "avoids about {d} {label} ({a} instead of {b}; 95 % interval {lo} to {hi} "
                 "fewer)",
        "more": "adds about {d} {label} ({a} instead of {b}; 95 % interval {lo} to {hi} more)",
        "events": "It {clauses}{period}.",
        "period": " over the {days} days measured",
        "cost_up": "It costs {d} more in staff ({rel})",
        "cost_down": "It saves {d} in staff costs ({rel})",
        "use": "{article}{label} goes from {a} to {b}",
        "same": "No significant change in {labels} (95 % intervals include 0).",
        "few": "The figure for {label} rests on few events ({events} in {n} replications of "
               "{scenario}): read its interval as rough.",
        "and": " and ", "sep": ", ", "then": "; ",
    },
    "fr": {
        "open": "Par rapport à {baseline}, {scenario} {clauses}.",
        "none": "Par rapport à {baseline}, {scenario} ne change significativement aucun des "
                "indicateurs principaux ({n} réplications, mêmes demandeurs).",
        "level": "{verb} {article}{label} de {a} à {b} ({change} ; intervalle à 95\u00a0% : {lo} "
                 "à {hi})",
        "count": "laisse {b} {label} au lieu de {a} ({change} ; intervalle à 95\u00a0% : {lo} à "
                 "{hi})",
        "also": "De plus, il {clauses}.",
        "fewer": "évite environ {d} {label} ({a} au lieu de {b} ; intervalle à 95\u00a0% : {lo} à "
                 "{hi} de moins)",
        "more": "ajoute environ {d} {label} ({a} au lieu de {b} ; intervalle à 95\u00a0% : {lo} à "
                "{hi} de plus)",
        "events": "Il {clauses}{period}.",
        "period": " sur les {days} jours mesurés",
        "cost_up": "Il coûte {d} de plus en personnel ({rel})",
        "cost_down": "Il économise {d} de coût de personnel ({rel})",
        "use": "{article}{label} passe de {a} à {b}",
        "same": "Pas de changement significatif pour : {labels} (les intervalles à 95\u00a0% "
                "contiennent 0).",
        "few": "L'indicateur « {label} » repose sur peu d'événements ({events} en {n} "
               "réplications de {scenario}) : son intervalle est indicatif.",
        "and": " et ", "sep": ", ", "then": " ; ",
    },
}

VERBS = {  # (lang, sense of the change, days or not) -> verb
    ("en", "down", True): "cuts", ("en", "up", True): "lengthens",
    ("en", "down", False): "lowers", ("en", "up", False): "raises",
    ("fr", "down", True): "réduit", ("fr", "up", True): "allonge",
    ("fr", "down", False): "diminue", ("fr", "up", False): "augmente",
}


def frame(lang: str, name: str) -> str:
    return FRAMES[lang][name]


def verb(lang: str, up: bool, days: bool) -> str:
    """The verb of a change.

    >>> verb("fr", up=False, days=True), verb("en", up=True, days=True)
    ('réduit', 'lengthens')
    """
    return VERBS[lang, "up" if up else "down", days]


def article(label: str, gender: str) -> str:
    """The French definite article of ``label``, elided before a vowel.

    >>> article("attente médiane", "f"), article("coût en personnel", "m"), article("x", "pl")
    ("l'", 'le ', 'les ')
    """
    if gender == "pl":
        return "les "
    if label[:1].lower() in VOWELS:
        return "l'"
    return "la " if gender == "f" else "le "


def join(items: list[str], lang: str) -> str:
    """``a``, ``a and b``, ``a, b and c``.

    >>> join(["a", "b", "c"], "fr")
    'a, b et c'
    """
    if len(items) <= 1:
        return "".join(items)
    return frame(lang, "sep").join(items[:-1]) + frame(lang, "and") + items[-1]
