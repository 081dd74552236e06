r"""Build the Pyomo model of a :class:`~woonplanner.problem.Problem`.

The formulation (the same as ``docs/model.md``; keep them in step):

.. list-table:: Symbols
   :header-rows: 1

   * - symbol
     - meaning
   * - :math:`O`
     - facility options :math:`o = (j, t)`: candidate site :math:`j` and housing type :math:`t`
   * - :math:`G`
     - demand groups :math:`g = (i, k)`: origin neighbourhood :math:`i` and segment :math:`k`
   * - :math:`A \subseteq G \times O`
     - allowed assignment arcs (suitability and distance band), generated sparsely
   * - :math:`d_g`
     - demand of group :math:`g` (children)
   * - :math:`q_o, e_o, \bar u_o`
     - places per unit, existing units, maximum units of option :math:`o`
   * - :math:`\rho_o \in (0, 1]`
     - utilisation cap of option :math:`o` (1 unless ``service.level`` holds spare places)
   * - :math:`f_o, h_o, r_o`
     - annual cost per unit, cost per opened unit, cost per closed unit
   * - :math:`c_a, \ell_a`
     - cost of serving all of :math:`g` on arc :math:`a`; km per child on arc :math:`a`
   * - :math:`C`
     - unit constraints :math:`(O_c, \gtrless_c, b_c, \pi_c)`, e.g. the 1-per-40,000 norm
   * - :math:`P, w`
     - penalty per unplaced child; weight per child-km
   * - :math:`u_o \in \mathbb{Z}_{\ge 0}`
     - units of option :math:`o` in the plan
   * - :math:`u^+_o, u^-_o \ge 0`
     - units opened and closed
   * - :math:`x_a \in [0, 1]`
     - share of group :math:`g(a)` served on arc :math:`a` (binary when single-source)
   * - :math:`s_g \in [0, 1]`
     - share of group :math:`g` that cannot be placed within the norms
   * - :math:`\sigma_c \ge 0`
     - violation of a soft unit constraint

.. math::

   \min\; & P \sum_{g} d_g s_g + \sum_{c \text{ soft}} \pi_c \sigma_c
        + w \sum_{a} d_{g(a)} \ell_a x_a
        + \sum_o \left(f_o u_o + h_o u^+_o + r_o u^-_o\right) + \sum_a c_a x_a \\
   \text{s.t.}\; & u_o = e_o + u^+_o - u^-_o,\quad 0 \le u_o \le \bar u_o,\quad
        u^-_o \le e_o & \forall o \\
   & \sum_{a \in A(g)} x_a + s_g = 1 & \forall g \quad (s_g = 0 \text{ if } g
        \text{ must be served}) \\
   & \sum_{a \in A(o)} d_{g(a)} x_a \le \rho_o q_o u_o & \forall o \\
   & x_a \le u_{o(a)} & \forall a \text{ with integer } u_{o(a)}
        \text{ (strong linking, optional)} \\
   & \sum_{o \in O_T} q_o u_o + \sum_{g \in G_T} d_g s_g \ge D_T := \sum_{g \in G_T} d_g
        & \forall T \text{ (aggregate capacity, see below)} \\
   & \sum_{o \in O_T} u_o + \sum_{g \in G_T} \frac{d_g}{q f_T} s_g \ge \lceil D_T / q \rceil
        & \forall T: q_o = q\ \forall o \in O_T \text{ (its rounding)} \\
   & \sum_{o \in O_c} u_o + \sigma_c \ge b_c \quad (\le, = \text{ alike}) & \forall c \\
   & \sum_o \left(f_o u_o + h_o u^+_o + r_o u^-_o\right) + \sum_a c_a x_a \le B
        & \text{(optional budget)}

The aggregate capacity rows are valid inequalities: for a set :math:`T` of facility types,
:math:`O_T` are the options of those types and :math:`G_T` the groups whose every arc leads into
:math:`O_T`, so their placed children need places there; the row is the sum of capacity and
demand rows and leaves the LP relaxation unchanged. Where every option of :math:`O_T` has the
same :math:`q`, its mixed-integer rounding (:math:`f_T` the fractional part of :math:`D_T/q`)
cuts the LP: :math:`\lceil 155.1 / 4 \rceil = 39` gezinshuizen where the LP opens 38.8
(:func:`aggregate_capacity_rows`).

In ``lexicographic`` mode the three parts (unplaced plus soft penalties, child-km, cost) are
minimised one after another, each earlier part held at its optimum (within a tolerance).

Every family of variables or constraints has its own ``define_*`` function, called in order
from :func:`build_model`; each returns early when its index is empty. Index lists and
coefficients are computed with numpy before Pyomo sees them.

:func:`build_matrix` writes the same formulation as arrays (columns, rows, a sparse matrix),
one ``_matrix_*`` function per family in the same order. :func:`woonplanner.model.solve` hands
those arrays to HiGHS directly: building and translating a Pyomo model cost two to three times
the HiGHS solve time on OR-Library instances of 10,000+ variables, and all of it is Python
per-variable work that numpy does in milliseconds. The Pyomo model stays the readable,
inspectable statement of the formulation; the tests check that both agree term by term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression

from woonplanner.problem import Problem, check_problem


def build_model(problem: Problem) -> pyo.ConcreteModel:
    """Build the Pyomo model of ``problem`` (the formulation in the module docstring)."""
    check_problem(problem)
    m = pyo.ConcreteModel(name=problem.name)
    m._problem = problem
    m._arcs_by_group = problem.arcs_by_group()
    m._arcs_by_option = problem.arcs_by_option()
    define_unit_variables(m, problem)
    define_assignment_variables(m, problem)
    define_unplaced_variables(m, problem)
    define_unit_balance_constraints(m, problem)
    define_demand_constraints(m, problem)
    define_capacity_constraints(m, problem)
    define_linking_constraints(m, problem)
    define_aggregate_capacity_constraints(m, problem)
    define_unit_constraints(m, problem)
    define_objective_parts(m, problem)
    define_budget_constraint(m, problem)
    define_objective(m, problem)
    return m


def _linear(coefs: np.ndarray | list[float], variables: list, constant: float = 0.0):
    """A linear expression built in one go (much faster than ``sum`` of Pyomo terms)."""
    return LinearExpression(
        constant=constant, linear_coefs=[float(c) for c in coefs], linear_vars=variables
    )


def is_greenfield(problem: Problem) -> bool:
    """True when no option has existing units: then every unit is opened (u⁺ = u, u⁻ = 0).

    Such a problem (a region without a stock file, every OR-Library instance) is built without
    the opened and closed columns and the balance rows, with :math:`f_o + h_o` on :math:`u_o`:
    the same model, and exactly the textbook one for the OR-Library instances.
    """
    return not problem.options["existing"].to_numpy(dtype=float).any()


def define_unit_variables(m: pyo.ConcreteModel, problem: Problem) -> None:
    """Units per option, and the units opened and closed against the existing stock."""
    opts = problem.options
    m.O = pyo.RangeSet(0, problem.n_options - 1) if problem.n_options else pyo.Set(initialize=[])
    max_units = opts["max_units"].to_numpy(dtype=float)
    existing = opts["existing"].to_numpy(dtype=float)
    integer = opts["integer"].to_numpy(dtype=bool)

    def domain(_m, o):
        return pyo.NonNegativeIntegers if integer[o] else pyo.NonNegativeReals

    m.units = pyo.Var(m.O, domain=domain, bounds=lambda _m, o: (0, max_units[o]))
    if is_greenfield(problem):
        return
    m.opened = pyo.Var(
        m.O,
        domain=pyo.NonNegativeReals,
        bounds=lambda _m, o: (0, max(max_units[o] - existing[o], 0)),
    )
    m.closed = pyo.Var(m.O, domain=pyo.NonNegativeReals, bounds=lambda _m, o: (0, existing[o]))


def define_assignment_variables(m: pyo.ConcreteModel, problem: Problem) -> None:
    """Share of each group served on each arc (binary when single-source)."""
    m.A = pyo.RangeSet(0, problem.n_arcs - 1) if problem.n_arcs else pyo.Set(initialize=[])
    domain = pyo.Binary if problem.single_source else pyo.UnitInterval
    m.assign = pyo.Var(m.A, domain=domain)


def define_unplaced_variables(m: pyo.ConcreteModel, problem: Problem) -> None:
    """Share of each group that cannot be placed within the norms (only where allowed)."""
    may = problem.groups["may_be_unplaced"].to_numpy(dtype=bool)
    m.G_unplaced = pyo.Set(initialize=np.flatnonzero(may).tolist())
    m.unplaced = pyo.Var(m.G_unplaced, domain=pyo.UnitInterval)


def define_unit_balance_constraints(m: pyo.ConcreteModel, problem: Problem) -> None:
    """``units = existing + opened - closed`` per option (not needed without existing units)."""
    if not problem.n_options or is_greenfield(problem):
        return
    existing = problem.options["existing"].to_numpy(dtype=float)
    m.unit_balance = pyo.Constraint(
        m.O, rule=lambda m, o: m.units[o] - m.opened[o] + m.closed[o] == existing[o]
    )


def define_demand_constraints(m: pyo.ConcreteModel, problem: Problem) -> None:
    """Every group is served in full or (where allowed) reported unplaced."""
    if not problem.n_groups:
        return
    by_group = m._arcs_by_group
    may = set(m.G_unplaced)

    def rule(m, g):
        arcs = by_group[g]
        variables = [m.assign[a] for a in arcs.tolist()]
        coefs = [1.0] * len(variables)
        if g in may:
            variables.append(m.unplaced[g])
            coefs.append(1.0)
        if not variables:
            return pyo.Constraint.Infeasible
        return _linear(coefs, variables) == 1.0

    m.demand = pyo.Constraint(pyo.RangeSet(0, problem.n_groups - 1), rule=rule)


def define_capacity_constraints(m: pyo.ConcreteModel, problem: Problem) -> None:
    """Children placed at an option never exceed its usable places (places per unit × units,
    times the option's utilisation cap when the problem holds spare places for a service level,
    :meth:`~woonplanner.problem.Problem.usable_capacity`)."""
    by_option = m._arcs_by_option
    used = [o for o in range(problem.n_options) if len(by_option[o])]
    if not used:
        return
    demand_of_arc = problem.groups["demand"].to_numpy(dtype=float)[problem.arcs["group"].to_numpy()]
    capacity = problem.usable_capacity()

    def rule(m, o):
        arcs = by_option[o].tolist()
        variables = [m.assign[a] for a in arcs] + [m.units[o]]
        coefs = [*demand_of_arc[arcs].tolist(), -capacity[o]]
        return _linear(coefs, variables) <= 0.0

    m.capacity = pyo.Constraint(used, rule=rule)


def define_linking_constraints(m: pyo.ConcreteModel, problem: Problem) -> None:
    """``assign[a] <= units[o]`` for integer options: a tighter relaxation (optional).

    Valid because integer units are at least 1 wherever anything is assigned, and a share is at
    most 1; for a single-unit option it is the classic ``x_ij <= y_j``.
    """
    if not problem.strong_linking or not problem.n_arcs:
        return
    single = problem.options["integer"].to_numpy(dtype=bool)
    option_of_arc = problem.arcs["option"].to_numpy()
    arcs = np.flatnonzero(single[option_of_arc]).tolist()
    if not arcs:
        return
    m.linking = pyo.Constraint(arcs, rule=lambda m, a: m.assign[a] <= m.units[option_of_arc[a]])


@dataclass(frozen=True)
class AggregateSet:
    """A set of types ``T``: its options ``O_T`` and the groups ``G_T`` that reach only them
    (see :func:`aggregate_capacity_sets`)."""

    types: tuple[str, ...]
    options: np.ndarray
    groups: np.ndarray


def aggregate_capacity_sets(problem: Problem) -> list[AggregateSet]:
    """The sets of the aggregate capacity rows (:func:`aggregate_capacity_rows`).

    For each set of types ``T`` that some group reaches (the types of its arcs' options), and
    for all types together: ``O_T`` are the options of a type in ``T``, ``G_T`` the groups that
    reach only types in ``T``. Every child of ``G_T`` that is placed is placed in ``O_T``.
    Left out where a row cannot help: when an option of ``O_T`` has unbounded capacity, or none
    has integer units, or, with strong linking, every option alone could hold all of ``G_T``
    (the rounded row is then ``sum(u) + sum(d_g / D × s_g) >= 1``, a weighted sum of the
    strong-linking and demand rows; a p-median's sites are all like that).
    """
    if not problem.n_arcs:
        return []
    opts, arcs = problem.options, problem.arcs
    type_code, type_names = pd.factorize(opts["type"], sort=True)
    n_types = len(type_names)
    capacity = opts["capacity"].to_numpy(dtype=float)
    integer = opts["integer"].to_numpy(dtype=bool)
    demand = problem.groups["demand"].to_numpy(dtype=float)
    # Each group's reachable types, from the unique (group, type) pairs of its arcs.
    pairs = np.unique(arcs["group"].to_numpy() * n_types + type_code[arcs["option"].to_numpy()])
    group_of_pair, type_of_pair = np.divmod(pairs, n_types)
    reach: dict[tuple[int, ...], list[int]] = {}
    bounds = np.flatnonzero(np.diff(group_of_pair)) + 1
    for g_types, g in zip(
        np.split(type_of_pair, bounds), group_of_pair[np.r_[0, bounds]].tolist(), strict=True
    ):
        reach.setdefault(tuple(g_types.tolist()), []).append(g)
    type_sets = sorted(set(reach) | {tuple(range(n_types))})
    sets = []
    for t_set in type_sets:
        options = np.flatnonzero(np.isin(type_code, t_set))
        members = [g for key, gs in reach.items() if set(key) <= set(t_set) for g in gs]
        if (
            not members
            or not integer[options].any()
            or not np.isfinite(capacity[options]).all()
            or (problem.strong_linking and capacity[options].min() >= demand[members].sum())
        ):
            continue
        names = tuple(str(type_names[t]) for t in t_set)
        sets.append(AggregateSet(names, options, np.sort(np.asarray(members, dtype=np.int64))))
    return sets


@dataclass(frozen=True)
class AggregateRow:
    """``sum(unit_coef × units[options]) + sum(unplaced_coef × unplaced[groups]) >= rhs``.

    ``unplaced_coef`` has one entry per group of the set; it applies where the group may be
    unplaced (a group that must be served has no unplaced share).
    """

    set: AggregateSet
    unit_coef: np.ndarray
    unplaced_coef: np.ndarray
    rhs: float
    rounded: bool


#: The rounded row is left out when the units the set needs are this close above a whole number
#: (its unplaced coefficients grow as 1 / fraction; the plain row then already says almost all).
ROUNDING_MIN_FRACTION = 0.01


def aggregate_capacity_rows(problem: Problem) -> list[AggregateRow]:
    """The aggregate capacity rows, and their rounding where every option has the same places.

    With ``D`` the demand of ``G_T`` and ``s_g`` the unplaced shares, every placed child of
    ``G_T`` takes a place in ``O_T``::

        sum(q_o u_o over O_T) + sum(d_g s_g over G_T) >= D

    the sum of ``O_T``'s capacity rows and ``G_T``'s demand rows: valid, and implied by the LP.
    When every option of ``O_T`` has integer units of the same ``q``, dividing by ``q`` and
    rounding (the mixed-integer rounding of that row, with ``b = D / q`` and ``f = b - floor(b)``)
    gives::

        sum(u_o over O_T) + sum(d_g / (q f) × s_g over G_T) >= ceil(b)

    also valid for every plan (placing everyone needs ``ceil(b)`` units; each unit fewer needs
    at least ``q`` children unplaced, and the first one ``q f``), and it does cut the LP: the
    LP places 155.1 children in 38.8 gezinshuizen of 4, the row says 39. With the plain rows
    only, five jeugdregio's still stopped at 60 s; with the rounding one, JZ13, which waited for
    its plan, not its bound (benchmarks/RESULTS.md).
    """
    capacity = problem.options["capacity"].to_numpy(dtype=float)
    integer = problem.options["integer"].to_numpy(dtype=bool)
    demand = problem.groups["demand"].to_numpy(dtype=float)
    rows = []
    for aggregate in aggregate_capacity_sets(problem):
        q, d = capacity[aggregate.options], demand[aggregate.groups]
        total = float(d.sum())
        rows.append(AggregateRow(aggregate, q, d, total, rounded=False))
        if not integer[aggregate.options].all() or not (q == q[0]).all():
            continue
        b = total / q[0]
        f = b - math.floor(b)
        if f >= ROUNDING_MIN_FRACTION:
            ones = np.ones(len(q))
            rows.append(AggregateRow(aggregate, ones, d / (q[0] * f), math.ceil(b), rounded=True))
    return rows


def define_aggregate_capacity_constraints(m: pyo.ConcreteModel, problem: Problem) -> None:
    """The places of a set of types cover the placed children that can use only those types
    (:func:`aggregate_capacity_rows`)."""
    rows = aggregate_capacity_rows(problem)
    if not rows:
        return
    may = set(m.G_unplaced)

    def rule(m, k):
        row = rows[k]
        groups = row.set.groups.tolist()
        unplaced = [i for i, g in enumerate(groups) if g in may]
        variables = [m.units[o] for o in row.set.options.tolist()]
        variables += [m.unplaced[groups[i]] for i in unplaced]
        coefs = [*row.unit_coef.tolist(), *row.unplaced_coef[unplaced].tolist()]
        return _linear(coefs, variables) >= row.rhs

    m.aggregate_capacity = pyo.Constraint(range(len(rows)), rule=rule)


def define_unit_constraints(m: pyo.ConcreteModel, problem: Problem) -> None:
    """Linear constraints on sums of units (the norm, p of a p-median); soft ones get slack."""
    constraints = problem.unit_constraints
    if not constraints:
        return
    m.C = pyo.RangeSet(0, len(constraints) - 1)
    soft = [c for c, uc in enumerate(constraints) if uc.penalty is not None]
    m.C_soft = pyo.Set(initialize=soft)
    m.violation = pyo.Var(m.C_soft, domain=pyo.NonNegativeReals)

    def rule(m, c):
        uc = constraints[c]
        variables = [m.units[o] for o in uc.options]
        coefs = [1.0] * len(variables)
        if c in m.C_soft:
            variables.append(m.violation[c])
            coefs.append(1.0 if uc.sense == ">=" else -1.0)
        if not variables:
            feasible = (
                (uc.sense == ">=" and uc.rhs <= 0)
                or (uc.sense == "<=" and uc.rhs >= 0)
                or (uc.sense == "==" and uc.rhs == 0)
            )
            return pyo.Constraint.Feasible if feasible else pyo.Constraint.Infeasible
        expr = _linear(coefs, variables)
        if uc.sense == ">=":
            return expr >= uc.rhs
        if uc.sense == "<=":
            return expr <= uc.rhs
        return expr == uc.rhs

    m.unit_constraint = pyo.Constraint(m.C, rule=rule)


def define_objective_parts(m: pyo.ConcreteModel, problem: Problem) -> None:
    """The three parts of the objective as named expressions: unplaced, child-km, cost."""
    demand = problem.groups["demand"].to_numpy(dtype=float)
    unplaced = list(m.G_unplaced)
    penalty_terms = [problem.objective.unplaced_penalty * demand[g] for g in unplaced]
    penalty_vars = [m.unplaced[g] for g in unplaced]
    if problem.unit_constraints:
        for c in m.C_soft:
            penalty_terms.append(problem.unit_constraints[c].penalty)
            penalty_vars.append(m.violation[c])
    m.unplaced_children = pyo.Expression(
        expr=_linear(demand[unplaced], [m.unplaced[g] for g in unplaced])
    )
    m.penalties = pyo.Expression(expr=_linear(penalty_terms, penalty_vars))

    arc_group = problem.arcs["group"].to_numpy()
    km_coefs = demand[arc_group] * problem.arcs["km"].to_numpy(dtype=float)
    arc_vars = [m.assign[a] for a in range(problem.n_arcs)]
    m.child_km = pyo.Expression(expr=_linear(km_coefs, arc_vars))

    opts = problem.options
    units = [m.units[o] for o in range(problem.n_options)]
    if is_greenfield(problem):  # every unit is opened: f + h per unit
        unit_coefs = [opts["unit_cost"].to_numpy(dtype=float) + opts["open_cost"].to_numpy(float)]
        unit_vars = units
    else:
        unit_coefs = [
            opts[c].to_numpy(dtype=float) for c in ("unit_cost", "open_cost", "close_cost")
        ]
        unit_vars = (
            units
            + [m.opened[o] for o in range(problem.n_options)]
            + [m.closed[o] for o in range(problem.n_options)]
        )
    cost_coefs = np.concatenate([*unit_coefs, problem.arcs["cost"].to_numpy(dtype=float)])
    cost_vars = unit_vars + arc_vars
    keep = np.flatnonzero(cost_coefs != 0)
    m.cost = pyo.Expression(expr=_linear(cost_coefs[keep], [cost_vars[k] for k in keep.tolist()]))


def define_budget_constraint(m: pyo.ConcreteModel, problem: Problem) -> None:
    """Total annual cost within the budget (optional)."""
    if problem.budget is None:
        return
    m.budget = pyo.Constraint(expr=m.cost <= problem.budget)


def define_objective(m: pyo.ConcreteModel, problem: Problem) -> None:
    """The weighted objective (lexicographic stages are set by the solver driver)."""
    m.objective = pyo.Objective(expr=weighted_objective(m, problem), sense=pyo.minimize)


def weighted_objective(m: pyo.ConcreteModel, problem: Problem):
    """``penalties + km_weight * child_km + cost`` as one expression."""
    return m.penalties + problem.objective.km_weight * m.child_km + m.cost


# ---------------------------------------------------------------------------------------------
# The same formulation as arrays, for HiGHS directly
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixModel:
    """The formulation as a matrix: ``row_lower <= A x <= row_upper``, bounds, integrality.

    Columns are, in this order, ``units``, ``opened``, ``closed`` (one per option; ``opened``
    and ``closed`` are empty for a greenfield problem, see :func:`is_greenfield`), ``assign``
    (one per arc), ``unplaced`` (one per group that may be unplaced) and ``violation`` (one per
    soft unit constraint); :attr:`columns` gives each family's slice. The objective parts are
    dense cost vectors over the columns.
    """

    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    #: CSC matrix arrays: column starts, row indices, values.
    start: np.ndarray
    index: np.ndarray
    value: np.ndarray
    columns: dict[str, slice]
    #: Indices (into groups / unit constraints) of the ``unplaced`` and ``violation`` columns.
    unplaced_groups: np.ndarray
    soft_constraints: np.ndarray
    #: Objective parts: ``unplaced_children``, ``penalties``, ``child_km``, ``cost``.
    parts: dict[str, np.ndarray] = field(repr=False)

    @property
    def n_cols(self) -> int:
        """Number of columns (variables)."""
        return len(self.col_lower)

    @property
    def n_rows(self) -> int:
        """Number of rows (constraints)."""
        return len(self.row_lower)

    def weighted_objective(self, problem: Problem) -> np.ndarray:
        """``penalties + km_weight * child_km + cost`` as one cost vector."""
        return (
            self.parts["penalties"]
            + problem.objective.km_weight * self.parts["child_km"]
            + self.parts["cost"]
        )


@dataclass
class _Rows:
    """Constraint rows collected as coordinate triplets, one block per family."""

    rows: list[np.ndarray] = field(default_factory=list)
    cols: list[np.ndarray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)
    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    n: int = 0

    def add(self, n_rows, row, col, val, lower, upper) -> None:
        """Append ``n_rows`` rows; ``row`` counts from 0 within the block."""
        self.rows.append(np.asarray(row, dtype=np.int64) + self.n)
        self.cols.append(np.asarray(col, dtype=np.int64))
        self.vals.append(np.asarray(val, dtype=float))
        self.lower.append(np.broadcast_to(np.asarray(lower, dtype=float), n_rows))
        self.upper.append(np.broadcast_to(np.asarray(upper, dtype=float), n_rows))
        self.n += n_rows


def build_matrix(problem: Problem, *, linking: bool = True, aggregate: bool = True) -> MatrixModel:
    """The formulation of the module docstring as arrays (the same model as :func:`build_model`).

    ``linking=False`` leaves out the strong-linking rows ``x <= u``: they are valid but
    redundant for integer units, and :func:`woonplanner.model.solve` adds only those the LP
    relaxation violates (:func:`linking_rows`). ``aggregate=False`` leaves out the aggregate
    capacity rows and their rounding (valid inequalities, :func:`aggregate_capacity_rows`; for
    comparisons).
    """
    check_problem(problem)
    opts, groups = problem.options, problem.groups
    n_o, n_a = problem.n_options, problem.n_arcs
    max_units = opts["max_units"].to_numpy(dtype=float)
    existing = opts["existing"].to_numpy(dtype=float)
    may = np.flatnonzero(groups["may_be_unplaced"].to_numpy(dtype=bool))
    soft = np.array(
        [c for c, uc in enumerate(problem.unit_constraints) if uc.penalty is not None],
        dtype=np.int64,
    )
    greenfield = is_greenfield(problem)
    sizes = {
        "units": n_o,
        "opened": 0 if greenfield else n_o,
        "closed": 0 if greenfield else n_o,
        "assign": n_a,
        "unplaced": len(may),
        "violation": len(soft),
    }
    columns, at = {}, 0
    for name, size in sizes.items():
        columns[name] = slice(at, at + size)
        at += size
    n_cols = at

    lower = np.zeros(n_cols)
    upper = np.concatenate(
        [
            max_units,
            np.zeros(0) if greenfield else np.maximum(max_units - existing, 0.0),
            np.zeros(0) if greenfield else existing,
            np.ones(n_a + len(may)),
            np.full(len(soft), np.inf),
        ]
    )
    integer = np.zeros(n_cols, dtype=bool)
    integer[columns["units"]] = opts["integer"].to_numpy(dtype=bool)
    if problem.single_source:
        integer[columns["assign"]] = True

    rows = _Rows()
    if not greenfield:
        _matrix_unit_balance(rows, problem, columns, existing)
    _matrix_demand(rows, problem, columns, may)
    _matrix_capacity(rows, problem, columns)
    if linking:
        _matrix_linking(rows, problem, columns)
    if aggregate:
        _matrix_aggregate_capacity(rows, problem, columns, may)
    _matrix_unit_constraints(rows, problem, columns, soft)
    parts = _matrix_objective_parts(problem, columns, n_cols, may, soft)
    if problem.budget is not None:
        (cols,) = np.nonzero(parts["cost"])
        rows.add(1, np.zeros(len(cols)), cols, parts["cost"][cols], -np.inf, problem.budget)

    row = np.concatenate(rows.rows) if rows.rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(rows.cols) if rows.cols else np.zeros(0, dtype=np.int64)
    val = np.concatenate(rows.vals) if rows.vals else np.zeros(0)
    # CSC by a stable sort on the column: rows stay in order within each column.
    order = np.argsort(col, kind="stable")
    start = np.searchsorted(col[order], np.arange(n_cols + 1)).astype(np.int32)
    return MatrixModel(
        col_lower=lower,
        col_upper=upper,
        integer=integer,
        row_lower=np.concatenate(rows.lower) if rows.lower else np.zeros(0),
        row_upper=np.concatenate(rows.upper) if rows.upper else np.zeros(0),
        start=start,
        index=row[order].astype(np.int32),
        value=val[order],
        columns=columns,
        unplaced_groups=may,
        soft_constraints=soft,
        parts=parts,
    )


def _matrix_unit_balance(rows: _Rows, problem: Problem, columns, existing) -> None:
    """``units - opened + closed = existing`` per option."""
    n_o = problem.n_options
    if not n_o:
        return
    o = np.arange(n_o)
    rows.add(
        n_o,
        np.concatenate([o, o, o]),
        np.concatenate(
            [o + columns["units"].start, o + columns["opened"].start, o + columns["closed"].start]
        ),
        np.concatenate([np.ones(n_o), -np.ones(n_o), np.ones(n_o)]),
        existing,
        existing,
    )


def _matrix_demand(rows: _Rows, problem: Problem, columns, may) -> None:
    """``sum(assign over the group's arcs) + unplaced = 1`` per group."""
    n_g, n_a = problem.n_groups, problem.n_arcs
    if not n_g:
        return
    rows.add(
        n_g,
        np.concatenate([problem.arcs["group"].to_numpy(), may]),
        np.concatenate(
            [
                np.arange(n_a) + columns["assign"].start,
                np.arange(len(may)) + columns["unplaced"].start,
            ]
        ),
        np.ones(n_a + len(may)),
        1.0,
        1.0,
    )


def _matrix_capacity(rows: _Rows, problem: Problem, columns) -> None:
    """``sum(demand × assign) - usable capacity × units <= 0`` per option that has arcs."""
    option = problem.arcs["option"].to_numpy()
    used = np.flatnonzero(np.bincount(option, minlength=problem.n_options))
    if not len(used):
        return
    row_of_option = np.full(problem.n_options, -1)
    row_of_option[used] = np.arange(len(used))
    demand_of_arc = problem.groups["demand"].to_numpy(dtype=float)[problem.arcs["group"].to_numpy()]
    capacity = problem.usable_capacity()
    rows.add(
        len(used),
        np.concatenate([row_of_option[option], np.arange(len(used))]),
        np.concatenate(
            [np.arange(problem.n_arcs) + columns["assign"].start, used + columns["units"].start]
        ),
        np.concatenate([demand_of_arc, -capacity[used]]),
        -np.inf,
        0.0,
    )


def linked_arcs(problem: Problem) -> np.ndarray:
    """Arcs that get a strong-linking row ``x <= u``: those to integer options, if asked for."""
    if not problem.strong_linking or not problem.n_arcs:
        return np.zeros(0, dtype=np.int64)
    option = problem.arcs["option"].to_numpy()
    return np.flatnonzero(problem.options["integer"].to_numpy(dtype=bool)[option])


def uncapacitated_options(problem: Problem) -> np.ndarray:
    """Options whose capacity can never bind: ``capacity × max_units`` at least the demand of
    every group with an arc to them (boolean, one per option)."""
    demand = problem.groups["demand"].to_numpy(dtype=float)
    option = problem.arcs["option"].to_numpy()
    reaching = np.bincount(
        option, weights=demand[problem.arcs["group"].to_numpy()], minlength=problem.n_options
    )
    places = problem.usable_capacity() * problem.options["max_units"].to_numpy(dtype=float)
    return places >= reaching


def linking_rows(
    problem: Problem, columns, arcs: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """COO triplets ``(row, col, val)`` of the rows ``assign[a] - units[o(a)] <= 0``."""
    option = problem.arcs["option"].to_numpy()
    k = np.arange(len(arcs))
    return (
        np.concatenate([k, k]),
        np.concatenate([arcs + columns["assign"].start, option[arcs] + columns["units"].start]),
        np.concatenate([np.ones(len(arcs)), -np.ones(len(arcs))]),
    )


def _matrix_linking(rows: _Rows, problem: Problem, columns) -> None:
    """``assign - units <= 0`` for arcs to integer options (strong linking)."""
    arcs = linked_arcs(problem)
    if not len(arcs):
        return
    row, col, val = linking_rows(problem, columns, arcs)
    rows.add(len(arcs), row, col, val, -np.inf, 0.0)


def _matrix_aggregate_capacity(rows: _Rows, problem: Problem, columns, may) -> None:
    """The aggregate capacity rows and their rounding (:func:`aggregate_capacity_rows`)."""
    aggregate_rows = aggregate_capacity_rows(problem)
    if not aggregate_rows:
        return
    unplaced_col = np.full(problem.n_groups, -1, dtype=np.int64)
    unplaced_col[may] = np.arange(len(may)) + columns["unplaced"].start
    row, col, val = [], [], []
    for k, aggregate in enumerate(aggregate_rows):
        options, groups = aggregate.set.options, aggregate.set.groups
        has_unplaced = unplaced_col[groups] >= 0
        row.append(np.full(len(options) + int(has_unplaced.sum()), k))
        col += [options + columns["units"].start, unplaced_col[groups[has_unplaced]]]
        val += [aggregate.unit_coef, aggregate.unplaced_coef[has_unplaced]]
    rows.add(
        len(aggregate_rows),
        np.concatenate(row),
        np.concatenate(col),
        np.concatenate(val),
        np.array([r.rhs for r in aggregate_rows]),
        np.inf,
    )


def _matrix_unit_constraints(rows: _Rows, problem: Problem, columns, soft) -> None:
    """Sums of units, with a violation column for soft constraints."""
    constraints = problem.unit_constraints
    if not constraints:
        return
    violation_col = dict(
        zip(
            soft.tolist(), range(columns["violation"].start, columns["violation"].stop), strict=True
        )
    )
    row, col, val, lower, upper = [], [], [], [], []
    for c, uc in enumerate(constraints):
        options = np.asarray(uc.options, dtype=np.int64)
        row.append(np.full(len(options), c))
        col.append(options + columns["units"].start)
        val.append(np.ones(len(options)))
        if c in violation_col:
            row.append(np.array([c]))
            col.append(np.array([violation_col[c]]))
            val.append(np.array([1.0 if uc.sense == ">=" else -1.0]))
        lower.append(-np.inf if uc.sense == "<=" else uc.rhs)
        upper.append(np.inf if uc.sense == ">=" else uc.rhs)
    rows.add(
        len(constraints),
        np.concatenate(row),
        np.concatenate(col),
        np.concatenate(val),
        np.array(lower),
        np.array(upper),
    )


def _matrix_objective_parts(problem: Problem, columns, n_cols, may, soft) -> dict[str, np.ndarray]:
    """The objective parts as cost vectors over the columns."""
    demand = problem.groups["demand"].to_numpy(dtype=float)
    opts, arcs = problem.options, problem.arcs
    unplaced_children = np.zeros(n_cols)
    unplaced_children[columns["unplaced"]] = demand[may]
    penalties = problem.objective.unplaced_penalty * unplaced_children
    penalties[columns["violation"]] = [problem.unit_constraints[c].penalty for c in soft.tolist()]
    child_km = np.zeros(n_cols)
    child_km[columns["assign"]] = demand[arcs["group"].to_numpy()] * arcs["km"].to_numpy(
        dtype=float
    )
    cost = np.zeros(n_cols)
    cost[columns["units"]] = opts["unit_cost"].to_numpy(dtype=float)
    if columns["opened"].stop > columns["opened"].start:
        cost[columns["opened"]] = opts["open_cost"].to_numpy(dtype=float)
        cost[columns["closed"]] = opts["close_cost"].to_numpy(dtype=float)
    else:  # greenfield: every unit is opened
        cost[columns["units"]] += opts["open_cost"].to_numpy(dtype=float)
    cost[columns["assign"]] = arcs["cost"].to_numpy(dtype=float)
    return {
        "unplaced_children": unplaced_children,
        "penalties": penalties,
        "child_km": child_km,
        "cost": cost,
    }
