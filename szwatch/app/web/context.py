"""What every request handler is given: the read-only engine, the watchlist and the daemon's settings.

It lives apart from the application factory (``app.py``) so that the routes (``api``, ``pages``) and the
presenters can read it without importing the module that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from starlette.requests import Request

from szwatch.app.settings import DaemonSettings, Settings
from szwatch.monitor.detection.watchlist import Watchlist


@dataclass
class WebContext:
    """What every handler needs: the read-only engine, the watchlist (names, kinds) and daemon settings.

    ``writer`` is an engine that may write, present only when the view was started with a token: the
    operations (watch edits, retries, pauses, check requests) go through it, and every read still goes through
    ``engine``. ``watchlist`` is replaced when a watch is saved from the browser (one process, one writer)."""

    engine: Engine
    watchlist: Watchlist
    daemon: DaemonSettings
    writer: Engine | None = None
    settings: Settings | None = None

    @property
    def writable(self) -> bool:
        return self.writer is not None


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx
