r"""The model of a :class:`~woonplanner.problem.Problem`, each family stated once, as data.

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
     - share of group :math:`g(a)` served on arc :math:`a` (binary when single-source: the
       problem's flag, or the group's ``single_source`` column)
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
   & x_a \le u_{o(a)} & \forall a \text{ with integer } u_{o(a)}
        \text{ (strong linking, optional)} \\
   & \sum_{o \in O_T} q_o u_o + \sum_{g \in G_T} d_g s_g \ge D_T := \sum_{g \in G_T} d_g
        & \forall T \text{ (aggregate capacity, see below)} \\
   & \sum_{o \in O_T} u_o + \sum_{g \in G_T} \frac{d_g}{q f_T} s_g \ge \lceil D_T / q \rceil
        & \forall T: q_o = q\ \forall o \in O_T \text{ (its rounding)} \\
   & \sum_{o \in R} u_o + \sum_{g \in G_R} \frac{d_g}{q f_R} s_g \ge \lceil D_R / q \rceil
        & \forall R \text{ (reach sets: options of one size, see below)} \\
   & \sum_{o \in O_c} u_o + \sigma_c \ge b_c \quad (\le, = \text{ alike}) & \forall c \\
   & \sum_o \left(f_o u_o + h_o u^+_o + r_o u^-_o\right) + \sum_a c_a x_a \le B
        & \text{(optional budget)}

The aggregate capacity rows are valid inequalities: for a set :math:`T` of facility types,
:math:`O_T` are the options of those types and :math:`G_T` the groups whose every arc leads into
:math:`O_T`, so their placed children need places there; the row is the sum of capacity and
demand rows and leaves the LP relaxation unchanged. Where every option of :math:`O_T` has the
same :math:`q`, its mixed-integer rounding (:math:`f_T` the fractional part of :math:`D_T/q`)
cuts the LP: :math:`\lceil 155.1 / 4 \rceil = 39` gezinshuizen where the LP opens 38.8
(:func:`aggregate_capacity_rows`). The same rounding holds for a set :math:`R` of options of one
size and the groups :math:`G_R` whose every arc leads into :math:`R` (their *reach*): two
origins of 2.5 children each that may only go to woongroepen of 4 in overlapping
neighbourhoods need two units there, where the LP opens 1.25 (:func:`reach_capacity_rows`).

In ``lexicographic`` mode the three parts (unplaced plus soft penalties, child-km, cost) are
minimised one after another, each earlier part held at its optimum (within a tolerance).

Every family of variables or constraints is stated once, as data (index arrays, coefficients,
bounds; :mod:`woonplanner.model.formulation`), by one function each, listed in order in
:func:`formulate`: read it top to bottom for the model above. The strong-linking and the reach
capacity families are *lazy*: :func:`woonplanner.model.solve.solve` hands HiGHS the subset of
their rows the LP relaxation needs. Assignment columns are binary where single-source (the
problem's flag, or the optional ``single_source`` column of ``groups``:
:func:`single_source_arcs`).

Two generic renderers turn the formulation into a model: :func:`build_matrix` (the CSC matrix
HiGHS gets directly, :mod:`woonplanner.model.highs_model`) and :func:`build_model` (a Pyomo
model, :mod:`woonplanner.model.pyomo_model`, for any solver Pyomo knows). Neither knows a family
by name, so the two cannot drift apart; the tests check them term by term.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from woonplanner.model.formulation import Constraints, Formulation, Terms, Variables
from woonplanner.model.highs_model import MatrixModel, to_matrix
from woonplanner.problem import Problem, check_problem

__all__ = ["MatrixModel", "build_matrix", "build_model", "formulate"]


def is_greenfield(problem: Problem) -> bool:
    """True when no option has existing units: then every unit is opened (u⁺ = u, u⁻ = 0).

    Such a problem (a region without a stock file, every OR-Library instance) is built without
    the opened and closed columns and the balance rows, with :math:`f_o + h_o` on :math:`u_o`:
    the same model, and exactly the textbook one for the OR-Library instances.
    """
    return not problem.options["existing"].to_numpy(dtype=float).any()


def single_source_arcs(problem: Problem) -> np.ndarray:
    """Arcs whose share is 0 or 1 (boolean, one per arc): every arc of a single-source problem,
    and the arcs of a group whose optional ``single_source`` column is true."""
    groups = problem.groups
    if problem.single_source:
        return np.ones(problem.n_arcs, dtype=bool)
    if "single_source" not in groups.columns:
        return np.zeros(problem.n_arcs, dtype=bool)
    flag = groups["single_source"].fillna(False).to_numpy(dtype=bool)
    return flag[problem.arcs["group"].to_numpy()]


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


# ---------------------------------------------------------------------------------------------
# The formulation, family by family (read top to bottom: the model of the module docstring)
# ---------------------------------------------------------------------------------------------


def formulate(problem: Problem, *, aggregate: bool = True) -> Formulation:
    """The formulation of the module docstring as data: every family once, in this order.

    ``aggregate=False`` leaves out the aggregate capacity rows and their rounding, and the reach
    capacity rows (valid inequalities, :func:`aggregate_capacity_rows`,
    :func:`reach_capacity_rows`; for comparisons). The strong-linking and reach capacity
    families are ``lazy``: the solve may hand HiGHS only part of them (:class:`.Constraints`).
    """
    check_problem(problem)
    greenfield = is_greenfield(problem)
    variables = [
        unit_variables(problem),
        *opened_closed_variables(problem, greenfield),
        assignment_variables(problem),
        unplaced_variables(problem),
        violation_variables(problem),
    ]
    families = [
        None if greenfield else unit_balance_rows(problem),
        demand_rows(problem),
        capacity_rows(problem),
        linking_rows(problem),
        aggregate_capacity_family(problem) if aggregate else None,
        reach_capacity_family(problem) if aggregate else None,
        unit_constraint_rows(problem),
    ]
    parts = objective_parts(problem, greenfield)
    if problem.budget is not None:
        families.append(_budget_rows(parts["cost"], problem.budget))
    weights = {"penalties": 1.0, "child_km": problem.objective.km_weight, "cost": 1.0}
    return Formulation(
        tuple(variables),
        tuple(f for f in families if f is not None and f.n_rows),
        parts,
        weights,
        name=problem.name,
    )


def unit_variables(problem: Problem) -> Variables:
    """``u_o``: units per option, ``0 <= u_o <= max_units``, integer where the option says."""
    opts = problem.options
    return Variables.make(
        "units",
        np.arange(problem.n_options),
        0.0,
        opts["max_units"].to_numpy(dtype=float),
        opts["integer"].to_numpy(dtype=bool),
    )


def opened_closed_variables(problem: Problem, greenfield: bool) -> list[Variables]:
    """``u⁺_o <= max(max_units - existing, 0)`` and ``u⁻_o <= existing`` (none for greenfield:
    the families are empty)."""
    o = np.arange(0 if greenfield else problem.n_options)
    max_units = problem.options["max_units"].to_numpy(dtype=float)[o]
    existing = problem.options["existing"].to_numpy(dtype=float)[o]
    return [
        Variables.make("opened", o, 0.0, np.maximum(max_units - existing, 0.0)),
        Variables.make("closed", o, 0.0, existing),
    ]


def assignment_variables(problem: Problem) -> Variables:
    """``x_a in [0, 1]``: the share of a group served on an arc; binary where single-source
    (:func:`single_source_arcs`: the problem's flag or the group's ``single_source`` column)."""
    return Variables.make(
        "assign", np.arange(problem.n_arcs), 0.0, 1.0, single_source_arcs(problem)
    )


def unplaced_variables(problem: Problem) -> Variables:
    """``s_g in [0, 1]``: share of a group left unplaced, only where the group may be."""
    may = np.flatnonzero(problem.groups["may_be_unplaced"].to_numpy(dtype=bool))
    return Variables.make("unplaced", may, 0.0, 1.0)


def violation_variables(problem: Problem) -> Variables:
    """``sigma_c >= 0``: violation of a soft unit constraint."""
    soft = [c for c, uc in enumerate(problem.unit_constraints) if uc.penalty is not None]
    return Variables.make("violation", soft, 0.0, np.inf)


def unit_balance_rows(problem: Problem) -> Constraints:
    """``u_o - u⁺_o + u⁻_o = e_o`` per option."""
    n_o = problem.n_options
    o = np.arange(n_o)
    existing = problem.options["existing"].to_numpy(dtype=float)
    terms = [
        Terms.make("units", o, o, 1.0),
        Terms.make("opened", o, o, -1.0),
        Terms.make("closed", o, o, 1.0),
    ]
    return Constraints.make("unit_balance", n_o, terms, existing, existing)


def demand_rows(problem: Problem) -> Constraints:
    """``sum(x_a over A(g)) + s_g = 1`` per group (no ``s_g`` where it must be served)."""
    may = np.flatnonzero(problem.groups["may_be_unplaced"].to_numpy(dtype=bool))
    terms = [
        Terms.make("assign", problem.arcs["group"].to_numpy(), np.arange(problem.n_arcs), 1.0),
        Terms.make("unplaced", may, np.arange(len(may)), 1.0),
    ]
    return Constraints.make("demand", problem.n_groups, terms, 1.0, 1.0)


def capacity_rows(problem: Problem) -> Constraints:
    """``sum(d_g(a) x_a over A(o)) - rho_o q_o u_o <= 0`` per option that has arcs.

    ``rho_o q_o`` are the usable places (:meth:`~woonplanner.problem.Problem.usable_capacity`):
    all of them, or less where a service level keeps spare places (:mod:`woonplanner.service`).
    """
    option = problem.arcs["option"].to_numpy()
    used = np.flatnonzero(np.bincount(option, minlength=problem.n_options))
    row_of_option = np.full(problem.n_options, -1)
    row_of_option[used] = np.arange(len(used))
    demand_of_arc = problem.groups["demand"].to_numpy(dtype=float)[problem.arcs["group"].to_numpy()]
    capacity = problem.usable_capacity()
    terms = [
        Terms.make("assign", row_of_option[option], np.arange(problem.n_arcs), demand_of_arc),
        Terms.make("units", np.arange(len(used)), used, -capacity[used]),
    ]
    return Constraints.make("capacity", len(used), terms, -np.inf, 0.0, of=used)


def linking_rows(problem: Problem) -> Constraints:
    """``x_a - u_o(a) <= 0`` for arcs to integer options (strong linking; lazy).

    Valid because integer units are at least 1 wherever anything is assigned, and a share is
    at most 1; for a single-unit option it is the classic ``x_ij <= y_j``. Redundant for
    integer plans, so the solve hands HiGHS only the rows it needs (``lazy``).
    """
    arcs = linked_arcs(problem)
    k = np.arange(len(arcs))
    option = problem.arcs["option"].to_numpy()
    terms = [Terms.make("assign", k, arcs, 1.0), Terms.make("units", k, option[arcs], -1.0)]
    return Constraints.make("linking", len(arcs), terms, -np.inf, 0.0, of=arcs, lazy=True)


def aggregate_capacity_family(problem: Problem) -> Constraints:
    """The aggregate capacity rows and their rounding (:func:`aggregate_capacity_rows`)."""
    return _aggregate_rows_family(problem, "aggregate_capacity", aggregate_capacity_rows(problem))


def reach_capacity_family(problem: Problem) -> Constraints:
    """The rounded capacity rows of reach sets (:func:`reach_capacity_rows`); lazy, as there
    are tens of thousands of them for a large jeugdregio (JZ13 Amsterdam: 43,082, with
    hundreds of terms each) of which the LP relaxation violates a few hundred."""
    return _aggregate_rows_family(
        problem, "reach_capacity", reach_capacity_rows(problem), lazy=True
    )


def _aggregate_rows_family(
    problem: Problem, name: str, rows: list[AggregateRow], *, lazy: bool = False
) -> Constraints:
    """``rows`` (:class:`AggregateRow`) as a family over the units and unplaced columns
    (``lazy``: the solve may hand the solver only the rows a relaxation violates)."""
    may = problem.groups["may_be_unplaced"].to_numpy(dtype=bool)
    unplaced_col = np.full(problem.n_groups, -1, dtype=np.int64)
    unplaced_col[may] = np.arange(int(may.sum()))
    n = len(rows)

    def stacked(arrays: list[np.ndarray], dtype) -> np.ndarray:
        return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype=dtype)

    n_options = np.fromiter((len(r.set.options) for r in rows), dtype=np.int64, count=n)
    n_groups = np.fromiter((len(r.set.groups) for r in rows), dtype=np.int64, count=n)
    options = stacked([r.set.options for r in rows], np.int64)
    unit_coef = stacked([r.unit_coef for r in rows], float)
    groups = stacked([r.set.groups for r in rows], np.int64)
    unplaced_coef = stacked([r.unplaced_coef for r in rows], float)
    group_row = np.repeat(np.arange(n), n_groups)
    has = unplaced_col[groups] >= 0
    terms = [
        Terms.make("units", np.repeat(np.arange(n), n_options), options, unit_coef),
        Terms.make("unplaced", group_row[has], unplaced_col[groups[has]], unplaced_coef[has]),
    ]
    rhs = np.fromiter((r.rhs for r in rows), dtype=float, count=n)
    return Constraints.make(name, n, terms, rhs, np.inf, lazy=lazy)


def unit_constraint_rows(problem: Problem) -> Constraints:
    """``sum(u_o over O_c) ± sigma_c (sense) b_c`` per unit constraint (soft ones with slack)."""
    constraints = problem.unit_constraints
    soft = violation_variables(problem).of
    violation_col = {c: k for k, c in enumerate(soft.tolist())}
    terms, lower, upper = [], [], []
    for c, uc in enumerate(constraints):
        terms.append(Terms.make("units", c, list(uc.options), 1.0))
        if c in violation_col:
            sign = 1.0 if uc.sense == ">=" else -1.0
            terms.append(Terms.make("violation", c, [violation_col[c]], sign))
        lower.append(-np.inf if uc.sense == "<=" else uc.rhs)
        upper.append(np.inf if uc.sense == ">=" else uc.rhs)
    return Constraints.make("unit_constraints", len(constraints), terms, lower, upper)


def objective_parts(problem: Problem, greenfield: bool) -> dict[str, tuple[Terms, ...]]:
    """The objective parts: ``unplaced_children`` (reported), ``penalties`` (unplaced times
    the penalty, soft violations), ``child_km`` and ``cost``."""
    demand = problem.groups["demand"].to_numpy(dtype=float)
    opts, arcs = problem.options, problem.arcs
    may = unplaced_variables(problem).of
    soft = violation_variables(problem).of
    n_o = problem.n_options
    o = np.arange(n_o)
    unplaced = Terms.make("unplaced", 0, np.arange(len(may)), demand[may])
    penalty = [problem.unit_constraints[c].penalty for c in soft.tolist()]
    km = demand[arcs["group"].to_numpy()] * arcs["km"].to_numpy(dtype=float)
    unit_cost = opts["unit_cost"].to_numpy(dtype=float)
    open_cost = opts["open_cost"].to_numpy(dtype=float)
    if greenfield:  # every unit is opened: f + h per unit
        unit_terms = [Terms.make("units", 0, o, unit_cost + open_cost)]
    else:
        unit_terms = [
            Terms.make("units", 0, o, unit_cost),
            Terms.make("opened", 0, o, open_cost),
            Terms.make("closed", 0, o, opts["close_cost"].to_numpy(dtype=float)),
        ]
    return {
        "unplaced_children": (unplaced,),
        "penalties": (
            replace(unplaced, coef=problem.objective.unplaced_penalty * unplaced.coef),
            Terms.make("violation", 0, np.arange(len(soft)), penalty),
        ),
        "child_km": (Terms.make("assign", 0, np.arange(problem.n_arcs), km),),
        "cost": (
            *unit_terms,
            Terms.make("assign", 0, np.arange(problem.n_arcs), arcs["cost"].to_numpy(dtype=float)),
        ),
    }


def _budget_rows(cost: tuple[Terms, ...], budget: float) -> Constraints:
    """``cost <= B`` (optional): the cost part's terms as one row (its zero terms left out)."""
    terms = [replace(t, row=np.zeros(len(t.col), dtype=np.int64)) for t in cost]
    terms = [
        Terms(t.var, t.row[t.coef != 0], t.col[t.coef != 0], t.coef[t.coef != 0]) for t in terms
    ]
    return Constraints.make("budget", 1, terms, -np.inf, budget)


# ---------------------------------------------------------------------------------------------
# The two renderings of a problem, for the tests, the benchmarks and the export
# ---------------------------------------------------------------------------------------------


def build_matrix(problem: Problem, *, linking: bool = True, aggregate: bool = True) -> MatrixModel:
    """The HiGHS matrix of ``problem``: every row (``linking=False``: without the lazy
    strong-linking rows; ``aggregate=False``: without the aggregate capacity rows)."""
    return to_matrix(formulate(problem, aggregate=aggregate), lazy=linking)


def build_model(problem: Problem, *, aggregate: bool = True):
    """The Pyomo model of ``problem``: every row, the weighted objective
    (:func:`woonplanner.model.pyomo_model.to_pyomo`)."""
    from woonplanner.model.pyomo_model import to_pyomo

    return to_pyomo(formulate(problem, aggregate=aggregate))


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
    capacity = problem.usable_capacity()
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
    # Usable places: with a service level's spare places the aggregate rows hold them back too
    # (the sum of the capacity rows, so still valid, and tighter).
    capacity = problem.usable_capacity()
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


#: Reach sets (distinct, of one size) beyond which no sets are formed: the pairs grow as the
#: square (the demo has 350).
REACH_MAX_SETS = 2000
#: Pairs of reach sets looked at together (memory: reaches × chunk booleans).
_PAIR_CHUNK = 20_000


def reach_capacity_sets(problem: Problem) -> list[AggregateSet]:
    """The sets of the reach capacity rows (:func:`reach_capacity_rows`).

    A group's *reach* is the set of options its arcs lead to. The candidate sets ``R`` are the
    distinct reaches whose options all have integer units of one finite size ``q``, and the
    unions of two such reaches that overlap (same ``q``); ``G_R`` are the groups whose reach
    lies inside ``R``, with demand ``D_R``. Every placed child of ``G_R`` is placed in ``R``,
    so the rounding of :func:`aggregate_capacity_rows` holds for ``R`` as for a set of types.
    A set is kept only where its rounding says more than what is there already:

    * ``D_R > q``: with one unit needed the rounded row is a weighted sum of the strong-linking
      and demand rows;
    * for a union, ``ceil(D_R / q)`` at least the units its two reaches need apart (one unit
      each for reaches of at most q children): then the LP's units where they overlap cannot
      count for both. A weaker union (more than either, less than both) did not raise the LP
      bound further on the demo and only cost time (5,445 rows against 4,577);
    * its options are not those of a set of types (:func:`aggregate_capacity_sets`).

    There are many (JZ13 Amsterdam: tens of thousands); the family is lazy, so the solve hands
    HiGHS only those the LP relaxation violates.
    """
    if not problem.n_arcs:
        return []
    capacity = problem.usable_capacity()
    integer = problem.options["integer"].to_numpy(dtype=bool)
    demand = problem.groups["demand"].to_numpy(dtype=float)
    n_o = problem.n_options
    member = np.zeros((problem.n_groups, n_o), dtype=bool)
    member[problem.arcs["group"].to_numpy(), problem.arcs["option"].to_numpy()] = True
    has_arc = np.flatnonzero(member.any(axis=1))
    # Identical reaches once (np.unique sorts them: the sets come in a fixed order).
    reaches, reach_of = np.unique(member[has_arc], axis=0, return_inverse=True)
    reach_of = reach_of.reshape(-1)
    reach_demand = np.bincount(reach_of, weights=demand[has_arc], minlength=len(reaches))
    size = np.where(reaches, capacity, np.nan)
    q = np.nanmax(size, axis=1)
    roundable = np.flatnonzero(
        np.isfinite(q) & (np.nanmin(size, axis=1) == q) & (np.isnan(size) | integer).all(axis=1)
    )
    if not len(roundable) or len(roundable) > REACH_MAX_SETS:
        return []
    # A reach inside a candidate (options of one size q, integer units) is itself roundable, of
    # the same q: only those are tested, on only the options they use, as bits.
    own_rows = reaches[roundable]
    used = np.flatnonzero(own_rows.any(axis=0))
    own = _pack(own_rows[:, used])
    own_q, own_demand = q[roundable], reach_demand[roundable]

    def units_needed(candidates: np.ndarray, q_c: np.ndarray) -> np.ndarray:
        # G_R: the reaches inside R (of the same size); ceil(D_R / q), less a rounding error.
        inside = _inside(own, candidates) & (own_q[:, None] == q_c[None, :])
        return np.ceil(own_demand @ inside / q_c - 1e-9)

    own_need = units_needed(own, own_q)
    kept, kept_q = [own[own_need >= 2]], [own_q[own_need >= 2]]
    overlap = (own[:, None, :] & own[None, :, :]).any(axis=2)
    first, second = np.nonzero(np.triu(overlap & (own_q[:, None] == own_q[None, :]), k=1))
    for at in range(0, len(first), _PAIR_CHUNK):
        i, j = first[at : at + _PAIR_CHUNK], second[at : at + _PAIR_CHUNK]
        unions = own[i] | own[j]
        more = units_needed(unions, own_q[i]) >= own_need[i] + own_need[j]
        kept.append(unions[more])
        kept_q.append(own_q[i][more])
    chosen, first_at = np.unique(np.concatenate(kept), axis=0, return_index=True)
    chosen_q = np.concatenate(kept_q)[first_at]
    type_sets = {tuple(s.options.tolist()) for s in aggregate_capacity_sets(problem)}
    type_code, type_names = pd.factorize(problem.options["type"], sort=True)
    chosen_rows = _unpack(chosen, len(used))
    # Each set's types, as a key into the names (one per distinct combination).
    type_mask = np.zeros((len(used), len(type_names)), dtype=bool)
    type_mask[np.arange(len(used)), type_code[used]] = True
    set_types = (chosen_rows.astype(np.int64) @ type_mask) > 0
    names_of = {
        key.tobytes(): tuple(str(type_names[t]) for t in np.flatnonzero(key))
        for key in np.unique(set_types, axis=0)
    }
    # The groups of each set: those whose reach is inside it (has_arc ascends, so in order).
    reach_inside = np.zeros((len(reaches), len(chosen)), dtype=bool)
    reach_inside[roundable] = _inside(own, chosen) & (own_q[:, None] == chosen_q[None, :])
    group_inside = reach_inside[reach_of]
    sets = []
    for k, (row, types) in enumerate(zip(chosen_rows, set_types, strict=True)):
        options = used[row]
        if tuple(options.tolist()) in type_sets:
            continue
        sets.append(AggregateSet(names_of[types.tobytes()], options, has_arc[group_inside[:, k]]))
    return sets


def _pack(sets: np.ndarray) -> np.ndarray:
    """Boolean rows as bits in 64-bit words (one row per set): subsets by word operations."""
    n, m = sets.shape
    padded = np.zeros((n, -(-m // 64) * 64), dtype=bool)
    padded[:, :m] = sets
    return np.packbits(padded, axis=1, bitorder="little").view(np.uint64)


def _unpack(packed: np.ndarray, m: int) -> np.ndarray:
    """The boolean rows of :func:`_pack` (``m`` columns)."""
    bits = np.unpackbits(packed.view(np.uint8), axis=1, bitorder="little")
    return bits[:, :m].astype(bool)


def _inside(small: np.ndarray, big: np.ndarray) -> np.ndarray:
    """``inside[k, i]``: packed set ``small[k]`` lies inside packed set ``big[i]``."""
    inside = np.ones((len(small), len(big)), dtype=bool)
    for w in range(small.shape[1]):
        # Only the sets with options in this word can fail here (a reach is local: its
        # options fill a few words).
        (has,) = np.nonzero(small[:, w])
        inside[has] &= (small[has, w, None] & ~big[None, :, w]) == 0
    return inside


def reach_capacity_rows(problem: Problem) -> list[AggregateRow]:
    """The rounded capacity rows of the reach sets (:func:`reach_capacity_sets`).

    For a set of options ``R`` of one size ``q`` and the groups ``G_R`` that reach only
    options in ``R``, with ``b = D_R / q`` and ``f = b - floor(b)``::

        sum(u_o over R) + sum(d_g / (q f) × s_g over G_R) >= ceil(b)

    the row of :func:`aggregate_capacity_rows` for a set of options instead of types (valid
    for the same reason). Only the rounded row: the plain one is implied by the LP. It cuts
    where the LP spreads a few children over fractional units of overlapping neighbourhoods:
    two origins of 2.5 and 2.1 children that must live in a woongroep of 4 within 5 km, whose
    LP opens 1.15 units where they overlap, need 2 there. On the demo these rows raise the LP
    bound from 0.44 % below the optimum to within the 0.1 % gap (benchmarks/RESULTS.md).
    """
    capacity = problem.usable_capacity()
    demand = problem.groups["demand"].to_numpy(dtype=float)
    rows = []
    for reach in reach_capacity_sets(problem):
        q, d = float(capacity[reach.options[0]]), demand[reach.groups]
        b = float(d.sum()) / q
        f = b - math.floor(b)
        if f >= ROUNDING_MIN_FRACTION:
            ones = np.ones(len(reach.options))
            rows.append(AggregateRow(reach, ones, d / (q * f), math.ceil(b), rounded=True))
    return rows
