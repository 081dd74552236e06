"""Compare two to four run folders: side-by-side maps and a table of KPI differences.

:func:`compare_runs` reads only the files a run wrote (``kpis.json``, ``facilities.csv``,
``flows.csv``, ``plan.gpkg``, ``scenario.toml``); it never solves anything. It writes a folder,
atomically like a run folder (:mod:`woonplanner.outputs.files`), with

``compare.html``
    one Leaflet map per run, side by side (2 or 3 runs) or in a 2 × 2 grid (4 runs), kept on
    the same view: pan or zoom one and the others follow. Each map shows that run's facilities
    by type (existing, new, closing), each gemeente's 1-per-40,000 status and the
    neighbourhoods with unplaced children; every map after the first has a layer "units added /
    removed" against the first run. Below the maps: the region KPIs of each run with the
    difference against the first, and the scenario settings that differ between the runs.
``compare.csv``
    one row per KPI: ``kpi``, one column per run (named after its scenario) and ``delta_<run>``
    for every run after the first (that run minus the first).

The maps are kept in step by a few lines of inline JavaScript rather than folium's ``DualMap``:
``DualMap`` loads the Leaflet.Sync plugin from a CDN (so it breaks offline and in the browser
tests) and handles two maps only; the inline version handles two to four.
"""

from __future__ import annotations

import html
import json
import math
import tomllib
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from woonplanner.errors import InputDataError, raise_if_problems
from woonplanner.outputs.files import check_out_dir, write_folder
from woonplanner.outputs.maps import _icon_svg
from woonplanner.outputs.report import TYPE_COLOURS, Formatter

__all__ = ["LABELS", "RUN_FILES", "compare_runs", "kpi_differences", "read_run"]

#: The files that make a folder a run folder (all are read).
RUN_FILES: tuple[str, ...] = (
    "kpis.json",
    "facilities.csv",
    "flows.csv",
    "plan.gpkg",
    "scenario.toml",
)
MIN_RUNS, MAX_RUNS = 2, 4
FACILITY_TYPES: tuple[str, ...] = ("pleeggezin", "gezinshuis", "woongroep")
_LETTERS = "ABCD"
_EPS = 1e-6

#: Every text of compare.html, per language.
LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "html_lang": "nl",
        "title": "Scenario's vergeleken",
        "intro": (
            "{n} plannen naast elkaar. De kaarten bewegen samen: schuif of zoom in één kaart en "
            "de andere volgen. Op kaart {others} toont de laag “{diff}” wat er per buurt "
            "bijkomt (+) of afgaat (−) ten opzichte van plan A."
        ),
        "reference": "referentie",
        "and": " en ",
        "not_optimal": "niet bewezen optimaal, gap {gap}",
        "layer_tiles": "Achtergrondkaart",
        "layer_gemeenten": "Gemeenten (norm)",
        "layer_unplaced": "Niet geplaatst",
        "layer_pleeggezin": "Pleeggezinnen",
        "layer_gezinshuis": "Gezinshuizen",
        "layer_woongroep": "Woongroepen",
        "layer_diff": "Eenheden erbij / eraf t.o.v. A",
        "legend_types": "Vormen (getal = eenheden)",
        "legend_status": "Status t.o.v. huidige voorraad",
        "status_existing": "bestaand",
        "status_new": "nieuw",
        "status_closing": "sluit",
        "legend_diff": "Verschil met plan A",
        "diff_plus": "eenheden erbij",
        "diff_minus": "eenheden eraf",
        "legend_gemeenten": "Gemeenten",
        "norm_met": "norm gehaald",
        "norm_not_met": "norm niet gehaald",
        "legend_unplaced": "buurt met niet geplaatste kinderen",
        "privacy": (
            "Voorzieningen staan op een punt in de buurt, nooit op een adres. Aantallen "
            "kinderen onder {threshold} staan als “<{threshold}”."
        ),
        "kpi_title": "Kerncijfers per plan",
        "kpi_intro": "Δ = plan min plan A. Groen is beter, rood is slechter.",
        "kpi": "Kerncijfer",
        "delta": "Δ {letter}",
        "settings_title": "Wat de scenario's anders instellen",
        "settings_none": "De scenario's stellen niets anders in.",
        "setting": "Instelling",
        "placed_short": "geplaatst",
        "unplaced_short": "niet geplaatst",
        "cost_short": "per jaar",
        "units_short": "eenheden",
        "neighbourhood": "Buurt",
        "children": "kinderen",
        "kpi_children_demand": "Kinderen die een plek nodig hebben",
        "kpi_children_placed": "Geplaatst",
        "kpi_children_unplaced": "Niet geplaatst",
        "kpi_mean_km": "Gemiddelde afstand tot school (km)",
        "kpi_median_km": "Mediane afstand (km)",
        "kpi_p90_km": "90 % binnen (km)",
        "kpi_child_km": "Kind-kilometers",
        "kpi_annual_cost_eur": "Jaarlijkse kosten (€)",
        "kpi_one_off_cost_eur": "Eenmalige kosten (€)",
        "kpi_small_scale_units": "Kleinschalige eenheden",
        "kpi_required_small_scale_units": "Vereist volgens norm",
        "kpi_gemeenten_norm_met": "Gemeenten die de norm halen",
        "kpi_units_by_type": "Eenheden: {type}",
        "kpi_places_by_type": "Plaatsen: {type}",
        "kpi_occupied_by_type": "Bezet: {type}",
        "kpi_opened_by_type": "Geopend: {type}",
        "kpi_closed_by_type": "Gesloten: {type}",
    },
    "en": {
        "html_lang": "en",
        "title": "Scenarios compared",
        "intro": (
            "{n} plans side by side. The maps move together: pan or zoom one and the others "
            "follow. On map {others} the layer “{diff}” shows what each neighbourhood gains (+) "
            "or loses (−) against plan A."
        ),
        "reference": "reference",
        "and": " and ",
        "not_optimal": "not proven optimal, gap {gap}",
        "layer_tiles": "Background map",
        "layer_gemeenten": "Gemeenten (norm)",
        "layer_unplaced": "Unplaced children",
        "layer_pleeggezin": "Foster families",
        "layer_gezinshuis": "Family homes",
        "layer_woongroep": "Group homes",
        "layer_diff": "Units added / removed vs A",
        "legend_types": "Types (number = units)",
        "legend_status": "Status against the current stock",
        "status_existing": "existing",
        "status_new": "new",
        "status_closing": "closing",
        "legend_diff": "Difference with plan A",
        "diff_plus": "units added",
        "diff_minus": "units removed",
        "legend_gemeenten": "Gemeenten",
        "norm_met": "norm met",
        "norm_not_met": "norm not met",
        "legend_unplaced": "neighbourhood with unplaced children",
        "privacy": (
            "Facilities are drawn at a point in the neighbourhood, never at an address. Counts "
            "of children below {threshold} are shown as “<{threshold}”."
        ),
        "kpi_title": "Headline figures per plan",
        "kpi_intro": "Δ = plan minus plan A. Green is better, red is worse.",
        "kpi": "Figure",
        "delta": "Δ {letter}",
        "settings_title": "What the scenarios set differently",
        "settings_none": "The scenarios set nothing differently.",
        "setting": "Setting",
        "placed_short": "placed",
        "unplaced_short": "unplaced",
        "cost_short": "a year",
        "units_short": "units",
        "neighbourhood": "Neighbourhood",
        "children": "children",
        "kpi_children_demand": "Children needing a place",
        "kpi_children_placed": "Placed",
        "kpi_children_unplaced": "Unplaced",
        "kpi_mean_km": "Mean distance to school (km)",
        "kpi_median_km": "Median distance (km)",
        "kpi_p90_km": "90 % within (km)",
        "kpi_child_km": "Child-km",
        "kpi_annual_cost_eur": "Annual cost (€)",
        "kpi_one_off_cost_eur": "One-off cost (€)",
        "kpi_small_scale_units": "Small-scale units",
        "kpi_required_small_scale_units": "Required by the norm",
        "kpi_gemeenten_norm_met": "Gemeenten meeting the norm",
        "kpi_units_by_type": "Units: {type}",
        "kpi_places_by_type": "Places: {type}",
        "kpi_occupied_by_type": "Occupied: {type}",
        "kpi_opened_by_type": "Opened: {type}",
        "kpi_closed_by_type": "Closed: {type}",
    },
}

#: Whether more (+1) or less (-1) of a KPI is better; others are neutral.
#: Placed children and child-km follow demand, so they are neither better nor worse.
_BETTER = {
    "children_unplaced": -1,
    "mean_km": -1,
    "median_km": -1,
    "p90_km": -1,
    "annual_cost_eur": -1,
    "one_off_cost_eur": -1,
    "gemeenten_norm_met": 1,
}
#: KPIs that count children (shown with the privacy threshold) and KPIs in km.
_CHILDREN = {"children_demand", "children_placed", "children_unplaced", "occupied_by_type"}
_KM = {"mean_km", "median_km", "p90_km"}
_MONEY = {"annual_cost_eur", "one_off_cost_eur"}

_NORM_MET_COLOUR = "#1a9641"
_NORM_NOT_MET_COLOUR = "#d7191c"
_UNPLACED_COLOUR = "#c0392b"
_PLUS_COLOUR = "#1a7f37"
_MINUS_COLOUR = "#c62828"
_ICON_SIZE = 28
_ICON_SPACING = 26

_CSS = """
<style>
/* "html > body" outranks folium's own "html, body" rule that pins the page to the window. */
html, html > body { height: auto; }
html > body { margin: 0; width: auto; color: #1f2328; background: #fff;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  display: grid; gap: 0 10px; padding: 0 14px 40px; }
.cmp-wide { grid-column: 1 / -1; }
.cmp-header h1 { font-size: 22px; margin: 14px 0 2px; }
.cmp-header p { margin: 2px 0 8px; color: #444; max-width: 1100px; }
.cmp-head { padding: 8px 2px 4px; border-top: 4px solid #333; margin-top: 8px; }
.cmp-head .name { font-size: 16px; font-weight: 700; }
.cmp-head .letter { display: inline-block; width: 22px; height: 22px; line-height: 22px;
  text-align: center; border-radius: 50%; background: #333; color: #fff; font-size: 13px;
  margin-right: 6px; }
.cmp-head .desc { color: #555; font-size: 13px; }
.cmp-head .figs { font-size: 13px; margin-top: 2px; font-variant-numeric: tabular-nums; }
.cmp-head .figs b { font-weight: 700; }
.cmp-head .bad { color: #c62828; }
.cmp-head .warn { display: inline-block; margin-top: 3px; padding: 1px 7px; border-radius: 4px;
  background: #fff3cd; border: 1px solid #e0a800; color: #6b4a00; font-size: 12px;
  font-weight: 600; }
.folium-map { border: 1px solid #c8cdd2; border-radius: 4px; }
.leaflet-container { background: #eef0f2; font-family: inherit; }
.leaflet-control-layers { font-size: 12px; line-height: 1.4; }
.cmp-legend { display: flex; flex-wrap: wrap; gap: 4px 26px; margin: 10px 0 4px;
  font-size: 12px; align-items: flex-start; }
.cmp-legend h4 { margin: 0 0 2px; font-size: 12px; color: #444; }
.cmp-legend .row { display: flex; align-items: center; gap: 6px; margin: 1px 0; }
.cmp-legend .note { color: #666; flex-basis: 100%; }
.cmp-line { width: 26px; height: 10px; flex: none; }
.cmp-diff > div { display: inline-flex; gap: 3px; transform: translate(-50%, 0);
  white-space: nowrap; padding: 0 4px; border-radius: 9px; background: rgba(255,255,255,.95);
  border: 1px solid #888; font: 700 11px/16px system-ui, sans-serif;
  box-shadow: 0 1px 3px rgba(0,0,0,.35); }
.cmp-diff .plus { color: #1a7f37; }
.cmp-diff .minus { color: #c62828; }
.cmp-diff .t { display: inline-block; width: 8px; height: 8px; border-radius: 2px;
  margin: 0 1px 0 2px; vertical-align: 0; }
.cmp-facility svg { filter: drop-shadow(0 1px 1.5px rgba(0,0,0,.45)); overflow: visible; }
h2 { font-size: 18px; margin: 26px 0 6px; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { padding: 4px 10px; border-bottom: 1px solid #d8dde2; text-align: left; }
th { background: #f5f7f9; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.better { color: #1a7f37; font-weight: 700; }
td.worse { color: #c62828; font-weight: 700; }
td.delta { background: #fafbfc; }
td.key { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.note { color: #666; font-size: 12px; }
</style>
"""

# Keeps every map on the view of the one the user moves. "move" fires while panning and zooming;
# "moveend" once more at the end, as an animated pan's last "move" can stop short of its goal.
# Setting the followers' view fires the same events on them: the flag stops that echo.
_SYNC = Template(
    """
    {% macro script(this, kwargs) %}
        (function () {
            var maps = [{{ this.names|join(", ") }}];
            var following = false;
            maps.forEach(function (leader) {
                leader.on("move moveend", function () {
                    if (following) { return; }
                    following = true;
                    maps.forEach(function (other) {
                        if (other !== leader) {
                            other.setView(leader.getCenter(), leader.getZoom(), {animate: false});
                        }
                    });
                    following = false;
                });
            });
        })();
    {% endmacro %}
    """
)

# GeoJSON features carry their own style, tooltip and (for points) icon, all escaped in Python.
_FEATURES = Template(
    """
    {% macro script(this, kwargs) %}
        L.geoJSON({{ this.data|tojson }}, {
            pane: {{ this.pane|tojson }},
            style: function (feature) { return feature.properties.style; },
            pointToLayer: function (feature, latlng) {
                var p = feature.properties;
                return L.marker(latlng, {
                    icon: L.divIcon({html: p.icon, className: p.className,
                                     iconSize: p.iconSize, iconAnchor: p.iconAnchor}),
                    pane: p.pane || "markerPane"
                });
            },
            onEachFeature: function (feature, layer) {
                if (feature.properties.tooltip) {
                    var sticky = !feature.properties.icon;
                    layer.bindTooltip(feature.properties.tooltip, {sticky: sticky});
                }
            }
        }).addTo({{ this._parent.get_name() }});
    {% endmacro %}
    """
)


class _Features(MacroElement):
    """A GeoJSON layer drawn with plain Leaflet; popups and icons come from the properties."""

    _template = _FEATURES

    def __init__(self, data: dict[str, Any], *, pane: str = "overlayPane") -> None:
        super().__init__()
        self._name = "Features"
        self.data = data
        self.pane = pane


class _Sync(MacroElement):
    """Inline script that keeps ``maps`` on one view (added to the figure after the maps)."""

    _template = _SYNC

    def __init__(self, maps: Sequence[folium.Map]) -> None:
        super().__init__()
        self._name = "Sync"
        self.names = [m.get_name() for m in maps]


@dataclass(frozen=True)
class Run:
    """What compare needs of one run folder."""

    folder: Path
    name: str
    """The scenario's name, made unique among the runs compared."""
    description: str
    kpis: dict[str, Any]
    facilities: pd.DataFrame
    flows: pd.DataFrame
    neighbourhoods: gpd.GeoDataFrame
    gemeenten: gpd.GeoDataFrame
    scenario: dict[str, Any]
    """``scenario.toml`` as a dict."""

    @property
    def privacy_threshold(self) -> int:
        """The run's ``output.privacy_threshold`` (5 when absent)."""
        return int(self.scenario.get("output", {}).get("privacy_threshold", 5))


# --- public API -----------------------------------------------------------------------------


def compare_runs(
    run_dirs: Sequence[str | Path],
    out: str | Path,
    *,
    force: bool = False,
    lang: str = "nl",
) -> Path:
    """Compare 2 to 4 run folders and write ``compare.html`` and ``compare.csv`` into ``out``.

    Parameters
    ----------
    run_dirs
        Run folders written by ``woonplanner run``; the first is the reference the others are
        compared with.
    out
        The folder to write (created whole or not at all).
    force
        Replace ``out`` if it exists (only once the new folder is complete).
    lang
        ``"nl"`` (default) or ``"en"``.

    Returns
    -------
    Path
        The folder written.

    Raises
    ------
    InputDataError
        Fewer than 2 or more than 4 folders, or a folder that is not a run folder (the message
        names every missing file).
    OutputExistsError
        ``out`` exists and ``force`` is not set.
    """
    if lang not in LABELS:
        msg = f"lang: must be one of {sorted(LABELS)}, got {lang!r}"
        raise ValueError(msg)
    folders = [Path(d).expanduser().resolve() for d in run_dirs]
    check_run_folders(folders)
    check_out_dir(Path(out).expanduser().resolve(), force=force, inputs=folders)
    runs = [read_run(f) for f in folders]
    runs = _unique_names(runs)

    def fill(tmp: Path) -> None:
        table = kpi_differences(runs)
        table.to_csv(tmp / "compare.csv", index=False, float_format="%.6g", lineterminator="\n")
        figure = compare_figure(runs, table, lang=lang)
        (tmp / "compare.html").write_text(figure.render(), encoding="utf-8")

    return write_folder(out, fill, force=force, inputs=folders)


def check_run_folders(folders: Sequence[Path]) -> None:
    """Raise one :class:`InputDataError` naming every problem with the folders to compare."""
    if not MIN_RUNS <= len(folders) <= MAX_RUNS:
        msg = f"compare needs {MIN_RUNS} to {MAX_RUNS} run folders, got {len(folders)}" + (
            f": {', '.join(str(f) for f in folders)}" if folders else ""
        )
        raise InputDataError(msg)
    problems = []
    for folder in folders:
        if not folder.is_dir():
            problems.append(f"{folder}: no such folder")
            continue
        missing = [name for name in RUN_FILES if not (folder / name).is_file()]
        if missing:
            problems.append(
                f"{folder}: not a run folder (missing {', '.join(missing)}); "
                "make one with `woonplanner run --out DIR`"
            )
    raise_if_problems(problems, InputDataError, header="Cannot compare")


def read_run(folder: str | Path) -> Run:
    """Read the files of one run folder (no solver, no Pyomo)."""
    folder = Path(folder)
    try:
        kpis = json.loads((folder / "kpis.json").read_text(encoding="utf-8"))
        scenario = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
        facilities = pd.read_csv(folder / "facilities.csv")
        flows = pd.read_csv(folder / "flows.csv")
        with warnings.catch_warnings():
            # pyogrio notes the bool → int widening it did on writing; values are unchanged.
            warnings.simplefilter("ignore", RuntimeWarning)
            neighbourhoods = gpd.read_file(folder / "plan.gpkg", layer="neighbourhoods")
            gemeenten = gpd.read_file(folder / "plan.gpkg", layer="gemeenten")
    except (OSError, ValueError, tomllib.TOMLDecodeError) as err:
        msg = f"{folder}: cannot read the run folder: {err}"
        raise InputDataError(msg) from None
    if "region" not in kpis:
        msg = f"{folder}/kpis.json: no region KPIs (not written by woonplanner run?)"
        raise InputDataError(msg)
    gemeenten["norm_met"] = gemeenten["norm_met"].astype(bool)
    for column in ("code", "gemeente"):
        if column in neighbourhoods:
            neighbourhoods[column] = neighbourhoods[column].astype(str)
    facilities["neighbourhood"] = facilities["neighbourhood"].astype(str)
    return Run(
        folder=folder,
        name=str(scenario.get("name", folder.name)),
        description=str(scenario.get("description", "")),
        kpis=kpis,
        facilities=facilities,
        flows=flows,
        neighbourhoods=neighbourhoods,
        gemeenten=gemeenten,
        scenario=scenario,
    )


def kpi_differences(runs: Sequence[Run]) -> pd.DataFrame:
    """One row per KPI: its value in each run and each run's difference with the first.

    Returns
    -------
    DataFrame
        ``kpi``, then one column per run (its :attr:`Run.name`), then ``delta_<name>`` for
        every run after the first.
    """
    values = [dict(_flat_kpis(run)) for run in runs]
    keys = list(dict.fromkeys(k for v in values for k in v))
    table = pd.DataFrame({"kpi": keys})
    for run, v in zip(runs, values, strict=True):
        table[run.name] = [v.get(k, np.nan) for k in keys]
    first = runs[0].name
    for run in runs[1:]:
        delta = table[run.name] - table[first]
        # Solver round-off (1e-12 children) is no difference.
        table[f"delta_{run.name}"] = delta.where(delta.abs() > 1e-9, 0.0)
    return table


# --- the page -------------------------------------------------------------------------------


def compare_figure(runs: Sequence[Run], table: pd.DataFrame, *, lang: str = "nl") -> Figure:
    """The compare page: headings, synchronised maps, legend, KPI and settings tables."""
    labels = LABELS[lang]
    threshold = max(run.privacy_threshold for run in runs)
    fmt = Formatter(lang=lang, threshold=threshold)
    n = len(runs)
    columns = 3 if n == 3 else 2
    figure = Figure(title=html.escape(labels["title"]))
    figure.header.add_child(Element(_CSS), name="compare_css")
    figure.header.add_child(
        Element(f"<style>body {{ grid-template-columns: repeat({columns}, minmax(0, 1fr)); }}"),
        name="compare_grid",
    )
    letters = list(_LETTERS[1:n])
    others = ", ".join(letters[:-1]) + labels["and"] + letters[-1] if n > 2 else letters[0]
    intro = labels["intro"].format(n=n, others=others, diff=labels["layer_diff"])
    figure.html.add_child(
        Element(
            f'<header class="cmp-wide cmp-header" style="grid-row: 1">'
            f"<h1>{_esc(labels['title'])}</h1><p>{_esc(intro)}</p></header>"
        ),
        name="compare_header",
    )

    bounds = _bounds(runs)
    # Each map takes the region's shape, so the region fills it whatever the column width.
    ratio = _aspect_ratio(runs)
    maps = []
    placement = []
    for i, run in enumerate(runs):
        row = 2 + 2 * (i // columns)
        col = 1 + i % columns
        figure.html.add_child(
            Element(
                f'<div class="cmp-head" style="grid-row: {row}; grid-column: {col}">'
                f"{_run_heading(run, i, fmt, labels)}</div>"
            ),
            name=f"compare_head_{i}",
        )
        fmap = _run_map(run, runs[0] if i else None, fmt, labels, collapsed=n > 2)
        fmap.fit_bounds(bounds, padding=(12, 12))
        figure.add_child(fmap)
        maps.append(fmap)
        # "html > body >" outranks the size folium gives the map in its own rule.
        placement.append(
            f"html > body > #{fmap.get_name()} {{ grid-row: {row + 1}; grid-column: {col}; "
            f"height: auto; aspect-ratio: {ratio:.3f}; max-height: 72vh; min-height: 280px; }}"
        )
    figure.header.add_child(
        Element(f"<style>{' '.join(placement)}</style>"), name="compare_placement"
    )
    figure.add_child(_Sync(maps))

    next_row = 2 + 2 * math.ceil(n / columns)
    figure.html.add_child(
        Element(
            f'<div class="cmp-wide" style="grid-row: {next_row}">{_legend(labels, threshold)}</div>'
        ),
        name="compare_legend",
    )
    figure.html.add_child(
        Element(
            f'<section class="cmp-wide" style="grid-row: {next_row + 1}">'
            f"{_kpi_table_html(runs, table, fmt, labels)}"
            f"{_settings_html(runs, labels)}</section>"
        ),
        name="compare_tables",
    )
    return figure


def _run_heading(run: Run, index: int, fmt: Formatter, labels: Mapping[str, str]) -> str:
    region = run.kpis["region"]
    unplaced = float(region.get("children_unplaced", 0.0))
    units = sum(region.get("units_by_type", {}).values())
    reference = f" ({_esc(labels['reference'])})" if index == 0 else ""
    bad = ' class="bad"' if unplaced > _EPS else ""
    figs = (
        f"<b>{_esc(fmt.count(region.get('children_placed')))}</b> {_esc(labels['placed_short'])}"
        f" · <b{bad}>{_esc(fmt.count(unplaced))}</b> "
        f"{_esc(labels['unplaced_short'])} · {_esc(fmt.km(region.get('mean_km')))} · "
        f"<b>{_esc(fmt.number(units))}</b> {_esc(labels['units_short'])} · "
        f"{_esc(fmt.money(region.get('annual_cost_eur')))} {_esc(labels['cost_short'])}"
    )
    status = str(run.kpis.get("status", "unknown"))
    warn = ""
    if status != "optimal":
        gap = run.kpis.get("mip_gap")
        text = labels["not_optimal"].format(gap=fmt.percent(float(gap)) if gap is not None else "?")
        warn = f'<div class="warn">⚠ {_esc(text)} ({_esc(status)})</div>'
    return (
        f'<div class="name"><span class="letter">{_LETTERS[index]}</span>{_esc(run.name)}'
        f'{reference}</div><div class="desc">{_esc(run.description)}</div>'
        f'<div class="figs">{figs}</div>{warn}'
    )


def _run_map(
    run: Run,
    reference: Run | None,
    fmt: Formatter,
    labels: Mapping[str, str],
    *,
    collapsed: bool,
) -> folium.Map:
    """One run's map: gemeenten, unplaced, facilities per type and the difference layer."""
    fmap = folium.Map(
        tiles=None,
        width="100%",
        position="relative",
        control_scale=True,
        zoom_start=11,
        location=[52.15, 5.39],
        # Quarter zoom steps let the region fill the map instead of a band in the middle.
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    # Like map.html: nothing here needs jQuery, Bootstrap or Font Awesome.
    fmap.default_js = [js for js in fmap.default_js if js[0] == "leaflet"]
    fmap.default_css = [css for css in fmap.default_css if css[0] == "leaflet_css"]
    folium.TileLayer("nlmaps.grijs", name=labels["layer_tiles"], control=True).add_to(fmap)

    wgs_nb = _to_wgs84(run.neighbourhoods)
    points = _points(wgs_nb)
    names = dict(zip(wgs_nb["code"], wgs_nb["name"], strict=True))

    group = folium.FeatureGroup(name=labels["layer_gemeenten"])
    _Features(_gemeente_features(_to_wgs84(run.gemeenten), labels, fmt)).add_to(group)
    group.add_to(fmap)

    group = folium.FeatureGroup(name=labels["layer_unplaced"])
    _Features(_unplaced_features(wgs_nb, labels, fmt)).add_to(group)
    group.add_to(fmap)

    for kind, features in _facility_features(run.facilities, points, names, labels, fmt):
        group = folium.FeatureGroup(name=labels.get(f"layer_{kind}", kind))
        _Features(features).add_to(group)
        group.add_to(fmap)

    if reference is not None:
        # Above the facility markers (600), below tooltips (650): a badge is never hidden.
        folium.map.CustomPane("cmp-diff", z_index=640, pointer_events=True).add_to(fmap)
        group = folium.FeatureGroup(name=labels["layer_diff"])
        _Features(_diff_features(reference, run, points, names, labels, fmt)).add_to(group)
        group.add_to(fmap)

    # Three or four maps are narrow: the layer list folds into its button there.
    folium.LayerControl(collapsed=collapsed, position="topright").add_to(fmap)
    return fmap


# --- map layers -----------------------------------------------------------------------------


def _gemeente_features(
    gemeenten: gpd.GeoDataFrame, labels: Mapping[str, str], fmt: Formatter
) -> dict[str, Any]:
    features = []
    for row in gemeenten.itertuples():
        met = bool(row.norm_met)
        style = {
            "color": _NORM_MET_COLOUR if met else _NORM_NOT_MET_COLOUR,
            "weight": 3,
            "opacity": 0.9,
            "fill": False,
            # Dashes as well as colour, for readers who cannot tell red from green.
            "dashArray": None if met else "8 5",
        }
        tooltip = (
            f"<b>{_esc(row.name)}</b> {'✓' if met else '✗'} "
            f"{_esc(labels['norm_met'] if met else labels['norm_not_met'])}<br>"
            f"{_esc(fmt.number(row.small_scale_units))} / "
            f"{_esc(fmt.number(row.required_small_scale_units))}"
        )
        features.append(_feature(row.geometry, {"style": style, "tooltip": tooltip}))
    return _collection(features)


def _unplaced_features(
    neighbourhoods: gpd.GeoDataFrame, labels: Mapping[str, str], fmt: Formatter
) -> dict[str, Any]:
    features = []
    for row in neighbourhoods[neighbourhoods["children_unplaced"] > _EPS].itertuples():
        style = {
            "color": _UNPLACED_COLOUR,
            "weight": 2,
            "fillColor": _UNPLACED_COLOUR,
            "fillOpacity": 0.22,
        }
        tooltip = (
            f"<b>{_esc(row.name)}</b><br>{_esc(labels['unplaced_short'])}: "
            f"{_esc(fmt.count(row.children_unplaced))} {_esc(labels['children'])}"
        )
        features.append(_feature(row.geometry, {"style": style, "tooltip": tooltip}))
    return _collection(features)


def _facility_features(
    facilities: pd.DataFrame,
    points: Mapping[str, tuple[float, float]],
    names: Mapping[str, str],
    labels: Mapping[str, str],
    fmt: Formatter,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """Per type, the facility markers (several types at one site sit side by side)."""
    kinds = [*FACILITY_TYPES, *sorted(set(facilities["type"]) - set(FACILITY_TYPES))]
    order = {kind: i for i, kind in enumerate(kinds)}
    by_kind: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    rows = facilities.assign(_order=facilities["type"].map(order)).sort_values("_order")
    for site, at_site in rows.groupby("neighbourhood", sort=True):
        if site not in points:
            continue
        for i, row in enumerate(at_site.itertuples(index=False)):
            dx = (i - (len(at_site) - 1) / 2) * _ICON_SPACING
            status = (
                "new" if row.opened_units > 0 else "closing" if row.closed_units > 0 else "existing"
            )
            half = _ICON_SIZE / 2
            tooltip = (
                f"<b>{_esc(fmt.type_label(row.type))}</b> · {_esc(labels[f'status_{status}'])}"
                f"<br>{_esc(names.get(site, site))}: {_esc(fmt.number(row.units))} "
                f"{_esc(labels['units_short'])} ({_esc(fmt.number(row.existing_units))} → "
                f"{_esc(fmt.number(row.units))})"
            )
            by_kind[row.type].append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": list(points[site])},
                    "properties": {
                        "icon": _icon_svg(row.type, status, units=int(row.units)),
                        "className": f"cmp-facility cmp-{_token(row.type)} cmp-{status}",
                        "iconSize": [_ICON_SIZE, _ICON_SIZE],
                        "iconAnchor": [half - dx, half],
                        "tooltip": tooltip,
                    },
                }
            )
    for kind in kinds:
        yield kind, _collection(by_kind[kind])


def _diff_features(
    reference: Run,
    run: Run,
    points: Mapping[str, tuple[float, float]],
    names: Mapping[str, str],
    labels: Mapping[str, str],
    fmt: Formatter,
) -> dict[str, Any]:
    """Per site, a badge with the units each type gains or loses against the reference."""
    delta = unit_differences(reference.facilities, run.facilities)
    features = []
    order = {kind: i for i, kind in enumerate(FACILITY_TYPES)}
    for site, rows in delta.groupby("neighbourhood", sort=True):
        if site not in points:
            continue
        rows = rows.assign(_o=rows["type"].map(order).fillna(9)).sort_values("_o")
        badge, lines = [], []
        for row in rows.itertuples(index=False):
            sign, css = ("+", "plus") if row.delta > 0 else ("−", "minus")
            colour = TYPE_COLOURS.get(row.type, "#8a8a8a")
            badge.append(
                f'<span class="t" style="background:{colour}"></span>'
                f'<span class="{css}">{sign}{abs(int(row.delta))}</span>'
            )
            lines.append(
                f"{_esc(fmt.type_label(row.type))}: {sign}{abs(int(row.delta))} "
                f"({_esc(fmt.number(row.units_reference))} → {_esc(fmt.number(row.units))})"
            )
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": list(points[site])},
                "properties": {
                    "icon": f"<div>{''.join(badge)}</div>",
                    "className": "cmp-diff",
                    "pane": "cmp-diff",
                    "iconSize": [0, 0],
                    # Under the facility markers, so both stay readable.
                    "iconAnchor": [0, -_ICON_SIZE / 2 - 2],
                    "tooltip": (
                        f"<b>{_esc(names.get(site, site))}</b> ({_esc(labels['layer_diff'])})"
                        f"<br>{'<br>'.join(lines)}"
                    ),
                },
            }
        )
    return _collection(features)


def unit_differences(reference: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Units per site and type in ``other`` minus ``reference``, only where they differ.

    Returns
    -------
    DataFrame
        ``neighbourhood, type, units_reference, units, delta``.
    """
    key = ["neighbourhood", "type"]
    a = reference.groupby(key)["units"].sum().rename("units_reference")
    b = other.groupby(key)["units"].sum().rename("units")
    both = pd.concat([a, b], axis=1).fillna(0).astype(int)
    both["delta"] = both["units"] - both["units_reference"]
    return both[both["delta"] != 0].reset_index()


def _legend(labels: Mapping[str, str], threshold: int) -> str:
    def row(symbol: str, text: str) -> str:
        return f'<div class="row">{symbol}{_esc(text)}</div>'

    types = "".join(
        row(_icon_svg(kind, "existing", units=0, size=18), _type_name(kind, labels))
        for kind in FACILITY_TYPES
    )
    status = "".join(
        row(_icon_svg(None, s, units=0, size=18), labels[f"status_{s}"])
        for s in ("existing", "new", "closing")
    )
    diff = row(
        '<span class="cmp-diff" style="position:relative"><div style="transform:none">'
        f'<span class="t" style="background:{TYPE_COLOURS["gezinshuis"]}"></span>'
        '<span class="plus">+2</span></div></span>',
        labels["diff_plus"],
    ) + row(
        '<span class="cmp-diff" style="position:relative"><div style="transform:none">'
        f'<span class="t" style="background:{TYPE_COLOURS["pleeggezin"]}"></span>'
        '<span class="minus">−1</span></div></span>',
        labels["diff_minus"],
    )
    norm = "".join(
        row(
            f'<svg class="cmp-line" viewBox="0 0 26 10"><line x1="1" y1="5" x2="25" y2="5" '
            f'stroke="{colour}" stroke-width="3"{dash}/></svg>',
            labels[key],
        )
        for colour, dash, key in (
            (_NORM_MET_COLOUR, "", "norm_met"),
            (_NORM_NOT_MET_COLOUR, ' stroke-dasharray="6 3"', "norm_not_met"),
        )
    )
    unplaced = row(
        f'<svg class="cmp-line" viewBox="0 0 26 10"><rect x="1" y="1" width="24" height="8" '
        f'fill="{_UNPLACED_COLOUR}" fill-opacity="0.22" stroke="{_UNPLACED_COLOUR}" '
        'stroke-width="2"/></svg>',
        labels["legend_unplaced"],
    )
    blocks = [
        (labels["legend_types"], types),
        (labels["legend_status"], status),
        (labels["legend_diff"], diff),
        (labels["legend_gemeenten"], norm + unplaced),
    ]
    body = "".join(f"<div><h4>{_esc(title)}</h4>{content}</div>" for title, content in blocks)
    note = labels["privacy"].format(threshold=threshold)
    return f'<div class="cmp-legend">{body}<div class="note">{_esc(note)}</div></div>'


# --- tables ---------------------------------------------------------------------------------


def _kpi_table_html(
    runs: Sequence[Run], table: pd.DataFrame, fmt: Formatter, labels: Mapping[str, str]
) -> str:
    head = [f"<th>{_esc(labels['kpi'])}</th>"]
    for i, run in enumerate(runs):
        head.append(f'<th class="num">{_LETTERS[i]} · {_esc(run.name)}</th>')
        if i:
            head.append(f'<th class="num">{_esc(labels["delta"].format(letter=_LETTERS[i]))}</th>')
    body = []
    for row in table.to_dict("records"):
        kpi = str(row["kpi"])
        base = kpi.split(".")[0]
        cells = [f"<td>{_esc(_kpi_label(kpi, labels, fmt))}</td>"]
        for i, run in enumerate(runs):
            cells.append(f'<td class="num">{_esc(_kpi_value(base, row[run.name], fmt))}</td>')
            if i:
                cells.append(_delta_cell(base, row[f"delta_{run.name}"], fmt))
        body.append(f'<tr data-kpi="{_esc(kpi)}">{"".join(cells)}</tr>')
    return (
        f'<h2>{_esc(labels["kpi_title"])}</h2><p class="note">{_esc(labels["kpi_intro"])}</p>'
        f'<table id="kpi-table"><thead><tr>{"".join(head)}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _delta_cell(base: str, delta: float, fmt: Formatter) -> str:
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return '<td class="num delta">–</td>'
    decimals = _decimals(base)
    if round(float(delta), decimals) == 0:
        return '<td class="num delta">0</td>'
    text = fmt.number(abs(delta), decimals=decimals)
    text = f"+{text}" if delta > 0 else f"−{text}"
    if base in _MONEY:
        text = text[0] + fmt.money(abs(delta))
    direction = _BETTER.get(base, 0) * (1 if delta > 0 else -1)
    css = {1: " better", -1: " worse"}.get(direction, "")
    return f'<td class="num delta{css}">{_esc(text)}</td>'


def _kpi_value(base: str, value: float, fmt: Formatter) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if base in _CHILDREN:
        return fmt.count(value)
    if base in _MONEY:
        return fmt.money(value)
    return fmt.number(value, decimals=_decimals(base))


def _decimals(base: str) -> int:
    return 1 if base in _KM else 0


def _kpi_label(kpi: str, labels: Mapping[str, str], fmt: Formatter) -> str:
    base, _, kind = kpi.partition(".")
    label = labels.get(f"kpi_{base}", kpi)
    return label.format(type=fmt.type_label(kind, short=True)) if kind else label


def _settings_html(runs: Sequence[Run], labels: Mapping[str, str]) -> str:
    flat = [dict(_flatten(run.scenario)) for run in runs]
    keys = sorted({k for f in flat for k in f} - {"name", "description"})
    differ = [k for k in keys if len({json.dumps(f.get(k), sort_keys=True) for f in flat}) > 1]
    title = f"<h2>{_esc(labels['settings_title'])}</h2>"
    if not differ:
        return f"{title}<p>{_esc(labels['settings_none'])}</p>"
    head = f"<th>{_esc(labels['setting'])}</th>" + "".join(
        f"<th>{_LETTERS[i]} · {_esc(run.name)}</th>" for i, run in enumerate(runs)
    )
    rows = []
    for key in differ:
        cells = "".join(
            f"<td>{_esc('–' if f.get(key) is None else json.dumps(f.get(key), ensure_ascii=False))}"
            "</td>"
            for f in flat
        )
        rows.append(f'<tr><td class="key">{_esc(key)}</td>{cells}</tr>')
    return (
        f'{title}<table id="settings-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


# --- helpers --------------------------------------------------------------------------------


def _flat_kpis(run: Run) -> Iterator[tuple[str, float]]:
    """The region KPIs as (dotted name, number); per-type dicts become ``units_by_type.x``."""
    region = run.kpis["region"]
    for key in (
        "children_demand",
        "children_placed",
        "children_unplaced",
        "mean_km",
        "p90_km",
        "child_km",
        "annual_cost_eur",
        "one_off_cost_eur",
        "small_scale_units",
        "required_small_scale_units",
    ):
        if key in region:
            value = region[key]
            yield key, float("nan") if value is None else float(value)
        if key == "mean_km":
            yield "median_km", _weighted_median(run.flows)
    gemeenten = run.kpis.get("gemeenten", [])
    yield "gemeenten_norm_met", float(sum(bool(g.get("norm_met")) for g in gemeenten))
    for group in (
        "units_by_type",
        "places_by_type",
        "occupied_by_type",
        "opened_by_type",
        "closed_by_type",
    ):
        per_type = region.get(group, {})
        kinds = [*FACILITY_TYPES, *sorted(set(per_type) - set(FACILITY_TYPES))]
        for kind in kinds:
            yield f"{group}.{kind}", float(per_type.get(kind, 0.0))


def _weighted_median(flows: pd.DataFrame) -> float:
    """The km within which half the placed children live, from ``flows.csv``."""
    flows = flows[flows["children"] > 0]
    if flows.empty:
        return float("nan")
    ordered = flows.sort_values("km", kind="stable")
    cum = ordered["children"].cumsum().to_numpy()
    return float(ordered["km"].to_numpy()[np.searchsorted(cum, 0.5 * cum[-1])])


def _unique_names(runs: list[Run]) -> list[Run]:
    """Runs named after their scenario; a clash falls back to the folder name, then a suffix."""
    names = [run.name for run in runs]
    if len(set(names)) < len(names):
        names = [run.folder.name for run in runs]
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name}-{seen[name]}")
    return [replace(run, name=name) for run, name in zip(runs, unique, strict=True)]


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _bounds(runs: Sequence[Run]) -> list[list[float]]:
    """[[south, west], [north, east]] around every run's neighbourhoods."""
    boxes = np.array([_to_wgs84(run.neighbourhoods).total_bounds for run in runs])
    west, south = boxes[:, 0].min(), boxes[:, 1].min()
    east, north = boxes[:, 2].max(), boxes[:, 3].max()
    return [[float(south), float(west)], [float(north), float(east)]]


def _aspect_ratio(runs: Sequence[Run]) -> float:
    """Width / height of the region on a web map, with room for the markers at its edges."""
    boxes = np.array([run.neighbourhoods.to_crs("EPSG:3857").total_bounds for run in runs])
    width = boxes[:, 2].max() - boxes[:, 0].min()
    height = boxes[:, 3].max() - boxes[:, 1].min()
    return float(np.clip(width / max(height, 1.0) * 0.92, 0.8, 2.2))


def _to_wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is None:
        frame = frame.set_crs("EPSG:28992")
    return frame.to_crs("EPSG:4326")


def _points(neighbourhoods: gpd.GeoDataFrame) -> dict[str, tuple[float, float]]:
    """(lon, lat) of each neighbourhood's representative point (never an address)."""
    if {"rep_x", "rep_y"} <= set(neighbourhoods.columns):
        rep = gpd.GeoSeries(
            gpd.points_from_xy(neighbourhoods["rep_x"], neighbourhoods["rep_y"]),
            crs="EPSG:28992",
        ).to_crs("EPSG:4326")
    else:
        rep = neighbourhoods.geometry.representative_point()
    return {
        str(code): (round(p.x, 6), round(p.y, 6))
        for code, p in zip(neighbourhoods["code"], rep, strict=True)
    }


def _feature(geometry: Any, properties: dict[str, Any]) -> dict[str, Any]:
    # Simplified to about a metre: invisible at neighbourhood zoom, keeps the page small.
    geometry = shapely.set_precision(geometry.simplify(1e-5, preserve_topology=True), 1e-6)
    return {
        "type": "Feature",
        "geometry": shapely.geometry.mapping(geometry),
        "properties": properties,
    }


def _collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _type_name(kind: str, labels: Mapping[str, str]) -> str:
    return labels.get(f"layer_{kind}", kind)


def _token(value: Any) -> str:
    return "".join(c if c.isalnum() else "-" for c in str(value).lower())


def _esc(value: Any) -> str:
    """HTML-escape anything that came from a run folder."""
    return html.escape(str(value), quote=True)
