"""Idempotent writes and the reads the crawler needs: issues, pages, articles and their pictures.

Everything is keyed by natural keys (issue date, page URL, article URL), so writing the same thing twice
changes nothing, and an article whose text changed keeps its earlier version in ``article_versions``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, insert
from sqlmodel import Session, col, delete, select

from szwatch.store import search
from szwatch.store.models import (
    Article,
    ArticleAlternate,
    ArticleVersion,
    Issue,
    Page,
    Picture,
    select_wide,
    utcnow,
)


@dataclass(frozen=True)
class ArticleRecord:
    """What the crawler hands over for one article; plain values so the store knows nothing of Scrapy."""

    url: str
    number: str
    title: str
    paragraphs: Sequence[str]
    raw_paragraphs: Sequence[str]
    kicker: str | None = None
    subtitle: str | None = None
    byline: str | None = None
    pictures: Sequence[tuple[str, str | None]] = field(default_factory=tuple)
    continued_to: str | None = None
    continued_from: str | None = None
    truncation_suspect: bool = False

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)

    def content_hash(self) -> str:
        parts = [self.kicker or "", self.title, self.subtitle or "", self.byline or "", "\n".join(self.raw_paragraphs)]
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


class Outcome:
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ALTERNATE = "alternate"  # the same article, already stored from another site: kept as its alternate URL


def get_issue(session: Session, issue_date: date, source: str = "szrb") -> Issue | None:
    return session.exec(select(Issue).where(Issue.source == source, Issue.issue_date == issue_date)).first()


def upsert_issue(session: Session, issue_date: date, url: str, source: str = "szrb", **fields: object) -> Issue:
    """Create the issue row or update the fields given (None values leave what is stored)."""
    issue = get_issue(session, issue_date, source) or Issue(source=source, issue_date=issue_date, url=url)
    for name, value in fields.items():
        if value is not None:
            setattr(issue, name, value)
    issue.updated_at = utcnow()
    session.add(issue)
    session.flush()
    return issue


def set_issue_status(session: Session, issue_date: date, status: str, url: str, source: str = "szrb") -> Issue:
    return upsert_issue(session, issue_date, url, source, status=status)


def issue_statuses(session: Session, dates: Iterable[date], source: str = "szrb") -> dict[date, str]:
    rows = session.exec(
        select(col(Issue.issue_date), col(Issue.status)).where(
            Issue.source == source, col(Issue.issue_date).in_(list(dates))
        )
    ).all()
    return {d: s for d, s in rows}


def upsert_page(
    session: Session, issue: Issue, code: str, url: str, name: str | None, seq: int, article_urls: list[str],
    image_url: str | None = None, pdf_url: str | None = None, number: int | None = None,
) -> Page:  # fmt: skip
    """Create or update a 版面. A page another site of the paper stored under another code (A2 there, 02 here)
    is the same page when its printed number is: it keeps its code and URL, and its listing gains this site's."""
    page = session.exec(select(Page).where(Page.issue_id == issue.id, Page.code == code)).first()
    twin = None if page or number is None else _page_numbered(session, issue, number)
    if twin is not None:
        twin.article_urls = [*twin.article_urls, *(u for u in article_urls if u not in twin.article_urls)]
        page, article_urls, url = twin, twin.article_urls, twin.url
    page = page or Page(issue_id=issue.id or 0, code=code, url=url)
    page.name, page.seq, page.url = name or page.name, page.seq if twin else seq, url
    if twin is not None:  # the first site's printed page stands; the other's fills a gap
        image_url, pdf_url = twin.image_url or image_url, twin.pdf_url or pdf_url
    page.image_url, page.pdf_url = image_url or page.image_url, pdf_url or page.pdf_url
    page.number = number if number is not None else page.number
    page.article_urls = list(article_urls)
    page.fetched_at = utcnow()
    session.add(page)
    session.flush()
    return page


def get_page(session: Session, issue: Issue, code: str) -> Page | None:
    return session.exec(select(Page).where(Page.issue_id == issue.id, Page.code == code)).first()


def _page_numbered(session: Session, issue: Issue, number: int) -> Page | None:
    return session.exec(select(Page).where(Page.issue_id == issue.id, Page.number == number)).first()


def known_article_urls(session: Session, issue: Issue, whole_only: bool = False) -> set[str]:
    """The URLs an issue's articles are stored under, their other sites' URLs included (``whole_only``: not those
    stored as possibly cut off, which a crawl fetches again)."""
    stored = select(Article.url).where(Article.issue_id == issue.id)
    others = select(ArticleAlternate.url).join(Article, col(Article.id) == ArticleAlternate.article_id)
    others = others.where(Article.issue_id == issue.id)
    if whole_only:
        stored = stored.where(col(Article.truncation_suspect).is_(False))
        others = others.where(col(Article.truncation_suspect).is_(False))
    return set(session.exec(stored).all()) | set(session.exec(others).all())


def alternate_urls(session: Session, article_id: int) -> list[str]:
    """The URLs other sites of the paper serve an article under, first seen first."""
    rows = select(ArticleAlternate.url).where(ArticleAlternate.article_id == article_id)
    return list(session.exec(rows.order_by(col(ArticleAlternate.id))).all())


def save_article(session: Session, issue_id: int, page_id: int, record: ArticleRecord) -> str:
    """Insert or update one article; returns an ``Outcome`` value."""
    return save_articles(session, [(issue_id, page_id, record)])[0]


def save_articles(session: Session, batch: Sequence[tuple[int, int, ArticleRecord]]) -> list[str]:
    """Insert or update articles in one go; returns an ``Outcome`` per article.

    New articles (the common case while crawling) go in as one multi-row INSERT: per-article ORM round
    trips were most of the crawler's cost beyond downloading. Changed ones take the ORM path, which also
    keeps their earlier version.
    """
    existing = _by_url(session, [record.url for _, _, record in batch])
    elsewhere = _AlternateMatch(session, [b for b in batch if b[2].url not in existing])
    outcomes: list[str] = []
    fresh: dict[str, tuple[dict[str, Any], ArticleRecord]] = {}
    changed: list[tuple[Article, ArticleRecord]] = []
    updating: set[str] = set()
    for issue_id, page_id, record in batch:
        digest = record.content_hash()
        article = existing.get(record.url)
        if record.url in fresh or record.url in updating or (article is not None and article.content_hash == digest):
            outcomes.append(Outcome.UNCHANGED)
        elif article is None and elsewhere.known(record.url):
            outcomes.append(Outcome.UNCHANGED)  # stored from another site, and this URL already noted as its own
        elif article is None and elsewhere.twin(issue_id, page_id, record):
            outcomes.append(Outcome.ALTERNATE)
        elif article is None:
            fresh[record.url] = (_new_row(issue_id, page_id, record, digest), record)
            outcomes.append(Outcome.NEW)
        else:
            changed.append((article, record))
            updating.add(record.url)
            outcomes.append(Outcome.UPDATED)
    # The search index is kept in step here, in the same transaction: out with the old text, in with the new.
    search.remove(session, [article for article, _ in changed])
    for article, record in changed:
        session.add(_version_of(article))
        session.exec(delete(Picture).where(col(Picture.article_id) == article.id))
        _fill(article, record, record.content_hash())
        session.add(article)
    session.flush()
    ids = {article.url: article.id or 0 for article, _ in changed}
    if fresh:
        table = Article.__table__  # type: ignore[attr-defined]
        inserted = session.connection().execute(
            insert(table).returning(table.c.url, table.c.id), [row for row, _ in fresh.values()]
        )
        ids.update({url: id_ for url, id_ in inserted})
    new = [SimpleNamespace(id=ids[row["url"]], **row) for row, _ in fresh.values()]
    indexed: list[Article | SimpleNamespace] = [article for article, _ in changed]
    search.add(session, search.docs_for(session, [*indexed, *new]))
    _insert_pictures(session, ids, [record for _, record in changed] + [record for _, record in fresh.values()])
    return outcomes


def same_article_key(title: str, text: str) -> tuple[str, str]:
    """What two sites' copies of one article share whatever their markup: the title and the opening of the text,
    without spaces and punctuation (one site's full-width comma is another's, one splits a line the other not)."""
    return _bare(title), _bare(text)[:MATCH_CHARS]


MATCH_CHARS = 60  # of the text's opening, past which two sites' copies may differ (a byline kept in the body)


def _bare(text: str) -> str:
    return re.sub(r"[\W_]+", "", text or "")


class _AlternateMatch:
    """Is a new URL the same article another site of the paper already gave us? (Date: the same issue, which is
    the paper's on that date; page: preferred when several match; title and text: ``same_article_key``.)

    Only articles first stored from another host count, so two URLs of one site are never merged. A match is
    recorded as an alternate URL of the stored article, which is then not stored, detected or alerted again."""

    def __init__(self, session: Session, batch: Sequence[tuple[int, int, ArticleRecord]]) -> None:
        self.session = session
        urls = [record.url for _, _, record in batch]
        self.noted: set[str] = set()
        self.stored: dict[int, list[tuple[int, int, str, tuple[str, str]]]] = {}
        if urls:
            noted = select(ArticleAlternate.url).where(col(ArticleAlternate.url).in_(urls))
            self.noted = set(session.exec(noted).all())
            self._load({issue_id for issue_id, _, _ in batch}, {urlsplit(url).netloc for url in urls})

    def _load(self, issue_ids: set[int], hosts: set[str]) -> None:
        """The stored articles of these issues that could be a twin: from another host than the batch's. A crawl
        reads one site, so its own articles (most of an issue's, batch after batch) are not even read."""
        query = select_wide(col(Article.id), col(Article.issue_id), col(Article.page_id), col(Article.url),
                            col(Article.title), func.substr(Article.text, 1, MATCH_CHARS * 3))  # fmt: skip
        query = query.where(col(Article.issue_id).in_(issue_ids))
        if len(hosts) == 1:
            prefixes = [f"{scheme}://{next(iter(hosts))}/" for scheme in ("http", "https")]
            query = query.where(*(func.substr(Article.url, 1, len(prefix)) != prefix for prefix in prefixes))
        rows = self.session.exec(query).all()
        for id_, issue_id, page_id, url, title, opening in rows:
            self.stored.setdefault(issue_id, []).append((id_ or 0, page_id, url, same_article_key(title, opening)))

    def known(self, url: str) -> bool:
        return url in self.noted

    def twin(self, issue_id: int, page_id: int, record: ArticleRecord) -> bool:
        key, host = same_article_key(record.title, record.text), urlsplit(record.url).netloc
        if not any(key):
            return False
        found = [c for c in self.stored.get(issue_id, []) if c[3] == key and urlsplit(c[2]).netloc != host]
        if not found:
            return False
        article_id = sorted(found, key=lambda c: c[1] != page_id)[0][0]
        self.session.add(ArticleAlternate(article_id=article_id, url=record.url))
        self.noted.add(record.url)
        return True


def _new_row(issue_id: int, page_id: int, record: ArticleRecord, digest: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "url": record.url, "issue_id": issue_id, "page_id": page_id, "number": record.number,
        "kicker": record.kicker, "title": record.title, "subtitle": record.subtitle, "byline": record.byline,
        "text": record.text, "raw_text": "\n".join(record.raw_paragraphs), "content_hash": digest,
        "continued_to": record.continued_to, "continued_from": record.continued_from, "story_url": record.url,
        "truncation_suspect": record.truncation_suspect, "first_seen_at": now, "updated_at": now,
    }  # fmt: skip


def _insert_pictures(session: Session, ids: dict[str, int], records: list[ArticleRecord]) -> None:
    rows = [
        {"article_id": ids[record.url], "position": position, "url": url, "caption": caption}
        for record in records
        for position, (url, caption) in enumerate(record.pictures)
    ]
    if rows:
        session.connection().execute(insert(Picture.__table__), rows)  # type: ignore[attr-defined]


def _by_url(session: Session, urls: list[str]) -> dict[str, Article]:
    found = session.exec(select(Article).where(col(Article.url).in_(urls))).all() if urls else []
    return {a.url: a for a in found}


def _version_of(article: Article) -> ArticleVersion:
    return ArticleVersion(
        article_id=article.id or 0,
        kicker=article.kicker,
        title=article.title,
        subtitle=article.subtitle,
        byline=article.byline,
        text=article.text,
        raw_text=article.raw_text,
        content_hash=article.content_hash,
        seen_from=article.updated_at,
    )


def _fill(article: Article, record: ArticleRecord, digest: str) -> None:
    article.kicker, article.title, article.subtitle = record.kicker, record.title, record.subtitle
    article.byline, article.text = record.byline, record.text
    article.raw_text = "\n".join(record.raw_paragraphs)
    article.content_hash = digest
    article.continued_to, article.continued_from = record.continued_to, record.continued_from
    article.truncation_suspect = record.truncation_suspect
    article.story_url = article.story_url or record.url
    article.updated_at = utcnow()


def link_stories(session: Session, issue: Issue) -> int:
    """Join the parts of stories continued across pages (（下转第2版） … （上接第1版）).

    A part that says it continues on page X is joined to the part on page X that says it continues from
    this page; when several could fit, the one with the same title wins. Every part gets the URL of the
    first part as ``story_url``. Returns how many continuations were joined.
    """
    articles = list(session.exec(select(Article).where(Article.issue_id == issue.id)).all())
    pages = _PageKeys(session.exec(select(Page).where(Page.issue_id == issue.id)).all())
    joined = 0
    for head in sorted((a for a in articles if a.continued_to), key=lambda a: a.id or 0):
        tail = _continuation_of(head, pages, articles)
        if tail is not None:
            tail.story_url = head.story_url or head.url
            session.add(tail)
            joined += 1
    return joined


class _PageKeys:
    """Each page of an issue by what a continuation mark names: its printed number where known, else its code.

    The parts of one story may come from two sites (A1 from one, 02 from the other), and a page's code may be a
    node id (founder-node): the printed number is what they agree on."""

    def __init__(self, pages: Sequence[Page]) -> None:
        self.of_page = {p.id: str(p.number) if p.number is not None else p.code for p in pages}
        self.of_code = {p.code: self.of_page[p.id] for p in pages}
        self.numbered = {str(p.number) for p in pages if p.number is not None}

    def named(self, code: str | None) -> str | None:
        """The page a continuation's code names: that page's key, else the printed number its digits say."""
        if code is None or code in self.of_code:
            return self.of_code.get(code or "", code)
        digits = re.sub(r"\D", "", code)
        return str(int(digits)) if digits and str(int(digits)) in self.numbered else code


def _continuation_of(head: Article, pages: _PageKeys, articles: list[Article]) -> Article | None:
    home, target = pages.of_page.get(head.page_id), pages.named(head.continued_to)
    candidates = [
        a
        for a in articles
        if pages.of_page.get(a.page_id) == target
        and pages.named(a.continued_from) in (home, None)
        and a is not head
        and a.continued_from is not None
    ]
    same_title = [a for a in candidates if a.title == head.title]
    if same_title:
        return same_title[0]
    return candidates[0] if len(candidates) == 1 else None
