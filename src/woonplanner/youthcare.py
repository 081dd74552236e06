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
* the 1-per-40,000 norm is a unit constraint per gemeente and for the region.

The problem's tables carry the youth-care labels in extra columns (``origin``, ``reason``, … on
groups; ``gemeente`` on options; ``home_km`` on arcs) so the plan can be read back without
recomputing anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from woonplanner.problem import Objective, Problem, UnitConstraint
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
    """
    options = build_options(scenario, neighbourhoods, stock, candidates=candidates)
    groups = build_groups(demand, neighbourhoods)
    arcs = build_arcs(scenario, groups, options, points, anchors, distances=distances)
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
    """One option per neighbourhood × type that exists or may exist.

    ``candidates`` (``neighbourhood, type, max_units``) gives the limit of every type it names
    (0 where it has no row); the other types keep the limits of ``scenario.facility_types``.
    """
    codes = neighbourhoods["code"].to_numpy()
    households = neighbourhoods["households"].to_numpy(dtype=float)
    existing_by = stock.groupby(["neighbourhood", "type"])["units"].sum()
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
    options = pd.concat(frames, ignore_index=True)
    options = options[options["max_units"] > 0]
    return options.sort_values(["site", "type"]).reset_index(drop=True)


def build_groups(demand: pd.DataFrame, neighbourhoods: pd.DataFrame) -> pd.DataFrame:
    """One group per origin × segment with demand; every group may be reported unplaced."""
    gemeente = dict(zip(neighbourhoods["code"], neighbourhoods["gemeente"], strict=True))
    groups = demand.rename(columns={"children": "demand"}).reset_index(drop=True)
    groups["may_be_unplaced"] = True
    groups["gemeente"] = groups["origin"].map(gemeente)
    return groups


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
    frames = []
    for t in FACILITY_TYPES:
        cfg: FacilityTypeConfig = getattr(scenario.facility_types, t)
        suits = (
            groups["reason"].map(lambda r, t=t: t in getattr(scenario.reasons, r).types)
            & groups["support_need"].isin(cfg.support_needs)
            & groups["age_band"].isin(cfg.age_bands)
        ).to_numpy(dtype=bool)
        of_type = options[options["type"] == t]
        if not suits.any() or of_type.empty:
            continue
        option_at_site = np.full(len(site_codes), -1)
        option_at_site[site_pos[of_type["site"]].to_numpy()] = of_type.index.to_numpy()
        mask = in_band & suits[:, None] & (option_at_site >= 0)[None, :]
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
