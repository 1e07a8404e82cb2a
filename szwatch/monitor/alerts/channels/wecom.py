"""企业微信 (WeCom) group robot: ``POST …/cgi-bin/webhook/send?key=…`` with a markdown message.

WeCom's markdown cannot ``@`` anyone but by user id (``<@userid>``); ``mention_all`` and ``mention_mobiles``
therefore go in one short text message after the markdown (``mentioned_list``/``mentioned_mobile_list``).

The robot's URL carries its key (``url`` or, to keep it out of the settings file, ``url_env``). WeCom answers
HTTP 200 with ``errcode``: 0 accepted, 45009 its rate limit (20 messages a minute per robot: retried after a
minute), -1 busy (retried); anything else, such as 93000 (invalid webhook URL), is permanent. Markdown
content may hold 4096 bytes, so a long digest goes as several messages in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from szwatch.monitor.alerts import messages
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.channels.base import MessageStyle, SendResult, SettingsReader
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
    min_interval: float = 0.0  # minutes between two messages to this chat; what comes sooner is sent with the next
    mentions: chat.Mentions = field(default_factory=chat.Mentions)
    style: MessageStyle = field(default_factory=MessageStyle)
    kind: str = "wecom"

    def __repr__(self) -> str:  # the URL holds the robot's key
        return f"WecomChannel(name={self.name!r}, url='***')"


def parse(reader: SettingsReader, raw: dict[str, Any], env: dict[str, str]) -> WecomChannel:
    common = chat.parse_common(reader, raw, env, chat.MENTION_KEYS)
    return WecomChannel(mentions=chat.parse_mentions(reader, raw), **common)


def payload(text: str) -> dict[str, Any]:
    return {"msgtype": "markdown", "markdown": {"content": text}}


def mention_payload(mentions: chat.Mentions, text: str) -> dict[str, Any]:
    """The text message that ``@``s: WeCom's markdown cannot mention everyone or a mobile number."""
    listed = ["@all"] if mentions.all else list(mentions.users)
    return {"msgtype": "text", "text": {"content": text, "mentioned_list": listed,
                                        "mentioned_mobile_list": list(mentions.mobiles)}}  # fmt: skip


def judge(data: dict[str, Any]) -> SendResult:
    return chat.judge_code(data, "errcode", "errmsg", BUSY, RATE_LIMITED)


def send(channel: WecomChannel, alerts: list[Alert], key: str, event: str, names: dict[str, str]) -> SendResult:
    mentions = channel.mentions
    room = MAX_BYTES - (512 if mentions.users else 0)  # the <@userid> tags go after the last part's text
    texts = messages.chat_messages(alerts, key, event, room, names, channel.style)
    if mentions.users and not (mentions.all or mentions.mobiles):
        texts[-1] += "\n\n" + " ".join(f"<@{user}>" for user in mentions.users)
    elif mentions:
        texts.append(messages.subject(alerts, names, channel.style))

    def build(text: str, index: int, total: int) -> chat.Part:
        if mentions and (mentions.all or mentions.mobiles) and index == total - 1:
            return chat.Part(channel.url, mention_payload(mentions, text))
        return chat.Part(channel.url, payload(text))

    return chat.send_parts(channel.url, key, texts, build, judge, channel.timeout, channel.per_minute)
