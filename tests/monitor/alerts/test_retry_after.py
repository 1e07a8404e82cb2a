"""A receiver that says when to come back is believed (within our patience); a channel's settings are checked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from szwatch.app.settings import DeliveryPolicy, Settings, load_settings
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.replica.sinks import ChatReceiver, WebhookReceiver
from szwatch.store.models import utcnow
from tests.app.test_cli import szwatch
from tests.conftest import store_story
from tests.monitor.alerts.test_alerts import NAMES, WATCHLIST, baseline, deliveries, hook_settings


def one_alert(engine: Engine, settings: Settings) -> None:
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设。"])
    detect(engine, WATCHLIST, routes=settings.routes)


def waits(engine: Engine, started: datetime) -> float:
    """Seconds from ``started`` until the delivery's next attempt."""
    moment = deliveries(engine)[0].next_attempt_at
    return ((moment if moment.tzinfo else moment.replace(tzinfo=UTC)) - started).total_seconds()


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_webhook_retry_after_is_honoured(engine: Engine, webhook: WebhookReceiver, status: int, form: str):
    settings = hook_settings(webhook)
    one_alert(engine, settings)
    started = utcnow()
    webhook.answer(status)
    webhook.retry_after = "120" if form == "seconds" else format_datetime(started + timedelta(seconds=120), usegmt=True)

    report = deliver_due(engine, settings, NAMES)

    assert report.retried == 1 and deliveries(engine)[0].status == "pending"
    assert 110 <= waits(engine, started) <= 125  # not the plain 30 s backoff


def test_retry_after_is_capped_by_our_patience(engine: Engine, webhook: WebhookReceiver):
    settings = hook_settings(webhook, delivery=DeliveryPolicy(backoff_max_seconds=600))
    one_alert(engine, settings)
    started = utcnow()
    webhook.answer(429)
    webhook.retry_after = "86400"  # a day: longer than we are willing to wait

    deliver_due(engine, settings, NAMES)

    assert 590 <= waits(engine, started) <= 610


def test_chat_robot_retry_after_is_honoured(engine: Engine, tmp_path: Path):
    chat.LIMITER.reset()
    with ChatReceiver("wecom") as robot:
        path = tmp_path / "settings.toml"
        path.write_text(f'[[channel]]\ntype = "wecom"\nname = "team"\nurl = "{robot.url}"\ntimeout = 2\n'
                        '[[route]]\nchannel = "team"\n', encoding="utf-8")  # fmt: skip
        settings = load_settings(path, env={})
        one_alert(engine, settings)
        started = utcnow()
        robot.http_answers.append(503)
        robot.retry_after = "300"

        report = deliver_due(engine, settings, NAMES)

    chat.LIMITER.reset()
    assert report.retried == 1 and 290 <= waits(engine, started) <= 310


@pytest.mark.parametrize("timeout", ["0", "-1", '"ten"', "100000"])
def test_a_channel_timeout_must_be_more_than_zero(tmp_path: Path, timeout: str):
    path = tmp_path / "settings.toml"
    path.write_text(f'[[channel]]\ntype = "webhook"\nname = "hook"\nurl = "http://127.0.0.1:9/x"\ntimeout = {timeout}\n',
                    encoding="utf-8")  # fmt: skip
    result = szwatch("config", "show", "--config", str(path))
    assert result.returncode == 2
    assert result.stderr.strip() == (f"szwatch: error: {path}:5: channel.timeout: seconds, more than 0 and at most "
                                     "3600")  # fmt: skip
