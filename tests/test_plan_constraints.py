"""Re-derive every constraint of the model from a solved demo plan (SPEC §8).

Each test recomputes its rule from the inputs (neighbourhoods, schools, stock, scenario) and the
plan's tables, without the model's own index sets, so a wrong constraint in the model shows up
as a violated rule here.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from woonplanner.data import demo

TOL = 1e-6


@pytest.fixture(scope="module")
def scenario(demo_scenario):
    return demo_scenario


@pytest.fixture(scope="module")
def region():
    return demo.load()


@pytest.fixture(scope="module")
def plan(demo_plan):
    return demo_plan


def test_demo_plan_is_optimal_and_meets_every_norm(plan):
    assert plan.kpis["status"] == "optimal"
    assert plan.kpis["mip_gap"] <= 1e-3
    assert all(g["norm_met"] for g in plan.kpis["gemeenten"])
    assert plan.kpis["region"]["norm_met"]


def test_demand_is_placed_or_reported_unplaced(plan, region, scenario):
    """Per neighbourhood: placed + unplaced = children × rate (recomputed from the inputs)."""
    nb = plan.neighbourhoods.set_index("code")
    children = region.neighbourhoods.set_index("code")[
        ["children_0_3", "children_4_11", "children_12_17"]
    ].sum(axis=1)
    expected = children * scenario.demand.rate_per_1000 / 1000
    assert nb["children_demand"].to_numpy() == pytest.approx(
        expected.reindex(nb.index).to_numpy(), rel=1e-9
    )
    assert (nb["children_placed"] + nb["children_unplaced"]).to_numpy() == pytest.approx(
        nb["children_demand"].to_numpy(), abs=1e-5
    )
    placed = plan.flows.groupby("origin")["children"].sum()
    assert placed.reindex(nb.index).fillna(0).to_numpy() == pytest.approx(
        nb["children_placed"].to_numpy(), abs=1e-9
    )


def test_capacity_is_respected(plan, scenario):
    fac = plan.facilities
    places_per_unit = fac["type"].map(lambda t: getattr(scenario.facility_types, t).places)
    assert fac["places"].to_numpy() == pytest.approx((fac["units"] * places_per_unit).to_numpy())
    occupied = plan.flows.groupby(["site", "type"])["children"].sum()
    key = pd.MultiIndex.from_frame(fac[["neighbourhood", "type"]])
    assert occupied.reindex(key).fillna(0).to_numpy() == pytest.approx(fac["occupied"].to_numpy())
    assert (fac["occupied"] <= fac["places"] + TOL).all()
    # Every flow goes to a site and type that has units.
    has_units = set(
        zip(
            fac.loc[fac["units"] > 0, "neighbourhood"],
            fac.loc[fac["units"] > 0, "type"],
            strict=True,
        )
    )
    assert set(zip(plan.flows["site"], plan.flows["type"], strict=True)) <= has_units


def test_units_are_existing_plus_opened_minus_closed(plan, region):
    fac = plan.facilities
    assert (fac["units"] == fac["existing_units"] + fac["opened_units"] - fac["closed_units"]).all()
    assert ((fac["opened_units"] == 0) | (fac["closed_units"] == 0)).all()
    stock = region.stock.groupby(["neighbourhood", "type"])["units"].sum()
    key = pd.MultiIndex.from_frame(fac[["neighbourhood", "type"]])
    assert (stock.reindex(key).fillna(0).to_numpy() == fac["existing_units"].to_numpy()).all()
    # Every unit of stock appears in the table (kept or closed).
    assert fac["existing_units"].sum() == region.stock["units"].sum()


def test_site_and_recruitment_limits(plan, region, scenario):
    fac = plan.facilities.merge(
        region.neighbourhoods[["code", "households"]], left_on="neighbourhood", right_on="code"
    )
    for t, rows in fac.groupby("type"):
        cfg = getattr(scenario.facility_types, t)
        limit = pd.Series(np.inf, index=rows.index)
        if cfg.max_units_per_1000_households is not None:
            limit = np.ceil(rows["households"] * cfg.max_units_per_1000_households / 1000)
        if cfg.max_units_per_site is not None:
            limit = np.minimum(limit, cfg.max_units_per_site)
        assert (rows["units"] <= np.maximum(limit, rows["existing_units"])).all(), t


def test_distance_bands_and_suitability(plan, region, scenario):
    """Recompute home and school distances from the geometry for every flow."""
    nb = region.neighbourhoods.set_index("code")
    pts = nb.geometry.representative_point()
    local = (2 / 3) * np.sqrt(nb.geometry.area / math.pi) / 1000
    schools = region.schools
    detour = scenario.travel.detour_factor

    def km(ax, ay, site):
        d = math.hypot(ax - pts[site].x, ay - pts[site].y) / 1000
        return detour * max(d, local[site])

    school_type = {"0_3": None, "4_11": "primary", "12_17": "secondary"}
    for f in plan.flows.itertuples():
        home = pts[f.origin]
        anchor = (home.x, home.y)
        kind = school_type[f.age_band]
        if kind is not None and (schools["type"] == kind).any():
            s = schools[schools["type"] == kind]
            d = np.hypot(s.geometry.x - home.x, s.geometry.y - home.y)
            nearest = s.geometry.iloc[int(np.argmin(d.to_numpy()))]
            anchor = (nearest.x, nearest.y)
        rule = getattr(scenario.reasons, f.reason)
        school_km = km(*anchor, f.site)
        assert f.km == pytest.approx(school_km, rel=1e-9)
        assert school_km <= rule.max_km + TOL, f
        assert km(home.x, home.y, f.site) >= rule.min_km - TOL, f
        cfg = getattr(scenario.facility_types, f.type)
        assert f.type in rule.types, f
        assert f.support_need in cfg.support_needs, f
        assert f.age_band in cfg.age_bands, f


def test_norm_recomputed_from_inhabitants(plan, region, scenario):
    inhabitants = region.neighbourhoods.groupby("gemeente")["inhabitants"].sum()
    small = plan.facilities[plan.facilities["type"].isin(scenario.norm.types)]
    units = small.groupby("gemeente")["units"].sum()
    for code, people in inhabitants.items():
        required = math.ceil(people / scenario.norm.inhabitants_per_unit)
        assert units.get(code, 0) >= required, code
    kpi = {g["code"]: g for g in plan.kpis["gemeenten"]}
    assert set(kpi) == set(inhabitants.index)
    for code, people in inhabitants.items():
        assert kpi[code]["required_small_scale_units"] == math.ceil(people / 40_000)
        assert kpi[code]["small_scale_units"] == units.get(code, 0)


def test_kpis_agree_with_tables(plan):
    region = plan.kpis["region"]
    flows = plan.flows
    assert region["children_placed"] == pytest.approx(flows["children"].sum())
    assert region["child_km"] == pytest.approx((flows["children"] * flows["km"]).sum())
    assert region["mean_km"] == pytest.approx(region["child_km"] / region["children_placed"])
    assert 0 < region["mean_km"] <= region["p90_km"] <= flows["km"].max()
    for t, units in region["units_by_type"].items():
        assert units == plan.facilities.loc[plan.facilities["type"] == t, "units"].sum()


def test_schools_far_from_home_do_not_anchor_children():
    """A schools file of one gemeente leaves children elsewhere anchored at home."""
    import geopandas as gpd
    from shapely import Point

    from woonplanner.travel import MAX_SCHOOL_KM, school_anchors

    points = pd.DataFrame({"code": ["A", "B"], "x": [0.0, 100_000.0], "y": [0.0, 0.0]})
    schools = gpd.GeoDataFrame(
        {"name": ["near A"], "type": ["primary"]}, geometry=[Point(1_000, 0)], crs="EPSG:28992"
    )
    anchors = school_anchors(points, schools).set_index(["code", "age_band"])
    assert anchors.loc[("A", "4_11"), "x"] == 1_000
    assert not anchors.loc[("A", "4_11"), "at_home"]
    assert anchors.loc[("B", "4_11"), "x"] == 100_000  # 99 km > MAX_SCHOOL_KM: home
    assert anchors.loc[("B", "4_11"), "at_home"]
    assert anchors.loc[("A", "12_17"), "at_home"]  # no secondary school in the file
    assert MAX_SCHOOL_KM < 99
