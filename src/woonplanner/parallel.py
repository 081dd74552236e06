"""Batch work on Dask distributed: ``--jobs N`` local worker processes or ``--scheduler ADDRESS``.

``run-all`` (a region per task), ``sweep`` (a value per task) and ``simulate`` (a chunk of
draws per task) hand their tasks to :func:`run_tasks`. The tasks are pure functions of their
arguments (every random draw has its own seed), and the results come back in task order, so
the output is the same on one worker or many (SPEC §6a).

* ``scheduler`` given: the tasks go to that running Dask cluster (``dask scheduler`` and
  ``dask worker`` processes, or any Dask deployment); the workers need woonplanner installed and
  the data at the same paths.
* ``jobs >= 2``: a local Dask cluster of ``jobs`` worker processes, one thread each (HiGHS runs
  single-threaded per task: processes, not threads, share the machine).
* ``jobs == 1`` and no scheduler: the tasks run here, one after another, with no cluster to
  start (the reference the parallel runs are tested against).

A progress bar (rich) counts the finished tasks on standard error.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from woonplanner.errors import ScenarioError


def check_jobs(jobs: int, scheduler: str | None) -> None:
    """``--jobs`` must be ≥ 1; ``--scheduler`` and ``--jobs`` > 1 exclude each other."""
    if jobs < 1:
        msg = f"--jobs: must be ≥ 1, got {jobs}"
        raise ScenarioError(msg)
    if scheduler and jobs > 1:
        msg = "--jobs and --scheduler: give one (the scheduler's cluster has its own workers)"
        raise ScenarioError(msg)


@contextlib.contextmanager
def dask_client(jobs: int = 1, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client on ``scheduler``, or on a new local cluster of ``jobs`` processes.

    Yields ``None`` for ``jobs == 1`` without a scheduler: the caller runs the tasks itself.
    """
    check_jobs(jobs, scheduler)
    if scheduler is None and jobs == 1:
        yield None
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    with (
        LocalCluster(
            n_workers=jobs,
            threads_per_worker=1,
            processes=True,
            # A free port: the default 8787 may be taken (another cluster on the machine).
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def run_tasks(
    fn: Callable[..., Any],
    args: Sequence[tuple[Any, ...]],
    *,
    jobs: int = 1,
    scheduler: str | None = None,
    client: Any = None,
    label: str = "tasks",
    on_result: Callable[[int, Any], None] | None = None,
    show_progress: bool = True,
) -> list[Any]:
    """``[fn(*a) for a in args]``, on Dask workers when asked; results in the order of ``args``.

    Parameters
    ----------
    fn
        A module-level function (the workers import it by name).
    args
        One tuple of arguments per task. An argument that is the *same object* in every task
        (a problem, a simulation) is sent to the workers once, not once per task.
    jobs, scheduler
        Where the tasks run (see the module docstring); ignored when ``client`` is given.
    client
        An open client from :func:`dask_client` (several batches on one cluster).
    label
        What the progress bar counts.
    on_result
        Called with ``(index, result)`` as each task finishes (in finishing order).
    show_progress
        Show the progress bar on standard error.
    """
    if client is None:
        with dask_client(jobs, scheduler) as new_client:
            return _run(fn, args, new_client, label, on_result, show_progress)
    return _run(fn, args, client, label, on_result, show_progress)


def _run(fn, args, client, label, on_result, show_progress) -> list[Any]:
    results: list[Any] = [None] * len(args)
    with _bar(label, len(args), show_progress) as advance:
        if client is None:
            for k, a in enumerate(args):
                results[k] = fn(*a)
                if on_result is not None:
                    on_result(k, results[k])
                advance()
            return results
        from distributed import as_completed

        shared = _shared_positions(args)
        scattered = {p: client.scatter(args[0][p], broadcast=True) for p in shared}
        futures = []
        for a in args:
            call = tuple(scattered.get(p, value) for p, value in enumerate(a))
            futures.append(client.submit(fn, *call, pure=False))
        index = {f.key: k for k, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                k = index[future.key]
                results[k] = future.result()
                if on_result is not None:
                    on_result(k, results[k])
                advance()
        except BaseException:
            client.cancel(futures)
            raise
    return results


def _shared_positions(args: Sequence[tuple[Any, ...]]) -> list[int]:
    """Positions whose argument is one and the same non-trivial object in every task."""
    if len(args) < 2:
        return []
    first = args[0]
    return [
        p
        for p, value in enumerate(first)
        if not isinstance(value, str | int | float | bool | type(None))
        and all(len(a) > p and a[p] is value for a in args)
    ]


@contextlib.contextmanager
def _bar(label: str, total: int, show: bool) -> Iterator[Callable[[], None]]:
    """A rich progress bar on standard error; ``advance()`` counts one finished task."""
    if not show or total == 0:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        f"[progress.description]{label}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as progress:
        task = progress.add_task(label, total=total)
        yield lambda: progress.advance(task)
