"""Solve a :class:`~woonplanner.problem.Problem` with HiGHS and return plain arrays.

The model goes to HiGHS as arrays (:func:`~woonplanner.model.build.build_matrix`, the same
formulation as the Pyomo model of :func:`~woonplanner.model.build.build_model`) through
``highspy``: no per-variable Python objects, no expression walking, no value loading one
variable at a time. :class:`SolveResult` holds numpy arrays indexed like the problem's tables, so
nothing past this module ever sees a solver object.
"""

from __future__ import annotations

import io
import math
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field, replace
from typing import IO

import highspy
import numpy as np
from highspy.highs import HighsCallbackEvent
from pyomo.common.tee import capture_output

from woonplanner.model.build import (
    MatrixModel,
    build_matrix,
    linked_arcs,
    uncapacitated_options,
)
from woonplanner.problem import MergedGroups, Problem, merge_identical_groups

_MS = highspy.HighsModelStatus
_STATUS = {
    _MS.kOptimal: "optimal",
    _MS.kModelEmpty: "optimal",
    _MS.kTimeLimit: "time_limit",
    _MS.kIterationLimit: "iteration_limit",
    _MS.kSolutionLimit: "iteration_limit",
    _MS.kObjectiveBound: "objective_limit",
    _MS.kObjectiveTarget: "objective_limit",
    _MS.kInfeasible: "infeasible",
    _MS.kUnboundedOrInfeasible: "infeasible",
    _MS.kUnbounded: "unbounded",
    _MS.kInterrupt: "interrupted",
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
    #: Size of the model HiGHS solved (after merging groups; linking rows as separated).
    columns: int = 0
    rows: int = 0

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
    merge_groups: bool = True,
    separate_linking: bool = True,
    aggregate_capacity: bool = True,
    progress: Callable[[str], None] | None = None,
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
    merge_groups
        Solve with identical demand groups merged (exact, see
        :func:`~woonplanner.problem.merge_identical_groups`); ``False`` solves the problem as
        given (for comparisons).
    separate_linking
        Add the strong-linking rows ``x <= u`` only where the LP relaxation violates them
        (exact, see :func:`_separate_linking`); ``False`` puts every one in the model.
    aggregate_capacity
        Add the aggregate capacity rows (valid inequalities, see
        :func:`~woonplanner.model.build.aggregate_capacity_sets`); ``False`` leaves them out
        (for comparisons).
    progress
        Receives a line per step (the LP bound, the first plan and its gap) and, during the
        branch and bound, the gap every :data:`PROGRESS_INTERVAL_S` seconds.
    """
    start = time.perf_counter()
    # Identical demand groups become one (exact; see merge_identical_groups); the result is
    # expanded back to the original groups and arcs at the end.
    merged = merge_identical_groups(problem) if merge_groups else MergedGroups.identity(problem)
    original, problem = problem, merged.problem
    # Linking rows of options whose capacity can never bind are not separated (see
    # _separate_linking); when every row is of that kind the model is built with them in place.
    linked = linked_arcs(problem)
    at_once = uncapacitated_options(problem)[problem.arcs["option"].to_numpy()[linked]]
    separate = separate_linking and not at_once.all()
    mm = build_matrix(problem, linking=not separate, aggregate=aggregate_capacity)
    highs = _highs(mm, problem, threads=threads, seed=seed, mip_gap=mip_gap, log=log)
    build_s = time.perf_counter() - start

    start = time.perf_counter()
    deadline = None if time_limit is None else start + time_limit

    interrupted = False

    def run(limit: float | None = None) -> tuple[str, bool, float | None, float | None]:
        """Run HiGHS until the deadline (or for ``limit`` seconds, if sooner).

        Once a run is interrupted (Ctrl-C, SIGTERM), every later one returns at once.
        """
        nonlocal interrupted
        if interrupted:
            return "interrupted", False, None, None
        seconds = math.inf if deadline is None else deadline - time.perf_counter()
        if limit is not None:
            seconds = min(seconds, limit)
        highs.setOptionValue("time_limit", max(seconds, 0.01) if seconds < math.inf else math.inf)
        # solve() runs HiGHS in a thread and cancels it on KeyboardInterrupt (Ctrl-C, or the
        # command line's SIGTERM handler); the status is then "interrupted".
        with redirect_stdout(io.StringIO()):  # highspy prints its own Ctrl-C notice
            highs.solve()
        outcome = _outcome(highs)
        interrupted = outcome[0] == "interrupted"
        return outcome

    say = progress or (lambda _message: None)
    costs = mm.weighted_objective(problem)
    x_lp = x_start = None
    if separate or not separate_linking:  # not when every row went in at once
        x_lp = _separate_linking(highs, mm, problem, run, at_once=at_once if separate else None)
        if x_lp is not None:
            elapsed = time.perf_counter() - start
            say(f"  LP relaxation: bound {costs @ x_lp:,.0f} ({elapsed:.1f} s)")
    if x_lp is not None and HEURISTIC_SHARE > 0:
        x_start = _lp_guided_start(highs, mm, x_lp, run, deadline, mip_gap)
        if x_start is not None:
            gap = _gap(float(costs @ x_start), float(costs @ x_lp))
            elapsed = time.perf_counter() - start
            say(
                f"  first plan {costs @ x_start:,.0f}, {100 * (gap or 0.0):.2f} % above the LP "
                f"bound ({elapsed:.1f} s)"
            )
    proven = None
    with _reporting(highs, progress, start):
        if problem.objective.mode == "lexicographic":
            status, has_solution, objective, bound = _solve_lexicographic(highs, mm, problem, run)
        elif (proven := _start_proven(costs, x_lp, x_start, mip_gap, log)) is not None:
            status, has_solution, objective, bound = proven
            say(f"  the first plan is within the {100 * mip_gap:g} % gap: no branch and bound")
        else:
            status, has_solution, objective, bound = run()
    if proven is not None:
        x = x_start
    else:
        x = np.asarray(highs.getSolution().col_value, dtype=float) if has_solution else None
    if status == "optimal" and x is not None and problem.objective.mode == "weighted":
        kept = _keep_existing_if_within_gap(highs, mm, problem, x, bound, mip_gap, run)
        if kept is not None:
            x, objective = kept
    solve_s = time.perf_counter() - start
    result = _result(mm, problem, x, status, has_solution, objective, bound, build_s, solve_s)
    result = replace(result, columns=highs.getNumCol(), rows=highs.getNumRow())
    if problem is original:
        return result
    return replace(
        result,
        assign=merged.expand_assign(result.assign),
        unplaced=merged.expand_unplaced(result.unplaced),
    )


def _highs(
    mm: MatrixModel,
    problem: Problem,
    *,
    threads: int | None,
    seed: int,
    mip_gap: float,
    log: Sequence[IO[str]],
) -> highspy.Highs:
    """A HiGHS instance holding the model with the weighted objective."""
    # The first Highs() of a process prints a banner on the C stdout; keep it off ours (JSON
    # output of the command line must stay clean). Not inside a Jupyter kernel: swapping file
    # descriptors there races the kernel's own sockets, and the banner does no harm.
    if "ipykernel" in sys.modules:
        highs = highspy.Highs()
    else:
        with capture_output(capture_fd=True):
            highs = highspy.Highs()
    highs.setOptionValue("output_flag", bool(log))
    highs.setOptionValue("log_to_console", False)
    if log:
        streams = list(log)

        def forward(event) -> None:
            for stream in streams:
                stream.write(event.message)

        highs.cbLogging.subscribe(forward)
    if threads is not None:
        highs.setOptionValue("threads", threads)
    highs.setOptionValue("random_seed", seed)
    highs.HandleKeyboardInterrupt = True
    highs.setOptionValue("mip_rel_gap", mip_gap)

    lp = highspy.HighsLp()
    lp.num_col_ = mm.n_cols
    lp.num_row_ = mm.n_rows
    lp.col_cost_ = mm.weighted_objective(problem)
    lp.col_lower_ = mm.col_lower
    lp.col_upper_ = mm.col_upper
    lp.row_lower_ = mm.row_lower
    lp.row_upper_ = mm.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = mm.start
    lp.a_matrix_.index_ = mm.index
    lp.a_matrix_.value_ = mm.value
    if mm.integer.any():
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[k] for k in mm.integer.tolist()]
    highs.passModel(lp)
    return highs


def _outcome(highs: highspy.Highs) -> tuple[str, bool, float | None, float | None]:
    """Status, whether there is a solution, objective and bound after ``run()``."""
    status = _STATUS.get(highs.getModelStatus(), "error")
    info = highs.getInfo()
    has_solution = info.primal_solution_status == 2  # 2: feasible
    objective = info.objective_function_value if has_solution else None
    if info.mip_node_count == -1:  # solved as an LP: the bound is the objective
        bound = objective if status == "optimal" else None
    else:
        bound = info.mip_dual_bound
    return status, has_solution, objective, bound


#: A linking row counts as violated by the LP relaxation above this (HiGHS' feasibility
#: tolerance is 1e-7; smaller violations change nothing).
LINKING_TOLERANCE = 1e-6
#: Separation rounds at most (JZ02, the largest jeugdregio, needs 18).
LINKING_ROUNDS = 100


#: Seconds between two progress lines during the branch and bound.
PROGRESS_INTERVAL_S = 5.0


@contextmanager
def _reporting(
    highs: highspy.Highs, say: Callable[[str], None] | None, since: float
) -> Iterator[None]:
    """Say the gap every :data:`PROGRESS_INTERVAL_S` seconds while HiGHS runs a MIP.

    HiGHS calls its MIP interrupt callback many times a second (highspy already listens to it
    for Ctrl-C); this reads the best plan and bound from it, at most once an interval. Without
    ``say`` nothing listens.
    """
    if say is None:
        yield
        return
    last = time.perf_counter()

    def tick(event: HighsCallbackEvent) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last < PROGRESS_INTERVAL_S:
            return
        last = now
        out = event.data_out
        if math.isfinite(out.mip_primal_bound):
            say(
                f"  branch and bound: gap {100 * out.mip_gap:.3f} % after {now - since:.0f} s "
                f"(plan {out.mip_primal_bound:,.0f}, bound {out.mip_dual_bound:,.0f})"
            )
        else:
            say(f"  branch and bound: no plan yet after {now - since:.0f} s")

    highs.cbMipInterrupt.subscribe(tick)
    try:
        yield
    finally:
        highs.cbMipInterrupt.unsubscribe(tick)


def _separate_linking(
    highs: highspy.Highs,
    mm: MatrixModel,
    problem: Problem,
    run: Callable[..., tuple[str, bool, float | None, float | None]],
    *,
    at_once: np.ndarray | None,
) -> np.ndarray | None:
    """Add the strong-linking rows ``x_a <= u_o`` that the LP relaxation violates.

    The rows are valid and tighten the LP, but redundant for integer units (a positive share
    needs ``u_o >= 1``), and there is one per arc: for a jeugdregio they are most of the model
    and make every LP of the branch and bound slow. So the model starts without them; the LP
    relaxation is solved, the rows it violates are added, and so on until it violates none;
    then the rows of every arc to an option the LP opens are added too. The root bound is the
    bound of the full formulation with a fraction of its rows (JZ02: 2,864 violated, 32,934
    rows in all against 51,912), and every plan is feasible for the full model. With
    ``at_once=None`` every row is in the model already and this solves the LP once.

    ``at_once`` marks (one per linked arc) the rows that go in before the first LP: those of an
    option whose capacity can never bind (its places at ``max_units`` hold all the demand that
    can reach it: a p-median's sites, an uncapacitated warehouse). Such an option's capacity
    row ties its units to its assignments hardly at all, so without them the LP
    opens next to nothing there and separation takes a round per customer move (pmed11: 63
    rounds, 30 s, against 13 s for HiGHS on the whole model). When every row is of that kind
    :func:`solve` builds the model with them and does not call this.

    Returns the final LP solution (``None`` when the LP was not solved to optimality).
    """
    arcs = linked_arcs(problem)
    if not len(arcs) or not mm.integer.any():
        return None
    assign = arcs + mm.columns["assign"].start
    units = problem.arcs["option"].to_numpy()[arcs] + mm.columns["units"].start
    if at_once is None:
        added = np.ones(len(arcs), dtype=bool)
    else:
        added = at_once.copy()
        _add_linking_rows(highs, assign[added], units[added])
    integer = np.flatnonzero(mm.integer).astype(np.int32)
    highs.changeColsIntegrality(len(integer), integer, np.zeros(len(integer), dtype=np.uint8))
    x = None
    for _ in range(LINKING_ROUNDS):
        status, has_solution, _, _ = run()
        if status != "optimal" or not has_solution:
            x = None
            break
        x = np.asarray(highs.getSolution().col_value, dtype=float)
        (new,) = np.nonzero((x[assign] > x[units] + LINKING_TOLERANCE) & ~added)
        if not len(new):
            break
        added[new] = True
        _add_linking_rows(highs, assign[new], units[new])
    if x is not None:
        # The branch and bound works on the options the LP opens: their rows keep its node
        # LPs as tight as the full model's there (all-rows and violated-only were both slower
        # on JZ02/JZ07/JZ43 together, 2026-11-24).
        new = np.flatnonzero(~added & (x[units] > LINKING_TOLERANCE))
        added[new] = True
        _add_linking_rows(highs, assign[new], units[new])
    highs.changeColsIntegrality(len(integer), integer, np.ones(len(integer), dtype=np.uint8))
    # Forget the LP solution: HiGHS would otherwise take it as a MIP start and spend the time
    # limit completing its fractional units in a sub-MIP.
    highs.clearSolver()
    return x


def _add_linking_rows(highs: highspy.Highs, assign: np.ndarray, units: np.ndarray) -> None:
    """Rows ``x[assign[k]] - x[units[k]] <= 0``."""
    k = len(assign)
    if not k:
        return
    index = np.empty(2 * k, dtype=np.int32)
    index[0::2], index[1::2] = assign, units
    highs.addRows(
        k,
        np.full(k, -highspy.kHighsInf),
        np.zeros(k),
        2 * k,
        np.arange(0, 2 * k, 2, dtype=np.int32),
        index,
        np.tile([1.0, -1.0], k),
    )


#: Share of the remaining time limit the LP-guided start may use (see _lp_guided_start). Once
#: the rounded aggregate capacity rows put the LP bound within 0.1 % of the best plan, a region
#: is done as soon as that plan is found: Amsterdam (JZ13) found it after 30 s of the start and
#: was proven 2 s later. With 60 s per region, 0.5 instead of 0.3 made all 42 optimal instead of
#: 41, 156 s wall instead of 177 (benchmarks/RESULTS.md, 2026-11-24).
HEURISTIC_SHARE = 0.5
#: ... and at most this many seconds; without a time limit it gets the share of this (15 s).
HEURISTIC_MAX_S = 30.0
#: The start's sub-MIP stops at this relative gap (or the solve's own, if looser): its job is a
#: good plan, not a proof. JZ23 found its plan in under a second and then spent 17 s proving it
#: within the restricted MIP; over all 42 regions: 29 optimal in 60 s instead of 28, 568 s wall
#: instead of 609 (benchmarks/RESULTS.md, 2026-11-24).
START_GAP = 5e-3


def _lp_guided_start(
    highs: highspy.Highs,
    mm: MatrixModel,
    x_lp: np.ndarray,
    run: Callable[..., tuple[str, bool, float | None, float | None]],
    deadline: float | None,
    mip_gap: float,
) -> np.ndarray | None:
    """Find a good first plan: fix the integer columns the LP relaxation has integral, hold the
    others to the whole numbers either side of their LP value, solve that MIP for a share of the
    time, and hand the plan to HiGHS as its start.

    HiGHS' own heuristics find the bound of a jeugdregio quickly but good plans slowly;
    the LP relaxation already has most units integral (most often 0), and the MIP over the
    others, each rounded down or up (RENS), is much smaller. The start is only a start: the
    full MIP then runs as before (unless :func:`_start_proven`), and if the rounded MIP has no
    plan it runs without one.

    Returns the start's column values (``None`` when there is none).
    """
    integer = np.flatnonzero(mm.integer)
    value = x_lp[integer]
    integral = np.abs(value - np.round(value)) <= 1e-6
    if integral.all():
        return None
    idx = integer.astype(np.int32)
    lp = highs.getLp()
    lower = np.asarray(lp.col_lower_, dtype=float)[integer]
    upper = np.asarray(lp.col_upper_, dtype=float)[integer]
    low = np.clip(np.where(integral, np.round(value), np.floor(value)), lower, upper)
    high = np.clip(np.where(integral, np.round(value), np.ceil(value)), lower, upper)
    remaining = HEURISTIC_MAX_S if deadline is None else deadline - time.perf_counter()
    budget = min(HEURISTIC_SHARE * remaining, HEURISTIC_MAX_S)
    highs.setOptionValue("mip_rel_gap", max(mip_gap, START_GAP))
    highs.changeColsBounds(len(idx), idx, low, high)
    _, has_solution, _, _ = run(budget)
    start = highs.getSolution() if has_solution else None
    highs.changeColsBounds(len(idx), idx, lower, upper)
    highs.setOptionValue("mip_rel_gap", mip_gap)
    highs.clearSolver()
    if start is None:
        return None
    highs.setSolution(start)
    return np.asarray(start.col_value, dtype=float)


def _start_proven(
    costs: np.ndarray,
    x_lp: np.ndarray | None,
    x_start: np.ndarray | None,
    mip_gap: float,
    log: Sequence[IO[str]],
) -> tuple[str, bool, float | None, float | None] | None:
    """The start as the optimal plan, when the LP relaxation already proves it within the gap.

    The last LP of :func:`_separate_linking` is a relaxation of the full model (it has a subset
    of its rows), so its value is a valid lower bound. When the start is within ``mip_gap`` of
    it, HiGHS' branch and bound would only solve that LP again to find the same: 14 of 28
    jeugdregio's measured (JZ13 Amsterdam: 0.030 %, 2.5 s of HiGHS after a 24 s start). Returns
    ``None`` when it is not, or when there is no start.
    """
    if x_lp is None or x_start is None:
        return None
    objective, bound = float(costs @ x_start), float(costs @ x_lp)
    gap = _gap(objective, bound)
    if gap is None or gap > mip_gap:
        return None
    for stream in log:
        stream.write(
            f"woonplanner: the start ({objective:.10g}) is within {100 * gap:.4f} % of the LP "
            f"bound ({bound:.10g}): optimal at the {100 * mip_gap:g} % gap, no branch and bound\n"
        )
    return "optimal", True, objective, bound


def _solve_lexicographic(
    highs: highspy.Highs,
    mm: MatrixModel,
    problem: Problem,
    run: Callable[[], tuple[str, bool, float | None, float | None]],
):
    """Minimise penalties, then child-km, then cost; hold each earlier part at its optimum."""
    tol = problem.objective.lexicographic_tolerance
    stages = [mm.parts["penalties"], mm.parts["child_km"], mm.parts["cost"]]
    columns = np.arange(mm.n_cols, dtype=np.int32)
    result: tuple[str, bool, float | None, float | None] = ("optimal", False, None, None)
    for k, costs in enumerate(stages):
        highs.changeColsCost(mm.n_cols, columns, costs)
        result = run()
        status, has_solution, value, _ = result
        if status != "optimal" or not has_solution or value is None:
            break
        if k < len(stages) - 1:
            # Hold this part at its optimum; the absolute slack keeps HiGHS' own tolerances
            # from making the next stage infeasible.
            (cols,) = np.nonzero(costs)
            limit = value + tol * abs(value) + 1e-6 * max(1.0, abs(value))
            highs.addRow(-highspy.kHighsInf, limit, len(cols), cols.astype(np.int32), costs[cols])
    status, has_solution, _, _ = result
    if has_solution:
        # Report the weighted objective of the final plan, so both modes print comparable values.
        x = np.asarray(highs.getSolution().col_value, dtype=float)
        value = float(mm.weighted_objective(problem) @ x)
        return status, has_solution, value, value if status == "optimal" else None
    return result


def _keep_existing_if_within_gap(
    highs: highspy.Highs,
    mm: MatrixModel,
    problem: Problem,
    x: np.ndarray,
    bound: float | None,
    mip_gap: float,
    run: Callable[[], tuple[str, bool, float | None, float | None]],
) -> tuple[np.ndarray, float] | None:
    """The plan that keeps today's stock, when it too is proven within the gap; else None.

    A plan is only optimal up to ``mip_gap``: among plans that good, one that changes nothing
    is the one a planner can defend. Without this, rerunning last year's plan with unchanged
    inputs could propose changes that are solver noise. Costs one LP (all units fixed).
    """
    cols = mm.columns
    existing = problem.options["existing"].to_numpy(dtype=float)
    units = x[cols["units"]]
    if bound is None or not existing.any() or np.allclose(np.round(units), existing):
        return None
    idx = np.arange(cols["units"].start, cols["units"].stop, dtype=np.int32)
    lower, upper = mm.col_lower[cols["units"]], mm.col_upper[cols["units"]]
    fixed = np.clip(existing, lower, upper)
    highs.changeColsBounds(len(idx), idx, fixed, fixed)
    status, has_solution, objective, _ = run()
    kept = None
    if status == "optimal" and has_solution and objective is not None:
        gap = _gap(objective, bound)
        if gap is not None and gap <= mip_gap:
            kept = (np.asarray(highs.getSolution().col_value, dtype=float), objective)
    highs.changeColsBounds(len(idx), idx, lower, upper)
    return kept


def _result(
    mm: MatrixModel,
    problem: Problem,
    x: np.ndarray | None,
    status: str,
    has_solution: bool,
    objective: float | None,
    bound: float | None,
    build_s: float,
    solve_s: float,
) -> SolveResult:
    n_o, n_a, n_g = problem.n_options, problem.n_arcs, problem.n_groups
    if has_solution and x is not None:
        cols = mm.columns
        units = x[cols["units"]].copy()
        integer = problem.options["integer"].to_numpy(dtype=bool)
        units[integer] = np.round(units[integer]) + 0.0  # + 0.0: no "-0" from -1e-12
        if cols["opened"].stop > cols["opened"].start:
            opened, closed = x[cols["opened"]].copy(), x[cols["closed"]].copy()
        else:  # greenfield: no existing units, every unit is opened
            opened, closed = units.copy(), np.zeros(n_o)
        assign = np.clip(x[cols["assign"]], 0.0, 1.0)
        unplaced = np.zeros(n_g)
        unplaced[mm.unplaced_groups] = np.clip(x[cols["unplaced"]], 0.0, 1.0)
        full_violation = np.zeros(len(problem.unit_constraints))
        full_violation[mm.soft_constraints] = x[cols["violation"]]
        parts = {name: float(vector @ x) for name, vector in mm.parts.items()}
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
