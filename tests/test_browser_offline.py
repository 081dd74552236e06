"""Every shared page in a real browser with no network at all (issue 17).

Unlike the other browser tests, nothing is served in place of a CDN: a request that leaves the
machine is refused. The pages must draw from what they carry (Leaflet written in from Debian's
``libjs-leaflet``); only background tiles may be asked for, and they fail quietly. Without a
local Leaflet the page must say on the page why the map is blank.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import BROWSER_SKIP_REASON, load_page
from test_maps import make_tiny_plan
from test_national_map import make_batch

from woonplanner.outputs import maps
from woonplanner.outputs.compare import compare_runs
from woonplanner.outputs.national import write_national_map
from woonplanner.outputs.report import report_html
from woonplanner.outputs.sweep import sweep_html
from woonplanner.plan import Plan

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(BROWSER_SKIP_REASON is not None, reason=BROWSER_SKIP_REASON or ""),
]

#: Background tiles: the only requests a page may make, and it works without them.
TILE_HOSTS = ("service.pdok.nl", "tile.openstreetmap.org")
STATE = {
    "leaflet": "typeof L !== 'undefined'",
    "maps": "document.querySelectorAll('.leaflet-container').length",
    "markers": "document.querySelectorAll('.leaflet-marker-icon').length",
    "message": "Array.from(document.querySelectorAll('.wp-no-leaflet'), e => e.textContent)",
}


def offline(path: Path, screenshot: str) -> dict:
    page = load_page(path, screenshot=screenshot, evaluate=STATE, local_assets=(), settle_ms=600)
    assert page.errors == []
    assert page.served == []
    assert [url for url in page.blocked if not any(h in url for h in TILE_HOSTS)] == []
    return page.values


def test_map_offline(tmp_path: Path) -> None:
    path = tmp_path / "map.html"
    maps.plan_map(make_tiny_plan()).save(path)
    values = offline(path, "offline_map.png")
    assert values["leaflet"]
    assert values["markers"] > 0
    assert values["message"] == []


def test_report_offline(demo_plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(report_html(demo_plan), encoding="utf-8")
    offline(path, "offline_report.png")


def test_compare_offline(small: dict[str, tuple[Path, Plan]], tmp_path: Path) -> None:
    folders = [small["basis"][0], small["fewer-placements"][0]]
    out = compare_runs(folders, tmp_path / "cmp")
    values = offline(out / "compare.html", "offline_compare.png")
    assert values["leaflet"]
    assert values["maps"] == 2
    assert values["markers"] > 0


def test_sweep_offline(tmp_path: Path) -> None:
    import pandas as pd

    table = pd.DataFrame(
        {
            "key": ["k", "k"],
            "value": ["0", "1"],
            "status": ["optimal", "optimal"],
            "mip_gap": [0.0, 0.0],
            "children_demand": [10.0, 10.0],
            "children_placed": [10.0, 10.0],
            "children_unplaced": [0.0, 0.0],
            "mean_km": [2.0, 1.0],
            "p90_km": [3.0, 2.0],
            "annual_cost_eur": [100.0, 200.0],
            "one_off_cost_eur": [0.0, 0.0],
            "cost_eur": [100.0, 200.0],
            "message": ["", ""],
        }
    )
    path = tmp_path / "sweep.html"
    path.write_text(sweep_html(table, "k"), encoding="utf-8")
    offline(path, "offline_sweep.png")


def test_national_map_offline(tmp_path: Path) -> None:
    out = tmp_path / "national"
    values = offline(write_national_map(out, make_batch(out)), "offline_national.png")
    assert values["leaflet"]


def test_without_any_leaflet_the_page_says_why_it_is_blank(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-leaflet"
    monkeypatch.setenv(maps.LEAFLET_DIR_ENV, str(missing))
    monkeypatch.setattr(maps, "LEAFLET_DIR", missing)
    path = tmp_path / "map.html"
    maps.plan_map(make_tiny_plan()).save(path)
    page = load_page(path, screenshot="offline_no_leaflet.png", evaluate=STATE, local_assets=())
    assert any("leaflet" in url for url in page.blocked)  # the CDN, refused
    assert not page.values["leaflet"]
    assert len(page.values["message"]) == 1
    assert "Leaflet" in page.values["message"][0]
    assert "libjs-leaflet" in page.values["message"][0]
