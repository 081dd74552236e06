"""Parameter sweeps: one scenario planned once per value of one key, and the curve they make.

``woonplanner sweep [SCENARIO] --vary objective.km_weight_eur=0,250,1000,5000 --out DIR`` plans
the scenario for each value; :func:`sweep` computes and returns the table (no file, no page),
and :func:`woonplanner.outputs.sweep.write_sweep` writes ``DIR`` atomically, like a run folder:

``sweep.csv``
    one row per value (:data:`SWEEP_COLUMNS`): the key and value, status, gap, children placed
    and unplaced, child-km, mean and 90th-percentile km, annual, one-off and total cost, units
    per type, and why a value has no plan. ``status`` is a
    :class:`~woonplanner.outcome.Outcome` value: ``optimal``, ``time_limit``, or for a value
    without a plan the outcome its error carries (``infeasible``, ``no_plan_in_time``).
``sweep.html``
    the trade-off between cost and proximity as a curve (cost, annual plus one-off as the
    objective counts it, against the mean distance to school, a point per value) above the
    same table. A point whose plan is not proven optimal is drawn hollow, one that leaves
    children unplaced has a red ring: such a point is cheap because children go without.

With the km weight as the key this is SPEC §4's curve: every point is a plan that is optimal
(to the solver's gap) for its weight, so a higher weight never buys longer distances, and
never costs less (derived in docs/model.md, tested with exact solves; at the default 0.1 % gap
the points can wiggle by that much: ``--set solver.mip_gap=0.0001`` for a smooth curve). Any
other scalar key works the same way (``demand.rate_per_1000``, ``reasons.safety_risk.max_km``,
``budget.annual_eur``, …): a sweep is a set of scenarios that differ in one value.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from woonplanner.errors import InfeasibleError, NoSolutionError, ScenarioError, raise_if_problems
from woonplanner.outputs.vocabulary import figures_shown, place_name
from woonplanner.parallel import check_jobs, run_tasks
from woonplanner.scenario import Scenario, load_scenario, parse_value

__all__ = ["SWEEP_COLUMNS", "parse_vary", "sweep"]

#: Columns of ``sweep.csv`` before the units per type (``units_<type>``).
SWEEP_COLUMNS = (
    "key",
    "value",
    "status",
    "mip_gap",
    "children_demand",
    "children_placed",
    "children_unplaced",
    "child_km",
    "mean_km",
    "p90_km",
    "annual_cost_eur",
    "one_off_cost_eur",
    "cost_eur",
    "message",
)
#: The region figures a row copies from ``kpis.json``.
_FIGURES = SWEEP_COLUMNS[4:12]


def parse_vary(text: str) -> tuple[str, list[str]]:
    """``KEY=V1,V2,…`` as the key and the values (each read as TOML, like ``--set``).

    Raises
    ------
    ScenarioError
        Without ``=``, without a value, with the same value twice, or for a key whose value is
        a list or a section (a sweep varies one number, word or true/false).
    """
    key, sep, values_text = text.partition("=")
    key = key.strip()
    values = [v.strip() for v in values_text.split(",") if v.strip()]
    if not sep or not key or not values:
        msg = f"--vary {text}: expected KEY=V1,V2,…, e.g. objective.km_weight_eur=0,500,1000"
        raise ScenarioError(msg)
    if len(set(values)) < len(values):
        msg = f"--vary {text}: a value is given twice"
        raise ScenarioError(msg)
    default: Any = Scenario().model_dump()
    for part in key.split("."):
        if not isinstance(default, dict) or part not in default:
            return key, values  # an unknown key: the scenario check names it
        default = default[part]
    if isinstance(default, list | dict):
        what = "a list" if isinstance(default, list) else "a section"
        msg = f"--vary {key}: is {what}; a sweep varies one number, word or true/false"
        raise ScenarioError(msg)
    return key, values


def sweep(
    scenario: str | Path | Scenario | None,
    key: str,
    values: Sequence[str],
    *,
    overrides: Sequence[str] = (),
    data_dir: str | Path | None = None,
    flags: Sequence[tuple[str, str, Any]] = (),
    progress: Callable[[str], None] = lambda _message: None,
    jobs: int = 1,
    scheduler: str | None = None,
    show_progress: bool = True,
) -> pd.DataFrame:
    """Plan ``scenario`` once per value of ``key``; one row per value (see the module doc).

    The values are tasks on Dask (:mod:`woonplanner.parallel`): ``jobs`` local worker
    processes or the cluster of ``scheduler``; the table is the same either way.

    Every value is checked before the first solve, and every problem of every value is listed
    at once. A value whose scenario has no plan (infeasible, nothing within the time limit) is
    a row with its reason and the others go on; any other error (the data) stops the sweep.

    Parameters
    ----------
    scenario
        Scenario file or name, or a loaded :class:`~woonplanner.scenario.Scenario`, as for
        :func:`~woonplanner.scenario.load_scenario` (``None``: the demo).
    key, values
        The key to vary and its values, each as TOML text (``"500"``, ``'"soft"'``).
    overrides, data_dir, flags
        As for :func:`~woonplanner.scenario.load_scenario`, the same for every value;
        ``overrides`` must not set ``key``.
    progress
        Receives a line per value, and the gap of a long solve (when run here, ``jobs=1``).
    jobs, scheduler, show_progress
        Where the values are planned, and the progress bar
        (:func:`~woonplanner.parallel.run_tasks`).
    """
    check_jobs(jobs, scheduler)
    if any(item.partition("=")[0].strip() == key for item in overrides):
        msg = f"--vary {key}: also set with --set; the sweep sets it, once per value"
        raise ScenarioError(msg)
    scenarios, problems = [], []
    for value in values:
        vary = ("--vary", key, parse_value(value))
        try:
            scenarios.append(
                load_scenario(
                    scenario, overrides=list(overrides), data_dir=data_dir, flags=[*flags, vary]
                )
            )
        except ScenarioError as err:
            problems += [p for p in err.problems if p not in problems]
    raise_if_problems(problems, ScenarioError, header="Invalid sweep")
    n = len(values)
    args = []
    for k, (value, sc) in enumerate(zip(values, scenarios, strict=True), start=1):
        where = f"[{k}/{n}] {key}={value}"
        # A long solve's gap reaches the command line only from a solve run here, not on a
        # Dask worker.
        args.append((key, value, sc, where, progress if jobs == 1 and not scheduler else None))

    def finished(k: int, row: dict[str, Any]) -> None:
        progress(_line(args[k][3], row, args[k][2].output.privacy_threshold))

    rows = run_tasks(
        _sweep_value,
        args,
        jobs=jobs,
        scheduler=scheduler,
        label="values",
        on_result=finished,
        show_progress=show_progress,
    )
    table = pd.DataFrame(rows)
    units = sorted(c for c in table.columns if c.startswith("units_"))
    table = table.reindex(columns=[*SWEEP_COLUMNS, *units])
    # The region's name for the page's title ("Rijnmond"); not a column of sweep.csv.
    place = next((r.pop("region_name") for r in rows if r.get("region_name")), None)
    for row in rows:
        row.pop("region_name", None)
    if place:
        table.attrs["region_name"] = place
    return table


def _sweep_value(
    key: str,
    value: str,
    scenario: Scenario,
    where: str,
    progress: Callable[[str], None] | None,
) -> dict[str, Any]:
    """Plan one value of a sweep (a Dask task): its row of ``sweep.csv``."""
    from woonplanner.runner import run

    def solving(message: str) -> None:
        if progress is not None and message.startswith("  branch and bound:"):
            progress(f"{where}:{message}")  # a long solve's gap, no more

    try:
        plan = run(scenario, progress=solving)
    except (InfeasibleError, NoSolutionError) as err:
        return {
            "key": key,
            "value": value,
            "status": err.outcome.value,
            "message": str(err).replace("\n", " "),
        }
    region = plan.kpis["region"]
    return {
        "region_name": place_name(plan.manifest),  # the page's title, not a column
        "key": key,
        "value": value,
        "status": plan.kpis["status"],
        "mip_gap": plan.kpis["mip_gap"],
        **{c: region[c] for c in _FIGURES},
        "cost_eur": region["annual_cost_eur"] + region["one_off_cost_eur"],
        **{f"units_{t}": units for t, units in region["units_by_type"].items()},
    }


def _line(where: str, row: dict[str, Any], threshold: int) -> str:
    """The command line's line for one value: the unplaced children as the sweep page shows
    them (whole, "<5" below the privacy threshold), never the expected count."""
    if "cost_eur" not in row:
        return f"{where}: {row['status']} — {row['message']}"
    gap = row["mip_gap"]
    return (
        f"{where}: {row['status']}"
        + (f" (gap {100 * gap:.3f} %)" if row["status"] != "optimal" and gap is not None else "")
        + f", cost {row['cost_eur']:,.0f}, mean {row['mean_km'] or 0:.2f} km, "
        f"{figures_shown(row, threshold).get('children_unplaced', '–')} unplaced"
    )
