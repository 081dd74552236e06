"""OR-Library benchmark instances as :class:`~woonplanner.problem.Problem` objects.

Two of Beasley's OR-Library families prove the optimisation core exact: the same
:func:`woonplanner.model.solve` that plans youth-care housing must reproduce their published
optima (``../shared/data/orlib``, see its README).

``cap`` — capacitated warehouse location (Beasley 1988)
    First line ``m n`` (warehouses, customers); then ``m`` pairs ``capacity fixed_cost``; then per
    customer its ``demand`` and ``m`` costs, each for serving *all* of the customer's demand from
    that warehouse. Numbers may wrap over lines, so the file is read as one stream of tokens. In
    ``capa/capb/capc`` the capacity is the literal word ``capacity``: those are solved at the
    capacities named in ``optima.tsv`` (``capa_8000``: every warehouse holds 8000).
``pmed`` — uncapacitated p-median (Beasley 1985)
    First line ``n edges p``; then ``i j cost`` per undirected edge (1-based vertices; an edge
    listed twice keeps its last cost). Distances are shortest paths over the edges; every vertex
    is a customer with demand 1 and a candidate site, and exactly ``p`` sites open.

Both become a single-type facility-location :class:`~woonplanner.problem.Problem`: one option
per warehouse or vertex with ``max_units=1`` (integer, nothing existing, ``unit_cost`` = fixed
cost), one group per customer that must be served in full, and a dense set of arcs whose
``cost`` is the cost of serving the whole customer there (assignment variables are shares).

:func:`run_benchmark` and :func:`format_rows` are what ``woonplanner benchmark orlib`` calls::

    rows = run_benchmark(files, optima=optima_file, single_source=single_source)
    print(format_rows(rows, json=as_json))
"""

from __future__ import annotations

import json as json_module
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import shortest_path

from woonplanner.errors import InputDataError, raise_if_problems
from woonplanner.model.solve import solve
from woonplanner.problem import Objective, Problem, UnitConstraint

#: Relative MIP gap for the benchmark: small enough that every optimum matches to 1e-6.
BENCHMARK_MIP_GAP = 1e-9

#: File names searched next to an instance when no optima file is given.
OPTIMA_FILES = ("optima.tsv", "pmedopt.txt")

ROW_KEYS = ("instance", "objective", "optimum", "rel_diff", "status", "build_s", "solve_s")


# ---------------------------------------------------------------------------------------------
# Readers
# ---------------------------------------------------------------------------------------------


def read_cap(path: str | Path, *, capacity: float | None = None) -> Problem:
    """Read an OR-Library capacitated warehouse location file (cap41 … cap134, capa/b/c).

    Parameters
    ----------
    path
        The instance file.
    capacity
        Capacity of every warehouse. Required for ``capa/capb/capc``, whose capacity field is
        the word ``capacity``; when given for a file with numeric capacities it replaces them.

    Returns
    -------
    Problem
        Named by :func:`instance_name` (``cap41``, ``capa_8000``).

    Raises
    ------
    InputDataError
        When the file is malformed, or its capacities are the word ``capacity`` and no
        ``capacity`` is given.
    """
    path = Path(path)
    tokens = _tokens(path)
    m, n = _header(path, tokens, 2)
    expected = 2 + 2 * m + n * (1 + m)
    if len(tokens) != expected:
        msg = (
            f"{path}: expected {expected} numbers for {m} warehouses and {n} customers "
            f"(2 + 2·m + n·(1 + m)), found {len(tokens)}"
        )
        raise InputDataError(msg)
    warehouse_fields = tokens[2 : 2 + 2 * m]
    capacity_fields = warehouse_fields[0::2]
    if capacity is None:
        if any(_is_word(t) for t in capacity_fields):
            msg = (
                f"{path}: the warehouse capacities are the word 'capacity' "
                "(capa/capb/capc are solved at several capacities); give one, e.g. "
                "read_cap(path, capacity=8000) or an optima file naming capa_8000"
            )
            raise InputDataError(msg)
        capacities = _numbers(path, capacity_fields, "warehouse capacity")
    else:
        if not math.isfinite(capacity) or capacity <= 0:
            msg = f"{path}: capacity must be finite and > 0, got {capacity}"
            raise InputDataError(msg)
        capacities = np.full(m, float(capacity))
    fixed_cost = _numbers(path, warehouse_fields[1::2], "warehouse fixed cost")
    customers = _numbers(path, tokens[2 + 2 * m :], "customer demand or cost").reshape(n, 1 + m)
    demand, cost = customers[:, 0], customers[:, 1:]
    if np.any(demand <= 0):
        msg = f"{path}: every customer demand must be > 0; customers {_first(demand <= 0)}"
        raise InputDataError(msg)
    return _facility_problem(
        name=instance_name(path, capacity),
        capacity=capacities,
        fixed_cost=fixed_cost,
        demand=demand,
        cost=cost,
    )


def read_pmed(path: str | Path) -> Problem:
    """Read an OR-Library p-median file (pmed1 … pmed40).

    Distances are shortest paths over the listed undirected edges (``scipy.sparse.csgraph``);
    an edge listed twice (in either direction) keeps its last cost. Every vertex is a customer
    with demand 1 and a candidate site of capacity ``n`` (the total demand, so capacity never
    binds), and one unit constraint opens exactly ``p`` sites.

    Parameters
    ----------
    path
        The instance file.

    Raises
    ------
    InputDataError
        When the file is malformed.
    """
    path = Path(path)
    tokens = _tokens(path)
    n, n_edges, p = _header(path, tokens, 3)
    body = tokens[3:]
    if len(body) != 3 * n_edges:
        msg = f"{path}: expected {n_edges} edges (3 numbers each), found {len(body)} numbers"
        raise InputDataError(msg)
    if not 1 <= p <= n:
        msg = f"{path}: p must be between 1 and n = {n}, got {p}"
        raise InputDataError(msg)
    edges = _numbers(path, body, "edge").reshape(n_edges, 3)
    ends = edges[:, :2].astype(np.int64)
    if np.any(ends != edges[:, :2]) or ends.min(initial=1) < 1 or ends.max(initial=1) > n:
        msg = f"{path}: edge ends must be vertex numbers 1..{n}"
        raise InputDataError(msg)
    if np.any(edges[:, 2] < 0):
        msg = f"{path}: edge costs must be ≥ 0"
        raise InputDataError(msg)
    lo, hi = ends.min(axis=1) - 1, ends.max(axis=1) - 1
    # Last listing wins: np.unique keeps the first occurrence, so look at the edges backwards.
    keys = (lo * n + hi)[::-1]
    _, first = np.unique(keys, return_index=True)
    keep = n_edges - 1 - first
    graph = coo_matrix((edges[keep, 2], (lo[keep], hi[keep])), shape=(n, n)).tocsr()
    dist = shortest_path(graph, method="D", directed=False)
    demand = np.ones(n)
    problem = _facility_problem(
        name=path.stem,
        capacity=np.full(n, demand.sum()),
        fixed_cost=np.zeros(n),
        demand=demand,
        cost=dist,
    )
    p_constraint = UnitConstraint(name="p", options=tuple(range(n)), sense="==", rhs=float(p))
    return Problem(
        options=problem.options,
        groups=problem.groups,
        arcs=problem.arcs,
        unit_constraints=(p_constraint,),
        objective=problem.objective,
        strong_linking=True,
        name=problem.name,
    )


def read_optima(path: str | Path) -> dict[str, float]:
    """Read known optima: ``cap/optima.tsv`` or ``pmed/pmedopt.txt``.

    Each line starts with the instance name and its optimal value; lines whose second field is
    not a number (the header of ``pmedopt.txt``) are skipped, and further columns ignored.

    Returns
    -------
    dict[str, float]
        Optimum per instance name (``cap41``, ``capa_8000``, ``pmed1``).
    """
    path = Path(path)
    optima: dict[str, float] = {}
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        try:
            optima[fields[0]] = float(fields[1])
        except ValueError:
            continue
    if not optima:
        msg = f"{path}: no 'name value' lines found"
        raise InputDataError(msg)
    return optima


def instance_name(path: str | Path, capacity: float | None) -> str:
    """Name of an instance as in the optima files: ``cap41``, ``capa_8000``, ``pmed1``."""
    stem = Path(path).stem
    if capacity is None:
        return stem
    value = float(capacity)
    return f"{stem}_{int(value) if value.is_integer() else value}"


# ---------------------------------------------------------------------------------------------
# Benchmark
# ---------------------------------------------------------------------------------------------


def load_instances(path: str | Path, optima: Mapping[str, float]) -> list[tuple[str, Problem]]:
    """The instances in one file: a p-median, or every capacity variant of a cap file.

    A cap file is solved at every capacity ``optima`` names for it (``capa_8000``, …); without
    such a name, at the capacities in the file.
    """
    path = Path(path)
    if _file_format(path) == "pmed":
        return [(path.stem, read_pmed(path))]
    variants = _capacity_variants(path.stem, optima)
    if not variants:
        return [(path.stem, read_cap(path))]
    return [(instance_name(path, c), read_cap(path, capacity=c)) for c in variants]


def run_benchmark(
    files: Iterable[str | Path],
    *,
    optima: Mapping[str, float] | str | Path | None = None,
    single_source: bool = False,
    time_limit: float | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Solve OR-Library instances with woonplanner and compare with their known optima.

    This is ``woonplanner benchmark orlib FILE... [--optima FILE] [--single-source]``.

    Parameters
    ----------
    files
        Instance files, cap or pmed format (told apart by their first line). A ``capa/b/c``
        file is solved at every capacity the optima name for it (``capa_8000``, …); any other
        cap file without a named variant at the capacities in the file.
    optima
        Known optima, or the path of an optima file (:func:`read_optima`). ``None``: read
        ``optima.tsv`` or ``pmedopt.txt`` next to each file when there is one.
    single_source
        Serve every customer whole from one warehouse (binary assignment). The published
        optima are for split demand, so ``rel_diff`` then shows the price of single sourcing.
    time_limit
        Seconds per instance; ``None`` for no limit.
    on_row
        Called with each row as soon as its instance is solved (progress on the command line:
        ``on_row=lambda row: print(format_rows([row], json=True))``).

    Returns
    -------
    list[dict]
        One row per instance with keys ``instance``, ``objective``, ``optimum`` (``None`` when
        unknown), ``rel_diff`` (``(objective - optimum) / |optimum|`` or ``None``), ``status``,
        ``build_s``, ``solve_s``. Format them with :func:`format_rows`.

    Raises
    ------
    InputDataError
        A file is missing or malformed, or a ``capa/b/c`` file has no capacity named in the
        optima (exit code 2 on the command line).

    Examples
    --------
    The command line's ``benchmark orlib FILE... [--optima FILE] [--json] [--single-source]``::

        rows = run_benchmark(files, optima=optima_file, single_source=single_source)
        print(format_rows(rows, json=as_json))
    """
    given = _as_optima(optima)
    rows: list[dict[str, Any]] = []
    # Every file is read before the first solve, so one message lists every bad file.
    loaded: list[tuple[Mapping[str, float], list[tuple[str, Problem]]]] = []
    problems: list[str] = []
    for file in files:
        path = Path(file)
        try:
            known = given if given is not None else _optima_next_to(path)
            loaded.append((known, load_instances(path, known)))
        except InputDataError as err:
            problems.append(str(err).replace("\n", "\n    "))
        except (OSError, UnicodeDecodeError, ValueError) as err:
            problems.append(f"{path}: cannot be read: {err}")
    raise_if_problems(problems, InputDataError, header="Invalid benchmark files")
    for optimum_of, instances in loaded:
        for name, problem in instances:
            if single_source:
                problem = replace(problem, single_source=True)
            result = solve(problem, time_limit=time_limit, mip_gap=BENCHMARK_MIP_GAP, threads=1)
            optimum = optimum_of.get(name)
            row = {
                "instance": name,
                "objective": result.objective,
                "optimum": optimum,
                "rel_diff": _rel_diff(result.objective, optimum),
                "status": result.status,
                "build_s": result.build_s,
                "solve_s": result.solve_s,
            }
            rows.append(row)
            if on_row is not None:
                on_row(row)
    return rows


def format_rows(rows: Iterable[Mapping[str, Any]], json: bool) -> str:
    """Rows of :func:`run_benchmark` as text: an aligned table, or JSON lines.

    Parameters
    ----------
    rows
        Benchmark rows.
    json
        One JSON object per line (keys as in the rows) instead of a table.
    """
    rows = list(rows)
    if json:
        return "\n".join(json_module.dumps({k: row.get(k) for k in ROW_KEYS}) for row in rows)
    header = ("instance", "objective", "optimum", "rel_diff", "status", "build_s", "solve_s")
    table = [header]
    for row in rows:
        table.append(
            (
                str(row["instance"]),
                _fmt(row["objective"], ".3f"),
                _fmt(row["optimum"], ".3f"),
                _fmt(row["rel_diff"], ".1e"),
                str(row["status"]),
                _fmt(row["build_s"], ".2f"),
                _fmt(row["solve_s"], ".2f"),
            )
        )
    widths = [max(len(r[k]) for r in table) for k in range(len(header))]
    lines = []
    for r in table:
        cells = [r[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _facility_problem(
    *,
    name: str,
    capacity: np.ndarray,
    fixed_cost: np.ndarray,
    demand: np.ndarray,
    cost: np.ndarray,
) -> Problem:
    """A single-type facility-location problem from dense arrays (``cost[customer, site]``)."""
    m = cost.shape[1]
    options = pd.DataFrame(
        {
            "site": [str(j + 1) for j in range(m)],
            "type": "facility",
            "capacity": capacity.astype(float),
            "existing": 0,
            "max_units": 1,
            "unit_cost": fixed_cost.astype(float),
            "open_cost": 0.0,
            "close_cost": 0.0,
            "integer": True,
        }
    )
    groups = pd.DataFrame({"demand": demand.astype(float), "may_be_unplaced": False})
    group, option = np.nonzero(np.isfinite(cost))  # unreachable p-median vertices: no arc
    arcs = pd.DataFrame({"group": group, "option": option, "cost": cost[group, option], "km": 0.0})
    return Problem(
        options=options,
        groups=groups,
        arcs=arcs,
        objective=Objective(mode="weighted", km_weight=0.0),
        strong_linking=True,
        name=name,
    )


def _tokens(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror})"
        raise InputDataError(msg) from exc


def _header(path: Path, tokens: list[str], count: int) -> list[int]:
    head = tokens[:count]
    try:
        values = [int(t) for t in head]
    except ValueError:
        values = []
    if len(values) != count or min(values) < 0:
        msg = f"{path}: the first line must hold {count} non-negative integers, got {head}"
        raise InputDataError(msg)
    return values


def _is_word(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return True
    return False


def _numbers(path: Path, tokens: list[str], what: str) -> np.ndarray:
    try:
        values = np.array(tokens, dtype=float)
    except ValueError:
        bad = next(t for t in tokens if _is_word(t))
        msg = f"{path}: {what}: expected a number, got {bad!r}"
        raise InputDataError(msg) from None
    if not np.all(np.isfinite(values)):
        msg = f"{path}: {what}: numbers must be finite"
        raise InputDataError(msg)
    return values


def _first(mask: np.ndarray, k: int = 5) -> list[int]:
    """1-based positions of the first ``k`` true entries (for messages)."""
    return (np.flatnonzero(mask)[:k] + 1).tolist()


def _file_format(path: Path) -> str:
    """``cap`` (first line ``m n``) or ``pmed`` (first line ``n edges p``)."""
    try:
        with path.open() as f:
            first = f.readline().split()
    except OSError as exc:
        msg = f"{path}: cannot read ({exc.strerror})"
        raise InputDataError(msg) from exc
    if len(first) == 3:
        return "pmed"
    if len(first) == 2:
        return "cap"
    msg = f"{path}: not an OR-Library cap (first line 'm n') or pmed (first line 'n edges p') file"
    raise InputDataError(msg)


def _capacity_variants(stem: str, optima: Mapping[str, float]) -> list[float]:
    """Capacities named in the optima for file ``stem``: ``capa_8000`` → 8000, in file order."""
    variants = []
    for name in optima:
        prefix, _, suffix = name.rpartition("_")
        if prefix == stem:
            try:
                variants.append(float(suffix))
            except ValueError:
                continue
    return variants


def _as_optima(optima: Mapping[str, float] | str | Path | None) -> dict[str, float] | None:
    if optima is None:
        return None
    if isinstance(optima, str | Path):
        return read_optima(optima)
    return dict(optima)


def _optima_next_to(path: Path) -> dict[str, float]:
    """The optima file beside an instance (empty when there is none)."""
    for name in OPTIMA_FILES:
        candidate = path.parent / name
        if candidate.is_file():
            return read_optima(candidate)
    return {}


def _rel_diff(objective: float | None, optimum: float | None) -> float | None:
    if objective is None or optimum is None:
        return None
    return (objective - optimum) / max(abs(optimum), 1e-12)


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)
