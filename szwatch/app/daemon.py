"""``szwatch run``: the always-on daemon (APScheduler 3), one per database.

Jobs have fixed ids and run one at a time each (``max_instances=1``, missed runs coalesced, never dropped
for lateness). Nothing the daemon needs after a restart lives in the scheduler: crawl outcomes, issue
statuses and the outbox are in our database, and each job works out from them what is missing — the
catch-up job at start crawls the days since the last stored issue, the check job asks the site with one
cheap conditional request whether today's issue is out and crawls only when it is, the poll job completes
incomplete issues, the delivery job sends whatever is due (daily digests included: their hour is in the rows).

Alerts as articles land: the land job looks at the store every ``detect_every_seconds`` and, when a crawl
(this daemon's child today, a job on another machine tomorrow: it only reads the store) has stored articles
since the last detection, detects those stories and delivers their alerts at once, instead of waiting for the
whole issue. The detection after each crawl stays, as the final pass over everything; the two never run at the
same time, and the outbox's keys make the second sight of a story (its continuation arrived) add nothing.
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
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col, select

from szwatch.app import cli_text as render
from szwatch.app.health import LEASE, assess, in_window
from szwatch.app.settings import CrawlSettings, DaemonSettings, Settings, SourceSettings
from szwatch.app.sites import SiteAnswer, answers_info, stopped_sites
from szwatch.app.source_health import paper_names, provincial_papers
from szwatch.common.clock import SHANGHAI, local_today
from szwatch.common.config import ConfigError
from szwatch.crawler.dispatch import Dispatcher, LocalDispatcher
from szwatch.crawler.priority import shortest_words
from szwatch.crawler.probe import EntryCheck, check_entry
from szwatch.crawler.run import CrawlReport, CrawlRequest
from szwatch.monitor.alerts import heartbeat as heartbeats
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.alerts.operator import crawl_run_alert, health_alerts
from szwatch.monitor.detection.detect import DetectReport, detect
from szwatch.monitor.detection.watchlist import Watchlist, load_watchlist
from szwatch.store import alerts as store_alerts
from szwatch.store import leases, operations, runs
from szwatch.store.db import session_scope
from szwatch.store.findings.landing import LandingFloor, articles_above
from szwatch.store.models import Issue, IssueStatus, utcnow

CHECK_REQUESTS_SECONDS = 5  # how often the daemon looks for "check now" asked in the web view
WATCHED_CHARS = 4_000  # watched words handed to a crawl to order its requests by (a hint on its command line)


def watched_words(watchlist: Watchlist) -> tuple[str, ...]:
    """The watches' names and aliases a crawl fetches articles for first (shortest first, within a bound)."""
    return shortest_words((n for w in watchlist.watches for n in (w.name, *w.aliases)), WATCHED_CHARS)


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
        self.detecting = threading.Lock()  # one detection at a time: the land job's or the one after a crawl
        self.floor = LandingFloor()  # every article at or below it has been read by a detection
        self.watched = watched_words(watchlist)
        self.sources = settings.watched()  # each paper is checked and polled on its own hours and days
        self.entries: dict[str, EntryCheck | None] = {}  # per paper: the entry page's last answer
        self.provincial = provincial_papers(settings)  # papers whose figures need 朔州 named to be Shuozhou's
        self.papers = paper_names(settings)  # alerts name their paper
        self.answers: dict[str, SiteAnswer] = {}  # per source: the newest issue its site last offered, and when
        self.several_sites = {s.paper for s in self.sources if sum(o.paper == s.paper for o in self.sources) > 1}
        self.told_no_channel = False
        self.dispatcher = make_dispatcher(settings.crawl, engine, on_node_down=self._node_down)

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
        self.scheduler.add_job(self.checks_asked, "interval", id="check-now", name="checks asked for in the web view",
                               seconds=CHECK_REQUESTS_SECONDS)  # fmt: skip
        for at in sorted({r.heartbeat for r in self.settings.routes if r.heartbeat}):
            hour, minute = (int(part) for part in at.split(":"))
            self.scheduler.add_job(self.heartbeat, "cron", args=(at,), id=f"heartbeat:{at}", hour=hour,
                                   minute=minute, name=f"daily report at {at} (Asia/Shanghai)")  # fmt: skip
        self.scheduler.add_job(self.deliver, "interval", id="deliver", name="deliver alerts",
                               seconds=self.settings.delivery.poll_seconds)  # fmt: skip
        if self.config.detect_every_seconds > 0:
            self.scheduler.add_job(self.land, "interval", id="land", name="detect articles as they land",
                                   seconds=self.config.detect_every_seconds)  # fmt: skip
        self.scheduler.add_job(self.health, "interval", id="health", name="health check",
                               minutes=minutes.health_every_minutes)  # fmt: skip
        self.scheduler.add_job(self.renew_lease, "interval", id="lease", name="renew lease",
                               seconds=max(1.0, self.config.lease_seconds / 3))  # fmt: skip

    # -- jobs ------------------------------------------------------------------------------------------------

    def catch_up(self) -> None:
        """Crawl each paper's days missed since its last stored issue (at most ``catch_up_days`` back): one paper
        after the other here, all of them at once when Scrapyd nodes crawl."""
        if self.settings.crawl.dispatcher != "local":
            self.crawl_and_detect(*(self._catch_up_request(source) for source in self.sources))
        else:
            for source in self.sources:
                if self.stopping.is_set():
                    return
                self.crawl_and_detect(self._catch_up_request(source))
        if not self.stopping.is_set():
            self.heartbeat()  # started after a route's hour: today's report still goes (once: its key has the day)

    def _catch_up_request(self, source: SourceSettings) -> CrawlRequest:
        today = local_today(self.clock())
        first = today - timedelta(days=source.schedule.catch_up_days)
        with Session(self.engine) as session:
            last = session.exec(select(col(Issue.issue_date)).where(Issue.source == source.paper,
                                Issue.status == IssueStatus.COMPLETE).order_by(col(Issue.issue_date).desc())
                                ).first()  # fmt: skip
        start = max(first, last + timedelta(days=1)) if last else first
        days = tuple(start + timedelta(days=i) for i in range((today - start).days + 1))
        logger.info("catch-up of {}: {} days from {} to {}", source.id, len(days), start, today)
        return CrawlRequest(latest=True, dates=days, **self._crawl_options(source))

    def heartbeat(self, at: str | None = None) -> None:
        """Queue the daily report of the routes whose ``heartbeat`` is ``at`` (all whose hour has passed, without
        ``at``); the delivery job sends it."""
        moment = self.clock()
        routes = heartbeats.due_routes(self.settings.routes, moment, at)
        if routes:
            papers: dict[str, heartbeats.Paper] = {}
            for source in self.sources:
                several = source.paper in self.several_sites  # any of its sites: the day's last crawl of one
                papers.setdefault(source.paper, heartbeats.Paper(source.paper, source.name,
                                                                 "" if several else source.base_url))  # fmt: skip
            heartbeats.raise_heartbeats(self.engine, routes, list(papers.values()), moment)

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

    def checks_asked(self) -> None:
        """A "check now" asked in the web view: crawl the paper's incomplete days and today, whatever the hour.
        While another crawl runs the requests wait (they are taken only when this job can crawl at once)."""
        if self.crawling.locked():
            return
        with session_scope(self.engine) as session:
            asked = operations.take_checks(session, [s.id for s in self.sources], self.clock())
        for source in (s for s in self.sources if s.id in asked):
            logger.info("check of {} asked for in the web view; crawling", source.id)
            today = local_today(self.clock())
            pending = tuple(sorted({*self._incomplete_days(source, today), today}))
            self.crawl_and_detect(CrawlRequest(latest=True, dates=pending, **self._crawl_options(source)))

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

    def crawl_and_detect(self, *requests: CrawlRequest) -> list[CrawlReport]:
        """Crawl (through the dispatcher: here, or on Scrapyd nodes, papers side by side), then detect once."""
        if self.stopping.is_set() or not self.crawling.acquire(blocking=False):
            return []  # stopping, or another job's crawl is under way: the next poll comes soon enough
        try:
            return self._crawl_and_detect(requests)
        finally:
            self.crawling.release()

    def _crawl_and_detect(self, requests: tuple[CrawlRequest, ...]) -> list[CrawlReport]:
        reports = self.dispatcher.run(requests, stop=self.stopping)
        stored = sum(self._crawled(report) for report in reports)
        if stored and not self.stopping.is_set():
            with self.detecting:
                started, newest = self.clock(), self._newest_article()
                target = self.floor.target(started) if self.floor.after is not None else newest
                above = self._above(target)
                detected = self._detect()  # the final pass reads everything landed by now
                self.floor.passed(started, newest, target, above)
            if detected.alerts:
                self.deliver()
        return reports

    def _crawled(self, report: CrawlReport) -> int:
        """Count and log a crawl run, alert the operator if it went badly; the articles it stored."""
        self.crawls += 1
        crawl_run_alert(self.engine, self.settings, report.run_id)
        stored = int(report.stats.get("articles_new", 0) + report.stats.get("articles_updated", 0))
        logger.info("crawl run {}: {} ({} articles stored)", report.run_id, report.status, stored)
        return stored

    def land(self) -> None:
        """Detect the stories stored since the last detection and deliver their alerts now (see the module's
        note). Cheap when nothing landed: one look at the articles above the floor (``store/findings/landing.py``:
        a writer may commit a lower id after a higher one, so the floor trails and a late commit is still read)."""
        started, newest = self.clock(), self._newest_article()
        if self.floor.after is None:
            self.floor.after = newest  # at start: what is stored already is the catch-up's to detect
            return
        if self.stopping.is_set() or not self.detecting.acquire(blocking=False):
            return
        try:
            target = self.floor.target(started)
            above = self._above(target)  # before looking below it: what lands after this is seen next time
            if not self.floor.due(self._above(self.floor.after)):
                self.floor.after, self.floor.seen = target, above  # nothing landed since the last pass read
                return
            detected = self._detect(landed_after=self.floor.after)
            self.floor.passed(started, newest, target, above)
        finally:
            self.detecting.release()
        if detected.alerts:
            self.deliver()

    def _detect(self, landed_after: int | None = None) -> DetectReport:
        self._reload_watchlist()
        detected = detect(self.engine, self.watchlist, routes=self.settings.routes, provincial=self.provincial,
                          max_age_days=self.settings.alerts.max_age_days, landed_after=landed_after,
                          papers=self.papers)  # fmt: skip
        if detected.run_id is not None:
            logger.info("detect run {}{}: {} stories; {}", detected.run_id, " (landed)" if landed_after else "",
                        detected.stories_processed, render.alerts_outcome(detected))  # fmt: skip
        note = render.no_channel_note(detected.alerts, len(self.settings.channels), len(self.settings.routes))
        if note and not self.told_no_channel:
            logger.warning(note)
            self.told_no_channel = True
        return detected

    def _newest_article(self) -> int:
        with Session(self.engine) as session:
            return store_alerts.newest_article_id(session)

    def _above(self, after_id: int) -> tuple[int, int]:
        with Session(self.engine) as session:
            return articles_above(session, after_id)

    def deliver(self) -> None:
        deliver_due(self.engine, self.settings, self.names, now=self.clock)

    def health(self) -> None:
        state = assess(self.engine, self.config, self.clock(), want_daemon=False)
        for name, why in self.settings.problems.items():  # the operator hears of a channel that cannot send
            state.conditions[f"channel {name}"] = f"{why}；发往它的消息暂存等待"
        conditions = {**state.conditions, **stopped_sites(self.sources, self.answers),  # this process knows best
                      **self.dispatcher.conditions()}  # fmt: skip
        health_alerts(self.engine, self.settings, conditions, local_today(self.clock()))

    def _node_down(self, node: str, why: str) -> None:
        """A Scrapyd node went silent: the operator hears of it now, not at the next health check."""
        try:
            self.health()
        except Exception as exc:  # the alert waits for the health job; the crawl must go on
            logger.error("operator alert for Scrapyd node {} not recorded: {}", node, exc)

    def renew_lease(self) -> None:
        ttl = timedelta(seconds=self.config.lease_seconds)
        if leases.acquire(self.engine, LEASE, self.holder, ttl, self.clock()) is None:
            logger.error("lease lost to another daemon; stopping")
            self.stop()
            return
        info = {"next_runs": self.next_runs(), "crawls": self.crawls, "sites": answers_info(self.sources, self.answers)}
        leases.record_info(self.engine, LEASE, self.holder, info)

    # -- helpers ---------------------------------------------------------------------------------------------

    def _reload_watchlist(self) -> None:
        """A watchlist changed on disk (by hand, or saved in the web view) is used from the next detection on; one
        that no longer reads is logged with its file:line and the last good one goes on being used."""
        try:
            current = load_watchlist(self.watchlist.path)
        except ConfigError as exc:
            logger.error("watchlist not reloaded, the previous one stays in use: {}", exc)
            return
        if current.digest != self.watchlist.digest:
            logger.info("watchlist {} changed ({} → {}); detecting with {} watches", current.path,
                        self.watchlist.digest, current.digest, len(current.watches))  # fmt: skip
            self.watchlist, self.names = current, {w.id: w.name for w in current.watches}
            self.watched = watched_words(current)

    def next_runs(self) -> dict[str, Any]:
        return {job.id: job.next_run_time.isoformat(timespec="seconds") if job.next_run_time else None
                for job in self.scheduler.get_jobs()}  # fmt: skip

    def _crawl_options(self, source: SourceSettings) -> dict[str, Any]:
        config: DaemonSettings = source.schedule
        return {
            "base_url": config.base_url or None, "profile": source.profile,
            "delay": config.crawl_delay_seconds if config.crawl_delay_seconds >= 0 else None,
            "concurrency": config.crawl_concurrency or None, "time_limit": config.crawl_timeout_minutes * 60,
            "watched": self.watched,
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


def make_dispatcher(
    crawl: CrawlSettings, engine: Engine, on_node_down: Callable[[str, str], None] | None = None
) -> Dispatcher:
    """Today's child process, or the Scrapyd nodes of ``[crawl]`` (a node that goes silent calls ``on_node_down``)."""
    if crawl.dispatcher == "local":
        return LocalDispatcher(engine)
    from szwatch.crawler.dispatch.scrapyd import ScrapydDispatcher
    from szwatch.crawler.dispatch.scrapyd_api import ScrapydClient

    auth = (crawl.username, crawl.password) if crawl.username else None
    database = crawl.database or engine.url.render_as_string(hide_password=False)
    if make_url(database).get_backend_name() == "sqlite":
        logger.warning("[crawl] dispatcher = scrapyd on an SQLite file: only nodes on this machine can write to it; "
                       "give every node one PostgreSQL")  # fmt: skip
    return ScrapydDispatcher(engine, crawl.nodes, ScrapydClient(auth), database, crawl.poll_seconds,
                             crawl.cancel_on_shutdown, on_node_down)  # fmt: skip
