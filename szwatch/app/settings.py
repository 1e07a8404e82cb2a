"""Settings: one TOML file (channels, routes, delivery, daemon), secrets from the environment.

Checked completely at start, so a typo is reported with file, key and line before anything runs, not when
the first alert fails to go out. The alerting sections are read by ``szwatch.monitor.alerts.settings`` (and
each channel kind reads its own section); this module adds the daemon's section and the file handling.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from szwatch.app.settings_file import settings_file
from szwatch.common.config import read_toml
from szwatch.monitor.alerts.channels.base import SettingsError, SettingsReader
from szwatch.monitor.alerts.settings import AlertSettings, DeliveryPolicy, Route, parse_alert_settings

__all__ = ["DaemonSettings", "DeliveryPolicy", "Route", "Settings", "SettingsError", "load_settings", "masked"]

TIME_KEYS = ("poll_start", "poll_end", "no_issue_by")


@dataclass(frozen=True)
class DaemonSettings:
    """When the daemon crawls, how long it waits for trouble before saying so. Times are Asia/Shanghai."""

    base_url: str = ""  # empty: the source profile's (the real site)
    profile: str = ""
    watchlist: str = ""
    poll_every_minutes: float = 20.0  # full crawls of incomplete issues
    check_every_minutes: float = 3.0  # one cheap request: is today's issue out? (0: crawl at every poll instead)
    poll_start: str = "05:30"
    poll_end: str = "11:00"
    publishing_days: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)  # Monday = 0; a 404 on a day off costs one request
    catch_up_days: int = 14
    crawl_timeout_minutes: float = 30.0
    crawl_delay_seconds: float = -1.0  # negative: the profile's polite default
    crawl_concurrency: int = 0  # 0: the profile's default
    health_every_minutes: float = 10.0
    no_issue_by: str = "12:00"
    unreachable_after_minutes: float = 120.0
    layout_problem_runs: int = 2
    lease_seconds: float = 60.0
    log_file: str = "logs/szwatch.log"
    configured: bool = False  # the settings have a [daemon] section: a daemon is meant to run (not a key)


DAEMON_KEYS = set(DaemonSettings.__dataclass_fields__) - {"configured"}


@dataclass(frozen=True)
class Settings(AlertSettings):
    path: Path | None = None
    daemon: DaemonSettings = DaemonSettings()


def load_settings(path: Path | str | None = None, env: dict[str, str] | None = None) -> Settings:
    """The settings file given, else ``SZWATCH_CONFIG``, else config/settings.toml or settings.toml if present."""
    env = dict(os.environ if env is None else env)
    chosen = settings_file(path, env)
    text, data = read_toml(chosen, SettingsError) if chosen else ("", {})
    return parse_settings(_with_env_overrides(data, env), env, chosen, text)


def _with_env_overrides(data: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """``SZWATCH_DAEMON__POLL_EVERY_MINUTES=5`` sets ``[daemon] poll_every_minutes = 5`` (value read as TOML,
    else as a string): how a container or a systemd unit adjusts the file without editing it."""
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    for variable, raw in env.items():
        if not variable.startswith("SZWATCH_") or "__" not in variable:
            continue
        section, _, key = variable[len("SZWATCH_") :].lower().partition("__")
        if section not in ("daemon", "delivery", "operator", "alerts"):
            continue
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        merged.setdefault(section, {})[key] = value
    return merged


def parse_settings(data: dict[str, Any], env: dict[str, str], path: Path | None = None, text: str = "") -> Settings:
    reader = SettingsReader(path, text)
    reader.only(data, {"channel", "route", "operator", "delivery", "alerts", "daemon"}, "")
    alerting = parse_alert_settings(reader, data, env)
    daemon = _daemon(reader, data["daemon"]) if "daemon" in data else DaemonSettings()
    return Settings(path=path, daemon=daemon, **alerting)


def _daemon(reader: SettingsReader, raw: dict[str, Any]) -> DaemonSettings:
    reader.only(raw, DAEMON_KEYS, "daemon")
    defaults = DaemonSettings()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        default = getattr(defaults, key)
        if isinstance(default, str):
            if not isinstance(value, str):
                raise reader.error(f"daemon.{key}", "must be text")
            if key in TIME_KEYS and not re.fullmatch(r"\d{1,2}:\d{2}", value):
                raise reader.error(f"daemon.{key}", "a time like 05:30")
            values[key] = value
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in value):
                raise reader.error(f"daemon.{key}", "a list of weekdays 0 (Monday) … 6 (Sunday)")
            values[key] = tuple(value)
        else:
            values[key] = type(default)(reader.signed_number(raw, key, "daemon"))
    return DaemonSettings(**values, configured=True)


def masked(settings: Settings) -> dict[str, Any]:
    """The effective settings as data, secrets replaced by ``***`` (for ``szwatch config show``)."""
    from dataclasses import asdict

    data = asdict(settings)
    data["path"] = str(settings.path) if settings.path else None
    for channel in data["channels"]:
        for secret in ("password", "secret"):
            if channel.get(secret):
                channel[secret] = "***"
        if channel.get("urls"):  # Apprise URLs hold the services' tokens
            channel["urls"] = ["***"] * len(channel["urls"])
        if channel.get("kind") in ("wecom", "dingtalk", "feishu"):  # a robot's URL is its key
            channel["url"] = re.sub(r"(key=|access_token=|/hook/)[^&]*", r"\1***", channel["url"])
    return data
