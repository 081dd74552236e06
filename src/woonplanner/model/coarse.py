"""A coarser instance of the same problem: its plan starts the fine solve, its bound bounds it.

At buurt level a jeugdregio has five times the neighbourhoods of the wijk level and about
25 times the arcs (synthetic JZ02: 838,796 after merging), and the LP relaxation alone takes
longer than the five minutes a planner would wait (benchmarks/RESULTS.md). Each buurt lies in
one wijk, and the problem says which: an ``area`` column in ``options`` (the area of the site)
and in ``groups`` (the area of the origin). :func:`coarsen` merges the options of an area and
type into one and the groups of an area that reach the same coarse options into one; the result
is a few times the size of the wijk-level problem (synthetic JZ02: 738 options, 9,117 groups,
221,992 arcs against 3,552, 24,906 and 2,096,990) and is solved like it.

The coarse instance is a **relaxation** of the fine one, so its optimum — and any bound its
solve proves — is a lower bound on the fine optimum:

- a coarse option has the summed ``existing`` and ``max_units`` of its members, their lowest
  costs per unit, and their largest usable places per unit;
- a coarse arc (coarse group ``G``, coarse option ``B``) exists when some member of ``G`` has an
  arc into ``B``; its cost and km per child are the least of those arcs;
- every unit constraint must be a sum over whole coarse options (a gemeente's norm is: a
  gemeente is made of whole wijken); otherwise there is no coarse instance.

Any fine plan maps to a coarse one of no higher objective: units summed per coarse option, each
coarse group's share on a coarse option the demand-weighted mean of its members' shares on the
options in it (the capacity, linking, norm and demand rows hold by summation; opened and closed
units by ``max(a + b, 0) <= max(a, 0) + max(b, 0)``).

:func:`fine_units` puts the coarse plan's units back on the fine options (the existing units
first, then where the coarse plan sends the children); :mod:`woonplanner.model.solve` then
solves the fine assignment with those units fixed and repairs it (``coarse_start``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from woonplanner.problem import AREA, Problem, UnitConstraint

#: A coarse instance is made only when it has at most this share of the fine options: a
#: wijk-level problem (every area one site) is not coarsened.
MAX_COARSE_SHARE = 0.5


@dataclass(frozen=True)
class Coarse:
    """The coarse instance and the way down: ``option[o]`` is the coarse option of fine option
    ``o``, ``group[g]`` the coarse group of fine group ``g``, ``arc[a]`` the coarse arc of fine
    arc ``a``."""

    problem: Problem
    option: np.ndarray
    group: np.ndarray
    arc: np.ndarray


def coarsen(problem: Problem) -> Coarse | None:
    """The coarse relaxation of ``problem`` (module docstring), or ``None`` when the problem
    has no areas, would not shrink to :data:`MAX_COARSE_SHARE` of its options, is
    single-source throughout or lexicographic, or a unit constraint splits an area. Its
    single-source groups (sibling groups) may be split in the coarse instance."""
    options, groups, arcs = problem.options, problem.groups, problem.arcs
    if AREA not in options.columns or AREA not in groups.columns or not problem.n_arcs:
        return None
    # Single-source groups (sibling groups) are ordinary groups in the coarse instance: a
    # relaxation still. A problem that is single-source throughout is not coarsened.
    if problem.single_source or problem.objective.mode != "weighted":
        return None
    o_key = pd.MultiIndex.from_arrays(
        [options[AREA].astype(str).to_numpy(), options["type"].astype(str).to_numpy()]
    )
    c_option, c_index = pd.factorize(o_key, sort=True)
    n_c = len(c_index)
    if n_c > MAX_COARSE_SHARE * problem.n_options:
        return None
    unit_constraints = _coarse_unit_constraints(problem.unit_constraints, c_option, n_c)
    if unit_constraints is None:
        return None

    capacity = problem.usable_capacity()
    frame = pd.DataFrame(
        {
            "c": c_option,
            "capacity": capacity,
            "existing": options["existing"].to_numpy(dtype=float),
            "max_units": options["max_units"].to_numpy(dtype=float),
            "unit_cost": options["unit_cost"].to_numpy(dtype=float),
            "open_cost": options["open_cost"].to_numpy(dtype=float),
            "close_cost": options["close_cost"].to_numpy(dtype=float),
            "integer": options["integer"].to_numpy(dtype=bool),
        }
    )
    agg = frame.groupby("c", sort=True).agg(
        capacity=("capacity", "max"),
        existing=("existing", "sum"),
        max_units=("max_units", "sum"),
        unit_cost=("unit_cost", "min"),
        open_cost=("open_cost", "min"),
        close_cost=("close_cost", "min"),
        integer=("integer", "all"),
    )
    c_options = pd.DataFrame(
        {
            "site": c_index.get_level_values(0),
            "type": c_index.get_level_values(1),
            **{column: agg[column].to_numpy() for column in agg.columns},
        }
    )

    # Groups: one per area, the coarse options its arcs reach, and whether it may be unplaced.
    g, o = arcs["group"].to_numpy(), arcs["option"].to_numpy()
    reach = _reach_keys(g, c_option[o], problem.n_groups, n_c)
    may = groups["may_be_unplaced"].to_numpy(dtype=bool)
    g_key = pd.MultiIndex.from_arrays([groups[AREA].astype(str).to_numpy(), reach, may])
    c_group, g_index = pd.factorize(g_key, sort=True)
    demand = groups["demand"].to_numpy(dtype=float)
    c_demand = np.bincount(c_group, weights=demand, minlength=len(g_index))
    c_groups = pd.DataFrame({"demand": c_demand, "may_be_unplaced": g_index.get_level_values(2)})

    # Arcs: the least cost and km per child of the members' arcs into the coarse option.
    per_child = arcs["cost"].to_numpy(dtype=float) / demand[g]
    pair = c_group[g].astype(np.int64) * n_c + c_option[o]
    c_arc, pairs = pd.factorize(pair, sort=True)
    cost_pc = np.full(len(pairs), np.inf)
    km = np.full(len(pairs), np.inf)
    np.minimum.at(cost_pc, c_arc, per_child)
    np.minimum.at(km, c_arc, arcs["km"].to_numpy(dtype=float))
    arc_group = pairs // n_c
    c_arcs = pd.DataFrame(
        {"group": arc_group, "option": pairs % n_c, "cost": cost_pc * c_demand[arc_group], "km": km}
    )
    coarse = replace(
        problem,
        options=c_options,
        groups=c_groups,
        arcs=c_arcs,
        unit_constraints=unit_constraints,
        name=f"{problem.name} (coarse)",
    )
    return Coarse(coarse, c_option.astype(np.int64), c_group.astype(np.int64), c_arc)


def _reach_keys(group: np.ndarray, c_option: np.ndarray, n_groups: int, n_c: int) -> np.ndarray:
    """Per group, a number that is the same for two groups exactly when they reach the same
    coarse options (the factorized set)."""
    pairs = np.unique(group.astype(np.int64) * n_c + c_option)
    of, to = pairs // n_c, pairs % n_c
    bounds = np.searchsorted(of, np.arange(n_groups + 1))
    sets = [to[bounds[k] : bounds[k + 1]].tobytes() for k in range(n_groups)]
    return pd.factorize(pd.Series(sets, dtype=object))[0]


def _coarse_unit_constraints(
    constraints: tuple[UnitConstraint, ...], c_option: np.ndarray, n_c: int
) -> tuple[UnitConstraint, ...] | None:
    """Each unit constraint over the coarse options; ``None`` if one covers part of one."""
    size = np.bincount(c_option, minlength=n_c)
    out = []
    for uc in constraints:
        members = c_option[list(uc.options)]
        counted = np.bincount(members, minlength=n_c)
        touched = np.flatnonzero(counted)
        if (counted[touched] != size[touched]).any():
            return None
        out.append(replace(uc, options=tuple(int(c) for c in touched)))
    return tuple(out)


def fine_units(
    problem: Problem, coarse: Coarse, units: np.ndarray, assign: np.ndarray
) -> np.ndarray:
    """The coarse plan's units (``units`` per coarse option, ``assign`` the share per coarse
    arc) on the fine options: per coarse option, its members' existing units first (a child
    placed there today stays), then one unit at a time where the most children are left
    without places — each fine group's share on a coarse option counted at its cheapest arc
    into it (the objective per child: cost plus km times the km weight). Never above a fine
    option's ``max_units``; a coarse option's units that do not fit are dropped."""
    options, groups, arcs = problem.options, problem.groups, problem.arcs
    g, o = arcs["group"].to_numpy(), arcs["option"].to_numpy()
    demand = groups["demand"].to_numpy(dtype=float)
    per_child = arcs["cost"].to_numpy(dtype=float) / demand[g] + (
        problem.objective.km_weight * arcs["km"].to_numpy(dtype=float)
    )
    # Each fine group's cheapest arc into each coarse option it reaches.
    order = np.lexsort((np.arange(len(g)), per_child, coarse.arc))
    first = np.ones(len(order), dtype=bool)
    pair = g[order].astype(np.int64) * coarse.problem.n_options + coarse.option[o[order]]
    first[1:] = pair[1:] != pair[:-1]
    best = order[first]
    children = demand[g[best]] * np.clip(assign[coarse.arc[best]], 0.0, 1.0)
    wanted = np.bincount(o[best], weights=children, minlength=problem.n_options)

    capacity = problem.usable_capacity()
    existing = options["existing"].to_numpy(dtype=float)
    max_units = options["max_units"].to_numpy(dtype=float)
    result = np.zeros(problem.n_options)
    members = pd.Series(np.arange(problem.n_options)).groupby(coarse.option).indices
    for c, total in enumerate(np.round(units).astype(np.int64)):
        left = int(total)
        if left <= 0 or c not in members:
            continue
        fine = np.sort(members[c])
        keep = np.minimum(existing[fine], max_units[fine])
        # The existing units first, those where the children are first.
        for k in np.argsort(-wanted[fine], kind="stable"):
            take = min(int(keep[k]), left)
            result[fine[k]] += take
            left -= take
        while left > 0:
            room = result[fine] < max_units[fine]
            if not room.any():
                break
            need = np.where(room, wanted[fine] - capacity[fine] * result[fine], -np.inf)
            k = int(np.argmax(need))
            result[fine[k]] += 1
            left -= 1
    return result
