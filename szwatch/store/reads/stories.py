"""Stories (an article and the parts continued from it on later pages), read with plain SQL: detection, the
preview of a watch (``szwatch watch test`` and the web view's watch editor) and the rescan preview share these reads.

Plain SQL because ``watch test`` must start fast: on the embedded store ``db.plain_reader`` answers through
sqlite3, without SQLAlchemy or the ORM models. Detection reads the same rows through its session's connection
(``plain_of``), so a story is one thing everywhere. Values are made the same on every connection (dates as
``date``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from szwatch.store.plain import in_list, plain_of
from szwatch.store.reads.alerts import as_date
from szwatch.store.text import page_label

if TYPE_CHECKING:
    from szwatch.store.plain import Db

ARCHIVE = " FROM articles a JOIN issues i ON i.id = a.issue_id JOIN pages p ON p.id = a.page_id"
STORY_KEY = "coalesce(a.story_url, a.url)"
PART_COLUMNS = (
    "a.id, a.url, a.kicker, a.title, a.subtitle, a.text, a.content_hash, i.issue_date, p.code, p.seq, p.number, "
    f"{STORY_KEY}, i.source, coalesce(p.pdf_url, p.image_url)"
)


@dataclass(frozen=True)
class StoryPart:
    article_id: int
    url: str
    kicker: str | None
    title: str
    subtitle: str | None
    text: str


@dataclass(frozen=True)
class Story:
    url: str
    issue_date: date
    page: str
    title: str
    parts: tuple[StoryPart, ...]
    digest: str
    source: str = "szrb"  # the paper (``issues.source``): detection reads a provincial paper differently
    page_print_url: str | None = None  # the first part's page as printed: its PDF, else its picture

    @property
    def head_id(self) -> int:
        return self.parts[0].article_id


def story_digests(db: Db) -> dict[str, str]:
    """Every story's digest, from content hashes only (no article text is read), oldest story first.

    The order matters to alerts: a figure first printed in March and repeated in May is new in March.
    """
    sql = f"SELECT {STORY_KEY}, a.content_hash, a.id{ARCHIVE} ORDER BY i.issue_date, p.seq, a.id"
    hashes: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for story_url, content_hash, article_id in plain_of(db).run(sql):
        hashes[story_url].append((article_id, content_hash))
    return {url: digest([h for _, h in sorted(parts)]) for url, parts in hashes.items()}


def load_stories(db: Db, urls: Sequence[str]) -> Iterator[Story]:
    """The stories with these URLs, parts in reading order (first part, then by page).

    A story's parts are the articles whose ``story_url`` is one of these, or, for an article of its own
    (``story_url`` empty), whose URL is: both indexed, so a batch costs its own rows, not the archive's."""
    params: dict[str, Any] = {}
    wanted = in_list("u", urls, params)
    sql = (f"SELECT {PART_COLUMNS}{ARCHIVE} "
           f"WHERE a.story_url IN {wanted} OR (a.story_url IS NULL AND a.url IN {wanted})")  # fmt: skip
    grouped: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    sources: dict[str, str] = {}
    prints: dict[str, str | None] = {}
    for row in plain_of(db).run(sql, params) if urls else []:
        story_url, source, printed = row[-3], row[-2], row[-1]
        grouped[story_url].append((*row[:7], as_date(row[7]), *row[8:-2]))
        sources[story_url] = source
        if row[1] == story_url:  # the first part's page, as printed
            prints[story_url] = printed
    for story_url in urls:
        rows = sorted(grouped.get(story_url, []), key=lambda r: (r[1] != story_url, r[9], r[0] or 0))
        if rows:
            yield _story(story_url, rows, sources[story_url], prints.get(story_url))


def _story(story_url: str, rows: list[tuple[Any, ...]], source: str, printed: str | None = None) -> Story:
    """Rows are (id, url, kicker, title, subtitle, text, content_hash, issue_date, page code, page seq, printed
    page number, key); the story's page is its first part's label as printed (``page_label``)."""
    parts = tuple(StoryPart(r[0] or 0, r[1], r[2], r[3], r[4], r[5]) for r in rows)
    head = rows[0]
    found = digest([r[6] for r in sorted(rows, key=lambda r: r[0] or 0)])
    return Story(story_url, head[7], page_label(head[8], head[10]), head[3], parts, found, source, printed)


def digest(content_hashes: list[str]) -> str:
    """A story's digest: its parts' content hashes in the order they were stored."""
    return hashlib.sha256("".join(content_hashes).encode("ascii")).hexdigest()[:32]
