"""Download a region's wijken or buurten from PDOK's public OGC API into a local folder.

For users with internet: PDOK serves the CBS Wijk- en Buurtkaart as OGC API Features
(``https://api.pdok.nl/cbs/wijken-en-buurten-2024/ogc/v1``, collections ``wijken`` and
``buurten``, filterable by ``gemeentecode``, paged through ``next`` links). This module asks
for each gemeente's features, follows the pages and writes one GeoJSON that
:func:`woonplanner.data.cbs.load_neighbourhoods` reads (its attribute names are in
:data:`woonplanner.data.cbs.COLUMN_MAPPING`). Only the standard library talks to the network.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from woonplanner.errors import InputDataError, WoonplannerError, raise_if_problems

logger = logging.getLogger(__name__)

#: PDOK's OGC API Features for the CBS Wijk- en Buurtkaart 2024 (matches the shared data year).
PDOK_BASE_URL = "https://api.pdok.nl/cbs/wijken-en-buurten-2024/ogc/v1"
#: Collection per level.
COLLECTIONS = {"wijk": "wijken", "buurt": "buurten"}
#: Code attribute per level, used to drop features a server repeats across pages.
_CODE_ATTRIBUTE = {"wijk": "wijkcode", "buurt": "buurtcode"}
_GEMEENTE_RE = re.compile(r"^GM\d{4}$")


class FetchError(WoonplannerError):
    """Downloading from PDOK failed (network, server or an unexpected answer). Exit code 1."""


def _user_agent() -> str:
    try:
        version = metadata.version("woonplanner")
    except metadata.PackageNotFoundError:
        version = "unknown"
    return f"woonplanner/{version} (+https://api.pdok.nl)"


def _get_json(url: str, *, timeout: float, retries: int) -> dict[str, Any]:
    """GET ``url`` as JSON, retrying server errors and time-outs with a short back-off."""
    request = urllib.request.Request(
        url,
        headers={"Accept": "application/geo+json, application/json", "User-Agent": _user_agent()},
    )
    for attempt in range(retries + 1):
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = response.read()
            break
        except urllib.error.HTTPError as exc:
            # 4xx means the request itself is wrong: retrying cannot help
            if exc.code < 500 or attempt == retries:
                msg = f"{url}: HTTP {exc.code} {exc.reason}"
                raise FetchError(msg) from exc
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            if attempt == retries:
                reason = getattr(exc, "reason", exc)
                msg = f"{url}: cannot connect ({reason})"
                raise FetchError(msg) from exc
        time.sleep(2.0**attempt)
    try:
        page = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        msg = f"{url}: the answer is not JSON ({exc})"
        raise FetchError(msg) from exc
    if not isinstance(page, dict) or not isinstance(page.get("features"), list):
        msg = f"{url}: the answer is not a GeoJSON FeatureCollection"
        raise FetchError(msg)
    return page


def _next_link(page: dict[str, Any], current: str) -> str | None:
    for link in page.get("links", []) or []:
        if isinstance(link, dict) and link.get("rel") == "next" and link.get("href"):
            # PDOK gives absolute links; resolving against the current URL also handles
            # relative ones
            return urllib.parse.urljoin(current, str(link["href"]))
    return None


def fetch_region(
    out_dir: str | Path,
    *,
    gemeenten: list[str],
    level: Literal["wijk", "buurt"] = "wijk",
    base_url: str = PDOK_BASE_URL,
    limit: int = 1000,
    timeout: float = 60.0,
    retries: int = 2,
    max_pages: int = 200,
    filename: str | None = None,
) -> Path:
    """Download the wijken or buurten of some gemeenten from PDOK into one GeoJSON file.

    Parameters
    ----------
    out_dir
        Folder to write to (created when missing).
    gemeenten
        CBS gemeente codes such as ``["GM0361", "GM0383"]`` (for a jeugdregio: its gemeenten
        from :func:`woonplanner.data.cbs.load_membership`).
    level
        ``"wijk"`` (collection ``wijken``) or ``"buurt"`` (collection ``buurten``).
    base_url
        OGC API landing page; another year is ``.../wijken-en-buurten-2023/ogc/v1``.
    limit
        Features per page (PDOK allows up to 1000).
    timeout
        Seconds to wait for each response.
    retries
        Extra attempts after a server error (5xx) or time-out, waiting 1 s, 2 s, 4 s …
    max_pages
        Pages per gemeente before giving up; guards against a server that never ends.
    filename
        Name of the file written; default ``wijken_pdok.geojson`` / ``buurten_pdok.geojson``,
        which :func:`woonplanner.data.cbs.default_data_files` finds.

    Returns
    -------
    pathlib.Path
        The GeoJSON written (WGS84 lon/lat, PDOK's attribute names). It is written to a
        temporary file first, so a failed download never leaves half a file.

    Raises
    ------
    InputDataError
        Invalid gemeente codes or level, or a gemeente for which PDOK has no features.
    FetchError
        Network or server errors and answers that are not GeoJSON.
    """
    problems: list[str] = []
    if level not in COLLECTIONS:
        problems.append(f"level: {level!r} is not one of {', '.join(COLLECTIONS)}")
    if not gemeenten:
        problems.append("gemeenten: give at least one gemeente code such as GM0361")
    bad = [g for g in gemeenten if not _GEMEENTE_RE.match(str(g))]
    if bad:
        problems.append(
            f"gemeenten: not CBS gemeente codes like GM0361: {', '.join(map(repr, bad))}"
        )
    raise_if_problems(problems, InputDataError, header="fetch_region")

    collection = COLLECTIONS[level]
    items_url = f"{base_url.rstrip('/')}/collections/{collection}/items"
    code_attribute = _CODE_ATTRIBUTE[level]
    features: list[dict[str, Any]] = []
    seen_codes: set[str] = set()
    empty: list[str] = []
    for gemeente in dict.fromkeys(gemeenten):
        query = urllib.parse.urlencode({"gemeentecode": gemeente, "f": "json", "limit": limit})
        url: str | None = f"{items_url}?{query}"
        visited: set[str] = set()
        n_before = len(features)
        while url is not None:
            if url in visited or len(visited) >= max_pages:
                msg = f"{items_url}: paging for {gemeente} does not end (stopped at {url})"
                raise FetchError(msg)
            visited.add(url)
            page = _get_json(url, timeout=timeout, retries=retries)
            for feature in page["features"]:
                properties = feature.get("properties") or {}
                # keep only the asked gemeente, in case a server ignores the filter
                if str(properties.get("gemeentecode", "")).strip() != gemeente:
                    continue
                code = str(properties.get(code_attribute) or feature.get("id") or "")
                if code and code in seen_codes:
                    continue
                seen_codes.add(code)
                features.append(feature)
            url = _next_link(page, url)
        n_new = len(features) - n_before
        logger.info("%s: %d %s from %s", gemeente, n_new, collection, items_url)
        if n_new == 0:
            empty.append(gemeente)
    if empty:
        msg = (
            f"{items_url}: no {collection} for gemeente(n) {', '.join(empty)} "
            "(codes of another year?)"
        )
        raise InputDataError(msg)

    collection_doc = {
        "type": "FeatureCollection",
        # provenance, so a planner can see where and when the file came from
        "metadata": {
            "source": items_url,
            "gemeenten": list(dict.fromkeys(gemeenten)),
            "retrieved": datetime.now(UTC).isoformat(timespec="seconds"),
            "count": len(features),
        },
        "features": features,
    }
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (filename or f"{collection}_pdok.geojson")
    handle, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(collection_doc, stream, ensure_ascii=False)
        os.replace(tmp_name, target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    logger.info("wrote %d %s to %s", len(features), collection, target)
    return target
