"""The plan does not depend on the machine's speed: no stage of the solve is limited by the
clock except by the user's time limit."""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest

from woonplanner.model import solve
from woonplanner.runner import prepare, run
from woonplanner.scenario import load_scenario


def spy_time_limits(monkeypatch) -> list[float]:
    """The ``time_limit`` option of every HiGHS run of the solve module."""
    solve_module = importlib.import_module("woonplanner.model.solve")
    limits: list[float] = []
    original = solve_module.highspy.Highs.solve

    def spy(highs):
        limits.append(highs.getOptionValue("time_limit")[1])
        return original(highs)

    monkeypatch.setattr(solve_module.highspy.Highs, "solve", spy)
    return limits


@pytest.fixture(scope="module")
def demo_problem():
    return prepare(load_scenario("demo")).problem


def test_without_a_time_limit_no_run_has_one(monkeypatch, demo_problem):
    """Today's start got a share of the clock (15 s without a time limit): on a slower or busier
    machine it found another plan. Now every run, the start included, runs until done."""
    limits = spy_time_limits(monkeypatch)
    result = solve(demo_problem, mip_gap=1e-3)
    assert result.optimal
    assert len(limits) >= 3  # LP rounds, the start, the full MIP (or keep-the-stock)
    assert all(limit == np.inf for limit in limits)


def test_with_a_time_limit_every_run_gets_what_is_left(monkeypatch, demo_problem):
    limits = spy_time_limits(monkeypatch)
    solve(demo_problem, mip_gap=1e-3, time_limit=500.0)
    assert limits == sorted(limits, reverse=True)  # the time left, never a share of it
    assert 400.0 < limits[-1] <= limits[0] <= 500.0


def test_the_same_plan_beside_a_busy_process(tmp_path):
    """The demo planned twice, once beside a CPU-bound process: byte-identical tables."""
    scenario = load_scenario("demo")
    run(scenario, out=tmp_path / "quiet")
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        run(scenario, out=tmp_path / "busy")
    finally:
        busy.kill()
        busy.wait()
    for name in ("facilities.csv", "flows.csv", "kpis.json"):
        assert (tmp_path / "busy" / name).read_bytes() == (tmp_path / "quiet" / name).read_bytes()
