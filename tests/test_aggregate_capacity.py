"""The aggregate capacity rows (model.build.aggregate_capacity_sets) are valid and exact."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pandas as pd
import pytest
from test_model_toy import arcs, groups, options

from woonplanner.model import build_matrix, solve
from woonplanner.model.build import (
    aggregate_capacity_rows,
    aggregate_capacity_sets,
    reach_capacity_rows,
)
from woonplanner.model.highs_model import to_highs
from woonplanner.problem import Objective, Problem


def three_types() -> Problem:
    """Options 0 A-pleeggezin (1.3 places), 1 A-gezinshuis, 2 B-gezinshuis, 3 B-woongroep (4).

    Group 0 reaches a pleeggezin and a gezinshuis, group 1 only gezinshuizen, group 2 a
    gezinshuis and a woongroep.
    """
    opts = options(
        [
            {"site": "A", "type": "pleeggezin", "capacity": 1.3, "max_units": 3},
            {"site": "A", "type": "gezinshuis", "capacity": 4.0, "max_units": 2},
            {"site": "B", "type": "gezinshuis", "capacity": 4.0, "max_units": 2},
            {"site": "B", "type": "woongroep", "capacity": 4.0, "max_units": 2},
        ]
    )
    return Problem(
        opts,
        groups([1.0, 2.5, 3.0]),
        arcs([(0, 0, 1, 1), (0, 1, 1, 1), (1, 1, 1, 1), (1, 2, 1, 1), (2, 2, 1, 1), (2, 3, 1, 1)]),
    )


def test_one_set_per_reachable_type_set_and_one_for_all_types():
    sets = aggregate_capacity_sets(three_types())
    found = {s.types: (s.options.tolist(), s.groups.tolist()) for s in sets}
    assert found == {
        ("gezinshuis",): ([1, 2], [1]),
        ("gezinshuis", "pleeggezin"): ([0, 1, 2], [0, 1]),
        ("gezinshuis", "woongroep"): ([1, 2, 3], [1, 2]),
        ("gezinshuis", "pleeggezin", "woongroep"): ([0, 1, 2, 3], [0, 1, 2]),
    }


def dense_rows(mm) -> np.ndarray:
    dense = np.zeros((mm.n_rows, mm.n_cols))
    for col in range(mm.n_cols):
        for k in range(mm.start[col], mm.start[col + 1]):
            dense[mm.index[k], col] = mm.value[k]
    return dense


def test_rows_by_hand_plain_and_rounded():
    """Gezinshuis set: 4 (u1 + u2) + 2.5 s1 >= 2.5, rounded u1 + u2 + s1 >= 1 (b = 0.625).
    Gezinshuis + woongroep: 4 (u1 + u2 + u3) + 2.5 s1 + 3 s2 >= 5.5, rounded with b = 1.375:
    u1 + u2 + u3 + 2.5/0.375/4 s1 + 3/0.375/4 s2 >= 2. Sets with a pleeggezin (1.3 places
    beside 4) get no rounded row."""
    problem = three_types()
    rows = {(r.set.types, r.rounded): r for r in aggregate_capacity_rows(problem)}
    assert len(rows) == 6
    assert not any(rounded for types, rounded in rows if "pleeggezin" in types)
    plain = rows[("gezinshuis",), False]
    assert plain.unit_coef.tolist() == [4.0, 4.0]
    assert plain.unplaced_coef.tolist() == [2.5]
    assert plain.rhs == pytest.approx(2.5)
    rounded = rows[("gezinshuis",), True]
    assert rounded.unit_coef.tolist() == [1.0, 1.0]
    assert rounded.unplaced_coef == pytest.approx([1.0])
    assert rounded.rhs == 1
    both = rows[("gezinshuis", "woongroep"), True]
    assert both.set.options.tolist() == [1, 2, 3]
    assert both.unplaced_coef == pytest.approx([2.5 / 1.5, 3.0 / 1.5])
    assert both.rhs == 2
    everything = rows[("gezinshuis", "pleeggezin", "woongroep"), False]
    assert everything.unit_coef.tolist() == [1.3, 4.0, 4.0, 4.0]
    assert everything.unplaced_coef.tolist() == [1.0, 2.5, 3.0]
    assert everything.rhs == pytest.approx(6.5)

    # The matrix holds exactly these rows, after the others, on the units and unplaced columns.
    mm = build_matrix(problem, linking=False)
    without = build_matrix(problem, linking=False, aggregate=False)
    assert mm.n_rows == without.n_rows + 6
    dense = dense_rows(mm)
    units, unplaced = mm.columns["units"], mm.columns["unplaced"]
    for k, row in enumerate(aggregate_capacity_rows(problem)):
        expected_units = np.zeros(problem.n_options)
        expected_units[row.set.options] = row.unit_coef
        expected_unplaced = np.zeros(problem.n_groups)
        expected_unplaced[row.set.groups] = row.unplaced_coef
        assert dense[without.n_rows + k, units] == pytest.approx(expected_units)
        assert dense[without.n_rows + k, unplaced] == pytest.approx(expected_unplaced)
        assert mm.row_lower[without.n_rows + k] == pytest.approx(row.rhs)
        assert mm.row_upper[without.n_rows + k] == np.inf


def test_every_row_holds_for_every_integer_plan_of_the_toy():
    """For each of the 108 unit vectors of the toy, the fewest unplaced children any assignment
    leaves still satisfies every row: the rows cut off no plan."""
    problem = three_types()
    mm = build_matrix(problem, aggregate=False)
    highs = to_highs(mm, threads=1, seed=0, mip_gap=1e-9)
    n = mm.n_cols
    highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    units = np.arange(mm.columns["units"].start, mm.columns["units"].stop, dtype=np.int32)
    unplaced = mm.columns["unplaced"]
    rows = aggregate_capacity_rows(problem)
    assert any(r.rounded for r in rows)
    max_units = problem.options["max_units"].to_numpy()
    checked = 0
    for plan in itertools.product(*(range(int(m) + 1) for m in max_units)):
        u = np.asarray(plan, dtype=float)
        highs.changeColsBounds(len(units), units, u, u)
        for row in rows:
            cost = np.zeros(n)
            cost[unplaced.start + row.set.groups] = row.unplaced_coef  # every group may be unplaced
            highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
            highs.run()
            least = highs.getInfo().objective_function_value
            assert row.unit_coef @ u[row.set.options] + least >= row.rhs - 1e-9, (plan, row.rhs)
            checked += 1
    assert checked == 108 * len(rows)


def test_no_row_where_it_cannot_help():
    """Unbounded capacity makes a row empty of meaning; continuous units need no rounding."""
    problem = three_types()
    unbounded = problem.options.assign(capacity=[1.3, 4.0, 4.0, np.inf])  # the woongroep
    sets = aggregate_capacity_sets(dataclasses.replace(problem, options=unbounded))
    assert [s.types for s in sets] == [("gezinshuis",), ("gezinshuis", "pleeggezin")]
    continuous = problem.options.assign(integer=False)
    assert aggregate_capacity_sets(dataclasses.replace(problem, options=continuous)) == []
    assert aggregate_capacity_sets(dataclasses.replace(problem, arcs=problem.arcs.iloc[:0])) == []


def random_typed_problem(seed: int) -> Problem:
    """Five sites × three types with small capacities; groups reach random types and sites."""
    rng = np.random.default_rng(seed)
    types = {"p": 1.3, "g": 4.0, "w": 4.0}
    rows = [
        {
            "site": f"S{j}",
            "type": t,
            "capacity": q,
            "max_units": 3,
            "unit_cost": float(rng.integers(20, 120)),
            "open_cost": float(rng.integers(0, 30)),
        }
        for j in range(5)
        for t, q in types.items()
    ]
    opts = options(rows)
    demand = rng.uniform(0.2, 3.0, 12)
    arc_rows = []
    for g in range(12):
        allowed = [t for t in types if rng.random() < 0.6] or ["g"]
        for o, row in enumerate(rows):
            if row["type"] in allowed and rng.random() < 0.7:
                arc_rows.append((g, o, 5.0 * demand[g], float(rng.uniform(0.5, 9.0))))
    return Problem(
        opts,
        pd.DataFrame({"demand": demand, "may_be_unplaced": True}),
        arcs(arc_rows),
        objective=Objective(km_weight=4.0, unplaced_penalty=1000.0),
        strong_linking=True,
    )


def lp_relaxation(problem: Problem, *, aggregate: bool, rounded: bool = True) -> float:
    mm = build_matrix(problem, aggregate=aggregate)
    highs = to_highs(mm, threads=1, seed=0, mip_gap=1e-9)
    n = mm.n_cols
    highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    if aggregate and not rounded:  # drop the rounded rows (and the reach rows, all rounded)
        first = build_matrix(problem, aggregate=False).n_rows
        kept = [not r.rounded for r in aggregate_capacity_rows(problem)]
        kept += [False] * len(reach_capacity_rows(problem))
        drop = np.array([first + k for k, keep in enumerate(kept) if not keep], dtype=np.int32)
        highs.deleteRows(len(drop), drop)
    highs.run()
    return highs.getInfo().objective_function_value


@pytest.mark.parametrize("seed", range(6))
def test_same_optimum_with_and_without_the_rows_and_the_plain_rows_leave_the_lp(seed):
    """The rows cut off no plan (same MIP optimum at 1e-9); the plain rows are implied by the
    LP (same relaxation), the rounded ones may raise it."""
    p = random_typed_problem(seed)
    assert len(aggregate_capacity_sets(p)) >= 2
    with_rows = solve(p, mip_gap=1e-9)
    without = solve(p, mip_gap=1e-9, aggregate_capacity=False, separate_linking=False)
    assert with_rows.status == without.status == "optimal"
    assert with_rows.objective == pytest.approx(without.objective, rel=1e-9)
    lp = lp_relaxation(p, aggregate=False)
    assert lp_relaxation(p, aggregate=True, rounded=False) == pytest.approx(lp, rel=1e-9)
    assert lp_relaxation(p, aggregate=True) >= lp - 1e-9 * abs(lp)


def test_rounded_row_raises_the_lp_bound_by_hand():
    """One type of 4 places at unit cost 100, five children who cost 1,000 each unplaced. The
    LP opens 1.25 units (125); the rounded row u + 5/(4 × 0.25) s >= 2 makes the second unit
    a whole one (200) or costs a whole child unplaced (s = 0.2: 1,100): LP 200, the integer
    optimum."""
    problem = Problem(
        options([{"site": "A", "capacity": 4.0, "max_units": 3, "unit_cost": 100.0}]),
        groups([5.0]),
        arcs([(0, 0, 0.0, 0.0)]),
        objective=Objective(unplaced_penalty=1000.0),
    )
    assert lp_relaxation(problem, aggregate=False) == pytest.approx(125.0)
    assert lp_relaxation(problem, aggregate=True, rounded=False) == pytest.approx(125.0)
    assert lp_relaxation(problem, aggregate=True) == pytest.approx(200.0)
    assert solve(problem, mip_gap=1e-9).objective == pytest.approx(200.0)


def test_demo_plan_satisfies_every_row_and_each_set_keeps_its_children_inside(demo_problem):
    """Re-derived from the demo's plan: every arc of G_T leads into O_T, and the places of O_T
    hold the placed children of G_T."""
    problem = demo_problem
    sets = aggregate_capacity_sets(problem)
    # Children with extra support reach only gezinshuizen, intensive ones only woongroepen.
    assert {s.types for s in sets} >= {
        ("gezinshuis", "pleeggezin", "woongroep"),
        ("gezinshuis",),
        ("woongroep",),
    }
    result = solve(problem, mip_gap=1e-3)
    demand = problem.groups["demand"].to_numpy()
    capacity = problem.options["capacity"].to_numpy()
    group_of_arc = problem.arcs["group"].to_numpy()
    option_of_arc = problem.arcs["option"].to_numpy()
    for s in sets:
        from_set = np.isin(group_of_arc, s.groups)
        assert np.isin(option_of_arc[from_set], s.options).all()
        placed = float((demand[s.groups] * (1.0 - result.unplaced[s.groups])).sum())
        assert float(capacity[s.options] @ result.units[s.options]) >= placed - 1e-6
