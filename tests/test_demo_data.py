"""The embedded demo region: deterministic, consistent with its stored files, and as briefed."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from woonplanner.data import demo
from woonplanner.errors import InputDataError
from woonplanner.schema import (
    CRS,
    FACILITY_TYPES,
    NEIGHBOURHOOD_COLUMNS,
    SCHOOL_COLUMNS,
    STOCK_COLUMNS,
    STOCK_OPTIONAL_COLUMNS,
)

ROOT = Path(__file__).resolve().parents[1]
STORED = ROOT / "data" / "demo"
DICTIONARY = ROOT / "data" / "dictionary"
#: Largest distance (m) between a stored and a generated vertex. The files round to 6 decimals
#: of a degree (about 0.1 m); a PROJ with other datum grids may move points a little more.
COORDINATE_TOLERANCE_M = 1.0


@pytest.fixture(scope="module")
def region() -> demo.DemoRegion:
    return demo.generate()


@pytest.fixture(scope="module")
def stored() -> demo.DemoRegion:
    return demo.load(STORED)


def _script() -> ModuleType:
    """Import ``scripts/make_demo_data.py``, which is not part of the package."""
    spec = importlib.util.spec_from_file_location(
        "make_demo_data", ROOT / "scripts" / "make_demo_data.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _assert_same_region(
    left: demo.DemoRegion, right: demo.DemoRegion, *, tolerance: float = 0.0
) -> None:
    for table in ("neighbourhoods", "schools"):
        a, b = getattr(left, table), getattr(right, table)
        pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
        assert a.crs == b.crs
        assert shapely.equals_exact(a.geometry.values, b.geometry.values, tolerance=tolerance).all()
    pd.testing.assert_frame_equal(left.stock, right.stock)


# --- determinism and the stored copy -------------------------------------------------------------


def test_generate_is_deterministic(region: demo.DemoRegion) -> None:
    _assert_same_region(region, demo.generate())


def test_stored_files_match_generate(region: demo.DemoRegion, stored: demo.DemoRegion) -> None:
    # When this fails after a change to demo.py, run `python scripts/make_demo_data.py`.
    _assert_same_region(region, stored, tolerance=COORDINATE_TOLERANCE_M)


def test_write_then_load_round_trips(region: demo.DemoRegion, tmp_path: Path) -> None:
    written = demo.write(tmp_path, region)
    assert [p.name for p in written] == list(demo.FILES)
    _assert_same_region(region, demo.load(tmp_path), tolerance=COORDINATE_TOLERANCE_M)


def test_load_without_directory_reads_the_repository_copy(stored: demo.DemoRegion) -> None:
    _assert_same_region(demo.load(), stored)


def test_load_falls_back_to_generate_without_data_folder(
    region: demo.DemoRegion, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo, "DEFAULT_DIRECTORY", tmp_path / "absent")
    _assert_same_region(demo.load(), region)


def test_load_reports_every_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError) as caught:
        demo.load(tmp_path)
    for name in demo.FILES:
        assert name in str(caught.value)


@pytest.mark.parametrize("name", ["neighbourhoods.geojson", "schools.geojson"])
def test_geojson_is_rfc7946(name: str) -> None:
    collection = json.loads((STORED / name).read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection  # RFC 7946: always WGS 84, no crs member
    geometry = np.array([shape(f["geometry"]) for f in collection["features"]])
    coordinates = shapely.get_coordinates(geometry)
    # Longitude/latitude order, in the Netherlands, at most 6 decimals.
    assert 3.0 < coordinates[:, 0].min() < coordinates[:, 0].max() < 7.3
    assert 50.7 < coordinates[:, 1].min() < coordinates[:, 1].max() < 53.6
    assert np.array_equal(coordinates, np.round(coordinates, 6))
    polygons = geometry[shapely.get_type_id(geometry) == 3]
    assert shapely.is_ccw(shapely.get_exterior_ring(polygons)).all()


def test_stored_files_are_small() -> None:
    assert sum(p.stat().st_size for p in STORED.iterdir()) < 200_000


# --- schema ---------------------------------------------------------------------------------------


def test_schema_columns_and_dtypes(region: demo.DemoRegion) -> None:
    n = region.neighbourhoods
    assert list(n.columns) == [*NEIGHBOURHOOD_COLUMNS, "geometry"]
    assert n.crs == CRS
    for column in ("inhabitants", "households"):
        assert n[column].dtype == np.int64
    for column in ("children_0_3", "children_4_11", "children_12_17"):
        assert n[column].dtype == np.float64
    assert list(region.schools.columns) == [*SCHOOL_COLUMNS, "geometry"]
    assert region.schools.crs == CRS
    assert list(region.stock.columns) == list(STOCK_COLUMNS)
    assert region.stock["units"].dtype == np.int64


def test_codes_unique_and_sorted(region: demo.DemoRegion) -> None:
    codes = region.neighbourhoods["code"]
    assert codes.is_unique
    assert codes.is_monotonic_increasing
    assert codes.str.fullmatch(r"WK99\d{4}").all()
    # The wijkcode starts with the digits of its gemeentecode, as CBS codes do.
    assert (codes.str[2:6] == region.neighbourhoods["gemeente"].str[2:]).all()


def test_region_identity(region: demo.DemoRegion) -> None:
    n = region.neighbourhoods
    assert (n["jeugdregio"] == demo.JEUGDREGIO).all()
    assert sorted(n["gemeente"].unique()) == ["GM9901", "GM9902", "GM9903", "GM9904"]
    # One name per gemeente code and no two wijken with one name, Centrum apart.
    assert (n.groupby("gemeente")["gemeente_name"].nunique() == 1).all()
    assert not n.loc[n["name"] != "Centrum", "name"].duplicated().any()


# --- geometry -------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["region", "stored"])
def test_polygons_valid_and_non_overlapping(source: str, request: pytest.FixtureRequest) -> None:
    geometry = request.getfixturevalue(source).neighbourhoods.geometry.to_numpy()
    assert shapely.is_valid(geometry).all()
    assert (~shapely.is_empty(geometry)).all()
    assert set(shapely.get_type_id(geometry)) == {3}  # Polygon
    # No overlaps and no gaps: the parts add up to one polygon of the same area.
    union = shapely.union_all(geometry)
    assert union.geom_type == "Polygon"
    assert math.isclose(union.area, shapely.area(geometry).sum(), rel_tol=1e-9)


def test_region_lies_in_the_briefed_box(region: demo.DemoRegion) -> None:
    xmin, ymin, xmax, ymax = region.neighbourhoods.total_bounds
    assert xmin >= 150_000
    assert xmax <= 185_000
    assert ymin >= 435_000
    assert ymax <= 465_000


def test_gemeenten_are_connected(region: demo.DemoRegion) -> None:
    gemeenten = region.neighbourhoods.dissolve("gemeente")
    assert (gemeenten.geom_type == "Polygon").all()


def test_schools_inside_the_region(region: demo.DemoRegion) -> None:
    union = shapely.union_all(region.neighbourhoods.geometry.to_numpy())
    schools = region.schools
    assert shapely.contains(union, schools.geometry.to_numpy()).all()
    assert set(schools["type"]) == {"primary", "secondary"}
    assert schools["name"].is_unique
    assert 10 <= (schools["type"] == "primary").sum() <= 14
    assert 3 <= (schools["type"] == "secondary").sum() <= 5


# --- population -----------------------------------------------------------------------------------


def test_gemeente_sizes_match_the_brief(region: demo.DemoRegion) -> None:
    n = region.neighbourhoods
    inhabitants = n.groupby("gemeente")["inhabitants"].sum()
    assert (inhabitants > 80_000).sum() == 1
    assert (inhabitants < 40_000).sum() == 1
    assert inhabitants.between(40_000, 80_000).sum() == 2
    assert 40 <= len(n) <= 80


def test_population_is_plausible(region: demo.DemoRegion) -> None:
    n = region.neighbourhoods
    assert (n["inhabitants"] > 0).all()
    size = n["inhabitants"] / n["households"]
    assert size.between(2.05, 2.45).all()
    shares = {"children_0_3": 0.04, "children_4_11": 0.09, "children_12_17": 0.065}
    for column, share in shares.items():
        assert (n[column] >= 0).all()
        assert (n[column] == n[column].round()).all()
        overall = n[column].sum() / n["inhabitants"].sum()
        assert overall == pytest.approx(share, rel=0.15), column
        assert n[column].nunique() > len(n) // 2  # varied per wijk, not one constant share
    children = n[list(shares)].sum(axis=1)
    assert (children < n["inhabitants"]).all()


# --- stock ----------------------------------------------------------------------------------------


def test_stock_refers_to_existing_neighbourhoods(region: demo.DemoRegion) -> None:
    stock = region.stock
    assert stock["neighbourhood"].isin(region.neighbourhoods["code"]).all()
    assert set(stock["type"]) == set(FACILITY_TYPES)
    assert (stock["units"] > 0).all()
    assert not stock.duplicated(["neighbourhood", "type"]).any()


def test_stock_sizes_match_the_brief(region: demo.DemoRegion) -> None:
    units = region.stock.groupby("type")["units"].sum()
    # Most, not all, of what the demo's demand needs: the plan has something to change.
    assert units["pleeggezin"] == 170
    assert units["gezinshuis"] == 44
    assert units["woongroep"] == 4
    # Foster families spread over many wijken and over every gemeente.
    foster = region.stock[region.stock["type"] == "pleeggezin"]
    assert foster["neighbourhood"].nunique() >= 20
    assert set(foster["neighbourhood"].str[2:6]) == {"9901", "9902", "9903", "9904"}


def test_some_gemeente_misses_the_small_scale_target(region: demo.DemoRegion) -> None:
    n = region.neighbourhoods
    small = region.stock[region.stock["type"].isin(["gezinshuis", "woongroep"])]
    small = small.merge(n[["code", "gemeente"]], left_on="neighbourhood", right_on="code")
    have = (
        small.groupby("gemeente")["units"]
        .sum()
        .reindex(sorted(n["gemeente"].unique()), fill_value=0)
    )
    need = np.ceil(n.groupby("gemeente")["inhabitants"].sum() / 40_000).astype(int)
    assert (have < need).any()
    assert (have == 0).any()


# --- dictionary and docs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("neighbourhoods", (*NEIGHBOURHOOD_COLUMNS, "geometry")),
        ("schools", (*SCHOOL_COLUMNS, "geometry")),
        ("stock", (*STOCK_COLUMNS, *STOCK_OPTIONAL_COLUMNS)),
    ],
)
def test_dictionary_covers_every_schema_column(table: str, columns: tuple[str, ...]) -> None:
    dictionary = pd.read_csv(DICTIONARY / f"{table}.csv", dtype=str)
    assert list(dictionary.columns) == ["column", "type", "unit", "meaning", "source"]
    assert list(dictionary["column"]) == list(columns)
    assert dictionary[["type", "meaning", "source"]].notna().all().all()


def test_docs_are_up_to_date() -> None:
    # When this fails, run `python scripts/make_demo_data.py`.
    docs = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    assert _script().render_docs(docs) == docs
    assert "(data-cbs.md)" in docs


# --- synthetic placements and caseload ----------------------------------------------------------


def test_stored_examples_match_the_generator(tmp_path: Path) -> None:
    # When this fails, run `python scripts/make_demo_data.py`.
    for name in demo.FILES:
        (tmp_path / name).write_bytes((STORED / name).read_bytes())
    for path in _script().write_examples(tmp_path):
        assert path.read_bytes() == (STORED / path.name).read_bytes(), path.name


def test_example_placements_fit_the_stock_and_the_estimate(stored: demo.DemoRegion) -> None:
    placed = pd.read_csv(STORED / demo.PLACEMENTS_FILE, dtype={"site": str, "origin": str})
    places = {"pleeggezin": 1, "gezinshuis": 3, "woongroep": 3}  # demo._PLACED_PER_UNIT
    stock = stored.stock.set_index(["neighbourhood", "type"])["units"]
    per_unit = placed.groupby(["site", "type"])["children"].sum()
    for (site, kind), children in per_unit.items():
        assert children <= stock[(site, kind)] * places[kind]
    assert (placed["children"] % 1 == 0).all()


def test_example_caseload_has_sibling_groups_of_two_to_four() -> None:
    caseload = pd.read_csv(STORED / demo.CASELOAD_FILE, dtype={"sibling_group": str})
    sizes = caseload["sibling_group"].dropna().value_counts()
    assert set(sizes) <= {2, 3, 4}
    assert 0.25 <= sizes.sum() / len(caseload) <= 0.45
    # Siblings live in one neighbourhood and share the reason they cannot live at home.
    per_group = caseload.dropna(subset=["sibling_group"]).groupby("sibling_group")
    assert (per_group["neighbourhood"].nunique() == 1).all()
    assert (per_group["reason"].nunique() == 1).all()
