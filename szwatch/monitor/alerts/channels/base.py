"""What every channel kind shares: the settings it is parsed into, the reader that parses it, the result of a send.

The delivery worker decides retries from ``SendResult`` alone. ``SettingsReader`` lives here rather than with
the settings file's loader so that the channel modules and the loader both depend on this module, never on
each other.
"""

from __future__ import annotations

from dataclasses import dataclass
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

    def secret(self, raw: dict[str, Any], key: str, env: dict[str, str]) -> str | None:
        """Secrets never live in the file: the channel names the environment variable that holds one."""
        variable = raw.get(key)
        if variable is None:
            return None
        if variable not in env:
            raise self.error(f"channel.{key}", f"environment variable {variable} is not set")
        return env[variable]

    def url(self, raw: dict[str, Any], name: str) -> str:
        url = self.text(raw, "url", "channel")
        if not url.startswith(("http://", "https://")):
            raise self.error("channel.url", f"{name}: an http(s) URL")
        return url
