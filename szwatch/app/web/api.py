"""The JSON API behind the pages (documented in the README's "Web view"); every route is a read."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from szwatch.app.web import present
from szwatch.app.web.context import context
from szwatch.store import queries


def routes() -> list[Route]:
    return [
        Route("/api/search", search),
        Route("/api/issues", issues),
        Route("/api/issues/{day}", issue),
        Route("/api/articles/{article_id:int}", article),
        Route("/api/watches", watches),
        Route("/api/watches/{watch_id}", watch),
        Route("/api/watches/{watch_id}/mentions", mentions),
        Route("/api/indicators/{watch_id}", indicator),
        Route("/api/alerts", alerts),
        Route("/api/status", status),
    ]


def healthz(request: Request) -> JSONResponse:
    """200 when the database answers, 503 when it does not (for load balancers and container checks)."""
    try:
        with context(request).engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database is the answer itself
        return JSONResponse({"ok": False, "error": str(exc).splitlines()[0]}, status_code=503)
    return JSONResponse({"ok": True})


def search(request: Request) -> JSONResponse:
    query = present.search_query(request.query_params)
    with Session(context(request).engine) as session:
        result = present.run_search(session, query)
    return JSONResponse(present.search_json(result))


def issues(request: Request) -> JSONResponse:
    paper = present.paper_param(request.query_params)
    with Session(context(request).engine) as session:
        newest = queries.issue_bounds(session, paper)[1]
        month = present.month_param(request.query_params, newest)
        data = present.month_calendar(session, month, paper)
    keys = ("paper", "month", "issues", "counts", "previous", "next", "first", "newest")
    return JSONResponse({k: data[k] for k in keys})


def issue(request: Request) -> JSONResponse:
    day = present.parse_day(request.path_params["day"])
    paper = present.paper_param(request.query_params)
    with Session(context(request).engine) as session:
        view = queries.issue_view(session, day, paper)
    if view is None:
        raise HTTPException(404, f"no issue of {paper} of {day} is stored")
    pages = [p.__dict__ for p in view.pages]
    data = {**view.__dict__, "paper": paper, "issue_date": view.issue_date.isoformat(), "pages": pages}
    return JSONResponse(data)


def article(request: Request) -> JSONResponse:
    with Session(context(request).engine) as session:
        view = queries.article_view(session, present.id_param(request.path_params["article_id"], "article id"))
    if view is None:
        raise HTTPException(404, "no such article")
    return JSONResponse({**view.__dict__, "issue_date": view.issue_date.isoformat()})


def watches(request: Request) -> JSONResponse:
    ctx = context(request)
    with Session(ctx.engine) as session:
        return JSONResponse({"watchlist": str(ctx.watchlist.path), "watches": present.watches_json(ctx, session)})


def watch(request: Request) -> JSONResponse:
    ctx = context(request)
    found = present.watch_or_404(ctx, request.path_params["watch_id"])
    with Session(ctx.engine) as session:
        data = next(w for w in present.watches_json(ctx, session) if w["id"] == found.id)
        if found.kind == "project":
            data["facts"] = queries.facts(session, found.id)
            data["mentions_by_month"] = queries.mentions_by_month(session, found.id)
    return JSONResponse(data)


def mentions(request: Request) -> JSONResponse:
    ctx = context(request)
    found = present.watch_or_404(ctx, request.path_params["watch_id"])
    limit = present.int_param(request.query_params, "limit", 100, 1, 1000)
    offset = present.int_param(request.query_params, "offset", 0)
    with Session(ctx.engine) as session:
        total, rows = queries.mentions(session, found.id, limit, offset)
    return JSONResponse({"watch_id": found.id, "total": total, "mentions": rows})


def indicator(request: Request) -> JSONResponse:
    ctx = context(request)
    found = present.watch_or_404(ctx, request.path_params["watch_id"])
    if found.kind != "indicator":
        raise HTTPException(404, f"{found.id} is a project, not an indicator")
    with Session(ctx.engine) as session:
        observations = queries.observations(session, found.id)
    return JSONResponse(present.indicator_json(found, observations))


def alerts(request: Request) -> JSONResponse:
    ctx = context(request)
    limit = present.int_param(request.query_params, "limit", 50, 1, 1000)
    with Session(ctx.engine) as session:
        return JSONResponse({"alerts": present.alerts_json(ctx, session, request.query_params.get("status"), limit)})


def status(request: Request) -> JSONResponse:
    ctx = context(request)
    with Session(ctx.engine) as session:
        data = present.status_json(ctx, session)
    return JSONResponse(data, status_code=200)
