"""What the team-chat robots (企业微信, 钉钉, 飞书) share: sending a message in parts, in order, within the
robot's rate limit, and reading answers that say "error" inside an HTTP 200.

These services answer 200 to almost everything and put the verdict in the JSON body (``errcode``/``code``);
each kind names which of its codes are worth retrying (a rate limit, "system busy") — every other non-zero code
is a permanent failure with the service's own message, shown by ``szwatch alerts --status failed``.

Rate limits (20 messages a minute per robot) are kept here, per robot and per process, so a burst waits
instead of being refused: a message with no room is *deferred* (not an attempt, nothing sent). A message split
in parts remembers, within the process, which parts were accepted, so a retry goes on from the first part not
yet sent; after a restart the parts are sent again, each carrying the same idempotency key.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from szwatch.monitor.alerts.channels.base import (  # noqa: F401 (Mentions & co. are read here by the chat kinds)
    DEFER,
    FAILED,
    MENTION_KEYS,
    RETRY,
    SENT,
    Mentions,
    SendResult,
    SettingsReader,
    parse_mentions,
    retry_after,
)

USER_AGENT = "szwatch-chat/1"
WINDOW = 60.0
SERVICE_BACKOFF = 60.0  # after the service itself says "too fast": a full window
_client: httpx.Client | None = None


class RateLimiter:
    """Sliding one-minute windows per robot. ``clock`` is the one thing tests replace."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._sent: dict[str, deque[float]] = {}
        self._blocked: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, robot: str, per_minute: int) -> float:
        """Seconds until this robot may take another message (0: now)."""
        with self._lock:
            now = self.clock()
            window = self._sent.setdefault(robot, deque())
            while window and window[0] <= now - WINDOW:
                window.popleft()
            blocked = max(self._blocked.get(robot, 0.0) - now, 0.0)
            full = window[0] + WINDOW - now if len(window) >= per_minute else 0.0
            return max(blocked, full)

    def note(self, robot: str) -> None:
        with self._lock:
            self._sent.setdefault(robot, deque()).append(self.clock())

    def block(self, robot: str, seconds: float) -> None:
        with self._lock:
            self._blocked[robot] = self.clock() + seconds

    def reset(self) -> None:
        with self._lock:
            self._sent.clear()
            self._blocked.clear()


LIMITER = RateLimiter()
_progress: OrderedDict[str, int] = OrderedDict()  # idempotency key → parts accepted (this process)
_PROGRESS_KEPT = 1000


@dataclass(frozen=True)
class Part:
    """One HTTP request of a message: where it goes and its JSON body."""

    url: str
    body: dict[str, Any]


def parse_common(reader: SettingsReader, raw: dict[str, Any], env: dict[str, str], keys: set[str]) -> dict[str, Any]:
    """``name``, ``url`` (or ``url_env``: the robot's URL carries its key, so it may live in the environment),
    ``timeout`` and ``per_minute``, checked for every chat kind."""
    name = reader.text(raw, "name", "channel")
    reader.only(raw, {"type", "name", "url", "url_env", "timeout", "per_minute", "min_interval_minutes", *keys},
                "channel")  # fmt: skip
    if ("url" in raw) == ("url_env" in raw):
        raise reader.error("channel.url", f"{name}: give url or url_env (the robot's webhook address), not both")
    url = reader.url(raw, name) if "url" in raw else reader.secret(raw, "url_env", env) or ""
    if not url.startswith(("http://", "https://")) and name not in reader.missing:
        raise reader.error("channel.url_env", f"{name}: the variable must hold an http(s) URL")
    per_minute = int(reader.number(raw, "per_minute", "channel")) if "per_minute" in raw else 20
    interval = float(reader.number(raw, "min_interval_minutes", "channel")) if "min_interval_minutes" in raw else 0.0
    return {"name": name, "url": url, "timeout": reader.timeout(raw), "per_minute": max(per_minute, 1),
            "min_interval": interval}  # fmt: skip


def _shared_client() -> httpx.Client:
    global _client
    if _client is None:
        _client = httpx.Client(follow_redirects=False)
    return _client


def robot_id(url: str) -> str:
    """The robot a URL addresses (the query's signature and timestamp vary per request, the rest does not)."""
    head, _, query = url.partition("?")
    kept = "&".join(p for p in query.split("&") if not p.startswith(("timestamp=", "sign=")))
    return hashlib.sha256(f"{head}?{kept}".encode()).hexdigest()[:16]


def send_parts(
    url: str,
    key: str,
    texts: list[str],
    build: Callable[[str, int, int], Part],
    judge: Callable[[dict[str, Any]], SendResult],
    timeout: float,
    per_minute: int,
) -> SendResult:
    """Send ``texts`` in order as separate messages; stop at the first that is not accepted."""
    robot = robot_id(url)
    total = len(texts)
    answers: list[str] = []
    for index in range(_progress.get(key, 0), total):
        where = f"part {index + 1}/{total}: " if total > 1 else ""
        wait = LIMITER.wait(robot, per_minute)
        if wait > 0:
            return SendResult(DEFER, f"{where}rate limit of {per_minute} messages a minute reached; waiting "
                                     f"{wait:.0f} s", retry_after=wait)  # fmt: skip
        part = build(texts[index], index, total)
        LIMITER.note(robot)
        result = _post(part, key, timeout, judge)
        if not result.ok:
            if result.retry_after:
                LIMITER.block(robot, result.retry_after)
            return SendResult(result.outcome, where + result.detail, result.retry_after)
        answers.append(result.detail)
        _progress[key] = index + 1
        _progress.move_to_end(key)
        while len(_progress) > _PROGRESS_KEPT:
            _progress.popitem(last=False)
    _progress.pop(key, None)
    return SendResult(SENT, f"{total} message(s) accepted: {answers[-1] if answers else 'already sent'}")


def _post(part: Part, key: str, timeout: float, judge: Callable[[dict[str, Any]], SendResult]) -> SendResult:
    body = json.dumps(part.body, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, "Idempotency-Key": key}
    try:
        response = _shared_client().post(part.url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        return SendResult(RETRY, f"{type(exc).__name__}: {exc}")
    answer = f"HTTP {response.status_code}: {response.text[:200]}".strip()
    if not response.is_success:
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            return SendResult(FAILED, answer)
        asked = retry_after(response.headers.get("Retry-After")) if response.status_code in (429, 503) else 0.0
        return SendResult(RETRY, answer, asked or (SERVICE_BACKOFF if response.status_code == 429 else 0.0))
    try:
        data = response.json()
    except ValueError:
        return SendResult(RETRY, f"not a JSON answer: {answer}")
    if not isinstance(data, dict):
        return SendResult(RETRY, f"unexpected answer: {answer}")
    return judge(data)


def judge_code(data: dict[str, Any], code_key: str, message_key: str, retry: set[int], limited: set[int]) -> SendResult:
    """0 is accepted; codes in ``limited`` (the service's rate limit) and ``retry`` (busy) are retried; the rest
    are permanent. The service's own words go into the detail."""
    code = data.get(code_key)
    if code is None and code_key == "code":
        code = data.get("StatusCode")
    text = f"{code_key} {code}: {data.get(message_key) or data.get('StatusMessage') or ''}".strip()
    if code == 0:
        return SendResult(SENT, text)
    if code in limited:
        return SendResult(RETRY, f"{text} (the robot's rate limit)", SERVICE_BACKOFF)
    if code in retry:
        return SendResult(RETRY, text)
    return SendResult(FAILED, text)
