"""Children placed now stay where they are, or are re-placed at a penalty (SPEC §3, §4)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_model_toy import groups, options

import woonplanner
from woonplanner.errors import InfeasibleError, InputDataError
from woonplanner.model import solve
from woonplanner.plan import replaced_children
from woonplanner.problem import Problem
from woonplanner.runner import prepare
from woonplanner.scenario import load_scenario
from woonplanner.youthcare import continuity_arcs, subtract_placements

REGION = 'region.gemeenten=["GM9902"]'


def toy(mode: str, penalty: float) -> tuple[Problem, pd.DataFrame]:
    """Two children live in the one unit at A (annual cost 100); B is free to open and keep.

    Without continuity the plan closes A and moves them to B (saves 100). Each move costs
    ``penalty``: at 10 a child (20 < 100) they move, at 1,000 (2,000 > 100) they stay; with
    hard continuity they have no arc to B and stay whatever the penalty.
    """
    scenario = load_scenario(
        None,
        overrides=[f'continuity.mode="{mode}"', f"continuity.replacement_penalty_eur={penalty}"],
    )
    opts = options(
        [
            {"site": "A", "capacity": 4.0, "existing": 1, "unit_cost": 100.0},
            {"site": "B", "capacity": 4.0, "unit_cost": 0.0},
        ]
    )
    g = groups([2.0], may_be_unplaced=mode == "soft")
    g["placed_option"] = 0
    arcs = pd.DataFrame({"group": [0, 0], "option": [0, 1], "cost": 0.0, "km": 1.0})
    arcs = continuity_arcs(scenario, g, arcs)
    return Problem(opts, g, arcs), arcs


@pytest.mark.parametrize(
    ("mode", "penalty", "replaced", "units_a"),
    [("soft", 10.0, 2.0, 0), ("soft", 1000.0, 0.0, 1), ("hard", 0.0, 0.0, 1)],
)
def test_placed_children_move_only_when_it_pays_and_never_when_hard(
    mode, penalty, replaced, units_a
):
    p, arcs = toy(mode, penalty)
    assert arcs["current"].tolist() == ([True, False] if mode == "soft" else [True])
    r = solve(p)
    assert r.status == "optimal"
    assert r.units[0] == units_a
    assert replaced_children(p.groups, p.arcs, r.assign).sum() == pytest.approx(replaced)


def test_placements_come_out_of_the_estimate_and_raise_it_where_above():
    """Segment 1: 3 estimated, 1 placed: 2 left to place. Segment 2: 1 estimated, 2.5 placed:
    none left, and 1.5 above the estimate (raised, with a warning)."""
    seg = {"reason": "orphaned", "support_need": "none", "age_band": "0_3"}
    demand = pd.DataFrame(
        [{"origin": "A", **seg, "children": 3.0}, {"origin": "B", **seg, "children": 1.0}]
    )
    placed = pd.DataFrame(
        [
            {"site": "X", "type": "gezinshuis", "origin": "A", **seg, "children": 1.0},
            {"site": "X", "type": "gezinshuis", "origin": "B", **seg, "children": 2.0},
            {"site": "Y", "type": "gezinshuis", "origin": "B", **seg, "children": 0.5},
        ]
    )
    rest, raised = subtract_placements(demand, placed)
    assert rest[["origin", "children"]].values.tolist() == [["A", 2.0]]
    assert raised[["origin", "children"]].values.tolist() == [["B", 1.5]]


def run(tmp_path, name, *overrides):
    scenario = woonplanner.load_scenario("demo", overrides=[REGION, *overrides])
    return woonplanner.run(scenario, out=tmp_path / name)


@pytest.fixture(scope="module")
def last_year(tmp_path_factory):
    folder = tmp_path_factory.mktemp("continuity")
    run(folder, "last")
    return folder / "last"


def placed_now(out) -> pd.DataFrame:
    flows = pd.read_csv(out / "flows.csv", dtype={"origin": str, "site": str})
    placed = flows.groupby(["site", "type"])["children"].sum().rename("placed_now")
    return placed.rename_axis(["neighbourhood", "type"])


def check_replacements(plan, out) -> pd.DataFrame:
    """Re-derive the re-placements from the plan: a facility moves exactly the placed children
    its remaining places cannot hold, and nobody where it keeps the places they need."""
    fac = plan.facilities.set_index(["neighbourhood", "type"])
    joined = fac.join(placed_now(out), how="outer").fillna({"placed_now": 0.0, "places": 0.0})
    need_to_move = np.maximum(joined["placed_now"] - joined["places"], 0.0)
    assert joined["children_replaced"].fillna(0.0).to_numpy() == pytest.approx(
        need_to_move.to_numpy(), abs=1e-3
    )
    region = plan.kpis["region"]["children_replaced"]
    assert region == pytest.approx(joined["children_replaced"].sum(), abs=1e-6)
    assert region == pytest.approx(sum(g["children_replaced"] for g in plan.kpis["gemeenten"]))
    return joined


def test_fewer_children_move_no_placed_child(last_year, tmp_path):
    """Last year's children are this year's placements: 10 % fewer new children close nothing
    that houses them, and nobody is moved."""
    plan = run(
        tmp_path,
        "fewer",
        f'stock.from_run="{last_year}"',
        f'placements.from_run="{last_year}"',
        "demand.rate_per_1000=11.34",
    )
    joined = check_replacements(plan, last_year)
    assert plan.kpis["region"]["children_replaced"] == 0.0
    assert (joined["children_replaced"] == 0).all()
    before = pd.read_json(last_year / "kpis.json", typ="series")["region"]["children_unplaced"]
    assert plan.kpis["region"]["children_unplaced"] <= before + 1e-6


def test_a_facility_that_closes_moves_its_children_and_the_count_says_so(last_year, tmp_path):
    """Foster families made very expensive: the plan closes some that house children, who are
    re-placed; every one counted at the facility they leave. Hard continuity keeps them all."""
    expensive = "facility_types.pleeggezin.annual_cost_per_unit=600000"
    common = (f'stock.from_run="{last_year}"', f'placements.from_run="{last_year}"', expensive)
    soft = run(tmp_path, "soft", *common)
    joined = check_replacements(soft, last_year)
    assert soft.kpis["region"]["children_replaced"] > 1.0
    closing = joined[(joined["closed_units"] > 0) & (joined["children_replaced"] > 0)]
    assert not closing.empty
    csv = pd.read_csv(tmp_path / "soft" / "facilities.csv")
    assert csv["children_replaced"].sum() == pytest.approx(soft.kpis["region"]["children_replaced"])
    report = (tmp_path / "soft" / "report.html").read_text(encoding="utf-8")
    assert "Herplaatsingen" in report
    assert "replacements-table" in report
    assert "wp-moving" in (tmp_path / "soft" / "map.html").read_text(encoding="utf-8")

    hard = run(tmp_path, "hard", *common, 'continuity.mode="hard"')
    check_replacements(hard, last_year)
    assert hard.kpis["region"]["children_replaced"] == 0.0


def test_placements_at_a_site_without_stock_are_refused(tmp_path):
    bad = tmp_path / "placements.csv"
    bad.write_text(
        "site,type,origin,reason,support_need,age_band,children\n"
        "WK990201,woongroep,WK990201,safety_risk,intensive,12_17,2\n",
        encoding="utf-8",
    )
    scenario = woonplanner.load_scenario("demo", overrides=[REGION, f'placements.file="{bad}"'])
    with pytest.raises(InputDataError, match="where the stock has no unit"):
        woonplanner.run(scenario)


def test_placements_with_unknown_labels_are_listed(tmp_path):
    bad = tmp_path / "placements.csv"
    bad.write_text(
        "site,type,origin,reason,support_need,age_band,children\n"
        "WK990201,kasteel,WK999999,safety_risk,lots,12_17,-1\n",
        encoding="utf-8",
    )
    scenario = woonplanner.load_scenario("demo", overrides=[REGION, f'placements.file="{bad}"'])
    with pytest.raises(InputDataError) as err:
        woonplanner.run(scenario)
    text = str(err.value)
    for part in (
        "origin: unknown neighbourhood codes",
        "type: unknown values",
        "support_need",
        "children: must be",
    ):
        assert part in text


def test_hard_continuity_names_the_facility_that_cannot_hold_its_children(tmp_path):
    """50 children placed in the one woongroep of WK990204: no site holds 50, and with hard
    continuity they must stay, so the plan is impossible and the message says where."""
    placements = tmp_path / "placements.csv"
    placements.write_text(
        "site,type,origin,reason,support_need,age_band,children\n"
        "WK990204,woongroep,WK990201,safety_risk,intensive,12_17,50\n",
        encoding="utf-8",
    )
    scenario = woonplanner.load_scenario(
        "demo",
        overrides=[REGION, f'placements.file="{placements}"', 'continuity.mode="hard"'],
    )
    with pytest.raises(
        InfeasibleError, match=r"woongroep in WK990204: the children who live"
    ) as err:
        woonplanner.run(scenario)
    # An error message names the site, never its count of children (docs/privacy.md).
    assert "50" not in str(err.value)


def test_the_progress_lines_say_placed_children_as_the_pages_do(tmp_path):
    """The run's lines said "2.0 placed children are above the estimated demand …" and
    "… 2.0 placed now": counts of real children, below the privacy threshold, in a log. They say
    "<5" now, as every page would."""
    placements = tmp_path / "placements.csv"
    placements.write_text(
        "site,type,origin,reason,support_need,age_band,children\n"
        "WK990204,woongroep,WK990201,safety_risk,intensive,12_17,2\n",
        encoding="utf-8",
    )
    scenario = woonplanner.load_scenario(
        "demo", overrides=[REGION, f'placements.file="{placements}"']
    )
    lines: list[str] = []
    prepare(scenario, progress=lines.append)
    text = "\n".join(lines)
    assert "<5 placed now" in text
    assert "warning: <5 placed children are above the estimated demand" in text
    assert "2.0" not in text
