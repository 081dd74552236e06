"""The server's queue: one command-line process at a time, streamed, and cancellable.

Every plan, comparison and sweep the workbench starts is the ``woonplanner`` command a user
could type (``run``, ``compare``, ``sweep``), run as a subprocess. So its run folder is exactly
what the command line writes, its progress lines are the command line's own, and cancelling it
is the command line's SIGTERM path: the solve stops and the temporary folder is removed (the
run folder is written atomically). Should a process not end within :data:`GRACE_S`, it is
killed and any temporary folder it left is removed here. One job runs at a time, so a laptop
stays usable; the others wait in order.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from woonplanner.outcome import Outcome

#: Seconds a cancelled process gets to clean up before it is killed.
GRACE_S = 20.0
#: Lines of output kept per job (a long solve says its gap every few seconds).
MAX_LINES = 2000


class JobState(StrEnum):
    """Where a job is. ``finished`` jobs have an :class:`Outcome`."""

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"


def outcome_of(exit_code: int, *, cancelled: bool, status: str | None = None) -> Outcome:
    """The outcome of a command-line process that exited with ``exit_code`` (the project's one
    vocabulary, :class:`woonplanner.outcome.Outcome`); ``status`` is a run's ``kpis.json``
    status, which tells an optimal plan from a time-limited one."""
    if cancelled:
        return Outcome.INTERRUPTED
    return Outcome.of_exit_code(exit_code, status=status)


def _run_status(job: Job) -> str | None:
    """``status`` of the run folder a job wrote (``None`` for compare, sweep or no folder)."""
    try:
        return json.loads((job.out / "kpis.json").read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        return None


def cli_command(*args: str) -> list[str]:
    """``woonplanner ARGS`` with this interpreter (the server's environment)."""
    return [sys.executable, "-m", "woonplanner.cli", *args]


def shown_command(argv: Sequence[str]) -> str:
    """The command as a user would type it: ``woonplanner run … --set …``."""
    args = list(argv)
    if args[:3] == [sys.executable, "-m", "woonplanner.cli"]:
        args = ["woonplanner", *args[3:]]
    return shlex.join(args)


@dataclass
class Job:
    """One command the server runs for the planner."""

    id: str
    kind: str
    """``run``, ``compare`` or ``sweep``."""
    title: str
    argv: list[str]
    out: Path
    """The folder it writes (created whole, or not at all)."""
    overrides: list[str] = field(default_factory=list)
    """The ``--set`` overrides, as the form turned them out."""
    state: JobState = JobState.QUEUED
    outcome: Outcome | None = None
    exit_code: int | None = None
    lines: list[str] = field(default_factory=list)
    pid: int | None = None
    cancel_requested: bool = False
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None

    @property
    def command(self) -> str:
        """The command line to rerun it by hand."""
        return shown_command(self.argv)

    @property
    def error(self) -> str:
        """What the command printed after ``Error:`` (the diagnosis of an infeasible plan)."""
        for i, line in enumerate(self.lines):
            if line.startswith("Error: "):
                return "\n".join([line.removeprefix("Error: "), *self.lines[i + 1 :]])
        return ""

    def as_dict(self, since: int = 0) -> dict[str, object]:
        """The job for the page's script: state, outcome, and the lines from ``since`` on."""
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "state": self.state.value,
            "outcome": self.outcome.value if self.outcome else None,
            "exit_code": self.exit_code,
            "lines": self.lines[since:],
            "next": len(self.lines),
            "error": self.error,
            "out": self.out.name,
            "exists": self.out.is_dir(),
        }


class JobQueue:
    """Runs submitted jobs one after another in a worker thread.

    Parameters
    ----------
    env
        Extra environment variables for the processes.
    """

    def __init__(self, *, env: dict[str, str] | None = None) -> None:
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []
        self._cond = threading.Condition()
        self._proc: subprocess.Popen[str] | None = None
        self._stopping = False
        self._ids = itertools.count(1)
        self._env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self._thread = threading.Thread(target=self._work, name="woonplanner-jobs", daemon=True)
        self._thread.start()

    # --- what the pages call ---------------------------------------------------------------

    def submit(
        self, kind: str, title: str, argv: list[str], out: Path, overrides: Sequence[str] = ()
    ) -> Job:
        """Queue a command; it starts when every job before it has finished."""
        with self._cond:
            job = Job(
                id=f"{next(self._ids)}",
                kind=kind,
                title=title,
                argv=argv,
                out=out,
                overrides=list(overrides),
            )
            self._jobs[job.id] = job
            self._order.append(job.id)
            self._cond.notify_all()
            return job

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or None."""
        return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        """Every job, newest first."""
        return [self._jobs[i] for i in reversed(self._order)]

    def busy_outs(self) -> set[Path]:
        """Folders that queued or running jobs will write."""
        return {j.out for j in self._jobs.values() if j.state is not JobState.FINISHED}

    def cancel(self, job_id: str) -> Job | None:
        """Take a queued job off the queue, or stop a running one (SIGTERM to its PID)."""
        with self._cond:
            job = self._jobs.get(job_id)
            if job is None or job.state is JobState.FINISHED:
                return job
            job.cancel_requested = True
            if job.state is JobState.QUEUED:
                self._finish(job, exit_code=None)
            elif job.pid is not None:
                _terminate(job.pid)
            return job

    def shutdown(self) -> None:
        """Cancel every job and wait for the running one to clean up (the server stops)."""
        with self._cond:
            self._stopping = True
            for job in self._jobs.values():
                if job.state is not JobState.FINISHED:
                    job.cancel_requested = True
                    if job.state is JobState.QUEUED:
                        self._finish(job, exit_code=None)
                    elif job.pid is not None:
                        _terminate(job.pid)
            self._cond.notify_all()
        self._thread.join(GRACE_S + 5)

    # --- the worker ----------------------------------------------------------------------------

    def _next(self) -> Job | None:
        with self._cond:
            while not self._stopping:
                for job_id in self._order:
                    job = self._jobs[job_id]
                    if job.state is JobState.QUEUED:
                        return job
                self._cond.wait()
            return None

    def _work(self) -> None:
        while (job := self._next()) is not None:
            self._run(job)

    def _run(self, job: Job) -> None:
        with self._cond:
            if job.state is not JobState.QUEUED:
                return
            proc = subprocess.Popen(
                job.argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
                env=self._env,
            )
            job.state, job.pid, job.started = JobState.RUNNING, proc.pid, time.time()
            self._proc = proc
        killer = threading.Thread(target=self._kill_late, args=(job, proc), daemon=True)
        killer.start()
        assert proc.stdout is not None
        with proc.stdout:
            for line in proc.stdout:
                if len(job.lines) < MAX_LINES:
                    job.lines.append(line.rstrip("\n"))
        code = proc.wait()
        with self._cond:
            self._proc = None
            if code != 0:
                _remove_partial(job.out)
            self._finish(job, exit_code=code)

    def _kill_late(self, job: Job, proc: subprocess.Popen[str]) -> None:
        """Kill a process that has not ended :data:`GRACE_S` after it was asked to stop."""
        while proc.poll() is None:
            if job.cancel_requested:
                try:
                    proc.wait(GRACE_S)
                except subprocess.TimeoutExpired:
                    proc.kill()
                return
            time.sleep(0.1)

    def _finish(self, job: Job, *, exit_code: int | None) -> None:
        job.exit_code = exit_code
        job.state = JobState.FINISHED
        job.finished = time.time()
        job.outcome = outcome_of(
            exit_code or 0, cancelled=job.cancel_requested, status=_run_status(job)
        )
        self._cond.notify_all()


def _terminate(pid: int) -> None:
    # SIGTERM: the command line cancels the solve and removes its temporary folder.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)


def _remove_partial(out: Path) -> None:
    """Remove temporary folders of ``out`` that a killed process could not remove itself."""
    for tmp in out.parent.glob(f".{out.name}.*.partial"):
        shutil.rmtree(tmp, ignore_errors=True)
