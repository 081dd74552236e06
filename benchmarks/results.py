"""Shared by the benchmark scripts: replace one section of RESULTS.md, keep the others."""

from __future__ import annotations

from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(text: str, section: str) -> None:
    """Replace (or append) the section headed ``section`` (``"## Name"``) with ``text``."""
    old = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = old.find(section + "\n")
    if start < 0:
        new = old.rstrip("\n") + "\n\n" + text
    else:
        end = old.find("\n## ", start + len(section))
        new = old[:start] + text + ("" if end < 0 else old[end:])
    RESULTS.write_text(new)
