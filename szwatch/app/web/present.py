"""Shaping store results for the pages and the API alike: parameters, search, calendars, chart series.

Pages and API read through the same functions here, so what the JSON says and what the page shows cannot
drift apart.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException

from szwatch.app.compare import compared_area
from szwatch.app.health import assess
from szwatch.app.web.context import WebContext
from szwatch.common.clock import local_iso, local_today
from szwatch.common.period_names import kind_label, period_kind
from szwatch.common.period_names import period_label as named_period
from szwatch.monitor.alerts import messages
from szwatch.monitor.detection.watchlist import Watch
from szwatch.store import queries
from szwatch.store.models import DeliveryStatus
from szwatch.store.reads import alerts as alert_reads
from szwatch.store.search import SearchError, SearchQuery, SearchResult, find

MAX_LIMIT = 100
DELIVERY_STATES = tuple(DeliveryStatus)


def bad_request(detail: str) -> HTTPException:
    return HTTPException(400, detail)


def parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request(f"{value!r} is not a date like 2024-05-07") from None


def day_param(params: QueryParams, name: str) -> date | None:
    value = params.get(name) or None
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request(f"{name}: {value!r} is not a date like 2024-05-07") from None


MAX_ID = 2**63 - 1  # the databases' bigint: a larger id cannot name a row (and overflowed into a 500)


def id_param(value: int, name: str) -> int:
    """A row id from the path, bounded so that the database can compare it."""
    if not 1 <= value <= MAX_ID:
        raise bad_request(f"{name}: must be between 1 and {MAX_ID}")
    return value


def int_param(params: QueryParams, name: str, default: int, low: int = 0, high: int = 10_000_000) -> int:
    value = params.get(name) or None
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"{name}: {value!r} is not a whole number") from None
    if not low <= number <= high:
        raise bad_request(f"{name}: must be between {low} and {high}")
    return number


def search_query(params: QueryParams) -> SearchQuery:
    order = params.get("order") or "newest"
    if order not in ("newest", "relevance"):
        raise bad_request("order: newest or relevance")
    start, end = day_param(params, "from"), day_param(params, "to")
    if start and end and start > end:
        raise bad_request("from is after to")
    return SearchQuery(
        text=params.get("q", ""), start=start, end=end, page=(params.get("page") or None),
        limit=int_param(params, "limit", 20, 1, MAX_LIMIT), offset=int_param(params, "offset", 0, 0),
        order=order, paper=(params.get("paper") or None),
    )  # fmt: skip


def run_search(session: Session, query: SearchQuery) -> SearchResult:
    try:
        return find(session, query)
    except SearchError as exc:
        raise bad_request(str(exc)) from None


def search_json(result: SearchResult) -> dict[str, Any]:
    return {
        "total": result.total,
        "total_exact": result.total_exact,
        "terms": result.terms,
        "results": [
            {"url": h.url, "issue_date": h.issue_date.isoformat(), "page": h.page, "page_label": h.page_label,
             "page_name": h.page_name, "title": h.title, "snippet": h.snippet, "article_id": h.article_id,
             "paper": h.paper}
            for h in result.hits
        ],
    }  # fmt: skip


# ---------------------------------------------------------------------------------------------- issues


def month_param(params: QueryParams, fallback: date | None) -> date:
    value = params.get("month") or None
    if value is None:
        return (fallback or local_today(datetime.now(UTC))).replace(day=1)  # the paper's month, not the machine's
    try:
        return date.fromisoformat(value + "-01")
    except ValueError:
        raise bad_request(f"month: {value!r} is not a month like 2024-05") from None


def paper_param(params: QueryParams) -> str:
    """The paper an issue page or calendar shows (``?paper=sxrb``); 朔州日报 (szrb) unless asked."""
    return params.get("paper") or "szrb"


def month_calendar(session: Session, month: date, paper: str = "szrb") -> dict[str, Any]:
    """A month as weeks of days (Monday first), each day with its issue's state, or none if never crawled."""
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    days = {d.issue_date: d for d in queries.issue_days(session, month, last, paper)}
    first, newest = queries.issue_bounds(session, paper)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append([_day(d, days.get(d), d.month == month.month) for d in week])
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (last + timedelta(days=1)).replace(day=1)
    return {
        "month": f"{month:%Y-%m}", "label": f"{month.year}年{month.month}月", "weeks": weeks,
        "issues": [asdict(d) | {"issue_date": d.issue_date.isoformat()} for d in days.values()],
        "counts": dict(Counter(d.status for d in days.values())),
        "previous": f"{previous:%Y-%m}" if first and previous >= first.replace(day=1) else None,
        "next": f"{following:%Y-%m}" if newest and following <= newest else None,
        "first": first.isoformat() if first else None, "newest": newest.isoformat() if newest else None,
        "paper": paper,
    }  # fmt: skip


def _day(day: date, issue: queries.IssueDay | None, inside: bool) -> dict[str, Any]:
    return {
        "date": day.isoformat(), "day": day.day, "inside": inside, "status": issue.status if issue else None,
        "articles": issue.articles if issue else 0, "issue_no": issue.issue_no if issue else None,
    }  # fmt: skip


STATUS_LABELS = {"complete": "完整", "incomplete": "不完整", "no_issue": "无报"}
DELIVERY_LABELS = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}
RULE_LABELS = {rule: messages.rule_label(rule) for rule in
               ("new_mention", "new_figure", "revised_figure", "project_update", "crawl_problems", "site_unreachable",
                "health", "health_recovered", "test", "threshold", "heartbeat")}  # fmt: skip
CONDITION_LABELS = {"daemon_down": "后台服务未运行", "site_unreachable": "网站无法访问",
                    "layout_changed": "版面结构可能已变化", "no_issue_today": "今日报纸尚未抓全",
                    "failed_deliveries": "有提醒发送失败"}  # fmt: skip
FACT_LABELS = {"investment": "投资", "stage": "阶段", "progress": "进度"}
# A crawl run's request and outcome as the status page names them (the JSON API keeps the stored values)
RUN_MODE_LABELS = {"latest": "最新一期", "dates": "指定日期", "latest+dates": "最新一期+指定日期"}
RUN_STATUS_LABELS = {"ok": "完成", "running": "进行中", "interrupted": "中断", "failed": "失败"}

MATCH_LABELS = {
    "name": "名称",
    "alias": "别名",
    "variant": "变体写法",
    "company": "企业名",
    "keywords": "关键词",
    "described": "描述",
}


# ---------------------------------------------------------------------------------------------- watches


def watch_or_404(ctx: WebContext, watch_id: str) -> Watch:
    watch = ctx.watchlist.get(watch_id)
    if watch is None:
        raise HTTPException(404, f"no watch {watch_id!r} in {ctx.watchlist.path.name}")
    return watch


def watches_json(ctx: WebContext, session: Session) -> list[dict[str, Any]]:
    counts = queries.finding_counts(session)
    return [
        {"id": w.id, "kind": w.kind, "name": w.name, "aliases": list(w.aliases), "tags": list(w.tags),
         "found": counts.get(w.id, {}).get("count", 0), "latest": counts.get(w.id, {}).get("latest")}
        for w in ctx.watchlist.watches
    ]  # fmt: skip


def period_label(obs: dict[str, Any]) -> str:
    """``2024年一季度``, ``2024年1—4月``, ``2023年上半年``; the paper's own words when the period has no dates."""
    if not obs["period_start"] or not obs["period_end"]:
        return str(obs["period"])
    return named_period(date.fromisoformat(obs["period_start"]), date.fromisoformat(obs["period_end"]))


def table_rows(observations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table of reports, newest period first: the same figure reported twice (前四个月 and 1—4月, or a value in one
    story and its growth in the next) is one row with all its sources; a changed figure is a row of its own, marked
    revised with what it replaced."""
    rows: list[dict[str, Any]] = []
    open_rows: dict[tuple[Any, ...], dict[str, Any]] = {}
    for o in observations:
        key = (o["period_start"], o["period_end"], o["period"] if not o["period_start"] else "", o["scope"],
               o["relative"], compared_area(o["snippet"]) if o["relative"] else "")  # fmt: skip
        row = open_rows.get(key)
        if row is not None and not o["revised"] and _agrees(row, o):
            row["value"] = row["value"] if row["value"] is not None else o["value"]
            row["unit"] = row["unit"] or o["unit"]
            row["growth"] = row["growth"] if row["growth"] is not None else o["growth"]
            row["rank"] = row["rank"] or o["rank"]
            row["sources"].append(o["source"] | {"snippet": o["snippet"], "words": o["period"]})
            continue
        row = o | {"period_label": period_label(o), "kind": kind_label(_kind(o)), "area": key[-1],
                   "sources": [o["source"] | {"snippet": o["snippet"], "words": o["period"]}]}  # fmt: skip
        open_rows[key] = row
        rows.append(row)
    return list(reversed(rows))


def _agrees(row: dict[str, Any], o: dict[str, Any]) -> bool:
    same_value = row["value"] is None or o["value"] is None or (row["value"] == o["value"] and row["unit"] == o["unit"])
    same_growth = row["growth"] is None or o["growth"] is None or row["growth"] == o["growth"]
    return same_value and same_growth


def _kind(o: dict[str, Any]) -> str:
    start, end = o["period_start"], o["period_end"]
    return period_kind(date.fromisoformat(start) if start else None, date.fromisoformat(end) if end else None)


def indicator_json(watch: Watch, observations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": watch.id, "name": watch.name,
        "observations": [obs | {"period_label": period_label(obs)} for obs in observations],
    }  # fmt: skip


def chart_data(watch: Watch, observations: list[dict[str, Any]]) -> dict[str, Any]:
    """What the chart draws on a time axis: per area and kind of period (年度, 累计1—N月, 季度, 月度) one series of
    values and one of growth rates, each point at its period's last day. A cumulative monthly series (1—2月 …
    1—11月, as statistics are published) is one line; a point is the latest report of its period and area (a
    revised figure replaces the earlier one) and carries its source. Comparisons with another area are left to
    the table."""
    plotted = [o for o in observations if not o["relative"] and o["period_end"]]
    units = Counter(o["unit"] for o in plotted if o["value"] is not None and o["unit"])
    unit = units.most_common(1)[0][0] if units else ""
    latest: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for o in plotted:  # reports come oldest first: the last one of a period and area wins
        kind = _kind(o)
        where = (o["scope"], kind, o["period_start"] or "", o["period_end"])
        if o["value"] is not None and o["unit"] == unit:
            latest[("value", *where[:2], where[3])] = o
        if o["growth"] is not None:
            latest[("growth", *where[:2], where[3])] = o
    scopes = sorted({o["scope"] for o in plotted}, key=lambda s: (s != "全市", s))
    present_kinds = {_kind(o) for o in plotted}
    kinds = [k for k in ("year", "cumulative", "half", "quarter", "month", "other") if k in present_kinds]

    def series(measure: str) -> list[dict[str, Any]]:
        out = []
        for scope in scopes:
            for kind in kinds:
                points = sorted(
                    (o["period_end"], _point(o, o[measure], period_label(o)))
                    for (m, sc, k, _end), o in latest.items()
                    if (m, sc, k) == (measure, scope, kind)
                )
                if points:
                    out.append({"scope": scope, "kind": kind_label(kind), "name": f"{scope}·{kind_label(kind)}",
                                "points": [[end, point] for end, point in points]})  # fmt: skip
        return out

    return {"indicator": watch.id, "name": watch.name, "unit": unit, "value": series("value"),
            "growth": series("growth")}  # fmt: skip


def _point(obs: dict[str, Any], value: float, label: str) -> dict[str, Any]:
    source = obs["source"]
    return {
        "value": value, "period": label, "scope": obs["scope"], "unit": obs["unit"], "revised": obs["revised"],
        "source": {"article_id": source["article_id"], "issue_date": source["issue_date"], "page": source["page"],
                   "title": source["title"]},
    }  # fmt: skip


def chart_points(chart: dict[str, Any]) -> int:
    return sum(len(s["points"]) for kind in ("value", "growth") for s in chart[kind])


# ---------------------------------------------------------------------------------------------- alerts, status


def alerts_json(ctx: WebContext, session: Session, status: str | None, limit: int) -> list[dict[str, Any]]:
    if status is not None and status not in DELIVERY_STATES:
        raise bad_request(f"status: one of {', '.join(DELIVERY_STATES)}")
    names = {w.id: w.name for w in ctx.watchlist.watches}
    out = []
    for alert, deliveries in alert_reads.list_alerts(session, status, limit):  # shared with `szwatch alerts`
        data = messages.alert_dict(alert, names)
        data["deliveries"] = [
            {"id": d.id, "channel": d.channel, "mode": d.mode, "status": d.status, "attempts": d.attempts,
             "last_error": d.last_error, "next_attempt_at": local_iso(d.next_attempt_at),
             "sent_at": local_iso(d.sent_at)}
            for d in deliveries
        ]  # fmt: skip
        data["article_id"] = queries.article_id_by_url(session, alert.story_url) if alert.story_url else None
        out.append(data)
    return out


def status_json(ctx: WebContext, session: Session) -> dict[str, Any]:
    health = assess(ctx.engine, ctx.daemon)
    data = asdict(health)
    data["checked_at"], data["healthy"] = local_iso(health.checked_at), health.healthy
    data["crawls"] = queries.crawl_runs(session, 10)
    return data
