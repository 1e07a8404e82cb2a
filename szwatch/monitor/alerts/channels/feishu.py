"""飞书 / Lark custom bot: ``POST …/open-apis/bot/v2/hook/…`` with rich text (``post``) or a card.

With a signing secret (``secret_env``, the bot's 签名校验) the body carries ``timestamp`` (seconds) and
``sign`` = base64 of HMAC-SHA256 keyed with "timestamp\\nsecret" over an empty message, as Feishu documents.
Feishu answers HTTP 200 with ``code``: 0 accepted, 9499 and 11232 its rate limit (retried after a minute);
anything else — 19021 (signature), 19022 (IP), 19024 (keyword), 19002 (bad request) — is permanent. A body
may hold 20 KB, so a long digest goes as several messages in order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from typing import Any

from szwatch.monitor.alerts import messages
from szwatch.monitor.alerts.channels import chat
from szwatch.monitor.alerts.channels.base import MessageStyle, SendResult, SettingsReader
from szwatch.store.models import Alert

DEFAULT_HOST = "https://open.feishu.cn/open-apis/bot/v2/hook/"
MAX_BYTES = 12000  # of markdown; the rich-text JSON around it stays under Feishu's 20 KB
RATE_LIMITED = {9499, 11232, 11233}
BUSY: set[int] = set()
FORMATS = ("post", "card")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")
_LINK = re.compile(r"\[([^\]]+)\]\((https?://[^)\s]+)\)")


@dataclass(frozen=True)
class FeishuChannel:
    name: str
    url: str
    secret: str | None = field(default=None, repr=False)
    format: str = "post"
    timeout: float = 10.0
    per_minute: int = 20
    min_interval: float = 0.0  # minutes between two messages to this chat; what comes sooner is sent with the next
    mentions: chat.Mentions = field(default_factory=chat.Mentions)  # by open id (ou_…) or "all"; not by mobile
    style: MessageStyle = field(default_factory=MessageStyle)
    kind: str = "feishu"

    def __repr__(self) -> str:
        return f"FeishuChannel(name={self.name!r}, url='***', format={self.format!r})"


def parse(reader: SettingsReader, raw: dict[str, Any], env: dict[str, str]) -> FeishuChannel:
    common = chat.parse_common(reader, raw, env, {"secret_env", "format", *chat.MENTION_KEYS})
    fmt = raw.get("format", "post")
    if fmt not in FORMATS:
        raise reader.error("channel.format", f"{common['name']}: post (rich text) or card")
    return FeishuChannel(secret=reader.secret(raw, "secret_env", env), format=fmt,
                         mentions=chat.parse_mentions(reader, raw), **common)  # fmt: skip


def sign(secret: str, timestamp: int) -> str:
    digest = hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def post_content(title: str, text: str) -> dict[str, Any]:
    """Markdown lines as Feishu rich-text paragraphs: links become ``a`` elements, the rest plain text (bold, such
    as the match in its sentence, becomes 【…】, which a plain-text post can show)."""
    paragraphs: list[list[dict[str, str]]] = []
    for line in text.split("\n"):
        line = _BOLD.sub(r"【\1】", line.lstrip("#> "))
        if not line.strip():
            continue
        elements: list[dict[str, str]] = []
        position = 0
        for match in _LINK.finditer(line):
            if match.start() > position:
                elements.append({"tag": "text", "text": line[position : match.start()]})
            elements.append({"tag": "a", "text": match.group(1), "href": match.group(2)})
            position = match.end()
        if position < len(line):
            elements.append({"tag": "text", "text": line[position:]})
        paragraphs.append(elements)
    return {"post": {"zh_cn": {"title": title, "content": paragraphs}}}


def _at_ids(mentions: chat.Mentions | None) -> list[str]:
    """Feishu ``@``s by open id (``ou_…``) or ``all``; it cannot ``@`` a mobile number from a bot."""
    if not mentions:
        return []
    return (["all"] if mentions.all else []) + list(mentions.users)


def payload(fmt: str, title: str, text: str, mentions: chat.Mentions | None = None) -> dict[str, Any]:
    """A rich-text post or a card; with ``mentions`` it ends with their ``@`` (an ``at`` element in a post,
    ``<at id=…></at>`` in a card's markdown)."""
    ids = _at_ids(mentions)
    if fmt == "card":
        content = text.replace("### ", "**").replace("## ", "**")
        if ids:
            content += "\n" + " ".join(f"<at id={i}></at>" for i in ids)
        return {"msg_type": "interactive", "card": {
            "header": {"title": {"tag": "plain_text", "content": title}, "template": "blue"},
            "elements": [{"tag": "markdown", "content": content}],
        }}  # fmt: skip
    body = post_content(title, text)
    if ids:
        body["post"]["zh_cn"]["content"].append([{"tag": "at", "user_id": i} for i in ids])
    return {"msg_type": "post", "content": body}


def judge(data: dict[str, Any]) -> SendResult:
    return chat.judge_code(data, "code", "msg", BUSY, RATE_LIMITED)


def send(channel: FeishuChannel, alerts: list[Alert], key: str, event: str, names: dict[str, str]) -> SendResult:
    texts = messages.chat_messages(alerts, key, event, MAX_BYTES, names, channel.style)
    title = messages.subject(alerts, names, channel.style)

    def build(text: str, index: int, total: int) -> chat.Part:
        mentions = channel.mentions if index == total - 1 else None
        body = payload(channel.format, title if total == 1 else f"{title} ({index + 1}/{total})", text, mentions)
        if channel.secret:
            stamp = int(time.time())
            body = {"timestamp": str(stamp), "sign": sign(channel.secret, stamp), **body}
        return chat.Part(channel.url, body)

    return chat.send_parts(channel.url, key, texts, build, judge, channel.timeout, channel.per_minute)
