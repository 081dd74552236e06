"""Road-network distances (``travel.mode = "network"``) on an OSM extract of part of Delft.

The extract (``../shared/data/nl/osm_tudelft_2022-01-24.osm.bz2``, or
``$WOONPLANNER_SHARED_DATA/nl``) covers lon 4.355-4.386, lat 51.995-52.005; tests that need it
are skipped with a reason when it is absent. The graph is built once per network type for the
whole module (``travel._road_network`` keeps it in memory); every test gets its own cache folder.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from conftest import NL, REPO
from pyproj import Transformer

import woonplanner
from woonplanner import travel
from woonplanner.errors import InputDataError, ScenarioError
from woonplanner.region import load_region
from woonplanner.scenario import TravelConfig, load_scenario
from woonplanner.travel import (
    TravelFallbackWarning,
    distance_matrix_km,
    straight_line_km,
    travel_matrices,
    travel_minutes,
)
from woonplanner.youthcare import travel_tables

OSM = NL / "osm_tudelft_2022-01-24.osm.bz2"
JEUGDREGIO = REPO / "scenarios" / "jeugdregio.toml"


def needs_osm(test):
    """Mark a test as needing the shared OSM extract; skip it with a reason when absent."""
    test = pytest.mark.shared_data(test)
    return pytest.mark.skipif(
        not OSM.is_file(), reason=f"{OSM} not found; set WOONPLANNER_SHARED_DATA"
    )(test)


def _grid(lons: np.ndarray, lats: np.ndarray) -> pd.DataFrame:
    """Points (RD New) on a lon/lat grid, as :func:`travel.representative_points` returns them."""
    lon, lat = np.meshgrid(lons, lats)
    to_rd = Transformer.from_crs("EPSG:4326", "EPSG:28992", always_xy=True)
    x, y = to_rd.transform(lon.ravel(), lat.ravel())
    return pd.DataFrame(
        {"code": [f"P{i:02d}" for i in range(len(x))], "x": x, "y": y, "local_km": 0.05}
    )


@pytest.fixture(scope="module")
def points() -> pd.DataFrame:
    """24 points spread over the extract, all within 500 m of its bike network."""
    return _grid(np.linspace(4.358, 4.383, 6), np.linspace(51.997, 52.003, 4))


def _network(cache_dir: Path, **kw) -> TravelConfig:
    return TravelConfig(
        **{"mode": "network", "osm_file": str(OSM), "cache_dir": str(cache_dir), **kw}
    )


def _xy(frame: pd.DataFrame) -> np.ndarray:
    return frame[["x", "y"]].to_numpy()


# --- both modes, no data needed ---------------------------------------------------------------


def test_straight_mode_is_unchanged():
    pts = pd.DataFrame({"code": ["A", "B"], "x": [0.0, 3000.0], "y": [0.0, 4000.0]})
    pts["local_km"] = [0.2, 0.3]
    anchors = travel.school_anchors(pts, None)
    straight = TravelConfig(detour_factor=1.2)
    km, info = distance_matrix_km(_xy(pts), pts, travel=straight, max_km=1.0)
    assert km == pytest.approx(np.array([[0.2 * 1.2, 5 * 1.2], [5 * 1.2, 0.3 * 1.2]]))
    assert info.mode == "straight"
    assert info.summary() == "Travel: straight line × 1.2 between neighbourhood points"
    tables = travel_matrices(pts, anchors, travel=straight, max_km=1.0)
    expected = straight_line_km(_xy(anchors), pts, detour_factor=1.2)
    assert np.array_equal(tables.from_anchor, expected)
    assert np.array_equal(tables.from_home, km)
    assert travel_minutes(np.array([15.0, np.inf]), travel=TravelConfig(network_type="bike")) == (
        pytest.approx([60.0, np.inf])
    )


def test_network_mode_needs_an_osm_file_and_resolves_it_against_the_scenario(tmp_path):
    with pytest.raises(ScenarioError, match=r'travel: .*mode = "network" needs osm_file'):
        load_scenario(None, overrides=["travel.mode=network"])
    (tmp_path / "osm").mkdir()
    scenario_file = tmp_path / "s.toml"
    scenario_file.write_text(
        '[travel]\nmode = "network"\nosm_file = "osm/x.osm.bz2"\ncache_dir = "cache"\n',
        encoding="utf-8",
    )
    t = load_scenario(scenario_file).travel
    assert t.osm_file == str(tmp_path / "osm" / "x.osm.bz2")
    assert t.cache_dir == str(tmp_path / "cache")
    assert (t.network_type, t.effective_speed_kmh, t.max_snap_m) == ("drive", 30.0, 500)


def test_missing_or_pbf_osm_files_are_refused_with_advice(tmp_path, points):
    missing = TravelConfig(mode="network", osm_file=str(tmp_path / "nope.osm"))
    with pytest.raises(InputDataError, match="file not found"):
        distance_matrix_km(_xy(points), points, travel=missing, max_km=5)
    pbf = tmp_path / "delft.osm.pbf"
    pbf.write_bytes(b"\0")
    with pytest.raises(InputDataError, match="not PBF; convert it first"):
        distance_matrix_km(
            _xy(points), points, travel=TravelConfig(mode="network", osm_file=str(pbf)), max_km=5
        )


# --- the Delft extract ------------------------------------------------------------------------


@needs_osm
@pytest.mark.parametrize("network_type", ["bike", "drive"])
def test_network_distance_is_never_below_the_straight_line(tmp_path, points, network_type):
    """Every pair: path + snapping offsets ≥ straight line (no detour), and mostly longer."""
    cfg = _network(tmp_path, network_type=network_type)
    if network_type == "drive":
        # Two grid points lie on the campus, more than 500 m from any drivable road.
        with pytest.warns(TravelFallbackWarning, match="2 of 24 points"):
            km, info = distance_matrix_km(_xy(points), points, travel=cfg, max_km=50)
    else:
        km, info = distance_matrix_km(_xy(points), points, travel=cfg, max_km=50)
    straight_km = travel._pairwise_m(_xy(points), _xy(points)) / 1000
    assert info.points == len(points)
    assert info.snapped + info.fallback == len(points)
    assert np.isfinite(km).all()
    assert (km >= straight_km - 1e-9).all()
    apart = straight_km > 0.3
    ratio = km[apart] / straight_km[apart]
    assert 1.1 < np.median(ratio) < 2.5  # roads in town: longer than a line, not absurdly so
    assert info.graph_nodes > 500
    assert not info.cache_hit
    assert km == pytest.approx(km.T)  # one-way rules are not applied: symmetric


@needs_osm
def test_second_call_is_served_from_the_cache(tmp_path, points, monkeypatch):
    cfg = _network(tmp_path, network_type="bike")
    km, first = distance_matrix_km(_xy(points), points, travel=cfg, max_km=3)
    assert first.cache_hit is False
    assert Path(first.cache_file).is_file()
    assert "built from osm_tudelft_2022-01-24.osm.bz2" in first.summary()

    def no_graph(*_args):
        raise AssertionError("the graph was built although the cache holds the distances")

    monkeypatch.setattr(travel, "_road_network", no_graph)
    again, second = distance_matrix_km(_xy(points), points, travel=cfg, max_km=3)
    assert second.cache_hit is True
    assert second.cache_file == first.cache_file
    assert "served from cache" in second.summary()
    assert np.array_equal(km, again)
    # The detour factor is applied after reading: a new one needs no new computation.
    distance_matrix_km(
        _xy(points),
        points,
        travel=_network(tmp_path, network_type="bike", detour_factor=1.5),
        max_km=3,
    )
    # Other points or another cutoff are another key.
    with pytest.raises(AssertionError, match="graph was built"):
        distance_matrix_km(_xy(points), points, travel=cfg, max_km=4)


@needs_osm
def test_cutoff_leaves_out_only_pairs_beyond_it(tmp_path, points):
    cfg = _network(tmp_path, network_type="bike")
    full, _ = distance_matrix_km(_xy(points), points, travel=cfg, max_km=50)
    cut, info = distance_matrix_km(_xy(points), points, travel=cfg, max_km=1.5)
    assert info.cutoff_km == 1.5
    within = full <= 1.5
    assert 0 < within.mean() < 1
    assert np.array_equal(cut[within], full[within])
    assert np.isinf(cut[~within]).all()


@needs_osm
def test_points_far_from_the_network_fall_back_to_straight_line(tmp_path, points):
    far = pd.concat(
        [points, pd.DataFrame({"code": ["ROT"], "x": [92_500.0], "y": [437_500.0]})],
        ignore_index=True,
    ).fillna({"local_km": 0.05})  # a point in Rotterdam, 10 km south of the extract
    cfg = _network(tmp_path, network_type="bike")
    with pytest.warns(TravelFallbackWarning, match=r"1 of 25 points lie more than 500 m"):
        km, info = distance_matrix_km(_xy(far), far, travel=cfg, max_km=50)
    assert (info.fallback, info.snapped) == (1, 24)
    straight = straight_line_km(_xy(far), far, detour_factor=cfg.detour_factor)
    assert np.array_equal(km[-1], straight[-1])
    assert np.array_equal(km[:, -1], straight[:, -1])
    assert info.as_dict()["fallback"] == 1


@needs_osm
def test_home_distances_cover_every_site_near_a_school(tmp_path, points):
    """from_home is finite wherever an anchor of that home has the site within the cutoff."""
    schools = points.iloc[[3, 14, 20]]
    anchors = travel.school_anchors(
        points,
        gpd.GeoDataFrame(
            {"type": ["primary", "secondary", "primary"]},
            geometry=gpd.points_from_xy(schools["x"], schools["y"]),
            crs="EPSG:28992",
        ),
    )
    cfg = _network(tmp_path, network_type="bike")
    tables = travel_matrices(points, anchors, travel=cfg, max_km=1.0)
    home = pd.Index(points["code"]).get_indexer(anchors["code"])
    near = np.isfinite(tables.from_anchor)
    assert near.any()
    assert (~near).any()
    assert np.isfinite(tables.from_home[home][near]).all()
    # ... and exact: equal to the unbounded distances.
    full, _ = distance_matrix_km(_xy(points), points, travel=cfg, max_km=100)
    finite = np.isfinite(tables.from_home)
    assert np.array_equal(tables.from_home[finite], full[finite])


@needs_osm
def test_a_saved_graphml_gives_the_same_distances(tmp_path, points):
    import osmnx as ox

    net = travel._road_network(str(OSM.resolve()), travel.file_sha256(OSM), "bike")
    graphml = tmp_path / "delft-bike.graphml"
    ox.save_graphml(net.graph, graphml)
    from_xml, _ = distance_matrix_km(
        _xy(points), points, travel=_network(tmp_path, network_type="bike"), max_km=5
    )
    from_graphml, info = distance_matrix_km(
        _xy(points), points, travel=_network(tmp_path, osm_file=str(graphml)), max_km=5
    )
    assert info.osm_file == str(graphml)
    assert from_graphml == pytest.approx(from_xml, rel=1e-9)


@needs_osm
@pytest.mark.skipif(not JEUGDREGIO.is_file(), reason="scenarios/jeugdregio.toml not there yet")
def test_delft_planned_end_to_end_on_road_distances(tmp_path):
    """Gemeente Delft (GM0503): most wijken lie outside the small extract and fall back."""
    scenario = load_scenario(
        JEUGDREGIO,
        data_dir=NL,
        overrides=[
            'region.gemeenten=["GM0503"]',
            'travel.mode="network"',
            f'travel.osm_file="{OSM}"',
            f'travel.cache_dir="{tmp_path / "cache"}"',
        ],
    )
    with pytest.warns(TravelFallbackWarning, match=r"of 13 points lie more than 500 m"):
        plan = woonplanner.run(scenario)
    assert plan.kpis["status"] == "optimal"
    # Only teenagers who need a woongroep can be left without a place: a few tenths of a child
    # in one 5 km band do not pay for opening one (docs/model.md, three forms).
    unplaced = {
        (r["reason"], r["support_need"]): r["children"]
        for r in plan.kpis["region"]["unplaced_by_reason"]
    }
    assert sum(v for (_, need), v in unplaced.items() if need != "intensive") < 1e-6
    assert plan.kpis["region"]["children_unplaced"] < 0.5
    assert np.isfinite(plan.flows["km"]).all()
    assert str(OSM.resolve()) in plan.manifest["inputs"]  # hashed like the CBS files

    # The run cached its distances: the same tables are now read, not computed.
    region = load_region(scenario)
    points = travel.representative_points(region.neighbourhoods)
    anchors = travel.school_anchors(points, region.schools)
    with pytest.warns(TravelFallbackWarning):
        tables = travel_tables(scenario, points, anchors)
    info = tables.info
    assert info.cache_hit is True
    assert info.points == 13
    assert info.snapped >= 1
    assert info.fallback >= 10
