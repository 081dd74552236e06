"""compare: KPI differences of 2-4 run folders, the maps page, and clear errors."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from outputs_helpers import html_tables
from test_maps import SCRIPT_NAME
from typer.testing import CliRunner

import woonplanner
from woonplanner.cli import app
from woonplanner.data.runfolder import RUN_FILES, read_run
from woonplanner.errors import InputDataError, OutputExistsError
from woonplanner.outputs.compare import (
    compare_runs,
    kpi_differences,
    unit_differences,
)
from woonplanner.outputs.files import write_run
from woonplanner.plan import Plan


@pytest.fixture(scope="module")
def runs(small: dict[str, tuple[Path, Plan]]) -> dict[str, Path]:
    """Folders of the small basis, fewer-placements and wider-band runs."""
    return {name: folder for name, (folder, _plan) in small.items()}


def region_value(folder: Path, kpi: str) -> float:
    region = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))["region"]
    group, _, kind = kpi.partition(".")
    value = region[group][kind] if kind else region[group]
    return float("nan") if value is None else float(value)


def test_compare_csv_deltas_are_the_kpi_differences(runs: dict[str, Path], tmp_path: Path) -> None:
    a, b = runs["basis"], runs["fewer-placements"]
    out = compare_runs([a, b], tmp_path / "cmp")
    assert sorted(p.name for p in out.iterdir()) == [".woonplanner", "compare.csv", "compare.html"]
    table = pd.read_csv(out / "compare.csv")
    assert list(table.columns) == ["kpi", "basis", "fewer-placements", "delta_fewer-placements"]
    assert table["kpi"].is_unique
    checked = 0
    for row in table.itertuples(index=False):
        if row.kpi in ("median_km", "gemeenten_norm_met"):
            continue  # derived from flows.csv and the gemeenten list, checked below
        va, vb = region_value(a, row.kpi), region_value(b, row.kpi)
        assert row[1] == pytest.approx(va, rel=1e-5, abs=1e-6)
        assert row[2] == pytest.approx(vb, rel=1e-5, abs=1e-6)
        assert row[3] == pytest.approx(vb - va, rel=1e-4, abs=1e-4)
        checked += 1
    assert checked >= 20
    demand = table.set_index("kpi").loc["children_demand"]
    # 20 % fewer placements: demand drops by a fifth.
    assert demand["fewer-placements"] == pytest.approx(0.8 * demand["basis"], rel=1e-4)


def test_kpi_table_in_the_page_shows_each_run_and_delta(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    folders = [runs["basis"], runs["fewer-placements"], runs["wider-band"]]
    out = compare_runs(folders, tmp_path / "cmp3", lang="en")
    text = (out / "compare.html").read_text(encoding="utf-8")
    assert text.count("L.map(") == 3
    rows = html_tables(text)["kpi-table"]
    assert rows[0] == [
        "Figure",
        "A · basis",
        "B · fewer-placements",
        "Δ B",
        "C · wider-band",
        "Δ C",
    ]
    unplaced = next(r for r in rows if r[0] == "Unplaced")
    a = region_value(folders[0], "children_unplaced")
    c = region_value(folders[2], "children_unplaced")
    # The wider band places the children the basis cannot place (all but a twentieth of a
    # teenager who needs a woongroep: not worth opening one for).
    assert a > 5
    assert c < 0.05
    assert unplaced[5] == f"−{round(a - c)}"
    settings = html_tables(text)["settings-table"]
    assert settings[0] == ["Setting", "A · basis", "B · fewer-placements", "C · wider-band"]
    assert {r[0] for r in settings[1:]} == {
        "demand.rate_per_1000",
        "reasons.parents_cannot_cope.max_km",
    }


def test_unit_differences_against_the_first_run(runs: dict[str, Path]) -> None:
    a, c = read_run(runs["basis"]), read_run(runs["wider-band"])
    diff = unit_differences(a.facilities, c.facilities)
    assert (diff["delta"] != 0).all()
    units_a = a.facilities.groupby(["neighbourhood", "type"])["units"].sum()
    units_c = c.facilities.groupby(["neighbourhood", "type"])["units"].sum()
    both = pd.concat([units_a, units_c], axis=1).fillna(0)
    changed = both[both.iloc[:, 0] != both.iloc[:, 1]]
    assert len(diff) == len(changed) > 0
    assert diff["delta"].sum() == units_c.sum() - units_a.sum()


def test_two_runs_of_one_scenario_are_told_apart_by_folder(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    a = runs["basis"]
    table = kpi_differences(
        [dataclasses.replace(read_run(a), name=n) for n in ("x", "y")]
    )  # names as given
    assert list(table.columns) == ["kpi", "x", "y", "delta_y"]
    out = compare_runs([a, a], tmp_path / "same")
    table = pd.read_csv(out / "compare.csv")
    assert list(table.columns) == ["kpi", "basis", "basis-2", "delta_basis-2"]
    assert (table["delta_basis-2"].fillna(0) == 0).all()


@pytest.mark.parametrize("count", [0, 1, 5])
def test_two_to_four_runs(runs: dict[str, Path], tmp_path: Path, count: int) -> None:
    folders = [runs["basis"]] * count
    with pytest.raises(InputDataError, match=f"compare needs 2 to 4 run folders, got {count}"):
        compare_runs(folders, tmp_path / "cmp")
    assert not (tmp_path / "cmp").exists()


def test_a_folder_that_is_not_a_run_is_named_with_its_missing_files(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    half = tmp_path / "half"
    half.mkdir()
    (half / "kpis.json").write_text("{}", encoding="utf-8")
    missing = tmp_path / "nowhere"
    with pytest.raises(InputDataError) as err:
        compare_runs([runs["basis"], half, missing], tmp_path / "cmp")
    message = str(err.value)
    assert "Cannot compare (2 problems)" in message
    assert (
        f"{half}: not a run folder (missing facilities.csv, flows.csv, plan.gpkg, scenario.toml)"
        in message
    )
    assert f"{missing}: no such folder" in message
    assert not (tmp_path / "cmp").exists()
    assert RUN_FILES[0] == "kpis.json"


def test_existing_output_needs_force(runs: dict[str, Path], tmp_path: Path) -> None:
    folders = [runs["basis"], runs["wider-band"]]
    out = compare_runs(folders, tmp_path / "cmp")
    (out / "mine.txt").write_text("keep?", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="--force"):
        compare_runs(folders, out)
    assert (out / "mine.txt").exists()
    compare_runs(folders, out, force=True)
    assert not (out / "mine.txt").exists()
    assert (out / "compare.html").exists()
    # Nothing half-written is left next to it.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]


def test_names_from_data_are_escaped(small: dict[str, tuple[Path, Plan]], tmp_path: Path) -> None:
    folder, plan = small["basis"]
    nb = plan.neighbourhoods.copy()
    nb["name"] = SCRIPT_NAME
    gem = plan.gemeenten.copy()
    gem["name"] = SCRIPT_NAME
    evil = dataclasses.replace(plan, neighbourhoods=nb, gemeenten=gem)
    evil_folder = write_run(tmp_path / "evil", evil)
    out = compare_runs([folder, evil_folder], tmp_path / "cmp")
    text = (out / "compare.html").read_text(encoding="utf-8")
    assert "alert(1)</script>" not in text
    # HTML-escaped for the tooltip, then JSON-escaped by the template.
    assert "\\u0026lt;script\\u0026gt;alert(1)" in text
    assert not math.isnan(pd.read_csv(out / "compare.csv")["basis"].iloc[0])


def test_the_kpi_table_gives_no_small_count_away() -> None:
    # New-user finding of 2026-12-03: "Niet geplaatst <5 | 0 | Δ −1" — the difference said
    # the hidden count, and demand and placed shown exactly said it too.
    from types import SimpleNamespace

    from woonplanner.outputs.compare import _kpi_table
    from woonplanner.outputs.vocabulary import Formatter

    def run(name: str, unplaced: float) -> SimpleNamespace:
        table = pd.DataFrame(
            {
                "code": ["WK01", "WK02"],
                "gemeente": ["GM1", "GM1"],
                "children_demand": [40.0, 60.0],
                "children_placed": [40.0, 60.0 - unplaced],
                "children_unplaced": [0.0, unplaced],
            }
        )
        return SimpleNamespace(name=name, neighbourhoods=table, flows=None)

    runs = [run("a", 1.26), run("b", 0.0)]
    table = pd.DataFrame(
        {
            "kpi": ["children_demand", "children_placed", "children_unplaced"],
            "a": [100.0, 98.74, 1.26],
            "b": [100.0, 100.0, 0.0],
            "delta_b": [0.0, 1.26, -1.26],
        }
    )
    fmt = Formatter(lang="en", threshold=5, page="compare")
    _head, rows = _kpi_table(runs, table, fmt, fmt.labels)
    cells = {kpi: [text for text, _css in row] for kpi, row in rows}
    assert cells["children_unplaced"][1:] == ["<5", "0", "–"]
    assert cells["children_placed"][1:] == ["96–99", "100", "–"]
    assert cells["children_demand"][1:] == ["100", "100", "0"]


def test_runs_of_different_regions_are_refused(runs: dict[str, Path], tmp_path: Path) -> None:
    """Another gemeente of the demo is another region: every site of C would be "+N against A"
    and every KPI a difference of regions. Nothing is written; the message names each run's
    region and says what to do."""
    other = tmp_path / "elders"
    overrides = ['region.gemeenten=["GM9903"]', "name=elders"]
    woonplanner.run(woonplanner.load_scenario("demo", overrides=overrides), out=other)
    folders = [runs["basis"], runs["wider-band"], other]
    with pytest.raises(InputDataError) as err:
        compare_runs(folders, tmp_path / "cmp")
    message = str(err.value)
    assert message.startswith("Cannot compare: run C plans another region than run A")
    assert (
        f"  A  {runs['basis']}: Demo-regio, 6 neighbourhoods (wijk) in 1 gemeente: "
        "Elsterwolde (GM9904)\n" in message
    )
    assert (
        f"  C  {other}: Demo-regio, 12 neighbourhoods (wijk) in 1 gemeente: Ravensloot (GM9903)"
        in message
    )
    assert "  B  " not in message  # B plans A's region
    assert "rerun one with the other's region settings (region.jeugdregio, region.gemeenten" in (
        message
    )
    assert not (tmp_path / "cmp").exists()

    # A jeugdregio is named as the pages name it, with its code; the command line exits with 2.
    manifest_path = other / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest.update(region="JZ29", region_name="Rijnmond")
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    args = ["compare", str(other), str(runs["basis"]), "--out", str(tmp_path / "cmp")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "Error: Cannot compare: run B plans another region than run A" in result.output
    assert f"  A  {other}: Rijnmond (JZ29), 12 neighbourhoods (wijk) in 1 gemeente" in (
        result.output
    )
    assert not (tmp_path / "cmp").exists()


def test_the_page_names_the_level_of_the_runs(runs: dict[str, Path], tmp_path: Path) -> None:
    """The demo's runs plan wijken: the legend and intro say so, not "buurt"."""
    out = compare_runs([runs["basis"], runs["wider-band"]], tmp_path / "level")
    text = (out / "compare.html").read_text(encoding="utf-8")
    assert "wijk met niet geplaatste kinderen" in text
    assert "per wijk bijkomt" in text
    assert "buurt" not in text.lower()


def test_a_run_measured_against_the_coarse_bound_says_so(
    runs: dict[str, Path], tmp_path: Path
) -> None:
    """A buurt run whose gap is against the coarse instance's bound says so in its heading."""
    import shutil

    from woonplanner.outputs.vocabulary import labels

    coarse = tmp_path / "coarse-run"
    shutil.copytree(runs["basis"], coarse)
    kpis = json.loads((coarse / "kpis.json").read_text(encoding="utf-8"))
    kpis.update(status="time_limit", mip_gap=0.1469, bound_from="coarse")
    (coarse / "kpis.json").write_text(json.dumps(kpis), encoding="utf-8")
    out = compare_runs([runs["basis"], coarse], tmp_path / "out")
    text = (out / "compare.html").read_text(encoding="utf-8")
    assert labels("map", lang="nl")["gap_to_coarse"] in text
    plain = compare_runs([runs["basis"], runs["wider-band"]], tmp_path / "plain")
    assert "grovere berekening" not in (plain / "compare.html").read_text(encoding="utf-8")


def test_zoomed_out_the_gemeente_labels_carry_the_change(runs: dict[str, Path]) -> None:
    """On a big region map B's ~100 per-site badges covered the gemeente labels at the
    opening view (JZ13: "Amstelve…", Diemen unseen). Zoomed out they now give way, as the
    markers do, to each gemeente's change per type in its label: "12 (+3)"."""
    from woonplanner.outputs import maps
    from woonplanner.outputs.vocabulary import labels

    a, c = read_run(runs["basis"]), read_run(runs["wider-band"])
    diff = unit_differences(a.facilities, c.facilities)
    per_gemeente = maps._changes_per_gemeente(diff, c.neighbourhoods)
    # Re-derived: the per-site deltas summed over each gemeente's sites.
    gemeente_of = dict(zip(c.neighbourhoods["code"], c.neighbourhoods["gemeente"], strict=True))
    expected: dict[str, dict[str, int]] = {}
    for row in diff.itertuples():
        by_type = expected.setdefault(gemeente_of[row.neighbourhood], {})
        by_type[row.type] = by_type.get(row.type, 0) + int(row.delta)
    expected = {g: {k: v for k, v in t.items() if v} for g, t in expected.items()}
    assert per_gemeente == {g: t for g, t in expected.items() if t}
    assert per_gemeente, "the two demo runs differ somewhere"

    group = maps.gemeente_layer(
        c.gemeenten,
        labels("map"),
        "nl",
        c.facilities,
        neighbourhoods=c.neighbourhoods,
        changes=diff,
    )
    html = " ".join(
        child.icon.options["html"]
        for child in group._children.values()
        if type(child).__name__ == "Marker"
    )
    by_type = next(iter(per_gemeente.values()))
    change = next(iter(by_type.values()))
    sign = "+" if change > 0 else "−"
    assert f"({sign}{abs(change)})" in html
    assert ".wp-zoomed-out .wp-change { display: none; }" in maps.MAP_CSS


def test_the_settings_table_names_a_folder_not_the_planners_path() -> None:
    """``stock.from_run`` given as runs/amsterdam read "/tmp/nu1/woonplanner/runs/amsterdam"
    on the shared compare page: the planner's own folders. Now "…/amsterdam"."""
    from types import SimpleNamespace

    from woonplanner.outputs.compare import _settings
    from woonplanner.outputs.vocabulary import labels

    runs = [
        SimpleNamespace(name="a", scenario={"stock": {"from_run": None}, "demand": {"r": 12.6}}),
        SimpleNamespace(
            name="b",
            scenario={"stock": {"from_run": "/home/jan/runs/amsterdam"}, "demand": {"r": 14.0}},
        ),
    ]
    _head, rows = _settings(runs, labels("compare"))
    shown = dict(rows)
    assert shown["stock.from_run"] == ["–", '"…/amsterdam"']
    assert shown["demand.r"] == ["12.6", "14.0"]
    assert "/home/jan" not in str(rows)
