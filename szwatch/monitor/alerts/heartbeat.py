"""The daily heartbeat: at a route's ``heartbeat`` time (Asia/Shanghai) its chat hears that today's paper was
read — ``今日《朔州日报》第9033期已读：4个版面、38篇文章、0条匹配`` — or that no paper came, or that the crawl
failed. Silence is ambiguous (nothing matched, or nothing ran?); this says which, once a day.

It is an alert like any other (rule ``heartbeat``), so it has the outbox's guarantees — retried, visible, held
by the route's push window, ``@`` of the route's people — and its dedupe key names the channel and the day:
a daemon restarted after the hour, or a second call the same day, adds nothing. Never twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from loguru import logger
from sqlalchemy.engine import Engine

from szwatch.common.clock import SHANGHAI, local_today
from szwatch.monitor.alerts.outbox import delivery_for
from szwatch.monitor.alerts.settings import Mode, Route
from szwatch.store import alerts as store_alerts
from szwatch.store.db import session_scope
from szwatch.store.models import Alert, IssueStatus, RunStatus
from szwatch.store.reads.day_report import DayReport, day_report

RULE = "heartbeat"
FAILED_RUNS = {RunStatus.FAILED, RunStatus.UNREACHABLE, RunStatus.INTERRUPTED}


@dataclass(frozen=True)
class Paper:
    """A paper the daemon reads: its id in the store, its name, and its site (empty: any of its sites)."""

    id: str
    name: str
    base_url: str = ""


def due_routes(routes: tuple[Route, ...], moment: datetime, at: str | None = None) -> list[Route]:
    """Routes whose heartbeat is ``at`` (the scheduler's job), or, without ``at``, whose hour has passed today
    (a daemon started late), one per channel."""
    now = moment.astimezone(SHANGHAI).time()
    found: dict[str, Route] = {}
    for route in routes:
        if route.heartbeat and (route.heartbeat == at if at else _time(route.heartbeat) <= now):
            found.setdefault(route.channel, route)
    return list(found.values())


def _time(text: str) -> time:
    hour, minute = (int(part) for part in text.split(":"))
    return time(hour, minute)


def raise_heartbeats(engine: Engine, routes: list[Route], papers: list[Paper], moment: datetime) -> int:
    """Queue today's heartbeat for each route not told yet today; returns how many were queued."""
    day = local_today(moment)
    raised = 0
    with session_scope(engine) as session:
        text = "；".join(heartbeat_text(day_report(session, p.id, day, p.base_url), p.name, moment) for p in papers)
        for route in routes:
            key = f"{RULE}|{route.channel}|{day:%Y%m%d}"
            if store_alerts.known_keys(session, [key]):
                continue
            alert = Alert(dedupe_key=key, rule=RULE, watch_name="每日报告", issue_date=day, snippet=text,
                          created_at=moment)  # fmt: skip
            session.add(alert)
            session.flush()
            session.add(delivery_for(alert, route.channel, Mode.INSTANT, now=moment, mentions=route.mentions,
                                     window=route.window))  # fmt: skip
            logger.info("heartbeat for {} on {} queued: {}", route.channel, day, text)
            raised += 1
    return raised


def heartbeat_text(report: DayReport, name: str, moment: datetime) -> str:
    """One paper's day in one Chinese sentence."""
    paper = f"今日《{name}》"
    if report.issue_status == IssueStatus.NO_ISSUE:
        return f"{paper}休刊（网站说明今日无报纸）"
    if report.issue_status is not None:
        number = f"第{report.issue_no}期" if report.issue_no else ""
        text = f"{paper}{number}已读：{report.pages}个版面、{report.articles}篇文章、{report.matches}条匹配"
        return text + ("（本期尚未读全，稍后补齐）" if report.issue_status == IssueStatus.INCOMPLETE else "")
    if report.crawl_status in FAILED_RUNS:
        why = (report.crawl_error or report.crawl_status or "").splitlines()[0][:120]
        return f"{paper}抓取失败：{why}（详见 szwatch status）"
    return f"{paper}未见报纸：截至{moment.astimezone(SHANGHAI):%H:%M}网站尚无今日一期"
