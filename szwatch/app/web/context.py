"""What every request handler is given: the read-only engine, the watchlist and the daemon's settings.

It lives apart from the application factory (``app.py``) so that the routes (``api``, ``pages``) and the
presenters can read it without importing the module that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from starlette.requests import Request

from szwatch.app.settings import DaemonSettings
from szwatch.monitor.detection.watchlist import Watchlist


@dataclass(frozen=True)
class WebContext:
    """What every handler needs: the read-only engine, the watchlist (names, kinds) and daemon settings."""

    engine: Engine
    watchlist: Watchlist
    daemon: DaemonSettings


def context(request: Request) -> WebContext:
    ctx: WebContext = request.app.state.ctx
    return ctx
