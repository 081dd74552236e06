"""The youth-care rules as a layer on the general facility-location :class:`Problem`.

Turns tidy tables (neighbourhoods, representative points, school anchors, stock, demand) and a
scenario into a :class:`~woonplanner.problem.Problem`:

* every neighbourhood is a candidate site for every type, limited per type (foster families:
  households × recruitment rate; gezinshuizen and woongroepen: at most N per neighbourhood),
  never below the existing stock; a candidate-site list (``sites.file``) replaces these limits
  for the types it names: only its rows are candidates, and existing stock elsewhere can only be
  kept or closed;
* a demand group is an origin neighbourhood × segment (reason, support need, age band);
* an arc (group, site, type) exists only where the type suits the reason, support need and age
  band, the site is at least ``min_km`` from home and at most ``max_km`` from the school;
* the 1-per-40,000 norm is a unit constraint per gemeente and for the region;
* children placed now (``placements``) are demand groups of their own, one per origin ×
  segment × current option (``placed_option``): their arc to the current option is the
  ``current`` arc (it exists even outside the band: they live there). With
  ``continuity.mode = "soft"`` they also have the usual arcs to the other suitable options,
  each costing ``continuity.replacement_penalty_eur`` per child more (a re-placement); with
  ``"hard"`` only the current arc, and they must be served, so their facility keeps the units
  their places need;
* a caseload's sibling group of n ≥ 2 is one single-source group (``single_source``) of demand
  n whose arcs go only to types that suit every member and to units of at least n places; a
  group without such an arc is split (its members are ordinary demand) and counted in
  ``groups.attrs["sibling_groups_without_unit"]``;
* suitability (docs/model.md): a type suits a segment when the reason allows it and the type's
  ``support_needs`` and ``age_bands`` hold the segment's; by default ``intensive`` children
  (extra support a family setting cannot give) are suited by the woongroep only.

The problem's tables carry the youth-care labels in extra columns (``origin``, ``reason``, … on
groups; ``gemeente`` on options; ``home_km`` on arcs) so the plan can be read back without
recomputing anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from woonplanner.errors import InputDataError
from woonplanner.problem import AREA, Objective, Problem, UnitConstraint
from woonplanner.scenario import FacilityTypeConfig, Scenario
from woonplanner.schema import FACILITY_TYPES
from woonplanner.service import with_service_level
from woonplanner.travel import TravelMatrices, travel_matrices

_ROUNDING: dict[str, Callable[[float], float]] = {
    "ceil": math.ceil,
    "floor": math.floor,
    "round": round,
}


def build_problem(
    scenario: Scenario,
    *,
    neighbourhoods: pd.DataFrame,
    points: pd.DataFrame,
    anchors: pd.DataFrame,
    stock: pd.DataFrame,
    demand: pd.DataFrame,
    distances: TravelMatrices | None = None,
    candidates: pd.DataFrame | None = None,
    placements: pd.DataFrame | None = None,
    siblings: pd.DataFrame | None = None,
) -> Problem:
    """The youth-care instance of ``scenario`` (see the module docstring).

    Parameters
    ----------
    neighbourhoods
        ``code, gemeente, inhabitants, households`` (no geometry needed).
    points
        ``code, x, y, local_km`` in the same order as ``neighbourhoods``.
    anchors
        ``code, age_band, x, y`` from :func:`woonplanner.travel.school_anchors`.
    stock
        ``neighbourhood, type, units``.
    demand
        ``origin, reason, support_need, age_band, children``.
    distances
        From :func:`travel_tables` (computed here when not given).
    candidates
        ``neighbourhood, type, max_units`` (:attr:`Region.candidates
        <woonplanner.region.Region.candidates>`, read from ``sites.file``); ``None``: every
        site may host every type, within the scenario's limits.
    placements
        ``site, type, origin, reason, support_need, age_band, children``: the children living
        in each facility now, *not* included in ``demand`` (see :func:`subtract_placements`).
    siblings
        ``origin, members, size, groups``
        (:func:`~woonplanner.data.caseload.read_caseload_with_siblings`): sibling groups to
        keep together, their children included in ``demand``.
    """
    options = build_options(scenario, neighbourhoods, stock, candidates=candidates)
    sibling_rows = pd.DataFrame()
    if siblings is not None and len(siblings):
        sibling_rows = sibling_groups(siblings, neighbourhoods)
        reach = build_arcs(scenario, sibling_rows, options, points, anchors, distances=distances)
        reach = fits_sibling_groups(sibling_rows, options, reach)
        suited = np.zeros(len(sibling_rows), dtype=bool)
        suited[reach["group"].to_numpy()] = True
        sibling_rows["suited"] = suited
        # Members of a group no unit can hold together are placed like any child.
        demand = subtract_members(demand, sibling_rows[suited])
    groups = build_groups(demand, neighbourhoods)
    if len(sibling_rows):
        kept = sibling_rows[sibling_rows["suited"]].drop(columns=["suited"])
        groups = pd.concat([groups.assign(single_source=False), kept], ignore_index=True)
    if placements is not None and len(placements):
        groups = pd.concat(
            [groups, placed_groups(scenario, placements, options, neighbourhoods)],
            ignore_index=True,
        )
    arcs = build_arcs(scenario, groups, options, points, anchors, distances=distances)
    arcs = fits_sibling_groups(groups, options, arcs)
    arcs = continuity_arcs(scenario, groups, arcs)
    if len(sibling_rows):
        # Read back by the plan: the groups split because no unit within reach holds them.
        groups.attrs["sibling_groups_without_unit"] = int((~sibling_rows["suited"]).sum())
    area = wijk_of(neighbourhoods)
    options = options.assign(**{AREA: options["site"].map(area).to_numpy()})
    groups = groups.assign(**{AREA: groups["origin"].map(area).to_numpy()})
    problem = Problem(
        options=options,
        groups=groups,
        arcs=arcs,
        unit_constraints=norm_constraints(scenario, neighbourhoods, options),
        objective=Objective(
            mode=scenario.objective.mode,
            unplaced_penalty=scenario.objective.unplaced_penalty_eur,
            km_weight=scenario.objective.km_weight_eur,
            lexicographic_tolerance=scenario.objective.lexicographic_tolerance,
        ),
        budget=scenario.budget.annual_eur,
        # x <= u on every arc: halves the solve time of real regions (benchmarks/RESULTS.md).
        strong_linking=True,
        name=scenario.name,
    )
    if scenario.service.level is None:
        return problem
    # Spare places for fluctuating demand: a utilisation cap per option (woonplanner.service).
    return with_service_level(
        problem, scenario.service.level, overdispersion=scenario.simulate.overdispersion
    )


def wijk_of(neighbourhoods: pd.DataFrame) -> pd.Series:
    """The wijk of each neighbourhood, by code: a ``wijk`` column where the table has one,
    else a CBS buurt code's wijk (``BU03630105`` and the synthetic ``BU036301S05`` lie in
    ``WK036301``); any other code (a wijk, the demo's) is its own area. The solve makes a
    coarse instance of the areas when they are fewer than the sites
    (:mod:`woonplanner.model.coarse`)."""
    codes = neighbourhoods["code"].astype(str)
    buurt = codes.str.match(r"^BU\d{6}")
    area = codes.where(~buurt, "WK" + codes.str.slice(2, 8))
    if "wijk" in neighbourhoods.columns:
        given = neighbourhoods["wijk"].astype("string")
        area = given.where(given.notna(), area).astype(str)
    return pd.Series(area.to_numpy(), index=codes.to_numpy())


def largest_band_km(scenario: Scenario) -> float:
    """The largest ``max_km`` of any reason: no arc is longer, so no distance beyond it counts."""
    return max(getattr(scenario.reasons, r).max_km for r in type(scenario.reasons).model_fields)


def travel_tables(
    scenario: Scenario, points: pd.DataFrame, anchors: pd.DataFrame
) -> TravelMatrices:
    """Distances from anchors and homes to every site, as ``scenario.travel`` measures them."""
    return travel_matrices(
        points, anchors, travel=scenario.travel, max_km=largest_band_km(scenario)
    )


def unit_limit(config: FacilityTypeConfig, households: np.ndarray, fallback: int) -> np.ndarray:
    """Units a neighbourhood can host of one type (before the existing stock is added)."""
    limit = np.full(len(households), float(fallback))
    if config.max_units_per_1000_households is not None:
        # Rounded up: a small village can still recruit one family or host one home.
        limit = np.ceil(households * config.max_units_per_1000_households / 1000.0)
    if config.max_units_per_site is not None:
        limit = np.minimum(limit, config.max_units_per_site)
    return limit


def build_options(
    scenario: Scenario,
    neighbourhoods: pd.DataFrame,
    stock: pd.DataFrame,
    *,
    candidates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One option per neighbourhood × type that exists or may exist, and one per neighbourhood,
    type and number of places for existing units whose ``places`` (stock column, per unit)
    differ from the type's: those can be kept or closed, and new units get the type's places.

    ``candidates`` (``neighbourhood, type, max_units``) gives the limit of every type it names
    (0 where it has no row); the other types keep the limits of ``scenario.facility_types``.
    """
    codes = neighbourhoods["code"].to_numpy()
    households = neighbourhoods["households"].to_numpy(dtype=float)
    own_places = (
        pd.to_numeric(stock["places"], errors="coerce")
        if "places" in stock.columns
        else pd.Series(np.nan, index=stock.index)
    )
    default_places = stock["type"].map(
        {t: getattr(scenario.facility_types, t).places for t in FACILITY_TYPES}
    )
    # A unit with its own number of places is an option of its own; the rest use the type's.
    own = own_places.notna() & ~np.isclose(own_places.fillna(0), default_places.fillna(0))
    existing_by = stock[~own].groupby(["neighbourhood", "type"])["units"].sum()
    special = (
        stock[own]
        .assign(places=own_places[own])
        .groupby(["neighbourhood", "type", "places"], as_index=False)["units"]
        .sum()
    )
    gemeente_of = dict(zip(codes, neighbourhoods["gemeente"], strict=True))
    if candidates is None:
        candidates = pd.DataFrame({"neighbourhood": [], "type": [], "max_units": []})
    listed = candidates.set_index(["neighbourhood", "type"])["max_units"].astype(float)
    listed_types = set(candidates["type"])
    frames = []
    for t in FACILITY_TYPES:
        cfg: FacilityTypeConfig = getattr(scenario.facility_types, t)
        existing = (
            pd.Series(existing_by.xs(t, level="type"), dtype=float).reindex(codes).fillna(0.0)
            if t in existing_by.index.get_level_values("type")
            else pd.Series(0.0, index=codes)
        ).to_numpy()
        # Without any limit a site could host every child of the region; that bounds it.
        fallback = max(1, int(np.ceil(len(codes) * 10 / cfg.places)))
        limit = (
            listed.xs(t, level="type").reindex(codes).fillna(0.0).to_numpy()
            if t in listed_types
            else unit_limit(cfg, households, fallback)
        )
        # Never below the stock: units outside the list can be kept or closed, not grown.
        max_units = np.maximum(limit, existing)
        frames.append(
            pd.DataFrame(
                {
                    "site": codes,
                    "gemeente": neighbourhoods["gemeente"].to_numpy(),
                    "type": t,
                    "capacity": cfg.places,
                    "existing": existing,
                    "max_units": max_units,
                    "unit_cost": cfg.annual_cost_per_unit,
                    "open_cost": cfg.open_cost,
                    "close_cost": cfg.close_cost,
                    "integer": True,
                    "cost_per_place": cfg.annual_cost_per_place,
                }
            )
        )
        mine = special[special["type"] == t]
        if len(mine):
            # Kept or closed, not grown: a new unit has the type's places.
            frames.append(
                pd.DataFrame(
                    {
                        "site": mine["neighbourhood"].to_numpy(),
                        "gemeente": mine["neighbourhood"].map(gemeente_of).to_numpy(),
                        "type": t,
                        "capacity": mine["places"].to_numpy(dtype=float),
                        "existing": mine["units"].to_numpy(dtype=float),
                        "max_units": mine["units"].to_numpy(dtype=float),
                        "unit_cost": cfg.annual_cost_per_unit,
                        "open_cost": cfg.open_cost,
                        "close_cost": cfg.close_cost,
                        "integer": True,
                        "cost_per_place": cfg.annual_cost_per_place,
                    }
                )
            )
    options = pd.concat(frames, ignore_index=True)
    options = options[options["max_units"] > 0]
    return options.sort_values(["site", "type", "capacity"]).reset_index(drop=True)


def build_groups(demand: pd.DataFrame, neighbourhoods: pd.DataFrame) -> pd.DataFrame:
    """One group per origin × segment with demand; every group may be reported unplaced.

    ``placed_option`` is -1: these children are not placed yet.
    """
    gemeente = dict(zip(neighbourhoods["code"], neighbourhoods["gemeente"], strict=True))
    groups = demand.rename(columns={"children": "demand"}).reset_index(drop=True)
    groups["may_be_unplaced"] = True
    groups["gemeente"] = groups["origin"].map(gemeente)
    groups["placed_option"] = -1
    return groups


#: Support needs from least to most; a sibling group needs the most any member needs.
_NEED_ORDER = {"none": 0, "extra": 1, "intensive": 2}
#: A sibling group's reason when its members' reasons differ equally often: the rule that
#: keeps them farthest from home first (their safety).
_REASON_ORDER = {"safety_risk": 0, "orphaned": 1, "parents_cannot_cope": 2}
_BAND_ORDER = {"0_3": 0, "4_11": 1, "12_17": 2}


def sibling_groups(siblings: pd.DataFrame, neighbourhoods: pd.DataFrame) -> pd.DataFrame:
    """One single-source demand group per sibling group of two or more.

    A group's segment is the most common reason of its members (ties: safety first), the
    most any member needs, and the youngest member's age band (whose school anchors the
    distance); ``age_bands`` lists every member's band, and a type must suit them all.
    """
    gemeente = dict(zip(neighbourhoods["code"], neighbourhoods["gemeente"], strict=True))
    rows = []
    for row in siblings.itertuples(index=False):
        members = [m.split("/")[1:] for m in str(row.members).split(";")]
        reasons = pd.Series([m[0] for m in members]).value_counts()
        top = reasons[reasons == reasons.max()].index
        bands = sorted({m[2] for m in members}, key=_BAND_ORDER.__getitem__)
        segment = {
            "origin": row.origin,
            "reason": min(top, key=_REASON_ORDER.__getitem__),
            "support_need": max((m[1] for m in members), key=_NEED_ORDER.__getitem__),
            "age_band": bands[0],
            "age_bands": "+".join(bands),
            "sibling_members": row.members,
            "demand": float(row.size),
        }
        rows.extend([segment] * int(row.groups))
    groups = pd.DataFrame(rows)
    groups["may_be_unplaced"] = True
    groups["gemeente"] = groups["origin"].map(gemeente)
    groups["placed_option"] = -1
    groups["single_source"] = True
    return groups


def fits_sibling_groups(
    groups: pd.DataFrame, options: pd.DataFrame, arcs: pd.DataFrame
) -> pd.DataFrame:
    """Drop a sibling group's arcs to options whose unit has fewer places than the group."""
    if "single_source" not in groups.columns or not len(arcs):
        return arcs
    g = arcs["group"].to_numpy()
    single = groups["single_source"].fillna(False).to_numpy(dtype=bool)[g]
    size = groups["demand"].to_numpy(dtype=float)[g]
    places = options["capacity"].to_numpy(dtype=float)[arcs["option"].to_numpy()]
    return arcs[~single | (places >= size)].reset_index(drop=True)


def subtract_members(demand: pd.DataFrame, groups: pd.DataFrame) -> pd.DataFrame:
    """``demand`` less the members of the sibling groups ``groups``, each where it lives."""
    keys = ["origin", "reason", "support_need", "age_band"]
    if not len(groups):
        return demand
    parts = [
        tuple(member.split("/"))
        for members in groups["sibling_members"]
        for member in str(members).split(";")
    ]
    taken = pd.DataFrame(parts, columns=keys).value_counts().rename("taken")
    table = demand.set_index(keys)
    left = table["children"] - taken.reindex(table.index).fillna(0.0)
    rest = left[left > 1e-9].rename("children").reset_index()
    return rest[[*keys, "children"]]


def placed_groups(
    scenario: Scenario,
    placements: pd.DataFrame,
    options: pd.DataFrame,
    neighbourhoods: pd.DataFrame,
) -> pd.DataFrame:
    """One group per origin × segment × current option of the children placed now.

    Raises
    ------
    InputDataError
        When a placement names a site and type where the stock has no unit: the children
        cannot live there now.
    """
    gemeente = dict(zip(neighbourhoods["code"], neighbourhoods["gemeente"], strict=True))
    keys = ["site", "type", "origin", "reason", "support_need", "age_band"]
    placed = placements.groupby(keys, as_index=False)["children"].sum()
    placed = placed[placed["children"] > 0]
    # Where a site holds units of one type with different places, the children count at the
    # option with most existing places there (the data do not say which unit is whose).
    holding = options.assign(_places=options["existing"] * options["capacity"]).sort_values(
        ["site", "type", "_places"], ascending=[True, True, False], kind="stable"
    )
    holding = holding[~holding.duplicated(["site", "type"])]
    option = pd.Series(holding.index, index=pd.MultiIndex.from_frame(holding[["site", "type"]]))
    at = option.reindex(pd.MultiIndex.from_frame(placed[["site", "type"]])).to_numpy()
    missing = np.isnan(at.astype(float))
    existing = options["existing"].to_numpy(dtype=float)
    missing[~missing] = existing[at[~missing].astype(np.int64)] <= 0
    if missing.any():
        pairs = sorted({f"{s} {t}" for s, t in placed.loc[missing, ["site", "type"]].to_numpy()})
        msg = (
            f"placements: children placed where the stock has no unit ({', '.join(pairs[:10])}); "
            "give the stock that houses them (stock.file or stock.from_run)"
        )
        raise InputDataError(msg)
    # A run folder writes its flows to 6 significant digits: a full unit can read as holding
    # a millionth of a child more than its places. That is rounding, not a child, and with
    # hard continuity it would make the plan infeasible: such children are scaled to fit.
    at = at.astype(np.int64)
    places = (options["existing"] * options["capacity"]).to_numpy(dtype=float)
    total = np.bincount(at, weights=placed["children"].to_numpy(), minlength=len(options))
    over = (total > places) & (total <= places * (1 + ROUNDING_TOLERANCE) + ROUNDING_TOLERANCE)
    scale = np.where(over, places / np.where(total > 0, total, 1.0), 1.0)
    placed = placed.assign(children=placed["children"].to_numpy() * scale[at])
    groups = placed.drop(columns=["site", "type"]).rename(columns={"children": "demand"})
    # Hard continuity: they stay, so they must be served (where they are, their only arc).
    groups["may_be_unplaced"] = scenario.continuity.mode == "soft"
    groups["gemeente"] = groups["origin"].map(gemeente)
    groups["placed_option"] = at
    return groups.reset_index(drop=True)


#: Relative (and absolute, in children) excess of a facility's placements over its places that
#: is read as rounding of a run folder's flows (:func:`placed_groups`).
ROUNDING_TOLERANCE = 1e-5


def continuity_arcs(scenario: Scenario, groups: pd.DataFrame, arcs: pd.DataFrame) -> pd.DataFrame:
    """Mark each placed group's ``current`` arc; price or drop its other arcs (re-placements).

    Soft continuity adds ``replacement_penalty_eur`` per child to every other arc of a placed
    group; hard continuity keeps only the current arc.
    """
    placed_option = groups["placed_option"].to_numpy()[arcs["group"].to_numpy()]
    current = arcs["option"].to_numpy() == placed_option
    other = (placed_option >= 0) & ~current
    arcs = arcs.assign(current=current)
    if not other.any():
        return arcs
    if scenario.continuity.mode == "hard":
        return arcs[~other].reset_index(drop=True)
    demand = groups["demand"].to_numpy(dtype=float)[arcs["group"].to_numpy()]
    penalty = scenario.continuity.replacement_penalty_eur * demand
    arcs["cost"] = arcs["cost"].to_numpy(dtype=float) + np.where(other, penalty, 0.0)
    return arcs


def subtract_placements(
    demand: pd.DataFrame, placements: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """This year's demand less the children placed now, who are demand groups of their own.

    Placed children still need their place: they are part of the demand. Where a segment's
    placed children exceed its estimate, the placements stand (they are real children) and the
    estimate is raised to them: nothing of that segment is left to place anew.

    Returns
    -------
    demand
        The children still to place, ``origin, reason, support_need, age_band, children``.
    raised
        ``origin, reason, support_need, age_band, children`` with ``children`` the placed
        children above the estimate (empty when the estimate covers every placement).
    """
    keys = ["origin", "reason", "support_need", "age_band"]
    empty = demand.iloc[0:0][[*keys, "children"]]
    if placements is None or not len(placements):
        return demand, empty
    placed = placements.groupby(keys)["children"].sum()
    estimate = demand.set_index(keys)["children"]
    left = estimate.sub(placed.reindex(estimate.index).fillna(0.0))
    above = placed.sub(estimate.reindex(placed.index).fillna(0.0))
    raised = above[above > 1e-9].rename("children").reset_index()
    rest = left[left > 1e-9].rename("children").reset_index()
    return rest[[*keys, "children"]], raised[[*keys, "children"]]


def build_arcs(
    scenario: Scenario,
    groups: pd.DataFrame,
    options: pd.DataFrame,
    points: pd.DataFrame,
    anchors: pd.DataFrame,
    *,
    distances: TravelMatrices | None = None,
) -> pd.DataFrame:
    """The sparse arcs: suitable types within each reason's distance band.

    The band test is one boolean matrix groups × sites; types are then added per type, so no
    groups × sites × types block is ever built. Distances beyond the largest band may be ``inf``
    (network mode): they fail the ``max_km`` test and pass the ``min_km`` test, as they should.
    """
    columns = ["group", "option", "cost", "km", "home_km"]
    if groups.empty or options.empty:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in columns}).astype(
            {"group": int, "option": int}
        )
    site_codes = points["code"].to_numpy()
    site_pos = pd.Series(np.arange(len(site_codes)), index=site_codes)

    anchor_key = pd.MultiIndex.from_frame(anchors[["code", "age_band"]])
    anchor_pos = pd.Series(np.arange(len(anchors)), index=anchor_key)
    if distances is None:
        distances = travel_tables(scenario, points, anchors)
    km_from_anchor, km_from_home = distances.from_anchor, distances.from_home
    expected = ((len(anchors), len(points)), (len(points), len(points)))
    if (km_from_anchor.shape, km_from_home.shape) != expected:
        msg = "distances: tables do not match the anchors and points given"
        raise ValueError(msg)

    g_anchor = anchor_pos.reindex(pd.MultiIndex.from_frame(groups[["origin", "age_band"]]))
    g_anchor = g_anchor.to_numpy()
    g_home = site_pos.reindex(groups["origin"]).to_numpy()
    reasons = groups["reason"].to_numpy()
    min_km = np.array([getattr(scenario.reasons, r).min_km for r in reasons])
    max_km = np.array([getattr(scenario.reasons, r).max_km for r in reasons])
    anchor_km = km_from_anchor[g_anchor]
    home_km = km_from_home[g_home]
    in_band = (home_km >= min_km[:, None]) & (anchor_km <= max_km[:, None])

    demand = groups["demand"].to_numpy(dtype=float)
    placed_option = (
        groups["placed_option"].to_numpy()
        if "placed_option" in groups.columns
        else np.full(len(groups), -1)
    )
    any_placed = bool((placed_option >= 0).any())
    frames = []
    for t in FACILITY_TYPES:
        cfg: FacilityTypeConfig = getattr(scenario.facility_types, t)
        suits = (
            groups["reason"].map(lambda r, t=t: t in getattr(scenario.reasons, r).types)
            & groups["support_need"].isin(cfg.support_needs)
            & groups["age_band"].isin(cfg.age_bands)
        ).to_numpy(dtype=bool)
        if "age_bands" in groups.columns:
            # A sibling group: the type must suit every member's age band.
            bands = groups["age_bands"].fillna("").astype(str)
            suits = suits & bands.map(
                lambda b, ok=set(cfg.age_bands): not b or set(b.split("+")) <= ok
            ).to_numpy(dtype=bool)
        of_type = options[options["type"] == t]
        if of_type.empty or not (suits.any() or any_placed):
            continue
        # A site may hold options of one type with different places (stock ``places``): one
        # pass per layer, each with at most one option of the type per site.
        layer = of_type.groupby("site", sort=False).cumcount().to_numpy()
        for k in np.unique(layer):
            in_layer = of_type[layer == k]
            option_at_site = np.full(len(site_codes), -1)
            option_at_site[site_pos[in_layer["site"]].to_numpy()] = in_layer.index.to_numpy()
            mask = in_band & suits[:, None] & (option_at_site >= 0)[None, :]
            # Children placed in this option live there now: their arc to it exists, in band
            # and suitable or not (continuity_arcs decides what else they may use).
            if any_placed:
                here = np.flatnonzero(np.isin(placed_option, in_layer.index.to_numpy()))
                sites = options["site"].to_numpy()[placed_option[here]]
                mask[here, site_pos[sites].to_numpy()] = True
            g, j = np.nonzero(mask)
            frames.append(
                pd.DataFrame(
                    {
                        "group": g,
                        "option": option_at_site[j],
                        "cost": cfg.annual_cost_per_place * demand[g],
                        "km": anchor_km[g, j],
                        "home_km": home_km[g, j],
                    }
                )
            )
    if not frames:
        return build_arcs(scenario, groups.iloc[0:0], options, points, anchors, distances=distances)
    arcs = pd.concat(frames, ignore_index=True)
    return arcs.sort_values(["group", "option"]).reset_index(drop=True)


def required_units(inhabitants: float, scenario: Scenario) -> int:
    """Small-scale units the norm asks for ``inhabitants`` people."""
    return int(_ROUNDING[scenario.norm.rounding](inhabitants / scenario.norm.inhabitants_per_unit))


def norm_constraints(
    scenario: Scenario, neighbourhoods: pd.DataFrame, options: pd.DataFrame
) -> tuple[UnitConstraint, ...]:
    """The 1-per-40,000 norm: per gemeente (level ``gemeente``) and for the region."""
    norm = scenario.norm
    penalty = norm.penalty_eur if norm.mode == "soft" else None
    small = options[options["type"].isin(norm.types)]
    constraints = []
    if norm.level == "gemeente":
        inhabitants = neighbourhoods.groupby("gemeente")["inhabitants"].sum()
        for gemeente, people in inhabitants.items():
            constraints.append(
                UnitConstraint(
                    name=f"norm:{gemeente}",
                    options=tuple(small.index[small["gemeente"] == gemeente].tolist()),
                    sense=">=",
                    rhs=required_units(people, scenario),
                    penalty=penalty,
                )
            )
    constraints.append(
        UnitConstraint(
            name="norm:region",
            options=tuple(small.index.tolist()),
            sense=">=",
            rhs=required_units(neighbourhoods["inhabitants"].sum(), scenario),
            penalty=penalty,
        )
    )
    return tuple(constraints)
