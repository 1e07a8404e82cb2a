"""The outbox: alerts and their deliveries are written in the transaction of the detection that caused them.

So an alert is never lost between "decided" and "queued", and the delivery worker (``deliver``) only ever
reads rows. The dedupe key makes "once" a database constraint: a re-crawl, a rescan or the other part of a
continued story meets an alert that exists already and adds nothing.

A daily route's delivery is scheduled when it is written: ``next_attempt_at`` is the first ``at`` (Asia/Shanghai)
after the alert and ``batch`` that day as ``yyyymmdd``. Nothing about the digest lives in memory, so a daemon
that was down at that minute finds the rows due when it is back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta

from sqlmodel import Session

from szwatch.common.clock import SHANGHAI
from szwatch.monitor.alerts import windows
from szwatch.monitor.alerts.channels.base import Mentions
from szwatch.monitor.alerts.settings import Mode, Route
from szwatch.store import alerts as store_alerts
from szwatch.store.models import Alert, AlertDelivery, utcnow


def record_alerts(
    session: Session,
    candidates: list[Alert],
    routes: tuple[Route, ...],
    tags: Mapping[str, tuple[str, ...]],
    names: Mapping[str, str] | None = None,
    now: datetime | None = None,
    mentions: Mapping[str, tuple[str, ...]] | None = None,
) -> list[Alert]:
    """Store the alerts not known yet, each with a delivery per channel that a route wants it for; returns the
    new ones.

    Each alert keeps its watch's name and tags as they are now, so it reads the same whatever watchlist is
    at hand when it is listed or sent later; each delivery keeps whom it ``@``s (its routes', its watch's and
    tags' ``mentions``) and its route's push window, so a retry mentions the same people at the same hours."""
    moment = now or utcnow()
    unique = {a.dedupe_key: a for a in candidates}
    known = store_alerts.known_keys(session, list(unique))  # one query per story, not per candidate
    fresh = [a for key, a in unique.items() if key not in known]
    for alert in fresh:
        watch = alert.watch_id or ""
        alert.watch_name = alert.watch_name or (names or {}).get(watch)
        alert.tags = list(alert.tags or tags.get(watch, ()))
        alert.created_at = moment
        session.add(alert)
    session.flush()
    for alert in fresh:
        watch = alert.watch_id or ""
        wanted = [r for r in routes if r.accepts(alert.rule, alert.watch_id, tags.get(watch, ()))]
        for route in wanted:
            if any(r.channel == route.channel for r in wanted[: wanted.index(route)]):
                continue  # one delivery per channel: the first route's mode and window, every route's @
            people = Mentions.of_entries((mentions or {}).get(watch, ()))
            for other in (r for r in wanted if r.channel == route.channel):
                people = other.mentions | people
            session.add(delivery_for(alert, route.channel, route.mode, route.at, moment, people, route.window))
    return fresh


def delivery_for(
    alert: Alert, channel: str, mode: str = Mode.INSTANT, at: str = "08:30", now: datetime | None = None,
    mentions: Mentions | None = None, window: str | None = None,
) -> AlertDelivery:  # fmt: skip
    """The delivery row; outside its push ``window`` it is due when the window next opens (held, not lost)."""
    key = hashlib.sha256(f"{channel}|{alert.dedupe_key}".encode()).hexdigest()[:32]
    if mode == Mode.DAILY:
        day, moment = daily_slot(now or utcnow(), at)
        row = AlertDelivery(alert_id=alert.id or 0, channel=channel, mode=mode, batch=day,
                            next_attempt_at=windows.next_open(window, moment), idempotency_key=key)  # fmt: skip
    else:
        due = windows.next_open(window, now or utcnow())
        row = AlertDelivery(alert_id=alert.id or 0, channel=channel, mode=mode, batch=alert.detect_run_id,
                            next_attempt_at=due, idempotency_key=key)  # fmt: skip
    row.mentions, row.push_window = (mentions.stored() if mentions else None), window
    return row


def daily_slot(created: datetime, at: str) -> tuple[int, datetime]:
    """The daily digest an alert created at ``created`` belongs to: the first ``at`` at or after it.

    Returns the digest's day as ``yyyymmdd`` and its moment in UTC."""
    hour, minute = (int(part) for part in at.split(":"))
    local = (created if created.tzinfo else created.replace(tzinfo=UTC)).astimezone(SHANGHAI)
    slot = datetime.combine(local.date(), time(hour, minute), tzinfo=SHANGHAI)
    if slot < local:
        slot += timedelta(days=1)
    return int(f"{slot:%Y%m%d}"), slot.astimezone(UTC)
