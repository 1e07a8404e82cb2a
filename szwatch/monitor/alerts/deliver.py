"""The delivery worker: sends what the outbox holds, retries with backoff, fails visibly, never twice.

A message is *claimed* before sending (``store/claims.py``: its rows carry this worker's name until well past
the send's own timeout), the claim is re-checked just before sending, and the outcome is recorded only on rows
the worker still holds: any number of ``szwatch deliver`` and daemons on one database send each message once.
A crash between sending and recording leaves it pending and claimed by a dead worker; the next worker takes it
over and sends it again with the same idempotency key, which the receiver can recognise — the alert is never
lost. Each channel's result only touches its own rows, so one failing channel never holds up another.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from loguru import logger
from sqlalchemy.engine import Engine
from sqlmodel import Session

from szwatch.monitor.alerts import channels, windows
from szwatch.monitor.alerts.channels.base import DEFER, FAILED, SENT, ChannelConfig, Mentions, SendResult
from szwatch.monitor.alerts.settings import AlertSettings, Mode
from szwatch.store import alerts as store_alerts
from szwatch.store import claims, operations
from szwatch.store.db import session_scope
from szwatch.store.findings import detect_runs
from szwatch.store.models import Alert, AlertDelivery, DeliveryStatus, utcnow

CLAIM_MARGIN = timedelta(seconds=30)


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
    # whom its routes, watches and tags @ (the channel adds its own)
    mentions: Mentions = field(default_factory=Mentions)


def send(channel: ChannelConfig, alerts: list[Alert], key: str, event: str, names: dict[str, str]) -> SendResult:
    result: SendResult = channels.module(channel.kind).send(channel, alerts, key, event, names)
    return result


def deliver_due(
    engine: Engine, settings: AlertSettings, names: dict[str, str] | None = None, now: Callable[[], datetime] = utcnow
) -> DeliveryReport:
    """Send every message due now, one claimed message at a time; each row is tried at most once per pass."""
    report = DeliveryReport()
    with session_scope(engine) as session:  # a killed detection run's digest is released, not held for good
        claims.begin_write(session)  # several workers may find the same dead run: one closes it
        for run in detect_runs.close_dead(session):
            logger.warning("detect run {} closed: {}; its digest goes out as it stands", run.id, run.error)
    worker = claims.claimant()
    tried: set[int] = set()
    while (claimed := _claim_next(engine, settings, now(), worker, tried)) is not None:
        message, alerts = claimed
        tried.update(message.rows)
        channel = settings.channel(message.channel)
        if not _still_ours(engine, message, worker, _claim_end(channel, now())):
            logger.warning("delivery to {} (alerts {}): claim lost before sending; another worker has it",
                           message.channel, list(message.alert_ids))  # fmt: skip
            continue
        if channel is None:
            result = SendResult(FAILED, f"no channel named {message.channel!r} in the settings")
        else:
            result = send(_with_mentions(channel, message.mentions), alerts, message.key, message.event, names or {})
        _record(engine, settings, message, result, now(), worker)
        _tally(report, message, result)
    return report


def _claim_end(channel: ChannelConfig | None, moment: datetime) -> datetime:
    """A claim outlives the send: a message may take several requests (a chat message in parts), each up to
    the channel's timeout for connecting and again for answering."""
    timeout = channel.timeout if channel else 0.0
    return moment + timedelta(seconds=6 * timeout) + CLAIM_MARGIN


def _claim_next(
    engine: Engine, settings: AlertSettings, moment: datetime, worker: str, tried: set[int]
) -> tuple[_Message, list[Alert]] | None:
    """Claim the first due message nobody else holds (all its rows or none), with its alerts."""
    with session_scope(engine) as session:
        claims.begin_write(session)
        dead = claims.dead_claimants(session, moment)
        # A paused channel or route is held, not failed: its rows wait, in order, until it is unpaused.
        blocked = sorted({*settings.problems, *operations.paused_channels(session)})
        held = operations.paused_routes(session)
        due = claims.candidates(session, moment, dead, sorted(tried), blocked, held)
        for message in _messages(_not_held(session, settings, due, moment), settings):
            until = _claim_end(settings.channel(message.channel), moment)
            if claims.claim(session, message.rows, worker, moment, until, dead):
                found = store_alerts.alerts_by_id(session, message.alert_ids)
                return message, [found[i] for i in message.alert_ids]
    return None


def _still_ours(engine: Engine, message: _Message, worker: str, until: datetime) -> bool:
    with session_scope(engine) as session:
        claims.begin_write(session)
        return claims.extend(session, message.rows, worker, until)


def _messages(due: list[AlertDelivery], settings: AlertSettings | None = None) -> list[_Message]:
    """Instant rows go one by one; digest rows of one channel and detection run go as one message, and so do
    daily rows of one channel and day (days in order, when a daemon that was down has several to send). A chat
    with a minimum interval gets everything due for it in one message: what came within the interval."""
    found: list[_Message] = []
    digests: dict[tuple[str, str, int | None], list[AlertDelivery]] = {}
    for row in due:
        if _interval(settings, row.channel):
            digests.setdefault(("grouped", row.channel, 0), []).append(row)
        elif row.mode in (Mode.DIGEST, Mode.DAILY):
            digests.setdefault((row.mode, row.channel, row.batch), []).append(row)
        else:
            found.append(_Message(row.channel, (row.id or 0,), (row.alert_id,), row.idempotency_key, "alert",
                                  _mentions([row])))  # fmt: skip
    for (mode, channel, batch), rows in sorted(digests.items(), key=lambda item: (item[0][0], item[0][2] or 0)):
        ids = tuple(sorted(r.alert_id for r in rows))
        if mode == "grouped" and len(rows) == 1:
            found.append(_Message(channel, (rows[0].id or 0,), ids, rows[0].idempotency_key, "alert", _mentions(rows)))
            continue
        key = hashlib.sha256(f"{channel}|{mode}|{batch}|{ids}".encode()).hexdigest()[:32]
        found.append(_Message(channel, tuple(r.id or 0 for r in rows), ids, key, "digest", _mentions(rows)))
    return found


def _mentions(rows: list[AlertDelivery]) -> Mentions:
    people = Mentions()
    for row in rows:
        people = people | Mentions.from_stored(row.mentions)
    return people


def _with_mentions(channel: ChannelConfig, people: Mentions) -> ChannelConfig:
    """The channel as it sends this message: its own ``@`` and the message's (a kind without ``@`` ignores it)."""
    own = getattr(channel, "mentions", None)
    if not people or own is None:
        return channel
    return replace(channel, mentions=own | people)  # type: ignore[type-var]


def _interval(settings: AlertSettings | None, channel: str) -> timedelta:
    config = settings.channel(channel) if settings else None
    return timedelta(minutes=float(getattr(config, "min_interval", 0.0) or 0.0))


def _not_held(
    session: Session, settings: AlertSettings, due: list[AlertDelivery], moment: datetime
) -> list[AlertDelivery]:
    """The rows that may go now. A row outside its route's push window, or for a chat that had a message less
    than its minimum interval ago, is *held*: due again when the window opens or the interval ends (so
    ``status`` says when), never dropped; held rows go out then in the order they were raised."""
    ready = []
    last_sent: dict[str, datetime | None] = {}
    for row in due:
        until = windows.next_open(row.push_window, moment)
        interval = _interval(settings, row.channel)
        if until == moment and interval:
            if row.channel not in last_sent:
                last_sent[row.channel] = store_alerts.last_sent(session, row.channel)
            last = last_sent[row.channel]
            until = max(moment, last + interval) if last else moment
        if until > moment:
            row.next_attempt_at = until
            session.add(row)
            continue
        ready.append(row)
    return ready


def _record(
    engine: Engine, settings: AlertSettings, message: _Message, result: SendResult, moment: datetime, worker: str
) -> None:
    """Write the outcome on the rows this worker still holds, and let go of them."""
    policy = settings.delivery
    with session_scope(engine) as session:
        claims.begin_write(session)
        rows = claims.held_rows(session, message.rows, worker)
        if len(rows) < len(message.rows):
            logger.warning("delivery to {}: {} of {} rows were taken over before the outcome was recorded",
                           message.channel, len(message.rows) - len(rows), len(message.rows))  # fmt: skip
        for row in rows:
            row.claimed_by, row.claimed_until = None, None
            row.last_error = None if result.ok else result.detail
            asked = min(result.retry_after, policy.backoff_max_seconds)  # the receiver's wish, within our patience
            if result.outcome == DEFER:  # not an attempt: wait for the receiver's rate limit to make room
                row.next_attempt_at = moment + timedelta(seconds=max(asked, 1.0))
                session.add(row)
                continue
            row.attempts += 1
            if result.outcome == SENT:
                row.status, row.sent_at = DeliveryStatus.SENT, moment
            elif result.outcome == FAILED or row.attempts >= policy.max_attempts:
                row.status = DeliveryStatus.FAILED
            else:
                delay = min(policy.backoff_seconds * 2 ** (row.attempts - 1), policy.backoff_max_seconds)
                row.next_attempt_at = moment + timedelta(seconds=max(delay, asked))
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
    if channel_name in settings.problems:
        return SendResult(FAILED, settings.problems[channel_name])
    sample = Alert(id=0, dedupe_key="test", rule="test", watch_id="test", watch_name="测试 test", tags=["test"],
                   title="szwatch 测试消息 test message", snippet="这是一条测试提醒：【东立多晶硅项目】如期推进。",
                   created_at=utcnow())  # fmt: skip
    key = hashlib.sha256(f"test|{utcnow().isoformat()}".encode()).hexdigest()[:32]
    return send(channel, [sample], key, "test", {"test": "测试 test"})
