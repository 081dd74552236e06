"""Fuzz the command line with generated scenario values and corrupted input files (issue 16).

Whatever the input, a command ends with exit 0, 2, 3 or 4 — never 1 (unexpected), never a
traceback — and leaves nothing on disk but what it was asked to write. Hypothesis runs
derandomised (the same examples every time) and bounded: about 1-2 minutes in all. The input
classes tried, with counts, are in docs/errors.md; ``WOONPLANNER_FUZZ_COUNTS=FILE`` writes the
counts of a run to FILE, ``WOONPLANNER_FUZZ_SCALE=N`` tries N times as many examples.
"""

from __future__ import annotations

import collections
import json
import math
import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from woonplanner.cli import app
from woonplanner.data import demo

pytestmark = pytest.mark.filterwarnings("always")

SETTINGS = settings(
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    # Shrinking a failure would run the command many more times: report it as found.
    phases=[Phase.explicit, Phase.generate],
)
COUNTS: collections.Counter[str] = collections.Counter()
#: ``WOONPLANNER_FUZZ_SCALE=N`` tries N times as many examples (a longer run than the suite's).
SCALE = max(1, int(os.environ.get("WOONPLANNER_FUZZ_SCALE", "1")))

NUMERIC_KEYS = (
    "demand.rate_per_1000",
    "demand.reason_shares.orphaned",
    "reasons.safety_risk.min_km",
    "reasons.parents_cannot_cope.max_km",
    "facility_types.pleeggezin.places",
    "facility_types.gezinshuis.max_units_per_site",
    "facility_types.woongroep.max_units_per_1000_households",
    "facility_types.gezinshuis.annual_cost_per_unit",
    "norm.inhabitants_per_unit",
    "norm.penalty_eur",
    "travel.detour_factor",
    "objective.km_weight_eur",
    "objective.unplaced_penalty_eur",
    "budget.annual_eur",
    "solver.time_limit_s",
    "solver.mip_gap",
    "solver.threads",
    "solver.seed",
    "output.privacy_threshold",
    "name",
)

ODD_NUMBERS = st.sampled_from(
    [0, -1, 1e-324, 5e-324, 1e-300, 1e6, 1e12, 1e100, 1e308, 2**63, -(2**63), 10**30]
)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value))


VALUE_KINDS = (
    st.floats(allow_nan=True, allow_infinity=True).map(lambda v: ("float", v)),
    st.integers(min_value=-(2**70), max_value=2**70).map(lambda v: ("integer", v)),
    ODD_NUMBERS.map(lambda v: ("extreme number", v)),
    st.text(max_size=30).map(lambda v: ("text", v)),
    st.booleans().map(lambda v: ("boolean", v)),
    st.lists(st.integers(0, 9), max_size=3).map(lambda v: ("list", v)),
)


def _invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


def _check(result, folder: Path, allowed: set[str]) -> None:
    output = result.output
    assert result.exit_code in (0, 2, 3, 4), output
    assert "Traceback" not in output, output
    assert "Unexpected error" not in output, output
    left = {p.name for p in folder.iterdir()} - allowed
    assert not left, f"left on disk: {left}"


@pytest.mark.parametrize("kind", range(len(VALUE_KINDS)))
@settings(SETTINGS, max_examples=8 * SCALE)
@given(data=st.data())
def test_scenario_values(kind: int, data) -> None:
    key = data.draw(st.sampled_from(NUMERIC_KEYS))
    value = data.draw(VALUE_KINDS[kind])
    kind, raw = value
    COUNTS[f"scenario value: {kind}"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cwd = Path.cwd()
        os.chdir(folder)
        try:
            result = _invoke("validate", "demo", "--set", f"{key}={_toml(raw)}")
        finally:
            os.chdir(cwd)
        _check(result, folder, set())


# --- corrupted CSV files ---------------------------------------------------------------------

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1")
SEPARATORS = (",", ";", "\t", "|")
CELLS = ("", "NaN", "nan", "inf", "-inf", "1e308", "-1", "1.5", "99999999999999999999", "é", "\x00")


def _stock_text() -> str:
    return (demo.DEFAULT_DIRECTORY / "stock.csv").read_text(encoding="utf-8")


def _caseload_text() -> str:
    codes = demo.load().neighbourhoods["code"].tolist()[:4]
    rows = ["wijk,leeftijd,reden,ondersteuning"]
    rows += [f"{codes[i % 4]},{i % 18},wees,ja" for i in range(12)]
    return "\n".join(rows) + "\n"


CSV_KEYS = {
    "stock.file": _stock_text,
    "sites.file": lambda: "neighbourhood,type,max_units\nWK990101,woongroep,2\n",
    "demand.caseload": _caseload_text,
}


CORRUPTIONS = ("encoding", "separator", "truncated", "odd cell", "ragged row", "random bytes")


@st.composite
def corrupted_csv(draw, key: str, how: str):
    lines = CSV_KEYS[key]().splitlines()
    encoding = "utf-8"
    if how == "encoding":
        encoding = draw(st.sampled_from(ENCODINGS))
        lines[-1] += ",café"
    elif how == "separator":
        sep = draw(st.sampled_from(SEPARATORS))
        lines = [line.replace(",", sep) for line in lines]
    elif how == "odd cell":
        row = draw(st.integers(1, len(lines) - 1))
        cells = lines[row].split(",")
        cells[draw(st.integers(0, len(cells) - 1))] = draw(st.sampled_from(CELLS))
        lines[row] = ",".join(cells)
    elif how == "ragged row":
        row = draw(st.integers(1, len(lines) - 1))
        lines[row] = lines[row] + ",extra" if draw(st.booleans()) else lines[row].rsplit(",", 1)[0]
    data = ("\n".join(lines) + "\n").encode(encoding, errors="replace")
    if how == "truncated":
        data = data[: draw(st.integers(0, len(data)))]
    elif how == "random bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at:]
    return key, f"{key}: {how}", data


@pytest.mark.parametrize("how", CORRUPTIONS)
@pytest.mark.parametrize("key", sorted(CSV_KEYS))
@settings(SETTINGS, max_examples=3 * SCALE)
@given(data=st.data())
def test_corrupted_csv_files(key: str, how: str, data) -> None:
    key, label, data = data.draw(corrupted_csv(key, how))
    COUNTS[f"CSV file, {label}"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "input.csv"
        path.write_bytes(data)
        result = _invoke("validate", "demo", "--set", f"{key}={json.dumps(str(path))}")
        _check(result, folder, {"input.csv"})


# --- corrupted geometry ---------------------------------------------------------------------


def _feature(i: int, geometry: dict, inhabitants: object) -> dict:
    return {
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
        "geometry": geometry,
    }


def _square(x: float, y: float, size: float) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


GEOMETRIES = {
    "valid": lambda i: _square(4.70 + 0.02 * i, 52.60, 0.01),
    "lat/lon swapped": lambda i: _square(52.60, 4.70 + 0.02 * i, 0.01),
    "RD New without CRS": lambda i: _square(110_000 + 1000 * i, 515_000, 900),
    "point": lambda i: {"type": "Point", "coordinates": [4.7 + 0.02 * i, 52.6]},
    "zero area": lambda i: _square(4.70 + 0.02 * i, 52.60, 0.0),
    "self-intersecting": lambda i: {
        "type": "Polygon",
        "coordinates": [[[4.7, 52.6], [4.71, 52.61], [4.71, 52.6], [4.7, 52.61], [4.7, 52.6]]],
    },
    "huge coordinates": lambda i: _square(1e300, 1e300, 1e299),
    "no geometry": lambda i: None,
}
INHABITANTS = (1000, 0, -5, 1e15, "veel", None, 2.5)


@st.composite
def corrupted_geojson(draw, shape: str):
    inhabitants = draw(st.sampled_from(INHABITANTS))
    features = [_feature(i, GEOMETRIES[shape](i), inhabitants) for i in range(2)]
    if draw(st.booleans()) and shape == "valid":
        features = []
        shape = "empty FeatureCollection"
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    truncated = draw(st.booleans()) and draw(st.booleans())
    if truncated:
        data = data[: draw(st.integers(0, len(data) - 1))]
    label = f"{shape}, inhabitants {inhabitants!r}" + (", truncated" if truncated else "")
    return label, data


@pytest.mark.parametrize("shape", sorted(GEOMETRIES))
@settings(SETTINGS, max_examples=3 * SCALE)
@given(data=st.data())
def test_corrupted_geometry(shape: str, data) -> None:
    label, data = data.draw(corrupted_geojson(shape))
    COUNTS[f"wijken GeoJSON: {label.split(',')[0]}"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "w.geojson").write_bytes(data)
        (folder / "m.csv").write_text(
            "gemeentecode,gemeentenaam,jeugdregiocode,jeugdregionaam\nGM9001,Eerstedorp,JZ90,Test\n"
        )
        (folder / "s.toml").write_text(
            'name = "t"\n[region]\nsource = "cbs"\n[data]\nneighbourhoods = "w.geojson"\n'
            'membership = "m.csv"\n'
        )
        result = _invoke("validate", folder / "s.toml")
        _check(result, folder, {"w.geojson", "m.csv", "s.toml"})


# --- corrupted scenario files -----------------------------------------------------------------


@st.composite
def corrupted_toml(draw, how: str):
    text = (Path(__file__).resolve().parents[1] / "scenarios" / "demo.toml").read_text()
    data = text.encode()
    if how == "truncated":
        data = data[: draw(st.integers(0, len(data)))]
    elif how == "encoding":
        data = ('description = "café"\n' + text).encode(draw(st.sampled_from(ENCODINGS)))
    elif how == "random bytes":
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=20)) + data[at:]
    elif how == "nested":
        depth = draw(st.sampled_from([10, 500, 5000]))
        data = ("x = " + "[" * depth + "]" * depth + "\n").encode()
    else:
        data = b"\xef\xbb\xbf" + data
    return f"scenario TOML: {how}", data


@pytest.mark.parametrize("how", ["truncated", "encoding", "random bytes", "nested", "bom"])
@settings(SETTINGS, max_examples=4 * SCALE)
@given(data=st.data())
def test_corrupted_scenario_files(how: str, data) -> None:
    label, data = data.draw(corrupted_toml(how))
    COUNTS[label] += 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "s.toml").write_bytes(data)
        result = _invoke("validate", folder / "s.toml")
        _check(result, folder, {"s.toml"})


# --- whole runs: something written whole, or nothing --------------------------------------------


@settings(SETTINGS, max_examples=4 * SCALE)
@given(key=st.sampled_from(NUMERIC_KEYS[:-1]), value=ODD_NUMBERS)
def test_runs_write_a_whole_folder_or_nothing(key: str, value: object) -> None:
    COUNTS["run with an extreme number"] += 1
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        result = _invoke(
            "run",
            "--set",
            'region.gemeenten=["GM9904"]',
            "--set",
            f"{key}={_toml(value)}",
            "--time-limit",
            "20",
            "--out",
            folder / "run",
        )
        _check(result, folder, {"run"})
        if result.exit_code == 0:
            assert (folder / "run" / "manifest.json").is_file()
        else:
            assert not (folder / "run").exists()


def teardown_module() -> None:
    target = os.environ.get("WOONPLANNER_FUZZ_COUNTS")
    if target:
        Path(target).write_text(json.dumps(dict(sorted(COUNTS.items())), indent=1) + "\n")
