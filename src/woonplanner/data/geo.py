"""Coordinate checks shared by the geodata adapters (neighbourhoods, jeugdregio polygons,
schools): files without a CRS, files with no features, coordinates outside the Netherlands."""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np

from woonplanner.errors import InputDataError

#: The Netherlands in RD New (EPSG:28992), metres, with a margin for the sea and the islands.
NL_BOUNDS_RD = (-7_000.0, 289_000.0, 300_000.0, 629_000.0)


class GeodataWarning(UserWarning):
    """A geodata file that is odd but readable (no CRS, read as RD New)."""


def no_features(path: Path, what: str) -> InputDataError:
    """The error for a file (an empty FeatureCollection, an empty layer) without features."""
    return InputDataError(f"{path}: no features: the {what} file holds no geometries")


def with_crs(gdf: gpd.GeoDataFrame, path: Path, what: str) -> gpd.GeoDataFrame:
    """``gdf`` with its CRS set when the file gave none (or GDAL assumed WGS84).

    GeoJSON is WGS84 by definition, so longitude / latitude coordinates are read as such; but
    older Dutch GeoJSON often holds RD New metres without saying so: coordinates in the range of
    RD New are read as EPSG:28992, with a warning. Anything else cannot be placed (exit 2).
    """
    # GDAL reads every GeoJSON as WGS84, CRS member or not: degrees that are no degrees tell.
    geographic = gdf.crs is None or gdf.crs.is_geographic
    if not geographic or len(gdf) == 0 or gdf.geometry.isna().all():
        return gdf if gdf.crs is not None else gdf.set_crs("EPSG:4326")
    x0, y0, x1, y1 = (float(v) for v in gdf.total_bounds)
    if not np.isfinite([x0, y0, x1, y1]).all():
        msg = f"{path}: geometry: coordinates are not finite numbers"
        raise InputDataError(msg)
    if x0 >= -180 and x1 <= 180 and y0 >= -90 and y1 <= 90:
        return gdf if gdf.crs is not None else gdf.set_crs("EPSG:4326")
    rx0, ry0, rx1, ry1 = NL_BOUNDS_RD
    if rx0 <= x0 and x1 <= rx1 and ry0 <= y0 and y1 <= ry1:
        warnings.warn(
            f"{path}: no coordinate system given; the coordinates are RD New metres, so the "
            f"{what} file is read as EPSG:28992",
            GeodataWarning,
            stacklevel=2,
        )
        return gdf.set_crs("EPSG:28992", allow_override=True)
    msg = (
        f"{path}: geometry: no projected coordinate system given, and the coordinates ({x0:.6g} … "
        f"{x1:.6g}, {y0:.6g} … {y1:.6g}) are neither longitude / latitude nor RD New metres; "
        "save the file with its CRS"
    )
    raise InputDataError(msg)


def outside_netherlands(gdf_rd: gpd.GeoDataFrame) -> np.ndarray:
    """Rows of ``gdf_rd`` (EPSG:28992) whose geometry is not within the Netherlands' bounds."""
    geom = gdf_rd.geometry
    present = ~(geom.isna() | geom.is_empty).to_numpy()
    out = np.zeros(len(gdf_rd), dtype=bool)
    if not present.any():
        return out
    b = geom[present].bounds
    x0, y0, x1, y1 = NL_BOUNDS_RD
    far = (b["minx"] < x0) | (b["maxx"] > x1) | (b["miny"] < y0) | (b["maxy"] > y1)
    far |= ~np.isfinite(b.to_numpy()).all(axis=1)
    out[present] = far.to_numpy()
    return out


SWAPPED_HINT = (
    "are latitude and longitude swapped, or is the file in another coordinate system than it says?"
)
