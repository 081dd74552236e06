"""Real jeugdregio's from CBS open data: problem size, build and solve seconds, status, gap.

Each region is planned the way ``woonplanner run scenarios/jeugdregio.toml --data-dir DIR
--set region.jeugdregio=JZxx`` plans it (the same steps as :func:`woonplanner.runner.run`, up to
the solve), with every step timed on its own:

``data_s``
    read the region's wijken, representative points, school anchors, demand estimate
    (``load_region`` … ``read_demand``). The CBS files are read once per worker before any
    region is timed (a warm-up, printed on stderr), as they would be once per ``run-all``
    worker; ``data_s`` is the per-region part.
``arcs_s``
    distances and arc generation (``travel_tables`` + ``build_problem``).
``build_s``
    the formulation and its HiGHS matrix, as :func:`woonplanner.model.solve` times it
    (``formulate`` + ``to_matrix``; each stage then hands it to its own HiGHS object, inside
    ``solve_s``): the number the run's manifest calls ``build``.
``solve_s``
    the HiGHS run and reading the values back (wall clock, which HiGHS' time limit counts).
``cpu_s``
    CPU seconds this process used over build + solve: well below ``build_s + solve_s`` when
    the machine is busy with other work, which then also shows as a lower gap at a time limit.

``variables``, ``constraints`` and ``integer`` are the columns, rows and integer columns of
the full matrix (every group, every linking row); ``cols_solved`` and ``rows_solved`` what
:func:`woonplanner.model.solve` gave HiGHS in the end, after merging identical groups and
separating the linking rows (both before HiGHS' presolve). One HiGHS thread per region (the
scenario's default, for reproducible plans); ``--jobs`` regions run side by side in a process
pool.

Usage::

    python benchmarks/regions.py                              # all 42 regions, 60 s each
    python benchmarks/regions.py --regions JZ15,JZ43 --time-limit 120 --csv /tmp/r.csv
    python benchmarks/regions.py --gaps --regions JZ15,JZ43,JZ06,JZ02   # gap at 10/30/60 s
    python benchmarks/regions.py --markdown ...               # tables as Markdown

The figures in ``benchmarks/RESULTS.md`` ("Regions") come from this script.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "jeugdregio.toml"
#: The shared data folder: $WOONPLANNER_SHARED_DATA or ../shared/data, Dutch files in nl/.
SHARED = Path(os.environ.get("WOONPLANNER_SHARED_DATA", REPO.parent / "shared" / "data"))
DATA_DIR = SHARED / "nl"
#: Regions of ``--gaps`` by default: small, medium (the hard 37-wijk one), Alkmaar, Friesland.
GAP_REGIONS = ("JZ15", "JZ43", "JZ06", "JZ02")
GAP_LIMITS = (10.0, 30.0, 60.0)

COLUMNS = (
    "code",
    "name",
    "wijken",
    "groups",
    "arcs",
    "variables",
    "constraints",
    "integer",
    "cols_solved",
    "rows_solved",
    "data_s",
    "arcs_s",
    "build_s",
    "solve_s",
    "cpu_s",
    "status",
    "gap",
)
#: With ``--plain``: plain HiGHS on the same model (every row, one run, no merging, no
#: separation, no start), and its total time over woonplanner's (build + solve).
PLAIN_COLUMNS = ("plain_s", "plain_status", "plain_gap", "ratio")
GAP_COLUMNS = (
    "code",
    "name",
    "wijken",
    "variables",
    "time_limit_s",
    "build_s",
    "solve_s",
    "cpu_s",
    "status",
    "gap",
    "objective",
    "bound",
)


def _scenario(code: str, data_dir: Path, time_limit: float, mip_gap: float):
    """The jeugdregio scenario for one region with this run's solver settings."""
    from woonplanner.scenario import load_scenario

    overrides = [
        f"region.jeugdregio={code}",
        f"solver.time_limit_s={time_limit}",
        f"solver.mip_gap={mip_gap}",
    ]
    return load_scenario(SCENARIO, overrides=overrides, data_dir=data_dir)


def prepare(code: str, data_dir: Path, time_limit: float, mip_gap: float) -> dict[str, Any]:
    """Data and arcs of one region, timed: the problem plus its size and seconds.

    Returns a dict with ``problem``, ``scenario`` and the size and timing figures.
    """
    from woonplanner.model.build import build_matrix
    from woonplanner.runner import prepare as prepare_run

    scenario = _scenario(code, data_dir, time_limit, mip_gap)
    timings: dict[str, float] = {}
    prepared = prepare_run(scenario, timings=timings)
    region, problem = prepared.region, prepared.problem
    data_s = timings["data"]
    arcs_s = timings["travel"] + timings["arcs"]

    # Only for the counts: solve() builds the matrix again and times that build itself.
    mm = build_matrix(problem)
    return {
        "scenario": scenario,
        "problem": problem,
        "wijken": len(region.neighbourhoods),
        "groups": problem.n_groups,
        "arcs": problem.n_arcs,
        "variables": mm.n_cols,
        "constraints": mm.n_rows,
        "integer": int(mm.integer.sum()),
        "data_s": data_s,
        "arcs_s": arcs_s,
    }


def solve_plain(problem, *, time_limit: float, mip_gap: float, threads: int, seed: int) -> dict:
    """Plain HiGHS on the same model: the full matrix (every row, the lazy ones too, the same
    objective) in one HiGHS run with the same gap, threads, seed and time limit; its wall
    seconds (build included), status and gap."""
    from woonplanner.model.build import build_matrix
    from woonplanner.model.highs_model import to_highs

    start = time.perf_counter()
    highs = to_highs(build_matrix(problem), threads=threads, seed=seed, mip_gap=mip_gap)
    highs.setOptionValue("time_limit", time_limit)
    highs.run()
    info = highs.getInfo()
    status = highs.modelStatusToString(highs.getModelStatus()).lower().replace(" ", "_")
    return {
        "plain_s": time.perf_counter() - start,
        "plain_status": "optimal" if status == "optimal" else status,
        "plain_gap": info.mip_gap if info.primal_solution_status == 2 else None,
    }


def measure_region(
    code: str, data_dir: Path, time_limit: float, mip_gap: float, plain: bool = False
) -> dict[str, Any]:
    """One line of the table: size, seconds per step, status and gap of region ``code``
    (``plain``: and plain HiGHS on the same model, :func:`solve_plain`)."""
    from woonplanner.model import solve

    try:
        prepared = prepare(code, data_dir, time_limit, mip_gap)
        scenario = prepared.pop("scenario")
        problem = prepared.pop("problem")
        cpu = time.process_time()
        result = solve(
            problem,
            time_limit=scenario.solver.time_limit_s,
            mip_gap=scenario.solver.mip_gap,
            threads=scenario.solver.threads,
            seed=scenario.solver.seed,
        )
        cpu_s = time.process_time() - cpu
        other = {}
        if plain:
            other = solve_plain(
                problem,
                time_limit=time_limit,
                mip_gap=mip_gap,
                threads=scenario.solver.threads,
                seed=scenario.solver.seed,
            )
            other["ratio"] = other["plain_s"] / (result.build_s + result.solve_s)
    except Exception as err:  # one failing region must not end the benchmark
        return {"code": code, "status": f"error: {type(err).__name__}: {err}".replace("\n", " ")}
    return {
        "code": code,
        **prepared,
        "build_s": result.build_s,
        "solve_s": result.solve_s,
        "cpu_s": cpu_s,
        "cols_solved": result.columns,
        "rows_solved": result.rows,
        "status": result.status,
        "gap": result.gap,
        **other,
    }


def measure_gaps(
    code: str, data_dir: Path, limits: Iterable[float], mip_gap: float
) -> list[dict[str, Any]]:
    """Solve region ``code`` once per time limit (separate solves, same problem)."""
    from woonplanner.model import solve

    prepared = prepare(code, data_dir, max(limits), mip_gap)
    scenario, problem = prepared["scenario"], prepared["problem"]
    rows = []
    for limit in limits:
        cpu = time.process_time()
        result = solve(
            problem,
            time_limit=limit,
            mip_gap=mip_gap,
            threads=scenario.solver.threads,
            seed=scenario.solver.seed,
        )
        rows.append(
            {
                "code": code,
                "wijken": prepared["wijken"],
                "variables": prepared["variables"],
                "time_limit_s": limit,
                "build_s": result.build_s,
                "solve_s": result.solve_s,
                "cpu_s": time.process_time() - cpu,
                "status": result.status,
                "gap": result.gap,
                "objective": result.objective,
                "bound": result.bound,
            }
        )
    return rows


def _warm_up(data_dir: str, code: str) -> None:
    """Read the CBS files into this worker's cache so ``data_s`` is the per-region part."""
    from woonplanner.region import load_region

    start = time.perf_counter()
    load_region(_scenario(code, Path(data_dir), 60.0, 1e-3))
    print(
        f"# worker {os.getpid()}: CBS files read in {time.perf_counter() - start:.2f} s (warm-up)",
        file=sys.stderr,
        flush=True,
    )


def region_names(data_dir: Path) -> dict[str, str]:
    """``{code: name}`` of every jeugdregio in the data folder."""
    from woonplanner.batch import list_regions

    table = list_regions(data_dir)
    return dict(zip(table["jeugdregio"], table["jeugdregio_name"], strict=True))


def run_pool(
    tasks: list[tuple[Callable[..., Any], tuple[Any, ...]]],
    *,
    jobs: int,
    data_dir: Path,
    warm_code: str,
    done: Callable[[Any], None],
) -> None:
    """Run ``tasks`` in ``jobs`` processes (in order of submission), calling ``done`` on each."""
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_warm_up, initargs=(str(data_dir), warm_code)
    ) as pool:
        futures = [pool.submit(fn, *args) for fn, args in tasks]
        for future in as_completed(futures):
            done(future.result())


def _fmt(value: Any, column: str) -> str:
    """A table cell: seconds with 3 decimals (2 for solve), gap in percent, counts with commas."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if column == "ratio":
        return f"{value:.2f}"
    if column in ("gap", "plain_gap"):
        return f"{100 * value:.3f} %"
    if column in ("objective", "bound"):
        return f"{value:,.0f}"
    if column == "time_limit_s":
        return f"{value:g}"
    if column.endswith("_s"):
        return f"{value:.3f}" if column != "solve_s" else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def format_table(rows: list[dict[str, Any]], columns: Iterable[str], *, markdown: bool) -> str:
    """``rows`` as an aligned plain-text table, or as a Markdown table."""
    columns = list(columns)
    cells = [[_fmt(row.get(c), c) for c in columns] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(r) + " |" for r in cells]
        return "\n".join(lines)
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    left = {"code", "name", "status"}

    def line(values: list[str]) -> str:
        return "  ".join(
            v.ljust(w) if c in left else v.rjust(w)
            for v, w, c in zip(values, widths, columns, strict=True)
        )

    return "\n".join([line(columns), *(line(r) for r in cells)])


def summary(rows: list[dict[str, Any]], *, mip_gap: float, time_limit: float, wall_s: float) -> str:
    """What the table says in a few lines: optimal count, slowest, gaps, build against solve."""
    ok = [r for r in rows if not str(r.get("status", "")).startswith("error")]
    optimal = [r for r in ok if r["status"] == "optimal"]
    other = [r for r in ok if r["status"] != "optimal"]
    slowest = sorted(ok, key=lambda r: r["solve_s"], reverse=True)[:5]
    largest = max(ok, key=lambda r: r["wijken"]) if ok else None
    gaps = sorted(r["gap"] for r in ok if r["gap"] is not None)
    lines = [
        f"regions: {len(rows)}; errors: {len(rows) - len(ok)}",
        f"optimal (gap <= {100 * mip_gap:g} %) within {time_limit:g} s: {len(optimal)} of "
        f"{len(rows)}",
    ]
    if other:
        lines.append(
            "not optimal: "
            + ", ".join(
                f"{r['code']} ({r['status']}, gap {_fmt(r['gap'], 'gap')})"
                for r in sorted(other, key=lambda r: r["code"])
            )
        )
    if slowest:
        lines.append(
            "slowest solves: " + ", ".join(f"{r['code']} {r['solve_s']:.1f} s" for r in slowest)
        )
    if gaps:
        bins = [(0.0, 0.0), (0.0, 1e-3), (1e-3, 5e-3), (5e-3, 1e-2), (1e-2, float("inf"))]
        counts = [
            sum(1 for g in gaps if g == 0.0) if hi == 0.0 else sum(1 for g in gaps if lo < g <= hi)
            for lo, hi in bins
        ]
        lines.append(
            f"gaps: = 0: {counts[0]}, (0, 0.1 %]: {counts[1]}, (0.1, 0.5 %]: {counts[2]}, "
            f"(0.5, 1 %]: {counts[3]}, > 1 %: {counts[4]}; "
            f"median {_fmt(gaps[len(gaps) // 2], 'gap')}, max {_fmt(gaps[-1], 'gap')}"
        )
    if ok:
        for column in ("data_s", "arcs_s", "build_s", "solve_s"):
            values = [r[column] for r in ok]
            top = max(ok, key=lambda r, c=column: r[c])
            lines.append(f"{column}: max {top[column]:.3f} ({top['code']}), sum {sum(values):.2f}")
    if largest is not None:
        total = sum(largest[c] for c in ("data_s", "arcs_s", "build_s", "solve_s"))
        lines.append(
            f"largest region {largest['code']} ({largest['wijken']} wijken): build "
            f"{largest['build_s']:.3f} s + solve {largest['solve_s']:.2f} s; data + arcs + build "
            f"+ solve {total:.2f} s; {largest['status']}, gap {_fmt(largest['gap'], 'gap')}"
        )
    compared = [r for r in ok if r.get("ratio") is not None]
    if compared:
        ratios = sorted(r["ratio"] for r in compared)
        plain_optimal = sum(r["plain_status"] == "optimal" for r in compared)
        ours = sum(r["build_s"] + r["solve_s"] for r in compared)
        theirs = sum(r["plain_s"] for r in compared)
        lines.append(
            f"plain HiGHS on the same model: optimal in {plain_optimal} of {len(compared)} "
            f"(woonplanner: {len(optimal)}); {theirs:.1f} s against {ours:.1f} s in all "
            f"(ratio {theirs / ours:.2f}); per region plain / woonplanner median "
            f"{ratios[len(ratios) // 2]:.2f}, min {ratios[0]:.2f}, max {ratios[-1]:.2f} "
            f"(a plain run cut at the time limit counts as the limit)"
        )
    lines.append(f"wall time: {wall_s:.1f} s")
    lines.append("load average (1, 5, 15 min) at the end: " + _load())
    return "\n".join(lines)


def _load() -> str:
    """The machine's load averages: other work on the 2 cores slows every wall-clock figure."""
    return ", ".join(f"{v:.2f}" for v in os.getloadavg())


def _parse_regions(text: str | None, names: dict[str, str]) -> list[str]:
    if not text:
        return list(names)
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    unknown = [c for c in codes if c not in names]
    if unknown:
        raise SystemExit(f"--regions: unknown codes {unknown}; known: {', '.join(names)}")
    return codes


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", help="comma-separated codes (default: all, or the --gaps set)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve")
    parser.add_argument("--mip-gap", type=float, default=0.001, help="relative MIP gap")
    parser.add_argument("--jobs", type=int, default=2, help="regions solved side by side")
    parser.add_argument("--csv", type=Path, help="also write the table to this CSV file")
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR, help="CBS data folder")
    parser.add_argument(
        "--gaps",
        action="store_true",
        help=f"gap reached at each --limits (separate solves); regions default "
        f"{','.join(GAP_REGIONS)}",
    )
    parser.add_argument(
        "--limits",
        default=",".join(f"{s:g}" for s in GAP_LIMITS),
        help="time limits of --gaps, comma-separated seconds",
    )
    parser.add_argument("--markdown", action="store_true", help="print tables as Markdown")
    parser.add_argument(
        "--plain",
        action="store_true",
        help="also solve each region with plain HiGHS on the same model, side by side",
    )
    args = parser.parse_args(argv)

    if not args.data_dir.is_dir():
        raise SystemExit(f"{args.data_dir}: no such folder (set WOONPLANNER_SHARED_DATA)")
    names = region_names(args.data_dir)
    if args.gaps and not args.regions:
        args.regions = ",".join(GAP_REGIONS)
    codes = _parse_regions(args.regions, names)
    rows: list[dict[str, Any]] = []
    print(f"# load average (1, 5, 15 min) at the start: {_load()}", flush=True)
    start = time.perf_counter()

    if args.gaps:
        limits = [float(s) for s in args.limits.split(",")]
        tasks = [(measure_gaps, (c, args.data_dir, limits, args.mip_gap)) for c in codes]

        def done(result: list[dict[str, Any]]) -> None:
            for row in result:
                row["name"] = names[row["code"]]
                rows.append(row)
                print("# " + format_table([row], GAP_COLUMNS, markdown=False).splitlines()[1])
            sys.stdout.flush()

        columns: tuple[str, ...] = GAP_COLUMNS
    else:
        tasks = [
            (measure_region, (c, args.data_dir, args.time_limit, args.mip_gap, args.plain))
            for c in codes
        ]

        def done(row: dict[str, Any]) -> None:
            row["name"] = names[row["code"]]
            rows.append(row)
            elapsed = time.perf_counter() - start
            print(
                f"# [{len(rows)}/{len(codes)}] {row['code']} {row['status']}"
                f" solve {_fmt(row.get('solve_s'), 'solve_s')} s ({elapsed:.0f} s elapsed)",
                flush=True,
            )

        columns = COLUMNS + (PLAIN_COLUMNS if args.plain else ())

    run_pool(tasks, jobs=args.jobs, data_dir=args.data_dir, warm_code=codes[0], done=done)
    wall_s = time.perf_counter() - start
    rows.sort(key=lambda r: (r["code"], r.get("time_limit_s", 0.0)))
    print(format_table(rows, columns, markdown=args.markdown))
    if not args.gaps:
        print()
        print(summary(rows, mip_gap=args.mip_gap, time_limit=args.time_limit, wall_s=wall_s))
    else:
        print(f"\nwall time: {wall_s:.1f} s; load average at the end: {_load()}")
    if args.csv is not None:
        import pandas as pd

        pd.DataFrame(rows, columns=list(columns)).to_csv(args.csv, index=False)


if __name__ == "__main__":
    main()
