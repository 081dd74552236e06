"""Same input, same bytes: a run folder differs only in the manifest's timings (issue 16)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from woonplanner.cli import app
from woonplanner.outputs.files import FIXED_TIMESTAMP

SMALL = ["--set", 'region.gemeenten=["GM9904"]']


def _run(out: Path) -> None:
    result = CliRunner().invoke(app, ["run", *SMALL, "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


def test_two_runs_write_the_same_bytes(tmp_path):
    _run(tmp_path / "a")
    _run(tmp_path / "b")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    differ = [
        n for n in names if (tmp_path / "a" / n).read_bytes() != (tmp_path / "b" / n).read_bytes()
    ]
    assert differ in ([], ["manifest.json"])
    manifests = [json.loads((tmp_path / r / "manifest.json").read_text()) for r in "ab"]
    for m in manifests:
        m.pop("timings_s")
    assert manifests[0] == manifests[1]
    with contextlib.closing(sqlite3.connect(tmp_path / "a" / "plan.gpkg")) as db:
        times = {r[0] for r in db.execute("SELECT last_change FROM gpkg_contents")}
    assert times == {FIXED_TIMESTAMP}
