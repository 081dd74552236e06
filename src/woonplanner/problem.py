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
=================  ==========================================================================

``groups``: one row per demand group ``g`` (for youth care an origin × segment), integer row
index: ``demand`` (> 0) and ``may_be_unplaced`` (bool; when false the group must be served in
full).

``arcs``: one row per allowed assignment ``a`` of a group to an option, integer row index:
``group``, ``option`` (row indices), ``cost`` (money for serving the *whole* group there, so a
share ``x`` costs ``cost * x``), ``km`` (distance per child; the child-distance objective is
``demand * km * x``).

``unit_constraints``: linear constraints on the units of a set of options, such as the
youth-care norm of one small-scale unit per 40,000 inhabitants or the ``p`` of a p-median.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
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
