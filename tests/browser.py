"""Load a saved HTML page in headless Chromium and report what went wrong.

Used by the browser tests of the map (and any other HTML output)::

    from browser import BROWSER_SKIP_REASON, load_page

    pytestmark = pytest.mark.skipif(
        BROWSER_SKIP_REASON is not None, reason=BROWSER_SKIP_REASON or ""
    )

    markers = "document.querySelectorAll('.leaflet-marker-icon').length"
    page = load_page(path, screenshot="map.png", evaluate={"markers": markers})
    assert page.errors == []
    assert page.values["markers"] > 0

The page runs offline and the same way every time: Leaflet is served from Debian's
``libjs-leaflet`` instead of its CDN, every other network request is refused, and the console
messages those refusals cause ("Failed to load resource: net::ERR_…", e.g. background tiles) are
kept apart from real errors. Needs Debian's ``chromium`` and ``libjs-leaflet`` and the
``playwright`` Python package (not ``playwright install``).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LEAFLET_DIR = Path("/usr/share/javascript/leaflet")
#: Screenshots land here (gitignored).
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

#: URL patterns answered from local files: the first group is the path below the directory.
#: Debian ships Leaflet 1.7; Folium asks for 1.9, whose API the pages use the same way.
LOCAL_ASSETS: tuple[tuple[re.Pattern[str], Path], ...] = (
    (re.compile(r"/leaflet@[^/]+/dist/(.+?)(?:\?.*)?$"), LEAFLET_DIR),
)

# Console errors that only say a refused request failed; the request itself is recorded.
_NETWORK_NOISE = re.compile(r"net::ERR_|Failed to load resource", re.IGNORECASE)


def _skip_reason() -> str | None:
    """Why browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
    if not (LEAFLET_DIR / "leaflet.js").exists():
        return f"needs Debian's libjs-leaflet at {LEAFLET_DIR} (apt-get install libjs-leaflet)"
    if importlib.util.find_spec("playwright") is None:
        return "needs the playwright Python package (pip install playwright)"
    return None


#: None when Chromium, Leaflet and Playwright are all there; else the reason to skip.
BROWSER_SKIP_REASON: str | None = _skip_reason()


@dataclass
class PageReport:
    """What happened while a page loaded.

    Attributes
    ----------
    console_errors
        ``console.error`` messages, network refusals left out.
    page_errors
        Uncaught JavaScript exceptions.
    dialogs
        Messages of ``alert``/``confirm``/``prompt`` dialogs (an injected script would show up
        here); dismissed automatically.
    blocked
        URLs refused because they would need the network.
    served
        URLs answered from local files (``LOCAL_ASSETS``).
    values
        Results of the ``evaluate`` expressions, by name.
    screenshot
        Path of the screenshot, if one was asked for.
    """

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    screenshot: Path | None = None

    @property
    def errors(self) -> list[str]:
        """Console errors, page errors and dialogs together: empty on a clean page."""
        return [
            *self.console_errors,
            *self.page_errors,
            *(f"dialog: {d}" for d in self.dialogs),
        ]


def load_page(
    path: Path | str,
    *,
    screenshot: str | None = None,
    evaluate: Mapping[str, str] | None = None,
    actions: Sequence[str] = (),
    viewport: tuple[int, int] = (1280, 860),
    settle_ms: int = 400,
    local_assets: Sequence[tuple[re.Pattern[str], Path]] = LOCAL_ASSETS,
) -> PageReport:
    """Open a local HTML file in headless Chromium and collect errors.

    Parameters
    ----------
    path
        The HTML file.
    screenshot
        File name for a full-window screenshot in ``ARTIFACTS``; none when ``None``.
    evaluate
        JavaScript expressions to evaluate after loading (and after ``actions``), by name;
        their results land in :attr:`PageReport.values`.
    actions
        JavaScript statements run in order after loading, before ``evaluate`` and the
        screenshot (open a popup, toggle a layer, ...); each is followed by ``settle_ms``.
    viewport
        Window size in pixels.
    settle_ms
        Time given to the page after load and after each action (rendering, transitions).
    local_assets
        URL patterns served from local files instead of the network.

    Returns
    -------
    PageReport
        Everything that went wrong, plus the evaluated values.
    """
    if BROWSER_SKIP_REASON is not None:
        msg = f"cannot run the browser: {BROWSER_SKIP_REASON}"
        raise RuntimeError(msg)
    from playwright.sync_api import Route, sync_playwright

    report = PageReport()
    url = Path(path).resolve().as_uri()

    def route(route: Route) -> None:
        request_url = route.request.url
        if request_url.startswith(("file:", "data:", "blob:")):
            route.continue_()
            return
        for pattern, directory in local_assets:
            match = pattern.search(request_url)
            if match and (directory / match.group(1)).is_file():
                report.served.append(request_url)
                route.fulfill(path=directory / match.group(1))
                return
        report.blocked.append(request_url)
        route.abort("internetdisconnected")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
            page.on(
                "console",
                lambda message: (
                    report.console_errors.append(message.text)
                    if message.type == "error" and not _NETWORK_NOISE.search(message.text)
                    else None
                ),
            )
            page.on("pageerror", lambda error: report.page_errors.append(str(error)))

            def on_dialog(dialog: Any) -> None:
                report.dialogs.append(dialog.message)
                dialog.dismiss()

            page.on("dialog", on_dialog)
            page.route("**/*", route)
            page.goto(url, wait_until="load")
            page.wait_for_timeout(settle_ms)
            for action in actions:
                page.evaluate(f"() => {{ {action} }}")
                page.wait_for_timeout(settle_ms)
            for name, expression in (evaluate or {}).items():
                report.values[name] = page.evaluate(f"() => ({expression})")
            if screenshot is not None:
                ARTIFACTS.mkdir(exist_ok=True)
                report.screenshot = ARTIFACTS / screenshot
                page.screenshot(path=report.screenshot)
        finally:
            browser.close()
    return report
