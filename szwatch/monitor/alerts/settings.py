"""The alerting part of the settings file: channels, routes, the operator's channel and the delivery policy.

It lives with the alerts, not with the application, because the delivery worker and the channels read it;
the application's settings (``szwatch.app.settings``) add the daemon's section on top. Channel sections are
parsed by their own kind (``channels/``), so a new kind brings its keys with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from szwatch.store.models import DeliveryMode


class Rule(StrEnum):
    """What an alert says; users route on these names."""

    NEW_MENTION = "new_mention"
    NEW_FIGURE = "new_figure"
    REVISED_FIGURE = "revised_figure"
    PROJECT_UPDATE = "project_update"


Mode = DeliveryMode  # the store keeps it in ``deliveries.mode``


RULES: tuple[str, ...] = tuple(Rule)


class SettingsError(ValueError):
    def __init__(self, path: Path | None, key: str, problem: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if path and line else str(path or "<settings>")
        super().__init__(f"{where}: {key}: {problem}")


class ChannelConfig(Protocol):
    """What every channel kind's settings have; the rest of its fields are its own."""

    @property
    def name(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def timeout(self) -> float: ...


@dataclass(frozen=True)
class Route:
    channel: str
    tags: tuple[str, ...] = ()
    watches: tuple[str, ...] = ()
    rules: tuple[str, ...] = RULES
    mode: str = Mode.INSTANT
    at: str = "08:30"  # when a daily digest goes out, Asia/Shanghai

    def accepts(self, rule: str, watch_id: str | None, tags: tuple[str, ...]) -> bool:
        if rule not in self.rules:
            return False
        if not self.tags and not self.watches:
            return True
        return (watch_id in self.watches) or bool(set(tags) & set(self.tags))


@dataclass(frozen=True)
class DeliveryPolicy:
    poll_seconds: float = 1.0
    max_attempts: int = 8
    backoff_seconds: float = 30.0
    backoff_max_seconds: float = 3600.0


@dataclass(frozen=True)
class AlertPolicy:
    """Which findings become alerts at all (the ``[alerts]`` section).

    A story from an issue more than ``max_age_days`` older than the newest issue in the store never alerts:
    crawling last year is archive work, not news. 0 means no limit.
    """

    max_age_days: int = 7


@dataclass(frozen=True)
class AlertSettings:
    channels: tuple[ChannelConfig, ...] = ()
    routes: tuple[Route, ...] = ()
    operator_channel: str | None = None
    delivery: DeliveryPolicy = DeliveryPolicy()
    alerts: AlertPolicy = AlertPolicy()

    def channel(self, name: str) -> ChannelConfig | None:
        return next((c for c in self.channels if c.name == name), None)


def parse_alert_settings(reader: SettingsReader, data: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """The alerting sections of ``data`` as keyword arguments of :class:`AlertSettings` (or a subclass)."""
    from szwatch.monitor.alerts import channels as kinds

    parsed = tuple(kinds.parse(reader, raw, env) for raw in data.get("channel", []))
    names = [c.name for c in parsed]
    for name in names:
        if names.count(name) > 1:
            raise reader.error("channel.name", f"duplicate channel {name!r}")
    routes = tuple(_route(reader, raw, set(names)) for raw in data.get("route", []))
    operator = data.get("operator", {})
    reader.only(operator, {"channel"}, "operator")
    if operator.get("channel") and operator["channel"] not in names:
        raise reader.error("operator.channel", f"no channel named {operator['channel']!r}")
    delivery_raw = data.get("delivery", {})
    reader.only(delivery_raw, set(DeliveryPolicy.__dataclass_fields__), "delivery")
    delivery = DeliveryPolicy(**{k: reader.number(delivery_raw, k, "delivery") for k in delivery_raw})
    policy_raw = data.get("alerts", {})
    reader.only(policy_raw, set(AlertPolicy.__dataclass_fields__), "alerts")
    policy = AlertPolicy(**{k: int(reader.number(policy_raw, k, "alerts")) for k in policy_raw})
    return {"channels": parsed, "routes": routes, "operator_channel": operator.get("channel"), "delivery": delivery,
            "alerts": policy}  # fmt: skip


def _route(reader: SettingsReader, raw: dict[str, Any], channels: set[str]) -> Route:
    reader.only(raw, {"channel", "tags", "watches", "rules", "mode", "at"}, "route")
    channel = reader.text(raw, "channel", "route")
    if channel not in channels:
        raise reader.error("route.channel", f"no channel named {channel!r}")
    rules = tuple(raw.get("rules", RULES))
    if any(rule not in RULES for rule in rules):
        raise reader.error("route.rules", f"rules are {', '.join(RULES)}")
    mode = raw.get("mode", Mode.INSTANT)
    if mode not in tuple(Mode):
        raise reader.error("route.mode", " or ".join(repr(m.value) for m in Mode))
    at = raw.get("at", "08:30")
    if "at" in raw and mode != Mode.DAILY:
        raise reader.error("route.at", 'only a route with mode = "daily" has a time')
    if not isinstance(at, str) or not re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d", at):
        raise reader.error("route.at", "a time like 08:30 (Asia/Shanghai)")
    return Route(channel, tuple(raw.get("tags", ())), tuple(raw.get("watches", ())), rules, Mode(mode), at)


@dataclass(frozen=True)
class SettingsReader:
    """Reads tables of one settings file and names the file, key and line of whatever is wrong."""

    path: Path | None
    source: str

    def error(self, key: str, problem: str) -> SettingsError:
        leaf = key.rsplit(".", 1)[-1]
        line = next((n for n, row in enumerate(self.source.splitlines(), 1) if re.match(rf"\s*{leaf}\s*=", row)), None)
        return SettingsError(self.path, key, problem, line)

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
