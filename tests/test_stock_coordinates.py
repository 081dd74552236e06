"""Stock rows with coordinates (``x, y`` in RD New) instead of a neighbourhood code."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import woonplanner
from woonplanner.errors import InputDataError
from woonplanner.region import BORDER_TOLERANCE_M, load_region, read_stock

# Elsterwolde (GM9904): WK990402 and WK990404 share a 7 km border.
REGION = 'region.gemeenten=["GM9904"]'


@pytest.fixture(scope="module")
def wijken() -> gpd.GeoDataFrame:
    return load_region(woonplanner.load_scenario("demo", overrides=[REGION])).neighbourhoods


def polygon(wijken: gpd.GeoDataFrame, code: str) -> shapely.Geometry:
    return wijken.set_index("code").geometry[code]


def on_border(wijken: gpd.GeoDataFrame, a: str, b: str) -> shapely.Point:
    """A vertex of the border of ``a`` and ``b``: exactly on both (a point between two vertices
    falls on one side by rounding)."""
    border = polygon(wijken, a).boundary.intersection(polygon(wijken, b).boundary)
    return shapely.Point(shapely.get_coordinates(border)[1])


def beyond_region(wijken: gpd.GeoDataFrame, metres: float) -> shapely.Point:
    """A point ``metres`` outside the outline of the planned wijken."""
    return wijken.union_all().buffer(metres).exterior.interpolate(0.0)


def write_points(path: Path, rows: list[tuple[float | str, float | str, str, int]]) -> Path:
    lines = ["x,y,type,units", *(f"{x},{y},{t},{u}" for x, y, t, u in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_point_inside_a_wijk_is_in_that_wijk(tmp_path, wijken):
    inside = polygon(wijken, "WK990404").representative_point()
    stock = read_stock(
        write_points(tmp_path / "s.csv", [(inside.x, inside.y, "gezinshuis", 2)]),
        neighbourhoods=wijken,
    )
    assert stock.to_dict("records") == [
        {"neighbourhood": "WK990404", "type": "gezinshuis", "units": 2}
    ]


def test_a_point_on_a_border_goes_to_the_lowest_code_and_near_the_edge_to_the_nearest(
    tmp_path, wijken
):
    border = on_border(wijken, "WK990402", "WK990404")
    assert polygon(wijken, "WK990402").touches(border)
    assert polygon(wijken, "WK990404").touches(border)
    near = beyond_region(wijken, BORDER_TOLERANCE_M / 2)
    nearest = wijken.loc[wijken.distance(near).idxmin(), "code"]
    rows = [(border.x, border.y, "pleeggezin", 1), (near.x, near.y, "pleeggezin", 3)]
    stock = read_stock(write_points(tmp_path / "s.csv", rows), neighbourhoods=wijken)
    assert list(stock["neighbourhood"]) == ["WK990402", nearest]


def test_points_outside_the_region_are_errors_naming_the_rows(tmp_path, wijken):
    inside = polygon(wijken, "WK990401").representative_point()
    far = beyond_region(wijken, 2 * BORDER_TOLERANCE_M)
    path = write_points(
        tmp_path / "s.csv",
        [
            (inside.x, inside.y, "gezinshuis", 1),
            (far.x, far.y, "gezinshuis", 1),  # line 3
            (5.12, 52.09, "pleeggezin", 1),  # line 4: WGS 84 degrees, not RD New
            ("abc", inside.y, "pleeggezin", 1),  # line 5
            (inside.x, inside.y, "kasteel", 1),  # unknown type, listed with the rest
        ],
    )
    with pytest.raises(InputDataError) as err:
        read_stock(path, neighbourhoods=wijken)
    text = str(err.value)
    assert f"{path}: x, y: points outside the planned region in row 3" in text
    # Degrees are named as such (issue 17), not only "outside the region".
    assert f"{path}: x, y: row 4 look like degrees (longitude, latitude: WGS84)" in text
    assert "RD New (EPSG:28992) metres, at most 100 m outside it" in text
    assert f"{path}: x, y: not two numbers in row 5" in text
    assert f"{path}: type: unknown types 'kasteel'" in text
    assert "4 problems" in text
    assert "[" not in text.replace(str(path), "")  # no Python lists in a message


def test_a_row_gives_a_code_or_a_point(tmp_path, wijken):
    inside = polygon(wijken, "WK990403").representative_point()
    path = tmp_path / "s.csv"
    path.write_text(
        "neighbourhood,x,y,type,units\n"
        "WK990401,,,pleeggezin,2\n"
        f",{inside.x},{inside.y},pleeggezin,1\n"
        f"WK990401,{inside.x},{inside.y},pleeggezin,1\n"  # line 4: both
        ",,,pleeggezin,1\n",  # line 5: neither
        encoding="utf-8",
    )
    with pytest.raises(InputDataError) as err:
        read_stock(path, neighbourhoods=wijken)
    text = str(err.value)
    assert "both a neighbourhood and a point in row 4; give one of them" in text
    assert "neither a neighbourhood nor a point in row 5" in text
    path.write_text("\n".join(path.read_text(encoding="utf-8").splitlines()[:3]) + "\n")
    stock = read_stock(path, neighbourhoods=wijken)
    assert list(stock["neighbourhood"]) == ["WK990401", "WK990403"]


def test_a_scenario_plans_with_stock_given_as_points(tmp_path, wijken):
    inside = polygon(wijken, "WK990406").representative_point()
    path = write_points(tmp_path / "s.csv", [(inside.x, inside.y, "woongroep", 1)])
    s = woonplanner.load_scenario("demo", overrides=[REGION, f'stock.file="{path}"'])
    region = load_region(s)
    assert region.stock.to_dict("records") == [
        {"neighbourhood": "WK990406", "type": "woongroep", "units": 1}
    ]
    fac = woonplanner.run(s).facilities.set_index(["neighbourhood", "type"])
    assert fac.loc[("WK990406", "woongroep"), "existing_units"] == 1


def test_a_file_without_codes_or_points_names_both(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("x,type,units\n1,gezinshuis,1\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"missing columns \['neighbourhood'\].*or x, y"):
        read_stock(path)
