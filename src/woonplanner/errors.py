"""Exceptions raised by woonplanner.

Every error a user can cause derives from :class:`WoonplannerError`; the command line maps each
subclass to an exit code (SPEC §6) and prints its message without a traceback.
"""

from __future__ import annotations


class WoonplannerError(Exception):
    """Base class of every error woonplanner raises on purpose."""

    exit_code = 1


class ScenarioError(WoonplannerError):
    """The scenario file (or an override) is invalid. Exit code 2."""

    exit_code = 2


class InputDataError(WoonplannerError):
    """An input table or geometry is invalid. Exit code 2."""

    exit_code = 2


class OutputExistsError(WoonplannerError):
    """The run folder exists and ``--force`` was not given. Exit code 2."""

    exit_code = 2


class InfeasibleError(WoonplannerError):
    """The model has no feasible plan; the message names what cannot be satisfied. Exit code 3."""

    exit_code = 3


class NoSolutionError(WoonplannerError):
    """The solver found no feasible plan within the time limit. Exit code 4."""

    exit_code = 4


class InputWarning(UserWarning):
    """An input that is odd but usable (a CSV in Windows-1252, say): it is read, and the user
    told how."""


def raise_if_problems(problems: list[str], error: type[WoonplannerError], *, header: str) -> None:
    """Raise ``error`` once with every collected problem, or return when there are none."""
    if not problems:
        return
    lines = "\n".join(f"  - {p}" for p in problems)
    msg = f"{header} ({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n{lines}"
    raise error(msg)
