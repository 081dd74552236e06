"""Small cells of a caseload: what an output may publish about real children (SPEC §5).

With demand from a caseload, every count is of real children. No published row may tell that
fewer than ``threshold`` (default 5) of a neighbourhood's children have a given reason, support
need or age band, nor give the count or the distances of a neighbourhood with fewer than
``threshold`` children. One rule, used for every file (and reusable by the pages):

1. Per home neighbourhood, its segments are coarsened until every published cell holds no child
   or at least ``threshold``: first the age band is merged (written ``*``), then the support
   need, then the reason.
2. A neighbourhood with fewer than ``threshold`` children in all is pooled with the other small
   neighbourhoods of its gemeente (its rows get the gemeente's code as origin, every segment
   ``*``); while that pool holds fewer than ``threshold`` children, the gemeente's smallest
   other neighbourhood joins it (so no total minus the rows shown gives a small count). A
   gemeente with fewer than ``threshold`` children in all is pooled for the region (``*``).
3. The figures of pooled neighbourhoods (children, km) are left out of the neighbourhood table.

The rule sees only aggregated counts (the caseload's cells), never a child-level row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: The three segment columns, in the order they are merged (the last first).
SEGMENTS = ("reason", "support_need", "age_band")
#: What a merged segment, or the origin of the region's pool, is written as.
MERGED = "*"


@dataclass(frozen=True)
class Disclosure:
    """How each home neighbourhood may be published.

    Attributes
    ----------
    threshold
        The least count published.
    kept
        Per neighbourhood code, the segment columns its rows keep (the rest are ``*``).
    pooled
        Neighbourhood code → the origin its rows are published under (a gemeente code or
        ``*``); these neighbourhoods' own figures are not published.
    """

    threshold: int
    kept: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    pooled: Mapping[str, str] = field(default_factory=dict)

    def note(self) -> dict[str, object]:
        """What was merged, for ``kpis.json`` and the manifest (counts of neighbourhoods only)."""
        return {
            "caseload": True,
            "threshold": self.threshold,
            "rule": (
                "no row tells that fewer than the threshold of a neighbourhood's children have a "
                "given reason, support need or age band: segments merged to '*', small "
                "neighbourhoods pooled under their gemeente's code (or '*' for the region) and "
                "left out of the neighbourhood figures (docs/caseload.md)"
            ),
            "neighbourhoods_with_merged_segments": sum(
                1 for k in self.kept.values() if len(k) < len(SEGMENTS)
            ),
            "neighbourhoods_pooled": len(self.pooled),
        }


def disclosure(cells: pd.DataFrame, gemeente_of: Mapping[str, str], threshold: int) -> Disclosure:
    """Decide, from the caseload's cells, what may be published per home neighbourhood.

    Parameters
    ----------
    cells
        ``origin, reason, support_need, age_band, children``: children per home neighbourhood
        and segment (the aggregated caseload).
    gemeente_of
        Neighbourhood code → gemeente code.
    threshold
        The least count that may be published (``output.privacy_threshold``).
    """
    cells = cells[cells["children"] > 0]
    kept: dict[str, tuple[str, ...]] = {}
    totals = cells.groupby("origin")["children"].sum()
    for origin, own in cells.groupby("origin"):
        dims = list(SEGMENTS)
        while dims:
            counts = own.groupby(dims)["children"].sum()
            if (counts >= threshold).all():
                break
            dims.pop()
        kept[str(origin)] = tuple(dims)
    pooled: dict[str, str] = {}
    by_gemeente: dict[str, list[str]] = {}
    for origin in totals.index:
        by_gemeente.setdefault(gemeente_of.get(str(origin), MERGED), []).append(str(origin))
    for gemeente, origins in sorted(by_gemeente.items()):
        small = [o for o in origins if totals[o] < threshold]
        if not small:
            continue
        rest = sorted((o for o in origins if o not in small), key=lambda o: (totals[o], o))
        pool = list(small)
        # The gemeente's total minus its published neighbourhoods is the pool: keep it large.
        while totals[pool].sum() < threshold and rest:
            pool.append(rest.pop(0))
        label = gemeente if totals[pool].sum() >= threshold else MERGED
        for o in pool:
            pooled[o] = label
    return Disclosure(threshold=threshold, kept=kept, pooled=pooled)


def protect_flows(flows: pd.DataFrame, rule: Disclosure) -> pd.DataFrame:
    """``flows`` (``origin, reason, support_need, age_band, site, type, children, km``) with
    merged segments and pooled origins, summed (``km`` weighted by children)."""
    out = flows.copy()
    for column in SEGMENTS:
        keep = np.array([column in rule.kept.get(str(o), SEGMENTS) for o in out["origin"]])
        pooled = out["origin"].astype(str).isin(set(rule.pooled)).to_numpy()
        out[column] = np.where(keep & ~pooled, out[column].astype(str), MERGED)
    out["origin"] = out["origin"].astype(str).map(lambda o: rule.pooled.get(o, o))
    # The rule is made from the caseload's cells, but flows hold only the children placed (not
    # the unplaced ones), and sibling groups under one segment: a published cell can still come
    # out below the threshold. Such a cell loses its segment, and an origin still below it
    # joins the region's pool.
    cell = out.groupby(["origin", *SEGMENTS])["children"].transform("sum")
    small = ((cell > 0) & (cell < rule.threshold - 1e-9)).to_numpy()
    for column in SEGMENTS:
        out[column] = np.where(small, MERGED, out[column].astype(str))
    total = out.groupby("origin")["children"].transform("sum")
    lonely = ((total > 0) & (total < rule.threshold - 1e-9)).to_numpy()
    out["origin"] = np.where(lonely, MERGED, out["origin"])
    for column in SEGMENTS:
        out[column] = np.where(lonely, MERGED, out[column])
    out["child_km"] = out["children"] * out["km"]
    keys = ["origin", *SEGMENTS, "site", "type"]
    summed = out.groupby(keys, as_index=False, sort=True)[["children", "child_km"]].sum()
    summed["km"] = summed["child_km"] / summed["children"].where(summed["children"] > 0)
    return summed[[*keys, "children", "km"]].reset_index(drop=True)


#: Neighbourhood figures about its own children: left out for a pooled neighbourhood.
CHILD_COLUMNS = ("children_demand", "children_placed", "children_unplaced", "child_km", "mean_km")


def protect_neighbourhoods(neighbourhoods: pd.DataFrame, rule: Disclosure) -> pd.DataFrame:
    """The neighbourhood table with the children's figures of pooled neighbourhoods empty."""
    out = neighbourhoods.copy()
    pooled = out["code"].astype(str).isin(set(rule.pooled)).to_numpy()
    for column in CHILD_COLUMNS:
        if column in out.columns:
            out[column] = out[column].astype(float).where(~pooled)
    return out


# --- the shared pages (map, report, compare, sweep, national map) ---------------------------
#
# SPEC §5: on a page made to be shared, a count of a neighbourhood's children below the
# threshold reads "<5", and no figure lets a reader work such a count out. The rule, in one
# place (docs/privacy.md):
#
# - Every count is shown rounded half up to whole children (:func:`whole`); a count that rounds
#   to 0 is 0 (an expected 0.018 children is no child), one that rounds to 1 … threshold − 1 is
#   hidden as "<5" (primary suppression).
# - A published total and the cells it sums form one equation. A reader who knows the total and
#   the cells shown learns the sum of the hidden cells; the rule checks, cell by cell, that this
#   sum never pins a hidden small cell to one value (each keeps at least two possible whole
#   values within 1 … threshold − 1). Where it would, the smallest other cells are hidden too
#   (secondary suppression, shown as "≥5", which is all a reader then knows of them) until it
#   does not; when no cell is left to hide, the total itself is shown only as the range the
#   shown cells imply.
# - The equations: the region's demand, placed and unplaced over its neighbourhoods, each
#   gemeente's over its own, each neighbourhood's demand = placed + unplaced, each flow origin's
#   placed children over its flows, and each facility's occupancy over the flows into it.
# - A neighbourhood's mean km is shown only when its placed children are shown and at least the
#   threshold (the mean of one child's distance is that child's distance).
# - A facility's occupancy is not a count of a neighbourhood's children (its children come from
#   wherever the plan sends them, and its places are public): it is shown as a whole number, and
#   the flows into it are protected by its equation instead.

#: The neighbourhood columns the pages publish as counts of children.
COUNT_COLUMNS = ("children_demand", "children_placed", "children_unplaced")


#: How near to a half a count may lie and still be rounded up as one (:func:`whole`).
HALF_TOLERANCE = 1e-9


def whole(value: float) -> int:
    """A count of children as every page rounds it: half up (6.5 → 7, 0.018 → 0).

    A half is a half to within :data:`HALF_TOLERANCE`: the places of 45 foster families of 1.3,
    added one by one, are 58.49999999999995 in floating point, and the children in them a hair
    above 58.5; both read 59 (not 58 places with 59 children in them).
    """
    if value is None or not np.isfinite(value):
        return 0
    return int(np.floor(float(value) + 0.5 + HALF_TOLERANCE))


def is_children(value: float | None) -> bool:
    """Whether a count shows any child at all: it rounds to at least one (one rule for
    "unplaced" on the command line, the report's card, the map's hatching and title)."""
    return value is not None and bool(np.isfinite(value)) and whole(value) >= 1


def suppress_sum(
    cells: np.ndarray,
    threshold: int,
    *,
    hidden: np.ndarray | None = None,
    unknown: np.ndarray | None = None,
    total: float | None = None,
) -> tuple[np.ndarray, bool]:
    """Which cells of one published sum a page hides, and whether the total may be shown.

    Parameters
    ----------
    cells
        The cells' counts (rounded with :func:`whole` here).
    threshold
        The least count shown.
    hidden
        Cells already hidden by another equation (kept hidden).
    unknown
        Cells that are in the sum but not published at all (a flow within one neighbourhood,
        which no line shows): a reader knows only that they are ≥ 0.
    total
        The total as the page shows it (rounded with :func:`whole`); default the sum of the
        rounded cells. Each figure is rounded on its own, so the two can differ by a child or
        more, and a reader works with the total shown: 82 shown with cells 2, 1 and 1 hidden
        leaves 82 − 79 = 3 for three cells of at least 1, which pins each of them.

    Returns
    -------
    hidden, total_shown
        ``hidden``: primary (rounds to 1 … threshold − 1) and secondary cells. ``total_shown``:
        False when hiding every other cell still would not protect a small one; the page then
        shows the total as :func:`total_range` instead.

    Examples
    --------
    Ten children in each of five neighbourhoods and one in a sixth: 51 − 50 would be 1, so one
    of the tens is hidden too.

    >>> hidden, shown = suppress_sum(np.array([10, 10, 10, 10, 10, 1]), 5)
    >>> hidden.tolist(), shown
    ([True, False, False, False, False, True], True)
    """
    v = np.array([whole(c) for c in np.asarray(cells, dtype=float)], dtype=np.int64)
    primary = (v >= 1) & (v < threshold)
    unknown = np.zeros(len(v), bool) if unknown is None else np.asarray(unknown, bool)
    out = primary | (np.zeros(len(v), bool) if hidden is None else np.asarray(hidden, bool))
    out &= ~unknown
    known = int(v.sum()) if total is None else whole(total)
    while not _sum_is_safe(v, primary & ~unknown, out, unknown, threshold, known):
        candidates = np.flatnonzero(~out & ~unknown & (v > 0))
        if candidates.size == 0:
            return out, False
        # The smallest cell first: it hides the least; ties by position (stable pages).
        out[candidates[np.argmin(v[candidates])]] = True
    return out, True


def _sum_is_safe(
    v: np.ndarray,
    primary: np.ndarray,
    hidden: np.ndarray,
    unknown: np.ndarray,
    threshold: int,
    total: int,
) -> bool:
    """Whether, knowing the total and the shown cells, no small hidden cell can be worked out:
    each keeps at least two possible whole values (each other hidden cell at its own bounds:
    a small one 1 … threshold − 1, a secondary one ≥ threshold, an unpublished one ≥ 0)."""
    if not primary.any():
        return True
    lo = np.where(primary, 1, np.where(unknown, 0, threshold)).astype(float)
    hi = np.where(primary, threshold - 1, np.inf)
    lo, hi = lo[hidden | unknown], hi[hidden | unknown]
    rest = float(total - v[~(hidden | unknown)].sum())  # the total minus the cells shown
    small = primary[hidden | unknown]
    for i in np.flatnonzero(small):
        least = max(1.0, rest - (hi.sum() - hi[i]))
        most = min(threshold - 1.0, rest - (lo.sum() - lo[i]))
        if most - least < 1:
            return False
    return True


def total_range(cells: np.ndarray, hidden: np.ndarray, threshold: int) -> tuple[int, int | None]:
    """What the shown cells say about their total: (least, most); most is None when a hidden
    cell is unbounded ("≥5"). Shown instead of a total that would give a small cell away."""
    v = np.array([whole(c) for c in np.asarray(cells, dtype=float)], dtype=np.int64)
    hidden = np.asarray(hidden, bool)
    primary = hidden & (v < threshold)
    shown = int(v[~hidden].sum())
    least = shown + int(primary.sum()) + threshold * int((hidden & ~primary).sum())
    most = None if (hidden & ~primary).any() else shown + (threshold - 1) * int(primary.sum())
    return least, most


@dataclass(frozen=True)
class PagePrivacy:
    """What the shared pages may show of one plan's children counts (the rule above).

    Attributes
    ----------
    threshold
        The least count shown.
    hidden
        Index: neighbourhood code; columns :data:`COUNT_COLUMNS` and ``mean_km``: True where
        the page hides that figure.
    region
        Per column of :data:`COUNT_COLUMNS`: None when the region's total may be shown, else the
        (least, most) range to show instead.
    gemeenten
        Per (gemeente code, column): None or the range, as ``region``.
    flows
        The (origin, site, type) flows whose children a page hides.
    """

    threshold: int
    hidden: pd.DataFrame
    region: Mapping[str, tuple[int, int | None] | None]
    gemeenten: Mapping[tuple[str, str], tuple[int, int | None] | None]
    flows: frozenset[tuple[str, str, str]]

    def cell(self, code: str, column: str) -> bool:
        """Whether the page hides ``column`` of neighbourhood ``code``."""
        try:
            return bool(self.hidden.at[str(code), column])
        except KeyError:
            return False


def page_privacy(
    neighbourhoods: pd.DataFrame,
    flows: pd.DataFrame | None,
    threshold: int,
    *,
    facilities: pd.DataFrame | None = None,
) -> PagePrivacy:
    """Apply the page rule to one plan's tables.

    Parameters
    ----------
    neighbourhoods
        ``code, gemeente`` and :data:`COUNT_COLUMNS` (the plan's or a run folder's table).
    flows
        ``origin, site, type, children`` (any segments are summed), or None.
    threshold
        ``output.privacy_threshold``.
    facilities
        Unused beyond documentation: a facility's occupancy is the sum of its flows, so the
        flows' equations per (site, type) stand for it.
    """
    del facilities  # occupancy = the flows into the facility (see the rule above)
    codes = neighbourhoods["code"].astype(str).to_numpy()
    gemeente = neighbourhoods["gemeente"].astype(str).to_numpy()
    values = {c: neighbourhoods[c].astype(float).fillna(0.0).to_numpy() for c in COUNT_COLUMNS}
    hidden = {c: np.zeros(len(codes), bool) for c in COUNT_COLUMNS}
    region: dict[str, tuple[int, int | None] | None] = {}
    gemeenten: dict[tuple[str, str], tuple[int, int | None] | None] = {}
    # Hiding more never makes an equation less safe, so the equations are applied in turn until
    # none hides anything new.
    for _ in range(100):
        before = sum(int(h.sum()) for h in hidden.values())
        for column in COUNT_COLUMNS:
            # The gemeenten first: what they hide often protects the region's sum as well.
            for g in np.unique(gemeente):
                own = gemeente == g
                mask, shown = suppress_sum(
                    values[column][own],
                    threshold,
                    hidden=hidden[column][own],
                    total=values[column][own].sum(),
                )
                hidden[column][own] = mask
                gemeenten[(g, column)] = (
                    None if shown else total_range(values[column][own], mask, threshold)
                )
            mask, shown = suppress_sum(
                values[column], threshold, hidden=hidden[column], total=values[column].sum()
            )
            hidden[column] = mask
            region[column] = None if shown else total_range(values[column], mask, threshold)
        demand, placed, unplaced = COUNT_COLUMNS
        for i in range(len(codes)):
            if hidden[demand][i]:
                continue  # demand hidden: placed and unplaced are no exact sum's parts
            pair = np.array([values[placed][i], values[unplaced][i]])
            mask, shown = suppress_sum(
                pair,
                threshold,
                hidden=np.array([hidden[placed][i], hidden[unplaced][i]]),
                total=values[demand][i],
            )
            hidden[placed][i], hidden[unplaced][i] = mask
            if not shown:
                hidden[demand][i] = True
        if sum(int(h.sum()) for h in hidden.values()) == before:
            break
    # Each total is itself one equation: demand = placed + unplaced, for each gemeente and for
    # the region, whose totals are in turn the sums of the gemeenten's.
    totals = {
        c: {g: float(values[c][gemeente == g].sum()) for g in np.unique(gemeente)}
        for c in COUNT_COLUMNS
    }
    for g in np.unique(gemeente):
        balanced = balance_totals(
            {c: totals[c][g] for c in COUNT_COLUMNS},
            {c: gemeenten[(g, c)] for c in COUNT_COLUMNS},
            threshold,
        )
        for c in COUNT_COLUMNS:
            gemeenten[(g, c)] = balanced[c]
    for c in COUNT_COLUMNS:
        # A gemeente's total shown as a range makes the region's a range too (else the region
        # minus the other gemeenten gives it).
        ranges = [
            shown_interval(totals[c][g], gemeenten[(g, c)], threshold) for g in np.unique(gemeente)
        ]
        if any(lo != hi for lo, hi in ranges) and region[c] is None:
            most = sum(hi for _, hi in ranges)
            region[c] = (int(sum(lo for lo, _ in ranges)), None if np.isinf(most) else int(most))
    region = balance_totals({c: float(values[c].sum()) for c in COUNT_COLUMNS}, region, threshold)
    frame = pd.DataFrame(hidden, index=pd.Index(codes, name="code"))
    placed_values = np.array([whole(p) for p in values["children_placed"]])
    frame["mean_km"] = frame["children_placed"].to_numpy() | (placed_values < threshold)
    return PagePrivacy(
        threshold=threshold,
        hidden=frame,
        region=region,
        gemeenten=gemeenten,
        flows=_hidden_flows(flows, frame, threshold),
    )


Shown = tuple[int, int | None] | None


def shown_interval(value: float, shown_as: Shown, threshold: int) -> tuple[int, float]:
    """What a reader knows of a total from the page: (least, most) whole children.

    Shown exactly (``shown_as`` None) it is its rounded value — or 1 … threshold − 1 when that
    reads "<5"; shown as a range, the range (most ``inf`` for "≥n").

    >>> shown_interval(12.4, None, 5), shown_interval(1.3, None, 5), shown_interval(9, (7, 10), 5)
    ((12, 12), (1, 4), (7, 10))
    """
    if shown_as is None:
        count = max(whole(value), 0)
        return (1, threshold - 1) if 1 <= count < threshold else (count, count)
    least, most = shown_as
    if most is not None and least == most:
        return shown_interval(least, None, threshold)
    if most is not None and most < threshold:
        return max(least, 1), threshold - 1  # reads "<5"
    return least, np.inf if most is None else most


def balance_totals(
    values: Mapping[str, float], shown: Mapping[str, Shown], threshold: int
) -> dict[str, Shown]:
    """The totals of one area as the page may show them, so that demand = placed + unplaced
    gives no more than each shows.

    Each is rounded on its own (2,668 expected children, 2,666.7 placed, 1.3 unplaced read
    2,668, 2,667 and "<5"): shown so, demand − placed would pin the unplaced to 1. So the
    three totals are shown as one equation: when exactly one of them is not exact ("<5" or a
    range), the one that would give it away is shown as the range the other two imply
    (placed "2,664–2,667"); when all are exact, placed is shown as demand − unplaced, so that
    the figures add up. ``values`` and ``shown`` are per column of :data:`COUNT_COLUMNS`
    (``shown``: None for the rounded value, else the range from :func:`total_range`); the
    result is ``shown`` with ranges (``(n, n)``: the value ``n``) where the equation needs them.

    >>> totals = dict(zip(COUNT_COLUMNS, (2668.0, 2666.7, 1.3)))
    >>> balance_totals(totals, dict.fromkeys(COUNT_COLUMNS), 5)["children_placed"]
    (2664, 2667)
    """
    demand, placed, unplaced = COUNT_COLUMNS
    known = {c: shown_interval(values[c], shown.get(c), threshold) for c in COUNT_COLUMNS}
    out = {c: shown.get(c) for c in COUNT_COLUMNS}
    exact = {c: known[c][0] == known[c][1] for c in COUNT_COLUMNS}

    def interval(least: float, most: float) -> tuple[int, int | None]:
        return int(max(least, 0)), None if np.isinf(most) else int(most)

    (d_lo, d_hi), (p_lo, p_hi), (u_lo, u_hi) = known[demand], known[placed], known[unplaced]
    if all(exact.values()):
        out[placed] = interval(d_lo - u_lo, d_lo - u_lo)  # the figures add up
    elif exact[demand] and exact[placed]:  # unplaced "<5" or a range: placed as its range
        out[placed] = interval(d_lo - u_hi, d_lo - u_lo)
    elif exact[demand] and exact[unplaced]:  # placed "<5" or a range: unplaced as its range
        out[unplaced] = interval(d_lo - p_hi, d_lo - p_lo)
    elif exact[demand]:
        # Both parts ranges: each as narrow as the other allows (a reader can narrow them so
        # too), but never to one value.
        lo, hi = max(p_lo, d_lo - u_hi), min(p_hi, d_lo - u_lo)
        if hi - lo >= 1:
            out[placed] = interval(lo, hi)
    elif not exact[demand] and (exact[placed] or exact[unplaced]):
        # demand a range: an exact part and the other part's range would narrow it, or the
        # other part: the exact part is shown as the widest range the other two allow.
        if exact[placed]:
            out[placed] = interval(max(d_lo - u_hi, 0), d_hi - u_lo)
        else:
            out[unplaced] = interval(max(d_lo - p_hi, 0), d_hi - p_lo)
    return out


def _hidden_flows(
    flows: pd.DataFrame | None, hidden: pd.DataFrame, threshold: int
) -> frozenset[tuple[str, str, str]]:
    """The flows a page hides: small ones, and those an origin's placed children or a
    facility's occupancy would give away."""
    if flows is None or flows.empty:
        return frozenset()
    agg = (
        flows.assign(origin=flows["origin"].astype(str), site=flows["site"].astype(str))
        .groupby(["origin", "site", "type"], as_index=False)["children"]
        .sum()
    )
    # The totals as the page shows them (a neighbourhood's placed children, a facility's
    # occupancy): of every flow, also those that round to none.
    origin_total = agg.groupby("origin")["children"].sum()
    site_total = agg.groupby(["site", "type"])["children"].sum()
    agg = agg[agg["children"].map(whole) > 0].reset_index(drop=True)
    values = agg["children"].to_numpy(float)
    # A child placed in its own neighbourhood has no line on the map: unpublished.
    unknown = (agg["origin"] == agg["site"]).to_numpy()
    mask = np.zeros(len(agg), bool)
    placed_hidden = hidden["children_placed"]
    for _ in range(100):
        before = int(mask.sum())
        for origin, rows in agg.groupby("origin").groups.items():
            if bool(placed_hidden.get(origin, False)):
                continue  # the origin's placed children are not shown: no exact total
            idx = np.asarray(rows)
            mask[idx], _ = suppress_sum(
                values[idx],
                threshold,
                hidden=mask[idx],
                unknown=unknown[idx],
                total=origin_total[origin],
            )
        for key, rows in agg.groupby(["site", "type"]).groups.items():
            idx = np.asarray(rows)
            mask[idx], _ = suppress_sum(
                values[idx],
                threshold,
                hidden=mask[idx],
                unknown=unknown[idx],
                total=site_total[key],
            )
        if int(mask.sum()) == before:
            break
    return frozenset(
        (str(r.origin), str(r.site), str(r.type))
        for r, m in zip(agg.itertuples(index=False), mask, strict=True)
        if m
    )
