"""CSRF protection for the web view's operations: a double-submit token.

Each browser gets a random token in an HttpOnly, SameSite=Strict cookie; every form of a write carries the
same token in a hidden field, and a POST is accepted only when the two agree. A page on another site can make
the browser send the cookie (not even that, with SameSite=Strict) but cannot read it to fill the field.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qs

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response

COOKIE = "szwatch_csrf"
FIELD = "csrf"
MAX_FORM = 256 * 1024  # a watch with its 200 terms is a few kB


class Form(dict[str, list[str]]):
    """A posted form (``application/x-www-form-urlencoded``): every value of each field."""

    def one(self, name: str, default: str = "") -> str:
        values = self.get(name)
        return values[0] if values else default


async def read_form(request: Request) -> Form:
    """The posted form, read with the standard library (the forms are urlencoded: no multipart parser needed).
    Cached on the request scope, so the guard and the handler read the body once."""
    if (cached := request.scope.get("szwatch_form")) is not None:
        return Form(cached)
    body = await request.body()
    too_big = len(body) > MAX_FORM  # refused below as a form without its CSRF token
    form = Form() if too_big else Form(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
    request.scope["szwatch_form"] = dict(form)
    return form


def token(request: Request) -> str:
    """This browser's token: the cookie's, or a new one made for this response (``give_cookie`` sets it)."""
    current = request.cookies.get(COOKIE) or request.scope.get("szwatch_csrf")
    if not current:
        current = secrets.token_urlsafe(24)
        request.scope["szwatch_csrf"] = current
    return str(current)


def field(request: Request) -> Markup:
    """The hidden form field every write form carries."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(FIELD, token(request))


def give_cookie(request: Request, response: Response) -> None:
    """Set the cookie when this response made a new token (the page showed a form with it)."""
    made = request.scope.get("szwatch_csrf")
    if made and made != request.cookies.get(COOKIE):
        response.set_cookie(COOKIE, made, httponly=True, samesite="strict", path="/")


async def valid(request: Request) -> bool:
    cookie = request.cookies.get(COOKIE, "")
    sent = (await read_form(request)).one(FIELD)
    return bool(cookie and sent) and hmac.compare_digest(cookie.encode(), sent.encode())
