"""Running the web view: uvicorn on the given address, the same store and watchlist as the other commands."""

from __future__ import annotations

import ipaddress
import socket

import uvicorn
from loguru import logger

from szwatch.app.settings import DaemonSettings, Settings
from szwatch.app.web.app import LOOPBACK_HOSTS, create_app
from szwatch.app.web.context import WebContext
from szwatch.monitor.detection.watchlist import Watchlist
from szwatch.store.db import open_store, read_only_engine


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# How much of a request's head is read before giving up on it (uvicorn answers 400 and closes beyond it);
# up to this, an over-long address reaches the app and is answered 414 (``app.MAX_TARGET``).
READ_LIMIT = 1024 * 1024


class AddressError(OSError):
    """The address cannot be listened on (in use, not ours): said before anything starts."""


def check_address(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise AddressError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def serve(
    db_url: str | None, watchlist: Watchlist, daemon: DaemonSettings, host: str = "127.0.0.1", port: int = 8080,
    token: str | None = None, settings: Settings | None = None,
) -> None:  # fmt: skip
    """Serve until interrupted. The schema is brought up to date first (as every command does); pages read
    through an engine that cannot write. With a token, the operations (POST, with CSRF) write through a second
    engine; without one the view stays read-only."""
    check_address(host, port)
    open_store(db_url).dispose()
    engine = read_only_engine(db_url)
    # Bound to loopback, only loopback names are answered: a web page elsewhere that points its own host name
    # at 127.0.0.1 (DNS rebinding) cannot read the archive through the user's browser.
    allowed = LOOPBACK_HOSTS if is_loopback(host) else None
    if not is_loopback(host) and not token:
        logger.warning("web view on {} without a token: anyone who reaches this address can read the archive", host)
    writer = open_store(db_url) if token else None
    app = create_app(WebContext(engine, watchlist, daemon, writer, settings), token=token, allowed_hosts=allowed)
    shown = f"[{host}]" if ":" in host else host
    mode = "operations with the token" if token else "read-only"
    logger.info("web view at http://{}:{}/ (database {}, {})", shown, port, engine.url.render_as_string(), mode)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, server_header=False,
                h11_max_incomplete_event_size=READ_LIMIT)  # fmt: skip
    engine.dispose()
    if writer is not None:
        writer.dispose()
