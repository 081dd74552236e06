"""The Folium map of a solved plan, checked on a tiny plan built by hand."""

from __future__ import annotations

import base64
import dataclasses
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.affinity import translate
from shapely.geometry import MultiPolygon, Polygon, box

import woonplanner
from woonplanner.data.runfolder import FACILITY_COLUMNS
from woonplanner.outputs import maps
from woonplanner.outputs.maps import (
    close_gaps,
    demand_edges,
    layer_names,
    plan_map,
)
from woonplanner.outputs.vocabulary import Formatter, area_level, format_count, labels
from woonplanner.plan import Plan
from woonplanner.scenario import Scenario

SCRIPT_NAME = "<script>alert(1)</script>"
# The south-west corner of the tiny region, in EPSG:28992 (near Amersfoort).
X0, Y0 = 155_000.0, 463_000.0
KM = 1_000.0


def make_tiny_plan(*, status: str = "optimal", mip_gap: float = 0.0) -> Plan:
    """A plan small enough to check by eye.

    Four 1 km squares in a row: BU00010001 and BU00010002 in gemeente GM0001 (norm met),
    BU00020001 and BU00020002 in GM0002 (norm not met). BU00010001 hosts all three types
    (pleeggezin existing, gezinshuis new, woongroep existing); BU00020001 has a woongroep that
    closes; BU00020002 an existing gezinshuis. BU00010002 is named ``SCRIPT_NAME``. Flows:
    6 children BU00020001 → BU00010001 pleeggezin, 2 + 1.5 children BU00010002 → BU00010001
    gezinshuis (two rows, aggregated to 3.5, below the threshold), 2 children within
    BU00010001. BU00020002 has 1.2 unplaced children.
    """
    codes = ["BU00010001", "BU00010002", "BU00020001", "BU00020002"]
    squares = [box(X0 + i * KM, Y0, X0 + (i + 1) * KM, Y0 + KM) for i in range(4)]
    neighbourhoods = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": ["Centrum", SCRIPT_NAME, "Noord", "Oost & West"],
            "gemeente": ["GM0001", "GM0001", "GM0002", "GM0002"],
            "gemeente_name": ["Eemdorp", "Eemdorp", "Heuvelrug-Zuid", "Heuvelrug-Zuid"],
            "inhabitants": [12_000, 9_000, 15_000, 8_000],
            "rep_x": [X0 + (i + 0.5) * KM for i in range(4)],
            "rep_y": [Y0 + 0.5 * KM] * 4,
            "children_demand": [9.0, 3.5, 6.0, 1.2],
            "children_placed": [9.0, 3.5, 6.0, 0.0],
            "children_unplaced": [0.0, 0.0, 0.0, 1.2],
            "child_km": [0.0, 3.5, 6.0, 0.0],
            "mean_km": [0.0, 1.0, 1.0, float("nan")],
        },
        geometry=squares,
        crs="EPSG:28992",
    )
    facilities = pd.DataFrame(
        [
            # neighbourhood, gemeente, type, existing, opened, closed, units, places, occupied
            ("BU00010001", "GM0001", "pleeggezin", 3, 0, 0, 3, 6, 6),
            ("BU00010001", "GM0001", "gezinshuis", 0, 1, 0, 1, 4, 3.5),
            ("BU00010001", "GM0001", "woongroep", 1, 0, 0, 1, 8, 2),
            ("BU00020001", "GM0002", "woongroep", 1, 0, 1, 0, 0, 0),
            ("BU00020002", "GM0002", "gezinshuis", 1, 0, 0, 1, 4, 0),
        ],
        # The columns of facilities.csv up to the costs.
        columns=list(FACILITY_COLUMNS[:9]),
    )
    rep = neighbourhoods.set_index("code")[["rep_x", "rep_y"]]
    facilities["x"] = facilities["neighbourhood"].map(rep["rep_x"])
    facilities["y"] = facilities["neighbourhood"].map(rep["rep_y"])
    flows = pd.DataFrame(
        [
            ("BU00020001", "safety", "high", "12-17", "BU00010001", "pleeggezin", 6.0, 2.0),
            ("BU00010002", "safety", "high", "12-17", "BU00010001", "gezinshuis", 2.0, 1.0),
            ("BU00010002", "family", "high", "4-11", "BU00010001", "gezinshuis", 1.5, 1.0),
            ("BU00010001", "family", "low", "4-11", "BU00010001", "woongroep", 2.0, 0.3),
        ],
        columns=["origin", "reason", "support_need", "age_band", "site", "type", "children", "km"],
    )
    gemeente_squares = [
        box(X0, Y0, X0 + 2 * KM, Y0 + KM),
        box(X0 + 2 * KM, Y0, X0 + 4 * KM, Y0 + KM),
    ]
    gemeenten = gpd.GeoDataFrame(
        {
            "code": ["GM0001", "GM0002"],
            "name": ["Eemdorp", "Heuvelrug-Zuid"],
            "inhabitants": [21_000, 23_000],
            "small_scale_units": [2, 0],
            "required_small_scale_units": [1, 1],
            "norm_met": [True, False],
        },
        geometry=gemeente_squares,
        crs="EPSG:28992",
    )
    kpis = {"status": status, "mip_gap": mip_gap}
    return Plan(neighbourhoods, facilities, flows, gemeenten, kpis)


@pytest.fixture(autouse=True)
def no_local_leaflet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No local Leaflet, whatever this machine has: the pages link the CDN.

    Tests that want a local copy point ``WOONPLANNER_LEAFLET_DIR`` at one.
    """
    missing = tmp_path / "no-leaflet"
    monkeypatch.setenv("WOONPLANNER_LEAFLET_DIR", str(missing))
    monkeypatch.setattr(maps, "LEAFLET_DIR", missing)
    return missing


@pytest.fixture
def tiny_plan() -> Plan:
    """The plan of :func:`make_tiny_plan`, solved to optimality."""
    return make_tiny_plan()


def _layer_names_of(fmap: folium.Map) -> list[str]:
    """Names of the map's layers that show in the layer control."""
    return [
        child.layer_name
        for child in fmap._children.values()
        if isinstance(child, folium.map.Layer) and child.control
    ]


def _saved(fmap: folium.Map, path: Path) -> str:
    fmap.save(path)
    return path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (0.0, "0"),
        (-1e-9, "0"),
        # One rounding for every count (issue 17): half up, so 0.2 expected children is 0 and
        # 4.99 is 5; only 1 … 4 after rounding is hidden.
        (0.018, "0"),
        (0.2, "0"),
        (0.5, "<5"),
        (4.49, "<5"),
        (4.99, "5"),
        (5, "5"),
        (5.4, "5"),
        (5.5, "6"),
        (12.5, "13"),
        (float("nan"), "–"),
        (None, "–"),
    ],
)
def test_format_count(value: float | None, expected: str) -> None:
    assert format_count(value, 5) == expected


def test_format_count_uses_the_threshold() -> None:
    assert format_count(7, 10) == "<10"
    assert format_count(10, 10) == "10"


def test_map_saves_with_all_layers(tiny_plan: Plan, tmp_path: Path) -> None:
    fmap = plan_map(tiny_plan)
    text = _saved(fmap, tmp_path / "map.html")
    expected = [
        "Achtergrondkaart",
        "Vraag",
        "Niet geplaatst",
        "Gemeenten (norm)",
        "Stromen",
        "Pleeggezinnen",
        "Gezinshuizen",
        "Woongroepen",
    ]
    assert sorted(_layer_names_of(fmap)) == sorted(expected)
    assert list(layer_names("nl").values()) == [
        "Achtergrondkaart",
        "Vraag",
        "Pleeggezinnen",
        "Gezinshuizen",
        "Woongroepen",
        "Stromen",
        "Gemeenten (norm)",
        "Niet geplaatst",
    ]
    assert any(isinstance(c, folium.LayerControl) for c in fmap._children.values())
    for name in expected:
        assert name in text
    # Only Leaflet is loaded: jQuery, Bootstrap and Font Awesome are not needed.
    assert "jquery" not in text.lower()
    assert "bootstrap" not in text.lower()


def test_map_without_tiles_has_no_tile_layer(tiny_plan: Plan, tmp_path: Path) -> None:
    fmap = plan_map(tiny_plan, tiles=False)
    assert "Achtergrondkaart" not in _layer_names_of(fmap)
    assert "tile.openstreetmap" not in _saved(fmap, tmp_path / "map.html")


def test_the_title_names_the_region_as_the_report_does(tiny_plan: Plan, tmp_path: Path) -> None:
    import dataclasses

    named = dataclasses.replace(tiny_plan, manifest={"region": "JZ15 <Haarlemmermeer>"})
    page = _saved(plan_map(named), tmp_path / "map.html")
    assert (
        "<h1>Plan kleinschalige woonvoorzieningen jeugd — JZ15 &lt;Haarlemmermeer&gt;</h1>" in page
    )
    assert "<h1>Plan kleinschalige woonvoorzieningen jeugd</h1>" in _saved(
        plan_map(tiny_plan), tmp_path / "plain.html"
    )


def test_the_page_title_is_the_heading(tiny_plan: Plan, tmp_path: Path) -> None:
    """The browser tab says what the heading says, in the page's language, escaped."""
    import dataclasses

    named = dataclasses.replace(tiny_plan, manifest={"region": "JZ15 <Haarlemmermeer>"})
    page = _saved(plan_map(named), tmp_path / "map.html")
    heading = "Plan kleinschalige woonvoorzieningen jeugd — JZ15 &lt;Haarlemmermeer&gt;"
    assert f"<title>{heading}</title>" in page
    assert f"<h1>{heading}</h1>" in page
    english = _saved(plan_map(tiny_plan, lang="en"), tmp_path / "en.html")
    assert f"<title>{labels('map', lang='en')['title']}</title>" in english
    given = _saved(plan_map(tiny_plan, title="Regio <b>Eem</b>"), tmp_path / "given.html")
    assert "<title>Regio &lt;b&gt;Eem&lt;/b&gt;</title>" in given
    assert page.count("<title>") == 1


def test_names_from_input_are_escaped(tiny_plan: Plan, tmp_path: Path) -> None:
    text = _saved(plan_map(tiny_plan, title="Regio <b>Eem</b>"), tmp_path / "map.html")
    assert SCRIPT_NAME not in text
    assert "alert(1)" in text  # the name is there, escaped
    assert "<script>alert" not in text
    assert "<b>Eem</b>" not in text
    assert "Regio &lt;b&gt;Eem&lt;/b&gt;" in text
    # "Oost & West" reaches the page as "Oost &amp; West" (JSON-escaped inside scripts).
    assert "Oost & West" not in text


def test_small_counts_show_as_below_threshold(tiny_plan: Plan, tmp_path: Path) -> None:
    text = _saved(plan_map(tiny_plan), tmp_path / "map.html")
    # "<5" is HTML-escaped ("&lt;5"), and Folium writes "&" inside scripts as \u0026.
    assert "\\u0026lt;5 kinderen" in text
    # The aggregated gezinshuis flow (3.5) and the 1.2 unplaced children are never shown raw.
    assert "3.5 kinderen" not in text
    assert ": 1.2" not in text
    # The 6-child flow is above the threshold and shown as a number.
    assert "6 kinderen" in text


def test_a_higher_threshold_hides_more(tiny_plan: Plan, tmp_path: Path) -> None:
    text = _saved(plan_map(tiny_plan, privacy_threshold=10), tmp_path / "map.html")
    assert "6 kinderen" not in text
    assert "\\u0026lt;10 kinderen" in text


def test_demand_classes_never_split_below_the_threshold() -> None:
    edges = demand_edges(pd.Series([0, 0.5, 1, 2, 3, 4, 8, 20, 40, 90]), 5)
    assert edges[:2] == [0.0, 5.0]
    assert all(edge >= 5 for edge in edges[1:])
    assert edges == sorted(set(edges))
    assert demand_edges(pd.Series([0.0, 1.0]), 5) == [0.0, 5.0]


def test_demand_class_edges_are_whole_children() -> None:
    # The demo's quantiles fell on 7.5: classes "5–7.5" and "7.5–15" read as half children.
    demand = pd.Series([0, 2, 5, 6, 7, 7.4, 7.6, 8, 12, 14, 15, 16, 25, 30, 60])
    edges = demand_edges(demand, 5)
    assert edges == sorted(set(edges))
    assert all(float(edge).is_integer() for edge in edges), edges
    assert 7.5 not in edges


def test_demand_classes_are_whole_children_as_the_page_shows_them() -> None:
    """A neighbourhood's colour is the class of the number its tooltip shows, and no number
    is in two classes (the legend read "5–8" and "8–10"; 4.6 children, shown as "5", were
    coloured "<5", and 0.3, shown as "0", too)."""
    edges = [0.0, 5.0, 8.0, 10.0]
    labels = [label for _colour, label in maps._demand_classes(edges, 5)]
    assert labels == ["0", "<5", "5–7", "8–9", "≥ 10"]
    colour = {label: c for c, label in maps._demand_classes(edges, 5)}
    for value, label in [
        (0.0, "0"),
        (0.3, "0"),
        (0.5, "<5"),
        (4.4, "<5"),
        (4.6, "5–7"),
        (7.4, "5–7"),
        (7.6, "8–9"),
        (9.6, "≥ 10"),
        (40.0, "≥ 10"),
    ]:
        shown = format_count(value, 5)  # what the tooltip says
        if shown in {"0", "<5"}:
            assert shown == label
        elif label.startswith("≥"):
            assert int(shown) >= int(label[1:])
        else:
            low, high = (int(n) for n in label.split("–"))
            assert low <= int(shown) <= high
        assert maps._demand_colour(value, edges) == colour[label], value
    # A class of one whole number reads as that number.
    assert [label for _c, label in maps._demand_classes([0.0, 5.0, 6.0], 5)] == [
        "0",
        "<5",
        "5",
        "≥ 6",
    ]


def _with_codes(plan: Plan, prefix: str) -> Plan:
    """The plan with its neighbourhood codes written as ``prefix…`` (``WK`` or ``BU``)."""
    recode = {code: prefix + code[2:] for code in plan.neighbourhoods["code"]}
    return dataclasses.replace(
        plan,
        neighbourhoods=plan.neighbourhoods.assign(code=plan.neighbourhoods["code"].map(recode)),
        facilities=plan.facilities.assign(
            neighbourhood=plan.facilities["neighbourhood"].map(recode)
        ),
        flows=plan.flows.assign(
            origin=plan.flows["origin"].map(recode), site=plan.flows["site"].map(recode)
        ),
    )


@pytest.mark.parametrize(
    ("prefix", "lang", "said", "not_said"),
    [
        ("WK", "nl", ["Vraag: kinderen per wijk", "wijk met niet geplaatste"], "buurt"),
        ("BU", "nl", ["Vraag: kinderen per buurt", "buurt met niet geplaatste"], "wijk"),
        ("WK", "en", ["Demand: children per wijk", "in the wijk, never"], "neighbourhood"),
    ],
)
def test_the_legend_names_the_level_of_the_plan(
    tiny_plan: Plan, tmp_path: Path, prefix: str, lang: str, said: list[str], not_said: str
) -> None:
    """CBS jeugdregio runs plan wijken by default: the legend said "kinderen per buurt"."""
    fmap = plan_map(_with_codes(tiny_plan, prefix), lang=lang)
    legend = next(c for c in fmap._children.values() if type(c).__name__ == "_Legend").html
    for text in said:
        assert text in legend
    assert not_said not in legend.lower()


@pytest.mark.parametrize(("lang", "said"), [("nl", "bezetting"), ("en", "occupancy")])
def test_the_legend_says_occupancy_is_shown_whole(tiny_plan: Plan, lang: str, said: str) -> None:
    """The legend says counts below the threshold read "<5", and a popup says "Bezet 2" for a
    facility (its occupancy, shown whole by design: docs/privacy.md): a reader took it for a
    breach of the legend's own sentence. The legend now says which numbers are whole."""
    fmap = plan_map(tiny_plan, lang=lang)
    legend = next(c for c in fmap._children.values() if type(c).__name__ == "_Legend").html
    assert said in legend.lower()


def test_the_level_comes_from_the_scenario_else_the_codes(tiny_plan: Plan) -> None:
    wijken = _with_codes(tiny_plan, "WK").neighbourhoods
    assert area_level(wijken) == "wijk"
    assert area_level(tiny_plan.neighbourhoods) == "buurt"
    assert area_level(wijken.assign(code=["WK1", "BU2", "WK3", "WK4"])) == ""
    assert area_level(wijken, Scenario()) == "wijk"  # region.level's default
    assert area_level(wijken, {"region": {"level": "buurt"}}) == "buurt"
    assert area_level(tiny_plan.neighbourhoods, {"region": {}}) == "wijk"
    assert labels("map", lang="nl")["legend_demand"] == "Vraag: kinderen per buurt"
    assert labels("map", lang="en")["legend_demand"] == "Demand: children per neighbourhood"


def test_english_labels(tiny_plan: Plan, tmp_path: Path) -> None:
    fmap = plan_map(tiny_plan, lang="en")
    text = _saved(fmap, tmp_path / "map.html")
    assert sorted(_layer_names_of(fmap)) == sorted(layer_names("en").values())
    for label in (
        "Demand",
        "Flows",
        "Unplaced children",
        "Existing",
        "New",
        "Closing",
        "Norm met",
        "Foster family",
    ):
        assert label in text
    for label in ("Vraag", "Bestaand", "Norm gehaald", "Pleeggezinnen"):
        assert label not in text


def test_a_gemeente_label_stands_inside_it_where_its_people_live() -> None:
    """Rotterdam's label sat over the port: a long gemeente is labelled over its town."""
    town = box(X0, Y0, X0 + 6 * KM, Y0 + 6 * KM)
    # The port: a strip 25 km long and 2.5 km wide, whose middle is farther from any border
    # than most of the town's points are, and which holds the centroid.
    port = box(X0 - 25 * KM, Y0 + 2 * KM, X0, Y0 + 4.5 * KM)
    sea = box(X0 - 40 * KM, Y0 - 20 * KM, X0 - 30 * KM, Y0 - 19 * KM)  # a far island
    rotterdam = shapely.union_all([town, port, sea])
    people = np.array(
        [
            [X0 + 3 * KM + dx, Y0 + 3 * KM + dy, 10_000.0]
            for dx in (-1e3, 0, 1e3)
            for dy in (-1e3, 0, 1e3)
        ]
    )
    assert not town.contains(rotterdam.centroid)
    found = maps.label_candidates(rotterdam, people, metres_per_pixel=50.0)
    assert 1 < len(found) <= 36
    assert all(rotterdam.contains(point) for point in found)
    assert town.contains(found[0])
    assert found[0].distance(rotterdam.boundary) > 1 * KM  # well inside, not on the border
    # Without the inhabitants: the deepest point, inside all the same.
    (deepest, *_rest) = maps.label_candidates(rotterdam, None, metres_per_pixel=50.0)
    assert rotterdam.contains(deepest)
    assert deepest.distance(rotterdam.boundary) >= 0.9 * 3 * KM


def test_labels_have_the_same_keys_in_every_language() -> None:
    assert set(labels("map", lang="nl")) == set(labels("map", lang="en"))


def test_unknown_language_is_refused(tiny_plan: Plan) -> None:
    with pytest.raises(ValueError, match="lang: must be one of"):
        plan_map(tiny_plan, lang="de")


def test_no_banner_when_optimal(tiny_plan: Plan, tmp_path: Path) -> None:
    text = _saved(plan_map(tiny_plan), tmp_path / "map.html")
    assert "niet bewezen optimaal" not in text
    assert 'class="wp-banner"' not in text


@pytest.mark.parametrize(
    ("lang", "expected", "not_expected"),
    [
        ("nl", "niet bewezen optimaal, gap 6,4 %", "6.4 %"),
        ("en", "not proven optimal, gap 6.4 %", "6,4 %"),
    ],
)
def test_banner_when_not_proven_optimal(
    tmp_path: Path, lang: str, expected: str, not_expected: str
) -> None:
    """The gap reads as in the report: a decimal comma on the Dutch page."""
    plan = make_tiny_plan(status="time_limit", mip_gap=0.0636)
    text = _saved(plan_map(plan, lang=lang), tmp_path / "map.html")
    assert expected in text
    assert not_expected not in text
    assert Formatter(lang=lang, threshold=5).percent(0.0636) in expected
    assert "time_limit" in text


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_banner_names_a_gap_against_the_coarse_bound(tmp_path: Path, lang: str) -> None:
    """A buurt plan measured against the coarse instance's bound says so beside its gap."""
    plan = make_tiny_plan(status="time_limit", mip_gap=0.1469)
    coarse = dataclasses.replace(plan, kpis={**plan.kpis, "bound_from": "coarse"})
    words = labels("map", lang=lang)["gap_to_coarse"]
    assert words in _saved(plan_map(coarse, lang=lang), tmp_path / "coarse.html")
    assert words not in _saved(plan_map(plan, lang=lang), tmp_path / "solver.html")


def test_banner_without_a_gap(tmp_path: Path) -> None:
    plan = make_tiny_plan(status="time_limit", mip_gap=float("nan"))
    text = _saved(plan_map(plan), tmp_path / "map.html")
    assert "niet bewezen optimaal" in text
    assert "gap nan" not in text


def test_facility_markers_per_type_and_status(tiny_plan: Plan) -> None:
    fmap = plan_map(tiny_plan)
    groups = {
        child.layer_name: child
        for child in fmap._children.values()
        if isinstance(child, folium.FeatureGroup)
    }
    classes = {
        name: [
            m.icon.options["class_name"]
            for m in group._children.values()
            if isinstance(m, folium.Marker)
        ]
        for name, group in groups.items()
        if name in ("Pleeggezinnen", "Gezinshuizen", "Woongroepen")
    }
    assert classes["Pleeggezinnen"] == ["wp-facility wp-pleeggezin wp-existing"]
    assert sorted(classes["Gezinshuizen"]) == [
        "wp-facility wp-gezinshuis wp-existing",
        "wp-facility wp-gezinshuis wp-new",
    ]
    assert sorted(classes["Woongroepen"]) == [
        "wp-facility wp-woongroep wp-closing",
        "wp-facility wp-woongroep wp-existing",
    ]


def test_markers_sit_at_the_representative_point_and_do_not_overlap(tiny_plan: Plan) -> None:
    fmap = plan_map(tiny_plan)
    markers = [
        m
        for group in fmap._children.values()
        if isinstance(group, folium.FeatureGroup)
        for m in group._children.values()
        if isinstance(m, folium.Marker) and "wp-facility" in m.icon.options["class_name"]
    ]
    assert len(markers) == 5
    centrum = [m for m in markers if m.location == markers[0].location]
    # Three types share BU00010001: same point, different pixel anchors.
    assert len(centrum) == 3
    assert len({tuple(m.icon.options["icon_anchor"]) for m in centrum}) == 3
    lat, lon = centrum[0].location
    assert lat == pytest.approx(52.1556, abs=0.01)
    assert lon == pytest.approx(5.394, abs=0.02)


def test_flows_are_aggregated_and_self_flows_skipped(tiny_plan: Plan) -> None:
    fmap = plan_map(tiny_plan)
    (flows,) = [
        c
        for c in fmap._children.values()
        if isinstance(c, folium.FeatureGroup) and c.layer_name == "Stromen"
    ]
    (geojson,) = flows._children.values()
    features = geojson.data["features"]
    # Two lines: 6 children (pleeggezin) and 2 + 1.5 (gezinshuis); the flow inside
    # BU00010001 has no length.
    assert len(features) == 2
    tooltips = [f["properties"]["tooltip"] for f in features]
    assert any("6 kinderen" in t for t in tooltips)
    assert any("&lt;5 kinderen" in t for t in tooltips)
    weights = sorted(f["properties"]["style"]["weight"] for f in features)
    assert weights[0] < weights[1]


def test_a_flow_of_no_whole_child_is_not_drawn(tiny_plan: Plan) -> None:
    """A flow line whose tooltip read "0 kinderen" (0.3 expected children) contradicted
    itself; on JZ13 Amsterdam 454 of 871 lines did."""
    tiny = pd.DataFrame(
        [("BU00020002", "family", "low", "4-11", "BU00010001", "woongroep", 0.3, 2.0)],
        columns=tiny_plan.flows.columns,
    )
    plan = dataclasses.replace(tiny_plan, flows=pd.concat([tiny_plan.flows, tiny]))
    fmap = plan_map(plan)
    (flows,) = [
        c
        for c in fmap._children.values()
        if isinstance(c, folium.FeatureGroup) and c.layer_name == "Stromen"
    ]
    (geojson,) = flows._children.values()
    tooltips = [f["properties"]["tooltip"] for f in geojson.data["features"]]
    assert len(tooltips) == 2, tooltips  # the two of the flows test above, no third
    assert not any(": 0 kinderen" in t for t in tooltips)


def test_unplaced_layer_holds_only_neighbourhoods_with_unplaced_children(
    tiny_plan: Plan,
) -> None:
    fmap = plan_map(tiny_plan)
    (unplaced,) = [
        c
        for c in fmap._children.values()
        if isinstance(c, folium.FeatureGroup) and c.layer_name == "Niet geplaatst"
    ]
    (geojson,) = unplaced._children.values()
    (feature,) = geojson.data["features"]
    assert "Oost &amp; West" in feature["properties"]["popup"]
    assert "&lt;5" in feature["properties"]["popup"]


def test_gemeenten_are_coloured_by_norm(tiny_plan: Plan) -> None:
    fmap = plan_map(tiny_plan)
    (gemeenten,) = [
        c
        for c in fmap._children.values()
        if isinstance(c, folium.FeatureGroup) and c.layer_name == "Gemeenten (norm)"
    ]
    geojson = next(c for c in gemeenten._children.values() if isinstance(c, folium.GeoJson))
    styles = [f["properties"]["style"] for f in geojson.data["features"]]
    assert styles[0]["color"] != styles[1]["color"]
    assert styles[0]["dashArray"] is None
    assert styles[1]["dashArray"]
    popups = [f["properties"]["popup"] for f in geojson.data["features"]]
    assert "Norm gehaald" in popups[0]
    assert "21.000" in popups[0]
    assert "Norm niet gehaald" in popups[1]


def test_plan_map_from_the_package(tiny_plan: Plan) -> None:
    assert isinstance(woonplanner.plan_map(tiny_plan, lang="en"), folium.Map)


def test_empty_plan_tables_still_make_a_map(tiny_plan: Plan, tmp_path: Path) -> None:
    plan = Plan(
        tiny_plan.neighbourhoods,
        tiny_plan.facilities.iloc[0:0],
        tiny_plan.flows.iloc[0:0],
        tiny_plan.gemeenten,
        tiny_plan.kpis,
    )
    fmap = plan_map(plan)
    _saved(fmap, tmp_path / "map.html")
    assert "Stromen" in _layer_names_of(fmap)


def test_unknown_facility_type_gets_its_own_escaped_layer(tiny_plan: Plan, tmp_path: Path) -> None:
    facilities = tiny_plan.facilities.copy()
    facilities.loc[4, "type"] = "<i>crisisbed</i>"
    plan = Plan(
        tiny_plan.neighbourhoods, facilities, tiny_plan.flows, tiny_plan.gemeenten, tiny_plan.kpis
    )
    fmap = plan_map(plan)
    text = _saved(fmap, tmp_path / "map.html")
    assert "&lt;i&gt;crisisbed&lt;/i&gt;" in _layer_names_of(fmap)
    assert "<i>crisisbed" not in text


# --- Leaflet from a local copy ---------------------------------------------------------------

FAKE_PNG = b"\x89PNG fake layer icon"


def make_fake_leaflet(folder: Path, *, minified: bool = False) -> Path:
    """A folder laid out like Debian's libjs-leaflet, with small recognisable files."""
    (folder / "images").mkdir(parents=True)
    (folder / "leaflet.js").write_text(
        'window.FAKE_LEAFLET_JS = "</script> must not end the element";\n', encoding="utf-8"
    )
    if minified:
        (folder / "leaflet.min.js").write_text("window.FAKE_LEAFLET_MIN_JS=1;", encoding="utf-8")
    (folder / "leaflet.css").write_text(
        ".fake-leaflet-css { color: red; }\n"
        ".leaflet-control-layers-toggle { background-image: url(images/layers.png); }\n"
        ".leaflet-default-icon-path { background-image: url(images/marker-icon.png); }\n",
        encoding="utf-8",
    )
    (folder / "images" / "layers.png").write_bytes(FAKE_PNG)
    return folder


def test_a_local_leaflet_is_written_into_the_page(
    tiny_plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_fake_leaflet(tmp_path / "leaflet")
    monkeypatch.setenv("WOONPLANNER_LEAFLET_DIR", str(folder))
    text = _saved(plan_map(tiny_plan), tmp_path / "map.html")
    assert "FAKE_LEAFLET_JS" in text
    assert ".fake-leaflet-css" in text
    assert "cdn.jsdelivr.net/npm/leaflet" not in text
    # The script cannot end early, and the page's own CSS comes after Leaflet's, so it wins.
    assert '"<\\/script> must not end' in text
    assert text.index(".fake-leaflet-css") < text.index(".wp-legend {")
    # The image the CSS names goes in as a data: URI; a missing one keeps its URL.
    data = base64.b64encode(FAKE_PNG).decode("ascii")
    assert f'url("data:image/png;base64,{data}")' in text
    assert "url(images/layers.png)" not in text
    assert "url(images/marker-icon.png)" in text


def test_the_minified_leaflet_is_preferred(
    tiny_plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_fake_leaflet(tmp_path / "leaflet", minified=True)
    monkeypatch.setenv("WOONPLANNER_LEAFLET_DIR", str(folder))
    text = _saved(plan_map(tiny_plan), tmp_path / "map.html")
    assert "FAKE_LEAFLET_MIN_JS" in text
    assert "FAKE_LEAFLET_JS" not in text


def test_the_default_folder_is_used_without_the_variable(
    tiny_plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WOONPLANNER_LEAFLET_DIR")
    monkeypatch.setattr(maps, "LEAFLET_DIR", make_fake_leaflet(tmp_path / "leaflet"))
    assert "FAKE_LEAFLET_JS" in _saved(plan_map(tiny_plan), tmp_path / "map.html")


@pytest.mark.parametrize("variable", ["missing folder", "unset"])
def test_without_a_local_leaflet_the_cdn_links_stay(
    tiny_plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    if variable == "unset":
        monkeypatch.delenv("WOONPLANNER_LEAFLET_DIR")
    text = _saved(plan_map(tiny_plan), tmp_path / "map.html")
    assert '<script src="https://cdn.jsdelivr.net/npm/leaflet@' in text
    assert 'href="https://cdn.jsdelivr.net/npm/leaflet@' in text
    assert text.index("/dist/leaflet.css") < text.index(".wp-legend {")


def test_a_folder_without_the_css_is_no_local_copy(
    tiny_plan: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_fake_leaflet(tmp_path / "leaflet")
    (folder / "leaflet.css").unlink()
    monkeypatch.setenv("WOONPLANNER_LEAFLET_DIR", str(folder))
    text = _saved(plan_map(tiny_plan), tmp_path / "map.html")
    assert "FAKE_LEAFLET_JS" not in text
    assert "cdn.jsdelivr.net/npm/leaflet@" in text


# --- gaps in dissolved outlines ---------------------------------------------------------------


def _with_sliver(x0: float = 0.0, *, open_at_top: bool = False) -> Polygon:
    """Two 1 km squares whose shared border does not match: a gap up to 3 m wide.

    The gap is a hole, or with ``open_at_top`` a notch in the outline.
    """
    left = box(x0, 0, x0 + 1000, 1000)
    top = [(x0 + 1003, 1000)] if open_at_top else [(x0 + 1000, 900), (x0 + 1000, 1000)]
    right = Polygon(
        [
            (x0 + 1000, 0),
            (x0 + 1000, 100),
            (x0 + 1003, 500),
            *top,
            (x0 + 2000, 1000),
            (x0 + 2000, 0),
        ]
    )
    dissolved = shapely.union_all([left, right])
    assert len(dissolved.interiors) == (0 if open_at_top else 1)
    return dissolved


def _with_lake(x0: float = 0.0) -> Polygon:
    """A 2 km square around a 400 m × 400 m hole."""
    return box(x0, 0, x0 + 2000, 2000).difference(box(x0 + 800, 800, x0 + 1200, 1200))


def _same(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    """Equal up to rounding: less than a square metre apart."""
    return bool(a.symmetric_difference(b).area < 1.0)


@pytest.mark.parametrize("open_at_top", [False, True], ids=["hole", "notch"])
def test_a_gap_between_dissolved_squares_is_closed(open_at_top: bool) -> None:
    cleaned = close_gaps(_with_sliver(open_at_top=open_at_top), width=100)
    assert cleaned.geom_type == "Polygon"
    assert len(cleaned.interiors) == 0
    assert _same(cleaned, box(0, 0, 2000, 1000))


def test_a_real_hole_stays() -> None:
    lake = _with_lake()
    cleaned = close_gaps(lake, width=100)
    assert len(cleaned.interiors) == 1
    assert _same(cleaned, lake)


def test_gaps_are_closed_in_every_part_of_a_multipolygon() -> None:
    parts = MultiPolygon([_with_sliver(), _with_lake(x0=5000)])
    cleaned = close_gaps(parts, width=100)
    west_to_east = sorted(cleaned.geoms, key=lambda part: part.bounds[0])
    assert [len(part.interiors) for part in west_to_east] == [0, 1]


def test_other_geometries_come_back_as_they_are() -> None:
    line = shapely.LineString([(0, 0), (1, 1)])
    assert close_gaps(line, width=100) is line
    assert close_gaps(None, width=100) is None


def test_gemeente_outlines_on_the_map_lose_their_gaps(tiny_plan: Plan) -> None:
    gemeenten = tiny_plan.gemeenten.copy()
    sliver = translate(_with_sliver(), X0, Y0)
    gemeenten["geometry"] = [sliver, translate(_with_lake(), X0 + 2 * KM, Y0)]
    plan = Plan(
        tiny_plan.neighbourhoods, tiny_plan.facilities, tiny_plan.flows, gemeenten, tiny_plan.kpis
    )
    (layer,) = [
        c
        for c in plan_map(plan)._children.values()
        if isinstance(c, folium.FeatureGroup) and c.layer_name == "Gemeenten (norm)"
    ]
    geojson = next(c for c in layer._children.values() if isinstance(c, folium.GeoJson))
    rings = [len(f["geometry"]["coordinates"]) for f in geojson.data["features"]]
    assert rings == [1, 2]  # the gap is gone, the lake's hole stays
