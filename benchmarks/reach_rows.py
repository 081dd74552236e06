"""Reach capacity rows on and off: ``python benchmarks/reach_rows.py demo|JZnn on|off``.

Solves as ``woonplanner run`` does (the scenario's gap, time limit, threads, seed) and prints
status, objective, bound, CPU seconds of the solve (the machine is shared: CPU, not wall),
HiGHS' node counts (every run: start, full MIP, …), the rows, and the reach rows with their
build time. ``off`` leaves the reach rows out (the aggregate rows by type stay). The HiGHS log
goes to ``/tmp``.
"""

import io
import re
import sys
import time
from pathlib import Path

import woonplanner
from woonplanner.model import build
from woonplanner.model.solve import solve
from woonplanner.runner import prepare

region, mode = sys.argv[1], sys.argv[2]
if region == "demo":
    sc = woonplanner.load_scenario("demo")
else:
    sc = woonplanner.load_scenario(
        str(Path(__file__).resolve().parents[1] / "scenarios" / "jeugdregio.toml"),
        overrides=[f"region.jeugdregio={region}"],
        data_dir=Path(__file__).resolve().parents[2] / "shared" / "data" / "nl",
    )
p = prepare(sc).problem
if mode == "off":
    build.reach_capacity_rows = lambda problem: []
log = io.StringIO()
t = time.process_time()
w = time.time()
r = solve(
    p,
    time_limit=sc.solver.time_limit_s,
    mip_gap=sc.solver.mip_gap,
    threads=sc.solver.threads,
    seed=sc.solver.seed,
    log=[log],
)
cpu = time.process_time() - t
wall = time.time() - w
text = log.getvalue()
nodes = re.findall(r"Nodes\s+(\d+)", text)
lp = re.findall(r"LP bound \(([\d.e+]+)\)", text)
t0 = time.process_time()
n_reach = len(build.reach_capacity_rows(p)) if mode == "on" else 0
tr = time.process_time() - t0
print(
    f"{region} {mode}: {r.status} objective {r.objective:.1f} bound {r.bound:.1f} "
    f"gap {r.gap:.5f} cpu {cpu:.1f} s wall {wall:.1f} s nodes {nodes} "
    f"rows {r.rows} reach rows {n_reach} (built in {tr:.2f} s cpu) LP bound {lp}"
)
Path(f"/tmp/reach_rows_{region}_{mode}.log").write_text(text)
