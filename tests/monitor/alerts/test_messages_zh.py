"""What a 企业微信 or 钉钉 group reads: Chinese labels, the figure as it was read, revisions and project changes with
both sources, no internal key, ``@`` of the people the channel names — checked on the bodies a real local robot
(szwatch/replica/sinks.py) received."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from szwatch.app.settings import Settings, load_settings
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.replica.sinks import ChatReceiver, ChatRequest
from tests.conftest import store_story
from tests.monitor.alerts.test_alerts import NAMES, WATCHLIST, baseline, deliveries

SECRET = "SEC0123456789abcdef"
GDP = "上半年，全市地区生产总值完成628.7亿元，同比增长5.3%。"
GDP_REVISED = "上半年，全市地区生产总值完成630.1亿元，同比增长5.5%。"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    chat.LIMITER.reset()
    chat._progress.clear()


def robot_settings(tmp_path: Path, receiver: ChatReceiver, *extra: str, alerts: str = "") -> Settings:
    lines = ["[[channel]]", f'type = "{receiver.kind}"', 'name = "team"', 'url_env = "ROBOT_URL"', *extra]
    if receiver.kind == "dingtalk":
        lines.append('secret_env = "ROBOT_SECRET"')
    lines += ["[[route]]", 'channel = "team"', "[alerts]", alerts]
    path = tmp_path / "settings.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_settings(path, env={"ROBOT_URL": receiver.url, "ROBOT_SECRET": SECRET})


def received(engine: Engine, settings: Settings, receiver: ChatReceiver) -> list[ChatRequest]:
    report = deliver_due(engine, settings, NAMES)
    assert report.failed == 0 and report.retried == 0, report.lines
    return receiver.accepted()


def test_a_new_figure_says_what_was_read_in_chinese(engine: Engine, tmp_path: Path):
    with ChatReceiver("wecom") as receiver:
        settings = robot_settings(tmp_path, receiver)
        baseline(engine)
        store_story(engine, date(2024, 5, 7), 1, "我市经济稳中向好", [GDP])
        detect(engine, WATCHLIST, routes=settings.routes)
        [message] = received(engine, settings, receiver)

    text = message.text
    assert text.startswith("## [szwatch] 新数据：地区生产总值")
    assert "**地区生产总值 2023年上半年 全市 628.7亿元 同比+5.3%**" in text  # the period it was resolved to
    assert "2024-05-07 第A1版 [我市经济稳中向好](http://szb.example/shtml/szrb/20240507/1.shtml)" in text
    assert "**地区生产总值**" in text  # the match, marked in its sentence
    assert "new figure" not in text and "条提醒" not in text and "szwatch · " not in text
    key = deliveries(engine)[0].idempotency_key
    assert key not in text and message.headers["idempotency-key"] == key


def test_a_revision_shows_before_and_after_with_both_sources(engine: Engine, tmp_path: Path):
    with ChatReceiver("wecom") as receiver:
        settings = robot_settings(tmp_path, receiver)
        baseline(engine)
        store_story(engine, date(2024, 5, 7), 1, "我市经济稳中向好", [GDP])
        detect(engine, WATCHLIST, routes=settings.routes)
        store_story(engine, date(2024, 5, 8), 2, "上半年数据修订", [GDP_REVISED])
        detect(engine, WATCHLIST, routes=settings.routes)
        revision = received(engine, settings, receiver)[-1].text

    assert revision.startswith("## [szwatch] 数据修订：地区生产总值")
    assert "地区生产总值 2023年上半年 全市：628.7亿元 同比+5.3% → 630.1亿元 同比+5.5%" in revision
    assert "此前：2024-05-07[我市经济稳中向好](http://szb.example/shtml/szrb/20240507/1.shtml)" in revision
    assert "2024-05-08 第A1版 [上半年数据修订](http://szb.example/shtml/szrb/20240508/2.shtml)" in revision


def test_a_project_update_shows_the_field_the_change_and_the_clause(engine: Engine, tmp_path: Path):
    with ChatReceiver("wecom") as receiver:
        settings = robot_settings(tmp_path, receiver)
        baseline(engine)
        store_story(engine, date(2024, 5, 7), 1, "项目开工", ["东立多晶硅项目开工建设。"])
        detect(engine, WATCHLIST, routes=settings.routes)
        store_story(engine, date(2024, 5, 8), 2, "项目投产", ["东立多晶硅项目建成投产。"])
        detect(engine, WATCHLIST, routes=settings.routes)
        texts = [m.text for m in received(engine, settings, receiver)]

    [update] = [t for t in texts if "项目进展" in t]
    assert update.startswith("## [szwatch] 项目进展：东立多晶硅项目")
    assert "阶段：开工 → 投产" in update
    assert "此前：2024-05-07[" in update and "http://szb.example/shtml/szrb/20240507/1.shtml)" in update
    assert "> " in update and "投产" in update.split("> ", 1)[1]  # the clause that says so


@pytest.mark.parametrize(
    ("language", "head", "growth"),
    [("en", "new figure", "+5.3% y/y"), ("zh-en", "新数据 new figure", "同比+5.3% +5.3% y/y")],
)
def test_english_and_bilingual_messages_are_a_setting(engine: Engine, tmp_path: Path, language: str, head: str,
                                                      growth: str):  # fmt: skip
    with ChatReceiver("wecom") as receiver:
        settings = robot_settings(tmp_path, receiver, alerts=f'language = "{language}"\nshow_key = true')
        baseline(engine)
        store_story(engine, date(2024, 5, 7), 1, "我市经济稳中向好", [GDP])
        detect(engine, WATCHLIST, routes=settings.routes)
        [message] = received(engine, settings, receiver)

    assert message.text.startswith(f"## [szwatch] {head}：地区生产总值") and growth in message.text
    assert message.text.endswith(f"szwatch · {deliveries(engine)[0].idempotency_key}")  # the quiet footer


def test_wecom_mentions_everyone_in_a_text_message_after_the_markdown(engine: Engine, tmp_path: Path):
    with ChatReceiver("wecom") as wecom:
        settings = robot_settings(tmp_path, wecom, "mention_all = true")
        baseline(engine)
        store_story(engine, date(2024, 5, 7), 1, "项目开工", ["东立多晶硅项目开工建设。"])
        detect(engine, WATCHLIST, routes=settings.routes)
        markdown, at = (r.json() for r in received(engine, settings, wecom))

    assert markdown["msgtype"] == "markdown" and "新提及" in markdown["markdown"]["content"]
    assert at["msgtype"] == "text" and at["text"]["mentioned_list"] == ["@all"]
    assert at["text"]["content"].startswith("[szwatch] 新提及：东立多晶硅项目")


def test_dingtalk_mentions_the_mobiles_the_channel_names(engine: Engine, tmp_path: Path):
    with ChatReceiver("dingtalk", secret=SECRET) as dingtalk:
        settings = robot_settings(tmp_path, dingtalk, 'mention_mobiles = ["13800000000"]')
        baseline(engine)
        store_story(engine, date(2024, 5, 7), 1, "项目开工", ["东立多晶硅项目开工建设。"])
        detect(engine, WATCHLIST, routes=settings.routes)
        [message] = received(engine, settings, dingtalk)

    body = message.json()
    assert body["at"] == {"isAtAll": False, "atMobiles": ["13800000000"], "atUserIds": []}
    assert body["markdown"]["text"].endswith("@13800000000") and "新提及" in body["markdown"]["text"]


def test_notify_test_says_it_is_a_test_and_tells_no_news(tmp_path: Path):
    with ChatReceiver("wecom") as receiver:
        robot_settings(tmp_path, receiver)
        env = {**os.environ, "ROBOT_URL": receiver.url}
        result = subprocess.run([sys.executable, "-m", "szwatch", "--quiet", "notify-test", "team", "--config",
                                 str(tmp_path / "settings.toml")], env=env, capture_output=True, text=True,
                                timeout=60)  # fmt: skip
        [message] = receiver.accepted()

    assert result.returncode == 0, result.stderr
    assert message.text.startswith("## [szwatch] 测试消息")
    assert "这是 szwatch 的测试消息" in message.text and "不是新闻" in message.text
    assert "东立" not in message.text and "项目" not in message.text  # no made-up news a group could act on
