"""企业微信, 钉钉 and 飞书 robots: real local receivers that check keys and signatures, keep size and rate
limits, and answer HTTP 200 with an error code when they refuse — as the services do."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from szwatch.app.settings import Settings, load_settings
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.deliver import deliver_due
from szwatch.monitor.detection.detect import detect
from szwatch.replica.sinks import ChatReceiver
from tests.app.test_cli import szwatch
from tests.conftest import store_story
from tests.monitor.alerts.test_alerts import NAMES, WATCHLIST, baseline, deliveries, later

SECRET = "SEC0123456789abcdef"
KINDS = ["wecom", "dingtalk", "feishu", "feishu-card"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    """The robots' minute (ours and the receiver's) is the one thing mocked."""
    fake = FakeClock()
    monkeypatch.setattr(chat.LIMITER, "clock", fake)
    chat.LIMITER.reset()
    chat._progress.clear()
    yield fake
    chat.LIMITER.reset()


@pytest.fixture(params=KINDS)
def robot(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[tuple[str, ChatReceiver]]:
    kind = request.param.split("-")[0]
    with ChatReceiver(kind, secret=None if kind == "wecom" else SECRET, clock=clock) as receiver:
        yield request.param, receiver


def chat_settings(tmp_path: Path, variant: str, receiver: ChatReceiver, mode: str = "instant", secret: str = SECRET,
                  url: str | None = None) -> Settings:  # fmt: skip
    kind = variant.split("-")[0]
    lines = ["[[channel]]", f'type = "{kind}"', 'name = "team"', 'url_env = "ROBOT_URL"', "timeout = 2"]
    if kind != "wecom":
        lines.append('secret_env = "ROBOT_SECRET"')
    if variant == "feishu-card":
        lines.append('format = "card"')
    lines += ["[[route]]", 'channel = "team"', f'mode = "{mode}"']
    path = tmp_path / "settings.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_settings(path, env={"ROBOT_URL": url or receiver.url, "ROBOT_SECRET": secret})


def stories(engine: Engine, count: int, start: int = 1) -> None:
    for n in range(start, start + count):
        store_story(
            engine, date(2024, 5, 7), n, f"第{n}条", [f"第{n}次报道：东立多晶硅项目开工建设，<b>进展</b>[顺利](x)。"]
        )


def test_alert_arrives_signed_readable_and_keyed(engine: Engine, robot: tuple[str, ChatReceiver], tmp_path: Path):
    variant, receiver = robot
    baseline(engine)
    stories(engine, 1)
    settings = chat_settings(tmp_path, variant, receiver)
    detect(engine, WATCHLIST, routes=settings.routes)

    report = deliver_due(engine, settings, NAMES)

    assert report.sent == 1, report.lines
    [request] = receiver.requests
    assert request.code == 0  # the receiver checked the key and, where set, the signature
    text = request.text
    assert "新提及" in text and "东立多晶硅项目" in text and "2024-05-07 第A1版" in text
    assert "**东立多晶硅项目**开工建设" in text or "【东立多晶硅项目】开工建设" in text  # the match, marked
    assert "<b>" not in text and "[顺利](x)" not in text  # article text never becomes markup
    key = deliveries(engine)[0].idempotency_key
    assert request.headers["idempotency-key"] == key and key not in text  # in a header, not in the group's text
    if variant == "dingtalk":
        assert set(request.query) >= {"timestamp", "sign", "access_token"}
    if variant.startswith("feishu"):
        assert {"timestamp", "sign"} <= set(request.json())
        assert request.json()["msg_type"] == ("interactive" if variant == "feishu-card" else "post")


@pytest.mark.parametrize(
    ("variant", "problem", "expected"),
    [
        ("wecom", "key", "errcode 93000: invalid webhook url"),
        ("dingtalk", "secret", "errcode 310000: sign not match"),
        ("dingtalk", "token", "errcode 300001: token is not exist"),
        ("feishu", "secret", "code 19021: sign match fail"),
    ],
)
def test_error_code_in_a_200_is_a_permanent_failure_shown_by_alerts(
    engine: Engine, clock: FakeClock, tmp_path: Path, variant: str, problem: str, expected: str
):
    with ChatReceiver(variant, secret=None if variant == "wecom" else SECRET, clock=clock) as receiver:
        wrong_url = receiver.url.replace("robot-key-1", "wrong-key") if problem in ("key", "token") else None
        settings = chat_settings(tmp_path, variant, receiver, secret="not-the-secret" if problem == "secret" else SECRET,
                                 url=wrong_url)  # fmt: skip
        baseline(engine)
        stories(engine, 1)
        detect(engine, WATCHLIST, routes=settings.routes)

        report = deliver_due(engine, settings, NAMES)
        again = deliver_due(engine, settings, NAMES, now=later(6 * 3600))

    assert (report.failed, again.sent, len(receiver.requests)) == (1, 0, 1)
    failed = szwatch("alerts", "--status", "failed", db_url=engine.url.render_as_string(hide_password=False))
    assert expected in failed.stdout and "team" in failed.stdout


@pytest.mark.parametrize(("variant", "code"), [("wecom", 45009), ("dingtalk", 130101), ("feishu", 11232)])
def test_the_robots_rate_limit_answer_is_retried_after_a_minute_with_the_same_key(
    engine: Engine, clock: FakeClock, tmp_path: Path, variant: str, code: int
):
    with ChatReceiver(variant, secret=None if variant == "wecom" else SECRET, clock=clock) as receiver:
        settings = chat_settings(tmp_path, variant, receiver)
        baseline(engine)
        stories(engine, 1)
        detect(engine, WATCHLIST, routes=settings.routes)
        receiver.fail_next(code, "rate limited")

        first = deliver_due(engine, settings, NAMES)
        [row] = deliveries(engine)
        too_soon = deliver_due(engine, settings, NAMES, now=later(45))
        clock.now += 61
        retried = deliver_due(engine, settings, NAMES, now=later(61))

    assert first.retried == 1 and row.status == "pending" and f"{code}" in (row.last_error or "")
    assert (row.next_attempt_at - row.created_at).total_seconds() >= 59  # not the 30 s backoff: the robot's minute
    assert too_soon.sent == 0 and retried.sent == 1
    assert [r.code for r in receiver.requests] == [code, 0]
    key = deliveries(engine)[0].idempotency_key
    assert all(r.headers["idempotency-key"] == key for r in receiver.requests)


def test_a_burst_waits_for_dingtalks_20_a_minute_instead_of_being_refused(
    engine: Engine, clock: FakeClock, tmp_path: Path
):
    with ChatReceiver("dingtalk", secret=SECRET, clock=clock) as receiver:
        settings = chat_settings(tmp_path, "dingtalk", receiver)
        baseline(engine)
        stories(engine, 25)
        detect(engine, WATCHLIST, routes=settings.routes)

        first = deliver_due(engine, settings, NAMES)
        waiting = [d for d in deliveries(engine) if d.status == "pending"]
        clock.now += 61
        second = deliver_due(engine, settings, NAMES, now=later(61))

    assert (first.sent, first.retried) == (20, 5)
    assert len(waiting) == 5 and all(d.attempts == 0 and "rate limit" in (d.last_error or "") for d in waiting)
    assert second.sent == 5
    assert len(receiver.requests) == 25 and all(r.code == 0 for r in receiver.requests)  # never refused


def test_a_long_digest_is_split_in_order_within_wecoms_4096_bytes(engine: Engine, clock: FakeClock, tmp_path: Path):
    with ChatReceiver("wecom", clock=clock) as receiver:
        settings = chat_settings(tmp_path, "wecom", receiver, mode="digest")
        baseline(engine)
        stories(engine, 40)
        store_story(engine, date(2024, 5, 7), 900, "铁路", ["集大原高铁联调联试。"])
        detect(engine, WATCHLIST, routes=settings.routes)

        report = deliver_due(engine, settings, NAMES)

    assert report.sent == 41
    parts = receiver.accepted()
    assert len(parts) >= 3 and len(parts) == len(receiver.requests)
    assert all(len(p.json()["markdown"]["content"].encode()) <= 4096 for p in parts)
    numbers = [re.match(r"## \[szwatch\] 41条提醒（(?:续 )?(\d+)/(\d+)）", p.text).groups() for p in parts]  # type: ignore[union-attr]
    assert [int(n) for n, _ in numbers] == list(range(1, len(parts) + 1))
    assert {int(total) for _, total in numbers} == {len(parts)}
    text = "\n".join(p.text for p in parts)
    assert all(f"第{n}次报道" in text for n in range(1, 41)) and "集大原高铁" in text
    assert len({p.headers["idempotency-key"] for p in parts}) == 1 and "szwatch · " not in text


def test_a_digest_split_retried_midway_goes_on_from_the_part_not_yet_sent(
    engine: Engine, clock: FakeClock, tmp_path: Path
):
    with ChatReceiver("feishu", secret=SECRET, clock=clock) as receiver:
        settings = chat_settings(tmp_path, "feishu", receiver, mode="digest")
        baseline(engine)
        stories(engine, 90)
        detect(engine, WATCHLIST, routes=settings.routes)
        original = receiver.judge
        calls = {"n": 0}

        def busy_on_second(*args: object) -> tuple[int, str]:
            calls["n"] += 1
            return (9499, "Bad Request") if calls["n"] == 2 else original(*args)  # type: ignore[arg-type]

        receiver.judge = busy_on_second  # type: ignore[method-assign]
        first = deliver_due(engine, settings, NAMES)
        clock.now += 61
        second = deliver_due(engine, settings, NAMES, now=later(61))

    accepted = receiver.accepted()
    assert first.retried == 90 and second.sent == 90
    numbers = [int(re.search(r"(\d+)/\d+）", r.text).group(1)) for r in accepted]  # type: ignore[union-attr]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 2  # each part once, in order


@pytest.mark.parametrize("variant", KINDS)
def test_notify_test_works_for_every_kind(variant: str, tmp_path: Path):
    kind = variant.split("-")[0]
    with ChatReceiver(kind, secret=None if kind == "wecom" else SECRET) as receiver:
        settings = chat_settings(tmp_path, variant, receiver)
        assert settings.channels[0].kind == kind
        env = {**os.environ, "ROBOT_URL": receiver.url, "ROBOT_SECRET": SECRET}
        ok = _notify(tmp_path, env)
        receiver.fail_next(93000 if kind == "wecom" else 310000 if kind == "dingtalk" else 19021, "refused here")
        refused = _notify(tmp_path, env)

    assert ok.returncode == 0 and "team: sent" in ok.stdout, ok.stderr
    assert "测试" in receiver.requests[0].text
    assert refused.returncode == 1 and "refused here" in refused.stderr


def _notify(tmp_path: Path, env: dict[str, str]):  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "szwatch", "--quiet", "notify-test", "team", "--config",
                           str(tmp_path / "settings.toml")], env=env, capture_output=True, text=True, timeout=60)  # fmt: skip


def test_chat_settings_are_checked_and_robot_urls_masked(tmp_path: Path):
    path = tmp_path / "settings.toml"
    path.write_text('[[channel]]\ntype = "feishu"\nname = "f"\nurl = "https://open.feishu.cn/open-apis/bot/v2/hook/'
                    'abc-123"\nformat = "poster"\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(ValueError, match=r"settings.toml:5: channel.format: f: post \(rich text\) or card"):
        load_settings(path, env={})
    path.write_text('[[channel]]\ntype = "wecom"\nname = "w"\nurl = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send'
                    '?key=SECRET-KEY"\n[alerts]\nmax_age_days = 3\n', encoding="utf-8")  # fmt: skip
    shown = szwatch("config", "show", "--config", str(path))
    data = json.loads(shown.stdout)
    assert "SECRET-KEY" not in shown.stdout and data["channels"][0]["url"].endswith("key=***")
    assert data["alerts"]["max_age_days"] == 3
    path.write_text('[[channel]]\ntype = "dingtalk"\nname = "d"\nurl = "https://oapi.dingtalk.com/robot/send"\n'
                    'url_env = "X"\n', encoding="utf-8")  # fmt: skip
    with pytest.raises(ValueError, match="give url or url_env"):
        load_settings(path, env={"X": "https://x"})


def test_apprise_delivers_through_its_json_target_and_refusals_are_retried(engine: Engine, tmp_path: Path):
    pytest.importorskip("apprise")
    from szwatch.replica.sinks import WebhookReceiver

    with WebhookReceiver() as hook:
        target = hook.url.replace("http://", "json://")
        path = tmp_path / "settings.toml"
        path.write_text('[[channel]]\ntype = "apprise"\nname = "many"\nurls_env = "APPRISE_URLS"\n'
                        '[[route]]\nchannel = "many"\n', encoding="utf-8")  # fmt: skip
        settings = load_settings(path, env={"APPRISE_URLS": target})
        baseline(engine)
        stories(engine, 1)
        detect(engine, WATCHLIST, routes=settings.routes)
        hook.answer(500)

        refused = deliver_due(engine, settings, NAMES)
        why = deliveries(engine)[0].last_error or ""
        sent = deliver_due(engine, settings, NAMES, now=later(settings.delivery.backoff_seconds + 1))

    assert refused.retried == 1 and "Apprise reports that a target did not accept" in why
    assert sent.sent == 1 and deliveries(engine)[0].status == "sent"
    body = hook.accepted()[0].json()
    assert "东立多晶硅项目" in body["message"] and deliveries(engine)[0].idempotency_key not in body["message"]
    with pytest.raises(ValueError, match="Apprise does not understand nosuch:// URLs"):
        load_settings(path, env={"APPRISE_URLS": "nosuch://x"})
