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


def test_woonplanner_sums_with_one_blas_thread_on_any_machine():
    # OpenBLAS adds a long dot product per thread: with two threads costs @ x rounds
    # differently than with one (3409.1580761895057 against …506, 13,577 terms, 2026-12-03),
    # so the last digit of a figure would depend on the cores (and differ in a Dask worker,
    # which has one). `import woonplanner` asks for one before numpy loads (woonplanner/_blas.py).
    import os
    import subprocess
    import sys

    code = (
        "{first}import numpy as np\n"
        "rng = np.random.default_rng(0)\n"
        "a, b = rng.random(200_000), rng.random(200_000)\n"
        "print(repr(float(a @ b)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}

    def dot(first: str, **extra: str) -> str:
        out = subprocess.run(
            [sys.executable, "-c", code.format(first=first)],
            env={**env, **extra},
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    one_thread = dot("", OPENBLAS_NUM_THREADS="1")
    assert dot("import woonplanner\n") == one_thread
    if (os.cpu_count() or 1) > 1:
        # The test can fail: without woonplanner the sum takes another order here.
        assert dot("") != one_thread
