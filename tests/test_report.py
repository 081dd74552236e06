"""report.html: what it says matches the plan, it hides small counts and escapes names."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest
from outputs_helpers import VARIANTS, html_tables
from test_maps import SCRIPT_NAME, make_tiny_plan

from woonplanner.outputs.files import write_run
from woonplanner.outputs.report import (
    changes_table,
    default_assumptions,
    report_html,
    write_report,
)
from woonplanner.outputs.vocabulary import Formatter, format_money, format_number
from woonplanner.plan import Plan
from woonplanner.scenario import Scenario


@pytest.fixture(scope="module")
def plan(small: dict[str, tuple[Path, Plan]]) -> Plan:
    """The small basis run (one gemeente, some children unplaced)."""
    return small["basis"][1]


def cards(text: str) -> dict[str, str]:
    """Headline card values by KPI key."""
    found = re.findall(
        r'data-kpi="(\w+)">.*?<div class="value"[^>]*>(?:<a [^>]*>)?([^<]*)', text, flags=re.S
    )
    return {key: value.replace("&lt;", "<") for key, value in found}


def test_headline_numbers_match_kpis(plan: Plan) -> None:
    text = report_html(plan)
    region = plan.kpis["region"]
    fmt = Formatter(lang="nl", threshold=5)
    assert cards(text) == {
        "demand": fmt.count(region["children_demand"]),
        "placed": fmt.count(region["children_placed"]),
        "unplaced": fmt.count(region["children_unplaced"]),
        "mean_km": fmt.km(region["mean_km"]),
        "p90_km": fmt.km(region["p90_km"]),
        "annual_cost": format_money(region["annual_cost_eur"]),
        "one_off_cost": format_money(region["one_off_cost_eur"]),
        "norm_headline": "gehaald in 1 van 1 gemeenten",
    }
    # The basis run leaves children unplaced: the card says so and links to why.
    assert region["children_unplaced"] > 5
    assert '<a href="#unplaced">' in text


def test_title_status_and_map_link(plan: Plan) -> None:
    text = report_html(plan)
    assert "<title>Plan kleinschalige woonvoorzieningen jeugd — Demo-regio</title>" in text
    assert "Scenario <b>basis</b>" in text
    assert "Status van de berekening: optimaal" in text
    assert '<a class="maplink" href="map.html">' in text


def test_not_proven_optimal_says_so_with_the_gap(plan: Plan) -> None:
    late = dataclasses.replace(plan, kpis={**plan.kpis, "status": "time_limit", "mip_gap": 0.023})
    text = report_html(late)
    assert "niet bewezen optimaal, gap 2,3 % (solverstatus: time_limit)" in text
    assert "not proven optimal, gap 2.3 %" in report_html(late, lang="en")


def test_unplaced_children_of_an_unproven_plan_are_not_called_unplaceable(plan: Plan) -> None:
    """A plan cut short by the time limit (a buurt-level plan at 300 s: gap 100 %) left
    hundreds of children without a place, and the report said they "cannot be placed within
    the scenario's norms": only a proven plan shows that."""
    late = dataclasses.replace(plan, kpis={**plan.kpis, "status": "time_limit", "mip_gap": 1.0})
    for lang, says, not_said in (
        ("nl", "hebben in dit plan geen plek", "kunnen binnen de normen van het scenario geen"),
        ("en", "have no place in this plan", "cannot be placed within the scenario"),
    ):
        text = report_html(late, lang=lang)
        assert says in text
        assert "solver.time_limit_s" in text
        assert not_said not in text
        assert not_said in report_html(plan, lang=lang)
    # What holds a child back is a rule of proven plans, and says so.
    assert "In een bewezen optimaal plan blijft een kind alleen zonder plek" in report_html(late)
    assert "Een kind blijft alleen zonder plek" in report_html(plan)


def test_the_command_line_does_not_call_the_unplaced_of_an_unproven_plan_unplaceable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The run's line said "… cannot be placed within the norms" whatever the status."""
    import woonplanner
    from woonplanner import runner

    solved = runner.solve

    def cut_short(*args, **kwargs):
        return dataclasses.replace(solved(*args, **kwargs), status="time_limit")

    scenario = woonplanner.load_scenario("demo", overrides=VARIANTS["basis"])
    for status_of, says in ((solved, "cannot be placed"), (cut_short, "have no place in this")):
        monkeypatch.setattr(runner, "solve", status_of)
        lines: list[str] = []
        runner.run(scenario, progress=lines.append)
        assert any(says in line for line in lines), lines


def test_every_gemeente_has_a_norm_row() -> None:
    plan = make_tiny_plan()
    rows = next(t for t in html_tables(report_html(plan)).values() if "Vereist" in t[0])
    header, body = rows[0], rows[1:]
    assert header == ["Gemeente", "Inwoners", "Vereist", "In het plan", "Gehaald"]
    assert body == [
        ["Eemdorp GM0001", "21.000", "1", "2", "✓"],
        ["Heuvelrug-Zuid GM0002", "23.000", "1", "0", "✗"],
    ]


def test_norm_rows_of_a_run_include_the_region(plan: Plan) -> None:
    tables = html_tables(report_html(plan))
    norm = next(t for t in tables.values() if t[0][0] == "Gemeente" and "Vereist" in t[0])
    gemeenten = plan.kpis["gemeenten"]
    assert len(norm) == 1 + len(gemeenten) + 1
    for row, g in zip(norm[1:], gemeenten, strict=False):
        assert row[0] == f"{g['name']} {g['code']}"
        assert row[2:] == [
            str(g["required_small_scale_units"]),
            str(g["small_scale_units"]),
            "✓" if g["norm_met"] else "✗",
        ]
    assert norm[-1][0] == "Regio"


def test_changes_table_lists_exactly_the_opened_and_closed_rows() -> None:
    plan = make_tiny_plan()
    rows = html_tables(report_html(plan))["changes-table"]
    body, total = rows[1:-1], rows[-1]
    fac = plan.facilities
    expected = fac[(fac["opened_units"] > 0) | (fac["closed_units"] > 0)]
    got = {(r[0].split()[-1], r[2], r[3], r[4], r[5], r[6], r[7]) for r in body}
    assert got == {
        ("BU00010001", "Gezinshuis", "0", "+1", "0", "1", "+1"),
        ("BU00020001", "Woongroep", "1", "0", "−1", "0", "−1"),
    }
    assert len(body) == len(expected)
    assert total[0] == "Totaal"
    assert total[-2] == "0"  # one opened, one closed (the last column is the reason)


def test_changes_table_of_a_run_matches_its_facilities(plan: Plan) -> None:
    fac = plan.facilities
    changed = fac[(fac["opened_units"] > 0) | (fac["closed_units"] > 0)]
    table = changes_table(plan)
    assert len(table) == len(changed) > 0
    assert sorted(zip(table["neighbourhood"], table["type"], strict=True)) == sorted(
        zip(changed["neighbourhood"], changed["type"], strict=True)
    )
    assert (table["change"] == table["opened_units"] - table["closed_units"]).all()
    assert (table["units"] == table["existing_units"] + table["change"]).all()


def test_no_changes_says_so() -> None:
    plan = make_tiny_plan()
    fac = plan.facilities.assign(opened_units=0, closed_units=0)
    text = report_html(dataclasses.replace(plan, facilities=fac))
    assert "Het plan verandert niets aan de huidige voorraad." in text
    assert 'id="changes-table"' not in text


def test_assumptions_list_every_default_and_nothing_else(plan: Plan) -> None:
    text = report_html(plan)
    rows = html_tables(text)["assumptions-table"]
    keys = {r[0] for r in rows[1:] if len(r) == 3 and r[1]}
    # Overridden in the basis run: not an assumption of the report.
    assert "region.gemeenten" not in keys
    assert "name" not in keys
    expected = {a.key for a in default_assumptions(plan.scenario)}
    assert keys == expected
    assert {"demand.rate_per_1000", "norm.inhabitants_per_unit", "budget.annual_eur"} <= keys
    row = next(r for r in rows if r[0] == "demand.rate_per_1000")
    assert row[1] == "12.6"
    assert "Kinderen die uit huis wonen per 1.000 kinderen van 0-17 jaar" in row[2]
    row = next(r for r in rows if r[0] == "demand.reason_shares.orphaned")
    assert "aanname" in row[2]


def test_default_assumptions_cover_every_leaf_of_the_defaults() -> None:
    found = default_assumptions(Scenario())
    keys = [a.key for a in found]
    assert len(keys) == len(set(keys))
    assert "facility_types.woongroep.age_bands" in keys
    assert "name" not in keys
    changed = Scenario.model_validate({"demand": {"rate_per_1000": 8}, "budget": {"annual_eur": 1}})
    left = {a.key for a in default_assumptions(changed)}
    assert left == set(keys) - {"demand.rate_per_1000", "budget.annual_eur"}
    by_key = {a.key: a for a in found}
    assert by_key["reasons.safety_risk.max_km"].is_assumption  # "All distances are assumptions"
    assert not by_key["solver.threads"].is_assumption


def test_names_from_data_are_escaped(plan: Plan) -> None:
    fac = plan.facilities
    site = fac.loc[fac["opened_units"] > 0, "neighbourhood"].iloc[0]
    nb = plan.neighbourhoods.copy()
    nb.loc[nb["code"] == site, "name"] = SCRIPT_NAME
    gem = plan.gemeenten.copy()
    gem["name"] = "<b>Els & Wolde</b>"
    text = report_html(dataclasses.replace(plan, neighbourhoods=nb, gemeenten=gem))
    assert SCRIPT_NAME not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<b>Els & Wolde</b>" not in text
    assert "&lt;b&gt;Els &amp; Wolde&lt;/b&gt;" in text
    # The report runs no script at all.
    assert "<script" not in text


def test_small_counts_per_neighbourhood_read_below_threshold(plan: Plan) -> None:
    rows = html_tables(report_html(plan))
    by_nb = next(t for t in rows.values() if t[0][:2] == ["Wijk", "Gemeente"] and len(t[0]) == 4)
    unplaced = plan.neighbourhoods.set_index("code")["children_unplaced"]
    # Unplaced means: rounds to at least one child (0.22 expected children is none).
    assert len(by_nb) - 1 == int((unplaced >= 0.5).sum())
    for row in by_nb[1:]:
        value = unplaced[row[0].split()[-1]]
        assert row[3] in (("<5",) if value < 4.5 else (str(math.floor(value + 0.5)), "≥5"))
    assert any(row[3] == "<5" for row in by_nb[1:])
    # A higher threshold hides more.
    text = report_html(plan, privacy_threshold=50)
    assert "&lt;50" in text


def test_small_counts_are_escaped_html(plan: Plan) -> None:
    # "<5" would open a tag: the page must say "&lt;5" wherever a small count is shown.
    for lang in ("nl", "en"):
        text = report_html(plan, lang=lang)
        assert "&lt;5" in text
        assert not re.search(r"<(?![a-zA-Z/!])", text)
        assert ">&lt;5</td>" in text


def test_unplaced_children_are_explained_by_reason(plan: Plan) -> None:
    text = report_html(plan)
    assert "kunnen binnen de normen van het scenario geen plek krijgen" in text
    rows = next(t for t in html_tables(text).values() if t[0][0] == "Reden")
    assert rows[0] == ["Reden", "Ondersteuning", "Niet geplaatst", "Regel in het scenario"]
    reasons = {r[0] for r in rows[1:]}
    assert "Ouders kunnen (tijdelijk) niet zorgen" in reasons
    assert any("binnen 5,0 km van school" in r[3] for r in rows[1:])


def test_a_bound_from_the_coarse_instance_is_named(plan: Plan) -> None:
    """A buurt plan measured against the coarse instance's bound says so beside its gap."""
    kpis = {**plan.kpis, "status": "time_limit", "mip_gap": 0.1763, "bound_from": "coarse"}
    text = report_html(dataclasses.replace(plan, kpis=kpis))
    assert "niet bewezen optimaal, gap 17,6 %" in text
    assert "ondergrens van een grovere berekening (per wijk en vorm" in text
    assert "grovere berekening" not in report_html(plan)


def test_the_rule_of_unplaced_children_lists_only_the_forms_that_fit_them(plan: Plan) -> None:
    """A row's rule names the types its reason allows that take its support need: for
    children who need intensive support only the woongroep, whatever their reason allows."""
    from woonplanner.outputs.report import _reason_rule

    scenario = plan.scenario
    assert scenario is not None
    fmt = Formatter(lang="nl", threshold=5, page="report")
    allowed = scenario.reasons.orphaned.types
    assert len(allowed) > 1  # the reason allows more than one form
    intensive = _reason_rule(scenario, "orphaned", "intensive", fmt)
    assert intensive.endswith("passende vormen: Woongroep")
    none = _reason_rule(scenario, "orphaned", "none", fmt)
    assert "Pleeggezin" in none
    assert "Woongroep" not in none


def test_all_placed_says_so() -> None:
    plan = make_tiny_plan()
    nb = plan.neighbourhoods.assign(children_unplaced=0.0)
    text = report_html(dataclasses.replace(plan, neighbourhoods=nb))
    assert "Alle kinderen hebben een plek binnen de normen van het scenario." in text


def test_english(plan: Plan) -> None:
    text = report_html(plan, lang="en")
    assert '<html lang="en">' in text
    for heading in ("Headline figures", "Unplaced children", "Facilities by type", "Assumptions"):
        assert heading in text
    assert "Kerncijfers" not in text
    inhabitants = plan.kpis["gemeenten"][0]["inhabitants"]
    assert f"{inhabitants:,}" in text
    assert format_money(plan.kpis["region"]["annual_cost_eur"], "en") in text
    with pytest.raises(ValueError, match="lang"):
        report_html(plan, lang="fr")


def test_number_formats() -> None:
    assert format_number(1234567.891, "nl", decimals=1) == "1.234.567,9"
    assert format_number(1234567.891, "en", decimals=1) == "1,234,567.9"
    assert format_number(-0.2) == "0"
    assert format_number(None) == "–"
    assert format_money(14395303.39) == "€ 14.395.303"
    assert format_money(14395303.39, "en") == "€14,395,303"
    fmt = Formatter(lang="nl", threshold=5)
    assert [fmt.count(v) for v in (0, 0.4, 0.5, 4.49, 4.99, 1234.5)] == [
        "0",
        "0",
        "<5",
        "<5",
        "5",
        "1.235",
    ]
    assert fmt.percent(0.023) == "2,3 %"


def test_a_hand_built_plan_without_scenario_still_reports() -> None:
    text = report_html(make_tiny_plan())
    assert "Kerncijfers" in text
    assert "assumptions-table" not in text


def test_write_report_into_a_run_folder(plan: Plan, tmp_path: Path) -> None:
    # The way runner.run adds it: one more writer in the atomic run folder.
    out = write_run(
        tmp_path / "run",
        plan,
        extra_files={"report.html": lambda folder: write_report(plan, folder, lang="en")},
    )
    text = (out / "report.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # Self-contained: no script, stylesheet or image is fetched from anywhere.
    assert not re.search(r"<(script|link|img)\b", text)
    assert "http" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert text == report_html(plan, lang="en")  # no date: the same plan, the same page


def test_one_unit_is_singular():
    """'1 eenheden erbij' read wrong in the changes summary."""
    from woonplanner.outputs.report import _plural

    nl, en = Formatter(lang="nl", threshold=5), Formatter(lang="en", threshold=5)
    assert _plural(nl, "n_units", 1) == "1 eenheid"
    assert _plural(nl, "n_units", 3) == "3 eenheden"
    assert _plural(nl, "n_sites", 1) == "1 buurt"
    assert _plural(en, "n_units", 1) == "1 unit"
    assert _plural(en, "n_sites", 2) == "2 neighbourhoods"


def test_unplaced_spread_thinly_is_explained() -> None:
    # New-user finding (JZ29, 2026-12-03): 1.3 unplaced children over ten wijken read "<5" in
    # the card, and "Naar buurt" was a bare heading.
    plan = make_tiny_plan()
    nb = plan.neighbourhoods
    spread = nb.assign(children_unplaced=0.4, children_placed=nb["children_demand"] - 0.4)
    text = report_html(dataclasses.replace(plan, neighbourhoods=spread))
    assert "Naar buurt" in text
    assert "verspreid over buurten met elk minder dan een half kind" in text
    assert "Alle kinderen hebben een plek" not in text


def test_the_report_names_the_level_of_the_plan(plan: Plan) -> None:
    """The demo plans wijken (as CBS jeugdregio runs do by default): not "per buurt"."""
    dutch = report_html(plan)
    assert "(per wijk, gemeente of vorm)" in dutch
    assert "per buurt" not in dutch
    english = report_html(plan, lang="en")
    assert "(per wijk, gemeente or type)" in english
    assert "(per buurt" in report_html(make_tiny_plan())  # BU codes, no scenario


def test_assumption_notes_speak_the_page_language_without_internal_references(
    plan: Plan,
) -> None:
    """The Dutch report gave the notes in English and cited "SPEC §1" to the council."""
    dutch = html_tables(report_html(plan))["assumptions-table"][1:]  # below the header
    english = html_tables(report_html(plan, lang="en"))["assumptions-table"][1:]
    assert [r[0] for r in dutch] == [r[0] for r in english]  # the same settings, in order
    nl = {r[0]: r[-1] for r in dutch}
    en = {r[0]: r[-1] for r in english}
    assert nl["facility_types.pleeggezin"] == (
        "Pleeggezin: kinderen zonder extra ondersteuning; gemiddeld 1,3 kinderen."
    )
    assert en["facility_types.pleeggezin"] == (
        "Foster family: children without extra support; 1.3 children on average."
    )
    assert en["continuity"] == (
        "What happens to children already placed (no chain of re-placements)."
    )
    assert nl["facility_types.woongroep.annual_cost_per_place"].startswith(
        "Jaarlijkse kosten per bezette plaats"
    )
    for notes in (nl, en):
        assert not any("SPEC" in note for note in notes.values())
    # No English schema text left on the Dutch page: every note differs from the English one
    # (the bare "Assumption." notes read "Aanname.").
    same = [key for key in nl if nl[key] == en[key]]
    assert same == []


def test_every_setting_and_section_has_a_dutch_note() -> None:
    """A new scenario setting needs its note in vocabulary.SCENARIO_NOTES_NL, or the Dutch
    report falls back to the schema's English."""
    from woonplanner.outputs.vocabulary import SCENARIO_NOTES_NL, scenario_note

    missing = []
    for item in default_assumptions(Scenario()):
        for key, english in (
            (item.key, item.description),
            (item.section, item.section_description),
        ):
            if english and scenario_note(key, english, "nl") == scenario_note(key, english, "en"):
                missing.append(key)
    assert sorted(set(missing)) == []
    parts = {key.split(".")[0] for key in SCENARIO_NOTES_NL}
    assert parts <= {a.key.split(".")[0] for a in default_assumptions(Scenario())}
