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
