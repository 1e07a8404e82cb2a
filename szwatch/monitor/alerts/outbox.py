"""The outbox: alerts and their deliveries are written in the transaction of the detection that caused them.

So an alert is never lost between "decided" and "queued", and the delivery worker (``deliver``) only ever
reads rows. The dedupe key makes "once" a database constraint: a re-crawl, a rescan or the other part of a
continued story meets an alert that exists already and adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from sqlmodel import Session

from szwatch.monitor.alerts.settings import Mode, Route
from szwatch.store import alerts as store_alerts
from szwatch.store.models import Alert, AlertDelivery


def record_alerts(
    session: Session, candidates: list[Alert], routes: tuple[Route, ...], tags: Mapping[str, tuple[str, ...]]
) -> list[Alert]:
    """Store the alerts not known yet, each with a delivery per route that wants it; returns the new ones."""
    unique = {a.dedupe_key: a for a in candidates}
    known = store_alerts.known_keys(session, list(unique))  # one query per story, not per candidate
    fresh = [a for key, a in unique.items() if key not in known]
    for alert in fresh:
        session.add(alert)
    session.flush()
    for alert in fresh:
        for route in routes:
            if route.accepts(alert.rule, alert.watch_id, tags.get(alert.watch_id or "", ())):
                session.add(delivery_for(alert, route.channel, route.mode))
    return fresh


def delivery_for(alert: Alert, channel: str, mode: str = Mode.INSTANT) -> AlertDelivery:
    key = hashlib.sha256(f"{channel}|{alert.dedupe_key}".encode()).hexdigest()[:32]
    return AlertDelivery(alert_id=alert.id or 0, channel=channel, mode=mode, batch=alert.detect_run_id,
                         idempotency_key=key)  # fmt: skip
