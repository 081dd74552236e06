"""The solved plan on a Folium map: what ``map.html`` is made from.

:func:`plan_map` works from the :class:`~woonplanner.plan.Plan` tables only (no Pyomo, no
solver). It draws, each as its own layer in the layer control:

- demand per neighbourhood (choropleth of ``children_demand``),
- facilities per type (pleeggezin, gezinshuis, woongroep) marked existing, new, closing or
  closing with children who must move,
- flows from each child's neighbourhood to its site, aggregated per origin, site and type,
- each gemeente's outline coloured by the small-scale housing norm,
- neighbourhoods with unplaced children, hatched.

The map is made to be shared (SPEC §5):

- children counts of a neighbourhood or flow below ``privacy_threshold`` read "<5"
  (:func:`format_count`), and the drawing does not give them away either: the lowest demand
  class and the thinnest flow stand for every value below the threshold;
- facilities sit at the neighbourhood's representative point, never at an address;
- every string from input data is HTML-escaped before it reaches a popup, tooltip or label.

Leaflet is the only script the page loads (:func:`leaflet_only`, shared with the national map).
Folium's default jQuery, Bootstrap and Font Awesome links are dropped (nothing here uses them),
popups are bound with plain Leaflet calls, and the legend is plain HTML, so fewer outside files
can break the page. When a local copy of Leaflet exists, the page works offline:

- the folder is ``$WOONPLANNER_LEAFLET_DIR`` when that is set, else :data:`LEAFLET_DIR`
  (Debian's ``libjs-leaflet``); it must hold ``leaflet.css`` and ``leaflet.js`` (the smaller
  ``leaflet.min.js`` is taken when it is there);
- both are written into the saved page, so ``map.html`` is one self-contained file; the images
  the CSS names (``images/layers.png`` and the like) go in as ``data:`` URIs;
- Leaflet's default marker icon is never used (facilities and labels are ``DivIcon``s), so no
  marker image is looked for next to the page;
- without a local copy the page links Leaflet from its CDN, as Folium does.

Without network the background tiles fail quietly and the polygons still carry the picture.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure
from folium.template import Template
from folium.utilities import JsCode
from pyproj import CRS, Transformer
from shapely.ops import polylabel

from woonplanner.outputs import vocabulary as vocab
from woonplanner.outputs.pages import Markup, render_macro
from woonplanner.outputs.vocabulary import (
    CLOSING_COLOUR,
    FACILITY_TYPES,
    NEW_COLOUR,
    NORM_MET_COLOUR,
    NORM_NOT_MET_COLOUR,
    TYPE_SHAPES,
    UNPLACED_COLOUR,
    Formatter,
    esc,
    format_count,
    format_km,
    format_total,
    format_whole,
    type_colour,
    type_label,
)
from woonplanner.plan import Plan
from woonplanner.privacy import PagePrivacy, is_children, page_privacy, whole

__all__ = [
    "BIND_FEATURE",
    "HATCH_DEFS",
    "LEAFLET_DIR",
    "MAP_CSS",
    "RawHtml",
    "add_leaflet",
    "add_legend",
    "add_panes",
    "change_badge",
    "close_gaps",
    "demand_edges",
    "demand_layer",
    "facility_layers",
    "feature_collection",
    "fit_bounds",
    "flow_layer",
    "gemeente_layer",
    "icon_svg",
    "label_candidates",
    "layer_names",
    "leaflet_only",
    "plan_map",
    "representative_points",
    "unit_change_layer",
    "unplaced_layer",
]

#: The CRS of every geometry and coordinate in a :class:`Plan` (Amersfoort / RD New).
PLAN_CRS = "EPSG:28992"

#: Where Debian's ``libjs-leaflet`` puts Leaflet; ``$WOONPLANNER_LEAFLET_DIR`` overrides it.
LEAFLET_DIR = Path("/usr/share/javascript/leaflet")
LEAFLET_DIR_ENV = "WOONPLANNER_LEAFLET_DIR"
# Folium's own CDN addresses, for a page that is not a folium.Map's (compare).
_LEAFLET_CDN_JS = dict(folium.Map.default_js)["leaflet"]
_LEAFLET_CDN_CSS = dict(folium.Map.default_css)["leaflet_css"]

# Blues: light enough that the facility markers stay readable on top.
_ZERO_COLOUR = "#f4f4f4"
#: Demand hidden to protect a small count elsewhere: no class, so its size stays unknown.
_HIDDEN_COLOUR = "#c9c9c9"
_DEMAND_COLOURS = ("#deebf7", "#b5d4e9", "#8dbfdd", "#5fa2cf", "#3580bb", "#155a9c", "#08306b")

#: Above the facility markers (600), below tooltips (650): a change badge is never hidden.
_CHANGE_PANE = ("wp-changes", 640)

_PANES = {
    "wp-demand": 410,
    "wp-unplaced": 420,
    "wp-gemeenten": 430,
    "wp-flows": 440,
    "wp-labels": 450,
}

_ICON_SIZE = 28
_ICON_SPACING = 26  # pixels between markers of several types at one site
_SIMPLIFY_METRES = 5.0  # invisible at neighbourhood zoom, keeps map.html small
# Gaps between the wijken of a gemeente in CBS's simplified files are at most some 50 m wide;
# the real holes (enclaves such as Baarle-Hertog's) are wider.
_GAP_METRES = 100.0
_LEGEND_ROOM = 340  # pixels the opening view leaves free on the left for the legend
_COORD_GRID_DEGREES = 1e-6  # about 0.1 m

MAP_CSS = """
<style>
.leaflet-container { background: #eef0f2; font-family: system-ui, -apple-system, "Segoe UI",
  Roboto, Helvetica, Arial, sans-serif; }
.leaflet-control-layers { font-size: 13px; line-height: 1.5; }
.leaflet-control-layers label { margin: 0; }
.wp-title { position: fixed; top: 10px; left: 50%; transform: translateX(-50%); z-index: 1000;
  background: rgba(255,255,255,.94); padding: 6px 14px; border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,.35); text-align: center; pointer-events: none;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  max-width: 60vw; }
.wp-title h1 { font-size: 16px; margin: 0; color: #222; }
.wp-title .wp-summary { font-size: 12px; color: #555; margin-top: 2px; }
.wp-banner { margin-top: 5px; padding: 3px 8px; border-radius: 4px; background: #fff3cd;
  border: 1px solid #e0a800; color: #6b4a00; font-size: 13px; font-weight: 600; }
.wp-banner small { font-weight: 400; }
.wp-legend { background: rgba(255,255,255,.96); padding: 6px 10px 8px; border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,.35); font-size: 12px; line-height: 1.3; color: #222;
  /* The window less the zoom buttons above and the scale bar below: all of it at 900 px. */
  max-height: calc(100vh - 140px); overflow-y: auto; overscroll-behavior: contain;
  max-width: 300px; }
.wp-legend summary { font-weight: 700; font-size: 13px; cursor: pointer; }
.wp-legend h4 { margin: 6px 0 2px; font-size: 12px; color: #444; }
.wp-legend .wp-row { display: flex; align-items: center; gap: 6px; margin: 1px 0; }
.wp-legend .wp-swatch { width: 18px; height: 12px; border: 1px solid #999; flex: none; }
.wp-legend .wp-line { width: 26px; flex: none; }
.wp-legend .wp-note { margin: 7px 0 0; color: #666; font-size: 11px; }
.wp-facility svg { filter: drop-shadow(0 1px 1.5px rgba(0,0,0,.45)); overflow: visible; }
.wp-agg { display: none; }
.wp-zoomed-out .wp-agg { display: inline; }
.wp-zoomed-out .wp-facility { display: none; }
.wp-zoomed-out .wp-change { display: none; }
.wp-agg .plus { color: #1a7f37; font-weight: 700; }
.wp-agg .minus { color: #c62828; font-weight: 700; }
.wp-label-short .wp-agg { display: none !important; }
.wp-label-hidden { visibility: hidden; }
.wp-agg .t { display: inline-block; width: 9px; height: 9px; border-radius: 2px;
  margin: 0 2px 0 6px; vertical-align: -1px; }
.wp-gemeente-label > div { display: inline-block; white-space: nowrap;
  transform: translate(-50%, -50%); padding: 0 5px; border-radius: 3px;
  background: rgba(255,255,255,.8); font: 600 11px system-ui, sans-serif; color: #333;
  border: 1.5px solid; }
.wp-popup table { border-collapse: collapse; margin-top: 4px; }
.wp-popup td { padding: 1px 8px 1px 0; }
.wp-popup td.wp-num { text-align: right; font-variant-numeric: tabular-nums; }
.wp-popup .wp-code { color: #777; font-weight: 400; }
.wp-change > div { display: inline-flex; gap: 3px; transform: translate(-50%, 0);
  white-space: nowrap; padding: 0 4px; border-radius: 9px; background: rgba(255,255,255,.95);
  border: 1px solid #888; font: 700 11px/16px system-ui, sans-serif;
  box-shadow: 0 1px 3px rgba(0,0,0,.35); }
.wp-change .plus { color: #1a7f37; }
.wp-change .minus { color: #c62828; }
.wp-change .t { display: inline-block; width: 8px; height: 8px; border-radius: 2px;
  margin: 0 1px 0 2px; vertical-align: 0; }
</style>
"""

# Cross-SVG pattern references (url(#id)) work within one HTML document, so Leaflet's
# polygons can be hatched without a plugin.
HATCH_DEFS = f"""
<svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false">
  <defs>
    <pattern id="wp-hatch" patternUnits="userSpaceOnUse" width="8" height="8"
             patternTransform="rotate(45)">
      <rect width="8" height="8" fill="{UNPLACED_COLOUR}" fill-opacity="0.10"/>
      <line x1="0" y1="0" x2="0" y2="8" stroke="{UNPLACED_COLOUR}" stroke-width="3"
            stroke-opacity="0.75"/>
    </pattern>
  </defs>
</svg>
"""

# Binds the popup and tooltip carried in each feature's properties (already escaped HTML) and
# highlights the feature on hover.
BIND_FEATURE = JsCode(
    """
function (feature, layer) {
    var p = feature.properties;
    if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 340}); }
    if (p.tooltip) { layer.bindTooltip(p.tooltip, {sticky: true}); }
    if (p.hover) {
        layer.on("mouseover", function () { layer.setStyle(p.hover); });
        layer.on("mouseout", function () { layer.setStyle(p.style); });
    }
}
"""
)


class _Bind(folium.MacroElement):
    """Bind a popup and a tooltip to the parent layer with plain Leaflet.

    Folium's ``Popup`` needs jQuery and its ``Tooltip`` pastes text into a JavaScript template
    string; ``tojson`` escapes ``<``, ``>``, ``&`` and ``'``, so the HTML cannot break out.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}
                .bindPopup({{ this.popup|tojson }}, {maxWidth: 340})
                .bindTooltip({{ this.tooltip|tojson }}, {direction: "top", offset: [0, -12]});
        {% endmacro %}
        """
    )

    def __init__(self, popup: str, tooltip: str) -> None:
        super().__init__()
        self._name = "Bind"
        self.popup = popup
        self.tooltip = tooltip


class _Legend(folium.MacroElement):
    """The legend as a Leaflet control, so it stacks with the scale bar instead of covering it."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var legend = L.control({position: {{ this.position|tojson }}});
                legend.onAdd = function () {
                    var div = L.DomUtil.create("div", "wp-legend");
                    div.innerHTML = {{ this.html|tojson }};
                    L.DomEvent.disableClickPropagation(div);
                    L.DomEvent.disableScrollPropagation(div);
                    return div;
                };
                legend.addTo({{ this._parent.get_name() }});
            })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, *, position: str = "bottomleft") -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html_text
        self.position = position


class _FitBounds(folium.MacroElement):
    """Fit the map to the bounds, leaving the legend (bottom left) room when the window has it.

    Leaflet's padding is in pixels, and the legend's width depends on its text and the window:
    measure it in the page instead of guessing it here. Must be added after the legend. The
    title (``.wp-title``, when the page has one) gets room above when that costs at most a
    fifth of the height: with the map's quarter zoom steps that is a small step, not a level.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }};
                var legend = map.getContainer().querySelector(".wp-legend");
                var left = legend ? legend.offsetWidth + 20 : 20;
                // On a narrow window the region comes first; the legend can be folded.
                if (2 * left > map.getSize().x) { left = 20; }
                var top = 20;
                var title = document.querySelector(".wp-title");
                if (title) {
                    var below = title.getBoundingClientRect().bottom + 10
                        - map.getContainer().getBoundingClientRect().top;
                    if (below < map.getSize().y / 5) { top = Math.max(top, below); }
                }
                map.fitBounds({{ this.bounds|tojson }},
                              {paddingTopLeft: [left, top], paddingBottomRight: [20, 20]});
            })();
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FitBounds"
        self.bounds = bounds


class RawHtml(folium.Element):
    """Text that goes into the page as it is.

    ``folium.Element`` reads its text as a Jinja template; Leaflet's code is none.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def render(self, **kwargs: Any) -> str:
        """The text, untouched."""
        return self.text


def layer_names(lang: str = "nl") -> dict[str, str]:
    """The names the layer control shows, keyed by layer.

    Parameters
    ----------
    lang
        ``"nl"`` or ``"en"``.

    Returns
    -------
    dict
        Keys ``tiles, demand, pleeggezin, gezinshuis, woongroep, flows, gemeenten, unplaced``.
    """
    labels = vocab.labels("map", lang=lang)
    keys = ("tiles", "demand", *FACILITY_TYPES, "flows", "gemeenten", "unplaced")
    return {key: labels[f"layer_{key}"] for key in keys}


def plan_map(
    plan: Plan,
    *,
    lang: str = "nl",
    privacy_threshold: int = 5,
    title: str | None = None,
    tiles: bool = True,
) -> folium.Map:
    """Draw a solved plan on a Folium map.

    Parameters
    ----------
    plan
        The solved plan; only its tables and KPIs are read.
    lang
        Language of every label: ``"nl"`` (default) or ``"en"``.
    privacy_threshold
        Children counts per neighbourhood or flow below this are shown as ``"<threshold"``.
    title
        Title above the map and of the page (escaped); when ``None`` the generic title with the
        region's name, as the report's.
    tiles
        Add a light background tile layer. The map stays readable without it (and without
        network, when the tiles fail to load).

    Returns
    -------
    folium.Map
        Save it with ``.save("map.html")``.
    """
    labels = vocab.labels(
        "map", lang=lang, level=vocab.area_level(plan.neighbourhoods, plan.scenario)
    )
    names = layer_names(lang)
    neighbourhoods = _with_crs(plan.neighbourhoods)
    gemeenten = _with_crs(plan.gemeenten)
    to_wgs84 = Transformer.from_crs(neighbourhoods.crs or PLAN_CRS, "EPSG:4326", always_xy=True)
    points = representative_points(neighbourhoods, to_wgs84)
    # One decision of what the page may show (docs/privacy.md), used by every layer and the title.
    privacy = page_privacy(neighbourhoods, plan.flows, privacy_threshold)

    fmap = folium.Map(
        tiles=None,
        control_scale=True,
        zoom_start=11,
        location=_centre(points),
        # Quarter zoom steps let the region fill the window (as on compare): its labels fit.
        zoom_snap=0.25,
    )
    # Nothing on this map uses jQuery, Bootstrap or Font Awesome (see the module docstring).
    leaflet_only(fmap, lang=lang)
    root = cast(Figure, fmap.get_root())
    heading = title or _heading(plan, labels)
    # The browser tab and bookmarks say what the heading says (branca does not escape it).
    root.title = esc(heading)
    root.header.add_child(folium.Element(MAP_CSS), name="woonplanner_css")
    root.html.add_child(folium.Element(HATCH_DEFS), name="woonplanner_hatch")

    add_panes(fmap)

    if tiles:
        # PDOK's grey BRT background: Dutch government tiles, light, no API key.
        folium.TileLayer("nlmaps.grijs", name=names["tiles"], control=True).add_to(fmap)

    shown = ~neighbourhoods["code"].astype(str).map(privacy.hidden["children_demand"]).fillna(False)
    edges = demand_edges(
        neighbourhoods.loc[shown.to_numpy(bool), "children_demand"], privacy_threshold
    )
    demand_layer(neighbourhoods, edges, labels, privacy_threshold, privacy).add_to(fmap)
    unplaced_layer(neighbourhoods, labels, privacy_threshold, privacy).add_to(fmap)
    gemeente_layer(gemeenten, labels, lang, plan.facilities, neighbourhoods=neighbourhoods).add_to(
        fmap
    )
    flow_layer(plan.flows, neighbourhoods, points, labels, privacy_threshold, privacy).add_to(fmap)
    for layer in facility_layers(
        plan.facilities, neighbourhoods, points, labels, lang, privacy_threshold
    ):
        layer.add_to(fmap)

    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    add_zoom_aggregation(fmap, plan.facilities["neighbourhood"].nunique())
    add_legend(fmap, _legend_html(edges, labels, privacy_threshold, plan.flows))
    root.html.add_child(
        folium.Element(_title_html(plan, neighbourhoods, labels, privacy, heading, lang)),
        name="woonplanner_title",
    )
    fit_bounds(fmap, neighbourhoods)
    return fmap


# --- the page and the outlines, shared with compare and the national map --------------------


def add_panes(fmap: folium.Map, *, changes: bool = False) -> None:
    """The panes the layers draw in, so their order holds when a layer is switched off and on.

    Leaflet would otherwise put the filled demand polygons on top of the outlines and flows.
    The gemeente labels stay below Leaflet's marker pane (600), so a label never hides a
    facility. ``changes`` adds the pane of :func:`unit_change_layer`.
    """
    panes = [*_PANES.items(), *([_CHANGE_PANE] if changes else [])]
    for pane, z_index in panes:
        folium.map.CustomPane(pane, z_index=z_index, pointer_events=True).add_to(fmap)


def add_legend(fmap: folium.Map, html_text: str, *, position: str = "bottomleft") -> None:
    """The legend (escaped HTML) as a Leaflet control, stacked with the scale bar."""
    _Legend(html_text, position=position).add_to(fmap)


def fit_bounds(fmap: folium.Map, frame: gpd.GeoDataFrame) -> None:
    """Open the map on ``frame``, leaving the legend room; add it after the legend."""
    if len(frame) == 0:
        return
    west, south, east, north = _with_crs(frame).to_crs("EPSG:4326").total_bounds
    _FitBounds([[float(south), float(west)], [float(north), float(east)]]).add_to(fmap)


def leaflet_only(fmap: folium.Map, *, lang: str = "nl") -> None:
    """Make the map's page load Leaflet and nothing else, from a local copy when there is one.

    Call it right after creating the map, before adding any CSS to the page's header, so that
    CSS added afterwards overrides Leaflet's own.

    Parameters
    ----------
    fmap
        A new map; its ``default_js`` and ``default_css`` are emptied and Leaflet is put in the
        page's header instead (:func:`add_leaflet`).
    lang
        Language of the message the page shows when Leaflet cannot load.
    """
    cdn_js = dict(fmap.default_js)["leaflet"]
    cdn_css = dict(fmap.default_css)["leaflet_css"]
    fmap.default_js = []
    fmap.default_css = []
    add_leaflet(cast(Figure, fmap.get_root()), cdn_js=cdn_js, cdn_css=cdn_css, lang=lang)


def add_leaflet(
    figure: Figure,
    *,
    cdn_js: str = _LEAFLET_CDN_JS,
    cdn_css: str = _LEAFLET_CDN_CSS,
    lang: str = "nl",
) -> None:
    """Put Leaflet in the page's header (inline from :func:`_local_leaflet`, else the CDN
    links) and a message that says on the page why the map is blank when Leaflet did not load
    (offline without a local copy) or scripts are off. Shared by map, compare and national map.
    """
    header = figure.header
    local = _local_leaflet()
    if local is None:
        header.add_child(folium.CssLink(cdn_css), name="leaflet_css")
        header.add_child(folium.JavascriptLink(cdn_js), name="leaflet")
    else:
        css, js = local
        header.add_child(RawHtml(f"<style>\n{css}\n</style>"), name="leaflet_css")
        # "</script" inside the code would end the element early; "<\/script" means the same.
        js = re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE)
        header.add_child(RawHtml(f"<script>\n{js}\n</script>"), name="leaflet")
    text = vocab.labels("map", lang=lang)
    message = _part("no_leaflet", text["no_leaflet"].format(env=LEAFLET_DIR_ENV))
    noscript = _part("no_script", text["no_script"])
    # Right after Leaflet's own script: when that failed, L is undefined here.
    header.add_child(
        RawHtml(
            "<script>if (typeof L === 'undefined') { document.addEventListener("
            "'DOMContentLoaded', function () { document.body.insertAdjacentHTML('afterbegin', "
            f"{json.dumps(str(message))}); }}); }}</script>"
        ),
        name="leaflet_check",
    )
    figure.html.add_child(RawHtml(str(noscript)), name="no_script")


def _local_leaflet() -> tuple[str, str] | None:
    """Leaflet's CSS (images inlined) and JavaScript from the local folder, if it has them.

    The folder is ``$WOONPLANNER_LEAFLET_DIR`` when set, else :data:`LEAFLET_DIR`. The minified
    script is taken when it is there: it is a third of the size.
    """
    folder = Path(os.environ.get(LEAFLET_DIR_ENV) or LEAFLET_DIR)
    css_path = folder / "leaflet.css"
    js_path = next(
        (path for path in (folder / "leaflet.min.js", folder / "leaflet.js") if path.is_file()),
        None,
    )
    if js_path is None or not css_path.is_file():
        return None
    css = _inline_images(css_path.read_text(encoding="utf-8"), folder)
    return css, js_path.read_text(encoding="utf-8")


def _inline_images(css: str, folder: Path) -> str:
    """The CSS with each ``url(images/…)`` that exists in ``folder`` as a ``data:`` URI.

    Relative URLs would be looked up next to the saved page, where there are no images.
    """

    def data_uri(match: re.Match[str]) -> str:
        path = folder / match.group(2)
        if not path.is_file():
            return match.group(0)
        kind = "image/svg+xml" if path.suffix == ".svg" else "image/png"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'url("data:{kind};base64,{data}")'

    return re.sub(r"""url\((['"]?)(images/[\w.-]+)\1\)""", data_uri, css)


def close_gaps(geometry: Any, *, width: float) -> Any:
    """The (multi)polygon with every gap narrower than ``width`` filled.

    A dissolve of neighbouring polygons whose borders do not quite match keeps the thin gaps
    between them: as holes, or as notches where a gap reaches the outline. Drawn, each is a
    stray line inside the outline. Growing the shape by half the width and shrinking it back
    (a morphological closing) fills them; a wider hole or bay (an enclave, a lake) stays.
    Mitred joins keep the corners sharp. Other geometry types come back as they are.

    Parameters
    ----------
    geometry
        A shapely geometry in a projected CRS.
    width
        In the CRS's unit (metres).
    """
    if not isinstance(geometry, shapely.Polygon | shapely.MultiPolygon):
        return geometry
    grown = shapely.buffer(geometry, width / 2, join_style="mitre")
    return shapely.buffer(grown, -width / 2, join_style="mitre")


# --- layers ---------------------------------------------------------------------------------


def demand_layer(
    neighbourhoods: gpd.GeoDataFrame,
    edges: list[float],
    labels: Mapping[str, str],
    threshold: int,
    privacy: PagePrivacy | None = None,
) -> folium.FeatureGroup:
    """Choropleth of children's demand per neighbourhood.

    A demand the page rule hides is drawn in the "<5" class when it is small and in the
    "hidden" colour when it is hidden to protect another (its class would tell its size).
    """
    privacy = privacy or page_privacy(neighbourhoods, None, threshold)

    def style(row: pd.Series) -> dict[str, Any]:
        colour = _demand_colour(row["children_demand"], edges)
        if privacy.cell(row["code"], "children_demand") and is_children(row["children_demand"]):
            small = whole(row["children_demand"]) < threshold
            colour = _DEMAND_COLOURS[0] if small else _HIDDEN_COLOUR
        return {"color": "#ffffff", "weight": 0.8, "fillColor": colour, "fillOpacity": 0.75}

    return _neighbourhood_layer(
        neighbourhoods,
        name=labels["layer_demand"],
        pane="wp-demand",
        style=style,
        hover={"color": "#333333", "weight": 2},
        count=("children_demand", labels["demand"]),
        labels=labels,
        privacy=privacy,
    )


def unplaced_layer(
    neighbourhoods: gpd.GeoDataFrame,
    labels: Mapping[str, str],
    threshold: int,
    privacy: PagePrivacy | None = None,
) -> folium.FeatureGroup:
    """Neighbourhoods with children the plan could not place, hatched in red.

    A neighbourhood is hatched when its unplaced children round to at least one
    (:func:`woonplanner.privacy.is_children`), the rule of the title, report and command line.
    """
    privacy = privacy or page_privacy(neighbourhoods, None, threshold)
    style = {
        "color": UNPLACED_COLOUR,
        "weight": 2.5,
        "fillColor": "url(#wp-hatch)",
        "fillOpacity": 1,
    }
    return _neighbourhood_layer(
        neighbourhoods[neighbourhoods["children_unplaced"].map(is_children).astype(bool)],
        name=labels["layer_unplaced"],
        pane="wp-unplaced",
        style=lambda _row: style,
        hover={"weight": 4},
        count=("children_unplaced", labels["unplaced"]),
        labels=labels,
        privacy=privacy,
    )


def _neighbourhood_layer(
    neighbourhoods: gpd.GeoDataFrame,
    *,
    name: str,
    pane: str,
    style: Callable[[pd.Series], dict[str, Any]],
    hover: dict[str, Any],
    count: tuple[str, str],
    labels: Mapping[str, str],
    privacy: PagePrivacy,
) -> folium.FeatureGroup:
    """Neighbourhood polygons, each with its popup and a tooltip of one count of children.

    ``style`` gives a row's style, ``hover`` what changes under the mouse, ``count`` the column
    the tooltip shows and its label.
    """
    group = folium.FeatureGroup(name=name)
    if neighbourhoods.empty:
        return group
    column, label = count

    def properties(row: pd.Series) -> dict[str, Any]:
        shown = style(row)
        return {
            "style": shown,
            "hover": {**shown, **hover},
            "popup": _neighbourhood_popup(row, labels, privacy),
            "tooltip": _tooltip(
                row["name"],
                lines=[
                    f"{label}: "
                    + format_count(
                        row[column], privacy.threshold, hidden=privacy.cell(row["code"], column)
                    )
                ],
            ),
        }

    data = feature_collection(neighbourhoods, properties)
    folium.GeoJson(data, on_each_feature=BIND_FEATURE, pane=pane).add_to(group)
    return group


def gemeente_layer(
    gemeenten: gpd.GeoDataFrame,
    labels: Mapping[str, str],
    lang: str,
    facilities: pd.DataFrame | None = None,
    *,
    neighbourhoods: gpd.GeoDataFrame | None = None,
    changes: pd.DataFrame | None = None,
) -> folium.FeatureGroup:
    """Gemeente outlines and labels, green where the norm is met and red (dashed) where not.

    Each label stands well inside its gemeente, where most of its inhabitants live (the
    ``neighbourhoods``' points and ``inhabitants``; without them, the point farthest from the
    gemeente's border): a long gemeente such as Rotterdam, with its port, is labelled over the
    town (:func:`label_candidates`). The page then places the labels (:class:`_LabelPlacement`):
    each at the first of a few such points where it covers no other label, no control and,
    when they show, no facility marker; a label that fits nowhere drops its units per type, and
    one that still does not fit hides until a zoom where it does. With ``facilities``
    (``gemeente, type, units``) each label carries the gemeente's units per type, shown instead
    of the markers while the map is zoomed out (:func:`add_zoom_aggregation`): on a big region
    the markers would pile up into one blot. With ``changes`` (compare's
    :func:`~woonplanner.outputs.compare.unit_differences`: ``neighbourhood, type, delta``) each
    type's count carries the gemeente's change against the other plan, "12 (+3)": zoomed out,
    the per-site change badges give way to it as the markers do to the counts.
    """
    per_type = _units_per_gemeente(facilities)
    delta = _changes_per_gemeente(changes, neighbourhoods)
    group = folium.FeatureGroup(name=labels["layer_gemeenten"])
    if gemeenten.empty:
        return group
    to_wgs84 = Transformer.from_crs(gemeenten.crs or PLAN_CRS, "EPSG:4326", always_xy=True)

    def properties(row: pd.Series) -> dict[str, Any]:
        met = bool(row["norm_met"])
        # Dashes as well as colour, for readers who cannot tell red from green.
        style = {
            "color": NORM_MET_COLOUR if met else NORM_NOT_MET_COLOUR,
            "weight": 3,
            "opacity": 0.9,
            "dashArray": None if met else "8 5",
            "fill": False,
        }
        return {
            "style": style,
            "hover": {**style, "weight": 5},
            "popup": _gemeente_popup(row, labels, lang),
            "tooltip": _tooltip(row["name"], f" · {_norm_label(met, labels)}"),
        }

    # The gemeenten are dissolved from wijken whose borders leave thin gaps between them.
    outlines = gemeenten.assign(
        geometry=[close_gaps(g, width=_GAP_METRES) for g in gemeenten.geometry]
    )
    data = feature_collection(outlines, properties)
    folium.GeoJson(data, on_each_feature=BIND_FEATURE, pane="wp-gemeenten").add_to(group)

    metres_per_pixel = _opening_metres_per_pixel(gemeenten)
    people = _people(neighbourhoods)
    placed: list[tuple[float, folium.Marker, list[list[float]]]] = []
    for _, row in gemeenten.iterrows():
        candidates = label_candidates(
            row.geometry, people.get(str(row["code"])), metres_per_pixel=metres_per_pixel
        )
        lon, lat = to_wgs84.transform([c.x for c in candidates], [c.y for c in candidates])
        at = [[round(float(y), 6), round(float(x), 6)] for x, y in zip(lon, lat, strict=True)]
        met = bool(row["norm_met"])
        colour = NORM_MET_COLOUR if met else NORM_NOT_MET_COLOUR
        mark = "✓" if met else "✗"
        code = str(row["code"])
        units_of = dict(per_type.get(code, []))
        changed = delta.get(code, {})
        counts = [
            (
                type_colour(kind),
                type_label(kind, labels),
                units_of.get(kind, 0),
                *_signed(changed.get(kind, 0)),
            )
            for kind in sorted(set(units_of) | set(changed), key=_type_order)
        ]
        icon = folium.DivIcon(
            html=_part("gemeente_label", row["name"], colour, mark, counts),
            icon_size=(0, 0),
            class_name="wp-gemeente-label",
        )
        marker = folium.Marker(at[0], icon=icon, pane="wp-labels")
        _Bind(
            _gemeente_popup(row, labels, lang),
            _tooltip(row["name"], f" · {_norm_label(met, labels)}"),
        ).add_to(marker)
        marker.add_to(group)
        inhabitants = float(row["inhabitants"]) if "inhabitants" in row else 0.0
        placed.append((inhabitants, marker, at))
    # The most populous gemeente's label first: it keeps its best place.
    placed.sort(key=lambda item: -item[0])
    _LabelPlacement([(marker, at) for _, marker, at in placed]).add_to(group)
    return group


class _LabelPlacement(folium.MacroElement):
    """Place the gemeente labels in the page, so no two of them overlap.

    At every view (after each move and zoom, and once the zoom aggregation has shown or hidden
    the units per type) the labels are taken in order (most inhabitants first); each goes to
    the first of its candidate points (:func:`label_candidates`) where its box lies in the
    window and covers no label placed before it, no control (legend, title, layer list, zoom
    buttons) and no facility marker in view; failing that, to the first where it covers no
    label or control. A label
    that fits nowhere drops its units per type (``wp-label-short``) and tries again, and then
    hides (``wp-label-hidden``) until a zoom where it fits; its gemeente's outline keeps its
    tooltip and popup. A child of the gemeente layer: switched off, its labels are skipped.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var group = {{ this._parent.get_name() }};
                var labels = [
                    {%- for marker, at in this.labels %}
                    {marker: {{ marker.get_name() }}, at: {{ at|tojson }}},
                    {%- endfor %}
                ];
                var controls = ".wp-legend, .wp-title, .leaflet-control-layers, "
                    + ".leaflet-control-zoom";
                function boxOf(element) {
                    var r = element.getBoundingClientRect();
                    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
                }
                function overlaps(a, b) {
                    return a.left < b.right && b.left < a.right
                        && a.top < b.bottom && b.top < a.bottom;
                }
                function shown(element) {
                    var r = element.getBoundingClientRect();
                    return r.width > 0 && r.height > 0
                        && getComputedStyle(element).visibility !== "hidden";
                }
                function place() {
                    var map = group._map;
                    if (!map) { return; }
                    var container = map.getContainer();
                    var origin = container.getBoundingClientRect();
                    var taken = [];
                    document.querySelectorAll(controls).forEach(function (element) {
                        if (shown(element)) { taken.push(boxOf(element)); }
                    });
                    var markers = [];
                    var sites = container.querySelectorAll(".wp-facility, .wp-change");
                    sites.forEach(function (element) {
                        if (shown(element)) { markers.push(boxOf(element)); }
                    });
                    // A label cut off by the window's edge reads no better than a hidden one.
                    function inside(box) {
                        return box.left >= origin.left && box.right <= origin.right
                            && box.top >= origin.top && box.bottom <= origin.bottom;
                    }
                    function hits(boxes, box) {
                        return boxes.some(function (other) { return overlaps(box, other); });
                    }
                    labels.forEach(function (label) {
                        var icon = label.marker._icon;
                        if (!icon) { return; }
                        var inner = icon.firstElementChild;
                        icon.classList.remove("wp-label-hidden");
                        var best = null;
                        [false, true].some(function (short) {
                            icon.classList.toggle("wp-label-short", short);
                            var w = inner.offsetWidth, h = inner.offsetHeight;
                            var free = null;
                            label.at.some(function (at) {
                                var p = map.latLngToContainerPoint(at);
                                var box = {left: origin.left + p.x - w / 2,
                                           right: origin.left + p.x + w / 2,
                                           top: origin.top + p.y - h / 2,
                                           bottom: origin.top + p.y + h / 2};
                                if (hits(taken, box) || !inside(box)) { return false; }
                                if (!hits(markers, box)) { best = [at, box]; return true; }
                                if (!free) { free = [at, box]; }
                                return false;
                            });
                            best = best || free;
                            return best !== null;
                        });
                        if (!best) {
                            icon.classList.remove("wp-label-short");
                            icon.classList.add("wp-label-hidden");
                            return;
                        }
                        label.marker.setLatLng(best[0]);
                        taken.push(best[1]);
                    });
                }
                // After every move and zoom, and after the zoom aggregation has shown or
                // hidden the units per type (it fires "wp-aggregated"): the widths change.
                var hooked = null;
                function hook() {
                    var map = group._map;
                    if (!map || map === hooked) { return; }
                    hooked = map;
                    map.on("moveend wp-aggregated", place);
                }
                group.on("add", function () { hook(); setTimeout(place, 0); });
                hook();
                setTimeout(place, 0);
            })();
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[tuple[folium.Marker, list[list[float]]]]) -> None:
        super().__init__()
        self._name = "LabelPlacement"
        self.labels = labels


#: Below this zoom level the facility markers give way to the units per type in the gemeente
#: labels: a whole jeugdregio fits the window at about 10, one town at 12 or more.
AGGREGATE_BELOW_ZOOM = 11
#: With more sites than this, the markers would pile up at the opening view whatever its zoom
#: (Amsterdam opens at 11): there the labels stand in for them until one zoom step in.
DENSE_SITES = 60


def _type_order(kind: str) -> tuple[int, str]:
    """The legend's order of the types (others after them, by name)."""
    order = {k: i for i, k in enumerate(FACILITY_TYPES)}
    return (order.get(kind, len(order)), kind)


def _signed(delta: int) -> tuple[str, str]:
    """A change of units as a label shows it: ``("+3", "plus")``, ``("−1", "minus")`` or
    ``("", "")`` for none."""
    if delta > 0:
        return f"+{delta}", "plus"
    if delta < 0:
        return f"−{-delta}", "minus"
    return "", ""


def _changes_per_gemeente(
    changes: pd.DataFrame | None, neighbourhoods: gpd.GeoDataFrame | None
) -> dict[str, dict[str, int]]:
    """The change of units per gemeente and type (only where it is not 0), from per-site
    ``changes`` and the neighbourhoods' gemeente."""
    if changes is None or changes.empty or neighbourhoods is None:
        return {}
    gemeente_of = neighbourhoods.set_index(neighbourhoods["code"].astype(str))["gemeente"]
    gemeente = changes["neighbourhood"].astype(str).map(gemeente_of)
    sums = changes.assign(gemeente=gemeente).dropna(subset=["gemeente"])
    out: dict[str, dict[str, int]] = {}
    for (code, kind), value in sums.groupby(["gemeente", "type"])["delta"].sum().items():
        if int(value) != 0:
            out.setdefault(str(code), {})[str(kind)] = int(value)
    return out


def _units_per_gemeente(facilities: pd.DataFrame | None) -> dict[str, list[tuple[str, int]]]:
    """Units per type in each gemeente (types in the legend's order, only those with units)."""
    if facilities is None or facilities.empty or "gemeente" not in facilities:
        return {}
    units = facilities.groupby(["gemeente", "type"])["units"].sum()
    out: dict[str, list[tuple[str, int]]] = {}
    for (gemeente, kind), value in sorted(
        units.items(), key=lambda item: (item[0][0], _type_order(str(item[0][1])))
    ):
        if value > 0:
            out.setdefault(str(gemeente), []).append((str(kind), int(value)))
    return out


class _ZoomAggregation(folium.MacroElement):
    """Mark the map's container ``wp-zoomed-out`` below :data:`AGGREGATE_BELOW_ZOOM`: the CSS
    then hides the facility markers and shows the units per type in the gemeente labels."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }};
                var below = {{ this.below }};
                function mark() {
                    map.getContainer().classList.toggle("wp-zoomed-out", map.getZoom() < below);
                    map.fire("wp-aggregated");  // the gemeente labels change width
                }
                map.on("zoomend", mark);
                // After the page's own scripts, once the map has been fitted to the region.
                setTimeout(function () {
                    {% if this.dense %}below = Math.max(below, map.getZoom() + 1);{% endif %}
                    mark();
                }, 0);
            })();
        {% endmacro %}
        """
    )

    def __init__(self, below: int, dense: bool) -> None:
        super().__init__()
        self._name = "ZoomAggregation"
        self.below = below
        self.dense = dense


def add_zoom_aggregation(
    fmap: folium.Map, sites: int, *, below: int = AGGREGATE_BELOW_ZOOM
) -> None:
    """Show units per type per gemeente instead of the markers while zoomed out (shared by map
    and compare; the gemeente layer must have been given the facilities).

    Below zoom ``below``, and with more than :data:`DENSE_SITES` sites also at the zoom the
    map opens with: one step in shows the markers.
    """
    _ZoomAggregation(below, sites > DENSE_SITES).add_to(fmap)


def flow_layer(
    flows: pd.DataFrame,
    neighbourhoods: gpd.GeoDataFrame,
    points: Mapping[str, tuple[float, float]],
    labels: Mapping[str, str],
    threshold: int,
    privacy: PagePrivacy | None = None,
) -> folium.FeatureGroup:
    """Lines from each origin to its site, one per origin, site and type, width by children.

    A flow the page rule hides (:attr:`~woonplanner.privacy.PagePrivacy.flows`) reads "<5" or
    "≥5" and is drawn as thin as a small one. A flow that rounds to no child (a third of an
    expected child) is not drawn: a line reading "0 kinderen" contradicts itself (JZ13: 454
    of 871 lines), and it is the rule of the unplaced hatching (:func:`is_children`).
    """
    hidden_flows = privacy.flows if privacy is not None else frozenset()
    # Off at first: a region has hundreds of flows, and their web would bury the facilities.
    group = folium.FeatureGroup(name=labels["layer_flows"], show=False)
    agg = _aggregate_flows(flows)
    # A child placed in its own neighbourhood has no line to draw.
    agg = agg[agg["origin"] != agg["site"]]
    agg = agg[agg["origin"].isin(points) & agg["site"].isin(points)]
    agg = agg[agg["children"].map(is_children).astype(bool)]
    if agg.empty:
        return group
    names = _names(neighbourhoods)
    biggest = max(float(agg["children"].max()), float(threshold), 1.0)
    features = []
    # Thick lines first, so thin ones stay on top where the mouse can reach them.
    for row in agg.sort_values("children", ascending=False).itertuples(index=False):
        # Every flow below the threshold gets the same width: the width must not tell more
        # than the "<5" label does.
        hidden = (str(row.origin), str(row.site), str(row.type)) in hidden_flows
        shown = float(threshold) if hidden else max(float(row.children), float(threshold))
        weight = round(0.8 + 4.2 * math.sqrt(shown / biggest), 2)
        # Faint: flows are the detail behind the markers, not the picture itself.
        style = {
            "color": type_colour(row.type),
            "weight": weight,
            "opacity": 0.35,
            "lineCap": "round",
        }
        tooltip = _tooltip(
            after=f"{names.get(row.origin, row.origin)} → {names.get(row.site, row.site)}",
            lines=[
                f"{type_label(row.type, labels)}: "
                f"{format_count(row.children, threshold, hidden=hidden)} {labels['children']}"
                # The mean km of fewer than the threshold is their own distance.
                + (
                    ""
                    if hidden or row.children < threshold - 0.5
                    else f", {format_km(row.km, labels.get('html_lang', 'nl'))}"
                )
            ],
        )
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [list(points[row.origin]), list(points[row.site])],
                },
                "properties": {
                    "style": style,
                    "hover": {**style, "opacity": 0.9},
                    "tooltip": tooltip,
                },
            }
        )
    data = {"type": "FeatureCollection", "features": features}
    folium.GeoJson(data, on_each_feature=BIND_FEATURE, pane="wp-flows").add_to(group)
    return group


def facility_layers(
    facilities: pd.DataFrame,
    neighbourhoods: gpd.GeoDataFrame,
    points: Mapping[str, tuple[float, float]],
    labels: Mapping[str, str],
    lang: str,
    threshold: int,
) -> list[folium.FeatureGroup]:
    """One layer per facility type, each marker styled by type and by existing/new/closing."""
    other_types = sorted(set(facilities["type"]) - set(FACILITY_TYPES)) if len(facilities) else []
    groups = {
        kind: folium.FeatureGroup(name=labels[f"layer_{kind}"]) for kind in FACILITY_TYPES
    } | {kind: folium.FeatureGroup(name=esc(kind)) for kind in other_types}
    if facilities.empty:
        return list(groups.values())
    names = _names(neighbourhoods)
    gemeente_names = _gemeente_names(neighbourhoods)
    type_order = {kind: i for i, kind in enumerate((*FACILITY_TYPES, *other_types))}
    facilities = facilities.assign(_order=facilities["type"].map(type_order))
    for site, rows in facilities.sort_values("_order").groupby("neighbourhood", sort=False):
        location = points.get(str(site))
        if location is None:
            # A site outside the neighbourhoods table: its own point, still not an address.
            first = rows.iloc[0]
            if "x" not in first:
                continue  # a run folder's table has no coordinates: nowhere to draw it
            location = _transform_point(first["x"], first["y"], neighbourhoods)
        lon, lat = location
        for i, row in enumerate(rows.itertuples(index=False)):
            # Several types at one site sit side by side instead of on top of each other.
            dx = round((i - (len(rows) - 1) / 2) * _ICON_SPACING)
            status = _facility_status(row)
            half = _ICON_SIZE // 2
            icon = folium.DivIcon(
                html=icon_svg(row.type, status, units=0 if pd.isna(row.units) else int(row.units)),
                icon_size=(_ICON_SIZE, _ICON_SIZE),
                icon_anchor=(half - dx, half),
                class_name=f"wp-facility wp-{_css_token(row.type)} wp-{status}",
            )
            marker = folium.Marker([lat, lon], icon=icon)
            site_name = names.get(site, site)
            tooltip = _tooltip(
                type_label(row.type, labels), f" · {labels[f'status_{status}']}", [site_name]
            )
            popup = _facility_popup(
                row,
                status,
                site_name,
                gemeente_names.get(site, row.gemeente),
                labels,
                lang,
                threshold,
            )
            _Bind(popup, tooltip).add_to(marker)
            marker.add_to(groups[row.type])
    return list(groups.values())


def unit_change_layer(
    changes: pd.DataFrame,
    neighbourhoods: gpd.GeoDataFrame,
    points: Mapping[str, tuple[float, float]],
    labels: Mapping[str, str],
    *,
    name: str,
) -> folium.FeatureGroup:
    """Per site, a badge with the units each type gains (+) or loses (−) against another plan.

    Parameters
    ----------
    changes
        ``neighbourhood, type, units_reference, units, delta``, one row per site and type
        whose units differ (``compare``'s :func:`~woonplanner.outputs.compare.unit_differences`).
    neighbourhoods, points
        The neighbourhood names and the representative points (lon, lat) by code.
    labels
        The page's texts.
    name
        The layer's name in the layer control. The map needs :func:`add_panes` with
        ``changes=True``.
    """
    group = folium.FeatureGroup(name=name)
    names = _names(neighbourhoods)
    order = {kind: i for i, kind in enumerate(FACILITY_TYPES)}
    lang = labels.get("html_lang", "nl")
    for site, rows in changes.groupby("neighbourhood", sort=True):
        if site not in points:
            continue
        rows = rows.assign(_o=rows["type"].map(order).fillna(len(order))).sort_values("_o")
        badge, lines = [], []
        for row in rows.itertuples(index=False):
            sign, css = ("+", "plus") if row.delta > 0 else ("−", "minus")
            badge.append((type_colour(row.type), css, f"{sign}{abs(int(row.delta))}"))
            lines.append(
                f"{type_label(row.type, labels)}: {sign}{abs(int(row.delta))} "
                f"({format_whole(row.units_reference, lang)} → {format_whole(row.units, lang)})"
            )
        lon, lat = points[str(site)]
        icon = folium.DivIcon(
            html=change_badge(badge),
            icon_size=(0, 0),
            # Under the facility markers, so both stay readable.
            icon_anchor=(0, -_ICON_SIZE // 2 - 2),
            class_name="wp-change",
        )
        marker = folium.Marker([lat, lon], icon=icon, pane=_CHANGE_PANE[0])
        tooltip = _tooltip(names.get(str(site), site), f" ({name})", lines)
        _Bind(_part("change_popup", Markup(tooltip)), tooltip).add_to(marker)
        marker.add_to(group)
    return group


# --- popups and labels ----------------------------------------------------------------------


def _neighbourhood_popup(row: pd.Series, labels: Mapping[str, str], privacy: PagePrivacy) -> str:
    """Name, code, gemeente and children counts of one neighbourhood, as the page rule allows
    (the mean km only for at least the threshold of placed children)."""
    code = row["code"]
    rows = [
        (
            labels[key],
            format_count(row[column], privacy.threshold, hidden=privacy.cell(code, column)),
        )
        for key, column in (
            ("demand", "children_demand"),
            ("placed", "children_placed"),
            ("unplaced", "children_unplaced"),
        )
    ]
    hide_km = privacy.cell(code, "mean_km") or str(code) not in privacy.hidden.index
    rows.append(
        (
            labels["mean_km"],
            "–" if hide_km else format_km(row.get("mean_km"), labels.get("html_lang", "nl")),
        )
    )
    gemeente = row.get("gemeente_name", row["gemeente"])
    return _part(
        "neighbourhood_popup", row["name"], row["code"], labels, gemeente, row["gemeente"], rows
    )


def _facility_popup(
    row: Any,
    status: str,
    site_name: str,
    gemeente_name: str,
    labels: Mapping[str, str],
    lang: str,
    threshold: int,
) -> str:
    """Type, status, site and the unit and place numbers of one facility row."""
    rows = [
        (labels["existing_units"], format_whole(row.existing_units, lang)),
        (labels["opened_units"], format_whole(row.opened_units, lang)),
        (labels["closed_units"], format_whole(row.closed_units, lang)),
        (labels["units"], format_whole(row.units, lang)),
        (labels["places"], format_whole(row.places, lang)),
        # A facility's own occupancy is no count of a neighbourhood's children: shown whole,
        # like its places (docs/privacy.md); the flows into it are protected instead.
        (labels["occupied"], format_whole(row.occupied, lang)),
    ]
    if _children_replaced(row) > 0:
        rows.append((labels["children_replaced"], format_count(_children_replaced(row), threshold)))
    return _part(
        "facility_popup",
        type_label(row.type, labels),
        labels[f"status_{status}"],
        labels,
        site_name,
        row.neighbourhood,
        gemeente_name,
        rows,
    )


def _gemeente_popup(row: pd.Series, labels: Mapping[str, str], lang: str) -> str:
    """Inhabitants and the small-scale housing norm of one gemeente."""
    met = bool(row["norm_met"])
    rows = [
        (labels["inhabitants"], format_whole(row["inhabitants"], lang)),
        (labels["small_scale_units"], format_whole(row["small_scale_units"], lang)),
        (
            labels["required_small_scale_units"],
            format_whole(row["required_small_scale_units"], lang),
        ),
    ]
    colour = NORM_MET_COLOUR if met else NORM_NOT_MET_COLOUR
    return _part("gemeente_popup", row["name"], row["code"], colour, _norm_label(met, labels), rows)


def _title_html(
    plan: Plan,
    neighbourhoods: gpd.GeoDataFrame,
    labels: Mapping[str, str],
    privacy: PagePrivacy,
    heading: str,
    lang: str,
) -> str:
    """Heading, region totals (as the page rule allows) and, when the solver did not prove
    optimality, a warning."""
    summary = labels["summary"].format(
        **{
            key: format_total(
                neighbourhoods[column].sum(), privacy.threshold, privacy.region[column], lang
            )
            for key, column in (
                ("demand", "children_demand"),
                ("placed", "children_placed"),
                ("unplaced", "children_unplaced"),
            )
        }
    )
    banner = ""
    status = str(plan.kpis.get("status", "unknown"))
    if status != "optimal":
        banner = labels["not_optimal"]
        gap = plan.kpis.get("mip_gap")
        if gap is not None and math.isfinite(float(gap)):
            # mip_gap is HiGHS's relative gap, a fraction; written as the report writes it.
            fmt = Formatter(lang=lang, threshold=privacy.threshold, page="map")
            banner += f", {labels['gap']} {fmt.percent(float(gap), decimals=1)}"
            if plan.kpis.get("bound_from") == "coarse":  # the buurt level: the report says more
                banner += f" {labels['gap_to_coarse']}"
    return _part("title", heading, summary, banner, status, labels)


def _heading(plan: Plan, labels: Mapping[str, str]) -> str:
    """Like the report: the region's name after the generic title."""
    region = vocab.place_name(plan.manifest, labels["html_lang"])
    return f"{labels['title']} — {region}" if region else labels["title"]


def _legend_html(
    edges: list[float], labels: Mapping[str, str], threshold: int, flows: pd.DataFrame
) -> str:
    """The legend: demand classes, types, status, flows (in the colours of the types they
    carry), norm colours and unplaced hatch."""
    demand = [
        (Markup(f'<span class="wp-swatch" style="background:{colour}"></span>'), text)
        for colour, text in [
            *_demand_classes(edges, threshold),
            (_HIDDEN_COLOUR, labels["legend_demand_hidden"].format(threshold=threshold)),
        ]
    ]
    types = [
        (Markup(icon_svg(kind, "existing", units=0, size=20)), type_label(kind, labels))
        for kind in FACILITY_TYPES
    ]
    status = [
        (Markup(icon_svg(None, s, units=0, size=20)), labels[f"status_{s}"])
        for s in ("existing", "new", "closing", "moving")
    ]
    kinds = set(flows["type"]) if len(flows) else set()
    flow_kinds = [k for k in FACILITY_TYPES if k in kinds] + sorted(kinds - set(FACILITY_TYPES))
    flows = [
        (
            Markup(
                '<svg class="wp-line" height="12" viewBox="0 0 26 12">'
                f'<line x1="1" y1="9" x2="25" y2="3" stroke="{type_colour(kind)}" '
                'stroke-width="4" stroke-opacity="0.7" stroke-linecap="round"/></svg>'
            ),
            type_label(kind, labels),
        )
        for kind in flow_kinds or FACILITY_TYPES
    ] + [(Markup(""), labels["legend_flows_text"])]
    norm = [
        (
            Markup(
                '<svg class="wp-line" height="12" viewBox="0 0 26 12">'
                f'<line x1="1" y1="6" x2="25" y2="6" stroke="{colour}" stroke-width="3"{dash}/>'
                "</svg>"
            ),
            _norm_label(met, labels),
        )
        for met, colour, dash in (
            (True, NORM_MET_COLOUR, ""),
            (False, NORM_NOT_MET_COLOUR, ' stroke-dasharray="6 3"'),
        )
    ]
    unplaced = [
        (
            Markup(
                '<svg class="wp-swatch" viewBox="0 0 18 12" '
                f'style="border:2px solid {UNPLACED_COLOUR}"><rect width="18" height="12" '
                'fill="url(#wp-hatch)"/></svg>'
            ),
            labels["legend_unplaced_text"],
        )
    ]
    blocks = [
        (labels["legend_demand"], demand),
        (labels["legend_types"], types),
        (labels["legend_status"], status),
        (labels["legend_flows"], flows),
        (labels["legend_gemeenten"], norm),
        (labels["layer_unplaced"], unplaced),
    ]
    return _part("legend", labels, blocks, labels["legend_note"].format(threshold=threshold))


def change_badge(items: list[tuple[str, str, str]], *, style: str = "") -> str:
    """The badge of units a site gains or loses: ``(colour, "plus" | "minus", text)`` per type
    (the change layer draws it, compare's legend shows one; ``style`` of its box)."""
    return _part("change_badge", items, style)


def _tooltip(bold: Any = "", after: str = "", lines: Iterable[Any] = ()) -> str:
    """A tooltip: a bold head, text after it, then one line each (escaped in the template)."""
    return _part("tooltip", bold, after, list(lines))


def _part(macro: str, *args: Any) -> str:
    """One part of the map page from ``templates/map.html.j2`` (escaped there)."""
    return str(render_macro("map.html.j2", macro, *args))


def icon_svg(kind: str | None, status: str, *, units: int, size: int = _ICON_SIZE) -> str:
    """An SVG marker: shape and fill by type, outline and badge by status.

    Existing is solid with a white outline; new has a thick green outline and a "+" badge;
    closing is faded with a dashed red outline and a "×" badge; a closing facility whose
    children must move (``moving``) has a solid red outline and a "!" badge.
    """
    colour = type_colour(kind)
    stroke, width, dash, fill_opacity = {
        "existing": ("#ffffff", 2.0, "", 1.0),
        "new": (NEW_COLOUR, 3.5, "", 1.0),
        "closing": (CLOSING_COLOUR, 3.0, ' stroke-dasharray="3.5 2.5"', 0.4),
        "moving": (CLOSING_COLOUR, 3.5, "", 0.4),
    }[status]
    paint = (
        f'fill="{colour}" fill-opacity="{fill_opacity}" stroke="{stroke}" '
        f'stroke-width="{width}"{dash}'
    )
    shape = TYPE_SHAPES.get(kind, "diamond") if kind else "circle"
    text_y = 14.0
    if shape == "circle":
        body = f'<circle cx="14" cy="14" r="9.5" {paint}/>'
    elif shape == "house":
        body = f'<path d="M14 3.5 L24 12 V24 H4 V12 Z" stroke-linejoin="round" {paint}/>'
        text_y = 16.5
    elif shape == "square":
        body = f'<rect x="4.5" y="4.5" width="19" height="19" rx="2.5" {paint}/>'
    else:
        body = f'<path d="M14 3 L25 14 L14 25 L3 14 Z" stroke-linejoin="round" {paint}/>'
    if units > 0:
        font = 10 if units < 100 else 8
        ink = "#ffffff" if status not in ("closing", "moving") else "#222222"
        body += (
            f'<text x="14" y="{text_y}" dy="0.35em" text-anchor="middle" font-size="{font}" '
            f'font-weight="700" font-family="system-ui, sans-serif" fill="{ink}">{units}</text>'
        )
    if status in ("new", "closing", "moving"):
        badge = NEW_COLOUR if status == "new" else CLOSING_COLOUR
        mark = {"new": "+", "closing": "×", "moving": "!"}[status]
        body += (
            f'<circle cx="24" cy="4.5" r="4.5" fill="{badge}" stroke="#fff" stroke-width="1"/>'
            f'<text x="24" y="4.5" dy="0.35em" text-anchor="middle" font-size="8" '
            f'font-weight="700" font-family="system-ui, sans-serif" fill="#fff">{mark}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 28 28" style="flex:none">{body}</svg>'
    )


# --- data helpers ---------------------------------------------------------------------------


def _with_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame with its CRS set; a Plan without one is in EPSG:28992 by contract."""
    if frame.crs is None:
        return frame.set_crs(PLAN_CRS)
    return frame


def feature_collection(
    frame: gpd.GeoDataFrame, properties: Callable[[pd.Series], dict[str, Any]]
) -> dict[str, Any]:
    """GeoJSON in WGS84 whose properties are only what ``properties`` returns.

    No raw column goes into the page: names reach it only through the escaped popups.
    """
    geometry = frame.geometry
    if CRS.from_user_input(frame.crs).is_projected:
        geometry = geometry.simplify(_SIMPLIFY_METRES, preserve_topology=True)
    # Reprojecting a simplified outline can make it self-touch (seen on dissolved gemeenten of
    # JZ04, JZ06, JZ29), and set_precision refuses invalid input: repair first.
    wgs84 = shapely.make_valid(geometry.to_crs("EPSG:4326").values)
    geometry = shapely.set_precision(wgs84, _COORD_GRID_DEGREES)
    features = []
    for i, ((_, row), geom) in enumerate(zip(frame.iterrows(), geometry, strict=True)):
        if geom is None or geom.is_empty:
            continue
        features.append(
            {
                "type": "Feature",
                "id": str(i),
                "geometry": shapely.geometry.mapping(geom),
                "properties": properties(row),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def representative_points(
    neighbourhoods: gpd.GeoDataFrame, to_wgs84: Transformer | None = None
) -> dict[str, tuple[float, float]]:
    """(lon, lat) of each neighbourhood's representative point (``rep_x, rep_y``), by code.

    Facilities are drawn there, never at an address.
    """
    if to_wgs84 is None:
        crs = _with_crs(neighbourhoods).crs
        to_wgs84 = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    if neighbourhoods.empty:
        return {}
    lon, lat = to_wgs84.transform(
        neighbourhoods["rep_x"].to_numpy(float), neighbourhoods["rep_y"].to_numpy(float)
    )
    return {
        str(code): (round(float(x), 6), round(float(y), 6))
        for code, x, y in zip(
            neighbourhoods["code"], np.atleast_1d(lon), np.atleast_1d(lat), strict=True
        )
    }


def _transform_point(x: float, y: float, neighbourhoods: gpd.GeoDataFrame) -> tuple[float, float]:
    """(lon, lat) of one point in the plan's CRS."""
    to_wgs84 = Transformer.from_crs(neighbourhoods.crs or PLAN_CRS, "EPSG:4326", always_xy=True)
    lon, lat = to_wgs84.transform(float(x), float(y))
    return round(lon, 6), round(lat, 6)


#: How far inside its gemeente a label's first point must be: at least this share of the
#: largest distance from the border any point of the gemeente has.
_LABEL_DEPTH = 0.3
#: Candidate points per label: how many, how far apart (pixels at the opening zoom) and how
#: deep inside (share of the largest distance from the border).
_LABEL_TIERS = ((6, 30, _LABEL_DEPTH), (30, 50, 0.1))
#: Pixels (at the opening zoom) around a point whose inhabitants make it a label's first place.
_LABEL_REACH_PX = 60


def label_candidates(
    geometry: Any,
    people: np.ndarray | None = None,
    *,
    metres_per_pixel: float,
) -> list[shapely.Point]:
    """Where a gemeente's label may go, best first: points well inside it, where people live.

    Candidates are a grid over the gemeente and the point of each of its largest parts farthest
    from the border (the pole of inaccessibility, ``shapely.ops.polylabel``); those at least
    :data:`_LABEL_DEPTH` of the deepest one's distance from the border count as well inside.
    The first is the one with the most inhabitants around it (``people`` within a few km, the
    width of a label at the opening zoom), so a long gemeente is labelled over its town, not at
    its centroid or in its port; without ``people`` it is the deepest point. The others follow
    by distance from it, spread as :data:`_LABEL_TIERS` says (pixels at the opening zoom): a
    few near the first, then a few over the whole gemeente, so the page has real alternatives.

    Parameters
    ----------
    geometry
        The gemeente's (multi)polygon in a projected CRS (metres).
    people
        ``x, y, inhabitants`` of its neighbourhoods' points (n × 3, same CRS), or ``None``.
    metres_per_pixel
        At the zoom the map opens with (:func:`_opening_metres_per_pixel`).

    Returns
    -------
    list of shapely.Point
        At least one, at most 36 (:data:`_LABEL_TIERS`), each inside ``geometry``.
    """
    parts = sorted(getattr(geometry, "geoms", [geometry]), key=lambda part: -part.area)
    poles = [polylabel(part, tolerance=max(part.length / 2000, 1.0)) for part in parts[:3]]
    west, south, east, north = geometry.bounds
    step = max(metres_per_pixel * 10, (east - west) / 60, (north - south) / 60)
    grid_x, grid_y = np.meshgrid(np.arange(west, east, step), np.arange(south, north, step))
    grid = shapely.points(np.column_stack([grid_x.ravel(), grid_y.ravel()]))
    points = np.array([*poles, *grid[shapely.contains(geometry, grid)]], dtype=object)
    points = points[shapely.contains(geometry, points)]
    if len(points) == 0:  # a sliver: the representative point is always inside
        return [geometry.representative_point()]
    depth = shapely.distance(points, geometry.boundary)
    xy = shapely.get_coordinates(points)
    score = np.where(depth >= _LABEL_DEPTH * depth.max(), depth, -1.0)
    if people is not None and len(people) and np.sum(people[:, 2]) > 0:
        # Inhabitants around each point, within about half a label's width.
        reach = max(_LABEL_REACH_PX * metres_per_pixel, 500.0)
        near = np.hypot(xy[:, None, 0] - people[None, :, 0], xy[:, None, 1] - people[None, :, 1])
        around = (np.exp(-((near / reach) ** 2)) * people[None, :, 2]).sum(axis=1)
        score = np.where(score >= 0, around, -1.0)
    first = xy[int(np.argmax(score))]
    order = np.argsort(np.hypot(xy[:, 0] - first[0], xy[:, 1] - first[1]), kind="stable")
    chosen: list[int] = []
    # A few well inside and close to the first, then a few farther apart over the whole
    # gemeente: a place clear of the facility markers when they show.
    for count, spread_px, share in _LABEL_TIERS:
        spread = spread_px * metres_per_pixel
        goal = len(chosen) + count
        for i in order:
            if len(chosen) == goal:
                break
            if depth[i] >= share * depth.max() and all(
                np.hypot(*(xy[i] - xy[j])) >= spread for j in chosen
            ):
                chosen.append(int(i))
    return [points[i] for i in chosen]


def _people(neighbourhoods: gpd.GeoDataFrame | None) -> dict[str, np.ndarray]:
    """Per gemeente code, ``x, y, inhabitants`` of its neighbourhoods' points (n × 3)."""
    needed = {"gemeente", "rep_x", "rep_y", "inhabitants"}
    if neighbourhoods is None or neighbourhoods.empty or not needed <= set(neighbourhoods):
        return {}
    frame = pd.DataFrame(
        {
            "x": neighbourhoods["rep_x"].astype(float),
            "y": neighbourhoods["rep_y"].astype(float),
            "w": neighbourhoods["inhabitants"].astype(float).fillna(0.0).clip(lower=0.0),
        }
    )
    gemeente = neighbourhoods["gemeente"].astype(str).to_numpy()
    return {str(code): frame.to_numpy(float)[gemeente == code] for code in np.unique(gemeente)}


def _opening_metres_per_pixel(frame: gpd.GeoDataFrame) -> float:
    """Metres per pixel at the zoom Leaflet's fitBounds picks on a typical 1200×800 window.

    :class:`_FitBounds` leaves room for the legend on the left and the title above; the zoom
    goes in quarter steps.
    """
    west, south, east, north = frame.to_crs("EPSG:3857").total_bounds
    _, lat_south, _, lat_north = frame.to_crs("EPSG:4326").total_bounds
    lat = math.radians((lat_south + lat_north) / 2)
    equator = 2 * math.pi * 6_378_137 / 256  # metres per pixel at zoom 0
    fit = max((east - west) / (1180 - _LEGEND_ROOM), (north - south) / 700, 1e-9)
    zoom = math.floor(4 * math.log2(equator / fit)) / 4  # plan_map's quarter steps
    # Web Mercator metres are 1/cos(lat) ground metres; the plan's CRS measures ground metres.
    return equator / 2**zoom * math.cos(lat)


def _centre(points: Mapping[str, tuple[float, float]]) -> list[float]:
    """[lat, lon] in the middle of the points; the map is fitted to the region afterwards."""
    if not points:
        return [52.15, 5.39]  # Amersfoort, the origin of the RD grid
    lons, lats = zip(*points.values(), strict=True)
    return [float(np.mean(lats)), float(np.mean(lons))]


def _aggregate_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """Children and child-weighted mean km per (origin, site, type)."""
    columns = ["origin", "site", "type", "children", "km"]
    if flows.empty:
        return pd.DataFrame(columns=columns)
    flows = flows[flows["children"] > 0].assign(child_km=lambda f: f["children"] * f["km"])
    agg = flows.groupby(["origin", "site", "type"], as_index=False)[["children", "child_km"]].sum()
    agg["km"] = agg["child_km"] / agg["children"]
    return agg[columns]


def demand_edges(demand: pd.Series, threshold: int) -> list[float]:
    """Class edges for the demand choropleth: 0, the threshold, then up to five breaks at the
    quintiles of the shown values at or above the threshold, rounded to nice numbers.

    Quantiles of the data, so a big city's wijken spread over the classes instead of all
    falling in a fixed top class. No edge lies between 0 and the threshold: a class like
    "1–2" would tell more than "<5". Every edge is a whole number of children (a class
    "5–7.5" would read as half children).
    """
    values = demand.dropna().to_numpy(float)
    edges = [0.0, float(threshold)]
    above = values[values >= threshold]
    if above.size == 0:
        return edges
    for q in (0.2, 0.4, 0.6, 0.8):
        nice = _nice(float(np.quantile(above, q)))
        if nice > edges[-1] and nice < above.max():
            edges.append(nice)
    return edges


def _nice(value: float) -> float:
    """Round to 1, 1.5, 2, 3, 5 or 7.5 times a power of ten, then to a whole number (7.5 is 8,
    1.5 is 2); never below 1."""
    if value <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(value))
    nice = min((m * power for m in (1, 1.5, 2, 3, 5, 7.5, 10)), key=lambda c: abs(c - value))
    return float(max(1, math.floor(nice + 0.5)))


def _demand_classes(edges: list[float], threshold: int) -> list[tuple[str, str]]:
    """(colour, label) per demand class, from zero upwards.

    The classes hold whole children, as the page shows them (:func:`_demand_colour`), so no
    two labels share a number: with edges 0, 5, 8, 10 they read "0", "<5", "5–7", "8–9",
    "≥ 10" (not "5–8" and "8–10", where a neighbourhood of 8 would be in both).

    >>> [label for _colour, label in _demand_classes([0.0, 5.0, 6.0, 8.0], 5)]
    ['0', '<5', '5', '6–7', '≥ 8']
    """
    classes = [(_ZERO_COLOUR, "0"), (_DEMAND_COLOURS[0], f"<{threshold}")]
    uppers = edges[2:]
    lowers = edges[1:]
    for i, lower in enumerate(lowers):
        colour = _DEMAND_COLOURS[min(i + 1, len(_DEMAND_COLOURS) - 1)]
        if i < len(uppers):
            last = uppers[i] - 1  # edges are whole children: the class ends one below the next
            label = f"{lower:g}" if last <= lower else f"{lower:g}–{last:g}"
            classes.append((colour, label))
        else:
            classes.append((colour, f"≥ {lower:g}"))
    return classes


def _demand_colour(value: float, edges: list[float]) -> str:
    """The fill of one neighbourhood's demand: the class of the number its popup and tooltip
    show (:func:`~woonplanner.privacy.whole`), so 0.3 expected children ("0") is in the "0"
    class and 4.6 ("5") in the first class from the threshold, not in "<5"."""
    if value is None or not np.isfinite(value):
        return _ZERO_COLOUR
    shown = whole(value)
    if shown <= 0:
        return _ZERO_COLOUR
    # Class 0 is 1 … threshold − 1; class i holds edges[i] … edges[i+1] − 1.
    index = int(np.searchsorted(edges[1:], shown, side="right"))
    return _DEMAND_COLOURS[min(index, len(_DEMAND_COLOURS) - 1)]


def _facility_status(row: Any) -> str:
    """``new`` when units open here, ``closing`` when units close (``moving`` when children
    living there must move), otherwise ``existing``."""
    if row.opened_units > 0:
        return "new"
    if row.closed_units > 0:
        return "moving" if _children_replaced(row) > 0 else "closing"
    return "existing"


def _children_replaced(row: Any) -> float:
    """A facility row's re-placements (0 for a plan made without placements)."""
    value = getattr(row, "children_replaced", 0.0)
    return 0.0 if pd.isna(value) else float(value)


def _names(neighbourhoods: gpd.GeoDataFrame) -> dict[str, str]:
    """Neighbourhood name by code (raw: escape before use)."""
    return dict(zip(neighbourhoods["code"].astype(str), neighbourhoods["name"], strict=True))


def _gemeente_names(neighbourhoods: gpd.GeoDataFrame) -> dict[str, str]:
    """Gemeente name by neighbourhood code (raw: escape before use)."""
    column = "gemeente_name" if "gemeente_name" in neighbourhoods else "gemeente"
    return dict(zip(neighbourhoods["code"].astype(str), neighbourhoods[column], strict=True))


def _norm_label(met: bool, labels: Mapping[str, str]) -> str:
    """'Norm gehaald' or 'Norm niet gehaald' in the map's language."""
    return labels["norm_met"] if met else labels["norm_not_met"]


def _css_token(value: Any) -> str:
    """A class-name-safe version of a data value."""
    return "".join(c if c.isalnum() else "-" for c in str(value).lower())
