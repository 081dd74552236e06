"""Why a solve has no plan: the infeasibility diagnosis and its advice.

:func:`raise_without_plan` turns a solve without a plan into the error that carries its
outcome (:class:`~woonplanner.errors.InfeasibleError`, exit code 3, with one problem per rule
that cannot be met; :class:`~woonplanner.errors.NoSolutionError`, exit code 4).
:func:`diagnose_infeasible` names those rules from elastic re-solves: children may always be
left unplaced, so only the 1-per-40,000 norm (with the site limits) and the budget can make a
plan impossible.
"""

from __future__ import annotations

from dataclasses import replace

from woonplanner.errors import InfeasibleError, NoSolutionError
from woonplanner.model import SolveResult, solve
from woonplanner.outcome import Outcome
from woonplanner.problem import Problem
from woonplanner.scenario import Scenario

__all__ = ["diagnose_infeasible", "raise_without_plan"]


def raise_without_plan(result: SolveResult, problem: Problem, scenario: Scenario) -> None:
    """Turn a solve without a plan into the error that carries its outcome (exit code 3 or 4).

    Raises
    ------
    KeyboardInterrupt
        Ctrl-C or SIGTERM during the solve: stop, and write nothing.
    InfeasibleError
        No plan satisfies the hard rules; its ``problems`` name each rule that cannot be met.
    NoSolutionError
        No plan within the time limit (or the solver stopped for another reason).
    """
    outcome = Outcome.of_solve(result.status, has_solution=result.has_solution)
    if outcome is Outcome.INTERRUPTED:
        raise KeyboardInterrupt
    if outcome.has_plan:
        return
    if outcome is Outcome.INFEASIBLE:
        reasons = diagnose_infeasible(problem, scenario)
        msg = "No plan satisfies the hard rules:\n" + "\n".join(f"  - {r}" for r in reasons)
        raise InfeasibleError(msg, problems=reasons)
    if result.status == "time_limit":
        msg = (
            f"No feasible plan found within the time limit of {scenario.solver.time_limit_s:g} s; "
            "raise --time-limit or solver.time_limit_s"
        )
        raise NoSolutionError(msg)
    msg = f"HiGHS stopped with status {result.status!r} and no plan"
    raise NoSolutionError(msg)


def placed_beyond_limits(problem: Problem) -> list[str]:
    """Facilities that cannot hold the children who must stay there (hard continuity).

    A placed group that must be served has only its current arc, so its facility needs the
    places for all of them; where even the most units the site allows cannot give them, no
    plan exists. Counts are of children per facility, as the facilities table gives them.
    """
    groups, options = problem.groups, problem.options
    if "placed_option" not in groups.columns:
        return []
    must = (groups["placed_option"].to_numpy() >= 0) & ~groups["may_be_unplaced"].to_numpy(
        dtype=bool
    )
    if not must.any():
        return []
    staying = groups[must].groupby("placed_option")["demand"].sum()
    reasons = []
    for o, children in staying.items():
        most = float(options.at[o, "max_units"] * options.at[o, "capacity"])
        if children > most + 1e-6:
            reasons.append(
                f"{options.at[o, 'type']} in {options.at[o, 'site']}: the children who live "
                f'there now must stay (continuity.mode = "hard"), and they are more than the '
                f"{most:g} places that can be there at most; give the site more units or set "
                'continuity.mode = "soft"'
            )
    return reasons


def diagnose_infeasible(problem: Problem, scenario: Scenario) -> list[str]:
    """Name the hard rules that cannot be met, and by how much, from elastic re-solves.

    Children may be left unplaced, except those who must stay where they live now (hard
    continuity): a facility that cannot hold them is named first
    (:func:`placed_beyond_limits`). Otherwise only two rules can make a plan impossible: the
    1-per-40,000 norm (with the site limits) and the budget. First every norm row is made
    elastic and the budget dropped: a row that still needs slack cannot be met at all. When
    the norm can be met, the least cost of meeting it is compared with the budget.
    """
    reasons = placed_beyond_limits(problem)
    if reasons:
        return reasons
    limit = min(60.0, scenario.solver.time_limit_s)
    gap = max(scenario.solver.mip_gap, 1e-3)
    elastic_rows = tuple(
        replace(c, penalty=1.0e9) if c.penalty is None else c for c in problem.unit_constraints
    )
    elastic = replace(problem, unit_constraints=elastic_rows, budget=None)
    result = solve(elastic, time_limit=limit, mip_gap=gap, threads=scenario.solver.threads)
    types = ", ".join(scenario.norm.types)
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
