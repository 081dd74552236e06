"""Every chart of the pages, as inline SVG: no script, no network, every text escaped.

- :func:`bar_chart`: horizontal grouped bars with an optional target tick (the report's units
  per type and per gemeente against the norm);
- :func:`curve_svg`: the sweep's trade-off curve, cost against mean distance, one point per
  value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from woonplanner.outputs.vocabulary import Formatter, esc

__all__ = ["ChartRow", "bar_chart", "curve_svg"]

#: Children unplaced from this many up count as such on the curve (below: solver round-off).
UNPLACED_MIN = 0.05


@dataclass(frozen=True)
class ChartRow:
    """One category of a horizontal bar chart: bars ``(value, colour, text)`` and a tick."""

    label: str
    bars: list[tuple[float, str, str]]
    tick: tuple[float, str] | None = None


def bar_chart(
    rows: Sequence[ChartRow],
    *,
    legend: Sequence[tuple[str, str]] = (),
    width: int = 460,
) -> str:
    """A horizontal grouped bar chart as inline SVG (no script, no network).

    Parameters
    ----------
    rows
        Categories top to bottom, each with one or more bars and an optional tick (a target
        value drawn as a vertical stroke, e.g. the units the norm requires).
    legend
        ``(label, colour)`` pairs drawn under the bars.
    width
        Width of the drawing in SVG units; the SVG scales to its container.

    Returns
    -------
    str
        An ``<svg>`` element; every text in it is escaped.
    """
    value_w, bar_h, gap, group_gap, top = 92, 14, 3, 12, 6
    # The label column fits the longest name ("Capelle aan den IJssel", "Súdwest-Fryslân"):
    # about 7 units a character at 12 px, the drawing growing wider rather than clipping it.
    longest = max((len(_clip(r.label, _LABEL_CHARS)) for r in rows), default=0)
    label_w = int(min(max(118, 7 * longest + 16), 7 * _LABEL_CHARS + 16))
    plot_w = max(width - 118 - value_w, 250)
    width = label_w + plot_w + value_w
    values = [v for r in rows for v, _, _ in r.bars] + [r.tick[0] for r in rows if r.tick]
    top_value = max([*values, 1e-9])
    scale = plot_w / top_value
    parts = []
    y = top
    for row in rows:
        n = len(row.bars)
        group_h = n * bar_h + (n - 1) * gap
        parts.append(
            f'<text x="{label_w - 8}" y="{y + group_h / 2:.1f}" dy="0.35em" text-anchor="end" '
            f'font-size="12">{esc(_clip(row.label, _LABEL_CHARS))}'
            f"<title>{esc(row.label)}</title></text>"
        )
        for i, (value, colour, text) in enumerate(row.bars):
            by = y + i * (bar_h + gap)
            w = max(value * scale, 0.0)
            parts.append(
                f'<rect x="{label_w}" y="{by:.1f}" width="{w:.1f}" height="{bar_h}" rx="2" '
                f'fill="{colour}"><title>{esc(row.label)}: {esc(text)}</title></rect>'
            )
            parts.append(
                f'<text x="{label_w + w + 5:.1f}" y="{by + bar_h / 2:.1f}" dy="0.35em" '
                f'font-size="11" fill="#333">{esc(text)}</text>'
            )
        if row.tick is not None:
            tx = label_w + row.tick[0] * scale
            parts.append(
                f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{y - 3:.1f}" y2="{y + group_h + 3:.1f}" '
                f'stroke="#111" stroke-width="2.5"><title>{esc(row.tick[1])}</title></line>'
            )
        y += group_h + group_gap
    # The zero line, so that empty bars still read as zero.
    parts.append(
        f'<line x1="{label_w}" x2="{label_w}" y1="{top - 3}" y2="{y - group_gap + 3:.1f}" '
        'stroke="#999" stroke-width="1"/>'
    )
    if legend:
        lx = label_w
        ly = y + 4
        for text, colour in legend:
            parts.append(
                f'<rect x="{lx}" y="{ly}" width="11" height="11" rx="2" fill="{colour}"/>'
                f'<text x="{lx + 15}" y="{ly + 5.5}" dy="0.35em" font-size="11">{esc(text)}</text>'
            )
            lx += 26 + 7 * len(text)
        y = ly + 16
    height = y + 4
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        # Never drawn larger than 1.25 × its own size: one gemeente must not fill the page.
        f'style="max-width:{1.25 * width:.0f}px" role="img" font-family="system-ui, sans-serif">'
        f"{''.join(parts)}</svg>"
    )


#: Names longer than this are clipped (with "…"; the full name is in the tooltip).
_LABEL_CHARS = 32


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def curve_svg(points: pd.DataFrame, labels: Mapping[str, str], fmt: Formatter) -> str:
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
        f'role="img" aria-label="{esc(labels["title"])}">',
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
        f"{esc(labels['x'])}</text>"
    )
    svg.append(
        f'<text transform="translate(16,{(top + height - bottom) / 2}) rotate(-90)" '
        f'text-anchor="middle">{esc(labels["y"])}</text>'
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
        if unplaced >= UNPLACED_MIN:
            text += " · " + labels["unplaced"].format(count=fmt.count(unplaced))
        fill = "#7a4fa0" if proven else "#fff"
        ring = (
            ' stroke="#c62828" stroke-width="3"'
            if unplaced >= UNPLACED_MIN
            else (' stroke="#7a4fa0" stroke-width="1.5"')
        )
        svg.append(
            f'<circle class="point" cx="{px}" cy="{py}" r="5" fill="{fill}"{ring}/>'
            f'<text x="{px + 8:.1f}" y="{py - 8:.1f}">{esc(text)}</text>'
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
