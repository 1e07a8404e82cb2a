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
from szwatch.app.settings import DaemonSettings, Settings, SourceSettings
from szwatch.app.sites import SiteAnswer, answers_info, stopped_sites
from szwatch.app.source_health import paper_names, provincial_papers
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
        self.sources = settings.watched()  # each paper is checked and polled on its own hours and days
        self.entries: dict[str, EntryCheck | None] = {}  # per paper: the entry page's last answer
        self.provincial = provincial_papers(settings)  # papers whose figures need 朔州 named to be Shuozhou's
        self.papers = paper_names(settings)  # alerts name their paper
        self.answers: dict[str, SiteAnswer] = {}  # per source: the newest issue its site last offered, and when
        self.several_sites = {s.paper for s in self.sources if sum(o.paper == s.paper for o in self.sources) > 1}
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
        self.scheduler.add_job(
            self.catch_up, id="catch-up", name="catch up missed days", next_run_time=datetime.now(SHANGHAI)
        )
        for source in self.sources:
            minutes, suffix = source.schedule, "" if len(self.sources) == 1 else f":{source.id}"
            self.scheduler.add_job(self.poll, "interval", args=(source,), id=f"poll{suffix}",
                                   name=f"complete incomplete issues of {source.id}",
                                   minutes=minutes.poll_every_minutes)  # fmt: skip
            if minutes.check_every_minutes > 0:
                self.scheduler.add_job(self.check, "interval", args=(source,), id=f"check{suffix}",
                                       name=f"is today's issue of {source.id} out?",
                                       minutes=minutes.check_every_minutes)  # fmt: skip
        self.scheduler.add_job(self.deliver, "interval", id="deliver", name="deliver alerts",
                               seconds=self.settings.delivery.poll_seconds)  # fmt: skip
        self.scheduler.add_job(self.health, "interval", id="health", name="health check",
                               minutes=minutes.health_every_minutes)  # fmt: skip
        self.scheduler.add_job(self.renew_lease, "interval", id="lease", name="renew lease",
                               seconds=max(1.0, self.config.lease_seconds / 3))  # fmt: skip

    # -- jobs ------------------------------------------------------------------------------------------------

    def catch_up(self) -> None:
        """Crawl each paper's days missed since its last stored issue (at most ``catch_up_days`` back)."""
        for source in self.sources:
            if self.stopping.is_set():
                return
            today = local_today(self.clock())
            first = today - timedelta(days=source.schedule.catch_up_days)
            with Session(self.engine) as session:
                last = session.exec(select(col(Issue.issue_date)).where(Issue.source == source.paper,
                                    Issue.status == IssueStatus.COMPLETE).order_by(col(Issue.issue_date).desc())
                                    ).first()  # fmt: skip
            start = max(first, last + timedelta(days=1)) if last else first
            days = tuple(start + timedelta(days=i) for i in range((today - start).days + 1))
            logger.info("catch-up of {}: {} days from {} to {}", source.id, len(days), start, today)
            self.crawl_and_detect(CrawlRequest(latest=True, dates=days, **self._crawl_options(source)))

    @property
    def entry(self) -> EntryCheck | None:
        """The first paper's last entry-page answer (the only one, unless several are watched)."""
        return self.entries.get(self.sources[0].id)

    def check(self, source: SourceSettings | None = None) -> None:
        """One conditional request for the paper's entry page while today's issue is awaited; a crawl only when
        the newest issue changed or today's appeared. Cheap enough to run every few minutes."""
        source = source or self.sources[0]
        now, config = self.clock(), source.schedule
        today = local_today(now)
        if self.crawling.locked():
            return  # a crawl under way will tell
        if not self._awaiting(source, now, today) and not self._site_unheard(source, now, today):
            return  # nothing awaited (and this site, if its paper has others, answered today)
        entry = check_entry(config.base_url or None, source.profile, self.entries.get(source.id))
        self.entries[source.id] = entry
        if entry.newest is not None:
            self.answers[source.id] = SiteAnswer(entry.newest, now)
        newest, stored = entry.newest, self._newest_stored(source.paper)
        if newest is None:
            logger.warning("check of {}: could not tell the newest issue ({}); the poll crawls today instead",
                           source.id, entry.error)  # fmt: skip
            return
        if newest == today or stored is None or newest > stored:
            logger.info("check of {}: the site's newest issue is {} (stored: {}); crawling", source.id, newest, stored)
            incomplete = self._incomplete_days(source, today)
            pending = tuple(sorted({*incomplete, today} if newest == today else incomplete))
            self.crawl_and_detect(CrawlRequest(latest=True, dates=pending, **self._crawl_options(source)))
        else:
            logger.debug("check of {}: newest issue still {} ({})", source.id, newest,
                         "304" if entry.not_modified else "200")  # fmt: skip

    def poll(self, source: SourceSettings | None = None) -> None:
        source = source or self.sources[0]
        now, config = self.clock(), source.schedule
        today = local_today(now)
        if not in_window(now, config.poll_start, config.poll_end):
            return
        pending = self._incomplete_days(source, today)
        if self._awaiting(source, now, today) and not self._checking(source):
            pending = tuple(sorted({*pending, today}))  # no cheap check (off, or the entry page unreadable)
        elif today.weekday() in config.publishing_days and self._status(source.paper, today) == IssueStatus.INCOMPLETE:
            pending = tuple(sorted({*pending, today}))
        if pending:
            self.crawl_and_detect(CrawlRequest(latest=True, dates=pending, **self._crawl_options(source)))

    def _awaiting(self, source: SourceSettings, now: datetime, today: date) -> bool:
        """Within the paper's polling window, on its publishing day, today's issue not stored yet (or missing)."""
        config = source.schedule
        return (
            in_window(now, config.poll_start, config.poll_end)
            and today.weekday() in config.publishing_days
            and self._status(source.paper, today) in (None, IssueStatus.NO_ISSUE)
        )

    def _site_unheard(self, source: SourceSettings, now: datetime, today: date) -> bool:
        """A site of a paper with several, not heard from today: asked once a day in its window even when another
        site gave today's issue already, so that a site that stopped is noticed."""
        answer = self.answers.get(source.id)
        in_hours = in_window(now, source.schedule.poll_start, source.schedule.poll_end)
        return source.paper in self.several_sites and in_hours and (answer is None or local_today(answer.at) < today)

    def _checking(self, source: SourceSettings) -> bool:
        entry = self.entries.get(source.id)
        return source.schedule.check_every_minutes > 0 and (entry is None or entry.newest is not None)

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
                              max_age_days=self.settings.alerts.max_age_days, provincial=self.provincial,
                              papers=self.papers)  # fmt: skip
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
        conditions = {**state.conditions, **stopped_sites(self.sources, self.answers)}  # this process knows best
        health_alerts(self.engine, self.settings, conditions, local_today(self.clock()))

    def renew_lease(self) -> None:
        ttl = timedelta(seconds=self.config.lease_seconds)
        if leases.acquire(self.engine, LEASE, self.holder, ttl, self.clock()) is None:
            logger.error("lease lost to another daemon; stopping")
            self.stop()
            return
        info = {"next_runs": self.next_runs(), "crawls": self.crawls, "sites": answers_info(self.sources, self.answers)}
        leases.record_info(self.engine, LEASE, self.holder, info)

    # -- helpers ---------------------------------------------------------------------------------------------

    def next_runs(self) -> dict[str, Any]:
        return {job.id: job.next_run_time.isoformat(timespec="seconds") if job.next_run_time else None
                for job in self.scheduler.get_jobs()}  # fmt: skip

    def _crawl_options(self, source: SourceSettings) -> dict[str, Any]:
        config: DaemonSettings = source.schedule
        return {
            "base_url": config.base_url or None, "profile": source.profile,
            "delay": config.crawl_delay_seconds if config.crawl_delay_seconds >= 0 else None,
            "concurrency": config.crawl_concurrency or None, "time_limit": config.crawl_timeout_minutes * 60,
        }  # fmt: skip

    def _newest_stored(self, source: str) -> date | None:
        with Session(self.engine) as session:
            return session.exec(select(col(Issue.issue_date)).where(Issue.source == source,
                                Issue.status != IssueStatus.NO_ISSUE).order_by(col(Issue.issue_date).desc())
                                ).first()  # fmt: skip

    def _status(self, source: str, day: date) -> str | None:
        with Session(self.engine) as session:
            return session.exec(select(Issue.status).where(Issue.source == source, Issue.issue_date == day)).first()

    def _incomplete_days(self, source: SourceSettings, today: date) -> tuple[date, ...]:
        since = today - timedelta(days=source.schedule.catch_up_days)
        with Session(self.engine) as session:
            rows = session.exec(select(col(Issue.issue_date)).where(Issue.source == source.paper,
                                Issue.status == IssueStatus.INCOMPLETE, Issue.issue_date >= since)).all()  # fmt: skip
        return tuple(sorted(rows))
