"""The national map of a batch run, on three made-up regions: fast, and checked in a browser."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from browser import BROWSER_SKIP_REASON, LEAFLET_DIR, load_page
from shapely.geometry import Polygon, box
from test_maps import make_fake_leaflet

from woonplanner.batch import SUMMARY_COLUMNS
from woonplanner.outputs import maps
from woonplanner.outputs.national import region_outlines, write_national_map

LEGEND_TITLE = "1 kleinschalige voorziening per 40.000 inwoners"
# Near Amersfoort, in EPSG:28992.
X0, Y0 = 155_000.0, 463_000.0
KM = 1_000.0

browser = pytest.mark.skipif(BROWSER_SKIP_REASON is not None, reason=BROWSER_SKIP_REASON or "")


@pytest.fixture(autouse=True)
def no_local_leaflet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No local Leaflet, whatever this machine has: the page links the CDN."""
    missing = tmp_path / "no-leaflet"
    monkeypatch.setenv("WOONPLANNER_LEAFLET_DIR", str(missing))
    monkeypatch.setattr(maps, "LEAFLET_DIR", missing)


def _write_gemeenten(folder: Path, outlines: list[Polygon]) -> None:
    """A run folder's ``plan.gpkg`` with only what the national map reads: the gemeenten."""
    folder.mkdir(parents=True)
    gemeenten = gpd.GeoDataFrame(
        {"code": [f"GM{i:04d}" for i in range(len(outlines))]},
        geometry=outlines,
        crs="EPSG:28992",
    )
    gemeenten.to_file(folder / "plan.gpkg", layer="gemeenten")


def make_batch(out: Path) -> pd.DataFrame:
    """A batch folder with two planned regions and one that failed, and its summary.

    JZ01 (named with a script tag) is two 10 km gemeenten whose shared border leaves a 20 m
    gap; every gemeente meets the norm. JZ02 is one gemeente around a 2 km lake, norm not met,
    6.6 children unplaced. JZ03 could not be planned and has no run folder.
    """
    left = box(X0, Y0, X0 + 10 * KM, Y0 + 10 * KM)
    right = Polygon(
        [
            (X0 + 10 * KM, Y0),
            (X0 + 10 * KM, Y0 + 1 * KM),
            (X0 + 10 * KM + 20, Y0 + 5 * KM),
            (X0 + 10 * KM, Y0 + 9 * KM),
            (X0 + 10 * KM, Y0 + 10 * KM),
            (X0 + 20 * KM, Y0 + 10 * KM),
            (X0 + 20 * KM, Y0),
        ]
    )
    _write_gemeenten(out / "JZ01", [left, right])
    lake = box(X0 + 24 * KM, Y0 + 4 * KM, X0 + 26 * KM, Y0 + 6 * KM)
    _write_gemeenten(out / "JZ02", [box(X0 + 20 * KM, Y0, X0 + 30 * KM, Y0 + 10 * KM) - lake])
    rows = [
        {
            "jeugdregio": "JZ01",
            "name": "Noord <script>alert(1)</script>",
            "status": "optimal",
            "children_demand": 120.0,
            "children_unplaced": 0.0,
            "mean_km": 4.2,
            "gemeenten": 2,
            "gemeenten_norm_met": 2,
        },
        {
            "jeugdregio": "JZ02",
            "name": "Oost",
            "status": "time_limit",
            "children_demand": 80.0,
            "children_unplaced": 6.6,
            "mean_km": 7.9,
            "gemeenten": 1,
            "gemeenten_norm_met": 0,
        },
        {
            "jeugdregio": "JZ03",
            "name": "West",
            "status": "infeasible",
            "message": "GM0394: needs 3 units",
        },
    ]
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


@pytest.fixture
def batch(tmp_path: Path) -> tuple[Path, pd.DataFrame]:
    """The folder and summary of :func:`make_batch`."""
    out = tmp_path / "national"
    return out, make_batch(out)


def test_the_legend_is_on_the_page(batch: tuple[Path, pd.DataFrame]) -> None:
    text = write_national_map(*batch).read_text(encoding="utf-8")
    assert LEGEND_TITLE in text
    assert "niet in elke gemeente" in text


def test_only_leaflet_is_loaded(batch: tuple[Path, pd.DataFrame]) -> None:
    text = write_national_map(*batch).read_text(encoding="utf-8")
    scripts = re.findall(r'<script src="([^"]+)"', text)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', text)
    assert len(scripts) == 1
    assert scripts[0].endswith("/leaflet.js")
    assert len(styles) == 1
    assert styles[0].endswith("/leaflet.css")
    for name in ("jquery", "bootstrap", "font-awesome", "awesome-markers"):
        assert name not in text.lower()


def test_a_local_leaflet_is_written_into_the_page(
    batch: tuple[Path, pd.DataFrame], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WOONPLANNER_LEAFLET_DIR", str(make_fake_leaflet(tmp_path / "leaflet")))
    text = write_national_map(*batch).read_text(encoding="utf-8")
    assert "FAKE_LEAFLET_JS" in text
    assert "cdn.jsdelivr.net/npm/leaflet" not in text


def test_names_are_escaped(batch: tuple[Path, pd.DataFrame]) -> None:
    text = write_national_map(*batch).read_text(encoding="utf-8")
    assert "<script>alert" not in text
    assert "alert(1)" in text


def test_outlines_lose_the_gaps_between_gemeenten_but_keep_real_holes(
    batch: tuple[Path, pd.DataFrame],
) -> None:
    out, summary = batch
    outlines = region_outlines(out, list(summary["jeugdregio"])).set_index("jeugdregio")
    # JZ03 has no run folder, so no outline.
    assert list(outlines.index) == ["JZ01", "JZ02"]
    assert outlines.crs == "EPSG:4326"
    jz01, jz02 = outlines.geometry
    assert jz01.geom_type == "Polygon"
    assert len(jz01.interiors) == 0
    assert len(jz02.interiors) == 1


def test_a_batch_without_any_outline_still_makes_a_map(tmp_path: Path) -> None:
    out = tmp_path / "national"
    out.mkdir()
    summary = make_batch(tmp_path / "elsewhere")
    assert LEGEND_TITLE in write_national_map(out, summary).read_text(encoding="utf-8")


# --- in a browser -----------------------------------------------------------------------------

REGION_PATHS = "document.querySelectorAll('path.leaflet-interactive').length"
LEGEND_BOX = """(() => {
    const legend = document.querySelector('.wp-legend');
    if (!legend) return null;
    const box = legend.getBoundingClientRect();
    return {text: legend.textContent, width: box.width, height: box.height,
            visible: getComputedStyle(legend).visibility === 'visible'};
})()"""
OPEN_POPUP = """
    for (const value of Object.values(window)) {
        if (!(value instanceof L.GeoJSON)) continue;
        value.eachLayer(layer => {
            const popup = layer.getPopup && layer.getPopup();
            if (popup && String(popup.getContent()).includes('Oost')) layer.openPopup();
        });
    }
"""
POPUP_TEXT = "Array.from(document.querySelectorAll('.leaflet-popup-content'), p => p.textContent)"


@pytest.mark.browser
@browser
def test_national_map_draws_regions_and_legend(batch: tuple[Path, pd.DataFrame]) -> None:
    page = load_page(
        write_national_map(*batch),
        screenshot="national_map.png",
        actions=[OPEN_POPUP],
        evaluate={"paths": REGION_PATHS, "legend": LEGEND_BOX, "popups": POPUP_TEXT},
    )
    assert page.errors == []
    # Only Leaflet is asked for (and served locally); the background starts switched off.
    assert page.blocked == []
    assert {url.rsplit("/", 1)[-1] for url in page.served} == {"leaflet.js", "leaflet.css"}
    assert page.values["paths"] == 2
    legend = page.values["legend"]
    assert legend is not None
    assert LEGEND_TITLE in legend["text"]
    assert legend["visible"]
    assert legend["width"] > 100
    assert legend["height"] > 50
    (popup,) = page.values["popups"]
    assert "niet geplaatst 7" in popup
    assert "0 van 1 gemeenten" in popup


@pytest.mark.browser
@browser
def test_national_map_with_inline_leaflet_needs_no_network(
    batch: tuple[Path, pd.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WOONPLANNER_LEAFLET_DIR")
    monkeypatch.setattr(maps, "LEAFLET_DIR", LEAFLET_DIR)
    page = load_page(write_national_map(*batch), local_assets=(), evaluate={"paths": REGION_PATHS})
    assert page.errors == []
    assert page.served == []
    assert page.blocked == []
    assert page.values["paths"] == 2


def _unescaped(text: str) -> str:
    """The page with the \\uXXXX escapes of its JSON popups undone."""
    return re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), text)


def test_popups_speak_dutch_and_mark_unproven_plans(tmp_path: Path) -> None:
    out = tmp_path / "national"
    summary = make_batch(out)
    summary.loc[0, ["children_demand", "mean_km"]] = [2500.0, 1.3]
    text = _unescaped(write_national_map(out, summary).read_text(encoding="utf-8"))
    assert "status: time_limit" not in text
    assert "status: tijdslimiet" in text
    assert "status: optimaal" in text
    assert "2.500" in text
    assert "1,3 km" in text
    assert "1.3 km" not in text
    # The time-limited region is hatched, and the legend says what that means.
    assert text.count("url(#wp-unproven)") >= 2  # its style and the legend's swatch
    assert "niet bewezen optimaal" in text
