"""Navigation only: latest issue / dates → first page → page navigation → articles.

What a page says comes from the views in ``szwatch.crawler.pages``; what is already stored comes from
``KnownState``; storing is the pipeline's job. No selectors or SQL here.

Every callback is ``guarded``: whatever our code raises on one response becomes a problem on that URL
(with the exception's type, message and place), leaves its issue incomplete so the next crawl tries
again, and the crawl goes on. Scrapy would otherwise log "Spider error processing" where nobody reads it
and drop the article without a trace.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Iterator
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

from szwatch.crawler.items import ArticleItem, IssueItem, PageItem, ProblemItem, describe
from szwatch.crawler.known import KnownState
from szwatch.crawler.ledger import Ledger
from szwatch.crawler.pages import (
    ArticleView,
    EntryView,
    PageShapeError,
    PageView,
    decode_body,
    generic_text_length,
    is_short,
    needs_generic,
    page_for_number,
)
from szwatch.crawler.priority import Watched, article_priority, page_priority
from szwatch.crawler.profile import SourceProfile
from szwatch.crawler.urls import SiteUrls
from szwatch.store.models import IssueStatus

# Failures that mean "nobody answered" (as opposed to an answer we did not like). Scrapy 2.13+ wraps
# Twisted's errors in its own types; both are listed so either version is understood.
UNREACHABLE: tuple[type[BaseException], ...] = (
    ConnectError,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TwistedTimeoutError,
    *(
        getattr(scrapy_errors, name)
        for name in ("DownloadConnectionRefusedError", "CannotResolveHostError", "DownloadTimeoutError")
        if hasattr(scrapy_errors, name)
    ),
)
ENTRY_HOPS = 3  # an entry page may point at another entry-like page; this many are followed
BYLINE_MAX, NUMBER_MAX, URL_MAX = 256, 32, 512  # column sizes in the store (PostgreSQL refuses longer values)


def guarded(subject: str) -> Callable[[Callable[..., Iterator[Any]]], Callable[..., Iterator[Any]]]:
    """Turn an exception raised by a callback (or errback) into a problem on its URL; see the module doc."""

    def decorate(callback: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        @functools.wraps(callback)
        def run(spider: PaperSpider, answer: Response | Failure, **kwargs: Any) -> Iterator[Any]:
            try:
                yield from callback(spider, answer, **kwargs)
            except Exception as exc:
                yield from spider.raised(subject, callback.__name__, answer, kwargs, exc)

        return run

    return decorate


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
        watched: tuple[str, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.profile, self.known = profile, known
        self.urls = SiteUrls.for_profile(profile, base_url)
        self.dates, self.latest, self.refresh = dates, latest, refresh
        self.watched = Watched(watched)  # articles whose listing shows these words are fetched first
        self.ledger = Ledger()
        self.page_numbers: dict[date, dict[str, int]] = {}  # each issue's page list: page code → printed number
        self.generic_broken: str | None = None  # why the generic extractor cannot run here, once it failed
        self.stopping = False  # the crawl is being stopped: downloads in flight are given up (``worker.stop_now``)

    async def start(self) -> AsyncIterator[Any]:
        if self.latest:
            yield self._entry_request(self.urls.entry(), 0)
        for day in self.dates:
            for request in self._open_issue(day):
                yield request

    # -- requests ------------------------------------------------------------------------------------------

    def _entry_request(self, url: str, hops: int) -> scrapy.Request:
        return scrapy.Request(url, self.parse_entry, errback=self.entry_failed, dont_filter=True,
                              cb_kwargs={"hops": hops})  # fmt: skip

    def _open_issue(self, day: date, url: str | None = None, response: Response | None = None) -> Iterator[Any]:
        """Crawl an issue from its first page, unless complete already; ``response`` is that page if in hand."""
        url = url or self.urls.issue(day)
        if self.known.status(day) == IssueStatus.COMPLETE and not self.refresh:
            logger.info("issue {} already complete in the store, skipped", day)
            self.ledger.skipped_complete.add(day)
            return
        if not self.ledger.open(day, url):
            return
        if response is not None:
            yield from self.parse_page(response, day=day, code=self.urls.first_page, seq=0)
        else:
            yield self._page_request(url, day, self.urls.first_page, 0)

    def _page_request(self, url: str, day: date, code: str, seq: int) -> scrapy.Request:
        # dont_filter: the ledger already asks for each page once, and Scrapy's duplicate filter would drop
        # a page that an entry-page redirect already fetched, silently.
        return scrapy.Request(url, self.parse_page, errback=self.page_failed, dont_filter=True,
                              priority=page_priority(seq),
                              cb_kwargs={"day": day, "code": code, "seq": seq})  # fmt: skip

    # -- the newest issue ----------------------------------------------------------------------------------

    @guarded("entry")
    def parse_entry(self, response: Response, hops: int = 0) -> Iterator[Any]:
        """Find the newest issue whether or not Scrapy already followed the entry page's refresh."""
        self.ledger.responses += 1
        html = self._decode(response)
        yield from self._charset_problem(response, None, "entry")
        here = self.urls.parse_page(response.url)
        if here is not None:  # the refresh (or an HTTP redirect) was followed: this is the newest issue's page
            how = "redirect followed" if response.meta.get("redirect_urls") else "entry URL is an issue page"
            yield from self._newest(here[0], here[1], response.url, how, response)
            return
        try:
            target, how = EntryView(response.url, html, self.profile).newest_issue()
        except PageShapeError as exc:
            self.ledger.entry_failed = str(exc)
            yield ProblemItem("entry", response.url, str(exc), subject="entry")
            return
        found = self.urls.parse_page(target)
        if found is None:
            if hops < ENTRY_HOPS:
                logger.info("entry page {} points at {} ({}); following it", response.url, target, how)
                yield self._entry_request(target, hops + 1)
                return
            self.ledger.entry_failed = f"{how} points at {target}, which is not an issue page"
            yield ProblemItem("entry", response.url, self.ledger.entry_failed, subject="entry")
            return
        printed = PageView(response.url, html, self.profile).issue_date()
        if printed and printed != found[0]:
            yield ProblemItem("date_mismatch", response.url,
                              f"entry page masthead says {printed}, its {how} points at {found[0]}", found[0],
                              "entry")  # fmt: skip
        yield from self._newest(found[0], found[1], target, how)

    def _newest(self, day: date, code: str, url: str, how: str, response: Response | None = None) -> Iterator[Any]:
        logger.info("newest issue is {} ({}, {})", day, url, how)
        if code != self.urls.first_page:
            yield from self._open_issue(day)
        else:
            yield from self._open_issue(day, url, response)

    # -- pages ---------------------------------------------------------------------------------------------

    @guarded("page")
    def parse_page(self, response: Response, day: date, code: str, seq: int) -> Iterator[Any]:
        self.ledger.responses += 1
        progress = self.ledger.issues[day]
        if not response.body.strip():
            progress.pages_failed.add(code)
            yield ProblemItem("empty", response.url, f"HTTP {response.status} with an empty body", day, "page")
            return
        view = PageView(response.url, self._decode(response), self.profile)
        yield from self._charset_problem(response, day, "page")
        yield from (ProblemItem("markup", response.url, note, day, "page") for note in view.markup_notes)
        nav = view.nav()
        if code == self.urls.first_page:
            yield from self._first_page(view, day, nav)
        name = next((link.name for link in nav if link.code == code), None)
        links = view.article_links()
        if _cut_off(response):
            progress.pages_failed.add(code)
            yield ProblemItem("truncated_html", response.url, "page HTML ends before </html>", day, "page")
        printed = _clip(view.image(), URL_MAX), _clip(view.pdf(), URL_MAX)  # the page as printed, where offered
        number = self.page_numbers.get(day, {}).get(code)
        yield PageItem(day, code, name, response.url, seq, links, *printed, number=number)
        progress.pages_done.add(code)
        if not links:
            yield ProblemItem("no_articles", response.url, "page lists no article links", day, "page")
        yield from (ProblemItem("layout", response.url, note, day, "page") for note in view.notes)
        yield from self._article_requests(links, day, code, self._order(view, name, links, seq))

    def _first_page(self, view: PageView, day: date, nav: list[Any]) -> Iterator[Any]:
        yield IssueItem(day, view.url, view.issue_no(), view.pages_declared(), view.masthead() or None)
        printed = view.issue_date()
        if printed and printed != day:
            yield ProblemItem("date_mismatch", view.url, f"masthead says {printed}, URL says {day}", day, "page")
        if not nav:
            yield ProblemItem("layout", view.url, "no page navigation found; only this page is crawled", day, "page")
        self.ledger.issues[day].pages_expected.update(link.code for link in nav)
        self.page_numbers[day] = {link.code: link.number for link in nav if link.number is not None}
        for seq, link in enumerate(nav):
            if link.code != self.urls.first_page:
                yield self._page_request(link.url, day, link.code, seq)

    def _order(self, view: PageView, name: str | None, links: list[str], seq: int) -> dict[str, int]:
        """Each listed article's priority: those the listing shows watched words for first (see ``priority``)."""
        titles = view.article_titles() if self.watched else {}
        on_page = self.watched.seen_in(" ".join([name or "", *titles.values()])) if self.watched else False
        return {url: article_priority(seq, index, on_page, self.watched.seen_in(titles.get(url, "")))
                for index, url in enumerate(links)}  # fmt: skip

    def _article_requests(self, links: list[str], day: date, code: str,
                          priorities: dict[str, int]) -> Iterator[scrapy.Request]:  # fmt: skip
        known = set() if self.refresh else self.known.articles(day) & set(links)
        self.ledger.listed(day, code, links, known)
        fresh = [url for url in links if url not in known and url not in self.ledger.requested]
        self.ledger.requested.update(fresh)
        self.crawler.stats.inc_value("szwatch/articles_known_skipped", len(known))
        logger.info("{} {}: {} articles listed, {} to fetch", day, code, len(links), len(fresh))
        for url in fresh:
            self.crawler.stats.inc_value("szwatch/article_requests")
            yield scrapy.Request(url, self.parse_article, errback=self.article_failed, dont_filter=True,
                                 priority=priorities[url],
                                 cb_kwargs={"day": day, "code": code, "listed": url})  # fmt: skip

    # -- articles ------------------------------------------------------------------------------------------

    @guarded("article")
    def parse_article(self, response: Response, day: date, code: str, listed: str) -> Iterator[Any]:
        """One article, stored under the URL its page listed (a redirect does not rename it)."""
        self.ledger.responses += 1
        if not response.body.strip():
            self.ledger.failed(day, listed, "empty")
            yield ProblemItem("empty", listed, f"HTTP {response.status} with an empty body; not stored", day, "article")
            return
        if _cut_off(response):
            self.ledger.failed(day, listed, "truncated_html")
            yield ProblemItem("truncated_html", listed, "article HTML ends before </html>; not stored", day, "article")
            return
        view = ArticleView(response.url, self._decode(response), self.profile)
        yield from self._charset_problem(response, day, "article", listed)
        yield from (ProblemItem("markup", listed, note, day, "article") for note in view.markup_notes)
        cut = view.cut_mid_paragraph()
        suspect, check_note = self._looks_truncated(view)
        item = self._article_item(view, day, code, listed, suspect or cut is not None)
        if not item.title:
            yield ProblemItem("no_title", listed, "no title found by article.title", day, "article")
        if not item.paragraphs:
            yield ProblemItem("no_body", listed, "no paragraphs found by article.paragraphs", day, "article")
        if cut:
            self.ledger.issues[day].held_back.add(listed)
            yield ProblemItem("cut_off", listed, f"{cut}; stored as read, fetched again next crawl", day, "article")
        elif suspect:
            yield ProblemItem("truncated", listed, "body much shorter than a generic extractor finds", day, "article")
        if check_note:
            yield ProblemItem("check_failed", listed, check_note, day, "article")
        yield from (ProblemItem("layout", listed, note, day, "article") for note in view.notes)
        yield item

    def _article_item(self, view: ArticleView, day: date, code: str, listed: str, suspect: bool) -> ArticleItem:
        found = self.urls.parse_article(listed) or self.urls.parse_article(view.url)
        numbers = self.page_numbers.get(day, {})  # 下转第2版 is the page printed as 2, whatever its code
        return ArticleItem(
            issue_date=day, page_code=code, url=listed, number=(found[1] if found else listed)[:NUMBER_MAX],
            title=view.title(), paragraphs=view.paragraphs(), raw_paragraphs=view.raw_paragraphs(),
            kicker=view.kicker(), subtitle=view.subtitle(), byline=_clip(view.byline(), BYLINE_MAX),
            pictures=view.pictures(), continued_to=page_for_number(view.continued_to(), numbers),
            continued_from=page_for_number(view.continued_from(), numbers),
            truncation_suspect=suspect,
        )  # fmt: skip

    def _looks_truncated(self, view: ArticleView) -> tuple[bool, str | None]:
        """Is our body much shorter than what a generic extractor (trafilatura) finds on the page?

        The (costly) extractor is asked only when the page could make our body look short at all
        (``pages.needs_generic``). The check is a helper, not a gate: if the extractor cannot run (a missing
        module, an exception on odd markup), the article is stored all the same and the failure becomes a note.
        """
        if not needs_generic(view, self.profile.quality):
            return False, None
        if self.generic_broken:
            return False, self.generic_broken
        try:
            generic = generic_text_length(view.html)
        except ImportError as exc:  # it will not get better during this crawl: do not try each article again
            self.generic_broken = f"truncation check unavailable: {describe(exc)}"
            logger.error("{}; articles are stored without it", self.generic_broken)
            return False, self.generic_broken
        except Exception as exc:
            return False, f"truncation check failed: {describe(exc)}"
        return is_short(view.body_length(), generic, self.profile.quality), None

    # -- failures ------------------------------------------------------------------------------------------

    @guarded("entry")
    def entry_failed(self, failure: Failure) -> Iterator[ProblemItem]:
        if self._given_up(failure):
            return
        self.ledger.entry_failed = _reason(failure)
        self._count_failure(failure)
        yield ProblemItem("entry", _request_of(failure).url, _reason(failure), subject="entry")

    @guarded("page")
    def page_failed(self, failure: Failure) -> Iterator[ProblemItem]:
        if self._given_up(failure):
            return
        kwargs = _request_of(failure).cb_kwargs
        day, code = kwargs["day"], kwargs["code"]
        self._count_failure(failure)
        if code == self.urls.first_page and _status(failure) == 404:
            logger.info("no paper on {} (404)", day)
            self.ledger.issues[day].no_issue = True
            return
        self.ledger.page_failed(day, code)
        yield ProblemItem("fetch_failed", _request_of(failure).url, _reason(failure), day, "page")

    @guarded("article")
    def article_failed(self, failure: Failure) -> Iterator[ProblemItem]:
        if self._given_up(failure):
            return
        kwargs = _request_of(failure).cb_kwargs
        day, listed = kwargs["day"], kwargs["listed"]
        self._count_failure(failure)
        self.ledger.failed(day, listed, "fetch_failed")
        yield ProblemItem("fetch_failed", listed, _reason(failure), day, "article")

    def raised(
        self, subject: str, callback: str, answer: Response | Failure, kwargs: dict[str, Any], exc: Exception
    ) -> Iterator[ProblemItem]:
        """What ``guarded`` does with an exception: mark what it was about as failed, and say so."""
        request = _request_of(answer)
        kwargs = kwargs or dict(request.cb_kwargs)
        url = kwargs.get("listed") or request.url
        day: date | None = kwargs.get("day")
        detail = f"{callback} raised {describe(exc)}"
        logger.error("{} on {}: {}", "exception", url, detail)
        if subject == "article" and day is not None:
            self.ledger.failed(day, url, "exception")
        elif subject == "page" and day is not None:
            self.ledger.page_failed(day, kwargs.get("code", "?"))
        elif subject == "entry":
            self.ledger.entry_failed = detail
        yield ProblemItem("exception", url, detail, day, subject)

    def _given_up(self, failure: Failure) -> bool:
        """A download the stopping crawl cut off: no failure of the site's. What it was for is accounted for when
        the spider closes (an article as not fetched, a page by its issue staying incomplete)."""
        return self.stopping and not failure.check(HttpError)

    def _count_failure(self, failure: Failure) -> None:
        if failure.check(HttpError):
            self.ledger.responses += 1
        elif failure.check(*UNREACHABLE):
            self.ledger.connection_failures += 1

    # -- decoding ------------------------------------------------------------------------------------------

    def _decode(self, response: Response) -> str:
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1") or None
        decoded = decode_body(response.body, content_type, self.profile.charset["fallbacks"])
        response.meta["szwatch_charset_note"] = decoded.note
        return decoded.text

    def _charset_problem(
        self, response: Response, day: date | None, subject: str, url: str | None = None
    ) -> Iterator[ProblemItem]:
        note = response.meta.get("szwatch_charset_note")
        if note:
            yield ProblemItem("charset", url or response.url, note, day, subject)


def _request_of(answer: Response | Failure) -> scrapy.Request:
    """The request a callback or errback answers. Scrapy sets it on the ``Failure`` it hands an errback too,
    as an attribute Twisted's class does not declare."""
    request: scrapy.Request | None = getattr(answer, "request", None)
    if request is None:
        raise TypeError(f"{answer!r} carries no request")
    return request


def _status(failure: Failure) -> int | None:
    error = failure.value
    return error.response.status if isinstance(error, HttpError) else None


def _reason(failure: Failure) -> str:
    status = _status(failure)
    if status is not None:
        return f"HTTP {status}"
    return f"{type(failure.value).__name__}: {failure.getErrorMessage()}"


def _clip(text: str | None, size: int) -> str | None:
    return text[:size] if text else text


def _cut_off(response: Response) -> bool:
    """A document that stops before its closing tag was cut in transit or by the server."""
    return b"</html>" not in response.body[-512:].lower()
