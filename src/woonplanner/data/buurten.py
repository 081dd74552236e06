"""Synthetic buurten: a seeded split of each wijk, a scale benchmark for the buurt level.

Real buurten (about 14,800 in the 2024 Wijk- en Buurtkaart, against 3,474 wijken) cannot be
downloaded in every setting, and the buurt level is where a plan's size grows: five times the
neighbourhoods within the same distance bands is about 25 times the arcs. This module makes
buurt-level inputs of the right size and shape from the wijken alone, so researchers can measure
a solver at that scale. **Its figures are synthetic**: they add up to the wijken's, but say
nothing true about any real buurt. Codes (``BU036101S01``: wijk digits, ``S`` for *synthetisch*,
an index), names (``synthetische buurt 1 van Centrum``) and the column ``synthetic = true`` say
so in every row.

How a wijk is split (seeded per wijk from ``seed`` and the wijk code, so a wijk's buurten do not
depend on which other regions are split with it):

* **how many buurten**: :func:`buurten_per_wijk`, ``max(1, round(m · (0.3 · P/P̄ + 0.7 · A/Ā)))``
  with *m* = 14,800 / 3,474 buurten per wijk, *P* and *A* the wijk's inhabitants and area and
  *P̄*, *Ā* their means over the 2024 wijken (:data:`REFERENCE_INHABITANTS_PER_WIJK`,
  :data:`REFERENCE_AREA_KM2_PER_WIJK`). Area weighs more because rural wijken hold many small
  villages and hamlets, each a buurt: the national total comes to about 14,600, Friesland (JZ02)
  to about 1,190;
* **polygons**: that many random points, uniform inside the wijk, numbered north to south, and
  their Voronoi cells clipped to the wijk, so the buurten tile the wijk exactly;
* **inhabitants**: a multinomial split of the wijk's inhabitants with Dirichlet(2) shares, so
  the buurten's counts are whole numbers adding up to the wijk's exactly;
* **households**: a multinomial split of the wijk's households in proportion to the buurten's
  inhabitants (± 15 % noise), then moved so no buurt has more households than inhabitants;
* **children**: the wijk's persons aged 0-14 and 15-24 (from which the reader estimates the
  three age bands, ``docs/data-cbs.md``) shared out in proportion to inhabitants with ± 25 %
  noise (noise halved until no buurt is above 100 %), written as the buurt's percentages
  (fractions, not whole numbers), so every age band adds up to the wijk's.

:func:`woonplanner.outputs.datafolder.write_data_folder` writes a data folder that
``woonplanner run scenarios/jeugdregio.toml --data-dir DIR --set region.level=buurt`` plans
(``woonplanner data split-buurten``).
"""

from __future__ import annotations

import json
import shutil
import zlib
from collections.abc import Callable, Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from woonplanner.data import cbs
from woonplanner.errors import InputDataError, ScenarioError, raise_if_problems
from woonplanner.fingerprint import file_sha256
from woonplanner.schema import CRS, NEIGHBOURHOOD_COLUMNS

#: Buurten per wijk in the 2024 Wijk- en Buurtkaart (about 14,800 buurten in 3,474 wijken).
MEAN_BUURTEN_PER_WIJK = 14_800 / 3_474
#: Mean inhabitants of the 3,393 land wijken of 2024 (17,942,715 inhabitants).
REFERENCE_INHABITANTS_PER_WIJK = 5_288.2
#: Mean area of those wijken in km² (RD New, simplified polygons: 35,078 km²).
REFERENCE_AREA_KM2_PER_WIJK = 10.338
#: Weight of inhabitants against area in the number of buurten of a wijk.
INHABITANTS_WEIGHT = 0.3

#: Dirichlet concentration of the inhabitants' shares: 2 gives buurten of clearly different
#: size without many empty ones.
_POPULATION_CONCENTRATION = 2.0
#: Log-normal spread of households per inhabitant and of the young people's share per buurt.
_HOUSEHOLD_SIGMA = 0.15
_AGE_SIGMA = 0.25

#: Files of a split data folder.
WIJKEN_FILE = "wijken.geojson"
BUURTEN_FILE = "buurten_synthetic.geojson"
MEMBERSHIP_FILE = "gemeente_jeugdregio.csv"
MANIFEST_FILE = "manifest.json"
README_FILE = "README.md"

#: The three age bands as the CBS reader estimates them from persons aged 0-14 (4, 8 and 3 of
#: its 15 single years) and 15-24 (3 of its 10 years for 12-17): see ``docs/data-cbs.md``.
_BAND_0_3, _BAND_4_11, _BAND_12_14 = 4 / 15, 8 / 15, 3 / 15
_BAND_15_17 = 3 / 10


# --------------------------------------------------------------------------------------------
# the split
# --------------------------------------------------------------------------------------------


def buurten_per_wijk(
    inhabitants: np.ndarray | pd.Series,
    area_km2: np.ndarray | pd.Series,
    *,
    mean_per_wijk: float = MEAN_BUURTEN_PER_WIJK,
) -> np.ndarray:
    """How many synthetic buurten each wijk gets (at least one).

    Parameters
    ----------
    inhabitants, area_km2
        Per wijk.
    mean_per_wijk
        Buurten per wijk of an average wijk; the default is the 2024 Wijk- en Buurtkaart's.
        Larger values make a larger benchmark.

    Returns
    -------
    numpy.ndarray
        Whole numbers ≥ 1.
    """
    size = (
        INHABITANTS_WEIGHT * np.asarray(inhabitants, dtype=float) / REFERENCE_INHABITANTS_PER_WIJK
        + (1 - INHABITANTS_WEIGHT) * np.asarray(area_km2, dtype=float) / REFERENCE_AREA_KM2_PER_WIJK
    )
    return np.maximum(1, np.round(mean_per_wijk * size)).astype(np.int64)


def synthetic_codes(codes: pd.Series) -> pd.Series:
    """True for the codes of synthetic buurten (``BU005900S01``: the wijk's six digits, ``S``,
    the buurt's number); a real CBS buurtcode has eight digits and never matches."""
    return codes.astype(str).str.fullmatch(r"BU\d{6}S\d+")


def _rng(seed: int, code: str) -> np.random.Generator:
    """The random stream of one wijk: from the seed and the wijk code only."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(code.encode())]))


def _random_points(polygon: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points uniform inside ``polygon`` (rejection sampling in its bounding box)."""
    xmin, ymin, xmax, ymax = shapely.bounds(polygon)
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    have = 0
    # a thin wijk fills little of its box: draw in batches sized by the fill ratio
    fill = max(shapely.area(polygon) / max((xmax - xmin) * (ymax - ymin), 1e-9), 1e-3)
    for _ in range(1000):
        batch = int(np.ceil(2 * (n - have) / fill)) + 8
        xy = np.column_stack(
            [rng.uniform(xmin, xmax, size=batch), rng.uniform(ymin, ymax, size=batch)]
        )
        inside = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        found.append(inside[: n - have])
        have += len(found[-1])
        if have == n:
            break
    else:  # pragma: no cover - needs a polygon of (almost) no area
        msg = f"cannot place {n} points inside a polygon of area {shapely.area(polygon):g} m²"
        raise InputDataError(msg)
    points = np.concatenate(found)
    # buurt 1 is the northernmost: a stable, readable numbering
    order = np.lexsort((points[:, 0], -points[:, 1]))
    return points[order]


def _polygonal(geometry: shapely.Geometry) -> shapely.Geometry:
    """The polygons of a clip result (a cell can touch the wijk along a line or in a point)."""
    if shapely.get_type_id(geometry) in (3, 6):  # Polygon, MultiPolygon
        return geometry
    parts = [
        p for p in shapely.get_parts(geometry) if shapely.get_type_id(p) in (3, 6) and p.area > 0
    ]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def split_polygon(polygon: shapely.Geometry, n: int, rng: np.random.Generator) -> list:
    """``n`` polygons that tile ``polygon``: Voronoi cells of random points inside it, clipped.

    Returns
    -------
    list of shapely geometries
        Polygons or multipolygons (a cell of a concave wijk can be cut in two), in the order of
        their points (north to south); their union is ``polygon``.
    """
    if n <= 1:
        return [polygon]
    points = _random_points(polygon, n, rng)
    cells = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=polygon, ordered=True)
    cells = shapely.get_parts(cells)
    clipped = [_polygonal(c) for c in shapely.intersection(cells, polygon)]
    # each cell holds its own point, which lies inside the wijk, so no clip is empty
    assert not any(c.is_empty for c in clipped), "a Voronoi cell lost its point"
    return clipped


def _multinomial(total: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Whole numbers adding up to ``total``, drawn in proportion to ``weights``."""
    if total <= 0 or weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    return rng.multinomial(int(total), weights / weights.sum()).astype(np.int64)


def _cap_households(households: np.ndarray, inhabitants: np.ndarray) -> np.ndarray:
    """Move households from buurten with more households than inhabitants to buurten with room.

    The total stays; it needs the wijk to have no more households than inhabitants.
    """
    households = households.copy()
    surplus = np.maximum(households - inhabitants, 0)
    room = np.maximum(inhabitants - households, 0)
    if surplus.sum() == 0 or room.sum() < surplus.sum():
        return households
    households -= surplus
    to_move = int(surplus.sum())
    # the buurten with the most room first; stable, so the result does not depend on chance
    for i in np.argsort(-room, kind="stable"):
        step = min(int(room[i]), to_move)
        households[i] += step
        to_move -= step
        if to_move == 0:
            break
    return households


def _age_shares(inhabitants: np.ndarray, pct_sum: float, rng: np.random.Generator) -> np.ndarray:
    """Each buurt's share of the wijk's young people: by inhabitants, with noise.

    The noise is halved until no buurt would have more young people than inhabitants
    (``pct_sum`` is the wijk's % aged 0-24); without noise each buurt has the wijk's
    percentages.
    """
    z = rng.normal(0.0, _AGE_SIGMA, size=len(inhabitants))
    total = inhabitants.sum()
    for _ in range(30):
        weights = inhabitants * np.exp(z)
        shares = weights / weights.sum()
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(inhabitants > 0, shares * total / inhabitants, 0.0)
        if pct_sum * factor.max() <= 100.0:
            return shares
        z = z / 2
    return inhabitants / total


def age_persons(neighbourhoods: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Persons aged 0-14 and 15-24 behind the three age bands of the CBS reader.

    The reader estimates ``children_0_3`` = 4/15, ``children_4_11`` = 8/15 of the 0-14 year
    olds and ``children_12_17`` = 3/15 of them plus 3/10 of the 15-24 year olds; this inverts
    that. A table whose bands were not made so (the demo region) is refused.
    """
    c03 = neighbourhoods["children_0_3"].to_numpy(dtype=float)
    c411 = neighbourhoods["children_4_11"].to_numpy(dtype=float)
    c1217 = neighbourhoods["children_12_17"].to_numpy(dtype=float)
    young = c03 + c411
    persons_0_14 = young / (_BAND_0_3 + _BAND_4_11)
    persons_15_24 = np.maximum((c1217 - _BAND_12_14 * persons_0_14) / _BAND_15_17, 0.0)
    scale = np.maximum(young, 1.0)
    if not np.allclose(2 * c03, c411, rtol=1e-9, atol=1e-9 * scale.max()):
        msg = (
            "children_0_3 and children_4_11 are not the CBS reader's 4/15 and 8/15 of the 0-14 "
            "year olds: only neighbourhoods read by woonplanner.data.cbs can be split"
        )
        raise InputDataError(msg)
    return persons_0_14, persons_15_24


def split_wijken(
    wijken: gpd.GeoDataFrame,
    *,
    seed: int = 0,
    mean_per_wijk: float = MEAN_BUURTEN_PER_WIJK,
) -> gpd.GeoDataFrame:
    """Split every wijk into synthetic buurten (see the module's docstring for how).

    Parameters
    ----------
    wijken
        Wijken as :func:`woonplanner.data.cbs.load_neighbourhoods` returns them (EPSG:28992).
    seed
        Seed of the split; the same seed gives the same buurten.
    mean_per_wijk
        Buurten per average wijk (:func:`buurten_per_wijk`).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`~woonplanner.schema.NEIGHBOURHOOD_COLUMNS` plus ``wijk`` (the wijk's code),
        ``wijk_name``, ``persons_0_14``, ``persons_15_24`` and ``synthetic`` (always
        ``True``), one row per buurt, in wijk order; inhabitants, households and every age
        band add up to their wijk's.
    """
    if not isinstance(seed, int | np.integer) or seed < 0:
        msg = f"--seed must be a whole number ≥ 0, got {seed!r}"
        raise ScenarioError(msg)
    if not mean_per_wijk > 0:
        msg = f"--per-wijk must be a number > 0, got {mean_per_wijk!r}"
        raise ScenarioError(msg)
    if wijken.crs is None or wijken.crs != CRS:
        msg = f"the wijken must be in {CRS}, got {wijken.crs}"
        raise InputDataError(msg)
    persons_0_14, persons_15_24 = age_persons(wijken)
    counts = buurten_per_wijk(
        wijken["inhabitants"], wijken.geometry.area / 1e6, mean_per_wijk=mean_per_wijk
    )
    rows: list[dict] = []
    for i, wijk in enumerate(wijken.itertuples(index=False)):
        rows.extend(
            _split_one(
                wijk,
                int(counts[i]),
                persons_0_14[i],
                persons_15_24[i],
                _rng(seed, str(wijk.code)),
            )
        )
    columns = [*NEIGHBOURHOOD_COLUMNS, "wijk", "wijk_name", "persons_0_14", "persons_15_24"]
    table = pd.DataFrame(rows, columns=[*columns, "geometry"])
    table["synthetic"] = True
    for column in ("inhabitants", "households"):
        table[column] = table[column].astype("int64")
    return gpd.GeoDataFrame(table, geometry="geometry", crs=CRS)


def _split_one(
    wijk, n: int, persons_0_14: float, persons_15_24: float, rng: np.random.Generator
) -> list[dict]:
    """The buurten of one wijk as rows (codes, names, counts, polygons)."""
    digits = str(wijk.code)[2:] if str(wijk.code).upper().startswith("WK") else str(wijk.code)
    width = max(2, len(str(n)))
    polygons = split_polygon(wijk.geometry, n, rng)
    inhabitants = _multinomial(
        int(wijk.inhabitants), rng.dirichlet(np.full(n, _POPULATION_CONCENTRATION)), rng
    )
    household_weights = inhabitants * np.exp(rng.normal(0.0, _HOUSEHOLD_SIGMA, size=n))
    if household_weights.sum() <= 0:  # households without inhabitants: share them by area
        household_weights = np.array([p.area for p in polygons])
    households = _cap_households(
        _multinomial(int(wijk.households), household_weights, rng), inhabitants
    )
    if wijk.inhabitants > 0:
        pct_sum = 100.0 * (persons_0_14 + persons_15_24) / float(wijk.inhabitants)
        shares = _age_shares(inhabitants.astype(float), pct_sum, rng)
    else:
        shares = np.zeros(n)
    young = persons_0_14 * shares
    older = persons_15_24 * shares
    rows = []
    for j in range(n):
        rows.append(
            {
                "code": f"BU{digits}S{j + 1:0{width}d}",
                "name": f"synthetische buurt {j + 1} van {wijk.name}",
                "gemeente": wijk.gemeente,
                "gemeente_name": wijk.gemeente_name,
                "jeugdregio": wijk.jeugdregio,
                "inhabitants": int(inhabitants[j]),
                "households": int(households[j]),
                "children_0_3": young[j] * _BAND_0_3,
                "children_4_11": young[j] * _BAND_4_11,
                "children_12_17": young[j] * _BAND_12_14 + older[j] * _BAND_15_17,
                "wijk": wijk.code,
                "wijk_name": wijk.name,
                "persons_0_14": young[j],
                "persons_15_24": older[j],
                "geometry": polygons[j],
            }
        )
    return rows


# --------------------------------------------------------------------------------------------
# the data folder
# --------------------------------------------------------------------------------------------


def to_cbs_file(neighbourhoods: gpd.GeoDataFrame, *, level: str) -> gpd.GeoDataFrame:
    """The attribute names of the Wijk- en Buurtkaart, so :mod:`woonplanner.data.cbs` reads it.

    The age columns ``0_15`` and ``15_25`` are percentages with decimals (persons aged 0-14
    and 15-24 over inhabitants, 0 where nobody lives), so the reader's age bands come out as
    the table's. ``level`` is ``"wijk"`` (``wijkcode``, ``wijknaam``) or ``"buurt"``
    (``buurtcode``, ``buurtnaam`` and the wijk's ``wijkcode``, ``wijknaam``).
    """
    if "persons_0_14" in neighbourhoods:
        young = neighbourhoods["persons_0_14"].to_numpy(dtype=float)
        older = neighbourhoods["persons_15_24"].to_numpy(dtype=float)
    else:
        young, older = age_persons(neighbourhoods)
    inhabitants = neighbourhoods["inhabitants"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct_young = np.where(inhabitants > 0, 100.0 * young / inhabitants, 0.0)
        pct_older = np.where(inhabitants > 0, 100.0 * older / inhabitants, 0.0)
    out = pd.DataFrame()
    if level == "buurt":
        out["buurtcode"] = neighbourhoods["code"].astype(str).to_numpy()
        out["buurtnaam"] = neighbourhoods["name"].astype(str).to_numpy()
        out["wijkcode"] = neighbourhoods["wijk"].astype(str).to_numpy()
        out["wijknaam"] = neighbourhoods["wijk_name"].astype(str).to_numpy()
    else:
        out["wijkcode"] = neighbourhoods["code"].astype(str).to_numpy()
        out["wijknaam"] = neighbourhoods["name"].astype(str).to_numpy()
    out["gemeentecode"] = neighbourhoods["gemeente"].astype(str).to_numpy()
    out["gemeentenaam"] = neighbourhoods["gemeente_name"].astype(str).to_numpy()
    out["aantal_inwoners"] = neighbourhoods["inhabitants"].astype("int64").to_numpy()
    out["huishoudens"] = neighbourhoods["households"].astype("int64").to_numpy()
    out["0_15"] = pct_young
    out["15_25"] = pct_older
    out["synthetic"] = bool(level == "buurt")
    return gpd.GeoDataFrame(out, geometry=neighbourhoods.geometry.to_numpy(), crs=CRS)


def _write_geojson(frame: gpd.GeoDataFrame, path: Path) -> None:
    # RD New as the file's CRS (a GeoJSON 2008 "crs" member): no reprojection, so the buurten
    # tile their wijk in the file exactly as computed
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")


def _resolve_regions(data_dir: Path, regions: Iterable[str]) -> list[tuple[str, str]]:
    """``(code, name)`` of each asked jeugdregio; every unknown one in one error."""
    table = cbs.list_jeugdregios(data_dir)
    by_code = {str(c).upper(): (str(c), str(n)) for c, n in zip(*table.T.to_numpy(), strict=True)}
    by_name = {n.casefold(): (c, n) for c, n in by_code.values()}
    chosen, unknown, problems = [], [], []
    for wanted in regions:
        key = wanted.strip()
        found = by_code.get(key.upper()) or by_name.get(key.casefold())
        if found is None:
            unknown.append(repr(wanted))
        elif found not in chosen:
            chosen.append(found)
    if unknown:
        problems.append(
            f"--regions: unknown jeugdregio {', '.join(unknown)}; valid codes: "
            f"{', '.join(sorted(c for c, _ in by_code.values()))}"
        )
    elif not chosen:
        problems.append("--regions: no jeugdregio given (e.g. --regions JZ02)")
    raise_if_problems(problems, InputDataError, header="split-buurten")
    return chosen


def split_data_folder(
    data_dir: str | Path,
    regions: Iterable[str],
    *,
    seed: int = 0,
    mean_per_wijk: float = MEAN_BUURTEN_PER_WIJK,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Read the wijken of ``regions`` from a CBS data folder and split them.

    Returns
    -------
    tuple
        The wijken (as :func:`~woonplanner.data.cbs.load_neighbourhoods` reads them), their
        synthetic buurten (:func:`split_wijken`) and the gemeente → jeugdregio table of the
        regions (``gemeentecode, gemeentenaam, jeugdregiocode, jeugdregionaam``).
    """
    data_dir = Path(data_dir)
    chosen = _resolve_regions(data_dir, regions)
    frames = [cbs.load_neighbourhoods(data_dir, jeugdregio=code) for code, _ in chosen]
    wijken = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=CRS)
    wijken = wijken.drop_duplicates("code").sort_values("code", kind="stable")
    wijken = wijken.reset_index(drop=True)
    buurten = split_wijken(wijken, seed=seed, mean_per_wijk=mean_per_wijk)
    names = dict(chosen)
    membership = (
        wijken[["gemeente", "gemeente_name", "jeugdregio"]]
        .drop_duplicates("gemeente")
        .assign(jeugdregio_name=lambda t: t["jeugdregio"].map(names))
        .sort_values("gemeente")
        .rename(
            columns={
                "gemeente": "gemeentecode",
                "gemeente_name": "gemeentenaam",
                "jeugdregio": "jeugdregiocode",
                "jeugdregio_name": "jeugdregionaam",
            }
        )
        .reset_index(drop=True)
    )
    return wijken, buurten, membership


def data_folder_filler(
    data_dir: str | Path,
    regions: Iterable[str],
    *,
    seed: int = 0,
    mean_per_wijk: float = MEAN_BUURTEN_PER_WIJK,
    progress: Callable[[str], None] | None = None,
) -> Callable[[Path], None]:
    """What fills a data folder with the wijken of ``regions`` and their synthetic buurten.

    The folder holds :data:`WIJKEN_FILE` (the regions' wijken as woonplanner reads them, with
    suppressed percentages already filled in), :data:`BUURTEN_FILE`, :data:`MEMBERSHIP_FILE`
    (only the regions' gemeenten), the youth-care table of ``data_dir`` when it has one (whole:
    its index is relative to the national average), :data:`MANIFEST_FILE` (seed, sources and
    their SHA-256, counts) and :data:`README_FILE`. The split is made here; the returned
    function writes the files into a folder
    (:func:`woonplanner.outputs.datafolder.write_data_folder` writes it atomically). The same
    inputs and seed give byte-identical files.

    Returns
    -------
    Callable
        ``fill(folder)``, which writes the files into ``folder``.
    """
    say = progress or (lambda _m: None)
    data_dir = Path(data_dir)
    files = cbs.default_data_files(data_dir)
    wijken, buurten, membership = split_data_folder(
        data_dir, regions, seed=seed, mean_per_wijk=mean_per_wijk
    )
    codes = list(membership["jeugdregiocode"].drop_duplicates())
    say(
        f"{len(wijken)} wijken of {', '.join(codes)} split into {len(buurten)} synthetic "
        f"buurten (seed {seed})"
    )
    youth_care = files.get("youth_care_index")
    # the files read: the polygons only when there is no membership table (cbs' order)
    member = "membership" if files.get("membership") is not None else "jeugdregio_polygons"
    roles = ("neighbourhoods", member, "youth_care_index")
    sources = {role: path for role in roles if (path := files.get(role)) is not None}
    manifest = _manifest(
        wijken, buurten, codes, seed=seed, mean_per_wijk=mean_per_wijk, sources=sources
    )

    def fill(tmp: Path) -> None:
        _write_geojson(to_cbs_file(wijken, level="wijk"), tmp / WIJKEN_FILE)
        _write_geojson(to_cbs_file(buurten, level="buurt"), tmp / BUURTEN_FILE)
        membership.to_csv(tmp / MEMBERSHIP_FILE, index=False, lineterminator="\n")
        if youth_care is not None:
            shutil.copyfile(youth_care, tmp / youth_care.name)
        (tmp / MANIFEST_FILE).write_text(
            json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        (tmp / README_FILE).write_text(_readme(codes, seed, len(buurten)), encoding="utf-8")

    return fill


def _manifest(
    wijken: gpd.GeoDataFrame,
    buurten: gpd.GeoDataFrame,
    codes: list[str],
    *,
    seed: int,
    mean_per_wijk: float,
    sources: dict[str, Path],
) -> dict:
    try:
        package_version = version("woonplanner")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        package_version = "unknown"
    per_region = {
        code: {
            "wijken": int((wijken["jeugdregio"] == code).sum()),
            "buurten": int((buurten["jeugdregio"] == code).sum()),
            "inhabitants": int(wijken.loc[wijken["jeugdregio"] == code, "inhabitants"].sum()),
        }
        for code in codes
    }
    return {
        "synthetic": True,
        "what": "synthetic buurten: a seeded split of CBS wijken, not CBS data "
        "(woonplanner data split-buurten)",
        "generator": "woonplanner.data.buurten",
        "woonplanner": package_version,
        "seed": seed,
        "mean_buurten_per_wijk": mean_per_wijk,
        "regions": per_region,
        "sources": {
            role: {"file": path.name, "sha256": file_sha256(path)} for role, path in sources.items()
        },
    }


def _readme(codes: list[str], seed: int, n_buurten: int) -> str:
    return (
        "# Synthetic buurten (woonplanner data split-buurten)\n\n"
        f"`{BUURTEN_FILE}` holds {n_buurten} **synthetic** buurten of {', '.join(codes)}, made "
        f"with seed {seed} by splitting each wijk of `{WIJKEN_FILE}` (CBS Wijk- en Buurtkaart) "
        "at random. They tile their wijk and add up to its inhabitants, households and age "
        "bands, but their polygons and figures are made up: they are a scale benchmark for "
        "the buurt level, not CBS data. Codes (`BU…S01`), names (`synthetische buurt …`) and "
        "the column `synthetic` say so.\n\n"
        "Plan them with\n\n"
        "    woonplanner run scenarios/jeugdregio.toml --data-dir THIS_FOLDER \\\n"
        f"        --set region.jeugdregio={codes[0]} --set region.level=buurt\n\n"
        "Only the chosen regions' wijken and gemeenten are in this folder. See docs/buurten.md "
        "of woonplanner. Wijken: data © CBS / PDOK (CC BY 4.0).\n"
    )
