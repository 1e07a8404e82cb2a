"""Alerts and their deliveries, read with plain SQL: ``szwatch alerts`` and the web view's alert list share
these reads.

Plain SQL (``store.plain``) because a read command must start fast: on the embedded store ``db.plain_reader``
answers through the standard library's sqlite3, without importing SQLAlchemy or the ORM models (about half a
second of CPU). The rows are frozen dataclasses with the attribute names of the ORM's ``Alert`` and
``AlertDelivery``, so the message rendering (``monitor/alerts/messages.py``) reads them as it reads those.
Values are made the same on every connection and as the ORM gives them: dates as ``date``, times as
``datetime`` in UTC with its offset, JSON columns as Python values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from szwatch.store.plain import in_list, plain_of

if TYPE_CHECKING:
    from szwatch.store.plain import Db

ALERT_COLUMNS = (
    "id, dedupe_key, rule, audience, watch_id, watch_name, tags, story_url, issue_date, page, page_print_url, "
    "title, snippet, figures, change, detect_run_id, crawl_run_id, created_at, paper"
)
DELIVERY_COLUMNS = (
    "alert_id, id, channel, mode, batch, status, attempts, next_attempt_at, last_error, idempotency_key, sent_at, "
    "created_at, claimed_by, claimed_until, mentions, push_window"
)


@dataclass(frozen=True)
class AlertRow:
    """One row of ``alerts``, as the ORM's ``Alert`` names its attributes."""

    id: int
    dedupe_key: str
    rule: str
    audience: str
    watch_id: str | None
    watch_name: str | None
    tags: list[str]
    story_url: str | None
    issue_date: date | None
    page: str | None
    page_print_url: str | None
    title: str | None
    snippet: str
    figures: list[dict[str, Any]]
    change: dict[str, Any]
    detect_run_id: int | None
    crawl_run_id: int | None
    created_at: datetime
    paper: str | None = None  # the paper's name when raised (山西日报)


@dataclass(frozen=True)
class DeliveryRow:
    """One row of ``deliveries`` (the outbox), as the ORM's ``AlertDelivery`` names its attributes."""

    alert_id: int
    id: int
    channel: str
    mode: str
    batch: int | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    idempotency_key: str
    sent_at: datetime | None
    created_at: datetime
    claimed_by: str | None = field(default=None)
    claimed_until: datetime | None = field(default=None)
    mentions: dict[str, Any] | None = field(default=None)  # whom it @s, fixed when queued
    push_window: str | None = field(default=None)  # "08:00-22:00", Asia/Shanghai


def list_alerts(db: Db, status: str | None = None, limit: int = 200) -> list[tuple[AlertRow, list[DeliveryRow]]]:
    """The newest ``limit`` alerts (only those with a delivery in ``status``, when given), each with its
    deliveries in the order they were queued."""
    plain = plain_of(db)
    params: dict[str, Any] = {"limit": limit}
    where = ""
    if status:
        where, params["status"] = "WHERE id IN (SELECT alert_id FROM deliveries WHERE status = :status)", status
    rows = plain.run(f"SELECT {ALERT_COLUMNS} FROM alerts {where} ORDER BY id DESC LIMIT :limit", params)
    alerts = [_alert(row) for row in rows]
    by_alert: dict[int, list[DeliveryRow]] = {}
    if alerts:
        ids: dict[str, Any] = {}
        sql = f"SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE alert_id IN {in_list('a', [a.id for a in alerts], ids)}"
        for row in plain.run(sql + " ORDER BY id", ids):
            delivery = delivery_row(row)
            by_alert.setdefault(delivery.alert_id, []).append(delivery)
    return [(a, by_alert.get(a.id, [])) for a in alerts]


def _alert(row: tuple[Any, ...]) -> AlertRow:
    (id_, key, rule, audience, watch_id, watch_name, tags, url, day, page, print_url, title, snippet, figures,
     change, detect_run, crawl_run, created, paper) = row  # fmt: skip
    return AlertRow(
        id_, key, rule, audience, watch_id, watch_name, json_value(tags) or [], url, as_date(day), page, print_url,
        title, snippet or "", json_value(figures) or [], json_value(change) or {}, detect_run, crawl_run,
        utc_moment(created), paper,
    )  # fmt: skip


def delivery_row(row: tuple[Any, ...]) -> DeliveryRow:
    alert_id, id_, channel, mode, batch, status, attempts, due, error, key, sent, created, by, until, *rest = row
    mentions, window = rest
    return DeliveryRow(alert_id, id_, channel, mode, batch, status, attempts, utc_moment(due), error, key,
                       moment_or_none(sent), utc_moment(created), by, moment_or_none(until), json_value(mentions),
                       window)  # fmt: skip


def json_value(value: Any) -> Any:
    """A JSON column: sqlite3 gives its text, PostgreSQL (through SQLAlchemy) the value already parsed."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def utc_moment(value: Any) -> datetime:
    """A timestamp column in UTC: sqlite3 gives the ISO text SQLAlchemy wrote (UTC, no offset), PostgreSQL an
    aware ``datetime``."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.utcoffset() is None else moment.astimezone(UTC)


def moment_or_none(value: Any) -> datetime | None:
    return None if value is None else utc_moment(value)
