"""Apprise (an optional extra: ``pip install 'szwatch[apprise]'``) for the long tail of services: Telegram,
Slack, Matrix, ntfy, Gotify, Bark, ServerChan and some hundred more, each named by an Apprise URL.

Verified only as far as Apprise reports: Apprise says whether every target accepted the message, not why one
did not, so a refusal is retried (with the outbox's backoff and attempt limit) and then fails visibly. Its
URLs hold the services' tokens, so they come from the environment (``urls_env``, several separated by spaces).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from szwatch.monitor.alerts import messages
from szwatch.monitor.alerts.channels.base import FAILED, RETRY, SENT, MessageStyle, SendResult, SettingsReader
from szwatch.store.models import Alert

MAX_BYTES = 4000  # what the smallest common targets take in one message; longer digests go in parts


@dataclass(frozen=True)
class AppriseChannel:
    name: str
    urls: tuple[str, ...] = field(default=(), repr=False)
    timeout: float = 10.0
    style: MessageStyle = field(default_factory=MessageStyle)
    kind: str = "apprise"


def parse(reader: SettingsReader, raw: dict[str, Any], env: dict[str, str]) -> AppriseChannel:
    name = reader.text(raw, "name", "channel")
    reader.only(raw, {"type", "name", "urls_env", "timeout"}, "channel")
    urls = tuple((reader.secret(raw, "urls_env", env) or "").split())
    if not urls:
        raise reader.error("channel.urls_env", f"{name}: the variable must hold one or more Apprise URLs")
    try:
        import apprise
    except ImportError as exc:
        missing = f"{name}: apprise is not installed (pip install 'szwatch[apprise]')"
        raise reader.error("channel.type", missing) from exc
    bad = [u.split("://", 1)[0] for u in urls if not apprise.Apprise().add(u)]
    if bad:
        raise reader.error("channel.urls_env", f"{name}: Apprise does not understand {', '.join(bad)}:// URLs")
    return AppriseChannel(name=name, urls=urls, timeout=reader.timeout(raw))


def send(channel: AppriseChannel, alerts: list[Alert], key: str, event: str, names: dict[str, str]) -> SendResult:
    import apprise

    notifier = apprise.Apprise()
    for url in channel.urls:
        if not notifier.add(url):
            return SendResult(FAILED, "Apprise does not understand one of the channel's URLs")
    title = messages.subject(alerts, names, channel.style)
    parts = messages.chat_messages(alerts, key, event, MAX_BYTES, names, channel.style)
    for number, body in enumerate(parts, 1):
        if not notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.MARKDOWN):
            where = f"part {number}/{len(parts)}: " if len(parts) > 1 else ""
            return SendResult(RETRY, f"{where}Apprise reports that a target did not accept the message")
    return SendResult(SENT, f"Apprise reports {len(parts)} message(s) accepted by {len(channel.urls)} target(s)")
