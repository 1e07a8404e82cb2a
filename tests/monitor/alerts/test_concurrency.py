"""Several delivery workers on one database: every alert is sent, and sent once.

Real ``szwatch deliver`` processes, started together against a receiver slow enough (50 ms an answer) that
each worker is still sending when the others start, as a cron job beside the daemon would be.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from szwatch.replica.sinks import WebhookReceiver
from tests.faults import concurrent_deliver, hook_config, queue_alerts, tally

ALERTS = 100


@pytest.mark.parametrize("workers", [2, 3])
def test_concurrent_workers_send_each_alert_once(engine: Engine, webhook: WebhookReceiver, tmp_path: Path, workers):
    queue_alerts(engine, ALERTS)
    webhook.delay = 0.05
    config = hook_config(tmp_path / "settings.toml", webhook)

    codes = concurrent_deliver(engine.url.render_as_string(hide_password=False), config, workers)

    result = tally(engine, webhook, ALERTS)
    assert codes == [0] * workers
    assert (result.lost, result.duplicated, result.pending) == (0, 0, 0)
    assert len(webhook.requests) == ALERTS  # not one request more than there are alerts


def test_concurrent_workers_send_a_digest_once(engine: Engine, webhook: WebhookReceiver, tmp_path: Path):
    queue_alerts(engine, 30, mode="digest")
    webhook.delay = 0.2
    config = hook_config(tmp_path / "settings.toml", webhook, mode="digest")

    concurrent_deliver(engine.url.render_as_string(hide_password=False), config, 3)

    [request] = webhook.requests
    assert len(request.json()["alerts"]) == 30 and tally(engine, webhook, 30).pending == 0
