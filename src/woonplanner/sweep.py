"""Parameter sweeps: one scenario planned once per value of one key, and the curve they make.

``woonplanner sweep [SCENARIO] --vary objective.km_weight_eur=0,250,1000,5000 --out DIR`` plans
the scenario for each value and writes ``DIR`` atomically, like a run folder:

``sweep.csv``
    one row per value (:data:`SWEEP_COLUMNS`): status, gap, children placed and unplaced,
    child-km, mean and 90th-percentile km, annual and one-off cost, units per type, and the
    error of a value that has no plan.
``sweep.html``
    the trade-off between cost and proximity as a curve (cost, annual plus one-off as the
    objective counts it, against the mean distance to school, a point per value) above the
    same table.

With the km weight as the key this is SPEC §4's curve: every point is a plan that is optimal
(to the solver's gap) for its weight, so a higher weight never buys longer distances, and
never costs less (tested with exact solves; at the default 0.1 % gap the points can wiggle by
that much: ``--set solver.mip_gap=0.0001`` for a smooth curve). Any other scalar key works
the same way (``demand.rate_per_1000``, ``reasons.safety_risk.max_km``, ``budget.annual_eur``,
…): a sweep is a set of scenarios that differ in one value, and nothing here knows which key.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from woonplanner.errors import InfeasibleError, NoSolutionError, ScenarioError
from woonplanner.outputs.files import write_folder
from woonplanner.outputs.maps import format_count
from woonplanner.scenario import Scenario, load_scenario

__all__ = ["SWEEP_COLUMNS", "parse_vary", "sweep", "write_sweep"]

#: Columns of ``sweep.csv`` before the units per type (``units_<type>``).
SWEEP_COLUMNS = (
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

_LABELS = {
    "nl": {
        "title": "Afweging kosten en nabijheid",
        "x": "gemiddelde afstand tot school (km)",
        "y": "kosten jaarlijks + eenmalig (€ mln)",
        "caption": "Elk punt is een plan, optimaal voor zijn waarde van {key}; het getal bij het "
        "punt is die waarde.",
        "no_plan": "Geen plan voor: {values}.",
    },
    "en": {
        "title": "Trade-off between cost and proximity",
        "x": "mean distance to school (km)",
        "y": "annual + one-off cost (€ million)",
        "caption": "Each point is a plan, optimal for its value of {key}; the number by the "
        "point is that value.",
        "no_plan": "No plan for: {values}.",
    },
}


def parse_vary(text: str) -> tuple[str, list[str]]:
    """``KEY=V1,V2,…`` as the key and the values (each read as TOML, like ``--set``).

    Raises
    ------
    ScenarioError
        Without ``=``, without a value, or with the same value twice.
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
) -> pd.DataFrame:
    """Plan ``scenario`` once per value of ``key``; one row per value (see the module doc).

    Every value is checked before the first solve, so a typo fails at once. A value whose
    scenario has no plan (infeasible, nothing within the time limit) is a row with its error
    and the others go on; any other error (the data) stops the sweep.

    Parameters
    ----------
    scenario
        Scenario file or name, as for :func:`~woonplanner.scenario.load_scenario` (``None``:
        the demo).
    key, values
        The key to vary and its values, each as TOML text (``"500"``, ``'"soft"'``).
    overrides, data_dir, flags
        As for :func:`~woonplanner.scenario.load_scenario`, the same for every value.
    progress
        Receives a line per value.
    """
    from woonplanner.runner import run

    scenarios = [
        load_scenario(
            scenario,
            overrides=[*overrides, f"{key}={value}"],
            data_dir=data_dir,
            flags=flags,
        )
        for value in values
    ]
    rows = []
    for k, (value, sc) in enumerate(zip(values, scenarios, strict=True), start=1):
        try:
            plan = run(sc)
        except (InfeasibleError, NoSolutionError) as err:
            row: dict[str, Any] = {
                "value": value,
                "status": type(err).__name__,
                "message": str(err).replace("\n", " "),
            }
        else:
            region = plan.kpis["region"]
            row = {
                "value": value,
                "status": plan.kpis["status"],
                "mip_gap": plan.kpis["mip_gap"],
                **{c: region[c] for c in SWEEP_COLUMNS[3:-2]},
                "cost_eur": region["annual_cost_eur"] + region["one_off_cost_eur"],
                **{f"units_{t}": n for t, n in region["units_by_type"].items()},
            }
        rows.append(row)
        progress(_line(k, len(values), key, row))
    table = pd.DataFrame(rows)
    units = sorted(c for c in table.columns if c.startswith("units_"))
    return table.reindex(columns=[*SWEEP_COLUMNS, *units])


def _line(k: int, n: int, key: str, row: dict[str, Any]) -> str:
    if "annual_cost_eur" not in row:
        return f"[{k}/{n}] {key}={row['value']}: {row['status']} — {row['message']}"
    mean = row["mean_km"]
    return (
        f"[{k}/{n}] {key}={row['value']}: {row['status']}, cost "
        f"{row['cost_eur']:,.0f}, mean {mean or 0:.2f} km, "
        f"{row['children_unplaced']:.1f} unplaced"
    )


def write_sweep(
    out: str | Path,
    table: pd.DataFrame,
    key: str,
    *,
    scenario: Scenario | None = None,
    lang: str = "nl",
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
        The sweep's scenario (its name heads the page); optional.
    lang
        ``nl`` or ``en``.
    force
        Replace an existing folder (only after the new one is complete).
    """

    def fill(tmp: Path) -> None:
        table.to_csv(tmp / "sweep.csv", index=False, float_format="%.10g", lineterminator="\n")
        page = sweep_html(
            table,
            key,
            title=None if scenario is None else scenario.name,
            lang=lang,
            privacy_threshold=5 if scenario is None else scenario.output.privacy_threshold,
        )
        (tmp / "sweep.html").write_text(page, encoding="utf-8")

    return write_folder(out, fill, force=force)


def sweep_html(
    table: pd.DataFrame,
    key: str,
    *,
    title: str | None = None,
    lang: str = "nl",
    privacy_threshold: int = 5,
) -> str:
    """The page: the curve of cost against mean km, then the table.

    The page is made to be shared like the report: counts of children below
    ``privacy_threshold`` read "<5" (``sweep.csv`` keeps the expected numbers, like
    ``kpis.json``).
    """
    labels = _LABELS[lang]
    heading = labels["title"] + (f" — {title}" if title else "")
    planned = table.dropna(subset=["cost_eur", "mean_km"])
    failed = table.loc[table["annual_cost_eur"].isna(), "value"].astype(str).tolist()
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{html.escape(heading)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em auto;max-width:62em;"
        "color:#222}table{border-collapse:collapse;font-size:14px}td,th{padding:4px 8px;"
        "border-bottom:1px solid #ddd;text-align:right}th:first-child,td:first-child"
        "{text-align:left}svg text{font-size:12px;fill:#333}</style></head><body>",
        f"<h1>{html.escape(heading)}</h1>",
        _curve_svg(planned, labels),
        f"<p>{html.escape(labels['caption'].format(key=key))}</p>",
    ]
    if failed:
        parts.append(f"<p>{html.escape(labels['no_plan'].format(values=', '.join(failed)))}</p>")
    shown = table.assign(mip_gap=table["mip_gap"] * 100).rename(columns={"mip_gap": "gap_%"})
    counts = {
        c: (lambda v: format_count(v, privacy_threshold))
        for c in ("children_demand", "children_placed", "children_unplaced")
    }
    parts.append('<div style="overflow-x:auto">')
    parts.append(
        shown.to_html(
            index=False, na_rep="", float_format=lambda v: f"{v:,.2f}", formatters=counts, border=0
        )
    )
    parts.append("</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _curve_svg(points: pd.DataFrame, labels: dict[str, str]) -> str:
    """Cost (y) against mean km (x), one labelled point per plan, joined in order.

    The cost is the objective's: annual plus one-off (opening, closing). Annual cost alone can
    fall as the km weight rises, when a plan opens more units nearer to the children.
    """
    width, height, left, right, top, bottom = 720, 420, 80, 30, 20, 50
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
            f'<text x="{sx(v):.1f}" y="{height - bottom + 16}" text-anchor="middle">{v:g}</text>'
        )
    for v in _ticks(y0, y1):
        svg.append(f'<text x="{left - 6}" y="{sy(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
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
    for a, b, value in zip(x, y, points["value"].astype(str), strict=True):
        svg.append(
            f'<circle class="point" cx="{sx(a):.1f}" cy="{sy(b):.1f}" r="5" fill="#7a4fa0"/>'
            f'<text x="{sx(a) + 8:.1f}" y="{sy(b) - 8:.1f}">{html.escape(value)}</text>'
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
