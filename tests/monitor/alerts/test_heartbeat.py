"""The daily heartbeat: at a route's hour (Asia/Shanghai) its chat hears what today's paper came to — read (issue
number, pages, articles, matches), not out, or a failed crawl — once a day, never twice, driven by the daemon's
scheduler and received by a real local robot (szwatch/replica/sinks.py). Only the clock is mocked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from szwatch.app.daemon import Daemon
from szwatch.app.settings import Settings, load_settings
from szwatch.common.config import ConfigError
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.detection.detect import detect
from szwatch.replica.sinks import ChatReceiver
from szwatch.store.db import session_scope
from szwatch.store.models import CrawlRun, Issue, RunStatus
from tests.conftest import store_story
from tests.monitor.alerts.test_alerts import WATCHLIST

SECRET = "SEC0123456789abcdef"
DAY = date(2024, 5, 7)


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    chat.LIMITER.reset()
    chat._progress.clear()


def shanghai(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def robot_settings(tmp_path: Path, receiver: ChatReceiver, *route: str) -> Settings:
    lines = ["[[channel]]", f'type = "{receiver.kind}"', 'name = "team"', 'url_env = "ROBOT_URL"']
    if receiver.kind != "wecom":
        lines.append('secret_env = "ROBOT_SECRET"')
    lines += ["[[route]]", 'channel = "team"', 'heartbeat = "21:00"', *route]
    path = tmp_path / "settings.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_settings(path, env={"ROBOT_URL": receiver.url, "ROBOT_SECRET": SECRET})


def todays_paper(engine: Engine) -> None:
    """Issue 9033 of 朔州日报 with two stories on page A1, one naming a watched project."""
    store_story(engine, DAY, 1, "项目开工", ["东立多晶硅项目开工建设。"])
    store_story(engine, DAY, 2, "天气", ["市区天气晴好。"])
    with session_scope(engine) as session:
        issue = session.exec(select(Issue)).one()
        issue.issue_no, issue.status = 9033, "complete"
        session.add(issue)
    detect(engine, WATCHLIST)


def test_the_report_says_what_todays_paper_came_to_once_a_day(engine: Engine, tmp_path: Path):
    todays_paper(engine)
    with ChatReceiver("wecom") as wecom:
        daemon = Daemon(engine, robot_settings(tmp_path, wecom), WATCHLIST, clock=lambda: shanghai(21, 0))
        daemon.heartbeat("21:00")  # the scheduler's job at the hour
        daemon.deliver()
        daemon.heartbeat("21:00")  # a second run the same day (a restart, a retried job) …
        daemon.heartbeat()  # … or the catch-up at start: nothing more
        daemon.deliver()
        messages = wecom.accepted()

    assert len(messages) == 1
    text = messages[0].text
    assert text.startswith("## [szwatch] 每日报告")
    assert "今日《朔州日报》第9033期已读：1个版面、2篇文章、1条匹配" in text


def test_no_paper_and_a_failed_crawl_are_said_too(engine: Engine, tmp_path: Path):
    with ChatReceiver("dingtalk", secret=SECRET) as dingtalk:
        settings = robot_settings(tmp_path, dingtalk, 'mention_users = ["zhangsan"]')
        Daemon(engine, settings, WATCHLIST, clock=lambda: shanghai(21, 0)).heartbeat("21:00")
        with session_scope(engine) as session:
            session.add(CrawlRun(mode="latest", base_url="https://szb.sxsznews.com", status=RunStatus.UNREACHABLE,
                                 error="ConnectError: Connection refused", started_at=shanghai(20, 50,
                                 DAY + timedelta(days=1))))  # fmt: skip
        next_day = Daemon(engine, settings, WATCHLIST, clock=lambda: shanghai(21, 0, DAY + timedelta(days=1)))
        next_day.heartbeat("21:00")
        next_day.deliver()
        nothing, failed = (m.json() for m in dingtalk.accepted())

    assert "今日《朔州日报》未见报纸：截至21:00网站尚无今日一期" in nothing["markdown"]["text"]
    assert "今日《朔州日报》抓取失败：ConnectError: Connection refused" in failed["markdown"]["text"]
    assert failed["at"]["atUserIds"] == ["zhangsan"]  # the route's people, as for its alerts


def test_the_daemon_schedules_it_at_the_hour_and_a_late_start_still_reports(engine: Engine, tmp_path: Path):
    todays_paper(engine)
    with ChatReceiver("wecom") as wecom:
        settings = robot_settings(tmp_path, wecom)
        early = Daemon(engine, settings, WATCHLIST, clock=lambda: shanghai(20, 59))
        early._add_jobs()
        job = early.scheduler.get_job("heartbeat:21:00")
        early.heartbeat()  # started before the hour: nothing yet
        late = Daemon(engine, settings, WATCHLIST, clock=lambda: shanghai(23, 0))
        late.heartbeat()  # started after it: today's report goes
        late.deliver()
        [message] = wecom.accepted()

    assert "hour='21', minute='0'" in str(job.trigger) and str(job.trigger.timezone) == "Asia/Shanghai"
    assert "第9033期已读" in message.text


def test_the_heartbeat_waits_for_the_routes_window(engine: Engine, tmp_path: Path):
    todays_paper(engine)
    with ChatReceiver("wecom") as wecom:
        settings = robot_settings(tmp_path, wecom, 'window = "08:00-20:00"')
        Daemon(engine, settings, WATCHLIST, clock=lambda: shanghai(21, 0)).heartbeat("21:00")
        Daemon(engine, settings, WATCHLIST, clock=lambda: shanghai(21, 1)).deliver()
        held = len(wecom.accepted())
        Daemon(engine, settings, WATCHLIST, clock=lambda: shanghai(8, 0, DAY + timedelta(days=1))).deliver()
        [message] = wecom.accepted()

    assert held == 0 and "第9033期已读" in message.text


def test_a_bad_heartbeat_time_is_one_clear_line(tmp_path: Path):
    path = tmp_path / "settings.toml"
    path.write_text('[[channel]]\ntype = "wecom"\nname = "team"\nurl = "http://127.0.0.1:9/robot"\n'
                    '[[route]]\nchannel = "team"\nheartbeat = "9pm"\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(ConfigError) as bad:
        load_settings(path, env={})
    assert str(bad.value).endswith('settings.toml:7: route.heartbeat: a time like "21:00" (Asia/Shanghai) for the '
                                   "daily report")  # fmt: skip
