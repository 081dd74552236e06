"""Parameter sweeps (``woonplanner sweep``): values, the cost-proximity curve, errors."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from woonplanner.cli import app
from woonplanner.errors import ScenarioError
from woonplanner.sweep import parse_vary, sweep

SMALL = 'region.gemeenten=["GM9904"]'  # the smallest demo gemeente: fast


def test_parse_vary():
    assert parse_vary("objective.km_weight_eur=0, 500,1000") == (
        "objective.km_weight_eur",
        ["0", "500", "1000"],
    )
    for bad in ("objective.km_weight_eur", "objective.km_weight_eur=", "=1,2", "a.b=1,1"):
        with pytest.raises(ScenarioError, match="--vary"):
            parse_vary(bad)


def test_a_higher_km_weight_never_buys_longer_distances_or_costs_less():
    """The curve's defining property, from optimality alone: with C = cost + the penalty of
    unplaced children (what the weight does not multiply), for weights w1 < w2 with optimal
    plans x1, x2: C(x1) + w1 km(x1) <= C(x2) + w1 km(x2) and the same with w2 swapped, so
    (w2 - w1)(km(x2) - km(x1)) <= 0 and then C(x2) >= C(x1). Exact solves (gap 1e-9), so the
    plans are optimal."""
    table = sweep(
        None,
        "objective.km_weight_eur",
        ["0", "500", "2000", "10000"],
        overrides=[SMALL, "solver.mip_gap=1e-9"],
    )
    assert (table["status"] == "optimal").all()
    km = table["child_km"].to_numpy()
    rest = (table["cost_eur"] + 1e6 * table["children_unplaced"]).to_numpy()  # P = 1e6 €
    assert (km[1:] <= km[:-1] * (1 + 1e-7)).all()
    assert (rest[1:] >= rest[:-1] * (1 - 1e-7)).all()
    assert km[-1] < km[0]  # the weight does move the plan
    assert table["cost_eur"].to_numpy() == pytest.approx(
        (table["annual_cost_eur"] + table["one_off_cost_eur"]).to_numpy()
    )


def test_cli_writes_the_table_and_the_curve(tmp_path):
    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        app,
        ["sweep", "--vary", "objective.km_weight_eur=0,1000,5000", "--set", SMALL, "--out", out],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "Planned 3 of 3 values of objective.km_weight_eur" in result.output
    table = pd.read_csv(out / "sweep.csv")
    assert table["value"].tolist() == [0, 1000, 5000]
    assert {"units_gezinshuis", "units_pleeggezin", "units_woongroep"} <= set(table.columns)
    page = (out / "sweep.html").read_text(encoding="utf-8")
    assert len(re.findall(r'<circle class="point"', page)) == 3
    assert "Afweging kosten en nabijheid" in page


def test_a_value_without_a_plan_is_a_row_and_sets_the_exit_code(tmp_path):
    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            "--vary",
            "budget.annual_eur=1e9,10000",
            "--set",
            SMALL,
            "--lang",
            "en",
            "--out",
            out,
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 3
    table = pd.read_csv(out / "sweep.csv")
    assert table["status"].tolist() == ["optimal", "InfeasibleError"]
    assert "budget.annual_eur" in table.loc[1, "message"]
    page = (out / "sweep.html").read_text(encoding="utf-8")
    assert "No plan for: 10000." in page
    assert len(re.findall(r'<circle class="point"', page)) == 1


def test_a_bad_value_fails_before_any_solve(tmp_path):
    """Every value is validated first: the typo in the third stops the sweep at once."""
    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        app,
        ["sweep", "--vary", "demand.rate_per_1000=4,6,-1", "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    assert "demand.rate_per_1000" in result.output
    assert "[1/3]" not in result.output  # nothing was planned
    assert not out.exists()


def test_counts_below_the_threshold_are_hidden_on_the_page():
    from woonplanner.sweep import sweep_html

    table = pd.DataFrame(
        {
            "value": ["1"],
            "status": ["optimal"],
            "mip_gap": [0.0005],
            "children_demand": [40.0],
            "children_placed": [37.6],
            "children_unplaced": [2.4],
            "child_km": [100.0],
            "mean_km": [2.66],
            "p90_km": [5.0],
            "annual_cost_eur": [1e6],
            "one_off_cost_eur": [1e5],
            "cost_eur": [1.1e6],
            "message": [None],
        }
    )
    page = sweep_html(table, "demand.rate_per_1000")
    assert "&lt;5" in page
    assert "2.4" not in page
