"""Scenario files: defaults, extends, --set overrides and every kind of error message."""

from __future__ import annotations

from pathlib import Path

import pytest

from woonplanner.errors import ScenarioError
from woonplanner.scenario import Scenario, load_scenario

REPO = Path(__file__).resolve().parents[1]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_demo_toml_spells_out_the_defaults():
    assert load_scenario(REPO / "scenarios" / "demo.toml") == Scenario()
    assert load_scenario(None) == Scenario()


def test_resolved_scenario_round_trips(tmp_path):
    scenario = load_scenario(None, overrides=["budget.annual_eur=5e6"])
    again = load_scenario(write(tmp_path / "resolved.toml", scenario.to_toml()))
    assert again == scenario


def test_extends_by_name_and_by_relative_path(tmp_path):
    base = write(
        tmp_path / "base.toml", 'extends = "demo"\nname = "base"\n[demand]\nrate_per_1000 = 8\n'
    )
    (tmp_path / "variants").mkdir()
    child = write(
        tmp_path / "variants" / "wide.toml",
        'extends = "../base.toml"\nname = "wide"\n[reasons.safety_risk]\nmax_km = 25\n',
    )
    s = load_scenario(child)
    assert s.name == "wide"
    assert s.demand.rate_per_1000 == 8
    assert s.reasons.safety_risk.max_km == 25
    assert s.reasons.safety_risk.min_km == 3  # inherited from the demo defaults
    assert load_scenario(base).reasons.safety_risk.max_km == 15


def test_set_reads_toml_values_and_bare_words():
    s = load_scenario(
        None,
        overrides=[
            "demand.rate_per_1000=8",
            'region.gemeenten=["GM9901"]',
            "norm.mode=soft",
            "objective.mode=lexicographic",
        ],
    )
    assert s.demand.rate_per_1000 == 8.0
    assert s.region.gemeenten == ["GM9901"]
    assert s.norm.mode == "soft"
    assert s.objective.mode == "lexicographic"


def test_paths_resolve_against_the_file_that_sets_them(tmp_path):
    (tmp_path / "sub").mkdir()
    s = load_scenario(write(tmp_path / "sub" / "s.toml", '[stock]\nfile = "stock.csv"\n'))
    assert s.stock.file == str((tmp_path / "sub" / "stock.csv").resolve())


def test_every_problem_is_listed_with_file_and_key(tmp_path):
    bad = write(
        tmp_path / "bad.toml",
        """
name = "bad"
colour = "red"
[demand]
rate_per_1000 = -3
reason_shares = {parents_cannot_cope = 0.5, orphaned = 0.1, safety_risk = 0.1}
[reasons.safety_risk]
min_km = 20
max_km = 10
[facility_types.gezinshuis]
places = 8
""",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(bad, overrides=["solver.mip_gap=abc", "norm.typo=1"])
    text = str(err.value)
    assert f"{bad}: colour: unknown key" in text
    assert f"{bad}: demand.rate_per_1000: Input should be greater than or equal to 0" in text
    assert "shares must sum to 1, got 0.7" in text
    assert "min_km (20) is above max_km (10)" in text
    assert f"{bad}: facility_types.gezinshuis.places: must be at most 6" in text
    assert "--set: norm.typo: unknown key" in text
    assert "--set: solver.mip_gap:" in text
    assert "7 problems" in text


def test_every_bad_facility_type_is_listed_and_named_by_the_set_that_made_it():
    """``scenarios/demo.toml`` writes out every facility type; the overrides broke them."""
    with pytest.raises(ScenarioError) as err:
        load_scenario(
            "demo",
            overrides=["facility_types.gezinshuis.places=10", "facility_types.woongroep.places=9"],
        )
    text = str(err.value)
    assert "2 problems" in text
    assert (
        "--set: facility_types.gezinshuis.places: must be at most 6 (small-scale), got 10" in text
    )
    assert "--set: facility_types.woongroep.places: must be at most 6 (small-scale), got 9" in text
    assert "demo.toml" not in text


def test_a_section_error_caused_by_a_set_names_the_set(tmp_path):
    """A section-level error has no key of its own: it goes to whoever changed the section last,
    here the override of a section the file writes out in full."""
    with pytest.raises(ScenarioError) as err:
        load_scenario("demo", overrides=["reasons.safety_risk.max_km=2"])
    assert "--set: reasons.safety_risk: Value error, min_km (3) is above max_km (2)" in str(
        err.value
    )
    base = write(tmp_path / "base.toml", "[reasons.safety_risk]\nmin_km = 3\nmax_km = 15\n")
    child = write(
        tmp_path / "child.toml", 'extends = "base.toml"\n[reasons.safety_risk]\nmax_km = 2\n'
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(child)
    assert f"{child}: reasons.safety_risk: Value error" in str(err.value)
    assert f"{base}:" not in str(err.value)


def test_unknown_key_in_extended_file_names_that_file(tmp_path):
    base = write(tmp_path / "base.toml", "[norm]\nlevle = 'region'\n")
    child = write(tmp_path / "child.toml", 'extends = "base.toml"\nname = "child"\n')
    with pytest.raises(ScenarioError, match=f"{base}: norm.levle: unknown key"):
        load_scenario(child)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = ", "not valid TOML"),
        ('extends = "nowhere.toml"', "scenario file not found: nowhere.toml"),
        ("extends = 3", "extends: must be a file name"),
    ],
)
def test_file_level_errors(tmp_path, text, message):
    with pytest.raises(ScenarioError, match=message):
        load_scenario(write(tmp_path / "s.toml", text))


def test_extends_cycle_is_reported(tmp_path):
    write(tmp_path / "a.toml", 'extends = "b.toml"')
    write(tmp_path / "b.toml", 'extends = "a.toml"')
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "a.toml")


def test_set_without_equals_sign():
    with pytest.raises(ScenarioError, match="expected KEY=VALUE"):
        load_scenario(None, overrides=["demand.rate_per_1000"])


def test_a_typo_gets_the_nearest_key():
    with pytest.raises(ScenarioError) as err:
        load_scenario(None, overrides=["region.jeugregio=JZ15", "foo.bar=1"])
    assert "region.jeugregio: unknown key (did you mean region.jeugdregio?)" in str(err.value)
    assert "foo: unknown key\n" in f"{err.value}\n"  # nothing near: no guess


def test_a_missing_scenario_lists_the_shipped_ones():
    with pytest.raises(ScenarioError, match=r"scenarios shipped in .*: .*demo, .*jeugdregio"):
        load_scenario("no-such-scenario.toml")


def test_an_option_is_named_as_typed():
    """``--time-limit -1`` is reported as ``--time-limit``, not as a ``--set`` the user never
    typed."""
    with pytest.raises(ScenarioError) as err:
        load_scenario(None, flags=[("--time-limit", "solver.time_limit_s", -1.0)])
    assert "--time-limit: solver.time_limit_s: Input should be greater than 0" in str(err.value)
    assert "--set" not in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"overrides": ["region.jeugdregio=JZ15"]}, "--set: region.jeugdregio = 'JZ15', but"),
        ({"data_dir": "/data/nl"}, "--data-dir: data.dir is set, but the built-in demo"),
        ({"overrides": ['data.schools="s.geojson"']}, "--set: data.schools is set, but"),
        ({"overrides": ["region.level=buurt"]}, "--set: region.level = 'buurt', but the built-in"),
    ],
)
def test_cbs_settings_on_the_demo_region_are_refused(kwargs, message):
    """Without a scenario argument ``run`` plans the demo; a region or data folder given with it
    must not be ignored (the demo's fictional gemeenten would be planned under JZ15's name)."""
    with pytest.raises(ScenarioError, match=r"scenarios/jeugdregio\.toml") as err:
        load_scenario(None, **kwargs)
    assert message in str(err.value)


def test_cbs_settings_are_fine_on_a_cbs_scenario():
    scenario = load_scenario(
        REPO / "scenarios" / "jeugdregio.toml",
        overrides=["region.jeugdregio=JZ15"],
        data_dir="/data/nl",
    )
    assert scenario.region.jeugdregio == "JZ15"


def test_the_files_read_are_kept_for_the_manifest(tmp_path):
    base = write(tmp_path / "base.toml", "[norm]\nmode = 'soft'\n")
    child = write(tmp_path / "child.toml", 'extends = "base.toml"\nname = "child"\n')
    assert load_scenario(child).source_files == (child.resolve(), base.resolve())
    assert load_scenario(None).source_files == ()


def test_a_loaded_scenario_can_be_loaded_again_with_overrides() -> None:
    # woonplanner.sweep.sweep(<Scenario>, ...) goes through here (issue 17): no TypeError.
    from woonplanner.scenario import load_scenario

    base = load_scenario("demo", overrides=["demand.rate_per_1000=7"])
    again = load_scenario(base, overrides=["solver.time_limit_s=12"])
    assert again.demand.rate_per_1000 == 7
    assert again.solver.time_limit_s == 12
    assert again.source_files == base.source_files
    assert load_scenario(base) == base


def test_sweep_takes_a_scenario_object() -> None:
    from woonplanner.scenario import load_scenario
    from woonplanner.sweep import sweep

    table = sweep(load_scenario("demo"), "budget.annual_eur", ["1"])
    assert list(table["value"]) == ["1"]


def test_the_budget_cap_scenario_caps_just_below_the_base_plan(demo_plan) -> None:
    """``scenarios/budget-cap.toml`` shows a cap that binds: at most 1 % below what the base plan
    (the demo's) costs as the budget row counts it, annual plus one-off (docs/model.md), so the
    plan economises a little instead of leaving children unplaced. Its description says the cap."""
    base = load_scenario(REPO / "scenarios" / "base.toml")
    cap = load_scenario(REPO / "scenarios" / "budget-cap.toml")
    plain = {"name", "description"}
    assert base.model_dump(exclude=plain) == Scenario().model_dump(exclude=plain)
    assert cap.model_dump(exclude=plain | {"budget"}) == base.model_dump(exclude=plain | {"budget"})
    region = demo_plan.kpis["region"]
    spent = region["annual_cost_eur"] + region["one_off_cost_eur"]
    budget = cap.budget.annual_eur
    assert budget is not None
    assert 0.99 * spent < budget < spent
    assert f"€ {budget:,.0f}".replace(",", ".") in cap.description
