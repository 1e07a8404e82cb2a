"""Health: unhealthy conditions reach the operator once a day while they last, and recovery is announced."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.app.health import assess
from szwatch.app.settings import DaemonSettings, Settings
from szwatch.monitor.alerts.channels.webhook import WebhookChannel
from szwatch.monitor.alerts.operator import health_alerts
from szwatch.store import runs
from szwatch.store.db import session_scope
from szwatch.store.models import Alert, AlertDelivery, utcnow

SETTINGS = Settings(channels=(WebhookChannel("ops", "http://127.0.0.1:9/ops"),), operator_channel="ops")


def rules(engine: Engine) -> list[tuple[str, str | None]]:
    with Session(engine) as session:
        return [(a.rule, a.watch_id) for a in session.exec(select(Alert).order_by(Alert.id)).all()]


def test_condition_alerts_daily_while_it_lasts_then_recovers_once(engine: Engine):
    day = date(2024, 5, 7)
    health_alerts(engine, SETTINGS, {"site_unreachable": "down"}, day)
    health_alerts(engine, SETTINGS, {"site_unreachable": "down"}, day)
    health_alerts(engine, SETTINGS, {"site_unreachable": "down"}, day + timedelta(days=1))
    health_alerts(engine, SETTINGS, {}, day + timedelta(days=1))
    health_alerts(engine, SETTINGS, {}, day + timedelta(days=2))

    assert rules(engine) == [("health", "site_unreachable"), ("health", "site_unreachable"),
                             ("health_recovered", "site_unreachable")]  # fmt: skip
    with Session(engine) as session:
        assert {d.channel for d in session.exec(select(AlertDelivery)).all()} == {"ops"}


def test_assess_names_unreachable_site_and_layout_trouble(engine: Engine):
    config = DaemonSettings(unreachable_after_minutes=0, layout_problem_runs=2, no_issue_by="23:59")
    with session_scope(engine) as session:
        for status, kind in (("problems", "no_articles"), ("problems", "layout"), ("unreachable", None)):
            run = runs.start_run(session, "dates", "http://x", {})
            if kind:
                runs.add_problem(session, run.id or 0, kind, "http://x/vA1.shtml")
            runs.finish_run(session, run.id or 0, status, {})
    health = assess(engine, config, utcnow() + timedelta(minutes=1), want_daemon=True)

    assert set(health.conditions) >= {"site_unreachable", "daemon_down"}
    assert not health.healthy
    assert "layout_changed" not in health.conditions  # the newest run reached nothing: another condition

    with session_scope(engine) as session:
        for _ in range(2):
            run = runs.start_run(session, "dates", "http://x", {})
            runs.add_problem(session, run.id or 0, "no_body", "http://x/1.shtml")
            runs.finish_run(session, run.id or 0, "problems", {})
    later = assess(engine, config, datetime.now().astimezone(), want_daemon=False)
    assert "layout_changed" in later.conditions and "site_unreachable" not in later.conditions
