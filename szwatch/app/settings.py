"""Settings: one TOML file (channels, routes, delivery, daemon), secrets from the environment.

Checked completely at start, so a typo is reported with file, key and line before anything runs, not when
the first alert fails to go out. The alerting sections are read by ``szwatch.monitor.alerts.settings`` (and
each channel kind reads its own section); this module adds the daemon's section and the file handling.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from szwatch.app.settings_file import settings_file
from szwatch.common.config import key_line, read_toml
from szwatch.monitor.alerts.channels.base import SettingsError, SettingsReader
from szwatch.monitor.alerts.settings import AlertSettings, DeliveryPolicy, Route, parse_alert_settings

__all__ = [
    "DaemonSettings", "DeliveryPolicy", "Route", "Settings", "SettingsError", "SourceSettings", "load_settings",
    "masked",
]  # fmt: skip

TIME_KEYS = ("poll_start", "poll_end", "no_issue_by")


@dataclass(frozen=True)
class DaemonSettings:
    """When the daemon crawls, how long it waits for trouble before saying so. Times are Asia/Shanghai."""

    base_url: str = ""  # empty: the source profile's (the real site)
    profile: str = ""
    watchlist: str = ""
    poll_every_minutes: float = 20.0  # full crawls of incomplete issues
    # one cheap conditional request (mostly a 304): is today's issue out? Every minute by default, so an issue is
    # noticed within a minute of appearing (#20); 0: crawl at every poll instead
    check_every_minutes: float = 1.0
    # while a crawl stores articles, detect them and deliver their alerts every few seconds (#20); 0: only after
    # the whole crawl
    detect_every_seconds: float = 5.0
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
# What a [[source]] may set for itself; the rest of its schedule is the [daemon] section's.
SOURCE_SCHEDULE_KEYS = {
    "base_url", "poll_every_minutes", "check_every_minutes", "poll_start", "poll_end", "publishing_days",
    "catch_up_days", "no_issue_by", "crawl_delay_seconds", "crawl_concurrency",
}  # fmt: skip
SOURCE_KEYS = {"profile", "enabled", *SOURCE_SCHEDULE_KEYS}


@dataclass(frozen=True)
class SourceSettings:
    """One paper the daemon watches: its profile (a bundled id or a file), and its own hours and days.

    ``id`` is the profile's ``source.id``, the paper's name in the store; ``schedule`` is the ``[daemon]``
    section with this source's overrides laid over it."""

    id: str
    name: str
    profile: str
    enabled: bool = True
    schedule: DaemonSettings = DaemonSettings()
    paper: str = ""  # the paper's id in the store; several sources (sites) of one paper share it
    base_url: str = ""  # the site's address (the profile's, unless the settings point elsewhere)


DISPATCHERS = ("local", "scrapyd")


@dataclass(frozen=True)
class CrawlSettings:
    """``[crawl]``: who runs the crawls. ``local`` (the default) is this machine's child process; ``scrapyd`` sends
    them to the ``nodes``, which write to the database the daemon uses (or ``database``, the same one as the nodes
    reach it). The nodes' basic-auth password comes from the variable ``password_env`` names, never the file."""

    dispatcher: str = "local"
    nodes: tuple[str, ...] = ()
    username: str = ""
    password_env: str = ""  # the environment variable holding the nodes' password
    password: str = ""  # read from it (not a key)
    database: str = ""  # the database URL as the nodes reach it; empty: the daemon's own
    cancel_on_shutdown: bool = True  # False: jobs run on when the daemon stops, and the next daemon follows them
    poll_seconds: float = 2.0


CRAWL_KEYS = set(CrawlSettings.__dataclass_fields__) - {"password"}


def parse_crawl(reader: SettingsReader, raw: Any, env: dict[str, str]) -> CrawlSettings:
    """The ``[crawl]`` table, every problem named with its file, line and key."""
    reader.only(raw, CRAWL_KEYS, "crawl")
    kind = raw.get("dispatcher", "local")
    if kind not in DISPATCHERS:
        raise reader.error("crawl.dispatcher", f'"local" or "scrapyd", not {kind!r}')
    nodes = raw.get("nodes", [])
    if not isinstance(nodes, list) or not all(isinstance(n, str) and n.startswith(("http://", "https://"))
                                              for n in nodes):  # fmt: skip
        raise reader.error("crawl.nodes", 'a list of Scrapyd addresses like "http://10.0.0.5:6800"')
    if len(set(nodes)) < len(nodes):
        raise reader.error("crawl.nodes", "a node is listed twice")
    if kind == "scrapyd" and not nodes:
        raise reader.error("crawl.nodes", 'dispatcher = "scrapyd" needs at least one node, like "http://host:6800"')
    texts = {key: raw.get(key, "") for key in ("username", "password_env", "database")}
    for key, value in texts.items():
        if not isinstance(value, str):
            raise reader.error(f"crawl.{key}", "must be text")
    password = _password(reader, texts["username"], texts["password_env"], env)
    cancel = raw.get("cancel_on_shutdown", True)
    if not isinstance(cancel, bool):
        raise reader.error("crawl.cancel_on_shutdown", "true or false")
    poll = float(reader.signed_number(raw, "poll_seconds", "crawl")) if "poll_seconds" in raw else 2.0
    if not 0 < poll <= 600:
        raise reader.error("crawl.poll_seconds", "seconds, more than 0 and at most 600")
    return CrawlSettings(kind, tuple(n.rstrip("/") for n in nodes), texts["username"], texts["password_env"],
                         password, texts["database"], cancel, poll)  # fmt: skip


def _password(reader: SettingsReader, username: str, variable: str, env: dict[str, str]) -> str:
    if username and not variable:
        raise reader.error("crawl.username", "give password_env too: the variable that holds the nodes' password")
    if variable and variable not in env:
        raise reader.error("crawl.password_env", f"environment variable {variable} is not set")
    return env.get(variable, "") if variable else ""


@dataclass(frozen=True)
class Settings(AlertSettings):
    path: Path | None = None
    daemon: DaemonSettings = DaemonSettings()
    sources: tuple[SourceSettings, ...] = field(default_factory=tuple)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)  # who runs the crawls: this machine, or Scrapyd nodes

    def watched(self) -> tuple[SourceSettings, ...]:
        """The enabled sources; without any ``[[source]]``, the one of ``[daemon] profile`` (szrb by default)."""
        if self.sources:
            return tuple(s for s in self.sources if s.enabled)
        return (_source_of(self.daemon.profile or "szrb", self.daemon),)

    def source(self, source_id: str) -> SourceSettings | None:
        everything = self.sources or self.watched()
        return next((s for s in everything if s.id == source_id), None)


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
        if section not in ("daemon", "delivery", "operator", "alerts", "crawl"):
            continue
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        merged.setdefault(section, {})[key] = value
    return merged


def parse_settings(data: dict[str, Any], env: dict[str, str], path: Path | None = None, text: str = "") -> Settings:
    reader = SettingsReader(path, text)
    reader.only(data, {"channel", "route", "operator", "delivery", "alerts", "daemon", "source", "crawl"}, "")
    alerting = parse_alert_settings(reader, data, env)
    daemon = _daemon(reader, data["daemon"]) if "daemon" in data else DaemonSettings()
    sources = _sources(reader, data.get("source", []), daemon)
    crawl = parse_crawl(reader, data["crawl"], env) if "crawl" in data else CrawlSettings()
    return Settings(path=path, daemon=daemon, sources=sources, crawl=crawl, **alerting)


def _sources(reader: SettingsReader, raw: Any, daemon: DaemonSettings) -> tuple[SourceSettings, ...]:
    """The ``[[source]]`` entries, each profile loaded now so that a wrong id or file is refused at start."""
    from szwatch.crawler.profile import ProfileError

    if not isinstance(raw, list):
        raise reader.error("source", "use [[source]] entries")
    found: list[SourceSettings] = []
    for number, entry in enumerate(raw):
        reader = _EntryReader(reader.path, reader.source, start=_nth_table(reader.source, "source", number))
        reader.only(entry, SOURCE_KEYS, "source")
        ref = reader.text(entry, "profile", "source")
        enabled = entry.get("enabled", True)
        if not isinstance(enabled, bool):
            raise reader.error("source.enabled", "true or false")
        schedule = _daemon(reader, {k: v for k, v in entry.items() if k in SOURCE_SCHEDULE_KEYS}, "source", daemon)
        try:
            source = _source_of(ref, schedule, enabled)
        except ProfileError as exc:
            raise reader.error("source.profile", str(exc)) from exc
        if any(s.id == source.id for s in found):
            raise reader.error("source.profile", f"source {source.id!r} is listed twice")
        found.append(source)
    return tuple(found)


@dataclass(frozen=True)
class _EntryReader(SettingsReader):
    """A reader that names lines inside one ``[[source]]`` entry (keys repeat from entry to entry)."""

    start: int = 1

    def error(self, key: str, problem: str) -> SettingsError:
        line = key_line(self.source, key.rsplit(".", 1)[-1], self.start, _next_table(self.source, self.start))
        return SettingsError(self.path, key, problem, line or self.start)


def _nth_table(text: str, name: str, number: int) -> int:
    """The line of the ``number``-th (from 0) ``[[name]]`` header."""
    headers = [i for i, line in enumerate(text.splitlines(), 1) if line.strip() == f"[[{name}]]"]
    return headers[number] if number < len(headers) else 1


def _next_table(text: str, after: int) -> int | None:
    for i, line in enumerate(text.splitlines(), 1):
        if i > after and line.strip().startswith("["):
            return i
    return None


def _source_of(ref: str, schedule: DaemonSettings, enabled: bool = True) -> SourceSettings:
    from szwatch.crawler.profile import load_profile

    profile = load_profile(ref)
    return SourceSettings(profile.id, profile.name, ref, enabled, replace(schedule, profile=ref), profile.paper,
                          (schedule.base_url or profile.base_url).rstrip("/"))  # fmt: skip


def _daemon(
    reader: SettingsReader, raw: dict[str, Any], section: str = "daemon", base: DaemonSettings | None = None
) -> DaemonSettings:
    reader.only(raw, DAEMON_KEYS, section)
    defaults = DaemonSettings()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        default = getattr(defaults, key)
        if isinstance(default, str):
            if not isinstance(value, str):
                raise reader.error(f"{section}.{key}", "must be text")
            if key in TIME_KEYS and not re.fullmatch(r"\d{1,2}:\d{2}", value):
                raise reader.error(f"{section}.{key}", "a time like 05:30")
            values[key] = value
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(d, int) and 0 <= d <= 6 for d in value):
                raise reader.error(f"{section}.{key}", "a list of weekdays 0 (Monday) … 6 (Sunday)")
            values[key] = tuple(value)
        else:
            values[key] = type(default)(reader.signed_number(raw, key, section))
    if section == "daemon":  # the settings have a [daemon] section: a daemon is meant to run
        values["configured"] = True
    return replace(base or defaults, **values)


def masked(settings: Settings) -> dict[str, Any]:
    """The effective settings as data, secrets replaced by ``***`` (for ``szwatch config show``)."""
    from dataclasses import asdict

    data = asdict(settings)
    data["path"] = str(settings.path) if settings.path else None
    if settings.crawl.password:
        data["crawl"]["password"] = "***"
    data["crawl"]["database"] = re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", settings.crawl.database)
    for channel in data["channels"]:
        if channel["name"] in settings.problems:  # shown, marked: the configuration that explains it
            channel["problem"] = settings.problems[channel["name"]]
        for secret in ("password", "secret"):
            if channel.get(secret):
                channel[secret] = "***"
        if channel.get("urls"):  # Apprise URLs hold the services' tokens
            channel["urls"] = ["***"] * len(channel["urls"])
        if channel.get("kind") in ("wecom", "dingtalk", "feishu"):  # a robot's URL is its key
            channel["url"] = re.sub(r"(key=|access_token=|/hook/)[^&]*", r"\1***", channel["url"])
    return data
