"""Travel distances between children's homes or schools and candidate sites.

Every neighbourhood is represented by a point inside its polygon (shapely's
``representative_point``). A child's *anchor* is the nearest school of its age's type to its
home point, or the home point itself when the age band has no school or no schools are given.
Distances are straight lines in RD New (metres) × a detour factor, in km. Within one
neighbourhood the distance is never taken below the mean distance from the centre of a disc of
the neighbourhood's area to a point in it (2/3 of its radius), so that "same neighbourhood" does
not count as zero km.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from woonplanner.schema import AGE_BANDS


def representative_points(neighbourhoods: gpd.GeoDataFrame) -> pd.DataFrame:
    """``code, x, y, local_km``: a point inside each polygon and its within-neighbourhood km."""
    points = neighbourhoods.geometry.representative_point()
    radius_m = np.sqrt(neighbourhoods.geometry.area.to_numpy() / np.pi)
    return pd.DataFrame(
        {
            "code": neighbourhoods["code"].to_numpy(),
            "x": points.x.to_numpy(),
            "y": points.y.to_numpy(),
            "local_km": (2.0 / 3.0) * radius_m / 1000.0,
        }
    )


def school_anchors(points: pd.DataFrame, schools: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Per neighbourhood and age band, the anchor point children are kept near.

    Returns
    -------
    DataFrame
        ``code, age_band, x, y, at_home`` (``at_home``: no school of that type, anchor = home).
    """
    frames = []
    for band, _first, _last, school_type in AGE_BANDS:
        xy = points[["x", "y"]].to_numpy()
        at_home = np.ones(len(points), dtype=bool)
        if school_type is not None and schools is not None and len(schools):
            of_type = schools[schools["type"] == school_type]
            if len(of_type):
                sxy = np.column_stack([of_type.geometry.x, of_type.geometry.y])
                d = _pairwise_m(xy, sxy)
                xy = sxy[np.argmin(d, axis=1)]
                at_home[:] = False
        frames.append(
            pd.DataFrame(
                {
                    "code": points["code"].to_numpy(),
                    "age_band": band,
                    "x": xy[:, 0],
                    "y": xy[:, 1],
                    "at_home": at_home,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def straight_line_km(
    from_xy: np.ndarray, sites: pd.DataFrame, *, detour_factor: float
) -> np.ndarray:
    """Matrix (len(from_xy) × len(sites)) of km: straight line × detour, floored locally.

    The floor ``sites.local_km`` applies everywhere: a site is somewhere in its neighbourhood,
    not at its representative point.
    """
    d_km = _pairwise_m(from_xy, sites[["x", "y"]].to_numpy()) / 1000.0
    return detour_factor * np.maximum(d_km, sites["local_km"].to_numpy()[None, :])


def _pairwise_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=2))
