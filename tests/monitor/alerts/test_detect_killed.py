"""A detection run killed mid-way does not hold its digest back: the next command closes it and the digest goes out.

``szwatch detect`` commits its findings, alerts and deliveries story batch by story batch; a digest route waits
for the run to end. Here a real ``szwatch detect`` is killed with SIGKILL after its first batch.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.replica.sinks import WebhookReceiver
from szwatch.store import alerts as store_alerts
from szwatch.store.db import session_scope
from szwatch.store.findings import detect_runs
from szwatch.store.models import DetectRun
from tests.app.test_cli import szwatch
from tests.faults import hook_config, kill_detect_mid_run, store_news, tally
from tests.monitor.alerts.test_alerts import NAMES, WATCHLIST, baseline, hook_settings

STORIES = 1500


def test_killed_detect_run_is_closed_by_the_next_command_and_its_digest_sent(
    engine: Engine, webhook: WebhookReceiver, tmp_path: Path
):
    baseline(engine)
    store_news(engine, date(2024, 5, 7), STORIES)
    config = hook_config(tmp_path / "settings.toml", webhook, mode="digest")
    db_url = engine.url.render_as_string(hide_password=False)

    written = kill_detect_mid_run(engine, db_url, config)
    status = szwatch("status", "--json", "--config", str(config), db_url=db_url)
    delivered = szwatch("deliver", "--config", str(config), db_url=db_url)

    report = json.loads(status.stdout)
    [closed] = report["interrupted_detect_runs"]
    assert 0 < written <= STORIES and "is gone" in closed["error"]  # killed before it ended (usually mid-way)
    assert report["pending"] == [
        {"count": written, "reason": "hook: due now (szwatch deliver, or the daemon, sends it)"}
    ]
    assert delivered.returncode == 0, delivered.stderr
    result = tally(engine, webhook, written)
    assert (result.lost, result.duplicated, result.pending) == (0, 0, 0)
    assert len(webhook.requests) == 1  # the interrupted run's digest, as one message


def test_next_detect_closes_a_dead_run_and_deliver_sends_its_digest(
    engine: Engine, webhook: WebhookReceiver, tmp_path: Path
):
    baseline(engine)
    store_news(engine, date(2024, 5, 7), STORIES)
    config = hook_config(tmp_path / "settings.toml", webhook, mode="digest")
    db_url = engine.url.render_as_string(hide_password=False)

    written = kill_detect_mid_run(engine, db_url, config)
    again = szwatch("detect", "--config", str(config), db_url=db_url)
    delivered = szwatch("deliver", "--config", str(config), db_url=db_url)

    assert again.returncode == 0 and delivered.returncode == 0, again.stderr + delivered.stderr
    result = tally(engine, webhook, STORIES)
    assert (result.lost, result.duplicated, result.pending) == (0, 0, 0)
    assert [len(r.json()["alerts"]) for r in webhook.requests] == [n for n in (written, STORIES - written) if n]


def test_a_digest_waiting_for_a_live_detection_run_says_so(engine: Engine, webhook: WebhookReceiver):
    settings = hook_settings(webhook, mode="digest")
    baseline(engine)
    store_news(engine, date(2024, 5, 7), 3)
    run_id = detect(engine, WATCHLIST, routes=settings.routes).run_id or 0
    with session_scope(engine) as session:  # as if this (live) process were still detecting
        run = session.get(DetectRun, run_id)
        assert run is not None
        run.finished_at, run.status = None, "running"

    held = deliver_due(engine, settings, NAMES)
    with session_scope(engine) as session:
        [(count, reason)] = store_alerts.why_pending(session)
        detect_runs.finish(session, run_id, 3, 3)
    sent = deliver_due(engine, settings, NAMES)

    assert held.sent == 0 and count == 3
    assert reason.startswith(f"hook: digest of detection run #{run_id}, still running (pid {os.getpid()} on ")
    assert sent.sent == 3 and len(webhook.requests) == 1
