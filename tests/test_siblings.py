"""Sibling groups of a caseload: one site, one type whose unit holds them all, or reported."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import woonplanner
from woonplanner.model import solve
from woonplanner.plan import sibling_group_kpis
from woonplanner.runner import prepare

REGION = 'region.gemeenten=["GM9902"]'

#: Ten children in WK990203: g1 three safety-risk siblings aged 5, 9, 13 with extra support
#: (a gezinshuis of 4 holds them); g2 two foster-care siblings 2 and 6 (a pleeggezin of 1.3
#: places cannot, a gezinshuis can); g3 five siblings (no unit of 4 holds them); one child alone.
CASELOAD = """wijk;leeftijd;reden;ondersteuning;brusgroep
WK990203;5;onveilig;ja;g1
WK990203;9;onveilig;ja;g1
WK990203;13;onveilig;ja;g1
WK990203;2;ouders kunnen niet;nee;g2
WK990203;6;ouders kunnen niet;nee;g2
WK990203;3;ouders kunnen niet;nee;g3
WK990203;4;ouders kunnen niet;nee;g3
WK990203;7;ouders kunnen niet;nee;g3
WK990203;8;ouders kunnen niet;nee;g3
WK990203;10;ouders kunnen niet;nee;g3
WK990203;11;ouders kunnen niet;nee;
"""


@pytest.fixture(scope="module")
def caseload(tmp_path_factory):
    path = tmp_path_factory.mktemp("siblings") / "caseload.csv"
    path.write_text(CASELOAD, encoding="utf-8")
    return path


def scenario(caseload, *more):
    return woonplanner.load_scenario(
        "demo", overrides=[REGION, f'demand.caseload="{caseload}"', *more]
    )


def test_every_sibling_group_is_in_one_site_and_type_that_holds_it(caseload):
    """Re-derived from the solved problem: each sibling group is served on exactly one arc, to
    an option whose unit has places for all of them and whose type suits every member."""
    sc = scenario(caseload)
    problem = prepare(sc).problem
    groups, arcs, options = problem.groups, problem.arcs, problem.options
    single = groups.index[groups["single_source"].fillna(False).astype(bool)]
    assert sorted(groups.loc[single, "demand"].tolist()) == [2.0, 3.0]  # g3 has no unit of 5
    assert groups.attrs["sibling_groups_without_unit"] == 1
    assert groups["demand"].sum() == pytest.approx(11.0)  # nobody lost, nobody counted twice
    result = solve(problem)
    assert result.status == "optimal"
    for g in single:
        mine = arcs.index[arcs["group"] == g]
        shares = result.assign[mine]
        assert np.sort(shares.round(9))[-1] == 1.0
        assert shares.sum() == pytest.approx(1.0)
        option = options.loc[arcs.at[mine[int(np.argmax(shares))], "option"]]
        assert option["capacity"] >= groups.at[g, "demand"]
        bands = set(str(groups.at[g, "age_bands"]).split("+"))
        assert bands <= set(getattr(sc.facility_types, option["type"]).age_bands)
    assert sorted(groups.loc[single, "age_bands"]) == ["0_3+4_11", "4_11+12_17"]


def test_kpis_count_groups_kept_and_split_with_the_reason(caseload):
    plan = woonplanner.run(scenario(caseload))
    assert plan.kpis["region"]["sibling_groups"] == {
        "total": 3,
        "kept_together": 2,
        "split": 1,
        "split_by_reason": {"no_unit_large_enough": 1, "no_place": 0},
    }
    assert plan.kpis["region"]["children_demand"] == pytest.approx(11.0)


def test_without_the_rule_no_group_is_counted(caseload):
    plan = woonplanner.run(scenario(caseload, "demand.keep_siblings_together=false"))
    assert plan.kpis["region"]["sibling_groups"]["total"] == 0


def test_a_group_the_units_have_no_room_for_is_split_for_no_place():
    """Hand-solvable: one unit of 4 places holding a group of 3 or a group of 2, not both."""
    groups = pd.DataFrame({"demand": [3.0, 2.0], "may_be_unplaced": True, "single_source": True})
    arcs = pd.DataFrame({"group": [0, 1], "option": [0, 0], "cost": 0.0, "km": 0.0})
    options = pd.DataFrame(
        [
            {
                "site": "A",
                "type": "gezinshuis",
                "capacity": 4.0,
                "existing": 1,
                "max_units": 1,
                "unit_cost": 0.0,
                "open_cost": 0.0,
                "close_cost": 0.0,
                "integer": True,
            }
        ]
    )
    problem = woonplanner.problem.Problem(options, groups, arcs)
    result = solve(problem)
    assert result.assign.tolist() == [1.0, 0.0]  # the larger group: fewer unplaced children
    assert sibling_group_kpis(groups, arcs, result.assign) == {
        "total": 2,
        "kept_together": 1,
        "split": 1,
        "split_by_reason": {"no_unit_large_enough": 0, "no_place": 1},
    }


# --- caseload rows that say where a child lives now ---------------------------------------------

PLACED = """wijk;leeftijd;reden;ondersteuning;brusgroep;geplaatst_in;woonvorm
WK990203;9;onveilig;ja;g1;WK990203;gezinshuis
WK990203;13;onveilig;ja;g1;;
WK990203;12;onveilig;ja;g1;;
WK990203;6;ouders kunnen niet;nee;;WK990203;Pleeggezin
WK990203;7;ouders kunnen niet;nee;;;
"""


def test_caseload_placements_become_current_placements(tmp_path):
    """Two children are placed now (a gezinshuis and a foster family in WK990203, both in the
    demo stock): they are this year's placements, counted once in the demand; the placed
    member of g1 stays where he is, so g1's other two are the sibling group; nobody moves."""
    from woonplanner.data.caseload import read_caseload_with_siblings
    from woonplanner.data.demo import load

    path = tmp_path / "caseload.csv"
    path.write_text(PLACED, encoding="utf-8")
    _, siblings, placed = read_caseload_with_siblings(path, neighbourhoods=load().neighbourhoods)
    assert placed[["site", "type", "children"]].values.tolist() == [
        ["WK990203", "gezinshuis", 1.0],
        ["WK990203", "pleeggezin", 1.0],
    ]
    assert siblings["size"].tolist() == [2]
    plan = woonplanner.run(scenario(path))
    assert plan.kpis["region"]["children_demand"] == pytest.approx(5.0)
    assert plan.kpis["region"]["children_replaced"] == 0.0
    assert plan.kpis["region"]["sibling_groups"]["kept_together"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "wijk;leeftijd;reden;ondersteuning;geplaatst_in\nWK990203;9;onveilig;ja;WK990203\n",
            "placed_at: given without placed_type",
        ),
        (
            "wijk;leeftijd;reden;ondersteuning;geplaatst_in;woonvorm\n"
            "WK990203;9;onveilig;ja;WK990203;kasteel\n",
            # the row, never the value (it may be personal)
            r"placed_type: not a known value in 1 row \(row 2\) \(1 distinct value, not shown\)",
        ),
        (
            "wijk;leeftijd;reden;ondersteuning;geplaatst_in;woonvorm\n"
            "WK990203;9;onveilig;ja;WK999999;gezinshuis\n",
            "placed_at: not one of the planned",
        ),
        (
            "wijk;leeftijd;reden;ondersteuning;geplaatst_in;woonvorm\n"
            "WK990203;9;onveilig;ja;;gezinshuis\n",
            "one without the other",
        ),
    ],
)
def test_bad_caseload_placements_are_named(tmp_path, text, message):
    from woonplanner.errors import InputDataError

    path = tmp_path / "caseload.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputDataError, match=message):
        woonplanner.run(scenario(path))
