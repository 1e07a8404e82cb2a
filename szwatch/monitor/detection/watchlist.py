"""The watchlist: the projects and indicators a user tracks, read from TOML and checked completely.

A bad file is refused as a whole, naming the file, the line and the key, so that nothing in the store is
changed by half a watchlist.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from szwatch.common import thresholds as rules
from szwatch.common.config import ConfigError, key_line, read_toml
from szwatch.store.text import normalize

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "watchlist.example.toml"


class WatchKind(StrEnum):
    PROJECT = "project"
    INDICATOR = "indicator"


KINDS = {"project": WatchKind.PROJECT, "indicator": WatchKind.INDICATOR}
KEYS = {
    "project": {"id", "name", "aliases", "keywords", "exclude", "tags", "mention", "paused"},
    "indicator": {"id", "name", "aliases", "exclude", "tags", "mention", "thresholds", "paused"},
}
TAGS = "tags"  # [tags."能源"] mention = [...]: whom an alert of any watch with that tag @s
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
# Stated limits: far above any real list (the example has 18 watches), low enough that a runaway file (a
# generated 30 MB list kept `detect` busy for minutes without a word) is refused at once, with its limit.
MAX_BYTES = 2 * 1024 * 1024
MAX_WATCHES = 5000
MAX_TERMS = 200  # aliases, keyword terms and exclusions of one watch


class WatchlistError(ConfigError):
    """A watchlist that cannot be used: ``file:line: key: problem``."""


@dataclass(frozen=True)
class Watch:
    id: str
    kind: str  # a WatchKind
    name: str
    aliases: tuple[str, ...] = ()
    keywords: tuple[tuple[str, ...], ...] = ()
    exclude: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    mention: tuple[str, ...] = ()  # whom its alerts @ in team chats: user ids, mobile numbers, "all"
    thresholds: tuple[rules.Threshold, ...] = ()  # an indicator's: "growth < 0", … (common/thresholds.py)


@dataclass(frozen=True)
class Watchlist:
    """The watches detection uses; ``paused`` ones (``paused = true``) are kept in the file, and listed, but
    not detected until they are resumed."""

    path: Path
    watches: tuple[Watch, ...]
    digest: str
    paused: tuple[Watch, ...] = ()
    tag_mentions: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    @property
    def projects(self) -> list[Watch]:
        return [w for w in self.watches if w.kind == WatchKind.PROJECT]

    @property
    def indicators(self) -> list[Watch]:
        return [w for w in self.watches if w.kind == WatchKind.INDICATOR]

    @property
    def tags(self) -> dict[str, tuple[str, ...]]:
        return {w.id: w.tags for w in self.watches}

    @property
    def mentions(self) -> dict[str, tuple[str, ...]]:
        """Watch id → whom its alerts ``@``: its own ``mention`` and its tags', each once."""
        found = {}
        for watch in self.watches:
            entries = (*watch.mention, *(e for tag in watch.tags for e in self.tag_mentions.get(tag, ())))
            if entries:
                found[watch.id] = tuple(dict.fromkeys(entries))
        return found

    def get(self, watch_id: str) -> Watch | None:
        return next((w for w in self.watches if w.id == watch_id), None)


def load_watchlist(path: Path | str | None = None) -> Watchlist:
    path = Path(path) if path else EXAMPLE
    if path.is_file() and (size := path.stat().st_size) > MAX_BYTES:  # refused before it is read at all
        raise WatchlistError(path, None, f"{size:,} bytes; a watchlist may have at most {MAX_BYTES:,}")
    text, data = read_toml(path, WatchlistError)
    return parse_watchlist(path, text, data)


def parse_watchlist(path: Path, text: str, data: dict[str, Any]) -> Watchlist:
    blocks = _block_lines(text)
    for key in data:
        if key not in KINDS and key != TAGS:
            raise WatchlistError(path, key, "unknown table (use [[project]], [[indicator]] or [tags.…])",
                                 key_line(text, key))  # fmt: skip
    watches: list[Watch] = []
    for kind in KINDS:
        tables = data.get(kind, [])
        if not isinstance(tables, list):
            raise WatchlistError(path, kind, "must be an array of tables [[…]]", key_line(text, kind))
        if len(watches) + len(tables) > MAX_WATCHES:
            raise WatchlistError(path, kind, f"more than {MAX_WATCHES} watches; a watchlist may have at most "
                                             f"{MAX_WATCHES}", None)  # fmt: skip
        for number, table in enumerate(tables):
            where = blocks.get(kind, [])[number] if number < len(blocks.get(kind, [])) else (1, None)
            watches.append(_watch(path, text, kind, table, where))
    seen: dict[str, int | None] = {}
    stopped: set[str] = set()
    for watch, (kind, number) in zip(watches, _positions(data), strict=True):
        start, end = blocks[kind][number] if number < len(blocks.get(kind, [])) else (1, None)
        line = key_line(text, "id", start, end)
        if watch.id in seen:
            raise WatchlistError(path, "id", f"duplicate id {watch.id!r} (first at line {seen[watch.id]})", line)
        seen[watch.id] = line
        if _paused(path, data[kind][number], key_line(text, "paused", start, end)):
            stopped.add(watch.id)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    active = tuple(w for w in watches if w.id not in stopped)
    paused = tuple(w for w in watches if w.id in stopped)
    return Watchlist(path, active, digest, paused, _tag_mentions(path, text, data.get(TAGS, {})))


def _paused(path: Path, table: dict[str, Any], line: int | None) -> bool:
    value = table.get("paused", False)
    if not isinstance(value, bool):
        raise WatchlistError(path, "paused", f"{table.get('id')}: paused must be true or false", line)
    return value


def _tag_mentions(path: Path, text: str, tables: Any) -> dict[str, tuple[str, ...]]:
    """``[tags."能源"] mention = [...]``: the only thing a tag has of its own."""
    if not isinstance(tables, dict):
        raise WatchlistError(path, TAGS, 'must be tables like [tags."能源"]', key_line(text, TAGS))
    found: dict[str, tuple[str, ...]] = {}
    for tag, table in tables.items():
        line = key_line(text, f'tags."{tag}"') or key_line(text, f"tags.{tag}")
        if not isinstance(table, dict) or set(table) - {"mention"}:
            raise WatchlistError(path, f"tags.{tag}", "a tag's table has only mention = [...]", line)
        at = key_line(text, "mention", line) if line else None
        found[normalize(tag)] = _strings(path, table, "mention", f"tag {tag}", lambda _key, at=at: at)
    return found


def _positions(data: dict[str, Any]) -> list[tuple[str, int]]:
    return [(kind, i) for kind in KINDS for i in range(len(data.get(kind, [])))]


def _watch(path: Path, text: str, kind: str, table: Any, where: tuple[int, int | None]) -> Watch:
    start, end = where
    if not isinstance(table, dict):
        raise WatchlistError(path, None, f"each [[{kind}]] must be a table", start)
    for key in table:
        if key not in KEYS[kind]:
            allowed = ", ".join(sorted(KEYS[kind]))
            raise WatchlistError(
                path, key, f"unknown key in [[{kind}]] (allowed: {allowed})", key_line(text, key, start, end)
            )

    def line(key: str) -> int:
        return key_line(text, key, start, end) or start

    watch_id = table.get("id")
    if not isinstance(watch_id, str) or not _ID.match(watch_id):
        raise WatchlistError(path, "id", "id must be lowercase letters, digits, - or _", line("id"))
    name = normalize(table.get("name", "")) if isinstance(table.get("name", ""), str) else ""
    if not name:
        raise WatchlistError(path, "name", f"{watch_id}: name is missing or empty", line("name"))
    keywords = table.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(g, list) for g in keywords):
        raise WatchlistError(path, "keywords", f"{watch_id}: keywords must be a list of lists", line("keywords"))
    groups = tuple(tuple(normalize(t) for t in group if isinstance(t, str) and normalize(t)) for group in keywords)
    if any(not group for group in groups):
        raise WatchlistError(path, "keywords", f"{watch_id}: a keyword group has no terms", line("keywords"))
    watch = Watch(
        id=watch_id, kind=kind, name=name, aliases=_strings(path, table, "aliases", watch_id, line),
        keywords=groups, exclude=_strings(path, table, "exclude", watch_id, line),
        tags=_strings(path, table, "tags", watch_id, line), mention=_strings(path, table, "mention", watch_id, line),
        thresholds=_thresholds(path, table, watch_id, line),
    )  # fmt: skip
    terms = len(watch.aliases) + sum(len(g) for g in groups) + len(watch.exclude)
    if terms > MAX_TERMS:
        raise WatchlistError(path, "aliases", f"{watch_id}: {terms} aliases, keywords and exclusions; a watch may "
                                              f"have at most {MAX_TERMS}", line("aliases"))  # fmt: skip
    return watch


def _thresholds(path: Path, table: dict[str, Any], watch_id: str, line: Any) -> tuple[rules.Threshold, ...]:
    found = []
    for text in _strings(path, table, "thresholds", watch_id, line):
        rule = rules.parse(text)
        if rule is None:
            raise WatchlistError(path, "thresholds", f"{watch_id}: cannot read {text!r}; write e.g. "
                                                     f"{', '.join(rules.FORMS)}", line("thresholds"))  # fmt: skip
        found.append(rule)
    return tuple(found)


def _strings(path: Path, table: dict[str, Any], key: str, watch_id: str, line: Any) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and normalize(v) for v in value):
        raise WatchlistError(path, key, f"{watch_id}: {key} must be a list of non-empty strings", line(key))
    return tuple(normalize(v) for v in value)


def _block_lines(text: str) -> dict[str, list[tuple[int, int | None]]]:
    """Start and end line of each [[project]] / [[indicator]] block, for error messages."""
    header = re.compile(r"^\s*\[\[(\w+)\]\]")
    headers = [(n, m.group(1)) for n, row in enumerate(text.splitlines(), 1) if (m := header.match(row))]
    blocks: dict[str, list[tuple[int, int | None]]] = {}
    for i, (number, kind) in enumerate(headers):
        end = headers[i + 1][0] if i + 1 < len(headers) else None
        blocks.setdefault(kind, []).append((number, end))
    return blocks
