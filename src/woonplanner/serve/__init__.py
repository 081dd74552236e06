"""``woonplanner serve``: a planner's workbench in the browser, on the planner's own machine.

Pick a region and a base scenario, change the key assumptions on a form generated from the
scenario schema, upload your own tables, watch the solve, open the map and the report, compare
runs and sweep one key; every run is a normal run folder that the command line reads too. See
``README.md`` ("A workbench in the browser").

The server binds 127.0.0.1. Another address needs ``--host`` and then every request must carry
the one-time access token printed at the start (children's data stays on the machine).
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable
from pathlib import Path

from woonplanner.errors import WoonplannerError
from woonplanner.serve.app import LOOPBACK_HOSTS, Settings, create_app

__all__ = ["AddressInUseError", "Settings", "create_app", "serve"]


class AddressInUseError(WoonplannerError):
    """The address and port cannot be bound (another server, or not this machine's). Exit 2."""

    exit_code = 2


def check_address(host: str, port: int) -> None:
    """Raise :class:`AddressInUseError` unless ``host:port`` can be bound now."""
    listen(host, port).close()


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening, or :class:`AddressInUseError`.

    Bound before the address is printed, so that no one is sent to another program's page, and
    listening from then on, so that a browser opened at once (or on a slow machine) waits for
    the page instead of being refused.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # As uvicorn binds: a port left in TIME_WAIT by a stopped server is free.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as err:
        sock.close()
        msg = f"cannot listen on {host}:{port}: {err.strerror}; choose another --port"
        raise AddressInUseError(msg) from None
    return sock


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8765,
    runs: str | Path = "runs",
    data_dir: str | Path | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Run the workbench until Ctrl-C (or SIGTERM); running jobs are cancelled on the way out.

    Parameters
    ----------
    host
        Address to bind. Anything but a loopback address prints a one-time access token that
        every request must carry.
    port
        TCP port.
    runs
        The runs folder: every plan, comparison and sweep is written here, uploads go to its
        ``uploads/``.
    data_dir
        Folder with CBS open data, for plans of a jeugdregio or a list of gemeenten.
    echo
        Where the address (and token) are printed.
    """
    import uvicorn

    sock = listen(host, port)
    token = None if host in LOOPBACK_HOSTS else secrets.token_urlsafe(24)
    settings = Settings(
        runs=Path(runs).expanduser().resolve(),
        data_dir=Path(data_dir).expanduser().resolve() if data_dir is not None else None,
        token=token,
    )
    app = create_app(settings)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    echo(f"Runs folder: {settings.runs}")
    if token is None:
        echo(f"woonplanner serve: open {url} (Ctrl-C stops it)")
    else:
        echo(f"Access token (this server only, valid until it stops): {token}")
        echo(f"woonplanner serve: open {url}?token={token} (Ctrl-C stops it)")
    try:
        # uvicorn serves the socket bound above (fd): no moment between the printed address
        # and a listening port.
        uvicorn.run(app, fd=sock.fileno(), log_level="warning", timeout_graceful_shutdown=5)
    finally:
        sock.close()
