"""Places per existing facility: the stock's optional ``places`` column (SPEC §3)."""

from __future__ import annotations

import pandas as pd
import pytest

import woonplanner
from woonplanner.data import demo
from woonplanner.errors import InputDataError
from woonplanner.runner import prepare

REGION = 'region.gemeenten=["GM9902"]'

#: Five siblings in WK990203 who need extra support: a gezinshuis of 4 cannot hold them.
FIVE = "wijk;leeftijd;reden;ondersteuning;brusgroep\n" + "".join(
    f"WK990203;{age};ouders kunnen niet;ja;g1\n" for age in (5, 6, 8, 9, 10)
)


def stock_file(tmp_path, places: str = "6") -> str:
    """The demo stock of GM9902, with its gezinshuis in WK990203 holding ``places``."""
    stock = demo.load().stock
    stock = stock[stock["neighbourhood"].str.startswith("WK9902")].copy()
    stock["places"] = ""
    big = (stock["neighbourhood"] == "WK990203") & (stock["type"] == "gezinshuis")
    assert big.sum() == 1
    stock.loc[big, "places"] = places
    path = tmp_path / f"stock-{places or 'default'}.csv"
    stock.to_csv(path, index=False)
    return str(path)


def scenario(tmp_path, *more):
    caseload = tmp_path / "caseload.csv"
    caseload.write_text(FIVE, encoding="utf-8")
    return woonplanner.load_scenario(
        "demo",
        overrides=[
            REGION,
            f'stock.file="{stock_file(tmp_path)}"',
            f'demand.caseload="{caseload}"',
            *more,
        ],
    )


def test_a_unit_with_its_own_places_is_an_option_of_its_own(tmp_path):
    options = prepare(scenario(tmp_path)).problem.options
    here = options[(options["site"] == "WK990203") & (options["type"] == "gezinshuis")]
    assert here[["capacity", "existing"]].values.tolist() == [[4.0, 0.0], [6.0, 1.0]]
    # Kept or closed, never grown: new units have the type's places.
    assert here["max_units"].tolist()[1] == 1.0


def test_five_siblings_stay_together_in_the_gezinshuis_of_six(tmp_path):
    plan = woonplanner.run(scenario(tmp_path), out=tmp_path / "run")
    assert plan.kpis["region"]["sibling_groups"]["kept_together"] == 1
    fac = plan.facilities
    big = fac[(fac["neighbourhood"] == "WK990203") & (fac["type"] == "gezinshuis")]
    assert (big["places"] == 6.0).any()
    assert big.loc[big["places"] == 6.0, "occupied"].iloc[0] == pytest.approx(5.0)
    # Without its own places, no unit holds five: the group is split for that reason.
    plain = woonplanner.run(
        scenario(tmp_path, f'stock.file="{stock_file(tmp_path, "")}"'),
    )
    assert plain.kpis["region"]["sibling_groups"]["split_by_reason"]["no_unit_large_enough"] == 1
    # Next year's stock keeps the six places (stock.from_run reads them per unit).
    again = prepare(
        woonplanner.load_scenario(
            "demo", overrides=[REGION, f'stock.from_run="{tmp_path / "run"}"']
        )
    ).problem.options
    kept = again[(again["site"] == "WK990203") & (again["type"] == "gezinshuis")]
    assert 6.0 in kept["capacity"].tolist()


def test_places_must_be_positive_numbers(tmp_path):
    sc = woonplanner.load_scenario(
        "demo", overrides=[REGION, f'stock.file="{stock_file(tmp_path, "-2")}"']
    )
    with pytest.raises(InputDataError, match="places: must be a number > 0 per unit"):
        prepare(sc)
    assert pd.read_csv(stock_file(tmp_path))["places"].notna().sum() == 1
