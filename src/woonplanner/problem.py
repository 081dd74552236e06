"""The solver-neutral instance: a multi-type capacitated facility-location problem.

A :class:`Problem` is plain data (pandas tables and numbers): no geometry, no Pyomo, no files.
The youth-care rules (:mod:`woonplanner.youthcare`) and the OR-Library readers
(:mod:`woonplanner.orlib`) both produce one, and :mod:`woonplanner.model` solves it.

Tables
------
``options``: one row per *facility option* ``o`` = (site, type), integer row index ``0..n-1``.

=================  ==========================================================================
column             meaning
=================  ==========================================================================
``site``           site id (str); for youth care the neighbourhood code
``type``           facility type id (str)
``capacity``       places per unit (children, or demand units for OR-Library)
``existing``       units that exist today (int ≥ 0)
``max_units``      upper bound on units (int ≥ existing is not required: closing may be forced)
``unit_cost``      annual cost per unit that is kept or opened
``open_cost``      one-off cost per opened unit
``close_cost``     one-off cost per closed existing unit
``integer``        bool: units are whole numbers
``utilisation``    optional: the share of a unit's places the plan may fill with expected
                   demand (``(0, 1]``, default 1); below 1 the rest is spare for fluctuating
                   demand (:mod:`woonplanner.service`)
=================  ==========================================================================

``groups``: one row per demand group ``g`` (for youth care an origin × segment), integer row
index: ``demand`` (> 0) and ``may_be_unplaced`` (bool; when false the group must be served in
full); optionally ``single_source`` (bool, absent = false): the group goes whole to one option
(its assignment columns are binary, and it is never merged with another group).

``area`` (optional, in ``options`` and ``groups``): the area a site or an origin lies in, such
as the wijk of a buurt; a coarser instance of the problem is made by areas
(:mod:`woonplanner.model.coarse`). Absent: no coarse stage.

``arcs``: one row per allowed assignment ``a`` of a group to an option, integer row index:
``group``, ``option`` (row indices), ``cost`` (money for serving the *whole* group there, so a
share ``x`` costs ``cost * x``), ``km`` (distance per child; the child-distance objective is
``demand * km * x``).

``unit_constraints``: linear constraints on the units of a set of options, such as the
youth-care norm of one small-scale unit per 40,000 inhabitants or the ``p`` of a p-median.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from woonplanner.errors import InputDataError, raise_if_problems

OPTION_COLUMNS = (
    "site",
    "type",
    "capacity",
    "existing",
    "max_units",
    "unit_cost",
    "open_cost",
    "close_cost",
    "integer",
)
GROUP_COLUMNS = ("demand", "may_be_unplaced")
ARC_COLUMNS = ("group", "option", "cost", "km")
#: Optional column of ``options`` and ``groups``: the area a site or an origin lies in (for
#: youth care at buurt level: its wijk). Two solve stages use it (:mod:`woonplanner.model.coarse`).
AREA = "area"


@dataclass(frozen=True)
class UnitConstraint:
    """``sum(units[o] for o in options) <sense> rhs``, optionally soft.

    Parameters
    ----------
    name
        Identifier used in reports and diagnoses (``norm:GM0361``).
    options
        Row indices into :attr:`Problem.options`.
    sense
        ``">="``, ``"<="`` or ``"=="``.
    rhs
        Right-hand side in units.
    penalty
        ``None`` for a hard constraint; otherwise the cost per unit of shortfall (for ``">="``)
        or excess (for ``"<="``) in the objective.
    """

    name: str
    options: tuple[int, ...]
    sense: Literal[">=", "<=", "=="]
    rhs: float
    penalty: float | None = None


@dataclass(frozen=True)
class Objective:
    """How the three objective parts combine.

    ``weighted``: minimise ``unplaced_penalty * unplaced + km_weight * child_km + cost`` (one
    solve). ``lexicographic``: minimise unplaced, then child_km, then cost (three solves), each
    earlier part held within ``lexicographic_tolerance`` (relative) of its optimum.
    """

    mode: Literal["weighted", "lexicographic"] = "weighted"
    unplaced_penalty: float = 1.0e6
    km_weight: float = 0.0
    lexicographic_tolerance: float = 0.0


@dataclass(frozen=True)
class Problem:
    """A solver-neutral facility-location instance (see the module docstring for the tables)."""

    options: pd.DataFrame
    groups: pd.DataFrame
    arcs: pd.DataFrame
    unit_constraints: tuple[UnitConstraint, ...] = ()
    objective: Objective = field(default_factory=Objective)
    budget: float | None = None
    single_source: bool = False
    strong_linking: bool = False
    name: str = "problem"

    @property
    def n_options(self) -> int:
        """Number of facility options (site × type)."""
        return len(self.options)

    @property
    def n_groups(self) -> int:
        """Number of demand groups."""
        return len(self.groups)

    @property
    def n_arcs(self) -> int:
        """Number of assignment arcs."""
        return len(self.arcs)

    def usable_capacity(self) -> np.ndarray:
        """Places per unit the capacity rows may fill: ``capacity × utilisation`` per option."""
        capacity = self.options["capacity"].to_numpy(dtype=float)
        if "utilisation" not in self.options.columns:
            return capacity
        return capacity * self.options["utilisation"].to_numpy(dtype=float)

    def arcs_by_group(self) -> list[np.ndarray]:
        """Arc row indices per group, in group order."""
        return _bucket(self.arcs["group"].to_numpy(), self.n_groups)

    def arcs_by_option(self) -> list[np.ndarray]:
        """Arc row indices per option, in option order."""
        return _bucket(self.arcs["option"].to_numpy(), self.n_options)


def _bucket(keys: np.ndarray, n: int) -> list[np.ndarray]:
    """Split ``arange(len(keys))`` by integer key ``0..n-1`` in one sort (no Python scan)."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    return [order[bounds[k] : bounds[k + 1]] for k in range(n)]


def check_problem(problem: Problem) -> None:
    """Check the tables' columns, index ranges and values; raise once with every problem."""
    problems: list[str] = []
    for name, table, columns in (
        ("options", problem.options, OPTION_COLUMNS),
        ("groups", problem.groups, GROUP_COLUMNS),
        ("arcs", problem.arcs, ARC_COLUMNS),
    ):
        missing = [c for c in columns if c not in table.columns]
        if missing:
            problems.append(f"{name}: missing columns {missing}")
        elif not table.index.equals(pd.RangeIndex(len(table))):
            problems.append(f"{name}: index must be 0..{len(table) - 1}")
    if problems:
        raise_if_problems(problems, InputDataError, header=f"Invalid problem {problem.name!r}")

    opts, groups, arcs = problem.options, problem.groups, problem.arcs
    for col in ("capacity", "existing", "max_units", "unit_cost", "open_cost", "close_cost"):
        values = opts[col].to_numpy(dtype=float)
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            problems.append(f"options.{col}: must be finite and ≥ 0")
    if "utilisation" in opts.columns:
        share = opts["utilisation"].to_numpy(dtype=float)
        if not np.all((share > 0) & (share <= 1)):
            problems.append("options.utilisation: must be in (0, 1]")
    if np.any(~np.isfinite(groups["demand"].to_numpy(dtype=float))) or np.any(
        groups["demand"].to_numpy(dtype=float) <= 0
    ):
        problems.append("groups.demand: must be finite and > 0")
    if len(arcs):
        g, o = arcs["group"].to_numpy(), arcs["option"].to_numpy()
        if g.min() < 0 or g.max() >= len(groups):
            problems.append("arcs.group: refers to a group that does not exist")
        if o.min() < 0 or o.max() >= len(opts):
            problems.append("arcs.option: refers to an option that does not exist")
        if arcs.duplicated(["group", "option"]).any():
            problems.append("arcs: duplicate (group, option) pairs")
        for col in ("cost", "km"):
            if not np.all(np.isfinite(arcs[col].to_numpy(dtype=float))):
                problems.append(f"arcs.{col}: must be finite")
    for c in problem.unit_constraints:
        if c.sense not in (">=", "<=", "=="):
            problems.append(f"unit constraint {c.name}: unknown sense {c.sense!r}")
        if any(o < 0 or o >= len(opts) for o in c.options):
            problems.append(f"unit constraint {c.name}: refers to an option that does not exist")
        if c.penalty is not None and (not math.isfinite(c.penalty) or c.penalty < 0):
            problems.append(f"unit constraint {c.name}: penalty must be finite and ≥ 0")
    raise_if_problems(problems, InputDataError, header=f"Invalid problem {problem.name!r}")


@dataclass(frozen=True)
class MergedGroups:
    """An instance with identical demand groups merged, and the way back to the original.

    ``problem`` is the reduced instance; ``group[g]`` is the merged group of original group
    ``g`` and ``arc[a]`` the merged arc of original arc ``a``. A merged group's share served on
    an arc is the share of each of its members, so :meth:`expand_assign` and
    :meth:`expand_unplaced` give every original group the same shares as its merged group.
    """

    problem: Problem
    group: np.ndarray
    arc: np.ndarray

    @classmethod
    def identity(cls, problem: Problem) -> MergedGroups:
        """``problem`` itself, nothing merged."""
        return cls(problem, np.arange(problem.n_groups), np.arange(problem.n_arcs))

    def expand_assign(self, assign: np.ndarray) -> np.ndarray:
        """Shares per original arc from shares per merged arc."""
        return assign[self.arc]

    def expand_unplaced(self, unplaced: np.ndarray) -> np.ndarray:
        """Unplaced shares per original group from shares per merged group."""
        return unplaced[self.group]


#: Groups merge when their km per child and cost per child agree to these absolute tolerances.
MERGE_KM_DECIMALS = 9
MERGE_COST_DECIMALS = 6


def merge_identical_groups(problem: Problem) -> MergedGroups:
    """Merge demand groups that have the same arcs at the same km and cost per child.

    Two groups are identical when they may (or may not) be unplaced alike and have arcs to the
    same options with the same km and the same cost per child. For youth care these are the age
    bands of one origin and reason that share an anchor (no schools file) and suitable types.
    Merging them is exact: any split of the merged demand over its arcs is a split of each
    member in the same shares, with the same cost, km and capacity use, and the linking rows
    ``x <= u`` of the members are implied by the merged one (its share is their weighted
    mean). The LP relaxation is therefore unchanged, while the arcs and rows shrink (about 2.3x
    for a jeugdregio without schools). Not applied to single-source problems, where members
    could go to different sites.
    """
    n_g, n_a = problem.n_groups, problem.n_arcs
    if problem.single_source or n_g < 2:
        return MergedGroups.identity(problem)
    groups, arcs = problem.groups, problem.arcs
    g, o = arcs["group"].to_numpy(), arcs["option"].to_numpy()
    demand = groups["demand"].to_numpy(dtype=float)
    cost, km = arcs["cost"].to_numpy(dtype=float), arcs["km"].to_numpy(dtype=float)
    order = np.lexsort((o, g))
    g_s, o_s = g[order], o[order].astype(np.int64)
    km_key = np.round(km[order], MERGE_KM_DECIMALS)
    cost_key = np.round(cost[order] / demand[g_s], MERGE_COST_DECIMALS)
    bounds = np.searchsorted(g_s, np.arange(n_g + 1))
    may = groups["may_be_unplaced"].to_numpy(dtype=bool)
    # A single-source group (optional column) is all or nothing on one arc: never merged.
    single = (
        groups["single_source"].fillna(False).to_numpy(dtype=bool)
        if "single_source" in groups.columns
        else np.zeros(n_g, dtype=bool)
    )

    index: dict[tuple[object, bytes, bytes, bytes], int] = {}
    merged = np.empty(n_g, dtype=np.int64)
    for k in range(n_g):
        lo, hi = bounds[k], bounds[k + 1]
        key = (
            ("single", k) if single[k] else bool(may[k]),
            o_s[lo:hi].tobytes(),
            km_key[lo:hi].tobytes(),
            cost_key[lo:hi].tobytes(),
        )
        merged[k] = index.setdefault(key, len(index))
    n_new = len(index)
    if n_new == n_g:
        return MergedGroups.identity(problem)

    first = np.unique(merged, return_index=True)[1]  # first member of each merged group
    sizes = np.diff(bounds)[first]
    new_start = np.concatenate([[0], np.cumsum(sizes)])
    rank = np.arange(n_a) - bounds[g_s]
    arc_map = np.empty(n_a, dtype=np.int64)
    arc_map[order] = new_start[merged[g_s]] + rank
    n_new_arcs = int(new_start[-1])

    new_option = np.empty(n_new_arcs, dtype=np.int64)
    new_km = np.empty(n_new_arcs)
    new_option[arc_map] = o  # members agree on the option and (to the tolerance) the km
    new_km[arc_map] = km
    new_arcs = pd.DataFrame(
        {
            "group": np.repeat(np.arange(n_new), sizes),
            "option": new_option,
            "cost": np.bincount(arc_map, weights=cost, minlength=n_new_arcs),
            "km": new_km,
        }
    )
    new_groups = pd.DataFrame(
        {
            "demand": np.bincount(merged, weights=demand, minlength=n_new),
            "may_be_unplaced": may[first],
        }
    )
    if "single_source" in groups.columns:
        new_groups["single_source"] = single[first]
    if AREA in groups.columns:
        new_groups[AREA] = groups[AREA].to_numpy()[first]
    reduced = replace(problem, groups=new_groups, arcs=new_arcs)
    return MergedGroups(reduced, merged, arc_map)
