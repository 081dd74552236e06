"""The buurt level at scale: one region at wijk level and split into synthetic buurten.

The region's wijken are split by ``woonplanner data split-buurten``
(:mod:`woonplanner.data.buurten`: seeded, **synthetic** buurten that add up to the wijken) into a
temporary data folder, and the
region is prepared from that folder twice, as ``woonplanner run scenarios/jeugdregio.toml
--data-dir DIR --set region.jeugdregio=JZxx --set region.level=wijk|buurt`` prepares it. Each
level runs in a fresh Python process, so its peak memory is its own.

Columns of the table:

``neighbourhoods``, ``groups``, ``options``, ``arcs``
    the :class:`woonplanner.problem.Problem` (runner ``prepare``).
``columns``, ``rows``, ``nonzeros``
    the full matrix (:func:`woonplanner.model.build.build_matrix`: every group, every
    linking row), before any merging, separation or presolve.
``prepare_s``
    reading the data, travel tables and arcs (runner ``prepare``).
``matrix_s``
    building that matrix.
``peak_mib``
    the process's peak resident memory (``ru_maxrss``) after the build, or after the solve
    with ``--solve``; a bare Python process with woonplanner imported is about 200 MiB.
``cols_solved``, ``lp_columns``, ``rows_solved``, ``solve_s``, ``solve_cpu_s``, ``status``, ``gap``
    with ``--solve SECONDS`` only: :func:`woonplanner.model.solve` with that time limit: the
    columns after merging identical groups, the columns its LP relaxation held at the end
    (arcs priced, :mod:`woonplanner.model.pricing`; 0 when it did not finish), the rows handed
    to HiGHS, wall clock (which the limit counts) and this process's CPU seconds.
``objective``, ``bound``, ``unplaced``
    with ``--solve``: the plan's objective and the proven bound (millions; ``-`` without one)
    and the children the plan leaves without a place (synthetic buurten: not personal data).
``plain_s``, ``plain_status``, ``plain_gap``, ``ratio``
    with ``--solve`` and ``--plain``: plain HiGHS on the same model (every row, one run; see
    ``benchmarks/regions.py``) with the same limit, and its seconds over woonplanner's.

Usage::

    python benchmarks/buurt.py                          # JZ02 Friesland, no solve
    python benchmarks/buurt.py --region JZ15 --seed 1
    python benchmarks/buurt.py --solve 600 --markdown   # also solve both levels
    python benchmarks/buurt.py --solve 300 --plain      # and plain HiGHS beside it

The table in ``benchmarks/RESULTS.md`` ("Buurt level (synthetic)") comes from this script.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "jeugdregio.toml"
SHARED = Path(os.environ.get("WOONPLANNER_SHARED_DATA", REPO.parent / "shared" / "data"))
DATA_DIR = SHARED / "nl"

COLUMNS = (
    "level",
    "neighbourhoods",
    "groups",
    "options",
    "arcs",
    "columns",
    "rows",
    "nonzeros",
    "prepare_s",
    "matrix_s",
    "peak_mib",
)
SOLVE_COLUMNS = (
    "cols_solved",
    "lp_columns",
    "rows_solved",
    "solve_s",
    "solve_cpu_s",
    "status",
    "gap",
    "objective",
    "bound",
    "unplaced",
)
PLAIN_COLUMNS = ("plain_s", "plain_status", "plain_gap", "ratio")


def measure(
    level: str, data_dir: Path, region: str, solve_limit: float | None, plain: bool = False
) -> dict[str, Any]:
    """Prepare (and optionally solve) ``region`` at ``level`` from ``data_dir``: one row
    (``plain``: and plain HiGHS on the same model with the same limit)."""
    from woonplanner.model.build import build_matrix
    from woonplanner.runner import prepare
    from woonplanner.scenario import load_scenario

    overrides = [f"region.jeugdregio={region}", f"region.level={level}"]
    scenario = load_scenario(SCENARIO, overrides=overrides, data_dir=data_dir)
    start = time.perf_counter()
    prepared = prepare(scenario)
    prepare_s = time.perf_counter() - start
    problem = prepared.problem
    start = time.perf_counter()
    matrix = build_matrix(problem)
    matrix_s = time.perf_counter() - start
    row: dict[str, Any] = {
        "level": level,
        "neighbourhoods": len(prepared.region.neighbourhoods),
        "groups": problem.n_groups,
        "options": problem.n_options,
        "arcs": problem.n_arcs,
        "columns": matrix.n_cols,
        "rows": matrix.n_rows,
        "nonzeros": len(matrix.value),
        "prepare_s": prepare_s,
        "matrix_s": matrix_s,
    }
    del matrix
    if solve_limit is not None:
        from woonplanner.model import solve

        cpu = time.process_time()
        result = solve(
            problem,
            time_limit=solve_limit,
            mip_gap=scenario.solver.mip_gap,
            threads=scenario.solver.threads,
            seed=scenario.solver.seed,
        )
        row.update(
            cols_solved=result.columns,
            lp_columns=result.lp_columns,
            rows_solved=result.rows,
            solve_s=result.solve_s,
            solve_cpu_s=time.process_time() - cpu,
            status=result.status,
            gap=result.gap,
            objective=result.objective,
            bound=result.bound,
            unplaced=result.parts.get("unplaced_children"),
        )
        if plain:
            from regions import solve_plain

            row.update(
                solve_plain(
                    problem,
                    time_limit=solve_limit,
                    mip_gap=scenario.solver.mip_gap,
                    threads=scenario.solver.threads,
                    seed=scenario.solver.seed,
                )
            )
            row["ratio"] = row["plain_s"] / (result.build_s + result.solve_s)
    # Linux reports ru_maxrss in KiB
    row["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return row


def _in_child(
    level: str, data_dir: Path, region: str, solve_limit: float | None, plain: bool
) -> dict:
    """:func:`measure` in a fresh interpreter, so the peak memory is this level's alone."""
    command = [sys.executable, __file__, "--child", level, "--data-dir", str(data_dir)]
    command += ["--region", region]
    if solve_limit is not None:
        command += ["--solve", str(solve_limit)]
    if plain:
        command += ["--plain"]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fmt(value: Any, column: str) -> str:
    if value is None:
        return "-"
    if column in ("gap", "plain_gap"):
        return f"{100 * value:.2f} %"
    if column == "ratio":
        return f"{value:.2f}"
    if column in ("objective", "bound"):
        return f"{value / 1e6:,.1f} M"
    if column == "unplaced":
        return f"{value:,.1f}"
    if column == "peak_mib":
        return f"{value:,.0f}"
    if column.endswith("_s"):
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_table(rows: list[dict[str, Any]], columns: list[str], *, markdown: bool) -> str:
    """The rows and a ``buurt / wijk`` ratio row, plain or as Markdown."""
    ratio: dict[str, Any] = {"level": "buurt / wijk"}
    if len(rows) == 2:
        for c in columns[1:]:
            if c in ("gap", "plain_gap", "ratio"):  # a ratio of these says nothing
                continue
            a, b = rows[0].get(c), rows[1].get(c)
            if isinstance(a, int | float) and isinstance(b, int | float) and a:
                ratio[c] = f"{b / a:.1f}×"
    cells = [[_fmt(r.get(c), c) for c in columns] for r in rows]
    cells.append([str(ratio.get(c, "")) for c in columns])
    if markdown:
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in cells])
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    return "\n".join(
        "  ".join(
            v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [columns, *cells]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", default="JZ02", help="jeugdregio code (default JZ02)")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="CBS data folder")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split (default 0)")
    parser.add_argument("--solve", type=float, default=None, help="also solve, this time limit")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument(
        "--plain", action="store_true", help="with --solve: plain HiGHS on the same model too"
    )
    parser.add_argument("--child", choices=("wijk", "buurt"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:  # one level, in its own process: print its row as JSON
        row = measure(args.child, args.data_dir, args.region, args.solve, args.plain)
        print(json.dumps(row))
        return

    from woonplanner.outputs.datafolder import write_data_folder

    with tempfile.TemporaryDirectory(prefix="woonplanner-buurt-") as tmp:
        start = time.perf_counter()
        folder = write_data_folder(
            args.data_dir, Path(tmp) / "split", [args.region], seed=args.seed
        )
        split_s = time.perf_counter() - start
        rows = [
            _in_child(level, folder, args.region, args.solve, args.plain)
            for level in ("wijk", "buurt")
        ]
    columns = list(COLUMNS) + (list(SOLVE_COLUMNS) if args.solve is not None else [])
    if args.solve is not None and args.plain:
        columns += PLAIN_COLUMNS
    print(
        f"# {args.region}, synthetic buurten with seed {args.seed} (split in {split_s:.1f} s); "
        f"scenarios/jeugdregio.toml"
        + (f"; solve limit {args.solve:g} s" if args.solve is not None else "")
    )
    print(format_table(rows, columns, markdown=args.markdown))


if __name__ == "__main__":
    main()
