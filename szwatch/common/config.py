"""Reading the operator's TOML files (settings, watchlist, source profiles) with one voice for mistakes.

Every file a person edits is refused as a whole when something is wrong, with one line that names the
file, the line and the key: ``settings.toml:12: channel.timeout: must be a number``. The three readers
share this module so they find lines, decode bytes and report syntax errors the same way.
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from typing import Any


class ConfigError(ValueError):
    """A configuration file that cannot be used; ``str()`` is the one line a user reads."""

    def __init__(self, path: Path | None, key: str | None, problem: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if path and line else str(path or "<config>")
        super().__init__(f"{where}: {key + ': ' if key else ''}{problem}")
        self.path, self.key, self.problem, self.line = path, key, problem, line


def read_text(path: Path, error: type[ConfigError] = ConfigError) -> str:
    """The file as text; a missing file or one not saved as UTF-8 is a ``ConfigError`` naming the line."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(path, "(file)", exc.strerror or str(exc)) from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem = f"not UTF-8 (byte 0x{raw[exc.start]:02x}); save the file as UTF-8"
        raise error(path, "(encoding)", problem, line) from exc


def parse_toml(path: Path, text: str, error: type[ConfigError] = ConfigError) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"at line (\d+)", str(exc))
        raise error(path, "(syntax)", f"not valid TOML: {exc}", int(at.group(1)) if at else None) from exc


def read_toml(path: Path, error: type[ConfigError] = ConfigError) -> tuple[str, dict[str, Any]]:
    """The file's text (for line look-ups) and its parsed tables."""
    text = read_text(path, error)
    return text, parse_toml(path, text, error)


def key_line(text: str, key: str, start: int = 1, end: int | None = None) -> int | None:
    """The first line in ``[start, end)`` that sets ``key`` (``key =``) or opens ``[[key]]``/``[key]``."""
    pattern = re.compile(rf"^\s*(\[\[?)?{re.escape(key)}(\]\]?)?\s*(=|$)")
    lines = _lines(text)
    stop = len(lines) if end is None else min(end - 1, len(lines))
    for index in range(max(start, 1) - 1, stop):
        if pattern.match(lines[index]):
            return index + 1
    return None


@functools.lru_cache(maxsize=4)
def _lines(text: str) -> tuple[str, ...]:
    """A file's lines, split once: a watchlist asks for each watch's lines in turn (2,000 watches: 2 s when every
    question split the whole file again)."""
    return tuple(text.splitlines())
