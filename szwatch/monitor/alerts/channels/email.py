"""E-mail over SMTP (plain, STARTTLS or SSL; optional login) with the standard library's smtplib.

SMTP's own codes decide: a 5xx answer is permanent, anything else (4xx, a refused or dropped connection,
a timeout) is retried.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from typing import Any

from szwatch.monitor.alerts import messages
from szwatch.monitor.alerts.channels.base import FAILED, RETRY, SENT, MessageStyle, SendResult, SettingsReader
from szwatch.store.models import Alert

SECURITY = ("none", "starttls", "ssl")
KEYS = {"type", "name", "host", "port", "security", "username", "password_env", "from", "to", "timeout"}


@dataclass(frozen=True)
class EmailChannel:
    name: str
    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    security: str = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    style: MessageStyle = field(default_factory=MessageStyle)
    kind: str = "email"


def parse(reader: SettingsReader, raw: dict[str, Any], env: dict[str, str]) -> EmailChannel:
    name = reader.text(raw, "name", "channel")
    reader.only(raw, KEYS, "channel")
    security = raw.get("security", "none")
    if security not in SECURITY:
        raise reader.error("channel.security", f"one of {', '.join(SECURITY)}")
    to = raw.get("to", [])
    if not to or not all(isinstance(x, str) and "@" in x for x in to):
        raise reader.error("channel.to", f"{name}: a list of e-mail addresses")
    return EmailChannel(
        name=name, host=reader.text(raw, "host", "channel"), port=int(reader.number(raw, "port", "channel")),
        sender=reader.text(raw, "from", "channel"), to=tuple(to), security=security,
        username=raw.get("username"), password=reader.secret(raw, "password_env", env),
        timeout=reader.timeout(raw),
    )  # fmt: skip


def send(channel: EmailChannel, alerts: list[Alert], key: str, event: str, names: dict[str, str]) -> SendResult:
    message = messages.email_message(alerts, channel.sender, channel.to, key, names, channel.style)
    try:
        with _connect(channel) as smtp:
            if channel.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if channel.username:
                smtp.login(channel.username, channel.password or "")
            refused = smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        answer = f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}"
        return SendResult(FAILED if 500 <= exc.smtp_code < 600 else RETRY, answer)
    except smtplib.SMTPRecipientsRefused as exc:
        return SendResult(FAILED, f"recipients refused: {exc.recipients}")
    except (OSError, smtplib.SMTPException) as exc:
        return SendResult(RETRY, f"{type(exc).__name__}: {exc}")
    if refused:
        return SendResult(FAILED, f"some recipients refused: {refused}")
    return SendResult(SENT, f"accepted by {channel.host}:{channel.port}")


def _connect(channel: EmailChannel) -> smtplib.SMTP:
    if channel.security == "ssl":
        return smtplib.SMTP_SSL(channel.host, channel.port, timeout=channel.timeout,
                                context=ssl.create_default_context())  # fmt: skip
    return smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout)


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value
