"""Settings: one TOML file (channels, routes, delivery), secrets from the environment.

Checked completely at start, so a typo is reported with file, key and line before anything runs, not when
the first alert fails to go out. Secrets never live in the file: a channel names the environment variable
that holds its password or signing secret (``password_env``, ``secret_env``).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_PATHS = (Path("config/settings.toml"), Path("settings.toml"))
RULES = ("new_mention", "new_figure", "revised_figure", "project_update")
SECURITY = ("none", "starttls", "ssl")


class SettingsError(ValueError):
    def __init__(self, path: Path | None, key: str, problem: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if path and line else str(path or "<settings>")
        super().__init__(f"{where}: {key}: {problem}")


@dataclass(frozen=True)
class EmailChannel:
    name: str
    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    security: str = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 10.0
    kind: str = "email"


@dataclass(frozen=True)
class WebhookChannel:
    name: str
    url: str
    secret: str | None = field(default=None, repr=False)
    headers: tuple[tuple[str, str], ...] = ()
    timeout: float = 10.0
    kind: str = "webhook"


Channel = EmailChannel | WebhookChannel


@dataclass(frozen=True)
class Route:
    channel: str
    tags: tuple[str, ...] = ()
    watches: tuple[str, ...] = ()
    rules: tuple[str, ...] = RULES
    mode: str = "instant"  # or "digest"

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
class DaemonSettings:
    """When the daemon crawls, how long it waits for trouble before saying so. Times are Asia/Shanghai."""

    base_url: str = ""  # empty: the source profile's (the real site)
    profile: str = ""
    watchlist: str = ""
    poll_every_minutes: float = 20.0
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


DAEMON_KEYS = {f.name for f in DaemonSettings.__dataclass_fields__.values()}


@dataclass(frozen=True)
class Settings:
    path: Path | None = None
    channels: tuple[Channel, ...] = ()
    routes: tuple[Route, ...] = ()
    operator_channel: str | None = None
    delivery: DeliveryPolicy = DeliveryPolicy()
    daemon: DaemonSettings = DaemonSettings()

    def channel(self, name: str) -> Channel | None:
        return next((c for c in self.channels if c.name == name), None)


def load_settings(path: Path | str | None = None, env: dict[str, str] | None = None) -> Settings:
    """The settings file given, else ``SZWATCH_CONFIG``, else config/settings.toml or settings.toml if present."""
    env = dict(os.environ if env is None else env)
    chosen = Path(path) if path else Path(env["SZWATCH_CONFIG"]) if env.get("SZWATCH_CONFIG") else None
    chosen = chosen or next((p for p in DEFAULT_PATHS if p.is_file()), None)
    text = ""
    try:
        text = chosen.read_text(encoding="utf-8") if chosen else ""
        data = tomllib.loads(text)
    except OSError as exc:
        raise SettingsError(chosen, "(file)", exc.strerror or str(exc)) from exc
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"at line (\d+)", str(exc))
        raise SettingsError(chosen, "(syntax)", str(exc), int(at.group(1)) if at else None) from exc
    return parse_settings(_with_env_overrides(data, env), env, chosen, text)


def _with_env_overrides(data: dict[str, Any], env: dict[str, str]) -> dict[str, Any]:
    """``SZWATCH_DAEMON__POLL_EVERY_MINUTES=5`` sets ``[daemon] poll_every_minutes = 5`` (value read as TOML,
    else as a string): how a container or a systemd unit adjusts the file without editing it."""
    merged = {k: dict(v) if isinstance(v, dict) else v for k, v in data.items()}
    for variable, raw in env.items():
        if not variable.startswith("SZWATCH_") or "__" not in variable:
            continue
        section, _, key = variable[len("SZWATCH_") :].lower().partition("__")
        if section not in ("daemon", "delivery", "operator"):
            continue
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        merged.setdefault(section, {})[key] = value
    return merged


def parse_settings(data: dict[str, Any], env: dict[str, str], path: Path | None = None, text: str = "") -> Settings:
    reader = _Reader(path, text)
    reader.only(data, {"channel", "route", "operator", "delivery", "daemon"}, "")
    channels = tuple(_channel(reader, raw, env) for raw in data.get("channel", []))
    names = [c.name for c in channels]
    for name in names:
        if names.count(name) > 1:
            raise reader.error("channel.name", f"duplicate channel {name!r}")
    routes = tuple(_route(reader, raw, set(names)) for raw in data.get("route", []))
    operator = data.get("operator", {})
    reader.only(operator, {"channel"}, "operator")
    if operator.get("channel") and operator["channel"] not in names:
        raise reader.error("operator.channel", f"no channel named {operator['channel']!r}")
    delivery_raw = data.get("delivery", {})
    reader.only(delivery_raw, {"poll_seconds", "max_attempts", "backoff_seconds", "backoff_max_seconds"}, "delivery")
    delivery = DeliveryPolicy(**{k: reader.number(delivery_raw, k, "delivery") for k in delivery_raw})
    return Settings(path, channels, routes, operator.get("channel"), delivery, _daemon(reader, data.get("daemon", {})))


def _daemon(reader: _Reader, raw: dict[str, Any]) -> DaemonSettings:
    reader.only(raw, DAEMON_KEYS, "daemon")
    defaults = DaemonSettings()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        default = getattr(defaults, key)
        if isinstance(default, str):
            if not isinstance(value, str):
                raise reader.error(f"daemon.{key}", "must be text")
            if key in ("poll_start", "poll_end", "no_issue_by") and not re.fullmatch(r"\d{1,2}:\d{2}", value):
                raise reader.error(f"daemon.{key}", "a time like 05:30")
            values[key] = value
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in value):
                raise reader.error(f"daemon.{key}", "a list of weekdays 0 (Monday) … 6 (Sunday)")
            values[key] = tuple(value)
        else:
            values[key] = type(default)(reader.signed_number(raw, key, "daemon"))
    return DaemonSettings(**values)


def masked(settings: Settings) -> dict[str, Any]:
    """The effective settings as data, secrets replaced by ``***`` (for ``szwatch config show``)."""
    from dataclasses import asdict

    data = asdict(settings)
    data["path"] = str(settings.path) if settings.path else None
    for channel in data["channels"]:
        for secret in ("password", "secret"):
            if channel.get(secret):
                channel[secret] = "***"
    return data


def _channel(reader: _Reader, raw: dict[str, Any], env: dict[str, str]) -> Channel:
    kind = raw.get("type")
    name = reader.text(raw, "name", "channel")
    if kind == "email":
        reader.only(raw, {"type", "name", "host", "port", "security", "username", "password_env", "from", "to",
                          "timeout"}, "channel")  # fmt: skip
        security = raw.get("security", "none")
        if security not in SECURITY:
            raise reader.error("channel.security", f"one of {', '.join(SECURITY)}")
        to = raw.get("to", [])
        if not to or not all(isinstance(x, str) and "@" in x for x in to):
            raise reader.error("channel.to", f"{name}: a list of e-mail addresses")
        return EmailChannel(
            name=name, host=reader.text(raw, "host", "channel"), port=int(reader.number(raw, "port", "channel")),
            sender=reader.text(raw, "from", "channel"), to=tuple(to), security=security,
            username=raw.get("username"), password=_secret(reader, raw, "password_env", env),
            timeout=float(raw.get("timeout", 10)),
        )  # fmt: skip
    if kind == "webhook":
        reader.only(raw, {"type", "name", "url", "secret_env", "headers", "timeout"}, "channel")
        url = reader.text(raw, "url", "channel")
        if not url.startswith(("http://", "https://")):
            raise reader.error("channel.url", f"{name}: an http(s) URL")
        headers = raw.get("headers", {})
        if not isinstance(headers, dict):
            raise reader.error("channel.headers", f"{name}: a table of header = value")
        return WebhookChannel(
            name=name, url=url, secret=_secret(reader, raw, "secret_env", env),
            headers=tuple((str(k), str(v)) for k, v in headers.items()), timeout=float(raw.get("timeout", 10)),
        )  # fmt: skip
    raise reader.error("channel.type", f"{name}: 'email' or 'webhook'")


def _secret(reader: _Reader, raw: dict[str, Any], key: str, env: dict[str, str]) -> str | None:
    variable = raw.get(key)
    if variable is None:
        return None
    if variable not in env:
        raise reader.error(f"channel.{key}", f"environment variable {variable} is not set")
    return env[variable]


def _route(reader: _Reader, raw: dict[str, Any], channels: set[str]) -> Route:
    reader.only(raw, {"channel", "tags", "watches", "rules", "mode"}, "route")
    channel = reader.text(raw, "channel", "route")
    if channel not in channels:
        raise reader.error("route.channel", f"no channel named {channel!r}")
    rules = tuple(raw.get("rules", RULES))
    if any(rule not in RULES for rule in rules):
        raise reader.error("route.rules", f"rules are {', '.join(RULES)}")
    mode = raw.get("mode", "instant")
    if mode not in ("instant", "digest"):
        raise reader.error("route.mode", "'instant' or 'digest'")
    return Route(channel, tuple(raw.get("tags", ())), tuple(raw.get("watches", ())), rules, mode)


@dataclass(frozen=True)
class _Reader:
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
