"""Draws per second of ``woonplanner simulate`` with 1 and 2 workers, back to back.

For each run folder (planned first when it does not exist: the demo, or a jeugdregio from CBS
data), the same draws are solved three ways, one after another in this process:

``here``
    ``--jobs 1``: the chunks one after another in this process (no cluster).
``dask1``, ``dask2``
    a local Dask cluster of 1 and 2 worker processes (one thread each); the wall time includes
    sending the problem to the workers, not starting the cluster (printed apart).

Every way must give the same figures (checked), so the seconds are the only difference.

``--starts`` instead times one HiGHS instance over the same draws three ways: ``warm`` (presolve
off, each draw from the previous draw's basis), ``cold`` (presolve off, basis cleared) and
``cold+presolve``; ``simulate`` does ``cold``. It checks that they agree on the unplaced children.

Usage::

    python benchmarks/simulate.py --draws 200                          # the demo
    python benchmarks/simulate.py --region JZ02 --data-dir ../shared/data/nl --draws 1000

The figures in ``benchmarks/RESULTS.md`` ("Simulate") come from this script.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import time
from pathlib import Path

from woonplanner import simulate as sim_mod
from woonplanner.runner import prepare, run
from woonplanner.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]


def plan(region: str | None, data_dir: str | None, folder: Path) -> Path:
    """The run folder of the demo or of ``region``, planned once."""
    if (folder / "facilities.csv").is_file():
        return folder
    if region is None:
        scenario = load_scenario(None)
    else:
        scenario = load_scenario(
            REPO / "scenarios" / "jeugdregio.toml",
            overrides=[f"region.jeugdregio={region}"],
            data_dir=data_dir,
        )
    run(scenario, out=folder, force=True)
    return folder


def compare_starts(sim: sim_mod.Simulation, draws: int) -> None:
    """Seconds per draw of a warm start, a cold start and a cold start with presolve."""
    import highspy
    import numpy as np

    from woonplanner.model.build import build_matrix

    lp = sim.lp_problem
    matrix = build_matrix(lp, linking=False, aggregate=False)
    cols = matrix.columns
    lower, upper = matrix.col_lower.copy(), matrix.col_upper.copy()
    lower[cols["units"]] = upper[cols["units"]] = sim.units
    upper[cols["assign"]] = upper[cols["unplaced"]] = np.inf
    n_g = lp.n_groups
    rows = np.arange(n_g, dtype=np.int32)
    needs = [
        np.bincount(sim.merged, weights=sim_mod.draw_demand(sim, r), minlength=n_g)
        for r in range(draws)
    ]
    unplaced = {}
    for way in ("warm", "cold", "cold+presolve"):
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("threads", 1)
        highs.setOptionValue("presolve", "on" if way == "cold+presolve" else "off")
        cost = matrix.weighted_objective(lp)
        highs.passModel(sim_mod.highs_lp(matrix, cost, lower, upper))
        totals = []
        start = time.perf_counter()
        for need in needs:
            if way != "warm":
                highs.clearSolver()
            highs.changeRowsBounds(n_g, rows, need, need)
            highs.run()
            x = np.asarray(highs.getSolution().col_value)
            totals.append(float(x[cols["unplaced"]].sum()))
        seconds = time.perf_counter() - start
        unplaced[way] = np.array(totals)
        print(f"| {way} | {seconds / draws:.3f} | {draws / seconds:.2f} |")
    same = all(np.allclose(v, unplaced["warm"], atol=1e-6) for v in unplaced.values())
    print(f"  the same unplaced children in every draw: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", help="A jeugdregio code (default: the demo).")
    parser.add_argument("--data-dir", help="CBS data folder (with --region).")
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", default="/tmp/woonplanner-bench-simulate", help="Run folders.")
    parser.add_argument("--starts", action="store_true", help="Time warm and cold starts.")
    args = parser.parse_args()
    from distributed import Client, LocalCluster

    name = args.region or "demo"
    folder = plan(args.region, args.data_dir, Path(args.runs) / name)
    problem = prepare(load_scenario(folder / "scenario.toml")).problem
    sim = sim_mod.make_simulation(problem, sim_mod.plan_units(folder, problem), seed=args.seed)
    lp = sim.lp_problem
    print(
        f"{dt.date.today()} {name}: {problem.n_groups} groups, {problem.n_arcs} arcs; assignment "
        f"LP {lp.n_groups} groups, {lp.n_arcs} arcs, {lp.n_options} facilities; "
        f"{args.draws} draws; os.cpu_count() = {os.cpu_count()}, load {os.getloadavg()[0]:.1f}"
    )
    if args.starts:
        print("| start | seconds per draw | draws/s |")
        print("|---|---:|---:|")
        compare_starts(sim, args.draws)
        return
    seconds: dict[str, float] = {}
    figures = {}
    start = time.perf_counter()
    results = sim_mod.run_draws(sim, args.draws)
    seconds["here"] = time.perf_counter() - start
    figures["here"] = sim_mod.summarise(sim, results)
    for workers in (1, 2):
        start = time.perf_counter()
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                dashboard_address=":0",
                silence_logs=logging.ERROR,
            ) as cluster,
            Client(cluster) as client,
        ):
            client.wait_for_workers(workers)
            started = time.perf_counter() - start
            start = time.perf_counter()
            results = sim_mod.run_draws(sim, args.draws, client=client)
            seconds[f"dask{workers}"] = time.perf_counter() - start
        figures[f"dask{workers}"] = sim_mod.summarise(sim, results)
        print(f"  cluster of {workers} started in {started:.1f} s")
    same = all(
        {k: v for k, v in f.items() if k != "solve"}
        == {k: v for k, v in figures["here"].items() if k != "solve"}
        for f in figures.values()
    )
    region = figures["here"]["region"]
    print(
        f"  service level {100 * region['service_level']:.2f} %, p5 "
        f"{100 * region['service_level_p5']:.2f} %, all placed in "
        f"{100 * region['share_all_placed']:.0f} % of the draws; identical figures: {same}"
    )
    print("| way | seconds | draws/s | speed-up vs here | speed-up vs dask1 |")
    print("|---|---:|---:|---:|---:|")
    for way, s in seconds.items():
        print(
            f"| {way} | {s:.1f} | {args.draws / s:.2f} | {seconds['here'] / s:.2f} | "
            f"{seconds['dask1'] / s:.2f} |"
        )


if __name__ == "__main__":
    main()
