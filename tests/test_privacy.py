"""Caseload cells below the threshold: no output file row reveals one (SPEC §5, issue 16)."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from test_caseload import _demo_caseload

import woonplanner
from woonplanner import runner
from woonplanner.privacy import MERGED, disclosure, protect_flows, protect_neighbourhoods
from woonplanner.scenario import load_scenario


def _cells(rows):
    return pd.DataFrame(rows, columns=["origin", "reason", "support_need", "age_band", "children"])


GEMEENTE = {"WK01": "GM01", "WK02": "GM01", "WK03": "GM01", "WK04": "GM02"}


def test_one_orphan_in_a_wijk_is_merged_into_its_reason_free_row():
    # WK01: 10 children parents_cannot_cope and 1 orphaned -> the reason may not be shown.
    cells = _cells(
        [
            ("WK01", "parents_cannot_cope", "none", "4_11", 10),
            ("WK01", "orphaned", "none", "4_11", 1),
            ("WK02", "safety_risk", "extra", "12_17", 6),
            ("WK03", "safety_risk", "extra", "12_17", 5),
            ("WK04", "safety_risk", "extra", "12_17", 7),
        ]
    )
    rule = disclosure(cells, GEMEENTE, 5)
    assert rule.kept["WK01"] == ()  # reason, support need and age band all merged
    assert rule.kept["WK02"] == ("reason", "support_need", "age_band")
    assert rule.pooled == {}
    flows = pd.DataFrame(
        {
            "origin": ["WK01", "WK01", "WK01", "WK02"],
            "reason": ["parents_cannot_cope", "orphaned", "orphaned", "safety_risk"],
            "support_need": ["none", "none", "none", "extra"],
            "age_band": ["4_11"] * 3 + ["12_17"],
            "site": ["WK01", "WK01", "WK02", "WK03"],
            "type": ["pleeggezin"] * 3 + ["gezinshuis"],
            "children": [10.0, 0.5, 0.5, 6.0],
            "km": [1.0, 2.0, 4.0, 3.0],
        }
    )
    out = protect_flows(flows, rule)
    wk01 = out[out["origin"] == "WK01"]
    assert set(wk01["reason"]) == {MERGED}
    # The half orphan at WK01 is summed with the ten others placed there.
    at_home = wk01[wk01["site"] == "WK01"].iloc[0]
    assert at_home["children"] == pytest.approx(10.5)
    assert at_home["km"] == pytest.approx((10 * 1 + 0.5 * 2) / 10.5)
    assert out["children"].sum() == pytest.approx(flows["children"].sum())


def test_small_neighbourhoods_are_pooled_until_no_difference_reveals_them():
    cells = _cells(
        [
            ("WK01", "orphaned", "none", "4_11", 1),
            ("WK02", "safety_risk", "extra", "12_17", 6),
            ("WK03", "safety_risk", "extra", "12_17", 9),
            ("WK04", "safety_risk", "extra", "12_17", 2),
        ]
    )
    rule = disclosure(cells, GEMEENTE, 5)
    # WK01 alone (1) would be gemeente total minus the rest: its smallest neighbour joins it.
    assert rule.pooled == {"WK01": "GM01", "WK02": "GM01", "WK04": MERGED}
    nb = pd.DataFrame({"code": ["WK01", "WK02", "WK03", "WK04"], "children_demand": [1, 6, 9, 2]})
    shown = protect_neighbourhoods(nb, rule)
    assert shown["children_demand"].isna().tolist() == [True, True, False, True]


@pytest.mark.skipif(
    "read_caseload" not in inspect.getsource(runner), reason="runner does not read caseloads"
)
def test_caseload_run_files_reveal_no_small_cell(tmp_path: Path) -> None:
    path, _ = _demo_caseload(tmp_path / "caseload.csv")
    scenario = load_scenario("demo", overrides=[f'demand.caseload="{path}"'])
    plan = woonplanner.run(scenario, out=tmp_path / "run")
    run = tmp_path / "run"
    codes = set(plan.neighbourhoods["code"])
    for flows in (
        pd.read_csv(run / "flows.csv", dtype=str),
        gpd.read_file(run / "plan.gpkg", layer="flows").astype({"children": str}),
    ):
        flows["children"] = flows["children"].astype(float)
        assert flows["children"].sum() == pytest.approx(plan.flows["children"].sum())
        for origin, rows in flows.groupby("origin"):
            assert rows["children"].sum() >= 5 - 1e-6 or origin == MERGED, origin
            if origin not in codes:
                assert (rows[["reason", "support_need", "age_band"]] == MERGED).all().all()
                continue
            for column in ("reason", "support_need", "age_band"):
                shown = rows[rows[column] != MERGED]
                assert (shown.groupby(column)["children"].sum() >= 5 - 1e-6).all(), (
                    origin,
                    column,
                )
    layer = gpd.read_file(run / "plan.gpkg", layer="neighbourhoods")
    demand = layer["children_demand"]
    assert ((demand.isna()) | (demand == 0) | (demand >= 5)).all()
    assert layer.loc[demand.isna(), "mean_km"].isna().all()
    kpis = json.loads((run / "kpis.json").read_text())
    manifest = json.loads((run / "manifest.json").read_text())
    assert kpis["privacy"]["threshold"] == 5
    assert manifest["privacy"]["neighbourhoods_pooled"] >= 1
