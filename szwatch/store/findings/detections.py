"""Stories for detection and what detection found: mentions, observations, and which stories are done.

A story is its parts (articles sharing a ``story_url``); its ``digest`` is made of the parts' content
hashes, so a story whose text changed, or whose continuation arrived later, is detected again.

Findings travel as plain rows (``MentionRow``, ``ObservationRow``, ``FactRow``) and are written by a
``FindingsWriter``, many stories to a transaction in multi-row statements: building an ORM object costs more
than matching a sentence (about 0.5 ms each), and an archive holds millions of findings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import date
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, delete, select

from szwatch.store.findings.bulk import BulkInsert, rows_of_stories
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
from szwatch.store.plain import plain_of
from szwatch.store.reads import stories

# A story and its digest live with the plain reads (``watch test`` reads stories without the ORM); these names
# stay importable from here.
from szwatch.store.reads.stories import Story as Story
from szwatch.store.reads.stories import StoryPart as StoryPart

# the columns of ``stories.PLACE``: where an article stands in the paper's reading order
_PLACE = (col(Issue.issue_date), col(Issue.id), col(Page.seq), col(Article.id), col(Article.url), col(Article.page_id))


def story_digests(session: Session) -> dict[str, str]:
    """Every story's digest, in reading order (``reads.stories``: the preview of a watch reads it alone)."""
    return stories.story_digests(plain_of(session))


def landed_digests(session: Session, after_id: int) -> dict[str, str]:
    """``story_digests`` of the stories with a part stored after article ``after_id`` (what a crawl wrote since
    the last detection), in reading order.

    A story whose first part says it continues another (上接) that is not joined to it yet is left out: detected
    alone now, the part would be a story of its own and alert again once joined to its head (alerts are keyed by
    the head's URL). It waits for its head, or for the detection after the crawl, which takes every story."""
    key = func.coalesce(Article.story_url, Article.url)
    touched = select(key).where(col(Article.id) > after_id).scalar_subquery()
    stmt = (
        select_wide(key, col(Article.content_hash), *_PLACE, col(Article.continued_from))
        .join(Issue, col(Issue.id) == Article.issue_id)
        .join(Page, col(Page.id) == Article.page_id)
        .where(key.in_(touched))
    )
    rows = list(session.exec(stmt).all())
    waiting = {row[0] for row in rows if row[6] == row[0] and row[8]}
    found = stories.digests_in_reading_order(plain_of(session), rows)
    return {url: story_digest for url, story_digest in found.items() if url not in waiting}


def absorb_parts(session: Session, joined: Sequence[Story]) -> None:
    """Forget what detection found in a part when it was a story of its own (a continuation whose head had not
    come yet): its findings and its "done" record go, so the joined story is the one place they live, and its
    earlier figures and facts cannot pass for another story's (a project update from the same story twice). Its
    alerts stay: they were sent, and the rules do not raise them again under the joined story's URL."""
    alone = [part.url for story in joined if len(story.parts) > 1 for part in story.parts if part.url != story.url]
    if not alone:
        return
    for model in (Mention, Observation, ProjectFact, Detection):
        session.exec(delete(model).where(col(model.story_url).in_(alone)))


def processed(session: Session, urls: Sequence[str] | None = None) -> dict[str, tuple[str, str]]:
    """story_url → (digest, watchlist digest) of what detection last saw (of these stories, when given).

    Three columns on the session's connection, not ``Detection`` objects: a run reads every story's (the ORM's
    loading of each was most of the cost)."""
    stmt = select(col(Detection.story_url), col(Detection.digest), col(Detection.watchlist_digest))
    if urls is not None:
        stmt = stmt.where(col(Detection.story_url).in_(list(urls)))
    return {url: (digest, watchlist) for url, digest, watchlist in session.connection().execute(stmt).all()}


def load_stories(session: Session, urls: Sequence[str]) -> Iterator[Story]:
    """The stories with these URLs, parts in reading order (``reads.stories``, shared with the preview)."""
    return stories.load_stories(plain_of(session), urls)


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


# A stored row's key (``MENTION_KEY``, ``OBSERVATION_KEY``) read from a row to store: ``attrgetter`` makes the
# same tuple as a function would, in C (a rescan keys every finding twice, for its preview and its run).
_mention_key = attrgetter("watch_id", "sentence_index", "surface", "kind")
_observation_key = attrgetter("indicator_id", "sentence_index", "ordinal", "value", "unit", "growth_pct", "period",
                              "period_start", "period_end", "scope", "rank", "relative")  # fmt: skip


MENTION_KEY = (Mention.watch_id, Mention.sentence_index, Mention.surface, Mention.kind)
OBSERVATION_KEY = (
    Observation.indicator_id, Observation.sentence_index, Observation.ordinal, Observation.value, Observation.unit,
    Observation.growth_pct, Observation.period, Observation.period_start, Observation.period_end, Observation.scope,
    Observation.rank, Observation.relative,
)  # fmt: skip


def stored_keys(
    session: Session, model: Any, columns: tuple[Any, ...], urls: list[str]
) -> dict[str, dict[tuple[object, ...], int]]:
    """story URL → {a stored row's key (``columns``): its id}, for these stories, in one query.

    Run on the driver's cursor of the session's connection (``bulk.rows_of_stories``), not through the ORM nor
    SQLAlchemy's rows: the same rows and values at about half the cost (a rescan reads every stored finding twice,
    for its preview and its run, and every run's writer once)."""
    names = ("id", "story_url", *(column.key for column in columns))
    found: dict[str, dict[tuple[object, ...], int]] = defaultdict(dict)
    for row in rows_of_stories(session.connection(), model.__table__, names, urls):
        found[row[1]][row[2:]] = row[0]
    return found


MENTION_COLUMNS = tuple(f.name for f in fields(MentionRow))
OBSERVATION_COLUMNS = tuple(f.name for f in fields(ObservationRow))
FACT_COLUMNS = tuple(f.name for f in fields(FactRow))
DETECTION_COLUMNS = ("story_url", "digest", "watchlist_digest", "processed_at")
_ROW_COLUMNS = {"mentions": MENTION_COLUMNS, "observations": OBSERVATION_COLUMNS}


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
        self._mentions: list[MentionRow] = []
        self._observations: list[ObservationRow] = []
        self._new_facts: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._fact_updates: dict[int, tuple[str, str]] = {}
        self._detections: list[tuple[str, str, str, Any]] = []
        self._inserts: dict[str, BulkInsert] = {}

    def replace(
        self, story: Story, mentions: list[MentionRow], observations: list[ObservationRow]
    ) -> tuple[Replaced, Replaced]:
        """Make the story's stored findings exactly these."""
        mention_change = self._replace(Mention, self._old_mentions.get(story.url, {}), mentions, _mention_key,
                                       self._mentions)  # fmt: skip
        observation_change = self._replace(Observation, self._old_observations.get(story.url, {}), observations,
                                           _observation_key, self._observations)  # fmt: skip
        self._detections.append((story.url, story.digest, self.watchlist_digest, utcnow()))
        return mention_change, observation_change

    def _replace(self, model: Any, old: dict[tuple[object, ...], int], new: list[Any], key: Any,
                 pending: list[Any]) -> Replaced:  # fmt: skip
        new_keys = {key(row): row for row in new}
        gone = [row_id for k, row_id in old.items() if k not in new_keys]
        if gone:
            self.session.exec(delete(model).where(col(model.id).in_(gone)))
        added = [row for k, row in new_keys.items() if k not in old]
        pending.extend(added)
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
        for model, rows in ((Mention, self._mentions), (Observation, self._observations)):
            if rows:
                self._insert(model, _ROW_COLUMNS[model.__tablename__], rows, attrgetter)
        if self._new_facts:
            self._insert(ProjectFact, FACT_COLUMNS, list(self._new_facts.values()), itemgetter)
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
            urls = [d[0] for d in self._detections]
            self.session.exec(delete(Detection).where(col(Detection.story_url).in_(urls)))
            self._bulk(Detection, DETECTION_COLUMNS).run(self._detections)
            self._detections = []

    def _insert(self, model: Any, columns: tuple[str, ...], rows: Sequence[Any], getter: Any) -> None:
        """Rows (the columns but ``created_at``, read by ``getter``: attributes or keys), stamped with the
        writer's time."""
        bulk = self._bulk(model, (*columns, "created_at"))
        now = bulk.process(self.now, len(columns))  # one time for the batch: processed once, not per row
        values = getter(*columns)
        bulk.run([(*values(row), now) for row in rows], raw=(len(columns),))

    def _bulk(self, model: Any, columns: tuple[str, ...]) -> BulkInsert:
        table = model.__table__
        if table.name not in self._inserts:
            self._inserts[table.name] = BulkInsert(self.session.connection(), table, columns)
        return self._inserts[table.name]
