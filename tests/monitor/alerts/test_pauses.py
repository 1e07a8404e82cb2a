"""A channel or a route paused in the web view (a row in the store) holds its deliveries: not sent, not failed,
not counted as attempts, and listed by ``szwatch status`` as paused; other channels go on; resumed, the held
alerts go out in the order they were raised, each once. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from szwatch.app.settings import Route, Settings
from szwatch.monitor.alerts.channels.webhook import WebhookChannel
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.replica.sinks import WebhookReceiver
from szwatch.store import alerts as store_alerts
from szwatch.store import operations
from szwatch.store.db import session_scope
from tests.conftest import store_story
from tests.monitor.alerts.test_alerts import NAMES, WATCHLIST, baseline, deliveries


def two_hooks(first: WebhookReceiver, second: WebhookReceiver) -> Settings:
    channels = (WebhookChannel(name="desk", url=first.url, timeout=2), WebhookChannel(name="boss", url=second.url,
                                                                                      timeout=2))  # fmt: skip
    return Settings(channels=channels, routes=(Route(channel="desk"), Route(channel="boss")))


def three_stories(engine: Engine, settings: Settings) -> None:
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目一", ["东立多晶硅项目开工建设。"])
    store_story(engine, date(2024, 5, 7), 2, "项目二", ["集大原高铁全线铺轨。"])
    store_story(engine, date(2024, 5, 7), 3, "项目三", ["宝武太钢低碳铬合金项目签约。"])
    assert detect(engine, WATCHLIST, routes=settings.routes).alerts == 3


def test_a_paused_channel_holds_its_alerts_while_the_others_go(engine: Engine):
    with WebhookReceiver() as desk, WebhookReceiver() as boss:
        settings = two_hooks(desk, boss)
        three_stories(engine, settings)
        with session_scope(engine) as session:
            assert operations.pause(session, operations.CHANNEL, "desk", "token@127.0.0.1")
            assert not operations.pause(session, operations.CHANNEL, "desk", "token@127.0.0.1")  # once is enough

        report = deliver_due(engine, settings, NAMES)

        assert report.sent == 3 and len(boss.accepted()) == 3 and desk.accepted() == []
        held = [d for d in deliveries(engine) if d.channel == "desk"]
        assert [(d.status, d.attempts) for d in held] == [("pending", 0)] * 3
        with session_scope(engine) as session:
            [(count, why)] = [p for p in store_alerts.why_pending(session)]
        assert count == 3 and why == "desk: channel paused (web view); held, sent in order when resumed"

        with session_scope(engine) as session:
            assert operations.unpause(session, operations.CHANNEL, "desk")
        assert deliver_due(engine, settings, NAMES).sent == 3
        assert deliver_due(engine, settings, NAMES).sent == 0
        order = [r.json()["alerts"][0]["id"] for r in desk.accepted()]
        assert order == sorted(order) and len(order) == 3


def test_a_paused_route_holds_only_its_own_channel_and_mode(engine: Engine):
    with WebhookReceiver() as desk, WebhookReceiver() as boss:
        settings = two_hooks(desk, boss)
        three_stories(engine, settings)
        with session_scope(engine) as session:
            operations.pause(session, operations.ROUTE, operations.route_name("boss", "instant"), "token@::1")

        assert deliver_due(engine, settings, NAMES).sent == 3
        assert len(desk.accepted()) == 3 and boss.accepted() == []

        with session_scope(engine) as session:
            operations.unpause(session, operations.ROUTE, "boss/instant")
        assert deliver_due(engine, settings, NAMES).sent == 3 and len(boss.accepted()) == 3
