"""One planning run end to end: scenario → data → problem → model → solve → plan → outputs.

This is the Python API behind ``woonplanner run``::

    import woonplanner
    scenario = woonplanner.load_scenario("demo", overrides=["demand.rate_per_1000=8"])
    plan = woonplanner.run(scenario, out="runs/demo")
    plan.facilities, plan.kpis, plan.map()
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from woonplanner.data.caseload import read_caseload
from woonplanner.demand import estimate_demand
from woonplanner.errors import InfeasibleError, NoSolutionError
from woonplanner.model import SolveResult, solve
from woonplanner.outputs.files import check_out_dir, make_manifest, write_run
from woonplanner.outputs.report import write_report
from woonplanner.plan import Plan, make_plan
from woonplanner.problem import Problem
from woonplanner.region import Region, load_region
from woonplanner.scenario import Scenario, load_scenario
from woonplanner.travel import TravelMatrices, representative_points, school_anchors
from woonplanner.youthcare import build_problem, travel_tables

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    """Default progress sink: say nothing."""


def run(
    scenario: Scenario | str | Path | None = None,
    *,
    out: str | Path | None = None,
    force: bool = False,
    progress: Progress = _quiet,
) -> Plan:
    """Plan ``scenario`` and, when ``out`` is given, write the run folder.

    Parameters
    ----------
    scenario
        A :class:`Scenario`, a scenario file, or ``None`` for the embedded demo.
    out
        Run folder to write (SPEC §5); ``None`` writes nothing.
    force
        Replace an existing run folder.
    progress
        Called with one line per step (data, arcs, build, solve, outputs).

    Raises
    ------
    ScenarioError, InputDataError
        Invalid scenario or data (exit code 2).
    InfeasibleError
        No plan satisfies the hard rules; the message says which (exit code 3).
    NoSolutionError
        No feasible plan within the time limit (exit code 4).
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if out is not None:
        check_out_dir(Path(out).resolve(), force=force)
    timings: dict[str, float] = {}

    prepared = prepare(scenario, progress=progress, timings=timings)
    region, points, problem = prepared.region, prepared.points, prepared.problem
    distances = prepared.distances

    progress(
        f"Building and solving with HiGHS (time limit {scenario.solver.time_limit_s:g} s, "
        f"gap {scenario.solver.mip_gap:g}) …"
    )
    result = solve(
        problem,
        time_limit=scenario.solver.time_limit_s,
        mip_gap=scenario.solver.mip_gap,
        threads=scenario.solver.threads,
        seed=scenario.solver.seed,
        progress=progress,
    )
    timings["build"], timings["solve"] = result.build_s, result.solve_s
    progress(
        f"  built in {result.build_s:.2f} s, solved in {result.solve_s:.2f} s: {result.status}"
        + (f", gap {100 * result.gap:.2f} %" if result.gap is not None else "")
    )
    _raise_without_plan(result, problem, scenario)

    plan = make_plan(
        problem,
        result,
        neighbourhoods=region.neighbourhoods,
        points=points,
        norm_types=scenario.norm.types,
    )
    if scenario.service.level is not None:
        plan.kpis["service_level"] = buffer_cost(problem, scenario, plan, prepared, progress)
    unplaced = plan.kpis["region"]["children_unplaced"]
    if unplaced >= 0.05:  # below that it is solver tolerance, not a child
        progress(f"  {unplaced:.1f} children cannot be placed within the norms (see kpis.json)")
    if out is None:
        return _with(plan, scenario, region, problem, result, timings, distances.info.as_dict())

    progress(f"Writing {out} …")
    plan = _with(plan, scenario, region, problem, result, timings, distances.info.as_dict())
    write_run(
        out,
        plan,
        force=force,
        extra_files={
            "map.html": _map_writer(plan, scenario),
            "report.html": lambda folder: write_report(
                plan,
                folder,
                lang=scenario.output.lang,
                privacy_threshold=scenario.output.privacy_threshold,
            ),
        },
    )
    return plan


@dataclass(frozen=True)
class Prepared:
    """A scenario's data read and turned into a :class:`Problem`, ready to solve."""

    region: Region
    points: pd.DataFrame
    demand: pd.DataFrame
    distances: TravelMatrices
    problem: Problem


def prepare(
    scenario: Scenario, *, progress: Progress = _quiet, timings: dict[str, float] | None = None
) -> Prepared:
    """Data, travel tables and the problem of ``scenario`` (every step of :func:`run` before the
    solve); ``timings`` receives the seconds of ``data``, ``travel`` and ``arcs``."""
    timings = {} if timings is None else timings
    start = time.perf_counter()
    progress(f"Loading data for scenario {scenario.name!r} …")
    region = load_region(scenario)
    points = representative_points(region.neighbourhoods)
    anchors = school_anchors(points, region.schools)
    demand, region = read_demand(scenario, region)
    timings["data"] = time.perf_counter() - start
    n_gemeenten = region.neighbourhoods["gemeente"].nunique()
    progress(
        f"  {len(region.neighbourhoods)} neighbourhoods in "
        f"{n_gemeenten} gemeente{'' if n_gemeenten == 1 else 'n'}, "
        f"{demand['children'].sum():.1f} children needing a place"
    )

    start = time.perf_counter()
    distances = travel_tables(scenario, points, anchors)
    timings["travel"] = time.perf_counter() - start
    progress(distances.info.summary())

    start = time.perf_counter()
    problem = build_problem(
        scenario,
        neighbourhoods=region.neighbourhoods,
        points=points,
        anchors=anchors,
        stock=region.stock,
        demand=demand,
        distances=distances,
        candidates=region.candidates,
    )
    timings["arcs"] = time.perf_counter() - start
    progress(
        f"Arcs: {problem.n_arcs} (groups {problem.n_groups}, options {problem.n_options}) "
        f"in {timings['arcs']:.2f} s"
    )
    return Prepared(region, points, demand, distances, problem)


def buffer_cost(
    problem: Problem, scenario: Scenario, plan: Plan, prepared: Prepared, progress: Progress
) -> dict[str, object]:
    """The plan with spare places for ``service.level`` against the same plan without them.

    The problem is solved a second time without the utilisation caps (same solver settings), so
    the report can show what the buffer costs, side by side (``kpis.json``: ``service_level``).
    """
    progress("Solving the same plan without the service-level buffer, for its cost …")
    plain = replace(problem, options=problem.options.drop(columns="utilisation"))
    result = solve(
        plain,
        time_limit=scenario.solver.time_limit_s,
        mip_gap=scenario.solver.mip_gap,
        threads=scenario.solver.threads,
        seed=scenario.solver.seed,
    )
    with_buffer = plan.kpis["region"]
    figures: dict[str, object] = {
        "target": scenario.service.level,
        "overdispersion": scenario.simulate.overdispersion,
        "annual_cost_eur": with_buffer["annual_cost_eur"],
        "one_off_cost_eur": with_buffer["one_off_cost_eur"],
        "places_by_type": with_buffer["places_by_type"],
    }
    if not result.has_solution:
        figures["without_buffer"] = None
        return figures
    without = make_plan(
        plain,
        result,
        neighbourhoods=prepared.region.neighbourhoods,
        points=prepared.points,
        norm_types=scenario.norm.types,
    ).kpis["region"]
    figures["without_buffer"] = {
        "status": result.status,
        "annual_cost_eur": without["annual_cost_eur"],
        "one_off_cost_eur": without["one_off_cost_eur"],
        "places_by_type": without["places_by_type"],
    }
    figures["buffer_annual_cost_eur"] = with_buffer["annual_cost_eur"] - without["annual_cost_eur"]
    progress(
        f"  the buffer for service level {scenario.service.level:g} costs "
        f"{figures['buffer_annual_cost_eur']:,.0f} a year"
    )
    return figures


def read_demand(scenario: Scenario, region: Region):
    """Demand from the caseload table when the scenario names one, else the estimate.

    Returns the demand and the region with the caseload added to its hashed input files.
    """
    if scenario.demand.caseload:
        caseload = Path(scenario.demand.caseload)
        demand = read_caseload(caseload, neighbourhoods=region.neighbourhoods)
        return demand, replace(region, input_files=(*region.input_files, caseload))
    demand = estimate_demand(
        region.neighbourhoods, scenario.demand, youth_care_index=region.youth_care_index
    )
    return demand, region


def _with(
    plan, scenario, region: Region, problem: Problem, result: SolveResult, timings, travel: dict
) -> Plan:
    # The road network's extract and the scenario files are inputs like the region's files.
    network = [Path(travel["osm_file"])] if travel.get("osm_file") else []
    manifest = make_manifest(
        input_files=[*region.input_files, *network, *scenario.source_files],
        solve={
            "status": result.status,
            "objective": result.objective,
            "bound": result.bound,
            "mip_gap": result.gap,
            "objective_parts": result.parts,
        },
        timings_s=timings,
        problem_size={
            "neighbourhoods": len(region.neighbourhoods),
            "groups": problem.n_groups,
            "options": problem.n_options,
            "arcs": problem.n_arcs,
        },
    )
    manifest["region"] = region.name
    manifest["travel"] = travel
    return Plan(
        neighbourhoods=plan.neighbourhoods,
        facilities=plan.facilities,
        flows=plan.flows,
        gemeenten=plan.gemeenten,
        kpis=plan.kpis,
        scenario=scenario,
        manifest=manifest,
    )


def _map_writer(plan: Plan, scenario: Scenario):
    def write(folder: Path) -> None:
        m = plan.map(lang=scenario.output.lang, privacy_threshold=scenario.output.privacy_threshold)
        m.save(str(folder / "map.html"))

    return write


def _raise_without_plan(result: SolveResult, problem: Problem, scenario: Scenario) -> None:
    """Turn a solve without a plan into the error the CLI maps to exit code 3 or 4."""
    if result.status == "interrupted":
        # Ctrl-C or SIGTERM during the solve: stop, and write nothing.
        raise KeyboardInterrupt
    if result.has_solution:
        return
    if result.status == "infeasible":
        reasons = diagnose_infeasible(problem, scenario)
        msg = "No plan satisfies the hard rules:\n" + "\n".join(f"  - {r}" for r in reasons)
        raise InfeasibleError(msg)
    if result.status in ("time_limit", "interrupted"):
        msg = (
            f"No feasible plan found within the time limit of {scenario.solver.time_limit_s:g} s; "
            "raise --time-limit or solver.time_limit_s"
        )
        raise NoSolutionError(msg)
    msg = f"HiGHS stopped with status {result.status!r} and no plan"
    raise NoSolutionError(msg)


def diagnose_infeasible(problem: Problem, scenario: Scenario) -> list[str]:
    """Name the hard rules that cannot be met, and by how much, from elastic re-solves.

    Children may always be left unplaced, so only two rules can make a plan impossible: the
    1-per-40,000 norm (with the site limits) and the budget. First every norm row is made
    elastic and the budget dropped: a row that still needs slack cannot be met at all. When
    the norm can be met, the least cost of meeting it is compared with the budget.
    """
    limit = min(60.0, scenario.solver.time_limit_s)
    gap = max(scenario.solver.mip_gap, 1e-3)
    elastic_rows = tuple(
        replace(c, penalty=1.0e9) if c.penalty is None else c for c in problem.unit_constraints
    )
    elastic = replace(problem, unit_constraints=elastic_rows, budget=None)
    result = solve(elastic, time_limit=limit, mip_gap=gap, threads=scenario.solver.threads)
    types = ", ".join(scenario.norm.types)
    reasons: list[str] = []
    if result.has_solution:
        for c, short in zip(problem.unit_constraints, result.violation, strict=True):
            # The region's row follows from its gemeenten's rows: name it only on its own.
            if c.penalty is None and short > 0.5 and not (c.name == "norm:region" and reasons):
                who = c.name.removeprefix("norm:")
                unit = "unit" if c.rhs == 1 else "units"
                reasons.append(
                    f"{who}: needs {c.rhs:g} small-scale {unit} ({types}), at most "
                    f"{c.rhs - short:g} can be sited; raise facility_types.<type>."
                    'max_units_per_site or max_units_per_1000_households, or set norm.mode = "soft"'
                )
    # A soft norm is no hard rule: it neither raises the least cost nor is advice to give.
    soft = scenario.norm.mode == "soft"
    if not reasons and problem.budget is not None:
        cheapest = replace(
            problem,
            unit_constraints=tuple(
                c if c.penalty is None else replace(c, penalty=0.0)
                for c in problem.unit_constraints
            ),
            budget=None,
            objective=replace(
                problem.objective, mode="weighted", unplaced_penalty=0.0, km_weight=0.0
            ),
        )
        least = solve(cheapest, time_limit=limit, mip_gap=gap, threads=scenario.solver.threads)
        if least.has_solution and least.parts.get("cost", 0.0) > problem.budget:
            advice = (
                "(even with every child unplaced and the norm not met); raise the budget"
                if soft
                else "and the norm met (even with every child unplaced); raise the budget or set "
                'norm.mode = "soft"'
            )
            reasons.append(
                f"budget.annual_eur = {problem.budget:,.0f} is below the least cost of "
                f"{least.parts['cost']:,.0f} at which today's stock can be kept or closed {advice}"
            )
    if not reasons:
        rules = (
            "the site limits and the budget" if soft else "the norm, the site limits and the budget"
        )
        reasons.append(
            f"{rules} cannot be met together, and the elastic re-solve found no single rule to "
            f"blame within {limit:g} s"
        )
    return reasons
