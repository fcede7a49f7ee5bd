"""The data behind the scenarios: sourced figures, derived inputs, départements, references."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.experiments.data import departements, figures, prefectures, references, sources
from sim.faces.cli import calibration as calibration_cli

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "public_figures.csv"


def test_every_figure_has_a_source_or_an_estimate_mark() -> None:
    table = sources.public_figures()
    assert len(table) > 200
    for fig in table.values():
        assert fig.status in ("sourced", "estimate")
        assert fig.url.startswith("http") or fig.status == "estimate", fig.key


def test_additional_figures_have_sources_and_shadow_nothing() -> None:
    shared = sources.public_figures()
    extra = {k: f for k, f in sources.sourced_figures().items() if k not in shared}
    assert len(extra) >= 15
    assert len(sources.sourced_figures()) == len(shared) + len(extra)
    for fig in extra.values():
        assert fig.status == "sourced" and fig.url.startswith("http"), fig.key
    assert figures.value("ta_melun_urgent_cases", 2023) == 2848
    assert figures.value("vdm_court_cases_mid", 2021) == pytest.approx(
        (figures.value("vdm_court_cases_melun_scaled", 2023)
         * figures.value("vdm_court_cases_montreuil_scaled", 2021)) ** 0.5)


@pytest.mark.skipif(not SHARED.is_file(), reason="shared/ not beside the project")
def test_the_project_copy_is_the_shared_file() -> None:
    assert (REPO / "data" / "public_figures.csv").read_bytes() == SHARED.read_bytes()


def test_figure_lookup_and_its_one_line_errors() -> None:
    assert figures.value("op_max_duration", 2024) == 12.0
    assert figures.figure("illicit_connections_blocked_since_june_2020").year == 2021
    with pytest.raises(sources.DataError, match=r"^unknown data key 'nope'"):
        figures.figure("nope")
    with pytest.raises(sources.DataError, match="several years .*write op_max_duration@YEAR"):
        figures.figure("op_max_duration")
    with pytest.raises(sources.DataError, match="no figure for 1999"):
        figures.figure("op_max_duration", 1999)
    with pytest.raises(sources.DataError, match="not a number"):
        figures.value("anef_student_launch_date", 2020)


def test_derived_figures_cite_inputs_that_exist() -> None:
    table = figures.derived_table()
    assert set(table["status"]) <= {"derived", "estimate"}
    for inputs in table["inputs"]:
        for ref in inputs.split("; "):
            if "@" in ref:
                key, year = ref.split("@")
                figures.figure(key, int(year))
    blocked = figures.value("blocked_requests_per_day_national", 2021)
    assert blocked == pytest.approx(170e6 / 547)
    assert figures.value("renewals_total_lower_bound", 2021) == 950000 - 273360


def test_shipped_derived_files_are_up_to_date() -> None:
    shipped = pd.read_csv(REPO / "data" / "derived_figures.csv", keep_default_na=False)
    fresh = figures.derived_table()
    assert shipped["key"].tolist() == fresh["key"].tolist()
    assert shipped["value"].tolist() == pytest.approx(fresh["value"].tolist())
    weights = pd.read_csv(REPO / "data" / "departement_weights.csv", dtype={"code": str})
    assert weights["weight"].tolist() == pytest.approx(figures.weights_table()["weight"].tolist())


def test_departement_weights() -> None:
    w = departements.departement_weights()
    assert len(w) == 101
    assert w["weight"].sum() == pytest.approx(1.0)
    assert w.loc[w["group"] == "idf", "weight"].sum() == pytest.approx(0.40)
    assert (w["weight_low"] < w["weight"]).all() and (w["weight"] < w["weight_high"]).all()
    assert departements.weight("94") == pytest.approx(0.0456, abs=1e-4)
    # 13 prefectures make half the demand; the Cour des comptes counted 12 in 2012
    assert abs(departements.prefectures_for_half() - 12) <= 2
    for anchor in figures.weight_anchors():  # the published shares lie within a factor of 2
        assert 0.5 <= anchor.published_share / anchor.weight <= 2.0


def test_departement_codes() -> None:
    assert departements.normalise_code(1) == "01" and departements.normalise_code("2b") == "2B"
    assert departements.is_known("976")
    assert not departements.is_known("975") and not departements.is_known("96")
    assert departements.departement("94")["name"] == "Val-de-Marne"
    with pytest.raises(sources.DataError) as exc:
        departements.departement("999", "x.yaml: reference")
    assert exc.value.problems == [
        "x.yaml: reference: unknown département '999' (known: 01..95, 2A, 2B, 971..976)"]


def test_map_tiles_place_every_departement_like_france() -> None:
    """One cell each, none shared; the metropolitan tiles keep the départements' order
    west to east and south to north (rank correlation with their demographic centres)."""
    from scipy.stats import spearmanr

    tiles = departements.tiles()
    assert sorted(tiles["code"]) == sorted(departements.departements()["code"])
    assert not tiles.duplicated(["column", "row"]).any()
    assert set(tiles.loc[tiles["overseas"], "code"]) == {"971", "972", "973", "974", "976"}
    metro = pd.read_csv(sources.DATA_DIR / "departement_tiles.csv", dtype={"code": str})
    metro = metro[~metro["overseas"]]
    assert spearmanr(metro["column"], metro["lon"]).statistic > 0.95
    assert spearmanr(metro["row"], metro["lat"]).statistic > 0.95
    paris = tiles.set_index("code").loc[list(departements.IDF), ["column", "row"]]
    assert (paris.max() - paris.min() <= 3).all()  # Île-de-France stays together


def test_references_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("a: 6      # [= op_max_duration@2014]\n"
                    "b: 7      # [= op_max_duration@2014]\n"
                    "c: 1      # [no_such_key@2021]\n"
                    "# prose [op_max_duration@2024]\n", encoding="utf-8")
    refs = references.references(path)
    assert [(r.line, r.exact, r.number) for r in refs] == [
        (1, True, 6.0), (2, True, 7.0), (3, False, 1.0), (4, False, None)]
    assert references.check_references(path) == [
        f"{path}:2: value 7.0 does not match op_max_duration@2014 = 6.0",
        f"{path}:3: unknown data key 'no_such_key' (see docs/data.md)",
    ]


def test_data_check_command(tmp_path: Path) -> None:
    runner = CliRunner()
    good = runner.invoke(calibration_cli.app, ["data-check",
                                             str(REPO / "scenarios" / "val-de-marne-2021.yaml")])
    assert good.exit_code == 0, good.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("x: 1   # [unknown_key@2020]\n", encoding="utf-8")
    result = runner.invoke(calibration_cli.app, ["data-check", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{bad}:1: unknown data key 'unknown_key' (see docs/data.md)"
    assert "Traceback" not in result.output


def test_data_derive_command(tmp_path: Path) -> None:
    result = CliRunner().invoke(calibration_cli.app, ["data-derive", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "derived_figures.csv").read_text() == (
        REPO / "data" / "derived_figures.csv").read_text()


# --- each prefecture's inputs (data/immigrant_shares.csv, booking_policies.csv, ...) -------


def test_prefecture_data_cite_their_sources() -> None:
    shares = prefectures.immigrant_shares()
    assert len(shares) == 101 and shares["code"].is_unique
    assert (shares["status"] == "sourced").all()
    assert shares["source_url"].str.startswith("https://").all()
    assert shares["immigrant_share_pct"].between(2.0, 35.0).all()
    policies = prefectures.booking_policies()
    assert policies["code"].map(departements.is_known).all()
    assert policies["source_url"].str.startswith("https://").all()
    convoked = policies[policies["to_convocation"] != ""]
    assert set(convoked["code"]) == {"04", "33", "69", "86", "91"}
    known = {"first_title", "aes", "renewal", "duplicate", "protection_order"}
    for cell in (*policies["to_convocation"], *policies["to_race"]):
        assert set(prefectures.procedures(cell)) <= known, cell
    bots = prefectures.bot_pressure()
    assert bots.loc[bots["status"] == "estimate", "note"].str.contains("ESTIMATE").all()
    assert bots["relative_pressure"].tolist() == pytest.approx(
        (30.0 / bots["check_interval_seconds"]).tolist(), rel=1e-3)  # relative to 30 s


def test_demand_weights_against_the_published_anchors() -> None:
    """The three départements whose share of national titles the figures give lie within
    the demand band (DEMAND_BAND either way of the immigrant-based weight)."""
    table = prefectures.prefecture_inputs().set_index("code")
    for anchor in figures.weight_anchors():
        ratio = anchor.published_share / table.loc[anchor.code, "demand_weight"]
        assert 1 / prefectures.DEMAND_BAND <= ratio <= prefectures.DEMAND_BAND, anchor.code


def test_shipped_prefecture_inputs_are_up_to_date() -> None:
    shipped = pd.read_csv(REPO / "data" / "prefectures.csv", dtype={"code": str},
                          keep_default_na=False)
    fresh = prefectures.prefectures_table()
    assert shipped["code"].tolist() == fresh["code"].tolist()
    for column in ("demand_weight", "staff_weight", "bot_weight"):
        assert shipped[column].tolist() == pytest.approx(fresh[column].tolist()), column
    assert shipped["policy"].tolist() == fresh["policy"].tolist()
