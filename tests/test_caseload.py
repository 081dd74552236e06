"""Caseload input: one row per child in, aggregated demand out, and nothing personal leaked."""

from __future__ import annotations

import csv
import html
import inspect
import json
import logging
import re
from pathlib import Path

import pandas as pd
import pytest

import woonplanner
from woonplanner import runner
from woonplanner.data import demo
from woonplanner.data.caseload import (
    CASELOAD_COLUMNS,
    SIBLING_COLUMNS,
    read_caseload,
    read_sibling_groups,
)
from woonplanner.demand import DEMAND_COLUMNS
from woonplanner.errors import InputDataError
from woonplanner.scenario import load_scenario

HEADER = ["neighbourhood", "age", "reason", "support_need"]
NEIGHBOURHOODS = pd.DataFrame({"code": ["WK000101", "WK000102", "WK000201"]})

#: Marks personal data in test files: it must never reach a message, a log or an output file.
MARKER = "Jantje Testkind"


def _write(path: Path, header: list[str], rows: list[list[object]], *, sep: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=sep)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _error(path: Path, **kwargs: object) -> str:
    """The message of the InputDataError that reading ``path`` raises, path replaced."""
    kwargs.setdefault("neighbourhoods", NEIGHBOURHOODS)
    with pytest.raises(InputDataError) as info:
        read_caseload(path, **kwargs)  # type: ignore[arg-type]
    return str(info.value).replace(str(path), "<file>")


# --- aggregation --------------------------------------------------------------------------


def test_columns_are_those_of_the_estimate() -> None:
    assert CASELOAD_COLUMNS == DEMAND_COLUMNS


def test_children_are_counted_per_neighbourhood_and_segment(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "caseload.csv",
        HEADER,
        [
            # Age band edges: 3 | 4, 11 | 12, 17.
            ["WK000101", 3, "parents_cannot_cope", "none"],
            ["WK000101", 0, "parents_cannot_cope", "none"],
            ["WK000101", 4, "parents_cannot_cope", "none"],
            ["WK000101", 11, "parents_cannot_cope", "none"],
            ["WK000101", 12, "safety_risk", "extra"],
            ["WK000101", 17, "safety_risk", "extra"],
            [" wk000102 ", "7.0", "orphaned", "none"],  # case, spaces and "7.0" are fine
            ["WK000102", "7", "orphaned", "extra"],
        ],
    )

    demand = read_caseload(path, neighbourhoods=NEIGHBOURHOODS)

    expected = pd.DataFrame(
        [
            ("WK000101", "parents_cannot_cope", "none", "0_3", 2.0),
            ("WK000101", "parents_cannot_cope", "none", "4_11", 2.0),
            ("WK000101", "safety_risk", "extra", "12_17", 2.0),
            ("WK000102", "orphaned", "extra", "4_11", 1.0),
            ("WK000102", "orphaned", "none", "4_11", 1.0),
        ],
        columns=list(CASELOAD_COLUMNS),
    )
    pd.testing.assert_frame_equal(demand, expected)
    assert demand.attrs == {"source": str(path)}  # nothing child-level on attrs


def test_dutch_headers_labels_and_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "caseload.csv"
    # Excel's Dutch "CSV UTF-8" export: a byte-order mark and ";" as separator.
    text = (
        "\ufeffWijk;Leeftijd;Reden;Ondersteuning\n"
        "WK000101;5;Ouders kunnen niet;nee\n"
        "WK000101;6;ouders kunnen tijdelijk niet;geen\n"
        "WK000101;8;Wees;ja\n"
        "WK000201;14;onveilig;Extra\n"
        "WK000201;15;Onveilige thuissituatie;ja\n"
        "WK000201;16;safety-risk;none\n"
    )
    path.write_text(text, encoding="utf-8")

    demand = read_caseload(path, neighbourhoods=NEIGHBOURHOODS)

    assert demand.to_dict("records") == [
        {
            "origin": "WK000101",
            "reason": "orphaned",
            "support_need": "extra",
            "age_band": "4_11",
            "children": 1.0,
        },
        {
            "origin": "WK000101",
            "reason": "parents_cannot_cope",
            "support_need": "none",
            "age_band": "4_11",
            "children": 2.0,
        },
        {
            "origin": "WK000201",
            "reason": "safety_risk",
            "support_need": "extra",
            "age_band": "12_17",
            "children": 2.0,
        },
        {
            "origin": "WK000201",
            "reason": "safety_risk",
            "support_need": "none",
            "age_band": "12_17",
            "children": 1.0,
        },
    ]


def test_other_columns_and_blank_rows_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "caseload.csv"
    path.write_text(
        "name,neighbourhood,age,reason,support_need,notes\n"
        f"{MARKER},WK000101,9,wees,nee,lives with grandmother\n"
        "\n"
        ",,,,,\n"
        "Kees,WK000101,10,wees,nee,\n",
        encoding="utf-8",
    )

    demand = read_caseload(path, neighbourhoods=NEIGHBOURHOODS)

    assert demand["children"].tolist() == [2.0]
    assert list(demand.columns) == list(CASELOAD_COLUMNS)


def test_postcodes_are_mapped_through_the_postcode_table(tmp_path: Path) -> None:
    postcodes = pd.DataFrame(
        {
            "postcode": ["1234AB", "1234", "5678"],
            "neighbourhood": ["WK000102", "WK000101", "WK000201"],
        }
    )
    path = _write(
        tmp_path / "caseload.csv",
        ["postcode", "neighbourhood", "age", "reason", "support_need"],
        [
            ["1234 ab", "", 5, "wees", "nee"],  # PC6 in the table
            ["1234CD", "", 5, "wees", "nee"],  # PC6 not in the table: its PC4
            ["1234", "", 5, "wees", "nee"],  # PC4
            ["5678ZZ", "", 5, "wees", "nee"],
            ["9999XX", "WK000201", 5, "wees", "nee"],  # a given code wins over the postcode
        ],
    )

    demand = read_caseload(path, neighbourhoods=NEIGHBOURHOODS, postcodes=postcodes)

    assert demand.set_index("origin")["children"].to_dict() == {
        "WK000101": 2.0,
        "WK000102": 1.0,
        "WK000201": 2.0,
    }


def test_sibling_groups_are_counted_by_size_per_neighbourhood(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "caseload.csv",
        [*HEADER, "sibling_group"],
        [
            ["WK000101", 5, "wees", "nee", "A"],
            ["WK000101", 7, "wees", "nee", "A"],
            ["WK000101", 9, "wees", "nee", "A"],
            ["WK000101", 2, "wees", "nee", "B"],
            ["WK000101", 3, "wees", "nee", "B"],
            ["WK000101", 13, "onveilig", "ja", ""],  # no group
            ["WK000102", 4, "onveilig", "ja", "C"],
            ["WK000102", 6, "onveilig", "ja", "C"],
            ["WK000201", 8, "onveilig", "ja", "C"],  # C lives mostly in WK000102
            ["WK000201", 10, "onveilig", "ja", "D"],  # a group of one
        ],
    )

    groups = read_sibling_groups(path, neighbourhoods=NEIGHBOURHOODS)

    assert list(groups.columns) == list(SIBLING_COLUMNS)
    assert groups.to_dict("records") == [
        {"origin": "WK000101", "size": 2, "groups": 1},
        {"origin": "WK000101", "size": 3, "groups": 1},
        {"origin": "WK000102", "size": 3, "groups": 1},
        {"origin": "WK000201", "size": 1, "groups": 1},
    ]
    # The demand does not depend on sibling groups.
    assert read_caseload(path, neighbourhoods=NEIGHBOURHOODS)["children"].sum() == 10


def test_no_sibling_column_gives_no_groups(tmp_path: Path) -> None:
    path = _write(tmp_path / "caseload.csv", HEADER, [["WK000101", 5, "wees", "nee"]])
    groups = read_sibling_groups(path, neighbourhoods=NEIGHBOURHOODS)
    assert groups.empty
    assert list(groups.columns) == list(SIBLING_COLUMNS)


# --- errors -------------------------------------------------------------------------------


def test_missing_columns_are_named_with_what_is_expected(tmp_path: Path) -> None:
    path = _write(tmp_path / "caseload.csv", ["wijk", "leeftijd", "notes"], [["WK000101", 5, ""]])
    msg = _error(path)
    assert "<file>: missing columns reason, support_need" in msg
    assert "expected neighbourhood (or postcode), age, reason, support_need" in msg
    assert "the file has columns ['wijk', 'leeftijd', 'notes']" in msg


def test_no_location_column_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "caseload.csv", ["age", "reason", "support_need"], [[5, "wees", "ja"]])
    assert "missing columns neighbourhood (or postcode);" in _error(path)


def test_doubled_columns_are_an_error(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "caseload.csv", [*HEADER, "leeftijd"], [["WK000101", 5, "wees", "ja", 5]]
    )
    assert "columns ['age', 'leeftijd'] all give age; keep one of them" in _error(path)


def test_unknown_neighbourhoods_give_count_rows_and_codes(tmp_path: Path) -> None:
    rows = [["WK999901", 5, "wees", "ja"]] * 6 + [["WK000101", 5, "wees", "ja"]]
    rows += [["WK999902", 5, "wees", "ja"], ["", 5, "wees", "ja"]]
    path = _write(tmp_path / "caseload.csv", HEADER, rows)
    msg = _error(path)
    assert (
        "<file>: neighbourhood: not one of the 3 planned neighbourhoods in 7 rows "
        "(rows 2, 3, 4, 5, 6, …): unknown codes ['WK999901', 'WK999902']; "
        "expected codes such as ['WK000101', 'WK000102', 'WK000201']"
    ) in msg
    assert "<file>: neighbourhood: no home neighbourhood in 1 row (row 10)" in msg


def test_ages_outside_0_17_or_not_whole_give_rows_not_values(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "caseload.csv",
        HEADER,
        [
            ["WK000101", 5, "wees", "ja"],
            ["WK000101", 18, "wees", "ja"],
            ["WK000101", -1, "wees", "ja"],
            ["WK000101", 6.5, "wees", "ja"],
            ["WK000101", "", "wees", "ja"],
            ["WK000101", "zes", "wees", "ja"],
        ],
    )
    msg = _error(path)
    assert (
        "<file>: age: not a whole number of years from 0 to 17 in 5 rows (rows 3, 4, 5, 6, 7); "
        "the values are not shown"
    ) in msg
    for value in ("18", "-1", "6.5", "zes"):
        assert value not in msg


def test_unknown_reasons_and_support_needs_are_listed_with_counts(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "caseload.csv",
        HEADER,
        [
            ["WK000101", 5, "verwaarlozing", "ja"],
            ["WK000101", 5, "verwaarlozing", "misschien"],
            ["WK000101", 5, "", "ja"],
            ["WK000101", 5, "wees", "ja"],
        ],
    )
    msg = _error(path)
    assert (
        "<file>: reason: not a known value in 3 rows (rows 2, 3, 4) (2 distinct values, not "
        "shown); expected one of ['parents_cannot_cope', 'orphaned', 'safety_risk'] or an alias "
        "from docs/caseload.md"
    ) in msg
    assert (
        "<file>: support_need: not a known value in 1 row (row 3) (1 distinct value, not shown); "
        "expected one of ['none', 'extra', 'intensive']"
    ) in msg
    # A label may be a name typed into the wrong column: never quoted (issue 16).
    assert "verwaarlozing" not in msg
    assert "misschien" not in msg


def test_postcodes_without_a_table_say_what_to_provide(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "caseload.csv",
        ["postcode", "age", "reason", "support_need"],
        [["1234AB", 5, "wees", "ja"], ["1234AC", 6, "wees", "ja"]],
    )
    msg = _error(path)
    assert (
        "<file>: postcode: a postcode but no neighbourhood code in 2 rows (rows 2, 3), and no "
        "postcode → neighbourhood table was given; add a neighbourhood column with the wijk or "
        "buurt code of each child's home, or pass postcodes= (a table with columns postcode, "
        "neighbourhood)"
    ) in msg
    assert "1234" not in msg


def test_bad_and_unmapped_postcodes_give_rows_not_values(tmp_path: Path) -> None:
    postcodes = pd.DataFrame({"postcode": ["1234"], "neighbourhood": ["WK000101"]})
    path = _write(
        tmp_path / "caseload.csv",
        ["postcode", "age", "reason", "support_need"],
        [["1234AB", 5, "wees", "ja"], ["98765", 6, "wees", "ja"], ["5678AB", 6, "wees", "ja"]],
    )
    msg = _error(path, postcodes=postcodes)
    assert (
        "<file>: postcode: not a Dutch postcode in 1 row (row 3); expected PC4 (1234) or PC6 "
        "(1234AB); the values are not shown"
    ) in msg
    assert "<file>: postcode: not in the postcode table in 1 row (row 4)" in msg
    assert "98765" not in msg
    assert "5678" not in msg


def test_postcode_table_problems(tmp_path: Path) -> None:
    path = _write(tmp_path / "caseload.csv", ["postcode", *HEADER[1:]], [["1234", 5, "wees", "ja"]])
    doubled = pd.DataFrame({"postcode": ["1234", "1234"], "neighbourhood": ["WK000101", "WK2"]})
    assert (
        "postcode table: 1 postcodes map to more than one neighbourhood (first: ['1234'])"
        in _error(path, postcodes=doubled)
    )
    no_columns = pd.DataFrame({"pc4": ["1234"]})
    assert "postcode table: missing columns ['postcode', 'neighbourhood']" in _error(
        path, postcodes=no_columns
    )


@pytest.mark.parametrize("content", ["", "\n\n", "neighbourhood,age,reason,support_need\n"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "caseload.csv"
    path.write_text(content, encoding="utf-8")
    assert "<file>: the caseload is empty" in _error(path)


def test_unreadable_files(tmp_path: Path) -> None:
    assert "caseload file not found" in _error(tmp_path / "missing.csv")
    latin = tmp_path / "latin1.csv"
    latin.write_bytes(
        "neighbourhood,age,reason,support_need\nWK000101,5,wees,één\n".encode("cp1252")
    )
    assert "<file>: not UTF-8 text; save the caseload as CSV UTF-8" in _error(latin)
    sheet = tmp_path / "caseload.xlsx"
    sheet.write_bytes(b"PK\x03\x04")
    assert "spreadsheets are not read; save the sheet as CSV UTF-8" in _error(sheet)


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "caseload.csv",
        HEADER,
        [["WK999999", 5, "wees", "ja"], ["WK000101", 30, "wees", "ja"], ["WK000101", 5, "x", "y"]],
    )
    msg = _error(path)
    assert msg.startswith("Invalid caseload (4 problems):")
    for column in ("neighbourhood", "age", "reason", "support_need"):
        assert f"<file>: {column}:" in msg


# --- privacy ------------------------------------------------------------------------------


def test_no_child_data_in_messages_or_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    notes = f"{MARKER} woont bij oma, school De Regenboog, BSN 123456782"
    path = _write(
        tmp_path / "caseload.csv",
        ["name", "neighbourhood", "age", "reason", "support_need", "sibling_group", "notes"],
        [
            [MARKER, "WK000101", 27, "wees", "ja", f"gezin {MARKER}", notes],
            ["Kees", "WK000101", 9, "wees", "ja", f"gezin {MARKER}", notes],
            # The marker typed into the code column and as a long note in the reason column.
            ["Anna", MARKER, 10, "wees", "ja", "", ""],
            ["Piet", "WK000102", 11, notes, "ja", "", ""],
        ],
    )

    msg = _error(path)

    assert "Invalid caseload (3 problems)" in msg  # the age, the code and the reason
    assert "1 value not shown because it does not look like a neighbourhood code" in msg
    assert "reason: not a known value in 1 row (row 5)" in msg
    everything = msg + caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in (MARKER, "27", "Regenboog", "123456782", "Kees", "gezin"):
        assert secret not in everything

    # A valid file logs counts only.
    caplog.clear()
    valid = _write(
        tmp_path / "valid.csv",
        ["name", *HEADER, "sibling_group", "notes"],
        [[MARKER, "WK000101", 7, "wees", "ja", "gezin-1", notes]] * 2,
    )
    read_caseload(valid, neighbourhoods=NEIGHBOURHOODS)
    logged = caplog.text.replace(str(valid), "<file>")
    assert "2 children in 1 neighbourhoods" in logged
    for secret in (MARKER, "Regenboog", "gezin-1"):
        assert secret not in logged


def test_the_traceback_holds_no_child_rows(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "caseload.csv",
        ["name", *HEADER],
        [[MARKER, "WK000101", 27, "wees", "ja"], ["Kees", "WK000101", 5, "wees", "ja"]],
    )
    with pytest.raises(InputDataError) as info:
        read_caseload(path, neighbourhoods=NEIGHBOURHOODS)

    tb = info.value.__traceback__
    while tb is not None:
        for name, value in tb.tb_frame.f_locals.items():
            is_child_level = isinstance(value, pd.DataFrame | pd.Series) and len(value) == 2
            assert not is_child_level, f"{tb.tb_frame.f_code.co_name}: {name} holds child rows"
        tb = tb.tb_next


# --- end to end ---------------------------------------------------------------------------


def _demo_caseload(path: Path) -> tuple[Path, str]:
    """40 fake children across six demo wijken, two of them in one wijk; its name."""
    nb = demo.load().neighbourhoods
    unique_names = nb[~nb["name"].duplicated(keep=False)]
    codes = unique_names["code"].iloc[:6].tolist()
    reasons = ["ouders kunnen niet", "onveilig", "wees"]
    rows = []
    child = 0
    for code, n in zip(codes, [12, 10, 8, 5, 3, 2], strict=True):
        for _ in range(n):
            rows.append(
                [
                    f"{MARKER} {child}",
                    code,
                    (child * 5) % 18,
                    reasons[child % 3],
                    "ja" if child % 2 else "nee",
                    f"brus-{child // 2}",
                    "Geheime notitie over dit kind",
                ]
            )
            child += 1
    assert child == 40
    header = ["name", "wijk", "leeftijd", "reden", "ondersteuning", "brusgroep", "notes"]
    _write(path, header, rows, sep=";")
    return path, str(unique_names["name"].iloc[5])


def _tooltips(map_html: str) -> list[str]:
    """The tooltip texts of map.html as a reader sees them (JSON and HTML unescaped)."""
    raw = re.findall(r'"tooltip": ("(?:[^"\\]|\\.)*")', map_html)
    texts = [html.unescape(re.sub(r"<[^>]+>", " ", json.loads(s))) for s in raw]
    return [" ".join(t.split()) for t in texts]


@pytest.mark.skipif(
    "read_caseload" not in inspect.getsource(runner),
    reason="runner.py does not read demand.caseload yet (issue 6: wire read_caseload)",
)
def test_demo_run_from_a_caseload_leaks_no_child_data(tmp_path: Path) -> None:
    path, small_wijk = _demo_caseload(tmp_path / "caseload.csv")
    scenario = load_scenario("demo", overrides=[f'demand.caseload="{path}"'])

    plan = woonplanner.run(scenario, out=tmp_path / "run")

    assert plan.neighbourhoods["children_demand"].sum() == pytest.approx(40)
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"map.html", "report.html", "plan.gpkg", "manifest.json"}
    for p in files:
        data = p.read_bytes()
        for secret in (MARKER, "Geheime notitie", "brus-"):
            assert secret.encode() not in data, f"{p.name} contains {secret!r}"
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert str(path) in manifest["inputs"]  # the caseload's hash makes the run reproducible
    tips = _tooltips((tmp_path / "run" / "map.html").read_text(encoding="utf-8"))
    # The wijk's own tooltips (demand, unplaced), not the flows that start there.
    own = [t for t in tips if t.startswith(f"{small_wijk} ") and "→" not in t]
    assert own, f"no tooltip for {small_wijk}"
    assert all(t.endswith(": <5") for t in own), own
