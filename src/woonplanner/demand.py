"""Demand: children who need a place, per neighbourhood × segment.

A segment is (reason, support need, age band). The estimate (SPEC §3) is

    children(i, band) × rate_per_1000 / 1000 × index(gemeente)
        × reason_share(reason) × support_share(reason, need)

with ``support_share(r, "none") = 1 - extra_support_share[r]``, and the children who need extra
support split by age band: ``no_family_share[band]`` of them need ``"intensive"`` support (a
family setting cannot give it: only a woongroep suits them), the rest ``"extra"``.
The result is expected numbers of children (fractional), never child-level rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from woonplanner.scenario import DemandConfig
from woonplanner.schema import AGE_BAND_IDS, REASONS, SUPPORT_NEEDS

DEMAND_COLUMNS = ("origin", "reason", "support_need", "age_band", "children")

#: Below this many expected children a segment is dropped (it would only add empty arcs).
MIN_CHILDREN = 1e-6


def estimate_demand(
    neighbourhoods: pd.DataFrame,
    config: DemandConfig,
    *,
    youth_care_index: pd.Series | None = None,
) -> pd.DataFrame:
    """Expected children needing a place per neighbourhood and segment.

    Parameters
    ----------
    neighbourhoods
        Table with ``code``, ``gemeente`` and ``children_<band>`` columns.
    config
        The scenario's demand section.
    youth_care_index
        Optional multiplier per gemeente code (1.0 = national average); missing gemeenten get 1.

    Returns
    -------
    DataFrame
        ``origin, reason, support_need, age_band, children`` with ``children > 0``, in a
        deterministic order.
    """
    scale = np.full(len(neighbourhoods), config.rate_per_1000 / 1000.0)
    if youth_care_index is not None:
        index = neighbourhoods["gemeente"].map(youth_care_index).fillna(1.0).to_numpy(dtype=float)
        scale = scale * index
    # Keyed by plain str: the schema's keys are the age-band literals.
    no_family: dict[str, float] = {str(b): share for b, share in config.no_family_share.items()}
    frames = []
    for band in AGE_BAND_IDS:
        children = neighbourhoods[f"children_{band}"].to_numpy(dtype=float) * scale
        for reason in REASONS:
            reason_share = getattr(config.reason_shares, reason)
            extra = getattr(config.extra_support_share, reason)
            intensive = extra * no_family[band]
            shares = (1.0 - extra, extra - intensive, intensive)
            for need, need_share in zip(SUPPORT_NEEDS, shares, strict=True):
                frames.append(
                    pd.DataFrame(
                        {
                            "origin": neighbourhoods["code"].to_numpy(),
                            "reason": reason,
                            "support_need": need,
                            "age_band": band,
                            "children": children * reason_share * need_share,
                        }
                    )
                )
    demand = pd.concat(frames, ignore_index=True)
    demand = demand[demand["children"] > MIN_CHILDREN]
    return demand.sort_values(["origin", "reason", "support_need", "age_band"]).reset_index(
        drop=True
    )
