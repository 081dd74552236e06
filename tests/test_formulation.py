"""One formulation, two renderings: the HiGHS matrix and the Pyomo model agree term by term,
and a second solver through Pyomo finds the same optimum as the direct HiGHS path."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from pyomo.repn import generate_standard_repn

from woonplanner.model import (
    SolverUnavailableError,
    build_matrix,
    build_model,
    formulate,
    solve,
)
from woonplanner.model.highs_model import to_matrix
from woonplanner.orlib import read_cap
from woonplanner.problem import Objective, Problem
from woonplanner.runner import prepare
from woonplanner.scenario import load_scenario

SHARED = Path(
    os.environ.get("WOONPLANNER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared/data")
)
CAP41 = SHARED / "orlib" / "cap" / "cap41.txt"
needs_cap41 = pytest.mark.skipif(not CAP41.exists(), reason="OR-Library data not available")


@pytest.fixture(scope="module")
def demo_problem() -> Problem:
    return prepare(load_scenario("demo")).problem


@pytest.fixture(scope="module")
def cap41() -> Problem:
    if not CAP41.exists():
        pytest.skip("OR-Library data not available")
    return read_cap(CAP41)


def highs_side(problem: Problem):
    """Columns (lower, upper, integer), rows (sorted terms, lower, upper), objective of the
    matrix HiGHS gets, every row in place."""
    mm = build_matrix(problem)
    terms: list[list] = [[] for _ in range(mm.n_rows)]
    for col in range(mm.n_cols):
        for k in range(mm.start[col], mm.start[col + 1]):
            terms[mm.index[k]].append((col, float(mm.value[k])))
    rows = sorted(
        (tuple(sorted(t)), float(lo), float(hi))
        for t, lo, hi in zip(terms, mm.row_lower, mm.row_upper, strict=True)
    )
    columns = list(
        zip(mm.col_lower.tolist(), mm.col_upper.tolist(), mm.integer.tolist(), strict=True)
    )
    return columns, rows, mm.weighted_objective()


def pyomo_side(problem: Problem):
    """The same read from the Pyomo model, over its column order (``m.columns``)."""
    m = build_model(problem)
    column = {id(v): k for k, v in enumerate(m.columns)}
    columns = [
        (
            -np.inf if v.lb is None else float(v.lb),
            np.inf if v.ub is None else float(v.ub),
            v.is_integer(),
        )
        for v in m.columns
    ]
    rows = []
    for con in m.component_data_objects(pyo.Constraint, active=True):
        repn = generate_standard_repn(con.body, compute_values=True)
        terms = sorted(
            (column[id(v)], float(c))
            for v, c in zip(repn.linear_vars, repn.linear_coefs, strict=True)
        )
        lo = -np.inf if con.lower is None else float(pyo.value(con.lower)) - repn.constant
        hi = np.inf if con.upper is None else float(pyo.value(con.upper)) - repn.constant
        rows.append((tuple(terms), lo, hi))
    objective = np.zeros(len(columns))
    repn = generate_standard_repn(m.objective.expr)
    for v, c in zip(repn.linear_vars, repn.linear_coefs, strict=True):
        objective[column[id(v)]] += c
    return columns, sorted(rows), objective


@pytest.mark.parametrize("which", ["demo", "cap41"])
def test_highs_matrix_and_pyomo_model_agree_term_by_term(which, request):
    problem = request.getfixturevalue("demo_problem" if which == "demo" else "cap41")
    h_columns, h_rows, h_objective = highs_side(problem)
    p_columns, p_rows, p_objective = pyomo_side(problem)
    assert p_columns == h_columns
    assert len(p_rows) == len(h_rows) == build_matrix(problem).n_rows
    assert p_rows == h_rows
    np.testing.assert_array_equal(p_objective, h_objective)
    # Every family is in both, the lazy linking rows included (the demo has them).
    names = {c.name for c in formulate(problem).constraints}
    m = build_model(problem)
    assert names <= {c.name for c in m.component_objects(pyo.Constraint)}
    if which == "demo":
        assert "linking" in names


def test_lazy_rows_and_holding_rows_come_from_the_family(demo_problem):
    """The solve's subset of the linking family and a lexicographic holding row are the
    family's rows: added to the matrix without them, the lazy families (linking and reach
    capacity) give the full matrix's rows."""
    f = formulate(demo_problem)
    assert [c.name for c in f.constraints if c.lazy] == ["linking", "reach_capacity"]
    linking = f.constraint("linking")
    without = to_matrix(f, lazy=False)
    lazy_rows = sum(c.n_rows for c in f.constraints if c.lazy)
    assert without.n_rows + lazy_rows == to_matrix(f).n_rows
    half = linking.subset(np.arange(0, linking.n_rows, 2))
    row, col, val, lower, upper = f.rows([half])
    assert len(lower) == (linking.n_rows + 1) // 2
    assert np.all(upper == 0)
    assert np.all(lower == -np.inf)
    # Row k of the subset is x[a] - u[o(a)] <= 0 for the k-th even arc of the family.
    arcs = linking.of[::2]
    assign = f.columns["assign"].start + arcs
    units = f.columns["units"].start + demo_problem.arcs["option"].to_numpy()[arcs]
    for k in (0, len(arcs) - 1):
        mine = {int(c): float(v) for c, v in zip(col[row == k], val[row == k], strict=True)}
        assert mine == {int(assign[k]): 1.0, int(units[k]): -1.0}
    hold = f.objective_row("child_km", 123.0)
    _, c, v, lo, hi = f.rows([hold])
    dense = np.zeros(f.n_cols)
    dense[c] = v
    np.testing.assert_array_equal(dense, f.part("child_km"))
    assert (lo[0], hi[0]) == (-np.inf, 123.0)


def toy_single_source(single: bool | None) -> Problem:
    """Two groups of 3 children, two sites of 4 places: splitting group 0 over both sites is
    cheapest (2 + 1 at site A), but as a single-source group it must go whole to one site."""
    options = pd.DataFrame(
        {
            "site": ["A", "B"],
            "type": ["t", "t"],
            "capacity": [4.0, 4.0],
            "existing": [1, 1],
            "max_units": [1, 1],
            "unit_cost": [0.0, 0.0],
            "open_cost": [0.0, 0.0],
            "close_cost": [0.0, 0.0],
            "integer": [True, True],
        }
    )
    groups = pd.DataFrame({"demand": [3.0, 3.0], "may_be_unplaced": [True, True]})
    if single is not None:
        groups["single_source"] = [single, False]
    arcs = pd.DataFrame(
        {"group": [0, 0, 1], "option": [0, 1, 0], "cost": [0.0, 0.0, 0.0], "km": [1.0, 10.0, 1.0]}
    )
    # group 1 reaches only A: A has 1 place left for group 0, so a split puts 1 child at A (1 km)
    # and 2 at B (10 km); whole, group 0 goes to B (3 × 10 km).
    return Problem(
        options,
        groups,
        arcs,
        objective=Objective(km_weight=1.0),
    )


def test_single_source_group_column_makes_its_arcs_binary():
    split = toy_single_source(None)
    flagged = toy_single_source(True)
    assign = build_matrix(split).columns["assign"]
    assert not build_matrix(split).integer[assign].any()
    assert build_matrix(flagged).integer[assign].tolist() == [True, True, False]
    assert (
        build_matrix(toy_single_source(False)).integer.tolist()
        == build_matrix(split).integer.tolist()
    )
    free = solve(split, mip_gap=1e-9)
    whole = solve(flagged, mip_gap=1e-9)
    # Free: 3 at A for group 1 leaves one place: group 0 splits 1/3 at A, 2/3 at B.
    assert free.assign[:2] == pytest.approx([1 / 3, 2 / 3])
    assert free.parts["child_km"] == pytest.approx(3 * 1 + 1 * 1 + 2 * 10)
    # Whole: group 0 goes all to B.
    assert whole.assign.tolist() == pytest.approx([0.0, 1.0, 1.0])
    assert whole.parts["child_km"] == pytest.approx(3 * 1 + 3 * 10)
    # Another solver through Pyomo agrees.
    assert solve(flagged, mip_gap=1e-9, solver="appsi_highs").parts["child_km"] == pytest.approx(
        33.0
    )


@pytest.mark.parametrize("solver", ["appsi_highs", "glpk", "cbc"])
def test_a_second_solver_through_pyomo_finds_the_same_optimum_on_cap41(cap41, solver):
    direct = solve(cap41, mip_gap=1e-9)
    other = solve(cap41, mip_gap=1e-9, solver=solver)
    assert direct.status == other.status == "optimal"
    # (CBC's plan is feasible to its own tolerances: 1.5e-9 below the optimum on cap41.)
    assert other.objective == pytest.approx(1040444.375, rel=1e-8)
    assert other.objective == pytest.approx(direct.objective, rel=1e-8)
    assert other.units.tolist() == direct.units.tolist()


@pytest.mark.parametrize("solver", ["appsi_highs", "cbc"])
def test_a_second_solver_through_pyomo_finds_the_same_optimum_on_the_demo(demo_problem, solver):
    gap = 1e-4
    direct = solve(demo_problem, mip_gap=gap)
    other = solve(demo_problem, mip_gap=gap, solver=solver)
    assert direct.status == other.status == "optimal"
    # Both within the gap of the optimum: each objective above the other's bound.
    assert other.objective == pytest.approx(direct.objective, rel=2 * gap)
    assert other.objective >= direct.bound * (1 - 1e-9)
    assert direct.objective >= other.bound * (1 - 1e-9)


def test_an_unknown_or_missing_solver_is_named(cap41):
    with pytest.raises(SolverUnavailableError, match=r"'no_such_solver': Pyomo knows no solver"):
        solve(cap41, solver="no_such_solver")
    with pytest.raises(SolverUnavailableError, match=r"'gurobi': .* cannot run it here"):
        solve(cap41, solver="gurobi")
