"""Render a :class:`~woonplanner.model.formulation.Formulation` as a HiGHS model (the fast path).

Arrays in, arrays out: the column bounds, integrality and the CSC matrix of every family go to
``highspy`` in one ``passModel``; rows added later (a lazy family's subset, a lexicographic
holding row) go through :func:`add_rows` from the same families. Nothing here knows a family by
name.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import highspy
import numpy as np
from pyomo.common.tee import capture_output

from woonplanner.model.formulation import Constraints, Formulation


@dataclass(frozen=True)
class MatrixModel:
    """A formulation as a matrix: ``row_lower <= A x <= row_upper``, bounds, integrality.

    Columns follow the formulation's variable families (:attr:`columns` gives each family's
    slice); rows its constraint families in order (the lazy ones only when asked for). The
    objective parts are dense cost vectors over the columns.
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
    formulation: Formulation = field(repr=False)

    @property
    def n_cols(self) -> int:
        """Number of columns (variables)."""
        return len(self.col_lower)

    @property
    def n_rows(self) -> int:
        """Number of rows (constraints)."""
        return len(self.row_lower)

    def weighted_objective(self, _problem: object = None) -> np.ndarray:
        """``penalties + km_weight * child_km + cost`` as one cost vector."""
        return self.formulation.objective()


def _csc(
    row: np.ndarray, col: np.ndarray, val: np.ndarray, n_cols: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSC arrays (starts, row indices, values), rows ascending within each column."""
    order = np.lexsort((row, col))
    start = np.searchsorted(col[order], np.arange(n_cols + 1)).astype(np.int32)
    return start, row[order].astype(np.int32), val[order]


def _csr(
    row: np.ndarray, col: np.ndarray, val: np.ndarray, n_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """CSR arrays (starts, column indices, values), columns ascending within each row."""
    start, index, value = _csc(col, row, val, n_rows)
    return start, index, value


def to_matrix(formulation: Formulation, *, lazy: bool = True) -> MatrixModel:
    """The matrix of ``formulation``: every family, or (``lazy=False``) all but the lazy ones."""
    row, col, val, lower, upper = formulation.rows(formulation.initial(lazy=lazy))
    start, index, value = _csc(row, col, val, formulation.n_cols)
    columns = formulation.columns
    return MatrixModel(
        col_lower=formulation.col_lower(),
        col_upper=formulation.col_upper(),
        integer=formulation.integer(),
        row_lower=lower,
        row_upper=upper,
        start=start,
        index=index,
        value=value,
        columns=columns,
        unplaced_groups=formulation.family("unplaced").of,
        soft_constraints=formulation.family("violation").of,
        parts={name: formulation.part(name) for name in formulation.parts},
        formulation=formulation,
    )


def new_highs(
    *,
    threads: int | None = 1,
    seed: int = 0,
    mip_gap: float = 1e-4,
    log: Sequence[IO[str]] = (),
    options: dict[str, bool | int | float | str] | None = None,
) -> highspy.Highs:
    """An empty HiGHS instance with the solve's options (and any extra ``options``)."""
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
    for name, value in (options or {}).items():
        highs.setOptionValue(name, value)
    return highs


def to_highs(
    mm: MatrixModel,
    *,
    threads: int | None = 1,
    seed: int = 0,
    mip_gap: float = 1e-4,
    log: Sequence[IO[str]] = (),
) -> highspy.Highs:
    """A new HiGHS instance holding ``mm`` with the weighted objective."""
    highs = new_highs(threads=threads, seed=seed, mip_gap=mip_gap, log=log)
    pass_model(highs, mm)
    return highs


def pass_model(
    highs: highspy.Highs,
    mm: MatrixModel,
    *,
    costs: np.ndarray | None = None,
    col_lower: np.ndarray | None = None,
    col_upper: np.ndarray | None = None,
    integer: np.ndarray | None = None,
    col_names: list[str] | None = None,
    row_names: list[str] | None = None,
) -> None:
    """Hand ``mm`` to ``highs`` (costs default: the weighted objective; bounds and integrality
    default: the model's own; names only when given)."""
    lp = highspy.HighsLp()
    lp.num_col_ = mm.n_cols
    lp.num_row_ = mm.n_rows
    lp.col_cost_ = mm.weighted_objective() if costs is None else costs
    lp.col_lower_ = mm.col_lower if col_lower is None else col_lower
    lp.col_upper_ = mm.col_upper if col_upper is None else col_upper
    lp.row_lower_ = mm.row_lower
    lp.row_upper_ = mm.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = mm.start
    lp.a_matrix_.index_ = mm.index
    lp.a_matrix_.value_ = mm.value
    integer = mm.integer if integer is None else integer
    if integer.any():
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[k] for k in integer.tolist()]
    if col_names is not None:
        lp.col_names_ = col_names
    if row_names is not None:
        lp.row_names_ = row_names
    highs.passModel(lp)


def add_rows(
    highs: highspy.Highs, formulation: Formulation, families: Iterable[Constraints]
) -> int:
    """Append the rows of ``families`` to ``highs`` (a lazy family's subset, a holding row).

    Returns the number of rows added.
    """
    families = list(families)
    row, col, val, lower, upper = formulation.rows(families)
    n = len(lower)
    if not n:
        return 0
    start, index, value = _csr(row, col, val, n)
    highs.addRows(
        n,
        np.where(np.isfinite(lower), lower, -highspy.kHighsInf),
        np.where(np.isfinite(upper), upper, highspy.kHighsInf),
        len(value),
        start[:-1],
        index,
        value,
    )
    return n


def write_model(formulation: Formulation, path: str | Path, file_format: str) -> MatrixModel:
    """Write the full model (every family, the lazy rows included; the weighted objective) as
    ``file_format`` (``"mps"`` or ``"lp"``) with HiGHS' ``writeModel``, for any solver.

    Column names say the family and its index (``assign_17``), row names the family and its
    row (``capacity_3``). Returns the matrix written.
    """
    if file_format not in ("mps", "lp"):
        raise ValueError(f"unknown model format {file_format!r}: mps or lp")
    mm = to_matrix(formulation)
    highs = new_highs()
    pass_model(
        highs,
        mm,
        col_names=[f"{v.name}_{k}" for v in formulation.variables for k in range(v.size)],
        row_names=[f"{c.name}_{k}" for c in formulation.constraints for k in range(c.n_rows)],
    )
    path = Path(path)
    # HiGHS picks the format by the file's extension: write under the right one, then move.
    with tempfile.TemporaryDirectory(dir=path.resolve().parent) as tmp:
        written = Path(tmp) / f"model.{file_format}"
        with capture_output(capture_fd=True):
            status = highs.writeModel(str(written))
        if status != highspy.HighsStatus.kOk or not written.exists():
            raise OSError(f"HiGHS could not write {path}")
        os.replace(written, path)
    return mm
