"""What every channel kind shares: the settings it is parsed into, the reader that parses it, the result of a send.

The delivery worker decides retries from ``SendResult`` alone. ``SettingsReader`` lives here rather than with
the settings file's loader so that the channel modules and the loader both depend on this module, never on
each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from szwatch.common.config import ConfigError, key_line


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # try again after a backoff
    FAILED = "failed"  # will not get better by retrying: visible in `alerts --status failed`
    DEFER = "defer"  # not tried: the receiver's rate limit has no room yet; not an attempt, nothing is lost


SENT, RETRY, FAILED, DEFER = Outcome.SENT, Outcome.RETRY, Outcome.FAILED, Outcome.DEFER


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    detail: str = ""
    retry_after: float = 0.0  # seconds the receiver asked us to wait (a rate limit); the backoff is at least this

    @property
    def ok(self) -> bool:
        return self.outcome == SENT


MAX_TIMEOUT = 3600.0


def retry_after(value: str | None, now: datetime | None = None) -> float:
    """Seconds a ``Retry-After`` header asks us to wait: a number of seconds or an HTTP date (0: none given or
    unreadable, so the plain backoff applies)."""
    if not value:
        return 0.0
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)


class SettingsError(ConfigError):
    """A settings file that cannot be used: ``file:line: key: problem``."""


LANGUAGES = ("zh", "en", "zh-en")


@dataclass(frozen=True)
class MessageStyle:
    """How a channel's messages read, from ``[alerts]``: the language (Chinese by default: the groups that read
    them are Chinese) and whether the delivery key is shown in a quiet footer (it always travels in a header)."""

    language: str = "zh"
    show_key: bool = False


class ChannelConfig(Protocol):
    """What every channel kind's settings have; the rest of its fields are its own."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def timeout(self) -> float: ...


@dataclass(frozen=True)
class SettingsReader:
    """Reads tables of one settings file and names the file, key and line of whatever is wrong."""

    path: Path | None
    source: str
    # Channels whose secret's environment variable is not set, and why: not an error of the file. Only the
    # commands that send refuse them (deliver, notify-test, the daemon's delivery); crawl, detect, search, web work.
    missing: dict[str, str] = field(default_factory=dict, compare=False)

    def error(self, key: str, problem: str) -> SettingsError:
        return SettingsError(self.path, key, problem, key_line(self.source, key.rsplit(".", 1)[-1]))

    def only(self, table: Any, allowed: set[str], section: str) -> None:
        if not isinstance(table, dict):
            raise self.error(section or "(top)", "must be a table")
        for key in table:
            if key not in allowed:
                raise self.error(f"{section}.{key}".lstrip("."), f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def text(self, table: dict[str, Any], key: str, section: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value:
            raise self.error(f"{section}.{key}", "missing or not text")
        return value

    def signed_number(self, table: dict[str, Any], key: str, section: str) -> Any:
        value = table.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self.error(f"{section}.{key}", "must be a number")
        return value

    def number(self, table: dict[str, Any], key: str, section: str) -> Any:
        value = table.get(key)
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise self.error(f"{section}.{key}", "missing or not a non-negative number")
        return value

    def timeout(self, raw: dict[str, Any], default: float = 10.0) -> float:
        """A channel's ``timeout``: seconds, more than 0 (0 would fail every send) and at most an hour."""
        if "timeout" not in raw:
            return default
        value = raw["timeout"]
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= MAX_TIMEOUT:
            raise self.error("channel.timeout", f"seconds, more than 0 and at most {MAX_TIMEOUT:.0f}")
        return float(value)

    def secret(self, raw: dict[str, Any], key: str, env: dict[str, str]) -> str | None:
        """Secrets never live in the file: the channel names the environment variable that holds one."""
        variable = raw.get(key)
        if variable is None:
            return None
        if not isinstance(variable, str) or not variable:
            raise self.error(f"channel.{key}", "the name of an environment variable")
        if variable not in env:
            self.missing.setdefault(str(raw.get("name")), f"{key}: environment variable {variable} is not set")
            return None
        return env[variable]

    def url(self, raw: dict[str, Any], name: str) -> str:
        url = self.text(raw, "url", "channel")
        if not url.startswith(("http://", "https://")):
            raise self.error("channel.url", f"{name}: an http(s) URL")
        return url


@dataclass(frozen=True)
class Mentions:
    """Whom a 企业微信, 钉钉 or 飞书 message ``@``s: everyone, or members by mobile number or user id. A channel
    may name some for all its messages; a route, a watch or a tag adds its own to the alerts it concerns — those
    are resolved when the alert is queued and kept on the delivery row, so a retry ``@``s the same people."""

    all: bool = False
    mobiles: tuple[str, ...] = ()
    users: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.all or bool(self.mobiles or self.users)

    def __or__(self, other: Mentions) -> Mentions:
        """Both sets of people, each once, in the order first named (the channel's, then a route's, a watch's)."""
        return Mentions(self.all or other.all, tuple(dict.fromkeys((*self.mobiles, *other.mobiles))),
                        tuple(dict.fromkeys((*self.users, *other.users))))  # fmt: skip

    @classmethod
    def of_entries(cls, entries: tuple[str, ...] | list[str]) -> Mentions:
        """A watchlist's ``mention = [...]``: ``"all"`` (or ``所有人``) is everyone, a mobile number (11 digits,
        optionally after ``+86``) is a member by mobile, anything else a user id."""
        mobiles = tuple(e.removeprefix("+86") for e in entries if MOBILE.fullmatch(e))  # as the robots take them
        users = tuple(e for e in entries if e not in EVERYONE and not MOBILE.fullmatch(e))
        return cls(any(e in EVERYONE for e in entries), mobiles, users)

    def stored(self) -> dict[str, Any] | None:
        """As the delivery row keeps it (``deliveries.mentions``); None when nobody is ``@``-ed."""
        if not self:
            return None
        return {"all": self.all, "mobiles": list(self.mobiles), "users": list(self.users)}

    @classmethod
    def from_stored(cls, data: dict[str, Any] | None) -> Mentions:
        data = data or {}
        return cls(bool(data.get("all")), tuple(data.get("mobiles") or ()), tuple(data.get("users") or ()))


EVERYONE = {"all", "@all", "所有人"}
MOBILE = re.compile(r"(\+86)?1\d{10}")


MENTION_KEYS = {"mention_all", "mention_mobiles", "mention_users"}


def parse_mentions(reader: SettingsReader, raw: dict[str, Any], section: str = "channel") -> Mentions:
    """``mention_all``, ``mention_mobiles``, ``mention_users`` of a ``[[channel]]`` or a ``[[route]]``."""
    everyone = raw.get("mention_all", False)
    if not isinstance(everyone, bool):
        raise reader.error(f"{section}.mention_all", "true or false")
    lists = []
    for key in ("mention_mobiles", "mention_users"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise reader.error(f"{section}.{key}", "a list of non-empty strings")
        lists.append(tuple(v.strip() for v in value))
    return Mentions(everyone, lists[0], lists[1])
