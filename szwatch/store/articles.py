"""Idempotent writes and the reads the crawler needs: issues, pages, articles and their pictures.

Everything is keyed by natural keys (issue date, page URL, article URL), so writing the same thing twice
changes nothing, and an article whose text changed keeps its earlier version in ``article_versions``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, delete, select

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
        select(Issue.issue_date, Issue.status).where(Issue.source == source, col(Issue.issue_date).in_(list(dates)))
    ).all()
    return {d: s for d, s in rows}


def upsert_page(
    session: Session, issue: Issue, code: str, url: str, name: str | None, seq: int, article_urls: list[str]
) -> Page:
    page = session.exec(select(Page).where(Page.issue_id == issue.id, Page.code == code)).first()
    page = page or Page(issue_id=issue.id or 0, code=code, url=url)
    page.name, page.seq, page.url = name or page.name, seq, url
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
    digest = record.content_hash()
    article = session.exec(select(Article).where(Article.url == record.url)).first()
    if article is not None and article.content_hash == digest:
        return Outcome.UNCHANGED
    outcome = Outcome.NEW if article is None else Outcome.UPDATED
    if article is None:
        article = Article(url=record.url, issue_id=issue_id, page_id=page_id, content_hash=digest, number=record.number)
    else:
        session.add(_version_of(article))
        session.exec(delete(Picture).where(col(Picture.article_id) == article.id))
    _fill(article, record, digest)
    session.add(article)
    session.flush()
    for position, (url, caption) in enumerate(record.pictures):
        session.add(Picture(article_id=article.id or 0, position=position, url=url, caption=caption))
    return outcome


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


def story_parts(session: Session, article: Article) -> list[Article]:
    """Every part of the story this article belongs to, first part first."""
    key = article.story_url or article.url
    parts = session.exec(select(Article).where(Article.story_url == key)).all()
    return sorted(parts, key=lambda a: (a.url != key, a.id or 0))
