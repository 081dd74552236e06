"""Why a unit opens or closes: ``norm`` only for the units the 1-per-40,000 norm lacks beyond
the existing stock and beyond what the children placed in the gemeente fill."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from test_real_regions import NL, plan_region

from woonplanner.plan import Plan, change_reasons

SMALL_SCALE = ("gezinshuis", "woongroep")
PLACES_PER_UNIT = {"gezinshuis": 4.0, "woongroep": 8.0, "pleeggezin": 1.3}


def facilities(*rows: tuple[str, str, str, int, int, float]) -> pd.DataFrame:
    """Facility rows ``(neighbourhood, gemeente, type, existing, opened, occupied)``."""
    fac = pd.DataFrame(
        rows,
        columns=["neighbourhood", "gemeente", "type", "existing_units", "opened_units", "occupied"],
    )
    fac["closed_units"] = 0
    fac["units"] = fac["existing_units"] + fac["opened_units"]
    fac["places"] = fac["units"] * fac["type"].map(PLACES_PER_UNIT)
    return fac


def reasons(fac: pd.DataFrame, required: dict[str, int]) -> dict[str, str]:
    """Reason by neighbourhood (the hand-made tables have one row per neighbourhood)."""
    found = change_reasons(fac, required, SMALL_SCALE)
    return dict(zip(fac["neighbourhood"], found, strict=True))


def norm_units(fac: pd.DataFrame, required: dict[str, int]) -> int:
    return int(fac.loc[change_reasons(fac, required, SMALL_SCALE) == "norm", "opened_units"].sum())


def five_openings(*, existing: int = 0) -> pd.DataFrame:
    """Five new gezinshuizen in gemeente G1, from nearly empty to full (4 places each)."""
    rows = [
        ("B1", "G1", "gezinshuis", 0, 1, 3.0),
        ("B2", "G1", "gezinshuis", 0, 1, 0.5),
        ("B3", "G1", "gezinshuis", 0, 1, 4.0),
        ("B4", "G1", "gezinshuis", 0, 1, 1.5),
        ("B5", "G1", "gezinshuis", 0, 1, 2.0),
    ]
    if existing:
        rows.append(("B6", "G1", "gezinshuis", existing, 0, 4.0 * existing))
    return facilities(*rows)


def test_only_the_shortfall_is_norm_least_occupied_first() -> None:
    # Eleven children fill three gezinshuizen; the norm asks five: two are for the norm.
    found = reasons(five_openings(), {"G1": 5, "region": 5})
    assert {b for b, r in found.items() if r == "norm"} == {"B2", "B4"}
    assert {found[b] for b in ("B1", "B3", "B5")} <= {"capacity", "distance"}


def test_no_unit_is_for_the_norm_where_the_children_fill_more_than_it_asks() -> None:
    """Amsterdam from an empty stock opens 225 small-scale units for its children and the
    norm asks 24: the report said 13 of them opened "to bring the gemeente up to the norm"."""
    fac = five_openings()  # eleven children: three gezinshuizen full
    for asked in (1, 2, 3):
        assert "norm" not in set(change_reasons(fac, {"G1": asked, "region": asked}, SMALL_SCALE))
    assert norm_units(fac, {"G1": 4, "region": 4}) == 1


def test_a_gemeente_that_meets_the_norm_has_no_norm_openings() -> None:
    fac = five_openings(existing=2)
    assert "norm" not in set(change_reasons(fac, {"G1": 2, "region": 2}, SMALL_SCALE))


def test_existing_units_count_for_the_norm() -> None:
    # Four existing gezinshuizen with one child: twelve children fill three units, the stock
    # has four; the norm asks six: two of the openings are for it.
    fac = pd.concat(
        [five_openings(), facilities(("B6", "G1", "gezinshuis", 4, 0, 1.0))], ignore_index=True
    )
    found = reasons(fac, {"G1": 6, "region": 6})
    assert norm_units(fac, {"G1": 6, "region": 6}) == 2
    assert {b for b, r in found.items() if r == "norm"} == {"B2", "B4"}


def test_equal_occupancy_is_broken_by_neighbourhood_code() -> None:
    fac = facilities(
        ("B9", "G1", "gezinshuis", 0, 1, 1.0),
        ("B1", "G1", "gezinshuis", 0, 1, 1.0 - 1e-9),  # solver round-off, not less occupied
        ("B5", "G1", "gezinshuis", 0, 1, 1.0),
    )
    found = reasons(fac, {"G1": 3})  # three children fill one unit: two for the norm
    assert {b for b, r in found.items() if r == "norm"} == {"B1", "B5"}


def test_a_row_larger_than_the_shortfall_left_is_skipped() -> None:
    # B1 opens 3 units, more than the 2 the norm lacks: its openings are for children.
    # The children fill one gezinshuis and one woongroep; the norm asks four units.
    fac = facilities(
        ("B1", "G1", "gezinshuis", 0, 3, 2.0),
        ("B2", "G1", "gezinshuis", 0, 1, 0.5),
        ("B3", "G1", "woongroep", 0, 1, 1.0),
        ("B4", "G1", "gezinshuis", 0, 1, 1.0),
    )
    found = reasons(fac, {"G1": 4})
    assert {b for b, r in found.items() if r == "norm"} == {"B2", "B3"}
    assert found["B1"] == "capacity"
    assert norm_units(fac, {"G1": 4}) == 2


def test_other_types_and_closings_are_never_norm() -> None:
    fac = facilities(
        ("B1", "G1", "pleeggezin", 0, 5, 6.0),
        ("B2", "G1", "gezinshuis", 0, 1, 4.0),
        ("B3", "G1", "woongroep", 2, 0, 8.0),
    )
    fac.loc[2, ["closed_units", "units"]] = [1, 1]
    fac.loc[2, "places"] = 8.0
    # The kept woongroep counts: the norm lacks 3 - 2 = 1 unit.
    assert list(change_reasons(fac, {"G1": 3}, SMALL_SCALE)) == ["capacity", "norm", "demand"]


def test_distance_where_kept_units_have_room() -> None:
    fac = facilities(
        ("B1", "G1", "gezinshuis", 2, 0, 5.0),  # kept, three whole places free
        ("B2", "G1", "gezinshuis", 0, 1, 4.0),
    )
    assert reasons(fac, {"G1": 1}) == {"B1": "", "B2": "distance"}


def test_the_region_norm_takes_what_the_gemeenten_lack_beyond_their_own() -> None:
    fac = facilities(
        ("B1", "G1", "gezinshuis", 0, 1, 1.0),
        ("B2", "G1", "gezinshuis", 0, 1, 2.0),
        ("B3", "G2", "gezinshuis", 0, 1, 0.5),
        ("B4", "G2", "gezinshuis", 0, 1, 3.0),
    )
    # The children fill one unit in each gemeente. Only a region norm (norm.level =
    # "region") of four: two for the norm, the least occupied in the whole region.
    found = reasons(fac, {"region": 4})
    assert {b for b, r in found.items() if r == "norm"} == {"B1", "B3"}
    # The unit G1 lacks counts for the region too: one more, the least occupied left.
    found = reasons(fac, {"G1": 2, "G2": 0, "region": 4})
    assert {b for b, r in found.items() if r == "norm"} == {"B1", "B3"}
    found = reasons(fac, {"G1": 2, "G2": 0, "region": 3})
    assert {b for b, r in found.items() if r == "norm"} == {"B1"}


def assert_norm_units_within_shortfall(plan: Plan) -> dict[str, int]:
    """Units labelled ``norm`` per gemeente are at most what the gemeente lacked beyond its
    existing units and beyond the units its children fill (re-derived here row by row: per
    type, the occupancy over one unit's places, rounded up).

    (The region's norm adds none here: rounded up per gemeente, the gemeenten ask at least as
    many units as the region.)
    """
    assert plan.scenario is not None
    fac = plan.facilities
    small = fac[fac["type"].isin(plan.scenario.norm.types)]
    existing = small.groupby("gemeente")["existing_units"].sum()
    norm = small[small["change_reason"] == "norm"].groupby("gemeente")["opened_units"].sum()
    filled: dict[str, int] = {}
    for (gemeente, _type), rows in small[small["units"] > 0].groupby(["gemeente", "type"]):
        places_per_unit = float(rows["places"].sum() / rows["units"].sum())
        children = float(rows["occupied"].sum())
        filled[gemeente] = filled.get(gemeente, 0) + math.ceil(children / places_per_unit - 1e-6)
    found = {}
    for row in plan.gemeenten.itertuples():
        have = max(int(existing.get(row.code, 0)), filled.get(row.code, 0))
        shortfall = max(row.required_small_scale_units - have, 0)
        found[row.code] = int(norm.get(row.code, 0))
        assert found[row.code] <= shortfall, row.code
    return found


def test_demo_run_labels_no_more_norm_units_than_lacking(small: dict) -> None:
    _, plan = small["basis"]
    assert_norm_units_within_shortfall(plan)


@pytest.mark.skipif(not (NL / "wijken_2024_geoinzicht.geojson").is_file(), reason=f"{NL} not found")
def test_jz15_from_empty_stock_no_opening_is_for_the_norm_its_children_fill(
    tmp_path: Path,
) -> None:
    # Haarlemmermeer opens 46 gezinshuizen from an empty stock, and its children fill them;
    # the norm asks for 5. Before, the five least occupied read "norm".
    plan, out, _ = plan_region(tmp_path, "region.jeugdregio=JZ15")
    assert assert_norm_units_within_shortfall(plan) == {"GM0394": 0}
    csv = pd.read_csv(out / "facilities.csv", keep_default_na=False)
    assert int(csv.loc[csv["change_reason"] == "norm", "opened_units"].sum()) == 0
    assert set(csv.loc[csv["opened_units"] > 0, "change_reason"]) <= {"capacity", "distance"}
