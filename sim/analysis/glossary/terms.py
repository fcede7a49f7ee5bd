"""The glossary's entries: one :class:`Term` per KPI, in English and French.

Add one entry per new KPI (``tests/test_glossary.py`` fails on a KPI without one). A label is
a lower-case noun phrase that reads both on a card ("Median wait") and in a sentence ("cuts
the median wait from 100 to 60 days"); ``gender`` is the French label's, for its article.
``events`` marks a count of events that may be rare: a headline KPI so marked gets more
replications when it rests on few events (:mod:`sim.experiments.compare`).
"""

from __future__ import annotations

from typing import NamedTuple


class Term(NamedTuple):
    """What a KPI is called, measured in, and which way is good news."""

    domain: str
    direction: str | None  # "lower" or "higher" is better; None: neither
    en: str  # label, a lower-case noun phrase ("median wait")
    fr: str
    gender: str  # of the French label: "m", "f" or "pl" (for "le", "la", "les")
    define_en: str
    define_fr: str
    unit_en: str = ""
    unit_fr: str = ""
    events: bool = False  # a count of events that may be rare (replications are added)


def _t(domain: str, direction: str | None, en: str, fr: str, gender: str, define_en: str,
       define_fr: str, unit: tuple[str, str] = ("", ""), events: bool = False) -> Term:
    defaults = {"share": ("%", "%"), "days": ("days", "jours"), "margin": ("days", "jours"),
                "eur": ("EUR", "EUR")}
    en_u, fr_u = unit if unit != ("", "") else defaults.get(domain, ("", ""))
    return Term(domain, direction, en, fr, gender, define_en, define_fr, en_u, fr_u, events)


L, H = "lower", "higher"
TERMS: dict[str, Term] = {
    "arrivals": _t("count", None, "needs that appeared", "besoins apparus", "pl",
                   "Applicants whose need appeared in the measured period (after the warm-up).",
                   "Demandeurs dont le besoin est apparu pendant la période mesurée."),
    "served": _t("count", H, "people received", "personnes reçues", "pl",
                 "Applicants whose first appointment took place.",
                 "Demandeurs dont le premier rendez-vous a eu lieu."),
    "abandoned_share": _t("share", L, "share who gave up looking", "part des abandons en recherche",
                          "f",
                          "Share of applicants who gave up looking for an appointment before "
                          "getting a date (those who gave up a date they held are in "
                          "cancelled_share and gave_up_share).",
                          "Part des demandeurs qui ont renoncé à chercher un rendez-vous avant "
                          "d'avoir une date (ceux qui ont renoncé à une date obtenue sont dans "
                          "cancelled_share et gave_up_share)."),
    "gave_up_share": _t("share", L, "share who gave up", "part des abandons", "f",
                        "Share of applicants who left without their first appointment: they "
                        "gave up looking, gave up a date they held, or missed it and did not "
                        "book again. Compares policies that give dates early (a waitlist) "
                        "with those that do not (the race).",
                        "Part des demandeurs partis sans leur premier rendez-vous : abandon de "
                        "la recherche, renoncement à une date obtenue, ou rendez-vous manqué "
                        "sans nouvelle prise. Compare les politiques qui donnent une date tôt "
                        "(liste d'attente) à celles qui n'en donnent pas (la course)."),
    "still_waiting_end": _t("count", L, "people still waiting at the end of the run",
                            "personnes encore en attente à la fin du calcul", "pl",
                            "Applicants still without an appointment date when the run stops.",
                            "Demandeurs encore sans date de rendez-vous à la fin du calcul."),
    "wait_days_mean": _t("days", L, "mean wait of those received",
                         "attente moyenne des personnes reçues", "f",
                         "Mean days from the need to the first appointment, over people whose "
                         "date came (low when many are still waiting).",
                         "Jours entre le besoin et le premier rendez-vous, en moyenne sur les "
                         "personnes reçues (sous-estimée si beaucoup attendent encore)."),
    "wait_days_p50": _t("days", L, "median wait", "attente médiane", "f",
                        "Half of applicants get a first appointment within this many days "
                        "(Kaplan-Meier: people still waiting count).",
                        "La moitié des demandeurs obtient un premier rendez-vous en moins de "
                        "jours que cela (Kaplan-Meier : les personnes en attente comptent)."),
    "wait_days_p90": _t("days", L, "90th-percentile wait", "attente du 9e décile", "f",
                        "Nine applicants in ten get a first appointment within this many days "
                        "(Kaplan-Meier: people still waiting count).",
                        "Neuf demandeurs sur dix obtiennent un premier rendez-vous en moins de "
                        "jours que cela (Kaplan-Meier : les personnes en attente comptent)."),
    "attempts_per_booking": _t("count", L, "requests per booking",
                               "tentatives par rendez-vous obtenu", "pl",
                               "Website requests an applicant made for each booking obtained.",
                               "Requêtes sur le site par rendez-vous obtenu."),
    "night_attempt_share": _t("share", L, "share of requests at night",
                              "part des tentatives de nuit", "f",
                              "Share of applicants' website requests made at night.",
                              "Part des requêtes des demandeurs faites la nuit."),
    "no_show_share": _t("share", L, "share of missed appointments",
                        "part des rendez-vous manqués", "f",
                        "Appointments missed among those that came due.",
                        "Rendez-vous manqués parmi ceux arrivés à échéance."),
    "cancelled_share": _t("share", L, "share who cancelled", "part des annulations", "f",
                          "Applicants who cancelled their booking and left, among arrivals.",
                          "Demandeurs qui ont annulé leur rendez-vous et renoncé."),
    "front_office_utilisation": _t("share", None, "counter utilisation",
                                   "taux d'occupation des guichets", "m",
                                   "Counter minutes used by first appointments over minutes "
                                   "offered.",
                                   "Minutes de guichet utilisées sur minutes offertes."),
    "wasted_slot_share": _t("share", L, "share of slots wasted", "part des créneaux perdus",
                            "f", "Dated slots nobody attended: appointments missed, bot "
                            "stock unsold, slots given back too late to rebook, and slots "
                            "nobody booked (spare counter time once the queue has drained).",
                            "Créneaux datés où personne ne s'est présenté : rendez-vous "
                            "manqués, stock des robots invendu, créneaux rendus trop tard, et "
                            "créneaux que personne n'a réservés (capacité en trop une fois la "
                            "file résorbée)."),
    "bot_slot_share": _t("share", L, "share of bookings made by bots",
                         "part des rendez-vous pris par des robots", "f",
                         "Bookings made by bots, for themselves or for a paying client.",
                         "Rendez-vous pris par des robots, pour eux ou pour un client payant."),
    "paid_booking_share": _t("share", L, "share of bookings bought from a reseller",
                             "part des rendez-vous achetés à un revendeur", "f",
                             "Bookings an applicant paid a reseller for.",
                             "Rendez-vous qu'un demandeur a payés à un revendeur."),
    "reseller_revenue_eur": _t("eur", L, "money paid to resellers",
                               "sommes versées aux revendeurs", "pl",
                               "Total applicants paid resellers for appointments.",
                               "Total payé par les demandeurs aux revendeurs de rendez-vous."),
    "malicious_requests_per_day": _t("count", L, "bot requests per day",
                                     "requêtes de robots par jour", "pl",
                                     "Requests bots send to the booking site each day.",
                                     "Requêtes envoyées chaque jour par des robots.",
                                     ("per day", "par jour")),
    "blocked_requests_per_day": _t("count", H, "bot requests blocked per day",
                                   "requêtes de robots bloquées par jour", "pl",
                                   "Bot requests filtered or failing the CAPTCHA each day.",
                                   "Requêtes de robots filtrées ou arrêtées par le CAPTCHA.",
                                   ("per day", "par jour")),
    "renewal_lapses": _t("count", L, "renewal lapses", "ruptures de droits au renouvellement",
                         "pl", "Renewals whose title expired before the deposit: people left "
                         "without a valid document.",
                         "Renouvellements dont le titre a expiré avant le dépôt : des personnes "
                         "sans document valide.", events=True),
    "undocumented_person_days": _t("count", L, "days without a valid title",
                                   "jours sans titre valide", "pl",
                                   "Days renewal applicants spent without a valid title, summed "
                                   "over people.",
                                   "Jours passés sans titre valide par les personnes en "
                                   "renouvellement, additionnés.",
                                   ("person-days", "jours-personne")),
    "protection_orders_expired": _t("count", L, "protection orders expired before the deposit",
                                    "ordonnances de protection expirées avant le dépôt", "pl",
                                    "Holders of a protection order whose order expired before "
                                    "their deposit appointment: the right is lost.",
                                    "Ordonnances de protection expirées avant le rendez-vous de "
                                    "dépôt : le droit est perdu.", events=True),
    "protection_order_expiry_share": _t("share", L, "share of protection orders expired",
                                        "part des ordonnances de protection expirées", "f",
                                        "Orders expired among those whose fate is known.",
                                        "Ordonnances expirées parmi celles dont le sort est "
                                        "connu."),
    "protection_order_margin_days_p50": _t("margin", H, "median margin on protection orders",
                                           "marge médiane des ordonnances de protection", "f",
                                           "Median days left on the order at the deposit "
                                           "(negative: too late).",
                                           "Jours restants médians sur l'ordonnance au dépôt "
                                           "(négatif : trop tard)."),
    "deadlines_missed": _t("count", L, "deadlines missed", "échéances manquées", "pl",
                           "Applicants whose deadline (a visa to validate...) passed before "
                           "the deposit.",
                           "Demandeurs dont l'échéance (visa à valider...) est passée avant "
                           "le dépôt.", events=True),
    "deadline_missed_share": _t("share", L, "share of deadlines missed",
                                "part des échéances manquées", "f",
                                "Deadlines missed among those whose fate is known.",
                                "Échéances manquées parmi celles dont le sort est connu."),
    "staff_cost_eur": _t("eur", L, "staff cost", "coût en personnel", "m",
                         "Cost of front- and back-office staff over the measured period.",
                         "Coût des agents d'accueil et d'instruction sur la période mesurée."),
    "time_to_title_days_mean": _t("days", L, "mean time to title",
                                  "délai moyen d'obtention du titre", "m",
                                  "Mean days from the need to the title in hand, over titles "
                                  "delivered.",
                                  "Jours entre le besoin et la remise du titre, en moyenne sur "
                                  "les titres remis."),
    "time_to_title_days_p90": _t("days", L, "90th-percentile time to title",
                                 "délai d'obtention du titre au 9e décile", "m",
                                 "Nine files in ten get their title within this many days "
                                 "(Kaplan-Meier).",
                                 "Neuf dossiers sur dix obtiennent leur titre en moins de "
                                 "jours que cela (Kaplan-Meier)."),
    "instruction_days_mean": _t("days", L, "mean instruction time",
                                "durée moyenne d'instruction", "f",
                                "Mean days from the deposit to the decision.",
                                "Jours entre le dépôt et la décision, en moyenne."),
    "back_office_utilisation": _t("share", None, "back-office utilisation",
                                  "taux d'occupation de l'instruction", "m",
                                  "Instruction hours used over hours offered.",
                                  "Heures d'instruction utilisées sur heures offertes."),
    "refusals": _t("count", None, "refusals", "refus", "pl",
                   "Files decided by a refusal (no title), among the measured applicants.",
                   "Dossiers clos par un refus (pas de titre), parmi les demandeurs mesurés."),
    "appointments_per_week": _t("count", H, "appointments granted a week",
                                "rendez-vous attribués par semaine", "pl",
                                "Slots of the measured period someone booked (a person, a bot, "
                                "or before the start), per week: what a prefecture publishes.",
                                "Créneaux de la période mesurée que quelqu'un a réservés (une "
                                "personne, un robot, ou avant le début), par semaine : ce "
                                "qu'une préfecture publie.", ("a week", "par semaine")),
    "probe_offer_share": _t("share", H, "share of probe readings with a date",
                            "part des relevés de la sonde avec une date", "f",
                            "Share of the probe's readings of the race pages, over the measured "
                            "window, that found at least one free date (La Cimade's robot).",
                            "Part des relevés des pages de prise de rendez-vous par la sonde, "
                            "sur la période mesurée, qui ont trouvé au moins une date libre."),
    "court_cases_per_year": _t("count", L, "court cases a year", "recours en référé par an",
                               "pl",
                               "Référés for an appointment decided in the measured window, per "
                               "365 days.",
                               "Référés « mesures utiles » pour un rendez-vous jugés pendant la "
                               "période mesurée, rapportés à 365 jours.", events=True),
    "court_eligible_share": _t("share", L, "share able to go to court",
                               "part pouvant saisir le juge", "f",
                               "Share of race applicants who failed to book in two different "
                               "calendar weeks (the courts' rule), so could go to court.",
                               "Part des demandeurs en ligne ayant échoué deux semaines "
                               "différentes (la règle des juges), donc pouvant saisir le juge."),
    "court_slot_share": _t("share", None, "share of bookings ordered by a court",
                           "part des rendez-vous ordonnés par un juge", "f",
                           "Share of race bookings of slots in the measured window made by "
                           "court orders.",
                           "Part des réservations de créneaux de la période mesurée faites "
                           "sur injonction d'un juge."),
    "court_order_late_share": _t("share", L, "share of court orders executed late",
                                 "part des injonctions exécutées en retard", "f",
                                 "Share of court orders whose appointment falls after the "
                                 "deadline the judge set.",
                                 "Part des injonctions dont le rendez-vous tombe après le délai "
                                 "fixé par le juge."),
    "court_cost_eur": _t("eur", L, "cost of court cases", "coût des recours", "m",
                         "Cost of the cases decided in the measured window: the court's "
                         "(legal aid, the judge) and the costs awarded against the State.",
                         "Coût des recours jugés pendant la période mesurée : celui de la "
                         "juridiction (aide juridictionnelle, juge) et les frais mis à la "
                         "charge de l'État."),
    "desk_turned_away_per_service": _t("count", L, "visits turned away per person served",
                                       "passages sans ticket par personne reçue", "pl",
                                       "Visits to a daily-ticket desk that ended without a "
                                       "ticket, per person served there.",
                                       "Passages au guichet à tickets repartis sans ticket, "
                                       "par personne reçue à ce guichet."),
    "desk_visitors_served_share": _t("share", H, "share of desk visitors who got a ticket",
                                     "part des visiteurs du guichet ayant eu un ticket", "f",
                                     "People served at a daily-ticket desk over their visits "
                                     "there, days pooled.",
                                     "Personnes reçues au guichet à tickets sur leurs passages, "
                                     "tous jours confondus."),
    "phone_calls_per_booking": _t("count", L, "calls per phone booking",
                                  "appels par rendez-vous pris au téléphone", "pl",
                                  "Calls made to a phone line per date it booked (rebookings "
                                  "after a missed date included).",
                                  "Appels passés à une ligne téléphonique par date obtenue "
                                  "(nouvelles prises après un rendez-vous manqué comprises)."),
    "phone_answered_share": _t("share", H, "share of calls answered",
                               "part des appels décrochés", "f",
                               "Calls an agent answered over calls made.",
                               "Appels pris par un agent sur appels passés."),
    "phone_hold_minutes_mean": _t("count", L, "mean time on hold",
                                  "attente moyenne au téléphone", "f",
                                  "Mean minutes on hold of the calls an agent answered.",
                                  "Minutes d'attente en ligne, en moyenne, des appels pris "
                                  "par un agent.", ("min", "min")),
}
