"""One vocabulary of run outcomes: run, run-all, sweep and the CLI's exit codes share it, and
an error carries its outcome and its problems (nothing reads them back from message text)."""

from __future__ import annotations

import pytest

from woonplanner.errors import (
    InfeasibleError,
    InputDataError,
    NoSolutionError,
    ScenarioError,
    WoonplannerError,
    raise_if_problems,
)
from woonplanner.outcome import Outcome, exit_code
from woonplanner.outputs.vocabulary import LANGS, TERMS
from woonplanner.runner import run
from woonplanner.scenario import load_scenario
from woonplanner.sweep import sweep

SMALL = 'region.gemeenten=["GM9904"]'  # the smallest demo gemeente: fast


def test_each_error_carries_its_outcome_and_exit_code() -> None:
    assert ScenarioError("x").outcome is Outcome.INVALID_INPUT
    assert InputDataError("x").exit_code == 2
    assert InfeasibleError("x").exit_code == 3
    assert NoSolutionError("x").outcome is Outcome.NO_PLAN_IN_TIME
    assert WoonplannerError("x").outcome is Outcome.ERROR
    assert [o.exit_code for o in Outcome] == [0, 0, 3, 4, 2, 130, 1]


def test_many_runs_exit_with_the_gravest_outcome() -> None:
    assert exit_code(["optimal", "time_limit"]) == 0
    assert exit_code(["optimal", "no_plan_in_time"]) == 4
    assert exit_code(["no_plan_in_time", "infeasible", "optimal"]) == 3
    assert exit_code(["infeasible", "invalid_input"]) == 2
    assert exit_code(["infeasible", "error"]) == 1
    with pytest.raises(ValueError, match="InfeasibleError"):
        exit_code(["InfeasibleError"])  # the old words of regions.csv are no outcome


@pytest.mark.parametrize(
    ("status", "has_solution", "expected"),
    [
        ("optimal", True, Outcome.OPTIMAL),
        ("time_limit", True, Outcome.TIME_LIMIT),
        ("iteration_limit", True, Outcome.TIME_LIMIT),
        ("time_limit", False, Outcome.NO_PLAN_IN_TIME),
        ("infeasible", False, Outcome.INFEASIBLE),
        ("interrupted", True, Outcome.INTERRUPTED),
        ("unbounded", False, Outcome.ERROR),
    ],
)
def test_outcome_of_a_solve(status: str, has_solution: bool, expected: Outcome) -> None:
    assert Outcome.of_solve(status, has_solution=has_solution) is expected


def test_every_outcome_has_a_text_in_every_language() -> None:
    for lang in LANGS:
        assert {f"outcome_{o.value}" for o in Outcome} <= set(TERMS[lang])


def test_collected_problems_travel_on_the_error() -> None:
    with pytest.raises(ScenarioError) as err:
        raise_if_problems(["a: one", "b: two\n  - not a new problem"], ScenarioError, header="H")
    assert err.value.problems == ("a: one", "b: two\n  - not a new problem")


def test_a_sweep_lists_problems_as_the_errors_carry_them() -> None:
    """A problem whose text has a line break stays one problem (the old sweep split the
    message at its "  - " lines)."""
    with pytest.raises(ScenarioError) as err:
        sweep(None, "demand.rate_per_1000", ["-1", "-2"])
    assert err.value.problems == (
        "--vary: demand.rate_per_1000: Input should be greater than or equal to 0, got -1",
        "--vary: demand.rate_per_1000: Input should be greater than or equal to 0, got -2",
    )


def test_infeasible_run_carries_the_diagnosis_as_problems() -> None:
    scenario = load_scenario(
        None,
        overrides=[
            SMALL,
            "facility_types.gezinshuis.max_units_per_site=0",
            "facility_types.woongroep.max_units_per_site=0",
        ],
    )
    with pytest.raises(InfeasibleError) as err:
        run(scenario)
    assert len(err.value.problems) == 1
    assert err.value.problems[0].startswith("GM9904: needs 1 small-scale unit")
    assert f"  - {err.value.problems[0]}" in str(err.value)


def test_sweep_rows_say_the_outcome_of_each_value() -> None:
    table = sweep(
        None,
        "facility_types.woongroep.max_units_per_site",
        ["0", "2"],
        overrides=[SMALL, "facility_types.gezinshuis.max_units_per_site=0"],
    )
    assert list(table["status"]) == [Outcome.INFEASIBLE.value, Outcome.OPTIMAL.value]


@pytest.mark.parametrize("outcome", list(Outcome))
def test_exit_code_reads_back_to_its_outcome(outcome: Outcome) -> None:
    """The workbench learns a finished command's outcome from its exit code (and, for exit 0,
    the run's status): every outcome survives the round trip."""
    status = outcome.value if outcome.has_plan else None
    assert Outcome.of_exit_code(outcome.exit_code, status=status) is outcome
