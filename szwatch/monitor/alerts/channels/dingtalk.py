"""钉钉 (DingTalk) custom robot: ``POST …/robot/send?access_token=…`` with a markdown message.

With a signing secret (``secret_env``, the robot's 加签 security setting) every request carries
``&timestamp=<ms>&sign=<urlencoded base64 HMAC-SHA256 of "timestamp\\nsecret">`` in its query, as DingTalk
documents. DingTalk answers HTTP 200 with ``errcode``: 0 accepted, 130101 its rate limit (20 messages a minute
per robot: retried after a minute), -1 busy (retried); anything else — 310000 (signature, keyword or IP
check failed), 300001 (bad token) — is permanent. A robot secured by keyword needs a keyword that every
message has: "szwatch" is in each one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from szwatch.monitor.alerts import messages
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.channels.base import MessageStyle, SendResult, SettingsReader
from szwatch.store.models import Alert

DEFAULT_HOST = "https://oapi.dingtalk.com/robot/send?access_token="
MAX_BYTES = 18000  # DingTalk refuses bodies of about 20 KB; the rest is the JSON around the text
RATE_LIMITED = {130101, 410100}
BUSY = {-1}


@dataclass(frozen=True)
class DingtalkChannel:
    name: str
    url: str
    secret: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    per_minute: int = 20
    min_interval: float = 0.0  # minutes between two messages to this chat; what comes sooner is sent with the next
    mentions: chat.Mentions = field(default_factory=chat.Mentions)
    style: MessageStyle = field(default_factory=MessageStyle)
    kind: str = "dingtalk"

    def __repr__(self) -> str:
        return f"DingtalkChannel(name={self.name!r}, url='***', signed={self.secret is not None})"


def parse(reader: SettingsReader, raw: dict[str, Any], env: dict[str, str]) -> DingtalkChannel:
    common = chat.parse_common(reader, raw, env, {"secret_env", *chat.MENTION_KEYS})
    return DingtalkChannel(secret=reader.secret(raw, "secret_env", env), mentions=chat.parse_mentions(reader, raw),
                           **common)  # fmt: skip


def sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def signed_url(url: str, secret: str | None, now: float | None = None) -> str:
    if not secret:
        return url
    stamp = int((time.time() if now is None else now) * 1000)
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign(secret, stamp)}"


def payload(title: str, text: str, mentions: chat.Mentions | None = None) -> dict[str, Any]:
    """A markdown message; with ``mentions`` it ``@``s them (DingTalk highlights an ``@mobile`` in the text)."""
    body: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if mentions:
        tags = [f"@{m}" for m in (*mentions.mobiles, *mentions.users)] or (["@所有人"] if mentions.all else [])
        body["markdown"]["text"] = f"{text}\n\n{' '.join(tags)}"
        body["at"] = {"isAtAll": mentions.all, "atMobiles": list(mentions.mobiles), "atUserIds": list(mentions.users)}
    return body


def judge(data: dict[str, Any]) -> SendResult:
    return chat.judge_code(data, "errcode", "errmsg", BUSY, RATE_LIMITED)


def send(channel: DingtalkChannel, alerts: list[Alert], key: str, event: str, names: dict[str, str]) -> SendResult:
    texts = messages.chat_messages(alerts, key, event, MAX_BYTES - 512, names, channel.style)
    title = messages.subject(alerts, names, channel.style)[:64]

    def build(text: str, index: int, total: int) -> chat.Part:
        mentions = channel.mentions if index == total - 1 else None
        return chat.Part(signed_url(channel.url, channel.secret), payload(title, text, mentions))

    return chat.send_parts(channel.url, key, texts, build, judge, channel.timeout, channel.per_minute)
