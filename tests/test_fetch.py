"""PDOK download against a local fake OGC API server (never the internet)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from woonplanner.data import cbs
from woonplanner.data.fetch import PDOK_BASE_URL, FetchError, fetch_region
from woonplanner.errors import InputDataError


def _wijk(code: str, gemeente: str, i: int) -> dict:
    lon, lat = 4.70 + 0.02 * i, 52.60
    ring = [[lon, lat], [lon + 0.014, lat], [lon + 0.014, lat + 0.009], [lon, lat + 0.009]]
    return {
        "type": "Feature",
        "id": code,
        "properties": {
            "wijkcode": code,
            "wijknaam": f"Wijk {code[-2:]}",
            "gemeentecode": gemeente,
            "gemeentenaam": "Alkmaar" if gemeente == "GM0361" else "Heiloo",
            "water": "NEE",
            "aantal_inwoners": 1000 * (i + 1),
            "aantal_huishoudens": 450 * (i + 1),
            "percentage_personen_0_tot_15_jaar": 16,
            "percentage_personen_15_tot_25_jaar": 12,
        },
        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
    }


# two pages for GM0361 (the second repeats a wijk, as offset paging may), one for GM0399
WIJKEN = {
    "GM0361": [
        [_wijk("WK036101", "GM0361", 0), _wijk("WK036102", "GM0361", 1)],
        [_wijk("WK036102", "GM0361", 1), _wijk("WK036103", "GM0361", 2)],
    ],
    "GM0399": [[_wijk("WK039901", "GM0399", 3)]],
}


class _FakePdok(BaseHTTPRequestHandler):
    """Serve ``/ogc/v1/collections/wijken/items`` like PDOK: GeoJSON pages with next links."""

    requests: list[str] = []  # noqa: RUF012 - the test reads what the server was asked
    fail_with: int | None = None

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        if self.fail_with is not None:
            self.send_error(self.fail_with)
            return
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        if url.path != "/ogc/v1/collections/wijken/items" or query.get("f") != "json":
            self.send_error(404)
            return
        pages = WIJKEN.get(query.get("gemeentecode", ""), [[]])
        number = int(query.get("page", "0"))
        links = []
        if number + 1 < len(pages):
            nxt = urllib.parse.urlencode({**query, "page": number + 1})
            host, port = self.server.server_address[:2]
            links.append({"rel": "next", "href": f"http://{host}:{port}{url.path}?{nxt}"})
        body = json.dumps(
            {"type": "FeatureCollection", "features": pages[number], "links": links}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/geo+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output clean."""


@pytest.fixture
def fake_pdok() -> Iterator[str]:
    """A fake PDOK on 127.0.0.1 at a random port, in a thread; yields its base URL."""
    _FakePdok.requests = []
    _FakePdok.fail_with = None
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakePdok)
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield f"http://{host}:{port}/ogc/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_default_endpoint_is_pdok_2024() -> None:
    assert PDOK_BASE_URL == "https://api.pdok.nl/cbs/wijken-en-buurten-2024/ogc/v1"


def test_fetch_follows_pages_and_writes_one_geojson(fake_pdok: str, tmp_path: Path) -> None:
    path = fetch_region(
        tmp_path / "data", gemeenten=["GM0361", "GM0399"], base_url=fake_pdok, timeout=5
    )

    assert path == tmp_path / "data" / "wijken_pdok.geojson"
    doc = json.loads(path.read_text())
    codes = [f["properties"]["wijkcode"] for f in doc["features"]]
    assert codes == ["WK036101", "WK036102", "WK036103", "WK039901"]
    assert doc["metadata"]["gemeenten"] == ["GM0361", "GM0399"]
    assert len(_FakePdok.requests) == 3  # two pages for GM0361, one for GM0399
    first = urllib.parse.urlsplit(_FakePdok.requests[0])
    assert dict(urllib.parse.parse_qsl(first.query)) == {
        "gemeentecode": "GM0361",
        "f": "json",
        "limit": "1000",
    }
    assert list(tmp_path.joinpath("data").iterdir()) == [path]  # no temporary files left


def test_fetched_file_loads_as_neighbourhoods(fake_pdok: str, tmp_path: Path) -> None:
    folder = tmp_path / "region"
    fetch_region(folder, gemeenten=["GM0361", "GM0399"], base_url=fake_pdok, timeout=5)
    (folder / "gemeente_jeugdregio.csv").write_text(
        "gemeentecode,jeugdregiocode\nGM0361,JZ06\nGM0399,JZ06\n"
    )

    gdf = cbs.load_neighbourhoods(folder, jeugdregio="JZ06")

    assert gdf["code"].tolist() == ["WK036101", "WK036102", "WK036103", "WK039901"]
    assert gdf["inhabitants"].tolist() == [1000, 2000, 3000, 4000]


def test_unknown_gemeente_has_no_features(fake_pdok: str, tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"no wijken for gemeente\(n\) GM0999"):
        fetch_region(tmp_path, gemeenten=["GM0361", "GM0999"], base_url=fake_pdok, timeout=5)
    assert not any(tmp_path.iterdir())


def test_server_error_is_a_fetch_error(fake_pdok: str, tmp_path: Path) -> None:
    _FakePdok.fail_with = 503
    with pytest.raises(FetchError, match="HTTP 503"):
        fetch_region(tmp_path, gemeenten=["GM0361"], base_url=fake_pdok, timeout=5, retries=0)


def test_unreachable_server_is_a_fetch_error(tmp_path: Path) -> None:
    # a port nobody listens on: bind one, note it, close it
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError, match="cannot connect"):
        fetch_region(
            tmp_path,
            gemeenten=["GM0361"],
            base_url=f"http://127.0.0.1:{port}/ogc/v1",
            timeout=2,
            retries=0,
        )


def test_bad_arguments_are_checked_before_any_request(tmp_path: Path) -> None:
    with pytest.raises(InputDataError) as err:
        fetch_region(tmp_path, gemeenten=["0361", "Alkmaar"], level="gemeente")  # type: ignore[arg-type]
    message = str(err.value)
    assert "2 problems" in message
    assert "'gemeente' is not one of wijk, buurt" in message
    assert "not CBS gemeente codes like GM0361: '0361', 'Alkmaar'" in message
