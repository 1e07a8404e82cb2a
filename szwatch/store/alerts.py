"""Alerts and the outbox of their deliveries: queries and state changes, nothing about sending."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, func, select

from szwatch.common.clock import local_iso
from szwatch.store import operations
from szwatch.store.models import (
    Alert,
    AlertDelivery,
    Article,
    DeliveryMode,
    DeliveryStatus,
    DetectRun,
    Issue,
    Observation,
    ProjectFact,
    WatchBaseline,
    utcnow,
)

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
    counts: dict[str, int] = {}
    for status in session.exec(select(AlertDelivery.status)).all():
        counts[status] = counts.get(status, 0) + 1
    return counts


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


DUE_NOW = "due now (szwatch deliver, or the daemon, sends it)"


def why_pending(
    session: Session, now: datetime | None = None, blocked: Mapping[str, str] | None = None
) -> list[tuple[int, str]]:
    """Pending deliveries grouped by what they wait for, so that none is pending without a stated reason.
    ``blocked``: channels that cannot send now (a secret not in the environment), and why."""
    now = now or utcnow()
    rows = session.exec(select(AlertDelivery).where(AlertDelivery.status == DeliveryStatus.PENDING)).all()
    running = {r.id: r for r in session.exec(select(DetectRun).where(col(DetectRun.finished_at).is_(None))).all()}
    paused, held = set(operations.paused_channels(session)), set(operations.paused_routes(session))
    reasons: dict[str, int] = {}
    for row in rows:
        reason = _pending_reason(row, running, now)
        if row.channel in paused or (row.channel, row.mode) in held:
            what = "channel" if row.channel in paused else f"route {operations.route_name(row.channel, row.mode)}"
            reason = f"{row.channel}: {what} paused (web view); held, sent in order when resumed"
        elif blocked and row.channel in blocked and reason.endswith(DUE_NOW):
            reason = f"{row.channel}: cannot send: {blocked[row.channel]}"
        reasons[reason] = reasons.get(reason, 0) + 1
    return sorted(((n, reason) for reason, n in reasons.items()), key=lambda item: (-item[0], item[1]))


def _pending_reason(row: AlertDelivery, running: dict[int | None, DetectRun], now: datetime) -> str:
    if row.claimed_until and _aware(row.claimed_until) >= now:
        return f"{row.channel}: being sent by {row.claimed_by}"
    if row.mode == DeliveryMode.DIGEST and row.batch in running:
        run = running[row.batch]
        return (f"{row.channel}: digest of detection run #{run.id}, still running (pid {run.worker_pid} on "
                f"{run.worker_host}, last heartbeat {local_iso(run.heartbeat_at) or 'none'})")  # fmt: skip
    if _aware(row.next_attempt_at) > now:
        if row.mode == DeliveryMode.DAILY and not row.attempts:
            return f"{row.channel}: daily digest, due {local_iso(row.next_attempt_at)}"
        if not row.last_error:  # held, not failed: outside the route's push window, or the chat's interval
            held = f"push window {row.push_window}" if row.push_window else "the chat's minimum interval"
            return f"{row.channel}: held by {held}, due {local_iso(row.next_attempt_at)}"
        why = f"after: {(row.last_error or '')[:120]}" if row.last_error else "(backoff)"
        return f"{row.channel}: retried from {local_iso(row.next_attempt_at)} {why}"
    return f"{row.channel}: {DUE_NOW}"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
