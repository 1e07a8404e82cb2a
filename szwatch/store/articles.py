"""Idempotent writes and the reads the crawler needs: issues, pages, articles and their pictures.

Everything is keyed by natural keys (issue date, page URL, article URL), so writing the same thing twice
changes nothing, and an article whose text changed keeps its earlier version in ``article_versions``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, delete, select

from szwatch.store import search
from szwatch.store.models import Article, ArticleVersion, Issue, Page, Picture, utcnow


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
    image_url: str | None = None, pdf_url: str | None = None,
) -> Page:  # fmt: skip
    page = session.exec(select(Page).where(Page.issue_id == issue.id, Page.code == code)).first()
    page = page or Page(issue_id=issue.id or 0, code=code, url=url)
    page.name, page.seq, page.url = name or page.name, seq, url
    page.image_url, page.pdf_url = image_url or page.image_url, pdf_url or page.pdf_url
    page.article_urls = list(article_urls)
    page.fetched_at = utcnow()
    session.add(page)
    session.flush()
    return page


def get_page(session: Session, issue: Issue, code: str) -> Page | None:
    return session.exec(select(Page).where(Page.issue_id == issue.id, Page.code == code)).first()


def known_article_urls(session: Session, issue: Issue) -> set[str]:
    return set(session.exec(select(Article.url).where(Article.issue_id == issue.id)).all())


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
    outcomes: list[str] = []
    fresh: dict[str, tuple[dict[str, Any], ArticleRecord]] = {}
    changed: list[tuple[Article, ArticleRecord]] = []
    updating: set[str] = set()
    for issue_id, page_id, record in batch:
        digest = record.content_hash()
        article = existing.get(record.url)
        if record.url in fresh or record.url in updating or (article is not None and article.content_hash == digest):
            outcomes.append(Outcome.UNCHANGED)
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
    pages = {p.id: p.code for p in session.exec(select(Page).where(Page.issue_id == issue.id)).all()}
    joined = 0
    for head in sorted((a for a in articles if a.continued_to), key=lambda a: a.id or 0):
        tail = _continuation_of(head, pages, articles)
        if tail is not None:
            tail.story_url = head.story_url or head.url
            session.add(tail)
            joined += 1
    return joined


def _continuation_of(head: Article, pages: dict[int | None, str], articles: list[Article]) -> Article | None:
    home = pages.get(head.page_id)
    candidates = [
        a
        for a in articles
        if pages.get(a.page_id) == head.continued_to
        and a.continued_from in (home, None)
        and a is not head
        and a.continued_from is not None
    ]
    same_title = [a for a in candidates if a.title == head.title]
    if same_title:
        return same_title[0]
    return candidates[0] if len(candidates) == 1 else None
