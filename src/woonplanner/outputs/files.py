"""The run folder: written whole or not at all.

Everything is written into a temporary sibling folder which is renamed into place at the end,
so a failed or interrupted run never leaves half a folder, and an existing run is replaced only
with ``force`` (and then only once the new one is complete).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from woonplanner.errors import OutputExistsError
from woonplanner.fingerprint import file_sha256
from woonplanner.plan import Plan

FACILITY_COLUMNS = (
    "neighbourhood",
    "gemeente",
    "type",
    "existing_units",
    "opened_units",
    "closed_units",
    "units",
    "places",
    "occupied",
    "annual_cost_eur",
    "one_off_cost_eur",
    "children_replaced",
    "change_reason",
)
_COST_COLUMNS = ("annual_cost_eur", "one_off_cost_eur")
FLOW_COLUMNS = ("origin", "reason", "support_need", "age_band", "site", "type", "children", "km")


def check_out_dir(out: Path, *, force: bool) -> None:
    """Refuse an existing run folder unless ``force`` (exit code 2, nothing touched)."""
    if out.exists() and not force:
        msg = f"{out} already exists; choose another --out or pass --force to replace it"
        raise OutputExistsError(msg)


def write_run(
    out: str | Path,
    plan: Plan,
    *,
    force: bool = False,
    extra_files: dict[str, Callable[[Path], object]] | None = None,
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
    """
    start = time.perf_counter()

    def fill(tmp: Path) -> None:
        write_tables(tmp, plan)
        for _name, writer in (extra_files or {}).items():
            writer(tmp)
        if plan.scenario is not None:
            (tmp / "scenario.toml").write_text(plan.scenario.to_toml(), encoding="utf-8")
        # The manifest is written last, so it can time the writing of everything else.
        if "timings_s" in plan.manifest:
            plan.manifest["timings_s"]["outputs"] = round(time.perf_counter() - start, 3)
        _write_json(tmp / "manifest.json", plan.manifest)

    return write_folder(out, fill, force=force)


def write_folder(out: str | Path, fill: Callable[[Path], object], *, force: bool) -> Path:
    """Create the folder ``out`` whole or not at all.

    ``fill`` writes into a temporary folder beside ``out``, which then takes its place; if
    ``fill`` fails (or Ctrl-C), the temporary folder goes and an existing ``out`` is untouched.
    An existing ``out`` is replaced only with ``force``.

    Returns
    -------
    Path
        ``out``, resolved.
    """
    out = Path(out).expanduser().resolve()
    check_out_dir(out, force=force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent))
    try:
        fill(tmp)
        _replace(tmp, out, force=force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _replace(tmp: Path, out: Path, *, force: bool) -> None:
    if out.exists():
        check_out_dir(out, force=force)
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, out)


def write_tables(folder: Path, plan: Plan) -> None:
    """``plan.gpkg``, ``facilities.csv``, ``flows.csv`` and ``kpis.json`` into ``folder``.

    ``facilities.csv`` holds :data:`FACILITY_COLUMNS`: each open / keep / close decision per
    neighbourhood and type with its annual and one-off cost and the children living there now
    who must move (``children_replaced``) (their sums are the region's
    ``annual_cost_eur`` and ``one_off_cost_eur`` in ``kpis.json``). ``kpis.json`` is
    :attr:`Plan.kpis`: the region's figures and each gemeente's
    (:func:`woonplanner.plan.gemeente_kpis`).
    """
    # A plan made without placements (or by hand) moves nobody.
    fac = plan.facilities.reindex(columns=list(FACILITY_COLUMNS))
    fac["children_replaced"] = fac["children_replaced"].fillna(0.0)
    # Euros to the cent: "%.6g" would write 1.43953e+07, and the column must add up to the
    # region's total.
    fac = fac.assign(**{c: fac[c].map("{:.2f}".format) for c in _COST_COLUMNS})
    flows = plan.flows[list(FLOW_COLUMNS)]
    fac.to_csv(folder / "facilities.csv", index=False, float_format="%.6g", lineterminator="\n")
    flows.to_csv(folder / "flows.csv", index=False, float_format="%.6g", lineterminator="\n")
    _write_json(folder / "kpis.json", plan.kpis)
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
    lines = gpd.GeoDataFrame(
        flows,
        geometry=[LineString([tuple(a), tuple(b)]) for a, b in zip(start, end, strict=True)],
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
