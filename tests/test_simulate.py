"""woonplanner simulate: toys against exact Poisson values, determinism, the run folder."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from woonplanner import simulate as sim_mod
from woonplanner.cli import app
from woonplanner.errors import InputDataError
from woonplanner.problem import Objective, Problem


def toy_problem(demands: list[float], options: list[tuple[str, float]], arcs) -> Problem:
    """Groups with ``demands`` (gemeente ``G<k>``), options ``(type, places per unit)`` and
    ``arcs`` as ``(group, option, km)``."""
    opts = pd.DataFrame(
        {
            "site": [f"S{k}" for k in range(len(options))],
            "type": [t for t, _ in options],
            "capacity": [q for _, q in options],
            "existing": 0.0,
            "max_units": 10.0,
            "unit_cost": 1000.0,
            "open_cost": 0.0,
            "close_cost": 0.0,
            "integer": True,
        }
    )
    groups = pd.DataFrame(
        {
            "demand": demands,
            "may_be_unplaced": True,
            "gemeente": [f"G{k}" for k in range(len(demands))],
            "support_need": "regular",
        }
    )
    arc_table = pd.DataFrame(arcs, columns=["group", "option", "km"])
    arc_table["cost"] = 0.0
    return Problem(
        options=opts,
        groups=groups,
        arcs=arc_table[["group", "option", "cost", "km"]],
        objective=Objective(unplaced_penalty=1e6, km_weight=1.0),
    )


def drawn_and_unplaced(results, level="gemeente"):
    drawn = np.concatenate([c.drawn[level] for c in results])
    unplaced = np.concatenate([c.unplaced[level] for c in results])
    return drawn, unplaced


def test_one_group_one_facility_matches_the_exact_poisson_service_level():
    # 3 children expected, 4 places: the share placed is E[min(N, 4)] / 3, N ~ Poisson(3).
    problem = toy_problem([3.0], [("gezinshuis", 4.0)], [(0, 0, 2.0)])
    sim = sim_mod.make_simulation(problem, np.array([1.0]), seed=7)
    results = sim_mod.run_draws(sim, 4000)
    summary = sim_mod.summarise(sim, results)
    n = np.arange(0, 60)
    p = stats.poisson(3.0).pmf(n)
    exact = float(np.sum(np.minimum(n, 4) * p) / 3.0)
    all_placed = float(stats.poisson(3.0).cdf(4))
    drawn, unplaced = drawn_and_unplaced(results)
    # The ratio estimator's standard error, from the draws (delta method).
    z = (drawn - unplaced)[:, 0] - exact * drawn[:, 0]
    se = z.std(ddof=1) / np.sqrt(len(z)) / 3.0
    level = summary["region"]["service_level"]
    assert abs(level - exact) < 4 * se, (level, exact, se)
    share_se = np.sqrt(all_placed * (1 - all_placed) / 4000)
    assert abs(summary["region"]["share_all_placed"] - all_placed) < 4 * share_se
    # Placed children never exceed the places, and every placed child is at 2 km.
    assert summary["by_type"][0]["places"] == 4.0
    assert summary["km"]["mean_km"] == pytest.approx(2.0)


def test_two_origins_pool_their_children_in_a_shared_facility():
    # Two gemeenten with 1.5 and 2.5 expected children share 5 places (one facility of 5):
    # the region's share placed is E[min(N1 + N2, 5)] / 4 with N1 + N2 ~ Poisson(4); a third
    # facility that nobody reaches holds no one.
    problem = toy_problem(
        [1.5, 2.5],
        [("gezinshuis", 5.0), ("pleeggezin", 1.0)],
        [(0, 0, 1.0), (1, 0, 3.0)],
    )
    sim = sim_mod.make_simulation(problem, np.array([1.0, 2.0]), seed=3)
    results = sim_mod.run_draws(sim, 3000)
    summary = sim_mod.summarise(sim, results)
    n = np.arange(0, 80)
    exact = float(np.sum(np.minimum(n, 5) * stats.poisson(4.0).pmf(n)) / 4.0)
    drawn, unplaced = drawn_and_unplaced(results)
    total_drawn, total_placed = drawn.sum(axis=1), (drawn - unplaced).sum(axis=1)
    se = (total_placed - exact * total_drawn).std(ddof=1) / np.sqrt(len(total_drawn)) / 4.0
    assert abs(summary["region"]["service_level"] - exact) < 4 * se
    assert [t["type"] for t in summary["by_type"]] == ["gezinshuis", "pleeggezin"]
    assert summary["by_type"][1]["occupied_mean"] == 0.0
    # Per gemeente: both gemeenten's children are counted, each with its own figures.
    assert [row["gemeente"] for row in summary["by_gemeente"]] == ["G0", "G1"]
    assert summary["by_gemeente"][0]["children_drawn_mean"] == pytest.approx(1.5, abs=0.1)


def test_overdispersion_draws_have_the_stated_variance():
    problem = toy_problem([4.0], [("gezinshuis", 4.0)], [(0, 0, 1.0)])
    sim = sim_mod.make_simulation(problem, np.array([1.0]), overdispersion=1.5, seed=1)
    draws = np.array([sim_mod.draw_demand(sim, r)[0] for r in range(20000)])
    assert draws.mean() == pytest.approx(4.0, rel=0.03)
    assert draws.var() == pytest.approx(2.5 * 4.0, rel=0.06)


def test_draws_and_figures_do_not_depend_on_the_chunking():
    # Workers get whole chunks; a draw's figures must not depend on the draw before it.
    problem = toy_problem(
        [1.2, 0.7, 2.2],
        [("gezinshuis", 4.0), ("pleeggezin", 1.0)],
        [(0, 0, 1), (1, 0, 2), (2, 1, 1)],
    )
    sim = sim_mod.make_simulation(problem, np.array([1.0, 2.0]), seed=11)
    whole = sim_mod.simulate_chunk(sim, 0, 60)
    parts = [sim_mod.simulate_chunk(sim, a, b) for a, b in ((0, 7), (7, 33), (33, 60))]
    for level in whole.drawn:
        np.testing.assert_array_equal(
            whole.unplaced[level], np.concatenate([p.unplaced[level] for p in parts])
        )
        np.testing.assert_array_equal(
            whole.drawn[level], np.concatenate([p.drawn[level] for p in parts])
        )


def test_units_must_match_the_options():
    problem = toy_problem([1.0], [("gezinshuis", 4.0)], [(0, 0, 1.0)])
    with pytest.raises(InputDataError, match="units: 2 values for 1 options"):
        sim_mod.make_simulation(problem, np.array([1.0, 1.0]))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim") / "demo"
    result = CliRunner().invoke(app, ["run", "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def test_simulate_writes_its_folder_and_links_the_report(demo_run):
    result = CliRunner().invoke(
        app, ["simulate", str(demo_run), "--draws", "30", "--seed", "5"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "Service level" in result.output
    folder = demo_run / "simulate"
    data = json.loads((folder / "simulate.json").read_text(encoding="utf-8"))
    assert list(data["region"])[:3] == ["service_level", "service_level_p5", "share_all_placed"]
    assert data["region"]["draws"] == 30
    assert 0.5 < data["region"]["service_level"] <= 1.0
    table = pd.read_csv(folder / "simulate.csv")
    assert table.loc[0, "level"] == "region"
    assert set(table["level"]) == {"region", "gemeente", "support_need", "type"}
    page = (folder / "simulate.html").read_text(encoding="utf-8")
    assert 'lang="nl"' in page
    assert "<svg" in page
    assert "servicegraad" in page.lower()
    assert "http" not in page  # offline: no CDN, no external link
    report = (demo_run / "report.html").read_text(encoding="utf-8")
    assert report.count('href="simulate/simulate.html"') == 1
    # A second simulate is refused without --force, and with it the link is not repeated.
    again = CliRunner().invoke(app, ["simulate", str(demo_run), "--draws", "5"])
    assert again.exit_code == 2
    assert "already exists" in again.output
    forced = CliRunner().invoke(app, ["simulate", str(demo_run), "--draws", "5", "--force"])
    assert forced.exit_code == 0, forced.output
    report = (demo_run / "report.html").read_text(encoding="utf-8")
    assert report.count('href="simulate/simulate.html"') == 1


def test_simulate_refuses_a_folder_that_is_no_run(tmp_path):
    result = CliRunner().invoke(app, ["simulate", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a woonplanner run folder" in result.output


def test_the_page_names_gemeenten_and_support_needs_as_the_report_does():
    from woonplanner.outputs.simulate import simulate_html

    figures = {
        "children_expected": 10.0,
        "children_drawn_mean": 10.0,
        "children_unplaced_mean": 0.5,
        "children_unplaced_p95": 2.0,
        "service_level": 0.95,
        "service_level_p5": 0.8,
        "share_all_placed": 0.6,
    }
    summary = {
        "region": {**figures, "draws": 20},
        "by_gemeente": [{"gemeente": "GM9904", **figures}],
        "by_support_need": [{"support_need": "intensive", **figures}],
        "by_type": [],
        "km": {"mean_km": None, "bins_km": [0.0, 1.0], "share_by_bin": [1.0]},
    }
    page = simulate_html(summary, np.full(20, 0.95), names={"GM9904": "Elsterwolde"})
    assert "Elsterwolde (GM9904)" in page
    assert "intensief (geen gezinssetting)" in page
    assert ">intensive<" not in page
