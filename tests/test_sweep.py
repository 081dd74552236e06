"""Parameter sweeps (``woonplanner sweep``): values, the cost-proximity curve, errors."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from woonplanner.cli import app
from woonplanner.errors import ScenarioError
from woonplanner.outputs.sweep import sweep_html
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
    with pytest.raises(ScenarioError, match="is a list; a sweep varies one number"):
        parse_vary("reasons.safety_risk.types=a,b")


def test_every_bad_value_is_listed_under_vary():
    with pytest.raises(ScenarioError) as err:
        sweep(None, "demand.rate_per_1000", ["4", "x", "-1"], overrides=["norm.levle=region"])
    text = str(err.value)
    assert text.startswith("Invalid sweep (3 problems)")
    assert "--vary: demand.rate_per_1000: Input should be a valid number" in text
    assert "--vary: demand.rate_per_1000: Input should be greater than or equal to 0" in text
    assert "--set: norm.levle: unknown key (did you mean norm.level?)" in text  # once


def test_the_varied_key_cannot_also_be_set():
    with pytest.raises(ScenarioError, match="also set with --set"):
        sweep(None, "demand.rate_per_1000", ["4", "6"], overrides=["demand.rate_per_1000=5"])


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
    assert table["status"].tolist() == ["optimal", "infeasible"]
    assert "budget.annual_eur" in table.loc[1, "message"]
    page = (out / "sweep.html").read_text(encoding="utf-8")
    assert "No plan for budget.annual_eur = 10000: No plan satisfies the hard rules" in page
    assert "no plan possible" in page
    assert len(re.findall(r'<circle class="point"', page)) == 1


def test_one_key_per_sweep(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            *("sweep", "--vary", "demand.rate_per_1000=4,6", "--vary", "norm.mode=hard,soft"),
            *("--out", str(tmp_path / "x")),
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 2
    assert "--vary given 2 times; a sweep varies one key" in result.output


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


def page_rows(**changes) -> pd.DataFrame:
    """Three planned values, the third with ``changes`` (lists of one value per row)."""
    table = pd.DataFrame(
        {
            "key": "reasons.safety_risk.max_km",
            "value": ["5", "10", "20"],
            "status": ["optimal"] * 3,
            "mip_gap": [0.0005] * 3,
            "children_demand": [40.0] * 3,
            "children_placed": [40.0] * 3,
            "children_unplaced": [0.0] * 3,
            "child_km": [100.0, 90.0, 90.0],
            "mean_km": [2.5, 2.25, 2.25],
            "p90_km": [5.0] * 3,
            "annual_cost_eur": [1e6, 1.1e6, 1.1e6],
            "one_off_cost_eur": [1e5] * 3,
            "cost_eur": [1.1e6, 1.2e6, 1.2e6],
            "message": [None] * 3,
        }
    )
    for column, values in changes.items():
        table[column] = values
    return table


def test_values_with_the_same_plan_share_a_point_and_a_label():
    page = sweep_html(page_rows(), "reasons.safety_risk.max_km")
    assert len(re.findall(r'<circle class="point"', page)) == 2
    assert ">10, 20</text>" in page


def test_unproven_and_unplaced_points_are_marked():
    """A time-limited plan is drawn hollow; one that leaves children unplaced gets a red ring
    and says how many (below the privacy threshold as "<5")."""
    rows = page_rows(
        status=["time_limit", "optimal", "optimal"],
        children_placed=[40.0, 37.6, 23.4],
        children_unplaced=[0.0, 2.4, 16.6],
        mean_km=[2.5, 2.25, 1.5],
    )
    page = sweep_html(rows, "reasons.safety_risk.max_km")
    circles = re.findall(r"<circle [^>]*>", page)
    assert 'fill="#fff"' in circles[0]  # hollow: not proven
    assert "5 (niet bewezen)" in page
    assert 'stroke="#c62828"' in circles[1]
    assert 'stroke="#c62828"' in circles[2]
    assert "10 · &lt;5 niet geplaatst" in page
    assert "20 · 17 niet geplaatst" in page
    assert "<td>&lt;5</td>" in page  # counts below 5 are hidden in the table too
    assert "<td>2,4</td>" not in page


def test_the_page_does_not_let_demand_minus_placed_give_a_small_count_away():
    from woonplanner.outputs.sweep import _table
    from woonplanner.outputs.vocabulary import Formatter

    table = pd.DataFrame(
        {
            "value": ["1000"],
            "mean_km": [2.0],
            "cost_eur": [1e6],
            "status": ["optimal"],
            "mip_gap": [0.0],
            "children_demand": [512.0],
            "children_placed": [510.7],
            "children_unplaced": [1.3],
            "p90_km": [4.0],
            "annual_cost_eur": [9e5],
            "one_off_cost_eur": [1e5],
        }
    )
    fmt = Formatter(lang="en", threshold=5, page="sweep")
    _head, rows = _table(table, fmt.labels, fmt)
    cells = [text for text, _css in rows[0]]
    assert cells[5:8] == ["512", "508–511", "<5"]


def test_the_command_line_says_the_unplaced_children_as_the_page_does():
    """The line per value said "2.4 unplaced": an expected count below the privacy threshold
    (docs/privacy.md). It now says what the sweep page says: "<5", or the whole number."""
    from woonplanner.sweep import _line

    row = {
        "status": "optimal",
        "mip_gap": 0.0,
        "cost_eur": 1e6,
        "mean_km": 2.0,
        "children_demand": 53.0,
        "children_placed": 50.6,
        "children_unplaced": 2.4,
    }
    assert _line("[1/2] x=1", row, 5).endswith(", <5 unplaced")
    many = {**row, "children_placed": 36.4, "children_unplaced": 16.6}
    assert _line("[2/2] x=2", many, 5).endswith(", 17 unplaced")
    assert "2.4" not in _line("[1/2] x=1", row, 5)
