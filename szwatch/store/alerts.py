"""Alerts and the outbox of their deliveries: queries and state changes, nothing about sending."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, func, select

from szwatch.store.models import (
    Alert,
    AlertDelivery,
    Article,
    DeliveryStatus,
    Issue,
    Observation,
    ProjectFact,
    WatchBaseline,
    utcnow,
)
from szwatch.store.plain import plain_of
from szwatch.store.reads.health import delivery_counts
from szwatch.store.reads.pending import DUE_NOW as DUE_NOW  # what a pending delivery waits for: read there
from szwatch.store.reads.pending import why_pending as why_pending

if TYPE_CHECKING:
    from szwatch.store.findings.detections import ObservationRow


def baselines(session: Session) -> dict[str, int]:
    """Watch id → the newest article id of its baseline (stories up to it never alert for that watch)."""
    return {b.watch_id: b.last_article_id for b in session.exec(select(WatchBaseline)).all()}


def add_baselines(session: Session, watch_ids: Sequence[str], last_article_id: int, run_id: int | None) -> None:
    for watch_id in watch_ids:
        session.add(WatchBaseline(watch_id=watch_id, last_article_id=last_article_id, detect_run_id=run_id))


def newest_article_id(session: Session) -> int:
    return int(session.exec(select(func.max(Article.id))).one() or 0)


def newest_issue_date(session: Session) -> date | None:
    """The newest issue that has stories: the reference of ``[alerts] max_age_days``."""
    stmt = select(func.max(Issue.issue_date)).where(col(Issue.id).in_(select(Article.issue_id)))
    return session.exec(stmt).one()


def known_keys(session: Session, keys: Sequence[str]) -> set[str]:
    if not keys:
        return set()
    return set(session.exec(select(Alert.dedupe_key).where(col(Alert.dedupe_key).in_(list(keys)))).all())


def prior_observation(session: Session, obs: ObservationRow) -> tuple[Observation, date, str | None] | None:
    """The latest figure for the same indicator, period and scope from another, earlier-or-same-day story
    (index ``ix_observations_figure`` finds the few rows of that figure)."""
    stmt = (
        select(Observation, col(Issue.issue_date), col(Article.title))
        .join(Article, col(Article.id) == Observation.article_id)
        .join(Issue, col(Issue.id) == Article.issue_id)
        .where(
            Observation.indicator_id == obs.indicator_id,
            Observation.period_start == obs.period_start,
            Observation.period_end == obs.period_end,
            Observation.scope == obs.scope,
            col(Observation.relative).is_(False),
            Observation.story_url != obs.story_url,
        )
        .order_by(col(Issue.issue_date).desc(), col(Observation.id).desc())
    )
    row = session.exec(stmt).first()
    return (row[0], row[1], row[2]) if row else None


def same_period_last_year(session: Session, obs: ObservationRow) -> tuple[Observation, date, str | None] | None:
    """The latest figure for the same indicator and scope, for the period a year before (a threshold's base)."""
    if obs.period_start is None or obs.period_end is None:
        return None
    start, end = _year_before(obs.period_start), _year_before(obs.period_end)
    return _newest(session, obs, Observation.period_start == start, Observation.period_end == end)


def earlier_ranked(session: Session, obs: ObservationRow) -> tuple[Observation, date, str | None] | None:
    """The same indicator and scope's latest ranked figure for an earlier period (a rank threshold's base)."""
    if obs.period_end is None:
        return None
    return _newest(session, obs, col(Observation.period_end) < obs.period_end, Observation.rank != "",
                   order=col(Observation.period_end).desc())  # fmt: skip


def _newest(
    session: Session, obs: ObservationRow, *where: Any, order: Any = None
) -> tuple[Observation, date, str | None] | None:
    same = (Observation.indicator_id == obs.indicator_id, Observation.scope == obs.scope)
    first = [order] if order is not None else []
    stmt = (
        select(Observation, col(Issue.issue_date), col(Article.title))
        .join(Article, col(Article.id) == Observation.article_id)
        .join(Issue, col(Issue.id) == Article.issue_id)
        .where(*same, col(Observation.relative).is_(False), *where)
        .order_by(*first, col(Issue.issue_date).desc(), col(Observation.id).desc())
    )
    row = session.exec(stmt).first()
    return (row[0], row[1], row[2]) if row else None


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def latest_fact(session: Session, watch_id: str, field: str, story_url: str) -> ProjectFact | None:
    """The project's newest fact of this kind from another story (index ``ix_project_facts_latest``)."""
    stmt = (
        select(ProjectFact)
        .where(ProjectFact.watch_id == watch_id, ProjectFact.field == field, ProjectFact.story_url != story_url)
        .order_by(col(ProjectFact.issue_date).desc(), col(ProjectFact.id).desc())
    )
    return session.exec(stmt).first()


def alerts_by_id(session: Session, ids: Sequence[int]) -> dict[int, Alert]:
    return {a.id or 0: a for a in session.exec(select(Alert).where(col(Alert.id).in_(list(ids)))).all()}


def counts_by_status(session: Session) -> dict[str, int]:
    return delivery_counts(plain_of(session))  # the health check's read (``store/reads/health.py``)


def counts_by_channel(session: Session) -> dict[str, dict[str, int]]:
    """Channel → delivery state → how many (the operations page's table)."""
    grouped = select(AlertDelivery.channel, AlertDelivery.status, func.count())
    rows = session.exec(grouped.group_by(col(AlertDelivery.channel), col(AlertDelivery.status))).all()
    counts: dict[str, dict[str, int]] = {}
    for channel, status, number in rows:
        counts.setdefault(channel, {})[status] = int(number)
    return counts


def failed_deliveries(
    session: Session, alert_ids: Sequence[int] = (), channel: str | None = None, since: datetime | None = None
) -> list[AlertDelivery]:
    """Failed deliveries, of the alerts given (all when none is), of one channel, of alerts raised since a time."""
    stmt = select(AlertDelivery).where(AlertDelivery.status == DeliveryStatus.FAILED)
    if alert_ids:
        stmt = stmt.where(col(AlertDelivery.alert_id).in_(list(alert_ids)))
    if channel:
        stmt = stmt.where(AlertDelivery.channel == channel)
    if since:
        stmt = stmt.where(col(AlertDelivery.alert_id).in_(select(Alert.id).where(col(Alert.created_at) >= since)))
    return list(session.exec(stmt.order_by(col(AlertDelivery.id))).all())


def requeue(session: Session, rows: Sequence[AlertDelivery]) -> int:
    """Put failed deliveries back in the queue, now, with their attempts counted afresh; returns how many."""
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = DeliveryStatus.PENDING, 0, utcnow()
        row.claimed_by, row.claimed_until = None, None
        session.add(row)
    return len(rows)


def latest_health(session: Session) -> dict[str, Alert]:
    """The newest health or health_recovered alert of each condition (what the operator was last told)."""
    rows = session.exec(
        select(Alert).where(col(Alert.rule).in_(["health", "health_recovered"])).order_by(col(Alert.id))
    ).all()
    return {a.watch_id or "": a for a in rows}


def last_sent(session: Session, channel: str) -> datetime | None:
    """When a message last went out through ``channel`` (a chat's minimum interval counts from it)."""
    found = session.exec(
        select(func.max(AlertDelivery.sent_at)).where(
            AlertDelivery.channel == channel, AlertDelivery.status == DeliveryStatus.SENT
        )
    ).one()
    if found is None:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)
