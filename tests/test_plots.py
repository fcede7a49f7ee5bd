"""Figures: pure DataFrame -> Figure functions, KM-consistent waits, matplotlib kept in one module.

Every function must give a figure for any table, including one without the rows it needs
(then the figure says so), and draw nothing through pyplot's global state.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import scenario
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from sim.analysis.metrics import km_quantile
from sim.experiments.compare import Comparison, compare
from sim.faces import plan_figures, plots

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def two() -> Comparison:
    """A tiny comparison: 6 then 8 front-office ETP, two replications."""
    return compare([scenario(), scenario(name="more", staff={"front_office_etp": 8})],
                   seed=2, replications=2)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.booleans()), min_size=1, max_size=40),
       st.sampled_from([0.25, 0.5, 0.9]))
def test_km_cdf_agrees_with_metrics_quantile(data: list[tuple[int, bool]], q: float) -> None:
    wait = np.array([w for w, _ in data], dtype=float)
    seen = np.array([s for _, s in data])
    t, cdf = plots.km_cdf(wait, seen)
    expected = km_quantile(wait, seen, q)
    reached = np.flatnonzero(cdf >= q - 1e-12)
    got = float(t[reached[0]]) if reached.size else float("nan")
    assert got == expected or (np.isnan(got) and np.isnan(expected))
    assert np.all(np.diff(cdf) >= -1e-12) and (cdf <= 1 + 1e-12).all()


def test_km_cdf_without_events_is_empty() -> None:
    t, cdf = plots.km_cdf(np.array([1.0, 2.0]), np.array([False, False]))
    assert t.size == 0 and cdf.size == 0


def test_figures_from_a_comparison(two: Comparison, tmp_path: Path) -> None:
    c = two
    figures = [
        plots.wait_distribution(c.applicants),
        plots.backlog_by_month(c.daily),
        plots.kpi_comparison(c.summary, ["wait_days_mean", "served"]),
        plots.differences(c.differences, ["wait_days_mean"]),
    ]
    for k, fig in enumerate(figures):
        assert isinstance(fig, Figure)
        path = plots.save_png(fig, tmp_path / f"f{k}.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    wait = figures[0].axes[0]
    assert [t.get_text() for t in wait.get_legend().get_texts()] == ["tiny", "more"]
    panels = [ax.get_title() for ax in figures[2].axes if ax.get_visible()]
    assert panels == ["wait_days_mean", "served"]


def test_figures_tolerate_missing_rows(two: Comparison) -> None:
    c = two
    empty_kpis = plots.kpi_comparison(c.summary, ["no_such_kpi"])
    texts = [t.get_text() for ax in empty_kpis.axes for t in ax.texts]
    assert any("no_such_kpi" in t for t in texts)
    for fig in (
        plots.wait_distribution(c.applicants.iloc[:0]),
        plots.backlog_by_month(c.daily, procedure="nope"),
        plan_figures.frontier(pd.DataFrame(), "wait_days_p90"),
    ):
        assert isinstance(fig, Figure)
        assert fig.axes[0].texts, "an empty figure must say why"


def test_frontier_marks_the_chosen_plan() -> None:
    plans = pd.DataFrame({"staff_cost_eur": [1.0, 2.0, 3.0], "wait_days_p90": [40.0, 25.0, 10.0],
                          "feasible": [False, True, True], "frontier": [True, True, True]})
    fig = plan_figures.frontier(plans, "wait_days_p90", threshold=30, chosen=1)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "least-cost plan" in labels and "target 30" in labels


def test_only_plots_and_maps_import_matplotlib_and_never_pyplot() -> None:
    importers = sorted(p.name for p in (REPO / "sim").rglob("*.py")
                       if any(s in p.read_text() for s in ("import matplotlib", "from matplotlib")))
    assert importers == ["maps.py", "plots.py"]
    code = ("import sys, sim.faces.cli.main, sim.faces.report, sim.faces.plots, sim.faces.maps; "
            "print('matplotlib.pyplot' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- figures planners read -------------------------------------------------------------------


def test_a_what_if_identical_to_the_baseline_stays_visible(two: Comparison) -> None:
    """Same curve twice: different line styles and markers, markers shifted."""
    same = pd.concat([two.applicants[two.applicants["scenario"] == "tiny"],
                      two.applicants[two.applicants["scenario"] == "tiny"].assign(scenario="copy")])
    lines = [line for line in plots.wait_distribution(same).axes[0].get_lines()
             if not line.get_label().startswith("_")]  # not the 50 % and 90 % guides
    assert len(lines) == 2
    assert lines[0].get_linestyle() != lines[1].get_linestyle()
    assert lines[0].get_marker() != lines[1].get_marker()
    assert lines[0].get_markevery() != lines[1].get_markevery()


def test_axes_show_plain_numbers(two: Comparison) -> None:
    big = two.summary.assign(mean=two.summary["mean"] * 1e6, ci_low=two.summary["ci_low"] * 1e6,
                             ci_high=two.summary["ci_high"] * 1e6)
    fig = plots.kpi_comparison(big, ["served"], labels=lambda k: k.upper())
    ax = fig.axes[0]
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and all("e" not in t and "×" not in t for t in ticks), ticks
    assert any("," in t for t in ticks)
    assert ax.get_title() == "SERVED"
    assert not ax.yaxis.get_offset_text().get_text()


def test_the_new_wait_figures(two: Comparison, tmp_path: Path) -> None:
    from sim.analysis.waits_over_time import waiting_over, waits_by_month
    from sim.faces import wait_figures

    monthly = waits_by_month(two.applicants, two.daily, 30)
    over = waiting_over(two.applicants, two.daily, 30)
    figures = {
        "months": wait_figures.waits_by_month(monthly),
        "over": wait_figures.share_waiting_over(over, lang="fr"),
        "curves": wait_figures.wait_distribution_by_procedure(two.applicants),
    }
    titles = {k: [ax.get_title() for ax in f.axes if ax.get_visible()] for k, f in
              figures.items()}
    assert titles["months"] == ["all procedures", "first_title", "renewal"]
    assert titles["curves"] == ["first_title", "renewal"]
    assert figures["over"].axes[0].get_title() == ("Part des personnes en attente depuis plus "
                                                   "de 30 jours")
    assert len(figures["over"].axes[0].get_lines()) == 2
    svg = plots.save_svg(figures["months"], tmp_path / "months.svg")
    assert svg.read_text()[:200].lstrip().startswith("<?xml")
    empty = wait_figures.share_waiting_over(over.iloc[:0])
    assert empty.axes[0].texts


def test_has_values_spots_all_zero_figures(two: Comparison) -> None:
    assert plots.has_values(two.summary, ["served"])
    assert not plots.has_values(two.summary, ["protection_orders_expired", "no_such_kpi"])


def test_national_ranking_puts_the_longest_wait_on_top(tmp_path: Path) -> None:
    from sim.faces import national_figures

    table = pd.DataFrame({
        "code": ["48", "93", "69"], "name": ["Lozère", "Seine-Saint-Denis", "Rhône"],
        "policy": ["template", "race", "convocation for first requests"],
        "first_title_wait_days_p50": [10.0, 150.0, np.nan], "wait_days_p50": [5.0, 90.0, 300.0],
        "renewal_lapses_per_1000": [1.0, 900.0, 1000.0],
        "protection_orders_expired": [0.0, 20.0, 0.0]})
    fig = national_figures.ranking(table)
    ax = fig.axes[0]
    rows = dict(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True))
    assert [rows[y] for y in sorted(rows, reverse=True)] == [
        "69 Rhône", "93 Seine-Saint-Denis", "48 Lozère"]  # a median not reached is the worst
    assert [t.get_text() for t in fig.legends[0].get_texts()][-1] == "median not reached"
    assert plots.save_png(fig, tmp_path / "ranking.png").stat().st_size > 0
    empty = national_figures.ranking(table.iloc[:0])
    assert "no département" in empty.axes[0].texts[0].get_text()


def test_national_maps_colour_each_prefecture_by_its_class(tmp_path: Path) -> None:
    """A tile per département: the longer wait in the darker class, a median never reached
    hatched, the others grey and said to be not simulated; each tile names its code and
    value."""
    from matplotlib.patches import Rectangle

    from sim.faces import maps, national_figures

    table = pd.DataFrame({"code": ["48", "93", "69", "976"],
                          "first_title_wait_days_p50": [3.0, 150.0, np.nan, 600.0],
                          "renewal_lapses_per_1000": [160.0, 165.0, 170.0, 1000.0]})
    fig = national_figures.waits_map(table)
    ax = fig.axes[0]
    tiles = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(tiles) == 101
    labels = [t.get_text() for t in ax.texts]
    face = {labels[2 * k]: tiles[k] for k in range(101)}  # code, then value, per tile
    assert labels[labels.index("93") + 1] == "150" and labels[labels.index("69") + 1] == "-"
    lightness = {c: sum(face[c].get_facecolor()[:3]) for c in ("48", "93", "976")}
    assert lightness["48"] > lightness["93"] > lightness["976"]
    assert face["69"].get_hatch() == "////" and face["48"].get_hatch() is None
    grey = {c for c, t in face.items() if t.get_facecolor()[:3] == (0.9, 0.9, 0.9)}
    assert grey == set(face) - {"48", "93", "69", "976"}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "median not reached", "not simulated"]
    assert plots.save_png(fig, tmp_path / "map.png").stat().st_size > 0
    edges = maps.classes(np.array([3.0, 150.0, 600.0]))
    assert edges[0] == 3.0 and edges[-1] == 600.0 and (np.diff(edges) > 0).all()
    whole = national_figures.lapses_map(table.assign(code=["48", "93", "69", "976"]))
    assert not whole.axes[0].get_legend().get_texts()[0].get_text().startswith("median")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e4, allow_nan=False), min_size=1, max_size=101),
       st.integers(1, 8))
def test_map_classes_cover_every_value_in_increasing_steps(values: list[float],
                                                            n: int) -> None:
    from sim.faces.maps import classes

    edges = classes(np.array(values), n)
    assert (np.diff(edges) > 0).all() and len(edges) <= n + 1
    assert edges[0] == min(values) and (edges[-1] == max(values) or len(set(values)) == 1)


def test_the_probe_figure_names_its_scenarios() -> None:
    """One bar per scenario in each procedure's panel, named on the first column's axis
    (a pandas string index once came out as 0, 1, 2...), the baseline on top."""
    from sim.faces.probe_figures import probe_bins

    bins = ["two_within_30d", "no_date"]
    probe = pd.DataFrame([
        {"scenario": s, "procedure": p, "month": "2021-01", "bin": b, "readings": 720.0,
         "share": share}
        for s in ("base", "more staff") for p in ("first_title", "aes", "duplicate", "all")
        for b, share in zip(bins, (0.2, 0.8) if s == "base" else (0.5, 0.5), strict=True)])
    fig = probe_bins(probe)
    first, second, third, fourth = fig.axes[:4]
    assert [t.get_text() for t in first.get_yticklabels()] == ["base", "more staff"]
    assert [t.get_text() for t in fourth.get_yticklabels()] == ["base", "more staff"]
    assert all(t.get_text() == "" for t in second.get_yticklabels())
    assert first.get_ylim()[0] > first.get_ylim()[1]  # inverted: the first scenario on top
    widths = sorted(round(p.get_width(), 6) for p in first.patches)
    assert widths == [0.2, 0.5, 0.5, 0.8]
