"""Health facts of a szwatch installation, shared by ``szwatch status`` and the daemon's health job.

Everything is read from the database (crawl runs, issues, deliveries, the daemon's lease), so the answer
is the same whichever process asks, and survives restarts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from szwatch.app.settings import DaemonSettings
from szwatch.app.sites import stopped_in
from szwatch.common.clock import SHANGHAI, local_iso
from szwatch.common.states import DeliveryStatus, IssueStatus, RunStatus
from szwatch.store.plain import Plain, plain_on
from szwatch.store.reads import health as facts
from szwatch.store.reads.runs import CrawlRunRow, last_crawl_runs, problem_kinds

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from szwatch.store.plain import Db

LEASE = "daemon"
LAYOUT_KINDS = ("layout", "no_articles", "no_title", "no_body", "entry")


@dataclass
class Health:
    checked_at: datetime
    last_crawl: dict[str, Any] | None
    newest_issue: str | None
    newest_complete_issue: str | None
    deliveries: dict[str, int]
    daemon: dict[str, Any] | None
    conditions: dict[str, str] = field(default_factory=dict)  # condition → why (empty: healthy)

    @property
    def healthy(self) -> bool:
        return not self.conditions


def assess(
    db: Db | Engine, config: DaemonSettings, now: datetime | None = None, want_daemon: bool | None = None
) -> Health:
    """The installation's health. A daemon (and today's issue by ``no_issue_by``) is expected only where one is
    meant to run: the settings have a ``[daemon]`` section, or a daemon has held this database's lease — a
    CLI-only install that crawls by hand is not unhealthy for want of one. ``want_daemon`` overrides that (the
    daemon asks with False: it does not report itself). Read with plain SQL (``store/reads/``): ``status`` asks
    with a plain reader and starts without the ORM; the daemon holds an engine, the web view a session."""
    now = now or datetime.now(UTC)
    with plain_on(db) as plain:
        runs = last_crawl_runs(plain, 50)
        newest, complete = facts.newest_issue(plain), facts.newest_issue(plain, complete=True)
        deliveries = facts.delivery_counts(plain)
        layout_runs = _layout_streak(plain, [r for r in runs if r.status != RunStatus.RUNNING])
        today = facts.issue_status_on(plain, now.astimezone(SHANGHAI).date())
        lease = facts.lease(plain, LEASE)
    health = Health(
        checked_at=now, last_crawl=_run_dict(runs[0]) if runs else None, newest_issue=newest,
        newest_complete_issue=complete, deliveries=deliveries, daemon=_lease_dict(lease, now) if lease else None,
    )  # fmt: skip
    scheduled = config.configured or lease is not None
    _judge(health, config, runs, today, layout_runs, now, scheduled if want_daemon is None else want_daemon,
           scheduled or bool(want_daemon))  # fmt: skip
    if health.daemon:  # a paper on several sites: one that fell behind another (the daemon's checks say)
        health.conditions.update(stopped_in(health.daemon.get("sites") or {}))
    return health


def _judge(health: Health, config: DaemonSettings, runs: list[CrawlRunRow], today: str | None, layout_runs: int,
           now: datetime, want_daemon: bool, scheduled: bool) -> None:  # fmt: skip
    if want_daemon and not (health.daemon and health.daemon["alive"]):
        health.conditions["daemon_down"] = "没有 szwatch 守护进程持有本数据库的租约（lease）"
    down_since = _unreachable_since(runs)
    if down_since and now - down_since >= timedelta(minutes=config.unreachable_after_minutes):
        health.conditions["site_unreachable"] = f"自 {local_iso(down_since)} 起每次抓取都连不上网站"
    if layout_runs >= config.layout_problem_runs:
        health.conditions["layout_changed"] = f"最近 {layout_runs} 次抓取都有提取问题：网页版式是否变了？"
    local = now.astimezone(SHANGHAI)
    late = scheduled and local.weekday() in config.publishing_days and local.time() >= _clock(config.no_issue_by)
    if late and today != IssueStatus.COMPLETE:  # today: the status of today's issue, if one is stored
        health.conditions["no_issue_today"] = (
            f"到 {config.no_issue_by}（Asia/Shanghai）仍没有 {local.date()} 的完整一期"
        )
    if health.deliveries.get(DeliveryStatus.FAILED):
        health.conditions["failed_deliveries"] = (
            f"{health.deliveries[DeliveryStatus.FAILED]} 条推送最终发送失败，不再重试"
        )


def _unreachable_since(runs: list[CrawlRunRow]) -> datetime | None:
    since = None
    for run in runs:  # newest first
        if run.status == RunStatus.RUNNING:
            continue
        if run.status != RunStatus.UNREACHABLE:
            break
        since = run.started_at
    return since


def _layout_streak(plain: Plain, runs: list[CrawlRunRow]) -> int:
    """How many of the newest finished runs in a row met a layout problem."""
    kinds = problem_kinds(plain, [r.id for r in runs])
    streak = 0
    for run in runs:
        if not kinds.get(run.id, set()) & set(LAYOUT_KINDS):
            break
        streak += 1
    return streak


def _run_dict(run: CrawlRunRow) -> dict[str, Any]:
    return {
        "id": run.id, "started_at": local_iso(run.started_at), "finished_at": local_iso(run.finished_at),
        "status": run.status, "error": run.error, "articles_new": (run.stats or {}).get("articles_new"),
        "problems": sum((run.stats or {}).get("problems", {}).values()),
    }  # fmt: skip


def _lease_dict(lease: Any, now: datetime) -> dict[str, Any]:
    expires = lease.expires_at if lease.expires_at.tzinfo else lease.expires_at.replace(tzinfo=now.tzinfo)
    return {"holder": lease.holder, "alive": expires > now, "expires_at": local_iso(expires), **(lease.info or {})}


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_window(moment: datetime, start: str, end: str) -> bool:
    local = moment.astimezone(SHANGHAI).time()
    return _clock(start) <= local <= _clock(end)
