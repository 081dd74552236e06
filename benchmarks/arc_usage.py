"""How many arcs the LP relaxation of a region uses: the room for pricing arcs on demand.

Prepares the region as ``benchmarks/regions.py`` does, merges identical groups, runs the
solve's separation LP (:func:`woonplanner.model.solve.separation_lp`) and counts the arcs its
optimum uses, and how many of those lie outside each group's *k* nearest arcs per option type
(the start set of a priced LP).

Usage::

    python benchmarks/arc_usage.py JZ02
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from regions import DATA_DIR, prepare


def main(code: str) -> None:
    """Print the counts for region ``code``."""
    from woonplanner.model.build import formulate
    from woonplanner.model.highs_model import to_matrix
    from woonplanner.problem import merge_identical_groups

    stages = importlib.import_module("woonplanner.model.solve")
    problem = merge_identical_groups(prepare(code, DATA_DIR, 60.0, 1e-3)["problem"]).problem
    formulation = formulate(problem)
    lazy, at_once = stages.lazy_families(formulation, problem)
    stage = stages.Stage(formulation, to_matrix(formulation, lazy=False), (), 1, 0, 1e-3, (), None)
    cpu = time.process_time()
    _, lp = stages.separation_lp(stage, lazy, at_once)
    print(f"{code}: separation LP {time.process_time() - cpu:.1f} CPU s")
    x = lp.x
    arcs = problem.arcs.reset_index(drop=True)
    arcs["type"] = problem.options["type"].to_numpy()[arcs["option"].to_numpy()]
    arcs["used"] = x[formulation.columns["assign"]] > 1e-9
    arcs["rank"] = arcs.groupby(["group", "type"])["km"].rank(method="first")
    print(f"groups {problem.n_groups}, arcs {problem.n_arcs}, used by the LP {arcs.used.sum()}")
    print(f"arcs per group and type: median {arcs.groupby(['group', 'type']).size().median():g}")
    print(f"farthest used arc: rank {arcs.loc[arcs.used, 'rank'].max():g} in its group and type")
    for k in (3, 5, 10, 20):
        inside = int((arcs["rank"] <= k).sum())
        outside = int((arcs.used & (arcs["rank"] > k)).sum())
        print(f"k={k}: {inside} arcs in the start set, {outside} LP arcs outside it")
    # The start's arcs (model.solve.start_arcs): the LP's and each group's k of least reduced
    # cost.
    assign = formulation.columns["assign"]
    kept = stages.start_arcs(problem, x[assign], lp.reduced_cost[assign])
    print(f"start_arcs (k={stages.START_ARCS_PER_GROUP} by reduced cost): {int(kept.sum())} arcs")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "JZ02")
