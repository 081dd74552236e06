"""The one reader of a run folder: what ``woonplanner run --out DIR`` wrote, read back.

Two steps read a run folder: ``compare`` (every file) and the yearly re-assessment,
``stock.from_run``, whose planned units become this year's stock (``facilities.csv`` only).
Both read it here, the way the files are written (:mod:`woonplanner.outputs.files` writes them
with the columns below).

Why here and not in ``outputs/``: a run folder is an input of the next run, and the region
loader (:mod:`woonplanner.region`) reads it before any plan exists. The data flow goes one way
(scenario → data → … → plan → outputs), so the reader sits with the data adapters, and
``outputs/`` imports the column lists and the reader from here, never the other way round.
"""

from __future__ import annotations

import json
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from woonplanner.errors import InputDataError, raise_if_problems

__all__ = [
    "FACILITY_COLUMNS",
    "FLOW_COLUMNS",
    "RUN_FILES",
    "RunFolder",
    "check_run_folders",
    "read_run",
    "read_run_facilities",
]

#: Columns of ``facilities.csv``, in order.
FACILITY_COLUMNS = (
    "neighbourhood",
    "gemeente",
    "type",
    "existing_units",
    "opened_units",
    "closed_units",
    "units",
    "places",
    "occupied",
    "annual_cost_eur",
    "one_off_cost_eur",
    "children_replaced",
    "change_reason",
)
#: Columns of ``flows.csv``, in order.
FLOW_COLUMNS = ("origin", "reason", "support_need", "age_band", "site", "type", "children", "km")

#: The files that make a folder a run folder (``compare`` reads them all).
RUN_FILES: tuple[str, ...] = (
    "kpis.json",
    "facilities.csv",
    "flows.csv",
    "plan.gpkg",
    "scenario.toml",
)


@dataclass(frozen=True)
class RunFolder:
    """The tables and settings of one run folder."""

    folder: Path
    name: str
    """The scenario's name (``compare`` makes it unique among the runs it compares)."""
    description: str
    kpis: dict[str, Any]
    facilities: pd.DataFrame
    flows: pd.DataFrame
    neighbourhoods: gpd.GeoDataFrame
    gemeenten: gpd.GeoDataFrame
    scenario: dict[str, Any]
    """``scenario.toml`` as a dict."""

    @property
    def privacy_threshold(self) -> int:
        """The run's ``output.privacy_threshold`` (5 when absent)."""
        return int(self.scenario.get("output", {}).get("privacy_threshold", 5))


def check_run_folders(folders: list[Path], *, header: str) -> None:
    """Raise one :class:`InputDataError` naming every folder that is not a whole run folder."""
    problems = []
    for folder in folders:
        if not folder.is_dir():
            problems.append(f"{folder}: no such folder")
            continue
        missing = [name for name in RUN_FILES if not (folder / name).is_file()]
        if missing:
            problems.append(
                f"{folder}: not a run folder (missing {', '.join(missing)}); "
                "make one with `woonplanner run --out DIR`"
            )
    raise_if_problems(problems, InputDataError, header=header)


def read_run_facilities(folder: str | Path, *, what: str = "run folder") -> pd.DataFrame:
    """``facilities.csv`` of a run folder, codes as text.

    Parameters
    ----------
    folder
        The run folder.
    what
        Where the folder was named, for the messages (``stock.from_run``).

    Raises
    ------
    InputDataError
        No ``facilities.csv`` in ``folder``, or one without ``neighbourhood, type, units``.
    """
    folder = Path(folder)
    path = folder / "facilities.csv"
    if not path.is_file():
        msg = (
            f"{what}: {folder} is not a woonplanner run folder (no facilities.csv); "
            "give the --out folder of an earlier run"
        )
        raise InputDataError(msg)
    try:
        table = pd.read_csv(path, dtype={"neighbourhood": str, "type": str})
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as err:
        # A damaged file (cut off, edited in another encoding): say which, not pandas' words.
        msg = (
            f"{what}: {path} cannot be read as a woonplanner facilities.csv "
            f"({type(err).__name__}); give the --out folder of an earlier run, or rerun it"
        )
        raise InputDataError(msg) from None
    missing = [c for c in ("neighbourhood", "type", "units") if c not in table.columns]
    if missing:
        msg = f"{path}: missing columns {missing}; is it a woonplanner run's facilities.csv?"
        raise InputDataError(msg)
    table.attrs["source"] = str(path)
    return table


def read_run(folder: str | Path) -> RunFolder:
    """Read every file of one run folder (no solver, no Pyomo).

    Raises
    ------
    InputDataError
        A file cannot be read, or ``kpis.json`` has no region figures.
    """
    folder = Path(folder)
    try:
        kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
        scenario = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
        facilities = read_run_facilities(folder)
        flows = pd.read_csv(folder / "flows.csv")
        with warnings.catch_warnings():
            # pyogrio notes the bool → int widening it did on writing; values are unchanged.
            warnings.simplefilter("ignore", RuntimeWarning)
            neighbourhoods = gpd.read_file(folder / "plan.gpkg", layer="neighbourhoods")
            gemeenten = gpd.read_file(folder / "plan.gpkg", layer="gemeenten")
    except (OSError, ValueError, tomllib.TOMLDecodeError) as err:
        msg = f"{folder}: cannot read the run folder: {err}"
        raise InputDataError(msg) from None
    if "region" not in kpis:
        msg = f"{folder}/kpis.json: no region KPIs (not written by woonplanner run?)"
        raise InputDataError(msg)
    gemeenten["norm_met"] = gemeenten["norm_met"].astype(bool)
    for column in ("code", "gemeente"):
        if column in neighbourhoods:
            neighbourhoods[column] = neighbourhoods[column].astype(str)
    return RunFolder(
        folder=folder,
        name=str(scenario.get("name", folder.name)),
        description=str(scenario.get("description", "")),
        kpis=kpis,
        facilities=facilities,
        flows=flows,
        neighbourhoods=neighbourhoods,
        gemeenten=gemeenten,
        scenario=scenario,
    )
