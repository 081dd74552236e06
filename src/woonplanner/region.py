"""Load and check the input tables a scenario names: neighbourhoods, schools, stock, sites.

This module dispatches to the adapters in :mod:`woonplanner.data` and checks what they return
against the column contracts of :mod:`woonplanner.schema` (PyPSA-style ``check_*`` functions
that collect every problem before raising once).
"""

from __future__ import annotations

import csv
import difflib
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from woonplanner.data.geo import SWAPPED_HINT, outside_netherlands
from woonplanner.data.runfolder import read_run_facilities
from woonplanner.errors import InputDataError, InputWarning, raise_if_problems
from woonplanner.scenario import Scenario
from woonplanner.schema import (
    AGE_BAND_IDS,
    CRS,
    FACILITY_TYPES,
    NEIGHBOURHOOD_COLUMNS,
    PLACEMENT_COLUMNS,
    REASONS,
    STOCK_COLUMNS,
    STOCK_OPTIONAL_COLUMNS,
    SUPPORT_NEEDS,
)

#: Coordinates (RD New, m) a stock row may give instead of its neighbourhood.
STOCK_POINT_COLUMNS = ("x", "y")

#: A stock point on a border or this close (m) outside every polygon goes to the nearest one.
BORDER_TOLERANCE_M = 100.0

#: At most this many units of one type in one neighbourhood (the whole country has some tens of
#: thousands of places): more is a typo or a unit mix-up.
MAX_UNITS_PER_ROW = 10_000

#: More inhabitants or households than this in one neighbourhood is not a Dutch neighbourhood
#: (Amsterdam as a whole has under a million).
MAX_INHABITANTS = 2_000_000

#: Candidate sites (``sites.file``): at most ``max_units`` units of a type in a neighbourhood.
CANDIDATE_SITE_COLUMNS = ("neighbourhood", "type", "max_units")


@dataclass(frozen=True)
class Region:
    """The input tables of one run, checked and in EPSG:28992."""

    name: str
    neighbourhoods: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame | None
    stock: pd.DataFrame
    youth_care_index: pd.Series | None = None
    #: ``neighbourhood, type, max_units`` from ``sites.file``; ``None``: every site may host.
    candidates: pd.DataFrame | None = None
    #: ``site, type, origin, reason, support_need, age_band, children`` (aggregated): the
    #: children living in each facility now; ``None``: no placements given.
    placements: pd.DataFrame | None = None
    input_files: tuple[Path, ...] = field(default_factory=tuple)
    #: What a page calls the region: the jeugdregio's or gemeenten's names ("Rijnmond"), not
    #: their codes; ``name`` when there are none.
    title: str = ""


def load_region(scenario: Scenario) -> Region:
    """Read every input the scenario names, check it, and return a :class:`Region`."""
    region = _load_demo(scenario) if scenario.region.source == "demo" else _load_cbs(scenario)
    if scenario.sites.file:
        region = replace(
            region,
            candidates=read_candidate_sites(scenario.sites.file),
            input_files=(*region.input_files, Path(scenario.sites.file)),
        )
    if scenario.placements.file or scenario.placements.from_run:
        placements, source = read_scenario_placements(scenario)
        region = replace(region, placements=placements, input_files=(*region.input_files, source))
    check_region(region)
    return region


def read_scenario_placements(scenario: Scenario) -> tuple[pd.DataFrame, Path]:
    """The placements a scenario names: a placements CSV, or a previous run's flows."""
    if scenario.placements.file:
        path = Path(scenario.placements.file)
        return _read_table(path, PLACEMENT_COLUMNS, what="placements"), path
    run_dir = Path(str(scenario.placements.from_run))
    return read_run_placements(run_dir), run_dir / "flows.csv"


def read_run_placements(run_dir: Path) -> pd.DataFrame:
    """A previous run's flows as this year's placements (the yearly re-assessment): last year's
    placed children live where that plan put them."""
    flows = run_dir / "flows.csv"
    if not flows.is_file():
        msg = (
            f"placements.from_run: {run_dir} is not a woonplanner run folder (no flows.csv); "
            "give the --out folder of an earlier run"
        )
        raise InputDataError(msg)
    table = pd.read_csv(flows, dtype={"origin": str, "site": str, "type": str})
    missing = [c for c in PLACEMENT_COLUMNS if c not in table.columns]
    if missing:
        msg = f"{flows}: missing columns {missing}"
        raise InputDataError(msg)
    placements = table[list(PLACEMENT_COLUMNS)].reset_index(drop=True)
    placements.attrs["source"] = str(flows)
    return placements


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
        stock, stock_file = read_scenario_stock(scenario, neighbourhoods)
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


#: The environment variable naming the shared data folder (its ``nl/`` holds the CBS files);
#: read when a CBS scenario names no data folder.
SHARED_DATA_ENV = "WOONPLANNER_SHARED_DATA"


def shared_cbs_folder() -> Path | None:
    """The CBS data folder from :data:`SHARED_DATA_ENV`: its ``nl/`` when there is one, else
    the folder itself; ``None`` when the variable is not set."""
    value = os.environ.get(SHARED_DATA_ENV, "").strip()
    if not value:
        return None
    folder = Path(value).expanduser()
    return folder / "nl" if (folder / "nl").is_dir() else folder


def _load_cbs(scenario: Scenario) -> Region:
    from woonplanner.data import cbs, schools

    d = scenario.data
    if d.dir is None and d.neighbourhoods is None:
        shared = shared_cbs_folder()
        if shared is None:
            msg = (
                "region.source = 'cbs' needs the data folder: pass --data-dir DIR "
                "(e.g. --data-dir ../shared/data/nl), set data.dir / data.neighbourhoods, or set "
                f"{SHARED_DATA_ENV} to the shared data folder (the one holding nl/)"
            )
            raise InputDataError(msg)
        d = d.model_copy(update={"dir": str(shared)})
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
        stock, stock_file = read_scenario_stock(scenario, neighbourhoods)
        files.append(stock_file)
    else:
        stock = pd.DataFrame({c: pd.Series(dtype=object) for c in STOCK_COLUMNS}).astype(
            {"units": int}
        )
    name = scenario.region.jeugdregio or ", ".join(sorted(neighbourhoods["gemeente"].unique()))
    return Region(
        name=name,
        title=_region_title(scenario, neighbourhoods, d.membership or found.get("membership")),
        neighbourhoods=neighbourhoods.reset_index(drop=True),
        schools=school_points,
        stock=stock,
        youth_care_index=index,
        input_files=tuple(files),
    )


def _region_title(
    scenario: Scenario, neighbourhoods: gpd.GeoDataFrame, membership: str | Path | None
) -> str:
    """The jeugdregio's name from the membership table, or the gemeenten's names; '' when the
    data has no names (pages then show the code)."""
    from woonplanner.data import cbs

    code = scenario.region.jeugdregio
    if code:
        if membership is None:
            return ""
        try:
            regions = cbs.list_jeugdregios(membership)
        except InputDataError:
            return ""
        found = regions.loc[regions["jeugdregio"] == code, "jeugdregio_name"]
        name = str(found.iloc[0]) if len(found) else ""
        return "" if name == code else name
    if "gemeente_name" not in neighbourhoods:
        return ""
    names = neighbourhoods.drop_duplicates("gemeente").sort_values("gemeente")["gemeente_name"]
    return ", ".join(str(n) for n in names)


def read_scenario_stock(
    scenario: Scenario, neighbourhoods: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, Path]:
    """The stock a scenario names: a stock CSV (its points placed in ``neighbourhoods``), or the
    planned units of a previous run."""
    if scenario.stock.file and scenario.stock.from_run:
        msg = "stock.file and stock.from_run are both set; keep one of them"
        raise InputDataError(msg)
    if scenario.stock.file:
        stock = read_stock(scenario.stock.file, neighbourhoods=neighbourhoods)
        return stock, Path(scenario.stock.file)
    run_dir = Path(str(scenario.stock.from_run))
    return read_run_stock(run_dir), run_dir / "facilities.csv"


def read_run_stock(run_dir: Path) -> pd.DataFrame:
    """A previous run's planned units as this year's existing stock (the yearly re-assessment)."""
    table = read_run_facilities(run_dir, what="stock.from_run")
    problems = _not_whole(table, "units", str(table.attrs["source"]))
    raise_if_problems(problems, InputDataError, header="Invalid input data")
    kept = table[table["units"] > 0]
    stock = kept[["neighbourhood", "type", "units"]].reset_index(drop=True)
    if "places" in kept.columns:
        # facilities.csv gives the places of the row's units together: per unit they are the
        # places each existing facility brings into this year.
        stock["places"] = (kept["places"] / kept["units"]).to_numpy()
    stock.attrs["source"] = table.attrs["source"]
    return stock


def read_stock(path: str | Path, *, neighbourhoods: gpd.GeoDataFrame | None = None) -> pd.DataFrame:
    """Read a stock CSV (``neighbourhood, type, units``).

    A row may give ``x, y`` (RD New, m) instead of ``neighbourhood``: :func:`locate_stock` then
    places it in one of ``neighbourhoods``, which a file with coordinates needs.
    """
    table = _read_csv(path, what="stock")
    points = set(STOCK_POINT_COLUMNS) <= set(table.columns)
    missing = [c for c in STOCK_COLUMNS if c not in table.columns]
    if points and "neighbourhood" in missing:
        missing.remove("neighbourhood")
    if missing:
        msg = (
            f"{path}: missing columns {missing}; expected {list(STOCK_COLUMNS)}, or x, y "
            "(RD New, EPSG:28992) instead of neighbourhood"
        )
        raise InputDataError(msg)
    problems = _repeated_codes(table, path)
    if problems:
        raise_if_problems(problems, InputDataError, header="Invalid input data")
    if not points:
        return _keep(table, _stock_columns(table))
    if neighbourhoods is None:
        msg = f"{path}: x, y: points need the neighbourhood polygons to be placed in"
        raise InputDataError(msg)
    return locate_stock(table, neighbourhoods)


def _repeated_codes(table: pd.DataFrame, path: str | Path) -> list[str]:
    """Rows that give the same neighbourhood and type (and places, where the stock has them):
    the stock is one row per pair (as the candidate sites), not summed silently. Rows given by a
    point are separate facilities, and so are units of one type with different places."""
    if "neighbourhood" not in table.columns:
        return []
    coded = table["neighbourhood"].notna() & (table["neighbourhood"].astype(str).str.strip() != "")
    for column in STOCK_POINT_COLUMNS:
        if column in table.columns:
            coded &= table[column].isna()
    key = ["neighbourhood", "type", *(["places"] if "places" in table.columns else [])]
    doubled = (coded & table[coded].duplicated(key, keep=False)).reindex(
        table.index, fill_value=False
    )
    if not doubled.any():
        return []
    what = ", ".join(key)
    return [
        f"{path}: {what}: the same {'pair' if len(key) == 2 else 'combination'} on more than "
        f"one row ({_lines(doubled.to_numpy())}); give the units of each {what} on one row"
    ]


def locate_stock(stock: pd.DataFrame, neighbourhoods: gpd.GeoDataFrame) -> pd.DataFrame:
    """Give every stock row with ``x, y`` instead of a ``neighbourhood`` the code of the polygon
    that holds its point.

    A point on a border, or up to :data:`BORDER_TOLERANCE_M` outside every polygon, goes to the
    nearest polygon (the lowest code of equally near ones). Every row that cannot be placed is
    listed in one :class:`InputDataError`, with the type and unit problems of the table.
    """
    where = stock.attrs.get("source", "stock")
    given = stock.get("neighbourhood", pd.Series("", index=stock.index)).fillna("").astype(str)
    given = given.str.strip()
    x = pd.to_numeric(stock["x"], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(stock["y"], errors="coerce").to_numpy(dtype=float)
    has_point = stock["x"].notna().to_numpy() | stock["y"].notna().to_numpy()
    has_code = (given != "").to_numpy()
    problems = []
    both = has_code & has_point
    if both.any():
        problems.append(
            f"{where}: neighbourhood, x, y: both a neighbourhood and a point in "
            f"{_lines(both)}; give one of them"
        )
    neither = ~has_code & ~has_point
    if neither.any():
        problems.append(
            f"{where}: neighbourhood, x, y: neither a neighbourhood nor a point in "
            f"{_lines(neither)}"
        )
    bad = has_point & ~has_code & ~(np.isfinite(x) & np.isfinite(y))
    if bad.any():
        problems.append(f"{where}: x, y: not two numbers in {_lines(bad)}")
    todo = has_point & ~has_code & ~bad
    codes = given.to_numpy(dtype=object)
    codes[todo] = _neighbourhood_at(x[todo], y[todo], neighbourhoods)
    outside = todo & (codes == "")
    degrees = outside & (np.abs(x) <= 180) & (np.abs(y) <= 90)
    if degrees.any():
        problems.append(
            f"{where}: x, y: {_lines(degrees)} look like degrees (longitude, latitude: WGS84), "
            "not RD New (EPSG:28992) metres; convert them (e.g. in QGIS) or give the "
            "neighbourhood code instead"
        )
        outside &= ~degrees
    if outside.any():
        problems.append(
            f"{where}: x, y: points outside the planned region in {_lines(outside)}; "
            f"x, y are RD New (EPSG:28992) metres, at most {BORDER_TOLERANCE_M:g} m outside it"
        )
    if problems:
        problems += _unknown_types(stock, where, rows=False) + _not_whole(stock, "units", where)
        raise_if_problems(problems, InputDataError, header="Invalid input data")
    located = stock.assign(neighbourhood=codes)
    return _keep(located, _stock_columns(stock))


def _stock_columns(table: pd.DataFrame) -> tuple[str, ...]:
    """The stock columns, with the optional ``places`` (per unit) where the table has it."""
    optional = tuple(c for c in STOCK_OPTIONAL_COLUMNS if c in table.columns)
    return (*STOCK_COLUMNS, *optional)


def _neighbourhood_at(x: np.ndarray, y: np.ndarray, neighbourhoods: gpd.GeoDataFrame) -> np.ndarray:
    """The code of the polygon holding each point, else of the nearest within the tolerance,
    else ``""``."""
    codes = np.full(len(x), "", dtype=object)
    if not len(x):
        return codes
    points = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=neighbourhoods.crs)
    nb_codes = neighbourhoods["code"].to_numpy(dtype=object)
    tree = neighbourhoods.sindex
    point_i, nb_i = tree.query(points, predicate="within")
    codes[point_i] = nb_codes[nb_i]
    rest = np.flatnonzero(codes == "")
    if len(rest):
        near_i, near_nb = tree.nearest(
            points.iloc[rest], max_distance=BORDER_TOLERANCE_M, return_all=True
        )
        # On a shared border both polygons are at 0 m: the lowest code decides, not file order.
        nearest = pd.Series(nb_codes[near_nb]).groupby(near_i).min()
        codes[rest[nearest.index.to_numpy()]] = nearest.to_numpy()
    return codes


def read_candidate_sites(path: str | Path) -> pd.DataFrame:
    """Read a candidate-site CSV (``neighbourhood, type, max_units``)."""
    return _read_table(path, CANDIDATE_SITE_COLUMNS, what="candidate-site")


def _read_table(path: str | Path, columns: tuple[str, ...], *, what: str) -> pd.DataFrame:
    """A CSV with (at least) ``columns``, codes and types read as text."""
    table = _read_csv(path, what=what)
    missing = [c for c in columns if c not in table.columns]
    if missing:
        msg = f"{path}: missing columns {missing}; expected {list(columns)}"
        raise InputDataError(msg)
    return _keep(table, columns)


def _read_csv(path: str | Path, *, what: str) -> pd.DataFrame:
    """A small input CSV as text cells, numbers where a column holds only numbers.

    Read like the caseload: UTF-8 (a byte-order mark allowed) or, failing that, Windows-1252
    (what Dutch Excel writes; a warning says so); ``,`` or ``;`` as separator, whichever the
    header has more of (with ``;``, a decimal comma). A row with more or fewer cells than the
    header is an error naming its line: pandas would shift its columns silently.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        msg = f"{path}: cannot read the {what} table: {err.strerror or err}"
        raise InputDataError(msg) from None
    text = _decode(data, path, what)
    lines = text.splitlines()
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        msg = f"{path}: the {what} table is empty; expected a header line and one row per entry"
        raise InputDataError(msg)
    first = lines[header_at]
    sep = ";" if first.count(";") > first.count(",") else ","
    try:
        rows = list(csv.reader(lines, delimiter=sep))
    except csv.Error as err:
        msg = f"{path}: cannot read the {what} table: {err}"
        raise InputDataError(msg) from None
    header = [h.strip() for h in rows[header_at]]
    body = [(i + 1, r) for i, r in enumerate(rows) if i > header_at and any(c.strip() for c in r)]
    ragged = [line for line, r in body if len(r) != len(header)]
    if ragged:
        shown = ", ".join(map(str, ragged[:5])) + (", …" if len(ragged) > 5 else "")
        msg = (
            f"{path}: {len(ragged)} row(s) with another number of cells than the header's "
            f"{len(header)} (lines {shown}); a value with a {sep!r} in it needs quotes"
        )
        raise InputDataError(msg)
    doubled = sorted({h for h in header if header.count(h) > 1})
    if doubled:
        msg = f"{path}: columns {doubled} appear more than once in the header"
        raise InputDataError(msg)
    table = pd.DataFrame([r for _, r in body], columns=header, dtype=object)
    if not len(body):
        table = pd.DataFrame({h: pd.Series(dtype=object) for h in header})
    for column in table.columns:
        cells = table[column].astype(str).str.strip()
        table[column] = cells.where(cells != "")
        if column in ("neighbourhood", "type"):
            continue
        number = cells.str.replace(",", ".", regex=False) if sep == ";" else cells
        values = pd.to_numeric(number.where(cells != ""), errors="coerce")
        if values.notna().sum() == (cells != "").sum():
            table[column] = values
    table.index = pd.RangeIndex(len(table))
    table.attrs["source"] = str(path)
    table.attrs["lines"] = [line for line, _ in body]
    return table


def _decode(data: bytes, path: Path, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as err:
        msg = (
            f"{path}: the {what} table is neither UTF-8 nor Windows-1252 text (byte {err.start}); "
            "save it as CSV UTF-8"
        )
        raise InputDataError(msg) from None
    warnings.warn(
        f"{path}: not UTF-8; read as Windows-1252 (Excel's 'CSV'); save as 'CSV UTF-8' to be sure",
        InputWarning,
        stacklevel=3,
    )
    return text


def _keep(table: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Only ``columns`` of ``table``, its source kept for messages."""
    kept = table[list(columns)]
    kept.attrs["source"] = table.attrs.get("source", "")
    return kept


def check_region(region: Region) -> None:
    """Check every table of ``region``; raise one :class:`InputDataError` listing all problems."""
    problems = check_neighbourhoods(region.neighbourhoods) + check_stock(
        region.stock, region.neighbourhoods
    )
    if region.candidates is not None:
        problems += check_candidate_sites(region.candidates, region.neighbourhoods)
    if region.placements is not None:
        problems += check_placements(region.placements, region.neighbourhoods)
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
    for col in ("inhabitants", "households"):
        values = pd.to_numeric(nb[col], errors="coerce").to_numpy(dtype=float)
        huge = np.isfinite(values) & (values > MAX_INHABITANTS)
        if huge.any():
            problems.append(
                f"{where}: {col}: more than {MAX_INHABITANTS:,} in one neighbourhood "
                f"({list(nb['code'][huge][:5])}); not a plausible count"
            )
    geom = nb.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        problems.append(f"{where}: geometry: empty in {list(nb['code'][empty][:5])}")
    not_area = ~empty & ~geom.geom_type.isin(["Polygon", "MultiPolygon"])
    if not_area.any():
        problems.append(
            f"{where}: geometry: not a polygon in {list(nb['code'][not_area][:5])} "
            f"({', '.join(sorted(set(geom[not_area].geom_type)))}); a neighbourhood is an area"
        )
    invalid = ~empty & ~not_area & ~geom.is_valid
    if invalid.any():
        problems.append(f"{where}: geometry: invalid polygons in {list(nb['code'][invalid][:5])}")
    # Area in the file's own units: only whether it is above zero counts here.
    flat = ~empty & ~not_area & ~invalid & ~(shapely.area(geom.to_numpy()) > 0)
    if flat.any():
        problems.append(f"{where}: geometry: no area in {list(nb['code'][flat][:5])}")
    good = ~empty & ~not_area & ~invalid
    if nb.crs == CRS and good.any():
        outside = outside_netherlands(nb) & good.to_numpy()
        if outside.any():
            codes = list(nb["code"][outside][:5])
            problems.append(
                f"{where}: geometry: {int(outside.sum())} neighbourhoods lie outside the "
                f"Netherlands ({codes}); {SWAPPED_HINT}"
            )
    return problems


def check_stock(stock: pd.DataFrame, nb: pd.DataFrame) -> list[str]:
    """Stock rows refer to known neighbourhoods and types and have whole units ≥ 0; ``places``
    (optional, per unit; empty for the type's default) is a number > 0."""
    where = stock.attrs.get("source", "stock")
    problems = [
        *_unknown_neighbourhoods(
            stock, nb, where, why="stock must be in a planned neighbourhood", rows=False
        ),
        *_unknown_types(stock, where, rows=False),
        *_not_whole(stock, "units", where),
    ]
    if "places" in stock.columns:
        given = stock["places"].notna().to_numpy()
        values = pd.to_numeric(stock["places"], errors="coerce").to_numpy(dtype=float)
        bad = given & ~(np.isfinite(values) & (values > 0))
        if bad.any():
            problems.append(
                f"{where}: places: must be a number > 0 per unit, or empty for the type's "
                f"default ({_lines(bad)})"
            )
    return problems


def check_candidate_sites(sites: pd.DataFrame, nb: pd.DataFrame) -> list[str]:
    """Candidate sites as stock (known neighbourhoods and types, whole ``max_units`` ≥ 0), and
    at most one row per neighbourhood and type."""
    where = sites.attrs.get("source", "candidate sites")
    problems = [
        *_unknown_neighbourhoods(
            sites, nb, where, why="candidate sites must be planned neighbourhoods"
        ),
        *_unknown_types(sites, where),
        *_not_whole(sites, "max_units", where),
    ]
    duplicated = sites.duplicated(["neighbourhood", "type"], keep=False).to_numpy()
    if duplicated.any():
        problems.append(
            f"{where}: neighbourhood, type: the same pair on more than one row "
            f"({_lines(duplicated)}); give each candidate site and type once"
        )
    return problems


def check_placements(placements: pd.DataFrame, nb: pd.DataFrame) -> list[str]:
    """Placements: known sites, origins, types and segment labels; children finite and ≥ 0."""
    where = placements.attrs.get("source", "placements")
    problems = []
    for column in ("site", "origin"):
        codes = placements[column].fillna("").astype(str)
        unknown = ~codes.isin(set(nb["code"])).to_numpy()
        if unknown.any():
            problems.append(
                f"{where}: {column}: unknown neighbourhood codes "
                f"{_named(codes[unknown], list(nb['code']))} ({_lines(unknown)}); placements "
                "must be in the planned region"
            )
    for column, valid in (
        ("type", FACILITY_TYPES),
        ("reason", REASONS),
        ("support_need", SUPPORT_NEEDS),
        ("age_band", AGE_BAND_IDS),
    ):
        values = placements[column].fillna("").astype(str)
        unknown = ~values.isin(valid).to_numpy()
        if unknown.any():
            problems.append(
                f"{where}: {column}: unknown values {_named(values[unknown], list(valid))} "
                f"({_lines(unknown)}); expected one of {', '.join(valid)}"
            )
    children = pd.to_numeric(placements["children"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(children) | (children < 0)
    if bad.any():
        problems.append(f"{where}: children: must be numbers ≥ 0 ({_lines(bad)})")
    return problems


def _lines(mask: np.ndarray) -> str:
    """ "row 4" or "rows 4, 7, 9": the file lines where ``mask`` holds (line 1 is the header),
    the first five, and how many more.

    Examples
    --------
    >>> _lines(np.array([False, False, True])), _lines(np.arange(9) > 0)
    ('row 4', 'rows 3, 4, 5, 6, 7 and 3 more')
    """
    lines = [str(int(r) + 2) for r in np.flatnonzero(mask)]
    more = f" and {len(lines) - 5} more" if len(lines) > 5 else ""
    return ("row " if len(lines) == 1 else "rows ") + ", ".join(lines[:5]) + more


def _named(values: Iterable[str], known: Sequence[str]) -> str:
    """Quoted values, each with "did you mean" when one of ``known`` is close."""
    parts = []
    for value in sorted(set(values))[:10]:
        close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
        parts.append(f"'{value}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    return ", ".join(parts)


def _unknown_neighbourhoods(
    table: pd.DataFrame, nb: pd.DataFrame, where: str, *, why: str, rows: bool = True
) -> list[str]:
    # Rows are left out for a previous run's stock: its zero rows were dropped, so positions
    # are not the file's lines.
    codes = table["neighbourhood"].fillna("").astype(str)
    unknown = ~codes.isin(set(nb["code"])).to_numpy()
    if not unknown.any():
        return []
    at = f" ({_lines(unknown)})" if rows else ""
    return [f"{where}: neighbourhood: unknown codes {_named(codes[unknown], [])}{at}; {why}"]


def _unknown_types(table: pd.DataFrame, where: str, *, rows: bool = True) -> list[str]:
    types = table["type"].fillna("").astype(str)
    unknown = ~types.isin(FACILITY_TYPES).to_numpy()
    if not unknown.any():
        return []
    at = f" ({_lines(unknown)})" if rows else ""
    return [
        f"{where}: type: unknown types {_named(types[unknown], FACILITY_TYPES)}{at}; "
        f"expected one of {', '.join(FACILITY_TYPES)}"
    ]


def _not_whole(table: pd.DataFrame, column: str, where: str) -> list[str]:
    values = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values))
    problems = []
    if bad.any():
        problems.append(f"{where}: {column}: must be whole numbers ≥ 0 ({_lines(bad)})")
    huge = ~bad & (values > MAX_UNITS_PER_ROW)
    if huge.any():
        problems.append(
            f"{where}: {column}: more than {MAX_UNITS_PER_ROW:,} units in one neighbourhood "
            f"({_lines(huge)}); not a plausible number"
        )
    return problems
