"""Three forms, three kinds of children: only a woongroep suits ``intensive`` children."""

from __future__ import annotations

import pandas as pd
import pytest

import woonplanner
from woonplanner.data import demo
from woonplanner.demand import estimate_demand
from woonplanner.errors import ScenarioError
from woonplanner.outputs.report import suitability_table
from woonplanner.scenario import load_scenario


def test_extra_support_splits_by_age_band_into_extra_and_intensive():
    """12-17, safety risk: 60 % need extra support, a quarter of those intensive: 15 % and 45 %
    of the reason's children; under 12 nobody is intensive."""
    sc = load_scenario(None)
    nb = demo.load().neighbourhoods.iloc[:1]
    d = estimate_demand(nb, sc.demand)
    safety = d[(d["reason"] == "safety_risk")].set_index(["age_band", "support_need"])["children"]
    total = safety.xs("12_17").sum()
    assert safety[("12_17", "intensive")] / total == pytest.approx(0.60 * 0.25)
    assert safety[("12_17", "extra")] / total == pytest.approx(0.60 * 0.75)
    assert "intensive" not in safety.xs("4_11").index
    assert d["children"].sum() == pytest.approx(
        nb[["children_0_3", "children_4_11", "children_12_17"]].sum(axis=1).iloc[0] * 12.6 / 1000
    )


def test_a_share_no_type_suits_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="children aged 4_11 who cannot live in a family"):
        load_scenario(None, overrides=["demand.no_family_share.4_11=0.2"])


def test_suitability_table_of_the_defaults():
    table = suitability_table(load_scenario(None))
    assert table.loc["none", "4_11"] == ["pleeggezin", "gezinshuis"]
    assert table.loc["extra", "12_17"] == ["gezinshuis"]
    assert table.loc["intensive", "12_17"] == ["woongroep"]
    assert table.loc["intensive", "0_3"] == []


@pytest.fixture(scope="module")
def gm9901(tmp_path_factory):
    out = tmp_path_factory.mktemp("forms") / "run"
    scenario = load_scenario("demo", overrides=['region.gemeenten=["GM9901"]'])
    return woonplanner.run(scenario, out=out), out


def test_the_demo_plans_woongroepen_for_intensive_children_only(gm9901):
    """Re-derived from the flows: every child in a woongroep needs intensive support, every
    intensive child placed is in a woongroep; the plan has woongroepen."""
    plan, out = gm9901
    flows = pd.read_csv(out / "flows.csv")
    assert plan.kpis["region"]["units_by_type"]["woongroep"] > 0
    in_woongroep = flows[flows["type"] == "woongroep"]
    assert set(in_woongroep["support_need"]) == {"intensive"}
    assert set(flows.loc[flows["support_need"] == "intensive", "type"]) == {"woongroep"}
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="suitability-table"' in report
