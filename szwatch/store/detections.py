"""Stories for detection and what detection found: mentions, observations, and which stories are done.

A story is its parts (articles sharing a ``story_url``); its ``digest`` is made of the parts' content
hashes, so a story whose text changed, or whose continuation arrived later, is detected again.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from szwatch.store.models import Article, Detection, Issue, Mention, Observation, Page, select_wide


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

    @property
    def head_id(self) -> int:
        return self.parts[0].article_id


def story_digests(session: Session) -> dict[str, str]:
    """Every story's digest, from content hashes only (no article text is read), oldest story first.

    The order matters to alerts: a figure first printed in March and repeated in May is new in March.
    """
    key = func.coalesce(Article.story_url, Article.url)
    stmt = (
        select_wide(key, col(Article.content_hash), col(Issue.issue_date), col(Page.seq), col(Article.id))
        .join(Issue, col(Issue.id) == Article.issue_id)
        .join(Page, col(Page.id) == Article.page_id)
        .order_by(col(Issue.issue_date), col(Page.seq), col(Article.id))
    )
    hashes: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for story_url, content_hash, _day, _seq, article_id in session.exec(stmt).all():
        hashes[story_url].append((article_id, content_hash))
    return {url: _digest([h for _, h in sorted(parts)]) for url, parts in hashes.items()}


def processed(session: Session) -> dict[str, tuple[str, str]]:
    """story_url → (digest, watchlist digest) of what detection last saw."""
    return {d.story_url: (d.digest, d.watchlist_digest) for d in session.exec(select(Detection)).all()}


def load_stories(session: Session, urls: Sequence[str]) -> Iterator[Story]:
    """The stories with these URLs, parts in reading order (first part, then by page)."""
    key = func.coalesce(Article.story_url, Article.url)
    stmt = (
        select_wide(Article, col(Issue.issue_date), col(Page.code), col(Page.seq), key)
        .join(Issue, col(Issue.id) == Article.issue_id)
        .join(Page, col(Page.id) == Article.page_id)
        .where(key.in_(list(urls)))
    )
    grouped: dict[str, list[tuple[Article, date, str, int]]] = defaultdict(list)
    for article, issue_date, code, seq, story_url in session.exec(stmt).all():
        grouped[story_url].append((article, issue_date, code, seq))
    for story_url in urls:
        rows = sorted(grouped.get(story_url, []), key=lambda r: (r[0].url != story_url, r[3], r[0].id or 0))
        if rows:
            yield _story(story_url, rows)


def _story(story_url: str, rows: list[tuple[Article, date, str, int]]) -> Story:
    parts = tuple(StoryPart(a.id or 0, a.url, a.kicker, a.title, a.subtitle, a.text) for a, _, _, _ in rows)
    head, issue_date, code, _ = rows[0]
    digest = _digest([a.content_hash for a, _, _, _ in sorted(rows, key=lambda r: r[0].id or 0)])
    return Story(story_url, issue_date, code, head.title, parts, digest)


def _digest(content_hashes: list[str]) -> str:
    return hashlib.sha256("".join(content_hashes).encode("ascii")).hexdigest()[:32]


@dataclass(frozen=True)
class Replaced:
    added: int
    removed: int


def replace_findings(
    session: Session, story: Story, watchlist_digest: str, mentions: list[Mention], observations: list[Observation]
) -> tuple[Replaced, Replaced]:
    """Make the story's stored findings exactly these (kept rows stay, so their ids and times do)."""
    mention_change = _replace(session, Mention, story.url, mentions, _mention_key)
    observation_change = _replace(session, Observation, story.url, observations, _observation_key)
    session.merge(Detection(story_url=story.url, digest=story.digest, watchlist_digest=watchlist_digest))
    return mention_change, observation_change


def findings_diff(
    session: Session, story_url: str, mentions: list[Mention], observations: list[Observation]
) -> tuple[list[str], list[str], int]:
    """What ``replace_findings`` would do, without doing it: the watch ids of the mentions and of the
    observations it would remove, and how many findings it would add."""
    gone_m, added_m = _diff(session, Mention, story_url, mentions, _mention_key)
    gone_o, added_o = _diff(session, Observation, story_url, observations, _observation_key)
    return [m.watch_id for m in gone_m], [o.indicator_id for o in gone_o], added_m + added_o


def _diff(session: Session, model: type, story_url: str, new: list, key: object) -> tuple[list[Any], int]:
    old: list[Any] = list(session.exec(select(model).where(model.story_url == story_url)).all())  # type: ignore[attr-defined]
    new_keys = {key(row) for row in new}  # type: ignore[operator]
    old_keys = {key(row): row for row in old}  # type: ignore[operator]
    return [row for k, row in old_keys.items() if k not in new_keys], len(new_keys - set(old_keys))


def _mention_key(m: Mention) -> tuple[object, ...]:
    return (m.watch_id, m.sentence_index, m.surface, m.kind)


def _observation_key(o: Observation) -> tuple[object, ...]:
    return (o.indicator_id, o.sentence_index, o.ordinal, o.value, o.unit, o.growth_pct, o.period, o.period_start,
            o.period_end, o.scope, o.rank, o.relative)  # fmt: skip


def _replace(session: Session, model: type, story_url: str, new: list, key: object) -> Replaced:
    old: list[Any] = list(session.exec(select(model).where(model.story_url == story_url)).all())  # type: ignore[attr-defined]
    old_keys = {key(row): row for row in old}  # type: ignore[operator]
    new_keys = {key(row): row for row in new}  # type: ignore[operator]
    gone = [row.id for k, row in old_keys.items() if k not in new_keys]
    if gone:
        session.exec(delete(model).where(col(model.id).in_(gone)))  # type: ignore[attr-defined]
        session.flush()
    added = [row for k, row in new_keys.items() if k not in old_keys]
    session.add_all(added)
    return Replaced(len(added), len(gone))


MENTION_FIELDS = ["watch_id", "issue_date", "page", "title", "url", "surface", "match_kind", "snippet"]
INDICATOR_FIELDS = [
    "indicator_id", "issue_date", "page", "title", "url", "value", "unit", "growth_pct", "period", "period_start",
    "period_end", "scope", "rank", "relative", "snippet",
]  # fmt: skip


def mention_rows(session: Session, watch_id: str | None = None) -> Iterator[dict[str, object]]:
    stmt = _with_source(select(Mention, Article.title, Issue.issue_date, Page.code), Mention.article_id)
    if watch_id:
        stmt = stmt.where(Mention.watch_id == watch_id)
    stmt = stmt.order_by(col(Issue.issue_date), col(Mention.watch_id), col(Mention.id))
    for mention, title, issue_date, code in session.exec(stmt).all():
        yield {
            "watch_id": mention.watch_id, "issue_date": issue_date.isoformat(), "page": code, "title": title,
            "url": mention.story_url, "surface": mention.surface, "match_kind": mention.kind,
            "snippet": mention.snippet,
        }  # fmt: skip


def observation_rows(session: Session, indicator_id: str | None = None) -> Iterator[dict[str, object]]:
    stmt = _with_source(select(Observation, Article.title, Issue.issue_date, Page.code), Observation.article_id)
    if indicator_id:
        stmt = stmt.where(Observation.indicator_id == indicator_id)
    stmt = stmt.order_by(
        col(Observation.indicator_id), col(Observation.period_start), col(Observation.period_end),
        col(Observation.scope), col(Issue.issue_date), col(Observation.id),
    )  # fmt: skip
    for obs, title, issue_date, code in session.exec(stmt).all():
        yield {
            "indicator_id": obs.indicator_id, "issue_date": issue_date.isoformat(), "page": code, "title": title,
            "url": obs.story_url, "value": obs.value, "unit": obs.unit, "growth_pct": obs.growth_pct,
            "period": obs.period, "period_start": _iso(obs.period_start), "period_end": _iso(obs.period_end),
            "scope": obs.scope, "rank": obs.rank, "relative": obs.relative, "snippet": obs.snippet,
        }  # fmt: skip


def _with_source(stmt: Any, article_id: Any) -> Any:
    """Join a finding to its article, issue and page (date, page, title for display and export)."""
    return (
        stmt.join(Article, col(Article.id) == article_id)
        .join(Issue, col(Issue.id) == Article.issue_id)
        .join(Page, col(Page.id) == Article.page_id)
    )


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
