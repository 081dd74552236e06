"""Main-MIP option variants side by side, on the same prepared regions, in one process.

Each region is prepared once (as ``benchmarks/regions.py`` does), then solved once per variant
of :data:`woonplanner.model.solve.MIP_FROM_START_OPTIONS` (the HiGHS options of the main branch
and bound when it starts from a plan), one after the other, so that the variants of a region
see the same machine load within seconds of each other. CPU seconds (``time.process_time``)
are printed beside wall seconds: on a shared machine the wall clock measures the load.

``--seeds`` solves each variant once per HiGHS random seed (the solve's ``seed``) and ends
with one line per region and variant: how many seeds proved it, and the least, median and most
CPU seconds. The seed alone moves a branch and bound's time a lot (JZ38 Zeeland: 42 to 189 CPU
seconds over seeds 0–2, benchmarks/RESULTS.md): a variant is better only when its spread over
seeds is, not when one run is.

Usage::

    python benchmarks/mip_options.py --regions JZ02,JZ38,JZ13,JZ07,JZ08 --time-limit 300
    python benchmarks/mip_options.py --regions JZ38 --variants default --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from regions import DATA_DIR, prepare

#: name -> HiGHS options of the main MIP from a start.
VARIANTS: dict[str, dict[str, bool | int | float | str]] = {
    "default": {},
    "no_sub_mip": {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False},
    "effort_0.01": {"mip_heuristic_effort": 0.01},
    "effort_0.2": {"mip_heuristic_effort": 0.2},
    "effort_0.5": {"mip_heuristic_effort": 0.5},
    "no_root_rc": {"mip_heuristic_run_root_reduced_cost": False},
    "no_sub_mip_rc": {
        "mip_heuristic_run_rins": False,
        "mip_heuristic_run_rens": False,
        "mip_heuristic_run_root_reduced_cost": False,
    },
}


def main() -> None:
    """Parse the arguments, print one line per region and variant."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", default="JZ02,JZ38,JZ13,JZ07,JZ08")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--time-limit", type=float, default=300.0)
    parser.add_argument("--mip-gap", type=float, default=0.001)
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--seeds", default="0", help="HiGHS random seeds, comma-separated")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]

    import importlib

    solve_module = importlib.import_module("woonplanner.model.solve")

    print("code,variant,seed,status,gap_pct,objective,solve_s,cpu_s", flush=True)
    spread: dict[tuple[str, str], list[tuple[bool, float]]] = {}
    for code in args.regions.split(","):
        prepared = prepare(code, args.data_dir, args.time_limit, args.mip_gap)
        for name in args.variants.split(","):
            solve_module.MIP_FROM_START_OPTIONS = VARIANTS[name]
            for seed in seeds:
                cpu = time.process_time()
                result = solve_module.solve(
                    prepared["problem"],
                    time_limit=args.time_limit,
                    mip_gap=args.mip_gap,
                    seed=seed,
                )
                cpu_s = time.process_time() - cpu
                gap = "" if result.gap is None else f"{100 * result.gap:.3f}"
                print(
                    f"{code},{name},{seed},{result.status},{gap},{result.objective:.6g},"
                    f"{result.solve_s:.1f},{cpu_s:.1f}",
                    flush=True,
                )
                spread.setdefault((code, name), []).append((result.optimal, cpu_s))
    if len(seeds) > 1:
        print("\ncode,variant,proven,cpu_s_min,cpu_s_median,cpu_s_max")
        for (code, name), runs in spread.items():
            cpu = [c for _, c in runs]
            print(
                f"{code},{name},{sum(ok for ok, _ in runs)}/{len(runs)},{min(cpu):.1f},"
                f"{statistics.median(cpu):.1f},{max(cpu):.1f}"
            )


if __name__ == "__main__":
    main()
