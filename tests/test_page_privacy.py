"""The page rule of SPEC §5 (docs/privacy.md): no figure on a shared page lets a reader work
out a count of a neighbourhood's children below the threshold, and one rounding everywhere."""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from test_maps import make_tiny_plan

from woonplanner.outputs.maps import _facility_popup, feature_collection, plan_map
from woonplanner.outputs.report import report_html
from woonplanner.outputs.vocabulary import format_total, format_whole, labels
from woonplanner.plan import Plan
from woonplanner.privacy import (
    COUNT_COLUMNS,
    is_children,
    page_privacy,
    suppress_sum,
    total_range,
    whole,
)

T = 5


def solutions(v: list[int], hidden: np.ndarray, threshold: int) -> list[tuple[int, ...]]:
    """Every assignment of the hidden cells a reader cannot rule out: a small one 1 … t − 1, a
    secondary one t … t + 30, summing with the shown cells to the total (brute force)."""
    total = sum(v)
    shown = sum(x for x, h in zip(v, hidden, strict=True) if not h)
    ranges = [
        range(1, threshold) if x < threshold else range(threshold, threshold + 31)
        for x, h in zip(v, hidden, strict=True)
        if h
    ]
    return [c for c in itertools.product(*ranges) if shown + sum(c) == total]


def assert_no_small_cell_pinned(v: list[int], hidden: np.ndarray, threshold: int) -> None:
    small = [i for i, (x, h) in enumerate(zip(v, hidden, strict=True)) if h if 1 <= x < threshold]
    found = solutions(v, hidden, threshold)
    positions = [i for i, h in enumerate(hidden) if h]
    for i in small:
        values = {c[positions.index(i)] for c in found}
        assert len(values) >= 2, (v, hidden.tolist(), i, values)


def test_the_issue_example_hides_a_second_cell() -> None:
    # Ten children in each of five wijken and one in a sixth: "Vraag 51" minus 50 gives 1.
    hidden, shown = suppress_sum(np.array([10, 10, 10, 10, 10, 1]), T)
    assert shown
    assert hidden.tolist() == [True, False, False, False, False, True]
    # Without the second cell, the total would give the small one away.
    assert len({c[0] for c in solutions([10, 10, 10, 10, 10, 1], np.eye(6, dtype=bool)[5], T)}) == 1


@pytest.mark.parametrize(
    "cells",
    [
        [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 20],  # all small cells would be 1: the 20 must go too
        [3, 4],  # nothing left to hide: the total becomes a range
        [4, 4, 4, 30, 7],
        [2, 0, 0, 9],
        [1, 2, 3, 4, 5, 6, 7, 8],
    ],
)
def test_no_small_cell_can_be_worked_out(cells: list[int]) -> None:
    hidden, shown = suppress_sum(np.array(cells, dtype=float), T)
    assert all(hidden[i] for i, x in enumerate(cells) if 1 <= x < T)
    if shown:
        assert_no_small_cell_pinned(cells, hidden, T)
    else:
        least, most = total_range(np.array(cells, dtype=float), hidden, T)
        assert least <= sum(cells) <= (most if most is not None else np.inf)


def test_random_sums_never_pin_a_small_cell() -> None:
    rng = np.random.default_rng(17)
    for _ in range(150):
        cells = rng.choice([0, 1, 2, 3, 4, 6, 9, 15], size=int(rng.integers(1, 6))).tolist()
        hidden, shown = suppress_sum(np.array(cells, dtype=float), T)
        if shown:
            assert_no_small_cell_pinned(cells, hidden, T)


def test_one_rounding_and_one_rule_for_unplaced() -> None:
    assert [whole(v) for v in (0.018, 0.49, 0.5, 6.5, 2.5)] == [0, 0, 1, 7, 3]
    # A half in floating point is a half: 45 foster families' places, added one by one, read
    # as their occupancy of 58.5 does (Waadhoeke's 58 places with 59 children, 2026-12-03).
    assert sum([1.3] * 45) < 58.5
    assert whole(sum([1.3] * 45)) == whole(58.5 + 1e-12) == 59
    assert not is_children(0.018)
    assert is_children(0.5)
    # 6.5 places and 6.5 occupied read the same (Python's round would give 6 and format 7).
    assert format_whole(6.5) == "7"
    assert format_total(4, T, (4, 16)) == "4–16"
    assert format_total(2, T, (1, 4)) == "<5"
    assert format_total(60, T, (52, None)) == "≥52"


def fifty_one(plan: Plan) -> Plan:
    """The tiny plan with 10, 10, 10 and 1 children, all placed."""
    nb = plan.neighbourhoods.copy()
    nb["children_demand"] = [10.0, 10.0, 10.0, 1.0]
    nb["children_placed"] = nb["children_demand"]
    nb["children_unplaced"] = 0.0
    nb["child_km"] = nb["children_placed"] * 1.5
    nb["mean_km"] = 1.5
    return dataclasses.replace(plan, neighbourhoods=nb)


def test_the_map_does_not_let_the_title_give_away_a_small_wijk(tmp_path: Path) -> None:
    plan = fifty_one(make_tiny_plan())
    rule = page_privacy(plan.neighbourhoods, plan.flows, T)
    hidden = rule.hidden["children_demand"]
    assert hidden.sum() == 2  # the 1 and the ten of its gemeente
    assert hidden["BU00020002"]
    assert hidden["BU00020001"]
    path = tmp_path / "map.html"
    plan_map(plan).save(path)
    # The popups sit in the page as JSON strings: undo their \\uXXXX escapes.
    page = re.sub(
        r"\\u([0-9a-f]{4})", lambda m: chr(int(m.group(1), 16)), path.read_text(encoding="utf-8")
    )
    assert "Vraag 31" in page
    assert "≥5" in page  # the hidden ten
    # The 1-child wijk's mean km would be that child's distance.
    popup = re.search(r"Oost &amp; West.*?</table>", page)
    assert popup is not None
    assert "1,5 km" not in popup.group(0)
    assert "1.5 km" not in popup.group(0)


def test_the_report_agrees_with_the_map(demo_plan: Plan) -> None:
    rule = page_privacy(demo_plan.neighbourhoods, demo_plan.flows, T)
    text = report_html(demo_plan)
    region = demo_plan.kpis["region"]
    for column in ("children_demand", "children_placed"):
        shown = format_total(region[column], T, rule.region[column])
        assert f"<strong>{shown}</strong>" in text or f">{shown}<" in text


def test_a_total_that_would_pin_small_cells_reads_as_a_range() -> None:
    plan = make_tiny_plan()
    nb = plan.neighbourhoods.copy()
    nb["children_demand"] = [1.0, 1.0, 1.0, 1.0]  # 4: each wijk would be 1
    nb["children_placed"] = nb["children_demand"]
    nb["children_unplaced"] = 0.0
    rule = page_privacy(nb, None, T)
    assert rule.region["children_demand"] == (4, 16)
    assert format_total(4.0, T, rule.region["children_demand"]) == "4–16"


def test_a_facilitys_own_occupancy_is_shown_whole() -> None:
    # Decided in docs/privacy.md: a facility's occupancy is no neighbourhood's count.
    row = make_tiny_plan().facilities.iloc[1].copy()
    row["places"], row["occupied"] = 6.5, 6.5
    text = _facility_popup(
        pd.Series(row).to_frame().T.itertuples(index=False).__next__(),
        "new",
        "Centrum",
        "Een",
        labels("map"),
        "nl",
        T,
    )
    numbers = re.findall(r'class="wp-num">([^<]*)<', text)
    assert numbers[-2:] == ["7", "7"]


def test_flows_an_occupancy_would_give_away_are_hidden() -> None:
    nb = make_tiny_plan().neighbourhoods
    flows = pd.DataFrame(
        {
            "origin": ["BU00010002", "BU00020001"],
            "site": ["BU00010001", "BU00010001"],
            "type": ["gezinshuis", "gezinshuis"],
            "children": [2.0, 10.0],
        }
    )
    rule = page_privacy(nb, flows, T)
    # Occupancy 12 minus the 10 shown would be 2: both flows are hidden.
    assert rule.flows == {
        ("BU00010002", "BU00010001", "gezinshuis"),
        ("BU00020001", "BU00010001", "gezinshuis"),
    }


def test_an_invalid_outline_is_repaired_before_precision() -> None:
    # A bow-tie ring: what reprojecting a simplified dissolve of JZ04, JZ06 and JZ29 produced.
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    with pytest.raises(shapely.errors.GEOSException, match="side location conflict"):
        shapely.set_precision(bowtie, 1e-6)
    import geopandas as gpd

    frame = gpd.GeoDataFrame({"name": ["x"]}, geometry=[bowtie], crs="EPSG:4326")
    features = feature_collection(frame, lambda row: {"name": row["name"]})
    assert len(features["features"]) == 1
    assert shapely.geometry.shape(features["features"][0]["geometry"]).is_valid


def _table(demand: list[float], placed: list[float], gemeente: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": [f"WK{i:02d}" for i in range(len(demand))],
            "gemeente": gemeente,
            "children_demand": demand,
            "children_placed": placed,
            "children_unplaced": [d - p for d, p in zip(demand, placed, strict=True)],
        }
    )


def _reader_values(value: float, shown_as: tuple[int, int | None] | None) -> set[int]:
    """What a reader of the page can still think a total is (whole children, capped at +60)."""
    text = format_total(value, T, shown_as, "en")
    if text.startswith("<"):
        return set(range(1, T))
    if text.startswith("≥"):
        least = int(text[1:].replace(",", ""))
        return set(range(least, least + 60))
    if "–" in text:
        least, most = (int(t.replace(",", "")) for t in text.split("–"))
        return set(range(least, most + 1))
    return {int(text.replace(",", ""))}


def _totals_pin_nothing(demand: float, placed: float, unplaced: float, shown: dict) -> None:
    d = _reader_values(demand, shown["children_demand"])
    p = _reader_values(placed, shown["children_placed"])
    u = _reader_values(unplaced, shown["children_unplaced"])
    # Every (placed, unplaced) a reader cannot rule out: demand = placed + unplaced.
    possible_u = {b for a in p for b in u if a + b in d}
    if any(1 <= b < T for b in u):
        assert len(possible_u) >= 2, (d, p, u, possible_u)


def test_demand_minus_placed_does_not_give_the_unplaced_away() -> None:
    # The new-user finding of 2026-12-03 (JZ29): cards 2,668 / 2,667 / "<5" gave 1 unplaced.
    table = _table([900.0, 900.0, 866.8], [900.0, 900.0, 865.5], ["A", "B", "C"])
    rule = page_privacy(table, None, T)
    totals = {
        c: float(table[c].sum())
        for c in ("children_demand", "children_placed", "children_unplaced")
    }
    assert format_total(totals["children_unplaced"], T, rule.region["children_unplaced"]) == "<5"
    placed_text = format_total(totals["children_placed"], T, rule.region["children_placed"], "en")
    assert placed_text == "2,663–2,666", placed_text
    _totals_pin_nothing(*totals.values(), rule.region)
    # The same for the gemeente whose children are not all placed, and its equation.
    assert rule.gemeenten[("C", "children_placed")] == (863, 866)
    assert rule.gemeenten[("A", "children_placed")] == (900, 900)


def test_the_figures_add_up_where_every_total_is_shown() -> None:
    # 52.6 demand, 52.4 placed, 0.2 unplaced, rounded each on its own, read 53, 52 and 0.
    table = _table([20.3, 32.3], [20.2, 32.2], ["A", "A"])
    rule = page_privacy(table, None, T)
    shown = [format_total(float(table[c].sum()), T, rule.region[c]) for c in COUNT_COLUMNS]
    assert shown == ["53", "53", "0"]


def test_rounded_totals_do_not_pin_small_cells() -> None:
    # The new-user finding (GM9904 at 25 per 1,000): three wijken with 1.6, 0.8 and 0.7
    # unplaced read "<5" each, the total 3.1 reads 3 (not their rounded sum 4): three cells of
    # at least 1 summing to 3 would be 1 each.
    hidden, shown = suppress_sum(np.array([1.6, 0.8, 0.7, 0.0]), T, total=3.1)
    assert not shown, "a total that pins every hidden cell may not be shown"
    least, most = total_range(np.array([1.6, 0.8, 0.7, 0.0]), hidden, T)
    assert (least, most) == (3, 12)


@pytest.mark.parametrize("seed", range(40))
def test_random_regions_never_pin_the_unplaced_total(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 12))
    demand = rng.uniform(0, 30, n).round(2)
    unplaced = np.where(rng.random(n) < 0.3, rng.uniform(0, 3, n), 0.0).round(2)
    table = _table(
        list(demand), list(np.maximum(demand - unplaced, 0)), list(rng.choice(["A", "B", "C"], n))
    )
    rule = page_privacy(table, None, T)
    totals = [float(table[c].sum()) for c in COUNT_COLUMNS]
    _totals_pin_nothing(*totals, rule.region)
    for g, own in table.groupby("gemeente"):
        sums = [float(own[c].sum()) for c in COUNT_COLUMNS]
        _totals_pin_nothing(*sums, {c: rule.gemeenten[(g, c)] for c in COUNT_COLUMNS})


def test_a_table_summing_to_a_shown_total_hides_what_it_would_give_away() -> None:
    from woonplanner.outputs.report import _hidden_parts

    # Unplaced by reason: 12 in all, 9 and 2 and 1 → the 2 and 1 are "<5", but 12 − 9 = 3
    # would leave (2, 1) or (1, 2): two values each — safe; with 11 = 9 + 2 the lone 2 is pinned.
    assert _hidden_parts(np.array([9.0, 2.0, 1.0]), 12.0, T).tolist() == [False, True, True]
    assert _hidden_parts(np.array([9.0, 2.0]), 11.0, T).tolist() == [True, True]
    # A total that pins whatever is hidden: every row hidden.
    assert _hidden_parts(np.array([2.0]), 2.0, T).tolist() == [True]


def test_two_ranges_are_narrowed_by_the_total_but_never_to_one_value() -> None:
    from woonplanner.privacy import balance_totals

    values = dict(zip(COUNT_COLUMNS, (2668.0, 2666.7, 1.3), strict=True))
    # JZ29: the gemeenten's placed sum to 2,665–2,668; demand 2,668 and "<5" unplaced say ≤ 2,667.
    shown = {"children_demand": None, "children_placed": (2665, 2668), "children_unplaced": None}
    assert balance_totals(values, shown, T)["children_placed"] == (2665, 2667)
    # Where narrowing would leave one value the range stays as it was (the gemeenten's and
    # the region's figures are rounded each on its own: docs/privacy.md, what it does not promise).
    shown["children_placed"] = (2667, 2670)
    assert balance_totals(values, shown, T)["children_placed"] == (2667, 2670)
