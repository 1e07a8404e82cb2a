"""Local receivers for alerts: a webhook endpoint, an SMTP server and team-chat robots, all real, on localhost.

``szwatch demo`` delivers to them so a user sees the messages a real team would get; the tests and the
alert benchmark use them the same way. The webhook receiver can be told to answer with given status codes
(500, then 200) and records every request with its headers, so retries and idempotency keys are visible.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    status: int
    at: float

    def json(self) -> Any:
        return json.loads(self.body)


class _HttpSink:
    """A threaded HTTP server on a free local port, serving while the ``with`` block runs."""

    def __init__(self, host: str, handler: type[BaseHTTPRequestHandler], name: str) -> None:
        self._httpd = ThreadingHTTPServer((host, 0), handler)
        self._httpd.daemon_threads = True
        self._name = name

    @property
    def origin(self) -> str:
        host, port = self._httpd.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host  # an AF_INET server's host is always str
        return f"http://{host}:{port}"

    def __enter__(self) -> Self:
        threading.Thread(target=self._httpd.serve_forever, name=self._name, daemon=True).start()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


class WebhookReceiver(_HttpSink):
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[Received] = []
        self.answers: deque[int] = deque()
        self.on_request: Callable[[Received], None] | None = None
        self.delay = 0.0  # seconds each answer takes (a slow receiver: concurrency and claim tests)
        self.retry_after: str | None = None  # a Retry-After header on every refusal (seconds or an HTTP date)
        self._lock = threading.Lock()
        super().__init__(host, _webhook_handler(self), "webhook-receiver")

    @property
    def url(self) -> str:
        return f"{self.origin}/hook"

    def answer(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, then 200 again."""
        self.answers.extend(statuses)

    def accepted(self) -> list[Received]:
        return [r for r in self.requests if 200 <= r.status < 300]

    def _take(self, headers: dict[str, str], body: bytes) -> Received:
        with self._lock:
            status = self.answers.popleft() if self.answers else 200
            received = Received(headers, body, status, time.monotonic())
            self.requests.append(received)
        if self.delay:
            time.sleep(self.delay)
        if self.on_request:
            self.on_request(received)
        return received


class _JsonPostHandler(BaseHTTPRequestHandler):
    """What both receivers share: read a POST's body and headers, answer JSON, log nothing."""

    def _request(self) -> tuple[dict[str, str], bytes]:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        return {k.lower(): v for k, v in self.headers.items()}, body

    def _answer(self, status: int, answer: bytes, retry_after: str | None = None) -> None:
        self.send_response(status)
        if retry_after and status >= 400:
            self.send_header("Retry-After", retry_after)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        return


def _webhook_handler(sink: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(_JsonPostHandler):
        def do_POST(self) -> None:
            received = sink._take(*self._request())
            answer = b'{"ok": true}' if received.status < 300 else b'{"error": "try later"}'
            self._answer(received.status, answer, sink.retry_after)

    return Handler


class _Collect:
    def __init__(self, sink: MailCatcher) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.sink.messages.append((list(envelope.rcpt_tos), message))
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


# -- team-chat robots ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatService:
    """How one robot service addresses, signs, limits and answers; the numbers are the services' own."""

    kind: str
    path: str  # {token} is the robot's key / access token / hook id
    max_bytes: int  # of the markdown content (WeCom) or the whole body (DingTalk, Feishu)
    ok: dict[str, Any]
    rate_limited: tuple[int, str]
    bad_token: tuple[int, str]
    bad_sign: tuple[int, str]
    too_long: tuple[int, str]
    code_key: str = "errcode"
    message_key: str = "errmsg"


CHAT_SERVICES = {
    "wecom": ChatService(
        "wecom", "/cgi-bin/webhook/send?key={token}", 4096, {"errcode": 0, "errmsg": "ok"},
        (45009, "api freq out of limit"), (93000, "invalid webhook url"), (0, ""),
        (40058, "markdown.content exceed max length 4096"),
    ),
    "dingtalk": ChatService(
        "dingtalk", "/robot/send?access_token={token}", 20000, {"errcode": 0, "errmsg": "ok"},
        (130101, "send too fast, exceed 20 times per minute"), (300001, "token is not exist"),
        (310000, "sign not match"), (460101, "message too long, exceed 20000 bytes"),
    ),
    "feishu": ChatService(
        "feishu", "/open-apis/bot/v2/hook/{token}", 20 * 1024,
        {"StatusCode": 0, "StatusMessage": "success", "code": 0, "data": {}, "msg": "success"},
        (11232, "frequency limited"), (19001, "param invalid: incoming webhook access token invalid"),
        (19021, "sign match fail or timestamp is not within one hour from current time"),
        (9499, "Bad Request: request body too large"), code_key="code", message_key="msg",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class ChatRequest:
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]
    code: int  # what the robot answered in its JSON (0: accepted)
    at: float

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The message as the group would read it (markdown, or a rich-text post's lines, or a card's)."""
        data = self.json()
        if "markdown" in data:
            return str(data["markdown"].get("content") or data["markdown"].get("text") or "")
        if data.get("msg_type") == "post":
            rows = data["content"]["post"]["zh_cn"]["content"]
            return "\n".join("".join(e.get("text", "") for e in row) for row in rows)
        if data.get("msg_type") == "interactive":
            return "\n".join(e.get("content", "") for e in data["card"].get("elements", []))
        return ""


class ChatReceiver(_HttpSink):
    """A local robot that behaves like 企业微信's, 钉钉's or 飞书's: checks the key and the signature, keeps the
    size and the rate limit (20 messages a minute), and answers HTTP 200 with an error code when it refuses,
    as they do. ``fail_next(code)`` makes it refuse the next messages with a code of the service's choosing;
    ``clock`` (for the rate limit) is the one thing tests may replace."""

    def __init__(self, kind: str, secret: str | None = None, per_minute: int = 20, token: str = "robot-key-1",
                 host: str = "127.0.0.1", clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.service = CHAT_SERVICES[kind]
        self.kind, self.secret, self.per_minute, self.token, self.clock = kind, secret, per_minute, token, clock
        self.requests: list[ChatRequest] = []
        self.forced: deque[tuple[int, str]] = deque()
        self.http_answers: deque[int] = deque()
        self.retry_after: str | None = None  # a Retry-After header on HTTP refusals (``http_answers``)
        self._window: deque[float] = deque()
        self._lock = threading.Lock()
        super().__init__(host, _chat_handler(self), f"{kind}-receiver")

    @property
    def url(self) -> str:
        return self.origin + self.service.path.format(token=self.token)

    def fail_next(self, code: int, message: str = "system busy", times: int = 1) -> None:
        self.forced.extend([(code, message)] * times)

    def accepted(self) -> list[ChatRequest]:
        return [r for r in self.requests if r.code == 0]

    def judge(self, path: str, query: dict[str, str], body: bytes) -> tuple[int, str]:
        """The service's verdict on one request: (0, "ok") or its error code and message."""
        service = self.service
        with self._lock:
            if self.forced:
                return self.forced.popleft()
            token = path.rsplit("/", 1)[-1] if self.kind == "feishu" else query.get("key") or query.get("access_token")
            if token != self.token:
                return service.bad_token
            try:
                data = json.loads(body)
            except ValueError:
                return (40001 if self.kind != "feishu" else 9499, "invalid json")
            if self.secret and not self._signed(query, data):
                return service.bad_sign
            size = len(data.get("markdown", {}).get("content", "").encode()) if self.kind == "wecom" else len(body)
            if size > service.max_bytes:
                return service.too_long
            now = self.clock()
            while self._window and self._window[0] <= now - 60:
                self._window.popleft()
            if len(self._window) >= self.per_minute:
                return service.rate_limited
            self._window.append(now)
            return 0, "ok"

    def _signed(self, query: dict[str, str], data: dict[str, Any]) -> bool:
        secret = self.secret or ""
        if self.kind == "dingtalk":
            stamp, sign = query.get("timestamp", ""), query.get("sign", "")  # parse_qsl undid the URL encoding
            fresh = stamp.isdigit() and abs(time.time() * 1000 - int(stamp)) < 3600 * 1000
            mac = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
        else:
            stamp, sign = str(data.get("timestamp", "")), str(data.get("sign", ""))
            fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 3600
            mac = hmac.new(f"{stamp}\n{secret}".encode(), b"", hashlib.sha256).digest()
        return fresh and hmac.compare_digest(base64.b64encode(mac).decode(), sign)

    def _take(self, path: str, query: dict[str, str], headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        if self.http_answers:
            status = self.http_answers.popleft()
            self.requests.append(ChatRequest(path, query, body, headers, -status, time.monotonic()))
            return status, b'{"error": "server error"}'
        code, message = self.judge(path, query, body)
        self.requests.append(ChatRequest(path, query, body, headers, code, time.monotonic()))
        service = self.service
        answer = dict(service.ok) if code == 0 else {service.code_key: code, service.message_key: message}
        if code and self.kind == "feishu":
            answer["data"] = {}
        return 200, json.dumps(answer, ensure_ascii=False).encode()


def _chat_handler(sink: ChatReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(_JsonPostHandler):
        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            headers, body = self._request()
            self._answer(*sink._take(parts.path, dict(parse_qsl(parts.query)), headers, body), sink.retry_after)

    return Handler
