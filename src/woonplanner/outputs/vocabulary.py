"""The one vocabulary of every page: types, reasons, colours, nl/en texts and number formats.

Map, report, compare, sweep and national pages all name things from here, so a type, a colour
or a word reads the same everywhere:

- the domain codes (:data:`FACILITY_TYPES`, :data:`REASONS`, :data:`SUPPORT_NEEDS`,
  :data:`AGE_BANDS`, :data:`CHANGE_REASONS`), taken from :mod:`woonplanner.schema` and
  :mod:`woonplanner.plan`, never written again;
- one colour and one marker shape per type, and the colours of new / closing units, the norm
  and unplaced children (:data:`TYPE_COLOURS` and the ``*_COLOUR`` constants);
- the texts per language: :data:`TERMS` are the words every page shares, and each page adds its
  own (:func:`labels` merges them);
- number formatting in the language's style (:func:`format_number`, :func:`format_money`,
  :func:`format_count`, :class:`Formatter`) and HTML escaping (:func:`esc`).

Run outcomes (``optimal``, ``time_limit``, ``infeasible``, …) are
:class:`woonplanner.outcome.Outcome`; their texts are in :data:`TERMS` as ``outcome_<value>``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from woonplanner.outcome import Outcome
from woonplanner.plan import CHANGE_REASONS
from woonplanner.privacy import COUNT_COLUMNS, balance_totals, page_privacy, whole
from woonplanner.schema import AGE_BANDS, FACILITY_TYPES, REASONS, SUPPORT_NEEDS

__all__ = [
    "AGE_BANDS",
    "AREA_WORDS",
    "CHANGE_REASONS",
    "FACILITY_TYPES",
    "LANGS",
    "REASONS",
    "SCENARIO_NOTES_NL",
    "SUPPORT_NEEDS",
    "TERMS",
    "TYPE_COLOURS",
    "Formatter",
    "area_level",
    "check_lang",
    "esc",
    "format_count",
    "format_km",
    "format_money",
    "format_number",
    "format_whole",
    "labels",
    "outcome_label",
    "scenario_note",
    "type_colour",
    "type_label",
]

#: The languages every page is written in.
LANGS: tuple[str, ...] = ("nl", "en")

# --- colours and shapes ---------------------------------------------------------------------

#: One colour and one shape per type, so the types stay apart in greyscale print too.
TYPE_COLOURS = {"pleeggezin": "#e8710a", "gezinshuis": "#8e3bb5", "woongroep": "#2b2b2b"}
#: The same, light: the stock before the plan in the report's charts.
TYPE_LIGHT_COLOURS = {"pleeggezin": "#f7c99e", "gezinshuis": "#d8b9e6", "woongroep": "#b5b5b5"}
TYPE_SHAPES = {"pleeggezin": "circle", "gezinshuis": "house", "woongroep": "square"}
#: A type the vocabulary does not know (an OR-Library run, a user's own type).
OTHER_COLOUR = "#8a8a8a"
NEW_COLOUR = "#1a9641"
CLOSING_COLOUR = "#d7191c"
NORM_MET_COLOUR = "#1a9641"
NORM_NOT_MET_COLOUR = "#d7191c"
UNPLACED_COLOUR = "#c0392b"
#: Gains and losses in tables and badges.
PLUS_COLOUR = "#1a7f37"
MINUS_COLOUR = "#c62828"
#: Today's stock next to the plan in the report's charts.
NOW_COLOUR = "#b8b8b8"


def type_colour(kind: str | None) -> str:
    """The colour of a facility type; :data:`OTHER_COLOUR` for one the vocabulary lacks."""
    return TYPE_COLOURS.get(kind, OTHER_COLOUR) if kind else OTHER_COLOUR


# --- texts ----------------------------------------------------------------------------------

#: Words every page shares, per language: types, layers, figures, run outcomes.
TERMS: dict[str, dict[str, str]] = {
    "nl": {
        "html_lang": "nl",
        "type_pleeggezin": "Pleeggezin",
        "type_gezinshuis": "Gezinshuis",
        "type_woongroep": "Woongroep",
        "layer_pleeggezin": "Pleeggezinnen",
        "layer_gezinshuis": "Gezinshuizen",
        "layer_woongroep": "Woongroepen",
        "layer_tiles": "Achtergrondkaart",
        "layer_gemeenten": "Gemeenten (norm)",
        "layer_unplaced": "Niet geplaatst",
        "legend_gemeenten": "Gemeenten",
        "neighbourhood": "{Area}",
        "gemeente": "Gemeente",
        "inhabitants": "Inwoners",
        "children": "kinderen",
        "opened_units": "Geopend",
        "closed_units": "Gesloten",
        "places": "Plaatsen",
        "occupied": "Bezet (kinderen)",
        "optimal": "optimaal",
        "solver_status": "solverstatus",
        "setting": "Instelling",
        "outcome_optimal": "optimaal",
        "outcome_time_limit": "tijdslimiet",
        "outcome_infeasible": "geen plan mogelijk",
        "outcome_no_plan_in_time": "geen plan binnen de tijd",
        "outcome_invalid_input": "ongeldige invoer",
        "outcome_interrupted": "onderbroken",
        "outcome_error": "fout",
    },
    "en": {
        "html_lang": "en",
        "type_pleeggezin": "Foster family (pleeggezin)",
        "type_gezinshuis": "Family home (gezinshuis)",
        "type_woongroep": "Group home (woongroep)",
        "layer_pleeggezin": "Foster families",
        "layer_gezinshuis": "Family homes",
        "layer_woongroep": "Group homes",
        "layer_tiles": "Background map",
        "layer_gemeenten": "Gemeenten (norm)",
        "layer_unplaced": "Unplaced children",
        "legend_gemeenten": "Gemeenten",
        "neighbourhood": "{Area}",
        "gemeente": "Gemeente",
        "inhabitants": "Inhabitants",
        "children": "children",
        "opened_units": "Opened",
        "closed_units": "Closed",
        "places": "Places",
        "occupied": "Occupied (children)",
        "optimal": "optimal",
        "solver_status": "solver status",
        "setting": "Setting",
        "outcome_optimal": "optimal",
        "outcome_time_limit": "time limit",
        "outcome_infeasible": "no plan possible",
        "outcome_no_plan_in_time": "no plan in time",
        "outcome_invalid_input": "invalid input",
        "outcome_interrupted": "interrupted",
        "outcome_error": "error",
    },
}

#: The texts only map.html has (with :data:`TERMS`: :func:`labels`).
_MAP: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Plan kleinschalige woonvoorzieningen jeugd",
        "layer_demand": "Vraag",
        "layer_flows": "Stromen",
        "status_existing": "Bestaand",
        "status_new": "Nieuw",
        "status_closing": "Sluit",
        "status_moving": "Sluit, kinderen verhuizen",
        "children_replaced": "Kinderen die verhuizen",
        "norm_met": "Norm gehaald",
        "norm_not_met": "Norm niet gehaald",
        "legend": "Legenda",
        "legend_demand": "Vraag: kinderen per {area}",
        "legend_types": "Voorzieningen (getal = eenheden)",
        "legend_status": "Status",
        "legend_flows": "Stromen",
        "legend_flows_text": "{area} → voorziening, dikte = kinderen",
        "legend_unplaced_text": "{area} met niet geplaatste kinderen",
        "legend_demand_hidden": "verborgen (≥{threshold}, beschermt een kleiner aantal)",
        "no_leaflet": (
            "De kaart kan niet worden getekend: de kaartbibliotheek Leaflet is niet geladen. "
            "Deze pagina haalt Leaflet van internet omdat er bij het maken geen lokale kopie "
            "was. Open de pagina met internetverbinding, of maak hem opnieuw op een computer "
            "met Leaflet (Debian/Ubuntu: apt install libjs-leaflet, of zet {env} op een map "
            "met leaflet.js en leaflet.css)."
        ),
        "no_script": "De kaart heeft JavaScript nodig: zet JavaScript aan om hem te zien.",
        "legend_note": (
            "Voorzieningen staan op een punt in de {area}, nooit op een adres. Aantallen kinderen "
            "onder {threshold} staan als “<{threshold}”; de bezetting van een voorziening staat, "
            "net als haar plaatsen, als heel getal."
        ),
        "not_optimal": "niet bewezen optimaal",
        "gap": "gap",
        "gap_to_coarse": "tegen de ondergrens van een grovere berekening per wijk",
        "demand": "Vraag (kinderen)",
        "placed": "Geplaatst",
        "unplaced": "Niet geplaatst",
        "mean_km": "Gem. afstand",
        "existing_units": "Bestaande eenheden",
        "units": "Eenheden",
        "small_scale_units": "Kleinschalige eenheden",
        "required_small_scale_units": "Vereist volgens norm",
        "summary": "Vraag {demand} · geplaatst {placed} · niet geplaatst {unplaced} kinderen",
    },
    "en": {
        "title": "Plan for small-scale youth housing",
        "layer_demand": "Demand",
        "layer_flows": "Flows",
        "status_existing": "Existing",
        "status_new": "New",
        "status_closing": "Closing",
        "status_moving": "Closing, children move",
        "children_replaced": "Children who move",
        "norm_met": "Norm met",
        "norm_not_met": "Norm not met",
        "legend": "Legend",
        "legend_demand": "Demand: children per {area}",
        "legend_types": "Facilities (number = units)",
        "legend_status": "Status",
        "legend_flows": "Flows",
        "legend_flows_text": "{area} → facility, width = children",
        "legend_unplaced_text": "{area} with unplaced children",
        "legend_demand_hidden": "hidden (≥{threshold}, protects a smaller count)",
        "no_leaflet": (
            "The map cannot be drawn: the map library Leaflet did not load. This page loads "
            "Leaflet from the internet because no local copy was found when it was made. Open it "
            "with a network connection, or make it again on a computer with Leaflet "
            "(Debian/Ubuntu: apt install libjs-leaflet, or set {env} to a folder with leaflet.js "
            "and leaflet.css)."
        ),
        "no_script": "The map needs JavaScript: turn JavaScript on to see it.",
        "legend_note": (
            "Facilities are drawn at a point in the {area}, never at an address. Counts of"
            " children below {threshold} are shown as “<{threshold}”; a facility's occupancy is"
            " shown whole, like its places."
        ),
        "not_optimal": "not proven optimal",
        "gap": "gap",
        "gap_to_coarse": "against the bound of a coarser per-wijk instance",
        "demand": "Demand (children)",
        "placed": "Placed",
        "unplaced": "Unplaced",
        "mean_km": "Mean distance",
        "existing_units": "Existing units",
        "units": "Units",
        "small_scale_units": "Small-scale units",
        "required_small_scale_units": "Required by the norm",
        "summary": "Demand {demand} · placed {placed} · unplaced {unplaced} children",
    },
}

#: The texts only report.html has (with :data:`TERMS`: :func:`labels`).
_REPORT: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Plan kleinschalige woonvoorzieningen jeugd",
        "scenario": "Scenario",
        "gemeenten_in_plan": "Gemeenten in het plan",
        "status": "Status van de berekening",
        "optimal_gap": "optimaal (gap {gap}, de solver stopt bij {limit})",
        "not_optimal": "niet bewezen optimaal, gap {gap}",
        "not_optimal_no_gap": "niet bewezen optimaal",
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
            "hele kinderen. Aantallen onder {threshold} (per {area}, gemeente of vorm) staan als "
            "“<{threshold}”; de bezetting (per voorziening en per vorm) staat, net als de "
            "plaatsen, als heel getal. Elk getal is apart afgerond: delen kunnen een kind "
            "afwijken van hun totaal."
        ),
        "unplaced_title": "Niet geplaatste kinderen",
        "all_placed": "Alle kinderen hebben een plek binnen de normen van het scenario.",
        "some_unplaced": (
            "{count} kinderen kunnen binnen de normen van het scenario geen plek krijgen. Het "
            "plan verbergt hen niet: hieronder staat om welke kinderen het gaat en welke regel "
            "hen tegenhoudt."
        ),
        "bound_from_coarse": (
            "De gap is gemeten tegen de ondergrens van een grovere berekening (per wijk en vorm, "
            "een versoepeling van het buurtplan): het beste buurtplan ligt ergens daartussen. De "
            "LP-relaxatie van de buurten, die de ondergrens dichter bij het plan brengt, was niet "
            "klaar binnen de tijdslimiet"
        ),
        "some_unplaced_unproven": (
            "{count} kinderen hebben in dit plan geen plek. Het plan is niet bewezen optimaal "
            "(de berekening stopte voor het bewijs, meestal bij haar tijdslimiet): een beter plan "
            "kan een deel van hen wel plaatsen. Wat hieronder staat, is wat een kind kan "
            "tegenhouden, geen bewijs dat deze kinderen geen plek kunnen krijgen. Geef de "
            "berekening meer tijd (solver.time_limit_s) om het te weten."
        ),
        "why_lead": "Een kind blijft",
        "why_lead_unproven": "In een bewezen optimaal plan blijft een kind",
        "unplaced_why": (
            "{lead} alleen zonder plek als binnen de afstandsgrens van zijn reden geen "
            "passende plek te maken is: er ligt geen {area} binnen die afstand, of de {areas} "
            "binnen die afstand zitten aan hun limiet ({limits}){budget}."
        ),
        "unplaced_budget": "; of het budget van {budget} (inclusief openen en sluiten) is op",
        "limit_per_households": "{type}: hooguit {n} per 1.000 huishoudens",
        "limit_per_site": "{type}: hooguit {n} per {area}",
        "unplaced_by_reason": "Naar reden en ondersteuningsbehoefte",
        "unplaced_by_neighbourhood": "Naar {area}",
        "unplaced_spread": (
            "Geen {area} heeft, afgerond, een kind zonder plek: het verwachte aantal is verspreid "
            "over {areas} met elk minder dan een half kind."
        ),
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
        "support_intensive": "intensief (geen gezinssetting)",
        "children_demand": "Vraag",
        "children_unplaced": "Niet geplaatst",
        "norm_title": "Norm: 1 kleinschalige voorziening per 40.000 inwoners",
        "norm_intro": (
            "Kleinschalig telt: {types}. Vereist = {rounding}(inwoners / {per}) per gemeente en "
            "voor de regio."
        ),
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
        "units": "Eenheden in plan",
        "occupancy": "Bezetting",
        "units_chart": "Eenheden per vorm: nu en in het plan",
        "series_now": "nu",
        "series_plan": "in het plan",
        "occupancy_chart": "Plaatsen en bezetting per vorm",
        "series_places": "plaatsen",
        "series_occupied": "bezet",
        "changes_title": "Veranderingen ten opzichte van de huidige voorraad",
        "changes_summary": "{opened} erbij en {closed} eraf, in {sites}.",
        "n_units": "{n} eenheid|{n} eenheden",
        "n_sites": "{n} {area}|{n} {areas}",
        "no_changes": "Het plan verandert niets aan de huidige voorraad.",
        "service_title": "Servicegraad en reserveplekken",
        "service_intro": (
            "Het plan houdt plekken vrij zodat in een jaar met schommelende vraag minstens "
            "{target} van de kinderen een plek binnen hun afstandsgrens vindt "
            "(service.level; controleer met woonplanner simulate). Zonder die reserve:"
        ),
        "service_with": "met reserve",
        "service_without": "zonder reserve",
        "service_difference": "verschil",
        "service_annual": "jaarlijkse kosten",
        "service_one_off": "eenmalige kosten",
        "service_places": "plekken {type}",
        "service_no_plan": "Zonder reserve is binnen de tijdslimiet geen plan gevonden.",
        "replacements_title": "Herplaatsingen",
        "replacements_none": "Geen kind dat nu geplaatst is hoeft te verhuizen.",
        "replacements_no_input": (
            "Er zijn geen huidige plaatsingen opgegeven (placements.file of placements.from_run):"
            " het plan weet niet welke kinderen nu waar wonen."
        ),
        "replacements_summary": (
            "{children} kinderen die nu geplaatst zijn moeten verhuizen (herplaatsing), uit "
            "{sites}: het plan neemt daar de plaatsen weg die zij nodig hebben."
        ),
        "suitability_title": "Welke woonvorm past bij welk kind",
        "suitability_intro": (
            "Per ondersteuningsbehoefte en leeftijd (jaren) de woonvormen die passen "
            "(facility_types.<type>.support_needs en age_bands). Het aandeel kinderen dat "
            "intensieve ondersteuning nodig heeft die een gezin niet kan geven "
            "(demand.no_family_share) is een aanname."
        ),
        "children_replaced": "Kinderen die verhuizen",
        "change": "Verandering",
        "change_reason": "Reden",
        "reason_norm": "norm: nodig om de gemeente (of regio) op 1 per 40.000 te brengen",
        "reason_capacity": "capaciteit: meer kinderen dan plaatsen in de gemeente",
        "reason_distance": "afstand: dichter bij school dan vrije plaatsen elders in de gemeente",
        "reason_demand": "vraag: minder kinderen dan plaatsen",
        "total": "Totaal",
        "assumptions_title": "Aannames",
        "assumptions_intro": (
            "Deze instellingen laat het scenario op de standaardwaarde van woonplanner staan. Het"
            " zijn aannames van het model, geen feiten over uw regio: controleer ze en zet een "
            "andere waarde in het scenariobestand waar nodig."
        ),
        "assumptions_none": "Het scenario zet elke instelling zelf; er zijn geen standaardwaarden.",
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
        "title": "Plan for small-scale youth housing",
        "scenario": "Scenario",
        "gemeenten_in_plan": "Gemeenten in the plan",
        "status": "Solver status",
        "optimal_gap": "optimal (gap {gap}, the solver stops at {limit})",
        "not_optimal": "not proven optimal, gap {gap}",
        "not_optimal_no_gap": "not proven optimal",
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
            "children. Counts below {threshold} (per {area}, gemeente or type) are shown "
            "as “<{threshold}”; occupancy (per facility and per type) is shown whole, like the "
            "places. Each figure is rounded on its own: parts can differ from their total by a "
            "child."
        ),
        "unplaced_title": "Unplaced children",
        "all_placed": "Every child has a place within the scenario's norms.",
        "some_unplaced": (
            "{count} children cannot be placed within the scenario's norms. The plan does not "
            "hide them: below is who they are and which rule holds them back."
        ),
        "bound_from_coarse": (
            "The gap is measured against the bound of a coarser instance (per wijk and type, a "
            "relaxation of the buurt plan): the best buurt plan lies somewhere in between. The "
            "buurten's LP relaxation, which brings the bound closer to the plan, did not finish "
            "within the time limit"
        ),
        "some_unplaced_unproven": (
            "{count} children have no place in this plan. The plan is not proven optimal (the "
            "solve stopped before the proof, most often at its time limit): a better plan may "
            "place some of them. What follows is what can hold a child back, not proof that "
            "these children cannot be placed. Give the solve more time (solver.time_limit_s) to "
            "know."
        ),
        "why_lead": "A child is left",
        "why_lead_unproven": "In a proven optimal plan a child is left",
        "unplaced_why": (
            "{lead} without a place only when no suitable place can be made within the "
            "distance band of its reason: no {area} lies within that distance, or the "
            "{areas} within it are at their limit ({limits}){budget}."
        ),
        "unplaced_budget": "; or the budget of {budget} (opening and closing included) is spent",
        "limit_per_households": "{type}: at most {n} per 1,000 households",
        "limit_per_site": "{type}: at most {n} per {area}",
        "unplaced_by_reason": "By reason and support need",
        "unplaced_by_neighbourhood": "By {area}",
        "unplaced_spread": (
            "No {area} has, rounded, a child without a place: the expected number is "
            "spread over {areas} with less than half a child each."
        ),
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
        "support_intensive": "intensive (no family setting)",
        "children_demand": "Demand",
        "children_unplaced": "Unplaced",
        "norm_title": "Norm: 1 small-scale facility per 40,000 inhabitants",
        "norm_intro": (
            "Small-scale counts: {types}. Required = {rounding}(inhabitants / {per}) per gemeente"
            " and for the region."
        ),
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
        "units": "Units in plan",
        "occupancy": "Occupancy",
        "units_chart": "Units by type: now and in the plan",
        "series_now": "now",
        "series_plan": "in the plan",
        "occupancy_chart": "Places and occupancy by type",
        "series_places": "places",
        "series_occupied": "occupied",
        "changes_title": "Changes against the current stock",
        "changes_summary": "{opened} added and {closed} removed, in {sites}.",
        "n_units": "{n} unit|{n} units",
        "n_sites": "{n} {area}|{n} {areas}",
        "no_changes": "The plan changes nothing in the current stock.",
        "service_title": "Service level and spare places",
        "service_intro": (
            "The plan keeps places free so that in a year of fluctuating demand at least "
            "{target} of the children find a place within their distance band (service.level; "
            "check it with woonplanner simulate). Without that buffer:"
        ),
        "service_with": "with buffer",
        "service_without": "without buffer",
        "service_difference": "difference",
        "service_annual": "annual cost",
        "service_one_off": "one-off cost",
        "service_places": "places {type}",
        "service_no_plan": "Without the buffer no plan was found within the time limit.",
        "replacements_title": "Re-placements",
        "replacements_none": "No child placed now has to move.",
        "replacements_no_input": (
            "No current placements were given (placements.file or placements.from_run): the plan "
            "does not know which children live where now."
        ),
        "replacements_summary": (
            "{children} children placed now must move (re-placement), out of {sites}: the plan "
            "takes away the places they need there."
        ),
        "suitability_title": "Which housing form suits which children",
        "suitability_intro": (
            "Per support need and age (years), the forms that suit "
            "(facility_types.<type>.support_needs and age_bands). The share of children who need "
            "support a family setting cannot give (demand.no_family_share) is an assumption."
        ),
        "children_replaced": "Children who move",
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
        "value": "Value",
        "explanation": "Explanation",
        "assumption_tag": "assumption",
        "not_set": "— (not set)",
        "reproduce_title": "Reproducibility",
        "reproduce": (
            "This report carries no date: the same inputs give the same plan and the same report."
            " To remake it: woonplanner run scenario.toml (in this folder)."
        ),
        "versions": "Versions",
        "objective": "Objective",
        "bound": "Bound",
        "inputs": "Input files (SHA-256)",
        "contents": "Contents",
        "gemeenten_title": "By gemeente",
        "gemeenten_note": (
            "Demand, placed, unplaced and distance: the children living in the gemeente. Placed "
            "in the gemeente: the children in the gemeente's facilities, wherever they come from."
            " Costs: the facilities in the gemeente, annually its units and occupied places, "
            "one-off the opening and closing."
        ),
        "children_placed": "Placed",
        "placed_here": "Placed in the gemeente",
        "mean_km_short": "Mean distance",
        "annual_cost_short": "Annual cost",
        "one_off_cost_short": "One-off cost",
        "gemeente_types_title": "By gemeente and type",
    },
}

#: The texts only compare.html has (with :data:`TERMS`: :func:`labels`).
_COMPARE: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Scenario's vergeleken",
        "intro": (
            "{n} plannen naast elkaar. De kaarten bewegen samen: schuif of zoom in één kaart en "
            "de andere volgen. Op kaart {others} toont de laag “{diff}” wat er per {area} bijkomt "
            "(+) of afgaat (−) ten opzichte van plan A; uitgezoomd staat het per gemeente in "
            "haar label."
        ),
        "reference": "referentie",
        "and": " en ",
        "not_optimal": "niet bewezen optimaal, gap {gap}",
        "layer_diff": "Eenheden erbij / eraf t.o.v. A",
        "legend_types": "Vormen (getal = eenheden)",
        "legend_status": "Status t.o.v. huidige voorraad",
        "status_existing": "bestaand",
        "status_new": "nieuw",
        "status_closing": "sluit",
        "status_moving": "sluit, kinderen verhuizen",
        "children_replaced": "kinderen die verhuizen",
        "legend_diff": "Verschil met plan A",
        "diff_plus": "eenheden erbij",
        "diff_minus": "eenheden eraf",
        "norm_met": "norm gehaald",
        "norm_not_met": "norm niet gehaald",
        "legend_unplaced": "{area} met niet geplaatste kinderen",
        "privacy": (
            "Voorzieningen staan op een punt in de {area}, nooit op een adres. Aantallen kinderen "
            "onder {threshold} staan als “<{threshold}”; de bezetting van een voorziening staat, "
            "net als haar plaatsen, als heel getal."
        ),
        "kpi_title": "Kerncijfers per plan",
        "kpi_intro": "Δ = plan min plan A. Groen is beter, rood is slechter.",
        "kpi": "Kerncijfer",
        "delta": "Δ {letter}",
        "settings_title": "Wat de scenario's anders instellen",
        "settings_none": "De scenario's stellen niets anders in.",
        "placed_short": "geplaatst",
        "unplaced_short": "niet geplaatst",
        "cost_short": "per jaar",
        "units_short": "eenheden",
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
        "title": "Scenarios compared",
        "intro": (
            "{n} plans side by side. The maps move together: pan or zoom one and the others "
            "follow. On map {others} the layer “{diff}” shows what each {area} gains (+) "
            "or loses (−) against plan A; zoomed out, each gemeente's label says it."
        ),
        "reference": "reference",
        "and": " and ",
        "not_optimal": "not proven optimal, gap {gap}",
        "layer_diff": "Units added / removed vs A",
        "legend_types": "Types (number = units)",
        "legend_status": "Status against the current stock",
        "status_existing": "existing",
        "status_new": "new",
        "status_closing": "closing",
        "status_moving": "closing, children move",
        "children_replaced": "children who move",
        "legend_diff": "Difference with plan A",
        "diff_plus": "units added",
        "diff_minus": "units removed",
        "norm_met": "norm met",
        "norm_not_met": "norm not met",
        "legend_unplaced": "{area} with unplaced children",
        "privacy": (
            "Facilities are drawn at a point in the {area}, never at an address. Counts of"
            " children below {threshold} are shown as “<{threshold}”; a facility's occupancy is"
            " shown whole, like its places."
        ),
        "kpi_title": "Headline figures per plan",
        "kpi_intro": "Δ = plan minus plan A. Green is better, red is worse.",
        "kpi": "Figure",
        "delta": "Δ {letter}",
        "settings_title": "What the scenarios set differently",
        "settings_none": "The scenarios set nothing differently.",
        "placed_short": "placed",
        "unplaced_short": "unplaced",
        "cost_short": "a year",
        "units_short": "units",
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

#: The texts only sweep.html has (with :data:`TERMS`: :func:`labels`).
_SWEEP: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Afweging kosten en nabijheid",
        "x": "gemiddelde afstand tot school (km)",
        "y": "kosten jaarlijks + eenmalig (€ mln)",
        "caption": (
            "Elk punt is een plan voor één waarde van {key} (het getal bij het punt), optimaal "
            "voor die waarde. Open punt: niet bewezen optimaal (tijdslimiet). Rode ring: er "
            "blijven kinderen zonder plek; zo'n plan is goedkoop omdat zij geen plek krijgen."
        ),
        "no_plan": "Geen plan voor {key} = {value}: {message}",
        "unplaced": "{count} niet geplaatst",
        "not_proven": "niet bewezen",
        "value": "waarde",
        "status": "status",
        "mip_gap": "gap",
        "children_demand": "kinderen",
        "children_placed": "geplaatst",
        "children_unplaced": "niet geplaatst",
        "mean_km": "gem. afstand",
        "p90_km": "90 % binnen",
        "annual_cost_eur": "kosten per jaar",
        "one_off_cost_eur": "eenmalig",
        "cost_eur": "samen",
        "units": "eenheden {type}",
    },
    "en": {
        "title": "Trade-off between cost and proximity",
        "x": "mean distance to school (km)",
        "y": "annual + one-off cost (€ million)",
        "caption": (
            "Each point is a plan for one value of {key} (the number by the point), optimal for "
            "that value. Hollow point: not proven optimal (time limit). Red ring: children are "
            "left without a place; such a plan is cheap because they go without."
        ),
        "no_plan": "No plan for {key} = {value}: {message}",
        "unplaced": "{count} unplaced",
        "not_proven": "not proven",
        "value": "value",
        "status": "status",
        "mip_gap": "gap",
        "children_demand": "children",
        "children_placed": "placed",
        "children_unplaced": "unplaced",
        "mean_km": "mean distance",
        "p90_km": "90 % within",
        "annual_cost_eur": "annual cost",
        "one_off_cost_eur": "one-off",
        "cost_eur": "together",
        "units": "units {type}",
    },
}

#: The texts only national_map.html has (with :data:`TERMS`: :func:`labels`).
_NATIONAL: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Jeugdregio's: norm en niet geplaatst",
        "layer_background": "Achtergrond / background",
        "state_met": "alle gemeenten gehaald",
        "state_not_met": "niet in elke gemeente",
        "state_failed": "geen plan (zie regions.csv)",
        "legend": "Legenda",
        "legend_norm": "1 kleinschalige voorziening per 40.000 inwoners",
        "legend_width": "dikkere rand = meer niet geplaatste kinderen",
        "status": "status",
        "state_unproven": "niet bewezen optimaal (tijdslimiet): kan beter",
        "gap": "gap",
        "norm": "norm 1 per 40.000: {met} van {total} gemeenten",
        "children_line": "kinderen: {demand}, niet geplaatst {unplaced}",
        "mean": "gemiddeld {km}",
    }
}
_PAGES: dict[str, dict[str, dict[str, str]]] = {
    "map": _MAP,
    "report": _REPORT,
    "compare": _COMPARE,
    "sweep": _SWEEP,
    "national": _NATIONAL,
}


def check_lang(lang: str) -> str:
    """``lang`` when it is one of :data:`LANGS`, else a ``ValueError`` naming them."""
    if lang not in LANGS:
        msg = f"lang: must be one of {sorted(LANGS)}, got {lang!r}"
        raise ValueError(msg)
    return lang


#: The word for the plan's neighbourhoods (singular, plural) by level (:func:`area_level`).
#: English pages keep the CBS words, as they keep "gemeente"; a level that is not known reads
#: as the general word.
AREA_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "nl": {"wijk": ("wijk", "wijken"), "buurt": ("buurt", "buurten"), "": ("buurt", "buurten")},
    "en": {
        "wijk": ("wijk", "wijken"),
        "buurt": ("buurt", "buurten"),
        "": ("neighbourhood", "neighbourhoods"),
    },
}


def area_level(neighbourhoods: pd.DataFrame | None = None, scenario: Any = None) -> str:
    """The level of a plan's neighbourhoods: ``"wijk"``, ``"buurt"`` or ``""`` when unknown.

    ``region.level`` of the scenario (a :class:`~woonplanner.scenario.Scenario` or a run
    folder's ``scenario.toml`` as a dict) when there is one, else the CBS codes of the
    neighbourhoods: all ``WK…`` (the demo's too) or all ``BU…``.
    """
    region = scenario.get("region") if isinstance(scenario, Mapping) else None
    if isinstance(region, Mapping):
        level = region.get("level", "wijk")  # the schema's default
    else:
        level = getattr(getattr(scenario, "region", None), "level", None)
    if level in ("wijk", "buurt"):
        return str(level)
    if neighbourhoods is None or neighbourhoods.empty or "code" not in neighbourhoods:
        return ""
    prefixes = set(neighbourhoods["code"].astype(str).str[:2].str.upper())
    return {"WK": "wijk", "BU": "buurt"}.get(prefixes.pop(), "") if len(prefixes) == 1 else ""


def labels(*pages: str, lang: str = "nl", level: str = "") -> dict[str, str]:
    """Every text of ``pages`` in ``lang``: :data:`TERMS`, then each page's own, in order.

    A page that shows another's parts names both (compare draws the map's layers:
    ``labels("map", "compare", lang=lang)``); a later page's text wins.
    The national map is Dutch only: its English texts are the Dutch ones.
    ``level`` (:func:`area_level`) names the neighbourhoods: ``{area}``, ``{areas}`` and
    ``{Area}`` in a text become its word (:data:`AREA_WORDS`).
    """
    check_lang(lang)
    merged = dict(TERMS[lang])
    for page in pages:
        texts = _PAGES[page]
        merged |= texts.get(lang, texts["nl"])
    one, many = AREA_WORDS[lang].get(level, AREA_WORDS[lang][""])
    words = {"{area}": one, "{areas}": many, "{Area}": one[:1].upper() + one[1:]}
    for key, text in merged.items():
        if "{" in text and "{area" in text.lower():
            for token, word in words.items():
                text = text.replace(token, word)
            merged[key] = text
    return merged


def outcome_label(outcome: Outcome | str, labels_: dict[str, str]) -> str:
    """The text of a run outcome; a status the vocabulary lacks shows as it is."""
    value = outcome.value if isinstance(outcome, Outcome) else str(outcome)
    return labels_.get(f"outcome_{value}", value)


#: The scenario's settings explained in Dutch, for the assumptions of the Dutch report: one
#: note per section and per setting of :class:`woonplanner.scenario.Scenario`, keyed as
#: ``--set`` writes them; ``*`` stands for any facility type or reason. The English notes are
#: the schema's own docstrings (:func:`scenario_note`). ``code`` is written as in the schema.
SCENARIO_NOTES_NL: dict[str, str] = {
    # sections
    "region": "Welke wijken of buurten het plan omvat.",
    "data": "Waar de invoerbestanden staan. Relatieve paden gelden vanaf het scenariobestand.",
    "demand": "Hoeveel kinderen een plek nodig hebben, geschat uit de bevolking.",
    "demand.reason_shares": "Het aandeel van elk van de drie redenen.",
    "demand.extra_support_share": (
        "Het aandeel dat extra pedagogische ondersteuning nodig heeft, per reden."
    ),
    "reasons.parents_cannot_cope": (
        "Kleine straal, zodat terugkeer naar huis mogelijk blijft (aanname: 5 km)."
    ),
    "reasons.orphaned": (
        "Elke vorm, 10 km (aanname). Een wees woont bij voorkeur in een gezin (beleid): de "
        "woongroep past alleen bij kinderen die een gezinssetting niet kan ondersteunen "
        '(``facility_types.woongroep.support_needs`` is ``["intensive"]``), dus een wees woont '
        "in een gezinsvorm, tenzij dat voor hem geldt."
    ),
    "reasons.safety_risk": (
        "Minstens 3 km van huis, voor de veiligheid, en hooguit 15 km van school (aanname)."
    ),
    "facility_types.pleeggezin": (
        "Pleeggezin: kinderen zonder extra ondersteuning; gemiddeld 1,3 kinderen."
    ),
    "facility_types.gezinshuis": (
        "Gezinshuis: extra ondersteuning in een gezinssetting; hooguit 6 kinderen."
    ),
    "facility_types.woongroep": (
        "Kleine woongroep: de kinderen die een gezinssetting niet kan ondersteunen "
        "(``intensive``), 12-17 jaar; hooguit 6, bij voorkeur 4."
    ),
    "norm": "Minstens één kleinschalige voorziening per 40.000 inwoners (Wereld van Aandacht).",
    "travel": "Hoe afstanden worden gemeten (docs/travel.md).",
    "objective": (
        "Hoe niet geplaatste kinderen, kind-kilometers en kosten tegen elkaar worden afgewogen "
        "(docs/model.md)."
    ),
    "budget": "Een plafond op de kosten van het plan (optioneel).",
    "stock": "De huidige voorraad voorzieningen.",
    "sites": "Waar eenheden mogen komen (de kandidaatlocaties).",
    "placements": (
        "De kinderen die nu in elke voorziening wonen (de jaarlijkse herbeoordeling, "
        "docs/model.md)."
    ),
    "continuity": (
        "Wat er gebeurt met kinderen die al geplaatst zijn (geen keten van herplaatsingen)."
    ),
    "service": "Hoe vaak een kind een plek moet vinden als de vraag schommelt (docs/model.md).",
    "simulate": "``woonplanner simulate``: het vraagmodel van de trekkingen.",
    "solver": "Instellingen van de solver.",
    "output": "Wat de runmap laat zien.",
    # settings
    "region.source": (
        "``demo``: de ingebouwde synthetische regio; ``cbs``: de CBS Wijk- en Buurtkaart."
    ),
    "region.jeugdregio": "Plan één jeugdregio (``JZ06``); alleen met CBS-gegevens.",
    "region.gemeenten": 'Plan alleen deze gemeenten (``["GM0361"]``); leeg: de hele regio.',
    "region.level": "Het niveau van het invoerbestand: wijken of buurten.",
    "data.dir": (
        "Map met open data van het CBS (``--data-dir``); de bestanden worden gevonden aan hun "
        "gebruikelijke namen."
    ),
    "data.neighbourhoods": (
        "Polygonen van de wijken of buurten (GeoJSON / GeoPackage); gaat voor het bestand dat "
        "in ``dir`` wordt gevonden."
    ),
    "data.membership": "Tabel gemeente → jeugdregio (CSV).",
    "data.jeugdregio_polygons": (
        "Polygonen van de jeugdregio's, om zonder tabel uit de ligging te bepalen welke "
        "gemeente bij welke jeugdregio hoort."
    ),
    "data.youth_care_index": (
        "Tabel met jeugdzorg per gemeente (CSV), gebruikt als ``demand.youth_care_index`` aan "
        "staat."
    ),
    "data.schools": "Scholen als punten (GeoJSON / GeoPackage) met een kolom ``type``.",
    "demand.rate_per_1000": (
        "Kinderen die uit huis wonen per 1.000 kinderen van 0-17 jaar. Bron: ongeveer 43.000 "
        "van ongeveer 3,4 miljoen kinderen in 2019 (Wereld van Aandacht, 2021; CBS)."
    ),
    "demand.no_family_share": (
        "Per leeftijdsgroep het aandeel van de kinderen met extra ondersteuningsbehoefte die "
        "een gezinssetting niet kan bieden (ondersteuning ``intensive``: alleen een woongroep "
        "past). Aanname: in de bronnen is geen cijfer gevonden; 0 onder 12 jaar (jongere "
        "kinderen met intensieve behoeften wonen in een gezinshuis), 0,25 voor 12-17 jaar."
    ),
    "demand.youth_care_index": (
        "Schaal het percentage per gemeente met haar aandeel jongeren met jeugdzorg."
    ),
    "demand.caseload": (
        "Een caseloadtabel (één rij per kind, bij het inlezen opgeteld) in plaats van de schatting."
    ),
    "demand.keep_siblings_together": (
        "Plaats elke groep broers en zussen uit de caseload (kolom ``sibling_group``) op één "
        "locatie in één vorm waarvan een eenheid hen allemaal kan opnemen, of meld dat de groep "
        "gesplitst is en waarom (docs/caseload.md)."
    ),
    "demand.reason_shares.*": "Aanname.",
    "demand.extra_support_share.*": "Aanname.",
    "reasons.*.min_km": "Kleinste afstand van het huis van het kind tot de locatie (km).",
    "reasons.*.max_km": (
        "Grootste afstand van de school van het kind (zonder school: zijn huis) tot de locatie "
        "(km)."
    ),
    "reasons.*.types": "Woonvormen die bij deze reden passen.",
    "facility_types.*.places": "Plaatsen per eenheid (kinderen).",
    "facility_types.*.support_needs": "Ondersteuningsbehoeften waar deze vorm bij past.",
    "facility_types.*.age_bands": "Leeftijdsgroepen waar deze vorm bij past.",
    "facility_types.*.max_units_per_site": (
        "Hooguit zoveel eenheden per wijk of buurt (``None``: alleen de grens per 1.000 "
        "huishoudens)."
    ),
    "facility_types.*.max_units_per_1000_households": (
        "Eenheden die een wijk of buurt per 1.000 huishoudens kan hebben, naar boven afgerond: "
        "pleeggezinnen en gezinshuisouders die te werven zijn, groepen die te huisvesten zijn. "
        "Groeit mee met de wijk of buurt, en past dus bij kleine buurten en grote landelijke "
        "wijken."
    ),
    "facility_types.*.annual_cost_per_unit": (
        "Vaste jaarlijkse kosten van een eenheid die in het plan bestaat."
    ),
    "facility_types.*.annual_cost_per_place": "Jaarlijkse kosten per bezette plaats (per kind).",
    "facility_types.*.open_cost": "Eenmalige kosten van het openen (werven) van een eenheid.",
    "facility_types.*.close_cost": "Eenmalige kosten van het sluiten van een bestaande eenheid.",
    "norm.inhabitants_per_unit": (
        "Inwoners per vereiste kleinschalige eenheid. Bron: Wereld van Aandacht (2021)."
    ),
    "norm.mode": (
        "``hard``: moet gehaald worden; ``soft``: een tekort kost ``penalty_eur`` per eenheid."
    ),
    "norm.level": "``gemeente``: elke gemeente en de regio; ``region``: alleen de regio.",
    "norm.types": "Vormen die als kleinschalige voorziening tellen.",
    "norm.rounding": "Vereiste eenheden = afronding(inwoners / inhabitants_per_unit).",
    "norm.penalty_eur": "Boete per ontbrekende eenheid bij ``soft``.",
    "travel.mode": (
        "``straight``: rechte lijn in RD New tussen de representatieve punten × omwegfactor; "
        "``network``: kortste weg over de wegen van ``osm_file`` (osmnx, bewaard in een cache)."
    ),
    "travel.detour_factor": (
        "Afstand over de weg / afstand in rechte lijn (aanname: gebruikelijk voor Nederlandse "
        "wegen). Bij ``network`` geldt hij voor punten die terugvallen op de rechte lijn en "
        "voor de ondergrens dichtbij."
    ),
    "travel.osm_file": (
        "OpenStreetMap-uitsnede voor ``network``: OSM XML (``.osm``, ``.osm.bz2``) of een "
        "GraphML-bestand van osmnx. Wordt nooit gedownload: lever het bestand zelf aan (bijv. "
        "van Geofabrik, omgezet naar XML)."
    ),
    "travel.network_type": (
        "Welke wegen meetellen, als netwerktype van osmnx (eenrichtingsregels gelden niet)."
    ),
    "travel.speed_kmh": (
        "Snelheid die netwerk-km omzet in reisminuten; ``None``: 30 (auto), 15 (fiets) of 5 "
        "(lopen) km/u, gemiddelden van deur tot deur in de stad (aanname)."
    ),
    "travel.max_snap_m": (
        "Punten verder dan dit van het netwerk gebruiken de rechte lijn × omwegfactor (aanname)."
    ),
    "travel.cache_dir": (
        "Map voor bewaarde netwerkafstanden; ``None``: ``$WOONPLANNER_CACHE_DIR``, anders "
        "``woonplanner/travel`` in de cachemap van de gebruiker (``~/.cache`` op Linux)."
    ),
    "objective.mode": (
        "``weighted``: één gewogen som; ``lexicographic``: eerst niet geplaatst, dan km, dan "
        "kosten."
    ),
    "objective.unplaced_penalty_eur": (
        "Gewicht per niet geplaatst kind: ver boven alle kosten, zodat kinderen eerst een plek "
        "krijgen."
    ),
    "objective.km_weight_eur": (
        "Euro's per jaar die de regio overheeft voor één kind één km dichter bij school (aanname)."
    ),
    "objective.lexicographic_tolerance": (
        "Relatieve speling op elk eerder deel bij ``lexicographic``."
    ),
    "budget.annual_eur": (
        "Totale kosten (eenheden, plaatsen, openen, sluiten) hooguit dit; ``None``: geen plafond."
    ),
    "stock.file": "CSV met ``neighbourhood, type, units``; de demo heeft een eigen bestand.",
    "stock.from_run": (
        "Een eerdere runmap waarvan de geplande eenheden de voorraad van dit jaar worden."
    ),
    "sites.file": (
        "CSV met ``neighbourhood, type, max_units``: alleen de genoemde wijken of buurten mogen "
        "een vorm uit het bestand krijgen, elk hooguit ``max_units``; vormen die het bestand "
        "niet noemt houden de grenzen per vorm uit ``facility_types``. ``None``: elke wijk of "
        "buurt mag elke vorm krijgen (docs/data.md)."
    ),
    "placements.file": (
        "CSV met ``site, type, origin, reason, support_need, age_band, children`` (opgetelde "
        "aantallen; ``site`` en ``origin`` zijn codes van wijken of buurten)."
    ),
    "placements.from_run": (
        "Een eerdere runmap waarvan ``flows.csv`` (waar de kinderen geplaatst zijn) de "
        "plaatsingen van dit jaar wordt; gebruik hem samen met ``stock.from_run`` van dezelfde "
        "map."
    ),
    "continuity.mode": (
        "``soft``: een geplaatst kind mag verhuizen (een herplaatsing) tegen "
        "``replacement_penalty_eur``; ``hard``: nooit, zijn voorziening houdt de eenheden die "
        "de plaatsen van de kinderen nodig hebben."
    ),
    "continuity.replacement_penalty_eur": (
        "Gewicht van één herplaatsing in de doelfunctie, in euro's (aanname: hoog, boven de "
        "jaarlijkse kosten van een plaats in een woongroep, zodat een voorziening waar kinderen "
        "wonen alleen sluit als openhouden veel duurder is; onder het gewicht van een niet "
        "geplaatst kind, zodat een kind dat moet verhuizen verhuist in plaats van zonder plek "
        "te blijven)."
    ),
    "service.level": (
        "Gewenste servicegraad: het aandeel kinderen dat in een jaar met schommelende vraag een "
        "plek binnen de afstandsgrens vindt (bijv. 0,95). Het plan houdt dan de reserveplekken "
        "aan die daarvoor nodig zijn (bezettingsgrenzen per voorziening uit Poisson-kwantielen "
        "van de vraag in haar verzorgingsgebied). ``None`` (standaard): het plan is berekend op "
        "de verwachte vraag; ``woonplanner simulate`` meldt de servicegraad die het haalt."
    ),
    "simulate.overdispersion": (
        "Aanname over hoeveel meer de vraag schommelt dan bij Poisson: de kinderen van een groep "
        "in een jaar zijn negatief-binomiaal verdeeld met variantie ``(1 + overdispersion) × "
        "gemiddelde``; 0: Poisson."
    ),
    "simulate.draws": "Aantal getrokken jaren vraag (``--draws``).",
    "simulate.seed": (
        "Startgetal (seed) van de trekkingen (``--seed``); trekking ``r`` gebruikt ``[seed, r]``."
    ),
    "solver.name": (
        '``"highs"``: HiGHS rechtstreeks (de oplossing in fasen, de snelle weg). Elke andere '
        "naam is een solver die Pyomo's ``SolverFactory`` op hetzelfde model draait, met alle "
        'rijen erin (``"appsi_highs"``, ``"cbc"``, ``"glpk"``, ``"gurobi"``, …); die moet '
        "geïnstalleerd zijn."
    ),
    "solver.time_limit_s": (
        "Seconden waarna het beste gevonden plan wordt opgeleverd (niet bewezen optimaal)."
    ),
    "solver.mip_gap": "Relatieve afstand tot het optimum (gap) waarbij de solver stopt.",
    "solver.threads": "Threads van HiGHS; 1 houdt runs herhaalbaar.",
    "solver.seed": "Startgetal (random seed) van HiGHS.",
    "output.privacy_threshold": (
        'Aantallen kinderen onder deze grens staan als "<5" in map.html en report.html.'
    ),
    "output.lang": "Taal van de kaart en het rapport.",
}

#: Internal references in the schema's docstrings ("(SPEC §1)", "SPEC §3: "): no page shows them.
_INTERNAL_REFERENCE = re.compile(r"\s*\(SPEC §\d+[a-z]?\)|SPEC §\d+[a-z]?:\s*|\s*SPEC §\d+[a-z]?")


def scenario_note(key: str, schema_text: str, lang: str = "nl") -> str:
    """The note on a scenario setting or section for a page in ``lang``.

    Dutch: :data:`SCENARIO_NOTES_NL` (the key as it is, else with ``*`` for one part of it);
    English, or a key without a Dutch note: ``schema_text``, the schema's docstring. Either way
    without internal references such as "SPEC §1".
    """
    text = schema_text
    if check_lang(lang) == "nl":
        parts = key.split(".")
        keys = [key, *(".".join([*parts[:i], "*", *parts[i + 1 :]]) for i in range(len(parts)))]
        text = next((SCENARIO_NOTES_NL[k] for k in keys if k in SCENARIO_NOTES_NL), schema_text)
    return _INTERNAL_REFERENCE.sub("", text).strip()


# --- formatting -----------------------------------------------------------------------------


def esc(value: Any) -> str:
    """HTML-escape anything that came from input data, a run folder or the scenario."""
    return html.escape(str(value), quote=True)


def format_count(value: float | None, threshold: int, *, hidden: bool = False) -> str:
    """A number of children as shown on a shared map or report (docs/privacy.md).

    Parameters
    ----------
    value
        Number of children (may be fractional: demand is an expectation).
    threshold
        Counts that round to 1 … threshold − 1 are hidden.
    hidden
        The page rule (:func:`woonplanner.privacy.page_privacy`) hides this count: "<5" when
        it is small, "≥5" when it is hidden to protect a small one.

    Returns
    -------
    str
        The value rounded half up (:func:`woonplanner.privacy.whole`); ``"0"`` when that is 0
        (0.018 expected children is no child), ``"<5"`` (with the threshold) when it is below
        the threshold; ``"–"`` when the value is missing.

    Examples
    --------
    >>> [format_count(v, 5) for v in (0, 0.018, 0.5, 4.4, 4.5, 12.5)]
    ['0', '0', '<5', '<5', '5', '13']
    >>> format_count(12, 5, hidden=True)
    '≥5'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    count = whole(float(value))
    if count <= 0:
        # A tiny negative is solver round-off, not a count to report.
        return "0"
    if count < threshold:
        return f"<{threshold}"
    if hidden:
        return f"≥{threshold}"
    return str(count)


def format_total(
    value: float | None, threshold: int, shown_as: tuple[int, int | None] | None, lang: str = "nl"
) -> str:
    """A total of children: :func:`format_count`, or the range its shown cells imply when the
    page rule may not show it (``shown_as`` from :class:`woonplanner.privacy.PagePrivacy`)."""
    text = format_count(value, threshold)
    if shown_as is None:
        return format_number(int(text), lang) if text.isdigit() else text
    least, most = shown_as
    if most is not None and least == most:
        return format_total(least, threshold, None, lang)  # the value the equation gives
    if most is not None and most < threshold:
        return f"<{threshold}"  # the cells already say as much
    if most is None:
        return f"≥{format_number(least, lang)}"
    return f"{format_number(least, lang)}–{format_number(most, lang)}"


def format_totals(
    values: Mapping[str, float],
    threshold: int,
    shown: Mapping[str, tuple[int, int | None] | None] | None = None,
    lang: str = "en",
) -> dict[str, str]:
    """Demand, placed and unplaced children (:data:`~woonplanner.privacy.COUNT_COLUMNS` of
    ``values``) as every page shows them: one equation (:func:`woonplanner.privacy.
    balance_totals`), whole, adding up, a small count "<5" with placed as the range it allows.
    ``shown``: the page rule's decision (``PagePrivacy.region``, balanced there already);
    without it the totals are balanced here (a page without neighbourhood figures: sweep, the
    workbench)."""
    if shown is None:
        shown = balance_totals(values, dict.fromkeys(COUNT_COLUMNS), threshold)
    return {c: format_total(values[c], threshold, shown[c], lang) for c in COUNT_COLUMNS}


def figures_shown(figures: Mapping[str, Any], threshold: int, lang: str = "en") -> dict[str, str]:
    """:func:`format_totals` of a plan's region figures as a table or file holds them (a
    ``kpis.json`` region, a sweep row): empty when any of the three counts is missing."""
    if any(pd.isna(figures.get(c)) for c in COUNT_COLUMNS):
        return {}
    return format_totals({c: float(figures[c]) for c in COUNT_COLUMNS}, threshold, lang=lang)


def region_counts(
    neighbourhoods: pd.DataFrame, flows: pd.DataFrame | None, threshold: int, lang: str = "en"
) -> dict[str, str]:
    """The region's demand, placed and unplaced children as every page shows them (the page
    rule, :func:`woonplanner.privacy.page_privacy`): for the command line's summary, so that it
    says what the report says and its figures add up."""
    rule = page_privacy(neighbourhoods, flows, threshold)
    values = {c: float(neighbourhoods[c].astype(float).fillna(0.0).sum()) for c in COUNT_COLUMNS}
    return format_totals(values, threshold, rule.region, lang)


#: What a page adds to the region's name when its neighbourhoods are synthetic buurten
#: (``woonplanner data split-buurten``): made-up figures always say so.
SYNTHETIC_BUURTEN = {
    "nl": "synthetische buurten, geen CBS-cijfers",
    "en": "synthetic buurten, not CBS figures",
}


def place_name(manifest: Mapping[str, Any] | None, lang: str = "nl") -> str | None:
    """What a page calls the region of a run: its name (``region_name``, "Rijnmond") when the
    data had one, else its code, marked when the neighbourhoods are synthetic buurten
    (``synthetic_buurten`` in the manifest); None for a manifest without a region."""
    manifest = manifest or {}
    name = manifest.get("region_name") or manifest.get("region")
    if not name:
        return None
    if manifest.get("synthetic_buurten"):
        return f"{name} ({SYNTHETIC_BUURTEN[lang]})"
    return str(name)


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


def format_km(value: float | None, lang: str = "nl") -> str:
    """A distance in km with one decimal in the language's style (``1,3 km`` in Dutch), or a
    dash when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{format_number(float(value), lang, decimals=1)} km"


def format_whole(value: Any, lang: str = "nl") -> str:
    """A whole number with the thousands separator of the language; a dash when missing."""
    if value is None or pd.isna(value):
        return "–"
    # Half up like every count (6.5 places and 6.5 occupied both read 7).
    return format_number(whole(float(value)), lang)


def type_label(kind: str, texts: Mapping[str, str], *, short: bool = False) -> str:
    """The name of a facility type in ``texts`` (a :func:`labels` dict); an unknown type shows
    as it is in the data. ``short`` drops the English name's Dutch one in brackets (charts)."""
    label = texts.get(f"type_{kind}", str(kind))
    return label.split(" (")[0] if short and texts.get("html_lang") == "en" else label


@dataclass(frozen=True)
class Formatter:
    """Numbers, money, km, children counts and type names in one language.

    Parameters
    ----------
    lang
        ``"nl"`` or ``"en"``.
    threshold
        Children counts below this read ``"<threshold"``.
    page
        The page whose texts :attr:`labels` holds (with :data:`TERMS`).
    level
        The level of the plan's neighbourhoods (:func:`area_level`), named in the texts.
    """

    lang: str
    threshold: int
    page: str = "report"
    level: str = ""

    def __post_init__(self) -> None:
        check_lang(self.lang)

    @property
    def labels(self) -> dict[str, str]:
        """The page's texts in this language (see :func:`labels`)."""
        return labels(self.page, lang=self.lang, level=self.level)

    def number(self, value: Any, *, decimals: int = 0) -> str:
        """:func:`format_number` in this language."""
        return format_number(value, self.lang, decimals=decimals)

    def whole(self, value: Any) -> str:
        """:func:`format_whole` in this language."""
        return format_whole(value, self.lang)

    def count(self, value: Any, *, hidden: bool = False) -> str:
        """Children: "<5" below the threshold, else a whole number with separators; a count the
        page rule hides reads "<5" or "≥5"."""
        text = format_count(None if value is None else float(value), self.threshold, hidden=hidden)
        return self.number(int(text)) if text.isdigit() else text

    def km(self, value: Any) -> str:
        """km with one decimal in the language's style."""
        return "–" if value is None else f"{self.number(value, decimals=1)} km"

    def total(self, value: Any, shown_as: tuple[int, int | None] | None = None) -> str:
        """A total of children: :meth:`count`, or the range the page rule shows instead."""
        return format_total(
            None if value is None else float(value), self.threshold, shown_as, self.lang
        )

    def money(self, value: Any) -> str:
        """:func:`format_money` in this language."""
        return format_money(value, self.lang)

    def percent(self, fraction: float | None, *, decimals: int = 1) -> str:
        """A fraction as a percentage."""
        return "–" if fraction is None else f"{self.number(100 * fraction, decimals=decimals)} %"

    def type_label(self, kind: str, *, short: bool = False) -> str:
        """A type's name; ``short`` drops the English label's Dutch name in brackets."""
        return type_label(kind, TERMS[self.lang], short=short)

    def outcome(self, status: Outcome | str) -> str:
        """The text of a run outcome in this language."""
        return outcome_label(status, TERMS[self.lang])
