"""Threshold rules on indicator series, written next to the indicator in the watchlist: a new figure that
crosses one alerts once, in Chinese, with the figure as read, what it crossed and the earlier figure's source —
as a real local 企业微信 robot (szwatch/replica/sinks.py) receives it. Nothing is mocked."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from szwatch.app.settings import Settings, load_settings
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import Watchlist, WatchlistError, load_watchlist
from szwatch.replica.sinks import ChatReceiver
from tests.conftest import store_story

GDP = """
[[indicator]]
id = "gdp"
name = "地区生产总值"
aliases = ["GDP", "生产总值"]
thresholds = [{rules}]
"""


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    chat.LIMITER.reset()
    chat._progress.clear()


def gdp_watch(tmp_path: Path, *rules: str) -> Watchlist:
    path = tmp_path / "watchlist.toml"
    path.write_text(GDP.format(rules=", ".join(f'"{r}"' for r in rules)), encoding="utf-8")
    return load_watchlist(path)


def robot_settings(tmp_path: Path, receiver: ChatReceiver) -> Settings:
    path = tmp_path / "settings.toml"
    path.write_text('[[channel]]\ntype = "wecom"\nname = "team"\nurl_env = "ROBOT_URL"\n[[route]]\nchannel = "team"\n'
                    'rules = ["threshold"]\n', encoding="utf-8")  # fmt: skip
    return load_settings(path, env={"ROBOT_URL": receiver.url})


def read(engine: Engine, watches: Watchlist, settings: Settings, day: date, number: int, text: str) -> None:
    store_story(engine, day, number, f"经济运行{number}", [text])
    detect(engine, watches, routes=settings.routes)


def threshold_messages(engine: Engine, settings: Settings, receiver: ChatReceiver) -> list[str]:
    report = deliver_due(engine, settings, {})
    assert report.failed == report.retried == 0, report.lines
    return [r.text for r in receiver.accepted()]


def test_growth_turning_negative_alerts_once_with_the_figure(engine: Engine, tmp_path: Path):
    watches = gdp_watch(tmp_path, "growth < 0")
    with ChatReceiver("wecom") as wecom:
        settings = robot_settings(tmp_path, wecom)
        read(engine, watches, settings, date(2024, 5, 6), 1, "一季度，全市地区生产总值完成300.2亿元，同比下降0.5%。")
        read(engine, watches, settings, date(2024, 5, 7), 2, "上半年，全市地区生产总值完成628.7亿元，同比增长5.3%。")
        read(engine, watches, settings, date(2024, 5, 8), 3, "上半年，全市地区生产总值完成598.1亿元，同比下降1.2%。")
        read(engine, watches, settings, date(2024, 5, 9), 4, "上半年全市地区生产总值598.1亿元，同比下降1.2%。")
        [message] = threshold_messages(engine, settings, wecom)

    # the first quarter was the baseline (silent); +5.3% crossed nothing; the revision to -1.2% did, once
    assert message.startswith("## [szwatch] 阈值提醒：地区生产总值")
    assert "**地区生产总值 2023年上半年 全市 598.1亿元 同比-1.2%**" in message
    assert "同比增速-1.2%，低于0%" in message and "2024-05-08 第A1版 [经济运行3]" in message


def test_a_fall_against_the_same_period_last_year_names_last_years_figure_and_source(engine: Engine, tmp_path: Path):
    watches = gdp_watch(tmp_path, "value falls by more than 10% against the same period last year")
    with ChatReceiver("wecom") as wecom:
        settings = robot_settings(tmp_path, wecom)
        read(engine, watches, settings, date(2024, 5, 6), 1, "2022年上半年，全市地区生产总值完成700亿元。")
        read(engine, watches, settings, date(2024, 5, 7), 2, "2023年上半年，全市地区生产总值完成600亿元。")
        [message] = threshold_messages(engine, settings, wecom)

    assert "比上年同期下降14.3%，超过10%（上年同期700亿元）" in message
    assert "此前：2024-05-06" in message and "经济运行1" in message  # the source of last year's figure


def test_a_rank_leaving_the_provinces_top_three(engine: Engine, tmp_path: Path):
    watches = gdp_watch(tmp_path, "rank leaves 全省前三")
    with ChatReceiver("wecom") as wecom:
        settings = robot_settings(tmp_path, wecom)
        read(engine, watches, settings, date(2024, 5, 6), 1, "2023年，全市地区生产总值增长5.1%，增速居全省第二。")
        read(engine, watches, settings, date(2024, 5, 7), 2, "一季度，全市地区生产总值增长4.0%，增速居全省第五。")
        [message] = threshold_messages(engine, settings, wecom)

    assert "排名跌出全省前三：全省第五（此前全省第二）" in message


def test_an_unreadable_rule_is_refused_with_file_line_and_the_forms(tmp_path: Path):
    with pytest.raises(WatchlistError) as bad:
        gdp_watch(tmp_path, "growth is bad")
    assert str(bad.value).startswith(f"{tmp_path / 'watchlist.toml'}:6: thresholds: gdp: cannot read 'growth is bad'")
    assert '"growth < 0"' in str(bad.value)
