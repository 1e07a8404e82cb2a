"""Local receivers for alerts: a webhook endpoint and an SMTP server, both real, both on localhost.

``szwatch demo`` delivers to them so a user sees the messages a real team would get; the tests and the
alert benchmark use them the same way. The webhook receiver can be told to answer with given status codes
(500, then 200) and records every request with its headers, so retries and idempotency keys are visible.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[Received] = []
        self.answers: deque[int] = deque()
        self.on_request: Callable[[Received], None] | None = None
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, 0), _webhook_handler(self))
        self._httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/hook"

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, then 200 again."""
        self.answers.extend(statuses)

    def accepted(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.status < 300]

    def __enter__(self) -> WebhookReceiver:
        threading.Thread(target=self._httpd.serve_forever, name="webhook-receiver", daemon=True).start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _take(self, headers: dict[str, str], body: bytes) -> Received:
        with self._lock:
            status = self.answers.popleft() if self.answers else 200
            received = Received(headers, body, status, time.monotonic())
            self.requests.append(received)
        if self.on_request:
            self.on_request(received)
        return received


def _webhook_handler(sink: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received = sink._take({k.lower(): v for k, v in self.headers.items()}, body)
            answer = b'{"ok": true}' if received.status < 300 else b'{"error": "try later"}'
            self.send_response(received.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


class _Collect:
    def __init__(self, sink: MailCatcher) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.sink.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class MailCatcher:
    """An SMTP server (aiosmtpd) that keeps what it receives; ``stop()``/``start()`` make it go down and up."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host, self.port = host, port or _free_port(host)
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self._controller: Controller | None = None

    def start(self) -> MailCatcher:
        self._controller = Controller(_Collect(self), hostname=self.host, port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
