"""The probe's figure: what La Cimade's robot would have read on each race page.

Built on the helpers of :mod:`sim.faces.plots` (which imports matplotlib), as
:mod:`sim.faces.wait_figures` is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.faces import plots


def probe_bins(probe: pd.DataFrame, title: str = "What the probe read") -> plots.Figure:
    """One panel per procedure: each scenario's readings split into the probe's bins (La
    Cimade's five), months and replications pooled by their number of readings.

    ``probe`` has columns scenario, procedure, bin, readings, share
    (:func:`sim.analysis.probe.probe_table`).
    """
    if probe is None or probe.empty:
        fig, ax = plots.new_figure(title)
        return plots._empty(fig, ax, "no probe readings")
    rows = probe.assign(n=probe["readings"] * probe["share"].fillna(0.0))
    pooled = rows.groupby(["procedure", "scenario", "bin"], sort=False, observed=True)["n"].sum()
    bins = list(pd.unique(rows["bin"].astype(str)))
    procs = list(pd.unique(rows["procedure"].astype(str)))
    names = [str(x) for x in pd.unique(rows["scenario"].astype(str))]  # the same rows everywhere
    # dates soon in green, later in yellow and orange, no date in grey
    colours = [*plots.graded(len(bins) - 1), "0.65"]
    fig, axes = plots.panels(title, len(procs))
    for k, (ax, proc) in enumerate(zip(axes, procs, strict=True)):
        table = (pooled.loc[proc].unstack("bin").reindex(index=names, columns=bins)
                 .fillna(0.0))
        share = table.div(table.sum(axis=1).replace(0.0, np.nan), axis=0).fillna(0.0)
        left, rows = np.zeros(len(share)), np.arange(len(share))
        for b, colour in zip(bins, colours, strict=True):
            ax.barh(rows, share[b].to_numpy(), left=left, color=colour, label=b)
            left += share[b].to_numpy()
        ax.set_yticks(rows, names if k % 3 == 0 else [""] * len(names), fontsize=8)
        ax.invert_yaxis()  # the baseline on top
        ax.set_xlim(0, 1)
        ax.set_title(proc, fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(bins), frameon=False,
               fontsize=8)
    return fig
