"""E-mail over SMTP (plain, STARTTLS or SSL; optional login) with the standard library's smtplib.

SMTP's own codes decide: a 5xx answer is permanent, anything else (4xx, a refused or dropped connection,
a timeout) is retried.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from szwatch.monitor.channels.base import FAILED, RETRY, SENT, SendResult
from szwatch.monitor.settings import EmailChannel


def send(channel: EmailChannel, message: EmailMessage) -> SendResult:
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
