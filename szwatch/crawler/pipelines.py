"""Persistence: items from the spider into the store, and the crawl run's verdict at the end.

Nothing raised while storing one item may cost another: a batch of articles that fails is stored again
one by one, and an article that still cannot be stored becomes a problem on its URL that leaves its issue
incomplete. At the end the ledger's promise is checked (every listed article stored or failed with a
reason) before any issue may be called complete.

Articles land as they come: a batch is written when it is full or, at the latest, ``FLUSH_SECONDS`` after its
first article arrived, so that detection (which watches the store, wherever the crawl runs) can alert on an
article while the rest of its issue is still being fetched. A batch holding a part of a continued story
(下转/上接) joins the parts that are stored in the same transaction, so a story is never detected in pieces.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from loguru import logger
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response
from sqlalchemy.engine import Engine
from sqlmodel import Session
from twisted.internet import task
from twisted.python.failure import Failure

from szwatch.crawler.items import ArticleItem, IssueItem, PageItem, ProblemItem, describe
from szwatch.crawler.ledger import Ledger
from szwatch.store import articles, runs
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import make_engine, session_scope
from szwatch.store.models import Issue, IssueStatus, RunStatus

BATCH = 100  # articles per transaction; a crash loses at most these, and the issue stays incomplete
FLUSH_SECONDS = 1.0  # … and an article waits at most about this long to be written


@dataclass(frozen=True)
class Pending:
    day: date
    issue_id: int
    page_id: int
    record: ArticleRecord


# What a store that refuses every write says (a full disk; a database that went away): the crawl stops at the
# first one instead of failing, and logging, each further item the same way.
STORE_DOWN = ("database or disk is full", "disk i/o error", "server closed the connection", "terminating connection",
              "connection refused", "connection is closed", "could not connect")  # fmt: skip


class StorePipeline:
    """Writes each item in its own short transaction (articles in batches), so a crash loses little."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.engine: Engine = make_engine(crawler.settings["SZWATCH_DB"])
        self.run_id: int = crawler.settings.getint("SZWATCH_RUN_ID")
        self.source: str = crawler.settings["SZWATCH_SOURCE"]
        self.outcomes: Counter[str] = Counter()
        self.problems: Counter[str] = Counter()
        self.problem_kinds: set[tuple[str, str]] = set()
        self.issue_ids: dict[date, int] = {}
        self.page_ids: dict[tuple[date, str], int] = {}
        self.pending: list[Pending] = []
        self.store_down: str | None = None  # why the store refuses writes, once it does
        self.flusher = task.LoopingCall(self._flush)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    @property
    def ledger(self) -> Ledger:
        return self.crawler.spider.ledger  # type: ignore[union-attr]

    def open_spider(self) -> None:
        looping = self.flusher.start(FLUSH_SECONDS, now=False)
        looping.addErrback(lambda failure: logger.error("articles are now written only by the hundred: the timed "
                                                        "write stopped ({})", failure.getErrorMessage()))  # fmt: skip

    def process_item(self, item: Any) -> Any:
        handlers: dict[type, Callable[[Any], None]] = {
            IssueItem: self._issue, PageItem: self._page, ArticleItem: self._article, ProblemItem: self._problem
        }  # fmt: skip
        handler = handlers[type(item)]
        try:
            handler(item)
        except Exception as exc:
            self._store_failed(item, exc)
        return item

    def _issue(self, item: IssueItem) -> None:
        with session_scope(self.engine) as session:
            issue = articles.upsert_issue(
                session, item.issue_date, item.url, self.source, issue_no=item.issue_no,
                pages_declared=item.pages_declared, masthead=item.masthead,
            )  # fmt: skip
            self.issue_ids[item.issue_date] = issue.id or 0

    def _page(self, item: PageItem) -> None:
        with session_scope(self.engine) as session:
            stored = self.issue_ids.get(item.issue_date)  # by its first page, usually: read, not written again
            issue = session.get(Issue, stored) if stored else None
            issue = issue or articles.upsert_issue(session, item.issue_date, item.url, self.source)
            page = articles.upsert_page(session, issue, item.code, item.url, item.name, item.seq, item.article_urls,
                                        image_url=item.image, pdf_url=item.pdf, number=item.number)  # fmt: skip
            self.issue_ids[item.issue_date] = issue.id or 0
            self.page_ids[(item.issue_date, item.code)] = page.id or 0

    def _article(self, item: ArticleItem) -> None:
        record = ArticleRecord(
            url=item.url, number=item.number, title=item.title, paragraphs=item.paragraphs,
            raw_paragraphs=item.raw_paragraphs, kicker=item.kicker, subtitle=item.subtitle, byline=item.byline,
            pictures=item.pictures, continued_to=item.continued_to, continued_from=item.continued_from,
            truncation_suspect=item.truncation_suspect,
        )  # fmt: skip
        page_id = self.page_ids.get((item.issue_date, item.page_code))
        if page_id is None:
            raise LookupError(f"its page {item.page_code} of {item.issue_date} was not stored")
        self.pending.append(Pending(item.issue_date, self.issue_ids[item.issue_date], page_id, record))
        if len(self.pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        try:
            with session_scope(self.engine) as session:
                outcomes = articles.save_articles(session, [(p.issue_id, p.page_id, p.record) for p in batch])
                _link_continued(session, batch)
        except Exception as exc:
            if self._store_down(exc):
                for pending in batch:
                    self.ledger.failed(pending.day, pending.record.url, "store_failed")
                return
            logger.warning("{} articles could not be stored together ({}); storing them one by one", len(batch),
                           describe(exc))  # fmt: skip
            self._flush_one_by_one(batch)
        else:
            self._stored(batch, outcomes)
        logger.info("{} articles stored so far ({})", sum(self.outcomes.values()), dict(self.outcomes))

    def _flush_one_by_one(self, batch: list[Pending]) -> None:
        for pending in batch:
            try:
                with session_scope(self.engine) as session:
                    outcome = articles.save_articles(session, [(pending.issue_id, pending.page_id, pending.record)])
                    _link_continued(session, [pending])
            except Exception as exc:
                self.ledger.failed(pending.day, pending.record.url, "store_failed")
                if not self._store_down(exc):
                    self._problem(ProblemItem("store_failed", pending.record.url, f"storing raised {describe(exc)}",
                                              pending.day, "article"))  # fmt: skip
            else:
                self._stored([pending], outcome)

    def _stored(self, batch: list[Pending], outcomes: list[str]) -> None:
        self.outcomes.update(outcomes)
        for pending in batch:
            self.ledger.stored(pending.day, pending.record.url)

    def _problem(self, item: ProblemItem) -> None:
        self.problems[item.kind] += 1
        first = (item.kind, item.detail) not in self.problem_kinds  # the same problem again is logged, quieter
        self.problem_kinds.add((item.kind, item.detail))
        if self.store_down is None:  # once the store refuses writes, its one line has said why
            logger.log("WARNING" if first else "INFO", "problem {} at {}: {}", item.kind, item.url, item.detail)
        try:
            with session_scope(self.engine) as session:
                runs.add_problem(session, self.run_id, item.kind, item.url, item.detail, item.issue_date, item.subject)
        except Exception as exc:  # the count above still makes the run end with "problems"
            if not self._store_down(exc):
                logger.error("problem at {} could not be recorded: {}", item.url, describe(exc))

    def _store_failed(self, item: Any, exc: Exception) -> None:
        """An item the store refused: its article (or page, or issue) has not landed; the issue stays open."""
        if isinstance(item, ProblemItem):
            if not self._store_down(exc):
                logger.error("problem at {} could not be recorded: {}", item.url, describe(exc))
            return
        what = {IssueItem: "issue", PageItem: "page", ArticleItem: "article"}[type(item)]
        if isinstance(item, ArticleItem):
            self.ledger.failed(item.issue_date, item.url, "store_failed")
        elif isinstance(item, PageItem):
            self.ledger.page_failed(item.issue_date, item.code)
        else:
            self.ledger.page_failed(item.issue_date, "(issue)")
        if not self._store_down(exc):
            self._problem(ProblemItem("store_failed", item.url, f"storing the {what} raised {describe(exc)}",
                                      item.issue_date, what))  # fmt: skip

    def _store_down(self, exc: Exception) -> bool:
        """Is the store refusing every write? Then the crawl stops once, with one line, and ends interrupted:
        what landed is stored, the listed articles not stored keep their issues incomplete, the next crawl
        completes them."""
        detail = describe(exc)
        if not any(words in detail.lower() for words in STORE_DOWN):
            return False
        if self.store_down is None:
            self.store_down = detail
            self.ledger.stop_reason = f"the store refuses writes: {detail}"
            logger.error("crawl stops: the store refuses writes: {}", detail)
            with warnings.catch_warnings():  # Scrapy 2.13 prefers close_spider_async; this one still works
                warnings.simplefilter("ignore")
                self.crawler.engine.close_spider(self.crawler.spider, "store_unavailable")  # type: ignore[arg-type]
        return True

    def spider_error(self, failure: Failure, response: Response, spider: Spider) -> None:
        """A safety net: a callback error that escaped ``guarded`` (Scrapy's own processing of its output)."""
        kwargs = response.request.cb_kwargs if response.request is not None else {}
        day, url = kwargs.get("day"), kwargs.get("listed") or response.url
        subject = "article" if "listed" in kwargs else "page" if "code" in kwargs else "entry"
        if day is not None and subject == "article":
            self.ledger.failed(day, url, "exception")
        elif day is not None and subject == "page":
            self.ledger.page_failed(day, kwargs["code"])
        # A Failure always wraps an exception; Twisted types ``value`` as optional all the same.
        detail = describe(failure.value) if failure.value is not None else failure.getErrorMessage()
        self._problem(ProblemItem("exception", url, f"processing raised {detail}", day, subject))

    def close_spider(self) -> None:
        if self.flusher.running:
            self.flusher.stop()
        self._flush()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        """The verdict: account for every listed article, then each issue's status and the run's."""
        ledger = self.ledger
        self._flush()
        stopped = reason != "finished"
        if stopped and not ledger.stop_reason:
            ledger.stop_reason = f"stopped before the end ({reason})"
        not_fetched = self._account(ledger, stopped)
        try:
            statuses = self._finish_issues(ledger)
        except Exception as exc:  # the store still refuses writes: the issues keep their last recorded status
            if not self._store_down(exc):
                raise
            statuses = Counter()
        stats = self._stats(ledger, statuses, not_fetched)
        status: RunStatus
        error: str | None
        if stopped:
            status, error = RunStatus.INTERRUPTED, f"interrupted: {ledger.stop_reason}"
        elif ledger.unreachable:
            status, error = RunStatus.UNREACHABLE, ledger.entry_failed
        else:
            status, error = (RunStatus.PROBLEMS if sum(self.problems.values()) else RunStatus.OK), None
        try:
            with session_scope(self.engine) as session:
                runs.finish_run(session, self.run_id, status, stats, error)
        except Exception as exc:  # a full disk: the run stays "running" and is closed as interrupted by whoever looks
            if not self._store_down(exc):
                logger.error("crawl run {} could not record its result: {}", self.run_id, describe(exc))
        else:
            logger.info("crawl run {} finished: {}", self.run_id, status)
        self.engine.dispose()

    def _account(self, ledger: Ledger, stopped: bool) -> int:
        """Every listed article stored, already stored, or failed with a reason; the rest become problems."""
        missing = 0
        for day, progress in ledger.issues.items():
            for url in progress.unaccounted():
                missing += 1
                detail = (
                    "not fetched: the crawl was stopped before it got to it"
                    if stopped
                    else "listed on a page, but neither stored nor failed with a reason (a request was dropped)"
                )
                self._problem(ProblemItem("not_fetched", url, detail, day, "article"))
        if missing:
            logger.warning("{} listed articles were not accounted for; their issues stay incomplete", missing)
        return missing

    def _finish_issues(self, ledger: Ledger) -> Counter[str]:
        statuses: Counter[str] = Counter()
        with session_scope(self.engine) as session:
            for day, progress in ledger.issues.items():
                status = progress.status()
                issue = articles.set_issue_status(session, day, status, progress.first_page_url, self.source)
                statuses[status] += 1
                if status != IssueStatus.NO_ISSUE:
                    articles.link_stories(session, issue)
        return statuses

    def _stats(self, ledger: Ledger, statuses: Counter[str], not_fetched: int) -> dict[str, Any]:
        scrapy_stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        by_status = {
            key.rsplit("/", 1)[1]: value
            for key, value in scrapy_stats.items()
            if key.startswith("downloader/response_status_count/")
        }
        progress = ledger.issues.values()
        return {
            "issues_complete": statuses[IssueStatus.COMPLETE],
            "issues_incomplete": statuses[IssueStatus.INCOMPLETE],
            "issues_no_paper": statuses[IssueStatus.NO_ISSUE],
            "issues_skipped_complete": len(ledger.skipped_complete),
            "pages": len(self.page_ids),
            "articles_listed": sum(len(p.listed) for p in progress),
            "articles_new": self.outcomes["new"],
            "articles_updated": self.outcomes["updated"],
            "articles_unchanged": self.outcomes["unchanged"],
            "articles_from_other_site": self.outcomes["alternate"],
            "articles_known_skipped": scrapy_stats.get("szwatch/articles_known_skipped", 0),
            "articles_failed": sum(len(p.articles_failed) for p in progress),
            "articles_not_fetched": not_fetched,
            "requests": scrapy_stats.get("downloader/request_count", 0),
            "article_requests": scrapy_stats.get("szwatch/article_requests", 0),
            "retries": scrapy_stats.get("retry/count", 0),
            "responses_by_status": by_status,
            "bytes": scrapy_stats.get("downloader/response_bytes", 0),
            "problems": dict(self.problems),
        }


def _link_continued(session: Session, batch: list[Pending]) -> None:
    """Join the continued stories of the issues this batch adds a part to (see the module's note)."""
    continued = {p.issue_id for p in batch if p.record.continued_to or p.record.continued_from}
    for issue_id in sorted(continued):
        issue = session.get(Issue, issue_id)
        if issue is not None:
            articles.link_stories(session, issue)
