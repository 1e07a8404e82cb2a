"""The HTML pages: issues, an issue, an article, search, watches, a watch, alerts, status.

Each handler reads through ``present``/``store.queries`` and renders a template; data for charts travels in
a ``<script type="application/json">`` block that the static ``szwatch.js`` reads (no inline script).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from szwatch.app.settings import Settings
from szwatch.app.source_health import paper_names
from szwatch.app.web import present
from szwatch.app.web.context import context
from szwatch.store import queries
from szwatch.store.search import spans

NAV = [
    ("/issues", "报纸"),
    ("/search", "检索"),
    ("/watches", "监测"),
    ("/alerts", "提醒"),
    ("/status", "状态"),
    ("/operations", "运维"),
]


def routes(templates: Jinja2Templates) -> list[Route]:
    def render(request: Request, name: str, **values: Any) -> Response:
        values.update(request=request, nav=NAV, spans=spans, status_labels=present.STATUS_LABELS,
                      delivery_labels=present.DELIVERY_LABELS, rule_labels=present.RULE_LABELS,
                      fact_labels=present.FACT_LABELS, condition_labels=present.CONDITION_LABELS,
                      match_labels=present.MATCH_LABELS)  # fmt: skip
        return templates.TemplateResponse(request, name, values)

    def home(request: Request) -> Response:
        return RedirectResponse("/issues", status_code=302)

    def issues(request: Request) -> Response:
        paper = present.paper_param(request.query_params)
        with Session(context(request).engine) as session:
            newest = queries.issue_bounds(session, paper)[1]
            month = present.month_param(request.query_params, newest)
            cal = present.month_calendar(session, month, paper)
            held = queries.papers(session)
        names = paper_names(Settings())
        others = [(p, names.get(p, p)) for p in held if p != paper] if len(held) > 1 else []
        return render(request, "issues.html", cal=cal, title="报纸", paper_name=names.get(paper, paper), others=others)

    def issue(request: Request) -> Response:
        day, paper = request.path_params["day"], present.paper_param(request.query_params)
        with Session(context(request).engine) as session:
            view = queries.issue_view(session, present.parse_day(day), paper)
        if view is None:
            raise HTTPException(404, f"没有 {paper} {day} 的报纸存档")
        name = paper_names(Settings()).get(paper, paper)  # the bundled profiles name the papers
        return render(request, "issue.html", issue=view, title=f"{view.issue_date} {name}", paper_name=name,
                      paper=paper)  # fmt: skip

    def article(request: Request) -> Response:
        ctx = context(request)
        with Session(ctx.engine) as session:
            view = queries.article_view(session, present.id_param(request.path_params["article_id"], "article id"))
        if view is None:
            raise HTTPException(404, "没有这篇稿件")
        names = {w.id: w.name for w in ctx.watchlist.watches}
        return render(request, "article.html", a=view, names=names, title=view.title)

    def search(request: Request) -> Response:
        params = request.query_params
        result, error, query = None, None, None
        if params.get("q"):
            try:
                query = present.search_query(params)
                with Session(context(request).engine) as session:
                    result = present.run_search(session, query)
            except HTTPException as exc:
                error = exc.detail
        return render(request, "search.html", result=result, error=error, query=query, params=params,
                      title=f"{params.get('q', '')} 检索".strip())  # fmt: skip

    def watches(request: Request) -> Response:
        ctx = context(request)
        with Session(ctx.engine) as session:
            rows = present.watches_json(ctx, session)
        return render(request, "watches.html", rows=rows, watchlist=ctx.watchlist.path.name,
                      paused=ctx.watchlist.paused, title="监测")  # fmt: skip

    def watch(request: Request) -> Response:
        ctx = context(request)
        found = present.watch_or_404(ctx, request.path_params["watch_id"])
        with Session(ctx.engine) as session:
            if found.kind == "indicator":
                observations = queries.observations(session, found.id)
                chart = present.chart_data(found, observations)
                rows = present.table_rows(observations)
                return render(request, "indicator.html", w=found, chart=chart, rows=rows,
                              points=present.chart_points(chart), title=found.name)  # fmt: skip
            limit = 50
            offset = present.int_param(request.query_params, "offset", 0)
            total, mentions = queries.mentions(session, found.id, limit, offset)
            timeline = queries.mentions_by_month(session, found.id)
            facts = queries.facts(session, found.id)
        return render(request, "project.html", w=found, total=total, mentions=mentions, facts=facts,
                      timeline={"months": [m for m, _ in timeline], "stories": [n for _, n in timeline]},
                      offset=offset, limit=limit, title=found.name)  # fmt: skip

    def alerts(request: Request) -> Response:
        ctx = context(request)
        status = request.query_params.get("status") or None
        with Session(ctx.engine) as session:
            rows = present.alerts_json(ctx, session, status, 200)
        return render(request, "alerts.html", rows=rows, status=status, title="提醒")

    def status(request: Request) -> Response:
        ctx = context(request)
        with Session(ctx.engine) as session:
            data = present.status_json(ctx, session)
        return render(request, "status.html", s=data, title="状态", modes=present.RUN_MODE_LABELS,
                      outcomes=present.RUN_STATUS_LABELS)  # fmt: skip

    return [
        Route("/", home),
        Route("/issues", issues),
        Route("/issues/{day}", issue),
        Route("/articles/{article_id:int}", article),
        Route("/search", search),
        Route("/watches", watches),
        Route("/watches/{watch_id}", watch),
        Route("/indicators/{watch_id}", watch),
        Route("/alerts", alerts),
        Route("/status", status),
    ]
