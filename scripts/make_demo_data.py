"""Regenerate the embedded demo region in ``data/demo`` and the generated parts of ``docs/data.md``.

Run from anywhere after changing :mod:`woonplanner.data.demo` or a data dictionary::

    python scripts/make_demo_data.py

and commit the changed files. ``tests/test_demo_data.py`` fails while the stored files or the
documentation lag behind the code.

``docs/data.md`` is written by hand except between marker comments
(``<!-- generated: NAME -->`` ... ``<!-- end generated -->``), which this script fills with the
data dictionaries (``data/dictionary/*.csv``) and a summary of the demo region.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from woonplanner.data import demo
from woonplanner.demand import estimate_demand
from woonplanner.scenario import Scenario
from woonplanner.schema import FACILITY_TYPES

ROOT = Path(__file__).resolve().parents[1]
DEMO_DIRECTORY = ROOT / "data" / "demo"
DICTIONARY_DIRECTORY = ROOT / "data" / "dictionary"
DOCS = ROOT / "docs" / "data.md"

#: Inhabitants per small-scale facility (gezinshuis or woongroep) in the policy target.
INHABITANTS_PER_FACILITY = 40_000

_BLOCK = re.compile(
    r"(<!-- generated: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- end generated -->)", re.DOTALL
)


def _cell(value: object) -> str:
    """Markdown table cell: empty for missing values, pipes escaped."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame) -> str:
    """Render ``frame`` as a GitHub-flavoured Markdown table (no index)."""
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = [
        "| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *rows]) + "\n"


def dictionary_table(table: str) -> str:
    """The data dictionary of one input table as Markdown, with column names as code."""
    frame = pd.read_csv(DICTIONARY_DIRECTORY / f"{table}.csv", dtype=str)
    frame["column"] = "`" + frame["column"] + "`"
    return markdown_table(frame)


def demo_summary() -> str:
    """Per gemeente of the demo: size, wijken, current stock and the 1-per-40,000 target."""
    region = demo.load(DEMO_DIRECTORY)
    wijken = region.neighbourhoods
    stock = region.stock.merge(
        wijken[["code", "gemeente"]], left_on="neighbourhood", right_on="code", how="left"
    )
    units = (
        stock.pivot_table(index="gemeente", columns="type", values="units", aggfunc="sum")
        .reindex(index=sorted(wijken["gemeente"].unique()), columns=FACILITY_TYPES)
        .fillna(0)
        .astype(int)
    )
    rows = []
    for (code, name), group in wijken.groupby(["gemeente", "gemeente_name"], sort=True):
        inhabitants = int(group["inhabitants"].sum())
        rows.append(
            {
                "gemeente": f"`{code}`",
                "name": name,
                "inhabitants": f"{inhabitants:,}",
                "wijken": len(group),
                "pleeggezinnen": units.at[code, "pleeggezin"],
                "gezinshuizen": units.at[code, "gezinshuis"],
                "woongroepen": units.at[code, "woongroep"],
                "small-scale target": math.ceil(inhabitants / INHABITANTS_PER_FACILITY),
            }
        )
    return markdown_table(pd.DataFrame(rows))


GENERATORS: dict[str, Callable[[], str]] = {
    "dictionary-neighbourhoods": lambda: dictionary_table("neighbourhoods"),
    "dictionary-schools": lambda: dictionary_table("schools"),
    "dictionary-stock": lambda: dictionary_table("stock"),
    "dictionary-sites": lambda: dictionary_table("sites"),
    "demo-summary": demo_summary,
}


def render_docs(text: str) -> str:
    """Fill every generated block of ``docs/data.md``; text outside the blocks is kept.

    Raises
    ------
    KeyError
        When a block names no known generator.
    """

    def fill(match: re.Match[str]) -> str:
        return match.group(1) + "\n" + GENERATORS[match.group("name")]() + "\n" + match.group(4)

    return _BLOCK.sub(fill, text)


def write_examples(directory: Path) -> list[Path]:
    """The synthetic placements of the demo stock and a synthetic caseload with sibling groups
    (from the default estimate of the demo), for the README and ``docs/caseload.md``.

    Both are fictional: no real child is in them.
    """
    region = demo.load(directory)
    demand = estimate_demand(region.neighbourhoods, Scenario().demand)
    placements = directory / demo.PLACEMENTS_FILE
    demo.placements(region, demand).to_csv(placements, index=False, lineterminator="\n")
    caseload = directory / demo.CASELOAD_FILE
    demo.synthetic_caseload(demand).to_csv(caseload, index=False, lineterminator="\n")
    return [placements, caseload]


def main() -> int:
    """Write ``data/demo`` and refresh ``docs/data.md``; print what was written."""
    for path in [*demo.write(DEMO_DIRECTORY), *write_examples(DEMO_DIRECTORY)]:
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)")
    DOCS.write_text(render_docs(DOCS.read_text(encoding="utf-8")), encoding="utf-8", newline="\n")
    print(f"updated {DOCS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
