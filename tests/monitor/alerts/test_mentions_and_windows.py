"""Who is ``@``-ed and when a group hears: mentions per route, watch and tag, push windows (quiet hours) and a
minimum interval per chat — checked on what real local robots (szwatch/replica/sinks.py) received. Only the
clock is mocked: the moment detection and delivery believe it is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from szwatch.app.settings import Settings, load_settings
from szwatch.common.config import ConfigError
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import Watchlist, WatchlistError, load_watchlist
from szwatch.replica.sinks import ChatReceiver
from szwatch.store.alerts import why_pending
from szwatch.store.models import DeliveryStatus
from tests.conftest import store_story
from tests.monitor.alerts.test_alerts import deliveries

SECRET = "SEC0123456789abcdef"
WATCHES = """
[[project]]
id = "dongli"
name = "东立多晶硅项目"
tags = ["光伏"]
mention = ["zhangsan"]

[[project]]
id = "zhongmei"
name = "中煤烯烃项目"
tags = ["煤化工"]

[tags."光伏"]
mention = ["13800000000"]
"""
DONGLI = "东立多晶硅项目开工建设。"
ZHONGMEI = "中煤烯烃项目进展顺利。"


@pytest.fixture(autouse=True)
def _fresh_limits() -> None:
    chat.LIMITER.reset()
    chat._progress.clear()


def shanghai(hour: int, minute: int = 0, day: int = 7) -> datetime:
    """A moment on 2024-05-<day> in Asia/Shanghai (UTC+8), as the rows keep it (UTC)."""
    return datetime(2024, 5, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


def watchlist(tmp_path: Path, text: str = WATCHES) -> Watchlist:
    path = tmp_path / "watchlist.toml"
    path.write_text(text, encoding="utf-8")
    return load_watchlist(path)


def robot_settings(tmp_path: Path, receiver: ChatReceiver, channel: list[str], route: list[str]) -> Settings:
    lines = ["[[channel]]", f'type = "{receiver.kind}"', 'name = "team"', 'url_env = "ROBOT_URL"', *channel]
    if receiver.kind != "wecom":
        lines.append('secret_env = "ROBOT_SECRET"')
    lines += ["[[route]]", 'channel = "team"', *route]
    path = tmp_path / "settings.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_settings(path, env={"ROBOT_URL": receiver.url, "ROBOT_SECRET": SECRET})


def news(engine: Engine, watches: Watchlist, settings: Settings, *stories: tuple[int, str], at: datetime) -> None:
    """Baseline on a quiet story of the day before, then the given stories detected at ``at``."""
    store_story(engine, date(2024, 5, 6), 99, "其他", ["市区天气晴好。"])
    detect(engine, watches, routes=settings.routes, clock=lambda: at)
    for number, text in stories:
        store_story(engine, date(2024, 5, 7), number, f"第{number}条", [text])
    detect(engine, watches, routes=settings.routes, clock=lambda: at)


# -- @ mentions ----------------------------------------------------------------------------------------------


def test_wecom_ats_the_route_the_watch_and_its_tag_in_a_text_after_the_markdown(engine: Engine, tmp_path: Path):
    watches = watchlist(tmp_path)
    with ChatReceiver("wecom") as wecom:
        settings = robot_settings(tmp_path, wecom, [], ['mention_users = ["lisi"]'])
        news(engine, watches, settings, (1, DONGLI), at=shanghai(9))
        report = deliver_due(engine, settings, now=lambda: shanghai(9))
        markdown, at = (r.json() for r in wecom.accepted())

    assert report.sent == 1, report.lines
    assert markdown["msgtype"] == "markdown" and "东立多晶硅项目" in markdown["markdown"]["content"]
    # the route's lisi, the watch's zhangsan, and the mobile its tag 光伏 names: as WeCom's text message takes them
    assert at["msgtype"] == "text"
    assert at["text"]["mentioned_list"] == ["lisi", "zhangsan"]
    assert at["text"]["mentioned_mobile_list"] == ["13800000000"]


def test_wecom_markdown_ats_user_ids_inline_and_other_watches_at_nobody(engine: Engine, tmp_path: Path):
    watches = watchlist(tmp_path, WATCHES.replace('[tags."光伏"]\nmention = ["13800000000"]\n', ""))
    with ChatReceiver("wecom") as wecom:
        settings = robot_settings(tmp_path, wecom, [], [])
        news(engine, watches, settings, (1, DONGLI), (2, ZHONGMEI), at=shanghai(9))
        deliver_due(engine, settings, now=lambda: shanghai(9))
        first, second = (r.json() for r in wecom.accepted())

    assert first["msgtype"] == "markdown" and first["markdown"]["content"].endswith("<@zhangsan>")
    assert "中煤烯烃项目" in second["markdown"]["content"] and "<@" not in second["markdown"]["content"]


def test_dingtalk_ats_by_mobile_and_user_id_in_at_and_in_the_text(engine: Engine, tmp_path: Path):
    watches = watchlist(tmp_path)
    with ChatReceiver("dingtalk", secret=SECRET) as dingtalk:
        settings = robot_settings(tmp_path, dingtalk, [], ["mention_all = false"])
        news(engine, watches, settings, (1, DONGLI), at=shanghai(9))
        deliver_due(engine, settings, now=lambda: shanghai(9))
        [message] = dingtalk.accepted()

    body = message.json()
    assert body["at"] == {"isAtAll": False, "atMobiles": ["13800000000"], "atUserIds": ["zhangsan"]}
    assert body["markdown"]["text"].endswith("@13800000000 @zhangsan")  # DingTalk highlights what the text names


def test_feishu_ats_everyone_a_route_asks_for(engine: Engine, tmp_path: Path):
    watches = watchlist(tmp_path, WATCHES.replace('mention = ["zhangsan"]', 'mention = ["ou_7d8a6e"]'))
    with ChatReceiver("feishu", secret=SECRET) as feishu:
        settings = robot_settings(tmp_path, feishu, [], ["mention_all = true"])
        news(engine, watches, settings, (1, DONGLI), at=shanghai(9))
        deliver_due(engine, settings, now=lambda: shanghai(9))
        [message] = feishu.accepted()

    last = message.json()["content"]["post"]["zh_cn"]["content"][-1]
    assert last == [{"tag": "at", "user_id": "all"}, {"tag": "at", "user_id": "ou_7d8a6e"}]  # no mobiles: Feishu can't


def test_a_retry_ats_the_people_resolved_when_the_alert_was_queued(engine: Engine, tmp_path: Path):
    watches = watchlist(tmp_path)
    with ChatReceiver("dingtalk", secret=SECRET) as dingtalk:
        settings = robot_settings(tmp_path, dingtalk, [], ['mention_users = ["lisi"]'])
        news(engine, watches, settings, (1, DONGLI), at=shanghai(9))
        dingtalk.fail_next(-1, "system busy")
        assert deliver_due(engine, settings, now=lambda: shanghai(9)).retried == 1
        # the route and the watchlist change before the retry: the queued alert still @s whom it named
        changed = robot_settings(tmp_path, dingtalk, [], [])
        report = deliver_due(engine, changed, now=lambda: shanghai(10))
        [message] = dingtalk.accepted()

    assert report.sent == 1, report.lines
    assert message.json()["at"]["atUserIds"] == ["lisi", "zhangsan"]


def test_mention_settings_are_checked_with_file_and_line(tmp_path: Path):
    with ChatReceiver("wecom") as wecom, pytest.raises(ConfigError) as bad:
        robot_settings(tmp_path, wecom, [], ['mention_users = "lisi"'])
    assert str(bad.value).endswith("settings.toml:7: route.mention_users: a list of non-empty strings")
    with pytest.raises(WatchlistError) as wrong:
        watchlist(tmp_path, WATCHES.replace('mention = ["13800000000"]', 'mention = "13800000000"'))
    assert "watchlist.toml:14: mention: tag 光伏: mention must be a list" in str(wrong.value)


# -- push windows -----------------------------------------------------------------------------------------------


def test_alerts_outside_the_window_are_held_and_go_out_in_order_when_it_opens(engine: Engine, tmp_path: Path):
    watches = watchlist(tmp_path)
    with ChatReceiver("wecom") as wecom:
        settings = robot_settings(tmp_path, wecom, [], ['window = "08:00-22:00"'])
        news(engine, watches, settings, (1, DONGLI), (2, ZHONGMEI), at=shanghai(23, 10))

        at_night = deliver_due(engine, settings, now=lambda: shanghai(23, 30))
        before_eight = deliver_due(engine, settings, now=lambda: shanghai(7, 59, day=8))
        held = [row.next_attempt_at for row in deliveries(engine)]
        with Session(engine) as session:
            said = why_pending(session, shanghai(7, 59, day=8))
        at_eight = deliver_due(engine, settings, now=lambda: shanghai(8, 0, day=8))
        texts = [r.text for r in wecom.accepted() if r.json()["msgtype"] == "markdown"]

    assert at_night.sent == before_eight.sent == 0 and not at_night.lines  # nothing sent, nothing failed
    assert held == [shanghai(8, 0, day=8)] * 2
    assert said == [(2, "team: held by push window 08:00-22:00, due 2024-05-08T08:00:00+08:00")]  # as status says
    assert at_eight.sent == 2
    assert "东立多晶硅项目" in texts[0] and "中煤烯烃项目" in texts[1]  # in the order they were raised
    assert {row.status for row in deliveries(engine)} == {DeliveryStatus.SENT}


def test_a_window_past_midnight_and_a_bad_window(engine: Engine, tmp_path: Path):
    watches = watchlist(tmp_path)
    with ChatReceiver("wecom") as wecom:
        settings = robot_settings(tmp_path, wecom, [], ['window = "20:00-02:00"'])
        news(engine, watches, settings, (1, ZHONGMEI), at=shanghai(1, 0))
        assert deliver_due(engine, settings, now=lambda: shanghai(1, 30)).sent == 1
        with pytest.raises(ConfigError) as bad:
            robot_settings(tmp_path, wecom, [], ['window = "8点到22点"'])
    assert "settings.toml:7: route.window: hours like" in str(bad.value)


# -- minimum interval per chat -------------------------------------------------------------------------------


def test_messages_within_the_minimum_interval_are_grouped_into_the_next_send(engine: Engine, tmp_path: Path):
    watches = watchlist(tmp_path, WATCHES.replace('mention = ["zhangsan"]', "").replace("13800000000", "lisi"))
    with ChatReceiver("wecom") as wecom:
        settings = robot_settings(tmp_path, wecom, ["min_interval_minutes = 10"], [])
        news(engine, watches, settings, (1, DONGLI), at=shanghai(9, 0))
        first = deliver_due(engine, settings, now=lambda: shanghai(9, 0))
        store_story(engine, date(2024, 5, 7), 2, "第2条", [ZHONGMEI])
        store_story(engine, date(2024, 5, 7), 3, "第3条", ["中煤烯烃项目二期开工。"])
        detect(engine, watches, routes=settings.routes, clock=lambda: shanghai(9, 3))
        within = deliver_due(engine, settings, now=lambda: shanghai(9, 4))
        after = deliver_due(engine, settings, now=lambda: shanghai(9, 10))
        messages = [r.json() for r in wecom.accepted()]

    assert first.sent == 1 and within.sent == 0 and after.sent == 2
    assert len(messages) == 2  # two sends ten minutes apart; nothing dropped
    grouped = messages[1]["markdown"]["content"]
    assert grouped.startswith("## [szwatch] 2条提醒") and grouped.count("中煤烯烃项目") >= 2
