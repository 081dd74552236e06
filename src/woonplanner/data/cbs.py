"""CBS Wijk- en Buurtkaart adapter, jeugdregio membership and a youth-care index per gemeente.

The Wijk- en Buurtkaart (CBS, distributed by PDOK) gives one polygon per wijk or buurt with
inhabitants, households and the share of inhabitants per age band. This module turns it into the
neighbourhood table of :data:`woonplanner.schema.NEIGHBOURHOOD_COLUMNS`:

* attribute names are mapped through :data:`COLUMN_MAPPING`, which covers the files in
  ``../shared/data/nl`` (``wijkcode``, ``aantal_inwoners``, ``0_15`` …), PDOK's GeoPackage and
  OGC API (``aantal_inwoners``, ``percentage_personen_0_tot_15_jaar`` …) and PDOK's WFS
  (``aantalInwoners``, ``percentagePersonen0Tot15Jaar`` …);
* PDOK's negative sentinels (``-99995`` geheim, ``-99997`` onbekend …) and absent keys are
  missing values; "Groot water" without inhabitants and "Buitenland" (``GM0998``) are dropped;
* children aged 0-3, 4-11 and 12-17 are estimated from the 0-14 and 15-24 percentages (see
  ``docs/data-cbs.md``);
* each gemeente gets its jeugdregio from a membership table or from an overlay of the wijken's
  representative points on the jeugdregio polygons.

The parsed file is cached in-process (keyed by path, size and modification time) because a
batch run over the 42 jeugdregio's reads the same national file once per region.
"""

from __future__ import annotations

import csv
import difflib
import functools
import logging
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from woonplanner.data.geo import no_features, with_crs
from woonplanner.errors import InputDataError, InputWarning, ScenarioError, raise_if_problems
from woonplanner.schema import CRS, NEIGHBOURHOOD_COLUMNS

logger = logging.getLogger(__name__)

#: Column mapping of the Wijk- en Buurtkaart: for each internal column, the source attribute
#: names in order of preference (the first one present in the file is used). ``buurtcode``
#: comes before ``wijkcode`` because a buurt file carries both and its rows are buurten.
COLUMN_MAPPING: dict[str, tuple[str, ...]] = {
    # identifiers: shared-data files, PDOK GeoPackage / OGC API and PDOK WFS use the same names
    "code": ("buurtcode", "wijkcode"),
    "name": ("buurtnaam", "wijknaam"),
    "gemeente": ("gemeentecode",),
    "gemeente_name": ("gemeentenaam",),
    # optional: a file that already carries its jeugdregio needs no membership table
    "jeugdregio": ("jeugdregiocode",),
    # persons (absolute counts)
    "inhabitants": ("aantal_inwoners", "aantalInwoners"),
    # private households (absolute count) and average household size (persons)
    "households": ("huishoudens", "aantal_huishoudens", "aantalHuishoudens"),
    "household_size": (
        "gem_huishouden_grootte",
        "gemiddelde_huishoudsgrootte",
        "gemiddeldeHuishoudsgrootte",
    ),
    # whole-number percentages of inhabitants aged 0-14 and 15-24
    "pct_0_15": ("0_15", "percentage_personen_0_tot_15_jaar", "percentagePersonen0Tot15Jaar"),
    "pct_15_25": ("15_25", "percentage_personen_15_tot_25_jaar", "percentagePersonen15Tot25Jaar"),
    # optional: PDOK marks water areas with water = "JA"
    "water": ("water",),
}

_REQUIRED = ("code", "name", "gemeente", "gemeente_name", "inhabitants", "pct_0_15", "pct_15_25")
_NUMERIC = ("inhabitants", "households", "household_size", "pct_0_15", "pct_15_25")

#: Share of the 0-14 band per plan age band, assuming the 15 single years are equally large.
_SHARE_OF_0_14 = {"0_3": 4 / 15, "4_11": 8 / 15, "12_14": 3 / 15}
#: Share of the 15-24 band aged 15-17 (3 of its 10 single years).
_SHARE_15_17_OF_15_24 = 3 / 10
#: Share of the 15-24 band aged 15-22: CBS counts youth care for young people below 23.
_SHARE_15_22_OF_15_24 = 8 / 10

_FLAGS = ("_pct_from_gemeente", "_pct_from_national", "_households_estimated")
_BUITENLAND_GEMEENTE = "GM0998"
_GEMEENTE_RE = re.compile(r"^GM\d{4}$")
_JEUGDREGIO_RE = re.compile(r"^JZ\d{2}$")

#: File names looked for in a data folder (first match wins; patterns are globs). The keys are
#: the scenario's ``data.*`` settings, so a scenario can fill what it does not set from here.
DATA_FILE_PATTERNS: dict[str, tuple[str, ...]] = {
    "neighbourhoods": (
        "wijken_2024_geoinzicht.geojson",
        "wijken*.geojson",
        "wijken*.gpkg",
        "wijkenbuurten*.gpkg",
    ),
    "buurten": ("buurten*.geojson", "buurten*.gpkg", "wijkenbuurten*.gpkg"),
    "membership": ("gemeente_jeugdregio*.csv",),
    "jeugdregio_polygons": ("jeugdregio*.geojson", "jeugdregio*.gpkg"),
    "youth_care_index": ("gemeenten_kwb*.csv",),
    "schools": ("*schools*.geojson", "*scholen*.geojson", "*schools*.gpkg", "*scholen*.gpkg"),
}


# --------------------------------------------------------------------------------------------
# data folder
# --------------------------------------------------------------------------------------------


def default_data_files(data_dir: str | Path) -> dict[str, Path | None]:
    """Name the files of a data folder such as ``../shared/data/nl``.

    Parameters
    ----------
    data_dir
        Folder holding the Wijk- en Buurtkaart and its companions.

    Returns
    -------
    dict
        ``neighbourhoods`` (the wijken), ``buurten``, ``membership``, ``jeugdregio_polygons``,
        ``youth_care_index`` and ``schools``, each the first file matching
        :data:`DATA_FILE_PATTERNS` or ``None`` when the folder has none. Only
        ``neighbourhoods`` (or ``buurten``) is needed to plan; a jeugdregio also needs
        ``membership`` or ``jeugdregio_polygons``; the rest is optional.

    Raises
    ------
    InputDataError
        When ``data_dir`` is not a folder.
    """
    folder = Path(data_dir)
    if not folder.is_dir():
        where = "" if folder.is_absolute() else f" (from {Path.cwd()}: {folder.resolve()})"
        msg = (
            f"{folder}: data folder not found{where}; pass the folder that holds the CBS files "
            "(docs/data-cbs.md)"
        )
        raise InputDataError(msg)
    found: dict[str, Path | None] = {}
    for role, patterns in DATA_FILE_PATTERNS.items():
        found[role] = None
        for pattern in patterns:
            matches = sorted(p for p in folder.glob(pattern) if p.is_file())
            if matches:
                found[role] = matches[0]
                break
    return found


def _missing_file_message(folder: Path, role: str) -> str:
    patterns = ", ".join(DATA_FILE_PATTERNS[role])
    msg = f"{folder}: no {role} file (looked for {patterns})"
    # The shared data folder holds the CBS files one level down (nl/): say so.
    below = sorted(
        sub
        for sub in (folder.iterdir() if folder.is_dir() else ())
        if sub.is_dir() and any(any(sub.glob(p)) for p in DATA_FILE_PATTERNS[role])
    )
    if below:
        msg += f"; {below[0]} has one: did you mean --data-dir {below[0]}?"
    return msg


# --------------------------------------------------------------------------------------------
# reading the Wijk- en Buurtkaart
# --------------------------------------------------------------------------------------------


def _file_key(path: Path) -> tuple[str, int, int]:
    """Cache key of a file: resolved path, size and modification time."""
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _list_layers(key: tuple[str, int, int]) -> tuple[str, ...]:
    try:
        return tuple(str(name) for name, _ in pyogrio.list_layers(key[0]))
    except Exception as exc:  # pyogrio raises several GDAL error types; all mean "unreadable"
        msg = f"{key[0]}: cannot read as GeoJSON / GeoPackage: {exc}"
        raise InputDataError(msg) from exc


def _choose_layer(path: Path, layer: str | None, level: str) -> str | None:
    """Pick the layer of a multi-layer file (PDOK's GeoPackage has gemeenten, wijken, buurten)."""
    if layer is not None:
        return layer
    # GeoJSON holds one layer; listing it would parse the whole file again
    if path.suffix.lower() in (".geojson", ".json"):
        return None
    layers = _list_layers(_file_key(path))
    if len(layers) <= 1:
        return None
    wanted = "wijken" if level == "wijk" else "buurten"
    for name in layers:
        if name.lower() == wanted or name.lower().startswith(wanted):
            return name
    msg = f"{path}: has layers {', '.join(layers)}; say which one holds the {level}en (layer=...)"
    raise InputDataError(msg)


def _resolve_columns(
    path: Path, fields: Iterable[str], overrides: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Map internal column -> source attribute, collecting a problem per required column."""
    available = set(fields)
    chosen: dict[str, str] = {}
    problems: list[str] = []
    unknown = sorted(set(overrides) - set(COLUMN_MAPPING))
    if unknown:
        problems.append(
            f"{path}: unknown column mapping key(s) {', '.join(unknown)}; "
            f"known: {', '.join(COLUMN_MAPPING)}"
        )
    for column, aliases in COLUMN_MAPPING.items():
        candidates = (overrides[column],) if column in overrides else aliases
        source = next((c for c in candidates if c in available), None)
        if source is not None:
            chosen[column] = source
        elif column in _REQUIRED:
            problems.append(
                f"{path}: column {column!r} missing: expected an attribute named "
                f"{' or '.join(repr(c) for c in candidates)}"
            )
    if "households" not in chosen and "household_size" not in chosen:
        problems.append(
            f"{path}: column 'households' missing: expected an attribute named "
            f"{' or '.join(repr(c) for c in COLUMN_MAPPING['households'])} (or an average "
            "household size to estimate it from)"
        )
    return chosen, problems


def _clean_numeric(frame: pd.DataFrame, path: Path, problems: list[str]) -> None:
    """Make the numeric columns float, with PDOK's negative sentinels as missing values."""
    for column in _NUMERIC:
        if column not in frame:
            continue
        raw = frame[column]
        values = pd.to_numeric(raw, errors="coerce")
        bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
        if bad.any():
            examples = ", ".join(repr(v) for v in raw[bad].astype(str).unique()[:3])
            problems.append(
                f"{path}: column {column!r}: {int(bad.sum())} value(s) are not numbers "
                f"(e.g. {examples})"
            )
        # counts and percentages cannot be negative: every negative value is a CBS/PDOK code
        # for "geheim" or "onbekend" (-99995, -99997, ...), so it is a missing value
        frame[column] = values.astype(float).where(values >= 0)


def _fix_geometries(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Repair the few self-intersecting polygons of the simplified files (polygons only)."""
    invalid = ~gdf.geometry.is_valid
    if invalid.any():
        fixed = shapely.make_valid(
            gdf.geometry[invalid].to_numpy(), method="structure", keep_collapsed=False
        )
        gdf.loc[invalid, "geometry"] = fixed
    return gdf


def _weighted_by_gemeente(
    value: pd.Series, weight: pd.Series, gemeente: pd.Series
) -> tuple[pd.Series, float]:
    """Weighted mean of ``value`` per gemeente and nationally, over rows where it is known."""
    known = value.notna() & (weight > 0)
    numerator = (value * weight).where(known).groupby(gemeente).sum()
    denominator = weight.where(known).groupby(gemeente).sum()
    per_gemeente = (numerator / denominator.replace(0, np.nan)).dropna()
    total = float(denominator.sum())
    national = float(numerator.sum()) / total if total > 0 else float("nan")
    return per_gemeente, national


def _impute_from_gemeente(
    frame: pd.DataFrame, column: str, weight: pd.Series
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Fill missing values of ``column`` by the weighted value of the rest of the gemeente.

    Returns the filled series and two masks: rows filled from their gemeente and rows filled
    from the national value (a gemeente where every row is missing).
    """
    value = frame[column]
    per_gemeente, national = _weighted_by_gemeente(value, weight, frame["gemeente"])
    missing = value.isna()
    from_gemeente = frame["gemeente"].map(per_gemeente)
    filled = value.fillna(from_gemeente)
    national_mask = filled.isna() & missing
    filled = filled.fillna(national)
    return filled, missing & ~national_mask, national_mask


@functools.lru_cache(maxsize=8)
def _read_neighbourhood_file(
    key: tuple[str, int, int], layer: str | None, overrides: tuple[tuple[str, str], ...]
) -> gpd.GeoDataFrame:
    """Read, clean and estimate one Wijk- en Buurtkaart file (cached; callers copy)."""
    path = Path(key[0])
    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception as exc:  # GDAL errors differ by driver; all mean the file is unusable
        msg = f"{path}: cannot read as GeoJSON / GeoPackage: {exc}"
        raise InputDataError(msg) from exc
    if info.get("features") == 0:
        raise no_features(path, "neighbourhoods")
    chosen, problems = _resolve_columns(path, info["fields"], dict(overrides))
    raise_if_problems(problems, InputDataError, header=f"{path}: not a Wijk- en Buurtkaart")

    # reading only the mapped attributes keeps the national file at a few tenths of a second
    gdf = gpd.read_file(path, layer=layer, columns=list(dict.fromkeys(chosen.values())))
    gdf = gdf.rename(columns={source: column for column, source in chosen.items()})

    for column in ("code", "name", "gemeente", "gemeente_name", "jeugdregio", "water"):
        if column in gdf:
            gdf[column] = gdf[column].astype("string").str.strip()
    _clean_numeric(gdf, path, problems)

    code = gdf["code"]
    if code.isna().any() or (code == "").any():
        problems.append(f"{path}: column {chosen['code']!r}: {int(code.isna().sum())} empty codes")
    duplicated = code[code.duplicated() & code.notna()].unique()
    if len(duplicated):
        problems.append(
            f"{path}: column {chosen['code']!r} must be unique; duplicated: "
            f"{', '.join(map(str, duplicated[:5]))}{' …' if len(duplicated) > 5 else ''}"
        )
    bad_gemeente = gdf["gemeente"][~gdf["gemeente"].fillna("").str.match(_GEMEENTE_RE)]
    if len(bad_gemeente):
        problems.append(
            f"{path}: column {chosen['gemeente']!r} must hold codes like GM0361; got "
            f"{', '.join(repr(v) for v in bad_gemeente.astype(str).unique()[:3])}"
        )
    if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
        empty = gdf.loc[gdf.geometry.isna() | gdf.geometry.is_empty, "code"]
        problems.append(
            f"{path}: {len(empty)} feature(s) without geometry, e.g. "
            f"{', '.join(map(str, empty.head(3)))}"
        )
    raise_if_problems(problems, InputDataError, header=f"{path}: invalid Wijk- en Buurtkaart")

    # Buitenland is not a place in the Netherlands; water without inhabitants hosts no one
    buitenland = gdf["gemeente"] == _BUITENLAND_GEMEENTE
    is_water = gdf["name"].str.casefold() == "groot water"
    if "water" in gdf:
        is_water |= gdf["water"].str.upper() == "JA"
    no_inhabitants = gdf["inhabitants"].isna() | (gdf["inhabitants"] == 0)
    drop = buitenland | (is_water & no_inhabitants)
    gdf = gdf.loc[~drop.fillna(False)].copy()

    unknown_inhabitants = gdf["inhabitants"].isna()
    if unknown_inhabitants.any():
        logger.warning(
            "%s: %d neighbourhood(s) without a number of inhabitants are taken as empty",
            path,
            int(unknown_inhabitants.sum()),
        )
    inhabitants = gdf["inhabitants"].fillna(0.0)
    gdf["inhabitants"] = inhabitants

    # children: 0-14 and 15-24 counts from whole-number percentages; a suppressed percentage
    # takes the population-weighted value of the rest of its gemeente
    pct_0_15, gem_0, nat_0 = _impute_from_gemeente(gdf, "pct_0_15", inhabitants)
    pct_15_25, gem_15, nat_15 = _impute_from_gemeente(gdf, "pct_15_25", inhabitants)
    populated = inhabitants > 0
    gdf["_pct_from_gemeente"] = (gem_0 | gem_15) & populated
    gdf["_pct_from_national"] = (nat_0 | nat_15) & populated
    n_0_14 = inhabitants * pct_0_15 / 100.0
    n_15_24 = inhabitants * pct_15_25 / 100.0
    gdf["children_0_3"] = n_0_14 * _SHARE_OF_0_14["0_3"]
    gdf["children_4_11"] = n_0_14 * _SHARE_OF_0_14["4_11"]
    gdf["children_12_17"] = n_0_14 * _SHARE_OF_0_14["12_14"] + n_15_24 * _SHARE_15_17_OF_15_24

    # households: a missing count follows from the inhabitants and the household size (the
    # row's own average size when CBS published it, else its gemeente's)
    if "households" not in gdf:
        gdf["households"] = np.nan
    households = gdf["households"]
    missing_households = households.isna() & populated
    if missing_households.any():
        own_size = gdf.get("household_size", pd.Series(np.nan, index=gdf.index))
        with_both = households.notna() & (households > 0) & populated
        sums = gdf.loc[with_both].groupby("gemeente")[["inhabitants", "households"]].sum()
        gemeente_size = sums["inhabitants"] / sums["households"]
        national_size = (
            float(sums["inhabitants"].sum() / sums["households"].sum()) if len(sums) else 2.1
        )
        size = own_size.where(own_size > 0).fillna(gdf["gemeente"].map(gemeente_size))
        size = size.fillna(national_size)
        households = households.fillna(inhabitants / size)
    gdf["households"] = households.fillna(0.0)
    gdf["_households_estimated"] = missing_households

    gdf["inhabitants"] = gdf["inhabitants"].round().astype("int64")
    gdf["households"] = gdf["households"].round().astype("int64")

    # GeoJSON is WGS84 by definition; RD New metres without a CRS are recognised (a warning)
    gdf = _fix_geometries(with_crs(gdf, path, "neighbourhoods").to_crs(CRS))
    # jeugdregio is only present when the file carries it; flags feed the caller's warnings
    keep = [c for c in (*NEIGHBOURHOOD_COLUMNS, *_FLAGS) if c in gdf]
    out = gdf[[*keep, "geometry"]].sort_values("code", kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=CRS)


def clear_cache() -> None:
    """Forget every file read by :func:`load_neighbourhoods` and the overlays made from it."""
    for cached in (
        _read_neighbourhood_file,
        _overlay_cached,
        _list_layers,
        _load_membership_cached,
        _read_jeugdregio_polygons,
    ):
        cached.cache_clear()


# --------------------------------------------------------------------------------------------
# region membership
# --------------------------------------------------------------------------------------------


_MEMBERSHIP_MAPPING: dict[str, tuple[str, ...]] = {
    "gemeente": ("gemeentecode", "gemeente"),
    "gemeente_name": ("gemeentenaam", "gemeente_name"),
    "jeugdregio": ("jeugdregiocode", "jeugdregio", "statcode"),
    "jeugdregio_name": ("jeugdregionaam", "jeugdregio_name", "statnaam"),
}
MEMBERSHIP_COLUMNS = ("gemeente", "gemeente_name", "jeugdregio", "jeugdregio_name")


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        msg = f"{path}: file not found"
        raise InputDataError(msg)
    try:
        # sep=None sniffs "," or ";" (Dutch exports often use ";"); BOM-safe encoding
        return pd.read_csv(path, sep=None, engine="python", dtype=str, encoding="utf-8-sig")
    except UnicodeDecodeError:
        pass
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as exc:
        msg = f"{path}: cannot read as CSV: {exc}"
        raise InputDataError(msg) from exc
    # Excel's plain "CSV" is Windows-1252: read it, and say so.
    try:
        table = pd.read_csv(path, sep=None, engine="python", dtype=str, encoding="cp1252")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error) as exc:
        msg = f"{path}: cannot read as CSV (neither UTF-8 nor Windows-1252): {exc}"
        raise InputDataError(msg) from exc
    warnings.warn(
        f"{path}: not UTF-8; read as Windows-1252 (Excel's 'CSV'); save as 'CSV UTF-8' to be sure",
        InputWarning,
        stacklevel=2,
    )
    return table


def load_membership(path: str | Path) -> pd.DataFrame:
    """Read a gemeente → jeugdregio table.

    Parameters
    ----------
    path
        CSV with ``gemeentecode`` and ``jeugdregiocode`` (optionally ``gemeentenaam`` and
        ``jeugdregionaam``), such as ``gemeente_jeugdregio_2024_derived.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MEMBERSHIP_COLUMNS`, one row per gemeente.

    Raises
    ------
    InputDataError
        Listing every missing column, malformed code and duplicated gemeente.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: file not found"
        raise InputDataError(msg)
    return _load_membership_cached(_file_key(path)).copy()


@functools.lru_cache(maxsize=8)
def _load_membership_cached(key: tuple[str, int, int]) -> pd.DataFrame:
    path = Path(key[0])
    raw = _read_csv(path)
    problems: list[str] = []
    table = pd.DataFrame(index=raw.index)
    for column, aliases in _MEMBERSHIP_MAPPING.items():
        source = next((a for a in aliases if a in raw.columns), None)
        if source is None:
            if column in ("gemeente", "jeugdregio"):
                problems.append(
                    f"{path}: column {column!r} missing: expected "
                    f"{' or '.join(repr(a) for a in aliases)}"
                )
            continue
        table[column] = raw[source].astype("string").str.strip()
    raise_if_problems(problems, InputDataError, header=f"{path}: invalid membership table")
    for column, pattern, example in (
        ("gemeente", _GEMEENTE_RE, "GM0361"),
        ("jeugdregio", _JEUGDREGIO_RE, "JZ06"),
    ):
        bad = table.loc[~table[column].fillna("").str.match(pattern), column]
        if len(bad):
            shown = ", ".join(repr(v) for v in bad.astype(str).unique()[:3])
            problems.append(
                f"{path}: column {column!r}: {len(bad)} value(s) are not codes like {example} "
                f"(e.g. {shown})"
            )
    duplicated = table["gemeente"][table["gemeente"].duplicated()].unique()
    if len(duplicated):
        problems.append(f"{path}: gemeente(n) listed twice: {', '.join(map(str, duplicated[:5]))}")
    raise_if_problems(problems, InputDataError, header=f"{path}: invalid membership table")
    if "gemeente_name" not in table:
        table["gemeente_name"] = table["gemeente"]
    if "jeugdregio_name" not in table:
        table["jeugdregio_name"] = table["jeugdregio"]
    return table[list(MEMBERSHIP_COLUMNS)].reset_index(drop=True)


def load_jeugdregio_polygons(path: str | Path) -> gpd.GeoDataFrame:
    """Read the jeugdregio polygons (CBS gebiedsindeling: ``statcode``, ``statnaam``).

    Parameters
    ----------
    path
        GeoJSON or GeoPackage such as ``jeugdregio_2024_cartomap_wgs84.geojson``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``jeugdregio``, ``jeugdregio_name`` and the geometry in EPSG:28992.
    """
    path = Path(path)
    return _read_jeugdregio_polygons(_file_key(_existing(path))).copy()


def _existing(path: Path) -> Path:
    if not path.exists():
        msg = f"{path}: file not found"
        raise InputDataError(msg)
    return path


@functools.lru_cache(maxsize=4)
def _read_jeugdregio_polygons(key: tuple[str, int, int]) -> gpd.GeoDataFrame:
    path = Path(key[0])
    try:
        gdf = gpd.read_file(path)
    except Exception as exc:  # GDAL errors differ by driver; all mean the file is unusable
        msg = f"{path}: cannot read as GeoJSON / GeoPackage: {exc}"
        raise InputDataError(msg) from exc
    problems: list[str] = []
    renamed = {}
    for column in ("jeugdregio", "jeugdregio_name"):
        aliases = _MEMBERSHIP_MAPPING[column]
        source = next((a for a in aliases if a in gdf.columns), None)
        if source is None:
            problems.append(
                f"{path}: column {column!r} missing: expected "
                f"{' or '.join(repr(a) for a in aliases)}"
            )
        else:
            renamed[source] = column
    raise_if_problems(problems, InputDataError, header=f"{path}: invalid jeugdregio polygons")
    gdf = gdf.rename(columns=renamed)[["jeugdregio", "jeugdregio_name", "geometry"]]
    gdf["jeugdregio"] = gdf["jeugdregio"].astype("string").str.strip()
    if len(gdf) == 0:
        raise no_features(path, "jeugdregio polygons")
    gdf = _fix_geometries(with_crs(gdf, path, "jeugdregio polygons").to_crs(CRS))
    return gdf.sort_values("jeugdregio").reset_index(drop=True)


def overlay_membership(
    neighbourhoods: gpd.GeoDataFrame, jeugdregio_polygons: str | Path | gpd.GeoDataFrame
) -> pd.DataFrame:
    """Derive gemeente → jeugdregio by overlaying neighbourhood points on jeugdregio polygons.

    Each neighbourhood's representative point (always inside its polygon) votes for the
    jeugdregio it falls in, weighted by its inhabitants; a gemeente goes wholly to the
    jeugdregio with most of its inhabitants, because jeugdregio's consist of whole gemeenten.
    Points outside every (generalised) polygon, e.g. on the coast, take the nearest one.

    Parameters
    ----------
    neighbourhoods
        Polygons with ``gemeente``, ``gemeente_name`` and ``inhabitants``.
    jeugdregio_polygons
        Path of the polygons file or the frame from :func:`load_jeugdregio_polygons`.

    Returns
    -------
    pandas.DataFrame
        :data:`MEMBERSHIP_COLUMNS` plus ``share``: the gemeente's share of inhabitants that
        lies in the chosen jeugdregio (1.0 when it lies wholly inside).
    """
    if isinstance(jeugdregio_polygons, gpd.GeoDataFrame):
        regions = jeugdregio_polygons.to_crs(CRS)
    else:
        regions = load_jeugdregio_polygons(jeugdregio_polygons)
    points = gpd.GeoDataFrame(
        {
            "gemeente": neighbourhoods["gemeente"].to_numpy(),
            "gemeente_name": neighbourhoods["gemeente_name"].to_numpy(),
            # a tiny weight lets an empty neighbourhood count only where nothing else does
            "weight": neighbourhoods["inhabitants"].to_numpy(dtype=float) + 1e-6,
        },
        geometry=neighbourhoods.to_crs(CRS).representative_point().to_numpy(),
        crs=CRS,
    )
    region_cols = regions[["jeugdregio", "jeugdregio_name", "geometry"]]
    joined = gpd.sjoin(points, region_cols, how="left", predicate="within")
    joined = joined[~joined.index.duplicated(keep="first")]
    outside = joined["jeugdregio"].isna()
    if outside.any():
        nearest = gpd.sjoin_nearest(points.loc[outside], region_cols, how="left")
        nearest = nearest[~nearest.index.duplicated(keep="first")]
        joined.loc[outside, ["jeugdregio", "jeugdregio_name"]] = nearest[
            ["jeugdregio", "jeugdregio_name"]
        ].to_numpy()
    votes = joined.groupby(["gemeente", "jeugdregio"], as_index=False)["weight"].sum()
    totals = votes.groupby("gemeente")["weight"].transform("sum")
    votes["share"] = votes["weight"] / totals
    best = votes.sort_values(["gemeente", "share"], ascending=[True, False]).drop_duplicates(
        "gemeente"
    )
    names = points.drop_duplicates("gemeente").set_index("gemeente")["gemeente_name"]
    region_names = regions.drop_duplicates("jeugdregio").set_index("jeugdregio")["jeugdregio_name"]
    best["gemeente_name"] = best["gemeente"].map(names)
    best["jeugdregio_name"] = best["jeugdregio"].map(region_names)
    return best[[*MEMBERSHIP_COLUMNS, "share"]].reset_index(drop=True)


@functools.lru_cache(maxsize=8)
def _overlay_cached(
    neighbourhood_key: tuple[str, int, int],
    layer: str | None,
    overrides: tuple[tuple[str, str], ...],
    polygons_key: tuple[str, int, int],
) -> pd.DataFrame:
    national = _read_neighbourhood_file(neighbourhood_key, layer, overrides)
    return overlay_membership(national, _read_jeugdregio_polygons(polygons_key))


def list_jeugdregios(source: str | Path) -> pd.DataFrame:
    """List the jeugdregio's (code and name) of a data folder, membership table or polygons.

    Parameters
    ----------
    source
        A data folder (its membership table, else its jeugdregio polygons), a membership CSV,
        or a jeugdregio polygons file.

    Returns
    -------
    pandas.DataFrame
        Columns ``jeugdregio`` and ``jeugdregio_name`` sorted by code (42 rows for 2024).
    """
    source = Path(source)
    if source.is_dir():
        files = default_data_files(source)
        if files["membership"] is not None:
            source = files["membership"]
        elif files["jeugdregio_polygons"] is not None:
            source = files["jeugdregio_polygons"]
        else:
            msg = (
                f"{_missing_file_message(source, 'membership')}; "
                f"and {_missing_file_message(source, 'jeugdregio_polygons')}"
            )
            raise InputDataError(msg)
    if source.suffix.lower() == ".csv":
        table: pd.DataFrame = load_membership(source)
    else:
        table = pd.DataFrame(load_jeugdregio_polygons(source).drop(columns="geometry"))
    regions = table[["jeugdregio", "jeugdregio_name"]].drop_duplicates("jeugdregio")
    return regions.sort_values("jeugdregio").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# the public loader
# --------------------------------------------------------------------------------------------


def _brief(values: Iterable[str], limit: int = 12) -> str:
    values = list(values)
    shown = ", ".join(values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")


def _resolve_jeugdregio(
    wanted: str, membership: pd.DataFrame, source: str
) -> tuple[str | None, str | None]:
    """Return (code, None) for a known jeugdregio code or name, else (None, problem)."""
    regions = membership.drop_duplicates("jeugdregio")
    by_code = {str(c).upper(): str(c) for c in regions["jeugdregio"]}
    by_name = {
        str(n).casefold(): str(c)
        for c, n in zip(regions["jeugdregio"], regions["jeugdregio_name"], strict=True)
    }
    key = wanted.strip()
    if key.upper() in by_code:
        return by_code[key.upper()], None
    if key.casefold() in by_name:
        return by_name[key.casefold()], None
    return None, (
        f"unknown jeugdregio {wanted!r} (in {source}); valid codes: "
        f"{', '.join(sorted(by_code.values()))}"
    )


def _resolve_gemeenten(
    wanted: list[str], national: pd.DataFrame, source: Path
) -> tuple[list[str], list[str]]:
    """Map gemeente codes or names to codes; collect a problem per unknown one."""
    gemeenten = national.drop_duplicates("gemeente")[["gemeente", "gemeente_name"]]
    codes = {str(c).upper(): str(c) for c in gemeenten["gemeente"]}
    name_of = dict(zip(gemeenten["gemeente"], gemeenten["gemeente_name"], strict=True))
    names = {str(n).casefold(): str(c) for c, n in name_of.items()}
    resolved: list[str] = []
    unknown: list[str] = []
    for item in wanted:
        key = str(item).strip()
        if key.upper() in codes:
            resolved.append(codes[key.upper()])
        elif key.casefold() in names:
            resolved.append(names[key.casefold()])
        else:
            unknown.append(key)
    problems = []
    for item in unknown:
        close = difflib.get_close_matches(item.casefold(), list(names), n=1) or (
            difflib.get_close_matches(item.upper(), list(codes), n=1)
        )
        hint = ""
        if close:
            match = close[0]
            code = names.get(match) or codes.get(match)
            hint = f"; did you mean {code} ({name_of[code]})?"
        problems.append(
            f"unknown gemeente {item!r}: not in {source} ({len(codes)} gemeenten, "
            f"codes {min(codes.values())}…{max(codes.values())}){hint}"
        )
    return list(dict.fromkeys(resolved)), problems


def load_neighbourhoods(
    path_or_dir: str | Path,
    *,
    jeugdregio: str | None = None,
    gemeenten: list[str] | None = None,
    membership: str | Path | None = None,
    jeugdregio_polygons: str | Path | None = None,
    level: Literal["wijk", "buurt"] = "wijk",
    layer: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Load the neighbourhoods (wijken or buurten) of a region from the Wijk- en Buurtkaart.

    Parameters
    ----------
    path_or_dir
        A GeoJSON / GeoPackage of wijken or buurten, or a data folder (see
        :func:`default_data_files`): then its wijken (``level="wijk"``) or buurten file, and its
        membership table or jeugdregio polygons, are used.
    jeugdregio
        Keep only this jeugdregio (code such as ``"JZ06"`` or its name).
    gemeenten
        Keep only these gemeenten (codes such as ``"GM0361"`` or names). Give ``jeugdregio`` or
        ``gemeenten``, not both; give neither for the whole file.
    membership
        Gemeente → jeugdregio table (:func:`load_membership`). Takes precedence over polygons.
    jeugdregio_polygons
        Jeugdregio polygons to derive membership by overlay (:func:`overlay_membership`).
        Without ``membership`` and ``jeugdregio_polygons``, a ``jeugdregiocode`` attribute of
        the file is used, else the companion files in the file's (or the data) folder.
    level
        ``"wijk"`` or ``"buurt"``: which file of a data folder, and which layer of a
        multi-layer GeoPackage (PDOK's has ``wijken`` and ``buurten``), to read.
    layer
        Layer to read, overriding ``level``'s choice.
    columns
        Overrides of :data:`COLUMN_MAPPING`: internal column → source attribute name.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`~woonplanner.schema.NEIGHBOURHOOD_COLUMNS` and the polygons in EPSG:28992,
        one row per neighbourhood, sorted by code.

    Raises
    ------
    InputDataError
        Missing or unreadable files, missing columns, bad codes, unknown gemeenten or
        jeugdregio (every problem found, in one message).
    ScenarioError
        When both ``jeugdregio`` and ``gemeenten`` are given, or ``gemeenten`` is empty.
    """
    if jeugdregio is not None and gemeenten is not None:
        msg = "region: give either a jeugdregio or a list of gemeenten, not both"
        raise ScenarioError(msg)
    if gemeenten is not None and len(gemeenten) == 0:
        msg = "region.gemeenten: the list of gemeenten is empty"
        raise ScenarioError(msg)

    source = Path(path_or_dir)
    role = "neighbourhoods" if level == "wijk" else "buurten"
    if source.is_dir():
        files = default_data_files(source)
        if files[role] is None:
            raise InputDataError(_missing_file_message(source, role))
        path = files[role]
        assert path is not None  # for the type checker: checked just above
    elif source.is_file():
        path = source
        files = default_data_files(source.parent)
    else:
        msg = f"{source}: file or folder not found"
        raise InputDataError(msg)

    chosen_layer = _choose_layer(path, layer, level)
    overrides = tuple(sorted((columns or {}).items()))
    key = _file_key(path)
    national = _read_neighbourhood_file(key, chosen_layer, overrides)

    # membership: explicit table, explicit polygons, the file's own column, companion files
    if membership is not None:
        table = load_membership(membership)
        member_source = str(membership)
    elif jeugdregio_polygons is not None:
        polygons_key = _file_key(_existing(Path(jeugdregio_polygons)))
        table = _overlay_cached(key, chosen_layer, overrides, polygons_key)
        member_source = str(jeugdregio_polygons)
    elif "jeugdregio" in national and national["jeugdregio"].notna().all():
        table = (
            national[["gemeente", "gemeente_name", "jeugdregio"]]
            .drop_duplicates("gemeente")
            .assign(jeugdregio_name=lambda t: t["jeugdregio"])
        )
        member_source = str(path)
    elif files["membership"] is not None:
        table = load_membership(files["membership"])
        member_source = str(files["membership"])
    elif files["jeugdregio_polygons"] is not None:
        polygons_key = _file_key(files["jeugdregio_polygons"])
        table = _overlay_cached(key, chosen_layer, overrides, polygons_key)
        member_source = str(files["jeugdregio_polygons"])
    else:
        msg = (
            f"{path}: no jeugdregio membership: give membership= (a gemeente → jeugdregio "
            "table) or jeugdregio_polygons=, or put gemeente_jeugdregio*.csv or "
            "jeugdregio*.geojson next to the file"
        )
        raise InputDataError(msg)

    region_of = table.set_index("gemeente")["jeugdregio"]
    problems: list[str] = []
    selected = national.iloc[0:0]
    if jeugdregio is not None:
        code, problem = _resolve_jeugdregio(jeugdregio, table, member_source)
        if problem:
            problems.append(problem)
        else:
            members = set(table.loc[table["jeugdregio"] == code, "gemeente"])
            absent = sorted(members - set(national["gemeente"]))
            if absent:
                logger.warning(
                    "%s: %d gemeente(n) of %s in %s are not in this file: %s",
                    path,
                    len(absent),
                    code,
                    member_source,
                    _brief(absent),
                )
            selected = national.loc[national["gemeente"].isin(members)]
            if selected.empty:
                problems.append(f"jeugdregio {code}: none of its gemeenten are in {path}")
    elif gemeenten is not None:
        codes, gemeente_problems = _resolve_gemeenten(list(gemeenten), national, path)
        problems.extend(gemeente_problems)
        selected = national.loc[national["gemeente"].isin(codes)]
    else:
        selected = national
    raise_if_problems(problems, InputDataError, header="region selection")

    out = selected.copy()
    out["jeugdregio"] = out["gemeente"].map(region_of).astype("string")
    without = sorted(out.loc[out["jeugdregio"].isna(), "gemeente"].unique())
    if without:
        msg = (
            f"{member_source}: no jeugdregio for {len(without)} gemeente(n) of {path}: "
            f"{_brief(without)} (membership table of another year?)"
        )
        raise InputDataError(msg)

    n_gemeente = int(out["_pct_from_gemeente"].sum())
    n_national = int(out["_pct_from_national"].sum())
    if n_gemeente or n_national:
        logger.warning(
            "%s: age percentages suppressed for %d neighbourhood(s): took their gemeente's "
            "population-weighted value for %d and the national value for %d",
            path,
            n_gemeente + n_national,
            n_gemeente,
            n_national,
        )
    n_households = int(out["_households_estimated"].sum())
    if n_households:
        logger.warning(
            "%s: households missing for %d neighbourhood(s): estimated from inhabitants and "
            "the average household size",
            path,
            n_households,
        )
    for column in ("code", "name", "gemeente", "gemeente_name"):
        out[column] = out[column].astype(str)
    out["jeugdregio"] = out["jeugdregio"].astype(str)
    out = out[[*NEIGHBOURHOOD_COLUMNS, "geometry"]].reset_index(drop=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=CRS)


# --------------------------------------------------------------------------------------------
# youth-care index
# --------------------------------------------------------------------------------------------

_YOUTH_CARE_COLUMNS = (
    "gemeentecode",
    "aantal_inwoners",
    "pct_0_14",
    "pct_15_24",
    "pct_jongeren_met_jeugdzorg",
)


def load_youth_care_index(
    path: str | Path, *, gemeenten: Iterable[str] | None = None
) -> pd.DataFrame:
    """Index of youth-care use per gemeente: 1.0 is the national average.

    The index is the gemeente's share of young people (below 23) with youth care divided by
    the national share, the mean of all gemeenten weighted by their number of young people
    (inhabitants × (% 0-14 + 8/10 × % 15-24) / 100), so a gemeente with 20 % more youth care
    than the country has index 1.2.

    Parameters
    ----------
    path
        CSV with ``gemeentecode``, ``aantal_inwoners``, ``pct_0_14``, ``pct_15_24`` and
        ``pct_jongeren_met_jeugdzorg`` such as ``gemeenten_kwb2021_flat_derived.csv`` (CBS
        85039NED, 2021).
    gemeenten
        Gemeente codes to return (e.g. those of a 2024 region). Gemeenten without a value in
        the file, mostly gemeenten formed by a merger after the file's year, get 1.0; how many
        is logged and listed in ``result.attrs["gemeenten_without_value"]``.

    Returns
    -------
    pandas.DataFrame
        Columns ``gemeente`` and ``youth_care_index``.
    """
    path = Path(path)
    raw = _read_csv(path)
    problems = [
        f"{path}: column {column!r} missing" for column in _YOUTH_CARE_COLUMNS if column not in raw
    ]
    raise_if_problems(problems, InputDataError, header=f"{path}: invalid youth-care table")
    table = pd.DataFrame({"gemeente": raw["gemeentecode"].astype("string").str.strip()})
    for column in _YOUTH_CARE_COLUMNS[1:]:
        values = pd.to_numeric(raw[column], errors="coerce")
        bad = values.isna() & raw[column].notna()
        if bad.any():
            problems.append(f"{path}: column {column!r}: {int(bad.sum())} value(s) are not numbers")
        negative = values < 0
        if negative.any():
            problems.append(f"{path}: column {column!r}: {int(negative.sum())} negative value(s)")
        table[column] = values
    share = table["pct_jongeren_met_jeugdzorg"]
    if (share > 100).any():
        problems.append(f"{path}: column 'pct_jongeren_met_jeugdzorg' must be a percentage ≤ 100")
    raise_if_problems(problems, InputDataError, header=f"{path}: invalid youth-care table")

    young = table["aantal_inwoners"] * (
        table["pct_0_14"] + _SHARE_15_22_OF_15_24 * table["pct_15_24"]
    )
    known = share.notna() & young.notna() & (young > 0)
    national_share = float((share * young)[known].sum() / young[known].sum())
    table["youth_care_index"] = share / national_share
    index = table.loc[table["youth_care_index"].notna(), ["gemeente", "youth_care_index"]]
    index = index.drop_duplicates("gemeente")

    if gemeenten is None:
        return index.reset_index(drop=True)
    wanted = pd.DataFrame({"gemeente": list(dict.fromkeys(str(g) for g in gemeenten))})
    result = wanted.merge(index, on="gemeente", how="left")
    missing = result.loc[result["youth_care_index"].isna(), "gemeente"].tolist()
    result["youth_care_index"] = result["youth_care_index"].fillna(1.0)
    if missing:
        logger.warning(
            "%s: no youth-care value for %d of %d gemeente(n) (new codes after a merger?); "
            "they get index 1.0: %s",
            path,
            len(missing),
            len(result),
            _brief(missing),
        )
    result.attrs["gemeenten_without_value"] = missing
    return result
