"""The national map of a batch run: every planned region's norm status and unplaced children.

Region outlines are dissolved from each run's ``gemeenten`` layer, so the map needs no other
file than the run folders themselves. Where gemeente borders do not quite meet, the dissolve
keeps thin gaps, as holes or as notches in the outline, that would show as stray lines inside
the region; gaps narrower than 100 m are closed, real holes such as Baarle-Hertog's enclaves
stay.

The page is built like the run's ``map.html`` (:mod:`woonplanner.outputs.maps`): Leaflet is the
only script, inline when a local copy exists; popups are bound with plain Leaflet from escaped
HTML; the legend is a Leaflet control.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import folium
import geopandas as gpd
import pandas as pd
from branca.element import Figure

from woonplanner.outputs.maps import (
    _BIND_FEATURE,
    _CSS,
    _esc,
    _feature_collection,
    _FitBounds,
    _format_km,
    _Legend,
    close_gaps,
    leaflet_only,
)

_COLOURS = {"met": "#2e7d32", "not_met": "#c62828", "failed": "#757575"}
_STATES = {
    "met": "alle gemeenten gehaald",
    "not_met": "niet in elke gemeente",
    "failed": "geen plan (zie regions.csv)",
}
_SIMPLIFY_METRES = 100.0  # invisible at national scale, keeps the page light
_GAP_METRES = 100.0  # gaps between gemeenten in CBS's simplified files are narrower


def region_outlines(out: Path, codes: list[str]) -> gpd.GeoDataFrame:
    """One polygon per region that has a run folder, in EPSG:4326."""
    rows = []
    for code in codes:
        gpkg = out / code / "plan.gpkg"
        if not gpkg.is_file():
            continue
        gemeenten = gpd.read_file(gpkg, layer="gemeenten")
        outline = close_gaps(gemeenten.geometry.union_all(), width=_GAP_METRES)
        rows.append({"jeugdregio": code, "geometry": outline})
    if not rows:
        return gpd.GeoDataFrame({"jeugdregio": []}, geometry=[], crs="EPSG:4326")
    frame = gpd.GeoDataFrame(rows, crs=gemeenten.crs)
    frame["geometry"] = frame.geometry.simplify(_SIMPLIFY_METRES)
    return frame.to_crs("EPSG:4326")


def write_national_map(out: Path, summary: pd.DataFrame) -> Path:
    """``national_map.html``: regions coloured by norm status, popups with the key figures."""
    outlines = region_outlines(out, list(summary["jeugdregio"]))
    m = folium.Map(location=[52.2, 5.3], zoom_start=7, tiles=None, control_scale=True)
    leaflet_only(m)
    cast(Figure, m.get_root()).header.add_child(folium.Element(_CSS), name="woonplanner_css")
    folium.TileLayer("OpenStreetMap", name="Achtergrond / background", show=False).add_to(m)
    layer = folium.FeatureGroup(name="Jeugdregio's: norm en niet geplaatst").add_to(m)
    data = outlines.merge(summary, on="jeugdregio", how="left")
    if len(data):
        features = _feature_collection(data, _region_properties)
        folium.GeoJson(features, on_each_feature=_BIND_FEATURE).add_to(layer)
    folium.LayerControl(collapsed=False).add_to(m)
    _Legend(_legend_html()).add_to(m)
    if len(outlines):
        west, south, east, north = outlines.total_bounds
        _FitBounds([[float(south), float(west)], [float(north), float(east)]]).add_to(m)
    path = out / "national_map.html"
    m.save(str(path))
    return path


def _region_properties(row: pd.Series) -> dict[str, Any]:
    """Style, popup and tooltip of one region (escaped HTML), bound by ``_BIND_FEATURE``."""
    planned = isinstance(row["status"], str) and row["status"] in ("optimal", "time_limit")
    if not planned:
        state = "failed"
    elif row["gemeenten_norm_met"] == row["gemeenten"]:
        state = "met"
    else:
        state = "not_met"
    unplaced = float(row["children_unplaced"]) if planned else 0.0
    weight = 1 + min(unplaced, 50) / 10
    colour = _COLOURS[state]
    style = {"color": colour, "weight": weight, "fillColor": colour, "fillOpacity": 0.35}
    popup = (
        f"<b>{_esc(row['name'])} ({_esc(row['jeugdregio'])})</b><br>"
        f"status: {_esc(row['status'])}<br>"
    )
    if planned:
        popup += (
            f"norm 1 per 40.000: {int(row['gemeenten_norm_met'])} van {int(row['gemeenten'])} "
            f"gemeenten<br>kinderen: {row['children_demand']:.0f}, niet geplaatst "
            f"{unplaced:.0f}<br>gemiddeld {_format_km(row['mean_km'])}"
        )
    else:
        popup += _esc(str(row["message"])[:300])
    return {
        "style": style,
        "hover": {**style, "weight": weight + 2},
        "popup": popup,
        "tooltip": f"<b>{_esc(row['name'])}</b>: {_esc(_STATES[state])}",
    }


def _legend_html() -> str:
    """The norm colours and what the width of an outline means."""
    rows = "".join(
        f'<div class="wp-row"><span class="wp-swatch" '
        f'style="background:{colour}59;border-color:{colour}"></span>{_esc(_STATES[state])}</div>'
        for state, colour in _COLOURS.items()
    )
    return (
        "<details open><summary>Legenda</summary>"
        "<h4>1 kleinschalige voorziening per 40.000 inwoners</h4>"
        f'{rows}<p class="wp-note">dikkere rand = meer niet geplaatste kinderen</p></details>'
    )
