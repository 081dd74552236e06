"""Input data checks: every problem in one message, naming file, column and rows."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import Polygon
from typer.testing import CliRunner

from woonplanner.cli import app
from woonplanner.data import demo
from woonplanner.errors import InputDataError
from woonplanner.region import check_neighbourhoods, check_region, read_stock


@pytest.fixture
def neighbourhoods() -> gpd.GeoDataFrame:
    return demo.load().neighbourhoods.head(4).copy()


def test_clean_demo_passes(neighbourhoods):
    assert check_neighbourhoods(neighbourhoods) == []


def test_every_neighbourhood_problem_is_listed(neighbourhoods):
    nb = neighbourhoods
    nb.loc[1, "code"] = nb.loc[0, "code"]
    nb.loc[2, "inhabitants"] = -5
    nb.loc[3, "households"] = float("nan")
    bowtie = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])  # self-intersecting
    nb.loc[0, "geometry"] = bowtie
    nb.loc[2, "geometry"] = Polygon()
    problems = check_neighbourhoods(nb)
    text = "\n".join(problems)
    assert "code: duplicate neighbourhood codes" in text
    assert "inhabitants: 1 rows are missing, not a number or negative" in text
    assert "households: 1 rows are missing, not a number or negative" in text
    assert "geometry: empty in" in text
    assert "geometry: invalid polygons in" in text
    assert len(problems) == 5


def test_missing_columns_and_wrong_crs(neighbourhoods):
    assert check_neighbourhoods(neighbourhoods.drop(columns=["households"])) == [
        "neighbourhoods: missing columns ['households']"
    ]
    problems = check_neighbourhoods(neighbourhoods.to_crs("EPSG:4326"))
    assert any("geometry must be in EPSG:28992" in p for p in problems)


def test_stock_file_problems(tmp_path):
    path = tmp_path / "stock.csv"
    path.write_text(
        "neighbourhood,type,units\nWK990101,gezinshuis,1\nWK000000,pleeggezin,2\n"
        "WK990102,kasteel,1\nWK990103,woongroep,1.5\n",
        encoding="utf-8",
    )
    region = demo.load()
    stock = read_stock(path)
    from woonplanner.region import Region

    with pytest.raises(InputDataError) as err:
        check_region(Region("demo", region.neighbourhoods, None, stock))
    text = str(err.value)
    assert f"{path}: neighbourhood: unknown codes 'WK000000'" in text
    assert f"{path}: type: unknown types 'kasteel'" in text
    assert f"{path}: units: must be whole numbers ≥ 0 (row 5)" in text
    assert "3 problems" in text


def test_stock_file_without_columns(tmp_path):
    path = tmp_path / "stock.csv"
    path.write_text("wijk,soort\nWK990101,gezinshuis\n", encoding="utf-8")
    with pytest.raises(
        InputDataError, match=r"missing columns \['neighbourhood', 'type', 'units'\]"
    ):
        read_stock(path)


def test_run_with_bad_stock_exits_2_and_writes_nothing(tmp_path):
    path = tmp_path / "stock.csv"
    path.write_text("neighbourhood,type,units\nWK000000,pleeggezin,-1\n", encoding="utf-8")
    out = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["run", "--set", f'stock.file="{path}"', "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 2
    assert "Invalid input data (2 problems)" in result.output
    assert not out.exists()
