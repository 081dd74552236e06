"""Pages readable on big regions (issue 17): long names, wide tables, CSV numbers."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from woonplanner.outputs.charts import ChartRow, bar_chart
from woonplanner.outputs.files import plain_number, write_csv
from woonplanner.outputs.sweep import sweep_html


def test_the_norm_chart_shows_long_gemeente_names_whole() -> None:
    svg = bar_chart([ChartRow("Capelle aan den IJssel", [(3.0, "#f00", "3")]), ChartRow("Ede", [])])
    label = re.search(r'<text x="([\d.]+)"[^>]*text-anchor="end"[^>]*>([^<]*)<title>', svg)
    assert label is not None
    assert label.group(2) == "Capelle aan den IJssel"
    # The label ends at x; about 7 units a character must fit left of it.
    assert float(label.group(1)) >= 6.5 * len("Capelle aan den IJssel")


def test_sweep_page_shows_the_plotted_columns_first_and_is_not_fixed_width() -> None:
    table = pd.DataFrame(
        {
            "key": ["k"] * 2,
            "value": ["0", "500"],
            "status": ["optimal"] * 2,
            "mip_gap": [0.0, 0.0],
            "children_demand": [100.0] * 2,
            "children_placed": [100.0] * 2,
            "children_unplaced": [0.0] * 2,
            "mean_km": [3.0, 2.0],
            "p90_km": [6.0, 4.0],
            "annual_cost_eur": [1.4e7, 1.5e7],
            "one_off_cost_eur": [0.0, 1e5],
            "cost_eur": [1.4e7, 1.51e7],
            "units_pleeggezin": [10, 12],
            "message": ["", ""],
        }
    )
    page = sweep_html(table, "objective.km_weight_eur")
    assert "max-width:66em;color" not in page
    head = re.findall(r"<th( class=\"plotted\")?>([^<]*)</th>", page)
    assert [bool(css) for css, _ in head[:3]] == [False, True, True]


def test_csv_numbers_are_never_scientific(tmp_path) -> None:
    frame = pd.DataFrame(
        {"kpi": ["a", "b"], "annual_cost_eur": [14935300.125, np.nan], "km": [1.23456789, 2e7]}
    )
    write_csv(frame, tmp_path / "x.csv")
    text = (tmp_path / "x.csv").read_text(encoding="utf-8")
    assert "e+" not in text
    assert "14935300.13" in text or "14935300.12" in text
    assert "20000000" in text
    assert plain_number(1.49353e7, money=True) == "14935300.00"


def test_the_notebook_tells_the_solve_times_the_readme_tells() -> None:
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    notebook = (repo / "notebooks" / "open_data_region.ipynb").read_text(encoding="utf-8")
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert "take minutes" not in notebook
    assert "10 seconds" in notebook
    assert "take under 10 s" in readme


def test_compare_writes_the_local_leaflet_into_the_page(small: dict, tmp_path, monkeypatch) -> None:
    from test_maps import make_fake_leaflet

    from woonplanner.outputs.compare import compare_runs

    monkeypatch.setenv("WOONPLANNER_LEAFLET_DIR", str(make_fake_leaflet(tmp_path / "leaflet")))
    folders = [small["basis"][0], small["fewer-placements"][0]]
    page = (compare_runs(folders, tmp_path / "cmp") / "compare.html").read_text("utf-8")
    assert "FAKE_LEAFLET_JS" in page
    assert page.count("FAKE_LEAFLET_JS") == 1  # once for all maps
    assert "cdn.jsdelivr.net/npm/leaflet" not in page
    assert "unpkg.com" not in page
    assert "cdnjs" not in page
    # The message for a page whose Leaflet did not load, and the units per gemeente label.
    assert "typeof L === 'undefined'" in page
    assert 'class=\\"wp-agg\\"' in page  # inside the labels' JSON


def test_the_map_labels_carry_the_units_per_type() -> None:
    from test_maps import make_tiny_plan

    from woonplanner.outputs.maps import _units_per_gemeente

    units = _units_per_gemeente(make_tiny_plan().facilities)
    # GM0001: 3 pleeggezin, 1 gezinshuis, 1 woongroep units; GM0002: the closed woongroep
    # has none left, the gezinshuis 1.
    assert units == {
        "GM0001": [("pleeggezin", 3), ("gezinshuis", 1), ("woongroep", 1)],
        "GM0002": [("gezinshuis", 1)],
    }


def test_pages_name_the_region_not_its_code() -> None:
    from conftest import NL, REPO, needs_nl  # noqa: F401

    from woonplanner.outputs.vocabulary import place_name
    from woonplanner.region import _region_title
    from woonplanner.scenario import load_scenario

    membership = NL / "gemeente_jeugdregio_2024_derived.csv"
    if not membership.is_file():
        import pytest

        pytest.skip("needs the shared CBS data")
    scenario = load_scenario(
        REPO / "scenarios" / "jeugdregio.toml", overrides=["region.jeugdregio=JZ29"], data_dir=NL
    )
    assert _region_title(scenario, pd.DataFrame(), membership) == "Rijnmond"
    gemeenten = load_scenario(
        REPO / "scenarios" / "jeugdregio.toml", overrides=['region.gemeenten=["GM0361"]']
    )
    nb = pd.DataFrame({"gemeente": ["GM0361"], "gemeente_name": ["Alkmaar"]})
    assert _region_title(gemeenten, nb, membership) == "Alkmaar"
    assert place_name({"region": "JZ29", "region_name": "Rijnmond"}) == "Rijnmond"
    assert place_name({"region": "JZ29"}) == "JZ29"


def test_the_flow_legend_shows_the_type_colours() -> None:
    from woonplanner.outputs.maps import _legend_html
    from woonplanner.outputs.vocabulary import labels, type_colour

    flows = pd.DataFrame({"type": ["pleeggezin", "woongroep"]})
    html = _legend_html([0.0, 5.0], labels("map"), 5, flows)
    flows_block = html.split("Stromen")[1].split("Gemeenten")[0]
    assert type_colour("pleeggezin") in flows_block
    assert type_colour("woongroep") in flows_block
    assert type_colour("gezinshuis") not in flows_block


def test_the_sweep_page_names_the_region() -> None:
    table = pd.DataFrame(
        {"value": ["1"], "status": ["infeasible"], "cost_eur": [np.nan], "mean_km": [np.nan]}
    )
    table["message"] = "no plan"
    for column in ("mip_gap", "children_demand", "children_placed", "children_unplaced"):
        table[column] = np.nan
    for column in ("p90_km", "annual_cost_eur", "one_off_cost_eur"):
        table[column] = np.nan
    table.attrs["region_name"] = "Rijnmond"
    assert "— Rijnmond</h1>" in sweep_html(table, "k")
