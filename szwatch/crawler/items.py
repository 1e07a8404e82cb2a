"""What the spider yields: plain dataclasses, one per thing the site publishes, plus problems."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


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
    image: str | None = None  # the printed page's picture and PDF, where the family shows them
    pdf: str | None = None
    number: int | None = None  # the printed 版面 number, from the issue's page list


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
    """Something that did not go as it should, on one URL. ``subject`` says what the URL is (``page``,
    ``article``, ``entry``, ``issue``), so a summary can say "on 11 pages".

    Kinds that mean the article (or page) did not land, leaving its issue incomplete: ``fetch_failed``,
    ``empty``, ``truncated_html``, ``exception`` (our code raised on it), ``store_failed``, ``not_fetched``
    (listed, yet neither stored nor failed when the crawl ended). Kinds that describe what landed:
    ``no_articles``, ``no_title``, ``no_body``, ``cut_off``, ``truncated``, ``layout``, ``markup``,
    ``charset``, ``date_mismatch``, ``check_failed``; and ``entry`` for the entry page.
    """

    kind: str
    url: str
    detail: str = ""
    issue_date: date | None = None
    subject: str = ""


def describe(exc: BaseException) -> str:
    """``Type: first line of the message (file.py:line)``: the same wherever it happens, so problems group."""
    message = (str(exc).strip().splitlines() or [""])[0]
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {message}{where}"
