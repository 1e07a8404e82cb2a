"""A channel whose secret is not in the environment stops only the commands that send through it.

A manual crawl, detect or search from a shell without the robots' keys works; deliver, notify-test and status
name the channel and the variable, and its deliveries wait (pending) until the variable is set.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.settings import Route
from szwatch.monitor.detection.detect import detect
from szwatch.replica.sinks import ChatReceiver, WebhookReceiver
from tests.app.test_cli import szwatch
from tests.conftest import store_story
from tests.monitor.alerts.test_alerts import WATCHLIST, baseline, deliveries

PROBLEM = "url_env: environment variable TEAM_ROBOT_URL is not set"


def settings_file(tmp_path: Path, webhook: WebhookReceiver) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text('[[channel]]\ntype = "wecom"\nname = "team"\nurl_env = "TEAM_ROBOT_URL"\n'
                    f'[[channel]]\ntype = "webhook"\nname = "hook"\nurl = "{webhook.url}"\n'
                    '[[route]]\nchannel = "team"\n[[route]]\nchannel = "hook"\n', encoding="utf-8")  # fmt: skip
    return path


def test_missing_secret_stops_only_what_sends(engine: Engine, webhook: WebhookReceiver, tmp_path: Path):
    os.environ.pop("TEAM_ROBOT_URL", None)
    config = str(settings_file(tmp_path, webhook))
    db_url = engine.url.render_as_string(hide_password=False)
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设。"])

    detected = szwatch("detect", "--config", config, db_url=db_url)
    searched = szwatch("search", "东立", db_url=db_url)
    shown = szwatch("config", "show", "--config", config)
    delivered = szwatch("deliver", "--config", config, db_url=db_url)
    tested = szwatch("notify-test", "team", "--config", config)
    status = szwatch("status", "--json", "--config", config, db_url=db_url)

    assert detected.returncode == 0 and searched.returncode == 0 and "东立" in searched.stdout
    assert shown.returncode == 0 and json.loads(shown.stdout)["channels"][0]["problem"] == PROBLEM
    assert delivered.returncode == 1
    assert delivered.stderr.strip() == f"szwatch: channel team: {PROBLEM}; its deliveries wait until it is set"
    assert {d.channel: d.status for d in deliveries(engine)} == {"team": "pending", "hook": "sent"}
    assert tested.returncode == 1 and PROBLEM in tested.stderr
    assert json.loads(status.stdout)["conditions"]["channel team"] == f"{PROBLEM}; its deliveries wait"
    assert json.loads(status.stdout)["pending"] == [{"count": 1, "reason": f"team: cannot send: {PROBLEM}"}]


def test_once_the_secret_is_set_the_waiting_deliveries_go_out(engine: Engine, webhook: WebhookReceiver, tmp_path: Path):
    chat.LIMITER.reset()
    config = str(settings_file(tmp_path, webhook))
    db_url = engine.url.render_as_string(hide_password=False)
    baseline(engine)
    store_story(engine, date(2024, 5, 7), 1, "项目", ["东立多晶硅项目开工建设。"])
    detect(engine, WATCHLIST, routes=(Route(channel="team"), Route(channel="hook")))
    os.environ.pop("TEAM_ROBOT_URL", None)
    szwatch("deliver", "--config", config, db_url=db_url)

    with ChatReceiver("wecom") as robot:
        os.environ["TEAM_ROBOT_URL"] = robot.url
        try:
            again = szwatch("deliver", "--config", config, db_url=db_url)
        finally:
            del os.environ["TEAM_ROBOT_URL"]

    assert again.returncode == 0, again.stderr
    assert len(robot.accepted()) == 1 and {d.status for d in deliveries(engine)} == {"sent"}
