"""Solve a :class:`~woonplanner.problem.Problem` with HiGHS and return plain arrays.

:class:`SolveResult` holds numpy arrays indexed like the problem's tables, so nothing past this
module ever sees a Pyomo object.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO

import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from woonplanner.model.build import build_model, weighted_objective
from woonplanner.problem import Problem

_STATUS = {
    TerminationCondition.convergenceCriteriaSatisfied: "optimal",
    TerminationCondition.maxTimeLimit: "time_limit",
    TerminationCondition.iterationLimit: "iteration_limit",
    TerminationCondition.objectiveLimit: "objective_limit",
    TerminationCondition.provenInfeasible: "infeasible",
    TerminationCondition.locallyInfeasible: "infeasible",
    TerminationCondition.infeasibleOrUnbounded: "infeasible",
    TerminationCondition.unbounded: "unbounded",
    TerminationCondition.interrupted: "interrupted",
    TerminationCondition.emptyModel: "optimal",
}


@dataclass(frozen=True)
class SolveResult:
    """Outcome of a solve: status, objective, bound, gap, timings and variable values."""

    status: str
    has_solution: bool
    objective: float | None
    bound: float | None
    gap: float | None
    build_s: float
    solve_s: float
    units: np.ndarray = field(repr=False)
    opened: np.ndarray = field(repr=False)
    closed: np.ndarray = field(repr=False)
    assign: np.ndarray = field(repr=False)
    unplaced: np.ndarray = field(repr=False)
    violation: np.ndarray = field(repr=False)
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def optimal(self) -> bool:
        """True when the plan is proven optimal (within the requested gap)."""
        return self.status == "optimal"


def solve(
    problem: Problem,
    *,
    time_limit: float | None = None,
    mip_gap: float = 1e-4,
    threads: int | None = 1,
    seed: int = 0,
    log: Sequence[IO[str]] = (),
) -> SolveResult:
    """Build and solve ``problem`` with HiGHS.

    Parameters
    ----------
    problem
        The instance.
    time_limit
        Seconds for the whole solve (all stages in lexicographic mode); ``None`` for no limit.
    mip_gap
        Relative MIP gap at which HiGHS stops.
    threads
        HiGHS threads; one by default so that runs are reproducible.
    seed
        HiGHS random seed (reproducibility).
    log
        Streams that receive the HiGHS log.
    """
    start = time.perf_counter()
    m = build_model(problem)
    build_s = time.perf_counter() - start

    solver = Highs()
    options = {"random_seed": seed, "mip_rel_gap": mip_gap}
    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit

    def run() -> tuple[str, bool, float | None, float | None]:
        remaining = None if deadline is None else max(deadline - time.perf_counter(), 0.01)
        res = solver.solve(
            m,
            tee=list(log),
            time_limit=remaining,
            rel_gap=mip_gap,
            threads=threads,
            solver_options=options,
            load_solutions=False,
            raise_exception_on_nonoptimal_result=False,
        )
        status = _STATUS.get(res.termination_condition, "error")
        has_solution = res.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)
        if has_solution:
            res.solution_loader.load_vars()
        return status, has_solution, res.incumbent_objective, res.objective_bound

    if problem.objective.mode == "lexicographic":
        status, has_solution, objective, bound = _solve_lexicographic(m, problem, run)
    else:
        status, has_solution, objective, bound = run()
    solve_s = time.perf_counter() - start
    return _result(m, problem, status, has_solution, objective, bound, build_s, solve_s)


def _solve_lexicographic(m: pyo.ConcreteModel, problem: Problem, run):
    """Minimise penalties, then child-km, then cost; hold each earlier part at its optimum."""
    tol = problem.objective.lexicographic_tolerance
    stages = [("penalties", m.penalties), ("child_km", m.child_km), ("cost", m.cost)]
    m.objective.deactivate()
    m.lexicographic = pyo.ConstraintList()
    result = ("optimal", False, None, None)
    for k, (name, expr) in enumerate(stages):
        stage = pyo.Objective(expr=expr, sense=pyo.minimize)
        m.add_component(f"objective_{name}", stage)
        result = run()
        status, has_solution, value, _ = result
        stage.deactivate()
        if status != "optimal" or not has_solution:
            break
        if k < len(stages) - 1:
            # Hold this part at its optimum; the absolute slack keeps HiGHS' own tolerances
            # from making the next stage infeasible.
            m.lexicographic.add(expr <= value + tol * abs(value) + 1e-6 * max(1.0, abs(value)))
    status, has_solution, _, _ = result
    if has_solution:
        # Report the weighted objective of the final plan, so both modes print comparable values.
        value = float(pyo.value(weighted_objective(m, problem)))
        return status, has_solution, value, value if status == "optimal" else None
    return result


def _values(var, index: Sequence[int] | range) -> np.ndarray:
    return np.array([var[i].value or 0.0 for i in index], dtype=float)


def _result(m, problem, status, has_solution, objective, bound, build_s, solve_s) -> SolveResult:
    n_o, n_a, n_g = problem.n_options, problem.n_arcs, problem.n_groups
    if has_solution:
        units = _values(m.units, range(n_o))
        integer = problem.options["integer"].to_numpy(dtype=bool)
        units[integer] = np.round(units[integer])
        opened, closed = _values(m.opened, range(n_o)), _values(m.closed, range(n_o))
        assign = np.clip(_values(m.assign, range(n_a)), 0.0, 1.0)
        unplaced = np.zeros(n_g)
        may = list(m.G_unplaced)
        unplaced[may] = np.clip(_values(m.unplaced, may), 0.0, 1.0)
        violation = (
            _values(m.violation, list(m.C_soft)) if problem.unit_constraints else np.zeros(0)
        )
        full_violation = np.zeros(len(problem.unit_constraints))
        if len(violation):
            full_violation[list(m.C_soft)] = violation
        parts = {
            name: float(pyo.value(getattr(m, name)))
            for name in ("unplaced_children", "penalties", "child_km", "cost")
        }
    else:
        units = opened = closed = np.full(n_o, np.nan)
        assign, unplaced = np.full(n_a, np.nan), np.full(n_g, np.nan)
        full_violation = np.full(len(problem.unit_constraints), np.nan)
        parts = {}
    gap = _gap(objective, bound) if has_solution else None
    return SolveResult(
        status=status,
        has_solution=has_solution,
        objective=None if objective is None else float(objective),
        bound=None if bound is None or not math.isfinite(bound) else float(bound),
        gap=gap,
        build_s=build_s,
        solve_s=solve_s,
        units=units,
        opened=opened,
        closed=closed,
        assign=assign,
        unplaced=unplaced,
        violation=full_violation,
        parts=parts,
    )


def _gap(objective: float | None, bound: float | None) -> float | None:
    """HiGHS' relative gap ``|objective - bound| / |objective|`` (0 when both are 0)."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / max(abs(objective), 1e-10)
