"""Parameter sweeps: one scenario planned once per value of one key, and the curve they make.

``woonplanner sweep [SCENARIO] --vary objective.km_weight_eur=0,250,1000,5000 --out DIR`` plans
the scenario for each value and writes ``DIR`` atomically, like a run folder:

``sweep.csv``
    one row per value (:data:`SWEEP_COLUMNS`): the key and value, status, gap, children placed
    and unplaced, child-km, mean and 90th-percentile km, annual, one-off and total cost, units
    per type, and why a value has no plan.
``sweep.html``
    the trade-off between cost and proximity as a curve (cost, annual plus one-off as the
    objective counts it, against the mean distance to school, a point per value) above the
    same table. A point whose plan is not proven optimal is drawn hollow, one that leaves
    children unplaced has a red ring: such a point is cheap because children go without.

With the km weight as the key this is SPEC §4's curve: every point is a plan that is optimal
(to the solver's gap) for its weight, so a higher weight never buys longer distances, and
never costs less (derived in docs/model.md, tested with exact solves; at the default 0.1 % gap
the points can wiggle by that much: ``--set solver.mip_gap=0.0001`` for a smooth curve). Any
other scalar key works the same way (``demand.rate_per_1000``, ``reasons.safety_risk.max_km``,
``budget.annual_eur``, …): a sweep is a set of scenarios that differ in one value.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from woonplanner.errors import InfeasibleError, NoSolutionError, ScenarioError, raise_if_problems
from woonplanner.outputs.files import write_folder
from woonplanner.outputs.report import Formatter
from woonplanner.parallel import check_jobs, run_tasks
from woonplanner.scenario import Scenario, load_scenario, parse_value

__all__ = ["SWEEP_COLUMNS", "parse_vary", "sweep", "sweep_html", "write_sweep"]

#: Columns of ``sweep.csv`` before the units per type (``units_<type>``).
SWEEP_COLUMNS = (
    "key",
    "value",
    "status",
    "mip_gap",
    "children_demand",
    "children_placed",
    "children_unplaced",
    "child_km",
    "mean_km",
    "p90_km",
    "annual_cost_eur",
    "one_off_cost_eur",
    "cost_eur",
    "message",
)
#: The region figures a row copies from ``kpis.json``.
_FIGURES = SWEEP_COLUMNS[4:12]
#: The status of a value without a plan (``status`` otherwise is the solver's, as in kpis.json).
_NO_PLAN = {InfeasibleError: "infeasible", NoSolutionError: "no_plan_in_time"}
#: Children unplaced from this many up count as such on the curve (below: solver round-off).
_UNPLACED_MIN = 0.05

_LABELS = {
    "nl": {
        "title": "Afweging kosten en nabijheid",
        "x": "gemiddelde afstand tot school (km)",
        "y": "kosten jaarlijks + eenmalig (€ mln)",
        "caption": "Elk punt is een plan voor één waarde van {key} (het getal bij het punt), "
        "optimaal voor die waarde. Open punt: niet bewezen optimaal (tijdslimiet). Rode ring: "
        "er blijven kinderen zonder plek; zo'n plan is goedkoop omdat zij geen plek krijgen.",
        "no_plan": "Geen plan voor {key} = {value}: {message}",
        "unplaced": "{count} niet geplaatst",
        "not_proven": "niet bewezen",
        "value": "waarde",
        "status": "status",
        "mip_gap": "gap",
        "children_demand": "kinderen",
        "children_placed": "geplaatst",
        "children_unplaced": "niet geplaatst",
        "mean_km": "gem. afstand",
        "p90_km": "90 % binnen",
        "annual_cost_eur": "kosten per jaar",
        "one_off_cost_eur": "eenmalig",
        "cost_eur": "samen",
        "units": "eenheden {type}",
        "optimal": "optimaal",
        "time_limit": "tijdslimiet",
        "infeasible": "geen plan mogelijk",
        "no_plan_in_time": "geen plan binnen de tijd",
    },
    "en": {
        "title": "Trade-off between cost and proximity",
        "x": "mean distance to school (km)",
        "y": "annual + one-off cost (€ million)",
        "caption": "Each point is a plan for one value of {key} (the number by the point), "
        "optimal for that value. Hollow point: not proven optimal (time limit). Red ring: "
        "children are left without a place; such a plan is cheap because they go without.",
        "no_plan": "No plan for {key} = {value}: {message}",
        "unplaced": "{count} unplaced",
        "not_proven": "not proven",
        "value": "value",
        "status": "status",
        "mip_gap": "gap",
        "children_demand": "children",
        "children_placed": "placed",
        "children_unplaced": "unplaced",
        "mean_km": "mean distance",
        "p90_km": "90 % within",
        "annual_cost_eur": "annual cost",
        "one_off_cost_eur": "one-off",
        "cost_eur": "together",
        "units": "units {type}",
        "optimal": "optimal",
        "time_limit": "time limit",
        "infeasible": "no plan possible",
        "no_plan_in_time": "no plan in time",
    },
}


def parse_vary(text: str) -> tuple[str, list[str]]:
    """``KEY=V1,V2,…`` as the key and the values (each read as TOML, like ``--set``).

    Raises
    ------
    ScenarioError
        Without ``=``, without a value, with the same value twice, or for a key whose value is
        a list or a section (a sweep varies one number, word or true/false).
    """
    key, sep, values_text = text.partition("=")
    key = key.strip()
    values = [v.strip() for v in values_text.split(",") if v.strip()]
    if not sep or not key or not values:
        msg = f"--vary {text}: expected KEY=V1,V2,…, e.g. objective.km_weight_eur=0,500,1000"
        raise ScenarioError(msg)
    if len(set(values)) < len(values):
        msg = f"--vary {text}: a value is given twice"
        raise ScenarioError(msg)
    default: Any = Scenario().model_dump()
    for part in key.split("."):
        if not isinstance(default, dict) or part not in default:
            return key, values  # an unknown key: the scenario check names it
        default = default[part]
    if isinstance(default, list | dict):
        what = "a list" if isinstance(default, list) else "a section"
        msg = f"--vary {key}: is {what}; a sweep varies one number, word or true/false"
        raise ScenarioError(msg)
    return key, values


def sweep(
    scenario: str | Path | None,
    key: str,
    values: Sequence[str],
    *,
    overrides: Sequence[str] = (),
    data_dir: str | Path | None = None,
    flags: Sequence[tuple[str, str, Any]] = (),
    progress: Callable[[str], None] = lambda _message: None,
    jobs: int = 1,
    scheduler: str | None = None,
    show_progress: bool = True,
) -> pd.DataFrame:
    """Plan ``scenario`` once per value of ``key``; one row per value (see the module doc).

    The values are tasks on Dask (:mod:`woonplanner.parallel`): ``jobs`` local worker
    processes or the cluster of ``scheduler``; the table is the same either way.

    Every value is checked before the first solve, and every problem of every value is listed
    at once. A value whose scenario has no plan (infeasible, nothing within the time limit) is
    a row with its reason and the others go on; any other error (the data) stops the sweep.

    Parameters
    ----------
    scenario
        Scenario file or name, as for :func:`~woonplanner.scenario.load_scenario` (``None``:
        the demo).
    key, values
        The key to vary and its values, each as TOML text (``"500"``, ``'"soft"'``).
    overrides, data_dir, flags
        As for :func:`~woonplanner.scenario.load_scenario`, the same for every value;
        ``overrides`` must not set ``key``.
    progress
        Receives a line per value, and the gap of a long solve (when run here, ``jobs=1``).
    jobs, scheduler, show_progress
        Where the values are planned, and the progress bar
        (:func:`~woonplanner.parallel.run_tasks`).
    """
    check_jobs(jobs, scheduler)
    if any(item.partition("=")[0].strip() == key for item in overrides):
        msg = f"--vary {key}: also set with --set; the sweep sets it, once per value"
        raise ScenarioError(msg)
    scenarios, problems = [], []
    for value in values:
        vary = ("--vary", key, parse_value(value))
        try:
            scenarios.append(
                load_scenario(
                    scenario, overrides=list(overrides), data_dir=data_dir, flags=[*flags, vary]
                )
            )
        except ScenarioError as err:
            problems += [p for p in _problems(err) if p not in problems]
    raise_if_problems(problems, ScenarioError, header="Invalid sweep")
    n = len(values)
    args = []
    for k, (value, sc) in enumerate(zip(values, scenarios, strict=True), start=1):
        where = f"[{k}/{n}] {key}={value}"
        # A long solve's gap reaches the command line only from a solve run here, not on a
        # Dask worker.
        args.append((key, value, sc, where, progress if jobs == 1 and not scheduler else None))

    def finished(k: int, row: dict[str, Any]) -> None:
        progress(_line(args[k][3], row))

    rows = run_tasks(
        _sweep_value,
        args,
        jobs=jobs,
        scheduler=scheduler,
        label="values",
        on_result=finished,
        show_progress=show_progress,
    )
    table = pd.DataFrame(rows)
    units = sorted(c for c in table.columns if c.startswith("units_"))
    return table.reindex(columns=[*SWEEP_COLUMNS, *units])


def _sweep_value(
    key: str,
    value: str,
    scenario: Scenario,
    where: str,
    progress: Callable[[str], None] | None,
) -> dict[str, Any]:
    """Plan one value of a sweep (a Dask task): its row of ``sweep.csv``."""
    from woonplanner.runner import run

    def solving(message: str) -> None:
        if progress is not None and message.startswith("  branch and bound:"):
            progress(f"{where}:{message}")  # a long solve's gap, no more

    try:
        plan = run(scenario, progress=solving)
    except (InfeasibleError, NoSolutionError) as err:
        return {
            "key": key,
            "value": value,
            "status": _NO_PLAN[type(err)],
            "message": str(err).replace("\n", " "),
        }
    region = plan.kpis["region"]
    return {
        "key": key,
        "value": value,
        "status": plan.kpis["status"],
        "mip_gap": plan.kpis["mip_gap"],
        **{c: region[c] for c in _FIGURES},
        "cost_eur": region["annual_cost_eur"] + region["one_off_cost_eur"],
        **{f"units_{t}": units for t, units in region["units_by_type"].items()},
    }


def _problems(err: ScenarioError) -> list[str]:
    """The problems an error lists (``  - …`` lines), or its one message."""
    lines = [line[4:] for line in str(err).splitlines() if line.startswith("  - ")]
    return lines or [str(err)]


def _line(where: str, row: dict[str, Any]) -> str:
    if "cost_eur" not in row:
        return f"{where}: {row['status']} — {row['message']}"
    gap = row["mip_gap"]
    return (
        f"{where}: {row['status']}"
        + (f" (gap {100 * gap:.3f} %)" if row["status"] != "optimal" and gap is not None else "")
        + f", cost {row['cost_eur']:,.0f}, mean {row['mean_km'] or 0:.2f} km, "
        f"{row['children_unplaced']:.1f} unplaced"
    )


def write_sweep(
    out: str | Path,
    table: pd.DataFrame,
    key: str,
    *,
    scenario: Scenario | None = None,
    force: bool = False,
) -> Path:
    """Write ``sweep.csv`` and ``sweep.html`` into the folder ``out``, atomically.

    Parameters
    ----------
    out
        The folder to create (replaced only with ``force``).
    table
        The result of :func:`sweep`.
    key
        The key that was varied (for the page's text).
    scenario
        The sweep's scenario: its region names the page, its ``output`` sets the language and
        the privacy threshold (defaults: Dutch, 5).
    force
        Replace an existing folder (only after the new one is complete).
    """

    def fill(tmp: Path) -> None:
        table.to_csv(tmp / "sweep.csv", index=False, float_format="%.10g", lineterminator="\n")
        (tmp / "sweep.html").write_text(sweep_html(table, key, scenario=scenario), "utf-8")

    return write_folder(out, fill, force=force)


def sweep_html(table: pd.DataFrame, key: str, *, scenario: Scenario | None = None) -> str:
    """The page: the curve of cost against mean km, the values without a plan, the table.

    Made to be shared like the report: counts of children below the privacy threshold read
    "<5" (``sweep.csv`` keeps the expected numbers, like ``kpis.json``).
    """
    lang = "nl" if scenario is None else scenario.output.lang
    fmt = Formatter(
        lang=lang, threshold=5 if scenario is None else scenario.output.privacy_threshold
    )
    labels = _LABELS[lang]
    place = None if scenario is None else (scenario.region.jeugdregio or scenario.name)
    heading = labels["title"] + (f" — {place}" if place else "")
    planned = table.dropna(subset=["cost_eur", "mean_km"])
    failed = table[table["cost_eur"].isna()]
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{html.escape(heading)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em auto;max-width:66em;"
        "color:#222}table{border-collapse:collapse;font-size:14px}td,th{padding:4px 8px;"
        "border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}th:first-child,"
        "td:first-child"
        "{text-align:left}svg text{font-size:12px;fill:#333}</style></head><body>",
        f"<h1>{html.escape(heading)}</h1>",
        _curve_svg(planned, labels, fmt),
        f"<p>{html.escape(labels['caption'].format(key=key))}</p>",
    ]
    for row in failed.itertuples():
        text = labels["no_plan"].format(key=key, value=row.value, message=row.message)
        parts.append(f"<p>{html.escape(text)}</p>")
    parts.append(f'<div style="overflow-x:auto">{_table_html(table, labels, fmt)}</div>')
    parts.append("</body></html>")
    return "\n".join(parts)


def _table_html(table: pd.DataFrame, labels: dict[str, str], fmt: Formatter) -> str:
    """The table in the page's language, numbers formatted as in the report."""
    units = [c for c in table.columns if c.startswith("units_")]
    columns: list[tuple[str, Callable[[Any], str]]] = [
        ("value", str),
        ("status", lambda s: labels.get(str(s), str(s))),
        ("mip_gap", lambda g: fmt.percent(g, decimals=3)),
        ("children_demand", fmt.count),
        ("children_placed", fmt.count),
        ("children_unplaced", fmt.count),
        ("mean_km", fmt.km),
        ("p90_km", fmt.km),
        ("annual_cost_eur", fmt.money),
        ("one_off_cost_eur", fmt.money),
        ("cost_eur", fmt.money),
        *[(c, fmt.number) for c in units],
    ]
    head = [labels[c] for c, _ in columns[: -len(units) or None]]
    head += [labels["units"].format(type=fmt.type_label(c.removeprefix("units_"))) for c in units]
    body = []
    for _, row in table.iterrows():
        # A value without a plan has only its value and status.
        cells = ["" if pd.isna(row[c]) else show(row[c]) for c, show in columns]
        body.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    header = "<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in head) + "</tr>"
    return f"<table><thead>{header}</thead><tbody>{''.join(body)}</tbody></table>"


def _curve_svg(points: pd.DataFrame, labels: dict[str, str], fmt: Formatter) -> str:
    """Cost (y) against mean km (x), one point per plan, joined in the order of the values.

    The cost is the objective's: annual plus one-off (opening, closing). Annual cost alone can
    fall as the km weight rises, when a plan opens more units nearer to the children. Values
    with the same plan share one point and one label.
    """
    width, height, left, right, top, bottom = 760, 440, 80, 150, 20, 50
    if points.empty:
        return ""
    x = points["mean_km"].to_numpy(dtype=float)
    y = points["cost_eur"].to_numpy(dtype=float) / 1e6
    x0, x1 = _padded(x.min(), x.max())
    y0, y1 = _padded(y.min(), y.max())

    def sx(v: float) -> float:
        return left + (v - x0) / (x1 - x0) * (width - left - right)

    def sy(v: float) -> float:
        return height - bottom - (v - y0) / (y1 - y0) * (height - top - bottom)

    svg = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="{html.escape(labels["title"])}">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" '
        'stroke="#555"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#555"/>',
    ]
    for v in _ticks(x0, x1):
        svg.append(
            f'<text x="{sx(v):.1f}" y="{height - bottom + 16}" text-anchor="middle">'
            f"{fmt.number(v, decimals=1)}</text>"
        )
    for v in _ticks(y0, y1):
        svg.append(
            f'<text x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end">'
            f"{fmt.number(v, decimals=2)}</text>"
        )
    svg.append(
        f'<text x="{(left + width - right) / 2}" y="{height - 10}" text-anchor="middle">'
        f"{html.escape(labels['x'])}</text>"
    )
    svg.append(
        f'<text transform="translate(16,{(top + height - bottom) / 2}) rotate(-90)" '
        f'text-anchor="middle">{html.escape(labels["y"])}</text>'
    )
    path = " ".join(f"{sx(a):.1f},{sy(b):.1f}" for a, b in zip(x, y, strict=True))
    svg.append(f'<polyline points="{path}" fill="none" stroke="#7a4fa0" stroke-width="1.5"/>')
    spots: dict[tuple[float, float], list[Any]] = {}
    for a, b, row in zip(x, y, points.itertuples(), strict=True):
        spots.setdefault((round(sx(a), 1), round(sy(b), 1)), []).append(row)
    for (px, py), rows in spots.items():
        proven = all(r.status == "optimal" for r in rows)
        unplaced = max(float(r.children_unplaced) for r in rows)
        text = ", ".join(str(r.value) for r in rows)
        if not proven:
            text += f" ({labels['not_proven']})"
        if unplaced >= _UNPLACED_MIN:
            text += " · " + labels["unplaced"].format(count=fmt.count(unplaced))
        fill = "#7a4fa0" if proven else "#fff"
        ring = (
            ' stroke="#c62828" stroke-width="3"'
            if unplaced >= _UNPLACED_MIN
            else (' stroke="#7a4fa0" stroke-width="1.5"')
        )
        svg.append(
            f'<circle class="point" cx="{px}" cy="{py}" r="5" fill="{fill}"{ring}/>'
            f'<text x="{px + 8:.1f}" y="{py - 8:.1f}">{html.escape(text)}</text>'
        )
    svg.append("</svg>")
    return "\n".join(svg)


def _padded(low: float, high: float) -> tuple[float, float]:
    """An axis range around ``low``–``high`` with a margin (a single value gets one too)."""
    span = high - low
    margin = span * 0.08 if span > 0 else max(abs(high) * 0.05, 1e-6)
    return low - margin, high + margin


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values between ``low`` and ``high`` (1, 2 or 5 times a power of ten apart)."""
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step) * step
    return [round(first + i * step, 10) for i in range(count + 2) if first + i * step <= high]
