"""The coarse stage (buurt level): its instance is a relaxation of the fine one, its units go
back to the fine options as described, and neither changes a proven optimum."""

from __future__ import annotations

import importlib
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from test_model_toy import arcs, groups, options

from woonplanner.model import solve
from woonplanner.model.coarse import coarsen, fine_units
from woonplanner.problem import Objective, Problem, UnitConstraint
from woonplanner.youthcare import wijk_of

stages = importlib.import_module("woonplanner.model.solve")


def areas_problem(seed: int, *, existing: bool = False) -> Problem:
    """Three areas of four sites, two types (places 4 and 1.3); 24 groups, two per site, each
    reaching the sites within a random distance; a norm over the first two areas."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 10, (12, 2))
    rows = []
    for j in range(12):
        for kind, capacity, cost in (("a", 4.0, 60.0), ("b", 1.3, 9.0)):
            rows.append(
                {
                    "site": f"S{j}",
                    "area": f"W{j // 4}",
                    "type": kind,
                    "capacity": capacity,
                    "max_units": int(rng.integers(1, 3)),
                    "existing": int(existing and rng.random() < 0.3),
                    "unit_cost": cost * float(rng.uniform(0.8, 1.2)),
                    "open_cost": float(rng.uniform(0, 20)),
                    "close_cost": float(rng.uniform(0, 20)),
                }
            )
    opts = options(rows)
    opts["existing"] = np.minimum(opts["existing"], opts["max_units"])
    demand = rng.uniform(0.3, 3.0, 24)
    grp = groups(list(demand))
    grp["area"] = [f"W{(g // 2) // 4}" for g in range(24)]
    arc_rows = []
    for g in range(24):
        home = xy[g // 2]
        kinds = ("a",) if g % 2 else ("a", "b")
        for o, row in opts.iterrows():
            km = float(np.hypot(*(xy[int(row["site"][1:])] - home)))
            if row["type"] in kinds and km <= 6.0:
                arc_rows.append((g, o, float(rng.uniform(0, 3)) * demand[g], km))
    norm = UnitConstraint("norm", tuple(range(16)), ">=", 3.0)
    return Problem(
        opts,
        grp,
        arcs(arc_rows),
        unit_constraints=(norm,),
        objective=Objective(unplaced_penalty=100.0, km_weight=2.0),
        strong_linking=True,
    )


def coarse_objective_of(problem: Problem, coarse, fine) -> float:
    """The coarse objective of a fine plan mapped up (units summed, shares demand-weighted):
    the map of the module docstring, written out."""
    c = coarse.problem
    units = np.bincount(coarse.option, weights=fine.units, minlength=c.n_options)
    demand = problem.groups["demand"].to_numpy()
    g = problem.arcs["group"].to_numpy()
    served = np.bincount(coarse.arc, weights=demand[g] * fine.assign, minlength=c.n_arcs)
    share = served / c.groups["demand"].to_numpy()[c.arcs["group"].to_numpy()]
    unplaced = np.bincount(coarse.group, weights=demand * fine.unplaced, minlength=c.n_groups)
    opts = c.options
    existing = opts["existing"].to_numpy()
    cost = (
        units @ opts["unit_cost"].to_numpy()
        + np.maximum(units - existing, 0) @ opts["open_cost"].to_numpy()
        + np.maximum(existing - units, 0) @ opts["close_cost"].to_numpy()
        + share @ c.arcs["cost"].to_numpy()
    )
    km = (share * c.groups["demand"].to_numpy()[c.arcs["group"].to_numpy()]) @ c.arcs["km"]
    return float(cost + c.objective.km_weight * km + c.objective.unplaced_penalty * unplaced.sum())


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("existing", [False, True])
def test_coarse_instance_is_a_relaxation(seed, existing):
    """The fine optimum, mapped up, is a coarse plan of no higher objective, so the coarse
    optimum is at most the fine one (the bound the coarse stage hands the fine solve)."""
    problem = areas_problem(seed, existing=existing)
    coarse = coarsen(problem)
    assert coarse is not None
    assert coarse.problem.n_options == 6  # three areas, two types
    fine = solve(problem, mip_gap=0.0)
    assert fine.status == "optimal"
    mapped = coarse_objective_of(problem, coarse, fine)
    assert mapped <= fine.objective + 1e-6
    best = solve(coarse.problem, mip_gap=0.0)
    assert best.status == "optimal"
    assert best.objective <= mapped + 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_the_coarse_stage_changes_no_optimum(seed):
    """With areas (coarse stage on) and without (off), the same proven optimum."""
    problem = areas_problem(seed, existing=True)
    plain = replace_columns(problem)
    with_areas = solve(problem, mip_gap=1e-9)
    without = solve(plain, mip_gap=1e-9)
    assert with_areas.status == without.status == "optimal"
    assert with_areas.objective == pytest.approx(without.objective, rel=1e-9)


def replace_columns(problem: Problem) -> Problem:
    """``problem`` without its areas."""
    return replace(
        problem,
        options=problem.options.drop(columns=["area"]),
        groups=problem.groups.drop(columns=["area"]),
    )


def test_when_there_is_no_coarse_instance():
    """No areas; an area per site (the wijk level); a norm over part of an area; a problem
    single-source throughout; a lexicographic objective: no coarse instance."""
    problem = areas_problem(0)
    assert coarsen(replace_columns(problem)) is None
    own = problem.options.assign(area=problem.options["site"])
    assert coarsen(replace(problem, options=own)) is None
    split = UnitConstraint("part", (0, 1, 2), ">=", 1.0)  # sites 0 and 1 of area W0, type a/b
    assert coarsen(replace(problem, unit_constraints=(split,))) is None
    assert coarsen(replace(problem, single_source=True)) is None
    lexi = replace(problem, objective=Objective(mode="lexicographic"))
    assert coarsen(lexi) is None


def test_coarse_instance_by_hand():
    """Two sites in one area, one type: one coarse option with the summed units, the least
    unit cost and the largest places; two groups of the area with arcs of 2 and 3 per child
    (km 1 and 4) to the two sites become one group of 3 children with an arc of 2 per child
    and 1 km."""
    p = Problem(
        options(
            [
                {"site": "A", "area": "W", "capacity": 4.0, "max_units": 2, "unit_cost": 50.0},
                {"site": "B", "area": "W", "capacity": 3.0, "max_units": 1, "unit_cost": 40.0},
            ]
        ),
        groups([1.0, 2.0]).assign(area="W"),
        arcs([(0, 0, 2.0, 1.0), (0, 1, 3.0, 4.0), (1, 0, 6.0, 4.0), (1, 1, 4.0, 1.0)]),
    )
    coarse = coarsen(p)
    assert coarse is not None
    c = coarse.problem
    assert c.options[["site", "capacity", "max_units", "unit_cost"]].to_dict("records") == [
        {"site": "W", "capacity": 4.0, "max_units": 3.0, "unit_cost": 40.0}
    ]
    assert c.groups["demand"].tolist() == [3.0]
    # Group 0: 2/child, 1 km at A; group 1: 2/child at B (4 for 2 children), 1 km.
    assert c.arcs[["group", "option", "cost", "km"]].to_dict("records") == [
        {"group": 0, "option": 0, "cost": 6.0, "km": 1.0}
    ]


def test_fine_units_by_hand():
    """A coarse option of three sites gets 4 units. Site C has one existing unit: it is kept.
    The coarse plan sends 6 children (places 2 per unit) whose cheapest arcs lead to A (5)
    and B (1): A gets units until its need is met or its maximum (2) reached, then B."""
    p = Problem(
        options(
            [
                {"site": "A", "area": "W", "capacity": 2.0, "max_units": 2},
                {"site": "B", "area": "W", "capacity": 2.0, "max_units": 3},
                {"site": "C", "area": "W", "capacity": 2.0, "max_units": 1, "existing": 1},
            ]
        ),
        groups([5.0, 1.0]).assign(area="W"),
        arcs([(0, 0, 0.0, 1.0), (0, 1, 0.0, 2.0), (1, 0, 0.0, 3.0), (1, 1, 0.0, 1.0)]),
        objective=Objective(km_weight=1.0),
    )
    coarse = coarsen(p)
    assert coarse is not None
    assert coarse.problem.n_options == 1
    share = np.ones(coarse.problem.n_arcs)
    units = fine_units(p, coarse, np.array([4.0]), share)
    # C keeps its unit; A: need 5, gets 2 (its maximum); B: need 1, gets the last unit.
    assert units.tolist() == [2.0, 1.0, 1.0]
    # More units than the sites hold: the rest are dropped.
    assert fine_units(p, coarse, np.array([9.0]), share).tolist() == [2.0, 3.0, 1.0]


def test_coarse_start_places_children_and_is_feasible():
    """From units that leave a group without a place, the repair rounds open a unit it can
    reach; the plan has integer units and the full model's rows hold."""
    from test_solve_stages import stage_of

    problem = areas_problem(1)
    soft = replace(problem.unit_constraints[0], penalty=50.0)  # no units at all: still a plan
    problem = replace(problem, unit_constraints=(soft,))
    stage, costs = stage_of(problem)
    none = np.zeros(problem.n_options)
    x0 = stages.coarse_start(stage, problem, none)
    assert x0 is not None
    cols = stage.formulation.columns
    assert x0[cols["units"]].sum() >= 1  # the repair opened units
    best = solve(problem, mip_gap=0.0)
    assert costs @ x0 >= best.objective - 1e-6
    # Every row of the full model holds at the plan.
    row, col, val, lower, upper = stage.formulation.rows(list(stage.formulation.constraints))
    from scipy import sparse

    matrix = sparse.csr_array((val, (row, col)), shape=(len(lower), len(x0)))
    activity = matrix @ x0
    assert (activity >= lower - 1e-6).all()
    assert (activity <= upper + 1e-6).all()
    units = x0[cols["units"]]
    assert units == pytest.approx(np.round(units))


def test_wijk_of_buurt_codes():
    """CBS buurt codes (real and synthetic) lie in their wijk; a ``wijk`` column wins; any
    other code is its own area."""
    table = pd.DataFrame(
        {"code": ["BU03630105", "BU036301S05", "WK036301", "N01"], "wijk": [None, None, None, None]}
    )
    assert wijk_of(table.drop(columns=["wijk"])).tolist() == [
        "WK036301",
        "WK036301",
        "WK036301",
        "N01",
    ]
    table["wijk"] = [None, "WK999999", None, None]
    assert wijk_of(table).tolist() == ["WK036301", "WK999999", "WK036301", "N01"]


def lp_outlasts_the_limit(monkeypatch) -> list[bool]:
    """Imitate the buurt LP outlasting the time limit: the separation LP returns no relaxation
    and from then on the clock is up. The flag says whether the LP was reached."""
    out_of_time = [False]
    real_remaining = stages.Stage.remaining

    def remaining(self):
        return 0.0 if out_of_time[0] else real_remaining(self)

    def no_lp(stage, *args, **kwargs):
        out_of_time[0] = True
        return stage, None

    monkeypatch.setattr(stages.Stage, "remaining", remaining)
    monkeypatch.setattr(stages, "separation_lp", no_lp)
    return out_of_time


def test_when_the_lp_does_not_finish_the_coarse_plan_and_bound_are_the_answer(monkeypatch):
    """The buurt LP outlasting the time limit, imitated: the separation LP returns no
    relaxation and the clock is up. The result is the coarse stage's plan, with the coarse
    bound, which lies at or below the true optimum."""
    problem = areas_problem(2, existing=True)
    best = solve(problem, mip_gap=0.0)
    out_of_time = lp_outlasts_the_limit(monkeypatch)
    result = solve(problem, mip_gap=1e-9, time_limit=3600)
    assert out_of_time[0]  # the coarse stage ran before the LP
    assert result.status == "time_limit"
    assert result.has_solution
    assert result.bound is not None
    assert result.bound <= best.objective + 1e-6
    assert result.objective >= best.objective - 1e-6
    assert result.gap == pytest.approx((result.objective - result.bound) / result.objective)
    assert result.bound_from == "coarse"
    assert best.bound_from == "solver"  # with the LP and the branch and bound


def test_the_coarse_stage_is_deterministic():
    """Two solves of a problem with areas give the same plan to the last bit."""
    problem = areas_problem(3, existing=True)
    first, second = solve(problem, mip_gap=1e-3), solve(problem, mip_gap=1e-3)
    assert first.objective == second.objective
    assert np.array_equal(first.units, second.units)
    assert np.array_equal(first.assign, second.assign)


def with_sibling_groups(problem: Problem) -> Problem:
    """``problem`` with its groups 0, 5 and 9 single-source (sibling groups: whole to one
    option)."""
    flags = np.zeros(problem.n_groups, dtype=bool)
    flags[[0, 5, 9]] = True
    return replace(problem, groups=problem.groups.assign(single_source=flags))


@pytest.mark.parametrize("seed", range(3))
def test_sibling_groups_keep_the_coarse_stage_and_the_optimum(seed):
    """With sibling groups the coarse instance is still made (they are ordinary groups there,
    a relaxation) and the proven optimum is the one without areas."""
    problem = with_sibling_groups(areas_problem(seed, existing=True))
    coarse = coarsen(problem)
    assert coarse is not None
    best = solve(replace_columns(problem), mip_gap=1e-9)
    result = solve(problem, mip_gap=1e-9)
    assert result.status == best.status == "optimal"
    assert result.objective == pytest.approx(best.objective, rel=1e-9)
    assert solve(coarse.problem, mip_gap=0.0).objective <= best.objective + 1e-6


def test_the_coarse_plan_keeps_sibling_groups_whole(monkeypatch):
    """When the LP does not finish the coarse stage's plan is the answer: there too each
    sibling group's shares are 0 or 1."""
    problem = with_sibling_groups(areas_problem(1, existing=True))
    lp_outlasts_the_limit(monkeypatch)
    result = solve(problem, mip_gap=1e-9, time_limit=3600)
    assert result.has_solution
    assert result.bound_from == "coarse"
    siblings = problem.arcs["group"].isin([0, 5, 9]).to_numpy()
    share = result.assign[siblings]
    assert np.all((np.abs(share) < 1e-6) | (np.abs(share - 1.0) < 1e-6))
