"""Each watched paper's state, read from the store: newest issue, newest complete issue, its last crawl.

A crawl run records the paper it crawled (``request.source``; runs from before several papers were watched
were all 朔州日报's), so one paper's failing site does not make another look unhealthy.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from szwatch.app.settings import Settings
from szwatch.common.clock import local_iso
from szwatch.common.config import ConfigError
from szwatch.crawler.profile import SourceProfile, bundled_ids, load_profile
from szwatch.store.models import CrawlRun, Issue, IssueStatus, RunStatus

DEFAULT_SOURCE = "szrb"  # the paper of every issue and run stored before there were several


def provincial_papers(settings: Settings) -> frozenset[str]:
    """The papers with no default city (``source.city`` of their profile is not 朔州), bundled or in the settings:
    detection counts a figure of theirs for Shuozhou only where the story names 朔州 or one of its counties."""
    return frozenset(p.paper for p in _profiles(settings) if p.source["city"] != "朔州")


def paper_names(settings: Settings) -> dict[str, str]:
    """Each paper's name by its id (``szrb`` → 朔州日报), bundled or in the settings: alerts name their paper."""
    names: dict[str, str] = {}
    for profile in _profiles(settings):
        names.setdefault(profile.paper, profile.name)
    return names


def _profiles(settings: Settings) -> list[SourceProfile]:
    found = []
    for ref in sorted({*bundled_ids(), *(str(s.profile) for s in settings.sources)}):
        try:
            found.append(load_profile(ref))
        except ConfigError:
            continue
    return found


def run_source(run: CrawlRun) -> str:
    return str((run.request or {}).get("source") or DEFAULT_SOURCE)


def source_health(engine: Engine, settings: Settings) -> list[dict[str, Any]]:
    sources = settings.sources or settings.watched()
    with Session(engine) as session:
        runs = list(session.exec(select(CrawlRun).order_by(col(CrawlRun.id).desc()).limit(200)).all())
        rows = []
        for source in sources:
            newest = _newest(session, source.paper, complete=False)
            complete = _newest(session, source.paper, complete=True)
            last = next((r for r in runs if run_source(r) == source.id and r.status != RunStatus.RUNNING), None)
            rows.append({
                "id": source.id, "name": source.name, "profile": source.profile,
                "family": load_profile(source.profile).family, "enabled": source.enabled,
                "paper": source.paper, "newest_issue": newest, "newest_complete_issue": complete,
                "site_newest_issue": _site_newest(session, source.paper, source.base_url),
                "last_crawl": {"id": last.id, "status": last.status, "finished_at": local_iso(last.finished_at)}
                if last else None,
                "health": _health(last),
            })  # fmt: skip
    return rows


def _newest(session: Session, source: str, complete: bool) -> str | None:
    status = col(Issue.status) == IssueStatus.COMPLETE if complete else col(Issue.status) != IssueStatus.NO_ISSUE
    day = session.exec(select(func.max(Issue.issue_date)).where(Issue.source == source, status)).one()
    return day.isoformat() if day else None


def _site_newest(session: Session, paper: str, base_url: str) -> str | None:
    """The newest issue this site gave (an issue is stored once, from the site that had it first)."""
    day = session.exec(select(func.max(Issue.issue_date)).where(
        Issue.source == paper, col(Issue.status) != IssueStatus.NO_ISSUE, col(Issue.url).startswith(base_url + "/")
    )).one()  # fmt: skip
    return day.isoformat() if day else None


def _health(last: CrawlRun | None) -> str:
    if last is None:
        return "never crawled"
    return "ok" if last.status in (RunStatus.OK, RunStatus.PROBLEMS) else f"last crawl {last.status}"
