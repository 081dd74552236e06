"""Schools adapter: DUO's geocoded Alkmaar schools and hand-made points files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import NL

from woonplanner.data.schools import load_schools
from woonplanner.errors import InputDataError
from woonplanner.schema import CRS, SCHOOL_COLUMNS

ALKMAAR = NL / "alkmaar_schools_duo_geocoded_2026.geojson"


def _points_file(path: Path, rows: list[tuple[str | None, str | None, dict | None]]) -> Path:
    features = [
        {"type": "Feature", "properties": {"name": name, "type": kind}, "geometry": geometry}
        for name, kind, geometry in rows
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


@pytest.mark.shared_data
@pytest.mark.skipif(
    not ALKMAAR.is_file(), reason="../shared/data not found; set WOONPLANNER_SHARED_DATA"
)
def test_alkmaar_schools_have_both_types() -> None:
    schools = load_schools(ALKMAAR)

    assert list(schools.columns) == [*SCHOOL_COLUMNS, "geometry"]
    assert schools.crs == CRS
    assert len(schools) == 47
    assert schools["type"].value_counts().to_dict() == {"primary": 37, "secondary": 10}
    assert (schools.geom_type == "Point").all()
    # RD New metres around Alkmaar (x ≈ 110 km, y ≈ 515 km)
    assert schools.geometry.x.between(100_000, 125_000).all()
    assert schools.geometry.y.between(505_000, 530_000).all()
    assert schools["name"].str.len().gt(0).all()


def test_type_map_and_case(tmp_path: Path) -> None:
    path = _points_file(
        tmp_path / "schools.geojson",
        [
            ("De Regenboog", " Basisschool ", _point(4.75, 52.63)),
            ("Het Lyceum", "VO", _point(4.76, 52.64)),
            ("SBO De Brug", "sbo", _point(4.77, 52.65)),
            (None, "primary", _point(4.78, 52.66)),
        ],
    )
    schools = load_schools(path, type_map={"SBO": "primary"})
    assert schools["type"].tolist() == ["primary", "secondary", "primary", "primary"]
    assert schools["name"].tolist() == ["De Regenboog", "Het Lyceum", "SBO De Brug", "school 4"]


def test_other_type_column(tmp_path: Path) -> None:
    path = tmp_path / "scholen.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"naam": "A", "onderwijs": "po"},
                        "geometry": _point(4.75, 52.63),
                    }
                ],
            }
        )
    )
    schools = load_schools(path, type_column="onderwijs")
    assert schools[["name", "type"]].to_dict("records") == [{"name": "A", "type": "primary"}]


def test_every_problem_in_one_message(tmp_path: Path) -> None:
    path = _points_file(
        tmp_path / "schools.geojson",
        [
            ("A", "basisschool", _point(4.75, 52.63)),
            ("B", "mbo", _point(4.76, 52.64)),
            ("C", "hbo", {"type": "LineString", "coordinates": [[4.7, 52.6], [4.8, 52.7]]}),
        ],
    )
    with pytest.raises(InputDataError) as err:
        load_schools(path)
    message = str(err.value)
    assert str(path) in message
    assert "2 problems" in message
    assert "column 'type': 2 school(s) of unknown type ('mbo', 'hbo')" in message
    assert "pass type_map" in message
    assert "1 location(s) are LineString, not points" in message


def test_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "schools.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"x": 1}, "geometry": _point(4.7, 52.6)}
                ],
            }
        )
    )
    with pytest.raises(InputDataError) as err:
        load_schools(path, type_map={"po": "primair"})
    message = str(err.value)
    assert "3 problems" in message
    assert "column 'type' missing" in message
    assert "column for the school name missing" in message
    assert "'primair' is not a school type" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="schools file not found"):
        load_schools(tmp_path / "nope.geojson")
