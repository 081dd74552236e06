"""The run folder: written whole or not at all.

Everything is written into a temporary sibling folder which is renamed into place at the end,
so a failed or interrupted run never leaves half a folder, and an existing run is replaced only
with ``force`` (and then only once the new one is complete).

The one reader of a run folder, :func:`read_run`, lives with the data adapters
(:mod:`woonplanner.data.runfolder`), because the next run's region loader reads a run folder
too (``stock.from_run``) and the data flow goes one way; it is re-exported here, beside the
writer, with the column lists both share.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import sqlite3
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from woonplanner.data.runfolder import FACILITY_COLUMNS, FLOW_COLUMNS, read_run
from woonplanner.errors import OutputExistsError
from woonplanner.fingerprint import file_sha256
from woonplanner.plan import Plan
from woonplanner.privacy import Disclosure, disclosure, protect_flows, protect_neighbourhoods

__all__ = [
    "FACILITY_COLUMNS",
    "FLOW_COLUMNS",
    "check_out_dir",
    "make_manifest",
    "package_versions",
    "read_run",
    "write_folder",
    "write_geopackage",
    "write_run",
    "write_tables",
]

_COST_COLUMNS = ("annual_cost_eur", "one_off_cost_eur")


#: The file every folder woonplanner writes holds: ``--force`` replaces only such a folder.
MARKER = ".woonplanner"
_MARKER_TEXT = "This folder was written by woonplanner; woonplanner --force may replace it.\n"

#: Temporary folders are ``.NAME.PID-TOKEN.partial``: a later run can tell its own leftovers
#: (the marker inside, a process id that is gone) from anything else.
_PARTIAL = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.partial$")


def plain_number(value: Any, *, money: bool = False) -> str:
    """A number for a CSV cell, never in scientific notation.

    Money is euros and cents (``14935300.12``); other numbers keep 6 significant digits
    (``2668.02``, ``0.0183``), as ``%.6g`` did, but written out (``74979800``, not
    ``7.49798e+07``). Missing values are empty.

    Examples
    --------
    >>> plain_number(14935300.123, money=True), plain_number(7.49798e7), plain_number(0.018345)
    ('14935300.12', '74979800', '0.018345')
    """
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, bool | np.bool_ | str) or not isinstance(value, int | float | np.number):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if money:
        return f"{float(value):.2f}"
    text = np.format_float_positional(
        float(value), precision=6, unique=True, fractional=False, trim="-"
    )
    return "0" if text in ("-0", "") else text


def write_csv(
    frame: pd.DataFrame,
    path: Path,
    *,
    money: Callable[[str, Any], bool] = lambda column, row: str(column).endswith("_eur"),
) -> None:
    """Write ``frame`` as CSV with :func:`plain_number` cells: no ``1.49353e+07`` anywhere.

    ``money(column, row_label)`` says which cells are euros (default: columns ending in
    ``_eur``); compare.csv, whose money is in rows, passes its own.
    """
    out = frame.astype(object).copy()
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            continue
        out[column] = [
            plain_number(v, money=money(column, label))
            for label, v in zip(frame.index, frame[column], strict=True)
        ]
    out.to_csv(path, index=False, lineterminator="\n")


def is_woonplanner_folder(folder: Path) -> bool:
    """Whether ``folder`` was written by woonplanner: its marker, or (runs written before the
    marker) a ``manifest.json`` that names woonplanner's version."""
    if not folder.is_dir() or folder.is_symlink():
        return False
    if (folder / MARKER).is_file():
        return True
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and "woonplanner" in (manifest.get("versions") or {})


def check_out_dir(
    out: Path, *, force: bool, inputs: Sequence[str | Path] = (), option: str = "--out"
) -> None:
    """Refuse an output folder that cannot or may not be written (exit code 2, nothing touched).

    An existing ``out`` is replaced only with ``force``, and even then only when woonplanner
    wrote it (:func:`is_woonplanner_folder`), it is not the current folder or one of its
    parents, and no input of the same command (``inputs``) is or lies inside it. The nearest
    existing parent must be a folder this user can write in: that is checked here, before the
    long work, not after the solve.
    """
    out = Path(out).expanduser().absolute()
    cwd = Path.cwd().resolve()
    real = out.resolve()
    if real == cwd or cwd.is_relative_to(real):
        what = "the current folder" if real == cwd else "a parent of the current folder"
        msg = f"{option} {out}: is {what}; woonplanner writes a new folder, give a new name"
        raise OutputExistsError(msg)
    for given in inputs:
        source = Path(given).expanduser().resolve()
        if source == real or source.is_relative_to(real):
            msg = (
                f"{option} {out}: is (or holds) {source}, an input of this command; "
                "write to another folder"
            )
            raise OutputExistsError(msg)
    if out.exists() or out.is_symlink():
        if not force:
            msg = f"{out} already exists; choose another {option} or pass --force to replace it"
            raise OutputExistsError(msg)
        if not is_woonplanner_folder(out) and not _empty_folder(out):
            kind = "a folder" if out.is_dir() else "not a folder"
            msg = (
                f"{option} {out}: exists and is {kind} woonplanner did not write (no {MARKER} "
                "marker or run manifest); --force replaces only woonplanner's own folders, "
                "so nothing was touched: choose another name or remove it yourself"
            )
            raise OutputExistsError(msg)
    _check_writable(out, option)


def _empty_folder(folder: Path) -> bool:
    return folder.is_dir() and not folder.is_symlink() and not any(folder.iterdir())


def _check_writable(out: Path, option: str) -> None:
    """The nearest existing parent of ``out`` is a folder this process can create folders in."""
    parent = out.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        msg = f"{option} {out}: {parent} is a file, not a folder"
        raise OutputExistsError(msg)
    # os.access says yes to root on a read-only file system: try it instead.
    probe = parent / f".woonplanner-probe.{os.getpid()}-{secrets.token_hex(4)}"
    try:
        probe.mkdir()
        probe.rmdir()
    except OSError as err:
        msg = f"{option} {out}: cannot write in {parent}: {err.strerror or err}"
        raise OutputExistsError(msg) from None


def clean_stale(parent: Path) -> list[Path]:
    """Remove temporary folders in ``parent`` that a killed woonplanner left behind.

    Only ``.NAME.PID-TOKEN.partial`` folders holding the marker whose process is gone, and
    ``.NAME.old`` folders woonplanner wrote, are removed; returns them.
    """
    removed: list[Path] = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _PARTIAL.match(entry.name)
        stale = (
            match is not None and (entry / MARKER).is_file() and not _alive(int(match["pid"]))
        ) or (
            entry.name.startswith(".")
            and entry.name.endswith(".old")
            and (is_woonplanner_folder(entry))
        )
        if stale and entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def write_run(
    out: str | Path,
    plan: Plan,
    *,
    force: bool = False,
    extra_files: dict[str, Callable[[Path], object]] | None = None,
    inputs: Sequence[str | Path] = (),
    caseload_cells: pd.DataFrame | None = None,
) -> Path:
    """Write the run folder ``out`` atomically (see SPEC §5 for its files).

    Parameters
    ----------
    out
        The run folder to create.
    plan
        The plan, with ``scenario`` and ``manifest`` set.
    force
        Replace an existing folder (only after the new one is complete).
    extra_files
        More writers, name → function that writes that file into the temporary folder
        (``map.html``, ``report.html``).
    inputs
        The run's input files and folders: ``out`` may be none of them nor hold one.
    caseload_cells
        The aggregated caseload (``origin, reason, support_need, age_band, children``) when
        demand comes from one: the files then publish no small cell
        (:mod:`woonplanner.privacy`), and ``kpis.json`` and the manifest say so.
    """
    start = time.perf_counter()
    rule = None
    if caseload_cells is not None:
        threshold = plan.scenario.output.privacy_threshold if plan.scenario is not None else 5
        gemeente_of = dict(
            zip(plan.neighbourhoods["code"], plan.neighbourhoods["gemeente"], strict=True)
        )
        rule = disclosure(caseload_cells, gemeente_of, threshold)
        plan.manifest["privacy"] = rule.note()

    def fill(tmp: Path) -> None:
        write_tables(tmp, plan, rule=rule)
        for _name, writer in (extra_files or {}).items():
            writer(tmp)
        if plan.scenario is not None:
            (tmp / "scenario.toml").write_text(plan.scenario.to_toml(), encoding="utf-8")
        # The manifest is written last, so it can time the writing of everything else.
        if "timings_s" in plan.manifest:
            plan.manifest["timings_s"]["outputs"] = round(time.perf_counter() - start, 3)
        _write_json(tmp / "manifest.json", plan.manifest)

    return write_folder(out, fill, force=force, inputs=inputs)


def write_folder(
    out: str | Path,
    fill: Callable[[Path], object],
    *,
    force: bool,
    inputs: Sequence[str | Path] = (),
) -> Path:
    """Create the folder ``out`` whole or not at all.

    ``fill`` writes into a temporary folder beside ``out``, which then takes its place; if
    ``fill`` fails (or Ctrl-C), the temporary folder goes and an existing ``out`` is untouched.
    An existing ``out`` is replaced only with ``force`` and only when woonplanner wrote it
    (:func:`check_out_dir`; ``inputs`` are the command's inputs, never replaced). The folder
    gets the user's umask (colleagues on a shared drive can read it) and the :data:`MARKER`;
    leftovers of killed runs beside it are removed first (:func:`clean_stale`).

    Returns
    -------
    Path
        ``out``, resolved.
    """
    out = Path(out).expanduser().resolve()
    check_out_dir(out, force=force, inputs=inputs)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out.parent)
    tmp = out.parent / f".{out.name}.{os.getpid()}-{secrets.token_hex(4)}.partial"
    # os.mkdir follows the umask; tempfile.mkdtemp would make it drwx------.
    tmp.mkdir()
    try:
        (tmp / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
        fill(tmp)
        make_reproducible(tmp)
        _replace(tmp, out, force=force, inputs=inputs)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


#: Folium / branca name every element ``<kind>_<32 random hex digits>``.
_ELEMENT_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9A-Za-z])")

#: The time written into a GeoPackage's ``gpkg_contents.last_change`` (it would be now).
FIXED_TIMESTAMP = "2000-01-01T00:00:00.000Z"


def make_reproducible(folder: Path) -> None:
    """Make the pages and GeoPackages in ``folder`` the same bytes for the same plan.

    Folium gives every element a random id; they are renumbered in order of first appearance
    (``map_000…001``), so one input gives one ``map.html``. A GeoPackage records when each
    layer was written; that time is set to :data:`FIXED_TIMESTAMP` (the manifest keeps the
    run's timings).
    """
    for page in sorted(folder.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        seen: dict[str, str] = {}

        def renumber(match: re.Match[str], seen: dict[str, str] = seen) -> str:
            return seen.setdefault(match.group(0), f"{len(seen) + 1:032x}")

        stable = _ELEMENT_ID.sub(renumber, text)
        if stable != text:
            page.write_text(stable, encoding="utf-8")
    for gpkg in sorted(folder.glob("*.gpkg")):
        _fix_gpkg_times(gpkg)


def _fix_gpkg_times(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "gpkg_contents" in tables:
            db.execute("UPDATE gpkg_contents SET last_change = ?", (FIXED_TIMESTAMP,))
        if "gpkg_metadata_reference" in tables:
            db.execute("UPDATE gpkg_metadata_reference SET timestamp = ?", (FIXED_TIMESTAMP,))


def _replace(tmp: Path, out: Path, *, force: bool, inputs: Sequence[str | Path]) -> None:
    if out.exists() or out.is_symlink():
        # Checked again: the folder may have appeared while the plan was made.
        check_out_dir(out, force=force, inputs=inputs)
        if _empty_folder(out):
            out.rmdir()
            os.replace(tmp, out)
            return
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def write_tables(folder: Path, plan: Plan, *, rule: Disclosure | None = None) -> None:
    """``plan.gpkg``, ``facilities.csv``, ``flows.csv`` and ``kpis.json`` into ``folder``.

    ``facilities.csv`` holds :data:`FACILITY_COLUMNS`: each open / keep / close decision per
    neighbourhood and type with its annual and one-off cost and the children living there now
    who must move (``children_replaced``) (their sums are the region's
    ``annual_cost_eur`` and ``one_off_cost_eur`` in ``kpis.json``). ``kpis.json`` is
    :attr:`Plan.kpis`: the region's figures and each gemeente's
    (:func:`woonplanner.plan.gemeente_kpis`).

    With a caseload's ``rule``, ``flows`` (CSV and layer) merge small cells and the
    neighbourhood layer leaves out the figures of pooled neighbourhoods
    (:mod:`woonplanner.privacy`); ``kpis.json`` gets a ``privacy`` note.
    """
    kpis = plan.kpis
    if rule is not None:
        plan = replace(
            plan,
            flows=protect_flows(plan.flows[list(FLOW_COLUMNS)], rule),
            neighbourhoods=protect_neighbourhoods(plan.neighbourhoods, rule),
        )
        kpis = {**plan.kpis, "privacy": rule.note()}
    # A plan made without placements (or by hand) moves nobody.
    fac = plan.facilities.reindex(columns=list(FACILITY_COLUMNS))
    fac["children_replaced"] = fac["children_replaced"].fillna(0.0)
    # Euros to the cent: "%.6g" would write 1.43953e+07, and the column must add up to the
    # region's total.
    fac = fac.assign(**{c: fac[c].map("{:.2f}".format) for c in _COST_COLUMNS})
    flows = plan.flows[list(FLOW_COLUMNS)]
    fac.to_csv(folder / "facilities.csv", index=False, float_format="%.6g", lineterminator="\n")
    flows.to_csv(folder / "flows.csv", index=False, float_format="%.6g", lineterminator="\n")
    _write_json(folder / "kpis.json", kpis)
    write_geopackage(folder / "plan.gpkg", plan)


def write_geopackage(path: Path, plan: Plan) -> None:
    """Layers ``neighbourhoods``, ``facilities``, ``flows``, ``gemeenten`` (EPSG:28992)."""
    import geopandas as gpd
    from shapely import LineString, Point

    crs = plan.neighbourhoods.crs
    fac = gpd.GeoDataFrame(
        plan.facilities.drop(columns=["x", "y"]),
        geometry=[
            Point(x, y) for x, y in zip(plan.facilities["x"], plan.facilities["y"], strict=True)
        ],
        crs=crs,
    )
    xy = plan.neighbourhoods.set_index("code")[["rep_x", "rep_y"]]
    flows = plan.flows
    start = xy.reindex(flows["origin"]).to_numpy()
    end = xy.reindex(flows["site"]).to_numpy()
    # A pooled origin (a gemeente's small neighbourhoods, SPEC §5) has no point: no line.
    lines = gpd.GeoDataFrame(
        flows,
        geometry=[
            LineString([tuple(a), tuple(b)]) if np.isfinite([*a, *b]).all() else None
            for a, b in zip(start, end, strict=True)
        ],
        crs=crs,
    )
    with warnings.catch_warnings():
        # pyogrio warns about field types it widens (bool → int); the values are unchanged.
        warnings.simplefilter("ignore", RuntimeWarning)
        plan.neighbourhoods.to_file(path, layer="neighbourhoods", driver="GPKG")
        fac.to_file(path, layer="facilities", driver="GPKG")
        lines.to_file(path, layer="flows", driver="GPKG")
        plan.gemeenten.to_file(path, layer="gemeenten", driver="GPKG")


def _write_json(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False, default=_json_default)
        + "\n",
        encoding="utf-8",
    )


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    msg = f"cannot write {type(value).__name__} to JSON"
    raise TypeError(msg)


def package_versions() -> dict[str, str]:
    """Versions of woonplanner, Python, Pyomo, HiGHS and the geodata stack."""
    versions = {"python": platform.python_version()}
    for name in ("woonplanner", "pyomo", "highspy", "pandas", "geopandas", "shapely", "folium"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def make_manifest(
    *,
    input_files: tuple[Path, ...] | list[Path],
    solve: dict[str, Any],
    timings_s: dict[str, float],
    problem_size: dict[str, int],
) -> dict[str, Any]:
    """The manifest of a run: versions, input hashes, solver outcome, sizes and timings."""
    return {
        "versions": package_versions(),
        "inputs": {str(p): file_sha256(Path(p)) for p in sorted(set(map(str, input_files)))},
        "solver": solve,
        "problem": problem_size,
        "timings_s": {k: round(v, 3) for k, v in timings_s.items()},
    }
