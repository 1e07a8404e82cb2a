"""The daemon's cheap check: one conditional request while today's issue is awaited, a crawl when it is out."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from szwatch.app.daemon import Daemon
from szwatch.app.settings import DaemonSettings, Route, Settings
from szwatch.common.clock import SHANGHAI
from szwatch.crawler.probe import check_entry
from szwatch.monitor.alerts.channels.webhook import WebhookChannel
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.replica import templates
from szwatch.replica.build import ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.replica.sinks import WebhookReceiver
from szwatch.store.models import Alert, CrawlRun, Issue
from tests.conftest import crawl_site
from tests.monitor.alerts.test_alerts import NAMES, WATCHLIST

TODAY = date(2024, 5, 9)
ENTRY = "/shtml/index_szrb.shtml"


@pytest.fixture
def held_back(tmp_path: Path) -> Iterator[tuple[ReplicaServer, Path, Path]]:
    """The replica as it stood at dawn on TODAY: issues up to yesterday, today's waiting in the wings."""
    root, staging = tmp_path / "site", tmp_path / "staging"
    spec = ReplicaSpec(start=date(2024, 5, 6), weeks=1, holidays=(), weekdays=tuple(range(7)), per_page=6)
    manifest = build_replica(root, spec)
    staging.mkdir()
    for day in manifest.dates:
        if day >= TODAY:
            folder = root / "shtml" / "szrb" / f"{day:%Y%m%d}"
            shutil.move(folder, staging / folder.name) if day == TODAY else shutil.rmtree(folder)
    (root / ENTRY.lstrip("/")).write_bytes(templates.entry_page(date(2024, 5, 8)).encode("gb18030"))
    with ReplicaServer(root) as site:
        yield site, root, staging


def publish(root: Path, staging: Path, day: date) -> None:
    shutil.move(staging / f"{day:%Y%m%d}", root / "shtml" / "szrb" / f"{day:%Y%m%d}")
    (root / ENTRY.lstrip("/")).write_bytes(templates.entry_page(day).encode("gb18030"))


def count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_conditional_get_of_the_entry_page(held_back: tuple[ReplicaServer, Path, Path]):
    site, root, staging = held_back
    first = check_entry(site.url)
    same = check_entry(site.url, previous=first)
    publish(root, staging, TODAY)
    changed = check_entry(site.url, previous=same)

    assert (first.status, first.newest, first.not_modified) == (200, date(2024, 5, 8), False) and first.etag
    assert (same.status, same.newest, same.not_modified) == (304, date(2024, 5, 8), True)
    assert (changed.status, changed.newest) == (200, TODAY)


def test_one_request_per_check_while_waiting_then_a_crawl_and_alerts_when_out(
    engine: Engine, held_back: tuple[ReplicaServer, Path, Path], webhook: WebhookReceiver
):
    site, root, staging = held_back
    crawl_site(engine, site, dates=(date(2024, 5, 6), date(2024, 5, 7), date(2024, 5, 8)))
    detect(engine, WATCHLIST)  # the baseline, as the daemon's first crawl would have made it
    settings = Settings(
        channels=(WebhookChannel("hook", webhook.url, timeout=2),), routes=(Route("hook"),),
        daemon=DaemonSettings(base_url=site.url, poll_start="05:30", poll_end="11:00", crawl_delay_seconds=0,
                              crawl_concurrency=8, catch_up_days=3, check_every_minutes=3),
    )  # fmt: skip
    moment = datetime(2024, 5, 9, 7, 0, tzinfo=SHANGHAI).astimezone(UTC)
    daemon = Daemon(engine, settings, WATCHLIST, clock=lambda: moment)
    runs_before = count(engine, CrawlRun)
    site.reset()

    for _ in range(4):
        daemon.check()
    daemon.poll()  # nothing incomplete, and the check watches for today: no crawl
    waiting_hits = dict(site.hits)
    publish(root, staging, TODAY)
    daemon.check()
    deliver_due(engine, settings, NAMES)
    after = sum(site.hits.values())
    daemon.check()  # today's issue is stored now: nothing more to ask

    assert waiting_hits == {ENTRY: 4} and daemon.entry is not None
    assert count(engine, CrawlRun) == runs_before + 1
    with Session(engine) as session:
        assert session.exec(select(Issue.status).where(Issue.issue_date == TODAY)).one() == "complete"
    assert count(engine, Alert, Alert.issue_date == TODAY) > 0
    assert webhook.accepted() and all(
        a["story"]["issue_date"] == TODAY.isoformat() for r in webhook.accepted() for a in r.json()["alerts"]
    )
    assert sum(site.hits.values()) == after


def test_unreadable_entry_page_falls_back_to_crawling_at_the_poll(
    engine: Engine, held_back: tuple[ReplicaServer, Path, Path]
):
    site, _root, _staging = held_back
    settings = Settings(daemon=DaemonSettings(base_url=site.url, poll_start="00:00", poll_end="23:59",
                                              crawl_delay_seconds=0, crawl_concurrency=8, catch_up_days=1))  # fmt: skip
    moment = datetime(2024, 5, 9, 7, 0, tzinfo=SHANGHAI).astimezone(UTC)
    daemon = Daemon(engine, settings, WATCHLIST, clock=lambda: moment)
    site.replace(ENTRY, b"<html><body>maintenance</body></html>")

    daemon.check()
    daemon.poll()

    assert daemon.entry is not None and daemon.entry.newest is None and "not found" in (daemon.entry.error or "")
    assert count(engine, CrawlRun) == 1  # the poll crawled for today, as it did before the check existed
    assert site.hits_matching(f"/{TODAY:%Y%m%d}/vA1.shtml") >= 1
