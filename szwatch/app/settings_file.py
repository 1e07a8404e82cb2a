"""Which settings file a command reads, and its one key every command needs (the watchlist), without the
cost of parsing the rest: ``szwatch watch list`` must not import the alerting stack to find a file name."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from szwatch.common.config import ConfigError, read_toml

DEFAULT_PATHS = (Path("config/settings.toml"), Path("settings.toml"))


def settings_file(path: Path | str | None, env: Mapping[str, str] | None = None) -> Path | None:
    """The file given, else ``SZWATCH_CONFIG``, else config/settings.toml or settings.toml if present."""
    env = os.environ if env is None else env
    chosen = Path(path) if path else Path(env["SZWATCH_CONFIG"]) if env.get("SZWATCH_CONFIG") else None
    return chosen or next((p for p in DEFAULT_PATHS if p.is_file()), None)


def daemon_watchlist(path: Path | None, env: Mapping[str, str] | None = None) -> str:
    """``[daemon] watchlist`` of the settings file (or ``SZWATCH_DAEMON__WATCHLIST``); "" when not set."""
    env = os.environ if env is None else env
    if env.get("SZWATCH_DAEMON__WATCHLIST"):
        return env["SZWATCH_DAEMON__WATCHLIST"]
    if path is None:
        return ""
    _, data = read_toml(path, ConfigError)
    value = data.get("daemon", {}).get("watchlist", "") if isinstance(data.get("daemon"), dict) else ""
    return value if isinstance(value, str) else ""
