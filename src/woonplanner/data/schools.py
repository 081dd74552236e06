"""Schools from a points file (GeoJSON / GeoPackage), typed primary or secondary.

A child's school is taken as the nearest school of its age's type (SPEC §3), so all this adapter
needs is a name, a type and a point. Source files name the type in their own words (DUO's
``basisschool`` / ``middelbaar``, ``po`` / ``vo`` …); :data:`DEFAULT_TYPE_MAP` translates the
usual ones and ``type_map`` adds others.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from woonplanner.data.geo import SWAPPED_HINT, no_features, outside_netherlands, with_crs
from woonplanner.errors import InputDataError, raise_if_problems
from woonplanner.schema import CRS, SCHOOL_COLUMNS

SCHOOL_TYPES = ("primary", "secondary")

#: Source type (compared case-insensitively, stripped) → school type.
DEFAULT_TYPE_MAP: dict[str, str] = {
    "primary": "primary",
    "basisschool": "primary",
    "basisonderwijs": "primary",
    "po": "primary",
    "bao": "primary",
    "secondary": "secondary",
    "middelbaar": "secondary",
    "middelbare school": "secondary",
    "voortgezet onderwijs": "secondary",
    "vo": "secondary",
}

#: Attribute names accepted for the school's name, in order of preference.
NAME_COLUMNS = ("name", "naam", "vestigingsnaam", "instellingsnaam")


def load_schools(
    path: str | Path,
    *,
    type_column: str = "type",
    type_map: Mapping[str, str] | None = None,
    name_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Read school locations and their type.

    Parameters
    ----------
    path
        GeoJSON or GeoPackage of points, e.g. ``alkmaar_schools_duo_geocoded_2026.geojson``
        (``name``, ``type`` = ``basisschool`` | ``middelbaar``). A file without a CRS is read
        as WGS84 (the GeoJSON standard).
    type_column
        Attribute holding the school type.
    type_map
        Extra source type → ``"primary"`` | ``"secondary"`` translations, on top of (and
        overriding) :data:`DEFAULT_TYPE_MAP`; keys are compared case-insensitively.
    name_column
        Attribute holding the name; by default the first of :data:`NAME_COLUMNS` present.

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`~woonplanner.schema.SCHOOL_COLUMNS` and point geometry in EPSG:28992.

    Raises
    ------
    InputDataError
        Missing file or columns, unknown types, non-point or missing geometry (all problems
        found, in one message).
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: schools file not found"
        raise InputDataError(msg)
    try:
        raw = gpd.read_file(path)
    except Exception as exc:  # GDAL errors differ by driver; all mean the file is unusable
        msg = f"{path}: cannot read as GeoJSON / GeoPackage: {exc}"
        raise InputDataError(msg) from exc

    if len(raw) == 0:
        raise no_features(path, "schools")
    problems: list[str] = []
    if type_column not in raw.columns:
        problems.append(
            f"{path}: column {type_column!r} missing (the school type: primary / secondary); "
            f"columns are {', '.join(c for c in raw.columns if c != 'geometry')}"
        )
    candidates = (name_column,) if name_column else NAME_COLUMNS
    name_source = next((c for c in candidates if c in raw.columns), None)
    if name_source is None:
        problems.append(
            f"{path}: column for the school name missing: expected "
            f"{' or '.join(repr(c) for c in candidates)}"
        )
    for target in (type_map or {}).values():
        if target not in SCHOOL_TYPES:
            problems.append(
                f"type_map: {target!r} is not a school type; use {' or '.join(SCHOOL_TYPES)}"
            )
    raise_if_problems(problems, InputDataError, header=f"{path}: invalid schools file")

    mapping = {k.casefold(): v for k, v in DEFAULT_TYPE_MAP.items()}
    mapping.update({str(k).strip().casefold(): v for k, v in (type_map or {}).items()})
    source_type = raw[type_column].astype("string").str.strip()
    school_type = source_type.str.casefold().map(mapping)
    unknown = source_type[school_type.isna()]
    if len(unknown):
        values = ", ".join(repr(v) for v in pd.unique(unknown.fillna("<empty>"))[:8])
        problems.append(
            f"{path}: column {type_column!r}: {len(unknown)} school(s) of unknown type "
            f"({values}); expected primary / secondary or one of "
            f"{', '.join(sorted(DEFAULT_TYPE_MAP))} — pass type_map to translate others"
        )
    geometry = raw.geometry
    missing_geometry = geometry.isna() | geometry.is_empty
    if missing_geometry.any():
        problems.append(f"{path}: {int(missing_geometry.sum())} school(s) without a location")
    not_point = ~missing_geometry & (geometry.geom_type != "Point")
    if not_point.any():
        kinds = ", ".join(sorted(set(geometry[not_point].geom_type)))
        problems.append(f"{path}: {int(not_point.sum())} location(s) are {kinds}, not points")
    raise_if_problems(problems, InputDataError, header=f"{path}: invalid schools file")

    assert name_source is not None  # checked above; for the type checker
    names = raw[name_source].astype("string").str.strip()
    # an unnamed school still counts as a school; give it a name that says where it came from
    fallback = pd.Series([f"school {i + 1}" for i in range(len(raw))], index=raw.index)
    schools = gpd.GeoDataFrame(
        {"name": names.fillna(fallback).astype(str), "type": school_type.astype(str)},
        geometry=geometry,
        crs=raw.crs,
    )
    schools = with_crs(schools, path, "schools").to_crs(CRS)
    far = outside_netherlands(schools)
    if far.any():
        msg = (
            f"{path}: {int(far.sum())} school(s) lie outside the Netherlands (first: "
            f"{list(schools['name'][far][:3])}); {SWAPPED_HINT}"
        )
        raise InputDataError(msg)
    return schools[[*SCHOOL_COLUMNS, "geometry"]].reset_index(drop=True)
