"""Shared by the report and compare tests: small real runs and reading HTML tables back."""

from __future__ import annotations

import functools
from html.parser import HTMLParser
from pathlib import Path

import woonplanner
from woonplanner.plan import Plan

#: The smallest demo gemeente: a run of it solves in well under a second.
SMALL = ['region.gemeenten=["GM9904"]']

#: name → overrides of the runs compared in the tests (the scenario variants, made small).
VARIANTS: dict[str, list[str]] = {
    "basis": [*SMALL, "name=basis"],
    "fewer-placements": [*SMALL, "name=fewer-placements", "demand.rate_per_1000=10.08"],
    "wider-band": [*SMALL, "name=wider-band", "reasons.parents_cannot_cope.max_km=10"],
}


@functools.cache
def small_runs(base: Path) -> dict[str, tuple[Path, Plan]]:
    """Run every variant once per test session into ``base`` (cached on the folder)."""
    runs = {}
    for name, overrides in VARIANTS.items():
        folder = base / "runs" / name
        plan = woonplanner.run(woonplanner.load_scenario("demo", overrides=overrides), out=folder)
        runs[name] = (folder, plan)
    return runs


class _Tables(HTMLParser):
    """Collects the cell texts of every table, by id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._id: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._id = dict(attrs).get("id") or f"table{len(self.tables)}"
            self.tables[self._id] = []
        elif tag == "tr" and self._id is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._id is not None:
            self.tables[self._id].append(self._row)
            self._row = None
        elif tag == "table":
            self._id = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(text: str) -> dict[str, list[list[str]]]:
    """Every table of an HTML page as rows of cell texts (unescaped), keyed by its id."""
    parser = _Tables()
    parser.feed(text)
    return parser.tables
