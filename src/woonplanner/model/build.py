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
   & \sum_{a \in A(o)} d_{g(a)} x_a \le q_o u_o & \forall o \\
   & x_a \le u_{o(a)} & \forall a \text{ with } \bar u_{o(a)} = 1
        \text{ (strong linking, optional)} \\
   & \sum_{o \in O_c} u_o + \sigma_c \ge b_c \quad (\le, = \text{ alike}) & \forall c \\
   & \sum_o \left(f_o u_o + h_o u^+_o + r_o u^-_o\right) + \sum_a c_a x_a \le B
        & \text{(optional budget)}

In ``lexicographic`` mode the three parts (unplaced plus soft penalties, child-km, cost) are
minimised one after another, each earlier part held at its optimum (within a tolerance).

Every family of variables or constraints has its own ``define_*`` function, called in order
from :func:`build_model`; each returns early when its index is empty. Index lists and
coefficients are computed with numpy before Pyomo sees them.
"""

from __future__ import annotations

import numpy as np
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
    """``units = existing + opened - closed`` per option."""
    if not problem.n_options:
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
    """Children placed at an option never exceed its places (places per unit × units)."""
    by_option = m._arcs_by_option
    used = [o for o in range(problem.n_options) if len(by_option[o])]
    if not used:
        return
    demand_of_arc = problem.groups["demand"].to_numpy(dtype=float)[problem.arcs["group"].to_numpy()]
    capacity = problem.options["capacity"].to_numpy(dtype=float)

    def rule(m, o):
        arcs = by_option[o].tolist()
        variables = [m.assign[a] for a in arcs] + [m.units[o]]
        coefs = [*demand_of_arc[arcs].tolist(), -capacity[o]]
        return _linear(coefs, variables) <= 0.0

    m.capacity = pyo.Constraint(used, rule=rule)


def define_linking_constraints(m: pyo.ConcreteModel, problem: Problem) -> None:
    """``assign[a] <= units[o]`` for single-unit options: a tighter relaxation (optional)."""
    if not problem.strong_linking or not problem.n_arcs:
        return
    single = problem.options["max_units"].to_numpy(dtype=float) <= 1
    option_of_arc = problem.arcs["option"].to_numpy()
    arcs = np.flatnonzero(single[option_of_arc]).tolist()
    if not arcs:
        return
    m.linking = pyo.Constraint(arcs, rule=lambda m, a: m.assign[a] <= m.units[option_of_arc[a]])


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
    cost_coefs = np.concatenate(
        [
            opts["unit_cost"].to_numpy(dtype=float),
            opts["open_cost"].to_numpy(dtype=float),
            opts["close_cost"].to_numpy(dtype=float),
            problem.arcs["cost"].to_numpy(dtype=float),
        ]
    )
    cost_vars = (
        [m.units[o] for o in range(problem.n_options)]
        + [m.opened[o] for o in range(problem.n_options)]
        + [m.closed[o] for o in range(problem.n_options)]
        + arc_vars
    )
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
