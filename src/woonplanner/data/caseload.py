"""Caseload: a region's own table of children needing a place, aggregated on reading.

A caseload holds one row per child (SPEC §3): home neighbourhood (or postcode), age, reason and
support need, and optionally a sibling group. It is personal data about children, so this
adapter is built around one rule: **no child-level row leaves this module** (SPEC §5, issue 6).

- Only the columns it needs are read from the file (``usecols``): a ``name``, ``notes`` or
  ``date_of_birth`` column is never loaded into memory at all.
- The child-level table is a local of :func:`_aggregate`, deleted before it returns or raises;
  on an error the finished frames of the checks are cleared, so the traceback holds no child
  rows either. It is never kept on ``attrs``, returned, cached or logged.
- Error messages name columns, row numbers and counts. The only cell values they quote are
  unknown neighbourhood codes, and only when the value looks like one (``WK036101``); labels,
  ages, postcodes, sibling group ids and every other column are never quoted.
- Log records carry aggregated counts only.

The result has the same columns as :func:`woonplanner.demand.estimate_demand`
(``origin, reason, support_need, age_band, children``), so the runner can use either. The file
format, the accepted values and their Dutch aliases are documented in ``docs/caseload.md``.
"""

from __future__ import annotations

import csv
import logging
import re
import traceback
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from woonplanner.errors import InputDataError, raise_if_problems
from woonplanner.schema import AGE_BANDS, FACILITY_TYPES, REASONS, SUPPORT_NEEDS

logger = logging.getLogger(__name__)

#: Columns of the aggregated caseload: the same as ``woonplanner.demand.DEMAND_COLUMNS``
#: (repeated here so that data adapters do not import the demand step, which consumes them).
CASELOAD_COLUMNS = ("origin", "reason", "support_need", "age_band", "children")

#: Columns of :func:`read_sibling_groups`.
SIBLING_COLUMNS = ("origin", "size", "groups")

#: Columns of the sibling-group table of :func:`read_caseload_with_siblings`: ``groups`` groups
#: of ``size`` children at home in ``origin`` whose members are ``members``
#: (``origin/reason/support_need/age_band`` per child, sorted, joined by ``;``).
SIBLING_GROUP_COLUMNS = ("origin", "members", "size", "groups")

#: Header names accepted for each column (compared lower-case, spaces and ``-`` read as ``_``).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "neighbourhood": ("neighbourhood", "wijk", "wijkcode", "buurt", "buurtcode"),
    "postcode": ("postcode", "postal_code"),
    "age": ("age", "leeftijd"),
    "reason": ("reason", "reden"),
    "support_need": ("support_need", "ondersteuning", "ondersteuningsbehoefte"),
    "sibling_group": ("sibling_group", "brusgroep", "gezinsgroep"),
    "placed_at": ("placed_at", "geplaatst_in", "verblijfplaats"),
    "placed_type": ("placed_type", "woonvorm"),
}

#: Accepted facility-type labels of ``placed_type`` (compared lower-case) → type id.
TYPE_ALIASES: dict[str, str] = {
    "pleeggezin": "pleeggezin",
    "foster family": "pleeggezin",
    "gezinshuis": "gezinshuis",
    "family home": "gezinshuis",
    "woongroep": "woongroep",
    "residential group": "woongroep",
}

#: Columns of the placements table of :func:`read_caseload_with_siblings`: the children placed
#: now, per site, type, home and segment (the same as ``woonplanner.schema.PLACEMENT_COLUMNS``).
PLACEMENT_COLUMNS = ("site", "type", "origin", "reason", "support_need", "age_band", "children")

#: Accepted reason labels (compared lower-case, ``_`` and ``-`` read as spaces) → reason id.
REASON_ALIASES: dict[str, str] = {
    **{r.replace("_", " "): r for r in REASONS},
    "ouders kunnen niet": "parents_cannot_cope",
    "ouders kunnen tijdelijk niet": "parents_cannot_cope",
    "ouders kunnen (tijdelijk) niet": "parents_cannot_cope",
    "wees": "orphaned",
    "weeskind": "orphaned",
    "onveilig": "safety_risk",
    "onveilige thuissituatie": "safety_risk",
    "veiligheidsrisico": "safety_risk",
}

#: Accepted support-need labels (compared lower-case) → support need id.
SUPPORT_ALIASES: dict[str, str] = {
    "none": "none",
    "geen": "none",
    "nee": "none",
    "no": "none",
    "extra": "extra",
    "ja": "extra",
    "yes": "extra",
    "intensive": "intensive",
    "intensief": "intensive",
    "geen gezinssetting": "intensive",
}

#: Unknown category labels longer than this are counted but not quoted: a label this long is
#: more likely free text (a note about a child) than a misspelt category.
_MAX_QUOTED_LABEL = 40

#: Unknown neighbourhood values are quoted only when they look like a CBS code (WK036101,
#: BU03610101): a name, date or number typed into the wrong column stays out of the message.
_CODE_PATTERN = re.compile(r"^[A-Z]{2}\d{4,8}$")

#: Dutch postcodes: PC4 (``1234``) or PC6 (``1234 AB``), written without the space.
_PC4 = re.compile(r"^[1-9]\d{3}$")
_PC6 = re.compile(r"^[1-9]\d{3}[A-Z]{2}$")

_REQUIRED = ("age", "reason", "support_need")
_EXPECTED = (
    "neighbourhood (or postcode), age, reason, support_need; optional: sibling_group, "
    "placed_at and placed_type"
)

#: Row numbers shown per problem; the count says how many there are in all.
_MAX_ROWS_SHOWN = 5


def read_caseload(
    path: str | Path,
    *,
    neighbourhoods: pd.DataFrame,
    postcodes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Children needing a place per neighbourhood and segment, from a one-row-per-child table.

    Parameters
    ----------
    path
        CSV file (UTF-8, ``,`` or ``;`` as separator, detected from the header line) with one
        row per child: ``neighbourhood`` or ``postcode``, ``age``, ``reason``, ``support_need``
        and optionally ``sibling_group``; other columns are not read. See ``docs/caseload.md``.
    neighbourhoods
        The planned neighbourhoods (a ``code`` column); every child must live in one of them.
    postcodes
        Postcode → neighbourhood table (``postcode``, ``neighbourhood``; PC4 and/or PC6 keys),
        needed when the caseload gives postcodes. A PC6 not in the table falls back to its PC4.

    Returns
    -------
    DataFrame
        ``origin, reason, support_need, age_band, children``: the number of children per home
        neighbourhood and segment (only segments with children), sorted like
        :func:`woonplanner.demand.estimate_demand`. ``attrs["source"]`` is the file path.

    Raises
    ------
    InputDataError
        Every problem found, in one message: unreadable or empty file, missing columns, unknown
        neighbourhood codes or postcodes, ages that are not whole numbers 0-17, unknown reasons
        or support needs. Messages never quote a child's age, postcode or any other cell.
    """
    demand, _, _, _ = _aggregate(Path(path), neighbourhoods=neighbourhoods, postcodes=postcodes)
    return demand


def read_caseload_with_siblings(
    path: str | Path,
    *,
    neighbourhoods: pd.DataFrame,
    postcodes: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The caseload's demand, its sibling groups and where its children are placed now.

    Returns
    -------
    demand
        As :func:`read_caseload` (every child, siblings and placed children included).
    siblings
        :data:`SIBLING_GROUP_COLUMNS`: how many groups of two or more not-yet-placed children
        of each composition live in each neighbourhood (aggregated: never a group id, never a
        child). A group counts at the neighbourhood most of its children live in (ties: the
        first code). Children placed now stay where they are: they are in no group here.
    placements
        :data:`PLACEMENT_COLUMNS`: children per current site (``placed_at``), type
        (``placed_type``), home and segment; empty without those columns.
    """
    demand, _, siblings, placements = _aggregate(
        Path(path), neighbourhoods=neighbourhoods, postcodes=postcodes
    )
    return demand, siblings, placements


def read_sibling_groups(
    path: str | Path,
    *,
    neighbourhoods: pd.DataFrame,
    postcodes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """How many sibling groups of each size the caseload holds, per home neighbourhood.

    The sibling rule (keep a group together) uses :func:`read_caseload_with_siblings`; this
    table is the summary for reports. Children with an empty ``sibling_group`` are
    in no group; a group id used once is a group of size 1. A group whose children live in
    different neighbourhoods counts at the neighbourhood most of them live in (ties: the first
    code in sort order).

    Parameters
    ----------
    path, neighbourhoods, postcodes
        As for :func:`read_caseload`; the file is checked the same way.

    Returns
    -------
    DataFrame
        ``origin, size, groups``: ``groups`` sibling groups of ``size`` children live in
        ``origin``. Empty when the file has no ``sibling_group`` column.

    Raises
    ------
    InputDataError
        As :func:`read_caseload`.
    """
    _, groups, _, _ = _aggregate(Path(path), neighbourhoods=neighbourhoods, postcodes=postcodes)
    return groups


# --- reading and checking ---------------------------------------------------------------------


def _aggregate(
    path: Path, *, neighbourhoods: pd.DataFrame, postcodes: pd.DataFrame | None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read, check and aggregate; the child-level table lives and dies in here."""
    where = str(path)
    header, sep = _read_header(path)
    columns, problems = _map_columns(header, where)
    lookup = _postcode_lookup(postcodes, problems) if postcodes is not None else None
    children = _read_rows(path, sep=sep, columns=columns)
    try:
        demand, groups, siblings, placed = _count(children, neighbourhoods, lookup, where, problems)
    except BaseException as err:
        # The finished frames of the helpers still hold per-child locals that a debugger or an
        # error reporter could show with the traceback: clear them before passing it on.
        traceback.clear_frames(err.__traceback__)
        raise
    finally:
        del children
    demand.attrs["source"] = where
    groups.attrs["source"] = where
    siblings.attrs["source"] = where
    placed.attrs["source"] = where
    logger.info(
        "caseload %s: %d children in %d neighbourhoods, %d segments, %d sibling groups",
        where,
        round(demand["children"].sum()),
        demand["origin"].nunique(),
        len(demand),
        int(groups["groups"].sum()),
    )
    return demand, groups, siblings, placed


def _count(
    children: pd.DataFrame,
    neighbourhoods: pd.DataFrame,
    lookup: dict[str, str] | None,
    where: str,
    problems: list[str],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Check every child row; count children per segment, sibling groups per size and per
    composition, and placed children per site and type."""
    if children.shape[1] == 0:
        # No usable column at all: the missing columns (already a problem) say it all.
        raise_if_problems(problems, InputDataError, header="Invalid caseload")
    if len(children) == 0:
        problems.append(
            f"{where}: the caseload is empty: no rows of children below the header; "
            "expected one row per child"
        )
        raise_if_problems(problems, InputDataError, header="Invalid caseload")
    rows = pd.Series(children.index, index=children.index)
    codes = _origins(children, rows, neighbourhoods, lookup, where, problems)
    ages = _ages(children, rows, where, problems)
    reasons = _labels(children, "reason", REASON_ALIASES, REASONS, where, problems)
    needs = _labels(children, "support_need", SUPPORT_ALIASES, SUPPORT_NEEDS, where, problems)
    sites, kinds = _placed(children, rows, neighbourhoods, where, problems)
    raise_if_problems(problems, InputDataError, header="Invalid caseload")
    table = pd.DataFrame(
        {"origin": codes, "reason": reasons, "support_need": needs, "age_band": _age_bands(ages)}
    )
    group_ids = children.get("sibling_group")
    placed = sites != ""
    free_ids = None if group_ids is None else group_ids.where(~placed, "")
    return (
        _demand_table(table),
        _sibling_table(group_ids, codes),
        _sibling_compositions(free_ids, table),
        _placement_table(table, sites, kinds, placed),
    )


def _read_header(path: Path) -> tuple[list[str], str]:
    """The header's column names and the separator (``;`` when it has more ``;`` than ``,``)."""
    if path.suffix.lower() in (".xlsx", ".xls", ".ods"):
        msg = (
            f"{path}: spreadsheets are not read; save the sheet as CSV UTF-8 "
            "(one row per child, see docs/caseload.md)"
        )
        raise InputDataError(msg)
    try:
        with path.open(encoding="utf-8-sig") as f:
            first = ""
            for line in f:
                if line.strip():
                    first = line
                    break
    except FileNotFoundError:
        msg = f"{path}: caseload file not found (demand.caseload)"
        raise InputDataError(msg) from None
    except UnicodeDecodeError:
        msg = f"{path}: not UTF-8 text; save the caseload as CSV UTF-8"
        raise InputDataError(msg) from None
    except OSError as err:
        msg = f"{path}: cannot read the caseload: {err.strerror}"
        raise InputDataError(msg) from None
    if not first:
        msg = (
            f"{path}: the caseload is empty; expected a header line ({_EXPECTED}) and one row "
            "per child"
        )
        raise InputDataError(msg)
    sep = ";" if first.count(";") > first.count(",") else ","
    return [c.strip() for c in next(csv.reader([first], delimiter=sep))], sep


def _normal_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _map_columns(header: list[str], where: str) -> tuple[dict[str, str], list[str]]:
    """Canonical column → header name as written; problems for missing or doubled columns."""
    problems = []
    found: dict[str, str] = {}
    for canonical, aliases in COLUMN_ALIASES.items():
        present = [h for h in header if _normal_header(h) in aliases]
        if len(present) > 1:
            problems.append(f"{where}: columns {present} all give {canonical}; keep one of them")
        if present:
            found[canonical] = present[0]
    missing = [c for c in _REQUIRED if c not in found]
    if "neighbourhood" not in found and "postcode" not in found:
        missing.insert(0, "neighbourhood (or postcode)")
    if missing:
        problems.append(
            f"{where}: missing columns {', '.join(missing)}; expected {_EXPECTED} "
            f"(one row per child, see docs/caseload.md); the file has columns {header}"
        )
    return found, problems


def _read_rows(path: Path, *, sep: str, columns: Mapping[str, str]) -> pd.DataFrame:
    """Only the used columns, as stripped text, renamed to their canonical names.

    The index is the file row number (the header is row 1). Rows with every used cell empty
    (blank lines, a spreadsheet's trailing ``;;;;``) are dropped.
    """
    wanted = set(columns.values())
    _check_row_lengths(path, sep)
    try:
        raw = pd.read_csv(
            path,
            sep=sep,
            encoding="utf-8-sig",
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,  # keeps the row numbers in messages equal to the file's
            # Unused columns (names, notes, dates of birth) are never loaded.
            usecols=lambda name: name.strip() in wanted,
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    # ParserError's message names a line and a field count, never the line's content.
    except pd.errors.ParserError as err:
        msg = f"{path}: cannot read the caseload: {err}"
        raise InputDataError(msg) from None
    except (UnicodeDecodeError, ValueError):
        msg = f"{path}: not a readable CSV UTF-8 table; save the caseload as CSV UTF-8"
        raise InputDataError(msg) from None
    rename = {written: canonical for canonical, written in columns.items()}
    children = raw.rename(columns=lambda c: rename.get(c.strip(), c.strip()))
    del raw
    children = children.loc[:, ~children.columns.duplicated()].fillna("")
    children = children.apply(lambda col: col.str.strip())
    children.index = children.index + 2  # header is row 1
    return children[(children != "").any(axis=1)]


def _check_row_lengths(path: Path, sep: str) -> None:
    """Rows with more cells than the header: pandas would shift or drop them silently (a name
    ``de Vries, Jan`` without quotes moves every later cell). Row numbers only, no values."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            lengths = [len(r) for r in csv.reader(f, delimiter=sep)]
    except (UnicodeDecodeError, csv.Error):
        return  # reported by the reader below, without values
    header = next((i for i, n in enumerate(lengths) if n), None)
    if header is None:
        return
    longer = [i + 1 for i, n in enumerate(lengths) if i > header and n > lengths[header]]
    if longer:
        shown = ", ".join(map(str, longer[:_MAX_ROWS_SHOWN])) + (
            ", …" if len(longer) > _MAX_ROWS_SHOWN else ""
        )
        msg = (
            f"{path}: {_plural(len(longer), 'row')} with more cells than the header's "
            f"{lengths[header]} ({'row' if len(longer) == 1 else 'rows'} {shown}); a value with "
            f"a {sep!r} in it needs quotes; the values are not shown"
        )
        raise InputDataError(msg)


def _in_rows(rows: pd.Series, mask: pd.Series) -> str:
    """``in 3 rows (rows 2, 5, 9)``: how many, and the first few file row numbers."""
    n = int(mask.sum())
    shown = ", ".join(str(r) for r in rows[mask].iloc[:_MAX_ROWS_SHOWN])
    more = ", …" if n > _MAX_ROWS_SHOWN else ""
    return f"in {_plural(n, 'row')} ({'row' if n == 1 else 'rows'} {shown}{more})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _postcode(values: pd.Series) -> pd.Series:
    return values.str.upper().str.replace(r"\s+", "", regex=True)


def _postcode_lookup(postcodes: pd.DataFrame, problems: list[str]) -> dict[str, str]:
    """Normalised postcode → neighbourhood code from the caller's table."""
    missing = [c for c in ("postcode", "neighbourhood") if c not in postcodes.columns]
    if missing:
        problems.append(
            f"postcode table: missing columns {missing}; expected postcode, neighbourhood"
        )
        return {}
    # A postcode table is public reference data, not about children: its values may be named.
    table = pd.DataFrame(
        {
            "postcode": _postcode(postcodes["postcode"].astype(str)),
            "neighbourhood": postcodes["neighbourhood"].astype(str).str.strip(),
        }
    ).drop_duplicates()
    doubled = table["postcode"][table["postcode"].duplicated()].unique()
    if len(doubled):
        problems.append(
            f"postcode table: {len(doubled)} postcodes map to more than one neighbourhood "
            f"(first: {list(doubled[:5])}); give each postcode one neighbourhood"
        )
    return dict(zip(table["postcode"], table["neighbourhood"], strict=True))


def _origins(
    children: pd.DataFrame,
    rows: pd.Series,
    neighbourhoods: pd.DataFrame,
    lookup: dict[str, str] | None,
    where: str,
    problems: list[str],
) -> pd.Series:
    """Each child's home neighbourhood code, from its code or else its postcode."""
    known = {str(c).strip().upper(): str(c) for c in neighbourhoods["code"]}
    nothing = pd.Series(False, index=children.index)
    origin = pd.Series("", index=children.index, dtype=object)
    given = nothing
    if "neighbourhood" in children:
        given = children["neighbourhood"] != ""
        origin[given] = children.loc[given, "neighbourhood"].str.upper()
    via_postcode = ~given & (children["postcode"] != "") if "postcode" in children else nothing
    if via_postcode.any() and lookup is None:
        problems.append(
            f"{where}: postcode: a postcode but no neighbourhood code "
            f"{_in_rows(rows, via_postcode)}, and no postcode → neighbourhood table was given; "
            "add a neighbourhood column with the wijk or buurt code of each child's home, or "
            "pass postcodes= (a table with columns postcode, neighbourhood)"
        )
    elif via_postcode.any() and lookup is not None:
        pc = _postcode(children.loc[via_postcode, "postcode"])
        well_formed = pc.str.match(_PC4) | pc.str.match(_PC6)
        # A PC6 the table does not hold falls back to its PC4 (a PC4 → wijk table is common).
        mapped = pc.map(lookup).astype(object)
        mapped = mapped.fillna(pc.str[:4].map(lookup).astype(object)).where(well_formed)
        bad_format = nothing.copy()
        bad_format[well_formed.index[~well_formed]] = True
        if bad_format.any():
            problems.append(
                f"{where}: postcode: not a Dutch postcode {_in_rows(rows, bad_format)}; "
                "expected PC4 (1234) or PC6 (1234AB); the values are not shown"
            )
        unmapped = nothing.copy()
        unmapped[mapped.index[mapped.isna() & well_formed]] = True
        if unmapped.any():
            problems.append(
                f"{where}: postcode: not in the postcode table {_in_rows(rows, unmapped)}; "
                "add those postcodes to the table or give the neighbourhood code; the values "
                "are not shown"
            )
        origin[via_postcode] = mapped.where(mapped.notna(), "").astype(str).str.upper()
    no_home = ~given & ~via_postcode
    if no_home.any() and ("neighbourhood" in children or "postcode" in children):
        problems.append(
            f"{where}: neighbourhood: no home neighbourhood"
            f"{' or postcode' if 'postcode' in children else ''} {_in_rows(rows, no_home)}"
        )
    unknown = (origin != "") & ~origin.isin(known)
    if unknown.any():
        values = sorted(set(origin[unknown]))
        quoted = [v for v in values if _CODE_PATTERN.match(v)]
        hidden = len(values) - len(quoted)
        parts = [f"unknown codes {quoted[:10]}{' …' if len(quoted) > 10 else ''}"] if quoted else []
        if hidden:
            parts.append(
                f"{_plural(hidden, 'value')} not shown because "
                f"{'it does' if hidden == 1 else 'they do'} not look like a neighbourhood code"
            )
        via = " (via the postcode table)" if (unknown & via_postcode).any() else ""
        problems.append(
            f"{where}: neighbourhood: not one of the {len(known)} planned neighbourhoods "
            f"{_in_rows(rows, unknown)}{via}: {' and '.join(parts)}; expected codes such as "
            f"{sorted(known.values())[:3]}"
        )
    return origin.map(known)


def _ages(children: pd.DataFrame, rows: pd.Series, where: str, problems: list[str]) -> pd.Series:
    """Ages as whole years; bad ones are counted with their row numbers, never quoted."""
    if "age" not in children:  # reported as a missing column
        return pd.Series(np.nan, index=children.index)
    low, high = AGE_BANDS[0][1], AGE_BANDS[-1][2]
    ages = pd.to_numeric(children["age"].str.replace(",", ".", regex=False), errors="coerce")
    bad = ages.isna() | (ages != np.floor(ages)) | (ages < low) | (ages > high)
    if bad.any():
        problems.append(
            f"{where}: age: not a whole number of years from {low} to {high} "
            f"{_in_rows(rows, bad)}; the values are not shown"
        )
    return ages


def _labels(
    children: pd.DataFrame,
    column: str,
    aliases: Mapping[str, str],
    valid: Iterable[str],
    where: str,
    problems: list[str],
) -> pd.Series:
    """Category ids from labels or their aliases; unknown labels counted per distinct value."""
    if column not in children:  # reported as a missing column
        return pd.Series(np.nan, index=children.index, dtype=object)
    normal = children[column].str.lower().str.replace(r"[\s_\-]+", " ", regex=True).str.strip()
    ids = normal.map(aliases)
    unknown = ids.isna()
    if unknown.any():
        # A label typed into the wrong column may be a child's name ("Jan de Vries"): rows and
        # counts only, never the value.
        rows = pd.Series(children.index, index=children.index)
        distinct = children.loc[unknown, column].nunique()
        problems.append(
            f"{where}: {column}: not a known value {_in_rows(rows, unknown)} "
            f"({_plural(distinct, 'distinct value')}, not shown); expected one of "
            f"{list(valid)} or an alias from docs/caseload.md"
        )
    return ids


def _age_bands(ages: pd.Series) -> pd.Series:
    bands = pd.Series("", index=ages.index, dtype=object)
    for band, first, last, _school in AGE_BANDS:
        bands[(ages >= first) & (ages <= last)] = band
    return bands


def _demand_table(table: pd.DataFrame) -> pd.DataFrame:
    keys = list(CASELOAD_COLUMNS[:-1])
    demand = table.groupby(keys, as_index=False).size().rename(columns={"size": "children"})
    demand["children"] = demand["children"].astype(float)
    return demand.sort_values(keys).reset_index(drop=True)[list(CASELOAD_COLUMNS)]


def _sibling_table(group_ids: pd.Series | None, origins: pd.Series) -> pd.DataFrame:
    empty = pd.DataFrame({"origin": pd.Series(dtype=object), "size": [], "groups": []}).astype(
        {"size": int, "groups": int}
    )
    if group_ids is None:
        return empty
    member = group_ids != ""
    if not member.any():
        return empty
    members = pd.DataFrame({"group": group_ids[member], "origin": origins[member]})
    # Each group at the neighbourhood most of its children live in (ties: first code).
    home = (
        members.groupby(["group", "origin"])
        .size()
        .reset_index(name="n")
        .sort_values(["group", "n", "origin"], ascending=[True, False, True])
        .drop_duplicates("group")
        .set_index("group")["origin"]
    )
    sizes = members.groupby("group").size().reindex(home.index)
    del members
    per_group = pd.DataFrame({"origin": home.to_numpy(), "size": sizes.to_numpy()})
    groups = per_group.value_counts(["origin", "size"]).rename("groups").reset_index()
    return groups.sort_values(["origin", "size"]).reset_index(drop=True)


def _sibling_compositions(group_ids: pd.Series | None, table: pd.DataFrame) -> pd.DataFrame:
    """Groups of two or more per home neighbourhood and composition (``SIBLING_GROUP_COLUMNS``)."""
    empty = pd.DataFrame(
        {"origin": pd.Series(dtype=object), "members": pd.Series(dtype=object)}
    ).assign(size=pd.Series(dtype=int), groups=pd.Series(dtype=int))
    if group_ids is None:
        return empty
    member = (group_ids != "").to_numpy()
    if not member.any():
        return empty
    members = table[member].assign(group=group_ids[member].to_numpy())
    members["segment"] = (
        members["origin"]
        + "/"
        + members["reason"]
        + "/"
        + members["support_need"]
        + "/"
        + members["age_band"]
    )
    home = (
        members.groupby(["group", "origin"])
        .size()
        .reset_index(name="n")
        .sort_values(["group", "n", "origin"], ascending=[True, False, True])
        .drop_duplicates("group")
        .set_index("group")["origin"]
    )
    per_group = members.groupby("group").agg(
        members=("segment", lambda s: ";".join(sorted(s))), size=("segment", "size")
    )
    del members
    per_group["origin"] = home.reindex(per_group.index).to_numpy()
    per_group = per_group[per_group["size"] >= 2]
    counts = per_group.value_counts(["origin", "members", "size"]).rename("groups").reset_index()
    return counts.sort_values(["origin", "members"]).reset_index(drop=True)[
        list(SIBLING_GROUP_COLUMNS)
    ]


def _placed(
    children: pd.DataFrame,
    rows: pd.Series,
    neighbourhoods: pd.DataFrame,
    where: str,
    problems: list[str],
) -> tuple[pd.Series, pd.Series]:
    """Each child's current site code and type (``""`` where it is not placed)."""
    empty = pd.Series("", index=children.index, dtype=object)
    has_site, has_type = "placed_at" in children, "placed_type" in children
    if not has_site and not has_type:
        return empty, empty
    if has_site != has_type:
        given, other = ("placed_at", "placed_type") if has_site else ("placed_type", "placed_at")
        problems.append(f"{where}: {given}: given without {other}; give both or neither")
        return empty, empty
    known = {str(c).strip().upper(): str(c) for c in neighbourhoods["code"]}
    site = children["placed_at"].str.upper()
    kind_given = children["placed_type"] != ""
    half = (site != "") != kind_given
    if half.any():
        problems.append(
            f"{where}: placed_at, placed_type: one without the other {_in_rows(rows, half)}; "
            "a placed child needs both, a child not placed neither"
        )
    unknown = (site != "") & ~site.isin(known)
    if unknown.any():
        quoted = sorted(v for v in set(site[unknown]) if _CODE_PATTERN.match(v))
        problems.append(
            f"{where}: placed_at: not one of the planned neighbourhoods "
            f"{_in_rows(rows, unknown)}" + (f": unknown codes {quoted[:10]}" if quoted else "")
        )
    types = pd.Series("", index=children.index, dtype=object)
    if kind_given.any():
        ids = _labels(
            children.loc[kind_given], "placed_type", TYPE_ALIASES, FACILITY_TYPES, where, problems
        )
        types[kind_given] = ids.fillna("")
    return site.map(known).fillna(""), types


def _placement_table(
    table: pd.DataFrame, sites: pd.Series, kinds: pd.Series, placed: pd.Series
) -> pd.DataFrame:
    """Placed children per site, type, home and segment."""
    keys = list(PLACEMENT_COLUMNS[:-1])
    rows = table[placed.to_numpy()].assign(
        site=sites[placed].to_numpy(), type=kinds[placed].to_numpy()
    )
    counts = rows.groupby(keys, as_index=False).size().rename(columns={"size": "children"})
    counts["children"] = counts["children"].astype(float)
    return counts.sort_values(keys).reset_index(drop=True)[list(PLACEMENT_COLUMNS)]
