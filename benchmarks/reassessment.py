"""The yearly re-assessment chain and sibling groups on real jeugdregio's (issue 15).

Two measurements, both through :func:`woonplanner.run` as ``woonplanner run`` does them:

``chain``
    per region: the plain plan (``scenarios/jeugdregio.toml``, defaults), then the re-plan that
    takes the plain plan's units as its stock and its flows as its placements
    (``stock.from_run`` + ``placements.from_run``) with a 10 % lower ``demand.rate_per_1000``.
    Solve seconds (wall and the run's own ``solve`` timing), status, gap, and the re-placements
    of the re-plan.
``siblings``
    one region with a synthetic caseload (:func:`woonplanner.data.demo.synthetic_caseload`,
    drawn from the region's estimate scaled to ``--children`` children, a third of them in
    sibling groups of 2-4; fictional, written to a temporary folder and deleted): solve
    seconds, status, gap and the sibling-group counts; the same caseload with
    ``demand.keep_siblings_together = false`` for comparison.

Usage::

    python benchmarks/reassessment.py --regions JZ15,JZ43,JZ02 --data-dir ../shared/data/nl
    python benchmarks/reassessment.py --siblings JZ02 --children 1000 --data-dir ../shared/data/nl

Figures go to ``benchmarks/RESULTS.md`` ("Re-assessment and sibling groups"); ratios measured
back to back in one run are what to compare on a shared machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "jeugdregio.toml"


def _run(overrides: list[str], data_dir: Path, out: Path | None) -> tuple[Any, float]:
    import woonplanner

    scenario = woonplanner.load_scenario(SCENARIO, overrides=overrides, data_dir=data_dir)
    start = time.perf_counter()
    plan = woonplanner.run(scenario, out=out)
    return plan, time.perf_counter() - start


def _row(label: str, code: str, plan: Any, wall: float) -> dict[str, Any]:
    region = plan.kpis["region"]
    return {
        "region": code,
        "plan": label,
        "wall_s": round(wall, 1),
        "solve_s": round(plan.manifest["timings_s"]["solve"], 1),
        "status": plan.kpis["status"],
        "gap_pct": None if plan.kpis["mip_gap"] is None else round(100 * plan.kpis["mip_gap"], 3),
        "children": round(region["children_demand"], 1),
        "unplaced": round(region["children_unplaced"], 2),
        "replaced": round(region["children_replaced"], 2),
        "woongroepen": region["units_by_type"].get("woongroep", 0),
        "sibling_groups": region["sibling_groups"],
    }


def chain(code: str, data_dir: Path, time_limit: float) -> list[dict[str, Any]]:
    """The plain plan of ``code`` and its re-assessment with its own placements."""
    base = [f"region.jeugdregio={code}", f"solver.time_limit_s={time_limit}"]
    with tempfile.TemporaryDirectory() as tmp:
        last = Path(tmp) / "last"
        plain, wall = _run(base, data_dir, last)
        rate = 0.9 * plain.scenario.demand.rate_per_1000
        again, wall_again = _run(
            [
                *base,
                f'stock.from_run="{last}"',
                f'placements.from_run="{last}"',
                f"demand.rate_per_1000={rate}",
            ],
            data_dir,
            None,
        )
    return [_row("plain", code, plain, wall), _row("re-assessment", code, again, wall_again)]


def siblings(code: str, data_dir: Path, children: int, time_limit: float) -> list[dict[str, Any]]:
    """A synthetic caseload of about ``children`` children for ``code``, with and without the
    sibling rule."""
    from woonplanner.data.demo import synthetic_caseload
    from woonplanner.runner import prepare
    from woonplanner.scenario import load_scenario

    base = [f"region.jeugdregio={code}", f"solver.time_limit_s={time_limit}"]
    prepared = prepare(load_scenario(SCENARIO, overrides=base, data_dir=data_dir))
    demand = prepared.demand.copy()
    demand["children"] *= children / demand["children"].sum()
    caseload = synthetic_caseload(demand, sibling_share=1 / 3)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "caseload.csv"
        caseload.to_csv(path, index=False)
        for keep in (True, False):
            plan, wall = _run(
                [
                    *base,
                    f'demand.caseload="{path}"',
                    "demand.youth_care_index=false",
                    f"demand.keep_siblings_together={str(keep).lower()}",
                ],
                data_dir,
                None,
            )
            rows.append(_row("siblings together" if keep else "siblings free", code, plan, wall))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "nl")
    parser.add_argument("--regions", default="", help="comma-separated jeugdregio codes")
    parser.add_argument("--siblings", default="", help="a jeugdregio for the caseload run")
    parser.add_argument("--children", type=int, default=1000)
    parser.add_argument("--time-limit", type=float, default=120.0)
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for code in filter(None, args.regions.split(",")):
        rows += chain(code, args.data_dir, args.time_limit)
        print(rows[-2], rows[-1], sep="\n", flush=True)
    if args.siblings:
        for row in siblings(args.siblings, args.data_dir, args.children, args.time_limit):
            rows.append(row)
            print(row, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
