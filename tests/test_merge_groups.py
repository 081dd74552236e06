"""Merging identical groups and separating the linking rows are exact (model.solve)."""

from __future__ import annotations

import dataclasses
import importlib
import io

import numpy as np
import pandas as pd
import pytest
from test_model_toy import arcs, groups, options

from woonplanner.model import build_matrix, solve
from woonplanner.model.build import uncapacitated_options
from woonplanner.orlib import read_pmed
from woonplanner.problem import Objective, Problem, merge_identical_groups


def toy() -> Problem:
    """Groups 0 and 1 are identical (same arcs, km and cost per child); group 2 differs in km.

    One unit of 4 places costs 100 at A or B; cost per child is 1 at A and 2 at B; km 1 at A,
    at B 3 for groups 0 and 1 and 2 for group 2; km weight 10.
    """
    return Problem(
        options(
            [
                {"site": "A", "capacity": 4.0, "unit_cost": 100.0},
                {"site": "B", "capacity": 4.0, "unit_cost": 100.0},
            ]
        ),
        groups([1.5, 1.5, 2.0], may_be_unplaced=False),
        arcs(
            [
                (0, 0, 1.5, 1.0),
                (0, 1, 3.0, 3.0),
                (1, 1, 3.0, 3.0),  # the same arcs in another order
                (1, 0, 1.5, 1.0),
                (2, 0, 2.0, 1.0),
                (2, 1, 4.0, 2.0),
            ]
        ),
        objective=Objective(km_weight=10.0),
    )


def test_identical_groups_merge_and_expand():
    """Groups 0 and 1 become one group of 3 children; its arc costs are the members' sums."""
    p = toy()
    merged = merge_identical_groups(p)
    assert merged.problem.n_groups == 2
    assert merged.problem.n_arcs == 4
    assert list(merged.group) == [0, 0, 1]
    assert merged.problem.groups["demand"].tolist() == [3.0, 2.0]
    reduced = merged.problem.arcs
    for a, row in p.arcs.iterrows():
        m = reduced.loc[merged.arc[a]]
        assert m["option"] == row["option"]
        assert m["km"] == row["km"]
        assert m["group"] == merged.group[int(row["group"])]
    assert reduced.groupby("group")["cost"].sum().tolist() == [4.5 + 4.5, 6.0]


def test_merged_solve_equals_unmerged_solve():
    """Demand 5 needs both units (200). A child costs 1 + 10 x 1 = 11 at A, 2 + 10 x 2 = 22 at
    B from group 2 and 2 + 10 x 3 = 32 from groups 0 and 1: four children at A and one of group
    2 at B, 200 + 44 + 22 = 266, with and without merging.
    """
    p = toy()
    fast, plain = solve(p), solve(p, merge_groups=False)
    assert fast.objective == pytest.approx(plain.objective)
    assert len(fast.assign) == p.n_arcs
    assert len(fast.unplaced) == p.n_groups
    served = np.bincount(p.arcs["group"], weights=fast.assign, minlength=p.n_groups)
    assert served == pytest.approx([1.0, 1.0, 1.0])
    demand = p.groups["demand"].to_numpy()[p.arcs["group"]]
    load = np.bincount(p.arcs["option"], weights=demand * fast.assign, minlength=2)
    assert np.all(load <= 4.0 * fast.units + 1e-9)
    assert fast.objective == pytest.approx(266.0)
    assert fast.assign[4:] * 2.0 == pytest.approx([1.0, 1.0])  # group 2: one child at each


def test_groups_that_differ_do_not_merge():
    """Different km, cost per child, option set or may-be-unplaced flag: nothing merges."""
    base = toy()
    for change in (
        {"km": [1.0, 3.0, 3.0, 1.5, 1.0, 2.0]},  # group 1's km at A differs
        {"cost": [1.5, 3.0, 3.0, 1.6, 2.0, 4.0]},  # group 1's cost per child at A differs
    ):
        a = base.arcs.copy()
        for col, values in change.items():
            a[col] = values
        merged = merge_identical_groups(dataclasses.replace(base, arcs=a))
        assert merged.problem is not None
        assert merged.problem.n_groups == 3
    g = base.groups.copy()
    g["may_be_unplaced"] = [True, False, False]
    assert merge_identical_groups(dataclasses.replace(base, groups=g)).problem.n_groups == 3
    fewer = base.arcs.drop(index=2).reset_index(drop=True)  # group 1 has no arc to B
    assert merge_identical_groups(dataclasses.replace(base, arcs=fewer)).problem.n_groups == 3
    single = dataclasses.replace(base, single_source=True)
    assert merge_identical_groups(single).problem is single


def random_problem(seed: int) -> Problem:
    """Twenty groups of which many share arcs; three sites of integer units, one continuous."""
    rng = np.random.default_rng(seed)
    n_sites = 4
    opts = options(
        [
            {
                "site": f"S{j}",
                "capacity": float(rng.integers(2, 6)),
                "max_units": 3,
                "unit_cost": float(rng.integers(50, 150)),
                "integer": j < 3,
            }
            for j in range(n_sites)
        ]
    )
    patterns = []
    for _ in range(5):
        sites = np.flatnonzero(rng.random(n_sites) < 0.7)
        sites = sites if len(sites) else np.array([0])
        patterns.append((sites, rng.uniform(0.5, 8.0, n_sites), rng.uniform(1.0, 5.0, n_sites)))
    demand = rng.uniform(0.1, 2.5, 20)
    rows = []
    for g in range(20):
        sites, km, per_child = patterns[int(rng.integers(0, 5))]
        rows += [(g, int(j), per_child[j] * demand[g], km[j]) for j in sites]
    return Problem(
        opts,
        pd.DataFrame({"demand": demand, "may_be_unplaced": True}),
        arcs(rows),
        objective=Objective(km_weight=3.0),
        strong_linking=True,
    )


@pytest.mark.parametrize("seed", range(6))
def test_random_instances_same_optimum_and_lp_bound(seed):
    """Same MIP optimum and same LP relaxation with and without merging (at 1e-9 gap)."""
    p = random_problem(seed)
    assert merge_identical_groups(p).problem.n_groups < p.n_groups
    fast = solve(p, mip_gap=1e-9)
    plain = solve(p, mip_gap=1e-9, merge_groups=False, separate_linking=False)
    assert fast.status == plain.status == "optimal"
    assert fast.objective == pytest.approx(plain.objective, rel=1e-7)
    assert plain.rows == build_matrix(p).n_rows  # every row once: none added twice
    relaxed = p.options.assign(integer=False)
    lp = dataclasses.replace(p, options=relaxed)
    assert solve(lp).objective == pytest.approx(solve(lp, merge_groups=False).objective, rel=1e-7)


def test_demo_region_merges_and_solves_to_the_same_optimum(demo_problem):
    """The demo's age bands with a shared anchor merge; the LP relaxation is the same to 1e-9
    and both MIP optima lie within each other's gap (1e-4)."""
    merged = merge_identical_groups(demo_problem)
    assert merged.problem.n_groups < demo_problem.n_groups
    relaxed = dataclasses.replace(demo_problem, options=demo_problem.options.assign(integer=False))
    lp_fast, lp_plain = solve(relaxed), solve(relaxed, merge_groups=False)
    assert lp_fast.objective == pytest.approx(lp_plain.objective, rel=1e-9)
    fast = solve(demo_problem, mip_gap=1e-4)
    plain = solve(demo_problem, mip_gap=1e-4, merge_groups=False, separate_linking=False)
    assert fast.status == plain.status == "optimal"
    assert fast.objective == pytest.approx(plain.objective, rel=2e-4)
    assert fast.bound <= plain.objective + 1e-6
    assert plain.bound <= fast.objective + 1e-6


def spy_on_runs(monkeypatch) -> tuple[list[float], list[float]]:
    """Record, for every HiGHS run of the solve module, its relative gap and the widest range
    of an integer column (1 in the RENS start, ``max_units`` in the main MIP)."""
    solve_module = importlib.import_module("woonplanner.model.solve")
    gaps: list[float] = []
    widths: list[float] = []
    original_solve = solve_module.highspy.Highs.solve

    def spy_solve(highs):
        gaps.append(highs.getOptionValue("mip_rel_gap")[1])
        lp = highs.getLp()
        integer = np.array(
            [t == solve_module.highspy.HighsVarType.kInteger for t in lp.integrality_]
        )
        width = np.asarray(lp.col_upper_) - np.asarray(lp.col_lower_)
        widths.append(float(width[integer].max()) if integer.any() else 0.0)
        return original_solve(highs)

    monkeypatch.setattr(solve_module.highspy.Highs, "solve", spy_solve)
    return gaps, widths


def test_start_stops_at_its_own_gap_and_the_solve_at_the_requested_one(monkeypatch):
    """The LP-guided start's sub-MIP runs at START_GAP, the main solve at the requested gap
    again (were it left at 0.5 %, the plan would stop there), and the optimum is that of a
    solve without these steps."""
    solve_module = importlib.import_module("woonplanner.model.solve")
    gaps, widths = spy_on_runs(monkeypatch)
    for seed in range(3):
        p = random_problem(seed)
        gaps.clear()
        widths.clear()
        # Without the aggregate rows: the reach rows make some of these LPs integral (no start).
        fast = solve(p, mip_gap=1e-9, aggregate_capacity=False)
        # LP rounds at the requested gap, then the start, then the main MIP.
        assert gaps[-2] == solve_module.START_GAP
        assert gaps[-1] == 1e-9
        # The start holds every unit to a whole number either side of its LP value (RENS);
        # the main MIP has the full range (max_units 3) again.
        assert widths[-2] <= 1.0
        assert widths[-1] == 3.0
        plain = solve(p, mip_gap=1e-9, merge_groups=False, separate_linking=False)
        assert fast.objective == pytest.approx(plain.objective, rel=1e-7)


def test_a_start_the_lp_proves_within_the_gap_ends_the_solve(monkeypatch):
    """When the start is within the gap of the LP bound, HiGHS' branch and bound is not run:
    the start is the plan and the LP value the bound. Both must be right: the bound below the
    true optimum, the plan at most the gap above it."""
    _, widths = spy_on_runs(monkeypatch)
    proven = 0
    for seed in range(8):
        p = random_problem(seed)
        optimum = solve(p, mip_gap=1e-9, merge_groups=False, separate_linking=False).objective
        widths.clear()
        log = io.StringIO()
        result = solve(p, mip_gap=0.05, log=[log])
        assert result.status == "optimal"
        assert result.bound <= optimum * (1 + 1e-9) <= result.objective * (1 + 2e-9)
        assert result.objective <= optimum * 1.05
        assert result.gap <= 0.05
        early = "no branch and bound" in log.getvalue()
        # The start holds each unit within 1 of its LP value (RENS), the main MIP has the full
        # range (max_units 3): the last run is the start exactly when the main MIP was skipped.
        assert (widths[-1] <= 1.0) == early
        proven += early
    assert 0 < proven < 8  # both paths were taken


def test_rows_of_uncapacitated_options_go_in_at_once(monkeypatch, tmp_path):
    """A p-median's sites hold all demand, so their linking rows are not separated: HiGHS is
    run once, on the full model (no LP rounds, no start). A capacitated site next to them still
    gets its rows separated, and the optimum is that of the full model either way."""
    solve_module = importlib.import_module("woonplanner.model.solve")
    calls: list[int] = []
    original_solve = solve_module.highspy.Highs.solve

    def spy_solve(highs):
        calls.append(highs.getNumRow())
        return original_solve(highs)

    monkeypatch.setattr(solve_module.highspy.Highs, "solve", spy_solve)
    (tmp_path / "p.txt").write_text(" 5 6 2\n 1 2 2\n 2 3 3\n 3 4 1\n 4 5 7\n 5 1 4\n 2 5 6\n")
    pmed = read_pmed(tmp_path / "p.txt")
    assert uncapacitated_options(pmed).all()
    result = solve(pmed, mip_gap=1e-9)
    full = build_matrix(pmed)
    assert calls == [full.n_rows]
    assert result.rows == full.n_rows

    capped = pmed.options.copy()
    capped.loc[0, "capacity"] = 1.0  # site 1 holds one vertex: its rows are separated
    mixed = dataclasses.replace(pmed, options=capped)
    assert uncapacitated_options(mixed).tolist() == [False, True, True, True, True]
    calls.clear()
    result = solve(mixed, mip_gap=1e-9)
    assert len(calls) >= 2  # an LP, then the MIP
    plain = solve(mixed, mip_gap=1e-9, separate_linking=False)
    assert result.objective == pytest.approx(plain.objective, rel=1e-9)


def test_progress_says_the_bound_the_first_plan_and_the_gap(monkeypatch):
    """The solve's progress lines: the LP bound, the first plan, then the gap during the branch
    and bound (every tick here, every 5 s for real), or that none was needed."""
    solve_module = importlib.import_module("woonplanner.model.solve")
    monkeypatch.setattr(solve_module, "PROGRESS_INTERVAL_S", 0.0)
    for seed, mip_gap, early in [(1, 1e-9, False), (0, 0.05, True)]:
        said: list[str] = []
        result = solve(random_problem(seed), mip_gap=mip_gap, progress=said.append)
        # The start's own MIP says how it goes too (its bound is not the model's: not said).
        start_ticks = [line for line in said if line.startswith("  first plan: ")]
        assert all("best so far" in t or "no plan yet" in t for t in start_ticks)
        assert start_ticks or early
        # The LP's rounds (every round here, every 5 s for real) come before its bound.
        rounds = [line for line in said if line.startswith("  LP relaxation: round ")]
        assert all(" columns (" in r for r in rounds)
        lines = [line for line in said if line not in start_ticks and line not in rounds]
        assert lines[0].startswith("  LP relaxation: bound ")
        assert lines[1].startswith("  first plan ")
        if early:
            assert lines[2:] == ["  the first plan is within the 5 % gap: no branch and bound"]
            assert f"{result.bound:,.0f}" in lines[0]
        else:
            ticks = [line for line in lines[2:] if line.startswith("  branch and bound: ")]
            assert ticks
            assert len(ticks) == len(lines) - 2
            assert any(w in ticks[-1] for w in ("gap ", "no plan yet", "no bound yet"))
