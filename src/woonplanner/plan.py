"""The solved plan as tidy tables: what maps, reports and output files are made from.

A :class:`Plan` holds no Pyomo object. Its tables (all geometry in EPSG:28992):

``neighbourhoods`` (GeoDataFrame, polygons)
    ``code, name, gemeente, gemeente_name, inhabitants, rep_x, rep_y, children_demand,
    children_placed, children_unplaced, child_km, mean_km``.
    ``rep_x, rep_y`` is the representative point (inside the polygon) where the
    neighbourhood's facilities are drawn; no facility is ever placed at an address.
``facilities`` (DataFrame)
    one row per site and type that has or had units: ``neighbourhood, gemeente, type,
    existing_units, opened_units, closed_units, units, places, occupied, change_reason, x, y``
    (``change_reason``: see :data:`CHANGE_REASONS`).
``flows`` (DataFrame)
    ``origin, reason, support_need, age_band, site, type, children, km`` with ``km`` the
    distance from the child's school (its home when it has no school) to the site.
``gemeenten`` (GeoDataFrame, polygons)
    ``code, name, inhabitants, small_scale_units, required_small_scale_units, norm_met``.
``kpis`` (dict)
    see :func:`woonplanner.plan.kpis`; ``status`` and ``mip_gap`` at the top level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Plan:
    """A solved plan: tables for files, maps and reports."""

    neighbourhoods: gpd.GeoDataFrame
    facilities: pd.DataFrame
    flows: pd.DataFrame
    gemeenten: gpd.GeoDataFrame
    kpis: dict[str, Any]
    scenario: Any = None
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        """Solver status: ``optimal``, ``time_limit``, ``infeasible``, ..."""
        return str(self.kpis.get("status", "unknown"))

    def map(self, *, lang: str = "nl", privacy_threshold: int = 5) -> Any:
        """The plan on a Folium map (see :func:`woonplanner.outputs.maps.plan_map`)."""
        from woonplanner.outputs.maps import plan_map

        return plan_map(self, lang=lang, privacy_threshold=privacy_threshold)


#: Flows below this many children are solver noise, not placements.
_FLOW_EPS = 1e-7


def make_plan(
    problem: Any,
    result: Any,
    *,
    neighbourhoods: gpd.GeoDataFrame,
    points: pd.DataFrame,
    norm_types: Sequence[str],
) -> Plan:
    """Read a solved youth-care problem back into tables (see the module docstring).

    Parameters
    ----------
    problem
        The :class:`~woonplanner.problem.Problem` from :func:`woonplanner.youthcare.build_problem`.
    result
        Its :class:`~woonplanner.model.SolveResult`, which must have a solution.
    neighbourhoods
        The planned neighbourhoods with polygons.
    points
        Representative points ``code, x, y`` in the same order.
    norm_types
        Types that count for the 1-per-40,000 norm.
    """
    options, groups, arcs = problem.options, problem.groups, problem.arcs
    xy = points.set_index("code")[["x", "y"]]

    # flows
    children = groups["demand"].to_numpy()[arcs["group"].to_numpy()] * result.assign
    used = children > _FLOW_EPS
    a = arcs[used]
    g = groups.loc[a["group"].to_numpy()]
    o = options.loc[a["option"].to_numpy()]
    flows = pd.DataFrame(
        {
            "origin": g["origin"].to_numpy(),
            "reason": g["reason"].to_numpy(),
            "support_need": g["support_need"].to_numpy(),
            "age_band": g["age_band"].to_numpy(),
            "site": o["site"].to_numpy(),
            "type": o["type"].to_numpy(),
            "children": children[used],
            "km": a["km"].to_numpy(),
        }
    ).sort_values(["origin", "reason", "support_need", "age_band", "site", "type"])
    flows = flows.reset_index(drop=True)

    # facilities
    occupied = np.bincount(
        arcs["option"].to_numpy()[used], weights=children[used], minlength=len(options)
    )
    fac = pd.DataFrame(
        {
            "neighbourhood": options["site"].to_numpy(),
            "gemeente": options["gemeente"].to_numpy(),
            "type": options["type"].to_numpy(),
            "existing_units": options["existing"].to_numpy().round().astype(int),
            "opened_units": np.round(result.opened).astype(int),
            "closed_units": np.round(result.closed).astype(int),
            "units": np.round(result.units).astype(int),
            "places": result.units * options["capacity"].to_numpy(),
            "occupied": occupied,
        }
    )
    fac = fac[(fac["units"] > 0) | (fac["existing_units"] > 0)].reset_index(drop=True)
    fac["x"] = xy["x"].reindex(fac["neighbourhood"]).to_numpy()
    fac["y"] = xy["y"].reindex(fac["neighbourhood"]).to_numpy()

    # neighbourhoods
    codes = neighbourhoods["code"]
    demand_by = groups.groupby("origin")["demand"].sum()
    # Shares below the flow threshold are solver round-off (2.7e-16 children), not children.
    unplaced = groups["demand"] * result.unplaced
    unplaced_by = unplaced.where(unplaced > _FLOW_EPS, 0.0).groupby(groups["origin"]).sum()
    placed_by = flows.groupby("origin")["children"].sum()
    km_by = (flows["children"] * flows["km"]).groupby(flows["origin"]).sum()
    nb = neighbourhoods[["code", "name", "gemeente", "gemeente_name", "inhabitants"]].copy()
    nb["rep_x"] = xy["x"].reindex(codes).to_numpy()
    nb["rep_y"] = xy["y"].reindex(codes).to_numpy()
    nb["children_demand"] = demand_by.reindex(codes).fillna(0.0).to_numpy()
    nb["children_placed"] = placed_by.reindex(codes).fillna(0.0).to_numpy()
    nb["children_unplaced"] = unplaced_by.reindex(codes).fillna(0.0).to_numpy()
    nb["child_km"] = km_by.reindex(codes).fillna(0.0).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        nb["mean_km"] = np.where(
            nb["children_placed"] > 0, nb["child_km"] / nb["children_placed"], np.nan
        )
    nb = gpd.GeoDataFrame(nb, geometry=neighbourhoods.geometry.to_numpy(), crs=neighbourhoods.crs)

    # gemeenten and the norm
    required = {
        c.name.removeprefix("norm:"): int(c.rhs)
        for c in problem.unit_constraints
        if c.name.startswith("norm:")
    }
    small = fac[fac["type"].isin(norm_types)].groupby("gemeente")["units"].sum()
    gem = neighbourhoods.dissolve(
        by="gemeente", aggfunc={"gemeente_name": "first", "inhabitants": "sum"}
    )
    gem = gem.reset_index().rename(columns={"gemeente": "code", "gemeente_name": "name"})
    gem["small_scale_units"] = small.reindex(gem["code"]).fillna(0).astype(int).to_numpy()
    gem["required_small_scale_units"] = [required.get(c, 0) for c in gem["code"]]
    gem["norm_met"] = gem["small_scale_units"] >= gem["required_small_scale_units"]
    gem = gem[
        [
            "code",
            "name",
            "inhabitants",
            "small_scale_units",
            "required_small_scale_units",
            "norm_met",
            "geometry",
        ]
    ]

    fac["change_reason"] = change_reasons(fac, required, norm_types)

    kpis = _kpis(result, flows, fac, nb, gem, options, required.get("region", 0), norm_types)
    return Plan(neighbourhoods=nb, facilities=fac, flows=flows, gemeenten=gem, kpis=kpis)


#: Why a unit is opened or closed (codes; reports translate them).
CHANGE_REASONS = {
    "norm": "opened: needed to bring the gemeente (or region) up to the 1-per-40,000 norm",
    "capacity": "opened: more children need this type than there are places in the gemeente",
    "distance": "opened: nearer the children's schools than free places elsewhere in the gemeente",
    "demand": "closed: fewer children need these places than there are",
}


def change_reasons(
    fac: pd.DataFrame, required: dict[str, int], norm_types: Sequence[str]
) -> pd.Series:
    """The reason code of each opened or closed row (empty where nothing changes).

    ``norm``: each gemeente's shortfall (required minus existing small-scale units), then what
    the region as a whole still lacks, is filled with whole opened small-scale rows, least
    occupied first, skipping a row with more new units than the shortfall has room left for.
    So no more units read ``norm`` than the stock lacked; other openings get one of:
    ``distance`` where a unit opens while kept units of the same type in the same gemeente
    still have a whole free place; ``capacity`` for other openings; ``demand`` for closings.

    Parameters
    ----------
    fac
        Facility rows as in :attr:`Plan.facilities` (``change_reason`` not needed).
    required
        Small-scale units the norm asks for, per gemeente code and for ``"region"``.
    norm_types
        Types that count for the norm.
    """
    norm = _norm_openings(fac, required, norm_types)
    # Whole free places in kept units of the same type and gemeente: fractional left-overs of
    # rounding (a foster family of 1.3 places holding 1 child) are not a free place.
    free = (
        fac.assign(free=np.floor(fac["places"] - fac["occupied"] + 1e-9))
        .loc[lambda f: f["units"] - f["opened_units"] > 0]
        .groupby(["gemeente", "type"])["free"]
        .sum()
    )
    reasons = []
    for row in fac.itertuples():
        if row.opened_units > 0:
            if norm.at[row.Index]:
                reasons.append("norm")
            elif free.get((row.gemeente, row.type), 0.0) >= 1.0:
                reasons.append("distance")
            else:
                reasons.append("capacity")
        elif row.closed_units > 0:
            reasons.append("demand")
        else:
            reasons.append("")
    return pd.Series(reasons, index=fac.index, dtype=object)


def _norm_openings(
    fac: pd.DataFrame, required: dict[str, int], norm_types: Sequence[str]
) -> pd.Series:
    """Whether each row of ``fac`` opens for the norm (the rule: :func:`change_reasons`)."""
    small = fac[fac["type"].isin(norm_types)]
    opened = small[small["opened_units"] > 0]
    places = opened["places"].where(opened["places"] > 0)
    # Solver round-off (an occupancy of 0.9999999) must not beat the tie-break, which keeps
    # the labels the same from run to run.
    share = (opened["occupied"] / places).fillna(0.0).round(6)
    ordered = opened.assign(share=share).sort_values(["share", "neighbourhood", "type"])
    norm = pd.Series(False, index=fac.index)

    def charge(rows: pd.Series, shortfall: int) -> int:
        """Mark whole rows (opened units by row) as ``norm`` while they fit in ``shortfall``."""
        charged = 0
        for i, units in rows.items():
            if not norm.at[i] and charged + units <= shortfall:
                norm.at[i] = True
                charged += int(units)
        return charged

    existing = small.groupby("gemeente")["existing_units"].sum()
    charged = 0
    for gemeente, rows in ordered.groupby("gemeente"):
        shortfall = required.get(str(gemeente), 0) - int(existing.get(gemeente, 0))
        charged += charge(rows["opened_units"], shortfall)
    # The region's norm counts the units the gemeenten's shortfalls already took.
    region_shortfall = required.get("region", 0) - int(small["existing_units"].sum()) - charged
    charge(ordered["opened_units"], region_shortfall)
    return norm


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    if len(values) == 0 or weights.sum() <= 0:
        return 0.0
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, q * cum[-1])])


def _kpis(result, flows, fac, nb, gem, options, region_required, norm_types) -> dict[str, Any]:
    placed = float(flows["children"].sum())
    child_km = float((flows["children"] * flows["km"]).sum())
    by_type = fac.groupby("type")
    cost_of = options.drop_duplicates("type").set_index("type")
    annual = sum(
        float(rows["units"].sum()) * cost_of.at[t, "unit_cost"]
        + float(rows["occupied"].sum()) * cost_of.at[t, "cost_per_place"]
        for t, rows in by_type
    )
    one_off = sum(
        float(rows["opened_units"].sum()) * cost_of.at[t, "open_cost"]
        + float(rows["closed_units"].sum()) * cost_of.at[t, "close_cost"]
        for t, rows in by_type
    )
    types = sorted(options["type"].unique())
    region_units = int(fac[fac["type"].isin(norm_types)]["units"].sum())
    return {
        "status": result.status,
        "mip_gap": result.gap,
        "objective": result.objective,
        "bound": result.bound,
        "region": {
            "children_demand": float(nb["children_demand"].sum()),
            "children_placed": placed,
            "children_unplaced": float(nb["children_unplaced"].sum()),
            "child_km": child_km,
            "mean_km": child_km / placed if placed > 0 else None,
            "p90_km": _weighted_quantile(flows["km"].to_numpy(), flows["children"].to_numpy(), 0.9),
            "units_by_type": {t: int(fac.loc[fac["type"] == t, "units"].sum()) for t in types},
            "places_by_type": {t: float(fac.loc[fac["type"] == t, "places"].sum()) for t in types},
            "occupied_by_type": {
                t: float(fac.loc[fac["type"] == t, "occupied"].sum()) for t in types
            },
            "opened_by_type": {
                t: int(fac.loc[fac["type"] == t, "opened_units"].sum()) for t in types
            },
            "closed_by_type": {
                t: int(fac.loc[fac["type"] == t, "closed_units"].sum()) for t in types
            },
            "annual_cost_eur": annual,
            "one_off_cost_eur": one_off,
            "small_scale_units": region_units,
            "required_small_scale_units": region_required,
            "norm_met": region_units >= region_required,
        },
        "gemeenten": [
            {
                "code": row.code,
                "name": row.name,
                "inhabitants": int(row.inhabitants),
                "small_scale_units": int(row.small_scale_units),
                "required_small_scale_units": int(row.required_small_scale_units),
                "norm_met": bool(row.norm_met),
            }
            for row in gem.itertuples()
        ],
    }
