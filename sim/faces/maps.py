"""A map of the départements: one value per département, in classes, on a tile each.

A map of areas gives Paris and the petite couronne, a quarter of the séjour demand, a few
pixels, and the Lozère as much ink as the Rhône; here every prefecture gets the same square,
placed on a grid as near as can be to where its département lies (``data/departement_tiles.csv``:
the départements' demographic centres assigned to the grid's cells by least squared
displacement, ``data/derive_tiles.py``), so France keeps its shape and Île-de-France is
eight tiles in the middle of it. The five overseas départements sit apart at the bottom left.
Each tile carries its code and its value.

Values are coloured in classes (:func:`classes`): equal steps of ``log(1 + x)``, which suit
values as skewed as median waits (2 to 600 days). A département without a value (a median
some replication never reached) is hatched; one that was not simulated is light grey.

With :mod:`sim.faces.plots`, the only module that uses matplotlib directly (its object API).
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import BoundaryNorm, ListedColormap, to_hex
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from sim.experiments.data.departements import tiles

CLASSES = 6
MISSING, NOT_SIMULATED = "0.35", "0.9"  # grey levels
OVERSEAS_DROP = 0.45  # the overseas row sits this far below the grid


def classes(values: np.ndarray, n: int = CLASSES) -> np.ndarray:
    """Class edges for the finite ``values``: ``n`` equal steps of ``log(1 + x)`` from the
    least to the greatest (equal steps of ``x`` if some value is negative), each rounded to
    the fewest significant digits (two at least, four at most) that keep the edges apart.

    Equal steps on a log scale suit skewed values: waits of 1 to 600 days get classes of
    about 1-4, 4-11, ..., 200-600 days, and values that hardly differ (renewal lapses of
    158 to 169 per 1,000 in most départements) share a class, as they should; classes of
    equal counts (quantiles) would paint a 7 % difference in three colours.

    >>> classes(np.array([0.83, 20, 63, 89, 190, 594])).tolist()
    [0.83, 3.8, 12.0, 32.0, 86.0, 230.0, 594.0]
    >>> classes(np.array([40.0, 158, 160, 169, 1000]), 3).tolist()
    [40.0, 120.0, 340.0, 1000.0]
    >>> classes(np.array([5.0, 5.0]), 4).tolist()
    [5.0, 6.0]
    """
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.array([0.0, 1.0])
    low, high = float(finite.min()), float(finite.max())
    if low >= 0:
        inner = np.expm1(np.linspace(np.log1p(low), np.log1p(high), n + 1)[1:-1]).tolist()
    else:
        inner = np.linspace(low, high, n + 1)[1:-1].tolist()
    for digits in (2, 3, 4):
        kept = sorted({_round(q, digits) for q in inner} - {low, high})
        if len(kept) == len(inner) and all(low < q < high for q in kept):
            break
    edges = sorted({low, *[q for q in kept if low < q < high], high})
    if len(edges) == 1:
        edges.append(low + 1.0)
    return np.array(edges)


def _round(x: float, digits: int) -> float:
    """``x`` to ``digits`` significant digits."""
    if x == 0:
        return 0.0
    return round(x, digits - 1 - int(math.floor(math.log10(abs(x)))))


def edge_label(x: float) -> str:
    """A class edge as a reader wants it: ``1,000``, ``63``, ``3.1``, ``0.83``."""
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:.2g}"


def choropleth(values: Mapping[str, float], title: str, label: str,
               cmap: str = "YlOrRd", missing: str = "no value") -> Figure:
    """France as tiles coloured by ``values`` (département code -> value; NaN: hatched and
    labelled ``missing``; a code absent: not simulated)."""
    grid = tiles()
    known = {code: float(v) for code, v in values.items() if code in set(grid["code"])}
    edges = classes(np.array(list(known.values()) or [np.nan]))
    # the palest end of a sequential map is the page's white: start a little into it
    colours = ListedColormap(colormaps[cmap](np.linspace(0.12, 1.0, len(edges) - 1)))
    norm = BoundaryNorm(edges, colours.N)
    fig = Figure(figsize=(7.5, 7.6))
    lines = [line for part in title.split("\n") for line in textwrap.wrap(part, 95)]
    fig.suptitle("\n".join(lines), fontsize=9, x=0.03, ha="left")
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.9))
    for tile in grid.itertuples():
        x, y = tile.column, tile.row - (OVERSEAS_DROP if tile.overseas else 0.0)
        v = known.get(tile.code)
        if v is None:
            face, hatch, ink, text = NOT_SIMULATED, None, "0.45", ""
        elif not np.isfinite(v):
            face, hatch, ink, text = MISSING, "////", "white", "-"
        else:
            k = int(norm(v))
            face, hatch, text = to_hex(colours(k)), None, edge_label(v)
            ink = "white" if k >= colours.N / 2 else "black"
        ax.add_patch(Rectangle((x, y), 0.94, 0.94, facecolor=face, hatch=hatch,
                               edgecolor="white", linewidth=0.5))
        ax.text(x + 0.47, y + 0.6, tile.code, ha="center", va="center", fontsize=7,
                color=ink, fontweight="bold")
        ax.text(x + 0.47, y + 0.27, text, ha="center", va="center", fontsize=5.5, color=ink)
    overseas = grid[grid["overseas"]]
    if not overseas.empty:
        ax.text(overseas["column"].max() + 1.1, -OVERSEAS_DROP + 0.47, "overseas",
                ha="left", va="center", fontsize=7, color="0.35", style="italic")
    columns, rows = int(grid["column"].max()) + 1, int(grid["row"].max()) + 1
    ax.set_xlim(-0.1, columns)
    ax.set_ylim(-OVERSEAS_DROP - 0.1, rows)
    ax.set_aspect("equal")
    ax.set_axis_off()
    # the key goes in the empty corner south-west of Brittany, above the overseas row
    bar_ax = ax.inset_axes((0.15, 2.6, 0.32, 4.2), transform=ax.transData)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=colours), cax=bar_ax,
                       orientation="vertical", spacing="uniform", ticks=edges)
    bar.ax.set_yticklabels([edge_label(e) for e in edges], fontsize=7)
    bar.set_label(label, fontsize=8)
    handles = []
    if any(not np.isfinite(v) for v in known.values()):
        handles.append(Patch(facecolor=MISSING, edgecolor="white", hatch="////", label=missing))
    if set(grid["code"]) - set(known):
        handles.append(Patch(facecolor=NOT_SIMULATED, edgecolor="white", label="not simulated"))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 2.3),
                  bbox_transform=ax.transData, frameon=False, fontsize=7)
    return fig
