"""run-all: a data warning of one region says which region it is about (issue 17)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from woonplanner import batch
from woonplanner.errors import InputWarning


def test_a_regions_warning_names_the_region(monkeypatch: pytest.MonkeyPatch) -> None:
    def plan_with_a_warning(*args: Any) -> dict[str, Any]:
        warnings.warn("membership.csv: not UTF-8", InputWarning, stacklevel=1)
        return {"jeugdregio": args[3], "status": "optimal"}

    monkeypatch.setattr(batch, "_plan_one_region", plan_with_a_warning)
    # In the worker: recorded with the row, not printed without its region.
    with warnings.catch_warnings(record=True) as outside:
        warnings.simplefilter("always")
        row = batch._plan_region("s.toml", "data", "out", "JZ29", [], [])
    assert outside == []
    # In the parent: repeated with the region's code in front.
    with pytest.warns(InputWarning, match=r"^JZ29: membership.csv: not UTF-8$"):
        batch._warn_for(row)
    assert "_warnings" not in row
