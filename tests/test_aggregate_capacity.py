"""The aggregate capacity rows (model.build.aggregate_capacity_sets) are valid and exact."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from test_model_toy import arcs, groups, options

from woonplanner.model import build_matrix, solve
from woonplanner.model.build import aggregate_capacity_sets
from woonplanner.model.solve import _highs
from woonplanner.problem import Objective, Problem
from woonplanner.runner import prepare
from woonplanner.scenario import load_scenario


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


def test_matrix_rows_are_places_plus_unplaced_children_at_least_the_demand():
    problem = three_types()
    mm = build_matrix(problem, linking=False)
    plain = build_matrix(problem, linking=False, aggregate=False)
    assert mm.n_rows == plain.n_rows + 4
    dense = np.zeros((mm.n_rows, mm.n_cols))
    for col in range(mm.n_cols):
        for k in range(mm.start[col], mm.start[col + 1]):
            dense[mm.index[k], col] = mm.value[k]
    # The gezinshuis row (the first set): 4 u_1 + 4 u_2 + 2.5 s_1 >= 2.5.
    row = dense[plain.n_rows]
    units, unplaced = mm.columns["units"], mm.columns["unplaced"]
    assert row[units].tolist() == [0.0, 4.0, 4.0, 0.0]
    assert row[unplaced].tolist() == [0.0, 2.5, 0.0]
    assert mm.row_lower[plain.n_rows] == pytest.approx(2.5)
    assert mm.row_upper[plain.n_rows] == np.inf
    # The all-types row (sets come in the order of aggregate_capacity_sets):
    # 1.3 u_0 + 4 (u_1 + u_2 + u_3) + demand × unplaced >= 6.5.
    k = [s.types for s in aggregate_capacity_sets(problem)].index(
        ("gezinshuis", "pleeggezin", "woongroep")
    )
    row = dense[plain.n_rows + k]
    assert row[units].tolist() == [1.3, 4.0, 4.0, 4.0]
    assert row[unplaced].tolist() == [1.0, 2.5, 3.0]
    assert mm.row_lower[plain.n_rows + k] == pytest.approx(6.5)


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


def lp_relaxation(problem: Problem, *, aggregate: bool) -> float:
    mm = build_matrix(problem, aggregate=aggregate)
    highs = _highs(mm, problem, threads=1, seed=0, mip_gap=1e-9, log=())
    n = mm.n_cols
    highs.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8))
    highs.run()
    return highs.getInfo().objective_function_value


@pytest.mark.parametrize("seed", range(6))
def test_same_optimum_and_lp_relaxation_with_and_without_the_rows(seed):
    """The rows cut off no plan (same MIP optimum at 1e-9) and are implied by the LP."""
    p = random_typed_problem(seed)
    assert len(aggregate_capacity_sets(p)) >= 2
    with_rows = solve(p, mip_gap=1e-9)
    without = solve(p, mip_gap=1e-9, aggregate_capacity=False, separate_linking=False)
    assert with_rows.status == without.status == "optimal"
    assert with_rows.objective == pytest.approx(without.objective, rel=1e-9)
    assert lp_relaxation(p, aggregate=True) == pytest.approx(
        lp_relaxation(p, aggregate=False), rel=1e-9
    )


def test_demo_plan_satisfies_every_row_and_each_set_keeps_its_children_inside():
    """Re-derived from the demo's plan: every arc of G_T leads into O_T, and the places of O_T
    hold the placed children of G_T."""
    problem = prepare(load_scenario("demo")).problem
    sets = aggregate_capacity_sets(problem)
    assert {s.types for s in sets} >= {
        ("gezinshuis", "pleeggezin", "woongroep"),
        ("gezinshuis", "woongroep"),
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
