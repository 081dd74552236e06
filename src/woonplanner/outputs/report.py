"""``report.html``: what a planner takes to the council.

:func:`write_report` turns a :class:`~woonplanner.plan.Plan` into one self-contained HTML page:
inline CSS, charts as hand-written inline SVG, no script and no network. The page holds, in
this order:

1. the title (region, scenario name and description) and the solver status;
2. headline figures: children needing a place, placed, unplaced, mean and 90th-percentile km,
   annual and one-off cost, and the norm; then the same per gemeente (children by their home
   gemeente, costs by where the facilities are, as in ``kpis.json``);
3. the children who cannot be placed within the norms, and why (always shown, also when there
   are none; a plan not proven optimal says its children have no place *in this plan*: a better
   one may place some);
4. per gemeente the 1-per-40,000 check;
5. per type existing / opened / closed / units / places / occupied, then per gemeente and type
   with the annual and one-off cost;
6. the changes against the current stock per neighbourhood and type;
6a. the re-placements ("Herplaatsingen"): per facility, the children living there now who must
   move because the plan takes away the places they need (:func:`replacements_table`);
7. every scenario value left at its default, listed as an assumption;
8. versions and solver figures, so the page can be reproduced (no date: the same plan gives
   the same page).

Privacy (SPEC §5): children counts per neighbourhood (and per gemeente) below the threshold
read "<5"
(:func:`~woonplanner.outputs.maps.format_count`), and every string that comes from input data
or the scenario is HTML-escaped. Dutch is the default language (numbers as ``1.234,5``);
``lang="en"`` writes English. All texts are in :data:`LABELS`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from woonplanner.outputs.charts import ChartRow, bar_chart
from woonplanner.outputs.pages import Markup, render, render_macro
from woonplanner.outputs.vocabulary import (
    FACILITY_TYPES,
    NORM_MET_COLOUR,
    NORM_NOT_MET_COLOUR,
    NOW_COLOUR,
    REASONS,
    TYPE_LIGHT_COLOURS,
    Formatter,
    area_level,
    esc,
    place_name,
    scenario_note,
    type_colour,
)
from woonplanner.plan import Plan, gemeente_kpis
from woonplanner.privacy import PagePrivacy, is_children, page_privacy, suppress_sum, whole
from woonplanner.schema import AGE_BAND_IDS, SUPPORT_NEEDS

__all__ = [
    "changes_table",
    "default_assumptions",
    "report_html",
    "write_report",
]

#: Scenario keys that label a run rather than assume anything about the region.
_NOT_ASSUMPTIONS = frozenset({"name", "description"})

#: Children below this are solver round-off, not children.
_EPS = 1e-6

#: The report's CSS (the page is ``templates/report.html.j2``).
_CSS = """
:root { --ink: #1f2328; --muted: #5b636b; --line: #d8dde2; --soft: #f5f7f9;
  --green: #1a7f37; --red: #c62828; --amber: #8a5a00; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; font: 15px/1.5 system-ui, -apple-system,
  "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 28px 28px 60px; }
h1 { font-size: 26px; line-height: 1.25; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 38px 0 10px; padding-bottom: 4px; border-bottom: 2px solid
  var(--line); }
h3 { font-size: 16px; margin: 22px 0 6px; }
p { margin: 6px 0 10px; }
.sub { color: var(--muted); margin: 0; }
.status { display: inline-block; margin: 12px 0 0; padding: 4px 10px; border-radius: 4px;
  font-weight: 600; background: #e6f4ea; color: var(--green); border: 1px solid #b7dfc2; }
.status.warn { background: #fff3cd; color: var(--amber); border-color: #e0a800; }
.maplink { display: inline-block; margin: 12px 0 0 10px; padding: 4px 12px; border-radius: 4px;
  background: #0b5cad; color: #fff; text-decoration: none; font-weight: 600; }
.maplink:hover { background: #094a8b; }
nav.toc { margin: 18px 0 0; font-size: 14px; color: var(--muted); }
nav.toc { display: flex; flex-wrap: wrap; gap: 2px 14px; }
nav.toc a { color: #0b5cad; white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 10px;
  margin: 10px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
  background: var(--soft); }
.card .label { font-size: 13px; color: var(--muted); }
.card .value { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.card.bad { background: #fdecea; border-color: #f1b0ab; }
.card.bad .value { color: var(--red); }
.card.good .value { color: var(--green); }
.note { font-size: 13px; color: var(--muted); }
.ok { color: var(--green); font-weight: 700; }
.notok { color: var(--red); font-weight: 700; }
.callout { padding: 8px 12px; border-radius: 6px; border-left: 5px solid var(--green);
  background: #eef7f0; }
.callout.bad { border-left-color: var(--red); background: #fdecea; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 14px; font-size: 14px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.mid, th.mid { text-align: center; }
tr.total td { font-weight: 700; border-top: 2px solid var(--ink); }
#gemeenten-table th.num, #gemeente-types-table th.num { white-space: normal; }
#gemeente-types-table td:nth-child(2) { white-space: nowrap; }
#gemeente-types-table th, #gemeente-types-table td { padding: 5px 5px; }
/* Nine columns: the numbers' headers wrap so the reason keeps room to read. */
#changes-table th.num { white-space: normal; }
#changes-table th, #changes-table td { padding: 5px 5px; }
#changes-table td:last-child, #changes-table th:last-child { min-width: 14em; }
/* Names such as "Spaarndammerbuurt/Zeeheldenbuurt" have no place to break: without this the
   table stood 115 px out of the page (JZ13). */
#changes-table td:first-child { overflow-wrap: anywhere; }
.code { color: var(--muted); font-size: 12px; }
.plus { color: var(--green); font-weight: 700; }
.minus { color: var(--red); font-weight: 700; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px;
  margin-right: 6px; vertical-align: -1px; }
.tag { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px;
  background: #fff3cd; color: var(--amber); border: 1px solid #e0c36a; margin-left: 6px; }
.key { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px;
  white-space: nowrap; }
.val { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
tr.section td { background: #eef1f4; font-size: 13px; }
tr.section td.key { font-weight: 700; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr));
  gap: 16px; }
figure { margin: 8px 0; }
figcaption { font-weight: 600; font-size: 14px; margin-bottom: 4px; }
svg.chart { width: 100%; height: auto; display: block; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px;
  background: var(--soft); padding: 0 3px; border-radius: 3px; }
footer { margin-top: 40px; font-size: 12px; color: var(--muted); }
footer table { font-size: 12px; }
@media print {
  main { max-width: none; padding: 0; }
  .maplink { background: none; color: #0b5cad; border: 1px solid #0b5cad; }
  h2 { break-after: avoid; }
  table, figure, .card { break-inside: avoid; }
  nav.toc { display: none; }
}
"""


# --- public API -----------------------------------------------------------------------------


#: Where ``woonplanner simulate`` links its page (:func:`woonplanner.outputs.simulate.link_report`);
#: ``templates/report.html.j2`` writes it after the map link.
SIMULATE_MARKER = "<!--woonplanner:simulate-link-->"


def write_report(
    plan: Plan, folder: str | Path, *, lang: str = "nl", privacy_threshold: int = 5
) -> Path:
    """Write ``report.html`` into ``folder``.

    Parameters
    ----------
    plan
        The solved plan, with ``scenario`` and ``manifest`` set (without them the report leaves
        out the assumptions and the versions).
    folder
        The run folder (or the temporary folder a run is written into).
    lang
        ``"nl"`` (default) or ``"en"``.
    privacy_threshold
        Children counts per neighbourhood below this read ``"<threshold"``.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(folder) / "report.html"
    text = report_html(plan, lang=lang, privacy_threshold=privacy_threshold)
    path.write_text(text, encoding="utf-8")
    return path


def report_html(plan: Plan, *, lang: str = "nl", privacy_threshold: int = 5) -> str:
    """The report as one HTML string (see the module docstring for its sections).

    Parameters
    ----------
    plan
        The solved plan.
    lang
        ``"nl"`` or ``"en"``.
    privacy_threshold
        Children counts per neighbourhood below this read ``"<threshold"``.
    """
    fmt = Formatter(
        lang=lang,
        threshold=privacy_threshold,
        level=area_level(plan.neighbourhoods, plan.scenario),
    )
    labels = fmt.labels
    sections = [
        ("headline", labels["headline"], _headline(plan, fmt)),
        ("unplaced", labels["unplaced_title"], _unplaced(plan, fmt)),
        ("norm", labels["norm_title"], _norm(plan, fmt)),
        ("types", labels["types_title"], _types(plan, fmt)),
        *(
            [("service", labels["service_title"], _service(plan, fmt))]
            if plan.kpis.get("service_level")
            else []
        ),
        ("changes", labels["changes_title"], _changes(plan, fmt)),
        ("replacements", labels["replacements_title"], _replacements(plan, fmt)),
        ("assumptions", labels["assumptions_title"], _assumptions(plan, fmt)),
    ]
    title = _page_title(plan, labels)
    warn, status = _status_text(plan, fmt)
    scenario = plan.scenario
    manifest = plan.manifest or {}
    kpis = plan.kpis
    return render(
        "report.html.j2",
        lang=labels["html_lang"],
        title=title,
        css=Markup(_CSS),
        labels=labels,
        scenario=None
        if scenario is None
        else {"name": scenario.name, "text": scenario.description},
        gemeenten=[str(g.name) for g in plan.gemeenten.itertuples()],
        warn=warn,
        status=status,
        sections=[(key, heading, Markup(content)) for key, heading, content in sections],
        versions=", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items()),
        solver=" · ".join(
            [
                f"{labels['solver_status']} {kpis.get('status', 'unknown')}",
                f"{labels['objective']} {fmt.number(kpis.get('objective'), decimals=2)}",
                f"{labels['bound']} {fmt.number(kpis.get('bound'), decimals=2)}",
            ]
        ),
        inputs=[(Path(path).name, digest) for path, digest in manifest.get("inputs", {}).items()],
    )


@dataclass(frozen=True)
class Assumption:
    """A scenario value left at its default."""

    key: str
    """Dotted key, as in ``--set`` (``demand.rate_per_1000``)."""
    value: Any
    """The value (JSON-like: numbers, strings, lists, ``None``)."""
    description: str
    """The field's docstring from the scenario schema."""
    section: str
    """Dotted key of the section it belongs to (``""`` at the top level)."""
    section_description: str
    """The section's docstring (the field's, else its class's)."""
    is_assumption: bool
    """Whether the schema calls it an assumption: its docstring or a section's above it."""


def default_assumptions(scenario: BaseModel, defaults: BaseModel | None = None) -> list[Assumption]:
    """Every value of ``scenario`` that equals the default, with its schema docstring.

    Parameters
    ----------
    scenario
        The resolved scenario.
    defaults
        The scenario to compare with; the schema's defaults (``type(scenario)()``) when None.

    Returns
    -------
    list of Assumption
        In schema order, one per leaf value (sections are walked, not listed).
    """
    if defaults is None:
        defaults = type(scenario)()
    return [
        item
        for item in _walk_defaults(scenario, defaults, prefix="", section_doc="", above=())
        # The scenario's name and description label the report; they assume nothing.
        if item.key not in _NOT_ASSUMPTIONS
    ]


# --- sections -------------------------------------------------------------------------------


def _service(plan: Plan, fmt: Formatter) -> str:
    """The plan with its service-level buffer beside the same plan without (kpis.json)."""
    labels = fmt.labels
    figures = plan.kpis["service_level"]
    intro = _part("para", labels["service_intro"].format(target=fmt.percent(figures["target"])))
    without = figures.get("without_buffer")
    if not without:
        return intro + _part("para", labels["service_no_plan"])
    rows = []
    for key, label in (("annual_cost_eur", "annual"), ("one_off_cost_eur", "one_off")):
        a, b = figures[key], without[key]
        rows.append([esc(labels[f"service_{label}"]), *(_num(fmt.money(v)) for v in (a, b, a - b))])
    for kind in sorted(figures["places_by_type"]):
        a = figures["places_by_type"][kind]
        b = without["places_by_type"].get(kind, 0.0)
        name = labels["service_places"].format(type=fmt.type_label(kind, short=True))
        rows.append([esc(name), *(_num(fmt.number(v, decimals=1)) for v in (a, b, a - b))])
    headers = ["", labels["service_with"], labels["service_without"], labels["service_difference"]]
    return intro + _table(headers, rows, table_id="service-table")


def _headline(plan: Plan, fmt: Formatter) -> str:
    labels = fmt.labels
    region = _region(plan)
    unplaced = float(region["children_unplaced"])
    gemeenten = plan.gemeenten
    met = int(gemeenten["norm_met"].astype(bool).sum())
    privacy = _privacy(plan, fmt)
    shown = privacy.region
    cards = [
        ("demand", fmt.total(region["children_demand"], shown["children_demand"]), ""),
        ("placed", fmt.total(region["children_placed"], shown["children_placed"]), ""),
        (
            "unplaced",
            fmt.total(unplaced, shown["children_unplaced"]),
            "bad" if is_children(unplaced) else "good",
        ),
        ("mean_km", fmt.km(region.get("mean_km")), ""),
        ("p90_km", fmt.km(region.get("p90_km")), ""),
        ("annual_cost", fmt.money(region.get("annual_cost_eur")), ""),
        ("one_off_cost", fmt.money(region.get("one_off_cost_eur")), ""),
        (
            "norm_headline",
            labels["norm_headline_value"].format(met=met, total=len(gemeenten)),
            "good" if met == len(gemeenten) else "bad",
        ),
    ]
    note = labels["counts_note"].format(threshold=fmt.threshold)
    labelled = [(key, labels[key], value, tone) for key, value, tone in cards]
    return _part("cards", labelled, note) + _gemeenten(plan, fmt, privacy)


def _hidden_parts(parts: np.ndarray, total: float, threshold: int) -> np.ndarray:
    """Which rows of a table whose rows sum to a total the page shows are hidden (the page
    rule, :func:`woonplanner.privacy.suppress_sum`): small ones, and as many others as keep the
    total minus the rows shown from giving a small one away; every row when even that does
    not."""
    hidden, total_shown = suppress_sum(parts, threshold, total=total)
    return hidden if total_shown else np.array([whole(p) > 0 for p in parts], dtype=bool)


def _privacy(plan: Plan, fmt: Formatter) -> PagePrivacy:
    """The page rule's decision for this plan (docs/privacy.md), as the map makes it."""
    return page_privacy(plan.neighbourhoods, plan.flows, fmt.threshold)


def _gemeenten(plan: Plan, fmt: Formatter, privacy: PagePrivacy) -> str:
    """The headline figures per gemeente, with the region as the last row.

    Totals the page rule may not show read as the range the neighbourhoods imply; a mean km of
    fewer placed children than the threshold is left out (it is close to their own distance).
    """
    labels = fmt.labels

    def row(name: str, g: Mapping[str, Any], placed_here: Any, code: str | None) -> list[Any]:
        unplaced = float(g["children_unplaced"])

        def total(column: str) -> str:
            shown = (
                privacy.region if code is None else {column: privacy.gemeenten.get((code, column))}
            )
            return fmt.total(g[column], shown[column])

        few = whole(float(g["children_placed"])) < fmt.threshold
        return [
            name,
            _num(total("children_demand")),
            _num(total("children_placed")),
            _num(total("children_unplaced"), css="minus" if is_children(unplaced) else ""),
            # A facility's occupancy is shown whole (docs/privacy.md): so is their sum; the
            # region's is its placed children, shown as above.
            _num(fmt.whole(placed_here) if code is not None else total("children_placed")),
            _num("–" if few else fmt.km(g.get("mean_km"))),
            _num(fmt.money(g.get("annual_cost_eur"))),
            _num(fmt.money(g.get("one_off_cost_eur"))),
        ]

    gemeenten = sorted(
        gemeente_kpis(plan.neighbourhoods, plan.facilities, plan.gemeenten),
        key=lambda g: str(g["code"]),
    )
    rows = [
        row(
            _named(g["name"], g["code"]),
            g,
            g["children_placed_here"],
            str(g["code"]),
        )
        for g in gemeenten
    ]
    region = _region(plan)
    rows.append(row(esc(labels["region_total"]), region, region["children_placed"], None))
    table = _table(
        [
            labels["gemeente"],
            (labels["children_demand"], "num"),
            (labels["children_placed"], "num"),
            (labels["children_unplaced"], "num"),
            (labels["placed_here"], "num"),
            (labels["mean_km_short"], "num"),
            (labels["annual_cost_short"], "num"),
            (labels["one_off_cost_short"], "num"),
        ],
        rows,
        total_last=True,
        table_id="gemeenten-table",
    )
    return (
        _part("heading", labels["gemeenten_title"])
        + table
        + _part("para", labels["gemeenten_note"], "note")
    )


def _unplaced(plan: Plan, fmt: Formatter) -> str:
    labels = fmt.labels
    total = float(_region(plan)["children_unplaced"])
    if not is_children(total):
        return _part("para", labels["all_placed"], "callout")
    privacy = _privacy(plan, fmt)
    count = fmt.total(total, privacy.region["children_unplaced"])
    # Only a proven plan shows that these children cannot be placed; a plan cut short by the
    # time limit may leave children a better plan would place.
    proven = plan.kpis.get("status") == "optimal"
    text = labels["some_unplaced" if proven else "some_unplaced_unproven"].format(count=count)
    parts = [_part("para", text, "callout bad")]
    scenario = plan.scenario
    if scenario is not None:
        parts.append(_part("para", _why_text(scenario, fmt, proven)))
    by_reason = _unplaced_by_reason(plan)
    if by_reason is not None:
        # The rows sum to the total above: one equation of the page rule (docs/privacy.md).
        hide = _hidden_parts(by_reason["children"].to_numpy(float), total, fmt.threshold)
        rows = []
        for row, hidden in zip(by_reason.itertuples(index=False), hide, strict=True):
            cells = [
                esc(labels.get(f"reason_{row.reason}", row.reason)),
                esc(labels.get(f"support_{row.support_need}", row.support_need)),
                _num(fmt.count(row.children, hidden=hidden)),
            ]
            if scenario is not None:
                cells.append(esc(_reason_rule(scenario, row.reason, row.support_need, fmt)))
            rows.append(cells)
        headers: list[str | tuple[str, str]] = [
            labels["reason"],
            labels["support_need"],
            (labels["unplaced"], "num"),
        ]
        if scenario is not None:
            headers.append(labels["rule"])
        parts.append(_part("heading", labels["unplaced_by_reason"]))
        parts.append(_table(headers, rows))
    nb = plan.neighbourhoods
    nb = nb[nb["children_unplaced"].map(is_children).astype(bool)]
    # Hidden counts last, by code: their order must not rank what "<5" hides.
    hidden = nb["code"].map(lambda c: privacy.cell(c, "children_unplaced")).astype(bool)
    nb = nb.assign(_order=nb["children_unplaced"].where(~hidden, -1.0)).sort_values(
        ["_order", "code"], ascending=[False, True]
    )
    rows = [
        [
            _named(r["name"], r["code"]),
            esc(r.get("gemeente_name", r["gemeente"])),
            _num(
                fmt.count(r["children_demand"], hidden=privacy.cell(r["code"], "children_demand"))
            ),
            _num(
                fmt.count(
                    r["children_unplaced"], hidden=privacy.cell(r["code"], "children_unplaced")
                ),
                css="minus",
            ),
        ]
        for _, r in nb.iterrows()
    ]
    parts.append(_part("heading", labels["unplaced_by_neighbourhood"]))
    if not rows:
        # Rounded half up per neighbourhood, 1.3 children over ten wijken is none in each.
        parts.append(_part("para", labels["unplaced_spread"], "note"))
        return "".join(parts)
    parts.append(
        _table(
            [
                labels["neighbourhood"],
                labels["gemeente"],
                (labels["children_demand"], "num"),
                (labels["children_unplaced"], "num"),
            ],
            rows,
        )
    )
    return "".join(parts)


def _norm(plan: Plan, fmt: Formatter) -> str:
    labels = fmt.labels
    gem = plan.gemeenten.sort_values("code")
    parts = []
    if plan.scenario is not None:
        norm = plan.scenario.norm
        intro = labels["norm_intro"].format(
            types=", ".join(fmt.type_label(t) for t in norm.types),
            rounding=norm.rounding,
            per=fmt.number(norm.inhabitants_per_unit),
        )
        parts.append(_part("para", intro))
    rows = [
        [
            _named(g["name"], g["code"]),
            _num(fmt.number(g["inhabitants"])),
            _num(fmt.number(g["required_small_scale_units"])),
            _num(fmt.number(g["small_scale_units"])),
            (_met(bool(g["norm_met"]), labels), "mid"),
        ]
        for _, g in gem.iterrows()
    ]
    region = _region(plan)
    if "required_small_scale_units" in region:
        rows.append(
            [
                esc(labels["region_total"]),
                _num(fmt.number(gem["inhabitants"].sum())),
                _num(fmt.number(region["required_small_scale_units"])),
                _num(fmt.number(region["small_scale_units"])),
                (_met(bool(region["norm_met"]), labels), "mid"),
            ]
        )
    parts.append(
        _table(
            [
                labels["gemeente"],
                (labels["inhabitants"], "num"),
                (labels["required"], "num"),
                (labels["present"], "num"),
                (labels["met"], "mid"),
            ],
            rows,
            total_last="required_small_scale_units" in region,
        )
    )
    chart_rows = [
        ChartRow(
            label=str(g["name"]),
            bars=[
                (
                    float(g["small_scale_units"]),
                    NORM_MET_COLOUR if bool(g["norm_met"]) else NORM_NOT_MET_COLOUR,
                    fmt.number(g["small_scale_units"]),
                )
            ],
            tick=(
                float(g["required_small_scale_units"]),
                f"{labels['required'].lower()} {fmt.number(g['required_small_scale_units'])}",
            ),
        )
        for _, g in gem.iterrows()
    ]
    legend = [(labels["norm_met"], NORM_MET_COLOUR), (labels["norm_not_met"], NORM_NOT_MET_COLOUR)]
    parts.append(_figure(labels["norm_chart"], bar_chart(chart_rows, legend=legend)))
    return "".join(parts)


def _types(plan: Plan, fmt: Formatter) -> str:
    labels = fmt.labels
    table = _type_table(plan.facilities)
    rows = []
    for kind, r in table.iterrows():
        occupancy = r["occupied"] / r["places"] if r["places"] > _EPS else None
        rows.append(
            [
                _typed(kind, fmt.type_label(kind)),
                _num(fmt.number(r["existing_units"])),
                _html_num(_signed(r["opened_units"], fmt, plus_only=True)),
                _html_num(_signed(-r["closed_units"], fmt)),
                _num(fmt.number(r["units"])),
                _num(fmt.number(r["places"])),
                _num(fmt.whole(r["occupied"])),
                _num(fmt.percent(occupancy, decimals=0)),
            ]
        )
    totals = table.sum()
    rows.append(
        [
            esc(labels["total"]),
            _num(fmt.number(totals["existing_units"])),
            _html_num(_signed(totals["opened_units"], fmt, plus_only=True)),
            _html_num(_signed(-totals["closed_units"], fmt)),
            _num(fmt.number(totals["units"])),
            _num(fmt.number(totals["places"])),
            _num(fmt.whole(totals["occupied"])),
            _num(
                fmt.percent(
                    totals["occupied"] / totals["places"] if totals["places"] > _EPS else None,
                    decimals=0,
                )
            ),
        ]
    )
    parts = [
        _table(
            [
                labels["type"],
                (labels["existing_units"], "num"),
                (labels["opened_units"], "num"),
                (labels["closed_units"], "num"),
                (labels["units"], "num"),
                (labels["places"], "num"),
                (labels["occupied"], "num"),
                (labels["occupancy"], "num"),
            ],
            rows,
            total_last=True,
        )
    ]
    units_rows = [
        ChartRow(
            label=fmt.type_label(kind, short=True),
            bars=[
                (float(r["existing_units"]), NOW_COLOUR, fmt.number(r["existing_units"])),
                (float(r["units"]), type_colour(kind), fmt.number(r["units"])),
            ],
        )
        for kind, r in table.iterrows()
    ]
    occupancy_rows = [
        ChartRow(
            label=fmt.type_label(kind, short=True),
            bars=[
                (
                    float(r["places"]),
                    TYPE_LIGHT_COLOURS.get(kind, NOW_COLOUR),
                    fmt.number(r["places"]),
                ),
                (
                    float(r["occupied"]),
                    type_colour(kind),
                    fmt.whole(r["occupied"])
                    + (
                        f" ({fmt.percent(r['occupied'] / r['places'], decimals=0)})"
                        if r["places"] > _EPS
                        else ""
                    ),
                ),
            ],
        )
        for kind, r in table.iterrows()
    ]
    figures = [
        Markup(
            _figure(
                labels["units_chart"],
                bar_chart(
                    units_rows,
                    legend=[(labels["series_now"], NOW_COLOUR), (labels["series_plan"], "#555555")],
                ),
            )
        ),
        Markup(
            _figure(
                labels["occupancy_chart"],
                bar_chart(
                    occupancy_rows,
                    legend=[
                        (labels["series_places"], "#cfcfcf"),
                        (labels["series_occupied"], "#555555"),
                    ],
                ),
            )
        ),
    ]
    parts.append(_part("charts", figures))
    parts.append(_gemeente_types(plan, fmt))
    return "".join(parts)


def _gemeente_types(plan: Plan, fmt: Formatter) -> str:
    """Units, places, occupancy and costs per gemeente and type, with the region's total."""
    labels = fmt.labels
    table = _gemeente_type_table(plan.facilities)
    names = plan.gemeenten.set_index("code")["name"]

    def cells(r: Mapping[str, Any]) -> list[Any]:
        return [
            _num(fmt.number(r["existing_units"])),
            _html_num(_signed(r["opened_units"], fmt, plus_only=True)),
            _html_num(_signed(-r["closed_units"], fmt)),
            _num(fmt.number(r["units"])),
            _num(fmt.number(r["places"])),
            _num(fmt.whole(r["occupied"])),
            _num(fmt.money(r.get("annual_cost_eur"))),
            _num(fmt.money(r.get("one_off_cost_eur"))),
        ]

    rows = []
    previous = None
    for _, r in table.iterrows():
        # The gemeente heads its first row only, so its types read as one block.
        first = r["gemeente"] != previous
        previous = r["gemeente"]
        gemeente = _named(names.get(r["gemeente"], r["gemeente"]), r["gemeente"]) if first else ""
        kind = _typed(r["type"], fmt.type_label(r["type"], short=True))
        rows.append([gemeente, kind, *cells(r)])
    totals = table.drop(columns=["gemeente", "type"]).sum()
    rows.append([esc(labels["region_total"]), "", *cells(totals)])
    headers: list[str | tuple[str, str]] = [
        labels["gemeente"],
        labels["type"],
        (labels["existing_units"], "num"),
        (labels["opened_units"], "num"),
        (labels["closed_units"], "num"),
        (labels["units"], "num"),
        (labels["places"], "num"),
        (labels["occupied"], "num"),
        (labels["annual_cost_short"], "num"),
        (labels["one_off_cost_short"], "num"),
    ]
    return _part("heading", labels["gemeente_types_title"]) + _table(
        headers, rows, total_last=True, table_id="gemeente-types-table"
    )


def _changes(plan: Plan, fmt: Formatter) -> str:
    labels = fmt.labels
    changes = changes_table(plan)
    if changes.empty:
        return _part("para", labels["no_changes"], "callout")
    summary = labels["changes_summary"].format(
        opened=_plural(fmt, "n_units", changes["opened_units"].sum()),
        closed=_plural(fmt, "n_units", changes["closed_units"].sum()),
        sites=_plural(fmt, "n_sites", changes["neighbourhood"].nunique()),
    )
    rows = [
        [
            _named(r["neighbourhood_name"], r["neighbourhood"]),
            esc(r["gemeente_name"]),
            esc(fmt.type_label(r["type"], short=True)),
            _num(fmt.number(r["existing_units"])),
            _html_num(_signed(r["opened_units"], fmt, plus_only=True)),
            _html_num(_signed(-r["closed_units"], fmt)),
            _num(fmt.number(r["units"])),
            _html_num(_signed(r["change"], fmt)),
            esc(labels.get(f"reason_{r['change_reason']}", "")),
        ]
        for _, r in changes.iterrows()
    ]
    rows.append(
        [
            esc(labels["total"]),
            "",
            "",
            _num(fmt.number(changes["existing_units"].sum())),
            _html_num(_signed(changes["opened_units"].sum(), fmt, plus_only=True)),
            _html_num(_signed(-changes["closed_units"].sum(), fmt)),
            _num(fmt.number(changes["units"].sum())),
            _html_num(_signed(changes["change"].sum(), fmt)),
            "",
        ]
    )
    table = _table(
        [
            labels["neighbourhood"],
            labels["gemeente"],
            labels["type"],
            (labels["existing_units"], "num"),
            (labels["opened_units"], "num"),
            (labels["closed_units"], "num"),
            (labels["units"], "num"),
            (labels["change"], "num"),
            labels["change_reason"],
        ],
        rows,
        total_last=True,
        table_id="changes-table",
    )
    return _part("para", summary) + table


def _replacements(plan: Plan, fmt: Formatter) -> str:
    """The "Herplaatsingen" section: who must move, per facility (counts below the threshold
    read "<5")."""
    labels = fmt.labels
    scenario = plan.scenario
    given = scenario is not None and bool(scenario.placements.file or scenario.placements.from_run)
    table = replacements_table(plan)
    if table.empty:
        key = "replacements_none" if given else "replacements_no_input"
        return _part("para", labels[key], "callout")
    total = float(table["children_replaced"].sum())
    summary = labels["replacements_summary"].format(
        children=fmt.count(total),
        sites=_plural(fmt, "n_sites", len(table)),
    )
    hide = _hidden_parts(table["children_replaced"].to_numpy(float), total, fmt.threshold)
    rows = [
        [
            _named(r["neighbourhood_name"], r["neighbourhood"]),
            esc(r["gemeente_name"]),
            esc(fmt.type_label(r["type"], short=True)),
            _num(fmt.number(r["existing_units"])),
            _num(fmt.number(r["units"])),
            _num(fmt.count(r["children_replaced"], hidden=hidden)),
        ]
        for (_, r), hidden in zip(table.iterrows(), hide, strict=True)
    ]
    rows.append([esc(labels["total"]), "", "", "", "", _num(fmt.count(total))])
    html_table = _table(
        [
            labels["neighbourhood"],
            labels["gemeente"],
            labels["type"],
            (labels["existing_units"], "num"),
            (labels["units"], "num"),
            (labels["children_replaced"], "num"),
        ],
        rows,
        total_last=True,
        table_id="replacements-table",
    )
    return _part("para", summary) + html_table


def _with_names(fac: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """A copy of facilities rows with ``neighbourhood_name`` and ``gemeente_name`` (the code
    where the plan has no name)."""
    fac = fac.copy()
    names = plan.neighbourhoods.set_index("code")["name"]
    gemeente_names = plan.gemeenten.set_index("code")["name"]
    fac["neighbourhood_name"] = fac["neighbourhood"].map(names).fillna(fac["neighbourhood"])
    fac["gemeente_name"] = fac["gemeente"].map(gemeente_names).fillna(fac["gemeente"])
    return fac


def replacements_table(plan: Plan) -> pd.DataFrame:
    """Facilities rows whose placed children must move (``children_replaced`` > 0), with names.

    Returns
    -------
    DataFrame
        ``neighbourhood, neighbourhood_name, gemeente, gemeente_name, type, existing_units,
        units, children_replaced``, sorted by gemeente, neighbourhood and type; empty for a
        plan without re-placements (or made before they existed).
    """
    fac = plan.facilities
    if "children_replaced" not in fac.columns:
        fac = fac.assign(children_replaced=0.0)
    fac = _with_names(fac[fac["children_replaced"] > 0], plan)
    fac = fac.sort_values(["gemeente", "neighbourhood", "type"])
    columns = [
        "neighbourhood",
        "neighbourhood_name",
        "gemeente",
        "gemeente_name",
        "type",
        "existing_units",
        "units",
        "children_replaced",
    ]
    return fac[columns].reset_index(drop=True)


def changes_table(plan: Plan) -> pd.DataFrame:
    """Facilities rows with units opened or closed, with names and the net change.

    Returns
    -------
    DataFrame
        ``neighbourhood, neighbourhood_name, gemeente, gemeente_name, type, existing_units,
        opened_units, closed_units, units, change``, sorted by gemeente, neighbourhood and type.
    """
    fac = plan.facilities
    fac = _with_names(fac[(fac["opened_units"] > 0) | (fac["closed_units"] > 0)], plan)
    fac["change"] = fac["opened_units"] - fac["closed_units"]
    order = {kind: i for i, kind in enumerate(FACILITY_TYPES)}
    fac["_type_order"] = fac["type"].map(order).fillna(len(order))
    fac = fac.sort_values(["gemeente", "neighbourhood", "_type_order", "type"])
    columns = [
        "neighbourhood",
        "neighbourhood_name",
        "gemeente",
        "gemeente_name",
        "type",
        "existing_units",
        "opened_units",
        "closed_units",
        "units",
        "change",
        "change_reason",
    ]
    if "change_reason" not in fac.columns:  # a plan made before reasons existed
        fac["change_reason"] = ""
    return fac[columns].reset_index(drop=True)


def _assumptions(plan: Plan, fmt: Formatter) -> str:
    labels = fmt.labels
    if plan.scenario is None:
        return ""
    found = default_assumptions(plan.scenario)
    if not found:
        return _part("para", labels["assumptions_none"])
    rows: list[dict[str, Any]] = []
    section = None
    for item in found:
        if item.section != section:
            section = item.section
            doc = scenario_note(section, item.section_description, fmt.lang)
            rows.append({"section": section, "doc": doc})
        rows.append(
            {
                "key": item.key,
                "value": _value_text(item.value, labels),
                # In the page's language, without the schema's internal references.
                "doc": scenario_note(item.key, item.description, fmt.lang),
                "tag": item.is_assumption,
            }
        )
    return _part("assumptions", labels, rows) + _suitability(plan, fmt)


def suitability_table(scenario: Any) -> pd.DataFrame:
    """Which types suit each support need and age band (``facility_types.<t>.support_needs``,
    ``age_bands``): one row per need, one column per band, the type ids in each cell."""
    cells = {
        band: [
            [
                t
                for t in FACILITY_TYPES
                if need in getattr(scenario.facility_types, t).support_needs
                and band in getattr(scenario.facility_types, t).age_bands
            ]
            for need in SUPPORT_NEEDS
        ]
        for band in AGE_BAND_IDS
    }
    return pd.DataFrame(cells, index=pd.Index(SUPPORT_NEEDS, name="support_need"))


def _suitability(plan: Plan, fmt: Formatter) -> str:
    """The suitability table under the assumptions: which form suits which children."""
    labels = fmt.labels
    table = suitability_table(plan.scenario)
    rows = [
        [
            esc(labels.get(f"support_{need}", need)),
            *(esc(", ".join(fmt.type_label(t, short=True) for t in types) or "—") for types in row),
        ]
        for need, row in zip(table.index, table.to_numpy().tolist(), strict=True)
    ]
    header = [labels["support_need"], *(str(band).replace("_", "–") for band in table.columns)]
    return (
        _part("heading", labels["suitability_title"])
        + _part("para", labels["suitability_intro"])
        + _table(header, rows, table_id="suitability-table")
    )


# --- derived tables and texts ---------------------------------------------------------------


def _region(plan: Plan) -> dict[str, Any]:
    """The region KPIs; recomputed from the tables for the few a hand-built plan lacks."""
    region = dict(plan.kpis.get("region", {}))
    nb = plan.neighbourhoods
    for key in ("children_demand", "children_placed", "children_unplaced"):
        region.setdefault(key, float(nb[key].sum()))
    return region


def _type_table(facilities: pd.DataFrame) -> pd.DataFrame:
    """Sums per type: ``existing_units, opened_units, closed_units, units, places, occupied``."""
    columns = ["existing_units", "opened_units", "closed_units", "units", "places", "occupied"]
    table = facilities.groupby("type")[columns].sum()
    # The three types always show, also with no units: a planner asks "and woongroepen?".
    kinds = [*FACILITY_TYPES, *sorted(set(table.index) - set(FACILITY_TYPES))]
    return table.reindex(kinds).fillna(0.0)


def _gemeente_type_table(facilities: pd.DataFrame) -> pd.DataFrame:
    """Sums per gemeente and type that has or had units, with the costs where the plan has them.

    Returns
    -------
    DataFrame
        ``gemeente, type, existing_units, opened_units, closed_units, units, places, occupied``
        and ``annual_cost_eur, one_off_cost_eur``, by gemeente code and type in
        :data:`FACILITY_TYPES` order.
    """
    columns = ["existing_units", "opened_units", "closed_units", "units", "places", "occupied"]
    columns += [c for c in ("annual_cost_eur", "one_off_cost_eur") if c in facilities.columns]
    table = facilities.groupby(["gemeente", "type"], as_index=False)[columns].sum()
    order = {kind: i for i, kind in enumerate(FACILITY_TYPES)}
    table["_order"] = table["type"].map(order).fillna(len(order))
    table = table.sort_values(["gemeente", "_order", "type"]).drop(columns="_order")
    return table.reset_index(drop=True)


def _unplaced_by_reason(plan: Plan) -> pd.DataFrame | None:
    """Unplaced children per reason and support need, from ``kpis.json`` (None without it).

    The plan reads them from the solver's demand groups
    (:func:`woonplanner.plan.unplaced_by_reason`); here only pairs with unplaced children, in
    the order of :data:`REASONS`, children without extra support first.
    """
    found = _region(plan).get("unplaced_by_reason")
    if found is None:
        return None
    table = pd.DataFrame(found, columns=["reason", "support_need", "children"])
    reason_order = {reason: i for i, reason in enumerate(REASONS)}
    need_order = {"none": 0, "extra": 1, "intensive": 2}
    table = table.assign(
        _reason=table["reason"].map(reason_order).fillna(len(reason_order)),
        _need=table["support_need"].map(need_order).fillna(len(need_order)),
    ).sort_values(["_reason", "reason", "_need", "support_need"])
    table = table[table["children"] > _EPS]
    return table[["reason", "support_need", "children"]].reset_index(drop=True)


def _why_text(scenario: Any, fmt: Formatter, proven: bool) -> str:
    """What can hold a child back: for a plan not proven optimal, as a rule of proven plans."""
    labels = fmt.labels
    limits = []
    for kind in FACILITY_TYPES:
        config = getattr(scenario.facility_types, kind)
        name = fmt.type_label(kind, short=True)
        if config.max_units_per_1000_households is not None:
            per = fmt.number(config.max_units_per_1000_households, decimals=1)
            limits.append(labels["limit_per_households"].format(n=per, type=name))
        if config.max_units_per_site is not None:
            limits.append(labels["limit_per_site"].format(n=config.max_units_per_site, type=name))
    budget = ""
    if scenario.budget.annual_eur is not None:
        budget = labels["unplaced_budget"].format(budget=fmt.money(scenario.budget.annual_eur))
    lead = labels["why_lead" if proven else "why_lead_unproven"]
    return labels["unplaced_why"].format(lead=lead, limits="; ".join(limits) or "–", budget=budget)


def _reason_rule(scenario: Any, reason: str, support_need: str, fmt: Formatter) -> str:
    """The rule of a row of unplaced children: the reason's distance band and the types that
    reason allows *and* that take the row's support need (a teenager who needs intensive
    support fits only a woongroep, whatever the reason allows)."""
    labels = fmt.labels
    rule = getattr(scenario.reasons, reason)
    if rule.min_km > 0:
        band = labels["band_min_max"].format(min=fmt.km(rule.min_km), max=fmt.km(rule.max_km))
    else:
        band = labels["band_max"].format(max=fmt.km(rule.max_km))
    fitting = [
        t for t in rule.types if support_need in getattr(scenario.facility_types, t).support_needs
    ]
    types = ", ".join(fmt.type_label(t, short=True) for t in fitting or rule.types)
    return labels["rule_text"].format(band=band, types=types)


def _status_text(plan: Plan, fmt: Formatter) -> tuple[bool, str]:
    """(whether to warn, the status line) from the solver status and gap."""
    labels = fmt.labels
    status = str(plan.kpis.get("status", "unknown"))
    raw_gap = plan.kpis.get("mip_gap")
    gap = float(raw_gap) if raw_gap is not None else math.nan
    gap_ok = math.isfinite(gap)
    if status == "optimal":
        if gap_ok and gap > 0 and plan.scenario is not None:
            return False, labels["optimal_gap"].format(
                gap=fmt.percent(gap, decimals=2),
                limit=fmt.percent(plan.scenario.solver.mip_gap, decimals=2),
            )
        return False, labels["optimal"]
    text = (
        labels["not_optimal"].format(gap=fmt.percent(gap, decimals=1))
        if gap_ok
        else labels["not_optimal_no_gap"]
    )
    text = f"{text} ({labels['solver_status']}: {status})"
    if plan.kpis.get("bound_from") == "coarse":
        text += f". {labels['bound_from_coarse']}"
    return True, text


def _page_title(plan: Plan, labels: Mapping[str, str]) -> str:
    region = place_name(plan.manifest, labels["html_lang"])
    return f"{labels['title']} — {region}" if region else labels["title"]


def _walk_defaults(
    value: BaseModel,
    default: BaseModel,
    *,
    prefix: str,
    section_doc: str,
    above: tuple[str, ...],
) -> Iterator[Assumption]:
    """Leaves of ``value`` equal to ``default``; ``above`` holds the docstrings of the sections."""
    fields = type(value).model_fields.items()
    # A section's own values first, then its sub-sections, so each section heads one block.
    ordered = sorted(fields, key=lambda item: isinstance(getattr(value, item[0]), BaseModel))
    for name, info in ordered:
        mine, theirs = getattr(value, name), getattr(default, name)
        key = f"{prefix}{name}"
        description = _one_line(info.description)
        if isinstance(mine, BaseModel) and isinstance(theirs, BaseModel):
            # A section's class docstring may call its whole content an assumption ("All
            # distances are assumptions"), its field docstring says what it is.
            class_doc = _one_line(type(mine).__doc__)
            yield from _walk_defaults(
                mine,
                theirs,
                prefix=f"{key}.",
                section_doc=description or class_doc,
                above=(*above, description, class_doc),
            )
        elif mine == theirs:
            plain = mine.model_dump(mode="json") if isinstance(mine, BaseModel) else mine
            texts = " ".join((description, *above)).lower()
            yield Assumption(
                key=key,
                value=plain,
                description=description,
                section=prefix.rstrip("."),
                section_description=section_doc,
                is_assumption="assumption" in texts,
            )


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _value_text(value: Any, labels: Mapping[str, str]) -> str:
    if value is None:
        return labels["not_set"]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return f"{value:.1f}"
    return json.dumps(value, ensure_ascii=False)


def _signed(value: float, fmt: Formatter, *, plus_only: bool = False) -> str:
    """``+3`` in green, ``−2`` in red, ``0`` plain (already HTML)."""
    value = round(float(value))
    if value > 0:
        return _part("signed", f"+{fmt.number(value)}", "plus")
    if value < 0 and not plus_only:
        return _part("signed", f"−{fmt.number(-value)}", "minus")
    return "0"


def _met(met: bool, labels: Mapping[str, str]) -> str:
    return _part("met", met, labels["norm_met"] if met else labels["norm_not_met"])


def _named(name: Any, code: Any) -> str:
    """A name with its code in grey (already HTML)."""
    return _part("named", name, code)


def _typed(kind: str, label: str) -> str:
    """A type's colour swatch and its name (already HTML)."""
    return _part("typed", type_colour(kind), label)


def _plural(fmt: Formatter, label: str, n: float) -> str:
    """``1 eenheid`` / ``3 eenheden``: the label's singular or plural form (``one|many``)."""
    one, many = fmt.labels[label].split("|")
    return (one if n == 1 else many).format(n=fmt.number(n))


def _num(text: str, *, css: str = "") -> tuple[str, str]:
    """A numeric table cell (right-aligned) from plain text, escaped here: counts read "<5"."""
    return _html_num(esc(text), css=css)


def _html_num(markup: str, *, css: str = "") -> tuple[str, str]:
    """A numeric table cell (right-aligned) from HTML, such as :func:`_signed` writes."""
    return (markup, f"num {css}".strip())


def _table(
    headers: Sequence[str | tuple[str, str]],
    rows: Iterable[Sequence[Any]],
    *,
    total_last: bool = False,
    table_id: str | None = None,
) -> str:
    """An HTML table (the ``table`` macro of ``templates/macros.html.j2``).

    A header is text (escaped there) or ``(text, css class)``; a cell is HTML already (built
    with :func:`esc`) or ``(html, css class)``.
    """

    def cells(items: Iterable[Any], *, html: bool) -> list[tuple[Any, str]]:
        pairs = [item if isinstance(item, tuple) else (item, "") for item in items]
        return [(Markup(text) if html else text, css) for text, css in pairs]

    body = [cells(row, html=True) for row in rows]
    return str(
        render_macro(
            "macros.html.j2",
            "table",
            cells(headers, html=False),
            body,
            table_id or "",
            total_last,
        )
    )


def _part(macro: str, *args: Any) -> str:
    """One part of the report from ``templates/report_parts.html.j2`` (escaped there)."""
    return str(render_macro("report_parts.html.j2", macro, *args))


def _figure(caption: str, svg: str) -> str:
    return _part("figure", caption, Markup(svg))
