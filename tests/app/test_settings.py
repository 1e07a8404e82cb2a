"""Settings are checked at start: every mistake names the file, the key and its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from szwatch.app.settings import SettingsError, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "szwatch" / "config" / "settings.example.toml"
ENV = {"SZWATCH_SMTP_PASSWORD": "pw", "SZWATCH_WEBHOOK_SECRET": "secret",
       "SZWATCH_WECOM_URL": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
       "SZWATCH_DINGTALK_URL": "https://oapi.dingtalk.com/robot/send?access_token=t", "SZWATCH_DINGTALK_SECRET": "SECx",
       "SZWATCH_FEISHU_URL": "https://open.feishu.cn/open-apis/bot/v2/hook/h", "SZWATCH_FEISHU_SECRET": "fs"}  # fmt: skip


def test_example_settings_load_with_secrets_from_the_environment():
    settings = load_settings(EXAMPLE, ENV)
    mail, hook = settings.channel("team-mail"), settings.channel("team-hook")
    assert mail.password == "pw" and hook.secret == "secret"  # type: ignore[union-attr]
    assert "pw" not in repr(mail) and "secret" not in repr(hook)
    assert [r.mode for r in settings.routes] == ["instant", "digest", "instant", "instant", "daily"]
    assert settings.operator_channel == "team-mail" and settings.alerts.max_age_days == 7
    assert [c.kind for c in settings.channels] == ["email", "webhook", "wecom", "dingtalk", "feishu"]
    assert all("key=k" not in repr(c) and "SECx" not in repr(c) for c in settings.channels)
    assert settings.routes[0].accepts("new_mention", "zhongmei-olefin", ("能源",))
    assert not settings.routes[0].accepts("new_mention", "jidayuan-hsr", ("交通",))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("port = 587", "prot = 587", r"settings.toml:14: channel.prot: unknown key"),
        ('mode = "digest"', 'mode = "weekly"', r"settings.toml:\d+: route.mode: 'instant' or 'digest'"),
        ('channel = "team-hook"\ntags', 'channel = "nobody"\ntags', r"route.channel: no channel named 'nobody'"),
        ('security = "starttls"', 'security = "tls"', r"channel.security: one of none, starttls, ssl"),
    ],
)
def test_bad_settings_name_key_and_line(tmp_path: Path, old: str, new: str, message: str):
    path = tmp_path / "settings.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(path, ENV)


def test_missing_secret_is_named_as_the_channels_problem_not_an_error_of_the_file():
    settings = load_settings(EXAMPLE, {k: v for k, v in ENV.items() if k != "SZWATCH_WEBHOOK_SECRET"})
    [(name, problem)] = settings.problems.items()
    assert problem == "secret_env: environment variable SZWATCH_WEBHOOK_SECRET is not set"
    assert settings.channel(name) is not None
