"""One planning run end to end: scenario → data → problem → model → solve → plan → outputs.

This is the Python API behind ``woonplanner run``::

    import woonplanner
    scenario = woonplanner.load_scenario("demo", overrides=["demand.rate_per_1000=8"])
    plan = woonplanner.run(scenario, out="runs/demo")
    plan.facilities, plan.kpis, woonplanner.plan_map(plan)

It computes and returns: the diagnosis of a plan-less solve is :mod:`woonplanner.diagnosis`,
the outcome vocabulary :mod:`woonplanner.outcome`, and every file is written by ``outputs/``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from woonplanner.data.buurten import synthetic_codes
from woonplanner.data.caseload import read_caseload_with_siblings
from woonplanner.demand import estimate_demand
from woonplanner.diagnosis import raise_without_plan
from woonplanner.errors import InputDataError, ScenarioError, raise_if_problems
from woonplanner.model import SolveResult, SolverUnavailableError, check_solver, solve
from woonplanner.outputs.files import check_out_dir, make_manifest, write_run
from woonplanner.outputs.maps import plan_map
from woonplanner.outputs.report import write_report
from woonplanner.outputs.vocabulary import format_total, region_counts
from woonplanner.plan import Plan, make_plan
from woonplanner.privacy import is_children
from woonplanner.problem import Problem
from woonplanner.region import Region, check_placements, load_region
from woonplanner.scenario import Scenario, load_scenario
from woonplanner.travel import TravelMatrices, representative_points, school_anchors
from woonplanner.youthcare import build_problem, subtract_placements, travel_tables

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
        check_out_dir(Path(out).resolve(), force=force, inputs=scenario.input_paths())
    try:  # an unknown or missing solver fails before any work
        check_solver(scenario.solver.name)
    except SolverUnavailableError as err:
        msg = f"solver.name = {err}"
        raise ScenarioError(msg) from None
    timings: dict[str, float] = {}

    prepared = prepare(scenario, progress=progress, timings=timings)
    region, points, problem = prepared.region, prepared.points, prepared.problem
    distances = prepared.distances

    name = "HiGHS" if scenario.solver.name == "highs" else scenario.solver.name
    progress(
        f"Building and solving with {name} (time limit {scenario.solver.time_limit_s:g} s, "
        f"gap {scenario.solver.mip_gap:g}) …"
    )
    result = _solve(problem, scenario, progress=progress)
    timings["build"], timings["solve"] = result.build_s, result.solve_s
    progress(
        f"  built in {result.build_s:.2f} s, solved in {result.solve_s:.2f} s: "
        # The solver's word as words ("time limit"), not as a code (time_limit).
        f"{result.status.replace('_', ' ')}"
        + (f", gap {100 * result.gap:.2f} %" if result.gap is not None else "")
        + (
            " (against the coarse instance's bound: the full LP relaxation did not finish in "
            "the time limit)"
            if result.bound_from == "coarse" and result.status != "optimal"
            else ""
        )
    )
    raise_without_plan(result, problem, scenario)

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
    if is_children(unplaced):  # the pages' rule: rounds to at least one child
        count = region_counts(plan.neighbourhoods, plan.flows, scenario.output.privacy_threshold)
        if result.optimal:
            progress(
                f"  {count['children_unplaced']} of the children cannot be placed within the "
                "norms (see kpis.json)"
            )
        else:  # cut short: a better plan may place some of them
            progress(
                f"  {count['children_unplaced']} of the children have no place in this plan, "
                "which is not proven optimal: a longer solver.time_limit_s may place some"
            )
    if out is None:
        return _with(plan, scenario, region, problem, result, timings, distances.info.as_dict())

    progress(f"Writing {out} …")
    plan = _with(plan, scenario, region, problem, result, timings, distances.info.as_dict())
    write_run(
        out,
        plan,
        force=force,
        inputs=scenario.input_paths(),
        caseload_cells=prepared.demand if scenario.demand.caseload else None,
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
    demand, siblings, region = read_demand(scenario, region)
    demand, raised = subtract_placements(demand, region.placements)
    threshold = scenario.output.privacy_threshold

    def children(count: float) -> str:
        # A count of children as the pages show it (whole, "<5" below the threshold): these
        # lines reach logs, and placements are counts of real children.
        return format_total(float(count), threshold, None, "en")

    if len(raised):
        progress(
            f"  warning: {children(raised['children'].sum())} placed children are above the "
            f"estimated demand of their segment in {raised['origin'].nunique()} "
            "neighbourhoods; the estimate is raised to the placements"
        )
    timings["data"] = time.perf_counter() - start
    n_gemeenten = region.neighbourhoods["gemeente"].nunique()
    progress(
        f"  {len(region.neighbourhoods)} neighbourhoods in "
        f"{n_gemeenten} gemeente{'' if n_gemeenten == 1 else 'n'}, "
        f"{children(demand['children'].sum())} children needing a"
        + (" new" if region.placements is not None else "")
        + " place"
        + (
            f" and {children(region.placements['children'].sum())} placed now"
            if region.placements is not None
            else ""
        )
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
        placements=region.placements,
        siblings=siblings if scenario.demand.keep_siblings_together else None,
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
    result = _solve(plain, scenario)
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

    Returns the demand, the caseload's sibling groups (``None`` for the estimate) and the region
    with the caseload added to its hashed input files, and with the caseload's placements
    (``placed_at``, ``placed_type``) as its current placements when it has them.
    """
    if scenario.demand.caseload:
        caseload = Path(scenario.demand.caseload)
        demand, siblings, placed = read_caseload_with_siblings(
            caseload, neighbourhoods=region.neighbourhoods
        )
        region = replace(region, input_files=(*region.input_files, caseload))
        if len(placed):
            if region.placements is not None:
                msg = (
                    f"{caseload}: placed_at, placed_type: the caseload says where children "
                    "live now, and so do placements.file / placements.from_run; keep one of them"
                )
                raise InputDataError(msg)
            raise_if_problems(
                check_placements(placed, region.neighbourhoods),
                InputDataError,
                header="Invalid caseload",
            )
            region = replace(region, placements=placed)
        return demand, siblings, region
    demand = estimate_demand(
        region.neighbourhoods, scenario.demand, youth_care_index=region.youth_care_index
    )
    return demand, None, region


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
    if region.title:
        manifest["region_name"] = region.title
    if synthetic_codes(region.neighbourhoods["code"]).any():
        manifest["synthetic_buurten"] = True
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
        m = plan_map(
            plan, lang=scenario.output.lang, privacy_threshold=scenario.output.privacy_threshold
        )
        m.save(str(folder / "map.html"))

    return write


def _solve(
    problem: Problem, scenario: Scenario, *, progress: Progress | None = None
) -> SolveResult:
    """Solve with the scenario's solver settings (the plan, and the same plan without a
    service-level buffer, alike)."""
    return solve(
        problem,
        time_limit=scenario.solver.time_limit_s,
        mip_gap=scenario.solver.mip_gap,
        threads=scenario.solver.threads,
        seed=scenario.solver.seed,
        progress=progress,
        solver=scenario.solver.name,
    )
