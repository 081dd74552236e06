"""The files of ``woonplanner simulate``: ``simulate.json``, ``simulate.csv``, ``simulate.html``.

``simulate.json`` holds the figures of :func:`woonplanner.simulate.summarise` (the region
first: ``service_level``, ``service_level_p5``, ``share_all_placed``). ``simulate.csv`` has
one row per set of children (``level`` = region, gemeente, support_need) and per facility type
(``level`` = type), with the columns of :data:`CSV_COLUMNS`. The page shows a histogram of the
region's service level over the draws, the tables, and the km distribution; offline (inline
SVG, no script), in the scenario's language. Only shares and simulated counts per gemeente,
support need and type appear: no neighbourhood figures.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from woonplanner.outputs.pages import Markup, render
from woonplanner.outputs.report import SIMULATE_MARKER
from woonplanner.outputs.vocabulary import Formatter
from woonplanner.outputs.vocabulary import labels as page_labels

CSV_COLUMNS = (
    "level",
    "key",
    "children_expected",
    "children_drawn_mean",
    "children_unplaced_mean",
    "children_unplaced_p95",
    "service_level",
    "service_level_p5",
    "share_all_placed",
    "places",
    "occupied_mean",
    "occupancy_mean",
    "share_full",
)

_LABELS = {
    "nl": {
        "title": "Schommelende vraag: servicegraad van het plan",
        "intro": (
            "{draws} jaren met toevallig schommelende vraag ({model}); de eenheden van het plan "
            "liggen vast en elk jaar worden de kinderen opnieuw geplaatst binnen hun afstandsgrens."
        ),
        "poisson": "Poisson rond de verwachte vraag",
        "negbin": "negatief binomiaal, variantie {factor} × het gemiddelde (aanname)",
        "headline": (
            "Servicegraad {level}: zoveel van de kinderen vinden een plek binnen hun "
            "afstandsgrens. In een slecht jaar op twintig {p5}; in {all} van de jaren krijgt "
            "ieder kind een plek."
        ),
        "target": "Doel van het scenario (service.level): {target}.",
        "histogram": "Servicegraad per gesimuleerd jaar",
        "share_of_years": "aandeel jaren",
        "level": "niveau",
        "key": "",
        "region": "regio",
        "gemeente": "gemeente",
        "support_need": "ondersteuning",
        "children_expected": "verwacht",
        "children_drawn_mean": "gemiddeld",
        "children_unplaced_mean": "zonder plek (gem.)",
        "children_unplaced_p95": "zonder plek (95e pct.)",
        "service_level": "servicegraad",
        "service_level_p5": "5e percentiel",
        "share_all_placed": "jaren iedereen geplaatst",
        "type": "type",
        "places": "plekken",
        "occupied_mean": "bezet (gem.)",
        "occupancy_mean": "bezetting",
        "share_full": "jaren vol",
        "km": "Afstand van geplaatste kinderen (aandeel per km-klasse)",
        "mean_km": "gemiddeld {km}",
        "by_type": "Per type",
        "by_gemeente": "Per gemeente (woonplaats van het kind)",
        "by_support_need": "Per ondersteuningsbehoefte",
        "back": "Terug naar het rapport",
        "open": "Schommelende vraag (simulate.html)",
    },
    "en": {
        "title": "Fluctuating demand: the plan's service level",
        "intro": (
            "{draws} years of randomly fluctuating demand ({model}); the plan's units are fixed "
            "and each year the children are placed anew within their distance band."
        ),
        "poisson": "Poisson around the expected demand",
        "negbin": "negative binomial, variance {factor} × the mean (an assumption)",
        "headline": (
            "Service level {level}: the share of children who find a place within their "
            "distance band. In a bad year in twenty {p5}; in {all} of the years every child "
            "is placed."
        ),
        "target": "The scenario's target (service.level): {target}.",
        "histogram": "Service level per simulated year",
        "share_of_years": "share of years",
        "level": "level",
        "key": "",
        "region": "region",
        "gemeente": "gemeente",
        "support_need": "support need",
        "children_expected": "expected",
        "children_drawn_mean": "mean",
        "children_unplaced_mean": "unplaced (mean)",
        "children_unplaced_p95": "unplaced (95th pct.)",
        "service_level": "service level",
        "service_level_p5": "5th percentile",
        "share_all_placed": "years all placed",
        "type": "type",
        "places": "places",
        "occupied_mean": "occupied (mean)",
        "occupancy_mean": "occupancy",
        "share_full": "years full",
        "km": "Distance of placed children (share per km class)",
        "mean_km": "mean {km}",
        "by_type": "Per type",
        "by_gemeente": "Per gemeente (the child's home)",
        "by_support_need": "Per support need",
        "back": "Back to the report",
        "open": "Fluctuating demand (simulate.html)",
    },
}


def simulate_table(summary: dict[str, Any]) -> pd.DataFrame:
    """The rows of ``simulate.csv`` (see the module docstring)."""
    rows = [{"level": "region", "key": "", **summary["region"]}]
    for name, items in summary.items():
        if not name.startswith("by_") or name == "by_type":
            continue
        level = name.removeprefix("by_")
        rows += [{"level": level, "key": item[level], **item} for item in items]
    rows += [{"level": "type", "key": item["type"], **item} for item in summary["by_type"]]
    return pd.DataFrame(rows).reindex(columns=list(CSV_COLUMNS))


def write_simulation(
    folder: Path,
    summary: dict[str, Any],
    per_draw: np.ndarray,
    *,
    lang: str = "nl",
    privacy_threshold: int = 5,
    target: float | None = None,
    report_href: str | None = None,
    names: Mapping[str, str] | None = None,
) -> None:
    """Write ``simulate.json``, ``simulate.csv`` and ``simulate.html`` into ``folder``;
    ``report_href`` is the page's link back to the run's report (none when ``None``);
    ``names`` the gemeenten's names by code, for the page."""
    text = json.dumps(summary, indent=2, ensure_ascii=False)
    (folder / "simulate.json").write_text(text + "\n", encoding="utf-8")
    simulate_table(summary).to_csv(
        folder / "simulate.csv", index=False, float_format="%.6g", lineterminator="\n"
    )
    page = simulate_html(
        summary,
        per_draw,
        lang=lang,
        privacy_threshold=privacy_threshold,
        target=target,
        report_href=report_href,
        names=names,
    )
    (folder / "simulate.html").write_text(page, encoding="utf-8")


def simulate_html(
    summary: dict[str, Any],
    per_draw: np.ndarray,
    *,
    lang: str = "nl",
    privacy_threshold: int = 5,
    target: float | None = None,
    report_href: str | None = None,
    names: Mapping[str, str] | None = None,
) -> str:
    """The page: headline, histogram of the per-draw service level, tables, km shares.

    ``names``: gemeente code → name (the run's ``kpis.json``), so the table per gemeente reads
    as the report's; support needs read in the page's language."""
    fmt = Formatter(lang=lang, threshold=privacy_threshold)
    labels = _LABELS[lang]
    words = page_labels("report", lang=lang)
    names = names or {}

    def key(level: str, value: str) -> str:
        if level == "gemeente":
            return f"{names[value]} ({value})" if value in names else value
        return words.get(f"support_{value}", value)

    region = summary["region"]
    alpha = summary.get("overdispersion", 0.0)
    model = (
        labels["poisson"]
        if not alpha
        else labels["negbin"].format(factor=fmt.number(1 + alpha, decimals=2))
    )
    level_columns = [
        "children_expected",
        "children_drawn_mean",
        "children_unplaced_mean",
        "children_unplaced_p95",
        "service_level",
        "service_level_p5",
        "share_all_placed",
    ]
    sections = [_section(None, [{"key": labels["region"], **region}], level_columns, labels, fmt)]
    for name in ("by_gemeente", "by_support_need"):
        items = summary.get(name)
        if items:
            level = name.removeprefix("by_")
            rows = [{"key": key(level, str(item[level])), **item} for item in items]
            sections.append(_section(labels[name], rows, level_columns, labels, fmt))
    rows = [{"key": fmt.type_label(item["type"]), **item} for item in summary["by_type"]]
    type_columns = ["places", "occupied_mean", "occupancy_mean", "share_full"]
    sections.append(_section(labels["by_type"], rows, type_columns, labels, fmt))
    km = summary["km"]
    return render(
        "simulate.html.j2",
        lang=lang,
        title=labels["title"],
        css=Markup(_CSS),
        back=None if report_href is None else {"href": report_href, "text": labels["back"]},
        intro=labels["intro"].format(draws=region["draws"], model=model),
        headline=labels["headline"].format(
            level=fmt.percent(region["service_level"]),
            p5=fmt.percent(region["service_level_p5"]),
            all=fmt.percent(region["share_all_placed"], decimals=0),
        ),
        target=None if target is None else labels["target"].format(target=fmt.percent(target)),
        histogram_title=labels["histogram"],
        histogram=Markup(_histogram_svg(per_draw, labels, fmt, target=target)),
        sections=sections,
        km_title=labels["km"],
        mean_km=None
        if km["mean_km"] is None
        else labels["mean_km"].format(km=fmt.km(km["mean_km"])),
        km_rows=_km_rows(km, fmt),
    )


#: The page's own CSS (the rest is :file:`templates/base.html.j2`).
_CSS = (
    "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:66em;color:#222}"
    "table{border-collapse:collapse;font-size:14px;margin-bottom:1.5em}"
    "td,th{padding:4px 8px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}"
    "th:first-child,td:first-child{text-align:left}td.bar{text-align:left}"
    "svg text{font-size:12px;fill:#333}.big{font-size:1.15em}"
)


def _section(
    heading: str | None, rows: list[dict[str, Any]], columns: list[str], labels, fmt: Formatter
) -> dict[str, Any]:
    """One table of the page: its heading, head and rows as (text, css) cells."""
    return {
        "heading": heading,
        "head": [(labels.get(c, c), "") for c in ["key", *columns]],
        "rows": [
            [(row["key"], ""), *((_cell(c, row.get(c), fmt), "") for c in columns)] for row in rows
        ],
    }


def _cell(column: str, value: Any, fmt: Formatter) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if column in ("service_level", "service_level_p5", "occupancy_mean"):
        return fmt.percent(value)
    if column in ("share_all_placed", "share_full"):
        return fmt.percent(value, decimals=0)
    if column.startswith("children_unplaced"):
        # Simulated children, per gemeente at the finest: no child's count to protect, and a
        # mean of 0.4 unplaced says more than "<5".
        return fmt.number(value, decimals=1)
    if column.startswith("children_") or column == "occupied_mean":
        return fmt.number(value)
    if column == "places":
        return fmt.number(value)
    return str(value)


def _km_rows(km: dict[str, Any], fmt: Formatter) -> list[list[tuple[Any, str]]]:
    """The km distribution's rows: class, share and a bar (inline SVG)."""
    bins = km["bins_km"]
    rows = []
    for k, share in enumerate(km["share_by_bin"]):
        if share <= 0:
            continue
        upper = bins[k + 1] if k + 1 < len(bins) else None
        label = (
            f"{fmt.number(bins[k])}–{fmt.number(upper)} km"
            if upper is not None
            else f"≥ {fmt.number(bins[k])} km"
        )
        width = round(300 * share)
        bar = Markup(
            f'<svg width="{width + 2}" height="12"><rect width="{width}" height="12" '
            'fill="#4c78a8"/></svg>'
        )
        rows.append([(label, ""), (fmt.percent(share), ""), (bar, "bar")])
    return rows


def _histogram_svg(
    per_draw: np.ndarray, labels, fmt: Formatter, *, target: float | None = None
) -> str:
    """Bars of the share of draws per service-level class of one percentage point (or less)."""
    width, height, left, bottom = 680, 220, 50, 30
    low = min(float(np.floor(per_draw.min() * 100) / 100), 0.99) if len(per_draw) else 0.9
    edges = np.linspace(low, 1.0, round((1.0 - low) * 100) + 1)
    if len(edges) < 3:
        edges = np.linspace(low, 1.0, 3)
    # The last class holds the years with every child placed (a share of exactly 1).
    counts, _ = np.histogram(np.clip(per_draw, low, 1.0), bins=edges)
    shares = counts / max(len(per_draw), 1)
    top = max(float(shares.max()), 1e-9)
    bar_w = (width - left - 50) / len(shares)
    parts = [f'<svg width="{width}" height="{height}" role="img">']
    for k, share in enumerate(shares):
        h = (height - bottom - 10) * share / top
        x = left + k * bar_w
        parts.append(
            f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{bar_w - 1:.1f}" '
            f'height="{h:.1f}" fill="#4c78a8"><title>{fmt.percent(edges[k], decimals=0)}–'
            f"{fmt.percent(edges[k + 1], decimals=0)}: {fmt.percent(share)}</title></rect>"
        )
    ticks = {*range(0, len(edges), max(1, len(edges) // 8)), len(edges) - 1}
    for k in sorted(ticks):
        x = left + k * bar_w
        parts.append(
            f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">'
            f"{fmt.percent(edges[k], decimals=0)}</text>"
        )
    parts.append(
        f'<text x="5" y="15">{html.escape(labels["share_of_years"])} '
        f"(max {fmt.percent(top, decimals=0)})</text>"
    )
    if target is not None and low <= target <= 1.0:
        x = left + (target - low) / (1.0 - low) * (width - left - 50)
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="10" y2="{height - bottom}" '
            'stroke="#d62728" stroke-dasharray="4 3"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def link_report(run_dir: Path, simulate_dir: Path, *, lang: str = "nl") -> bool:
    """Link ``simulate_dir/simulate.html`` from ``run_dir/report.html`` (replacing the file
    whole); True when linked. Only a folder inside the run is linked (the link is relative)."""
    report = run_dir / "report.html"
    try:
        relative = simulate_dir.resolve().relative_to(run_dir.resolve())
    except ValueError:
        return False
    if not report.is_file():
        return False
    text = report.read_text(encoding="utf-8")
    href = html.escape(f"{relative.as_posix()}/simulate.html")
    if f'href="{href}"' in text:
        return True
    if SIMULATE_MARKER not in text:
        return False
    link = f'<a class="maplink" href="{href}">{html.escape(_LABELS[lang]["open"])}</a>'
    tmp = report.with_name(".report.html.partial")
    tmp.write_text(text.replace(SIMULATE_MARKER, link + SIMULATE_MARKER), encoding="utf-8")
    os.replace(tmp, report)
    return True
