"""The national map of a batch run: every planned region's norm status and unplaced children.

Region outlines are dissolved from each run's ``gemeenten`` layer, so the map needs no other
file than the run folders themselves. Where gemeente borders do not quite meet, the dissolve
keeps thin gaps, as holes or as notches in the outline, that would show as stray lines inside
the region; gaps narrower than 100 m are closed, real holes such as Baarle-Hertog's enclaves
stay.

The page is built from the run map's parts (:mod:`woonplanner.outputs.maps`): Leaflet is the
only script, inline when a local copy exists; popups are bound with plain Leaflet from escaped
HTML (``templates/national.html.j2``); the legend is a Leaflet control. Its texts are Dutch
(:func:`woonplanner.outputs.vocabulary.labels`, page ``national``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, cast

import folium
import geopandas as gpd
import pandas as pd
import pyogrio
from branca.element import Figure

from woonplanner.outcome import Outcome
from woonplanner.outputs import maps
from woonplanner.outputs import vocabulary as vocab
from woonplanner.outputs.pages import render_macro
from woonplanner.outputs.vocabulary import (
    NORM_MET_COLOUR,
    NORM_NOT_MET_COLOUR,
    Formatter,
    esc,
    format_total,
)
from woonplanner.privacy import page_privacy, whole

__all__ = ["region_outlines", "write_national_map"]

_COLOURS = {"met": NORM_MET_COLOUR, "not_met": NORM_NOT_MET_COLOUR, "failed": "#757575"}
_SIMPLIFY_METRES = 100.0  # invisible at national scale, keeps the page light
_GAP_METRES = 100.0  # gaps between gemeenten in CBS's simplified files are narrower
_TEMPLATE = "national.html.j2"
# The fill of a region whose plan is not proven optimal (see _region_properties).
_UNPROVEN_HATCH = """
<svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false"><defs>
<pattern id="wp-unproven" patternUnits="userSpaceOnUse" width="10" height="10"
  patternTransform="rotate(45)"><rect width="10" height="10" fill="#ffffff" fill-opacity="0.4"/>
<line x1="0" y1="0" x2="0" y2="10" stroke="#6b4a00" stroke-width="3" stroke-opacity="0.55"/>
</pattern></defs></svg>
"""
_PLANNED = {outcome.value for outcome in Outcome if outcome.has_plan}


def region_outlines(out: Path, codes: list[str]) -> gpd.GeoDataFrame:
    """One polygon per region that has a run folder, in EPSG:4326, with ``shown_demand`` and
    ``shown_unplaced``: the region's totals as its own map shows them (the page rule of
    :func:`woonplanner.privacy.page_privacy`: a total that would give a small neighbourhood
    count away reads as a range, here as on map.html)."""
    rows = []
    for code in codes:
        gpkg = out / code / "plan.gpkg"
        if not gpkg.is_file():
            continue
        gemeenten = gpd.read_file(gpkg, layer="gemeenten")
        outline = maps.close_gaps(gemeenten.geometry.union_all(), width=_GAP_METRES)
        rows.append({"jeugdregio": code, "geometry": outline, **_shown_totals(out / code)})
    if not rows:
        return gpd.GeoDataFrame({"jeugdregio": []}, geometry=[], crs="EPSG:4326")
    frame = gpd.GeoDataFrame(rows, crs=gemeenten.crs)
    frame["geometry"] = frame.geometry.simplify(_SIMPLIFY_METRES)
    return frame.to_crs("EPSG:4326")


def _shown_totals(folder: Path) -> dict[str, Any]:
    """The region's demand and unplaced children as the run's own pages show them."""
    try:
        neighbourhoods = gpd.read_file(
            folder / "plan.gpkg", layer="neighbourhoods", ignore_geometry=True
        )
        flows = pd.read_csv(folder / "flows.csv") if (folder / "flows.csv").is_file() else None
        scenario = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
        threshold = int(scenario.get("output", {}).get("privacy_threshold", 5))
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError, pyogrio.errors.DataLayerError):
        return {}
    rule = page_privacy(neighbourhoods, flows, threshold)
    return {
        f"shown_{key}": format_total(
            float(neighbourhoods[column].sum()), threshold, rule.region[column], "nl"
        )
        for key, column in (("demand", "children_demand"), ("unplaced", "children_unplaced"))
    }


def write_national_map(out: Path, summary: pd.DataFrame) -> Path:
    """``national_map.html``: regions coloured by norm status, popups with the key figures."""
    labels = vocab.labels("national")
    outlines = region_outlines(out, list(summary["jeugdregio"]))
    m = folium.Map(location=[52.2, 5.3], zoom_start=7, tiles=None, control_scale=True)
    maps.leaflet_only(m, lang="nl")
    cast(Figure, m.get_root()).header.add_child(maps.RawHtml(maps.MAP_CSS), name="woonplanner_css")
    folium.TileLayer("OpenStreetMap", name=labels["layer_background"], show=False).add_to(m)
    layer = folium.FeatureGroup(name=labels["title"]).add_to(m)
    data = outlines.merge(summary, on="jeugdregio", how="left")
    if len(data):
        features = maps.feature_collection(data, lambda row: _region_properties(row, labels))
        folium.GeoJson(features, on_each_feature=maps.BIND_FEATURE).add_to(layer)
    folium.LayerControl(collapsed=False).add_to(m)
    states = [(colour, labels[f"state_{state}"]) for state, colour in _COLOURS.items()]
    cast(Figure, m.get_root()).html.add_child(maps.RawHtml(_UNPROVEN_HATCH), name="unproven")
    maps.add_legend(m, str(render_macro(_TEMPLATE, "legend", labels, states)))
    maps.fit_bounds(m, outlines)
    path = out / "national_map.html"
    m.save(str(path))
    return path


def _region_properties(row: pd.Series, labels: dict[str, str]) -> dict[str, Any]:
    """Style, popup and tooltip of one region (escaped HTML), bound by ``BIND_FEATURE``."""
    planned = str(row["status"]) in _PLANNED
    if not planned:
        state = "failed"
    elif row["gemeenten_norm_met"] == row["gemeenten"]:
        state = "met"
    else:
        state = "not_met"
    unplaced = float(row["children_unplaced"]) if planned else 0.0
    weight = 1 + min(whole(unplaced), 50) / 10
    colour = _COLOURS[state]
    style = {"color": colour, "weight": weight, "fillColor": colour, "fillOpacity": 0.35}
    # A plan the solver did not prove optimal (it stopped at its time limit) is drawn hatched
    # and dashed: it may improve with more time, unlike the proven ones.
    unproven = planned and str(row["status"]) != Outcome.OPTIMAL.value
    if unproven:
        style.update(dashArray="6 4", fillColor="url(#wp-unproven)", fillOpacity=1)
    fmt = Formatter(lang="nl", threshold=5, page="national")
    values = {
        "status": fmt.outcome(str(row["status"])),
        "gap": fmt.percent(float(row["mip_gap"]), decimals=2)
        if unproven and pd.notna(row.get("mip_gap"))
        else "",
        "demand": _text(row.get("shown_demand")) or fmt.count(row["children_demand"]),
        "unplaced": _text(row.get("shown_unplaced")) or fmt.count(unplaced),
        "mean_km": fmt.km(row["mean_km"]) if pd.notna(row["mean_km"]) else "–",
        "met": int(row["gemeenten_norm_met"]) if planned else 0,
        "total": int(row["gemeenten"]) if planned else 0,
    }
    popup = render_macro(_TEMPLATE, "popup", row.to_dict(), planned, labels, values)
    state_text = labels[f"state_{state}"] + (f" · {labels['state_unproven']}" if unproven else "")
    return {
        "style": style,
        "hover": {**style, "weight": weight + 2},
        "popup": str(popup).strip(),
        "tooltip": f"<b>{esc(row['name'])}</b>: {esc(state_text)}",
    }


def _text(value: Any) -> str:
    """A shown total read back from the outlines table ('' when it is missing)."""
    return value if isinstance(value, str) else ""
