"""CBS Wijk- en Buurtkaart adapter: hand-made PDOK files, and the real national file.

The national tests read ``../shared/data/nl`` (or ``$WOONPLANNER_SHARED_DATA/nl``) and are
skipped with a reason when it is absent; the hand-made files are built in ``tmp_path`` and
always run.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import NL
from shapely.geometry import box, mapping

from woonplanner.data import cbs
from woonplanner.errors import InputDataError, ScenarioError
from woonplanner.schema import CRS, NEIGHBOURHOOD_COLUMNS

needs_shared_data = [
    pytest.mark.shared_data,
    pytest.mark.skipif(
        not NL.is_dir(), reason="../shared/data not found; set WOONPLANNER_SHARED_DATA"
    ),
]

WIJKEN = NL / "wijken_2024_geoinzicht.geojson"
MEMBERSHIP = NL / "gemeente_jeugdregio_2024_derived.csv"
POLYGONS = NL / "jeugdregio_2024_cartomap_wgs84.geojson"
YOUTH_CARE = NL / "gemeenten_kwb2021_flat_derived.csv"
FLAT = NL / "wijken_2024_flat_with_jeugdregio.csv"


# --------------------------------------------------------------------------------------------
# hand-made files with PDOK's attribute names
# --------------------------------------------------------------------------------------------


def _square(i: int) -> dict:
    """A 1 km square in WGS84 near Alkmaar, the i-th along a row."""
    lon, lat = 4.70 + 0.02 * i, 52.60
    return mapping(box(lon, lat, lon + 0.014, lat + 0.009))


def _pdok_buurten() -> list[dict]:
    """Four buurten of two made-up gemeenten, as PDOK's OGC API / GeoPackage names them."""
    rows = [
        # buurtcode, gemeente, inhabitants, households, size, pct 0-14, pct 15-24, water
        ("BU90010001", "GM9001", 1000, 400, 2.5, 15, 10, "NEE"),
        ("BU90010002", "GM9001", 3000, 1200, 2.5, 20, 10, "NEE"),
        # suppressed percentages (-99995 geheim) and households (-99997 onbekend)
        ("BU90010003", "GM9001", 500, -99997, 2.0, -99995, -99995, "NEE"),
        ("BU90020001", "GM9002", 2000, 1000, 2.0, 30, 20, "NEE"),
        # water without inhabitants: dropped
        ("BU90029900", "GM9002", -99997, -99997, -99997, -99997, -99997, "JA"),
    ]
    features = []
    for i, (code, gemeente, inh, hh, size, p0, p15, water) in enumerate(rows):
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "buurtcode": code,
                    "buurtnaam": f"Buurt {code[-4:]}",
                    "wijkcode": "WK" + code[2:8],
                    "gemeentecode": gemeente,
                    "gemeentenaam": {"GM9001": "Eerstedorp", "GM9002": "Tweedestad"}[gemeente],
                    "water": water,
                    "aantal_inwoners": inh,
                    "aantal_huishoudens": hh,
                    "gemiddelde_huishoudsgrootte": size,
                    "percentage_personen_0_tot_15_jaar": p0,
                    "percentage_personen_15_tot_25_jaar": p15,
                },
                "geometry": _square(i),
            }
        )
    return features


def _write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


@pytest.fixture
def pdok_folder(tmp_path: Path) -> Path:
    """A data folder with a PDOK-style buurten file and a two-line membership table."""
    _write_geojson(tmp_path / "buurten_pdok.geojson", _pdok_buurten())
    (tmp_path / "gemeente_jeugdregio_test.csv").write_text(
        "gemeentecode,gemeentenaam,jeugdregiocode,jeugdregionaam\n"
        "GM9001,Eerstedorp,JZ90,Testregio\n"
        "GM9002,Tweedestad,JZ91,Andere regio\n"
    )
    return tmp_path


def test_pdok_attribute_names_and_sentinels(pdok_folder: Path) -> None:
    gdf = cbs.load_neighbourhoods(pdok_folder / "buurten_pdok.geojson")

    assert list(gdf.columns) == [*NEIGHBOURHOOD_COLUMNS, "geometry"]
    assert gdf.crs == CRS
    assert gdf["code"].tolist() == ["BU90010001", "BU90010002", "BU90010003", "BU90020001"]
    assert gdf["jeugdregio"].tolist() == ["JZ90", "JZ90", "JZ90", "JZ91"]
    row = gdf.set_index("code")

    # BU90010001: 1000 inhabitants, 15 % aged 0-14 (150), 10 % aged 15-24 (100)
    assert row.loc["BU90010001", "children_0_3"] == pytest.approx(150 * 4 / 15)
    assert row.loc["BU90010001", "children_4_11"] == pytest.approx(150 * 8 / 15)
    assert row.loc["BU90010001", "children_12_17"] == pytest.approx(150 * 3 / 15 + 100 * 3 / 10)

    # BU90010003: -99995 percentages take the gemeente's population-weighted values:
    # 0-14: (1000·15 + 3000·20) / 4000 = 18.75 %, 15-24: 10 %
    assert row.loc["BU90010003", "children_0_3"] == pytest.approx(500 * 0.1875 * 4 / 15)
    assert row.loc["BU90010003", "children_12_17"] == pytest.approx(
        500 * 0.1875 * 3 / 15 + 500 * 0.10 * 3 / 10
    )
    # -99997 households: inhabitants / the buurt's own average household size (2.0)
    assert row.loc["BU90010003", "households"] == 250
    assert row.loc["BU90010003", "inhabitants"] == 500


def test_pdok_buurten_from_a_folder_with_level(pdok_folder: Path) -> None:
    gdf = cbs.load_neighbourhoods(pdok_folder, level="buurt", jeugdregio="JZ91")
    assert gdf["code"].tolist() == ["BU90020001"]
    assert gdf["households"].dtype == "int64"


def test_suppressed_values_are_reported_once(
    pdok_folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="woonplanner.data.cbs"):
        cbs.load_neighbourhoods(pdok_folder / "buurten_pdok.geojson")
    messages = [r.getMessage() for r in caplog.records]
    assert any("suppressed for 1 neighbourhood(s)" in m for m in messages), messages
    assert any("households missing for 1 neighbourhood(s)" in m for m in messages), messages
    assert len(messages) == 2  # a count, not a line per row


def test_wfs_camel_case_names(tmp_path: Path) -> None:
    camel = {
        "aantal_inwoners": "aantalInwoners",
        "aantal_huishoudens": "aantalHuishoudens",
        "gemiddelde_huishoudsgrootte": "gemiddeldeHuishoudsgrootte",
        "percentage_personen_0_tot_15_jaar": "percentagePersonen0Tot15Jaar",
        "percentage_personen_15_tot_25_jaar": "percentagePersonen15Tot25Jaar",
    }
    features = _pdok_buurten()
    for feature in features:
        props = feature["properties"]
        feature["properties"] = {camel.get(k, k): v for k, v in props.items()}
    path = _write_geojson(tmp_path / "buurten_wfs.geojson", features)
    membership = tmp_path / "m.csv"
    membership.write_text("gemeentecode,jeugdregiocode\nGM9001,JZ90\nGM9002,JZ91\n")

    gdf = cbs.load_neighbourhoods(path, gemeenten=["Eerstedorp"], membership=membership)

    assert gdf["code"].tolist() == ["BU90010001", "BU90010002", "BU90010003"]
    assert gdf["inhabitants"].sum() == 4500


def test_geopackage_with_wijken_and_buurten_layers(tmp_path: Path) -> None:
    buurten = gpd.GeoDataFrame.from_features(_pdok_buurten(), crs="EPSG:4326").to_crs(CRS)
    wijken = buurten.dissolve("wijkcode", aggfunc="first").reset_index()
    wijken = wijken.drop(columns=["buurtcode", "buurtnaam"]).assign(wijknaam="Wijk")
    path = tmp_path / "wijkenbuurten_2024_v1.gpkg"
    buurten.to_file(path, layer="buurten", driver="GPKG")
    wijken.to_file(path, layer="wijken", driver="GPKG")
    membership = tmp_path / "gemeente_jeugdregio.csv"
    membership.write_text("gemeentecode,jeugdregiocode\nGM9001,JZ90\nGM9002,JZ91\n")

    as_wijken = cbs.load_neighbourhoods(path)
    as_buurten = cbs.load_neighbourhoods(path, level="buurt")

    # the water wijk WK900299 has no inhabitants and is dropped
    assert as_wijken["code"].tolist() == ["WK900100", "WK900200"]
    assert as_buurten["code"].str.startswith("BU").all()
    assert len(as_buurten) == 4


def test_missing_columns_are_listed_together(tmp_path: Path) -> None:
    features = _pdok_buurten()
    for feature in features:
        del feature["properties"]["percentage_personen_0_tot_15_jaar"]
        del feature["properties"]["aantal_inwoners"]
    path = _write_geojson(tmp_path / "buurten.geojson", features)

    with pytest.raises(InputDataError) as err:
        cbs.load_neighbourhoods(path, membership=tmp_path / "unused.csv")

    message = str(err.value)
    assert "2 problems" in message
    assert str(path) in message
    assert "'inhabitants' missing" in message
    assert "'aantal_inwoners' or 'aantalInwoners'" in message
    assert "'pct_0_15' missing" in message


def test_duplicate_codes_and_bad_gemeente_codes(tmp_path: Path) -> None:
    features = _pdok_buurten()
    features[1]["properties"]["buurtcode"] = features[0]["properties"]["buurtcode"]
    features[2]["properties"]["gemeentecode"] = "0361"
    path = _write_geojson(tmp_path / "buurten.geojson", features)

    with pytest.raises(InputDataError) as err:
        cbs.load_neighbourhoods(path)

    message = str(err.value)
    assert "must be unique; duplicated: BU90010001" in message
    assert "codes like GM0361; got '0361'" in message


def test_no_membership_says_what_to_give(tmp_path: Path) -> None:
    path = _write_geojson(tmp_path / "buurten.geojson", _pdok_buurten())
    with pytest.raises(InputDataError, match="no jeugdregio membership: give membership="):
        cbs.load_neighbourhoods(path)


def test_membership_table_errors(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_text("gemeentecode;jeugdregiocode\nGM0361;JZ06\nGM0361;JZ06\n361;Alkmaar\n")
    with pytest.raises(InputDataError) as err:
        cbs.load_membership(path)
    message = str(err.value)
    assert "3 problems" in message
    assert "not codes like GM0361 (e.g. '361')" in message
    assert "not codes like JZ06 (e.g. 'Alkmaar')" in message
    assert "listed twice: GM0361" in message


def test_gemeente_without_jeugdregio_is_an_error(pdok_folder: Path) -> None:
    partial = pdok_folder / "partial.csv"
    partial.write_text("gemeentecode,jeugdregiocode\nGM9001,JZ90\n")
    with pytest.raises(InputDataError, match=r"no jeugdregio for 1 gemeente\(n\).*GM9002"):
        cbs.load_neighbourhoods(pdok_folder / "buurten_pdok.geojson", membership=partial)


def test_both_selections_is_a_scenario_error(pdok_folder: Path) -> None:
    with pytest.raises(ScenarioError, match="either a jeugdregio or a list of gemeenten"):
        cbs.load_neighbourhoods(pdok_folder, level="buurt", jeugdregio="JZ90", gemeenten=["x"])


def test_cached_result_is_not_shared(pdok_folder: Path) -> None:
    first = cbs.load_neighbourhoods(pdok_folder, level="buurt")
    first.loc[:, "inhabitants"] = 0
    second = cbs.load_neighbourhoods(pdok_folder, level="buurt")
    assert second["inhabitants"].sum() == 6500


def test_changed_file_is_read_again(pdok_folder: Path) -> None:
    path = pdok_folder / "buurten_pdok.geojson"
    assert cbs.load_neighbourhoods(path)["inhabitants"].sum() == 6500
    features = _pdok_buurten()
    features[0]["properties"]["aantal_inwoners"] = 1100
    _write_geojson(path, features)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert cbs.load_neighbourhoods(path)["inhabitants"].sum() == 6600


def test_youth_care_index_hand_made(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "kwb.csv"
    # young people (0-22) = inhabitants × (pct_0_14 + 0.8 × pct_15_24) / 100: 200 and 600
    path.write_text(
        "gemeentecode,gemeentenaam,aantal_inwoners,pct_0_14,pct_15_24,pct_jongeren_met_jeugdzorg\n"
        "GM9001,A,1000,12,10,10\n"
        "GM9002,B,3000,12,10,14\n"
    )
    with caplog.at_level(logging.WARNING, logger="woonplanner.data.cbs"):
        index = cbs.load_youth_care_index(path, gemeenten=["GM9001", "GM9002", "GM9003"])
    # national share = (200·10 + 600·14) / 800 = 13 %
    assert index.set_index("gemeente")["youth_care_index"].to_dict() == pytest.approx(
        {"GM9001": 10 / 13, "GM9002": 14 / 13, "GM9003": 1.0}
    )
    assert index.attrs["gemeenten_without_value"] == ["GM9003"]
    assert "no youth-care value for 1 of 3 gemeente(n)" in caplog.text


# --------------------------------------------------------------------------------------------
# the real national file (../shared/data/nl)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def national() -> gpd.GeoDataFrame:
    """All wijken of 2024 with their jeugdregio (read once; the adapter caches the file)."""
    if not NL.is_dir():
        pytest.skip("../shared/data not found; set WOONPLANNER_SHARED_DATA")
    return cbs.load_neighbourhoods(NL)


@pytest.fixture(scope="module")
def membership_table() -> pd.DataFrame:
    if not NL.is_dir():
        pytest.skip("../shared/data not found; set WOONPLANNER_SHARED_DATA")
    return pd.read_csv(MEMBERSHIP)


class TestNationalFile:
    pytestmark = needs_shared_data

    def test_default_data_files(self) -> None:
        files = cbs.default_data_files(NL)
        assert files["neighbourhoods"] == WIJKEN
        assert files["membership"] == MEMBERSHIP
        assert files["jeugdregio_polygons"] == POLYGONS
        assert files["youth_care_index"] == YOUTH_CARE
        assert files["schools"] is not None
        assert files["schools"].name.startswith("alkmaar_schools")
        assert files["buurten"] is None

    def test_contract(self, national: gpd.GeoDataFrame) -> None:
        assert list(national.columns) == [*NEIGHBOURHOOD_COLUMNS, "geometry"]
        assert national.crs == CRS
        assert national["code"].is_unique
        # Amsterdam's wijkcodes end in letters (WK0363AA)
        assert national["code"].str.match(r"^WK\d{4}[0-9A-Z]{2}$").all()
        assert national["jeugdregio"].str.match(r"^JZ\d{2}$").all()
        assert national["inhabitants"].dtype == "int64"
        assert national["households"].dtype == "int64"
        assert national.geometry.is_valid.all()
        # population of 1 January 2024 per the data README
        assert national["inhabitants"].sum() == 17_942_715

    def test_buitenland_and_groot_water_absent(self, national: gpd.GeoDataFrame) -> None:
        assert "WK099899" not in set(national["code"])
        assert "GM0998" not in set(national["gemeente"])
        assert not (national["name"] == "Groot water").any()
        # wijkcodes ending in 99 with inhabitants are land ("Buitengebied" in Assen)
        assert "WK010699" in set(national["code"])

    def test_all_42_regions_match_membership_totals(
        self, national: gpd.GeoDataFrame, membership_table: pd.DataFrame
    ) -> None:
        expected = membership_table.groupby("jeugdregiocode")["aantal_inwoners_sum_wijken_2024"]
        totals = expected.sum()
        regions = cbs.list_jeugdregios(NL)
        assert len(regions) == 42
        for code in regions["jeugdregio"]:
            region = cbs.load_neighbourhoods(NL, jeugdregio=code)
            assert len(region) > 0, code
            assert (region["jeugdregio"] == code).all()
            assert region["inhabitants"].sum() == pytest.approx(totals[code], rel=0.01), code

    def test_friesland(self) -> None:
        friesland = cbs.load_neighbourhoods(NL, jeugdregio="JZ02")
        # 255 wijken in the file, of which 9 are "Groot water" without inhabitants
        assert len(friesland) == 246
        assert friesland["gemeente"].nunique() == 18

    def test_selection_by_name(self) -> None:
        by_code = cbs.load_neighbourhoods(NL, jeugdregio="JZ06")
        by_name = cbs.load_neighbourhoods(NL, jeugdregio="alkmaar (noord-kennemerland)")
        assert by_code["code"].tolist() == by_name["code"].tolist()

    def test_selection_by_gemeenten(self) -> None:
        gdf = cbs.load_neighbourhoods(NL, gemeenten=["GM0361", "Heiloo"])
        assert set(gdf["gemeente"]) == {"GM0361", "GM0399"}
        assert set(gdf["gemeente_name"]) == {"Alkmaar", "Heiloo"}
        assert (gdf["jeugdregio"] == "JZ06").all()

    def test_unknown_codes_are_listed(self) -> None:
        with pytest.raises(InputDataError) as err:
            cbs.load_neighbourhoods(NL, jeugdregio="JZ40")
        assert "unknown jeugdregio 'JZ40'" in str(err.value)
        assert "valid codes: JZ01, JZ02" in str(err.value)
        assert "JZ43" in str(err.value)

        with pytest.raises(InputDataError) as err:
            cbs.load_neighbourhoods(NL, gemeenten=["GM9999", "Alkmar", "GM0361"])
        message = str(err.value)
        assert "2 problems" in message
        assert "unknown gemeente 'GM9999'" in message
        assert "unknown gemeente 'Alkmar'" in message
        assert "did you mean GM0361 (Alkmaar)?" in message

    def test_estimates_are_consistent(self, national: gpd.GeoDataFrame) -> None:
        children = national[["children_0_3", "children_4_11", "children_12_17"]]
        assert (children >= 0).all().all()
        assert (children.sum(axis=1) <= national["inhabitants"] + 1e-9).all()
        # 0-3 and 4-11 are 4 and 8 single years of the uniform 0-14 band
        assert (national["children_4_11"] - 2 * national["children_0_3"]).abs().max() < 1e-9

        # the 0-17 total equals the pct-based estimate of the flat table: 0-14 + 3/10 × 15-24
        flat = pd.read_csv(FLAT, usecols=["wijkcode", "est_n_0_14", "est_n_15_24"])
        both = national.merge(flat, left_on="code", right_on="wijkcode").dropna()
        assert len(both) > 3200
        total = both[["children_0_3", "children_4_11", "children_12_17"]].sum(axis=1)
        estimate = both["est_n_0_14"] + 0.3 * both["est_n_15_24"]
        assert (total - estimate).abs().max() < 1.0  # the table rounds to whole persons
        assert total.sum() == pytest.approx(estimate.sum(), rel=1e-4)

    def test_suppressed_percentage_takes_gemeente_value(self, national: gpd.GeoDataFrame) -> None:
        raw = gpd.read_file(WIJKEN, columns=["wijkcode", "gemeentecode", "aantal_inwoners", "0_15"])
        almere = raw[(raw["gemeentecode"] == "GM0034") & raw["0_15"].notna()]
        pct = (almere["aantal_inwoners"] * almere["0_15"]).sum() / almere["aantal_inwoners"].sum()
        assert pd.isna(raw.set_index("wijkcode").loc["WK003434", "0_15"])  # Randstad, 15 inh.
        row = national.set_index("code").loc["WK003434"]
        assert row["children_0_3"] == pytest.approx(15 * pct / 100 * 4 / 15)

    def test_overlay_membership_matches_table(self, national: gpd.GeoDataFrame) -> None:
        overlay = cbs.overlay_membership(national, POLYGONS)
        table = cbs.load_membership(MEMBERSHIP)
        both = table.merge(overlay, on="gemeente", suffixes=("_table", "_overlay"))
        assert len(both) == len(table) == 342
        agree = (both["jeugdregio_table"] == both["jeugdregio_overlay"]).mean()
        assert agree >= 0.99

    def test_overlay_as_loader_option(self) -> None:
        by_table = cbs.load_neighbourhoods(WIJKEN, jeugdregio="JZ43", membership=MEMBERSHIP)
        by_overlay = cbs.load_neighbourhoods(
            WIJKEN, jeugdregio="JZ43", jeugdregio_polygons=POLYGONS
        )
        assert by_table["code"].tolist() == by_overlay["code"].tolist()

    def test_list_jeugdregios_from_each_source(self) -> None:
        from_table = cbs.list_jeugdregios(MEMBERSHIP)
        from_polygons = cbs.list_jeugdregios(POLYGONS)
        assert list(from_table.columns) == ["jeugdregio", "jeugdregio_name"]
        assert from_table["jeugdregio"].tolist() == from_polygons["jeugdregio"].tolist()
        assert len(from_table) == 42
        assert "JZ40" not in set(from_table["jeugdregio"])
        names = from_table.set_index("jeugdregio")["jeugdregio_name"]
        assert names["JZ15"] == "Haarlemmermeer"

    def test_youth_care_index(self, national: gpd.GeoDataFrame) -> None:
        gemeenten = sorted(national["gemeente"].unique())
        index = cbs.load_youth_care_index(YOUTH_CARE, gemeenten=gemeenten)
        assert index["gemeente"].tolist() == gemeenten
        assert index["youth_care_index"].between(0.3, 3.0).all()
        # 2024 codes of gemeenten formed after 2021 have no 2021 value
        assert index.attrs["gemeenten_without_value"] == ["GM1980", "GM1982", "GM1991", "GM1992"]

        raw = pd.read_csv(YOUTH_CARE)
        full = cbs.load_youth_care_index(YOUTH_CARE).merge(
            raw, left_on="gemeente", right_on="gemeentecode"
        )
        young = full["aantal_inwoners"] * (full["pct_0_14"] + 0.8 * full["pct_15_24"])
        weighted_mean = (full["youth_care_index"] * young).sum() / young.sum()
        assert weighted_mean == pytest.approx(1.0)


def test_the_shared_data_variable_names_the_data_folder(
    pdok_folder: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CBS scenario without --data-dir reads ``$WOONPLANNER_SHARED_DATA/nl`` (the shared
    folder's layout); before, only the tests read the variable and ``run`` said it needed
    --data-dir."""
    from woonplanner.region import load_region
    from woonplanner.scenario import load_scenario

    shared = tmp_path_factory.mktemp("shared")
    (shared / "nl").symlink_to(pdok_folder, target_is_directory=True)
    scenario = load_scenario(
        overrides=[
            "region.source=cbs",
            "region.level=buurt",
            "region.jeugdregio=JZ91",
            "demand.youth_care_index=false",
        ]
    )
    monkeypatch.delenv("WOONPLANNER_SHARED_DATA", raising=False)
    with pytest.raises(InputDataError, match="or set WOONPLANNER_SHARED_DATA"):
        load_region(scenario)
    monkeypatch.setenv("WOONPLANNER_SHARED_DATA", str(shared))
    region = load_region(scenario)
    assert region.neighbourhoods["code"].tolist() == ["BU90020001"]
    assert Path(shared / "nl" / "buurten_pdok.geojson") in region.input_files


def test_a_parent_of_the_data_folder_says_which_folder_to_pass(
    pdok_folder: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    shared = tmp_path_factory.mktemp("shared")
    (shared / "nl").symlink_to(pdok_folder, target_is_directory=True)
    with pytest.raises(InputDataError, match=r"nl has one: did you mean --data-dir .*nl\?"):
        cbs.load_neighbourhoods(shared, level="buurt", jeugdregio="JZ91")
    # A folder with nothing below says only what it looked for.
    with pytest.raises(InputDataError) as err:
        cbs.load_neighbourhoods(tmp_path_factory.mktemp("empty"), level="buurt")
    assert "did you mean" not in str(err.value)


def test_a_relative_folder_not_found_says_where_it_was_looked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputDataError) as err:
        cbs.default_data_files("../shared/data/nl")
    message = str(err.value)
    assert "data folder not found" in message
    assert str((tmp_path / "../shared/data/nl").resolve()) in message
