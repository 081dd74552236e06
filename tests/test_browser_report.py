"""report.html and compare.html in a real browser: no errors, the layers and markers are there.

Screenshots land in test-artifacts/ (report_nl.png, report_en.png, compare_2.png,
compare_3_en.png) for a person to look at.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from browser import BROWSER_SKIP_REASON, load_page
from test_maps import SCRIPT_NAME

from woonplanner.data.runfolder import read_run
from woonplanner.outputs.compare import compare_runs, unit_differences
from woonplanner.outputs.report import write_report
from woonplanner.outputs.vocabulary import labels as page_labels

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(BROWSER_SKIP_REASON is not None, reason=BROWSER_SKIP_REASON or ""),
]

# The maps in page order (folium declares each as a global named after its container).
MAPS = "Array.from(document.querySelectorAll('.folium-map'), d => window[d.id])"
PER_MAP = "Array.from(document.querySelectorAll('.folium-map'), m => {expr})"
LAYERS = PER_MAP.format(
    expr="Array.from(m.querySelectorAll('.leaflet-control-layers label'), "
    "l => l.textContent.trim())"
)
FACILITIES = PER_MAP.format(expr="m.querySelectorAll('.leaflet-marker-icon.wp-facility').length")
DIFFS = PER_MAP.format(expr="m.querySelectorAll('.leaflet-marker-icon.wp-change').length")
GEMEENTE_LINES = PER_MAP.format(expr="m.querySelectorAll('path.leaflet-interactive').length")
# Move the last map a little (pan) or zoom it in a step; every map must follow it.
_MOVE = (
    "const maps = {maps}; const c = maps[0].getCenter(); const z = maps[0].getZoom() + {dz};"
    "const t = maps[0].project([c.lat + {d}, c.lng + {d}], z); window.wpTarget = [t.x, t.y, z];"
    "maps[maps.length - 1].setView([c.lat + {d}, c.lng + {d}], z);"
)
PAN_LAST = _MOVE.format(maps=MAPS, d=0.004, dz=0)
ZOOM_LAST = _MOVE.format(maps=MAPS, d=-0.003, dz=1)
# Each map's centre in world pixels at its zoom, and the zoom.
VIEWS = (
    f"{MAPS}.map(m => {{ const p = m.project(m.getCenter()); return [p.x, p.y, m.getZoom()]; }})"
)


def assert_same_view(views: list[list[float]], target: list[float]) -> None:
    """Every map at the target zoom, centred within a pixel of the target.

    Maps whose widths differ by an odd pixel put their centre half a pixel apart.
    """
    for x, y, zoom in views:
        assert zoom == target[2]
        assert abs(x - target[0]) <= 1.01
        assert abs(y - target[1]) <= 1.01


@pytest.fixture(scope="module")
def runs(small: dict) -> dict:
    return small


def test_report_in_browser(runs: dict, tmp_path: Path) -> None:
    _folder, plan = runs["basis"]
    nb = plan.neighbourhoods.copy()
    nb.loc[nb.index[0], "name"] = SCRIPT_NAME
    path = write_report(dataclasses.replace(plan, neighbourhoods=nb), tmp_path)
    page = load_page(
        path,
        screenshot="report_nl.png",
        viewport=(1280, 2300),
        evaluate={
            "charts": "document.querySelectorAll('svg.chart').length",
            "sections": "Array.from(document.querySelectorAll('h2'), h => h.textContent)",
            "unplaced": "document.querySelector('#unplaced').innerText",
            "scripts": "document.scripts.length",
        },
    )
    assert page.errors == []
    assert page.dialogs == []
    # Self-contained: the page asks the network for nothing and needs no local asset either.
    assert page.blocked == []
    assert page.served == []
    assert page.values["scripts"] == 0
    assert page.values["charts"] == 3
    assert page.values["sections"] == [
        "Kerncijfers",
        "Niet geplaatste kinderen",
        "Norm: 1 kleinschalige voorziening per 40.000 inwoners",
        "Voorzieningen per vorm",
        "Veranderingen ten opzichte van de huidige voorraad",
        "Herplaatsingen",
        "Aannames",
    ]
    assert SCRIPT_NAME in page.values["unplaced"]
    assert "<5" in page.values["unplaced"]


def test_no_report_table_stands_out_of_the_page(runs: dict, tmp_path: Path) -> None:
    """Amsterdam's "Spaarndammerbuurt/Zeeheldenbuurt" has no place to break: the changes
    table stood 115 px out of the page's column. Every neighbourhood gets such a name here."""
    _folder, plan = runs["basis"]
    nb = plan.neighbourhoods.copy()
    nb["name"] = [f"Spaarndammerbuurt/Zeeheldenbuurt{i}" for i in range(len(nb))]
    path = write_report(dataclasses.replace(plan, neighbourhoods=nb), tmp_path)
    page = load_page(
        path,
        viewport=(1280, 900),
        evaluate={
            "over": "(() => { const main = document.querySelector('main');"
            " const m = main.getBoundingClientRect();"
            " const pad = parseFloat(getComputedStyle(main).paddingRight);"
            " return Array.from(document.querySelectorAll('main table'))"
            ".filter(t => t.getBoundingClientRect().right > m.right - pad + 1)"
            ".map(t => t.id || t.querySelector('th')?.textContent); })()",
        },
    )
    assert page.errors == []
    assert page.values["over"] == []


def test_english_report_in_browser(runs: dict, tmp_path: Path) -> None:
    _folder, plan = runs["wider-band"]
    path = write_report(plan, tmp_path, lang="en")
    page = load_page(
        path,
        screenshot="report_en.png",
        viewport=(1280, 1800),
        evaluate={"unplaced": "document.querySelector('#unplaced').innerText"},
    )
    assert page.errors == []
    assert page.blocked == []
    # A fraction of a teenager who needs a woongroep may be left without one in GM9904 alone;
    # the section says who, in English, once it rounds to a child (docs/privacy.md: one
    # rounding everywhere), and otherwise that every child has a place.
    unplaced = plan.kpis["region"]["children_unplaced"]
    if round(unplaced) >= 1:
        assert "intensive (no family setting)" in page.values["unplaced"]
    else:
        assert "Every child has a place" in page.values["unplaced"]


def test_compare_two_runs_in_browser(runs: dict, tmp_path: Path) -> None:
    a, b = runs["basis"][0], runs["fewer-placements"][0]
    out = compare_runs([a, b], tmp_path / "cmp")
    page = load_page(
        out / "compare.html",
        screenshot="compare_2.png",
        viewport=(1280, 1250),
        actions=[PAN_LAST],
        evaluate={
            "maps": f"{MAPS}.length",
            "layers": LAYERS,
            "facilities": FACILITIES,
            "diffs": DIFFS,
            "views": VIEWS,
            "target": "window.wpTarget",
            "kpi_rows": "document.querySelectorAll('#kpi-table tbody tr').length",
        },
    )
    assert page.errors == []
    assert page.dialogs == []
    # Leaflet is in the page itself, like map.html (issue 17): nothing asks the CDN for it.
    assert not any("leaflet" in url for url in [*page.served, *page.blocked])
    # Only background tiles would need the network.
    assert all("pdok.nl" in url for url in page.blocked)
    labels = page_labels("map", "compare", lang="nl")
    base = [
        labels["layer_tiles"],
        labels["layer_demand"],
        labels["layer_gemeenten"],
        labels["layer_unplaced"],
        labels["layer_pleeggezin"],
        labels["layer_gezinshuis"],
        labels["layer_woongroep"],
    ]
    assert page.values["maps"] == 2
    assert page.values["layers"] == [base, [*base, labels["layer_diff"]]]
    run_a, run_b = read_run(a), read_run(b)
    assert page.values["facilities"] == [len(run_a.facilities), len(run_b.facilities)]
    sites = unit_differences(run_a.facilities, run_b.facilities)["neighbourhood"].nunique()
    assert sites > 0
    assert page.values["diffs"] == [0, sites]
    # Moving one map moved the other to the same view.
    assert_same_view(page.values["views"], page.values["target"])
    assert page.values["kpi_rows"] > 20


def test_compare_three_runs_in_browser(runs: dict, tmp_path: Path) -> None:
    folders = [runs[name][0] for name in ("basis", "fewer-placements", "wider-band")]
    out = compare_runs(folders, tmp_path / "cmp", lang="en")
    page = load_page(
        out / "compare.html",
        screenshot="compare_3_en.png",
        viewport=(1400, 1100),
        evaluate={
            "maps": f"{MAPS}.length",
            "layers": LAYERS,
            "diffs": DIFFS,
            "lines": GEMEENTE_LINES,
        },
    )
    assert page.errors == []
    assert page.values["maps"] == 3
    assert [len(layers) for layers in page.values["layers"]] == [7, 8, 8]
    assert page.values["layers"][2][-1] == page_labels("compare", lang="en")["layer_diff"]
    assert page.values["diffs"][0] == 0
    assert all(n > 0 for n in page.values["diffs"][1:])
    # Every map has its gemeente outline (and the unplaced neighbourhoods where there are).
    assert all(n >= 1 for n in page.values["lines"])

    page = load_page(
        out / "compare.html", actions=[ZOOM_LAST], evaluate={"views": VIEWS, "target": "wpTarget"}
    )
    assert page.errors == []
    assert_same_view(page.values["views"], page.values["target"])
