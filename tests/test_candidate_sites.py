"""Candidate sites from a user list (``sites.file``) instead of every neighbourhood × type."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import NL, REPO

import woonplanner
from woonplanner.errors import InputDataError
from woonplanner.region import load_region
from woonplanner.youthcare import build_options

# Elsterwolde (GM9904): 6 wijken, foster families in four of them, no gezinshuis, no woongroep.
REGION = 'region.gemeenten=["GM9904"]'
ALLOWED = ("WK990402", "WK990403")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def scenario(*overrides: str) -> woonplanner.Scenario:
    return woonplanner.load_scenario("demo", overrides=[REGION, *overrides])


@pytest.fixture
def gezinshuis_sites(tmp_path: Path) -> Path:
    return write(
        tmp_path / "sites.csv",
        "neighbourhood,type,max_units\n" + "".join(f"{c},gezinshuis,2\n" for c in ALLOWED),
    )


def options_of(s: woonplanner.Scenario, stock: pd.DataFrame | None = None) -> pd.DataFrame:
    region = load_region(s)
    return build_options(
        s,
        region.neighbourhoods,
        region.stock if stock is None else stock,
        candidates=region.candidates,
    )


def test_a_listed_type_is_only_where_listed_and_other_types_keep_their_limits(gezinshuis_sites):
    default = options_of(scenario())
    listed = options_of(scenario(f'sites.file="{gezinshuis_sites}"'))
    huis = listed[listed["type"] == "gezinshuis"]
    assert list(huis["site"]) == list(ALLOWED)
    assert list(huis["max_units"]) == [2, 2]
    others = ["site", "type", "existing", "max_units"]
    pd.testing.assert_frame_equal(
        listed.loc[listed["type"] != "gezinshuis", others].reset_index(drop=True),
        default.loc[default["type"] != "gezinshuis", others].reset_index(drop=True),
    )


def test_stock_outside_the_list_can_be_kept_or_closed_only(gezinshuis_sites):
    s = scenario(f'sites.file="{gezinshuis_sites}"')
    stock = pd.DataFrame(
        {"neighbourhood": ["WK990401", "WK990402"], "type": "gezinshuis", "units": [1, 3]}
    )
    huis = options_of(s, stock).query("type == 'gezinshuis'").set_index("site")
    assert huis.loc["WK990401", ["existing", "max_units"]].tolist() == [1, 1]
    # A listed site below its stock keeps the stock as its limit: the list never forces a close.
    assert huis.loc["WK990402", ["existing", "max_units"]].tolist() == [3, 3]
    assert huis.loc["WK990403", ["existing", "max_units"]].tolist() == [0, 2]


def gezinshuis_wijken(plan: woonplanner.Plan) -> set[str]:
    fac = plan.facilities
    return set(fac.loc[(fac["type"] == "gezinshuis") & (fac["units"] > 0), "neighbourhood"])


def test_the_plan_opens_gezinshuizen_only_in_the_listed_wijken(gezinshuis_sites, tmp_path):
    # Without the list the plan also places one outside the two wijken (WK990405).
    assert gezinshuis_wijken(woonplanner.run(scenario())) - set(ALLOWED)
    plan = woonplanner.run(scenario(f'sites.file="{gezinshuis_sites}"'), out=tmp_path / "run")
    fac = plan.facilities
    huis = fac[(fac["type"] == "gezinshuis") & (fac["units"] > 0)]
    assert not huis.empty  # the norm asks Elsterwolde for one small-scale unit
    assert set(huis["neighbourhood"]) <= set(ALLOWED)
    assert (huis.groupby("neighbourhood")["units"].sum() <= 2).all()
    manifest = (tmp_path / "run" / "manifest.json").read_text(encoding="utf-8")
    assert gezinshuis_sites.name in manifest


def test_no_file_leaves_the_options_unchanged(tmp_path):
    s = scenario()
    region = load_region(s)
    assert region.candidates is None
    pd.testing.assert_frame_equal(
        build_options(s, region.neighbourhoods, region.stock),
        build_options(s, region.neighbourhoods, region.stock, candidates=None),
    )
    # Every wijk may host a gezinshuis by default.
    huis = options_of(s).query("type == 'gezinshuis'")
    assert len(huis) == len(region.neighbourhoods)


def test_a_header_only_file_changes_nothing(tmp_path):
    empty = write(tmp_path / "sites.csv", "neighbourhood,type,max_units\n")
    pd.testing.assert_frame_equal(
        options_of(scenario(f'sites.file="{empty}"')), options_of(scenario())
    )


def test_the_key_resolves_relative_to_the_scenario_file(tmp_path, gezinshuis_sites):
    toml = write(tmp_path / "s.toml", '[sites]\nfile = "sites.csv"\n')
    assert woonplanner.load_scenario(toml).sites.file == str(gezinshuis_sites.resolve())


def test_every_problem_is_listed_with_file_and_rows(tmp_path):
    path = write(
        tmp_path / "sites.csv",
        "neighbourhood,type,max_units\n"
        "WK990401,gezinshuis,1\n"
        "WK000000,gezinshuis,1\n"  # line 3: not in the region
        "WK990402,kasteel,1\n"  # line 4: unknown type
        "WK990403,woongroep,-1\n"  # line 5: negative
        "WK990404,woongroep,1.5\n"  # line 6: not whole
        "WK990405,woongroep,\n"  # line 7: missing
        "WK990401,gezinshuis,2\n",  # line 8: duplicate of line 2
    )
    with pytest.raises(InputDataError) as err:
        load_region(scenario(f'sites.file="{path}"'))
    text = str(err.value)
    assert "4 problems" in text
    assert f"{path}: neighbourhood: unknown codes 'WK000000' (row 3)" in text
    assert f"{path}: type: unknown types 'kasteel' (row 4)" in text
    assert f"{path}: max_units: must be whole numbers ≥ 0 (rows 5, 6, 7)" in text
    assert f"{path}: neighbourhood, type: the same pair on more than one row (rows 2, 8)" in text


def test_a_misspelt_type_gets_a_did_you_mean(tmp_path):
    path = write(tmp_path / "sites.csv", "neighbourhood,type,max_units\nWK990401,gezinhuis,1\n")
    with pytest.raises(InputDataError) as err:
        load_region(scenario(f'sites.file="{path}"'))
    assert "unknown types 'gezinhuis' (did you mean 'gezinshuis'?) (row 2)" in str(err.value)


def test_a_wijk_of_another_gemeente_is_unknown_to_a_smaller_region(tmp_path):
    path = write(tmp_path / "sites.csv", "neighbourhood,type,max_units\nWK990101,gezinshuis,1\n")
    with pytest.raises(InputDataError, match=r"unknown codes 'WK990101' \(row 2\)"):
        load_region(scenario(f'sites.file="{path}"'))


def test_missing_columns_and_missing_file(tmp_path):
    path = write(tmp_path / "sites.csv", "neighbourhood,type,units\nWK990401,gezinshuis,1\n")
    with pytest.raises(InputDataError, match=r"missing columns \['max_units'\]"):
        load_region(scenario(f'sites.file="{path}"'))
    with pytest.raises(InputDataError, match="cannot read the candidate-site table"):
        load_region(scenario(f'sites.file="{tmp_path / "nope.csv"}"'))


@pytest.mark.skipif(not (NL / "wijken_2024_geoinzicht.geojson").is_file(), reason=f"{NL} not found")
def test_a_cbs_region_takes_the_list_too(tmp_path):
    path = write(tmp_path / "sites.csv", "neighbourhood,type,max_units\nWK036101,woongroep,1\n")
    s = woonplanner.load_scenario(
        REPO / "scenarios" / "jeugdregio.toml",
        overrides=['region.gemeenten=["GM0361"]', f'sites.file="{path}"'],
        data_dir=NL,
    )
    region = load_region(s)
    options = build_options(s, region.neighbourhoods, region.stock, candidates=region.candidates)
    groep = options[options["type"] == "woongroep"]
    assert groep[["site", "max_units"]].values.tolist() == [["WK036101", 1]]
    assert (options["type"] == "gezinshuis").sum() == len(region.neighbourhoods)
