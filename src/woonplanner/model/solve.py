r"""Solve a :class:`~woonplanner.problem.Problem` and return plain arrays.

The solve is a short sequence of named stages, each a function with explicit inputs and
outputs (:func:`solve` reads top to bottom):

0. :func:`coarse_stage` — where the problem has areas (the buurt level): a plan and a bound
   from the coarse instance of :mod:`woonplanner.model.coarse`, before the fine LP;
1. :func:`separation_lp` — the LP relaxation, adding the rows of the lazy families (strong
   linking, reach capacity) it violates until it violates none, on the arcs it needs (priced
   by their reduced cost, :mod:`woonplanner.model.pricing`);
2. :func:`lp_guided_start` — a first plan from a MIP over the units the LP leaves fractional,
   each held to the whole numbers either side (RENS), on the arcs the LP prices best;
3. :func:`proven_start` — that plan is the answer when the LP bound already proves it within
   the gap;
4. :func:`full_mip` — HiGHS' branch and bound from that start (or the lexicographic stages,
   :func:`lexicographic`, one :func:`full_mip` per objective part, each earlier part held by a
   row the formulation writes);
5. :func:`keep_stock` — the plan that keeps today's stock, when it too is within the gap.

Every HiGHS run gets its own ``Highs`` object built from the formulation (:class:`Stage`):
no stage changes and restores another's settings. The heuristic start is limited by
HiGHS' node count (:data:`START_MAX_NODES`), never by the clock: with the user's time limit not
binding, the same input gives the same plan on any machine at any load.

With ``solver="highs"`` (the default) the model goes to HiGHS as arrays through ``highspy``.
Any other name solves the same formulation, every row in place, through Pyomo's
``SolverFactory`` (:mod:`woonplanner.model.pyomo_model`): the full MIP, the lexicographic
stages and the keep-the-stock check, without the HiGHS-only separation and start.
:class:`SolveResult` holds numpy arrays indexed like the problem's tables, so nothing past this
module ever sees a solver object.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field, replace
from typing import IO

import highspy
import numpy as np
from highspy.highs import HighsCallbackEvent
from scipy import sparse

from woonplanner.model.build import formulate, uncapacitated_options
from woonplanner.model.coarse import coarsen, fine_units
from woonplanner.model.formulation import Constraints, Formulation
from woonplanner.model.highs_model import MatrixModel, add_rows, new_highs, pass_model, to_matrix
from woonplanner.model.pricing import INITIAL_PER_GROUP, PricedLp, first_per_group
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
    #: Size of the model solved (after merging groups; linking rows as separated).
    columns: int = 0
    rows: int = 0
    #: Columns of the LP relaxation when it ended (fewer than ``columns`` where arcs were
    #: priced, :mod:`woonplanner.model.pricing`; 0 when no LP was solved first).
    lp_columns: int = 0
    #: Where ``bound`` comes from: ``"solver"`` (the LP relaxation or the branch and bound)
    #: or ``"coarse"`` (the coarse instance's, :func:`coarse_stage`: weaker, and more time
    #: narrows the gap only once the full LP relaxation finishes).
    bound_from: str = "solver"

    @property
    def optimal(self) -> bool:
        """True when the plan is proven optimal (within the requested gap)."""
        return self.status == "optimal"


@dataclass(frozen=True)
class Outcome:
    """What one stage's run gave: status, the column values (``None``: no plan), objective
    (of the stage's costs) and bound."""

    status: str
    x: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None

    @property
    def has_solution(self) -> bool:
        """True when the run left a plan."""
        return self.x is not None


@dataclass(frozen=True)
class Relaxation:
    """The LP relaxation's optimum: column values and reduced costs."""

    x: np.ndarray
    reduced_cost: np.ndarray
    #: Columns the LP held (all of them unless arcs were priced).
    columns: int = 0


#: HiGHS' ``simplex_strategy`` values: after rows are added the dual simplex goes on from the
#: last basis, after columns are added the primal simplex does.
SIMPLEX_DUAL, SIMPLEX_PRIMAL = 1, 4
#: HiGHS options of the separation LP: Devex pricing in the dual simplex. Its default, steepest
#: edge, computes a weight per row from scratch (a solve with the basis per row) every time
#: rows are added: at buurt level (JZ02, 50,000 rows) 8 s before each round's first iteration.
SEPARATION_LP_OPTIONS: dict[str, bool | int | float | str] = {
    "simplex_dual_edge_weight_strategy": 1
}
#: A linking row counts as violated by the LP relaxation above this (HiGHS' feasibility
#: tolerance is 1e-7; smaller violations change nothing).
LINKING_TOLERANCE = 1e-6
#: Separation rounds at most (JZ02, the largest jeugdregio, needs 18).
LINKING_ROUNDS = 100
#: Seconds between two progress lines during the branch and bound.
PROGRESS_INTERVAL_S = 5.0
#: The start's sub-MIP stops at this relative gap (or the solve's own, if looser): its job is a
#: good plan, not a proof. JZ23 found its plan in under a second and then spent 17 s proving it
#: within the restricted MIP (benchmarks/RESULTS.md, 2026-11-24).
START_GAP = 5e-3
#: ... or after this many branch-and-bound nodes: a count, not seconds, so that the start (and
#: with it the plan) is the same on a fast and on a busy machine (benchmarks/RESULTS.md).
START_MAX_NODES = 500
#: HiGHS options of the main branch and bound when it starts from a plan (none: HiGHS'
#: defaults). Measured on 2026-12-02 (benchmarks/mip_options.py, benchmarks/RESULTS.md, "Solve
#: speed"): with RINS and RENS off Zeeland (JZ38) was not proven after 76 CPU seconds (the
#: defaults: 54); with the root reduced-cost heuristic off Friesland (JZ02) was not proven after
#: 46 (defaults: 50) and the 29 regions proven in every 42-region pass took the same CPU time;
#: with all three off JZ02 took 0.72 times the CPU seconds but JZ38 was not proven after 47.
#: None of them is kept; the hook stays for the next measurement.
MIP_FROM_START_OPTIONS: dict[str, bool | int | float | str] = {}


@dataclass(frozen=True)
class Stage:
    """What every stage needs: the formulation, its base matrix (without the lazy rows), the
    lazy rows separated so far, and the solve's settings. Frozen: a stage that adds rows
    returns a new one (:meth:`with_rows`); only ``interrupted`` is shared by all of them (once
    Ctrl-C stopped one run, every later run returns at once)."""

    formulation: Formulation
    base: MatrixModel
    added: tuple[Constraints, ...]
    threads: int | None
    seed: int
    mip_gap: float
    log: Sequence[IO[str]]
    deadline: float | None
    interrupted: list[bool] = field(default_factory=lambda: [False])

    def with_rows(self, *families: Constraints) -> Stage:
        """This stage with ``families`` appended to the rows every later HiGHS gets."""
        return replace(self, added=(*self.added, *(f for f in families if f.n_rows)))

    def remaining(self) -> float:
        """Seconds left before the user's time limit (``inf`` without one)."""
        return math.inf if self.deadline is None else self.deadline - time.perf_counter()

    def highs(
        self,
        *,
        costs: np.ndarray | None = None,
        col_lower: np.ndarray | None = None,
        col_upper: np.ndarray | None = None,
        integer: np.ndarray | None = None,
        extra: Sequence[Constraints] = (),
        mip_gap: float | None = None,
        options: dict[str, bool | int | float | str] | None = None,
    ) -> highspy.Highs:
        """A new HiGHS instance holding the base rows, the added rows and ``extra``."""
        highs = new_highs(
            threads=self.threads,
            seed=self.seed,
            mip_gap=self.mip_gap if mip_gap is None else mip_gap,
            log=self.log,
            options=options,
        )
        pass_model(
            highs, self.base, costs=costs, col_lower=col_lower, col_upper=col_upper, integer=integer
        )
        add_rows(highs, self.formulation, (*self.added, *extra))
        return highs

    def run(self, highs: highspy.Highs) -> Outcome:
        """Run ``highs`` until the user's deadline. Once a run is interrupted (Ctrl-C,
        SIGTERM), every later one returns at once."""
        if self.interrupted[0]:
            return Outcome("interrupted")
        seconds = self.remaining()
        highs.setOptionValue("time_limit", max(seconds, 0.01) if seconds < math.inf else math.inf)
        # solve() runs HiGHS in a thread and cancels it on KeyboardInterrupt (Ctrl-C, or the
        # command line's SIGTERM handler); the status is then "interrupted".
        with redirect_stdout(io.StringIO()):  # highspy prints its own Ctrl-C notice
            highs.solve()
        outcome = _outcome(highs)
        self.interrupted[0] = outcome.status == "interrupted"
        return outcome


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
    price_arcs: bool = True,
    progress: Callable[[str], None] | None = None,
    solver: str = "highs",
) -> SolveResult:
    """Build and solve ``problem``.

    Parameters
    ----------
    problem
        The instance.
    time_limit
        Seconds for the whole solve (all stages); ``None`` for no limit.
    mip_gap
        Relative MIP gap at which the solve stops.
    threads
        HiGHS threads; one by default so that runs are reproducible.
    seed
        HiGHS random seed (reproducibility).
    log
        Streams that receive the HiGHS log (with another solver: its output).
    merge_groups
        Solve with identical demand groups merged (exact, see
        :func:`~woonplanner.problem.merge_identical_groups`); ``False`` solves the problem as
        given (for comparisons).
    separate_linking
        Add the strong-linking rows ``x <= u`` only where the LP relaxation violates them
        (exact, see :func:`separation_lp`); ``False`` puts every one in the model.
    aggregate_capacity
        Add the aggregate capacity rows (valid inequalities, see
        :func:`~woonplanner.model.build.aggregate_capacity_sets`); ``False`` leaves them out
        (for comparisons).
    price_arcs
        Solve the LP relaxation on the arcs it needs, generated by their reduced cost (exact,
        :mod:`woonplanner.model.pricing`); ``False`` puts every arc in it (for comparisons).
    progress
        Receives a line per step (the LP bound, the first plan and its gap) and, during the
        branch and bound, the gap every :data:`PROGRESS_INTERVAL_S` seconds.
    solver
        ``"highs"``: HiGHS through highspy, with every stage. Any other name: that solver
        through Pyomo's ``SolverFactory`` (``"appsi_highs"``, ``"cbc"``, ``"glpk"``, …), on
        the full model.
    """
    start = time.perf_counter()
    # Identical demand groups become one (exact; see merge_identical_groups); the result is
    # expanded back to the original groups and arcs at the end.
    merged = merge_identical_groups(problem) if merge_groups else MergedGroups.identity(problem)
    original, problem = problem, merged.problem
    formulation = formulate(problem, aggregate=aggregate_capacity)
    if solver != "highs":
        result = _solve_pyomo(formulation, problem, solver, time_limit, mip_gap, log, start)
    else:
        result = _solve_highs(
            formulation,
            problem,
            time_limit,
            mip_gap,
            threads,
            seed,
            log,
            separate_linking,
            price_arcs,
            progress,
            start,
        )
    if problem is original:
        return result
    return replace(
        result,
        assign=merged.expand_assign(result.assign),
        unplaced=merged.expand_unplaced(result.unplaced),
    )


def check_solver(name: str) -> None:
    """Raise :class:`~woonplanner.model.pyomo_model.SolverUnavailableError` when ``name`` is
    neither ``"highs"`` nor a solver Pyomo knows and can run here."""
    if name != "highs":
        from woonplanner.model.pyomo_model import pyomo_solver

        pyomo_solver(name)


def _solve_highs(
    formulation: Formulation,
    problem: Problem,
    time_limit: float | None,
    mip_gap: float,
    threads: int | None,
    seed: int,
    log: Sequence[IO[str]],
    separate_linking: bool,
    price_arcs: bool,
    progress: Callable[[str], None] | None,
    start: float,
) -> SolveResult:
    """The stages of the module docstring, on HiGHS."""
    lazy, at_once = lazy_families(formulation, problem)
    # When every lazy row goes in at once there is nothing to separate.
    separate = separate_linking and any(not first.all() for first in at_once)
    base = to_matrix(formulation, lazy=not separate)
    stage = Stage(formulation, base, (), threads, seed, mip_gap, log, None)
    build_s = time.perf_counter() - start

    start = time.perf_counter()
    stage = replace(stage, deadline=None if time_limit is None else start + time_limit)
    say = progress or (lambda _message: None)
    costs = formulation.objective()
    weighted = problem.objective.mode == "weighted"
    coarse = coarse_stage(stage, problem, progress, start) if weighted else None
    x_lp = x_start = relaxation = None
    # When the coarse stage used the whole time limit its plan is the answer: no LP.
    coarse_took_all = coarse is not None and stage.remaining() <= 0
    if not coarse_took_all and lazy and base.integer.any() and (separate or not separate_linking):
        arc_group = problem.arcs["group"].to_numpy() if price_arcs else None
        stage, relaxation = separation_lp(
            stage,
            lazy if separate else [],
            at_once,
            arc_group if separate else None,
            progress=progress,
            since=start,
        )
        if relaxation is not None:
            x_lp = relaxation.x
            say(f"  LP relaxation: bound {costs @ x_lp:,.0f} ({time.perf_counter() - start:.1f} s)")
    if relaxation is not None and weighted:
        x_start = lp_guided_start(stage, problem, relaxation, progress=progress, since=start)
        if x_start is not None:
            gap = _gap(float(costs @ x_start), float(costs @ x_lp))
            say(
                f"  first plan {costs @ x_start:,.0f}, {100 * (gap or 0.0):.2f} % above the LP "
                f"bound ({time.perf_counter() - start:.1f} s)"
            )
    bound = None if x_lp is None else float(costs @ x_lp)
    if coarse is not None:
        x_start = _better(costs, x_start, coarse.x)
        if coarse.bound is not None and (bound is None or coarse.bound > bound):
            bound = coarse.bound
    if not weighted:
        run = _highs_mip(stage, progress, start)
        outcome = lexicographic(formulation, run, problem.objective.lexicographic_tolerance)
    elif (proven := proven_start(costs, bound, x_start, mip_gap, log)) is not None:
        outcome = proven
        say(f"  the first plan is within the {100 * mip_gap:g} % gap: no branch and bound")
    elif x_start is not None and stage.remaining() <= 0:
        # The start used the whole time limit: its plan, with the LP's or the coarse bound
        # (a branch and bound of no time would report a weaker one).
        outcome = Outcome("time_limit", x_start, float(costs @ x_start), bound)
    else:
        outcome = full_mip(stage, costs, x_start, progress, start)
        if x_start is not None and outcome.x is None and outcome.status != "infeasible":
            # Cut short before HiGHS took the start up (at buurt level its presolve alone can
            # outlast the time left): the start is the plan.
            outcome = replace(outcome, x=x_start, objective=float(costs @ x_start))
        if bound is not None and outcome.x is not None and outcome.status != "optimal":
            outcome = replace(outcome, bound=max(bound, outcome.bound or -math.inf))
    if outcome.status == "optimal" and weighted:
        run = _highs_mip(stage, None, start)
        outcome = keep_stock(formulation, problem, outcome, run, mip_gap) or outcome
    solve_s = time.perf_counter() - start
    n_rows = base.n_rows + sum(c.n_rows for c in stage.added)
    result = _result(formulation, problem, outcome, build_s, solve_s)
    lp_columns = 0 if relaxation is None else relaxation.columns
    from_coarse = coarse is not None and coarse.bound is not None and outcome.bound == coarse.bound
    return replace(
        result,
        columns=base.n_cols,
        rows=n_rows,
        lp_columns=lp_columns,
        bound_from="coarse" if from_coarse else "solver",
    )


def lazy_families(
    formulation: Formulation, problem: Problem
) -> tuple[list[Constraints], list[np.ndarray]]:
    """The formulation's lazy families, and for each the rows that go in at once (see
    :func:`separation_lp`): the linking rows of options whose capacity can never bind."""
    lazy = [c for c in formulation.constraints if c.lazy]
    at_once = [np.zeros(c.n_rows, dtype=bool) for c in lazy]
    for k, family in enumerate(lazy):
        if family.name == "linking":
            option = problem.arcs["option"].to_numpy()[family.of]
            at_once[k] = uncapacitated_options(problem)[option]
    return lazy, at_once


#: A MIP run on some backend: costs, column bounds and extra rows in, an outcome out.
RunMip = Callable[..., Outcome]


def _highs_mip(stage: Stage, progress: Callable[[str], None] | None, since: float) -> RunMip:
    """:data:`RunMip` on HiGHS: a new instance per run, from ``stage``."""

    def run(
        costs: np.ndarray,
        *,
        extra: Sequence[Constraints] = (),
        col_lower: np.ndarray | None = None,
        col_upper: np.ndarray | None = None,
    ) -> Outcome:
        highs = stage.highs(costs=costs, col_lower=col_lower, col_upper=col_upper, extra=extra)
        with _reporting(highs, progress, since):
            return stage.run(highs)

    return run


def separation_lp(
    stage: Stage,
    lazy: Sequence[Constraints],
    at_once: Sequence[np.ndarray],
    arc_group: np.ndarray | None = None,
    *,
    progress: Callable[[str], None] | None = None,
    since: float = 0.0,
) -> tuple[Stage, Relaxation | None]:
    """The LP relaxation, with the rows of the lazy families (the strong-linking rows
    ``x_a <= u_o``, the reach capacity rows) it violates added: the families' own rows,
    chosen by their activity.

    The rows are valid and tighten the LP, but redundant for integer units (a positive share
    needs ``u_o >= 1``), and there is one per arc: for a jeugdregio they are most of the model
    and make every LP of the branch and bound slow. So the model starts without them; the LP
    relaxation is solved, the rows it violates are added, and so on until it violates none;
    then the rows of every arc to an option the LP opens are added too. The root bound is the
    bound of the full formulation with a fraction of its rows (JZ02: 2,864 violated, 32,934
    rows in all against 51,912), and every plan is feasible for the full model. The reach
    capacity rows are separated the same way: tens of thousands for a large region, with
    hundreds of terms each, of which the LP violates a few hundred. With ``lazy`` empty every
    row is in the model already and this solves the LP once.

    With ``arc_group`` (the group of each assignment column) the LP holds only the arcs it
    needs, brought in by their reduced cost (:class:`~woonplanner.model.pricing.PricedLp`):
    it ends when no row is violated and no arc left out has a negative reduced cost, so its
    value is the bound of the LP on every arc, and the reduced costs of all arcs come with it.

    ``at_once`` marks (one array per lazy family, one entry per row) the rows that go in
    before the first LP: those of
    an option whose capacity can never bind (its places at ``max_units`` hold all the demand
    that can reach it: a p-median's sites, an uncapacitated warehouse). Such an option's
    capacity row ties its units to its assignments hardly at all, so without them the LP opens
    next to nothing there and separation takes a round per customer move (pmed11: 63 rounds,
    30 s, against 13 s for HiGHS on the whole model). When every row is of that kind
    :func:`solve` builds the model with them and does not separate.

    ``progress`` hears, at most every :data:`PROGRESS_INTERVAL_S` seconds, how far the rounds
    are (at buurt level the LP takes minutes).

    Returns the stage with the rows added (in the order added: later HiGHS instances get the
    same rows in the same order) and the final LP's solution and reduced costs (``None`` when
    the LP was not solved to optimality).
    """
    base = stage.base
    formulation = stage.formulation
    if not lazy:
        highs = stage.highs(integer=np.zeros(base.n_cols, dtype=bool))
        outcome = stage.run(highs)
        return stage, _relaxation(highs, outcome)
    # Each family's rows as a sparse matrix: their activity at an LP solution says which are
    # violated.
    matrices, bounds, added, order = [], [], [], []
    for family in lazy:
        row, col, val, lower, upper = formulation.rows([family])
        matrices.append(sparse.csr_array((val, (row, col)), shape=(family.n_rows, base.n_cols)))
        bounds.append((lower, upper))
        added.append(np.zeros(family.n_rows, dtype=bool))
    lp = _priced_lp(stage, arc_group)
    lp.add_rows(list(stage.added))

    # Where each family's rows that go in at once have their columns (none: no such rows).
    supports = [abs(m) if first.any() else None for m, first in zip(matrices, at_once, strict=True)]

    def due() -> list[Constraints]:
        # The rows that go in at once, as soon as every column they have is in the LP.
        left_out = (lp.local < 0).astype(float)
        families = []
        for k, family in enumerate(lazy):
            if supports[k] is None:
                continue
            (rows,) = np.nonzero(at_once[k] & ~added[k] & (supports[k] @ left_out == 0))
            if len(rows):
                added[k][rows] = True
                order.append((family, rows))
                families.append(family.subset(rows))
        return families

    lp.add_rows(due())
    x = relaxation = None
    said = time.perf_counter()
    for round_ in range(LINKING_ROUNDS):
        if progress is not None and time.perf_counter() - said >= PROGRESS_INTERVAL_S:
            said = time.perf_counter()
            progress(
                f"  LP relaxation: round {round_ + 1}, {lp.n_active:,} columns "
                f"({said - since:.0f} s)"
            )
        outcome = stage.run(lp.highs)
        if outcome.status == "infeasible" and lp.add_all():
            lp.add_rows(due())
            continue  # infeasible on the arcs so far: every arc, then as before
        if outcome.status != "optimal" or outcome.x is None:
            x = relaxation = None
            break
        x = lp.x(outcome.x)
        reduced = lp.reduced_costs()
        relaxation = Relaxation(x, reduced, lp.n_active)
        # Arcs first: they come in at 0 (with their rows that go in at once, satisfied there),
        # so the last basis stays primal feasible and the primal simplex goes on from it.
        if lp.price(reduced):
            lp.add_rows(due())
            lp.highs.setOptionValue("simplex_strategy", SIMPLEX_PRIMAL)
            continue
        # Then the violated rows: the last basis stays dual feasible, the dual simplex goes on
        # from it.
        new_rows = []
        for k, family in enumerate(lazy):
            activity = matrices[k] @ x
            lower, upper = bounds[k]
            violated = (activity > upper + LINKING_TOLERANCE) | (
                activity < lower - LINKING_TOLERANCE
            )
            (new,) = np.nonzero(violated & ~added[k])
            if len(new):
                added[k][new] = True
                order.append((family, new))
                new_rows.append(family.subset(new))
        if not new_rows:
            break
        lp.add_rows(new_rows)
        lp.highs.setOptionValue("simplex_strategy", SIMPLEX_DUAL)
    else:
        # Out of rounds: with arcs left out the LP's value would not be a bound. On every arc
        # (and the rows so far) it is a relaxation of the full model again.
        x = relaxation = None
        lp.add_all()
        lp.add_rows(due())
        outcome = stage.run(lp.highs)
        if outcome.status == "optimal" and outcome.x is not None:
            x = lp.x(outcome.x)
            relaxation = Relaxation(x, lp.reduced_costs(), lp.n_active)
    # The rows that go in at once but whose arcs the LP never needed go to the MIPs.
    for k, family in enumerate(lazy):
        rest = np.flatnonzero(at_once[k] & ~added[k])
        if len(rest):
            added[k][rest] = True
            order.append((family, rest))
    if x is not None:
        # The branch and bound works on the options the LP opens: the linking rows of every
        # arc to them keep its node LPs as tight as the full model's there (all-rows and
        # violated-only were both slower on JZ02/JZ07/JZ43 together, 2026-11-24).
        opened = ((x > LINKING_TOLERANCE) & base.integer).astype(float)
        for k, family in enumerate(lazy):
            if family.name == "linking":
                on_integer = matrices[k].copy()
                on_integer.data = base.integer[on_integer.indices].astype(float)
                order.append((family, np.flatnonzero(~added[k] & (on_integer @ opened > 0))))
    stage = stage.with_rows(*(family.subset(rows) for family, rows in order))
    return stage, relaxation if x is not None else None


def _priced_lp(stage: Stage, arc_group: np.ndarray | None) -> PricedLp:
    """The LP of :func:`separation_lp` on each group's cheapest arcs
    (:data:`~woonplanner.model.pricing.INITIAL_PER_GROUP`); every arc when ``arc_group`` is
    ``None``."""
    base = stage.base
    formulation = stage.formulation
    costs = formulation.objective()
    assign = formulation.columns["assign"]
    priced = np.zeros(base.n_cols, dtype=bool)
    active = np.ones(base.n_cols, dtype=bool)
    group = np.zeros(0, dtype=np.int64)
    if arc_group is not None and len(arc_group):
        priced[assign] = True
        group = arc_group
        active[assign] = first_per_group(group, costs[assign], INITIAL_PER_GROUP)
    highs = new_highs(
        threads=stage.threads,
        seed=stage.seed,
        mip_gap=stage.mip_gap,
        log=stage.log,
        options=SEPARATION_LP_OPTIONS,
    )
    return PricedLp(highs, formulation, base, costs, priced, group, active)


def _relaxation(highs: highspy.Highs, outcome: Outcome) -> Relaxation | None:
    """The LP optimum of ``highs`` after ``outcome`` (``None`` when it is not optimal)."""
    if outcome.status != "optimal" or outcome.x is None:
        return None
    col_dual = np.asarray(highs.getSolution().col_dual, dtype=float)
    return Relaxation(outcome.x, col_dual, len(col_dual))


def lp_guided_start(
    stage: Stage,
    problem: Problem,
    lp: Relaxation,
    *,
    progress: Callable[[str], None] | None = None,
    since: float = 0.0,
) -> np.ndarray | None:
    """A good first plan: the integer columns the LP relaxation has integral are fixed, the
    others held to the whole numbers either side of their LP value, and that MIP solved to
    :data:`START_GAP` or :data:`START_MAX_NODES` nodes (RENS), on the arcs the LP prices
    best (:func:`start_arcs`).

    HiGHS' own heuristics find the bound of a jeugdregio quickly but good plans slowly; the LP
    relaxation already has most units integral (most often 0), and the MIP over the others,
    each rounded down or up, is much smaller. The start is only a start: the full MIP then runs
    from it (unless :func:`proven_start`), and without one if the rounded MIP has no plan. When
    it has none on the priced arcs, it is solved once more on every arc.

    ``progress`` hears how the search goes, as from the main MIP (:func:`_reporting`).

    Returns the start's column values (``None`` when there is none).
    """
    base = stage.base
    integer = np.flatnonzero(base.integer)
    value = lp.x[integer]
    integral = np.abs(value - np.round(value)) <= 1e-6
    if integral.all():
        return None
    lower, upper = base.col_lower.copy(), base.col_upper.copy()
    lower[integer] = np.clip(
        np.where(integral, np.round(value), np.floor(value)), lower[integer], upper[integer]
    )
    upper[integer] = np.clip(
        np.where(integral, np.round(value), np.ceil(value)), lower[integer], upper[integer]
    )
    assign = stage.formulation.columns["assign"]
    kept = start_arcs(problem, lp.x[assign], lp.reduced_cost[assign])
    priced = upper.copy()
    priced[assign.start + np.flatnonzero(~kept)] = 0.0  # shares: lower bound 0
    for col_upper in (priced, upper) if not kept.all() else (upper,):
        highs = stage.highs(
            col_lower=lower,
            col_upper=col_upper,
            mip_gap=max(stage.mip_gap, START_GAP),
            options={"mip_max_nodes": START_MAX_NODES},
        )
        with _reporting(highs, progress, since, "first plan"):
            x = stage.run(highs).x
        if x is not None or stage.interrupted[0] or stage.remaining() <= 0:
            return x
    return None


#: The coarse stage solves the coarse instance to this gap (or the solve's own, if looser): its
#: plan is a start and its bound a floor, not the answer.
COARSE_GAP = 5e-3
#: Repair rounds of the plan the coarse stage puts on the fine options (:func:`coarse_start`).
COARSE_REPAIR_ROUNDS = 3
#: A repair round adds a unit where its LP raises the option's units by more than this.
COARSE_REPAIR_RAISE = 0.25


@dataclass(frozen=True)
class CoarseStart:
    """What the coarse stage gives the fine solve: a plan (``None``: none) and a bound."""

    x: np.ndarray | None
    bound: float | None


def coarse_stage(
    stage: Stage,
    problem: Problem,
    progress: Callable[[str], None] | None,
    since: float,
) -> CoarseStart | None:
    """A first plan and a bound from the coarse instance (:mod:`woonplanner.model.coarse`),
    before the fine LP: ``None`` when the problem has no coarse instance.

    The coarse instance (about the wijk level's size) is solved to :data:`COARSE_GAP` with
    every stage of :func:`solve`; its proven bound bounds the fine optimum (it is a
    relaxation). Its units go to the fine options (:func:`~woonplanner.model.coarse.fine_units`)
    and :func:`coarse_start` makes a fine plan of them.
    """
    coarse = coarsen(problem)
    if coarse is None:
        return None
    say = progress or (lambda _message: None)
    c = coarse.problem
    say(
        f"  coarse instance: {c.n_options:,} options, {c.n_groups:,} groups, {c.n_arcs:,} arcs "
        f"(the full one, identical groups merged: {problem.n_options:,}, {problem.n_groups:,}, "
        f"{problem.n_arcs:,})"
    )
    remaining = stage.remaining()
    result = solve(
        c,
        time_limit=None if remaining == math.inf else max(remaining, 0.01),
        mip_gap=max(stage.mip_gap, COARSE_GAP),
        threads=stage.threads,
        seed=stage.seed,
        log=stage.log,
    )
    if result.status == "interrupted":
        stage.interrupted[0] = True
    bound = result.bound if result.status in ("optimal", "time_limit") else None
    if not result.has_solution:
        return CoarseStart(None, bound)
    floor = "no bound" if bound is None else f"bound {bound:,.0f}"
    say(f"  coarse plan {result.objective:,.0f}, {floor} ({time.perf_counter() - since:.1f} s)")
    units = fine_units(problem, coarse, result.units, result.assign)
    x = coarse_start(stage, problem, units)
    if x is not None:
        objective = float(stage.formulation.objective() @ x)
        gap = "" if bound is None else f", {100 * (_gap(objective, bound) or 0.0):.2f} % above it"
        say(
            f"  first plan from the coarse one {objective:,.0f}{gap} "
            f"({time.perf_counter() - since:.1f} s); the full LP relaxation next"
        )
    return CoarseStart(x, bound)


def coarse_start(stage: Stage, problem: Problem, units: np.ndarray) -> np.ndarray | None:
    """A fine plan with these ``units``: the assignment LP with every option's units fixed
    (a transportation problem on the arcs to options that have units), then up to
    :data:`COARSE_REPAIR_ROUNDS` repair rounds while they make the plan better: an LP in which
    the units of the options that children left unplaced could reach may rise to their maximum
    (with the linking rows of those arcs), and each option whose units it raises by more than
    :data:`COARSE_REPAIR_RAISE` gets them rounded up; then the fixed LP again. Last, fewer
    units where the children fit in fewer: an LP with every option's units free between zero
    and the plan's (and the linking rows of their arcs), its units rounded up, and the fixed LP
    again, kept when the plan gets better. Every plan is
    feasible for the full model (integer units, every row holds). ``None`` when the fixed LP
    has no plan (a child that must be placed cannot reach any unit)."""
    formulation, base = stage.formulation, stage.base
    cols = formulation.columns
    costs = formulation.objective()
    unit_col = np.arange(base.n_cols)[cols["units"]]
    arc_col = np.arange(base.n_cols)[cols["assign"]]
    group = problem.arcs["group"].to_numpy()
    option = problem.arcs["option"].to_numpy()
    most = problem.options["max_units"].to_numpy(dtype=float)
    continuous = np.zeros(base.n_cols, dtype=bool)
    # Sibling groups go whole to one option: their shares stay binary in the fixed-unit
    # problem (a small MIP, to the start's gap or node limit); the repair LPs relax them.
    whole = np.zeros(base.n_cols, dtype=bool)
    whole[arc_col] = base.integer[arc_col]
    limits: dict[str, bool | int | float | str] = {"mip_max_nodes": START_MAX_NODES}

    def fixed(units: np.ndarray) -> np.ndarray | None:
        lower, upper = base.col_lower.copy(), base.col_upper.copy()
        lower[unit_col] = upper[unit_col] = units
        upper[arc_col[units[option] <= 0]] = 0.0
        if whole.any():
            gap = max(stage.mip_gap, START_GAP)
            highs = stage.highs(
                col_lower=lower, col_upper=upper, integer=whole, mip_gap=gap, options=limits
            )
        else:
            highs = stage.highs(col_lower=lower, col_upper=upper, integer=continuous)
        return stage.run(highs).x

    linking = formulation.constraint("linking")

    def units_lp(
        low: np.ndarray, high: np.ndarray, arcs: np.ndarray, linked: np.ndarray
    ) -> np.ndarray | None:
        """The LP with each option's units in ``[low, high]``, shares only on ``arcs``, and
        the linking rows of the ``linked`` arcs: its column values (``None``: no LP optimum)."""
        lower, upper = base.col_lower.copy(), base.col_upper.copy()
        lower[unit_col], upper[unit_col] = low, high
        upper[arc_col[~arcs]] = 0.0
        rows = () if linking is None else (linking.subset(np.flatnonzero(linked[linking.of])),)
        highs = stage.highs(col_lower=lower, col_upper=upper, integer=continuous, extra=rows)
        return stage.run(highs).x

    x = fixed(units)
    if x is None:
        return None
    for _ in range(COARSE_REPAIR_ROUNDS):
        short = np.zeros(problem.n_groups, dtype=bool)
        short[formulation.family("unplaced").of] = x[cols["unplaced"]] > LINKING_TOLERANCE
        extra = short[group] & (units[option] < most[option])
        if not extra.any() or stage.remaining() <= 0:
            break
        y = units_lp(units, most, (units[option] > 0) | extra, extra)
        if y is None:
            break
        raised = y[unit_col] - units > COARSE_REPAIR_RAISE
        if not raised.any():
            break
        more = units.copy()
        more[raised] = np.minimum(most[raised], np.ceil(y[unit_col][raised] - 1e-6))
        x_more = fixed(more)
        if x_more is None or costs @ x_more >= costs @ x:
            break
        units, x = more, x_more
    # Then fewer units where the children fit in fewer: an LP in which every option's units
    # may fall from the plan's to zero (the linking rows of the arcs to them keep a share
    # below its option's units), each option's units rounded up from that LP's (so its shares
    # still fit), and the fixed LP again — kept when the plan gets better.
    open_arc = units[option] > 0
    if stage.remaining() > 0 and open_arc.any():
        y = units_lp(np.zeros_like(units), units, open_arc, open_arc)
        if y is not None:
            integer = problem.options["integer"].to_numpy(dtype=bool)
            fewer = np.where(integer, np.minimum(units, np.ceil(y[unit_col] - 1e-6)), units)
            x_fewer = fixed(fewer) if (fewer < units).any() else None
            if x_fewer is not None and costs @ x_fewer < costs @ x:
                units, x = fewer, x_fewer
    return x


#: The start's MIP keeps, besides the arcs the LP uses, each group's this many arcs of least
#: reduced cost (:func:`start_arcs`).
START_ARCS_PER_GROUP = 20


def start_arcs(problem: Problem, share: np.ndarray, reduced_cost: np.ndarray) -> np.ndarray:
    """The arcs the start's MIP may use (boolean, one per arc): those the LP relaxation uses
    and each group's :data:`START_ARCS_PER_GROUP` arcs of least reduced cost.

    The LP uses few arcs (JZ13 Amsterdam: 2,383 of 118,656), and an arc it prices high would
    make the plan dearer; without the others HiGHS' MIP for the start is a tenth of the size.
    Only the start is restricted: the branch and bound and the proof see every arc.
    """
    group = problem.arcs["group"].to_numpy()
    return (share > LINKING_TOLERANCE) | first_per_group(group, reduced_cost, START_ARCS_PER_GROUP)


def proven_start(
    costs: np.ndarray,
    bound: float | None,
    x_start: np.ndarray | None,
    mip_gap: float,
    log: Sequence[IO[str]],
) -> Outcome | None:
    """The start as the optimal plan, when a bound already proves it within the gap.

    The last LP of :func:`separation_lp` is a relaxation of the full model (it has a subset of
    its rows), so its value is a valid lower bound; so is the coarse instance's
    (:func:`coarse_stage`). When the start is within ``mip_gap`` of the better one, HiGHS'
    branch and bound would only solve that LP again to find the same: 14 of 28 jeugdregio's
    measured (JZ13 Amsterdam: 0.030 %). Returns ``None`` when it is not, or when there is no
    start or no bound.
    """
    if bound is None or x_start is None:
        return None
    objective = float(costs @ x_start)
    gap = _gap(objective, bound)
    if gap is None or gap > mip_gap:
        return None
    for stream in log:
        stream.write(
            f"woonplanner: the start ({objective:.10g}) is within {100 * gap:.4f} % of the LP "
            f"bound ({bound:.10g}): optimal at the {100 * mip_gap:g} % gap, no branch and bound\n"
        )
    return Outcome("optimal", x_start, objective, bound)


def _better(costs: np.ndarray, x: np.ndarray | None, y: np.ndarray | None) -> np.ndarray | None:
    """The plan of the two of lower objective (``x`` when equal; ``None`` when neither)."""
    if x is None or y is None:
        return y if x is None else x
    return y if costs @ y < costs @ x else x


def full_mip(
    stage: Stage,
    costs: np.ndarray,
    x_start: np.ndarray | None,
    progress: Callable[[str], None] | None,
    since: float,
) -> Outcome:
    """HiGHS' branch and bound on the model with the rows so far, from the start if any (then
    with :data:`MIP_FROM_START_OPTIONS`)."""
    options = None if x_start is None else MIP_FROM_START_OPTIONS
    highs = stage.highs(costs=costs, options=options)
    if x_start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = list(x_start)
        solution.value_valid = True
        highs.setSolution(solution)
    with _reporting(highs, progress, since):
        return stage.run(highs)


def lexicographic(formulation: Formulation, run: RunMip, tolerance: float) -> Outcome:
    """Minimise penalties, then child-km, then cost; each earlier part held at its optimum
    (within the relative ``tolerance``) by a row of the formulation
    (:meth:`~woonplanner.model.formulation.Formulation.objective_row`).

    The outcome's objective is the weighted objective of the final plan, so both modes report
    comparable values.
    """
    held: list[Constraints] = []
    outcome = Outcome("optimal")
    names = ("penalties", "child_km", "cost")
    for k, name in enumerate(names):
        outcome = run(formulation.part(name), extra=tuple(held))
        if outcome.status != "optimal" or outcome.x is None or outcome.objective is None:
            break
        if k < len(names) - 1:
            # Hold this part at its optimum; the absolute slack keeps the solver's own
            # tolerances from making the next stage infeasible.
            value = outcome.objective
            limit = value + tolerance * abs(value) + 1e-6 * max(1.0, abs(value))
            held.append(formulation.objective_row(name, limit))
    if outcome.x is None:
        return outcome
    value = float(formulation.objective() @ outcome.x)
    return replace(outcome, objective=value, bound=value if outcome.status == "optimal" else None)


def keep_stock(
    formulation: Formulation, problem: Problem, outcome: Outcome, run: RunMip, mip_gap: float
) -> Outcome | None:
    """The plan that keeps today's stock, when it too is proven within the gap; else None.

    A plan is only optimal up to ``mip_gap``: among plans that good, one that changes nothing
    is the one a planner can defend. Without this, rerunning last year's plan with unchanged
    inputs could propose changes that are solver noise. Costs one run with every unit fixed.
    """
    cols = formulation.columns["units"]
    existing = problem.options["existing"].to_numpy(dtype=float)
    if outcome.x is None or outcome.bound is None or not existing.any():
        return None
    if np.allclose(np.round(outcome.x[cols]), existing):
        return None
    lower, upper = formulation.col_lower(), formulation.col_upper()
    fixed = np.clip(existing, lower[cols], upper[cols])
    lower[cols], upper[cols] = fixed, fixed
    kept = run(formulation.objective(), col_lower=lower, col_upper=upper)
    if kept.status != "optimal" or kept.x is None or kept.objective is None:
        return None
    gap = _gap(kept.objective, outcome.bound)
    if gap is None or gap > mip_gap:
        return None
    return replace(kept, status=outcome.status, bound=outcome.bound)


# ---------------------------------------------------------------------------------------------
# Another solver, through Pyomo
# ---------------------------------------------------------------------------------------------


def _solve_pyomo(
    formulation: Formulation,
    problem: Problem,
    solver: str,
    time_limit: float | None,
    mip_gap: float,
    log: Sequence[IO[str]],
    start: float,
) -> SolveResult:
    """The full model through Pyomo's solver ``solver``: the full MIP (or the lexicographic
    stages), then the keep-the-stock check."""
    from woonplanner.model.pyomo_model import pyomo_solver, solve_pyomo, to_pyomo

    pyomo_solver(solver)  # an unknown or missing solver fails before any work
    deadline = None if time_limit is None else start + time_limit

    def run(
        costs: np.ndarray,
        *,
        extra: Sequence[Constraints] = (),
        col_lower: np.ndarray | None = None,
        col_upper: np.ndarray | None = None,
    ) -> Outcome:
        model = to_pyomo(
            formulation, extra=extra, costs=costs, col_lower=col_lower, col_upper=col_upper
        )
        limit = None if deadline is None else max(deadline - time.perf_counter(), 0.01)
        out = io.StringIO()
        with redirect_stdout(out):
            result = solve_pyomo(model, solver, time_limit=limit, mip_gap=mip_gap, tee=bool(log))
        for stream in log:
            stream.write(out.getvalue())
        objective = None if result.x is None else float(costs @ result.x)
        return Outcome(result.status, result.x, objective, result.bound)

    if problem.objective.mode == "lexicographic":
        outcome = lexicographic(formulation, run, problem.objective.lexicographic_tolerance)
    else:
        outcome = run(formulation.objective())
        if outcome.status == "optimal" and outcome.x is not None:
            outcome = keep_stock(formulation, problem, outcome, run, mip_gap) or outcome
    result = _result(formulation, problem, outcome, 0.0, time.perf_counter() - start)
    n_rows = sum(c.n_rows for c in formulation.constraints)
    return replace(result, columns=formulation.n_cols, rows=n_rows)


# ---------------------------------------------------------------------------------------------
# HiGHS runs and results
# ---------------------------------------------------------------------------------------------


def _outcome(highs: highspy.Highs) -> Outcome:
    """Status, plan, objective and bound after a run."""
    status = _STATUS.get(highs.getModelStatus(), "error")
    info = highs.getInfo()
    if info.primal_solution_status != 2:  # 2: feasible
        return Outcome(status)
    objective = info.objective_function_value
    if info.mip_node_count == -1:  # solved as an LP: the bound is the objective
        bound = objective if status == "optimal" else None
    else:
        bound = info.mip_dual_bound
    x = np.asarray(highs.getSolution().col_value, dtype=float)
    return Outcome(status, x, objective, bound)


@contextmanager
def _reporting(
    highs: highspy.Highs,
    say: Callable[[str], None] | None,
    since: float,
    what: str = "branch and bound",
) -> Iterator[None]:
    """Say the gap every :data:`PROGRESS_INTERVAL_S` seconds while HiGHS runs a MIP (``what``:
    the stage, as the line names it).

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
        if math.isfinite(out.mip_primal_bound) and what != "branch and bound":
            # The start's MIP is a restricted one: its own bound is not the model's.
            say(f"  {what}: best so far {out.mip_primal_bound:,.0f} after {now - since:.0f} s")
        elif math.isfinite(out.mip_primal_bound) and not math.isfinite(out.mip_dual_bound):
            say(
                f"  {what}: plan {out.mip_primal_bound:,.0f}, no bound yet after "
                f"{now - since:.0f} s"
            )
        elif math.isfinite(out.mip_primal_bound):
            say(
                f"  {what}: gap {100 * out.mip_gap:.3f} % after {now - since:.0f} s "
                f"(plan {out.mip_primal_bound:,.0f}, bound {out.mip_dual_bound:,.0f})"
            )
        else:
            say(f"  {what}: no plan yet after {now - since:.0f} s")

    highs.cbMipInterrupt.subscribe(tick)
    try:
        yield
    finally:
        highs.cbMipInterrupt.unsubscribe(tick)


def _result(
    formulation: Formulation,
    problem: Problem,
    outcome: Outcome,
    build_s: float,
    solve_s: float,
) -> SolveResult:
    """The outcome as arrays per option, arc, group and unit constraint."""
    n_o, n_a, n_g = problem.n_options, problem.n_arcs, problem.n_groups
    x = outcome.x
    if x is not None:
        cols = formulation.columns
        units = x[cols["units"]].copy()
        integer = problem.options["integer"].to_numpy(dtype=bool)
        units[integer] = np.round(units[integer]) + 0.0  # + 0.0: no "-0" from -1e-12
        if cols["opened"].stop > cols["opened"].start:
            opened, closed = x[cols["opened"]].copy(), x[cols["closed"]].copy()
        else:  # greenfield: no existing units, every unit is opened
            opened, closed = units.copy(), np.zeros(n_o)
        assign = np.clip(x[cols["assign"]], 0.0, 1.0)
        unplaced = np.zeros(n_g)
        unplaced[formulation.family("unplaced").of] = np.clip(x[cols["unplaced"]], 0.0, 1.0)
        violation = np.zeros(len(problem.unit_constraints))
        violation[formulation.family("violation").of] = x[cols["violation"]]
        parts = {name: float(formulation.part(name) @ x) for name in formulation.parts}
    else:
        units = opened = closed = np.full(n_o, np.nan)
        assign, unplaced = np.full(n_a, np.nan), np.full(n_g, np.nan)
        violation = np.full(len(problem.unit_constraints), np.nan)
        parts = {}
    objective, bound = outcome.objective, outcome.bound
    return SolveResult(
        status=outcome.status,
        has_solution=x is not None,
        objective=None if objective is None else float(objective),
        bound=None if bound is None or not math.isfinite(bound) else float(bound),
        gap=_gap(objective, bound) if x is not None else None,
        build_s=build_s,
        solve_s=solve_s,
        units=units,
        opened=opened,
        closed=closed,
        assign=assign,
        unplaced=unplaced,
        violation=violation,
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
