"""What several test files share: where the shared data lies, and the runs they all look at.

The real data (CBS wijken, OR-Library instances) is read from ``../shared/data`` beside the
repository, or from ``$WOONPLANNER_SHARED_DATA``; tests that need it are skipped with that
reason when it is absent (:data:`needs_nl`, :data:`needs_orlib`, or the fixtures below).
Test modules import the constants (``from conftest import NL``): pytest puts this folder on
the import path.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from outputs_helpers import small_runs
from typer.testing import CliRunner

import woonplanner
from woonplanner.plan import Plan
from woonplanner.problem import Problem
from woonplanner.scenario import Scenario

REPO = Path(__file__).resolve().parents[1]
#: The shared data folder: ``$WOONPLANNER_SHARED_DATA`` or ``../shared/data``.
SHARED_DATA = Path(os.environ.get("WOONPLANNER_SHARED_DATA", REPO.parent / "shared" / "data"))
NL = SHARED_DATA / "nl"
ORLIB = SHARED_DATA / "orlib"
WIJKEN = NL / "wijken_2024_geoinzicht.geojson"
SKIP_REASON = f"{SHARED_DATA} not found; set WOONPLANNER_SHARED_DATA to the shared data folder"

#: Skip marks for a test (or ``pytestmark``) that reads the CBS data or the OR-Library files.
needs_nl = pytest.mark.skipif(not WIJKEN.is_file(), reason=SKIP_REASON)
needs_orlib = pytest.mark.skipif(not (ORLIB / "cap" / "optima.tsv").is_file(), reason=SKIP_REASON)


@pytest.fixture(scope="session")
def demo_scenario() -> Scenario:
    """The built-in demo scenario, every default filled in."""
    return woonplanner.load_scenario("demo")


@pytest.fixture(scope="session")
def demo_problem(demo_scenario: Scenario) -> Problem:
    """The demo's solver-neutral instance."""
    from woonplanner.runner import prepare

    return prepare(demo_scenario).problem


@pytest.fixture(scope="session")
def demo_plan(demo_scenario: Scenario) -> Plan:
    """The demo solved once for the whole session (treat it as read-only)."""
    return woonplanner.run(demo_scenario)


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Plan]]:
    """The small variant runs of :func:`outputs_helpers.small_runs`, folders and plans."""
    return small_runs(tmp_path_factory.getbasetemp())


@pytest.fixture
def cli() -> CliRunner:
    """A runner for the command line."""
    return CliRunner()
