"""One way to find the watchlist, for every command and the web view, and the check that keeps a store on its own.

The order: ``--watchlist``, ``SZWATCH_WATCHLIST``, the settings' ``[daemon] watchlist``, ``./watchlist.toml``,
the bundled example. A command run from another folder used to fall through to the example silently, and a
``detect --rescan`` then removed the findings of the user's own watches; so the store remembers the watchlist it
was last detected with, and ``detect`` and ``web`` refuse another one unless it is named with ``--watchlist``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from szwatch.common.clock import local_iso
from szwatch.common.config import ConfigError, key_line, read_text
from szwatch.monitor.detection.watchlist import EXAMPLE, Watch, Watchlist, load_watchlist
from szwatch.store.text import normalize

if TYPE_CHECKING:
    from szwatch.store.findings.watchlists import Remembered

ENV = "SZWATCH_WATCHLIST"


class WatchlistMismatchError(ConfigError):
    """The resolved watchlist is not the one the store was detected with (one line, exit 2)."""

    def __init__(self, message: str) -> None:
        ValueError.__init__(self, message)


@dataclass(frozen=True)
class Chosen:
    watchlist: Watchlist
    source: str  # where the path came from, as a user would name it
    explicit: bool  # given with --watchlist on this command line

    @property
    def path(self) -> str:
        return str(self.watchlist.path.resolve())

    def describe(self) -> str:
        w = self.watchlist
        return f"watchlist: {self.path} ({self.source}; {len(w.projects)} projects, {len(w.indicators)} indicators)"


def choose(option: str | None, settings_path: Path | None, settings_value: str, env: Mapping[str, str] | None = None,
           cwd: Path | None = None) -> Chosen:  # fmt: skip
    """The watchlist this command uses and why (see the module's note for the order)."""
    env = os.environ if env is None else env
    cwd = cwd or Path.cwd()
    if option:
        return Chosen(load_watchlist(cwd / option), "--watchlist", True)
    if env.get(ENV):
        return Chosen(load_watchlist(cwd / env[ENV]), ENV, False)
    if settings_value:
        where = f"{settings_path.resolve()}: [daemon] watchlist" if settings_path else "[daemon] watchlist"
        return Chosen(load_watchlist(_from_settings(settings_path, settings_value, cwd)), where, False)
    if (cwd / "watchlist.toml").is_file():
        return Chosen(load_watchlist(cwd / "watchlist.toml"), "./watchlist.toml", False)
    return Chosen(load_watchlist(EXAMPLE), "the bundled example: none configured", False)


def _from_settings(settings_path: Path | None, value: str, cwd: Path) -> Path:
    """A relative ``[daemon] watchlist`` is read from the working directory (compose's /app), else beside the
    settings file, so a command run from another folder finds the same file as the daemon."""
    candidates = [cwd / value] + ([settings_path.parent / value] if settings_path else [])
    found = next((p for p in candidates if p.is_file()), None)
    if found:
        return found
    line = key_line(read_text(settings_path), "watchlist") if settings_path else None
    tried = " or ".join(str(p) for p in candidates)
    raise ConfigError(settings_path, "daemon.watchlist", f"no such file ({tried})", line)


def find_watch(watchlist: Watchlist, given: str) -> Watch | None:
    """A watch by id, else by name or alias (case and width folded: ``GDP``, ``ｇｄｐ``, ``地区生产总值``)."""
    if (watch := watchlist.get(given.strip())) is not None:
        return watch
    wanted = normalize(given).lower()
    return next((w for w in watchlist.watches if wanted in {normalize(n).lower() for n in (w.name, *w.aliases)}), None)


def refusal(chosen: Chosen, last: Remembered | None) -> str | None:
    """Why this command must not use the chosen watchlist on this store, or None when it may."""
    if last is None or chosen.explicit or last.digest == chosen.watchlist.digest:
        return None
    if last.path and last.path == chosen.path:
        return None  # the same file, edited: detect says the watchlist changed and what --rescan would do
    before = last.path or f"a watchlist with digest {last.digest} (its file was not recorded)"
    return (
        f"this store was last detected with {before} ({last.watches or '?'} watches, {local_iso(last.recorded_at)}),"
        f" not {chosen.path} ({chosen.source}); pass --watchlist FILE to say which one to use"
    )
