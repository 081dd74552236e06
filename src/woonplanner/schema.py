"""Column contracts between the data adapters and the rest of the package.

Every adapter in :mod:`woonplanner.data` returns tables with exactly these columns, so that the
demo region, CBS open data and a planner's own files all feed the same code. The data dictionary
in ``data/dictionary/`` documents each column (type, unit, meaning, source) for users.
"""

from __future__ import annotations

#: CRS of every geometry inside woonplanner: RD New, metres.
CRS = "EPSG:28992"

#: Age bands of the plan: (id, first age, last age, school type or None for "no school").
AGE_BANDS: tuple[tuple[str, int, int, str | None], ...] = (
    ("0_3", 0, 3, None),
    ("4_11", 4, 11, "primary"),
    ("12_17", 12, 17, "secondary"),
)
AGE_BAND_IDS = tuple(b[0] for b in AGE_BANDS)

REASONS = ("parents_cannot_cope", "orphaned", "safety_risk")
#: ``intensive``: extra support that a family setting cannot give (only a woongroep suits).
SUPPORT_NEEDS = ("none", "extra", "intensive")
FACILITY_TYPES = ("pleeggezin", "gezinshuis", "woongroep")

#: Neighbourhoods (GeoDataFrame, polygons in EPSG:28992), one row per wijk or buurt.
NEIGHBOURHOOD_COLUMNS = (
    "code",  # str, unique: CBS wijkcode / buurtcode (WK036101) or demo code
    "name",  # str
    "gemeente",  # str: CBS gemeentecode (GM0361)
    "gemeente_name",  # str
    "jeugdregio",  # str: JZ01..JZ43
    "inhabitants",  # int, persons
    "households",  # int, private households
    "children_0_3",  # float, persons aged 0-3
    "children_4_11",  # float, persons aged 4-11
    "children_12_17",  # float, persons aged 12-17
)

#: Schools (GeoDataFrame, points in EPSG:28992).
SCHOOL_COLUMNS = ("name", "type")  # school type is "primary" or "secondary"

#: Current stock (DataFrame): units of a facility type in a neighbourhood.
STOCK_COLUMNS = ("neighbourhood", "type", "units")
#: Optional stock column: places per unit where they differ from the type's default.
STOCK_OPTIONAL_COLUMNS = ("places",)

#: Current placements (DataFrame): children from ``origin`` of one segment living at a site and
#: type now (aggregated counts, never one row per child).
PLACEMENT_COLUMNS = ("site", "type", "origin", "reason", "support_need", "age_band", "children")
