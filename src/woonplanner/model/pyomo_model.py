"""Render a :class:`~woonplanner.model.formulation.Formulation` as a Pyomo model, and solve it
with any solver Pyomo's ``SolverFactory`` knows.

The model is built the fast way Pyomo offers for sparse data: one indexed ``Var`` per variable
family (bounds and domains from the family's arrays) and one
:class:`~pyomo.core.base.matrix_constraint.MatrixConstraint` per constraint family, handed the
family's CSR arrays as they are (no expression per term; Pyomo builds a row's expression only
when a writer or solver asks for it). Like the HiGHS renderer it knows no family by name: the
names of the components are the families' names.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.log import LoggingIntercept
from pyomo.core.expr.numeric_expr import LinearExpression
from pyomo.opt import TerminationCondition

from woonplanner.model.formulation import Constraints, Formulation
from woonplanner.model.highs_model import _csr


def to_pyomo(
    formulation: Formulation,
    *,
    lazy: bool = True,
    extra: Iterable[Constraints] = (),
    costs: np.ndarray | None = None,
    col_lower: np.ndarray | None = None,
    col_upper: np.ndarray | None = None,
) -> pyo.ConcreteModel:
    """The Pyomo model of ``formulation`` (every family; ``lazy=False`` without the lazy ones),
    plus the rows of ``extra``, minimising ``costs`` (default: the weighted objective).

    ``m.columns`` lists the variables in the formulation's column order. The objective parts
    are not built as expressions of their own (each would cost as much as the objective):
    ``formulation.part(name) @ x`` gives them from a solution.
    """
    m = pyo.ConcreteModel(name=formulation.name)
    lower = formulation.col_lower() if col_lower is None else col_lower
    upper = formulation.col_upper() if col_upper is None else col_upper
    integer = formulation.integer()
    columns: list = []
    for v in formulation.variables:
        at = len(columns)
        lo = [None if not math.isfinite(x) else float(x) for x in lower[at : at + v.size].tolist()]
        hi = [None if not math.isfinite(x) else float(x) for x in upper[at : at + v.size].tolist()]
        ints = integer[at : at + v.size].tolist()
        var = pyo.Var(
            range(v.size),
            domain=lambda _m, k, ints=ints: pyo.Integers if ints[k] else pyo.Reals,
            bounds=lambda _m, k, lo=lo, hi=hi: (lo[k], hi[k]),
        )
        m.add_component(v.name, var)
        columns.extend(var[k] for k in range(v.size))
    m.columns = columns
    for c in (*formulation.initial(lazy=lazy), *extra):
        m.add_component(c.name, _constraint(formulation, c, columns))
    cost = formulation.objective() if costs is None else costs
    m.objective = pyo.Objective(expr=_linear(cost, columns), sense=pyo.minimize)
    return m


def _constraint(formulation: Formulation, family: Constraints, columns: list) -> pyo.Constraint:
    """One indexed constraint for ``family``: a ``LinearExpression`` per row from its CSR
    arrays (``(lower, body, upper)``, ``None`` for an infinite bound)."""
    row, col, val, lower, upper = formulation.rows([family])
    start, index, value = _csr(row, col, val, family.n_rows)
    starts, cols, coefs = start.tolist(), index.tolist(), value.tolist()
    lows = [None if not math.isfinite(b) else b for b in lower.tolist()]
    highs = [None if not math.isfinite(b) else b for b in upper.tolist()]

    def rule(_m, k):
        lo, hi = starts[k], starts[k + 1]
        body = LinearExpression(
            constant=0.0,
            linear_coefs=coefs[lo:hi],
            linear_vars=[columns[j] for j in cols[lo:hi]],
        )
        if lo == hi:  # an empty row: a constant, feasible or not
            feasible = (lows[k] is None or lows[k] <= 0) and (highs[k] is None or highs[k] >= 0)
            return pyo.Constraint.Feasible if feasible else pyo.Constraint.Infeasible
        return (lows[k], body, highs[k])

    return pyo.Constraint(range(family.n_rows), rule=rule)


def _linear(vector: np.ndarray, columns: list) -> LinearExpression:
    """``vector @ columns`` over the nonzero entries, as one expression."""
    (nonzero,) = np.nonzero(vector)
    return LinearExpression(
        constant=0.0,
        linear_coefs=vector[nonzero].tolist(),
        linear_vars=[columns[k] for k in nonzero.tolist()],
    )


#: The option names of the time limit and the relative gap, per solver Pyomo runs as a program.
_OPTION_NAMES = {
    "cbc": ("sec", "ratio"),
    "glpk": ("tmlim", "mipgap"),
    "gurobi": ("TimeLimit", "MIPGap"),
    "cplex": ("timelimit", "mipgap"),
    "scip": ("limits/time", "limits/gap"),
    "highs": ("time_limit", "mip_rel_gap"),
}


class SolverUnavailableError(ValueError):
    """A solver name Pyomo does not know, or a solver it cannot run here."""


def pyomo_solver(name: str):
    """Pyomo's solver ``name``, checked: an unknown or missing one raises
    :class:`SolverUnavailableError` saying which."""
    # Pyomo logs a traceback for a name it does not know; the error below says it in one line.
    with LoggingIntercept(io.StringIO(), "pyomo"):
        solver = pyo.SolverFactory(name)
    if solver is None or type(solver).__name__ == "UnknownSolver":
        raise SolverUnavailableError(
            f'{name!r}: Pyomo knows no solver of that name (use "highs", or one of '
            "`pyomo help --solvers`)"
        )
    if not solver.available(exception_flag=False):
        raise SolverUnavailableError(
            f"{name!r}: Pyomo knows this solver but cannot run it here (not installed, or not "
            "on the PATH)"
        )
    return solver


@dataclass(frozen=True)
class PyomoOutcome:
    """What a Pyomo solve gave: status, the column values (``None`` without a plan), bound."""

    status: str
    x: np.ndarray | None
    bound: float | None


_TERMINATION = {
    TerminationCondition.optimal: "optimal",
    TerminationCondition.globallyOptimal: "optimal",
    TerminationCondition.locallyOptimal: "optimal",
    TerminationCondition.maxTimeLimit: "time_limit",
    TerminationCondition.maxIterations: "iteration_limit",
    TerminationCondition.maxEvaluations: "iteration_limit",
    TerminationCondition.infeasible: "infeasible",
    TerminationCondition.infeasibleOrUnbounded: "infeasible",
    TerminationCondition.unbounded: "unbounded",
    TerminationCondition.userInterrupt: "interrupted",
}


def solve_pyomo(
    m: pyo.ConcreteModel,
    name: str,
    *,
    time_limit: float | None,
    mip_gap: float,
    tee: bool = False,
) -> PyomoOutcome:
    """Solve ``m`` (from :func:`to_pyomo`) with Pyomo's solver ``name``."""
    solver = pyomo_solver(name)
    config = getattr(solver, "config", None)
    options: dict[str, float] = {}
    if config is not None and hasattr(config, "mip_gap"):  # APPSI solvers
        config.mip_gap = mip_gap
        if time_limit is not None:
            config.time_limit = max(time_limit, 0.01)
        config.load_solution = False
    else:
        limit_name, gap_name = _OPTION_NAMES.get(name.removeprefix("appsi_"), (None, None))
        if gap_name:
            options[gap_name] = mip_gap
        if limit_name and time_limit is not None:
            options[limit_name] = max(time_limit, 1.0)
    kwargs: dict[str, object] = {"tee": tee, "load_solutions": False}
    if options:
        kwargs["options"] = options
    try:
        results = solver.solve(m, **kwargs)
    finally:
        if "highs" in name:
            # Pyomo's HiGHS starts HiGHS' global thread pool with its own thread count; a later
            # direct HiGHS run with another count would fail until the pool is reset.
            highspy.Highs.resetGlobalScheduler(True)
    status = _TERMINATION.get(results.solver.termination_condition, "error")
    x = None
    try:
        if len(results.solution):
            m.solutions.load_from(results)
        elif hasattr(solver, "load_vars"):
            solver.load_vars()
        values = [v.value for v in m.columns]
        if all(value is not None for value in values):
            x = np.asarray(values, dtype=float)
    except (RuntimeError, ValueError):  # no solution to load
        x = None
    bound = results.problem.lower_bound
    bound = float(bound) if bound is not None and math.isfinite(float(bound)) else None
    if status == "optimal" and x is not None and bound is None:
        bound = float(pyo.value(m.objective))
    return PyomoOutcome(status, x, bound)
