"""``szwatch run``: the always-on daemon (APScheduler 3), one per database.

Jobs have fixed ids and run one at a time each (``max_instances=1``, missed runs coalesced, never dropped
for lateness). Nothing the daemon needs after a restart lives in the scheduler: crawl outcomes, issue
statuses and the outbox are in our database, and each job works out from them what is missing — the
catch-up job at start crawls the days since the last stored issue, the check job asks the site with one
cheap conditional request whether today's issue is out and crawls only when it is, the poll job completes
incomplete issues, the delivery job sends whatever is due (daily digests included: their hour is in the rows).
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from loguru import logger
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from szwatch.app import cli_text as render
from szwatch.app.health import LEASE, assess, in_window
from szwatch.app.settings import Settings
from szwatch.common.clock import SHANGHAI, local_today
from szwatch.crawler.probe import EntryCheck, check_entry
from szwatch.crawler.run import CrawlReport, CrawlRequest, crawl
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.alerts.operator import crawl_run_alert, health_alerts
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import Watchlist
from szwatch.store import leases, runs
from szwatch.store.db import session_scope
from szwatch.store.models import Issue, IssueStatus, utcnow


class DaemonAlreadyRunningError(RuntimeError):
    def __init__(self, holder: str, until: datetime) -> None:
        super().__init__(f"another szwatch daemon ({holder}) holds this database until "
                         f"{until.astimezone(SHANGHAI):%Y-%m-%d %H:%M:%S}; not starting a second one")  # fmt: skip


class Daemon:
    def __init__(self, engine: Engine, settings: Settings, watchlist: Watchlist,
                 clock: Callable[[], datetime] = utcnow) -> None:  # fmt: skip
        self.engine, self.settings, self.watchlist, self.clock = engine, settings, watchlist, clock
        self.config = settings.daemon
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self.stopping = threading.Event()
        self.names = {w.id: w.name for w in watchlist.watches}
        self.scheduler = BlockingScheduler(
            timezone=SHANGHAI,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self.crawls = 0
        self.crawling = threading.Lock()  # one crawl at a time, whichever job asks (catch-up, check, poll)
        self.entry: EntryCheck | None = None  # the last answer of the entry page (validators, newest issue)
        self.told_no_channel = False

    # -- lifecycle -----------------------------------------------------------------------------------------

    def run(self) -> None:
        """Block until SIGTERM/SIGINT (or a lost lease); raises DaemonAlreadyRunningError if not ours to run."""
        self._take_lease()
        with session_scope(self.engine) as session:
            interrupted = runs.fail_unfinished(session, "interrupted: the daemon running it stopped before it ended")
        if interrupted:
            logger.warning("{} crawl run(s) left unfinished by a previous daemon marked failed", interrupted)
        for line in self.settings.problem_lines():  # the delivery job leaves these channels' deliveries waiting
            logger.error("delivery: {}", line)
        self._add_jobs()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stop())
        logger.info("szwatch daemon {} started", self.holder)
        try:
            self.scheduler.start()
        finally:
            self.stopping.set()
            leases.release(self.engine, LEASE, self.holder)
            logger.info("szwatch daemon {} stopped", self.holder)

    def stop(self) -> None:
        if not self.stopping.is_set():
            logger.info("stopping: running jobs are asked to finish (a crawl in progress is wound down)")
            self.stopping.set()
            self.scheduler.shutdown(wait=False)

    def _take_lease(self) -> None:
        ttl = timedelta(seconds=self.config.lease_seconds)
        if leases.acquire(self.engine, LEASE, self.holder, ttl, self.clock()) is None:
            lease = leases.current(self.engine, LEASE)
            raise DaemonAlreadyRunningError(lease.holder if lease else "?", lease.expires_at if lease else self.clock())

    def _add_jobs(self) -> None:
        minutes = self.config
        self.scheduler.add_job(
            self.catch_up, id="catch-up", name="catch up missed days", next_run_time=datetime.now(SHANGHAI)
        )
        self.scheduler.add_job(self.poll, "interval", id="poll", name="complete incomplete issues",
                               minutes=minutes.poll_every_minutes)  # fmt: skip
        if minutes.check_every_minutes > 0:
            self.scheduler.add_job(self.check, "interval", id="check", name="is today's issue out?",
                                   minutes=minutes.check_every_minutes)  # fmt: skip
        self.scheduler.add_job(self.deliver, "interval", id="deliver", name="deliver alerts",
                               seconds=self.settings.delivery.poll_seconds)  # fmt: skip
        self.scheduler.add_job(self.health, "interval", id="health", name="health check",
                               minutes=minutes.health_every_minutes)  # fmt: skip
        self.scheduler.add_job(self.renew_lease, "interval", id="lease", name="renew lease",
                               seconds=max(1.0, self.config.lease_seconds / 3))  # fmt: skip

    # -- jobs ------------------------------------------------------------------------------------------------

    def catch_up(self) -> None:
        """Crawl the days missed since the last stored issue (at most ``catch_up_days`` back)."""
        today = local_today(self.clock())
        first = today - timedelta(days=self.config.catch_up_days)
        with Session(self.engine) as session:
            last = session.exec(select(col(Issue.issue_date)).where(Issue.status == IssueStatus.COMPLETE)
                                .order_by(col(Issue.issue_date).desc())).first()  # fmt: skip
        start = max(first, last + timedelta(days=1)) if last else first
        days = tuple(start + timedelta(days=i) for i in range((today - start).days + 1))
        logger.info("catch-up: {} days from {} to {}", len(days), start, today)
        self.crawl_and_detect(CrawlRequest(latest=True, dates=days, **self._crawl_options()))

    def check(self) -> None:
        """One conditional request for the entry page while today's issue is awaited; a crawl only when the
        newest issue changed or today's appeared. Cheap enough to run every few minutes."""
        now = self.clock()
        today = local_today(now)
        if self.crawling.locked() or not self._awaiting(now, today):
            return  # a crawl under way will tell; or nothing awaited
        self.entry = check_entry(self.config.base_url or None, self.config.profile or None, self.entry)
        newest, stored = self.entry.newest, self._newest_stored()
        if newest is None:
            logger.warning("check: could not tell the newest issue ({}); the poll crawls today instead",
                           self.entry.error)  # fmt: skip
            return
        if newest == today or stored is None or newest > stored:
            logger.info("check: the site's newest issue is {} (stored: {}); crawling", newest, stored)
            pending = tuple(sorted({*self._incomplete_days(today), today} if newest == today else
                                   self._incomplete_days(today)))  # fmt: skip
            self.crawl_and_detect(CrawlRequest(latest=True, dates=pending, **self._crawl_options()))
        else:
            logger.debug("check: newest issue still {} ({})", newest, "304" if self.entry.not_modified else "200")

    def poll(self) -> None:
        now = self.clock()
        today = local_today(now)
        if not in_window(now, self.config.poll_start, self.config.poll_end):
            return
        pending = self._incomplete_days(today)
        if self._awaiting(now, today) and not self._checking():
            pending = tuple(sorted({*pending, today}))  # no cheap check (off, or the entry page unreadable)
        elif today.weekday() in self.config.publishing_days and self._status(today) == IssueStatus.INCOMPLETE:
            pending = tuple(sorted({*pending, today}))
        if pending:
            self.crawl_and_detect(CrawlRequest(latest=True, dates=pending, **self._crawl_options()))

    def _awaiting(self, now: datetime, today: date) -> bool:
        """Within the polling window, on a publishing day, today's issue not stored yet (or found missing)."""
        return (
            in_window(now, self.config.poll_start, self.config.poll_end)
            and today.weekday() in self.config.publishing_days
            and self._status(today) in (None, IssueStatus.NO_ISSUE)
        )

    def _checking(self) -> bool:
        return self.config.check_every_minutes > 0 and (self.entry is None or self.entry.newest is not None)

    def crawl_and_detect(self, request: CrawlRequest) -> CrawlReport | None:
        if self.stopping.is_set() or not self.crawling.acquire(blocking=False):
            return None  # stopping, or another job's crawl is under way: the next poll comes soon enough
        try:
            return self._crawl_and_detect(request)
        finally:
            self.crawling.release()

    def _crawl_and_detect(self, request: CrawlRequest) -> CrawlReport:
        report = crawl(request, self.engine, stop=self.stopping)
        self.crawls += 1
        crawl_run_alert(self.engine, self.settings, report.run_id)
        stored = report.stats.get("articles_new", 0) + report.stats.get("articles_updated", 0)
        logger.info("crawl run {}: {} ({} articles stored)", report.run_id, report.status, stored)
        if stored and not self.stopping.is_set():
            detected = detect(self.engine, self.watchlist, routes=self.settings.routes,
                              max_age_days=self.settings.alerts.max_age_days)  # fmt: skip
            logger.info("detect run {}: {} stories; {}", detected.run_id, detected.stories_processed,
                        render.alerts_outcome(detected))  # fmt: skip
            note = render.no_channel_note(detected.alerts, len(self.settings.channels), len(self.settings.routes))
            if note and not self.told_no_channel:
                logger.warning(note)
                self.told_no_channel = True
        return report

    def deliver(self) -> None:
        deliver_due(self.engine, self.settings, self.names, now=self.clock)

    def health(self) -> None:
        state = assess(self.engine, self.config, self.clock(), want_daemon=False)
        for name, why in self.settings.problems.items():  # the operator hears of a channel that cannot send
            state.conditions[f"channel {name}"] = f"{why}; its deliveries wait"
        health_alerts(self.engine, self.settings, state.conditions, local_today(self.clock()))

    def renew_lease(self) -> None:
        ttl = timedelta(seconds=self.config.lease_seconds)
        if leases.acquire(self.engine, LEASE, self.holder, ttl, self.clock()) is None:
            logger.error("lease lost to another daemon; stopping")
            self.stop()
            return
        leases.record_info(self.engine, LEASE, self.holder, {"next_runs": self.next_runs(), "crawls": self.crawls})

    # -- helpers ---------------------------------------------------------------------------------------------

    def next_runs(self) -> dict[str, Any]:
        return {job.id: job.next_run_time.isoformat(timespec="seconds") if job.next_run_time else None
                for job in self.scheduler.get_jobs()}  # fmt: skip

    def _crawl_options(self) -> dict[str, Any]:
        config = self.config
        return {
            "base_url": config.base_url or None, "profile": config.profile or None,
            "delay": config.crawl_delay_seconds if config.crawl_delay_seconds >= 0 else None,
            "concurrency": config.crawl_concurrency or None, "time_limit": config.crawl_timeout_minutes * 60,
        }  # fmt: skip

    def _newest_stored(self) -> date | None:
        with Session(self.engine) as session:
            return session.exec(select(col(Issue.issue_date)).where(Issue.status != IssueStatus.NO_ISSUE)
                                .order_by(col(Issue.issue_date).desc())).first()  # fmt: skip

    def _status(self, day: date) -> str | None:
        with Session(self.engine) as session:
            return session.exec(select(Issue.status).where(Issue.issue_date == day)).first()

    def _incomplete_days(self, today: date) -> tuple[date, ...]:
        since = today - timedelta(days=self.config.catch_up_days)
        with Session(self.engine) as session:
            rows = session.exec(select(col(Issue.issue_date)).where(Issue.status == IssueStatus.INCOMPLETE,
                                                                    Issue.issue_date >= since)).all()  # fmt: skip
        return tuple(sorted(rows))
