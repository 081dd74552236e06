"""``report.html``: what a planner takes to the council.

:func:`write_report` turns a :class:`~woonplanner.plan.Plan` into one self-contained HTML page:
inline CSS, charts as hand-written inline SVG, no script and no network. The page holds, in
this order:

1. the title (region, scenario name and description) and the solver status;
2. headline figures: children needing a place, placed, unplaced, mean and 90th-percentile km,
   annual and one-off cost, and the norm; then the same per gemeente (children by their home
   gemeente, costs by where the facilities are, as in ``kpis.json``);
3. the children who cannot be placed within the norms, and why (always shown, also when there
   are none);
4. per gemeente the 1-per-40,000 check;
5. per type existing / opened / closed / units / places / occupied, then per gemeente and type
   with the annual and one-off cost;
6. the changes against the current stock per neighbourhood and type;
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

import html
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from woonplanner.outputs.maps import format_count
from woonplanner.plan import Plan, gemeente_kpis

__all__ = [
    "LABELS",
    "Formatter",
    "bar_chart",
    "changes_table",
    "default_assumptions",
    "format_money",
    "format_number",
    "report_html",
    "write_report",
]

FACILITY_TYPES: tuple[str, ...] = ("pleeggezin", "gezinshuis", "woongroep")
REASONS: tuple[str, ...] = ("parents_cannot_cope", "orphaned", "safety_risk")

#: Every text of the report, per language.
LABELS: dict[str, dict[str, str]] = {
    "nl": {
        "html_lang": "nl",
        "title": "Plan kleinschalige woonvoorzieningen jeugd",
        "scenario": "Scenario",
        "gemeenten_in_plan": "Gemeenten in het plan",
        "status": "Status van de berekening",
        "optimal": "optimaal",
        "optimal_gap": "optimaal (gap {gap}, de solver stopt bij {limit})",
        "not_optimal": "niet bewezen optimaal, gap {gap}",
        "not_optimal_no_gap": "niet bewezen optimaal",
        "solver_status": "solverstatus",
        "open_map": "Open de kaart (map.html)",
        "map_hint": (
            "De kaart toont vraag, voorzieningen per vorm, stromen en de norm per gemeente."
        ),
        "headline": "Kerncijfers",
        "demand": "Kinderen die een plek nodig hebben",
        "placed": "Geplaatst binnen de normen",
        "unplaced": "Niet geplaatst",
        "mean_km": "Gemiddelde afstand tot school",
        "p90_km": "90 % van de kinderen woont binnen",
        "annual_cost": "Jaarlijkse kosten",
        "one_off_cost": "Eenmalige kosten (openen en sluiten)",
        "norm_headline": "Norm 1 per 40.000 inwoners",
        "norm_headline_value": "gehaald in {met} van {total} gemeenten",
        "counts_note": (
            "Aantallen kinderen zijn verwachte aantallen (vraag uit percentages), afgerond op "
            "hele kinderen. Aantallen onder {threshold} (per buurt, gemeente of vorm) staan als "
            "“<{threshold}”."
        ),
        "unplaced_title": "Niet geplaatste kinderen",
        "all_placed": "Alle kinderen hebben een plek binnen de normen van het scenario.",
        "some_unplaced": (
            "{count} kinderen kunnen binnen de normen van het scenario geen plek krijgen. "
            "Het plan verbergt hen niet: hieronder staat om welke kinderen het gaat en welke "
            "regel hen tegenhoudt."
        ),
        "unplaced_why": (
            "Een kind blijft alleen zonder plek als binnen de afstandsgrens van zijn reden geen "
            "passende plek te maken is: er ligt geen buurt binnen die afstand, of de buurten "
            "binnen die afstand zitten aan hun limiet ({limits}){budget}."
        ),
        "unplaced_budget": "; of het budget van {budget} (inclusief openen en sluiten) is op",
        "limit_per_households": "{type}: hooguit {n} per 1.000 huishoudens",
        "limit_per_site": "{type}: hooguit {n} per buurt",
        "unplaced_by_reason": "Naar reden en ondersteuningsbehoefte",
        "unplaced_by_neighbourhood": "Naar buurt",
        "reason": "Reden",
        "support_need": "Ondersteuning",
        "rule": "Regel in het scenario",
        "rule_text": "plek {band} van school; passende vormen: {types}",
        "band_max": "binnen {max}",
        "band_min_max": "minstens {min} van huis en binnen {max}",
        "reason_parents_cannot_cope": "Ouders kunnen (tijdelijk) niet zorgen",
        "reason_orphaned": "Wees",
        "reason_safety_risk": "Ernstig veiligheidsrisico thuis",
        "support_none": "geen extra",
        "support_extra": "extra pedagogisch",
        "neighbourhood": "Buurt",
        "gemeente": "Gemeente",
        "children_demand": "Vraag",
        "children_unplaced": "Niet geplaatst",
        "norm_title": "Norm: 1 kleinschalige voorziening per 40.000 inwoners",
        "norm_intro": (
            "Kleinschalig telt: {types}. Vereist = {rounding}(inwoners / {per}) per gemeente en "
            "voor de regio."
        ),
        "inhabitants": "Inwoners",
        "required": "Vereist",
        "present": "In het plan",
        "met": "Gehaald",
        "region_total": "Regio",
        "norm_chart": "Kleinschalige eenheden per gemeente (streep = vereist)",
        "norm_met": "gehaald",
        "norm_not_met": "niet gehaald",
        "types_title": "Voorzieningen per vorm",
        "type": "Vorm",
        "existing_units": "Nu",
        "opened_units": "Geopend",
        "closed_units": "Gesloten",
        "units": "Eenheden in plan",
        "places": "Plaatsen",
        "occupied": "Bezet (kinderen)",
        "occupancy": "Bezetting",
        "units_chart": "Eenheden per vorm: nu en in het plan",
        "series_now": "nu",
        "series_plan": "in het plan",
        "occupancy_chart": "Plaatsen en bezetting per vorm",
        "series_places": "plaatsen",
        "series_occupied": "bezet",
        "type_pleeggezin": "Pleeggezin",
        "type_gezinshuis": "Gezinshuis",
        "type_woongroep": "Woongroep",
        "changes_title": "Veranderingen ten opzichte van de huidige voorraad",
        "changes_summary": "{opened} erbij en {closed} eraf, in {sites}.",
        "n_units": "{n} eenheid|{n} eenheden",
        "n_sites": "{n} buurt|{n} buurten",
        "no_changes": "Het plan verandert niets aan de huidige voorraad.",
        "change": "Verandering",
        "change_reason": "Reden",
        "reason_norm": "norm: nodig om de gemeente (of regio) op 1 per 40.000 te brengen",
        "reason_capacity": "capaciteit: meer kinderen dan plaatsen in de gemeente",
        "reason_distance": "afstand: dichter bij school dan vrije plaatsen elders in de gemeente",
        "reason_demand": "vraag: minder kinderen dan plaatsen",
        "total": "Totaal",
        "assumptions_title": "Aannames",
        "assumptions_intro": (
            "Deze instellingen laat het scenario op de standaardwaarde van woonplanner staan. "
            "Het zijn aannames van het model, geen feiten over uw regio: controleer ze en zet "
            "een andere waarde in het scenariobestand waar nodig. Toelichtingen komen uit het "
            "schema (Engels)."
        ),
        "assumptions_none": "Het scenario zet elke instelling zelf; er zijn geen standaardwaarden.",
        "setting": "Instelling",
        "value": "Waarde",
        "explanation": "Toelichting",
        "assumption_tag": "aanname",
        "not_set": "— (niet gezet)",
        "reproduce_title": "Herhaalbaarheid",
        "reproduce": (
            "Dit rapport bevat geen datum: dezelfde invoer geeft hetzelfde plan en hetzelfde "
            "rapport. Opnieuw maken: woonplanner run scenario.toml (in deze map)."
        ),
        "versions": "Versies",
        "objective": "Doelfunctie",
        "bound": "Ondergrens",
        "inputs": "Invoerbestanden (SHA-256)",
        "contents": "Inhoud",
        "gemeenten_title": "Per gemeente",
        "gemeenten_note": (
            "Vraag, geplaatst, niet geplaatst en afstand: de kinderen die in de gemeente wonen. "
            "Opgevangen: de kinderen in de voorzieningen van de gemeente, waar ze ook vandaan "
            "komen. Kosten: de voorzieningen in de gemeente, per jaar de eenheden en bezette "
            "plaatsen, eenmalig het openen en sluiten."
        ),
        "children_placed": "Geplaatst",
        "placed_here": "Opgevangen in de gemeente",
        "mean_km_short": "Gem. afstand",
        "annual_cost_short": "Kosten per jaar",
        "one_off_cost_short": "Eenmalige kosten",
        "gemeente_types_title": "Per gemeente en vorm",
    },
    "en": {
        "html_lang": "en",
        "title": "Plan for small-scale youth housing",
        "scenario": "Scenario",
        "gemeenten_in_plan": "Gemeenten in the plan",
        "status": "Solver status",
        "optimal": "optimal",
        "optimal_gap": "optimal (gap {gap}, the solver stops at {limit})",
        "not_optimal": "not proven optimal, gap {gap}",
        "not_optimal_no_gap": "not proven optimal",
        "solver_status": "solver status",
        "open_map": "Open the map (map.html)",
        "map_hint": "The map shows demand, facilities by type, flows and each gemeente's norm.",
        "headline": "Headline figures",
        "demand": "Children needing a place",
        "placed": "Placed within the norms",
        "unplaced": "Unplaced",
        "mean_km": "Mean distance to school",
        "p90_km": "90 % of children live within",
        "annual_cost": "Annual cost",
        "one_off_cost": "One-off cost (opening and closing)",
        "norm_headline": "Norm 1 per 40,000 inhabitants",
        "norm_headline_value": "met in {met} of {total} gemeenten",
        "counts_note": (
            "Children's numbers are expected numbers (demand from rates), rounded to whole "
            "children. Counts below {threshold} (per neighbourhood, gemeente or type) are shown "
            "as “<{threshold}”."
        ),
        "unplaced_title": "Unplaced children",
        "all_placed": "Every child has a place within the scenario's norms.",
        "some_unplaced": (
            "{count} children cannot be placed within the scenario's norms. The plan does not "
            "hide them: below is who they are and which rule holds them back."
        ),
        "unplaced_why": (
            "A child is left without a place only when no suitable place can be made within "
            "the distance band of its reason: no neighbourhood lies within that distance, or "
            "the neighbourhoods within it are at their limit ({limits}){budget}."
        ),
        "unplaced_budget": "; or the budget of {budget} (opening and closing included) is spent",
        "limit_per_households": "{type}: at most {n} per 1,000 households",
        "limit_per_site": "{type}: at most {n} per neighbourhood",
        "unplaced_by_reason": "By reason and support need",
        "unplaced_by_neighbourhood": "By neighbourhood",
        "reason": "Reason",
        "support_need": "Support",
        "rule": "Rule in the scenario",
        "rule_text": "a place {band} of school; suitable types: {types}",
        "band_max": "within {max}",
        "band_min_max": "at least {min} from home and within {max}",
        "reason_parents_cannot_cope": "Parents (temporarily) cannot cope",
        "reason_orphaned": "Orphaned",
        "reason_safety_risk": "Serious safety risk at home",
        "support_none": "no extra",
        "support_extra": "extra pedagogical",
        "neighbourhood": "Neighbourhood",
        "gemeente": "Gemeente",
        "children_demand": "Demand",
        "children_unplaced": "Unplaced",
        "norm_title": "Norm: 1 small-scale facility per 40,000 inhabitants",
        "norm_intro": (
            "Small-scale counts: {types}. Required = {rounding}(inhabitants / {per}) per "
            "gemeente and for the region."
        ),
        "inhabitants": "Inhabitants",
        "required": "Required",
        "present": "In the plan",
        "met": "Met",
        "region_total": "Region",
        "norm_chart": "Small-scale units per gemeente (tick = required)",
        "norm_met": "met",
        "norm_not_met": "not met",
        "types_title": "Facilities by type",
        "type": "Type",
        "existing_units": "Now",
        "opened_units": "Opened",
        "closed_units": "Closed",
        "units": "Units in plan",
        "places": "Places",
        "occupied": "Occupied (children)",
        "occupancy": "Occupancy",
        "units_chart": "Units by type: now and in the plan",
        "series_now": "now",
        "series_plan": "in the plan",
        "occupancy_chart": "Places and occupancy by type",
        "series_places": "places",
        "series_occupied": "occupied",
        "type_pleeggezin": "Foster family (pleeggezin)",
        "type_gezinshuis": "Family home (gezinshuis)",
        "type_woongroep": "Group home (woongroep)",
        "changes_title": "Changes against the current stock",
        "changes_summary": "{opened} added and {closed} removed, in {sites}.",
        "n_units": "{n} unit|{n} units",
        "n_sites": "{n} neighbourhood|{n} neighbourhoods",
        "no_changes": "The plan changes nothing in the current stock.",
        "change": "Change",
        "change_reason": "Reason",
        "reason_norm": "norm: needed to bring the gemeente (or region) up to 1 per 40,000",
        "reason_capacity": "capacity: more children than places in the gemeente",
        "reason_distance": "distance: nearer the school than free places elsewhere in the gemeente",
        "reason_demand": "demand: fewer children than places",
        "total": "Total",
        "assumptions_title": "Assumptions",
        "assumptions_intro": (
            "The scenario leaves these settings at woonplanner's default. They are the model's "
            "assumptions, not facts about your region: check them and set another value in the "
            "scenario file where needed."
        ),
        "assumptions_none": "The scenario sets every value itself; no defaults are used.",
        "setting": "Setting",
        "value": "Value",
        "explanation": "Explanation",
        "assumption_tag": "assumption",
        "not_set": "— (not set)",
        "reproduce_title": "Reproducibility",
        "reproduce": (
            "This report carries no date: the same inputs give the same plan and the same "
            "report. To remake it: woonplanner run scenario.toml (in this folder)."
        ),
        "versions": "Versions",
        "objective": "Objective",
        "bound": "Bound",
        "inputs": "Input files (SHA-256)",
        "contents": "Contents",
        "gemeenten_title": "By gemeente",
        "gemeenten_note": (
            "Demand, placed, unplaced and distance: the children living in the gemeente. "
            "Placed in the gemeente: the children in the gemeente's facilities, wherever they "
            "come from. Costs: the facilities in the gemeente, annually its units and occupied "
            "places, one-off the opening and closing."
        ),
        "children_placed": "Placed",
        "placed_here": "Placed in the gemeente",
        "mean_km_short": "Mean distance",
        "annual_cost_short": "Annual cost",
        "one_off_cost_short": "One-off cost",
        "gemeente_types_title": "By gemeente and type",
    },
}

# The map's colours (outputs/maps.py), so that report and map read the same.
TYPE_COLOURS = {"pleeggezin": "#e8710a", "gezinshuis": "#8e3bb5", "woongroep": "#2b2b2b"}
MET_COLOUR = "#1a9641"
NOT_MET_COLOUR = "#d7191c"
NOW_COLOUR = "#b8b8b8"
_LIGHT = {"pleeggezin": "#f7c99e", "gezinshuis": "#d8b9e6", "woongroep": "#b5b5b5"}

#: Scenario keys that label a run rather than assume anything about the region.
_NOT_ASSUMPTIONS = frozenset({"name", "description"})

#: Children below this are solver round-off, not children.
_EPS = 1e-6

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


#: Where ``woonplanner simulate`` links its page (:func:`woonplanner.outputs.simulate.link_report`).
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
    fmt = Formatter(lang=lang, threshold=privacy_threshold)
    labels = fmt.labels
    sections = [
        ("headline", labels["headline"], _headline(plan, fmt)),
        ("unplaced", labels["unplaced_title"], _unplaced(plan, fmt)),
        ("norm", labels["norm_title"], _norm(plan, fmt)),
        ("types", labels["types_title"], _types(plan, fmt)),
        *(
            [("service", _SERVICE[fmt.lang]["title"], _service(plan, fmt))]
            if plan.kpis.get("service_level")
            else []
        ),
        ("changes", labels["changes_title"], _changes(plan, fmt)),
        ("assumptions", labels["assumptions_title"], _assumptions(plan, fmt)),
    ]
    toc = "".join(f'<a href="#{key}">{_esc(title)}</a>' for key, title, _ in sections)
    body = "".join(
        f'<section id="{key}"><h2>{_esc(title)}</h2>{content}</section>'
        for key, title, content in sections
    )
    title = _page_title(plan, labels)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{labels["html_lang"]}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n"
        f"{_header(plan, fmt, title)}"
        f'<nav class="toc">{_esc(labels["contents"])}: {toc}</nav>\n'
        f"{body}\n{_footer(plan, fmt)}\n</main>\n</body>\n</html>\n"
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


def _header(plan: Plan, fmt: Formatter, title: str) -> str:
    labels = fmt.labels
    scenario = plan.scenario
    lines = [f"<header><h1>{_esc(title)}</h1>"]
    if scenario is not None:
        lines.append(
            f'<p class="sub">{_esc(labels["scenario"])} <b>{_esc(scenario.name)}</b>: '
            f"{_esc(scenario.description)}</p>"
        )
    names = [f"{_esc(g.name)}" for g in plan.gemeenten.itertuples()]
    if names:
        lines.append(f'<p class="sub">{_esc(labels["gemeenten_in_plan"])}: {", ".join(names)}</p>')
    warn, text = _status_text(plan, fmt)
    lines.append(
        f'<p><span class="status{" warn" if warn else ""}">{_esc(labels["status"])}: '
        f'{_esc(text)}</span><a class="maplink" href="map.html">{_esc(labels["open_map"])}</a>'
        # `woonplanner simulate` puts its link here once it has written RUN/simulate/.
        f'{SIMULATE_MARKER}</p><p class="note">{_esc(labels["map_hint"])}</p></header>\n'
    )
    return "".join(lines)


_SERVICE = {
    "nl": {
        "title": "Servicegraad en reserveplekken",
        "intro": (
            "Het plan houdt plekken vrij zodat in een jaar met schommelende vraag minstens "
            "{target} van de kinderen een plek binnen hun afstandsgrens vindt "
            "(service.level; controleer met woonplanner simulate). Zonder die reserve:"
        ),
        "with": "met reserve",
        "without": "zonder reserve",
        "difference": "verschil",
        "annual": "jaarlijkse kosten",
        "one_off": "eenmalige kosten",
        "places": "plekken {type}",
        "no_plan": "Zonder reserve is binnen de tijdslimiet geen plan gevonden.",
    },
    "en": {
        "title": "Service level and spare places",
        "intro": (
            "The plan keeps places free so that in a year of fluctuating demand at least "
            "{target} of the children find a place within their distance band (service.level; "
            "check it with woonplanner simulate). Without that buffer:"
        ),
        "with": "with buffer",
        "without": "without buffer",
        "difference": "difference",
        "annual": "annual cost",
        "one_off": "one-off cost",
        "places": "places {type}",
        "no_plan": "Without the buffer no plan was found within the time limit.",
    },
}


def _service(plan: Plan, fmt: Formatter) -> str:
    """The plan with its service-level buffer beside the same plan without (kpis.json)."""
    figures = plan.kpis["service_level"]
    words = _SERVICE[fmt.lang]
    intro = f"<p>{_esc(words['intro'].format(target=fmt.percent(figures['target'])))}</p>"
    without = figures.get("without_buffer")
    if not without:
        return intro + f"<p>{_esc(words['no_plan'])}</p>"
    rows = []
    for key, label in (("annual_cost_eur", "annual"), ("one_off_cost_eur", "one_off")):
        a, b = figures[key], without[key]
        rows.append([_esc(words[label]), *(_num(fmt.money(v)) for v in (a, b, a - b))])
    for kind in sorted(figures["places_by_type"]):
        a = figures["places_by_type"][kind]
        b = without["places_by_type"].get(kind, 0.0)
        name = words["places"].format(type=fmt.type_label(kind, short=True))
        rows.append([_esc(name), *(_num(fmt.number(v, decimals=1)) for v in (a, b, a - b))])
    headers = ["", words["with"], words["without"], words["difference"]]
    return intro + _table(headers, rows, table_id="service-table")


def _headline(plan: Plan, fmt: Formatter) -> str:
    labels = fmt.labels
    region = _region(plan)
    unplaced = float(region["children_unplaced"])
    gemeenten = plan.gemeenten
    met = int(gemeenten["norm_met"].astype(bool).sum())
    cards = [
        ("demand", fmt.count(region["children_demand"]), ""),
        ("placed", fmt.count(region["children_placed"]), ""),
        ("unplaced", fmt.count(unplaced), "bad" if unplaced > _EPS else "good"),
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
    html_cards = []
    for key, value, tone in cards:
        value_html = _esc(value)
        if key == "unplaced" and tone == "bad":
            value_html = f'<a href="#unplaced">{value_html}</a>'
        size = ' style="font-size:17px"' if key == "norm_headline" else ""
        html_cards.append(
            f'<div class="card {tone}" data-kpi="{key}"><div class="label">'
            f'{_esc(labels[key])}</div><div class="value"{size}>{value_html}</div></div>'
        )
    note = labels["counts_note"].format(threshold=fmt.threshold)
    return (
        f'<div class="cards">{"".join(html_cards)}</div><p class="note">{_esc(note)}</p>'
        f"{_gemeenten(plan, fmt)}"
    )


def _gemeenten(plan: Plan, fmt: Formatter) -> str:
    """The headline figures per gemeente, with the region as the last row."""
    labels = fmt.labels

    def row(name: str, g: Mapping[str, Any], placed_here: Any) -> list[Any]:
        unplaced = float(g["children_unplaced"])
        return [
            name,
            _num(fmt.count(g["children_demand"])),
            _num(fmt.count(g["children_placed"])),
            _num(fmt.count(unplaced), css="minus" if unplaced > _EPS else ""),
            _num(fmt.count(placed_here)),
            _num(fmt.km(g.get("mean_km"))),
            _num(fmt.money(g.get("annual_cost_eur"))),
            _num(fmt.money(g.get("one_off_cost_eur"))),
        ]

    gemeenten = sorted(
        gemeente_kpis(plan.neighbourhoods, plan.facilities, plan.gemeenten),
        key=lambda g: str(g["code"]),
    )
    rows = [
        row(
            f'{_esc(g["name"])} <span class="code">{_esc(g["code"])}</span>',
            g,
            g["children_placed_here"],
        )
        for g in gemeenten
    ]
    region = _region(plan)
    rows.append(row(_esc(labels["region_total"]), region, region["children_placed"]))
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
        f"<h3>{_esc(labels['gemeenten_title'])}</h3>{table}"
        f'<p class="note">{_esc(labels["gemeenten_note"])}</p>'
    )


def _unplaced(plan: Plan, fmt: Formatter) -> str:
    labels = fmt.labels
    total = float(_region(plan)["children_unplaced"])
    if total <= _EPS:
        return f'<p class="callout">{_esc(labels["all_placed"])}</p>'
    parts = [
        f'<p class="callout bad">{_esc(labels["some_unplaced"].format(count=fmt.count(total)))}</p>'
    ]
    scenario = plan.scenario
    if scenario is not None:
        parts.append(f"<p>{_esc(_why_text(scenario, fmt))}</p>")
    by_reason = _unplaced_by_reason(plan)
    if by_reason is not None:
        rows = []
        for row in by_reason.itertuples(index=False):
            cells = [
                _esc(labels.get(f"reason_{row.reason}", row.reason)),
                _esc(labels.get(f"support_{row.support_need}", row.support_need)),
                _num(fmt.count(row.children)),
            ]
            if scenario is not None:
                cells.append(_esc(_reason_rule(scenario, row.reason, fmt)))
            rows.append(cells)
        headers: list[str | tuple[str, str]] = [
            labels["reason"],
            labels["support_need"],
            (labels["unplaced"], "num"),
        ]
        if scenario is not None:
            headers.append(labels["rule"])
        parts.append(f"<h3>{_esc(labels['unplaced_by_reason'])}</h3>")
        parts.append(_table(headers, rows))
    nb = plan.neighbourhoods
    nb = nb[nb["children_unplaced"] > _EPS].sort_values(
        ["children_unplaced", "code"], ascending=[False, True]
    )
    rows = [
        [
            f'{_esc(r["name"])} <span class="code">{_esc(r["code"])}</span>',
            _esc(r.get("gemeente_name", r["gemeente"])),
            _num(fmt.count(r["children_demand"])),
            _num(fmt.count(r["children_unplaced"]), css="minus"),
        ]
        for _, r in nb.iterrows()
    ]
    parts.append(f"<h3>{_esc(labels['unplaced_by_neighbourhood'])}</h3>")
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
        parts.append(
            "<p>"
            + _esc(
                labels["norm_intro"].format(
                    types=", ".join(fmt.type_label(t) for t in norm.types),
                    rounding=norm.rounding,
                    per=fmt.number(norm.inhabitants_per_unit),
                )
            )
            + "</p>"
        )
    rows = [
        [
            f'{_esc(g["name"])} <span class="code">{_esc(g["code"])}</span>',
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
                _esc(labels["region_total"]),
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
        _ChartRow(
            label=str(g["name"]),
            bars=[
                (
                    float(g["small_scale_units"]),
                    MET_COLOUR if bool(g["norm_met"]) else NOT_MET_COLOUR,
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
    legend = [(labels["norm_met"], MET_COLOUR), (labels["norm_not_met"], NOT_MET_COLOUR)]
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
                f'<span class="swatch" style="background:{_colour(kind)}"></span>'
                + _esc(fmt.type_label(kind)),
                _num(fmt.number(r["existing_units"])),
                _html_num(_signed(r["opened_units"], fmt, plus_only=True)),
                _html_num(_signed(-r["closed_units"], fmt)),
                _num(fmt.number(r["units"])),
                _num(fmt.number(r["places"])),
                _num(fmt.count(r["occupied"])),
                _num(fmt.percent(occupancy, decimals=0)),
            ]
        )
    totals = table.sum()
    rows.append(
        [
            _esc(labels["total"]),
            _num(fmt.number(totals["existing_units"])),
            _html_num(_signed(totals["opened_units"], fmt, plus_only=True)),
            _html_num(_signed(-totals["closed_units"], fmt)),
            _num(fmt.number(totals["units"])),
            _num(fmt.number(totals["places"])),
            _num(fmt.count(totals["occupied"])),
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
        _ChartRow(
            label=fmt.type_label(kind, short=True),
            bars=[
                (float(r["existing_units"]), NOW_COLOUR, fmt.number(r["existing_units"])),
                (float(r["units"]), _colour(kind), fmt.number(r["units"])),
            ],
        )
        for kind, r in table.iterrows()
    ]
    occupancy_rows = [
        _ChartRow(
            label=fmt.type_label(kind, short=True),
            bars=[
                (float(r["places"]), _LIGHT.get(kind, NOW_COLOUR), fmt.number(r["places"])),
                (
                    float(r["occupied"]),
                    _colour(kind),
                    fmt.count(r["occupied"])
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
    parts.append('<div class="charts">')
    parts.append(
        _figure(
            labels["units_chart"],
            bar_chart(
                units_rows,
                legend=[(labels["series_now"], NOW_COLOUR), (labels["series_plan"], "#555555")],
            ),
        )
    )
    parts.append(
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
    )
    parts.append("</div>")
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
            _num(fmt.count(r["occupied"])),
            _num(fmt.money(r.get("annual_cost_eur"))),
            _num(fmt.money(r.get("one_off_cost_eur"))),
        ]

    rows = []
    previous = None
    for _, r in table.iterrows():
        # The gemeente heads its first row only, so its types read as one block.
        first = r["gemeente"] != previous
        previous = r["gemeente"]
        gemeente = (
            f"{_esc(names.get(r['gemeente'], r['gemeente']))} "
            f'<span class="code">{_esc(r["gemeente"])}</span>'
            if first
            else ""
        )
        kind = f'<span class="swatch" style="background:{_colour(r["type"])}"></span>' + _esc(
            fmt.type_label(r["type"], short=True)
        )
        rows.append([gemeente, kind, *cells(r)])
    totals = table.drop(columns=["gemeente", "type"]).sum()
    rows.append([_esc(labels["region_total"]), "", *cells(totals)])
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
    return f"<h3>{_esc(labels['gemeente_types_title'])}</h3>" + _table(
        headers, rows, total_last=True, table_id="gemeente-types-table"
    )


def _changes(plan: Plan, fmt: Formatter) -> str:
    labels = fmt.labels
    changes = changes_table(plan)
    if changes.empty:
        return f'<p class="callout">{_esc(labels["no_changes"])}</p>'
    summary = labels["changes_summary"].format(
        opened=_plural(fmt, "n_units", changes["opened_units"].sum()),
        closed=_plural(fmt, "n_units", changes["closed_units"].sum()),
        sites=_plural(fmt, "n_sites", changes["neighbourhood"].nunique()),
    )
    rows = [
        [
            f'{_esc(r["neighbourhood_name"])} <span class="code">{_esc(r["neighbourhood"])}</span>',
            _esc(r["gemeente_name"]),
            _esc(fmt.type_label(r["type"], short=True)),
            _num(fmt.number(r["existing_units"])),
            _html_num(_signed(r["opened_units"], fmt, plus_only=True)),
            _html_num(_signed(-r["closed_units"], fmt)),
            _num(fmt.number(r["units"])),
            _html_num(_signed(r["change"], fmt)),
            _esc(labels.get(f"reason_{r['change_reason']}", "")),
        ]
        for _, r in changes.iterrows()
    ]
    rows.append(
        [
            _esc(labels["total"]),
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
    return f"<p>{_esc(summary)}</p>{table}"


def changes_table(plan: Plan) -> pd.DataFrame:
    """Facilities rows with units opened or closed, with names and the net change.

    Returns
    -------
    DataFrame
        ``neighbourhood, neighbourhood_name, gemeente, gemeente_name, type, existing_units,
        opened_units, closed_units, units, change``, sorted by gemeente, neighbourhood and type.
    """
    fac = plan.facilities
    fac = fac[(fac["opened_units"] > 0) | (fac["closed_units"] > 0)].copy()
    nb = plan.neighbourhoods.set_index("code")
    names = nb["name"]
    gemeente_names = plan.gemeenten.set_index("code")["name"]
    fac["neighbourhood_name"] = fac["neighbourhood"].map(names).fillna(fac["neighbourhood"])
    fac["gemeente_name"] = fac["gemeente"].map(gemeente_names).fillna(fac["gemeente"])
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
        return f"<p>{_esc(labels['assumptions_none'])}</p>"
    rows = []
    section = None
    for item in found:
        if item.section != section:
            section = item.section
            rows.append(
                f'<tr class="section"><td colspan="2" class="key">{_esc(section)}</td>'
                f"<td>{_doc(item.section_description)}</td></tr>"
            )
        tag = (
            f'<span class="tag">{_esc(labels["assumption_tag"])}</span>'
            if item.is_assumption
            else ""
        )
        rows.append(
            f'<tr data-key="{_esc(item.key)}"><td class="key">{_esc(item.key)}</td>'
            f'<td class="val">{_esc(_value_text(item.value, labels))}</td>'
            f"<td>{_doc(item.description)}{tag}</td></tr>"
        )
    head = (
        f"<tr><th>{_esc(labels['setting'])}</th><th>{_esc(labels['value'])}</th>"
        f"<th>{_esc(labels['explanation'])}</th></tr>"
    )
    return (
        f"<p>{_esc(labels['assumptions_intro'])}</p>"
        f'<table id="assumptions-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _footer(plan: Plan, fmt: Formatter) -> str:
    labels = fmt.labels
    manifest = plan.manifest or {}
    parts = [f"<footer><h3>{_esc(labels['reproduce_title'])}</h3>"]
    parts.append(f"<p>{_esc(labels['reproduce'])}</p>")
    versions = manifest.get("versions", {})
    if versions:
        text = ", ".join(f"{k} {v}" for k, v in versions.items())
        parts.append(f"<p>{_esc(labels['versions'])}: {_esc(text)}</p>")
    kpis = plan.kpis
    solver = [
        f"{labels['solver_status']} {kpis.get('status', 'unknown')}",
        f"{labels['objective']} {fmt.number(kpis.get('objective'), decimals=2)}",
        f"{labels['bound']} {fmt.number(kpis.get('bound'), decimals=2)}",
    ]
    parts.append(f"<p>{_esc(' · '.join(solver))}</p>")
    inputs = manifest.get("inputs", {})
    if inputs:
        rows = "".join(
            f'<tr><td>{_esc(Path(p).name)}</td><td class="key">{_esc(h)}</td></tr>'
            for p, h in inputs.items()
        )
        parts.append(f"<p>{_esc(labels['inputs'])}:</p><table>{rows}</table>")
    parts.append("</footer>")
    return "".join(parts)


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
    need_order = {"none": 0, "extra": 1}
    table = table.assign(
        _reason=table["reason"].map(reason_order).fillna(len(reason_order)),
        _need=table["support_need"].map(need_order).fillna(len(need_order)),
    ).sort_values(["_reason", "reason", "_need", "support_need"])
    table = table[table["children"] > _EPS]
    return table[["reason", "support_need", "children"]].reset_index(drop=True)


def _why_text(scenario: Any, fmt: Formatter) -> str:
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
    return labels["unplaced_why"].format(limits="; ".join(limits) or "–", budget=budget)


def _reason_rule(scenario: Any, reason: str, fmt: Formatter) -> str:
    labels = fmt.labels
    rule = getattr(scenario.reasons, reason)
    if rule.min_km > 0:
        band = labels["band_min_max"].format(min=fmt.km(rule.min_km), max=fmt.km(rule.max_km))
    else:
        band = labels["band_max"].format(max=fmt.km(rule.max_km))
    types = ", ".join(fmt.type_label(t, short=True) for t in rule.types)
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
    return True, f"{text} ({labels['solver_status']}: {status})"


def _page_title(plan: Plan, labels: Mapping[str, str]) -> str:
    region = (plan.manifest or {}).get("region")
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


# --- formatting -----------------------------------------------------------------------------


def format_number(value: Any, lang: str = "nl", *, decimals: int = 0) -> str:
    """A number with the language's separators: ``1.234,5`` (nl) or ``1,234.5`` (en).

    Examples
    --------
    >>> format_number(1234.5, "nl", decimals=1), format_number(1234.5, "en", decimals=1)
    ('1.234,5', '1,234.5')
    >>> format_number(-0.004, "nl", decimals=2)
    '0,00'
    """
    if value is None:
        return "–"
    value = float(value)
    if math.isnan(value):
        return "–"
    if round(value, decimals) == 0:
        value = 0.0  # no "-0"
    text = f"{value:,.{decimals}f}"
    if lang == "nl":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def format_money(value: Any, lang: str = "nl") -> str:
    """Euros, whole: ``€ 1.234.567`` (nl) or ``€1,234,567`` (en)."""
    if value is None:
        return "–"
    number = format_number(value, lang)
    return f"€ {number}" if lang == "nl" else f"€{number}"


@dataclass(frozen=True)
class Formatter:
    """Numbers, money, km, children counts and type names in one language.

    Parameters
    ----------
    lang
        ``"nl"`` or ``"en"``.
    threshold
        Children counts below this read ``"<threshold"``.
    """

    lang: str
    threshold: int

    def __post_init__(self) -> None:
        if self.lang not in LABELS:
            msg = f"lang: must be one of {sorted(LABELS)}, got {self.lang!r}"
            raise ValueError(msg)

    @property
    def labels(self) -> dict[str, str]:
        return LABELS[self.lang]

    def number(self, value: Any, *, decimals: int = 0) -> str:
        return format_number(value, self.lang, decimals=decimals)

    def count(self, value: Any) -> str:
        """Children: "<5" below the threshold, else a whole number with separators."""
        text = format_count(None if value is None else float(value), self.threshold)
        return self.number(int(text)) if text.isdigit() else text

    def km(self, value: Any) -> str:
        return "–" if value is None else f"{self.number(value, decimals=1)} km"

    def money(self, value: Any) -> str:
        return format_money(value, self.lang)

    def percent(self, fraction: float | None, *, decimals: int = 1) -> str:
        return "–" if fraction is None else f"{self.number(100 * fraction, decimals=decimals)} %"

    def type_label(self, kind: str, *, short: bool = False) -> str:
        label = self.labels.get(f"type_{kind}", str(kind))
        # The English labels carry the Dutch name in brackets; charts need the short form.
        return label.split(" (")[0] if short and self.lang == "en" else label


def _signed(value: float, fmt: Formatter, *, plus_only: bool = False) -> str:
    """``+3`` in green, ``−2`` in red, ``0`` plain (already HTML)."""
    value = round(float(value))
    if value > 0:
        return f'<span class="plus">+{fmt.number(value)}</span>'
    if value < 0 and not plus_only:
        return f'<span class="minus">−{fmt.number(-value)}</span>'
    return "0"


def _met(met: bool, labels: Mapping[str, str]) -> str:
    if met:
        return f'<span class="ok" title="{_esc(labels["norm_met"])}">✓</span>'
    return f'<span class="notok" title="{_esc(labels["norm_not_met"])}">✗</span>'


def _plural(fmt: Formatter, label: str, n: float) -> str:
    """``1 eenheid`` / ``3 eenheden``: the label's singular or plural form (``one|many``)."""
    one, many = LABELS[fmt.lang][label].split("|")
    return (one if n == 1 else many).format(n=fmt.number(n))


def _num(text: str, *, css: str = "") -> tuple[str, str]:
    """A numeric table cell (right-aligned) from plain text, escaped here: counts read "<5"."""
    return _html_num(_esc(text), css=css)


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
    """An HTML table. Header labels are escaped here; cells are HTML already.

    A cell is a string or ``(html, css class)``.
    """

    def cell(tag: str, item: str | tuple[str, str], *, escape: bool) -> str:
        text, css = item if isinstance(item, tuple) else (item, "")
        text = _esc(text) if escape else text
        return f'<{tag} class="{css}">{text}</{tag}>' if css else f"<{tag}>{text}</{tag}>"

    head = "".join(cell("th", h, escape=True) for h in headers)
    rows = list(rows)
    body = []
    for i, row in enumerate(rows):
        css = ' class="total"' if total_last and i == len(rows) - 1 else ""
        body.append(f"<tr{css}>{''.join(cell('td', c, escape=False) for c in row)}</tr>")
    ident = f' id="{table_id}"' if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _doc(text: str) -> str:
    """A schema docstring as HTML: escaped, with its ``literal`` markup as code."""
    pieces = _esc(text).split("``")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(pieces))


def _figure(caption: str, svg: str) -> str:
    return f"<figure><figcaption>{_esc(caption)}</figcaption>{svg}</figure>"


def _colour(kind: str) -> str:
    return TYPE_COLOURS.get(kind, "#8a8a8a")


def _esc(value: Any) -> str:
    """HTML-escape anything that came from input data or the scenario."""
    return html.escape(str(value), quote=True)


# --- charts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ChartRow:
    """One category of a horizontal bar chart: bars ``(value, colour, text)`` and a tick."""

    label: str
    bars: list[tuple[float, str, str]]
    tick: tuple[float, str] | None = None


def bar_chart(
    rows: Sequence[_ChartRow],
    *,
    legend: Sequence[tuple[str, str]] = (),
    width: int = 460,
) -> str:
    """A horizontal grouped bar chart as inline SVG (no script, no network).

    Parameters
    ----------
    rows
        Categories top to bottom, each with one or more bars and an optional tick (a target
        value drawn as a vertical stroke, e.g. the units the norm requires).
    legend
        ``(label, colour)`` pairs drawn under the bars.
    width
        Width of the drawing in SVG units; the SVG scales to its container.

    Returns
    -------
    str
        An ``<svg>`` element; every text in it is escaped.
    """
    label_w, value_w, bar_h, gap, group_gap, top = 118, 92, 14, 3, 12, 6
    plot_w = width - label_w - value_w
    values = [v for r in rows for v, _, _ in r.bars] + [r.tick[0] for r in rows if r.tick]
    top_value = max([*values, 1e-9])
    scale = plot_w / top_value
    parts = []
    y = top
    for row in rows:
        n = len(row.bars)
        group_h = n * bar_h + (n - 1) * gap
        parts.append(
            f'<text x="{label_w - 8}" y="{y + group_h / 2:.1f}" dy="0.35em" text-anchor="end" '
            f'font-size="12">{_esc(_clip(row.label, 18))}<title>{_esc(row.label)}</title></text>'
        )
        for i, (value, colour, text) in enumerate(row.bars):
            by = y + i * (bar_h + gap)
            w = max(value * scale, 0.0)
            parts.append(
                f'<rect x="{label_w}" y="{by:.1f}" width="{w:.1f}" height="{bar_h}" rx="2" '
                f'fill="{colour}"><title>{_esc(row.label)}: {_esc(text)}</title></rect>'
            )
            parts.append(
                f'<text x="{label_w + w + 5:.1f}" y="{by + bar_h / 2:.1f}" dy="0.35em" '
                f'font-size="11" fill="#333">{_esc(text)}</text>'
            )
        if row.tick is not None:
            tx = label_w + row.tick[0] * scale
            parts.append(
                f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{y - 3:.1f}" y2="{y + group_h + 3:.1f}" '
                f'stroke="#111" stroke-width="2.5"><title>{_esc(row.tick[1])}</title></line>'
            )
        y += group_h + group_gap
    # The zero line, so that empty bars still read as zero.
    parts.append(
        f'<line x1="{label_w}" x2="{label_w}" y1="{top - 3}" y2="{y - group_gap + 3:.1f}" '
        'stroke="#999" stroke-width="1"/>'
    )
    if legend:
        lx = label_w
        ly = y + 4
        for text, colour in legend:
            parts.append(
                f'<rect x="{lx}" y="{ly}" width="11" height="11" rx="2" fill="{colour}"/>'
                f'<text x="{lx + 15}" y="{ly + 5.5}" dy="0.35em" font-size="11">{_esc(text)}</text>'
            )
            lx += 26 + 7 * len(text)
        y = ly + 16
    height = y + 4
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        # Never drawn larger than 1.25 × its own size: one gemeente must not fill the page.
        f'style="max-width:{1.25 * width:.0f}px" role="img" font-family="system-ui, sans-serif">'
        f"{''.join(parts)}</svg>"
    )


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
