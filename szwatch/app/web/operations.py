"""Operations from the browser: retry failed deliveries, pause a channel or a route, ask for a check now.

Every write is a POST that the guard (``app.py``) has let through only with the token and the form's CSRF
token; each one is written to the store with its line in the audit trail, in one transaction, and answered
with a redirect back to the page it came from (so a reload does not post again). The effects live in the
store, where the delivery worker and the daemon read them: a paused channel's deliveries are held by every
``szwatch deliver`` and daemon on the database, and a check request is taken by the daemon at its next tick.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from loguru import logger
from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from szwatch.app.web import pages
from szwatch.app.web.context import WebContext, context
from szwatch.app.web.csrf import Form, read_form
from szwatch.common.clock import local_iso
from szwatch.store import alerts as store_alerts
from szwatch.store import operations as ops
from szwatch.store.db import session_scope

KIND_LABELS = {ops.CHANNEL: "渠道", ops.ROUTE: "路由"}
ACTION_LABELS = {"add": "新增监测", "edit": "修改监测", "delete": "删除监测", "pause": "暂停", "resume": "恢复",
                 "retry": "重试发送", "check": "立即检查"}  # fmt: skip


def actor(request: Request) -> str:
    """Who did it, as far as the view knows: the token's holder, from this address."""
    return f"token@{request.client.host if request.client else '?'}"


def writer(ctx: WebContext) -> Any:
    if ctx.writer is None:  # the guard refuses POSTs without a token; a view without one has no writer
        raise HTTPException(403, "只读视图：启动时未设置访问令牌")
    return ctx.writer


def back(form: Form, default: str, message: str) -> Response:
    """303 to the page the form came from (a path of ours only), with what was done."""
    target = form.one("next") or default
    if not target.startswith("/") or target.startswith("//"):
        target = default
    joiner = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{joiner}{urlencode({'done': message})}", status_code=303)


def routes(templates: Jinja2Templates) -> list[Route]:
    async def page(request: Request) -> Response:
        ctx = context(request)
        with Session(ctx.engine) as session:
            data = overview(ctx, session)
        values = {"request": request, "nav": pages.NAV, "title": "运维", "o": data, "kind_labels": KIND_LABELS,
                  "action_labels": ACTION_LABELS,
                  "done": request.query_params.get("done"), "writable": ctx.writable}  # fmt: skip
        return templates.TemplateResponse(request, "operations.html", values)

    async def retry(request: Request) -> Response:
        ctx, form = context(request), await read_form(request)
        ids = {_id(form.one("one"))} if form.one("one") else {_id(v) for v in form.get("delivery", [])}
        channel = form.one("channel") or None
        if not ids and not channel and form.one("all") != "1":
            raise HTTPException(400, "选择要重试的发送记录，或一个渠道")
        with session_scope(writer(ctx)) as session:
            rows = store_alerts.failed_deliveries(session, channel=channel)
            rows = [r for r in rows if r.id in ids] if ids else rows
            count = store_alerts.requeue(session, rows)
            what = f"deliveries {sorted(r.id or 0 for r in rows)}" + (f" of channel {channel}" if channel else "")
            ops.audit(session, actor(request), "retry", channel or "deliveries", f"requeued {count}: {what}")
        logger.info("web retry: {} failed deliveries requeued ({})", count, what)
        return back(form, "/alerts?status=failed", f"已重新排队 {count} 条失败的发送")

    async def pause(request: Request) -> Response:
        ctx, form = context(request), await read_form(request)
        kind, name, action = form.one("kind"), form.one("name"), form.one("action")
        if kind not in KIND_LABELS or action not in ("pause", "resume"):
            raise HTTPException(400, "kind: channel 或 route；action: pause 或 resume")
        if name not in known(ctx, kind):
            raise HTTPException(400, f"没有名为 {name!r} 的{KIND_LABELS[kind]}")
        with session_scope(writer(ctx)) as session:
            changed = ops.pause(session, kind, name, actor(request)) if action == "pause" else ops.unpause(
                session, kind, name)  # fmt: skip
            if changed:
                ops.audit(session, actor(request), action, f"{kind} {name}")
        logger.info("web {} {} {} ({})", action, kind, name, "changed" if changed else "already so")
        word = "暂停" if action == "pause" else "恢复"
        return back(form, "/operations", f"{KIND_LABELS[kind]} {name} 已{word}")

    async def check(request: Request) -> Response:
        ctx, form = context(request), await read_form(request)
        source = form.one("source")
        if source not in known(ctx, "source"):
            raise HTTPException(400, f"没有名为 {source!r} 的报纸来源")
        with session_scope(writer(ctx)) as session:
            row = ops.request_check(session, source, actor(request))
            ops.audit(session, actor(request), "check", f"source {source}", f"check request {row.id}")
        logger.info("web check now: {} (request {})", source, row.id)
        return back(form, "/operations", f"已请求立即检查 {source}：守护进程下一次运行时执行")

    return [
        Route("/operations", page),
        Route("/operations/retry", retry, methods=["POST"]),
        Route("/operations/pause", pause, methods=["POST"]),
        Route("/operations/check", check, methods=["POST"]),
    ]


def _id(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 2**63:
        raise HTTPException(400, f"delivery: {value!r} is not a delivery id")
    return int(value)


def known(ctx: WebContext, kind: str) -> set[str]:
    """The channels, routes or sources the settings name: only those can be paused or checked."""
    settings = ctx.settings
    if settings is None:
        return set()
    if kind == ops.CHANNEL:
        return {c.name for c in settings.channels}
    if kind == ops.ROUTE:
        return {ops.route_name(r.channel, r.mode) for r in settings.routes}
    return {s.id for s in settings.watched()}


def overview(ctx: WebContext, session: Session) -> dict[str, Any]:
    """Channels with their deliveries by state and whether paused; routes; sources with waiting checks; the
    audit trail (newest first)."""
    settings = ctx.settings
    paused = {(p.kind, p.name): p for p in ops.pauses(session)}
    counts = store_alerts.counts_by_channel(session)
    channels = [
        {"name": c.name, "kind": c.kind, "paused": _since(paused.get((ops.CHANNEL, c.name))),
         "counts": counts.get(c.name, {})}
        for c in (settings.channels if settings else ())
    ]  # fmt: skip
    routes = [
        {"name": ops.route_name(r.channel, r.mode), "channel": r.channel, "mode": r.mode, "tags": r.tags,
         "watches": r.watches, "paused": _since(paused.get((ops.ROUTE, ops.route_name(r.channel, r.mode))))}
        for r in (settings.routes if settings else ())
    ]  # fmt: skip
    waiting = ops.waiting_checks(session)
    sources = [
        {"id": s.id, "name": s.name, "waiting": [local_iso(w.requested_at) for w in waiting if w.source == s.id]}
        for s in (settings.watched() if settings else ())
    ]  # fmt: skip
    trail = [
        {"at": local_iso(e.at), "actor": e.actor, "action": e.action, "target": e.target, "detail": e.detail}
        for e in ops.audit_trail(session, 100)
    ]  # fmt: skip
    return {"channels": channels, "routes": routes, "sources": sources, "audit": trail}


def _since(pause: Any) -> dict[str, Any] | None:
    return {"at": local_iso(pause.paused_at), "by": pause.paused_by} if pause is not None else None
