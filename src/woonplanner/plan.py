"""The solved plan as tidy tables: what maps, reports and output files are made from.

A :class:`Plan` holds no Pyomo object. Its tables (all geometry in EPSG:28992):

``neighbourhoods`` (GeoDataFrame, polygons)
    ``code, name, gemeente, gemeente_name, inhabitants, rep_x, rep_y, children_demand,
    children_placed, children_unplaced, child_km, children_replaced, mean_km``
    (``children_replaced``: children from here placed now who must move).
    ``rep_x, rep_y`` is the representative point (inside the polygon) where the
    neighbourhood's facilities are drawn; no facility is ever placed at an address.
``facilities`` (DataFrame)
    one row per site and type that has or had units: ``neighbourhood, gemeente, type,
    existing_units, opened_units, closed_units, units, places, occupied, annual_cost_eur,
    one_off_cost_eur, x, y, children_replaced, change_reason`` (``change_reason``: see
    :data:`CHANGE_REASONS`; ``children_replaced``: children living there now who must move,
    see :func:`replaced_children`).
    The costs of the row's decision: ``annual_cost_eur`` = units × annual cost per unit +
    occupied × annual cost per place, ``one_off_cost_eur`` = opened × opening cost + closed ×
    closing cost; the region's costs in ``kpis`` are their sums.
``flows`` (DataFrame)
    ``origin, reason, support_need, age_band, site, type, children, km`` with ``km`` the
    distance from the child's school (its home when it has no school) to the site.
``gemeenten`` (GeoDataFrame, polygons)
    ``code, name, inhabitants, small_scale_units, required_small_scale_units, norm_met``.
``kpis`` (dict, written as ``kpis.json``)
    ``status``, ``mip_gap``, ``objective``, ``bound``; ``region``: the region's figures
    (children, km, units / places / occupied / opened / closed per type, costs, the norm and
    ``unplaced_by_reason``, see :func:`unplaced_by_reason`; ``children_replaced``, see
    :func:`replaced_children`; ``sibling_groups``, see :func:`sibling_group_kpis`);
    ``gemeenten``: one entry per gemeente (see :func:`gemeente_kpis`). Where a region figure is
    a sum, it is the sum of the gemeenten's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from woonplanner.outcome import Outcome


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
        """The run's outcome: ``optimal`` or ``time_limit`` (a plan not proven optimal; see
        :class:`woonplanner.outcome.Outcome`)."""
        return str(self.kpis.get("status", "unknown"))


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
    fac["annual_cost_eur"] = (
        fac["units"] * options["unit_cost"].to_numpy()
        + fac["occupied"] * options["cost_per_place"].to_numpy()
    )
    fac["one_off_cost_eur"] = (
        fac["opened_units"] * options["open_cost"].to_numpy()
        + fac["closed_units"] * options["close_cost"].to_numpy()
    )
    replaced_by_group = replaced_children(groups, arcs, result.assign)
    placed_option = (
        groups["placed_option"].to_numpy() if "placed_option" in groups.columns else None
    )
    fac["children_replaced"] = (
        np.bincount(
            placed_option[placed_option >= 0],
            weights=replaced_by_group[placed_option >= 0],
            minlength=len(options),
        )
        if placed_option is not None
        else 0.0
    )
    fac = fac[
        (fac["units"] > 0) | (fac["existing_units"] > 0) | (fac["children_replaced"] > 0)
    ].reset_index(drop=True)
    fac["x"] = xy["x"].reindex(fac["neighbourhood"]).to_numpy()
    fac["y"] = xy["y"].reindex(fac["neighbourhood"]).to_numpy()

    # neighbourhoods
    codes = neighbourhoods["code"]
    demand_by = groups.groupby("origin")["demand"].sum()
    # Shares below the flow threshold are solver round-off (2.7e-16 children), not children.
    unplaced = groups["demand"] * result.unplaced
    unplaced = unplaced.where(unplaced > _FLOW_EPS, 0.0)
    unplaced_by = unplaced.groupby(groups["origin"]).sum()
    placed_by = flows.groupby("origin")["children"].sum()
    km_by = (flows["children"] * flows["km"]).groupby(flows["origin"]).sum()
    nb = neighbourhoods[["code", "name", "gemeente", "gemeente_name", "inhabitants"]].copy()
    nb["rep_x"] = xy["x"].reindex(codes).to_numpy()
    nb["rep_y"] = xy["y"].reindex(codes).to_numpy()
    nb["children_demand"] = demand_by.reindex(codes).fillna(0.0).to_numpy()
    nb["children_placed"] = placed_by.reindex(codes).fillna(0.0).to_numpy()
    nb["children_unplaced"] = unplaced_by.reindex(codes).fillna(0.0).to_numpy()
    nb["child_km"] = km_by.reindex(codes).fillna(0.0).to_numpy()
    replaced_by = pd.Series(replaced_by_group).groupby(groups["origin"].to_numpy()).sum()
    nb["children_replaced"] = replaced_by.reindex(codes).fillna(0.0).to_numpy()
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

    siblings = sibling_group_kpis(groups, arcs, result.assign)
    kpis = _kpis(
        result,
        flows=flows,
        fac=fac,
        nb=nb,
        gem=gem,
        types=sorted(options["type"].unique()),
        unplaced_groups=groups.assign(children=unplaced.to_numpy()),
        region_required=required.get("region", 0),
        norm_types=norm_types,
    )
    kpis["region"]["sibling_groups"] = siblings
    return Plan(neighbourhoods=nb, facilities=fac, flows=flows, gemeenten=gem, kpis=kpis)


def sibling_group_kpis(groups: pd.DataFrame, arcs: pd.DataFrame, assign: np.ndarray) -> dict:
    """Sibling groups kept together, and those split with the reason (``region.sibling_groups``).

    A sibling group is a single-source group (``single_source``): served on one arc it is kept
    together at one site in one type; otherwise it is split, either because no unit within its
    band and of a type that suits every member has places for all of them
    (``no_unit_large_enough``: read from ``groups.attrs``, its members are placed like any
    child), or because the units that could hold it have no room (``no_place``: the group is
    left without a place and counts as unplaced).

    Returns
    -------
    dict
        ``total, kept_together, split`` (counts of groups) and ``split_by_reason``:
        ``no_unit_large_enough, no_place``.
    """
    without_unit = int(groups.attrs.get("sibling_groups_without_unit", 0))
    if "single_source" in groups.columns:
        single = groups["single_source"].fillna(False).to_numpy(dtype=bool)
        served = np.bincount(arcs["group"].to_numpy(), weights=assign, minlength=len(groups))
        kept = int((single & (served > 0.5)).sum())
        no_place = int((single & (served <= 0.5)).sum())
    else:
        kept = no_place = 0
    return {
        "total": kept + no_place + without_unit,
        "kept_together": kept,
        "split": no_place + without_unit,
        "split_by_reason": {"no_unit_large_enough": without_unit, "no_place": no_place},
    }


def replaced_children(groups: pd.DataFrame, arcs: pd.DataFrame, assign: np.ndarray) -> np.ndarray:
    """Children per group who are placed now and do not stay where they are (re-placements).

    A placed group (``placed_option`` ≥ 0) keeps the share it is served on its ``current`` arc;
    the rest of it is moved elsewhere or left without a place: both lose their home. Groups not
    placed now count 0.
    """
    out = np.zeros(len(groups))
    if "placed_option" not in groups.columns or "current" not in arcs.columns:
        return out
    demand = groups["demand"].to_numpy(dtype=float)
    placed = groups["placed_option"].to_numpy() >= 0
    current = arcs["current"].to_numpy(dtype=bool)
    staying = np.bincount(
        arcs["group"].to_numpy()[current], weights=assign[current], minlength=len(groups)
    )
    out[placed] = demand[placed] * (1.0 - np.clip(staying[placed], 0.0, 1.0))
    return np.where(out > _REPLACED_EPS, out, 0.0)


#: Below this many children a group's re-placement is HiGHS' feasibility tolerance (a full
#: unit's capacity row may be over by 1e-6 of its places), not a child who moves.
_REPLACED_EPS = 1e-4


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

    ``norm``: each gemeente's shortfall, then what the region as a whole still lacks, is filled
    with whole opened small-scale rows, least occupied first, skipping a row with more new units
    than the shortfall has room left for. The shortfall is what the norm asks beyond both the
    existing small-scale units and the units the children placed there fill (per type, their
    occupancy in whole units): a gemeente whose children fill more units than the norm asks
    opens none *for the norm* (Amsterdam, from an empty stock, opens 225 small-scale units for
    its children; the norm asks 24). So no more units read ``norm`` than the stock lacked, nor
    more than the plan has beyond what its children need; other openings get one of:
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
    filled = _units_filled(small)
    charged = 0
    for gemeente, rows in ordered.groupby("gemeente"):
        have = max(int(existing.get(gemeente, 0)), int(filled.get(gemeente, 0)))
        charged += charge(rows["opened_units"], required.get(str(gemeente), 0) - have)
    # The region's norm counts the units the gemeenten's shortfalls already took.
    have = max(int(small["existing_units"].sum()), int(filled.sum()))
    charge(ordered["opened_units"], required.get("region", 0) - have - charged)
    return norm


def _units_filled(small: pd.DataFrame) -> pd.Series:
    """Per gemeente, the fewest small-scale units that hold the children placed there: per
    type, its occupancy over the places of one unit, rounded up."""
    with_units = small[small["units"] > 0]
    per_unit = (
        (with_units["places"] / with_units["units"])
        .groupby([with_units["gemeente"], with_units["type"]])
        .max()
    )
    occupied = with_units.groupby(["gemeente", "type"])["occupied"].sum()
    units = np.ceil(occupied / per_unit.where(per_unit > 0) - 1e-6).fillna(0.0).clip(lower=0)
    return units.groupby(level="gemeente").sum().astype(int)


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    if len(values) == 0 or weights.sum() <= 0:
        return 0.0
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cum, q * cum[-1])])


#: Per-type sums of :attr:`Plan.facilities`: KPI name → (column, whole units or not).
_BY_TYPE = {
    "units_by_type": ("units", True),
    "places_by_type": ("places", False),
    "occupied_by_type": ("occupied", False),
    "opened_by_type": ("opened_units", True),
    "closed_by_type": ("closed_units", True),
}


def _by_type(fac: pd.DataFrame, types: Sequence[str]) -> dict[str, dict[str, float | int]]:
    """``units_by_type``, ``places_by_type``, … of the facility rows ``fac``."""
    sums = fac.groupby("type")[[column for column, _ in _BY_TYPE.values()]].sum()
    sums = sums.reindex(list(types)).fillna(0)
    return {
        key: {t: int(sums.at[t, column]) if whole else float(sums.at[t, column]) for t in types}
        for key, (column, whole) in _BY_TYPE.items()
    }


def _cost(fac: pd.DataFrame, column: str) -> float | None:
    """A cost column's sum; None for a hand-built table without costs."""
    return float(fac[column].sum()) if column in fac.columns else None


def gemeente_kpis(
    neighbourhoods: pd.DataFrame,
    facilities: pd.DataFrame,
    gemeenten: pd.DataFrame,
    *,
    types: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """The figures of every gemeente, as in ``kpis.json`` (``gemeenten``).

    Children count in the gemeente of their home neighbourhood; facilities, places and costs
    in the gemeente where the facility is sited. Children's numbers are expected numbers from
    rates (fractional), like the region's.

    Parameters
    ----------
    neighbourhoods, facilities, gemeenten
        The tables of a :class:`Plan`.
    types
        The types to list in the ``*_by_type`` figures (default: those in ``facilities``).

    Returns
    -------
    list of dict
        One per row of ``gemeenten``: ``code, name, inhabitants, small_scale_units,
        required_small_scale_units, norm_met`` (the 1-per-40,000 check); ``children_demand,
        children_placed, children_unplaced, children_replaced`` (children living in the
        gemeente; ``children_replaced``: placed now and moved or left without a place), ``child_km``
        and ``mean_km`` (their km to the site, ``mean_km`` None when none is placed);
        ``children_placed_here`` (children, from anywhere, placed in the gemeente's
        facilities); ``units_by_type, places_by_type, occupied_by_type, opened_by_type,
        closed_by_type``; ``annual_cost_eur`` and ``one_off_cost_eur`` of the facilities sited
        in the gemeente (None when ``facilities`` has no cost columns).
    """
    if types is None:
        types = sorted(facilities["type"].unique())
    children = ["children_demand", "children_placed", "children_unplaced", "child_km"]
    if "children_replaced" in neighbourhoods.columns:
        children.append("children_replaced")
    home = neighbourhoods.groupby("gemeente")[children].sum()
    rows = []
    for g in gemeenten.itertuples():
        mine = home.loc[g.code] if g.code in home.index else pd.Series(0.0, index=children)
        fac = facilities[facilities["gemeente"] == g.code]
        placed = float(mine["children_placed"])
        child_km = float(mine["child_km"])
        rows.append(
            {
                "code": g.code,
                "name": g.name,
                "inhabitants": int(g.inhabitants),
                "small_scale_units": int(g.small_scale_units),
                "required_small_scale_units": int(g.required_small_scale_units),
                "norm_met": bool(g.norm_met),
                "children_demand": float(mine["children_demand"]),
                "children_placed": placed,
                "children_unplaced": float(mine["children_unplaced"]),
                "children_replaced": float(mine.get("children_replaced", 0.0)),
                "child_km": child_km,
                "mean_km": child_km / placed if placed > 0 else None,
                "children_placed_here": float(fac["occupied"].sum()),
                **_by_type(fac, types),
                "annual_cost_eur": _cost(fac, "annual_cost_eur"),
                "one_off_cost_eur": _cost(fac, "one_off_cost_eur"),
            }
        )
    return rows


def unplaced_by_reason(groups: pd.DataFrame) -> list[dict[str, Any]]:
    """Unplaced children per reason and support need (``region.unplaced_by_reason``).

    Parameters
    ----------
    groups
        Demand groups ``reason, support_need, children`` with ``children`` the unplaced
        children of the group.

    Returns
    -------
    list of dict
        ``reason, support_need, children``, one per pair with demand (0 where all are placed),
        sorted by reason and support need; ``children`` adds up to the region's
        ``children_unplaced``.
    """
    sums = groups.groupby(["reason", "support_need"])["children"].sum()
    return [
        {"reason": str(reason), "support_need": str(need), "children": float(children)}
        for (reason, need), children in sums.items()
    ]


def _kpis(
    result: Any,
    *,
    flows: pd.DataFrame,
    fac: pd.DataFrame,
    nb: pd.DataFrame,
    gem: pd.DataFrame,
    types: Sequence[str],
    unplaced_groups: pd.DataFrame,
    region_required: int,
    norm_types: Sequence[str],
) -> dict[str, Any]:
    placed = float(flows["children"].sum())
    child_km = float((flows["children"] * flows["km"]).sum())
    region_units = int(fac[fac["type"].isin(norm_types)]["units"].sum())
    return {
        "status": Outcome.of_solve(result.status, has_solution=True).value,
        "mip_gap": result.gap,
        "objective": result.objective,
        "bound": result.bound,
        **({"bound_from": "coarse"} if result.bound_from == "coarse" else {}),
        "region": {
            "children_demand": float(nb["children_demand"].sum()),
            "children_placed": placed,
            "children_unplaced": float(nb["children_unplaced"].sum()),
            "children_replaced": float(nb["children_replaced"].sum())
            if "children_replaced" in nb.columns
            else 0.0,
            "child_km": child_km,
            "mean_km": child_km / placed if placed > 0 else None,
            "p90_km": _weighted_quantile(flows["km"].to_numpy(), flows["children"].to_numpy(), 0.9),
            **_by_type(fac, types),
            "annual_cost_eur": float(fac["annual_cost_eur"].sum()),
            "one_off_cost_eur": float(fac["one_off_cost_eur"].sum()),
            "small_scale_units": region_units,
            "required_small_scale_units": region_required,
            "norm_met": region_units >= region_required,
            "unplaced_by_reason": unplaced_by_reason(unplaced_groups),
        },
        "gemeenten": gemeente_kpis(nb, fac, gem, types=types),
    }
