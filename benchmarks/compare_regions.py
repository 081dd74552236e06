"""``woonplanner compare`` on real jeugdregio's: does it finish, and how long do its pages take.

For each region (default: all 42 of the data folder) the script plans the region once, as
``woonplanner run scenarios/jeugdregio.toml --data-dir DIR --set region.jeugdregio=JZxx`` does
but with a short solver time limit (``--time-limit``, default 20 s: the plan only has to exist),
then compares that run folder with itself (``compare RUN RUN``: the same layers, outlines and
tables as two different runs, without a second solve). It records per region:

``run_s``
    the run (data, solve, run folder with map and report).
``compare_s``
    :func:`woonplanner.outputs.compare.compare_runs` (reading the folder twice, drawing both
    maps, the tables, writing the folder).
``compare_mb``
    the size of ``compare.html``.
``ok`` / ``error``
    whether compare finished, else the exception's type and first line (compare of JZ04, JZ06
    and JZ29 once crashed with ``GEOSException: side location conflict``).

Usage::

    python benchmarks/compare_regions.py                       # all regions
    python benchmarks/compare_regions.py --regions JZ04,JZ06,JZ29 --markdown
    python benchmarks/compare_regions.py --keep /tmp/runs       # keep the run folders

Results: ``benchmarks/RESULTS.md``, section "Compare on real regions" (copied by hand from
``--markdown``). Not part of the test suite: a region takes from seconds to a minute.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("WOONPLANNER_SHARED_DATA", REPO.parent / "shared" / "data")) / "nl"


def compare_region(code: str, work: Path, time_limit: float) -> dict[str, object]:
    """Plan ``code`` once and compare the run folder with itself; never raises."""
    from woonplanner.outputs.compare import compare_runs
    from woonplanner.runner import run
    from woonplanner.scenario import load_scenario

    row: dict[str, object] = {"region": code}
    folder = work / code
    try:
        scenario = load_scenario(
            REPO / "scenarios" / "jeugdregio.toml",
            overrides=[f"region.jeugdregio={code}", f"solver.time_limit_s={time_limit}"],
            data_dir=DATA,
        )
        start = time.perf_counter()
        plan = run(scenario, out=folder, force=True)
        row["run_s"] = round(time.perf_counter() - start, 1)
        row["status"] = plan.kpis["status"]
        row["neighbourhoods"] = len(plan.neighbourhoods)
    except Exception as err:  # a benchmark records, it does not stop
        row.update(ok=False, error=f"run: {type(err).__name__}: {str(err).splitlines()[0]}")
        return row
    try:
        start = time.perf_counter()
        out = compare_runs([folder, folder], work / f"{code}-compare", force=True)
        row["compare_s"] = round(time.perf_counter() - start, 1)
        row["compare_mb"] = round((out / "compare.html").stat().st_size / 1e6, 1)
        row.update(ok=True, error="")
    except Exception as err:
        row.update(ok=False, error=f"{type(err).__name__}: {str(err).splitlines()[0]}")
    return row


def _markdown(table: pd.DataFrame) -> str:
    """The table as Markdown (no tabulate needed)."""
    head = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    body = [
        "| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |"
        for row in table.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", help="comma-separated codes (default: every region)")
    parser.add_argument("--time-limit", type=float, default=20.0, help="solver seconds per run")
    parser.add_argument("--keep", type=Path, help="folder to keep the runs in")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)

    from woonplanner.data.cbs import list_jeugdregios

    codes = args.regions.split(",") if args.regions else list(list_jeugdregios(DATA)["jeugdregio"])
    work = args.keep or Path(tempfile.mkdtemp(prefix="wp-compare-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for code in codes:
            rows.append(compare_region(code, work, args.time_limit))
            print(rows[-1], file=sys.stderr, flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    table = pd.DataFrame(rows)
    print(
        f"Run {time.strftime('%a %b %d %H:%M:%S UTC %Y', time.gmtime())} on {os.cpu_count()} "
        f"cores, Python {platform.python_version()}; time limit {args.time_limit:g} s per run; "
        f"compare of each run folder with itself."
    )
    print(_markdown(table) if args.markdown else table.to_string(index=False))
    return 0 if table["ok"].all() else 1


if __name__ == "__main__":
    sys.exit(main())
