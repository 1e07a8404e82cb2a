"""Daily digests: one message a day at the route's hour, grouped by watch, and none lost to a daemon that was down."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from szwatch.app.daemon import Daemon
from szwatch.app.settings import Route, Settings
from szwatch.common.clock import SHANGHAI
from szwatch.monitor.alerts.channels.webhook import WebhookChannel
from szwatch.monitor.alerts.channels.wecom import WecomChannel
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.replica.sinks import ChatReceiver, WebhookReceiver
from tests.conftest import store_story
from tests.monitor.alerts.test_alerts import NAMES, WATCHLIST, baseline, deliveries


def at(day: date, hhmm: str) -> datetime:
    hour, minute = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def daily(webhook: WebhookReceiver) -> Settings:
    channel = WebhookChannel(name="hook", url=webhook.url, timeout=2)
    return Settings(channels=(channel,), routes=(Route(channel="hook", mode="daily", at="08:30"),))


DAY = date(2024, 5, 7)


def test_one_message_a_day_at_its_hour_grouped_by_watch(engine: Engine, webhook: WebhookReceiver):
    settings = daily(webhook)
    baseline(engine)
    store_story(engine, DAY, 1, "项目", ["东立多晶硅项目开工建设。", "集大原高铁联调联试。"])
    store_story(engine, DAY, 2, "经济", ["今年一季度，全市地区生产总值完成298.6亿元，同比增长5.4%。"])
    detect(engine, WATCHLIST, routes=settings.routes, clock=lambda: at(DAY, "07:10"))
    store_story(engine, DAY, 3, "午后", ["东立多晶硅项目建成投产。"])
    detect(engine, WATCHLIST, routes=settings.routes, clock=lambda: at(DAY, "09:00"))  # after 08:30: tomorrow's

    early = deliver_due(engine, settings, NAMES, now=lambda: at(DAY, "08:29"))
    sent = deliver_due(engine, settings, NAMES, now=lambda: at(DAY, "08:30") + timedelta(seconds=1))
    again = deliver_due(engine, settings, NAMES, now=lambda: at(DAY, "12:00"))
    tomorrow = deliver_due(engine, settings, NAMES, now=lambda: at(DAY + timedelta(days=1), "08:31"))

    assert early.sent == 0 and again.sent == 0
    assert sent.sent == 3 and tomorrow.sent >= 1
    first, second = (r.json() for r in webhook.requests)
    assert first["event"] == "digest" and second["event"] == "digest"
    assert sorted(a["watch_id"] for a in first["alerts"]) == ["dongli-polysilicon", "gdp", "jidayuan-hsr"]
    assert {a["story"]["title"] for a in second["alerts"]} == {"午后"}
    assert webhook.requests[0].headers["idempotency-key"] != webhook.requests[1].headers["idempotency-key"]


def test_a_daemon_down_at_that_minute_sends_each_days_digest_when_back(
    engine: Engine, webhook: WebhookReceiver, tmp_path: Path
):
    settings = daily(webhook)
    baseline(engine)
    store_story(engine, DAY, 1, "第一天", ["东立多晶硅项目开工建设。"])
    detect(engine, WATCHLIST, routes=settings.routes, clock=lambda: at(DAY, "07:00"))
    store_story(engine, DAY + timedelta(days=1), 2, "第二天", ["集大原高铁联调联试。"])
    detect(engine, WATCHLIST, routes=settings.routes, clock=lambda: at(DAY + timedelta(days=1), "07:00"))

    back = at(DAY + timedelta(days=1), "10:15")  # down at both 08:30s; a new daemon process comes back
    Daemon(engine, settings, WATCHLIST, clock=lambda: back).deliver()

    titles = [[a["story"]["title"] for a in r.json()["alerts"]] for r in webhook.accepted()]
    assert titles == [["第一天"], ["第二天"]]  # one message per day, in order
    assert {d.status for d in deliveries(engine)} == {"sent"}


def test_daily_digest_in_a_chat_group_has_a_heading_per_watch(engine: Engine):
    with ChatReceiver("wecom") as robot:
        settings = Settings(channels=(WecomChannel(name="wx", url=robot.url, timeout=2),),
                            routes=(Route(channel="wx", mode="daily", at="08:30"),))  # fmt: skip
        baseline(engine)
        store_story(engine, DAY, 1, "项目", ["东立多晶硅项目开工建设。", "集大原高铁联调联试。"])
        detect(engine, WATCHLIST, routes=settings.routes, clock=lambda: at(DAY, "06:40"))
        deliver_due(engine, settings, NAMES, now=lambda: at(DAY, "08:30"))

    [message] = robot.accepted()
    assert "### 东立多晶硅项目" in message.text and "### 集大原高铁" in message.text
    assert message.text.startswith("## [szwatch] 2条提醒")


def test_daily_route_settings_are_checked(tmp_path: Path):
    from szwatch.app.settings import load_settings

    path = tmp_path / "settings.toml"
    head = '[[channel]]\ntype = "webhook"\nname = "h"\nurl = "https://example.org/h"\n[[route]]\nchannel = "h"\n'
    path.write_text(head + 'mode = "daily"\nat = "25:00"\n', encoding="utf-8")
    try:
        load_settings(path, env={})
        raise AssertionError("25:00 accepted")
    except ValueError as exc:
        assert "settings.toml:8: route.at: a time like 08:30" in str(exc)
    path.write_text(head + 'at = "08:00"\n', encoding="utf-8")
    try:
        load_settings(path, env={})
        raise AssertionError("at without daily accepted")
    except ValueError as exc:
        assert 'only a route with mode = "daily" has a time' in str(exc)
    path.write_text(head + 'mode = "daily"\nat = "7:45"\n', encoding="utf-8")
    assert load_settings(path, env={}).routes[0].at == "7:45"
