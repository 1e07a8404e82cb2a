"""Health: unhealthy conditions reach the operator once a day while they last, and recovery is announced."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from szwatch.app.health import assess
from szwatch.app.settings import DaemonSettings, Settings, load_settings
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.channels.webhook import WebhookChannel
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.alerts.operator import crawl_run_alert, health_alerts
from szwatch.replica.sinks import ChatReceiver
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


def test_the_team_robot_hears_of_an_unreachable_site_in_chinese(engine: Engine, tmp_path: Path):
    chat.LIMITER.reset()
    with session_scope(engine) as session:
        run = runs.start_run(session, "dates", "http://szb.example", {})
        runs.finish_run(session, run.id or 0, "unreachable", {})
    config = DaemonSettings(unreachable_after_minutes=0, no_issue_by="23:59")
    with ChatReceiver("wecom") as robot:
        path = tmp_path / "settings.toml"
        path.write_text(f'[[channel]]\ntype = "wecom"\nname = "ops"\nurl = "{robot.url}"\n'
                        '[operator]\nchannel = "ops"\n', encoding="utf-8")  # fmt: skip
        settings = load_settings(path)
        crawl_run_alert(engine, settings, run.id or 0)
        health = assess(engine, config, utcnow() + timedelta(minutes=1), want_daemon=False)
        health_alerts(engine, settings, health.conditions, date(2024, 5, 7))
        deliver_due(engine, settings)
        texts = "\n".join(m.text for m in robot.accepted())

    assert "第 1 次抓取（http://szb.example）结束：连不上网站（unreachable）" in texts
    assert re.search(r"自 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00 起每次抓取都连不上网站", texts)  # Shanghai time
    assert "reached nothing" not in texts and "crawl run" not in texts
