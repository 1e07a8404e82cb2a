"""企业微信 (WeCom) group robot: ``POST …/cgi-bin/webhook/send?key=…`` with a markdown message.

The robot's URL carries its key (``url`` or, to keep it out of the settings file, ``url_env``). WeCom answers
HTTP 200 with ``errcode``: 0 accepted, 45009 its rate limit (20 messages a minute per robot: retried after a
minute), -1 busy (retried); anything else, such as 93000 (invalid webhook URL), is permanent. Markdown
content may hold 4096 bytes, so a long digest goes as several messages in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from szwatch.monitor.alerts import messages
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.channels.base import SendResult, SettingsReader
from szwatch.store.models import Alert

DEFAULT_HOST = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key="
MAX_BYTES = 4096
RATE_LIMITED = {45009}
BUSY = {-1}


@dataclass(frozen=True)
class WecomChannel:
    name: str
    url: str
    timeout: float = 10.0
    per_minute: int = 20
    kind: str = "wecom"

    def __repr__(self) -> str:  # the URL holds the robot's key
        return f"WecomChannel(name={self.name!r}, url='***')"


def parse(reader: SettingsReader, raw: dict[str, Any], env: dict[str, str]) -> WecomChannel:
    return WecomChannel(**chat.parse_common(reader, raw, env, set()))


def payload(text: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": text}}


def judge(data: dict[str, Any]) -> SendResult:
    return chat.judge_code(data, "errcode", "errmsg", BUSY, RATE_LIMITED)


def send(channel: WecomChannel, alerts: list[Alert], key: str, event: str, names: dict[str, str]) -> SendResult:
    texts = messages.chat_messages(alerts, key, event, MAX_BYTES, names)
    return chat.send_parts(channel.url, key, texts, lambda text, _i, _n: chat.Part(channel.url, payload(text)),
                           judge, channel.timeout, channel.per_minute)  # fmt: skip
