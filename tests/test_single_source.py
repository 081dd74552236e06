"""Single-source demand groups (``groups.single_source``): served on one arc or not at all."""

from __future__ import annotations

import pytest
from test_model_toy import arcs, groups, options

from woonplanner.model import build_model, solve
from woonplanner.problem import Problem, merge_identical_groups


def two_sites_of_two():
    """Sites A and B, one unit of 2 places each."""
    return options([{"site": "A", "capacity": 2.0}, {"site": "B", "capacity": 2.0}])


@pytest.mark.parametrize(("single", "unplaced"), [(False, 0.0), (True, 1.0)])
def test_a_single_source_group_is_not_split(single, unplaced):
    """Three children, two sites of 2 places: split 2 + 1 they are all placed; as one sibling
    group (single-source) no site holds them and the whole group is unplaced."""
    g = groups([3.0])
    g["single_source"] = single
    p = Problem(two_sites_of_two(), g, arcs([(0, 0, 0.0, 1.0), (0, 1, 0.0, 2.0)]))
    r = solve(p)
    assert r.status == "optimal"
    assert r.unplaced[0] == pytest.approx(unplaced)
    if single:
        assert set(r.assign.round(9).tolist()) <= {0.0, 1.0}


def test_single_source_groups_are_never_merged():
    """Two sibling groups of 2 with the same arcs must be placed: one at A, one at B. Merged,
    they would be one group of 4 that no site holds (infeasible)."""
    g = groups([2.0, 2.0], may_be_unplaced=False)
    g["single_source"] = True
    p = Problem(
        two_sites_of_two(),
        g,
        arcs([(0, 0, 0.0, 1.0), (0, 1, 0.0, 2.0), (1, 0, 0.0, 1.0), (1, 1, 0.0, 2.0)]),
    )
    assert merge_identical_groups(p).problem.n_groups == 2
    r = solve(p)
    assert r.status == "optimal"
    assert sorted(r.assign.round(9).tolist()) == [0.0, 0.0, 1.0, 1.0]


def test_pyomo_model_has_binary_shares_only_for_single_source_groups():
    g = groups([3.0, 1.0])
    g["single_source"] = [True, False]
    p = Problem(two_sites_of_two(), g, arcs([(0, 0, 0.0, 1.0), (1, 1, 0.0, 1.0)]))
    m = build_model(p)
    # binary: an integer column in [0, 1] (the Pyomo rendering of the formulation)
    assert m.assign[0].is_integer()
    assert m.assign[0].bounds == (0, 1)
    assert not m.assign[1].is_integer()
