"""Stories (an article and the parts continued from it on later pages), read with plain SQL: detection, the
preview of a watch (``szwatch watch test`` and the web view's watch editor) and the rescan preview share these reads.

Plain SQL because ``watch test`` must start fast: on the embedded store ``db.plain_reader`` answers through
sqlite3, without SQLAlchemy or the ORM models. Detection reads the same rows through its session's connection
(``plain_of``), so a story is one thing everywhere. Values are made the same on every connection (dates as
``date``).
"""

from __future__ import annotations

import hashlib
import json
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


# Where an article stands: its issue's date and id (papers of one day in the order their issues were first
# stored), its page's place in the issue, its own id, URL and page
PLACE = "i.issue_date, i.id, p.seq, a.id, a.url, a.page_id"
_UNLISTED = 1 << 30  # an article its page does not list (linked from elsewhere) comes after the listed ones


def story_digests(db: Db) -> dict[str, str]:
    """Every story's digest, from content hashes only (no article text is read), in reading order: oldest
    issue first, then page by page, then as each page lists its articles.

    The order matters to alerts: a figure first printed in March and repeated in May is new in March, and two
    stories of one day that move a project (开工 on A1, 投产 on A2) are read in the paper's order, not in the
    order a crawl happened to store them.
    """
    return digests_in_reading_order(db, list(plain_of(db).run(f"SELECT {STORY_KEY}, a.content_hash, {PLACE}{ARCHIVE}")))


def digests_in_reading_order(db: Db, rows: list[Any]) -> dict[str, str]:
    """Rows of (story key, content hash, *PLACE, …) → each story's digest, stories in reading order."""
    listed = _listing_positions(db, {row[7] for row in rows})
    rows.sort(key=lambda r: (str(r[2]), r[3], r[4], listed.get((r[7], r[6]), _UNLISTED), r[5]))
    hashes: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in rows:
        hashes[row[0]].append((row[5], row[1]))
    return {url: digest([h for _, h in sorted(parts)]) for url, parts in hashes.items()}


def _listing_positions(db: Db, page_ids: set[int]) -> dict[tuple[int, str], int]:
    """(page id, article URL) → the article's place in its page's listing: the paper's order, which the ids
    (the order a crawl stored articles in, watched words first) are not."""
    positions: dict[tuple[int, str], int] = {}
    ids = sorted(page_ids)
    for start in range(0, len(ids), 1000):
        params: dict[str, Any] = {}
        wanted = in_list("p", ids[start : start + 1000], params)
        for page_id, urls in plain_of(db).run(f"SELECT id, article_urls FROM pages WHERE id IN {wanted}", params):
            for place, url in enumerate(json.loads(urls) if isinstance(urls, str) else urls or []):
                positions.setdefault((page_id or 0, url), place)
    return positions


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
