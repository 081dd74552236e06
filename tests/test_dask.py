"""Batch work on Dask: a real ``dask scheduler`` and ``dask worker`` on localhost, and a local
cluster of two workers, give the same results as ``--jobs 1``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from woonplanner import simulate as sim_mod
from woonplanner.errors import ScenarioError
from woonplanner.parallel import check_jobs, run_tasks
from woonplanner.runner import prepare
from woonplanner.scenario import load_scenario

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("WOONPLANNER_SHARED_DATA", REPO.parent / "shared" / "data"))
NL = SHARED / "nl"
DASK = Path(sys.executable).parent / "dask"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            msg = f"dask scheduler exited with {proc.returncode}"
            raise RuntimeError(msg)
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    msg = f"no dask scheduler on port {port} after {timeout:g} s"
    raise RuntimeError(msg)


def stop(proc: subprocess.Popen) -> None:
    """End a process we started, by its PID: terminate, then kill if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A ``dask scheduler`` and one ``dask worker`` (one process, one thread) on localhost."""
    folder = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = (folder / "scheduler.log").open("w")
    sched = subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = None
    worker_log = (folder / "worker.log").open("w")
    try:
        wait_for_port(port, sched)
        worker = subprocess.Popen(
            [
                str(DASK),
                "worker",
                address,
                "--nworkers",
                "1",
                "--nthreads",
                "1",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
                "--local-directory",
                str(folder),
            ],
            cwd=folder,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(1, timeout=120)
        yield address
    finally:
        if worker is not None:
            stop(worker)
        stop(sched)
        log.close()
        worker_log.close()


@pytest.fixture(scope="module")
def demo_simulation(tmp_path_factory):
    from woonplanner.runner import run

    out = tmp_path_factory.mktemp("dask-demo") / "demo"
    scenario = load_scenario(None)
    run(scenario, out=out)
    problem = prepare(load_scenario(out / "scenario.toml")).problem
    units = sim_mod.plan_units(out, problem)
    return sim_mod.make_simulation(problem, units, seed=2)


def comparable(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "solve"}


def test_simulate_on_a_running_scheduler_equals_jobs_1(scheduler, demo_simulation):
    here = sim_mod.run_draws(demo_simulation, 60)
    there = sim_mod.run_draws(demo_simulation, 60, scheduler=scheduler)
    assert comparable(sim_mod.summarise(demo_simulation, there)) == comparable(
        sim_mod.summarise(demo_simulation, here)
    )


def test_simulate_on_two_local_workers_equals_jobs_1(demo_simulation):
    here = sim_mod.run_draws(demo_simulation, 60)
    two = sim_mod.run_draws(demo_simulation, 60, jobs=2)
    for a, b in zip(here, two, strict=True):
        for level in a.drawn:
            np.testing.assert_array_equal(a.unplaced[level], b.unplaced[level])
        # The child-km to the bit (a BLAS dot gave the last digit of mean_km by alignment).
        np.testing.assert_array_equal(a.child_km, b.child_km)
    assert comparable(sim_mod.summarise(demo_simulation, two)) == comparable(
        sim_mod.summarise(demo_simulation, here)
    )


@pytest.mark.skipif(not (NL / "wijken_2024_geoinzicht.geojson").is_file(), reason="no CBS data")
def test_run_all_on_a_running_scheduler_equals_jobs_1(scheduler, tmp_path):
    from woonplanner.batch import run_all

    kwargs = {"data_dir": NL, "regions": ["JZ22", "JZ15"], "show_progress": False}
    scenario = REPO / "scenarios" / "jeugdregio.toml"
    here = run_all(scenario, out=tmp_path / "here", jobs=1, **kwargs)
    there = run_all(scenario, out=tmp_path / "there", scheduler=scheduler, **kwargs)
    timing = ["build_s", "solve_s"]
    pd.testing.assert_frame_equal(here.drop(columns=timing), there.drop(columns=timing))
    assert list(there["status"]) == ["optimal", "optimal"]
    for code in ("JZ15", "JZ22"):
        a = pd.read_csv(tmp_path / "here" / code / "facilities.csv")
        b = pd.read_csv(tmp_path / "there" / code / "facilities.csv")
        pd.testing.assert_frame_equal(a, b)


def test_tasks_come_back_in_order_and_report_as_they_finish(scheduler):
    seen: list[int] = []
    results = run_tasks(
        pow, [(k, 2) for k in range(7)], scheduler=scheduler, on_result=lambda k, _r: seen.append(k)
    )
    assert results == [k**2 for k in range(7)]
    assert sorted(seen) == list(range(7))


def test_jobs_and_scheduler_are_checked():
    with pytest.raises(ScenarioError, match="--jobs: must be ≥ 1"):
        check_jobs(0, None)
    with pytest.raises(ScenarioError, match="give one"):
        check_jobs(2, "tcp://127.0.0.1:1")


def test_sweep_on_a_running_scheduler_equals_jobs_1(scheduler):
    from woonplanner.sweep import sweep

    values = ["500", "5000"]
    here = sweep(None, "objective.km_weight_eur", values, show_progress=False)
    lines: list[str] = []
    there = sweep(
        None,
        "objective.km_weight_eur",
        values,
        scheduler=scheduler,
        progress=lines.append,
        show_progress=False,
    )
    pd.testing.assert_frame_equal(here, there)
    # One line per value as it finishes, whichever worker planned it.
    assert sorted(line.split(":")[0] for line in lines) == [
        "[1/2] objective.km_weight_eur=500",
        "[2/2] objective.km_weight_eur=5000",
    ]
