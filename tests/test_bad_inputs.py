"""Every bad input of issue 16: exit 2 naming the file / key / row, or a warning (odd but
possible); never exit 1, never a silent plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shapely.geometry import box, mapping
from typer.testing import CliRunner

from woonplanner.cli import app
from woonplanner.data import demo

SMALL = ["--set", 'region.gemeenten=["GM9904"]']


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def _validate(*args):
    result = invoke("validate", "demo", *args)
    assert "Traceback" not in result.output
    assert "Unexpected error" not in result.output, result.output
    return result


def _stock_lines() -> list[str]:
    return (demo.DEFAULT_DIRECTORY / "stock.csv").read_text().splitlines()


# --- stock and sites files ---------------------------------------------------------------


@pytest.mark.filterwarnings("always::woonplanner.errors.InputWarning")
def test_stock_in_windows_1252_is_read_with_a_warning(tmp_path):
    lines = _stock_lines()
    path = tmp_path / "voorraad.csv"
    # Excel's "CSV" (not "CSV UTF-8"): an accented header comment column in cp1252.
    text = "\n".join([lines[0] + ",opmerking", *(f"{r},café" for r in lines[1:])]) + "\n"
    path.write_bytes(text.encode("cp1252"))
    result = _validate("--set", f'stock.file="{path}"')
    assert result.exit_code == 0, result.output
    assert "Windows-1252" in result.output


def test_stock_that_is_no_text_names_the_file(tmp_path):
    path = tmp_path / "voorraad.csv"
    path.write_bytes(b"neighbourhood,type,units\n\x81\x8d\x8f,\x90,1\n")
    result = _validate("--set", f'stock.file="{path}"')
    assert result.exit_code == 2
    assert str(path) in result.output
    assert "UTF-8" in result.output


@pytest.mark.parametrize("key", ["stock.file", "sites.file"])
@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_stock_or_sites_file_exits_2(tmp_path, key, content):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    result = _validate("--set", f'{key}="{path}"')
    assert result.exit_code == 2
    assert "empty" in result.output
    assert str(path) in result.output


def test_semicolon_stock_and_sites_are_read(tmp_path):
    stock = tmp_path / "stock.csv"
    stock.write_text("\n".join(line.replace(",", ";") for line in _stock_lines()) + "\n")
    sites = tmp_path / "sites.csv"
    sites.write_text("neighbourhood;type;max_units\nWK990101;woongroep;2\n")
    result = _validate("--set", f'stock.file="{stock}"', "--set", f'sites.file="{sites}"')
    assert result.exit_code == 0, result.output


def test_repeated_stock_rows_are_an_error(tmp_path):
    lines = _stock_lines()
    path = tmp_path / "stock.csv"
    path.write_text("\n".join([*lines, lines[1]]) + "\n")
    result = _validate("--set", f'stock.file="{path}"')
    assert result.exit_code == 2
    assert "the same pair on more than one row" in result.output
    assert f"2, {len(lines) + 1}" in result.output


def test_a_ragged_row_is_named_not_shifted(tmp_path):
    path = tmp_path / "stock.csv"
    path.write_text("neighbourhood,type,units\nWK990101,pleeggezin,3,7\nWK990102,gezinshuis\n")
    result = _validate("--set", f'stock.file="{path}"')
    assert result.exit_code == 2
    assert "lines 2, 3" in result.output


def test_implausible_stock_units_exit_2(tmp_path):
    path = tmp_path / "stock.csv"
    path.write_text("neighbourhood,type,units\nWK990101,pleeggezin,1000000000000\n")
    result = _validate("--set", f'stock.file="{path}"')
    assert result.exit_code == 2
    assert "units: more than 10,000" in result.output


def test_corrupt_facilities_of_a_previous_run_exit_2(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "facilities.csv").write_bytes(b"neighbourhood,type,units\n\x00\x81\xff,1,2,3\n")
    result = _validate("--set", f'stock.from_run="{run}"')
    assert result.exit_code == 2
    assert "facilities.csv" in result.output


# --- scenario files and values ----------------------------------------------------------


def test_scenario_in_windows_1252_names_the_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes('description = "Regio Zuid-Holland, café"\n'.encode("cp1252"))
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert str(path) in result.output
    assert "UTF-8" in result.output


def test_scenario_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "s.toml"
    path.write_bytes('\ufeffname = "bom"\n'.encode())
    assert invoke("validate", path).exit_code == 0


def test_deeply_nested_toml_exits_2(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    result = invoke("validate", path)
    assert result.exit_code == 2
    assert str(path) in result.output


@pytest.mark.parametrize(
    ("setting", "key"),
    [
        ("demand.rate_per_1000=1e100", "demand.rate_per_1000"),
        ("demand.rate_per_1000=1e6", "demand.rate_per_1000"),
        ("objective.km_weight_eur=1e308", "objective.km_weight_eur"),
        ("facility_types.gezinshuis.places=5e-324", "facility_types.gezinshuis.places"),
        ("facility_types.pleeggezin.annual_cost_per_unit=1e300", "annual_cost_per_unit"),
        ("reasons.orphaned.max_km=1e9", "reasons.orphaned.max_km"),
        ("solver.time_limit_s=1e30", "solver.time_limit_s"),
    ],
)
def test_numbers_are_bounded_and_the_key_named(setting, key):
    result = _validate("--set", setting)
    assert result.exit_code == 2
    assert key in result.output


def test_threads_are_bounded_by_the_machine():
    from woonplanner.scenario import ScenarioWarning, load_scenario

    with pytest.warns(ScenarioWarning, match="cores"):
        scenario = load_scenario(None, overrides=["solver.threads=1000"])
    assert scenario.solver.threads <= (__import__("os").cpu_count() or 1)


def test_set_syntax_and_schema_errors_in_one_message():
    result = _validate("--set", "nonsense", "--set", "demand.rate_per_1000=-1")
    assert result.exit_code == 2
    assert "Invalid scenario (2 problems)" in result.output
    assert "--set nonsense: expected KEY=VALUE" in result.output
    assert "demand.rate_per_1000" in result.output


# --- neighbourhood GeoJSON -------------------------------------------------------------


def _wijken(path: Path, *, geometry=None, inhabitants=1000, crs: str | None = None, swap=False):
    features = []
    for i in range(2):
        lon, lat = 4.70 + 0.02 * i, 52.60
        shape = mapping(
            box(lat, lon, lat + 0.009, lon + 0.014)
            if swap
            else box(lon, lat, lon + 0.014, lat + 0.009)
        )
        if geometry is not None:
            shape = geometry(i)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "wijkcode": f"WK90010{i}",
                    "wijknaam": f"Wijk {i}",
                    "gemeentecode": "GM9001",
                    "gemeentenaam": "Eerstedorp",
                    "aantal_inwoners": inhabitants,
                    "aantal_huishoudens": 400,
                    "percentage_personen_0_tot_15_jaar": 15,
                    "percentage_personen_15_tot_25_jaar": 10,
                },
                "geometry": shape,
            }
        )
    data = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(data))
    membership = path.parent / "membership.csv"
    membership.write_text(
        "gemeentecode,gemeentenaam,jeugdregiocode,jeugdregionaam\nGM9001,Eerstedorp,JZ90,Test\n"
    )
    scenario = path.parent / "s.toml"
    scenario.write_text(
        f'name = "t"\n[region]\nsource = "cbs"\n[data]\nneighbourhoods = "{path}"\n'
        f'membership = "{membership}"\n'
    )
    return scenario


@pytest.mark.filterwarnings("always::woonplanner.data.geo.GeodataWarning")
def test_wijken_in_rd_new_without_a_crs_are_read_with_a_warning(tmp_path):
    def rd(i):
        return mapping(box(110_000 + 1000 * i, 515_000, 110_900 + 1000 * i, 515_900))

    result = invoke("validate", _wijken(tmp_path / "w.geojson", geometry=rd))
    assert result.exit_code == 0, result.output
    assert "RD New" in result.output


def test_wijken_with_latitude_and_longitude_swapped_exit_2(tmp_path):
    result = invoke("validate", _wijken(tmp_path / "w.geojson", swap=True))
    assert result.exit_code == 2
    assert "outside the Netherlands" in result.output
    assert "swapped" in result.output


def test_a_point_as_a_wijk_exits_2(tmp_path):
    def point(i):
        return {"type": "Point", "coordinates": [4.7 + 0.02 * i, 52.6]}

    result = invoke("validate", _wijken(tmp_path / "w.geojson", geometry=point))
    assert result.exit_code == 2
    assert "not a polygon" in result.output


def test_a_wijk_of_a_quadrillion_inhabitants_exits_2(tmp_path):
    result = invoke("validate", _wijken(tmp_path / "w.geojson", inhabitants=10**15))
    assert result.exit_code == 2
    assert "inhabitants: more than 2,000,000" in result.output


def test_an_empty_feature_collection_says_no_features(tmp_path):
    path = tmp_path / "w.geojson"
    scenario = _wijken(path)
    path.write_text('{"type": "FeatureCollection", "features": []}')
    result = invoke("validate", scenario)
    assert result.exit_code == 2
    assert "no features" in result.output
    assert "missing" not in result.output


# --- benchmark files --------------------------------------------------------------------


def test_benchmark_orlib_lists_every_bad_file(tmp_path):
    bad = []
    for name in ("cap1.txt", "cap2.txt"):
        path = tmp_path / name
        path.write_text("not an instance\n")
        bad.append(path)
    result = invoke("benchmark", "orlib", *bad)
    assert result.exit_code == 2
    for path in bad:
        assert str(path) in result.output


# --- neighbours: the same classes of input in the other files -----------------------------


def _with_schools(tmp_path: Path, content: str) -> Path:
    scenario = _wijken(tmp_path / "w.geojson")
    (tmp_path / "sch.geojson").write_text(content)
    scenario.write_text(scenario.read_text() + f'schools = "{tmp_path / "sch.geojson"}"\n')
    return scenario


def _school(lon: float, lat: float) -> str:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"name": "De Klimop", "type": "basisschool"},
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                }
            ],
        }
    )


def test_schools_with_latitude_and_longitude_swapped_exit_2(tmp_path):
    result = invoke("validate", _with_schools(tmp_path, _school(52.6, 4.7)))
    assert result.exit_code == 2
    assert "outside the Netherlands" in result.output


def test_an_empty_schools_file_says_no_features(tmp_path):
    empty = '{"type": "FeatureCollection", "features": []}'
    result = invoke("validate", _with_schools(tmp_path, empty))
    assert result.exit_code == 2
    assert "no features" in result.output


@pytest.mark.filterwarnings("always::woonplanner.errors.InputWarning")
def test_membership_in_windows_1252_is_read_with_a_warning(tmp_path):
    scenario = _wijken(tmp_path / "w.geojson")
    (tmp_path / "membership.csv").write_bytes(
        "gemeentecode;gemeentenaam;jeugdregiocode;jeugdregionaam\n"
        "GM9001;Eerstedorp;JZ90;Regio café\n".encode("cp1252")
    )
    result = invoke("validate", scenario)
    assert result.exit_code == 0, result.output
    assert "Windows-1252" in result.output


@pytest.mark.parametrize("name", ["roads.osm", "roads.graphml"])
def test_an_osm_file_that_is_no_xml_exits_2(tmp_path, name):
    pytest.importorskip("osmnx")
    path = tmp_path / name
    path.write_bytes(b"\x00 not xml")
    result = invoke(
        "run",
        *SMALL,
        "--set",
        'travel.mode="network"',
        "--set",
        f'travel.osm_file="{path}"',
        "--out",
        tmp_path / "run",
    )
    assert result.exit_code == 2
    assert "travel.osm_file" in result.output
    assert not (tmp_path / "run").exists()


def test_a_caseload_row_with_an_extra_cell_is_named_not_shifted(tmp_path):
    # Found by the fuzz test: the first child row one cell longer made pandas read the codes
    # as the index (exit 1); later such rows were cut silently.
    path = tmp_path / "caseload.csv"
    path.write_text(
        "wijk,leeftijd,reden,ondersteuning\nWK990101,7,wees,ja,Jan\nWK990102,9,wees,ja\n"
    )
    result = _validate("--set", f'demand.caseload="{path}"')
    assert result.exit_code == 2
    assert "more cells than the header's 4 (row 2)" in result.output
    assert "Jan" not in result.output


def test_an_odd_but_possible_rate_is_a_warning():
    from woonplanner.scenario import ScenarioWarning, load_scenario

    with pytest.warns(ScenarioWarning, match="rate_per_1000 = 500"):
        scenario = load_scenario(None, overrides=["demand.rate_per_1000=500"])
    assert scenario.demand.rate_per_1000 == 500
