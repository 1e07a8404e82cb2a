"""Alerts end to end: rules over a real store, delivery to a real webhook receiver and a real SMTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.app.settings import Route, Settings
from szwatch.monitor.alerts.channels.email import EmailChannel
from szwatch.monitor.alerts.channels.webhook import WebhookChannel
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.sinks import MailCatcher, WebhookReceiver
from szwatch.store.models import Alert, AlertDelivery, utcnow
from tests.conftest import store_story

WATCHLIST = load_watchlist()
NAMES = {w.id: w.name for w in WATCHLIST.watches}
SECRET = "s3cret"


def baseline(engine: Engine) -> None:
    """A first crawl and detection: every watch's baseline (silent), so the stories added next are news."""
    store_story(engine, date(2024, 5, 6), 99, "其他", ["市区天气晴好。"])
    report = detect(engine, WATCHLIST)
    assert report.alerts == 0 and len(report.baselined) == len(WATCHLIST.watches)


def hook_settings(webhook: WebhookReceiver, mode: str = "instant", **extra: object) -> Settings:
    channel = WebhookChannel(name="hook", url=webhook.url, secret=SECRET, timeout=2)
    return Settings(channels=(channel,), routes=(Route(channel="hook", mode=mode),), **extra)  # type: ignore[arg-type]


def mail_settings(mail: MailCatcher, mode: str = "instant") -> Settings:
    channel = EmailChannel(name="mail", host="127.0.0.1", port=mail.port, sender="szwatch@localhost",
                           to=("a@localhost", "b@localhost"), timeout=2)  # fmt: skip
    return Settings(channels=(channel,), routes=(Route(channel="mail", mode=mode),))


def deliveries(engine: Engine) -> list[AlertDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(AlertDelivery).order_by(AlertDelivery.id)).all())


def alerts(engine: Engine) -> list[Alert]:
    with Session(engine) as session:
        return list(session.exec(select(Alert).order_by(Alert.id)).all())


def later(seconds: float):  # the only thing mocked: the clock the worker reads
    return lambda: utcnow() + timedelta(seconds=seconds)


def test_alert_is_delivered_once_signed_and_versioned(engine: Engine, webhook: WebhookReceiver):
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设。"])
    settings = hook_settings(webhook)
    detect(engine, WATCHLIST, routes=settings.routes)

    first = deliver_due(engine, settings, NAMES)
    second = deliver_due(engine, settings, NAMES, now=later(3600))

    assert (first.sent, second.sent) == (1, 0)
    [request] = webhook.requests
    body = request.json()
    assert body["schema"] == "szwatch.alert/v1" and body["event"] == "alert"
    [alert] = body["alerts"]
    assert (alert["rule"], alert["watch_id"], alert["watch_name"]) == (
        "new_mention",
        "dongli-polysilicon",
        "东立多晶硅项目",
    )
    assert alert["story"]["issue_date"] == "2024-05-07" and "【东立多晶硅项目】" in alert["snippet"]
    expected = "sha256=" + hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-szwatch-signature"] == expected
    assert request.headers["idempotency-key"] == deliveries(engine)[0].idempotency_key == body["idempotency_key"]


def test_server_error_is_retried_with_backoff_then_sent_once(engine: Engine, webhook: WebhookReceiver):
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设。"])
    settings = hook_settings(webhook)
    detect(engine, WATCHLIST, routes=settings.routes)
    webhook.answer(500)

    first = deliver_due(engine, settings, NAMES)
    [row] = deliveries(engine)
    too_soon = deliver_due(engine, settings, NAMES, now=later(5))
    retried = deliver_due(engine, settings, NAMES, now=later(settings.delivery.backoff_seconds + 5))

    assert (first.retried, row.status, row.attempts) == (1, "pending", 1) and "HTTP 500" in (row.last_error or "")
    assert too_soon.sent == too_soon.retried == 0
    assert retried.sent == 1 and deliveries(engine)[0].status == "sent"
    assert [r.status for r in webhook.requests] == [500, 200]
    assert webhook.requests[0].headers["idempotency-key"] == webhook.requests[1].headers["idempotency-key"]


def test_client_error_fails_visibly_and_is_not_retried(engine: Engine, webhook: WebhookReceiver):
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设。"])
    settings = hook_settings(webhook)
    detect(engine, WATCHLIST, routes=settings.routes)
    webhook.answer(400)

    report = deliver_due(engine, settings, NAMES)
    again = deliver_due(engine, settings, NAMES, now=later(10 * 3600))

    assert report.failed == 1 and again.sent == again.failed == 0
    [row] = deliveries(engine)
    assert row.status == "failed" and row.last_error.startswith("HTTP 400")  # type: ignore[union-attr]
    assert len(webhook.requests) == 1


def test_smtp_down_then_up(engine: Engine, mail: MailCatcher):
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "铁路<script>", ["集大原高铁朔州段联调联试，<b>标签</b>照原样显示。"])
    settings = mail_settings(mail)
    detect(engine, WATCHLIST, routes=settings.routes)
    mail.stop()

    down = deliver_due(engine, settings, NAMES)
    mail.start()
    up = deliver_due(engine, settings, NAMES, now=later(settings.delivery.backoff_seconds + 1))

    assert (down.retried, up.sent) == (1, 1)
    [(recipients, message)] = mail.messages
    assert recipients == ["a@localhost", "b@localhost"]
    assert message["Subject"] == "[szwatch] 新提及：集大原高铁 — 铁路<script>"
    assert message["Message-ID"] == f"<{deliveries(engine)[0].idempotency_key}@szwatch>"
    html = message.get_body(preferencelist=("html",)).get_content()
    plain = message.get_body(preferencelist=("plain",)).get_content()
    assert "&lt;script&gt;" in html and "<script>" not in html and "&lt;b&gt;" in html
    assert "【集大原高铁】" in plain


def test_one_failing_channel_does_not_hold_up_another(engine: Engine, webhook: WebhookReceiver, mail: MailCatcher):
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设。"])
    hook, email = hook_settings(webhook), mail_settings(mail)
    settings = Settings(channels=hook.channels + email.channels, routes=hook.routes + email.routes)
    detect(engine, WATCHLIST, routes=settings.routes)
    webhook.answer(503)

    report = deliver_due(engine, settings, NAMES)

    assert (report.sent, report.retried) == (1, 1)
    assert len(mail.messages) == 1


def test_digest_is_one_message_grouped_by_watch(engine: Engine, webhook: WebhookReceiver):
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设。", "集大原高铁联调联试。"])
    store_story(engine, date(2024, 5, 7), 2, "经济", ["今年一季度，全市地区生产总值完成298.6亿元，同比增长5.4%。"])
    settings = hook_settings(webhook, mode="digest")
    detect(engine, WATCHLIST, routes=settings.routes)

    report = deliver_due(engine, settings, NAMES)

    assert report.sent == 3
    [request] = webhook.requests
    body = request.json()
    assert body["event"] == "digest"
    assert sorted(a["watch_id"] for a in body["alerts"]) == ["dongli-polysilicon", "gdp", "jidayuan-hsr"]


def test_recrawl_and_rescan_raise_no_second_alert(engine: Engine, webhook: WebhookReceiver):
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设。"])
    settings = hook_settings(webhook)
    detect(engine, WATCHLIST, routes=settings.routes)
    deliver_due(engine, settings, NAMES)

    store_story(
        engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设，进展顺利。"]
    )  # text changed on a re-crawl
    changed = detect(engine, WATCHLIST, routes=settings.routes)
    rescan = detect(engine, WATCHLIST, rescan=True, routes=settings.routes)
    deliver_due(engine, settings, NAMES, now=later(3600))

    assert changed.stories_processed == 1 and rescan.stories_processed == 2  # the baseline story too
    assert changed.alerts == rescan.alerts == 0
    assert len(alerts(engine)) == 1 and len(webhook.requests) == 1


def test_revised_figure_and_stage_change_show_before_and_after(engine: Engine, webhook: WebhookReceiver):
    store_story(
        engine,
        date(2024, 3, 6),
        1,
        "统计公报",
        ["2023年，全市地区生产总值达到1265.3亿元，比上年增长5.2%。", "东立多晶硅项目开工建设。"],
    )
    detect(engine, WATCHLIST)
    store_story(
        engine,
        date(2024, 5, 7),
        2,
        "数据修订",
        ["2023年，全市地区生产总值1285.6亿元，增长5.1%。", "东立多晶硅项目建成投产。"],
    )

    detect(engine, WATCHLIST)

    by_rule = {a.rule: a for a in alerts(engine) if a.issue_date == date(2024, 5, 7)}
    revised, update = by_rule["revised_figure"], by_rule["project_update"]
    assert (revised.change["before"]["value"], revised.change["after"]["value"]) == (1265.3, 1285.6)
    assert (revised.change["before"]["growth_pct"], revised.change["after"]["growth_pct"]) == (5.2, 5.1)
    assert (
        revised.change["previous"]["issue_date"] == "2024-03-06" and revised.change["previous"]["title"] == "统计公报"
    )
    assert (update.change["field"], update.change["before"], update.change["after"]) == ("stage", "开工", "投产")
    assert update.change["previous"]["issue_date"] == "2024-03-06"


def test_killed_between_send_and_commit_resends_at_once_with_same_key(
    engine: Engine, webhook: WebhookReceiver, tmp_path: Path
):
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设。"])
    config = tmp_path / "settings.toml"
    config.write_text(f'[[channel]]\ntype = "webhook"\nname = "hook"\nurl = "{webhook.url}"\ntimeout = 1\n'
                      '[[route]]\nchannel = "hook"\n', encoding="utf-8")  # fmt: skip
    detect(engine, WATCHLIST, routes=(Route(channel="hook"),))
    env = {**os.environ, "SZWATCH_DB": engine.url.render_as_string(hide_password=False)}
    command = [sys.executable, "-m", "szwatch", "--quiet", "deliver", "--config", str(config)]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    webhook.on_request = lambda _: os.kill(worker.pid, signal.SIGKILL)  # dies after sending, before recording

    worker.wait(timeout=60)
    webhook.on_request = None
    assert worker.returncode == -signal.SIGKILL and deliveries(engine)[0].status == "pending"
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    assert again.returncode == 0, again.stderr
    assert len(webhook.requests) == 2
    assert webhook.requests[0].headers["idempotency-key"] == webhook.requests[1].headers["idempotency-key"]
    assert deliveries(engine)[0].status == "sent"


def test_alerts_command_shows_failed_and_retry_requeues(engine: Engine, webhook: WebhookReceiver):
    from tests.app.test_cli import szwatch

    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设。"])
    settings = hook_settings(webhook)
    detect(engine, WATCHLIST, routes=settings.routes)
    webhook.answer(404)
    deliver_due(engine, settings, NAMES)
    db_url = engine.url.render_as_string(hide_password=False)

    failed = szwatch("alerts", "--status", "failed", "--json", db_url=db_url)
    [row] = [json.loads(line) for line in failed.stdout.splitlines()]
    retried = szwatch("alerts", "retry", str(row["id"]), db_url=db_url)

    assert row["deliveries"][0]["status"] == "failed" and row["deliveries"][0]["last_error"].startswith("HTTP 404")
    assert retried.returncode == 0 and deliveries(engine)[0].status == "pending"
    assert deliver_due(engine, settings, NAMES).sent == 1


@pytest.mark.parametrize("answer", [400, None], ids=["http-400", "smtp-down"])
def test_notify_test_reports_failure_loudly(tmp_path: Path, webhook: WebhookReceiver, mail: MailCatcher, answer):
    from tests.app.test_cli import szwatch

    config = tmp_path / "settings.toml"
    config.write_text(f'[[channel]]\ntype = "webhook"\nname = "hook"\nurl = "{webhook.url}"\n'
                      f'[[channel]]\ntype = "email"\nname = "mail"\nhost = "127.0.0.1"\nport = {mail.port}\n'
                      'from = "s@localhost"\nto = ["a@localhost"]\ntimeout = 2\n', encoding="utf-8")  # fmt: skip
    if answer:
        webhook.answer(answer)
        result = szwatch("notify-test", "hook", "--config", str(config))
        assert result.returncode == 1 and "HTTP 400" in result.stderr
    else:
        mail.stop()
        result = szwatch("notify-test", "mail", "--config", str(config))
        assert result.returncode == 1 and "ConnectionRefusedError" in result.stderr
    assert szwatch("notify-test", "nothing", "--config", str(config)).stderr.startswith(
        "szwatch: error: nothing: failed"
    )


def test_bulk_retry_of_failed_deliveries_counts_asks_and_filters(engine: Engine, webhook: WebhookReceiver, mail):
    """A revoked robot key failed a morning's alerts: they are queued again at once, not one at a time."""
    from tests.app.test_cli import szwatch

    baseline(engine)
    for number in (1, 2, 3):
        store_story(engine, date(2024, 5, 7), number, "项目", [f"东立多晶硅项目第{number}次调度会召开。"])
    settings = Settings(channels=(*hook_settings(webhook).channels, *mail_settings(mail).channels),
                        routes=(Route(channel="hook"), Route(channel="mail")))  # fmt: skip
    detect(engine, WATCHLIST, routes=settings.routes)
    webhook.answer(404, 404, 404)
    mail.stop()
    deliver_due(engine, settings, NAMES)  # the webhook refuses (failed for good); mail is retried, pending
    db_url = engine.url.render_as_string(hide_password=False)
    ids = sorted({d.alert_id for d in deliveries(engine)})

    two = szwatch("alerts", "retry", str(ids[0]), str(ids[1]), db_url=db_url)
    unasked = szwatch("alerts", "retry", "--failed", db_url=db_url)
    other = szwatch("alerts", "retry", "--failed", "--channel", "mail", "--yes", db_url=db_url)
    rest = szwatch("alerts", "retry", "--failed", "--channel", "hook", "--since", "2024-01-01", "--yes", db_url=db_url)

    assert two.stdout.strip() == "2 delivery(ies) of 2 alert(s) queued again"
    assert unasked.returncode == 2
    assert unasked.stderr.strip() == ("szwatch: error: 1 failed delivery(ies) of 1 alert(s): not queued "
                                      "(add --yes to queue them)")  # fmt: skip
    assert other.returncode == 1 and "no failed delivery matches" in other.stderr
    assert rest.stdout.strip() == "1 delivery(ies) of 1 alert(s) queued again"
    assert {d.status for d in deliveries(engine) if d.channel == "hook"} == {"pending"}
    assert szwatch("alerts", "retry", "--failed", "1", db_url=db_url).returncode == 2  # IDs or --failed
