"""The one vocabulary of run outcomes: what a run, a region of ``run-all`` and a value of a
sweep ended in, and the exit code the command line gives for it.

``status`` in ``kpis.json``, ``regions.csv`` and ``sweep.csv`` is one of these values, and so
is every word the pages show for an outcome (:data:`woonplanner.outputs.vocabulary.TERMS`,
``outcome_<value>``). An error carries its outcome (:attr:`WoonplannerError.outcome
<woonplanner.errors.WoonplannerError.outcome>`), so nothing reads it back from message text.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

__all__ = ["Outcome", "exit_code"]


class Outcome(StrEnum):
    """How a run ended."""

    OPTIMAL = "optimal"
    """A plan proven optimal to the gap."""
    TIME_LIMIT = "time_limit"
    """A feasible plan, not proven optimal when the time limit struck (its gap is stated)."""
    INFEASIBLE = "infeasible"
    """No plan satisfies the hard rules; the diagnosis says which."""
    NO_PLAN_IN_TIME = "no_plan_in_time"
    """No feasible plan found within the time limit."""
    INVALID_INPUT = "invalid_input"
    """The scenario or the data are invalid (every problem listed)."""
    INTERRUPTED = "interrupted"
    """Ctrl-C or SIGTERM: the solve was cancelled and nothing written."""
    ERROR = "error"
    """Anything unexpected (a bug to report)."""

    @property
    def has_plan(self) -> bool:
        """Whether the run has a plan (optimal, or feasible with its gap)."""
        return self in (Outcome.OPTIMAL, Outcome.TIME_LIMIT)

    @classmethod
    def of_solve(cls, status: str, *, has_solution: bool) -> Outcome:
        """The outcome of a solve from the solver's status and whether it found a plan.

        Examples
        --------
        >>> Outcome.of_solve("iteration_limit", has_solution=True).value
        'time_limit'
        >>> Outcome.of_solve("time_limit", has_solution=False).value
        'no_plan_in_time'
        """
        if status == "interrupted":
            return cls.INTERRUPTED
        if has_solution:
            return cls.OPTIMAL if status == "optimal" else cls.TIME_LIMIT
        if status == "infeasible":
            return cls.INFEASIBLE
        if status in ("time_limit", "iteration_limit", "objective_limit"):
            return cls.NO_PLAN_IN_TIME
        return cls.ERROR

    @classmethod
    def of_exit_code(cls, code: int, *, status: str | None = None) -> Outcome:
        """The outcome of a finished command from its exit code (the inverse of
        :attr:`exit_code`); exit 0 is ``time_limit`` when ``status`` (a run's ``kpis.json``)
        says so, else ``optimal``.

        Examples
        --------
        >>> Outcome.of_exit_code(3).value, Outcome.of_exit_code(0, status="time_limit").value
        ('infeasible', 'time_limit')
        """
        if code == 0:
            return cls.TIME_LIMIT if status == cls.TIME_LIMIT.value else cls.OPTIMAL
        return next((o for o, c in _EXIT_CODES.items() if c == code), cls.ERROR)

    @property
    def exit_code(self) -> int:
        """The command line's exit code (README, "When something goes wrong")."""
        return _EXIT_CODES[self]


_EXIT_CODES = {
    Outcome.OPTIMAL: 0,
    Outcome.TIME_LIMIT: 0,
    Outcome.ERROR: 1,
    Outcome.INVALID_INPUT: 2,
    Outcome.INFEASIBLE: 3,
    Outcome.NO_PLAN_IN_TIME: 4,
    Outcome.INTERRUPTED: 130,
}

#: Which outcome sets the exit code of many runs (run-all, sweep): the first one present.
_PRECEDENCE = (
    Outcome.INTERRUPTED,
    Outcome.ERROR,
    Outcome.INVALID_INPUT,
    Outcome.INFEASIBLE,
    Outcome.NO_PLAN_IN_TIME,
)


def exit_code(outcomes: Iterable[Outcome | str]) -> int:
    """The exit code of many runs: 0 when each has a plan, else that of the gravest outcome.

    Examples
    --------
    >>> exit_code(["optimal", "time_limit"]), exit_code(["no_plan_in_time", "infeasible"])
    (0, 3)
    """
    present = {Outcome(o) for o in outcomes}
    return next((o.exit_code for o in _PRECEDENCE if o in present), 0)
