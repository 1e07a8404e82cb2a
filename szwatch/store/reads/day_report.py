"""What a paper's day came to, for the daily heartbeat: the issue (its number, pages, articles, findings) and
how the day's last crawl of its site ended. Read-only; the heartbeat composes the message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, func, select

from szwatch.common.clock import day_start_utc
from szwatch.store.models import Article, CrawlRun, Issue, Mention, Observation, Page


@dataclass(frozen=True)
class DayReport:
    paper: str
    day: date
    issue_status: str | None = None  # complete, incomplete, no_issue; None: no issue stored for the day
    issue_no: int | None = None
    pages: int = 0
    articles: int = 0
    matches: int = 0  # mentions of watched projects and indicator figures found in its stories
    crawl_status: str | None = None  # how the day's last crawl of the site ended (ok, problems, unreachable, …)
    crawl_error: str | None = None


def day_report(session: Session, paper: str, day: date, base_url: str = "") -> DayReport:
    crawl = _last_crawl(session, day, base_url)
    status, error = (crawl.status, crawl.error) if crawl else (None, None)
    issue = session.exec(select(Issue).where(Issue.source == paper, Issue.issue_date == day)).first()
    if issue is None:
        return DayReport(paper, day, crawl_status=status, crawl_error=error)
    pages = session.exec(select(func.count()).select_from(Page).where(Page.issue_id == issue.id)).one()
    stories = select(Article.id).where(Article.issue_id == issue.id)
    articles = session.exec(select(func.count()).select_from(Article).where(Article.issue_id == issue.id)).one()
    mentions = session.exec(select(func.count()).select_from(Mention).where(col(Mention.article_id).in_(stories))).one()
    figures = session.exec(
        select(func.count()).select_from(Observation).where(col(Observation.article_id).in_(stories))
    ).one()
    return DayReport(paper, day, issue.status, issue.issue_no, pages, articles, mentions + figures, status, error)


def _last_crawl(session: Session, day: date, base_url: str) -> CrawlRun | None:
    """The last crawl started on ``day`` (Asia/Shanghai), of ``base_url`` when given."""
    query = select(CrawlRun).where(
        col(CrawlRun.started_at) >= day_start_utc(day), col(CrawlRun.started_at) < day_start_utc(day + timedelta(1))
    )
    if base_url:
        query = query.where(CrawlRun.base_url == base_url)
    return session.exec(query.order_by(col(CrawlRun.id).desc())).first()
