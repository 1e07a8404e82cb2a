"""Persistence: items from the spider into the store, and the crawl run's verdict at the end."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from loguru import logger
from scrapy.crawler import Crawler
from sqlalchemy.engine import Engine

from szwatch.crawler.items import ArticleItem, IssueItem, PageItem, ProblemItem
from szwatch.crawler.ledger import Ledger
from szwatch.store import articles, runs
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import make_engine, session_scope
from szwatch.store.models import IssueStatus

BATCH = 100  # articles per transaction; a crash loses at most these, and the issue stays incomplete


class StorePipeline:
    """Writes each item in its own short transaction, so a crash loses at most the item in hand."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.engine: Engine = make_engine(crawler.settings["SZWATCH_DB"])
        self.run_id: int = crawler.settings.getint("SZWATCH_RUN_ID")
        self.source: str = crawler.settings["SZWATCH_SOURCE"]
        self.outcomes: Counter[str] = Counter()
        self.problems: Counter[str] = Counter()
        self.issue_ids: dict[date, int] = {}
        self.page_ids: dict[tuple[date, str], int] = {}
        self.pending: list[tuple[int, int, ArticleRecord]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        handler = {
            IssueItem: self._issue, PageItem: self._page, ArticleItem: self._article, ProblemItem: self._problem
        }[type(item)]  # fmt: skip
        handler(item)
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
            issue = articles.upsert_issue(session, item.issue_date, item.url, self.source)
            page = articles.upsert_page(session, issue, item.code, item.url, item.name, item.seq, item.article_urls)
            self.issue_ids[item.issue_date] = issue.id or 0
            self.page_ids[(item.issue_date, item.code)] = page.id or 0

    def _article(self, item: ArticleItem) -> None:
        record = ArticleRecord(
            url=item.url, number=item.number, title=item.title, paragraphs=item.paragraphs,
            raw_paragraphs=item.raw_paragraphs, kicker=item.kicker, subtitle=item.subtitle, byline=item.byline,
            pictures=item.pictures, continued_to=item.continued_to, continued_from=item.continued_from,
            truncation_suspect=item.truncation_suspect,
        )  # fmt: skip
        key = (item.issue_date, item.page_code)
        self.pending.append((self.issue_ids[item.issue_date], self.page_ids[key], record))
        if len(self.pending) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        with session_scope(self.engine) as session:
            self.outcomes.update(articles.save_articles(session, self.pending))
        self.pending = []
        logger.info("{} articles stored so far ({})", sum(self.outcomes.values()), dict(self.outcomes))

    def _problem(self, item: ProblemItem) -> None:
        self.problems[item.kind] += 1
        logger.warning("problem {} at {}: {}", item.kind, item.url, item.detail)
        with session_scope(self.engine) as session:
            runs.add_problem(session, self.run_id, item.kind, item.url, item.detail, item.issue_date)

    def close_spider(self) -> None:
        ledger: Ledger = self.crawler.spider.ledger  # type: ignore[union-attr]
        self._flush()
        statuses = self._finish_issues(ledger)
        stats = self._stats(ledger, statuses)
        status = "unreachable" if ledger.unreachable else "problems" if sum(self.problems.values()) else "ok"
        with session_scope(self.engine) as session:
            runs.finish_run(session, self.run_id, status, stats, ledger.entry_failed if ledger.unreachable else None)
        logger.info("crawl run {} finished: {}", self.run_id, status)
        self.engine.dispose()

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

    def _stats(self, ledger: Ledger, statuses: Counter[str]) -> dict[str, Any]:
        scrapy_stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        by_status = {
            key.rsplit("/", 1)[1]: value
            for key, value in scrapy_stats.items()
            if key.startswith("downloader/response_status_count/")
        }
        return {
            "issues_complete": statuses[IssueStatus.COMPLETE],
            "issues_incomplete": statuses[IssueStatus.INCOMPLETE],
            "issues_no_paper": statuses[IssueStatus.NO_ISSUE],
            "issues_skipped_complete": len(ledger.skipped_complete),
            "pages": len(self.page_ids),
            "articles_new": self.outcomes["new"],
            "articles_updated": self.outcomes["updated"],
            "articles_unchanged": self.outcomes["unchanged"],
            "articles_known_skipped": scrapy_stats.get("szwatch/articles_known_skipped", 0),
            "requests": scrapy_stats.get("downloader/request_count", 0),
            "article_requests": scrapy_stats.get("szwatch/article_requests", 0),
            "retries": scrapy_stats.get("retry/count", 0),
            "responses_by_status": by_status,
            "bytes": scrapy_stats.get("downloader/response_bytes", 0),
            "problems": dict(self.problems),
        }
