"""``prefsim kpis``: the KPI glossary, as the report and the dashboard word it.

Every KPI a run produces, with its label, unit, which way is good news and its one-line
definition (:mod:`sim.analysis.glossary`), in French or English; the headline KPIs first.
The names are those ``--kpis`` and ``--target`` take.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from sim.faces.cli.common import Lang, check_lang, out

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.command("kpis")
def kpis_command(
    lang: Lang = "fr",
    headline: Annotated[bool, typer.Option("--headline", help="Only the headline KPIs.")] = False,
) -> None:
    """List the KPIs: name, label, unit, direction and definition (the headline first)."""
    from rich.table import Table

    from sim.analysis import glossary

    check_lang(lang)
    names = [*glossary.HEADLINE, *(k for k in glossary.known_names()
                                   if k not in glossary.HEADLINE)]
    table = Table(title="KPIs (headline first; segments by channel: "
                  "wait_days_mean.channel.<channel>...)", title_justify="left")
    for column in ("kpi", "indicator", "unit", "better", "definition"):
        table.add_column(column, overflow="fold")
    better = {"lower": "lower" if lang == "en" else "plus bas",
              "higher": "higher" if lang == "en" else "plus haut", None: ""}
    for kpi in names[: len(glossary.HEADLINE)] if headline else names:
        table.add_row(escape(kpi), escape(glossary.label(kpi, lang, capital=True)),
                      escape(glossary.unit(kpi, lang)), better[glossary.direction(kpi)],
                      escape(glossary.definition(kpi, lang)))
    out.print(table)
