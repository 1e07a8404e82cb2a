"""Child process of ``szwatch.crawler.run``: one Scrapy crawl, then exit.

Called as ``python -m szwatch.crawler.worker`` it loads what a crawl needs and then reads its run from stdin
(``common.early_child``: started early, its start-up overlaps the parent's). Whatever happens, the run's row ends
with a verdict; an exception here marks it failed with the reason. While it works, the worker renews
the run's heartbeat, so that a worker killed outright is recognised by whoever looks next; and it stops (recording
what it has) when the process that started it is gone, rather than crawling on for nobody.
"""

from __future__ import annotations

import gc

# Loading Scrapy, Twisted, SQLAlchemy and the models makes hundreds of thousands of objects that live as long as the
# process, and no garbage: collections while they load, and every full collection of the crawl after, would go
# through them all again. So, as the crawl's child (whose start-up is the crawl's critical path: the parent waits
# for it), the collector is off while they load and they are then frozen out of its sight (below).
if __name__ == "__main__":
    gc.disable()

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

# First of Scrapy, on purpose: this module defines deprecated aliases through ``inspect.stack()``, which reads the
# source of every frame and looks each one's module up among all those loaded. Loaded later, as the crawl creates
# its downloader (deep in a stack, after the store's hundreds of modules), that cost about 0.1 s of CPU per crawl.
import scrapy.core.downloader.contextfactory  # noqa: F401
from loguru import logger
from scrapy.crawler import Crawler, CrawlerProcess
from sqlalchemy.engine import Engine

from szwatch.common.early_child import read_work
from szwatch.common.logs import configure_logging
from szwatch.crawler.items import describe
from szwatch.crawler.known import KnownState
from szwatch.crawler.profile import load_profile
from szwatch.crawler.run import CrawlRequest
from szwatch.crawler.settings import scrapy_settings
from szwatch.crawler.spiders.paper import PaperSpider
from szwatch.store import runs
from szwatch.store.db import make_engine, session_scope

if __name__ == "__main__":
    gc.freeze()
    gc.enable()


class ToLoguru(logging.Handler):
    """Scrapy and Twisted log through the standard ``logging`` module; their warnings and errors belong
    in our log, where people look ("Spider error processing …" used to be said only where nobody reads)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message} [{describe(record.exc_info[1])}]"
        logger.opt(depth=0).log(level, "{}: {}", record.name, message)


class Heartbeat(threading.Thread):
    """Renews the run's ``heartbeat_at``; calls ``on_orphaned`` once if the parent process goes away."""

    def __init__(self, engine: Engine, run_id: int, on_orphaned: Callable[[], None]) -> None:
        super().__init__(name="heartbeat", daemon=True)
        self.engine, self.run_id, self.on_orphaned = engine, run_id, on_orphaned
        self.parent = os.getppid()
        self.done = threading.Event()

    def run(self) -> None:
        every = runs.HEARTBEAT_EVERY.total_seconds()
        ticks = 0
        while not self.done.wait(0.5):
            if os.getppid() != self.parent:
                self.on_orphaned()
                return
            ticks += 1
            if ticks * 0.5 >= every:
                ticks = 0
                try:
                    with session_scope(self.engine) as session:
                        runs.beat(session, self.run_id)
                except Exception as exc:  # a busy database now and then must not end the crawl
                    logger.warning("heartbeat of crawl run {} not recorded: {}", self.run_id, describe(exc))


def take_over(engine: Engine, run_id: int, request: CrawlRequest, db_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Make the run this process's (pid, host), and give the Scrapy settings and the spider's arguments for its
    request: the local worker and the Scrapyd job (``dispatch.job``) crawl the same way from here on."""
    with session_scope(engine) as session:
        runs.attach_worker(session, run_id, os.getpid(), runs.this_host())
    profile = load_profile(request.profile)
    settings = scrapy_settings(
        profile, db_url, run_id, delay=request.delay, concurrency=request.concurrency,
        timeout=request.timeout, retries=request.retries, obey_robots=request.obey_robots,
    )  # fmt: skip
    spider_args = dict(
        profile=profile, known=KnownState(engine, profile.paper), base_url=request.base_url, dates=request.dates,
        latest=request.latest, refresh=request.refresh, watched=request.watched,
    )  # fmt: skip
    return settings, spider_args


def _assignment() -> tuple[int, CrawlRequest, str] | None:
    """The run to crawl: the line the parent writes when it is ready (None: it did not need this worker)."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends this one
    try:
        work = read_work(sys.stdin.readline())
    finally:
        signal.signal(signal.SIGINT, previous)
    return None if work is None else (int(work["run_id"]), CrawlRequest.from_json(work["request"]), work["db_url"])


def main() -> int:
    assignment = _assignment()
    if assignment is None:  # the parent did not need this worker after all
        return 0
    run_id, request, db_url = assignment
    configure_logging(request.log_level, json_lines=request.log_json)
    logging.getLogger().addHandler(ToLoguru(level=logging.WARNING))
    engine = make_engine(db_url)
    try:
        return _crawl(engine, run_id, request, db_url)
    finally:
        engine.dispose()  # closed here, not left to the exit (``gc.freeze`` below): SQLite tidies its log on close


def _crawl(engine: Engine, run_id: int, request: CrawlRequest, db_url: str) -> int:
    heartbeat: Heartbeat | None = None
    try:
        settings, spider_args = take_over(engine, run_id, request, db_url)
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(PaperSpider)
        process.crawl(crawler, **spider_args)
        heartbeat = Heartbeat(engine, run_id, lambda: _stop_orphan(process, crawler))
        heartbeat.start()
        _stop_on_signals(process, crawler)
        process.start(install_signal_handlers=False)
    except Exception as exc:
        logger.exception("crawl run {} failed", run_id)
        with session_scope(engine) as session:
            runs.fail_run(session, run_id, describe(exc))
        return 1
    finally:
        if heartbeat is not None:
            heartbeat.done.set()
    try:
        with session_scope(engine) as session:
            runs.fail_run(session, run_id, "crawler stopped before recording its result")
    except Exception as exc:  # a database that cannot be written (a full disk): said in one line, not a traceback
        logger.error("crawl run {}: the store cannot be written: {}", run_id, describe(exc))
        return 1
    return 0


def _stop_orphan(process: CrawlerProcess, crawler: Crawler) -> None:
    """Called from the heartbeat thread: wind the crawl down in the reactor's thread, keeping what landed."""
    from twisted.internet import reactor

    logger.warning("the szwatch process that started this crawl is gone; stopping and recording what landed")
    spider = crawler.spider
    if isinstance(spider, PaperSpider):
        spider.ledger.stop_reason = "the szwatch process that started it was killed"
    reactor.callFromThread(stop_now, process, crawler)


def _stop_on_signals(process: CrawlerProcess, crawler: Crawler) -> None:
    """SIGTERM (the parent's time limit or shutdown) and SIGINT (Ctrl-C reaches the whole process group) stop the
    crawl at once, in place of Scrapy's own handlers: see ``stop_now``."""
    from twisted.internet import reactor

    def stop(signum: int, _frame: Any) -> None:
        reactor.callFromThread(stop_now, process, crawler)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop)


def stop_now(process: CrawlerProcess, crawler: Crawler) -> None:
    """Stop the crawl and give up the downloads on the wire, so that the run is recorded within the parent's grace.

    Scrapy's graceful stop waits for every request in flight: against a hung site that is the whole download
    timeout (30 s), past the 15 s the parent grants before it kills the worker, and a killed worker records
    nothing of its issues: the articles it had listed were neither stored nor reported. Here the connections are
    cut (again every 0.2 s, as the downloader may open one for a request it had queued); what they were fetching
    is accounted for when the spider closes, as not fetched because the crawl was stopped."""
    from twisted.internet import task

    spider = crawler.spider
    if getattr(spider, "stopping", False):
        return  # a second signal: already stopping
    if isinstance(spider, PaperSpider):  # None: told to stop before the spider opened, which still stops it
        spider.stopping = True
    logger.info("stopping the crawl: the downloads in flight are given up and accounted for as not fetched")
    process.stop()
    task.LoopingCall(_cut_connections).start(0.2, now=True)


def _cut_connections() -> None:
    """Abort every HTTP connection of the reactor: in a worker, the crawl's are its only TCP clients (the store
    talks over blocking sockets of its own)."""
    from twisted.internet import reactor, tcp

    fds: Any = reactor  # an IReactorFDSet, which Twisted's stubs do not let mypy call
    for selectable in {*fds.getReaders(), *fds.getWriters()}:
        if isinstance(selectable, tcp.Client):
            selectable.abortConnection()


if __name__ == "__main__":
    code = main()
    # Everything is recorded and closed. What is left is Python's own tidying at exit: garbage collections over the
    # objects of Scrapy, Twisted and SQLAlchemy, about 0.3 s of CPU per crawl for memory the system frees at once.
    # Frozen objects are never collected again; atexit handlers, flushes and reference-counted finalisers still run.
    gc.freeze()
    sys.exit(code)
