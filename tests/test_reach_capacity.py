"""The reach capacity rows (model.build.reach_capacity_sets): valid, exact, and they cut."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest
from test_aggregate_capacity import lp_relaxation
from test_model_toy import arcs, groups, options

from woonplanner.model import build_matrix, solve
from woonplanner.model.build import reach_capacity_rows, reach_capacity_sets
from woonplanner.model.highs_model import to_highs
from woonplanner.problem import Objective, Problem


def two_neighbourhoods() -> Problem:
    """Woongroepen of 4 at A, B, C, D (unit cost 100, at most 2 each). Group 0 (2.5 children)
    reaches A and B, group 1 (2.5) B and C, group 2 (2.0) only D; unplaced 1,000 a child."""
    opts = options(
        [
            {"site": s, "type": "woongroep", "capacity": 4.0, "max_units": 2, "unit_cost": 100.0}
            for s in "ABCD"
        ]
    )
    return Problem(
        opts,
        groups([2.5, 2.5, 2.0]),
        arcs([(0, 0, 0, 0), (0, 1, 0, 0), (1, 1, 0, 0), (1, 2, 0, 0), (2, 3, 0, 0)]),
        objective=Objective(unplaced_penalty=1000.0),
        strong_linking=True,
    )


def test_one_union_row_by_hand():
    """Each reach alone needs one unit (no row); A + B + C holds groups 0 and 1, 5 children:
    b = 1.25, u_A + u_B + u_C + 2.5 / (4 × 0.25) (s_0 + s_1) >= 2. D's reach needs one unit."""
    problem = two_neighbourhoods()
    sets = reach_capacity_sets(problem)
    assert [(s.options.tolist(), s.groups.tolist(), s.types) for s in sets] == [
        ([0, 1, 2], [0, 1], ("woongroep",))
    ]
    (row,) = reach_capacity_rows(problem)
    assert row.rounded
    assert row.rhs == 2
    assert row.unit_coef.tolist() == [1.0, 1.0, 1.0]
    assert row.unplaced_coef == pytest.approx([2.5, 2.5])


def test_union_row_raises_the_lp_to_the_integer_optimum_by_hand():
    """Without the row the LP opens u_D = 1 (strong linking) and u_B = 1.25 for the 5 children
    of groups 0 and 1 (all units together 2.25: the type row, >= ceil(7 / 4) = 2, holds): 225.
    With it A + B + C need 2 units (leaving 0.4 of a 2.5-child group unplaced instead would cost
    1,000 for 100 saved): 300, the integer optimum (u_B = 2, u_D = 1)."""
    problem = two_neighbourhoods()
    mm = build_matrix(problem, aggregate=False)
    highs = to_highs(mm, threads=1, seed=0, mip_gap=1e-9)
    n = mm.n_cols
    highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    highs.run()
    assert highs.getInfo().objective_function_value == pytest.approx(225.0)
    assert lp_relaxation(problem, aggregate=True) == pytest.approx(300.0)
    with_rows = solve(problem, mip_gap=1e-9)
    without = solve(problem, mip_gap=1e-9, aggregate_capacity=False, separate_linking=False)
    assert with_rows.objective == pytest.approx(300.0)
    assert without.objective == pytest.approx(300.0)


def test_every_row_holds_for_every_integer_plan_of_the_toy():
    """For each of the 81 unit vectors, the fewest unplaced (weighted as in the row) any
    assignment leaves satisfies every reach row: the rows cut off no plan."""
    problem = two_neighbourhoods()
    mm = build_matrix(problem, aggregate=False)
    highs = to_highs(mm, threads=1, seed=0, mip_gap=1e-9)
    n = mm.n_cols
    highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    units = np.arange(mm.columns["units"].start, mm.columns["units"].stop, dtype=np.int32)
    unplaced = mm.columns["unplaced"]
    rows = reach_capacity_rows(problem)
    assert rows
    cut_off_by_lp = 0
    for plan in itertools.product(range(3), repeat=4):
        u = np.asarray(plan, dtype=float)
        highs.changeColsBounds(len(units), units, u, u)
        for row in rows:
            cost = np.zeros(n)
            cost[unplaced.start + row.set.groups] = row.unplaced_coef
            highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
            highs.run()
            least = highs.getInfo().objective_function_value
            assert row.unit_coef @ u[row.set.options] + least >= row.rhs - 1e-9, plan
            cut_off_by_lp += plan[1] == 1 and least > 0
    assert cut_off_by_lp  # one unit at B leaves children unplaced: the row is not trivial


def test_no_row_where_it_cannot_help():
    """Mixed places in a reach, continuous units, or a reach that one unit holds: no set."""
    problem = two_neighbourhoods()
    mixed = problem.options.assign(capacity=[4.0, 1.3, 4.0, 4.0])
    assert reach_capacity_sets(dataclasses.replace(problem, options=mixed)) == []
    continuous = problem.options.assign(integer=False)
    assert reach_capacity_sets(dataclasses.replace(problem, options=continuous)) == []
    small = problem.groups.assign(demand=[1.5, 1.5, 2.0])  # 3 children in A + B + C
    assert reach_capacity_sets(dataclasses.replace(problem, groups=small)) == []


def random_neighbourhoods(seed: int) -> Problem:
    """Eight sites of woongroepen (4 places, up to 2 units) and a few gezinshuizen; ten groups
    each reach two to four neighbouring sites of one type."""
    rng = np.random.default_rng(seed)
    rows = [
        {
            "site": f"S{j}",
            "type": "woongroep" if j < 8 else "gezinshuis",
            "capacity": 4.0,
            "max_units": 2,
            "unit_cost": float(rng.integers(50, 150)),
            "open_cost": float(rng.integers(0, 30)),
        }
        for j in range(11)
    ]
    demand = rng.uniform(0.5, 3.5, 10)
    arc_rows = []
    for g in range(10):
        first = int(rng.integers(0, 7))
        for o in range(first, min(first + int(rng.integers(2, 5)), 8)):
            arc_rows.append((g, o, 5.0 * demand[g], float(rng.uniform(0.5, 9.0))))
    return Problem(
        options(rows),
        pd.DataFrame({"demand": demand, "may_be_unplaced": True}),
        arcs(arc_rows),
        objective=Objective(km_weight=4.0, unplaced_penalty=1000.0),
        strong_linking=True,
    )


@pytest.mark.parametrize("seed", range(6))
def test_same_optimum_with_and_without_the_rows(seed):
    """The reach rows cut off no plan: the same MIP optimum at 1e-9; the LP only rises."""
    p = random_neighbourhoods(seed)
    assert reach_capacity_sets(p)
    with_rows = solve(p, mip_gap=1e-9)
    without = solve(p, mip_gap=1e-9, aggregate_capacity=False, separate_linking=False)
    assert with_rows.status == without.status == "optimal"
    assert with_rows.objective == pytest.approx(without.objective, rel=1e-9)
    assert lp_relaxation(p, aggregate=True) >= lp_relaxation(p, aggregate=False) * (1 - 1e-9)


def test_demo_plan_satisfies_every_reach_row_and_the_rows_raise_the_bound(demo_problem):
    """Re-derived from the demo's plan: every arc of G_R leads into R and R's units hold the
    placed children of G_R."""
    problem = demo_problem
    sets = reach_capacity_sets(problem)
    assert sets
    # The places of 4: gezinshuizen (extra support) and woongroepen (intensive), never mixed
    # with the pleeggezin of 1.3.
    assert ("woongroep",) in {s.types for s in sets}
    assert all("pleeggezin" not in s.types for s in sets)
    result = solve(problem, mip_gap=1e-3)
    demand = problem.groups["demand"].to_numpy()
    group_of_arc = problem.arcs["group"].to_numpy()
    option_of_arc = problem.arcs["option"].to_numpy()
    for s in sets[:: max(1, len(sets) // 200)]:
        assert np.isin(option_of_arc[np.isin(group_of_arc, s.groups)], s.options).all()
        placed = float((demand[s.groups] * (1.0 - result.unplaced[s.groups])).sum())
        assert 4.0 * float(result.units[s.options].sum()) >= placed - 1e-6
    for row in reach_capacity_rows(problem)[::50]:
        lhs = row.unit_coef @ result.units[row.set.options]
        lhs += row.unplaced_coef @ result.unplaced[row.set.groups]
        assert lhs >= row.rhs - 1e-6
