"""Load and check the input tables a scenario names: neighbourhoods, schools, stock.

This module dispatches to the adapters in :mod:`woonplanner.data` and checks what they return
against the column contracts of :mod:`woonplanner.schema` (PyPSA-style ``check_*`` functions
that collect every problem before raising once).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from woonplanner.errors import InputDataError, raise_if_problems
from woonplanner.scenario import Scenario
from woonplanner.schema import CRS, FACILITY_TYPES, NEIGHBOURHOOD_COLUMNS, STOCK_COLUMNS


@dataclass(frozen=True)
class Region:
    """The input tables of one run, checked and in EPSG:28992."""

    name: str
    neighbourhoods: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame | None
    stock: pd.DataFrame
    youth_care_index: pd.Series | None = None
    input_files: tuple[Path, ...] = field(default_factory=tuple)


def load_region(scenario: Scenario) -> Region:
    """Read every input the scenario names, check it, and return a :class:`Region`."""
    region = _load_demo(scenario) if scenario.region.source == "demo" else _load_cbs(scenario)
    check_region(region)
    return region


def _load_demo(scenario: Scenario) -> Region:
    from woonplanner.data import demo

    data = demo.load()
    neighbourhoods = data.neighbourhoods
    if scenario.region.gemeenten:
        unknown = sorted(set(scenario.region.gemeenten) - set(neighbourhoods["gemeente"]))
        if unknown:
            valid = ", ".join(sorted(neighbourhoods["gemeente"].unique()))
            msg = f"region.gemeenten: unknown gemeente codes {unknown}; the demo has {valid}"
            raise InputDataError(msg)
        neighbourhoods = neighbourhoods[neighbourhoods["gemeente"].isin(scenario.region.gemeenten)]
    files = (
        tuple(sorted(demo.DEFAULT_DIRECTORY.glob("*"))) if demo.DEFAULT_DIRECTORY.is_dir() else ()
    )
    if scenario.stock.file or scenario.stock.from_run:
        # A planner's own stock is checked in full: a row outside the region is an error.
        stock, stock_file = read_scenario_stock(scenario)
        files = (*files, stock_file)
    else:
        stock = data.stock[data.stock["neighbourhood"].isin(neighbourhoods["code"])]
    return Region(
        name="Demo-regio",
        neighbourhoods=neighbourhoods.reset_index(drop=True),
        schools=data.schools,
        stock=stock.reset_index(drop=True),
        input_files=files,
    )


def _load_cbs(scenario: Scenario) -> Region:
    from woonplanner.data import cbs, schools

    d = scenario.data
    if d.dir is None and d.neighbourhoods is None:
        msg = (
            "region.source = 'cbs' needs the data folder: pass --data-dir DIR "
            "(e.g. --data-dir ../shared/data/nl) or set data.dir / data.neighbourhoods"
        )
        raise InputDataError(msg)
    found = cbs.default_data_files(d.dir) if d.dir else {}
    source = d.neighbourhoods or d.dir
    assert source is not None  # checked above
    neighbourhoods = cbs.load_neighbourhoods(
        source,
        jeugdregio=scenario.region.jeugdregio,
        gemeenten=scenario.region.gemeenten or None,
        membership=d.membership,
        jeugdregio_polygons=d.jeugdregio_polygons,
        level=scenario.region.level,
    )
    level_key = "neighbourhoods" if scenario.region.level == "wijk" else "buurten"
    used = [d.neighbourhoods or found.get(level_key), d.membership or found.get("membership")]
    files = [Path(p) for p in used if p]
    index = None
    if scenario.demand.youth_care_index:
        index_file = d.youth_care_index or found.get("youth_care_index")
        if not index_file:
            msg = (
                "demand.youth_care_index = true needs a youth-care table: set "
                "data.youth_care_index or put gemeenten_kwb*.csv in the data folder"
            )
            raise InputDataError(msg)
        table = cbs.load_youth_care_index(index_file, gemeenten=neighbourhoods["gemeente"])
        index = table.set_index("gemeente")["youth_care_index"]
        files.append(Path(index_file))
    school_points = None
    if d.schools:
        school_points = schools.load_schools(d.schools)
        files.append(Path(d.schools))
    if scenario.stock.file or scenario.stock.from_run:
        stock, stock_file = read_scenario_stock(scenario)
        files.append(stock_file)
    else:
        stock = pd.DataFrame({c: pd.Series(dtype=object) for c in STOCK_COLUMNS}).astype(
            {"units": int}
        )
    name = scenario.region.jeugdregio or ", ".join(sorted(neighbourhoods["gemeente"].unique()))
    return Region(
        name=name,
        neighbourhoods=neighbourhoods.reset_index(drop=True),
        schools=school_points,
        stock=stock,
        youth_care_index=index,
        input_files=tuple(files),
    )


def read_scenario_stock(scenario: Scenario) -> tuple[pd.DataFrame, Path]:
    """The stock a scenario names: a stock CSV, or the planned units of a previous run."""
    if scenario.stock.file and scenario.stock.from_run:
        msg = "stock.file and stock.from_run are both set; keep one of them"
        raise InputDataError(msg)
    if scenario.stock.file:
        return read_stock(scenario.stock.file), Path(scenario.stock.file)
    run_dir = Path(str(scenario.stock.from_run))
    return read_run_stock(run_dir), run_dir / "facilities.csv"


def read_run_stock(run_dir: Path) -> pd.DataFrame:
    """A previous run's planned units as this year's existing stock (the yearly re-assessment)."""
    facilities = run_dir / "facilities.csv"
    if not facilities.is_file():
        msg = (
            f"stock.from_run: {run_dir} is not a woonplanner run folder (no facilities.csv); "
            "give the --out folder of an earlier run"
        )
        raise InputDataError(msg)
    table = pd.read_csv(facilities, dtype={"neighbourhood": str, "type": str})
    missing = [c for c in ("neighbourhood", "type", "units") if c not in table.columns]
    if missing:
        msg = f"{facilities}: missing columns {missing}"
        raise InputDataError(msg)
    stock = table.loc[table["units"] > 0, ["neighbourhood", "type", "units"]].reset_index(drop=True)
    stock.attrs["source"] = str(facilities)
    return stock


def read_stock(path: str | Path) -> pd.DataFrame:
    """Read a stock CSV (``neighbourhood, type, units``)."""
    path = Path(path)
    try:
        stock = pd.read_csv(path, dtype={"neighbourhood": str, "type": str})
    except (OSError, pd.errors.ParserError) as err:
        msg = f"{path}: cannot read the stock table: {err}"
        raise InputDataError(msg) from None
    missing = [c for c in STOCK_COLUMNS if c not in stock.columns]
    if missing:
        msg = f"{path}: missing columns {missing}; expected {list(STOCK_COLUMNS)}"
        raise InputDataError(msg)
    stock.attrs["source"] = str(path)
    return stock[list(STOCK_COLUMNS)]


def check_region(region: Region) -> None:
    """Check every table of ``region``; raise one :class:`InputDataError` listing all problems."""
    problems = check_neighbourhoods(region.neighbourhoods) + check_stock(
        region.stock, region.neighbourhoods
    )
    raise_if_problems(problems, InputDataError, header="Invalid input data")


def check_neighbourhoods(nb: gpd.GeoDataFrame) -> list[str]:
    """Columns, unique codes, non-negative counts and valid polygons."""
    where = nb.attrs.get("source", "neighbourhoods")
    missing = [c for c in NEIGHBOURHOOD_COLUMNS if c not in nb.columns]
    if missing:
        return [f"{where}: missing columns {missing}"]
    problems = []
    if len(nb) == 0:
        problems.append(f"{where}: no neighbourhoods to plan")
    if nb.crs is None or nb.crs != CRS:
        problems.append(f"{where}: geometry must be in {CRS}, got {nb.crs}")
    dup = nb["code"][nb["code"].duplicated()].unique()
    if len(dup):
        problems.append(f"{where}: code: duplicate neighbourhood codes {list(dup[:10])}")
    for col in ("inhabitants", "households", "children_0_3", "children_4_11", "children_12_17"):
        values = pd.to_numeric(nb[col], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            codes = list(nb["code"][bad][:5])
            problems.append(
                f"{where}: {col}: {int(bad.sum())} rows are missing, not a number or negative "
                f"(first: {codes}); expected a count ≥ 0"
            )
    geom = nb.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        problems.append(f"{where}: geometry: empty in {list(nb['code'][empty][:5])}")
    invalid = ~empty & ~geom.is_valid
    if invalid.any():
        problems.append(f"{where}: geometry: invalid polygons in {list(nb['code'][invalid][:5])}")
    return problems


def check_stock(stock: pd.DataFrame, nb: pd.DataFrame) -> list[str]:
    """Stock rows refer to known neighbourhoods and types and have whole units ≥ 0."""
    where = stock.attrs.get("source", "stock")
    problems = []
    unknown_nb = sorted(set(stock["neighbourhood"]) - set(nb["code"]))
    if unknown_nb:
        problems.append(
            f"{where}: neighbourhood: unknown codes {unknown_nb[:10]}; "
            "stock must be in a planned neighbourhood"
        )
    unknown_type = sorted(set(stock["type"]) - set(FACILITY_TYPES))
    if unknown_type:
        problems.append(
            f"{where}: type: unknown types {unknown_type}; expected one of {list(FACILITY_TYPES)}"
        )
    units = pd.to_numeric(stock["units"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(units) | (units < 0) | (units != np.round(units))
    if bad.any():
        rows = [int(r) + 2 for r in np.flatnonzero(bad)[:5]]  # +2: header line, 1-based
        problems.append(f"{where}: units: must be whole numbers ≥ 0 (rows {rows})")
    return problems
