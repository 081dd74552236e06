"""The yearly re-assessment: last year's plan as this year's stock (``stock.from_run``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import woonplanner
from woonplanner.errors import InputDataError
from woonplanner.plan import CHANGE_REASONS

REGION = 'region.gemeenten=["GM9902"]'


def plan(tmp_path, name, *overrides):
    scenario = woonplanner.load_scenario("demo", overrides=[REGION, *overrides])
    out = tmp_path / name
    return woonplanner.run(scenario, out=out), out


@pytest.fixture(scope="module")
def last_year(tmp_path_factory):
    return plan(tmp_path_factory.mktemp("y"), "last")


def changes(p) -> pd.DataFrame:
    fac = p.facilities
    return fac[(fac["opened_units"] > 0) | (fac["closed_units"] > 0)]


def test_unchanged_inputs_propose_no_changes(last_year, tmp_path):
    before, out = last_year
    again, _ = plan(tmp_path, "again", f'stock.from_run="{out}"')
    assert changes(again).empty
    assert again.kpis["status"] == "optimal"
    key = ["neighbourhood", "type"]
    kept = again.facilities.set_index(key)["units"].sort_index()
    planned = before.facilities[before.facilities["units"] > 0].set_index(key)["units"]
    pd.testing.assert_series_equal(kept, planned.sort_index())
    report = (tmp_path / "again" / "report.html").read_text(encoding="utf-8")
    assert "Het plan verandert niets aan de huidige voorraad." in report


def test_more_children_open_units_with_a_reason(last_year, tmp_path):
    _, out = last_year
    more, folder = plan(tmp_path, "more", f'stock.from_run="{out}"', "demand.rate_per_1000=16")
    opened = more.facilities[more.facilities["opened_units"] > 0]
    assert not opened.empty
    assert set(opened["change_reason"]) <= {"capacity", "distance", "norm"}
    assert (more.facilities["closed_units"] == 0).all()
    csv = pd.read_csv(folder / "facilities.csv", keep_default_na=False)
    assert set(csv.loc[csv["opened_units"] > 0, "change_reason"]) == set(opened["change_reason"])
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert "Reden" in report


def test_fewer_children_close_units_for_demand(last_year, tmp_path):
    _, out = last_year
    fewer, _ = plan(tmp_path, "fewer", f'stock.from_run="{out}"', "demand.rate_per_1000=6")
    closed = fewer.facilities[fewer.facilities["closed_units"] > 0]
    assert not closed.empty
    assert set(closed["change_reason"]) == {"demand"}
    # A row closed to zero has 0 places, not "-0" (solver round-off kept its sign).
    numbers = closed[["units", "places"]].to_numpy()
    assert not np.signbit(numbers[numbers == 0]).any()
    # The norm still holds: small-scale units are not closed below it.
    assert all(g["norm_met"] for g in fewer.kpis["gemeenten"])


def test_every_reason_code_is_documented(last_year):
    before, _ = last_year
    used = set(before.facilities["change_reason"]) - {""}
    assert used <= set(CHANGE_REASONS)


def test_from_run_needs_a_run_folder(tmp_path):
    scenario = woonplanner.load_scenario("demo", overrides=[REGION, f'stock.from_run="{tmp_path}"'])
    with pytest.raises(InputDataError, match="is not a woonplanner run folder"):
        woonplanner.run(scenario)


def test_from_run_of_another_region_is_refused(last_year):
    _, out = last_year
    scenario = woonplanner.load_scenario(
        "demo", overrides=['region.gemeenten=["GM9904"]', f'stock.from_run="{out}"']
    )
    with pytest.raises(InputDataError, match="unknown codes"):
        woonplanner.run(scenario)
