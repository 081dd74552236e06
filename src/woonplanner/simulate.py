r"""Check a plan against fluctuating demand: many demand draws, units fixed, assignment re-solved.

``woonplanner simulate RUN_DIR`` rebuilds the run's :class:`~woonplanner.problem.Problem` from
the ``scenario.toml`` the run folder holds, fixes every option's units at the plan's
(``facilities.csv``) and then, per draw, draws each demand group's children and re-solves the
assignment as a linear programme within the same arcs (distance bands, suitability).

The assignment LP is the planning model of :func:`woonplanner.model.build.build_matrix` on a
*unit-demand* copy of the problem (every group's demand 1, its arcs' cost per child): then the
share columns ``x`` read as children, the demand rows ``sum(x) + s = 1`` become
``sum(x) + s = n_g`` by their bounds alone, and the capacity rows ``sum(x) <= q_o u_o`` do
not depend on the draw. So the LP is built and handed to HiGHS once per chunk of draws, and a
draw changes only the demand rows' bounds. Options without units and their arcs are left out
first (they hold no child in any draw). Each draw is solved from a cold start (the basis
cleared, no presolve): re-solving from the previous draw's basis was measured 1.7-2.2 times
slower on the demo and on JZ02, and a cold start with presolve no faster (benchmarks/RESULTS.md,
"Simulate"); a draw changes every group's demand, so the last basis is far from the next one.

Demand model
------------
``overdispersion = 0`` (default): the children of group :math:`g` in a year are
:math:`N_g \sim \mathrm{Poisson}(d_g)`, independent. ``overdispersion = \alpha > 0``: negative
binomial with mean :math:`d_g` and variance :math:`(1 + \alpha) d_g` (``n = d_g / \alpha``,
``p = 1 / (1 + \alpha)``); groups with the same ``p`` add up to a negative binomial again, so
the assumption does not depend on how finely the groups are cut.

Figures
-------
The **service level** of a set of children (the region, a gemeente, a support need) is the
share of the children drawn, over all draws, who found a place within their band:
:math:`\sum_r \text{placed}_r / \sum_r \text{drawn}_r`. ``service_level_p5`` is the 5th
percentile of the per-draw share (a bad year in twenty), ``share_all_placed`` the share of draws
in which every child of the set was placed.

Determinism: draw ``r`` uses the generator ``default_rng([seed, r])`` and is solved from a cold
start; the draws are solved in fixed chunks of :data:`CHUNK_DRAWS` and summed in draw order, so
the figures are the same on one worker or many.
"""

from __future__ import annotations

import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import highspy
import numpy as np
import pandas as pd
from pyomo.common.tee import capture_output

from woonplanner.errors import InputDataError
from woonplanner.model.build import build_matrix
from woonplanner.problem import MergedGroups, Objective, Problem, merge_identical_groups

#: Draws solved one after another from one LP built once; the unit of parallel work.
CHUNK_DRAWS = 25
#: A group's children count as placed when fewer than this many are left unplaced (LP noise).
_UNPLACED_EPS = 1e-6
#: Edges of the km histogram (km per placed child, from the school or home anchor).
KM_BINS = np.array([0, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 50, np.inf])


@dataclass(frozen=True)
class Simulation:
    """Everything a worker needs to solve draws (plain arrays and a :class:`Problem`).

    Attributes
    ----------
    lp_problem
        The unit-demand assignment problem (merged groups; units fixed by ``units``).
    expected
        Expected children per *original* group.
    merged
        Original group → LP group (:func:`~woonplanner.problem.merge_identical_groups`).
    units
        The plan's units per option of ``lp_problem`` (fixed; options without units are left
        out).
    keys
        Per reporting level (``gemeente``, ``support_need``), the code of each original group's
        member; ``labels`` names the codes.
    arc_type
        Type code (into ``types``) per LP arc.
    overdispersion, seed
        The demand model and the seed of draw 0's generator.
    """

    lp_problem: Problem
    expected: np.ndarray
    merged: np.ndarray
    units: np.ndarray
    keys: dict[str, np.ndarray]
    labels: dict[str, list[str]]
    arc_type: np.ndarray
    types: list[str]
    places_by_type: np.ndarray
    overdispersion: float
    seed: int


def assignment_problem(problem: Problem, units: np.ndarray) -> tuple[Problem, MergedGroups]:
    """The unit-demand assignment LP of ``problem`` with its units fixed at ``units``.

    Identical groups are merged first (exact, see
    :func:`~woonplanner.problem.merge_identical_groups`). Units, the norm and the budget no
    longer vary, so their rows and costs go; the unplaced penalty, the km weight and the cost
    per placed child stay, in the same weighted sum as the plan's.
    """
    # Options without units hold no child whatever the draw: their arcs go before merging,
    # which leaves a fraction of the arcs and merges more groups (those that now reach the
    # same open options).
    fixed = np.asarray(units, dtype=float)
    used = np.flatnonzero(fixed > 0)
    new_index = np.full(problem.n_options, -1)
    new_index[used] = np.arange(len(used))
    live = problem.arcs[new_index[problem.arcs["option"].to_numpy()] >= 0]
    live = live.assign(option=new_index[live["option"].to_numpy()]).reset_index(drop=True)
    opened = problem.options.iloc[used].reset_index(drop=True)
    merged = merge_identical_groups(
        replace(problem, options=opened, arcs=live, single_source=False, unit_constraints=())
    )
    reduced = merged.problem
    demand = reduced.groups["demand"].to_numpy(dtype=float)
    arcs = reduced.arcs[["group", "option", "km"]].copy()
    arcs["cost"] = reduced.arcs["cost"].to_numpy(dtype=float) / demand[arcs["group"].to_numpy()]
    options = reduced.options[["site", "type", "capacity"]].copy()
    options = options.assign(
        existing=0.0,
        max_units=fixed[used],
        unit_cost=0.0,
        open_cost=0.0,
        close_cost=0.0,
        integer=False,
    )
    groups = pd.DataFrame({"demand": 1.0, "may_be_unplaced": True}, index=reduced.groups.index)
    objective = Objective(
        mode="weighted",
        unplaced_penalty=problem.objective.unplaced_penalty,
        km_weight=problem.objective.km_weight,
    )
    lp = Problem(
        options=options,
        groups=groups,
        arcs=arcs[["group", "option", "cost", "km"]],
        objective=objective,
        name=f"{problem.name}-assignment",
    )
    return lp, merged


def make_simulation(
    problem: Problem,
    units: np.ndarray,
    *,
    overdispersion: float = 0.0,
    seed: int = 0,
    keys: dict[str, np.ndarray] | None = None,
) -> Simulation:
    """Prepare the draws of ``problem`` with ``units`` fixed (see the module docstring).

    ``keys`` maps a reporting level to one label per group (default: the groups' ``gemeente``
    and ``support_need`` columns where the problem has them).
    """
    if len(units) != problem.n_options:
        msg = f"units: {len(units)} values for {problem.n_options} options"
        raise InputDataError(msg)
    if overdispersion < 0:
        msg = f"simulate.overdispersion: must be ≥ 0, got {overdispersion}"
        raise InputDataError(msg)
    lp, merged = assignment_problem(problem, units)
    if keys is None:
        keys = {
            level: problem.groups[level].astype(str).to_numpy()
            for level in ("gemeente", "support_need")
            if level in problem.groups.columns
        }
    codes, labels = {}, {}
    for level, values in keys.items():
        code, names = pd.factorize(pd.Series(values), sort=True)
        codes[level], labels[level] = code, [str(n) for n in names]
    type_code, types = pd.factorize(problem.options["type"].astype(str), sort=True)
    places = problem.options["capacity"].to_numpy(dtype=float) * np.asarray(units, dtype=float)
    return Simulation(
        lp_problem=lp,
        expected=problem.groups["demand"].to_numpy(dtype=float),
        merged=merged.group,
        units=lp.options["max_units"].to_numpy(dtype=float),
        keys=codes,
        labels=labels,
        arc_type=pd.Index(types).get_indexer(lp.options["type"].astype(str))[
            lp.arcs["option"].to_numpy()
        ],
        types=[str(t) for t in types],
        places_by_type=np.bincount(type_code, weights=places, minlength=len(types)),
        overdispersion=float(overdispersion),
        seed=int(seed),
    )


def draw_demand(sim: Simulation, draw: int) -> np.ndarray:
    """Children per original group in draw ``draw`` (its own generator: see the module doc)."""
    rng = np.random.default_rng([sim.seed, draw])
    if sim.overdispersion == 0:
        return rng.poisson(sim.expected).astype(float)
    alpha = sim.overdispersion
    return rng.negative_binomial(sim.expected / alpha, 1.0 / (1.0 + alpha)).astype(float)


@dataclass
class ChunkResult:
    """Per-draw figures of a chunk of draws (arrays with one row per draw)."""

    draws: np.ndarray
    #: Per level: children drawn and unplaced, draws × codes.
    drawn: dict[str, np.ndarray]
    unplaced: dict[str, np.ndarray]
    #: Children placed per type, draws × types.
    placed_by_type: np.ndarray
    #: Children placed per km bin, summed over the chunk's draws.
    km_hist: np.ndarray
    #: Child-km of placed children per draw.
    child_km: np.ndarray
    iterations: int
    seconds: float


def simulate_chunk(sim: Simulation, start: int, stop: int) -> ChunkResult:
    """Solve draws ``start`` … ``stop - 1``: one LP, its demand bounds changed per draw."""
    t0 = time.perf_counter()
    lp = sim.lp_problem
    matrix = build_matrix(lp, linking=False, aggregate=False)
    n_g = lp.n_groups
    cols = matrix.columns
    col_lower, col_upper = matrix.col_lower.copy(), matrix.col_upper.copy()
    col_lower[cols["units"]] = sim.units
    col_upper[cols["units"]] = sim.units
    col_upper[cols["assign"]] = np.inf  # children, not shares
    col_upper[cols["unplaced"]] = np.inf
    # The first Highs() of a process prints a banner on the C stdout (as in model/solve.py).
    if "ipykernel" in sys.modules:
        highs = highspy.Highs()
    else:
        with capture_output(capture_fd=True):
            highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("presolve", "off")  # no faster with it, on the demo and JZ02
    cost = matrix.weighted_objective(lp)
    highs.passModel(highs_lp(matrix, cost, col_lower, col_upper))
    # A greenfield problem (existing = 0) has no balance rows: the demand rows come first.
    demand_rows = np.arange(n_g, dtype=np.int32)
    km = lp.arcs["km"].to_numpy(dtype=float)
    km_bin = np.searchsorted(KM_BINS, km, side="right") - 1
    n_draws = stop - start
    drawn = {lv: np.zeros((n_draws, len(sim.labels[lv]))) for lv in sim.keys}
    unplaced = {lv: np.zeros((n_draws, len(sim.labels[lv]))) for lv in sim.keys}
    placed_by_type = np.zeros((n_draws, len(sim.types)))
    km_hist = np.zeros(len(KM_BINS) - 1)
    child_km = np.zeros(n_draws)
    iterations = 0
    for k, r in enumerate(range(start, stop)):
        children = draw_demand(sim, r)
        need = np.bincount(sim.merged, weights=children, minlength=n_g)
        # Each draw from a cold start: measured 1.7-2.2x faster than re-solving from the
        # previous draw's basis (benchmarks/RESULTS.md), and a draw's result then does not
        # depend on the draw before it (the same figures for any number of workers).
        highs.clearSolver()
        # highspy has the method, its type stubs do not (1.16).
        highs.changeRowsBounds(n_g, demand_rows, need, need)  # type: ignore[attr-defined]
        highs.run()
        if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            status = highs.modelStatusToString(highs.getModelStatus())
            msg = f"draw {r}: the assignment LP ended {status}"
            raise RuntimeError(msg)
        iterations += highs.getInfo().simplex_iteration_count
        x = np.asarray(highs.getSolution().col_value)
        flow = np.maximum(x[cols["assign"]], 0.0)
        short = np.zeros(n_g)
        short[matrix.unplaced_groups] = np.maximum(x[cols["unplaced"]], 0.0)
        # A merged group's unplaced children are shared by its members pro rata.
        share = np.divide(short, need, out=np.zeros(n_g), where=need > 0)
        member_short = children * share[sim.merged]
        for lv, code in sim.keys.items():
            size = len(sim.labels[lv])
            drawn[lv][k] = np.bincount(code, weights=children, minlength=size)
            unplaced[lv][k] = np.bincount(code, weights=member_short, minlength=size)
        placed_by_type[k] = np.bincount(sim.arc_type, weights=flow, minlength=len(sim.types))
        km_hist += np.bincount(km_bin, weights=flow, minlength=len(km_hist))
        # fsum, not a BLAS dot: exactly rounded, so the same bits in every process (the dot's
        # SIMD path depends on the arrays' alignment: mean_km differed in its last digit
        # between --jobs 1 and two Dask workers).
        child_km[k] = math.fsum(flow * km)
    return ChunkResult(
        draws=np.arange(start, stop),
        drawn=drawn,
        unplaced=unplaced,
        placed_by_type=placed_by_type,
        km_hist=km_hist,
        child_km=child_km,
        iterations=iterations,
        seconds=time.perf_counter() - t0,
    )


def highs_lp(
    matrix, cost: np.ndarray, col_lower: np.ndarray, col_upper: np.ndarray
) -> highspy.HighsLp:
    """The matrix as a continuous HiGHS LP (the units' integrality dropped: they are fixed)."""
    lp = highspy.HighsLp()
    lp.num_col_ = len(col_lower)
    lp.num_row_ = matrix.n_rows
    lp.col_cost_ = cost
    lp.col_lower_ = col_lower
    lp.col_upper_ = col_upper
    lp.row_lower_ = matrix.row_lower
    lp.row_upper_ = matrix.row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.start
    lp.a_matrix_.index_ = matrix.index
    lp.a_matrix_.value_ = matrix.value
    return lp


def chunks(draws: int, size: int = CHUNK_DRAWS) -> list[tuple[int, int]]:
    """The fixed chunks ``(start, stop)`` of ``draws`` draws (independent of the workers)."""
    return [(s, min(s + size, draws)) for s in range(0, draws, size)]


def _gemeente_names(run_dir: Path) -> dict[str, str]:
    """Gemeente code → name from the run's ``kpis.json`` (empty when it has none)."""
    try:
        kpis = json.loads((run_dir / "kpis.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(g["code"]): str(g["name"]) for g in kpis.get("gemeenten", []) if g.get("name")}


def run_draws(
    sim: Simulation,
    draws: int,
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    client: Any = None,
    show_progress: bool = False,
) -> list[ChunkResult]:
    """Solve ``draws`` draws in :func:`chunks`, here or on Dask (:mod:`woonplanner.parallel`;
    ``client``: an open Dask client); the results come back in chunk order, the same for any
    number of workers."""
    from woonplanner.parallel import run_tasks

    if draws < 1:
        msg = f"--draws: must be ≥ 1, got {draws}"
        raise InputDataError(msg)
    return run_tasks(
        simulate_chunk,
        [(sim, a, b) for a, b in chunks(draws)],
        jobs=jobs,
        scheduler=scheduler,
        client=client,
        label=f"draws (chunks of {CHUNK_DRAWS})",
        show_progress=show_progress,
    )


def _figures(drawn: np.ndarray, unplaced: np.ndarray) -> dict[str, float | None]:
    """Service level figures of one set of children from its per-draw drawn and unplaced."""
    total = float(drawn.sum())
    placed = drawn - unplaced
    with np.errstate(invalid="ignore", divide="ignore"):
        per_draw = np.where(drawn > 0, placed / np.where(drawn > 0, drawn, 1.0), 1.0)
    return {
        "service_level": (float(placed.sum()) / total) if total > 0 else None,
        "service_level_p5": float(np.percentile(per_draw, 5)),
        "share_all_placed": float(np.mean(unplaced < _UNPLACED_EPS * np.maximum(drawn, 1.0))),
        "children_drawn_mean": float(drawn.mean()),
        "children_unplaced_mean": float(unplaced.mean()),
        "children_unplaced_p95": float(np.percentile(unplaced, 95)),
    }


def summarise(sim: Simulation, results: list[ChunkResult]) -> dict[str, Any]:
    """The figures of ``simulate.json``: region first, then per level and per type, and km."""
    drawn = {lv: np.concatenate([c.drawn[lv] for c in results]) for lv in sim.keys}
    unplaced = {lv: np.concatenate([c.unplaced[lv] for c in results]) for lv in sim.keys}
    n_draws = sum(len(c.draws) for c in results)
    if sim.keys:
        first = next(iter(sim.keys))
        region_drawn, region_unplaced = drawn[first].sum(axis=1), unplaced[first].sum(axis=1)
    else:  # pragma: no cover - make_simulation always has a level for youth care
        region_drawn = region_unplaced = np.zeros(n_draws)
    region = {
        **_figures(region_drawn, region_unplaced),
        "children_expected": float(sim.expected.sum()),
        "draws": n_draws,
    }
    levels: dict[str, list[dict[str, Any]]] = {}
    for lv, labels in sim.labels.items():
        expected = np.bincount(sim.keys[lv], weights=sim.expected, minlength=len(labels))
        levels[lv] = [
            {
                lv: label,
                "children_expected": float(expected[k]),
                **_figures(drawn[lv][:, k], unplaced[lv][:, k]),
            }
            for k, label in enumerate(labels)
        ]
    placed = np.concatenate([c.placed_by_type for c in results])
    by_type = []
    for k, t in enumerate(sim.types):
        places = float(sim.places_by_type[k])
        if places <= 0:
            continue
        by_type.append(
            {
                "type": t,
                "places": places,
                "occupied_mean": float(placed[:, k].mean()),
                "occupancy_mean": float(placed[:, k].mean() / places),
                "share_full": float(np.mean(placed[:, k] >= places - 1e-6)),
            }
        )
    km_hist = np.sum([c.km_hist for c in results], axis=0)
    child_km = np.concatenate([c.child_km for c in results])
    placed_total = region_drawn - region_unplaced
    km = {
        "mean_km": float(child_km.sum() / placed_total.sum()) if placed_total.sum() > 0 else None,
        "bins_km": [float(b) for b in KM_BINS[:-1]],
        "share_by_bin": (km_hist / km_hist.sum()).tolist() if km_hist.sum() > 0 else [],
    }
    return {
        "region": region,
        **{f"by_{lv}": rows for lv, rows in levels.items()},
        "by_type": by_type,
        "km": km,
        "overdispersion": sim.overdispersion,
        "seed": sim.seed,
        "solve": {
            "simplex_iterations": int(sum(c.iterations for c in results)),
            "worker_seconds": round(float(sum(c.seconds for c in results)), 3),
        },
    }


def per_draw_service_level(results: list[ChunkResult]) -> np.ndarray:
    """The region's service level in every draw (for the histogram)."""
    level = next(iter(results[0].drawn))
    drawn = np.concatenate([c.drawn[level] for c in results]).sum(axis=1)
    unplaced = np.concatenate([c.unplaced[level] for c in results]).sum(axis=1)
    return np.where(drawn > 0, (drawn - unplaced) / np.where(drawn > 0, drawn, 1.0), 1.0)


def plan_units(run_dir: Path, problem: Problem) -> np.ndarray:
    """The plan's units per option of ``problem``, from the run's ``facilities.csv``."""
    facilities = run_dir / "facilities.csv"
    if not facilities.is_file():
        msg = f"{run_dir} is not a woonplanner run folder (no facilities.csv)"
        raise InputDataError(msg)
    table = pd.read_csv(facilities, dtype={"neighbourhood": str, "type": str})
    units = table.groupby(["neighbourhood", "type"])["units"].sum()
    key = pd.MultiIndex.from_arrays(
        [problem.options["site"].astype(str), problem.options["type"].astype(str)]
    )
    missing = units[units > 0].index.difference(key)
    if len(missing):
        msg = (
            f"{facilities}: {len(missing)} facility rows are not options of the scenario's problem "
            f"(e.g. {missing[0][0]} {missing[0][1]}); was the data changed since the run?"
        )
        raise InputDataError(msg)
    return units.reindex(key).fillna(0.0).to_numpy(dtype=float)


def simulate_run(
    run_dir: str | Path,
    *,
    draws: int | None = None,
    seed: int | None = None,
    out: str | Path | None = None,
    jobs: int = 1,
    scheduler: str | None = None,
    force: bool = False,
    show_progress: bool = True,
    progress: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Simulate the plan in ``run_dir`` and write the folder ``out`` (see the module docstring).

    Parameters
    ----------
    run_dir
        A run folder (``scenario.toml`` and ``facilities.csv``).
    draws, seed
        Years drawn and the seed (default: the scenario's ``simulate.draws`` and ``.seed``).
    out
        Folder to write (default ``run_dir/simulate``, linked from the run's report).
    jobs, scheduler
        Where the draws run (:mod:`woonplanner.parallel`); the figures do not depend on it.
    force
        Replace an existing ``out``.

    Returns
    -------
    dict
        The figures of ``simulate.json``.
    """
    from woonplanner.outputs.files import check_out_dir, write_folder
    from woonplanner.outputs.simulate import link_report, write_simulation
    from woonplanner.parallel import check_jobs
    from woonplanner.runner import prepare
    from woonplanner.scenario import load_scenario

    run_dir = Path(run_dir).resolve()
    check_jobs(jobs, scheduler)
    scenario_file = run_dir / "scenario.toml"
    if not scenario_file.is_file():
        msg = f"{run_dir} is not a woonplanner run folder (no scenario.toml)"
        raise InputDataError(msg)
    folder = Path(out).resolve() if out is not None else run_dir / "simulate"
    check_out_dir(folder, force=force)
    scenario = load_scenario(scenario_file)
    draws = scenario.simulate.draws if draws is None else draws
    seed = scenario.simulate.seed if seed is None else seed
    problem = prepare(scenario, progress=progress).problem
    units = plan_units(run_dir, problem)
    sim = make_simulation(
        problem, units, overdispersion=scenario.simulate.overdispersion, seed=seed
    )
    progress(
        f"Simulating {draws} years of demand: {sim.lp_problem.n_groups} groups, "
        f"{sim.lp_problem.n_arcs} arcs to the plan's {sim.lp_problem.n_options} facilities"
    )
    start = time.perf_counter()
    results = run_draws(sim, draws, jobs=jobs, scheduler=scheduler, show_progress=show_progress)
    seconds = time.perf_counter() - start
    summary = summarise(sim, results)
    summary["run"] = str(run_dir)
    summary["solve"]["wall_seconds"] = round(seconds, 3)
    per_draw = per_draw_service_level(results)
    inside = folder.parent == run_dir

    def fill(tmp: Path) -> None:
        write_simulation(
            tmp,
            summary,
            per_draw,
            lang=scenario.output.lang,
            privacy_threshold=scenario.output.privacy_threshold,
            target=scenario.service.level,
            report_href="../report.html" if inside else None,
            names=_gemeente_names(run_dir),
        )

    write_folder(folder, fill, force=force)
    link_report(run_dir, folder, lang=scenario.output.lang)
    return summary
