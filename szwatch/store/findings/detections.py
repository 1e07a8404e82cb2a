"""Stories for detection and what detection found: mentions, observations, and which stories are done.

A story is its parts (articles sharing a ``story_url``); its ``digest`` is made of the parts' content
hashes, so a story whose text changed, or whose continuation arrived later, is detected again.

Findings travel as plain rows (``MentionRow``, ``ObservationRow``, ``FactRow``) and are written by a
``FindingsWriter``, many stories to a transaction in multi-row statements: building an ORM object costs more
than matching a sentence (about 0.5 ms each), and an archive holds millions of findings.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, update
from sqlmodel import Session, col, delete, select

from szwatch.store.models import (
    Article,
    Detection,
    Issue,
    Mention,
    Observation,
    Page,
    ProjectFact,
    select_wide,
    utcnow,
)
from szwatch.store.text import page_label


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


def landed_digests(session: Session, after_id: int) -> dict[str, str]:
    """``story_digests`` of the stories with a part stored after article ``after_id`` (what a crawl wrote since
    the last detection), oldest first.

    A story whose first part says it continues another (上接) that is not joined to it yet is left out: detected
    alone now, the part would be a story of its own and alert again once joined to its head (alerts are keyed by
    the head's URL). It waits for its head, or for the detection after the crawl, which takes every story."""
    key = func.coalesce(Article.story_url, Article.url)
    touched = select(key).where(col(Article.id) > after_id).scalar_subquery()
    stmt = (
        select_wide(key, col(Article.content_hash), col(Article.id), col(Article.url), col(Article.continued_from))
        .join(Issue, col(Issue.id) == Article.issue_id)
        .join(Page, col(Page.id) == Article.page_id)
        .where(key.in_(touched))
        .order_by(col(Issue.issue_date), col(Page.seq), col(Article.id))
    )
    hashes: dict[str, list[tuple[int, str]]] = defaultdict(list)
    waiting: set[str] = set()
    for story_url, content_hash, article_id, url, continued_from in session.exec(stmt).all():
        hashes[story_url].append((article_id, content_hash))
        if url == story_url and continued_from:
            waiting.add(story_url)
    return {url: _digest([h for _, h in sorted(parts)]) for url, parts in hashes.items() if url not in waiting}


def processed(session: Session, urls: Sequence[str] | None = None) -> dict[str, tuple[str, str]]:
    """story_url → (digest, watchlist digest) of what detection last saw (of these stories, when given)."""
    stmt = select(Detection) if urls is None else select(Detection).where(col(Detection.story_url).in_(list(urls)))
    return {d.story_url: (d.digest, d.watchlist_digest) for d in session.exec(stmt).all()}


def load_stories(session: Session, urls: Sequence[str]) -> Iterator[Story]:
    """The stories with these URLs, parts in reading order (first part, then by page).

    A story's parts are the articles whose ``story_url`` is one of these, or, for an article of its own
    (``story_url`` empty), whose URL is: both indexed, so a batch costs its own rows, not the archive's."""
    key = func.coalesce(Article.story_url, Article.url)
    wanted = list(urls)
    columns = (Article.id, Article.url, Article.kicker, Article.title, Article.subtitle, Article.text,
               Article.content_hash, Issue.issue_date, Page.code, Page.seq, Page.number)  # fmt: skip
    own = and_(col(Article.story_url).is_(None), col(Article.url).in_(wanted))
    stmt = (
        select_wide(*(col(c) for c in columns), key, col(Issue.source), func.coalesce(Page.pdf_url, Page.image_url))
        .join(Issue, col(Issue.id) == Article.issue_id)
        .join(Page, col(Page.id) == Article.page_id)
        .where(or_(col(Article.story_url).in_(wanted), own))
    )
    grouped: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    sources: dict[str, str] = {}
    prints: dict[str, str | None] = {}
    for row in session.exec(stmt).all():
        story_url, source, printed = row[-3], row[-2], row[-1]
        grouped[story_url].append(tuple(row[:-2]))
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
    digest = _digest([r[6] for r in sorted(rows, key=lambda r: r[0] or 0)])
    return Story(story_url, head[7], page_label(head[8], head[10]), head[3], parts, digest, source, printed)


def _digest(content_hashes: list[str]) -> str:
    return hashlib.sha256("".join(content_hashes).encode("ascii")).hexdigest()[:32]


@dataclass(frozen=True)
class Replaced:
    added: int
    removed: int


@dataclass
class MentionRow:
    """A mention to store (the columns of ``mentions`` but its id and time)."""

    watch_id: str
    story_url: str
    article_id: int
    surface: str
    kind: str
    snippet: str
    sentence_index: int
    start: int
    end: int


@dataclass(frozen=True)
class ObservationRow:
    """An observation to store (the columns of ``observations`` but its id and time)."""

    indicator_id: str
    story_url: str
    article_id: int
    value: float | None
    unit: str
    growth_pct: float | None
    period: str
    period_start: date | None
    period_end: date | None
    scope: str
    rank: str
    relative: bool
    snippet: str
    surface: str
    sentence_index: int
    ordinal: int


@dataclass(frozen=True)
class FactRow:
    """What a story said about a project (the columns of ``project_facts`` but its id and time)."""

    watch_id: str
    story_url: str
    issue_date: date
    field: str
    value: str
    snippet: str


def findings_diffs(
    session: Session, stories: Sequence[tuple[str, Sequence[MentionRow], Sequence[ObservationRow]]]
) -> list[tuple[list[str], list[str], int]]:
    """What ``FindingsWriter.replace`` would do to each (story URL, mentions, observations), without doing it:
    the watch ids of the mentions and of the observations it would remove, and how many findings it would add.

    What the stories have is read as the writer reads it (two queries for all of them, not two a story)."""
    urls = [url for url, _, _ in stories]
    old_mentions = stored_keys(session, Mention, MENTION_KEY, urls)
    old_observations = stored_keys(session, Observation, OBSERVATION_KEY, urls)
    diffs = []
    for url, mentions, observations in stories:
        gone_m, added_m = _diff(old_mentions.get(url, {}), mentions, _mention_key)
        gone_o, added_o = _diff(old_observations.get(url, {}), observations, _observation_key)
        diffs.append((gone_m, gone_o, added_m + added_o))
    return diffs


def _diff(old: dict[tuple[object, ...], int], new: Sequence[Any], key: Any) -> tuple[list[str], int]:
    """The watch ids of the old rows not found again (each key starts with one), and how many rows are new."""
    new_keys = {key(row) for row in new}
    return [str(k[0]) for k in old if k not in new_keys], len(new_keys - set(old))


def _mention_key(m: Any) -> tuple[object, ...]:
    return (m.watch_id, m.sentence_index, m.surface, m.kind)


def _observation_key(o: Any) -> tuple[object, ...]:
    return (o.indicator_id, o.sentence_index, o.ordinal, o.value, o.unit, o.growth_pct, o.period, o.period_start,
            o.period_end, o.scope, o.rank, o.relative)  # fmt: skip


MENTION_KEY = (Mention.watch_id, Mention.sentence_index, Mention.surface, Mention.kind)
OBSERVATION_KEY = (
    Observation.indicator_id, Observation.sentence_index, Observation.ordinal, Observation.value, Observation.unit,
    Observation.growth_pct, Observation.period, Observation.period_start, Observation.period_end, Observation.scope,
    Observation.rank, Observation.relative,
)  # fmt: skip


def stored_keys(
    session: Session, model: Any, columns: tuple[Any, ...], urls: list[str]
) -> dict[str, dict[tuple[object, ...], int]]:
    """story URL → {a stored row's key (``columns``): its id}, for these stories, in one query."""
    stmt = select_wide(col(model.id), col(model.story_url), *columns).where(col(model.story_url).in_(urls))
    found: dict[str, dict[tuple[object, ...], int]] = defaultdict(dict)
    for row in session.exec(stmt).all():
        found[row[1]][tuple(row[2:])] = row[0]
    return found


class FindingsWriter:
    """Replaces the findings of a batch of stories inside one transaction.

    What the batch's stories had is read once (three queries), new rows wait in memory and go out in multi-row
    INSERTs at ``flush`` — which the caller runs before reading findings of other stories (the alert rules'
    look-ups) and which ``close`` runs at the end. Rows that are no longer found are deleted at once. Kept rows
    stay, so their ids and times do; rows go in story by story, so ids keep the order of processing."""

    def __init__(self, session: Session, urls: Sequence[str], watchlist_digest: str) -> None:
        self.session, self.watchlist_digest, self.now = session, watchlist_digest, utcnow()
        wanted = list(urls)
        self._old_mentions = stored_keys(session, Mention, MENTION_KEY, wanted)
        self._old_observations = stored_keys(session, Observation, OBSERVATION_KEY, wanted)
        columns = (ProjectFact.id, ProjectFact.watch_id, ProjectFact.story_url, ProjectFact.field, ProjectFact.value)
        facts = select_wide(*(col(c) for c in columns)).where(col(ProjectFact.story_url).in_(wanted))
        self._facts: dict[tuple[str, str, str], list[Any]] = {
            (watch, url, field): [fact_id, value] for fact_id, watch, url, field, value in session.exec(facts).all()
        }
        self._mentions: list[dict[str, Any]] = []
        self._observations: list[dict[str, Any]] = []
        self._new_facts: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._fact_updates: dict[int, tuple[str, str]] = {}
        self._detections: list[dict[str, Any]] = []

    def replace(
        self, story: Story, mentions: list[MentionRow], observations: list[ObservationRow]
    ) -> tuple[Replaced, Replaced]:
        """Make the story's stored findings exactly these."""
        mention_change = self._replace(Mention, self._old_mentions.get(story.url, {}), mentions, _mention_key,
                                       self._mentions)  # fmt: skip
        observation_change = self._replace(Observation, self._old_observations.get(story.url, {}), observations,
                                           _observation_key, self._observations)  # fmt: skip
        self._detections.append({"story_url": story.url, "digest": story.digest,
                                 "watchlist_digest": self.watchlist_digest, "processed_at": utcnow()})  # fmt: skip
        return mention_change, observation_change

    def _replace(self, model: Any, old: dict[tuple[object, ...], int], new: list[Any], key: Any,
                 pending: list[dict[str, Any]]) -> Replaced:  # fmt: skip
        new_keys = {key(row): row for row in new}
        gone = [row_id for k, row_id in old.items() if k not in new_keys]
        if gone:
            self.session.exec(delete(model).where(col(model.id).in_(gone)))
        added = [row for k, row in new_keys.items() if k not in old]
        pending.extend({**vars(row), "created_at": self.now} for row in added)  # flat rows: vars, not asdict
        return Replaced(len(added), len(gone))

    def save_fact(self, fact: FactRow) -> None:
        """Store what a story says about a project; a second value for the same field replaces the first."""
        key = (fact.watch_id, fact.story_url, fact.field)
        if key in self._new_facts:
            if self._new_facts[key]["value"] != fact.value:
                self._new_facts[key].update(value=fact.value, snippet=fact.snippet)
        elif key in self._facts:
            fact_id, value = self._facts[key]
            if value != fact.value:
                self._fact_updates[fact_id] = (fact.value, fact.snippet)
                self._facts[key][1] = fact.value
        else:
            self._new_facts[key] = {**vars(fact), "created_at": self.now}

    def flush(self) -> None:
        """Write what waits, so that queries in this transaction see it."""
        conn = self.session.connection()
        waiting = ((Mention, self._mentions), (Observation, self._observations),
                   (ProjectFact, list(self._new_facts.values())))  # fmt: skip
        for model, rows in waiting:
            if rows:
                conn.execute(insert(model.__table__), rows)  # type: ignore[union-attr]
        if self._fact_updates:
            table = ProjectFact.__table__  # type: ignore[attr-defined]
            stmt = (
                update(table)
                .where(table.c.id == bindparam("fact_id"))
                .values(value=bindparam("new_value"), snippet=bindparam("new_snippet"))
            )
            changes = [{"fact_id": i, "new_value": v, "new_snippet": t} for i, (v, t) in self._fact_updates.items()]
            conn.execute(stmt, changes)
        self._mentions, self._observations, self._new_facts, self._fact_updates = [], [], {}, {}

    def close(self) -> None:
        """Flush, and record the batch's stories as done (with the text and watchlist they were matched on)."""
        self.flush()
        if self._detections:
            urls = [d["story_url"] for d in self._detections]
            self.session.exec(delete(Detection).where(col(Detection.story_url).in_(urls)))
            self.session.connection().execute(insert(Detection.__table__), self._detections)  # type: ignore[attr-defined]
            self._detections = []
