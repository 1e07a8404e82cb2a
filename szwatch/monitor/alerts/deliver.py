"""The delivery worker: sends what the outbox holds, retries with backoff, fails visibly, never twice.

A delivery is *claimed* before sending (its next attempt moved past the send's own timeout) and recorded
after. A crash in between leaves it pending; once the claim lapses it is sent again with the same
idempotency key, which the receiver can recognise — the alert is never lost. Each channel's result only
touches its own rows, so one failing channel never holds up another.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from loguru import logger
from sqlalchemy.engine import Engine

from szwatch.monitor.alerts import channels
from szwatch.monitor.alerts.channels.base import DEFER, FAILED, SENT, ChannelConfig, SendResult
from szwatch.monitor.alerts.settings import AlertSettings, Mode
from szwatch.store import alerts as store_alerts
from szwatch.store.db import session_scope
from szwatch.store.models import Alert, AlertDelivery, DeliveryStatus, utcnow


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Message:
    channel: str
    rows: tuple[int, ...]
    alert_ids: tuple[int, ...]
    key: str
    event: str


def send(channel: ChannelConfig, alerts: list[Alert], key: str, event: str, names: dict[str, str]) -> SendResult:
    result: SendResult = channels.module(channel.kind).send(channel, alerts, key, event, names)
    return result


def deliver_due(
    engine: Engine, settings: AlertSettings, names: dict[str, str] | None = None, now: Callable[[], datetime] = utcnow
) -> DeliveryReport:
    report = DeliveryReport()
    for message, alerts in _claim(engine, settings, now()):
        channel = settings.channel(message.channel)
        if channel is None:
            result = SendResult(FAILED, f"no channel named {message.channel!r} in the settings")
        else:
            result = send(channel, alerts, message.key, message.event, names or {})
        _record(engine, settings, message, result, now())
        _tally(report, message, result)
    return report


def _claim(engine: Engine, settings: AlertSettings, moment: datetime) -> list[tuple[_Message, list[Alert]]]:
    with session_scope(engine) as session:
        due = store_alerts.due_deliveries(session, moment)
        alerts = store_alerts.alerts_by_id(session, [d.alert_id for d in due])
        for row in due:
            channel = settings.channel(row.channel)
            row.next_attempt_at = moment + timedelta(seconds=(channel.timeout if channel else 0) + 1)
            session.add(row)
    return [(m, [alerts[i] for i in m.alert_ids]) for m in _messages(due)]


def _messages(due: list[AlertDelivery]) -> list[_Message]:
    """Instant rows go one by one; digest rows of one channel and detection run go as one message, and so do
    daily rows of one channel and day (days in order, when a daemon that was down has several to send)."""
    found: list[_Message] = []
    digests: dict[tuple[str, str, int | None], list[AlertDelivery]] = {}
    for row in due:
        if row.mode in (Mode.DIGEST, Mode.DAILY):
            digests.setdefault((row.mode, row.channel, row.batch), []).append(row)
        else:
            found.append(_Message(row.channel, (row.id or 0,), (row.alert_id,), row.idempotency_key, "alert"))
    for (mode, channel, batch), rows in sorted(digests.items(), key=lambda item: (item[0][0], item[0][2] or 0)):
        ids = tuple(sorted(r.alert_id for r in rows))
        key = hashlib.sha256(f"{channel}|{mode}|{batch}|{ids}".encode()).hexdigest()[:32]
        found.append(_Message(channel, tuple(r.id or 0 for r in rows), ids, key, "digest"))
    return found


def _record(engine: Engine, settings: AlertSettings, message: _Message, result: SendResult, moment: datetime) -> None:
    policy = settings.delivery
    with session_scope(engine) as session:
        for row_id in message.rows:
            row = session.get(AlertDelivery, row_id)
            if row is None:
                continue
            row.last_error = None if result.ok else result.detail
            if result.outcome == DEFER:  # not an attempt: wait for the receiver's rate limit to make room
                row.next_attempt_at = moment + timedelta(seconds=max(result.retry_after, 1.0))
                session.add(row)
                continue
            row.attempts += 1
            if result.outcome == SENT:
                row.status, row.sent_at = DeliveryStatus.SENT, moment
            elif result.outcome == FAILED or row.attempts >= policy.max_attempts:
                row.status = DeliveryStatus.FAILED
            else:
                delay = min(policy.backoff_seconds * 2 ** (row.attempts - 1), policy.backoff_max_seconds)
                row.next_attempt_at = moment + timedelta(seconds=max(delay, result.retry_after))
            session.add(row)


def _tally(report: DeliveryReport, message: _Message, result: SendResult) -> None:
    count = len(message.rows)
    if result.outcome == SENT:
        report.sent += count
    elif result.outcome == FAILED:
        report.failed += count
    else:
        report.retried += count
    line = f"{result.outcome:<6} {message.channel} {message.event} alerts {list(message.alert_ids)}: {result.detail}"
    report.lines.append(line)
    log = logger.info if result.outcome in (SENT, DEFER) else logger.warning  # a deferral is the plan working
    log("delivery {} to {} ({} alerts, key {}): {}", result.outcome, message.channel, count, message.key, result.detail)


def run_worker(engine: Engine, settings: AlertSettings, names: dict[str, str], stop: threading.Event) -> None:
    """Deliver until ``stop`` is set, polling every ``delivery.poll_seconds`` (the daemon's loop)."""
    while not stop.is_set():
        try:
            deliver_due(engine, settings, names)
        except Exception:  # a bad row or a database hiccup must not end the worker
            logger.exception("delivery pass failed; trying again next poll")
        stop.wait(settings.delivery.poll_seconds)


def notify_test(settings: AlertSettings, channel_name: str) -> SendResult:
    """Send a sample alert through one channel, now, and say what the server answered."""
    channel = settings.channel(channel_name)
    if channel is None:
        known = ", ".join(c.name for c in settings.channels) or "none configured"
        return SendResult(FAILED, f"no channel named {channel_name!r} (channels: {known})")
    sample = Alert(id=0, dedupe_key="test", rule="test", watch_id="test", watch_name="测试 test", tags=["test"],
                   title="szwatch 测试消息 test message", snippet="这是一条测试提醒：【东立多晶硅项目】如期推进。",
                   created_at=utcnow())  # fmt: skip
    key = hashlib.sha256(f"test|{utcnow().isoformat()}".encode()).hexdigest()[:32]
    return send(channel, [sample], key, "test", {"test": "测试 test"})
