"""The model as data: each variable family and each constraint family stated once, as arrays.

A :class:`Formulation` is a list of :class:`Variables` (bounds, integrality, the table row each
column stands for) and a list of :class:`Constraints` (row bounds and :class:`Terms`: row,
column and coefficient arrays over one variable family), plus the objective parts as
:class:`Terms` over the columns. :func:`woonplanner.model.build.formulate` writes the
facility-location model that way, one family after another; the renderers turn one
formulation into a HiGHS matrix (:func:`woonplanner.model.highs_model.to_lp`) or a Pyomo model
(:func:`woonplanner.model.pyomo_model.to_pyomo`) without knowing any family by name.

Two kinds of rows are not written in the model from the start, but still come from here:

* a family marked ``lazy`` (the strong-linking rows ``x <= u``) may go to the solver as a
  subset of its rows (:meth:`Constraints.subset`), the rest added when a relaxation violates
  them;
* a lexicographic stage holds an objective part at its optimum with the row
  :meth:`Formulation.objective_row` makes from that part's terms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import numpy as np


def _ints(values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64).reshape(-1)


def _floats(values, n: int | None = None) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    if n is not None and array.ndim == 0:
        return np.full(n, float(array))
    return array.reshape(-1)


@dataclass(frozen=True)
class Variables:
    """A family of columns: ``lower <= x <= upper``, integer where ``integer``.

    ``of[k]`` is the row of the problem table column ``k`` stands for (an option, an arc, a
    group or a unit constraint), so a solution maps back to the tables.
    """

    name: str
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    of: np.ndarray

    @classmethod
    def make(cls, name: str, of, lower, upper, integer=False) -> Variables:
        """A family over the table rows ``of``; scalars broadcast."""
        of = _ints(of)
        n = len(of)
        return cls(
            name,
            _floats(lower, n),
            _floats(upper, n),
            np.broadcast_to(np.asarray(integer, dtype=bool), (n,)).copy(),
            of,
        )

    @property
    def size(self) -> int:
        """Number of columns."""
        return len(self.of)


@dataclass(frozen=True)
class Terms:
    """Coefficients ``coef[k]`` of column ``col[k]`` of variable family ``var`` in row
    ``row[k]`` (rows and columns count from 0 within their families)."""

    var: str
    row: np.ndarray
    col: np.ndarray
    coef: np.ndarray

    @classmethod
    def make(cls, var: str, row, col, coef) -> Terms:
        """Terms from array-likes; a scalar ``row`` or ``coef`` broadcasts."""
        col = _ints(col)
        n = len(col)
        row = np.broadcast_to(np.asarray(row, dtype=np.int64), (n,)).copy()
        return cls(var, row, col, _floats(coef, n))


@dataclass(frozen=True)
class Constraints:
    """A family of rows ``lower <= sum(terms) <= upper``.

    ``lazy``: the solve may hand the solver a subset of these rows and add others as a
    relaxation violates them (valid for every integer plan without them; see
    :func:`woonplanner.model.solve.separate_linking`). ``of[k]`` is what row ``k`` stands for
    (an option, an arc, a group, a set; for reading and for choosing a subset).
    """

    name: str
    lower: np.ndarray
    upper: np.ndarray
    terms: tuple[Terms, ...]
    of: np.ndarray
    lazy: bool = False

    @classmethod
    def make(
        cls, name: str, n_rows: int, terms: Iterable[Terms], lower, upper, *, of=None, lazy=False
    ) -> Constraints:
        """A family of ``n_rows`` rows; scalar bounds broadcast, ``of`` defaults to 0..n-1."""
        return cls(
            name,
            _floats(lower, n_rows),
            _floats(upper, n_rows),
            tuple(t for t in terms if len(t.col)),
            np.arange(n_rows) if of is None else _ints(of),
            lazy,
        )

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return len(self.lower)

    def subset(self, rows: np.ndarray) -> Constraints:
        """Rows ``rows`` of this family (in that order), numbered from 0 again."""
        rows = _ints(rows)
        new = np.full(self.n_rows, -1, dtype=np.int64)
        new[rows] = np.arange(len(rows))
        terms = []
        for t in self.terms:
            keep = new[t.row] >= 0
            terms.append(Terms(t.var, new[t.row[keep]], t.col[keep], t.coef[keep]))
        return replace(
            self,
            lower=self.lower[rows],
            upper=self.upper[rows],
            terms=tuple(terms),
            of=self.of[rows],
        )


@dataclass(frozen=True)
class Formulation:
    """Variable families, constraint families and objective parts, in the order stated.

    ``parts`` are named linear functions of the columns (row 0 of each :class:`Terms`);
    ``weights`` say how the weighted objective combines them.
    """

    variables: tuple[Variables, ...]
    constraints: tuple[Constraints, ...]
    parts: dict[str, tuple[Terms, ...]]
    weights: dict[str, float]
    name: str = "problem"
    _offsets: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        offsets, at = {}, 0
        for v in self.variables:
            offsets[v.name] = at
            at += v.size
        object.__setattr__(self, "_offsets", offsets)

    # -- columns ------------------------------------------------------------------------------

    @property
    def n_cols(self) -> int:
        """Number of columns over every family."""
        return sum(v.size for v in self.variables)

    @property
    def columns(self) -> dict[str, slice]:
        """Each variable family's slice of the column vector."""
        return {
            v.name: slice(self._offsets[v.name], self._offsets[v.name] + v.size)
            for v in self.variables
        }

    def family(self, name: str) -> Variables:
        """The variable family ``name``."""
        return next(v for v in self.variables if v.name == name)

    def constraint(self, name: str) -> Constraints | None:
        """The constraint family ``name`` (``None`` when the model has none)."""
        return next((c for c in self.constraints if c.name == name), None)

    def col_lower(self) -> np.ndarray:
        """Lower bounds of every column."""
        return np.concatenate([v.lower for v in self.variables]) if self.variables else np.zeros(0)

    def col_upper(self) -> np.ndarray:
        """Upper bounds of every column."""
        return np.concatenate([v.upper for v in self.variables]) if self.variables else np.zeros(0)

    def integer(self) -> np.ndarray:
        """Integrality of every column."""
        if not self.variables:
            return np.zeros(0, dtype=bool)
        return np.concatenate([v.integer for v in self.variables])

    def global_col(self, terms: Terms) -> np.ndarray:
        """Column numbers of ``terms`` in the full column vector."""
        return terms.col + self._offsets[terms.var]

    # -- rows ---------------------------------------------------------------------------------

    def rows(self, families: Iterable[Constraints]) -> tuple[np.ndarray, ...]:
        """``(row, col, val, lower, upper)`` of ``families`` stacked in order (COO triplets)."""
        row, col, val, lower, upper = [], [], [], [], []
        at = 0
        for c in families:
            for t in c.terms:
                row.append(t.row + at)
                col.append(self.global_col(t))
                val.append(t.coef)
            lower.append(c.lower)
            upper.append(c.upper)
            at += c.n_rows
        return (
            np.concatenate(row) if row else np.zeros(0, dtype=np.int64),
            np.concatenate(col) if col else np.zeros(0, dtype=np.int64),
            np.concatenate(val) if val else np.zeros(0),
            np.concatenate(lower) if lower else np.zeros(0),
            np.concatenate(upper) if upper else np.zeros(0),
        )

    def initial(self, *, lazy: bool) -> tuple[Constraints, ...]:
        """The families handed to the solver first: all, or (``lazy=False``) without the lazy
        ones (the solve then adds their rows as it needs them)."""
        return tuple(c for c in self.constraints if lazy or not c.lazy)

    # -- objective ----------------------------------------------------------------------------

    def part(self, name: str) -> np.ndarray:
        """Objective part ``name`` as a dense cost vector over the columns."""
        vector = np.zeros(self.n_cols)
        for t in self.parts[name]:
            np.add.at(vector, self.global_col(t), t.coef)
        return vector

    def objective(self, weights: dict[str, float] | None = None) -> np.ndarray:
        """The weighted objective (``weights`` default: the formulation's) as a cost vector."""
        vector = np.zeros(self.n_cols)
        for name, weight in (weights or self.weights).items():
            if weight:
                vector += weight * self.part(name)
        return vector

    def objective_row(self, name: str, upper: float) -> Constraints:
        """The row ``part(name) <= upper`` (a lexicographic stage holding an earlier part)."""
        vector = self.part(name)
        (cols,) = np.nonzero(vector)
        terms = []
        for v in self.variables:
            lo, hi = self._offsets[v.name], self._offsets[v.name] + v.size
            mine = cols[(cols >= lo) & (cols < hi)]
            terms.append(Terms.make(v.name, 0, mine - lo, vector[mine]))
        return Constraints.make(f"hold_{name}", 1, terms, -np.inf, upper)
