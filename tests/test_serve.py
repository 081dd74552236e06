"""``woonplanner serve`` without a browser: the form, its overrides, errors, access, the queue.

The browser tests (test_serve_browser.py) drive the whole app; these check each piece on its
own, fast, with hand-made inputs.
"""

from __future__ import annotations

import json
import socket
import sys
import textwrap
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from woonplanner import load_scenario
from woonplanner.errors import ScenarioError
from woonplanner.serve import AddressInUseError, serve
from woonplanner.serve import jobs as jobs_module
from woonplanner.serve.app import Settings, create_app, read_folder
from woonplanner.serve.form import (
    SHOWN,
    demo_assumptions,
    form_fields,
    overrides_from_form,
    problems_by_key,
    scenario_form,
    show_value,
)
from woonplanner.serve.jobs import Job, JobQueue, JobState, Outcome, outcome_of

# --- the form ---------------------------------------------------------------------------------


def test_form_fields_come_from_the_schema_with_defaults_units_and_marks() -> None:
    fields = form_fields(scenario_form(load_scenario("jeugdregio")))
    rate = fields["demand.rate_per_1000"]
    assert (rate.kind, rate.default, rate.unit) == ("number", 12.6, "per 1,000 children aged 0-17")
    assert rate.assumption is None  # it has a source, not an assumption
    assert "Wereld van Aandacht" in rate.help
    # The base's value, next to woonplanner's default.
    care = fields["demand.youth_care_index"]
    assert (care.kind, care.value, care.default) == ("bool", True, False)
    # Marked in the schema ("Assumption.") and in scenarios/demo.toml's comments.
    assert fields["demand.reason_shares.orphaned"].assumption == "assumption"
    assert fields["facility_types.gezinshuis.annual_cost_per_unit"].assumption == "assumption"
    assert (
        fields["reasons.safety_risk.min_km"].assumption == "assumption: away from the unsafe home"
    )
    assert fields["reasons.safety_risk.min_km"].unit == "km"
    assert fields["norm.mode"].choices == ("hard", "soft")
    assert fields["reasons.orphaned.types"].kind == "choices"
    assert fields["budget.annual_eur"].optional
    assert fields["facility_types.woongroep.annual_cost_per_unit"].unit == "€ a year"
    # Technical knobs and uploaded tables are not typed in.
    assert "solver.threads" not in fields
    assert "demand.caseload" not in fields


def test_demo_assumptions_reads_the_comment_of_each_key(tmp_path: Path) -> None:
    toml = tmp_path / "demo.toml"
    toml.write_text(
        textwrap.dedent(
            """
            [demand]
            rate_per_1000 = 12.6     # source: CBS
            [reasons.orphaned]
            max_km = 10.0            # assumption
            min_km = 0.0
            """
        )
    )
    assert demo_assumptions(toml) == {"reasons.orphaned.max_km": "assumption"}


def _answers(fields: dict, **changed: str | list[str]) -> dict[str, list[str]]:
    """Every field as the form submits it untouched, with ``changed`` put in."""
    answers: dict[str, list[str]] = {SHOWN: []}
    for key, f in fields.items():
        if f.kind == "bool":
            answers[SHOWN].append(key)
            answers[key] = ["true"] if f.value else []
        elif f.kind == "choices":
            answers[SHOWN].append(key)
            answers[key] = list(f.value)
        else:
            answers[key] = [show_value(f.value)]
    for key, value in changed.items():
        answers[key.replace("__", ".")] = value if isinstance(value, list) else [value]
    return {k: v for k, v in answers.items() if v or k in answers[SHOWN] or k == SHOWN}


def test_an_untouched_form_changes_nothing() -> None:
    fields = form_fields(scenario_form(load_scenario("jeugdregio"), sections=("region", "demand")))
    fields.update(form_fields(scenario_form(load_scenario("jeugdregio"))))
    assert overrides_from_form(fields, _answers(fields)) == ([], {})


def test_only_changed_fields_become_overrides() -> None:
    fields = form_fields(scenario_form(load_scenario("demo")))
    answers = _answers(fields)
    answers["demand.rate_per_1000"] = ["8"]
    answers["objective.km_weight_eur"] = ["1000.0"]  # the same number, written otherwise
    answers["reasons.orphaned.types"] = ["pleeggezin"]
    answers["norm.mode"] = ["soft"]
    answers["demand.youth_care_index"] = ["true"]
    overrides, problems = overrides_from_form(fields, answers)
    assert problems == {}
    assert overrides == [
        "demand.rate_per_1000=8",
        "demand.youth_care_index=true",
        'reasons.orphaned.types=["pleeggezin"]',
        'norm.mode="soft"',
    ]
    # And they are the command line's --set: the scenario takes them as they are.
    scenario = load_scenario("demo", overrides=overrides)
    assert scenario.demand.rate_per_1000 == 8
    assert scenario.reasons.orphaned.types == ["pleeggezin"]


def test_an_unticked_checkbox_counts_only_when_the_form_showed_it() -> None:
    fields = form_fields(scenario_form(load_scenario("jeugdregio")))
    assert overrides_from_form(fields, {}) == ([], {})
    shown = {SHOWN: ["demand.youth_care_index"]}
    assert overrides_from_form(fields, shown) == (["demand.youth_care_index=false"], {})


def test_emptying_a_set_value_is_a_problem_of_that_field() -> None:
    fields = form_fields(scenario_form(load_scenario("demo")))
    overrides, problems = overrides_from_form(fields, {"demand.rate_per_1000": ["  "]})
    assert overrides == []
    assert list(problems) == ["demand.rate_per_1000"]


def test_region_codes_become_a_list() -> None:
    fields = form_fields(scenario_form(load_scenario("demo"), sections=("region",)))
    overrides, _ = overrides_from_form(fields, {"region.gemeenten": ["GM9901, GM9904"]})
    assert overrides == ['region.gemeenten=["GM9901", "GM9904"]']


def test_each_scenario_problem_lands_on_its_field_or_section() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(
            "demo",
            overrides=[
                "demand.rate_per_1000=-3",
                "reasons.safety_risk.min_km=20",
                "norm.levle=region",
            ],
        )
    keys = ["demand.rate_per_1000", "reasons.safety_risk", "reasons.safety_risk.min_km", "norm"]
    found = problems_by_key(str(err.value), keys)
    assert found["demand.rate_per_1000"] == [
        "demand.rate_per_1000: Input should be greater than or equal to 0, got -3"
    ]
    # min_km above max_km is the section's problem, not min_km's alone.
    assert found["reasons.safety_risk"] == [
        "reasons.safety_risk: Value error, min_km (20) is above max_km (15)"
    ]
    # An unknown key goes to its section.
    assert found["norm"] == ["norm.levle: unknown key (did you mean norm.level?)"]
    assert "" not in found


def test_a_problem_without_a_known_key_goes_to_the_top() -> None:
    found = problems_by_key("Invalid (1 problem):\n  - --set x: expected KEY=VALUE", ["demand"])
    assert found == {"": ["--set x: expected KEY=VALUE"]}


# --- access -----------------------------------------------------------------------------------


class _Queue:
    """Takes jobs and runs none (the pages' side of :class:`JobQueue`)."""

    def __init__(self) -> None:
        self.submitted: list[Job] = []

    def submit(self, kind, title, argv, out, overrides=()) -> Job:  # type: ignore[no-untyped-def]
        job = Job(str(len(self.submitted) + 1), kind, title, argv, out, list(overrides))
        self.submitted.append(job)
        return job

    def get(self, job_id: str) -> Job | None:
        return next((j for j in self.submitted if j.id == job_id), None)

    def jobs(self) -> list[Job]:
        return list(reversed(self.submitted))

    def busy_outs(self) -> set[Path]:
        return {j.out for j in self.submitted if j.state is not JobState.FINISHED}

    def cancel(self, job_id: str) -> Job | None:
        return self.get(job_id)

    def shutdown(self) -> None:
        """Nothing runs."""


def _client(tmp_path: Path, *, token: str | None = None, host: str = "127.0.0.1") -> TestClient:
    settings = Settings(runs=tmp_path / "runs", token=token)
    app = create_app(settings, queue=_Queue())  # type: ignore[arg-type]
    return TestClient(app, base_url=f"http://{host}:8765")


def test_loopback_server_refuses_other_host_names(tmp_path: Path) -> None:
    assert _client(tmp_path).get("/plan").status_code == 200
    # A DNS name that points at 127.0.0.1 (rebinding) is not this machine's own name.
    assert _client(tmp_path, host="evil.example").get("/plan").status_code == 403


def test_a_form_from_another_site_is_refused(tmp_path: Path) -> None:
    client = _client(tmp_path)
    answer = client.post("/compare", data={"run": "a"}, headers={"origin": "http://evil.example"})
    assert answer.status_code == 403


def test_with_a_token_every_request_carries_it(tmp_path: Path) -> None:
    client = _client(tmp_path, token="s3cret", host="192.0.2.1")
    assert client.get("/").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    assert client.get("/", headers={"X-Woonplanner-Token": "s3cret"}).status_code == 200
    first = client.get("/plan?token=s3cret&base=scenario:demo", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/plan?base=scenario%3Ademo"
    assert "httponly" in first.headers["set-cookie"].lower()
    assert client.get("/plan").status_code == 200  # the cookie carries it now


# --- the pages' forms -------------------------------------------------------------------------


def test_a_plan_form_queues_the_command_line_with_only_the_change(tmp_path: Path) -> None:
    client = _client(tmp_path)
    answer = client.post(
        "/plan",
        data={"base": "scenario:demo", "out": "eight", "demand.rate_per_1000": "8"},
        files={"upload:stock.file": ("my stock.csv", b"neighbourhood,type,units\n", "text/csv")},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    (job,) = client.app.app.state.jobs.submitted  # type: ignore[attr-defined]
    uploads = list((tmp_path / "runs" / "uploads").iterdir())
    assert [p.read_bytes() for p in uploads] == [b"neighbourhood,type,units\n"]
    assert uploads[0].name.endswith("-my_stock.csv")
    assert job.overrides == ["demand.rate_per_1000=8", f'stock.file="{uploads[0]}"']
    assert job.argv[1:4] == ["-m", "woonplanner.cli", "run"]
    assert job.argv[-2:] == ["--out", str((tmp_path / "runs" / "eight").resolve())]
    assert job.command.startswith("woonplanner run ")


def test_an_invalid_plan_form_shows_the_problem_by_its_field(tmp_path: Path) -> None:
    client = _client(tmp_path)
    answer = client.post(
        "/plan",
        data={"base": "scenario:demo", "out": "../x", "demand.rate_per_1000": "abc"},
        files={"upload:demand.caseload": ("c.csv", b"neighbourhood,age\n", "text/csv")},
    )
    assert answer.status_code == 422
    html = answer.text
    rate = html[html.index('data-key="demand.rate_per_1000"') :]
    rate = rate[: rate.index('<div class="field')]
    assert "demand.rate_per_1000: Input should be a valid number" in rate
    assert "cannot name a folder here" in html[html.index('data-key="out"') :][:2000]
    # The uploaded table is kept for the next try.
    assert 'name="kept:demand.caseload"' in html
    assert client.app.app.state.jobs.submitted == []  # type: ignore[attr-defined]


def test_a_sweep_checks_every_value_before_queueing(tmp_path: Path) -> None:
    client = _client(tmp_path)
    data = {"base": "scenario:demo", "out": "s", "key": "demand.rate_per_1000"}
    bad = client.post("/sweep", data={**data, "values": "4, -1, 8"})
    assert bad.status_code == 422
    assert "got -1" in bad.text
    good = client.post("/sweep", data={**data, "values": "4, 8"}, follow_redirects=False)
    assert good.status_code == 303
    (job,) = client.app.app.state.jobs.submitted  # type: ignore[attr-defined]
    assert job.argv[3:7] == ["sweep", job.argv[4], "--vary", "demand.rate_per_1000=4,8"]


def test_compare_needs_two_to_four_runs(tmp_path: Path) -> None:
    client = _client(tmp_path)
    answer = client.post("/compare", data={"run": ["a"]})
    assert answer.status_code == 422
    assert "two to four different runs" in answer.text


# --- the queue --------------------------------------------------------------------------------


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def _wait(job: Job, state: JobState, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while job.state is not state:
        assert time.monotonic() < deadline, f"{job.title} still {job.state}"
        time.sleep(0.05)


def test_outcomes_follow_the_command_lines_exit_codes() -> None:
    assert outcome_of(0, cancelled=False) is Outcome.OPTIMAL
    assert outcome_of(0, cancelled=False, status="time_limit") is Outcome.TIME_LIMIT
    assert outcome_of(2, cancelled=False) is Outcome.INVALID_INPUT
    assert outcome_of(3, cancelled=False) is Outcome.INFEASIBLE
    assert outcome_of(4, cancelled=False) is Outcome.NO_PLAN_IN_TIME
    assert outcome_of(130, cancelled=False) is Outcome.INTERRUPTED
    assert outcome_of(1, cancelled=False) is Outcome.ERROR
    assert outcome_of(0, cancelled=True) is Outcome.INTERRUPTED


def test_one_job_at_a_time_and_cancel(tmp_path: Path) -> None:
    queue = JobQueue()
    try:
        slow = queue.submit(
            "run",
            "slow",
            _python("import time\nprint('started', flush=True)\ntime.sleep(60)"),
            tmp_path / "slow",
        )
        second = queue.submit(
            "run",
            "second",
            _python(
                "import sys\nprint('Error: No plan satisfies\\n  - GM1: needs 1'); sys.exit(3)"
            ),
            tmp_path / "second",
        )
        _wait(slow, JobState.RUNNING)
        time.sleep(0.5)
        assert second.state is JobState.QUEUED
        start = time.monotonic()
        queue.cancel(slow.id)
        _wait(slow, JobState.FINISHED)
        assert time.monotonic() - start < 10
        assert slow.outcome is Outcome.INTERRUPTED
        _wait(second, JobState.FINISHED)
        assert second.outcome is Outcome.INFEASIBLE
        assert second.error == "No plan satisfies\n  - GM1: needs 1"
    finally:
        queue.shutdown()


def test_a_process_that_ignores_sigterm_is_killed_and_its_temporary_folder_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_module, "GRACE_S", 1.0)
    partial = tmp_path / ".stubborn.x1.partial"
    code = f"""
        import pathlib, signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        pathlib.Path({str(partial)!r}).mkdir()
        print('writing', flush=True)
        time.sleep(60)
    """
    queue = JobQueue()
    try:
        job = queue.submit("run", "stubborn", _python(code), tmp_path / "stubborn")
        deadline = time.monotonic() + 30
        while not job.lines and time.monotonic() < deadline:
            time.sleep(0.05)
        assert partial.is_dir()
        queue.cancel(job.id)
        _wait(job, JobState.FINISHED, timeout=15)
        assert job.outcome is Outcome.INTERRUPTED
        assert not partial.exists()
    finally:
        queue.shutdown()


def test_cancelling_a_queued_job_never_starts_it(tmp_path: Path) -> None:
    queue = JobQueue()
    try:
        first = queue.submit("run", "first", _python("import time\ntime.sleep(60)"), tmp_path / "a")
        second = queue.submit("run", "second", _python("print('ran')"), tmp_path / "b")
        queue.cancel(second.id)
        assert second.state is JobState.FINISHED
        assert second.outcome is Outcome.INTERRUPTED
        assert second.exit_code is None
        queue.cancel(first.id)
        _wait(first, JobState.FINISHED)
        assert second.lines == []
    finally:
        queue.shutdown()


def test_a_port_in_use_is_said_before_any_address_is_printed() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        printed: list[str] = []
        with pytest.raises(AddressInUseError, match=f"cannot listen on 127.0.0.1:{port}"):
            serve(port=port, echo=printed.append)
        assert printed == []


def test_a_run_page_lists_the_settings_that_differ_from_the_defaults(tmp_path: Path) -> None:
    folder = tmp_path / "runs" / "eight"
    folder.mkdir(parents=True)
    scenario = load_scenario("demo", overrides=["demand.rate_per_1000=8", "norm.mode=soft"])
    (folder / "scenario.toml").write_text(scenario.to_toml())
    kpis = {"status": "optimal", "region": {"children_placed": 3.0}, "gemeenten": []}
    (folder / "kpis.json").write_text(json.dumps(kpis))
    run = read_folder(folder)
    assert run is not None
    assert run.kind == "run"
    assert run.changes() == [("demand.rate_per_1000", "8", "12.6"), ("norm.mode", "soft", "hard")]
    page = _client(tmp_path).get("/runs/eight/")
    assert page.status_code == 200
    assert "<code>demand.rate_per_1000</code>" in page.text
    # A file beside the runs folder stays out of reach, however the path is spelled.
    (tmp_path / "secret.txt").write_text("not for the browser")
    outside = _client(tmp_path).get("/runs/eight/..%2F..%2Fsecret.txt")
    assert outside.status_code == 404
    assert _client(tmp_path).get("/runs/eight/kpis.json").json() == kpis


def test_a_base_that_no_longer_loads_says_why(tmp_path: Path) -> None:
    folder = tmp_path / "runs" / "broken"
    folder.mkdir(parents=True)
    (folder / "kpis.json").write_text("{}")
    (folder / "scenario.toml").write_text("[demand]\nrate_per_1000 = -1\n")
    page = _client(tmp_path).get("/plan?base=run:broken")
    assert page.status_code == 422
    assert "demand.rate_per_1000: Input should be greater than or equal to 0" in page.text


def test_a_damaged_run_folder_is_left_out_of_the_list(tmp_path: Path) -> None:
    """A folder whose kpis.json is cut off (a copy that stopped half-way) is not a run to
    show, and the list of runs still works."""
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "kpis.json").write_text('{"status": "opt', encoding="utf-8")
    assert read_folder(broken) is None


def test_the_run_pages_show_the_children_as_the_shared_pages_do(tmp_path: Path) -> None:
    # 2,668 of which 1.3 unplaced: "2,666.7 of 2,668.0 (1.3 unplaced)" told the count; the
    # shared pages' rule (docs/privacy.md) says "2,664–2,667 of 2,668 (<5 unplaced)".
    folder = tmp_path / "runs" / "few"
    folder.mkdir(parents=True)
    (folder / "scenario.toml").write_text(load_scenario("demo").to_toml())
    region = {"children_demand": 2668.0, "children_placed": 2666.7, "children_unplaced": 1.3}
    (folder / "kpis.json").write_text(json.dumps({"status": "optimal", "region": region}))
    page = _client(tmp_path).get("/runs/few/")
    assert "2,664–2,667 of 2,668 (&lt;5 unplaced)" in page.text
    listing = _client(tmp_path).get("/").text
    assert "2,664–2,667 of 2,668" in listing
    assert "2,666.7" not in page.text + listing
