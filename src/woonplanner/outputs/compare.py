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

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import folium
import numpy as np
import pandas as pd
from branca.element import Figure, MacroElement
from folium.template import Template

from woonplanner.data.runfolder import RunFolder, check_run_folders, read_run
from woonplanner.errors import InputDataError
from woonplanner.outputs import maps
from woonplanner.outputs import vocabulary as vocab
from woonplanner.outputs.files import check_out_dir, write_csv, write_folder
from woonplanner.outputs.pages import Markup, render_macro
from woonplanner.outputs.vocabulary import (
    FACILITY_TYPES,
    NORM_MET_COLOUR,
    NORM_NOT_MET_COLOUR,
    UNPLACED_COLOUR,
    Formatter,
    esc,
    type_colour,
)
from woonplanner.privacy import (
    COUNT_COLUMNS,
    PagePrivacy,
    is_children,
    page_privacy,
    shown_interval,
)

__all__ = ["compare_runs", "kpi_differences", "unit_differences"]

MIN_RUNS, MAX_RUNS = 2, 4
_LETTERS = "ABCD"
_EPS = 1e-6
_TEMPLATE = "compare.html.j2"

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


class _Sync(MacroElement):
    """Inline script that keeps ``maps`` on one view (added to the figure after the maps)."""

    _template = _SYNC

    def __init__(self, maps: Sequence[folium.Map]) -> None:
        super().__init__()
        self._name = "Sync"
        self.names = [m.get_name() for m in maps]


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
        Fewer than 2 or more than 4 folders, a folder that is not a run folder (the message
        names every missing file), or runs that plan different regions (different
        neighbourhoods: another jeugdregio, other gemeenten or another level), whose units and
        figures cannot be set against the first run's.
    OutputExistsError
        ``out`` exists and ``force`` is not set.
    """
    vocab.check_lang(lang)
    folders = [Path(d).expanduser().resolve() for d in run_dirs]
    _check_count(folders)
    check_run_folders(folders, header="Cannot compare")
    check_out_dir(Path(out).expanduser().resolve(), force=force, inputs=folders)
    runs = [read_run(f) for f in folders]
    _check_one_region(runs)
    runs = _unique_names(runs)

    def fill(tmp: Path) -> None:
        table = kpi_differences(runs)
        # Money rows in euros and cents, every number written out (never 7.49798e+07).
        money_rows = {i for i, kpi in enumerate(table["kpi"]) if str(kpi) in _MONEY}
        write_csv(table, tmp / "compare.csv", money=lambda _column, row: row in money_rows)
        figure = compare_figure(runs, table, lang=lang)
        (tmp / "compare.html").write_text(figure.render(), encoding="utf-8")

    return write_folder(out, fill, force=force, inputs=folders)


def _check_count(folders: Sequence[Path]) -> None:
    """Raise one :class:`InputDataError` unless there are 2 to 4 folders."""
    if not MIN_RUNS <= len(folders) <= MAX_RUNS:
        msg = f"compare needs {MIN_RUNS} to {MAX_RUNS} run folders, got {len(folders)}" + (
            f": {', '.join(str(f) for f in folders)}" if folders else ""
        )
        raise InputDataError(msg)


def _check_one_region(runs: Sequence[RunFolder]) -> None:
    """Raise one :class:`InputDataError` unless every run plans the neighbourhoods of the first.

    A run folder's region is the set of neighbourhoods in its ``plan.gpkg``: the jeugdregio,
    ``region.gemeenten`` and ``region.level`` of its scenario decide it. Against the units and
    figures of another region, every site would be "+N against A" and every KPI a difference of
    regions, not of assumptions.
    """
    first = set(runs[0].neighbourhoods["code"])
    differ = [i for i, run in enumerate(runs) if set(run.neighbourhoods["code"]) != first]
    if not differ:
        return
    lines = "\n".join(
        f"  {_LETTERS[i]}  {runs[i].folder}: {_region_text(runs[i])}" for i in [0, *differ]
    )
    others = ", ".join(_LETTERS[i] for i in differ)
    msg = (
        f"Cannot compare: run {others} plans another region than run A, so its units and "
        f"figures cannot be set against A's:\n{lines}\n"
        "Compare runs of one region: rerun one with the other's region settings "
        "(region.jeugdregio, region.gemeenten, region.level in its scenario.toml), e.g. "
        "`woonplanner run A/scenario.toml --set KEY=VALUE --out DIR`; to look at two regions, "
        "open each run's map.html or report.html"
    )
    raise InputDataError(msg)


def _region_text(run: RunFolder, *, most: int = 5) -> str:
    """What a run plans, for the message of :func:`_check_one_region`: "Rijnmond (JZ29),
    120 neighbourhoods (wijk) in 9 gemeenten: Rotterdam (GM0599), … and 4 more"."""
    manifest = _manifest(run) or {}
    code, name = manifest.get("region"), manifest.get("region_name")
    place = f"{name} ({code})" if name and code and name != code else str(name or code or "")
    level = run.scenario.get("region", {}).get("level", "wijk")
    gemeenten = [f"{row.name} ({row.code})" for row in run.gemeenten.itertuples()]
    listed = ", ".join(gemeenten[:most])
    if len(gemeenten) > most:
        listed += f" and {len(gemeenten) - most} more"
    word = "gemeente" if len(gemeenten) == 1 else "gemeenten"
    return (
        f"{place + ', ' if place else ''}{len(run.neighbourhoods)} neighbourhoods ({level}) "
        f"in {len(gemeenten)} {word}: {listed}"
    )


def _manifest(run: RunFolder) -> dict[str, Any] | None:
    """The run's ``manifest.json``; ``None`` when it is missing or unreadable."""
    try:
        manifest = json.loads((run.folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def kpi_differences(runs: Sequence[RunFolder]) -> pd.DataFrame:
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


def compare_figure(runs: Sequence[RunFolder], table: pd.DataFrame, *, lang: str = "nl") -> Figure:
    """The compare page: headings, synchronised maps, legend, KPI and settings tables.

    The parts around the maps are ``templates/compare.html.j2``; the maps draw the layers of
    :mod:`woonplanner.outputs.maps`.
    """
    # One region (compare refuses others), so one level of neighbourhoods names them all.
    level = vocab.area_level(runs[0].neighbourhoods, runs[0].scenario)
    labels = vocab.labels("map", "compare", lang=lang, level=level)
    threshold = max(run.privacy_threshold for run in runs)
    fmt = Formatter(lang=lang, threshold=threshold, page="compare", level=level)
    n = len(runs)
    columns = 3 if n == 3 else 2
    place = _place_name(runs, lang)
    heading = labels["title"] + (f" — {place}" if place else "")
    figure = Figure(title=esc(heading))
    # Leaflet first, so the page's CSS overrides Leaflet's own.
    maps.add_leaflet(figure, lang=lang)
    figure.header.add_child(maps.RawHtml(maps.MAP_CSS), name="map_css")
    figure.header.add_child(maps.RawHtml(_CSS), name="compare_css")
    figure.header.add_child(
        maps.RawHtml(
            f"<style>body {{ grid-template-columns: repeat({columns}, minmax(0, 1fr)); }}</style>"
        ),
        name="compare_grid",
    )
    figure.html.add_child(maps.RawHtml(maps.HATCH_DEFS), name="map_hatch")
    letters = list(_LETTERS[1:n])
    others = ", ".join(letters[:-1]) + labels["and"] + letters[-1] if n > 2 else letters[0]
    intro = labels["intro"].format(n=n, others=others, diff=labels["layer_diff"])
    figure.html.add_child(
        maps.RawHtml(render_macro(_TEMPLATE, "header", heading, intro)),
        name="compare_header",
    )

    bounds = _bounds(runs)
    edges = demand_edges(runs, threshold)
    # Each map takes the region's shape, so the region fills it whatever the column width.
    ratio = _aspect_ratio(runs)
    fmaps = []
    placement = []
    for i, run in enumerate(runs):
        row = 2 + 2 * (i // columns)
        col = 1 + i % columns
        head = render_macro(_TEMPLATE, "run_heading", _run_heading(run, i, fmt, labels), row, col)
        figure.html.add_child(maps.RawHtml(head), name=f"compare_head_{i}")
        fmap = _run_map(
            run,
            runs[0] if i else None,
            labels,
            lang=lang,
            threshold=threshold,
            collapsed=n > 2,
            edges=edges,
        )
        fmap.fit_bounds(bounds, padding=(12, 12))
        figure.add_child(fmap)
        fmaps.append(fmap)
        # "html > body >" outranks the size folium gives the map in its own rule.
        placement.append(
            f"html > body > #{fmap.get_name()} {{ grid-row: {row + 1}; grid-column: {col}; "
            f"height: auto; aspect-ratio: {ratio:.3f}; max-height: 72vh; min-height: 280px; }}"
        )
    figure.header.add_child(
        maps.RawHtml(f"<style>{' '.join(placement)}</style>"), name="compare_placement"
    )
    figure.add_child(_Sync(fmaps))

    next_row = 2 + 2 * math.ceil(n / columns)
    legend = render_macro(
        _TEMPLATE,
        "legend",
        next_row,
        _legend_blocks(labels),
        labels["privacy"].format(threshold=threshold),
    )
    figure.html.add_child(maps.RawHtml(legend), name="compare_legend")
    settings_head, settings_rows = _settings(runs, labels)
    tables = render_macro(
        _TEMPLATE,
        "tables",
        next_row + 1,
        labels,
        *_kpi_table(runs, table, fmt, labels),
        settings_head,
        settings_rows,
    )
    figure.html.add_child(maps.RawHtml(tables), name="compare_tables")
    return figure


def _place_name(runs: Sequence[RunFolder], lang: str) -> str | None:
    """The region's name ("Rijnmond") from the runs' manifests, when they agree on one."""
    names = set()
    for run in runs:
        manifest = _manifest(run)
        if manifest is None:
            return None
        names.add(vocab.place_name(manifest, lang))
    return names.pop() if len(names) == 1 else None


def _run_heading(
    run: RunFolder, index: int, fmt: Formatter, labels: Mapping[str, str]
) -> dict[str, Any]:
    """What the heading above a run's map says (the template escapes it)."""
    region = run.kpis["region"]
    unplaced = float(region.get("children_unplaced", 0.0))
    shown = _privacy(run, fmt.threshold).region
    status = str(run.kpis.get("status", "unknown"))
    warning = ""
    if status != "optimal":
        gap = run.kpis.get("mip_gap")
        text = labels["not_optimal"].format(gap=fmt.percent(float(gap)) if gap is not None else "?")
        if run.kpis.get("bound_from") == "coarse":
            text += f" {labels['gap_to_coarse']}"
        warning = f"{text} ({fmt.outcome(status)})"
    return {
        "labels": labels,
        "letter": _LETTERS[index],
        "name": run.name,
        "reference": labels["reference"] if index == 0 else "",
        "description": run.description,
        "placed": fmt.total(region.get("children_placed"), shown["children_placed"]),
        "unplaced": fmt.total(unplaced, shown["children_unplaced"]),
        "bad": is_children(unplaced),
        "mean_km": fmt.km(region.get("mean_km")),
        "units": fmt.number(sum(region.get("units_by_type", {}).values())),
        "cost": fmt.money(region.get("annual_cost_eur")),
        "warning": warning,
    }


def _run_map(
    run: RunFolder,
    reference: RunFolder | None,
    labels: Mapping[str, str],
    *,
    lang: str,
    threshold: int,
    collapsed: bool,
    edges: list[float],
) -> folium.Map:
    """One run's map: the map's own layers (:mod:`woonplanner.outputs.maps`) for the gemeenten,
    the unplaced children and the facilities per type, and the change against the reference."""
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
    # Like map.html: nothing here needs jQuery, Bootstrap or Font Awesome, and Leaflet is in
    # the page once (compare_figure: inline when there is a local copy).
    fmap.default_js = []
    fmap.default_css = []
    maps.add_panes(fmap, changes=reference is not None)
    folium.TileLayer("nlmaps.grijs", name=labels["layer_tiles"], control=True).add_to(fmap)

    neighbourhoods = run.neighbourhoods
    points = maps.representative_points(neighbourhoods)
    privacy = _privacy(run, threshold)
    # Off at first (the units are the comparison); the same classes on every map.
    demand = maps.demand_layer(neighbourhoods, edges, labels, threshold, privacy)
    demand.show = False
    demand.add_to(fmap)
    changes = None if reference is None else unit_differences(reference.facilities, run.facilities)
    maps.gemeente_layer(
        run.gemeenten, labels, lang, run.facilities, neighbourhoods=neighbourhoods, changes=changes
    ).add_to(fmap)
    maps.unplaced_layer(neighbourhoods, labels, threshold, privacy).add_to(fmap)
    for layer in maps.facility_layers(
        run.facilities, neighbourhoods, points, labels, lang, threshold
    ):
        layer.add_to(fmap)
    if changes is not None:
        maps.unit_change_layer(
            changes, neighbourhoods, points, labels, name=labels["layer_diff"]
        ).add_to(fmap)

    # Three or four maps are narrow: the layer list folds into its button there.
    folium.LayerControl(collapsed=collapsed, position="topright").add_to(fmap)
    maps.add_zoom_aggregation(fmap, run.facilities["neighbourhood"].nunique())
    return fmap


def demand_edges(runs: Sequence[RunFolder], threshold: int) -> list[float]:
    """The demand classes of every map of one comparison: from the shown demand of all runs
    together, so one colour means the same number of children on each map."""
    shown = []
    for run in runs:
        rule = _privacy(run, threshold)
        nb = run.neighbourhoods
        hidden = nb["code"].astype(str).map(rule.hidden["children_demand"]).fillna(False)
        shown.append(nb.loc[~hidden.to_numpy(bool), "children_demand"])
    return maps.demand_edges(pd.concat(shown), threshold)


def _privacy(run: RunFolder, threshold: int) -> PagePrivacy:
    """The page rule (docs/privacy.md) for one run, as its own map and report apply it."""
    return page_privacy(run.neighbourhoods, run.flows, threshold)


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


def _legend_blocks(labels: Mapping[str, str]) -> list[tuple[str, list[tuple[Markup, str]]]]:
    """The legend's blocks: (title, [(symbol as SVG, text)]), drawn by the template."""
    types = [
        (Markup(maps.icon_svg(kind, "existing", units=0, size=18)), labels[f"layer_{kind}"])
        for kind in FACILITY_TYPES
    ]
    status = [
        (Markup(maps.icon_svg(None, s, units=0, size=18)), labels[f"status_{s}"])
        for s in ("existing", "new", "closing")
    ]

    def badge(kind: str, css: str, text: str) -> Markup:
        # The map's badge, held in place (on the map it hangs below its site).
        return render_macro(
            _TEMPLATE,
            "legend_badge",
            Markup(maps.change_badge([(type_colour(kind), css, text)], style="transform:none")),
        )

    diff = [
        (badge("gezinshuis", "plus", "+2"), labels["diff_plus"]),
        (badge("pleeggezin", "minus", "−1"), labels["diff_minus"]),
    ]
    norm = [
        (
            Markup(
                f'<svg class="cmp-line" viewBox="0 0 26 10"><line x1="1" y1="5" x2="25" y2="5" '
                f'stroke="{colour}" stroke-width="3"{dash}/></svg>'
            ),
            labels[key],
        )
        for colour, dash, key in (
            (NORM_MET_COLOUR, "", "norm_met"),
            (NORM_NOT_MET_COLOUR, ' stroke-dasharray="6 3"', "norm_not_met"),
        )
    ]
    unplaced = (
        Markup(
            f'<svg class="cmp-line" viewBox="0 0 18 12" style="border:2px solid {UNPLACED_COLOUR}">'
            '<rect width="18" height="12" fill="url(#wp-hatch)"/></svg>'
        ),
        labels["legend_unplaced"],
    )
    return [
        (labels["legend_types"], types),
        (labels["legend_status"], status),
        (labels["legend_diff"], diff),
        (labels["legend_gemeenten"], [*norm, unplaced]),
    ]


# --- tables ---------------------------------------------------------------------------------


def _kpi_table(
    runs: Sequence[RunFolder], table: pd.DataFrame, fmt: Formatter, labels: Mapping[str, str]
) -> tuple[list[tuple[str, str]], list[tuple[str, list[tuple[str, str]]]]]:
    """The KPI table's head and rows as (text, css class) cells."""
    head = [(labels["kpi"], "")]
    for i, run in enumerate(runs):
        head.append((f"{_LETTERS[i]} · {run.name}", "num"))
        if i:
            head.append((labels["delta"].format(letter=_LETTERS[i]), "num"))
    # The region's children as each run's page shows them (docs/privacy.md): a total the page
    # rule shows as "<5" or a range is shown so here, and a difference is shown only between
    # two totals shown exactly (else "<5" against 0 with "−1" beside it gives the count away).
    shown = [_privacy(run, fmt.threshold).region for run in runs]
    rows = []
    for row in table.to_dict("records"):
        kpi = str(row["kpi"])
        base = kpi.split(".")[0]
        cells = [(_kpi_label(kpi, labels, fmt), "")]
        exact: list[float] = []  # the count each run's page shows exactly (nan: not exactly)
        for i, run in enumerate(runs):
            value = row[run.name]
            if base in COUNT_COLUMNS and not _missing(value):
                least, most = shown_interval(float(value), shown[i][base], fmt.threshold)
                exact.append(float(least) if least == most else math.nan)
                cells.append((fmt.total(value, shown[i][base]), "num"))
            else:
                exact.append(math.nan)
                cells.append((_kpi_value(base, value, fmt), "num"))
            if i and base in COUNT_COLUMNS:
                cells.append(_delta_cell(base, exact[i] - exact[0], fmt))
            elif i:
                cells.append(_delta_cell(base, row[f"delta_{run.name}"], fmt))
        rows.append((kpi, cells))
    return head, rows


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _delta_cell(base: str, delta: float, fmt: Formatter) -> tuple[str, str]:
    """A difference with its sign, green where better and red where worse."""
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return "–", "num delta"
    decimals = _decimals(base)
    if round(float(delta), decimals) == 0:
        return "0", "num delta"
    text = fmt.number(abs(delta), decimals=decimals)
    text = f"+{text}" if delta > 0 else f"−{text}"
    if base in _MONEY:
        text = text[0] + fmt.money(abs(delta))
    direction = _BETTER.get(base, 0) * (1 if delta > 0 else -1)
    css = {1: " better", -1: " worse"}.get(direction, "")
    return text, f"num delta{css}"


def _kpi_value(base: str, value: float, fmt: Formatter) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if base == "occupied_by_type":
        return fmt.whole(value)  # a facility's occupancy is shown whole (docs/privacy.md)
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


def _settings(
    runs: Sequence[RunFolder], labels: Mapping[str, str]
) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """The scenario settings that differ between the runs: head and (key, values) rows."""
    flat = [dict(_flatten(run.scenario)) for run in runs]
    keys = sorted({k for f in flat for k in f} - {"name", "description"})
    differ = [k for k in keys if len({json.dumps(f.get(k), sort_keys=True) for f in flat}) > 1]
    head = [labels["setting"]] + [f"{_LETTERS[i]} · {run.name}" for i, run in enumerate(runs)]
    rows = [(key, [_setting_text(f.get(key)) for f in flat]) for key in differ]
    return head, rows


def _setting_text(value: object) -> str:
    """A setting as the settings table shows it: JSON, "–" for none, and a file or folder by
    its name ("…/amsterdam"): the scenario holds absolute paths, and a shared page should not
    show the planner's own folders (/home/…/runs/amsterdam)."""
    if value is None:
        return "–"
    if isinstance(value, str) and Path(value).is_absolute():
        return json.dumps(f"…/{Path(value).name}", ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


# --- helpers --------------------------------------------------------------------------------


def _flat_kpis(run: RunFolder) -> Iterator[tuple[str, float]]:
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


def _unique_names(runs: list[RunFolder]) -> list[RunFolder]:
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


def _bounds(runs: Sequence[RunFolder]) -> list[list[float]]:
    """[[south, west], [north, east]] around every run's neighbourhoods."""
    boxes = np.array([run.neighbourhoods.to_crs("EPSG:4326").total_bounds for run in runs])
    west, south = boxes[:, 0].min(), boxes[:, 1].min()
    east, north = boxes[:, 2].max(), boxes[:, 3].max()
    return [[float(south), float(west)], [float(north), float(east)]]


def _aspect_ratio(runs: Sequence[RunFolder]) -> float:
    """Width / height of the region on a web map, with room for the markers at its edges."""
    boxes = np.array([run.neighbourhoods.to_crs("EPSG:3857").total_bounds for run in runs])
    width = boxes[:, 2].max() - boxes[:, 0].min()
    height = boxes[:, 3].max() - boxes[:, 1].min()
    return float(np.clip(width / max(height, 1.0) * 0.92, 0.8, 2.2))
