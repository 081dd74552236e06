"""Exceptions raised by woonplanner.

Every error a user can cause derives from :class:`WoonplannerError`; the command line maps each
subclass to an exit code (SPEC §6) and prints its message without a traceback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from woonplanner.outcome import Outcome


class WoonplannerError(Exception):
    """Base class of every error woonplanner raises on purpose.

    Parameters
    ----------
    message
        What went wrong and what to do, as the command line prints it.
    problems
        The problems the message lists one per line, each as it is (for a program: a sweep
        collects the problems of every value without reading them back from the message).
    """

    outcome: ClassVar[Outcome] = Outcome.ERROR

    def __init__(self, message: str = "", *, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or ((message,) if message else ())

    @property
    def exit_code(self) -> int:
        """The command line's exit code, that of :attr:`outcome`."""
        return self.outcome.exit_code


class ScenarioError(WoonplannerError):
    """The scenario file (or an override) is invalid. Exit code 2."""

    outcome = Outcome.INVALID_INPUT


class InputDataError(WoonplannerError):
    """An input table or geometry is invalid. Exit code 2."""

    outcome = Outcome.INVALID_INPUT


class OutputExistsError(WoonplannerError):
    """The run folder exists and ``--force`` was not given. Exit code 2."""

    outcome = Outcome.INVALID_INPUT


class InfeasibleError(WoonplannerError):
    """The model has no feasible plan; the message names what cannot be satisfied. Exit code 3."""

    outcome = Outcome.INFEASIBLE


class NoSolutionError(WoonplannerError):
    """The solver found no feasible plan within the time limit. Exit code 4."""

    outcome = Outcome.NO_PLAN_IN_TIME


class InputWarning(UserWarning):
    """An input that is odd but usable (a CSV in Windows-1252, say): it is read, and the user
    told how."""


def raise_if_problems(problems: list[str], error: type[WoonplannerError], *, header: str) -> None:
    """Raise ``error`` once with every collected problem, or return when there are none.

    The error's :attr:`~WoonplannerError.problems` holds them as they are.
    """
    if not problems:
        return
    lines = "\n".join(f"  - {p}" for p in problems)
    msg = f"{header} ({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n{lines}"
    raise error(msg, problems=problems)
