"""OR-Library readers and exactness: the core reproduces published optima.

Small real instances (cap41–cap44, pmed1–pmed5) run against their known optima; the rest are in
``benchmarks/orlib.py``. Tiny hand-made files check the readers, and every solved plan is
checked against the constraints it must satisfy.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from conftest import ORLIB, needs_orlib
from pyomo.repn import generate_standard_repn

from woonplanner.errors import InputDataError
from woonplanner.model import build_model, solve
from woonplanner.model.build import build_matrix
from woonplanner.orlib import (
    BENCHMARK_MIP_GAP,
    format_rows,
    instance_name,
    read_cap,
    read_optima,
    read_pmed,
    run_benchmark,
)
from woonplanner.problem import Objective, Problem, UnitConstraint


def check_plan(problem: Problem, result) -> None:
    """Re-derive every constraint of a solved OR-Library plan from the result arrays."""
    assert result.has_solution
    group = problem.arcs["group"].to_numpy()
    option = problem.arcs["option"].to_numpy()
    demand = problem.groups["demand"].to_numpy()
    served = np.bincount(group, weights=result.assign, minlength=problem.n_groups)
    np.testing.assert_allclose(served, 1.0, atol=1e-7)  # every customer served in full
    load = np.bincount(option, weights=demand[group] * result.assign, minlength=problem.n_options)
    capacity = problem.options["capacity"].to_numpy() * result.units
    assert np.all(load <= capacity + 1e-6 * np.maximum(capacity, 1.0))
    assert np.all(result.assign <= result.units[option] + 1e-7)  # only open sites serve
    assert set(np.unique(result.units)) <= {0.0, 1.0}
    for c in problem.unit_constraints:
        assert result.units[list(c.options)].sum() == pytest.approx(c.rhs)
    # The objective is what the plan costs.
    cost = problem.options["unit_cost"].to_numpy() @ result.units
    cost += problem.arcs["cost"].to_numpy() @ result.assign
    assert result.objective == pytest.approx(cost, rel=1e-9)


# -- exactness on the published instances ---------------------------------------------------


@needs_orlib
@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["cap41", "cap42", "cap43", "cap44"])
def test_cap_hits_optimum(name):
    optimum = read_optima(ORLIB / "cap" / "optima.tsv")[name]
    problem = read_cap(ORLIB / "cap" / f"{name}.txt")
    result = solve(problem, mip_gap=BENCHMARK_MIP_GAP)
    assert result.status == "optimal"
    assert abs(result.objective - optimum) <= 1e-6 * abs(optimum)
    check_plan(problem, result)


@needs_orlib
@pytest.mark.shared_data
@pytest.mark.parametrize("name", ["pmed1", "pmed2", "pmed3", "pmed4", "pmed5"])
def test_pmed_hits_optimum_exactly(name):
    optimum = read_optima(ORLIB / "pmed" / "pmedopt.txt")[name]
    problem = read_pmed(ORLIB / "pmed" / f"{name}.txt")
    result = solve(problem, mip_gap=BENCHMARK_MIP_GAP)
    assert result.status == "optimal"
    # Integer edge costs: the optimum is an integer, the solver's sum is within rounding of it.
    assert round(result.objective) == optimum
    assert result.objective == pytest.approx(optimum, abs=1e-6)
    check_plan(problem, result)


@needs_orlib
@pytest.mark.shared_data
def test_run_benchmark_finds_optima_next_to_the_file_and_formats_rows():
    rows = run_benchmark([ORLIB / "cap" / "cap41.txt", ORLIB / "pmed" / "pmed1.txt"])
    assert [r["instance"] for r in rows] == ["cap41", "pmed1"]
    assert all(r["status"] == "optimal" and abs(r["rel_diff"]) <= 1e-6 for r in rows)
    lines = format_rows(rows, json=True).splitlines()
    first = json.loads(lines[0])
    assert {"instance", "objective", "optimum", "status", "build_s", "solve_s"} <= set(first)
    table = format_rows(rows, json=False).splitlines()
    assert table[0].split() == [
        "instance", "objective", "optimum", "rel_diff", "status", "build_s", "solve_s"
    ]  # fmt: skip
    assert table[1].startswith("cap41")


@needs_orlib
@pytest.mark.shared_data
def test_capa_needs_a_capacity():
    with pytest.raises(InputDataError, match="word 'capacity'"):
        read_cap(ORLIB / "cap" / "capa.txt")
    optima = read_optima(ORLIB / "cap" / "optima.tsv")
    assert optima["capa_8000"] == pytest.approx(19240822.449)
    problem = read_cap(ORLIB / "cap" / "capa.txt", capacity=8000)
    assert problem.name == "capa_8000"
    assert (problem.options["capacity"] == 8000).all()
    assert (problem.n_options, problem.n_groups) == (100, 1000)


def test_read_optima_pmed_format_skips_header(tmp_path):
    path = tmp_path / "pmedopt.txt"
    path.write_text("Data file   Optimal solution value\npmed1 5819\npmed2 4093\n")
    assert read_optima(path) == {"pmed1": 5819.0, "pmed2": 4093.0}


# -- readers on hand-made files ---------------------------------------------------------------

TINY_CAP = """ 2 3
 10 100.
 10 50.
 4
 8.0 40.0
 5 10. 30.
 6
 12 6
"""

TINY_CAP_WORD = TINY_CAP.replace(" 10 100.", " capacity 100.").replace(" 10 50.", " capacity 50.")


def test_read_cap_wrapped_lines(tmp_path):
    """Numbers wrap freely: customer 1's costs continue on the next line."""
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_CAP)
    p = read_cap(path)
    assert p.name == "tiny"
    assert p.options["capacity"].tolist() == [10.0, 10.0]
    assert p.options["unit_cost"].tolist() == [100.0, 50.0]
    assert p.groups["demand"].tolist() == [4.0, 5.0, 6.0]
    cost = p.arcs.pivot(index="group", columns="option", values="cost").to_numpy()
    np.testing.assert_array_equal(cost, [[8, 40], [10, 30], [12, 6]])


def test_tiny_cap_optimum_by_hand(tmp_path):
    """Demand 4 + 5 + 6 = 15 needs both warehouses (capacity 10 each): fixed 150.

    Each customer then goes to its cheaper warehouse: 1 and 2 to A (8 + 10, load 9 ≤ 10),
    3 to B (6, load 6 ≤ 10). Total 150 + 24 = 174.
    """
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_CAP)
    p = read_cap(path)
    r = solve(p, mip_gap=0.0)
    assert r.objective == pytest.approx(174.0)
    check_plan(p, r)


def test_read_cap_capacity_word_needs_capacity(tmp_path):
    path = tmp_path / "capx.txt"
    path.write_text(
        TINY_CAP.replace(" 10 100.", " capacity 100.").replace(" 10 50.", " capacity 50.")
    )
    with pytest.raises(InputDataError, match=r"capx\.txt: the warehouse capacities are the word"):
        read_cap(path)
    p = read_cap(path, capacity=20)
    assert p.name == "capx_20"
    assert p.options["capacity"].tolist() == [20.0, 20.0]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (TINY_CAP + " 7\n", "expected 15 numbers"),
        (TINY_CAP.replace("40.0", "forty"), "expected a number, got 'forty'"),
        (TINY_CAP.replace(" 5 10.", " 0 10."), "demand must be > 0"),
        ("two 3\n", "first line must hold 2"),
    ],
)
def test_read_cap_errors(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputDataError, match=message):
        read_cap(path)


def test_read_pmed_duplicate_edge_last_wins(tmp_path):
    """Path 1-2-3 and a direct edge 1-3 listed as 1 then (reversed, later) as 9: last wins.

    d(1,3) = min(9, 2 + 3) = 5. With p = 1 the best median is 2: 2 + 0 + 3 = 5.
    """
    path = tmp_path / "pmedx.txt"
    path.write_text(" 3 4 1\n 1 2 2\n 1 3 1\n 2 3 3\n 3 1 9\n")
    p = read_pmed(path)
    cost = p.arcs.pivot(index="group", columns="option", values="cost").to_numpy()
    np.testing.assert_array_equal(cost, [[0, 2, 5], [2, 0, 3], [5, 3, 0]])
    assert p.unit_constraints == (UnitConstraint("p", (0, 1, 2), "==", 1.0),)
    assert (p.options["capacity"] == 3).all()
    r = solve(p, mip_gap=0.0)
    assert r.objective == pytest.approx(5.0)
    assert r.units.tolist() == [0, 1, 0]
    check_plan(p, r)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (" 3 2 1\n 1 2 2\n", "expected 2 edges"),
        (" 3 1 1\n 1 4 2\n", "vertex numbers 1..3"),
        (" 3 1 5\n 1 2 2\n", "p must be between 1 and n = 3"),
    ],
)
def test_read_pmed_errors(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(InputDataError, match=message):
        read_pmed(path)


def test_instance_name():
    assert instance_name("x/capa.txt", 8000.0) == "capa_8000"
    assert instance_name("x/capc.txt", 5750) == "capc_5750"
    assert instance_name("x/cap41.txt", None) == "cap41"


def test_cap_file_without_variant_uses_its_capacities(tmp_path):
    path = tmp_path / "tiny.txt"
    path.write_text(TINY_CAP)
    (tmp_path / "optima.tsv").write_text("tiny\t174\t174\n")
    (row,) = run_benchmark([path])
    assert row["instance"] == "tiny"
    assert row["objective"] == pytest.approx(174.0)
    assert row["rel_diff"] == pytest.approx(0.0, abs=1e-9)


def test_named_variants_and_single_source(tmp_path):
    """Two capacity variants named in the optima; single-source can only cost more.

    At capacity 20 one warehouse serves all: A 100 + 8 + 10 + 12 = 130, B 50 + 40 + 30 + 6 = 126.
    """
    path = tmp_path / "capx.txt"
    path.write_text(
        TINY_CAP.replace(" 10 100.", " capacity 100.").replace(" 10 50.", " capacity 50.")
    )
    optima = {"capx_10": 174.0, "capx_20": 126.0}
    rows = run_benchmark([path], optima=optima)
    assert [r["instance"] for r in rows] == ["capx_10", "capx_20"]
    assert [r["objective"] for r in rows] == pytest.approx([174.0, 126.0])
    single = run_benchmark([path], optima=optima, single_source=True)
    assert single[0]["objective"] >= rows[0]["objective"] - 1e-9


# -- the matrix HiGHS receives is the Pyomo formulation ---------------------------------------


def _pyomo_rows(problem: Problem) -> tuple[list, np.ndarray]:
    """Rows of the Pyomo model as canonical tuples over the formulation's column numbering."""
    m = build_model(problem)
    column = {id(v): k for k, v in enumerate(m.columns)}
    rows = []
    for con in m.component_data_objects(pyo.Constraint, active=True):
        repn = generate_standard_repn(con.body)
        terms = sorted(
            (column[id(v)], c) for v, c in zip(repn.linear_vars, repn.linear_coefs, strict=True)
        )
        lo = -np.inf if con.lower is None else pyo.value(con.lower) - repn.constant
        hi = np.inf if con.upper is None else pyo.value(con.upper) - repn.constant
        rows.append((tuple(terms), lo, hi))
    objective = np.zeros(max(column.values()) + 1)
    repn = generate_standard_repn(m.objective.expr)
    for v, c in zip(repn.linear_vars, repn.linear_coefs, strict=True):
        objective[column[id(v)]] += c
    return sorted(rows), objective


def _matrix_rows(problem: Problem) -> tuple[list, np.ndarray]:
    mm = build_matrix(problem)
    terms: list[list] = [[] for _ in range(mm.n_rows)]
    for col in range(mm.n_cols):
        for k in range(mm.start[col], mm.start[col + 1]):
            terms[mm.index[k]].append((col, mm.value[k]))
    rows = [
        (tuple(sorted(t)), lo, hi)
        for t, lo, hi in zip(terms, mm.row_lower, mm.row_upper, strict=True)
    ]
    return sorted(rows), mm.weighted_objective(problem)


def _rich_problem() -> Problem:
    """Every family at once: existing units, continuous units, soft and hard norms, budget."""
    options = pd.DataFrame(
        {
            "site": ["A", "A", "B"],
            "type": ["pleeggezin", "woongroep", "woongroep"],
            "capacity": [2.0, 6.0, 6.0],
            "existing": [1, 0, 2],
            "max_units": [1, 3, 4],
            "unit_cost": [10.0, 50.0, 55.0],
            "open_cost": [5.0, 20.0, 20.0],
            "close_cost": [1.0, 0.0, 7.0],
            "integer": [True, True, False],
        }
    )
    groups = pd.DataFrame({"demand": [3.0, 4.0, 2.0], "may_be_unplaced": [True, False, True]})
    arcs = pd.DataFrame(
        {
            "group": [0, 0, 1, 1, 2],
            "option": [0, 1, 1, 2, 0],
            "cost": [3.0, 4.0, 5.0, 6.0, 1.0],
            "km": [1.5, 2.0, 0.5, 4.0, 3.0],
        }
    )
    return Problem(
        options,
        groups,
        arcs,
        unit_constraints=(
            UnitConstraint("norm:A", (0, 1), ">=", 2, penalty=100.0),
            UnitConstraint("cap:B", (2,), "<=", 3),
            UnitConstraint("eq", (1, 2), "==", 4, penalty=9.0),
        ),
        objective=Objective(km_weight=0.7),
        budget=1000.0,
        strong_linking=True,
    )


@pytest.mark.parametrize("which", ["tiny_cap", "tiny_pmed", "rich", "rich_greenfield"])
def test_matrix_equals_pyomo_formulation(tmp_path, which):
    if which == "tiny_cap":
        (tmp_path / "t.txt").write_text(TINY_CAP)
        problem = read_cap(tmp_path / "t.txt")
    elif which == "tiny_pmed":
        (tmp_path / "t.txt").write_text(" 4 4 2\n 1 2 2\n 2 3 3\n 3 4 1\n 4 1 7\n")
        problem = read_pmed(tmp_path / "t.txt")
    elif which == "rich":
        problem = _rich_problem()
    else:  # no existing units: no opened/closed columns, open cost on the units
        rich = _rich_problem()
        problem = dataclasses.replace(rich, options=rich.options.assign(existing=0))
    pyomo_rows, pyomo_objective = _pyomo_rows(problem)
    matrix_rows, matrix_objective = _matrix_rows(problem)
    assert pyomo_rows == matrix_rows
    np.testing.assert_allclose(pyomo_objective, matrix_objective)
    columns = build_matrix(problem).columns
    n_opened = columns["opened"].stop - columns["opened"].start
    assert n_opened == (0 if which != "rich" else problem.n_options)


def test_greenfield_costs_open_cost_once_per_unit():
    """Without stock every unit is opened: a unit costs unit_cost + open_cost (10 + 5 = 15)."""
    rich = _rich_problem()
    problem = dataclasses.replace(rich, options=rich.options.assign(existing=0))
    result = solve(problem)
    assert result.opened == pytest.approx(result.units)
    assert not result.closed.any()
    opts = problem.options
    unit_part = float(((opts["unit_cost"] + opts["open_cost"]) * result.units).sum())
    arc_part = float(problem.arcs["cost"].to_numpy() @ result.assign)
    assert result.parts["cost"] == pytest.approx(unit_part + arc_part)
