"""What the spider yields: plain dataclasses, one per thing the site publishes, plus problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class IssueItem:
    issue_date: date
    url: str
    issue_no: int | None
    pages_declared: int | None
    masthead: str | None


@dataclass(frozen=True)
class PageItem:
    issue_date: date
    code: str
    name: str | None
    url: str
    seq: int
    article_urls: list[str]


@dataclass(frozen=True)
class ArticleItem:
    issue_date: date
    page_code: str
    url: str
    number: str
    title: str
    paragraphs: list[str]
    raw_paragraphs: list[str]
    kicker: str | None = None
    subtitle: str | None = None
    byline: str | None = None
    pictures: list[tuple[str, str | None]] = field(default_factory=list)
    continued_to: str | None = None
    continued_from: str | None = None
    truncation_suspect: bool = False


@dataclass(frozen=True)
class ProblemItem:
    """Kinds: ``fetch_failed``, ``no_articles``, ``no_title``, ``no_body``, ``truncated``, ``layout``,
    ``charset``, ``date_mismatch``, ``entry``."""

    kind: str
    url: str
    detail: str = ""
    issue_date: date | None = None
