"""The solve's stages on hand-solvable toys: the main MIP's options from a start change how
HiGHS searches, never the optimum."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from test_model_toy import arcs, groups, options

from woonplanner.model.build import formulate
from woonplanner.model.highs_model import to_matrix
from woonplanner.problem import Problem

stages = importlib.import_module("woonplanner.model.solve")


def two_sites() -> Problem:
    """Two sites with unit costs 100 and 50; serving both groups costs 10 each at A, 80 at B.

    A: 100 + 10 + 10 = 120; B: 50 + 80 + 80 = 210; both: worse. Optimum 120 at A.
    """
    return Problem(
        options([{"site": "A", "unit_cost": 100.0}, {"site": "B", "unit_cost": 50.0}]),
        groups([5.0, 5.0], may_be_unplaced=False),
        arcs([(0, 0, 10, 0), (0, 1, 80, 0), (1, 0, 10, 0), (1, 1, 80, 0)]),
    )


def stage_of(problem: Problem) -> tuple[stages.Stage, np.ndarray]:
    """A stage with every row in the model, and the objective."""
    formulation = formulate(problem)
    base = to_matrix(formulation, lazy=False)
    return stages.Stage(formulation, base, (), 1, 0, 1e-9, (), None), formulation.objective()


def plan_at_b(stage: stages.Stage, costs: np.ndarray) -> np.ndarray:
    """The plan with site A closed (210): a start the main MIP has to improve on."""
    units = stage.formulation.columns["units"]
    upper = stage.base.col_upper.copy()
    upper[units.start] = 0.0  # site A
    outcome = stage.run(stage.highs(costs=costs, col_upper=upper))
    assert outcome.objective == pytest.approx(210.0)
    assert outcome.x is not None
    return outcome.x


@pytest.mark.parametrize(
    "variant",
    [
        {},
        stages.MIP_FROM_START_OPTIONS,
        {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False},
        {"mip_heuristic_run_root_reduced_cost": False, "mip_heuristic_effort": 0.0},
    ],
)
def test_full_mip_from_a_worse_start_finds_the_optimum(monkeypatch, variant):
    """From the plan at B (210) the main MIP finds A (120), with HiGHS' sub-MIP heuristics
    on or off: they only search for plans, the branch and bound proves the optimum."""
    monkeypatch.setattr(stages, "MIP_FROM_START_OPTIONS", variant)
    stage, costs = stage_of(two_sites())
    start = plan_at_b(stage, costs)
    outcome = stages.full_mip(stage, costs, start, None, 0.0)
    assert outcome.status == "optimal"
    assert outcome.objective == pytest.approx(120.0)
    assert outcome.x is not None
    assert list(np.round(outcome.x[stage.formulation.columns["units"]])) == [1, 0]


def option(highs, name: str):
    """An option's value (highspy returns a (status, value) pair)."""
    value = highs.getOptionValue(name)
    return value[1] if isinstance(value, tuple) else value


def test_full_mip_uses_its_options_only_from_a_start(monkeypatch):
    """From a start the main MIP runs with MIP_FROM_START_OPTIONS; without one (HiGHS' own
    heuristics are then its only source of plans) with HiGHS' defaults."""
    chosen = {"mip_heuristic_run_root_reduced_cost": False, "mip_heuristic_effort": 0.01}
    monkeypatch.setattr(stages, "MIP_FROM_START_OPTIONS", chosen)
    names = sorted(chosen)
    seen: list[list] = []
    run = stages.Stage.run

    def spy(self, highs):
        seen.append([option(highs, name) for name in names])
        return run(self, highs)

    monkeypatch.setattr(stages.Stage, "run", spy)
    stage, costs = stage_of(two_sites())
    start = plan_at_b(stage, costs)
    defaults = [option(stage.highs(), name) for name in names]
    seen.clear()
    stages.full_mip(stage, costs, start, None, 0.0)
    stages.full_mip(stage, costs, None, None, 0.0)
    assert seen == [[chosen[name] for name in names], defaults]
    assert seen[0] != defaults


def test_start_arcs_by_hand(monkeypatch):
    """Each group keeps the arcs the LP uses and its k arcs of least reduced cost (ties: the
    first arc), whatever their order in the table."""
    monkeypatch.setattr(stages, "START_ARCS_PER_GROUP", 2)
    problem = Problem(
        options([{"site": s} for s in "ABCD"]),
        groups([1.0, 1.0]),
        arcs([(1, 0, 0, 0), (0, 0, 0, 0), (0, 1, 0, 0), (0, 2, 0, 0), (0, 3, 0, 0), (1, 1, 0, 0)]),
    )
    share = np.array([0.0, 0.0, 0.0, 0.0, 0.7, 1.0])
    reduced = np.array([5.0, 3.0, 1.0, 1.0, 9.0, 0.0])
    kept = stages.start_arcs(problem, share, reduced)
    # Group 0 (arcs 1-4): least reduced cost 2 and 3 (1.0 each), and 4, which the LP uses;
    # group 1 (arcs 0, 5): both, it has only two.
    assert kept.tolist() == [True, False, True, True, True, True]


def few_start_arcs_problem(seed: int) -> Problem:
    """Twelve groups, six sites of units of 4 places; every group reaches every site."""
    rng = np.random.default_rng(seed)
    sites = [
        {
            "site": f"S{j}",
            "capacity": 4.0,
            "max_units": 2,
            "unit_cost": float(rng.integers(50, 150)),
        }
        for j in range(6)
    ]
    demand = rng.uniform(0.5, 3.0, 12)
    arc_rows = [
        (g, o, float(rng.uniform(1, 40)) * demand[g], 0.0) for g in range(12) for o in range(6)
    ]
    return Problem(options(sites), groups(list(demand)), arcs(arc_rows), strong_linking=True)


@pytest.mark.parametrize("seed", range(4))
def test_the_start_on_few_arcs_changes_no_optimum(monkeypatch, seed):
    """With the start's MIP on one arc per group (or none beyond the LP's) the solve finds
    the optimum of the full model: the start is only a start."""
    from woonplanner.model import solve

    problem = few_start_arcs_problem(seed)
    full = solve(problem, mip_gap=1e-9, separate_linking=False, aggregate_capacity=False)
    for k in (0, 1):
        monkeypatch.setattr(stages, "START_ARCS_PER_GROUP", k)
        result = solve(problem, mip_gap=1e-9)
        assert result.status == full.status == "optimal"
        assert result.objective == pytest.approx(full.objective, rel=1e-9)
