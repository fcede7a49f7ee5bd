"""The figures of the national picture: the prefectures ranked, and two maps.

A hundred and one prefectures do not fit in a table a minister reads: :func:`ranking` ranks
them by the median wait for a first title, the longest at the top, and puts beside each its
renewal lapses per 1,000 renewals and its protection orders expired a year; :func:`waits_map`
and :func:`lapses_map` show where those waits and lapses are, on a tile map of France
(:mod:`sim.faces.maps`: a tile per prefecture, so that Paris and the petite couronne count
as much as the Gironde). All from one row per prefecture
(:func:`sim.experiments.national_tables.departement_table`). Built with the helpers of
:mod:`sim.faces.plots` and :mod:`sim.faces.maps`, the only modules that use matplotlib directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.faces import maps, plots
from sim.faces.plots import Figure


def ranking(table: pd.DataFrame, title: str = "Départements ranked by the median wait") -> Figure:
    """One row per département, worst median wait for a first title at the top: that median
    and all procedures' (days), renewal lapses per 1,000 renewals, protection orders expired
    a year. Colour: booking policy (a convocation for some procedures, or the race). A median
    some replication never reached is drawn as ``>`` at the right edge.

    ``table`` is :func:`sim.experiments.national_tables.departement_table`.
    """
    if table.empty:
        fig, ax = plots.new_figure(title)
        return plots._empty(fig, ax, "no département simulated")
    first = table["first_title_wait_days_p50"].astype(float)
    rows = table.assign(rank=first.fillna(np.inf)).sort_values("rank", ascending=False,
                                                               kind="stable")
    y = np.arange(len(rows))[::-1]
    convoked = rows["policy"].astype(str).str.contains("convocation").to_numpy()
    colour = np.where(convoked, "C1", "C0")
    fig = Figure(figsize=(plots.WIDTH + 2.5, 0.16 * len(rows) + 1.4), layout="constrained")
    fig.suptitle(title, fontsize=10)
    axes = fig.subplots(1, 3, sharey=True, width_ratios=(2, 1, 1))
    panels = (("first_title_wait_days_p50", "median wait, first titles (days)"),
              ("renewal_lapses_per_1000", "renewal lapses per 1,000"),
              ("protection_orders_expired", "protection orders expired / year"))
    for ax, (column, label) in zip(axes, panels, strict=True):
        x = rows[column].to_numpy(float)
        edge = np.nanmax(x) * 1.05 if np.isfinite(x).any() else 1.0
        ax.scatter(np.where(np.isfinite(x), x, edge), y, c=colour, s=12,
                   marker="o", zorder=3)
        gone = ~np.isfinite(x)
        ax.scatter(np.full(gone.sum(), edge), y[gone], c="C3", s=22, marker=">", zorder=4)
        ax.set_xlabel(label, fontsize=8)
        ax.set_xlim(left=0)
        ax.grid(axis="x", alpha=0.3)
        plots.plain_numbers(ax, "x")
    axes[0].scatter(rows["wait_days_p50"].to_numpy(float), y, s=8, facecolors="none",
                    edgecolors="grey", label="all procedures", zorder=2)
    axes[0].set_yticks(y, [f"{c} {n}" for c, n in zip(rows["code"], rows["name"],
                                                        strict=True)], fontsize=6)
    axes[0].set_ylim(-1, len(rows))
    for c, name in (("C0", "the race"), ("C1", "convocation for some procedures"),
                    ("C3", "median not reached")):
        axes[0].scatter([], [], c=c, s=12, label=name)
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=4,
               frameon=False, fontsize=7)
    return fig


def waits_map(table: pd.DataFrame, title: str = "Median wait for a first title") -> Figure:
    """Each prefecture's median wait for a first title (days) on the tile map; a median some
    replication never reached is hatched."""
    return maps.choropleth(dict(zip(table["code"], table["first_title_wait_days_p50"],
                                    strict=True)),
                           title, "median wait, first titles (days)",
                           missing="median not reached")


def lapses_map(table: pd.DataFrame,
               title: str = "Renewal lapses per 1,000 renewals") -> Figure:
    """Each prefecture's renewal lapses per 1,000 renewals on the tile map."""
    return maps.choropleth(dict(zip(table["code"], table["renewal_lapses_per_1000"],
                                    strict=True)),
                           title, "renewal lapses per 1,000 renewals", cmap="PuRd")
