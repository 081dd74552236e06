"""``woonplanner serve`` in a real browser: Debian's chromium, offline, driven by Playwright.

The server runs as the user starts it (a subprocess on a free port, stopped by its PID); the
browser may reach nothing but that server. A planner plans the demo through the form, changes
one assumption, compares the two runs, sees an invalid value rejected next to its field, and
cancels a long solve; bound to another loopback address, the server wants its token.
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from browser import ARTIFACTS, BROWSER_SKIP_REASON, CHROMIUM, CHROMIUM_ARGS, LOCAL_ASSETS
from conftest import NL, needs_nl

from woonplanner import load_scenario
from woonplanner.errors import ScenarioError

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(BROWSER_SKIP_REASON is not None, reason=BROWSER_SKIP_REASON or ""),
]

REPO = Path(__file__).resolve().parents[1]
#: Seconds a demo plan may take here (2 shared cores; the solve itself takes about 1 s).
PLAN_TIMEOUT_MS = 120_000
#: A demo setting that keeps HiGHS busy for minutes: no gap, wide bands, a tiny km weight.
SLOW = {
    "solver.mip_gap": "0",
    "solver.time_limit_s": "600",
    "objective.km_weight_eur": "3",
    "reasons.parents_cannot_cope.max_km": "40",
    "reasons.orphaned.max_km": "40",
    "reasons.safety_risk.max_km": "40",
}


@dataclass
class Server:
    """A running ``woonplanner serve``."""

    url: str
    runs: Path
    proc: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _start(runs: Path, *, host: str = "127.0.0.1", data_dir: Path | None = None) -> Server:
    port = _free_port(host)
    data = ["--data-dir", str(data_dir)] if data_dir is not None else []
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "woonplanner.cli",
            "serve",
            "--host",
            host,
            "--port",
            str(port),
            "--runs",
            str(runs),
            *data,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Server(url=f"http://{host}:{port}/", runs=runs, proc=proc)
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        server.output.append(line.rstrip("\n"))
        if "woonplanner serve: open" in line:
            return server
    proc.kill()
    pytest.fail("the server did not start:\n" + "\n".join(server.output))


def _stop(server: Server) -> int:
    server.proc.send_signal(signal.SIGTERM)
    try:
        return server.proc.wait(30)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        raise
    finally:
        if server.proc.stdout is not None:
            server.proc.stdout.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    runs = tmp_path_factory.mktemp("serve") / "runs"
    s = _start(runs, data_dir=NL if NL.is_dir() else None)
    yield s
    _stop(s)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        b = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield b
        b.close()


@dataclass
class Tab:
    """A browser page that may only reach one server, with what went wrong on it."""

    page: object
    blocked: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _tab(browser: object, url: str) -> Tab:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    tab = Tab(page)

    def route(route: object) -> None:
        request_url = route.request.url  # type: ignore[attr-defined]
        if request_url.startswith((url, "data:", "blob:")):
            route.continue_()  # type: ignore[attr-defined]
            return
        # A page that links Leaflet's CDN (compare.html does) gets Debian's copy from disk.
        for pattern, directory in LOCAL_ASSETS:
            match = pattern.search(request_url)
            if match and (directory / match.group(1)).is_file():
                tab.served.append(request_url)
                route.fulfill(path=directory / match.group(1))  # type: ignore[attr-defined]
                return
        tab.blocked.append(request_url)
        route.abort("internetdisconnected")  # type: ignore[attr-defined]

    # On the context, so that pages it opens (map, report, compare) are held to the same.
    context.route("**/*", route)

    def watch(p: object) -> None:
        p.on("pageerror", lambda err: tab.errors.append(str(err)))  # type: ignore[attr-defined]
        p.on(  # type: ignore[attr-defined]
            "console",
            lambda msg: (
                tab.errors.append(msg.text)
                if msg.type == "error" and not re.search(r"net::ERR_|Failed to load", msg.text)
                else None
            ),
        )

    watch(page)
    context.on("page", watch)
    return tab


def _plan(tab: Tab, server: Server, name: str, values: dict[str, str]) -> None:
    page = tab.page
    page.goto(server.url + "plan")  # type: ignore[attr-defined]
    page.fill("#in-out", name)  # type: ignore[attr-defined]
    for key, value in values.items():
        # As a planner would: open the section first (those past "budget" start closed).
        section = page.locator(f'details.section:has([data-key="{key}"])')  # type: ignore[attr-defined]
        if section.get_attribute("open") is None:
            section.locator("summary").click()
        page.fill(f'[data-key="{key}"] input[type=text]', value)  # type: ignore[attr-defined]
    page.click("#plan-button")  # type: ignore[attr-defined]


def _wait_result(tab: Tab) -> None:
    tab.page.wait_for_selector("#result", timeout=PLAN_TIMEOUT_MS)  # type: ignore[attr-defined]


def test_plan_change_compare_and_reject(server: Server, browser: object) -> None:
    tab = _tab(browser, server.url)
    page = tab.page
    # The form shows each key assumption with its default, unit and mark.
    page.goto(server.url + "plan")  # type: ignore[attr-defined]
    km = page.locator('[data-key="objective.km_weight_eur"]')  # type: ignore[attr-defined]
    assert "assumption" in km.inner_text()
    assert "default: 1000" in km.inner_text()
    assert "€ a year per child-km" in km.inner_text()
    page.screenshot(path=str(_artifact("serve_plan.png")))  # type: ignore[attr-defined]

    # 1. The demo as it is: the progress lines are the command line's, then the run.
    _plan(tab, server, "demo", {})
    _wait_result(tab)
    assert "Building and solving with HiGHS" in page.inner_text("#log")  # type: ignore[attr-defined]
    page.click("#result")  # type: ignore[attr-defined]
    assert page.inner_text("#status").startswith("optimal")  # type: ignore[attr-defined]
    assert page.locator('a[href$="/map.html"]').count() >= 1  # type: ignore[attr-defined]
    assert page.locator('a[href$="/report.html"]').count() >= 1  # type: ignore[attr-defined]

    # 2. One assumption changed: scenario.toml differs from the first in that line only.
    _plan(tab, server, "demo-rate14", {"demand.rate_per_1000": "14"})
    _wait_result(tab)
    first = (server.runs / "demo" / "scenario.toml").read_text().splitlines()
    second = (server.runs / "demo-rate14" / "scenario.toml").read_text().splitlines()
    changed = [(a, b) for a, b in zip(first, second, strict=True) if a != b]
    assert changed == [("rate_per_1000 = 12.6", "rate_per_1000 = 14.0")]

    # 3. Compare the two runs from the list of runs.
    page.goto(server.url)  # type: ignore[attr-defined]
    assert page.locator("#compare-button").is_disabled()  # type: ignore[attr-defined]
    page.check('input[name=run][value="demo"]')  # type: ignore[attr-defined]
    page.check('input[name=run][value="demo-rate14"]')  # type: ignore[attr-defined]
    page.click("#compare-button")  # type: ignore[attr-defined]
    _wait_result(tab)
    page.click("#result")  # type: ignore[attr-defined]
    with page.expect_popup() as popup:  # type: ignore[attr-defined]
        page.click('a[href$="/compare.html"]')  # type: ignore[attr-defined]
    compare = popup.value
    compare.wait_for_load_state("load")
    assert "demo-rate14" in compare.content()
    assert compare.locator("#settings-table").inner_text().count("rate_per_1000") == 1

    # 4. An invalid value: the plan does not start, the CLI's message stands by the field.
    _plan(tab, server, "bad", {"demand.rate_per_1000": "-3"})
    field_box = page.locator('[data-key="demand.rate_per_1000"]')  # type: ignore[attr-defined]
    message = field_box.locator(".error").inner_text()
    with pytest.raises(ScenarioError) as cli_error:
        load_scenario(None, overrides=["demand.rate_per_1000=-3"])
    assert message in str(cli_error.value)
    assert "greater than or equal to 0" in message
    assert page.locator(".field .error").count() == 1  # type: ignore[attr-defined]
    assert page.input_value('[data-key="demand.rate_per_1000"] input') == "-3"  # type: ignore[attr-defined]
    page.screenshot(path=str(_artifact("serve_invalid.png")), full_page=False)  # type: ignore[attr-defined]
    assert not (server.runs / "bad").exists()

    assert tab.errors == []


def test_an_infeasible_plan_shows_its_diagnosis(server: Server, browser: object) -> None:
    tab = _tab(browser, server.url)
    no_room = {
        "region.gemeenten": "GM9904",
        "facility_types.gezinshuis.max_units_per_site": "0",
        "facility_types.woongroep.max_units_per_site": "0",
    }
    _plan(tab, server, "no-room", no_room)
    tab.page.wait_for_selector("#diagnosis", timeout=PLAN_TIMEOUT_MS)  # type: ignore[attr-defined]
    diagnosis = tab.page.inner_text("#diagnosis")  # type: ignore[attr-defined]
    assert "GM9904: needs 1 small-scale unit (gezinshuis, woongroep), at most 0" in diagnosis
    assert tab.page.inner_text(".badge") == "infeasible"  # type: ignore[attr-defined]
    assert not (server.runs / "no-room").exists()
    assert tab.errors == []


@pytest.mark.shared_data
@pytest.mark.shared_data
@needs_nl
def test_a_real_jeugdregio_from_the_data_folder(server: Server, browser: object) -> None:
    tab = _tab(browser, server.url)
    page = tab.page
    page.goto(server.url + "plan?base=scenario:jeugdregio")  # type: ignore[attr-defined]
    page.select_option('[data-key="region.jeugdregio"] select', "JZ15")  # type: ignore[attr-defined]
    page.fill("#in-out", "jz15")  # type: ignore[attr-defined]
    page.click("#plan-button")  # type: ignore[attr-defined]
    _wait_result(tab)
    page.click("#result")  # type: ignore[attr-defined]
    assert page.inner_text("#status").startswith("optimal")  # type: ignore[attr-defined]
    scenario = load_scenario(server.runs / "jz15" / "scenario.toml")
    assert scenario.region.jeugdregio == "JZ15"
    assert scenario.data.dir == str(NL.resolve())
    with page.expect_popup() as popup:  # type: ignore[attr-defined]
        page.click('a.button[href$="/report.html"]')  # type: ignore[attr-defined]
    report = popup.value
    report.wait_for_load_state("load")
    # The report names the region as the data do (titles show names, not codes).
    assert "Haarlemmermeer" in report.locator("h1").inner_text()
    assert tab.errors == []


def test_queue_and_cancel_leave_nothing(server: Server, browser: object) -> None:
    tab = _tab(browser, server.url)
    page = tab.page
    _plan(tab, server, "slow", SLOW)
    page.wait_for_selector("#log")  # type: ignore[attr-defined]
    slow_job = page.url  # type: ignore[attr-defined]
    # A second plan waits for the first: one solve at a time.
    _plan(tab, server, "waiting", {})
    page.wait_for_selector("text=waiting")  # type: ignore[attr-defined]
    page.click("#cancel")  # type: ignore[attr-defined]
    page.wait_for_selector("#cancelled", timeout=10_000)  # type: ignore[attr-defined]
    assert "had not started" in page.inner_text("#cancelled")  # type: ignore[attr-defined]

    page.goto(slow_job)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "document.getElementById('log').textContent.includes('LP relaxation')",
        timeout=PLAN_TIMEOUT_MS,
    )
    page.click("#cancel")  # type: ignore[attr-defined]
    page.wait_for_selector("#cancelled", timeout=30_000)  # type: ignore[attr-defined]
    leftovers = [p.name for p in server.runs.iterdir() if p.name.startswith((".slow", ".waiting"))]
    assert leftovers == []
    assert not (server.runs / "slow").exists()
    assert not (server.runs / "waiting").exists()
    assert tab.errors == []


def test_server_stop_cancels_the_running_solve(tmp_path: Path, browser: object) -> None:
    runs = tmp_path / "runs"
    s = _start(runs)
    try:
        tab = _tab(browser, s.url)
        _plan(tab, s, "slow", SLOW)
        tab.page.wait_for_function(  # type: ignore[attr-defined]
            "document.getElementById('log').textContent.includes('Building and solving')",
            timeout=PLAN_TIMEOUT_MS,
        )
    finally:
        code = _stop(s)
    assert code == 0
    assert sorted(p.name for p in runs.iterdir()) == []


def test_another_address_needs_the_token(tmp_path: Path, browser: object) -> None:
    # 127.0.0.2 is loopback too: nothing leaves the machine, but it is not 127.0.0.1.
    s = _start(tmp_path / "runs", host="127.0.0.2")
    try:
        token = re.search(r"\?token=(\S+)", "\n".join(s.output))
        assert token is not None, s.output
        tab = _tab(browser, s.url)
        page = tab.page
        response = page.goto(s.url + "plan")  # type: ignore[attr-defined]
        assert response.status == 403
        response = page.goto(f"{s.url}?token=wrong")  # type: ignore[attr-defined]
        assert response.status == 403
        response = page.goto(f"{s.url}plan?token={token.group(1)}")  # type: ignore[attr-defined]
        assert response.status == 200
        assert "token" not in page.url  # type: ignore[attr-defined]
        response = page.goto(s.url)  # type: ignore[attr-defined]  # the cookie carries it now
        assert response.status == 200
        # A script or another tool sends it as a header.
        request = urllib.request.Request(s.url, headers={"X-Woonplanner-Token": token.group(1)})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(s.url, timeout=10)
        refused.value.close()
        assert refused.value.code == 403
    finally:
        _stop(s)


def _artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
