"""The national map of a batch run: every planned region's norm status and unplaced children.

Region outlines are dissolved from each run's ``gemeenten`` layer, so the map needs no other
file than the run folders themselves.
"""

from __future__ import annotations

import html
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd

_COLOURS = {"met": "#2e7d32", "not_met": "#c62828", "failed": "#757575"}


def region_outlines(out: Path, codes: list[str]) -> gpd.GeoDataFrame:
    """One polygon per region that has a run folder, in EPSG:4326."""
    rows = []
    for code in codes:
        gpkg = out / code / "plan.gpkg"
        if not gpkg.is_file():
            continue
        gemeenten = gpd.read_file(gpkg, layer="gemeenten")
        rows.append({"jeugdregio": code, "geometry": gemeenten.geometry.union_all()})
    if not rows:
        return gpd.GeoDataFrame({"jeugdregio": []}, geometry=[], crs="EPSG:4326")
    frame = gpd.GeoDataFrame(rows, crs=gemeenten.crs)
    # Simplify for a light page: 100 m is invisible at national scale.
    frame["geometry"] = frame.geometry.simplify(100)
    return frame.to_crs("EPSG:4326")


def write_national_map(out: Path, summary: pd.DataFrame) -> Path:
    """``national_map.html``: regions coloured by norm status, popups with the key figures."""
    outlines = region_outlines(out, list(summary["jeugdregio"]))
    m = folium.Map(location=[52.2, 5.3], zoom_start=7, tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", name="Achtergrond / background", show=False).add_to(m)
    layer = folium.FeatureGroup(name="Jeugdregio's: norm en niet geplaatst").add_to(m)
    data = outlines.merge(summary, on="jeugdregio", how="left")
    for row in data.itertuples():
        planned = isinstance(row.status, str) and row.status in ("optimal", "time_limit")
        if not planned:
            state = "failed"
        elif row.gemeenten_norm_met == row.gemeenten:
            state = "met"
        else:
            state = "not_met"
        unplaced = float(row.children_unplaced) if planned else 0.0
        weight = 1 + min(unplaced, 50) / 10
        popup = (
            f"<b>{html.escape(str(row.name))} ({html.escape(row.jeugdregio)})</b><br>"
            f"status: {html.escape(str(row.status))}<br>"
        )
        if planned:
            popup += (
                f"norm 1 per 40.000: {int(row.gemeenten_norm_met)} van {int(row.gemeenten)} "
                f"gemeenten<br>kinderen: {row.children_demand:.0f}, niet geplaatst "
                f"{unplaced:.0f}<br>gemiddeld {row.mean_km:.1f} km"
            )
        else:
            popup += html.escape(str(row.message))[:300]
        folium.GeoJson(
            data={"type": "Feature", "geometry": row.geometry.__geo_interface__, "properties": {}},
            style_function=lambda _f, colour=_COLOURS[state], weight=weight: {
                "color": colour,
                "weight": weight,
                "fillColor": colour,
                "fillOpacity": 0.35,
            },
            tooltip=f"{html.escape(str(row.name))}: {state.replace('_', ' ')}",
        ).add_child(folium.Popup(popup, max_width=320)).add_to(layer)
    if len(outlines):
        minx, miny, maxx, maxy = outlines.total_bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    legend = (
        "<div style='position:fixed;bottom:24px;left:12px;z-index:9999;background:white;"
        "padding:8px 10px;border:1px solid #999;font:13px sans-serif'>"
        "<b>1 kleinschalige voorziening per 40.000 inwoners</b><br>"
        f"<span style='color:{_COLOURS['met']}'>&#9632;</span> alle gemeenten gehaald<br>"
        f"<span style='color:{_COLOURS['not_met']}'>&#9632;</span> niet in elke gemeente<br>"
        f"<span style='color:{_COLOURS['failed']}'>&#9632;</span> geen plan (zie regions.csv)<br>"
        "dikkere rand = meer niet geplaatste kinderen</div>"
    )
    m.get_root().add_child(folium.Element(legend))
    folium.LayerControl(collapsed=False).add_to(m)
    path = out / "national_map.html"
    m.save(str(path))
    return path
