"""Adding, editing, pausing and deleting watches in the browser (with the token; see ``app/watch_editor.py``).

The form posts to ``/watches/preview`` first: the change is applied to the file's text in memory, checked as
the file would be (the same ``file:line: key`` messages), and the draft watch is tried on the archive with
``preview_watch`` — the code behind ``szwatch watch test`` — so the user sees what it would have matched before
saving. Saving rewrites the file atomically and records the change in the audit trail; detection picks the
new list up at its next run (the daemon reloads a changed file), and a new watch gets its silent baseline.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from loguru import logger
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from szwatch.app.web import pages, present
from szwatch.app.web import watch_editor as editor
from szwatch.app.web.context import WebContext, context
from szwatch.app.web.csrf import Form, read_form
from szwatch.app.web.operations import ACTION_LABELS, actor, writer
from szwatch.common.clock import local_iso
from szwatch.monitor.detection.findings import preview_watch
from szwatch.monitor.detection.watchlist import EXAMPLE, Watch, Watchlist
from szwatch.store import operations as ops
from szwatch.store.db import session_scope
from szwatch.store.text import snippet

PREVIEW_LIMIT = 30
FIELDS = ("kind", "id", "name", "aliases", "keywords", "exclude", "tags", "paused")


def editable(ctx: WebContext) -> None:
    writer(ctx)
    if ctx.watchlist.path.resolve() == EXAMPLE.resolve():
        raise HTTPException(403, "内置示例清单不能在网页中修改：请复制一份，用 --watchlist 文件 启动 szwatch web")


def find(ctx: WebContext, watch_id: str) -> tuple[Watch, bool]:
    """A watch and whether it is paused, or 404."""
    if (watch := ctx.watchlist.get(watch_id)) is not None:
        return watch, False
    paused = next((w for w in ctx.watchlist.paused if w.id == watch_id), None)
    if paused is None:
        raise HTTPException(404, f"监测清单中没有 {watch_id}")
    return paused, True


def routes(templates: Jinja2Templates) -> list[Route]:
    def render(request: Request, values: dict[str, Any], status: int = 200) -> Response:
        ctx = context(request)
        values = {"request": request, "nav": pages.NAV, "title": "编辑监测", "watchlist": str(ctx.watchlist.path),
                  "digest": ctx.watchlist.digest, "error": None, "hits": None, "trail": [],
                  "action_labels": ACTION_LABELS, **values}  # fmt: skip
        return templates.TemplateResponse(request, "watch_form.html", values, status_code=status)

    async def new(request: Request) -> Response:
        editable(context(request))
        kind = request.query_params.get("kind", "project")
        return render(request, {"form": dict.fromkeys(FIELDS, "") | {"kind": kind}, "original": ""})

    async def edit(request: Request) -> Response:
        ctx = context(request)
        editable(ctx)
        watch, paused = find(ctx, request.path_params["watch_id"])
        trail = _trail(ctx, watch.id)
        return render(request, {"form": editor.form_of(watch, paused), "original": watch.id, "trail": trail})

    async def preview(request: Request) -> Response:
        ctx, form = context(request), await read_form(request)
        editable(ctx)
        values = _values(form)
        try:
            draft, new = _apply(ctx, form)
            watch = next(w for w in (*new.watches, *new.paused) if w.id == draft.id)
            draft_list = Watchlist(new.path, (watch,), new.digest)  # the archive is read off the event loop
            hits = await run_in_threadpool(preview_watch, ctx.engine, draft_list, PREVIEW_LIMIT)
        except editor.EditError as exc:
            return render(request, {**values, "error": str(exc)}, 400)
        shown = [{"issue_date": s.issue_date, "page": s.page, "title": s.title,
                  "kind": present.MATCH_LABELS.get(h.kind, h.kind),
                  "snippet": snippet(h.sentence.text.strip(), h.surface)} for s, h in hits]  # fmt: skip
        return render(request, {**values, "hits": shown})

    async def save(request: Request) -> Response:
        ctx, form = context(request), await read_form(request)
        editable(ctx)
        original = form.one("original") or None
        try:
            draft, _ = _apply(ctx, form)
            before = find(ctx, original) if original else None
            with session_scope(writer(ctx)) as session:
                text = editor.changed_text(_text(ctx), draft, original)
                ctx.watchlist = editor.save(session, ctx.watchlist, form.one("digest"), text)
                line = editor.describe(before[0] if before else None, draft, bool(before and before[1]))
                ops.audit(session, actor(request), "add" if before is None else "edit", f"watch {draft.id}", line)
        except editor.EditError as exc:
            return render(request, {**_values(form), "error": str(exc)}, 400)
        logger.info("web watch saved: {} ({})", draft.id, line)
        return _done(f"已保存 {draft.table.get('name')}（{draft.id}）：下次识别时生效")

    async def remove(request: Request) -> Response:
        ctx, form = context(request), await read_form(request)
        editable(ctx)
        watch, paused = find(ctx, request.path_params["watch_id"])
        try:
            with session_scope(writer(ctx)) as session:
                text = editor.changed_text(_text(ctx), None, watch.id)
                ctx.watchlist = editor.save(session, ctx.watchlist, form.one("digest"), text)
                ops.audit(session, actor(request), "delete", f"watch {watch.id}", editor.describe(watch, None, paused))
        except editor.EditError as exc:
            raise HTTPException(409, str(exc)) from exc
        logger.info("web watch deleted: {}", watch.id)
        return _done(f"已删除 {watch.name}（{watch.id}）；已有的提及与数据仍保留在存档中")

    async def pause(request: Request) -> Response:
        ctx, form = context(request), await read_form(request)
        editable(ctx)
        watch, _ = find(ctx, request.path_params["watch_id"])
        stop = form.one("action") == "pause"
        values = {**editor.form_of(watch, stop)}
        draft = editor.draft_from_form(values)
        try:
            with session_scope(writer(ctx)) as session:
                text = editor.changed_text(_text(ctx), draft, watch.id)
                ctx.watchlist = editor.save(session, ctx.watchlist, form.one("digest"), text)
                ops.audit(session, actor(request), "pause" if stop else "resume", f"watch {watch.id}")
        except editor.EditError as exc:
            raise HTTPException(409, str(exc)) from exc
        logger.info("web watch {}: {}", "paused" if stop else "resumed", watch.id)
        return _done(f"{watch.name}（{watch.id}）已{'暂停：不再识别' if stop else '恢复识别'}")

    return [
        Route("/watches/new", new),
        Route("/watches/preview", preview, methods=["POST"]),
        Route("/watches/save", save, methods=["POST"]),
        Route("/watches/{watch_id}/edit", edit),
        Route("/watches/{watch_id}/delete", remove, methods=["POST"]),
        Route("/watches/{watch_id}/pause", pause, methods=["POST"]),
    ]


def _text(ctx: WebContext) -> str:
    return ctx.watchlist.path.read_text(encoding="utf-8")


def _apply(ctx: WebContext, form: Form) -> tuple[editor.Draft, Watchlist]:
    """The draft from the form and the whole list as it would be saved (checked as the file is)."""
    draft = editor.draft_from_form({name: form.one(name) for name in FIELDS})
    text = editor.changed_text(_text(ctx), draft, form.one("original") or None)
    return draft, editor.check(ctx.watchlist.path, text)


def _values(form: Form) -> dict[str, Any]:
    return {
        "form": {name: form.one(name) for name in FIELDS},
        "original": form.one("original"),
        "digest": form.one("digest"),
    }


def _trail(ctx: WebContext, watch_id: str) -> list[dict[str, Any]]:
    with Session(ctx.engine) as session:
        rows = ops.audit_trail(session, 20, f"watch {watch_id}")
    return [{"at": local_iso(r.at), "actor": r.actor, "action": r.action, "detail": r.detail} for r in rows]


def _done(message: str) -> Response:
    return RedirectResponse("/watches?" + urlencode({"done": message}), status_code=303)
