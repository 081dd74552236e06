"""The LP relaxation on priced arcs (model.pricing): the same bound as on every arc, with the
reduced costs of every arc, and the same optimum."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from test_reach_capacity import random_neighbourhoods

from woonplanner.model import solve
from woonplanner.model.build import formulate
from woonplanner.model.highs_model import to_matrix
from woonplanner.model.pricing import first_per_group
from woonplanner.problem import merge_identical_groups

stages = importlib.import_module("woonplanner.model.solve")
pricing = importlib.import_module("woonplanner.model.pricing")


def relaxation(problem, *, priced: bool):
    """The separation LP's stage and optimum, with or without pricing the arcs."""
    formulation = formulate(problem)
    lazy = [c for c in formulation.constraints if c.lazy]
    base = to_matrix(formulation, lazy=False)
    stage = stages.Stage(formulation, base, (), 1, 0, 1e-9, (), None)
    at_once = [np.zeros(c.n_rows, dtype=bool) for c in lazy]
    group = problem.arcs["group"].to_numpy() if priced else None
    return stages.separation_lp(stage, lazy, at_once, group), formulation


def test_first_per_group_by_hand():
    group = np.array([1, 0, 0, 0, 1, 0])
    key = np.array([5.0, 2.0, 1.0, 2.0, 4.0, 9.0])
    assert first_per_group(group, key, 2).tolist() == [True, True, True, False, True, False]
    assert not first_per_group(group, key, 0).any()


def test_demo_lp_on_priced_arcs_is_the_lp_on_every_arc(demo_problem, monkeypatch):
    """The demo's LP bound on priced arcs equals the bound on every arc; it started from a
    fraction of the arcs and ends using only a part of them; its reduced costs are HiGHS' own
    for the arcs in the LP, and no arc left out has a negative one."""
    problem = merge_identical_groups(demo_problem).problem
    monkeypatch.setattr(stages, "INITIAL_PER_GROUP", 5)
    seen = []
    original = pricing.PricedLp.price

    def spy(self, reduced):
        seen.append(self.n_active)
        return original(self, reduced)

    monkeypatch.setattr(pricing.PricedLp, "price", spy)
    (_, priced), formulation = relaxation(problem, priced=True)
    sizes = list(seen)  # the LP's columns before each pricing round
    (_, every), _ = relaxation(problem, priced=False)
    costs = formulation.objective()
    assert costs @ priced.x == pytest.approx(costs @ every.x, rel=1e-9)
    assign = formulation.columns["assign"]
    n_arcs = assign.stop - assign.start
    assert sizes[0] < n_arcs / 2 + (formulation.n_cols - n_arcs)
    assert sizes[-1] < formulation.n_cols - n_arcs / 2
    # No arc at 0 (left out, or in the LP at its lower bound) would lower the bound.
    at_zero = np.zeros(formulation.n_cols, dtype=bool)
    at_zero[assign] = priced.x[assign] <= 0.0
    tolerance = 1e-6 * (1.0 + np.abs(costs))
    assert (priced.reduced_cost[at_zero] >= -tolerance[at_zero]).all()


def test_reduced_costs_are_highs_column_duals(demo_problem):
    """``c - A^T y`` from the row duals is HiGHS' own reduced cost of every column in the LP
    (the sign convention the pricing relies on)."""
    problem = merge_identical_groups(demo_problem).problem
    formulation = formulate(problem)
    base = to_matrix(formulation, lazy=False)
    stage = stages.Stage(formulation, base, (), 1, 0, 1e-9, (), None)
    lp = stages._priced_lp(stage, problem.arcs["group"].to_numpy())
    assert lp.n_active < formulation.n_cols
    assert stage.run(lp.highs).status == "optimal"
    column_dual = np.asarray(lp.highs.getSolution().col_dual)
    reduced = lp.reduced_costs()[lp.cols]
    np.testing.assert_allclose(reduced, column_dual, rtol=1e-7, atol=1e-5)


@pytest.mark.parametrize("seed", range(4))
def test_same_optimum_with_and_without_pricing(seed, monkeypatch):
    """One arc per group to start with, one more per round: the same optimum at 1e-9."""
    monkeypatch.setattr(pricing, "INITIAL_PER_GROUP", 1)
    monkeypatch.setattr(pricing, "ADDED_PER_GROUP", 1)
    monkeypatch.setattr(stages, "INITIAL_PER_GROUP", 1)
    problem = random_neighbourhoods(seed)
    with_pricing = solve(problem, mip_gap=1e-9)
    without = solve(problem, mip_gap=1e-9, price_arcs=False)
    assert with_pricing.status == without.status == "optimal"
    assert with_pricing.objective == pytest.approx(without.objective, rel=1e-9)


def test_must_serve_groups_on_too_few_arcs_get_every_arc(monkeypatch):
    """Groups that must be served, whose cheapest arc alone lacks the places: the LP on the
    first arcs is infeasible, so every arc comes in and the optimum is the full model's."""
    monkeypatch.setattr(stages, "INITIAL_PER_GROUP", 1)
    problem = random_neighbourhoods(0)
    problem = problem.__class__(
        problem.options.assign(max_units=1),
        problem.groups.assign(may_be_unplaced=False, demand=3.9),
        problem.arcs,
        objective=problem.objective,
        strong_linking=True,
    )
    full = solve(problem, mip_gap=1e-9, price_arcs=False)
    priced = solve(problem, mip_gap=1e-9)
    assert priced.status == full.status
    if full.objective is not None:
        assert priced.objective == pytest.approx(full.objective, rel=1e-9)


def test_out_of_rounds_the_lp_is_still_a_bound(demo_problem, monkeypatch):
    """Cut off after one round (arcs still missing), the LP is solved once more on every arc:
    its value stays a lower bound of the full LP (with arcs left out it would lie above)."""
    problem = merge_identical_groups(demo_problem).problem
    (_, every), formulation = relaxation(problem, priced=False)
    monkeypatch.setattr(stages, "LINKING_ROUNDS", 1)
    monkeypatch.setattr(stages, "INITIAL_PER_GROUP", 1)
    (_, cut), _ = relaxation(problem, priced=True)
    costs = formulation.objective()
    assert costs @ cut.x <= costs @ every.x * (1 + 1e-9)
