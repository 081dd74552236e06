"""The command line through Typer's test cli: outputs, exit codes, messages."""

from __future__ import annotations

import json
import re
import tomllib
import warnings

import pytest
from conftest import NL, ORLIB, REPO
from typer.testing import CliRunner

from woonplanner.cli import app
from woonplanner.scenario import Scenario

SMALL = ["--set", 'region.gemeenten=["GM9904"]']  # the smallest demo gemeente: fast


def invoke(cli, *args):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "demo"
    result = CliRunner().invoke(app, ["run", "--out", str(out)], catch_exceptions=False)
    return out, result


def test_run_demo_writes_the_whole_folder(demo_run):
    out, result = demo_run
    assert result.exit_code == 0, result.output
    assert f"Map: {out / 'map.html'}" in result.output
    assert {p.name for p in out.iterdir()} == {
        "plan.gpkg",
        "facilities.csv",
        "flows.csv",
        "kpis.json",
        "map.html",
        "report.html",
        "scenario.toml",
        "manifest.json",
        ".woonplanner",
    }
    kpis = json.loads((out / "kpis.json").read_text())
    assert kpis["status"] == "optimal"
    assert all(g["norm_met"] for g in kpis["gemeenten"])
    assert set(kpis["region"]) >= {
        "children_demand",
        "children_placed",
        "children_unplaced",
        "child_km",
        "mean_km",
        "p90_km",
        "units_by_type",
        "places_by_type",
        "occupied_by_type",
        "annual_cost_eur",
    }
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"data", "arcs", "build", "solve", "outputs"} <= set(manifest["timings_s"])
    assert {"woonplanner", "python", "pyomo", "highspy"} <= set(manifest["versions"])
    assert manifest["solver"]["status"] == "optimal"
    assert manifest["inputs"], "the demo's input files are hashed"
    resolved = Scenario.model_validate(tomllib.loads((out / "scenario.toml").read_text()))
    assert resolved == Scenario()


def test_geopackage_has_the_four_layers(demo_run):
    import pyogrio

    out, _ = demo_run
    layers = {name for name, _ in pyogrio.list_layers(out / "plan.gpkg")}
    assert layers == {"neighbourhoods", "facilities", "flows", "gemeenten"}


def test_same_scenario_twice_gives_identical_tables(cli, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    assert invoke(cli, "run", *SMALL, "--out", a).exit_code == 0
    assert invoke(cli, "run", *SMALL, "--out", b).exit_code == 0
    for name in ("facilities.csv", "flows.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_existing_folder_needs_force(cli, tmp_path):
    out = tmp_path / "run"
    assert invoke(cli, "run", *SMALL, "--out", out).exit_code == 0
    before = (out / "kpis.json").read_bytes()
    result = invoke(cli, "run", *SMALL, "--set", "demand.rate_per_1000=6", "--out", out)
    assert result.exit_code == 2
    assert "already exists" in result.output
    assert "--force" in result.output
    assert (out / "kpis.json").read_bytes() == before
    result = invoke(cli, "run", *SMALL, "--set", "demand.rate_per_1000=6", "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert (out / "kpis.json").read_bytes() != before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], (
        "no temporary folders left"
    )


def test_invalid_scenario_exits_2_without_traceback(cli, tmp_path):
    result = invoke(
        cli,
        "run",
        "--set",
        "demand.rate_per_1000=-1",
        "--set",
        "nrom.mode=soft",
        "--out",
        tmp_path / "x",
    )
    assert result.exit_code == 2
    assert "demand.rate_per_1000" in result.output
    assert "nrom: unknown key" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--time-limit", "-1"], "--time-limit: solver.time_limit_s: Input should be greater"),
        (["--lang", "fr"], "--lang: output.lang: Input should be 'nl' or 'en'"),
    ],
)
def test_an_invalid_option_is_named_as_typed(cli, tmp_path, args, message):
    result = invoke(cli, "run", *args, "--out", tmp_path / "x")
    assert result.exit_code == 2
    assert message in result.output
    assert "--set" not in result.output


def test_run_all_refuses_the_demo_scenario(cli, tmp_path):
    """run-all on demo.toml used to plan the demo region once per jeugdregio, under each real
    region's name."""
    result = invoke(
        cli,
        "run-all",
        REPO / "scenarios" / "demo.toml",
        "--data-dir",
        tmp_path,
        "--out",
        tmp_path / "x",
    )
    assert result.exit_code == 2
    assert "built-in demo region" in result.output
    assert not (tmp_path / "x").exists()


def test_infeasible_norm_exits_3_with_diagnosis(cli, tmp_path):
    result = invoke(
        cli,
        "run",
        *SMALL,
        "--set",
        "facility_types.gezinshuis.max_units_per_site=0",
        "--set",
        "facility_types.woongroep.max_units_per_site=0",
        "--out",
        tmp_path / "x",
    )
    assert result.exit_code == 3, result.output
    assert "GM9904: needs 1 small-scale unit (gezinshuis, woongroep)" in result.output
    assert "region: needs" not in result.output  # implied by the gemeente line
    assert not (tmp_path / "x").exists()


def test_soft_norm_reports_the_gemeente_instead(cli, tmp_path):
    out = tmp_path / "soft"
    result = invoke(
        cli,
        "run",
        *SMALL,
        "--set",
        "facility_types.gezinshuis.max_units_per_site=0",
        "--set",
        "facility_types.woongroep.max_units_per_site=0",
        "--set",
        "norm.mode=soft",
        "--out",
        out,
    )
    assert result.exit_code == 0, result.output
    assert "norm NOT met in: GM9904" in result.output


def test_validate_checks_without_writing(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(cli, "validate", "demo")
    assert result.exit_code == 0, result.output
    assert "is valid: 56 neighbourhoods in 4 gemeenten" in result.output
    # A count of children as the pages show it: whole (it said "123.4 children").
    assert re.search(r", (\d[\d,]*|<5) children needing a place\.", result.output)
    assert list(tmp_path.iterdir()) == []
    one = invoke(cli, "validate", "demo", *SMALL)
    assert "neighbourhoods in 1 gemeente," in one.output
    bad = invoke(cli, "validate", "demo", "--set", 'region.gemeenten=["GM0000"]')
    assert bad.exit_code == 2
    assert "unknown gemeente codes ['GM0000']" in bad.output


def test_benchmark_orlib_prints_json_lines(cli):
    cap41 = ORLIB / "cap" / "cap41.txt"
    if not cap41.is_file():
        pytest.skip(f"{cap41} not found; set WOONPLANNER_SHARED_DATA to ../shared/data")
    result = invoke(cli, "benchmark", "orlib", cap41, "--json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.output.strip().splitlines()[-1])
    assert set(row) >= {"instance", "objective", "optimum", "status", "build_s", "solve_s"}
    assert row["instance"] == "cap41"
    assert row["objective"] == pytest.approx(row["optimum"], rel=1e-6)


DELFT_OSM = NL / "osm_tudelft_2022-01-24.osm.bz2"


@pytest.mark.shared_data
@pytest.mark.skipif(not DELFT_OSM.is_file(), reason=f"{DELFT_OSM} not found")
@pytest.mark.filterwarnings("always::woonplanner.travel.TravelFallbackWarning")
def test_own_warnings_print_as_one_plain_line(cli, tmp_path):
    """Delft's wijken mostly lie outside the small OSM extract and fall back to straight lines:
    the command says so in one line, without Python's file name, line number and source."""
    before = warnings.showwarning
    result = invoke(
        cli,
        "run",
        REPO / "scenarios" / "jeugdregio.toml",
        "--data-dir",
        NL,
        "--set",
        'region.gemeenten=["GM0503"]',
        "--set",
        "travel.mode=network",
        "--set",
        f"travel.osm_file={DELFT_OSM}",
        "--set",
        f"travel.cache_dir={tmp_path / 'cache'}",
        "--out",
        tmp_path / "x",
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "lie more than 500 m" in line]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Warning: 12 of 13 points lie more than 500 m")
    assert ".py:" not in result.output
    assert "TravelFallbackWarning" not in result.output
    assert warnings.showwarning is before  # restored: the Python API warns as usual


@pytest.mark.parametrize("file_format", ["mps", "lp"])
def test_export_writes_the_full_model_plain_highs_solves(cli, tmp_path, demo_run, file_format):
    """The exported file holds every row (the linking rows the solve separates too) and plain
    HiGHS, reading only that file, finds the plan's objective (within the scenario's gap)."""
    import highspy

    from woonplanner.model import build_matrix
    from woonplanner.runner import prepare
    from woonplanner.scenario import load_scenario

    out = tmp_path / f"demo.{file_format}"
    result = invoke(cli, "export", "--format", file_format, "--out", out)
    assert result.exit_code == 0, result.output
    full = build_matrix(prepare(load_scenario("demo")).problem)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.readModel(str(out))
    assert (highs.getNumCol(), highs.getNumRow()) == (full.n_cols, full.n_rows)
    gap = 1e-3  # the demo scenario's
    highs.setOptionValue("mip_rel_gap", gap)
    highs.run()
    info = highs.getInfo()
    plan = json.loads((demo_run[0] / "manifest.json").read_text())["solver"]
    assert info.objective_function_value == pytest.approx(plan["objective"], rel=gap)
    assert info.objective_function_value >= plan["bound"] * (1 - 1e-9)
    assert plan["objective"] >= info.mip_dual_bound * (1 - 1e-9)


def test_an_unknown_solver_exits_2_naming_the_key(cli, tmp_path):
    result = invoke(
        cli, "run", *SMALL, "--set", 'solver.name="no_such_solver"', "--out", tmp_path / "r"
    )
    assert result.exit_code == 2
    assert "solver.name = 'no_such_solver'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r").exists()


def test_another_solver_through_pyomo_plans_the_same(cli, tmp_path):
    """solver.name = "cbc": the same plan objective as HiGHS' (within the gap)."""
    args = (*SMALL, "--set", "solver.mip_gap=1e-6")
    direct = invoke(cli, "run", *args, "--out", tmp_path / "h")
    other = invoke(cli, "run", *args, "--set", 'solver.name="cbc"', "--out", tmp_path / "c")
    assert direct.exit_code == other.exit_code == 0, other.output
    objective = [
        json.loads((tmp_path / d / "manifest.json").read_text())["solver"]["objective"]
        for d in ("h", "c")
    ]
    assert objective[1] == pytest.approx(objective[0], rel=2e-6)


@pytest.mark.parametrize("command", [["run"], ["compare"], ["run-all"], ["sweep"]])
def test_help_shows_no_type_on_flags(cli: CliRunner, command: list[str]) -> None:
    result = cli.invoke(app, [*command, "--help"], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    assert "<bool>" not in result.output
    assert "--help" in result.output
    assert "<list[str]>" not in result.output


@pytest.mark.parametrize(
    ("status", "gap", "start"),
    [
        ("optimal", 0.0006, "Plan optimal"),
        ("time_limit", 0.0636, "Plan found within the time limit (not proven optimal, gap 6.36 %)"),
        ("time_limit", None, "Plan found within the time limit (not proven optimal)"),
    ],
)
def test_the_final_sentence_says_the_outcome_in_words(status, gap, start):
    from woonplanner.cli import _plan_outcome

    assert _plan_outcome(status, gap) == start


def test_a_logged_data_notice_prints_as_a_warning_line(cli, tmp_path):
    """The data readers log their notices (CBS percentages suppressed): on the command line
    they read "Warning: …" like the other notices, not as a bare line between progress lines."""
    from test_cbs import _pdok_buurten, _write_geojson

    _write_geojson(tmp_path / "buurten_pdok.geojson", _pdok_buurten())
    (tmp_path / "gemeente_jeugdregio_test.csv").write_text(
        "gemeentecode,gemeentenaam,jeugdregiocode,jeugdregionaam\n"
        "GM9001,Eerstedorp,JZ90,Testregio\nGM9002,Tweedestad,JZ91,Andere regio\n"
    )
    result = invoke(
        cli,
        "validate",
        REPO / "scenarios" / "jeugdregio.toml",
        "--data-dir",
        tmp_path,
        "--set",
        "region.level=buurt",
        "--set",
        "region.jeugdregio=JZ90",
        "--set",
        "demand.youth_care_index=false",
    )
    notices = [line for line in result.output.splitlines() if "suppressed for" in line]
    assert notices, result.output
    assert all(line.startswith("Warning: ") for line in notices), notices
