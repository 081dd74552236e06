"""The package passes ruff (lint and format) and mypy, as STYLE.md asks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=False)


def ruff() -> str:
    """The ruff of this environment (the dev extra installs it next to python)."""
    beside = Path(sys.executable).with_name("ruff")
    found = str(beside) if beside.exists() else shutil.which("ruff")
    if found is None:
        pytest.skip("ruff not installed (pip install -e '.[dev]')")
    return found


def test_ruff_lint_and_format():
    lint = run(ruff(), "check", "src", "tests", "benchmarks")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run(ruff(), "format", "--check", "src", "tests", "benchmarks")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_on_the_package():
    pytest.importorskip("mypy", reason="mypy not installed (pip install -e '.[dev]')")
    result = run(sys.executable, "-m", "mypy", "src/woonplanner")
    assert result.returncode == 0, result.stdout + result.stderr
