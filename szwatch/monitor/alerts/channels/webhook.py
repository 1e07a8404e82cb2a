"""Webhook over HTTP(S) with httpx: JSON body, HMAC-SHA256 signature, idempotency key header.

A non-2xx answer is a failure; 4xx other than 408 and 429 will not get better by retrying (the receiver
refused this message), everything else — 5xx, 408, 429, timeouts, refused connections — is retried; a 429 or
503 with ``Retry-After`` (seconds or an HTTP date) is retried no sooner than it asks.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

import httpx

from szwatch.monitor.alerts import messages
from szwatch.monitor.alerts.channels.base import FAILED, RETRY, SENT, SendResult, SettingsReader, retry_after
from szwatch.store.models import Alert

USER_AGENT = "szwatch-webhook/1"
_client: httpx.Client | None = None


@dataclass(frozen=True)
class WebhookChannel:
    name: str
    url: str
    secret: str | None = field(default=None, repr=False)
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 10.0
    kind: str = "webhook"


def parse(reader: SettingsReader, raw: dict[str, Any], env: dict[str, str]) -> WebhookChannel:
    name = reader.text(raw, "name", "channel")
    reader.only(raw, {"type", "name", "url", "secret_env", "headers", "timeout"}, "channel")
    url = reader.url(raw, name)
    headers = raw.get("headers", {})
    if not isinstance(headers, dict):
        raise reader.error("channel.headers", f"{name}: a table of header = value")
    return WebhookChannel(
        name=name, url=url, secret=reader.secret(raw, "secret_env", env),
        headers=tuple((str(k), str(v)) for k, v in headers.items()), timeout=reader.timeout(raw),
    )  # fmt: skip


def _shared_client() -> httpx.Client:
    """One client per process: building one (and its TLS context) per message cost more than the POST."""
    global _client
    if _client is None:
        _client = httpx.Client(follow_redirects=False)
    return _client


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def send(channel: WebhookChannel, alerts: list[Alert], key: str, event: str, names: dict[str, str]) -> SendResult:
    body = messages.webhook_body(alerts, event, key, names)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "Idempotency-Key": key,
        "X-Szwatch-Event": event,
        **dict(channel.headers),
    }
    if channel.secret:
        headers["X-Szwatch-Signature"] = signature(channel.secret, body)
    try:
        response = _shared_client().post(channel.url, content=body, headers=headers, timeout=channel.timeout)
    except httpx.HTTPError as exc:
        return SendResult(RETRY, f"{type(exc).__name__}: {exc}")
    answer = f"HTTP {response.status_code}: {response.text[:200]}".strip()
    if response.is_success:
        return SendResult(SENT, answer)
    if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
        return SendResult(FAILED, answer)
    wait = retry_after(response.headers.get("Retry-After")) if response.status_code in (429, 503) else 0.0
    return SendResult(RETRY, answer, wait)
