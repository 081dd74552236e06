"""The saved map in a real browser: it loads without errors and shows what it should."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from browser import BROWSER_SKIP_REASON, LEAFLET_DIR, load_page
from conftest import NL, needs_nl
from test_maps import SCRIPT_NAME, make_tiny_plan

import woonplanner
from woonplanner.data.runfolder import FACILITY_COLUMNS
from woonplanner.outputs import maps
from woonplanner.outputs.maps import layer_names, plan_map
from woonplanner.plan import Plan

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(BROWSER_SKIP_REASON is not None, reason=BROWSER_SKIP_REASON or ""),
]

LAYER_CONTROL_NAMES = (
    "Array.from(document.querySelectorAll('.leaflet-control-layers label'))"
    ".map(label => label.textContent.trim())"
)
FACILITY_MARKERS = "document.querySelectorAll('.leaflet-marker-icon.wp-facility').length"
# Folium declares every layer as a global variable; find the GeoJSON layers among them.
_OPEN_POPUP_WITH = """
    for (const value of Object.values(window)) {{
        if (!(value instanceof L.GeoJSON)) continue;
        value.eachLayer(layer => {{
            const popup = layer.getPopup && layer.getPopup();
            if (popup && String(popup.getContent()).includes({text!r})) layer.openPopup();
        }});
    }}
"""
POPUP_TEXT = "Array.from(document.querySelectorAll('.leaflet-popup-content'), p => p.textContent)"
# Leaflet's default marker icon is an <img> looked up next to the page: none may be used.
DEFAULT_ICONS = "document.querySelectorAll('img.leaflet-marker-icon').length"
REGION_PATHS = "document.querySelectorAll('.leaflet-wp-demand-pane path')"
# Where the drawn region and the legend lie on the screen, in pixels.
REGION_AND_LEGEND = f"""(() => {{
    const boxes = Array.from({REGION_PATHS}, p => p.getBoundingClientRect());
    const legend = document.querySelector('.wp-legend').getBoundingClientRect();
    return {{region_left: Math.min(...boxes.map(b => b.left)),
             region_right: Math.max(...boxes.map(b => b.right)),
             legend_right: legend.right, window_width: window.innerWidth}};
}})()"""


@pytest.fixture(autouse=True)
def real_leaflet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leaflet as a user of this machine gets it: Debian's copy, written into the page."""
    monkeypatch.delenv(maps.LEAFLET_DIR_ENV, raising=False)
    monkeypatch.setattr(maps, "LEAFLET_DIR", LEAFLET_DIR)


@pytest.fixture
def leaflet_from_the_cdn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No local Leaflet: the page links the CDN (and ``load_page`` serves Debian's copy)."""
    monkeypatch.setenv(maps.LEAFLET_DIR_ENV, str(tmp_path / "no-leaflet"))


def test_map_loads_without_errors(tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    plan_map(make_tiny_plan()).save(path)
    page = load_page(
        path,
        screenshot="map_nl.png",
        evaluate={
            "layers": LAYER_CONTROL_NAMES,
            "facilities": FACILITY_MARKERS,
            "paths": "document.querySelectorAll('path.leaflet-interactive').length",
            "legend": "document.querySelector('.wp-legend').textContent",
            "default_icons": DEFAULT_ICONS,
        },
        # Nothing is served: Leaflet is in the page itself.
        local_assets=(),
    )
    assert page.errors == []
    assert page.served == []
    assert not [url for url in page.blocked if "leaflet" in url]
    assert page.values["default_icons"] == 0
    assert sorted(page.values["layers"]) == sorted(layer_names("nl").values())
    assert page.values["facilities"] == 5
    # 4 neighbourhoods, 1 unplaced, 2 gemeenten; the flows start switched off
    assert page.values["paths"] == 7
    for text in ("Pleeggezin", "Bestaand", "Nieuw", "Sluit", "Norm gehaald"):
        assert text in page.values["legend"]
    assert page.screenshot is not None
    assert page.screenshot.stat().st_size > 10_000


@pytest.mark.usefixtures("leaflet_from_the_cdn")
def test_map_with_leaflet_from_the_cdn(tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    plan_map(make_tiny_plan()).save(path)
    page = load_page(path, evaluate={"paths": "document.querySelectorAll('path').length"})
    assert page.errors == []
    assert {url.rsplit("/", 1)[-1] for url in page.served} == {"leaflet.js", "leaflet.css"}
    assert page.values["paths"] >= 7


def test_the_legend_does_not_cover_the_region(tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    plan_map(make_tiny_plan()).save(path)
    page = load_page(path, viewport=(1200, 900), evaluate={"boxes": REGION_AND_LEGEND})
    boxes = page.values["boxes"]
    assert boxes["region_left"] >= boxes["legend_right"]
    assert boxes["region_right"] <= boxes["window_width"]


def test_demo_map_works_offline(tmp_path: Path) -> None:
    """The map of ``woonplanner run`` (the demo), with no network at all."""
    woonplanner.run(woonplanner.load_scenario("demo"), out=tmp_path / "demo")
    page = load_page(
        tmp_path / "demo" / "map.html",
        screenshot="map_demo.png",
        viewport=(1200, 900),
        local_assets=(),
        evaluate={
            "facilities": FACILITY_MARKERS,
            "neighbourhoods": f"{REGION_PATHS}.length",
            "default_icons": DEFAULT_ICONS,
            "boxes": REGION_AND_LEGEND,
        },
    )
    assert page.errors == []
    assert page.served == []
    assert page.values["facilities"] > 0
    assert page.values["neighbourhoods"] == 56
    assert page.values["default_icons"] == 0
    assert page.values["boxes"]["region_left"] >= page.values["boxes"]["legend_right"]
    assert page.screenshot is not None
    assert page.screenshot.stat().st_size > 50_000


def test_english_map_with_banner(tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    plan_map(make_tiny_plan(status="time_limit", mip_gap=0.023), lang="en").save(path)
    page = load_page(
        path,
        screenshot="map_en_time_limit.png",
        evaluate={
            "layers": LAYER_CONTROL_NAMES,
            "banner": "document.querySelector('.wp-banner').innerText",
        },
    )
    assert page.errors == []
    assert sorted(page.values["layers"]) == sorted(layer_names("en").values())
    assert "not proven optimal, gap 2.3 %" in page.values["banner"]


def test_popups_show_escaped_names_as_text(tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    plan_map(make_tiny_plan()).save(path)
    page = load_page(
        path,
        screenshot="map_popup.png",
        actions=[_OPEN_POPUP_WITH.format(text="alert(1)")],
        evaluate={"popups": POPUP_TEXT},
    )
    # The name reads as text in the popup and never ran as a script.
    assert page.errors == []
    assert page.dialogs == []
    assert any(SCRIPT_NAME in text for text in page.values["popups"])
    assert any("<5" in text for text in page.values["popups"])


def test_flows_show_when_switched_on(tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    plan_map(make_tiny_plan()).save(path)
    flows = "document.querySelectorAll('.leaflet-wp-flows-pane path').length"
    switch_on = (
        "Array.from(document.querySelectorAll('.leaflet-control-layers label'))"
        ".find(label => label.textContent.trim() === 'Stromen').querySelector('input').click();"
    )
    page = load_page(
        path, screenshot="map_flows.png", actions=[switch_on], evaluate={"flows": flows}
    )
    assert page.errors == []
    assert page.values["flows"] == 2


def test_facility_popup_opens_on_click(tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    plan_map(make_tiny_plan()).save(path)
    page = load_page(
        path,
        actions=["document.querySelector('.wp-facility.wp-gezinshuis.wp-new').click();"],
        evaluate={"popups": POPUP_TEXT},
    )
    assert page.errors == []
    (text,) = page.values["popups"]
    assert "Gezinshuis" in text
    assert "Nieuw" in text
    assert "Centrum" in text


# --- a real region, to see the map at the size planners use ----------------------------------


def make_region_plan(jeugdregio: str = "JZ06") -> Plan:
    """A made-up plan on the real wijken of one jeugdregio (CBS 2024), for looking at.

    The numbers are invented but plausible: demand 1.2 per 1000 inhabitants, pleeggezinnen in
    the busiest wijken, a few gezinshuizen and woongroepen (some new, some closing), flows to the
    nearest site of each type, and a few remote wijken left with unplaced children.
    """
    nl = NL
    regions = pd.read_csv(nl / "gemeente_jeugdregio_2024_derived.csv")
    codes = set(regions.loc[regions["jeugdregiocode"] == jeugdregio, "gemeentecode"])
    wijken = gpd.read_file(nl / "wijken_2024_geoinzicht.geojson")
    wijken = wijken[wijken["gemeentecode"].isin(codes) & (wijken["aantal_inwoners"] > 0)]
    wijken = wijken.set_crs("EPSG:4326", allow_override=True).to_crs("EPSG:28992")
    wijken = wijken.sort_values("aantal_inwoners", ascending=False).reset_index(drop=True)
    rep = wijken.geometry.representative_point()
    demand = wijken["aantal_inwoners"].to_numpy(float) * 0.0012
    n = len(wijken)

    rows = []
    for i in range(n):
        kind_status = []
        if i < n // 3:
            kind_status.append(("pleeggezin", "new" if i % 7 == 3 else "existing"))
        if i % 6 == 0:
            kind_status.append(("gezinshuis", "new" if i % 12 == 6 else "existing"))
        if i % 11 == 1:
            kind_status.append(("woongroep", "closing" if i % 22 == 12 else "existing"))
        for kind, status in kind_status:
            units = {"pleeggezin": 1 + i % 4, "gezinshuis": 1, "woongroep": 1}[kind]
            per_unit = {"pleeggezin": 2, "gezinshuis": 4, "woongroep": 8}[kind]
            existing = 0 if status == "new" else units
            opened = units if status == "new" else 0
            closed = units if status == "closing" else 0
            left = units - closed
            rows.append(
                (
                    wijken["wijkcode"][i],
                    wijken["gemeentecode"][i],
                    kind,
                    existing,
                    opened,
                    closed,
                    left,
                    left * per_unit,
                    left * per_unit * 0.8,
                    rep[i].x,
                    rep[i].y,
                )
            )
    facilities = pd.DataFrame(
        rows,
        columns=[*FACILITY_COLUMNS[:9], "x", "y"],
    )

    share = {"pleeggezin": 0.6, "gezinshuis": 0.3, "woongroep": 0.1}
    open_sites = facilities[facilities["units"] > 0]
    flow_rows = []
    unplaced = np.zeros(n)
    child_km = np.zeros(n)
    remote = set(np.argsort([p.x for p in rep])[:2])  # the two most western wijken
    for i in range(n):
        if i in remote:
            unplaced[i] = demand[i] * 0.5
        for kind, part in share.items():
            sites = open_sites[open_sites["type"] == kind]
            km = np.hypot(sites["x"] - rep[i].x, sites["y"] - rep[i].y) / 1000
            j = int(np.argmin(km.to_numpy()))
            children = demand[i] * part - unplaced[i] * part
            child_km[i] += children * float(km.iloc[j])
            flow_rows.append(
                (
                    wijken["wijkcode"][i],
                    "safety",
                    "high",
                    "12-17",
                    sites["neighbourhood"].iloc[j],
                    kind,
                    children,
                    float(km.iloc[j]),
                )
            )
    flows = pd.DataFrame(
        flow_rows,
        columns=["origin", "reason", "support_need", "age_band", "site", "type", "children", "km"],
    )
    placed = demand - unplaced
    neighbourhoods = gpd.GeoDataFrame(
        {
            "code": wijken["wijkcode"],
            "name": wijken["wijknaam"],
            "gemeente": wijken["gemeentecode"],
            "gemeente_name": wijken["gemeentenaam"],
            "inhabitants": wijken["aantal_inwoners"],
            "rep_x": rep.x,
            "rep_y": rep.y,
            "children_demand": demand,
            "children_placed": placed,
            "children_unplaced": unplaced,
            "child_km": child_km,
            "mean_km": np.where(placed > 0, child_km / np.maximum(placed, 1e-9), np.nan),
        },
        geometry=wijken.geometry,
        crs="EPSG:28992",
    )
    gemeenten = gpd.read_file(nl / "gemeenten_2024_geoinzicht.geojson")
    gemeenten = gemeenten[gemeenten["gemeentecode"].isin(codes)]
    gemeenten = gemeenten.set_crs("EPSG:4326", allow_override=True).to_crs("EPSG:28992")
    small = facilities[facilities["type"] != "pleeggezin"].groupby("gemeente")["units"].sum()
    required = np.ceil(gemeenten["aantal_inwoners"].to_numpy(float) / 40_000).astype(int)
    units = gemeenten["gemeentecode"].map(small).fillna(0).astype(int).to_numpy()
    gemeenten = gpd.GeoDataFrame(
        {
            "code": gemeenten["gemeentecode"],
            "name": gemeenten["gemeentenaam"],
            "inhabitants": gemeenten["aantal_inwoners"],
            "small_scale_units": units,
            "required_small_scale_units": required,
            "norm_met": units >= required,
        },
        geometry=gemeenten.geometry,
        crs="EPSG:28992",
    )
    kpis = {"status": "time_limit", "mip_gap": 0.0123}
    return Plan(
        neighbourhoods.reset_index(drop=True),
        facilities,
        flows,
        gemeenten.reset_index(drop=True),
        kpis,
    )


@pytest.mark.shared_data
@needs_nl
def test_region_map_loads_without_errors(tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    plan = make_region_plan("JZ06")
    plan_map(plan, title="Jeugdregio Noord-Holland Noord (voorbeeld)").save(path)
    page = load_page(
        path,
        screenshot="map_region.png",
        evaluate={"facilities": FACILITY_MARKERS},
        viewport=(1400, 900),
    )
    assert page.errors == []
    assert page.values["facilities"] == len(plan.facilities)


# --- gemeente labels and the legend at the window sizes planners use -------------------------

# Each gemeente label on the page: its name, its box and whether it shows, and where its anchor
# is; and the boxes of the controls a label must not cover.
LABELS_AND_CONTROLS = """(() => {
    const map = Object.values(window).find(v => v instanceof L.Map);
    const box = r => ({left: r.left, top: r.top, right: r.right, bottom: r.bottom});
    const labels = [];
    map.eachLayer(layer => {
        const icon = layer instanceof L.Marker && layer._icon;
        if (!icon || !icon.classList.contains('wp-gemeente-label')) return;
        const inner = icon.firstElementChild;
        const at = layer.getLatLng();
        labels.push({name: inner.firstChild.textContent.trim(), lat: at.lat, lon: at.lng,
                     shown: getComputedStyle(icon).visibility !== 'hidden',
                     box: box(inner.getBoundingClientRect())});
    });
    const controls = Array.from(
        document.querySelectorAll('.wp-legend, .wp-title, .leaflet-control-layers'),
        c => box(c.getBoundingClientRect()));
    return {labels, controls, width: window.innerWidth, height: window.innerHeight};
})()"""
LEGEND_FIT = """(() => {
    const legend = document.querySelector('.wp-legend');
    const zoom = document.querySelector('.leaflet-control-zoom').getBoundingClientRect();
    const r = legend.getBoundingClientRect();
    return {scroll: legend.scrollHeight, client: legend.clientHeight, top: r.top,
            bottom: r.bottom, zoom_bottom: zoom.bottom, height: window.innerHeight};
})()"""


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


@pytest.fixture(scope="module")
def rijnmond() -> Plan:
    """JZ29 Rijnmond, where the new-user test of 2026-12-03 found labels on top of each other
    (Schiedam under Vlaardingen and Capelle aan den IJssel, Albrandswaard under Barendrecht)."""
    return make_region_plan("JZ29")


@pytest.mark.shared_data
@needs_nl
@pytest.mark.parametrize("window", [(1280, 900), (1400, 900)])
def test_gemeente_labels_do_not_overlap_at_the_opening_view(
    rijnmond: Plan, tmp_path: Path, window: tuple[int, int]
) -> None:
    path = tmp_path / "map.html"
    plan_map(rijnmond).save(path)
    page = load_page(
        path,
        screenshot=f"map_labels_{window[0]}.png",
        viewport=window,
        evaluate={"seen": LABELS_AND_CONTROLS},
    )
    assert page.errors == []
    seen = page.values["seen"]
    labels = seen["labels"]
    assert len(labels) == len(rijnmond.gemeenten)
    shown = [label for label in labels if label["shown"]]
    # Most show at once; the rest appear one zoom step in (their outline keeps its tooltip).
    assert len(shown) >= len(labels) - 3, [label["name"] for label in labels]
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert not _overlap(a["box"], b["box"]), (a["name"], b["name"])
        for control in seen["controls"]:
            assert not _overlap(a["box"], control), a["name"]
        window_box = {"left": 0, "top": 0, "right": seen["width"], "bottom": seen["height"]}
        inside = shapely.box(*window_box.values()).covers(shapely.box(*a["box"].values()))
        assert inside, a["name"]  # not cut off by the window's edge
    # Every label stands on its own gemeente (Rotterdam's on the town, not in the sea).
    outlines = rijnmond.gemeenten.to_crs("EPSG:4326").set_index("name").geometry
    for label in labels:
        point = shapely.Point(label["lon"], label["lat"])
        assert outlines[label["name"]].contains(point), label["name"]
    rotterdam = next(label for label in labels if label["name"] == "Rotterdam")
    assert rotterdam["lon"] > 4.35  # east of Pernis: not over the port and the Maasvlakte


@pytest.mark.shared_data
@needs_nl
def test_the_legend_fits_a_900_pixel_window(rijnmond: Plan, tmp_path: Path) -> None:
    """At 1280×900 the JZ29 legend was cut off at the bottom (62vh of room)."""
    path = tmp_path / "map.html"
    plan_map(rijnmond).save(path)
    page = load_page(path, viewport=(1280, 900), evaluate={"legend": LEGEND_FIT})
    legend = page.values["legend"]
    assert legend["scroll"] <= legend["client"] + 1, legend  # nothing to scroll to
    assert legend["bottom"] <= legend["height"]
    assert legend["top"] >= legend["zoom_bottom"]  # below the zoom buttons
