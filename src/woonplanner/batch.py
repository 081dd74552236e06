"""Plan many jeugdregio's in one go: one run folder per region plus a national summary.

``woonplanner run-all SCENARIO --data-dir DIR --out DIR [--jobs N] [--regions JZ01,JZ02]``
writes ``DIR/<code>/`` (a normal run folder) for every region, and in ``DIR``:

``regions.csv``
    one row per region: status, gap, children, distances, units per type, cost, gemeenten
    meeting the norm, build and solve seconds, and the error message of a region that failed.
``national_map.html``
    the regions coloured by norm status, with unplaced children and the key figures in popups.

A region that fails (infeasible, no plan in time) does not stop the others; it is a row with its
status and message. ``status`` is a :class:`~woonplanner.outcome.Outcome` value, as in
``kpis.json`` and ``sweep.csv``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from woonplanner.errors import InputDataError, WoonplannerError
from woonplanner.outcome import Outcome
from woonplanner.outputs.files import check_out_dir, write_csv, write_folder
from woonplanner.parallel import check_jobs, run_tasks
from woonplanner.scenario import load_scenario

SUMMARY_COLUMNS = (
    "jeugdregio",
    "name",
    "status",
    "mip_gap",
    "neighbourhoods",
    "arcs",
    "children_demand",
    "children_placed",
    "children_unplaced",
    "mean_km",
    "p90_km",
    "pleeggezin_units",
    "gezinshuis_units",
    "woongroep_units",
    "annual_cost_eur",
    "gemeenten",
    "gemeenten_norm_met",
    "build_s",
    "solve_s",
    "message",
)


def list_regions(data_dir: str | Path) -> pd.DataFrame:
    """``jeugdregio, jeugdregio_name`` of every region in a CBS data folder."""
    from woonplanner.data import cbs

    return cbs.list_jeugdregios(data_dir)


def run_all(
    scenario_path: str | Path,
    *,
    data_dir: str | Path,
    out: str | Path,
    regions: list[str] | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    flags: Sequence[tuple[str, str, Any]] = (),
    jobs: int = 1,
    scheduler: str | None = None,
    force: bool = False,
    progress: Callable[[str], None] = lambda _m: None,
    show_progress: bool = True,
) -> pd.DataFrame:
    """Plan every region (or ``regions``) and write the national summary; see the module doc.

    The regions are tasks on Dask (:mod:`woonplanner.parallel`): ``jobs`` local worker
    processes, or the cluster of ``scheduler``; the summary is the same either way.

    Returns
    -------
    DataFrame
        The summary table (``regions.csv``).
    """
    out = Path(out).resolve()
    check_jobs(jobs, scheduler)
    inputs = [Path(scenario_path), Path(data_dir)]
    check_out_dir(out, force=force, inputs=inputs)
    # Validate the scenario once, before any worker starts, so a typo fails fast.
    load_scenario(scenario_path, overrides=list(overrides), data_dir=data_dir, flags=flags)
    known = list_regions(data_dir)
    names = dict(zip(known["jeugdregio"], known["jeugdregio_name"], strict=True))
    codes = regions or list(known["jeugdregio"])
    unknown = [c for c in codes if c not in names]
    if unknown:
        msg = f"--regions: unknown jeugdregio codes {unknown}; known: {', '.join(names)}"
        raise InputDataError(msg)
    from woonplanner.outputs.national import write_national_map

    planned: list[pd.DataFrame] = []

    def fill(tmp: Path) -> None:
        args = [
            (str(scenario_path), str(data_dir), str(tmp / c), c, list(overrides), list(flags))
            for c in codes
        ]
        summary = _plan_regions(
            args, tmp, names, jobs, scheduler, progress, show_progress=show_progress
        )
        write_national_map(tmp, summary)
        planned.append(summary)

    # Like a single run, the batch folder appears whole or not at all.
    write_folder(out, fill, force=force, inputs=inputs)
    return planned[0]


def _plan_regions(
    args: list[tuple[Any, ...]],
    out: Path,
    names: dict[str, str],
    jobs: int,
    scheduler: str | None,
    progress: Callable[[str], None],
    *,
    show_progress: bool = True,
) -> pd.DataFrame:
    """Plan every region into ``out/<code>`` and write ``regions.csv``; return the summary."""
    start = time.perf_counter()
    done = [0]

    def finished(_k: int, row: dict[str, Any]) -> None:
        done[0] += 1
        _warn_for(row)
        progress(_line(row, done[0], len(args), start))

    rows = run_tasks(
        _plan_region,
        args,
        jobs=jobs,
        scheduler=scheduler,
        label="regions",
        on_result=finished,
        show_progress=show_progress,
    )
    for row in rows:
        row["name"] = names[row["jeugdregio"]]
    summary = pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)).sort_values("jeugdregio")
    summary = summary.reset_index(drop=True)
    write_csv(summary, out / "regions.csv")  # money in euros and cents, no 1.49353e+07
    return summary


def _line(row: dict[str, Any], done: int, total: int, start: float) -> str:
    gap = row.get("mip_gap")
    return (
        f"[{done}/{total}] {row['jeugdregio']}: {row['status']}"
        + (f", gap {100 * gap:.2f} %" if isinstance(gap, float) else "")
        + (f", solve {row['solve_s']:.1f} s" if row.get("solve_s") is not None else "")
        + (f" — {row['message']}" if row.get("message") else "")
        + f" ({time.perf_counter() - start:.0f} s elapsed)"
    )


def _plan_region(
    scenario_path: str,
    data_dir: str,
    out: str,
    code: str,
    overrides: list[str],
    flags: list[tuple[str, str, Any]],
) -> dict[str, Any]:
    """Plan one region in a worker; its warnings come back in the row (``_warnings``) so that
    the parent can say which region each is about (:func:`_warn_for`)."""
    with warnings.catch_warnings(record=True) as caught:
        row = _plan_one_region(scenario_path, data_dir, out, code, overrides, flags)
    row["_warnings"] = [(w.category, str(w.message)) for w in caught]
    return row


def _warn_for(row: dict[str, Any]) -> None:
    """Repeat a region's warnings in this process, each starting with the region's code."""
    for category, message in row.pop("_warnings", []):
        warnings.warn(f"{row['jeugdregio']}: {message}", category, stacklevel=3)


def _plan_one_region(
    scenario_path: str,
    data_dir: str,
    out: str,
    code: str,
    overrides: list[str],
    flags: list[tuple[str, str, Any]],
) -> dict[str, Any]:
    """Plan one region; never raises for a planning outcome."""
    from woonplanner.runner import run

    row: dict[str, Any] = {"jeugdregio": code}
    try:
        scenario = load_scenario(
            scenario_path,
            overrides=[*overrides, f"region.jeugdregio={code}"],
            data_dir=data_dir,
            flags=flags,
        )
        plan = run(scenario, out=out)
    except WoonplannerError as err:
        row.update(status=err.outcome.value, message=str(err).replace("\n", " "))
        return row
    except Exception as err:
        row.update(
            status=Outcome.ERROR.value, message=f"{type(err).__name__}: {err}".replace("\n", " ")
        )
        return row
    kpis, region = plan.kpis, plan.kpis["region"]
    manifest = plan.manifest
    units = region["units_by_type"]
    row.update(
        status=kpis["status"],
        mip_gap=kpis["mip_gap"],
        neighbourhoods=manifest["problem"]["neighbourhoods"],
        arcs=manifest["problem"]["arcs"],
        children_demand=region["children_demand"],
        children_placed=region["children_placed"],
        children_unplaced=region["children_unplaced"],
        mean_km=region["mean_km"],
        p90_km=region["p90_km"],
        pleeggezin_units=units.get("pleeggezin", 0),
        gezinshuis_units=units.get("gezinshuis", 0),
        woongroep_units=units.get("woongroep", 0),
        annual_cost_eur=region["annual_cost_eur"],
        gemeenten=len(kpis["gemeenten"]),
        gemeenten_norm_met=sum(g["norm_met"] for g in kpis["gemeenten"]),
        build_s=manifest["timings_s"]["build"],
        solve_s=manifest["timings_s"]["solve"],
        message="",
    )
    return row
