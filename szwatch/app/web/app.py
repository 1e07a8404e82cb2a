"""The web application: Starlette routes over a read-only engine, with the safety rules every response obeys.

Safe by default: without a token only GET and HEAD exist (the engine cannot write either: SQLite
``query_only``, PostgreSQL read-only transactions); with a token every request must carry it (``Authorization:
Bearer``, or once as ``?token=`` in a browser, which turns it into an HttpOnly, SameSite=Strict cookie), and the
operations are POSTs that also need the CSRF token of the page's form, checked against a second SameSite
cookie (double submit; a request with the ``Authorization`` header, which no other site can make a browser
send, needs none). The Atom feed takes ``?token=`` as it is (feed readers keep no cookies). Bound to
loopback, only loopback host names are served (a page elsewhere cannot reach it through DNS rebinding); every
response carries a strict Content-Security-Policy (scripts only from our own static folder, no inline script
or style; pictures may come from the papers' sites too: the page as printed is shown from where the paper
serves it), and Jinja2 escapes everything the templates print.
"""

from __future__ import annotations

import hmac
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from loguru import logger
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from szwatch.app.web import api, csrf, feed, operations, pages, watch_pages
from szwatch.app.web.context import WebContext

HERE = Path(__file__).parent
COOKIE = "szwatch_token"
FEED = "/feed.atom"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: http: https:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
# The longest request address (path and query) answered; a longer one gets 414. The server reads up to
# ``server.READ_LIMIT`` of a request's head so that such a request reaches us and gets its answer.
MAX_TARGET = 8192


def create_app(ctx: WebContext, token: str | None = None, allowed_hosts: list[str] | None = None) -> Starlette:
    templates = Jinja2Templates(env=_environment())
    routes = [
        Route("/healthz", api.healthz),
        *api.routes(),
        Route(FEED, feed.atom),
        *watch_pages.routes(templates),
        *operations.routes(templates),
        *pages.routes(templates),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [
        Middleware(BaseHTTPMiddleware, dispatch=_Guard(token).dispatch),
    ]
    if allowed_hosts:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts))
    handlers = {HTTPException: _http_error, 405: _not_allowed}
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.ctx = ctx
    return app


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True, undefined=StrictUndefined)
    env.globals["link"] = _link
    env.globals["csrf_field"] = csrf.field
    env.filters["when"] = _when
    return env


def _when(moment: str | None) -> str:
    """``2026-12-03T13:36:38+08:00`` (Shanghai, from ``local_iso``) as ``2026-12-03 13:36``."""
    return str(moment).replace("T", " ")[:16] if moment else "—"


def _link(request: Request, **changes: Any) -> str:
    """The current URL's query with some parameters changed (None drops one): paging and filter links."""
    params = dict(request.query_params)
    params.pop("token", None)
    for name, value in changes.items():
        if value is None:
            params.pop(name, None)
        else:
            params[name] = str(value)
    return "?" + urlencode(params)


class _Guard:
    """Method, token, headers and one log line per request."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        started = time.perf_counter()
        response = self._refuse(request) or await self._refuse_write(request) or await call_next(request)
        if self.token:
            csrf.give_cookie(request, response)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/api/") or request.url.path == "/healthz":
            response.headers.setdefault("Cache-Control", "no-store")
        logger.info(
            "web {} {} {} {:.1f} ms", request.method, request.url.path, response.status_code,
            (time.perf_counter() - started) * 1000,
        )  # fmt: skip
        return response

    def _refuse(self, request: Request) -> Response | None:
        if request.method not in ("GET", "HEAD") and not (self.token and request.method == "POST"):
            allowed = "GET, HEAD, POST" if self.token else "GET, HEAD"
            return PlainTextResponse("read-only: only GET and HEAD", status_code=405, headers={"Allow": allowed})
        size = len(request.scope.get("raw_path") or b"") + len(request.scope.get("query_string") or b"")
        if size > MAX_TARGET:
            return _too_long(request, f"request address of {size} bytes; at most {MAX_TARGET}")
        if not self.token:
            return None
        given = request.query_params.get("token")
        if request.url.path == FEED and request.method == "GET" and given is not None and _same(given, self.token):
            return None  # a feed reader asks with ?token= every time and keeps no cookie
        if given is not None and _same(given, self.token):
            # A browser arrives with ?token= once; the cookie carries it from then on, off the address bar.
            rest = {k: v for k, v in request.query_params.items() if k != "token"}
            target = request.url.path + ("?" + urlencode(rest) if rest else "")
            response = RedirectResponse(target, status_code=303)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
            return response
        if self._authorised(request):
            return None
        logger.warning("web {} {} refused: no valid token", request.method, request.url.path)
        if request.method == "POST":  # a write without the token is forbidden, whatever else it carries
            return PlainTextResponse("禁止：修改需要访问令牌", status_code=403)
        if request.url.path.startswith("/api/") or request.url.path == "/healthz":
            return JSONResponse({"error": "a token is required (Authorization: Bearer …)"}, status_code=401)
        return PlainTextResponse("需要访问令牌：请在地址后加上 ?token=… 再打开", status_code=401)

    def _authorised(self, request: Request) -> bool:
        offered = _bearer(request) or request.cookies.get(COOKIE, "")
        return bool(self.token and offered and _same(offered, self.token))

    async def _refuse_write(self, request: Request) -> Response | None:
        """A POST (already known to carry the token) must carry the form's CSRF token too, unless it was
        authorised by the ``Authorization`` header, which a page on another site cannot make a browser send."""
        if request.method != "POST" or (self.token and _bearer(request) and _same(_bearer(request), self.token)):
            return None
        if await csrf.valid(request):
            return None
        logger.warning("web POST {} refused: no valid CSRF token", request.url.path)
        return PlainTextResponse("禁止：表单已失效（CSRF 校验未通过），请重新打开页面再提交", status_code=403)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:] if header.lower().startswith("bearer ") else ""


def _too_long(request: Request, why: str) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": why}, status_code=414)
    return PlainTextResponse(why, status_code=414)


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


async def _http_error(request: Request, exc: Exception) -> Response:
    """400 and 404 as one line: JSON ``{"error": …}`` for the API, text for pages."""
    status = getattr(exc, "status_code", 500)
    detail = getattr(exc, "detail", None) or "error"
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": detail}, status_code=status)
    return PlainTextResponse(detail, status_code=status)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("read-only: only GET and HEAD", status_code=405, headers={"Allow": "GET, HEAD"})
