"""service.level: spare places from fill-rate quantiles, checked by simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from woonplanner import simulate as sim_mod
from woonplanner.errors import InputDataError
from woonplanner.model import solve
from woonplanner.problem import Objective, Problem, check_problem
from woonplanner.runner import prepare, run
from woonplanner.scenario import load_scenario
from woonplanner.service import (
    expected_fill_rate,
    fill_rate_places,
    utilisation_caps,
    with_service_level,
)


def exact_fill(mean: float, places: int) -> float:
    n = np.arange(0, 200)
    return float(np.sum(np.minimum(n, places) * stats.poisson(mean).pmf(n)) / mean)


@pytest.mark.parametrize(("mean", "level"), [(3.0, 0.9), (0.4, 0.95), (25.0, 0.99)])
def test_fill_rate_places_is_the_fewest_places_that_reach_the_level(mean, level):
    c = fill_rate_places(mean, level)
    assert expected_fill_rate(mean, c) == pytest.approx(level, abs=1e-9)
    whole = math.floor(c)
    # The whole numbers around it, against the fill rate summed from the Poisson pmf.
    assert exact_fill(mean, whole) < level <= exact_fill(mean, whole + 1) + 1e-12
    assert expected_fill_rate(mean, whole) == pytest.approx(exact_fill(mean, whole), abs=1e-12)


def test_overdispersion_asks_for_more_places():
    assert fill_rate_places(10.0, 0.95, overdispersion=1.0) > fill_rate_places(10.0, 0.95)


def one_facility(mean: float) -> Problem:
    """One group, one site of single-place units (foster families), as many as wanted."""
    return Problem(
        options=pd.DataFrame(
            {
                "site": ["S"],
                "type": ["pleeggezin"],
                "capacity": [1.0],
                "existing": [0.0],
                "max_units": [20.0],
                "unit_cost": [1000.0],
                "open_cost": [0.0],
                "close_cost": [0.0],
                "integer": [True],
            }
        ),
        groups=pd.DataFrame({"demand": [mean], "may_be_unplaced": [True], "gemeente": ["G"]}),
        arcs=pd.DataFrame({"group": [0], "option": [0], "cost": [0.0], "km": [1.0]}),
        objective=Objective(unplaced_penalty=1e6),
    )


def test_an_isolated_facility_gets_exactly_the_places_of_its_level():
    # 3 children expected: the plan without buffer opens 3 places; at 0.9 it must open the
    # fewest whole places whose Poisson fill rate reaches 0.9.
    problem = one_facility(3.0)
    plain = solve(problem)
    assert plain.units[0] == pytest.approx(3.0)
    buffered = with_service_level(problem, 0.9)
    result = solve(buffered)
    need = min(k for k in range(1, 20) if exact_fill(3.0, k) >= 0.9)
    assert result.units[0] == pytest.approx(need)
    assert exact_fill(3.0, round(result.units[0])) >= 0.9
    # The capacity row re-derived: the expected children fit in the capped places.
    rho = buffered.options.loc[0, "utilisation"]
    assert rho * result.units[0] + 1e-9 >= 3.0


def test_utilisation_is_checked():
    problem = one_facility(3.0)
    bad = Problem(
        options=problem.options.assign(utilisation=[1.5]),
        groups=problem.groups,
        arcs=problem.arcs,
    )
    with pytest.raises(InputDataError, match=r"options.utilisation: must be in \(0, 1\]"):
        check_problem(bad)


def test_large_catchments_pool_and_get_caps_near_one():
    small, large = one_facility(2.0), one_facility(400.0)
    assert utilisation_caps(small, 0.95)[0] < 0.8
    assert utilisation_caps(large, 0.95)[0] == 1.0
    assert 0.9 < utilisation_caps(large, 0.995)[0] < 1.0


@pytest.fixture(scope="module")
def demo_with_service_level(tmp_path_factory):
    out = tmp_path_factory.mktemp("service") / "demo095"
    scenario = load_scenario(None, overrides=["service.level=0.95"])
    plan = run(scenario, out=out)
    return plan, out


def test_a_demo_plan_made_for_095_simulates_at_or_above_it(demo_with_service_level):
    plan, out = demo_with_service_level
    problem = prepare(load_scenario(out / "scenario.toml")).problem
    sim = sim_mod.make_simulation(problem, sim_mod.plan_units(out, problem), seed=95)
    results = sim_mod.run_draws(sim, 200)
    level = sim_mod.summarise(sim, results)["region"]["service_level"]
    drawn = np.concatenate([c.drawn["gemeente"] for c in results]).sum(axis=1)
    unplaced = np.concatenate([c.unplaced["gemeente"] for c in results]).sum(axis=1)
    # Standard error of the pooled share (ratio estimator, delta method).
    se = ((drawn - unplaced) - level * drawn).std(ddof=1) / np.sqrt(len(drawn)) / drawn.mean()
    assert level - 3 * se >= 0.95, (level, se)
    # The capacity rows re-derived from the plan: expected occupancy within the caps.
    caps = problem.options.assign(cap=problem.options["utilisation"])
    fac = plan.facilities.merge(
        caps[["site", "type", "cap"]], left_on=["neighbourhood", "type"], right_on=["site", "type"]
    )
    assert (fac["occupied"] <= fac["cap"] * fac["places"] + 1e-6).all()
    assert (fac["cap"] < 1).any()


def test_the_report_shows_the_buffer_beside_the_plan_without_it(demo_with_service_level):
    plan, out = demo_with_service_level
    figures = plan.kpis["service_level"]
    assert figures["target"] == 0.95
    without = figures["without_buffer"]
    assert without["status"] == "optimal"
    assert figures["buffer_annual_cost_eur"] == pytest.approx(
        figures["annual_cost_eur"] - without["annual_cost_eur"]
    )
    assert figures["buffer_annual_cost_eur"] >= -1e-6
    assert sum(figures["places_by_type"].values()) >= sum(without["places_by_type"].values())
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="service-table"' in report
    assert "zonder reserve" in report
