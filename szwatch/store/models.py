"""Tables of the store.

Natural keys carry the idempotency: an issue is its (source, date), a page its URL, an article its URL.
A re-crawl therefore updates rows in place instead of appending, which is the bug of the public spiders
of this site. Times are timezone-aware UTC; the CLI shows them in Asia/Shanghai.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel
from sqlmodel.sql.expression import Select

# The states live in ``common/states.py`` (no SQLModel there, so the settings and the plain reads name them
# cheaply); the tables and their callers keep naming them from here.
from szwatch.common.states import DeliveryMode as DeliveryMode
from szwatch.common.states import DeliveryStatus as DeliveryStatus
from szwatch.common.states import IssueStatus as IssueStatus
from szwatch.common.states import RunStatus as RunStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


def select_wide(*entities: Any) -> Select[*tuple[Any, ...]]:
    """``select`` for rows of more than four columns.

    sqlmodel's ``select()`` is typed by overloads that stop at four entities, so a wider select does not
    type-check although it runs fine. Building the same ``Select`` directly keeps the query checked; its rows
    are typed as tuples of ``Any``.
    """
    return Select(*entities)


class Issue(SQLModel, table=True):
    __tablename__ = "issues"
    __table_args__ = (UniqueConstraint("source", "issue_date"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(default="szrb", max_length=32)
    issue_date: date = Field(index=True)
    issue_no: int | None = None
    pages_declared: int | None = None
    masthead: str | None = Field(default=None, sa_column=Column(Text))
    url: str = Field(max_length=512)
    status: str = Field(default=IssueStatus.INCOMPLETE, max_length=16)
    first_seen_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Page(SQLModel, table=True):
    """A 版面. ``article_urls`` keeps the page's own listing, so an article linked from two pages is
    stored once and still listed by both."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("issue_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="issues.id", index=True)
    code: str = Field(max_length=16)
    name: str | None = Field(default=None, max_length=64)
    url: str = Field(max_length=512, unique=True)
    seq: int = 0
    article_urls: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    fetched_at: datetime = Field(default_factory=utcnow)
    image_url: str | None = Field(default=None, max_length=512)  # the page as printed: its picture
    pdf_url: str | None = Field(default=None, max_length=512)  # and its PDF, where the system offers them
    # The printed 版面 number (第02版 is 2): what two sites of one paper agree on when their page codes do not
    # (A2, 02, node_3), and what a continuation mark (下转第2版) names. Unknown for pages stored before 0013.
    number: int | None = None


class Article(SQLModel, table=True):
    """One article as last seen. ``text`` is the normal form (paragraphs joined by newlines); ``raw_text``
    is what the page said, kept so that a change of the normal form can be replayed."""

    __tablename__ = "articles"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=512, unique=True)
    issue_id: int = Field(foreign_key="issues.id", index=True)
    page_id: int = Field(foreign_key="pages.id", index=True)
    number: str = Field(max_length=32)
    kicker: str | None = Field(default=None, sa_column=Column(Text))
    title: str = Field(default="", sa_column=Column(Text))
    subtitle: str | None = Field(default=None, sa_column=Column(Text))
    byline: str | None = Field(default=None, max_length=256)
    text: str = Field(default="", sa_column=Column(Text))
    raw_text: str = Field(default="", sa_column=Column(Text))
    content_hash: str = Field(max_length=64)
    continued_to: str | None = Field(default=None, max_length=16)
    continued_from: str | None = Field(default=None, max_length=16)
    story_url: str | None = Field(default=None, max_length=512, index=True)
    truncation_suspect: bool = False
    first_seen_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ArticleVersion(SQLModel, table=True):
    """An earlier text of an article, kept when a later crawl found it changed."""

    __tablename__ = "article_versions"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    kicker: str | None = Field(default=None, sa_column=Column(Text))
    title: str = Field(default="", sa_column=Column(Text))
    subtitle: str | None = Field(default=None, sa_column=Column(Text))
    byline: str | None = Field(default=None, max_length=256)
    text: str = Field(default="", sa_column=Column(Text))
    raw_text: str = Field(default="", sa_column=Column(Text))
    content_hash: str = Field(max_length=64)
    seen_from: datetime
    superseded_at: datetime = Field(default_factory=utcnow)


class ArticleAlternate(SQLModel, table=True):
    """Another URL of a stored article: the same article served by another site of the same paper (matched on
    date, page and normalised title and text), kept instead of a second copy, so it is detected and alerted once
    and a later crawl of that site knows it is stored."""

    __tablename__ = "article_alternates"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    url: str = Field(max_length=512, unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class Picture(SQLModel, table=True):
    __tablename__ = "pictures"
    __table_args__ = (UniqueConstraint("article_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    position: int
    url: str = Field(max_length=512)
    caption: str | None = Field(default=None, sa_column=Column(Text))


class CrawlRun(SQLModel, table=True):
    """One crawl, with what it asked for, what it did and how it ended: the daemon and ``status`` read
    outcomes from here rather than from logs."""

    __tablename__ = "crawl_runs"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    mode: str = Field(max_length=16)
    base_url: str = Field(max_length=512)
    request: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    status: str = Field(default=RunStatus.RUNNING, max_length=16)
    stats: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    error: str | None = Field(default=None, sa_column=Column(Text))
    # Who is doing the run and when it last said so: a run whose worker is gone is closed as interrupted
    # by the next ``status`` or crawl instead of staying "running" forever.
    worker_pid: int | None = None
    worker_host: str | None = Field(default=None, max_length=255)
    heartbeat_at: datetime | None = None


class Problem(SQLModel, table=True):
    """Something a crawl could not do or a page that did not fit the source profile."""

    __tablename__ = "problems"

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="crawl_runs.id", index=True)
    kind: str = Field(max_length=32)
    url: str = Field(max_length=512)
    issue_date: date | None = None
    detail: str = Field(default="", sa_column=Column(Text))
    subject: str = Field(default="", max_length=16)  # what ``url`` is: page, article, entry, issue, run
    created_at: datetime = Field(default_factory=utcnow)


class Mention(SQLModel, table=True):
    """A tracked project named in a story (one per watch and sentence). ``story_url`` is the URL of the
    story's first part: parts continued across pages are one story."""

    __tablename__ = "mentions"
    __table_args__ = (UniqueConstraint("watch_id", "story_url", "sentence_index"),)

    id: int | None = Field(default=None, primary_key=True)
    watch_id: str = Field(max_length=64, index=True)
    story_url: str = Field(max_length=512, index=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    surface: str = Field(sa_column=Column(Text))
    kind: str = Field(max_length=16)
    snippet: str = Field(sa_column=Column(Text))
    sentence_index: int
    start: int
    end: int
    created_at: datetime = Field(default_factory=utcnow)


class Observation(SQLModel, table=True):
    """One figure of a tracked indicator as a story states it: the archive becomes a time series."""

    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint("indicator_id", "story_url", "sentence_index", "ordinal"),
        # a figure's earlier values (the alert rules' look-up; migration 0008)
        Index("ix_observations_figure", "indicator_id", "period_start", "period_end", "scope"),
    )

    id: int | None = Field(default=None, primary_key=True)
    indicator_id: str = Field(max_length=64, index=True)
    story_url: str = Field(max_length=512, index=True)
    article_id: int = Field(foreign_key="articles.id", index=True)
    value: float | None = None
    unit: str = Field(default="", max_length=16)
    growth_pct: float | None = None
    period: str = Field(default="", max_length=32)
    period_start: date | None = None
    period_end: date | None = None
    scope: str = Field(default="全市", max_length=16)
    rank: str = Field(default="", max_length=32)
    relative: bool = False
    snippet: str = Field(sa_column=Column(Text))
    surface: str = Field(default="", max_length=64)
    sentence_index: int
    ordinal: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class Detection(SQLModel, table=True):
    """That a story was matched, against which text (``digest`` of its parts) and which watchlist: the
    reason a second ``detect`` does nothing, and a changed story or ``--rescan`` does the work again."""

    __tablename__ = "detections"

    story_url: str = Field(primary_key=True, max_length=512)
    digest: str = Field(max_length=64)
    watchlist_digest: str = Field(max_length=64)
    processed_at: datetime = Field(default_factory=utcnow)


class DetectRun(SQLModel, table=True):
    """One pass of detection; its alerts form one digest, sent only once the run has ended. Like a crawl run it
    names its worker and renews ``heartbeat_at``, so a run whose worker died is closed as interrupted by the next
    ``detect``, ``deliver``, ``status`` or the daemon, and its digest goes out as it stands."""

    __tablename__ = "detect_runs"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    stories: int = 0
    alerts: int = 0
    status: str = Field(default=RunStatus.RUNNING, max_length=16)  # running, ok or interrupted
    error: str | None = Field(default=None, sa_column=Column(Text))
    worker_pid: int | None = None
    worker_host: str | None = Field(default=None, max_length=255)
    heartbeat_at: datetime | None = None


class ProjectFact(SQLModel, table=True):
    """What a story said about a project (investment, stage, progress): the baseline of project_update."""

    __tablename__ = "project_facts"
    __table_args__ = (
        UniqueConstraint("watch_id", "story_url", "field"),
        Index("ix_project_facts_latest", "watch_id", "field", "issue_date"),  # a project's latest fact (0008)
    )

    id: int | None = Field(default=None, primary_key=True)
    watch_id: str = Field(max_length=64, index=True)
    story_url: str = Field(max_length=512, index=True)
    issue_date: date
    field: str = Field(max_length=16)
    value: str = Field(max_length=64)
    snippet: str = Field(sa_column=Column(Text))
    created_at: datetime = Field(default_factory=utcnow)


class Alert(SQLModel, table=True):
    """Something a user (or the operator) should hear of once. ``dedupe_key`` makes "once" a constraint
    of the database rather than a hope: a re-crawl, a rescan or a second part of a story cannot add it again."""

    __tablename__ = "alerts"

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(max_length=255, unique=True)
    rule: str = Field(max_length=32, index=True)
    audience: str = Field(default="user", max_length=16)
    watch_id: str | None = Field(default=None, max_length=64, index=True)
    watch_name: str | None = Field(default=None, max_length=255)  # as the watchlist named it when raised
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # the watch's tags when raised
    story_url: str | None = Field(default=None, max_length=512)
    issue_date: date | None = None
    page: str | None = Field(default=None, max_length=16)
    page_print_url: str | None = Field(default=None, max_length=512)  # the story's page as printed (PDF, picture)
    paper: str | None = Field(default=None, max_length=64)  # the paper's name when raised (山西日报; migration 0015)
    title: str | None = Field(default=None, sa_column=Column(Text))
    snippet: str = Field(default="", sa_column=Column(Text))
    figures: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    change: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    detect_run_id: int | None = Field(default=None, foreign_key="detect_runs.id", index=True)
    crawl_run_id: int | None = Field(default=None, foreign_key="crawl_runs.id")
    created_at: datetime = Field(default_factory=utcnow)


class WatchBaseline(SQLModel, table=True):
    """That a watch has had its first detection: stories stored up to then (``last_article_id``) are its
    baseline and never alert, so a new database, a backfill or a watch added later does not flood anyone."""

    __tablename__ = "watch_baselines"

    watch_id: str = Field(primary_key=True, max_length=64)
    last_article_id: int = 0
    detect_run_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class WatchlistInUse(SQLModel, table=True):
    """The watchlist the store was last detected with: a command that resolves another file (run from another
    folder, a missing setting) is refused instead of quietly detecting — or rescanning away — with the wrong one.
    ``path`` is empty for a store detected before this was recorded (only the digest is known then)."""

    __tablename__ = "watchlist_in_use"

    name: str = Field(default="detect", primary_key=True, max_length=32)
    path: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    digest: str = Field(max_length=64)
    watches: int = 0
    recorded_at: datetime = Field(default_factory=utcnow)


class AlertDelivery(SQLModel, table=True):
    """The outbox: one row per alert and channel, sent by the delivery worker, retried, never dropped.
    ``idempotency_key`` travels with the message (webhook header, e-mail Message-ID), so a resend after a
    crash between sending and recording is recognisable by the receiver. ``claimed_by`` (``host:pid:token``)
    and ``claimed_until`` say which worker is sending it: only that one may, and only it records the outcome."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "channel"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: int = Field(foreign_key="alerts.id", index=True)
    channel: str = Field(max_length=64)
    mode: str = Field(default=DeliveryMode.INSTANT, max_length=16)
    batch: int | None = Field(default=None, index=True)
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    idempotency_key: str = Field(max_length=64)
    sent_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None
    # Resolved when queued, so a retry @s the same people and keeps the same hours (routes, watch, tags):
    mentions: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))  # {"all", "mobiles", "users"}
    push_window: str | None = Field(default=None, max_length=16)  # "08:00-22:00", Asia/Shanghai


class Lease(SQLModel, table=True):
    """Who runs the daemon on this database, until when; ``info`` carries its heartbeat facts (next runs).

    A lease in the database, not a lock file, so that two machines pointed at one PostgreSQL never crawl or
    deliver twice; a holder that crashed loses it when ``expires_at`` passes."""

    __tablename__ = "leases"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=255)
    acquired_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    info: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class AuditEntry(SQLModel, table=True):
    """Who changed what from the web view, and when: a watch saved, paused or deleted, a delivery retried, a
    channel paused, a check asked for. ``detail`` is one human line (the watch's id and what changed)."""

    __tablename__ = "audit_trail"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=64)
    action: str = Field(max_length=32)
    target: str = Field(max_length=255)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))


class Pause(SQLModel, table=True):
    """A channel (``kind="channel"``, its name) or a route (``kind="route"``, ``channel/mode``) whose deliveries
    are held: not sent, not failed, not counted as attempts; they go out in order once the row is gone."""

    __tablename__ = "pauses"

    kind: str = Field(primary_key=True, max_length=16)
    name: str = Field(primary_key=True, max_length=128)
    paused_at: datetime = Field(default_factory=utcnow)
    paused_by: str = Field(max_length=64)


class CheckRequest(SQLModel, table=True):
    """A "check now" for a source, asked in the web view; the daemon takes it (``taken_at``) at its next tick."""

    __tablename__ = "check_requests"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    requested_at: datetime = Field(default_factory=utcnow)
    requested_by: str = Field(max_length=64)
    taken_at: datetime | None = Field(default=None, index=True)
