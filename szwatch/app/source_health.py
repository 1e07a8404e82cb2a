"""Each watched paper's state, read from the store: newest issue, newest complete issue, its last crawl.

A crawl run records the paper it crawled (``request.source``; runs from before several papers were watched
were all 朔州日报's), so one paper's failing site does not make another look unhealthy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from szwatch.app.settings import Settings
from szwatch.common.clock import local_iso
from szwatch.common.config import ConfigError
from szwatch.common.states import RunStatus
from szwatch.crawler.profile import SourceProfile, bundled_ids, load_profile
from szwatch.store.plain import plain_on
from szwatch.store.reads.health import newest_issue
from szwatch.store.reads.runs import CrawlRunRow, last_crawl_runs

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from szwatch.store.models import CrawlRun
    from szwatch.store.plain import Db

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


def run_source(run: CrawlRun | CrawlRunRow) -> str:
    return str((run.request or {}).get("source") or DEFAULT_SOURCE)


def source_health(db: Db | Engine, settings: Settings) -> list[dict[str, Any]]:
    """Each source's row of ``szwatch sources``, read with plain SQL (the command starts without the ORM)."""
    sources = settings.sources or settings.watched()
    with plain_on(db) as plain:
        runs = last_crawl_runs(plain, 200)
        rows = []
        for source in sources:
            last = next((r for r in runs if run_source(r) == source.id and r.status != RunStatus.RUNNING), None)
            rows.append({
                "id": source.id, "name": source.name, "profile": source.profile,
                "family": load_profile(source.profile).family, "enabled": source.enabled,
                "paper": source.paper, "newest_issue": newest_issue(plain, paper=source.paper),
                "newest_complete_issue": newest_issue(plain, complete=True, paper=source.paper),
                # the newest issue this site gave (an issue is stored once, from the site that had it first)
                "site_newest_issue": newest_issue(plain, paper=source.paper, url_prefix=source.base_url + "/"),
                "last_crawl": {"id": last.id, "status": last.status, "finished_at": local_iso(last.finished_at)}
                if last else None,
                "health": _health(last),
            })  # fmt: skip
    return rows


def _health(last: CrawlRunRow | None) -> str:
    if last is None:
        return "never crawled"
    return "ok" if last.status in (RunStatus.OK, RunStatus.PROBLEMS) else f"last crawl {last.status}"
