"""Nothing lost: --force, unsafe names, leftovers of killed runs, signals, umask (issue 16)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from woonplanner.cli import app
from woonplanner.errors import OutputExistsError
from woonplanner.outputs.files import MARKER, check_out_dir, clean_stale, write_folder

SMALL = ["--set", 'region.gemeenten=["GM9904"]']  # the smallest demo gemeente: fast


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "small"
    result = invoke("run", *SMALL, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def _user_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "thesis.docx").write_text("years of work")
    return path


def test_force_refuses_a_folder_woonplanner_did_not_write(tmp_path):
    docs = _user_folder(tmp_path / "documents")
    result = invoke("run", *SMALL, "--out", docs, "--force")
    assert result.exit_code == 2
    assert str(docs) in result.output
    assert "nothing was touched" in result.output
    assert (docs / "thesis.docx").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents"]


def test_force_refuses_a_file(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    result = invoke("run", *SMALL, "--out", target, "--force")
    assert result.exit_code == 2
    assert target.read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"], "no .notes.txt.old"


@pytest.mark.parametrize("where", [".", "..", "../.."])
def test_force_refuses_the_current_folder_and_its_parents(tmp_path, monkeypatch, where):
    cwd = tmp_path / "a" / "b"
    cwd.mkdir(parents=True)
    # Even a folder woonplanner wrote is not replaced while the user works inside it.
    (cwd / MARKER).write_text("")
    (cwd / "mine.txt").write_text("x")
    monkeypatch.chdir(cwd)
    result = invoke("run", *SMALL, "--out", where, "--force")
    assert result.exit_code == 2
    assert "current folder" in result.output
    assert (cwd / "mine.txt").exists()


def test_force_replaces_a_run_woonplanner_wrote(small_run, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(small_run, copy)
    result = invoke("run", *SMALL, "--set", "demand.rate_per_1000=6", "--out", copy, "--force")
    assert result.exit_code == 0, result.output
    assert (copy / MARKER).is_file()


def test_force_replaces_a_run_written_before_the_marker(small_run, tmp_path):
    old = tmp_path / "old"
    shutil.copytree(small_run, old)
    (old / MARKER).unlink()  # runs written by earlier versions have their manifest only
    check_out_dir(old, force=True)  # no error


def test_compare_never_replaces_one_of_its_inputs(small_run, tmp_path):
    run_b = tmp_path / "runB"
    shutil.copytree(small_run, run_b)
    before = (run_b / "kpis.json").read_bytes()
    result = invoke("compare", small_run, run_b, "--out", run_b, "--force")
    assert result.exit_code == 2
    assert "input" in result.output
    assert (run_b / "kpis.json").read_bytes() == before
    assert not (run_b / "compare.html").exists()


def test_run_never_replaces_the_run_its_stock_comes_from(small_run, tmp_path):
    last_year = tmp_path / "last"
    shutil.copytree(small_run, last_year)
    result = invoke(
        "run", *SMALL, "--set", f'stock.from_run="{last_year}"', "--out", last_year, "--force"
    )
    assert result.exit_code == 2
    assert "input" in result.output
    assert (last_year / "facilities.csv").is_file()


@pytest.mark.parametrize("name", ["../escaped", "a" * 300, "/etc/x", ".hidden", "a\\b"])
def test_unsafe_scenario_names_are_refused(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    result = invoke("run", *SMALL, "--set", f'name="{name}"')
    assert result.exit_code == 2
    assert "name:" in result.output
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_a_plain_name_with_spaces_is_a_folder_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("validate", "demo", "--set", 'name="Regio Oost (2027)"')
    assert result.exit_code == 0, result.output


def _dead_pid() -> int:
    pid = 999_999
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except OSError:
            pass
        pid -= 1


def test_leftovers_of_a_killed_run_are_cleaned_by_the_next(tmp_path):
    stale = tmp_path / f".run.{_dead_pid()}-0123abcd.partial"
    stale.mkdir()
    (stale / MARKER).write_text("")
    (stale / "kpis.json").write_text("{}")
    old = tmp_path / ".run.old"
    old.mkdir()
    (old / MARKER).write_text("")
    # Not woonplanner's (no marker), or of a process still running: kept.
    foreign = tmp_path / ".thing.123-0123abcd.partial"
    foreign.mkdir()
    live = tmp_path / f".other.{os.getpid()}-0123abcd.partial"
    live.mkdir()
    (live / MARKER).write_text("")
    write_folder(tmp_path / "run", lambda folder: (folder / "a.txt").write_text("a"), force=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["run", foreign.name, live.name])
    assert clean_stale(tmp_path) == []


def test_folder_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        out = write_folder(tmp_path / "run", lambda f: (f / "a.txt").write_text("a"), force=False)
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o755


def test_out_under_a_file_exits_2_before_the_work(tmp_path):
    (tmp_path / "file.txt").write_text("x")
    result = invoke("run", *SMALL, "--out", tmp_path / "file.txt" / "run")
    assert result.exit_code == 2
    assert "file.txt" in result.output
    assert "not a folder" in result.output
    assert "Building" not in result.output


def test_unwritable_out_exits_2_before_the_work(tmp_path):
    # /proc takes no new folders, even for root (a chmod would not stop root).
    result = invoke("run", *SMALL, "--out", "/proc/woonplanner-test/run")
    assert result.exit_code == 2
    assert "cannot write" in result.output
    assert "Loading data" not in result.output


def test_check_out_dir_names_the_folder(tmp_path):
    docs = _user_folder(tmp_path / "docs")
    with pytest.raises(OutputExistsError, match="docs"):
        check_out_dir(docs, force=True)


def test_sighup_ends_like_sigterm(tmp_path):
    out = tmp_path / "run"
    script = (
        "import time, woonplanner.runner as r\n"
        "def slow(*a, **k):\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(60)\n"
        "r.run = slow\n"
        "from woonplanner.cli import app\n"
        f"app(['run', '--out', {str(out)!r}])\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGHUP)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert "nothing was written" in err
    assert not out.exists()


def test_sweep_never_replaces_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.txt").write_text("x")
    result = invoke(
        "sweep", "--vary", "objective.km_weight_eur=0,1", *SMALL, "--out", ".", "--force"
    )
    assert result.exit_code == 2
    assert "current folder" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]


def test_run_all_never_replaces_its_data_folder(tmp_path):
    data = _user_folder(tmp_path / "data")
    (data / MARKER).write_text("")  # even when it looks like woonplanner's
    scenario = tmp_path / "s.toml"
    scenario.write_text('name = "x"\n')
    result = invoke("run-all", scenario, "--data-dir", data, "--out", data, "--force")
    assert result.exit_code == 2
    assert "input" in result.output
    assert (data / "thesis.docx").exists()
