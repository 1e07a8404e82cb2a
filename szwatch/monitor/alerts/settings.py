"""The alerting part of the settings file: channels, routes, the operator's channel and the delivery policy.

It lives with the alerts, not with the application, because the delivery worker and the channels read it;
the application's settings (``szwatch.app.settings``) add the daemon's section on top. Channel sections are
parsed by their own kind (``channels/``), so a new kind brings its keys with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from szwatch.common.states import DeliveryMode  # not store.models: loading the settings needs no ORM
from szwatch.monitor.alerts import channels as kinds
from szwatch.monitor.alerts import windows
from szwatch.monitor.alerts.channels.base import (
    LANGUAGES,
    MENTION_KEYS,
    ChannelConfig,
    Mentions,
    MessageStyle,
    SettingsReader,
    parse_mentions,
)


class Rule(StrEnum):
    """What an alert says; users route on these names."""

    NEW_MENTION = "new_mention"
    NEW_FIGURE = "new_figure"
    REVISED_FIGURE = "revised_figure"
    PROJECT_UPDATE = "project_update"
    THRESHOLD = "threshold"  # an indicator's figure crossed a rule of its watch (growth < 0, …)


Mode = DeliveryMode  # the store keeps it in ``deliveries.mode``


RULES: tuple[str, ...] = tuple(Rule)


@dataclass(frozen=True)
class Route:
    channel: str
    tags: tuple[str, ...] = ()
    watches: tuple[str, ...] = ()
    rules: tuple[str, ...] = RULES
    mode: str = Mode.INSTANT
    at: str = "08:30"  # when a daily digest goes out, Asia/Shanghai
    # whom this route's chat messages @ (besides the channel's own; watches and tags add theirs)
    mentions: Mentions = field(default_factory=Mentions)
    window: str | None = None  # "08:00-22:00" (Asia/Shanghai): outside it messages are held until it opens
    heartbeat: str | None = None  # "21:00" (Asia/Shanghai): a daily 今日已读 report to this route's channel

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
    language: str = "zh"  # of every channel's messages: "zh", "en" or "zh-en"
    show_key: bool = False  # the delivery key in a quiet last line (it always travels in a header)


@dataclass(frozen=True)
class AlertSettings:
    channels: tuple[ChannelConfig, ...] = ()
    routes: tuple[Route, ...] = ()
    operator_channel: str | None = None
    delivery: DeliveryPolicy = DeliveryPolicy()
    alerts: AlertPolicy = AlertPolicy()
    # Channel name → why it cannot send (a secret's environment variable is not set): its deliveries wait.
    problems: dict[str, str] = field(default_factory=dict)

    def channel(self, name: str) -> ChannelConfig | None:
        return next((c for c in self.channels if c.name == name), None)

    def problem_lines(self) -> list[str]:
        return [f"channel {name}: {why}; its deliveries wait until it is set" for name, why in self.problems.items()]


def parse_alert_settings(reader: SettingsReader, data: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """The alerting sections of ``data`` as keyword arguments of :class:`AlertSettings` (or a subclass)."""
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
    policy = _policy(reader, data.get("alerts", {}))
    style = MessageStyle(policy.language, policy.show_key)
    parsed = tuple(replace(c, style=style) if hasattr(c, "style") else c for c in parsed)  # type: ignore[type-var]
    return {"channels": parsed, "routes": routes, "operator_channel": operator.get("channel"), "delivery": delivery,
            "alerts": policy, "problems": dict(reader.missing)}  # fmt: skip


def _policy(reader: SettingsReader, raw: Any) -> AlertPolicy:
    reader.only(raw, set(AlertPolicy.__dataclass_fields__), "alerts")
    values: dict[str, Any] = {}
    if "max_age_days" in raw:
        values["max_age_days"] = int(reader.number(raw, "max_age_days", "alerts"))
    if "language" in raw:
        if raw["language"] not in LANGUAGES:
            raise reader.error("alerts.language", " or ".join(f'"{lang}"' for lang in LANGUAGES))
        values["language"] = raw["language"]
    if "show_key" in raw:
        if not isinstance(raw["show_key"], bool):
            raise reader.error("alerts.show_key", "true or false")
        values["show_key"] = raw["show_key"]
    return AlertPolicy(**values)


ROUTE_KEYS = {"channel", "tags", "watches", "rules", "mode", "at", "window", "heartbeat", *MENTION_KEYS}
_TIME = re.compile(r"([01]?\d|2[0-3]):[0-5]\d")


def _route(reader: SettingsReader, raw: dict[str, Any], channels: set[str]) -> Route:
    reader.only(raw, ROUTE_KEYS, "route")
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
    if not isinstance(at, str) or not _TIME.fullmatch(at):
        raise reader.error("route.at", "a time like 08:30 (Asia/Shanghai)")
    window = raw.get("window")
    if window is not None and (not isinstance(window, str) or windows.parse(window) is None):
        raise reader.error("route.window", 'hours like "08:00-22:00" (Asia/Shanghai) in which messages may go out')
    heartbeat = raw.get("heartbeat")
    if heartbeat is not None and (not isinstance(heartbeat, str) or not _TIME.fullmatch(heartbeat)):
        raise reader.error("route.heartbeat", 'a time like "21:00" (Asia/Shanghai) for the daily report')
    return Route(channel, tuple(raw.get("tags", ())), tuple(raw.get("watches", ())), rules, Mode(mode), at,
                 parse_mentions(reader, raw, "route"), window, heartbeat)  # fmt: skip
