"""Navigation only: latest issue / dates → first page → page navigation → articles.

What a page says comes from the views in ``szwatch.crawler.pages``; what is already stored comes from
``KnownState``; storing is the pipeline's job. No selectors or SQL here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import scrapy
from loguru import logger
from scrapy import exceptions as scrapy_errors
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectError, ConnectionRefusedError, DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.python.failure import Failure

from szwatch.crawler.items import ArticleItem, IssueItem, PageItem, ProblemItem
from szwatch.crawler.known import KnownState
from szwatch.crawler.ledger import Ledger
from szwatch.crawler.pages import ArticleView, EntryView, PageShapeError, PageView, decode_body, generic_text_length
from szwatch.crawler.profile import SourceProfile
from szwatch.crawler.urls import SiteUrls
from szwatch.store.models import IssueStatus

# Failures that mean "nobody answered" (as opposed to an answer we did not like). Scrapy 2.13+ wraps
# Twisted's errors in its own types; both are listed so either version is understood.
UNREACHABLE: tuple[type[BaseException], ...] = (
    ConnectError, ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TwistedTimeoutError,
    *(
        getattr(scrapy_errors, name)
        for name in ("DownloadConnectionRefusedError", "CannotResolveHostError", "DownloadTimeoutError")
        if hasattr(scrapy_errors, name)
    ),
)  # fmt: skip


class PaperSpider(scrapy.Spider):
    name = "paper"

    def __init__(
        self,
        profile: SourceProfile,
        known: KnownState,
        base_url: str | None = None,
        dates: tuple[date, ...] = (),
        latest: bool = False,
        refresh: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.profile, self.known = profile, known
        self.urls = SiteUrls.for_profile(profile, base_url)
        self.dates, self.latest, self.refresh = dates, latest, refresh
        self.ledger = Ledger()

    async def start(self) -> AsyncIterator[Any]:
        if self.latest:
            yield scrapy.Request(self.urls.entry(), self.parse_entry, errback=self.entry_failed, dont_filter=True)
        for day in self.dates:
            for request in self._open_issue(day):
                yield request

    def _open_issue(self, day: date, url: str | None = None) -> Iterator[scrapy.Request]:
        url = url or self.urls.page(day)
        if self.known.status(day) == IssueStatus.COMPLETE and not self.refresh:
            logger.info("issue {} already complete in the store, skipped", day)
            self.ledger.skipped_complete.add(day)
            return
        if self.ledger.open(day, url):
            yield self._page_request(url, day, self.urls.first_page, 0)

    def _page_request(self, url: str, day: date, code: str, seq: int) -> scrapy.Request:
        return scrapy.Request(
            url, self.parse_page, errback=self.page_failed, cb_kwargs={"day": day, "code": code, "seq": seq}
        )

    def parse_entry(self, response: Response) -> Iterator[Any]:
        self.ledger.responses += 1
        view = EntryView(response.url, self._decode(response), self.profile)
        try:
            target = view.issue_url()
            found = self.urls.parse_page(target)
            if found is None:
                raise PageShapeError("a page URL matching urls.page_regex", target)
        except PageShapeError as exc:
            self.ledger.entry_failed = str(exc)
            yield ProblemItem("entry", response.url, str(exc))
            return
        logger.info("newest issue is {} ({})", found[0], target)
        yield from self._open_issue(found[0], target)

    def parse_page(self, response: Response, day: date, code: str, seq: int) -> Iterator[Any]:
        self.ledger.responses += 1
        progress = self.ledger.issues[day]
        view = PageView(response.url, self._decode(response, day), self.profile)
        yield from self._charset_problem(response, day)
        if code == self.urls.first_page:
            yield from self._first_page(view, day)
        nav = view.nav()
        name = next((link.name for link in nav if link.code == code), None)
        links = view.article_links()
        if _cut_off(response):
            progress.pages_failed.add(code)
            yield ProblemItem("truncated_html", response.url, "page HTML ends before </html>", day)
        yield PageItem(day, code, name, response.url, seq, links)
        progress.pages_done.add(code)
        if not links:
            yield ProblemItem("no_articles", response.url, "page lists no article links", day)
        yield from (ProblemItem("layout", response.url, note, day) for note in view.notes)
        yield from self._article_requests(links, day, code)

    def _first_page(self, view: PageView, day: date) -> Iterator[Any]:
        yield IssueItem(day, view.url, view.issue_no(), view.pages_declared(), view.masthead() or None)
        printed = view.issue_date()
        if printed and printed != day:
            yield ProblemItem("date_mismatch", view.url, f"masthead says {printed}, URL says {day}", day)
        nav = view.nav()
        if not nav:
            yield ProblemItem("layout", view.url, "no page navigation found; only this page is crawled", day)
        self.ledger.issues[day].pages_expected.update(link.code for link in nav)
        for seq, link in enumerate(nav):
            if link.code != self.urls.first_page:
                yield self._page_request(link.url, day, link.code, seq)

    def _article_requests(self, links: list[str], day: date, code: str) -> Iterator[scrapy.Request]:
        known = self.known.articles(day)
        fresh = [url for url in links if (self.refresh or url not in known) and url not in self.ledger.requested]
        self.ledger.requested.update(fresh)
        self.crawler.stats.inc_value("szwatch/articles_known_skipped", sum(url in known for url in links))
        logger.info("{} {}: {} articles listed, {} to fetch", day, code, len(links), len(fresh))
        for url in fresh:
            self.crawler.stats.inc_value("szwatch/article_requests")
            yield scrapy.Request(
                url, self.parse_article, errback=self.article_failed, cb_kwargs={"day": day, "code": code}
            )

    def parse_article(self, response: Response, day: date, code: str) -> Iterator[Any]:
        self.ledger.responses += 1
        html = self._decode(response, day)
        yield from self._charset_problem(response, day)
        if _cut_off(response):
            self.ledger.issues[day].articles_failed.add(response.url)
            yield ProblemItem("truncated_html", response.url, "article HTML ends before </html>; not stored", day)
            return
        view = ArticleView(response.url, html, self.profile)
        item = self._article_item(view, day, code)
        yield from self._article_problems(view, item, day)
        yield item

    def _article_item(self, view: ArticleView, day: date, code: str) -> ArticleItem:
        found = self.urls.parse_article(view.url)
        return ArticleItem(
            issue_date=day, page_code=code, url=view.url, number=found[1] if found else view.url,
            title=view.title(), paragraphs=view.paragraphs(), raw_paragraphs=view.raw_paragraphs(),
            kicker=view.kicker(), subtitle=view.subtitle(), byline=view.byline(), pictures=view.pictures(),
            continued_to=view.continued_to(), continued_from=view.continued_from(),
            truncation_suspect=self._looks_truncated(view),
        )  # fmt: skip

    def _article_problems(self, view: ArticleView, item: ArticleItem, day: date) -> Iterator[ProblemItem]:
        if not item.title:
            yield ProblemItem("no_title", view.url, "no title found by article.title", day)
        if not item.paragraphs:
            yield ProblemItem("no_body", view.url, "no paragraphs found by article.paragraphs", day)
        if item.truncation_suspect:
            yield ProblemItem("truncated", view.url, "body much shorter than a generic extractor finds", day)
        yield from (ProblemItem("layout", view.url, note, day) for note in view.notes)

    def _looks_truncated(self, view: ArticleView) -> bool:
        """Is our body much shorter than what a generic extractor (trafilatura) finds on the page?

        The generic extractor cannot find more text than the page shows, so when even all visible text
        could not make our body look short, the (costly) extractor is not asked: same verdict, less work.
        """
        ours, ratio = view.body_length(), self.profile.quality["truncation_ratio"]
        min_missing = self.profile.quality["truncation_min_missing"]
        ceiling = view.visible_text_length()
        if ceiling - ours < min_missing or ours >= ceiling * ratio:
            return False
        generic = generic_text_length(view.html)
        return generic - ours >= min_missing and ours < generic * ratio

    def _decode(self, response: Response, day: date | None = None) -> str:
        content_type = response.headers.get("Content-Type", b"").decode("latin-1") or None
        decoded = decode_body(response.body, content_type, self.profile.charset["fallbacks"])
        response.meta["szwatch_charset_note"] = decoded.note
        return decoded.text

    def _charset_problem(self, response: Response, day: date) -> Iterator[ProblemItem]:
        note = response.meta.get("szwatch_charset_note")
        if note:
            yield ProblemItem("charset", response.url, note, day)

    def entry_failed(self, failure: Failure) -> Iterator[ProblemItem]:
        self.ledger.entry_failed = _reason(failure)
        self._count_failure(failure)
        yield ProblemItem("entry", failure.request.url, _reason(failure))

    def page_failed(self, failure: Failure) -> Iterator[ProblemItem]:
        day, code = failure.request.cb_kwargs["day"], failure.request.cb_kwargs["code"]
        self._count_failure(failure)
        if code == self.urls.first_page and _status(failure) == 404:
            logger.info("no paper on {} (404)", day)
            self.ledger.issues[day].no_issue = True
            return
        self.ledger.issues[day].pages_failed.add(code)
        yield ProblemItem("fetch_failed", failure.request.url, _reason(failure), day)

    def article_failed(self, failure: Failure) -> Iterator[ProblemItem]:
        day = failure.request.cb_kwargs["day"]
        self._count_failure(failure)
        self.ledger.issues[day].articles_failed.add(failure.request.url)
        yield ProblemItem("fetch_failed", failure.request.url, _reason(failure), day)

    def _count_failure(self, failure: Failure) -> None:
        if failure.check(HttpError):
            self.ledger.responses += 1
        elif failure.check(*UNREACHABLE):
            self.ledger.connection_failures += 1


def _status(failure: Failure) -> int | None:
    return failure.value.response.status if failure.check(HttpError) else None


def _reason(failure: Failure) -> str:
    status = _status(failure)
    if status is not None:
        return f"HTTP {status}"
    return f"{type(failure.value).__name__}: {failure.getErrorMessage()}"


def _cut_off(response: Response) -> bool:
    """A document that stops before its closing tag was cut in transit or by the server."""
    return b"</html>" not in response.body[-512:].lower()
