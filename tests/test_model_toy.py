"""Tiny instances whose optimum is worked out by hand in each docstring."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from woonplanner.errors import InputDataError
from woonplanner.model import solve
from woonplanner.problem import Objective, Problem, UnitConstraint


def options(rows: list[dict]) -> pd.DataFrame:
    defaults = {
        "type": "t",
        "capacity": 10.0,
        "existing": 0,
        "max_units": 1,
        "unit_cost": 0.0,
        "open_cost": 0.0,
        "close_cost": 0.0,
        "integer": True,
    }
    return pd.DataFrame([{**defaults, **r} for r in rows])


def groups(demands: list[float], *, may_be_unplaced: bool = True) -> pd.DataFrame:
    return pd.DataFrame({"demand": demands, "may_be_unplaced": may_be_unplaced})


def arcs(rows: list[tuple[int, int, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["group", "option", "cost", "km"])


def test_cheapest_site_is_opened():
    """Two sites with unit costs 100 and 50; serving both groups costs 10 each at A, 80 at B.

    A: 100 + 10 + 10 = 120; B: 50 + 80 + 80 = 210; both: worse. Optimum 120 at A.
    """
    p = Problem(
        options([{"site": "A", "unit_cost": 100.0}, {"site": "B", "unit_cost": 50.0}]),
        groups([5.0, 5.0], may_be_unplaced=False),
        arcs([(0, 0, 10, 0), (0, 1, 80, 0), (1, 0, 10, 0), (1, 1, 80, 0)]),
    )
    r = solve(p)
    assert r.status == "optimal"
    assert r.objective == pytest.approx(120.0)
    assert list(r.units) == [1, 0]
    assert r.gap == 0.0


def test_capacity_splits_demand():
    """15 children, 10 places per unit at each site, one unit each; A costs 1/child less.

    A is full (10 children), B takes 5. Arc costs are for the whole group: 15 at A, 30 at B,
    so 10/15 × 15 + 5/15 × 30 = 10 + 10 = 20.
    """
    p = Problem(
        options([{"site": "A"}, {"site": "B"}]),
        groups([15.0], may_be_unplaced=False),
        arcs([(0, 0, 15.0, 0), (0, 1, 30.0, 0)]),
    )
    r = solve(p)
    assert r.objective == pytest.approx(20.0)
    assert r.assign * 15 == pytest.approx([10.0, 5.0])


@pytest.mark.parametrize(("close_cost", "closed"), [(10.0, 1), (60.0, 0)])
def test_existing_unit_closes_only_when_cheaper(close_cost, closed):
    """An existing unit nobody needs costs 50 a year to keep or ``close_cost`` once to close."""
    p = Problem(
        options([{"site": "A", "existing": 1, "unit_cost": 50.0, "close_cost": close_cost}]),
        groups([1.0]),
        arcs([(0, 0, 0.0, 0.0)]),
        objective=Objective(unplaced_penalty=0.0),
    )
    r = solve(p)
    assert r.closed[0] == closed
    assert r.units[0] == 1 - closed
    assert r.objective == pytest.approx(min(50.0, close_cost))


def test_unit_constraint_opens_cheapest_units():
    """A norm of 2 units over three sites with opening costs 5, 3, 4 opens B and C: 7.

    The one child can only go to B, which is among the cheapest two anyway.
    """
    p = Problem(
        options([{"site": s, "open_cost": c} for s, c in zip("ABC", (5.0, 3.0, 4.0), strict=True)]),
        groups([1.0]),
        arcs([(0, 1, 0.0, 0.0)]),
        unit_constraints=(UnitConstraint("norm", (0, 1, 2), ">=", 2),),
    )
    r = solve(p)
    assert list(r.units) == [0, 1, 1]
    assert r.objective == pytest.approx(7.0)


def test_soft_unit_constraint_is_violated_when_cheaper():
    """Opening costs 100, missing the target costs 30 per unit: the target is left unmet."""
    p = Problem(
        options([{"site": "A", "open_cost": 100.0}]),
        groups([1.0]),
        arcs([(0, 0, 0.0, 0.0)]),
        unit_constraints=(UnitConstraint("norm", (0,), ">=", 1, penalty=30.0),),
        objective=Objective(unplaced_penalty=0.0),
    )
    r = solve(p)
    assert r.units[0] == 0
    assert r.violation[0] == pytest.approx(1.0)
    assert r.objective == pytest.approx(30.0)


def test_group_without_arcs_is_unplaced_and_penalised():
    """A group of 3 children with no suitable site: all unplaced, penalty 3 × 1000."""
    p = Problem(
        options([{"site": "A"}]),
        groups([2.0, 3.0]),
        arcs([(0, 0, 0.0, 1.0)]),
        objective=Objective(unplaced_penalty=1000.0, km_weight=1.0),
    )
    r = solve(p)
    assert r.unplaced == pytest.approx([0.0, 1.0])
    assert r.parts["unplaced_children"] == pytest.approx(3.0)
    assert r.objective == pytest.approx(3000.0 + 2.0)


def test_budget_leaves_children_unplaced():
    """Placing costs 10 per child; a budget of 25 places 2.5 of 4 children."""
    p = Problem(
        options([{"site": "A"}]),
        groups([4.0]),
        arcs([(0, 0, 40.0, 0.0)]),
        budget=25.0,
        objective=Objective(unplaced_penalty=1000.0),
    )
    r = solve(p)
    assert r.assign[0] * 4 == pytest.approx(2.5)
    assert r.parts["cost"] == pytest.approx(25.0)


def test_lexicographic_puts_distance_before_cost():
    """Site A: 10 km, unit cost 1. Site B: 0 km, unit cost 100. One child.

    Weighted (1 per km): A costs 11, B 100 → A. Lexicographic: km first → B (and no unit at
    A, which would cost 1 more).
    """
    opts = options([{"site": "A", "unit_cost": 1.0}, {"site": "B", "unit_cost": 100.0}])
    g, a = groups([1.0]), arcs([(0, 0, 0.0, 10.0), (0, 1, 0.0, 0.0)])
    weighted = solve(Problem(opts, g, a, objective=Objective(km_weight=1.0)))
    lexi = solve(Problem(opts, g, a, objective=Objective(mode="lexicographic", km_weight=1.0)))
    assert list(weighted.units) == [1, 0]
    assert list(lexi.units) == [0, 1]
    assert lexi.parts["child_km"] == pytest.approx(0.0)


def test_hard_unit_constraint_beyond_limits_is_infeasible():
    """A norm of 3 units where at most 2 can exist has no solution."""
    p = Problem(
        options([{"site": "A"}, {"site": "B"}]),
        groups([1.0]),
        arcs([(0, 0, 0.0, 0.0)]),
        unit_constraints=(UnitConstraint("norm", (0, 1), ">=", 3),),
    )
    r = solve(p)
    assert r.status == "infeasible"
    assert not r.has_solution
    assert math.isnan(r.units[0])


def test_invalid_problem_lists_every_problem():
    p = Problem(
        options([{"site": "A", "capacity": -1.0}]),
        groups([0.0]),
        arcs([(0, 5, 0.0, 0.0)]),
    )
    with pytest.raises(InputDataError) as err:
        solve(p)
    text = str(err.value)
    assert "options.capacity" in text
    assert "groups.demand" in text
    assert "arcs.option" in text
