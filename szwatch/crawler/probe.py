"""Is a new issue out? One conditional request for the entry page, instead of a crawl.

The entry page only points at the newest issue, so it answers the daemon's question ("did the newest issue
change, has today's appeared?") in one request; with the previous answer's ``ETag``/``Last-Modified`` sent
back as ``If-None-Match``/``If-Modified-Since``, an unchanged page costs a 304 with no body. What the page
points at is read with the crawler's own entry view and the source profile's URL patterns, so the check and
the crawl can never disagree about where the newest issue is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import httpx
from loguru import logger

from szwatch.crawler.pages import EntryView, PageShapeError, decode_body
from szwatch.crawler.profile import load_profile
from szwatch.crawler.urls import SiteUrls


@dataclass(frozen=True)
class EntryCheck:
    newest: date | None  # the issue the entry page points at; None: could not tell (see ``error``)
    not_modified: bool = False  # the server said 304: same page as last time
    etag: str | None = None
    last_modified: str | None = None
    status: int | None = None
    error: str | None = None


def check_entry(
    base_url: str | None = None, profile: str | None = None, previous: EntryCheck | None = None,
    timeout: float | None = None,
) -> EntryCheck:  # fmt: skip
    """One GET of the entry page (conditional when ``previous`` has validators); never raises for site trouble."""
    source = load_profile(profile)
    urls = SiteUrls.for_profile(source, base_url)
    headers: dict[bytes, bytes] = {b"User-Agent": str(source.crawl["user_agent"]).encode("utf-8")}  # as Scrapy
    if previous and previous.etag:
        headers[b"If-None-Match"] = previous.etag.encode("ascii")  # how httpx encodes a str header
    if previous and previous.last_modified:
        headers[b"If-Modified-Since"] = previous.last_modified.encode("ascii")
    try:
        with httpx.Client(follow_redirects=True, timeout=timeout or float(source.crawl["timeout"])) as client:
            response = client.get(urls.entry(), headers=headers)
    except httpx.HTTPError as exc:
        return EntryCheck(None, error=f"{type(exc).__name__}: {exc}")
    validators = {"etag": response.headers.get("etag"), "last_modified": response.headers.get("last-modified")}
    if response.status_code == 304 and previous is not None:
        return EntryCheck(previous.newest, True, validators["etag"] or previous.etag,
                          validators["last_modified"] or previous.last_modified, 304)  # fmt: skip
    if response.status_code != 200:
        return EntryCheck(None, status=response.status_code, error=f"HTTP {response.status_code}")
    decoded = decode_body(response.content, response.headers.get("content-type"), source.charset["fallbacks"])
    try:
        target = EntryView(str(response.url), decoded.text, source).issue_url()
    except PageShapeError as exc:
        return EntryCheck(None, status=200, error=str(exc), **validators)
    found = urls.parse_page(target)
    if found is None:
        return EntryCheck(None, status=200, error=f"{target} does not match urls.page_regex", **validators)
    logger.debug("entry page points at {} ({})", found[0], target)
    return EntryCheck(found[0], False, status=200, **validators)
