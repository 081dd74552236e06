"""The sweep's folder and page: ``sweep.csv`` and ``sweep.html``.

:func:`woonplanner.sweep.sweep` plans and returns the table; this module writes it:

``sweep.csv``
    the table as it is (one row per value, :data:`woonplanner.sweep.SWEEP_COLUMNS`).
``sweep.html``
    the trade-off between cost and proximity as a curve
    (:func:`~woonplanner.outputs.charts.curve_svg`) above the same table, from
    ``templates/sweep.html.j2``. Made to be shared like the report:
    counts of children below the privacy threshold read "<5" (``sweep.csv`` keeps the expected
    numbers, like ``kpis.json``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from woonplanner.outputs.charts import curve_svg
from woonplanner.outputs.files import write_csv, write_folder
from woonplanner.outputs.pages import Markup, render
from woonplanner.outputs.vocabulary import Formatter, figures_shown

__all__ = ["sweep_html", "write_sweep"]

#: The CSS of sweep.html.
_CSS = (
    # As wide as the window: a fixed width would push the plotted columns out of sight.
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:min(96vw,110em);"
    "padding:0 1em;color:#222}svg{max-width:66em;display:block}"
    "th.plotted,td.plotted{background:#eef4fb;font-weight:600}"
    "table{border-collapse:collapse;font-size:14px}td,th{padding:4px 8px;"
    "border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}th:first-child,"
    "td:first-child{text-align:left}svg text{font-size:12px;fill:#333}"
)


#: The columns the curve plots: cost (y) against mean km (x).
_PLOTTED = ("mean_km", "cost_eur")


def write_sweep(
    out: str | Path,
    table: pd.DataFrame,
    key: str,
    *,
    scenario: Any = None,
    force: bool = False,
) -> Path:
    """Write ``sweep.csv`` and ``sweep.html`` into the folder ``out``, atomically.

    Parameters
    ----------
    out
        The folder to create (replaced only with ``force``).
    table
        The result of :func:`woonplanner.sweep.sweep`.
    key
        The key that was varied (for the page's text).
    scenario
        The sweep's :class:`~woonplanner.scenario.Scenario`: its region names the page, its
        ``output`` sets the language and the privacy threshold (defaults: Dutch, 5).
    force
        Replace an existing folder (only after the new one is complete).
    """

    def fill(tmp: Path) -> None:
        write_csv(table, tmp / "sweep.csv")  # money in euros and cents, no 1.49353e+07
        (tmp / "sweep.html").write_text(sweep_html(table, key, scenario=scenario), "utf-8")

    return write_folder(out, fill, force=force)


def sweep_html(table: pd.DataFrame, key: str, *, scenario: Any = None) -> str:
    """The page: the curve of cost against mean km, the values without a plan, the table."""
    lang = "nl" if scenario is None else scenario.output.lang
    fmt = Formatter(
        lang=lang,
        threshold=5 if scenario is None else scenario.output.privacy_threshold,
        page="sweep",
    )
    labels = fmt.labels
    # The region's name when the plans had one (table.attrs, set by woonplanner.sweep.sweep).
    place = table.attrs.get("region_name") or (
        None if scenario is None else (scenario.region.jeugdregio or scenario.name)
    )
    heading = labels["title"] + (f" — {place}" if place else "")
    planned = table.dropna(subset=["cost_eur", "mean_km"])
    failed = table[table["cost_eur"].isna()]
    head, rows = _table(table, labels, fmt)
    return render(
        "sweep.html.j2",
        lang=lang,
        title=heading,
        css=Markup(_CSS),
        curve=Markup(curve_svg(planned, labels, fmt)),
        caption=labels["caption"].format(key=key),
        no_plan=[
            labels["no_plan"].format(key=key, value=row.value, message=row.message)
            for row in failed.itertuples()
        ],
        head=head,
        rows=rows,
    )


def _table(
    table: pd.DataFrame, labels: Mapping[str, str], fmt: Formatter
) -> tuple[list[tuple[str, str]], list[list[tuple[str, str]]]]:
    """The table in the page's language, numbers formatted as in the report."""
    units = [c for c in table.columns if c.startswith("units_")]
    # The two plotted columns (the curve's axes) come right after the value, highlighted.
    columns: list[tuple[str, Callable[[Any], str]]] = [
        ("value", str),
        ("mean_km", fmt.km),
        ("cost_eur", fmt.money),
        ("status", fmt.outcome),
        ("mip_gap", lambda g: fmt.percent(g, decimals=3)),
        ("children_demand", fmt.count),
        ("children_placed", fmt.count),
        ("children_unplaced", fmt.count),
        ("p90_km", fmt.km),
        ("annual_cost_eur", fmt.money),
        ("one_off_cost_eur", fmt.money),
        *[(c, fmt.number) for c in units],
    ]
    head = [labels[c] for c, _ in columns[: -len(units) or None]]
    head += [labels["units"].format(type=fmt.type_label(c.removeprefix("units_"))) for c in units]
    css = ["plotted" if c in _PLOTTED else "" for c, _ in columns]
    # A value without a plan has only its value and status.
    rows = []
    for _, row in table.iterrows():
        shown = figures_shown(row, fmt.threshold, fmt.lang)
        rows.append(
            [
                ("" if pd.isna(row[c]) else shown.get(c) or show(row[c]), cls)
                for (c, show), cls in zip(columns, css, strict=True)
            ]
        )
    return [(h, cls) for h, cls in zip(head, css, strict=True)], rows
