"""Changing the watchlist file from the web view: the file stays the one source of truth.

A watch added, edited, paused or deleted in the browser is written into the user's own TOML file with tomlkit,
which keeps its comments, order and layout, so the file stays readable and diffable and every command and the
daemon keep reading the same list. The new text is checked by the same parser as the file (``parse_watchlist``:
the same ``file:line: key: problem`` messages), then written atomically (a temporary file beside it, flushed,
then renamed over it): a crash leaves the old file or the new one, never half of one. The form carries the
digest of the file it was made from; a file changed meanwhile (by hand, or another browser) is refused rather
than overwritten. The store's record of the watchlist in use gets the new digest, so ``detect`` and ``web``
go on accepting the file they were given.
"""

from __future__ import annotations

import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomlkit
from sqlmodel import Session

from szwatch.common.config import parse_toml
from szwatch.monitor.detection.watchlist import KINDS, Watch, Watchlist, WatchlistError, parse_watchlist
from szwatch.store.findings import watchlists

_SPLIT = re.compile(r"[,，、;；\n]+")
_HEADER = re.compile(r"^\s*\[\[(\w+)\]\]")


class EditError(ValueError):
    """A change that cannot be made: one line, in the watchlist's own ``file:line: key: problem`` words."""


@dataclass(frozen=True)
class Draft:
    """A watch as typed in the form: its kind and its TOML table."""

    kind: str
    table: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.table.get("id", ""))


def terms(raw: str) -> list[str]:
    """``中煤平朔烯烃项目、烯烃一体化`` or one per line → the list; commas (either width), 、 and ; separate."""
    return [part.strip() for part in _SPLIT.split(raw or "") if part.strip()]


def draft_from_form(form: Mapping[str, str]) -> Draft:
    """The form's fields as a watch table; keyword groups are one per line, their terms separated by 、 or ,."""
    kind = form.get("kind", "project")
    if kind not in KINDS:
        raise EditError(f"kind: {kind!r} is not project or indicator")
    table: dict[str, Any] = {"id": form.get("id", "").strip(), "name": form.get("name", "").strip()}
    if aliases := terms(form.get("aliases", "")):
        table["aliases"] = aliases
    groups = [terms(line) for line in (form.get("keywords") or "").splitlines() if terms(line)]
    if groups:
        if kind != "project":
            raise EditError("keywords: only a project has keywords")
        table["keywords"] = groups
    for key in ("exclude", "tags"):
        if values := terms(form.get(key, "")):
            table[key] = values
    if form.get("paused"):
        table["paused"] = True
    return Draft(kind, table)


def form_of(watch: Watch, paused: bool) -> dict[str, str]:
    """A watch as the form shows it (the reverse of ``draft_from_form``)."""
    return {
        "kind": watch.kind, "id": watch.id, "name": watch.name, "aliases": "、".join(watch.aliases),
        "keywords": "\n".join("、".join(group) for group in watch.keywords), "exclude": "、".join(watch.exclude),
        "tags": "、".join(watch.tags), "paused": "1" if paused else "",
    }  # fmt: skip


def changed_text(text: str, draft: Draft | None, replacing: str | None) -> str:
    """The file's text with the watch ``replacing`` replaced by ``draft`` (None deletes it; no ``replacing``
    adds ``draft`` after the last watch of its kind). Only that watch's own lines change: the rest of the file,
    comments and blank lines included, is left byte for byte."""
    if replacing is None:
        return _inserted(text, draft) if draft is not None else text
    lines = text.splitlines(keepends=True)
    found = next(((kind, a, b) for kind, a, b in _blocks(lines) if _id_of(lines[a:b]) == replacing), None)
    if found is None:
        raise EditError(f"id: no watch {replacing!r} in the watchlist (was it deleted meanwhile?)")
    kind, start, end = found
    if draft is None or draft.kind != kind:  # deleted, or moved to the other kind's tables
        rest = "".join(lines[:start] + lines[_after_blank(lines, end) if start else end :])
        if end == len(lines):  # the file's last watch: no blank line left dangling at the end
            rest = rest.rstrip("\n") + "\n" if rest.strip() else ""
        return _inserted(rest, draft) if draft is not None else rest
    document = tomlkit.parse("".join(lines[start:end]))
    _update(document[kind][0], draft.table)
    return "".join(lines[:start]) + tomlkit.dumps(document) + "".join(lines[end:])


def _blocks(lines: list[str]) -> list[tuple[str, int, int]]:
    """Each ``[[kind]]`` block as (kind, first line, end): the end stops before the comments and blank lines
    that head the next block, which belong to it (a section's heading), not to this one."""
    headers = [(n, m.group(1)) for n, row in enumerate(lines) if (m := _HEADER.match(row))]
    found = []
    for i, (start, kind) in enumerate(headers):
        end = headers[i + 1][0] if i + 1 < len(headers) else len(lines)
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
            end -= 1
        found.append((kind, start, end))
    return found


def _after_blank(lines: list[str], end: int) -> int:
    """Past the one blank line that separated a deleted block from what follows."""
    return end + 1 if end < len(lines) and not lines[end].strip() else end


def _id_of(block: list[str]) -> str | None:
    try:
        tables = tomllib.loads("".join(block))
    except tomllib.TOMLDecodeError:
        return None
    for value in tables.values():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return str(value[0].get("id"))
    return None


def _inserted(text: str, draft: Draft) -> str:
    """A new watch goes after the last one of its kind, before the comments that head the next section (where
    tomlkit would put it: after them, under the other kind's heading)."""
    block = tomlkit.dumps({draft.kind: [draft.table]})
    lines = text.splitlines(keepends=True)
    mine = [end for kind, _, end in _blocks(lines) if kind == draft.kind]
    if not mine:
        return text + ("" if text.endswith("\n") or not text else "\n") + ("\n" if text.strip() else "") + block
    end = mine[-1]
    if end == len(lines):
        return text + ("" if text.endswith("\n") else "\n") + "\n" + block
    return "".join(lines[:end]) + "\n" + block + "".join(lines[end:])


def _update(table: Any, values: dict[str, Any]) -> None:
    """Change the table in place, key by key, so that comments between its keys stay where they were."""
    for key in [k for k in table if k not in values]:
        del table[key]
    for key, value in values.items():
        if table.get(key) != value:
            table[key] = value


def _table(draft: Draft) -> Any:
    table = tomlkit.table()
    for key, value in draft.table.items():
        table[key] = value
    return table


def check(path: Path, text: str) -> Watchlist:
    """The new text read exactly as ``load_watchlist`` reads the file (same checks, same messages)."""
    try:
        return parse_watchlist(path, text, parse_toml(path, text, WatchlistError))
    except WatchlistError as exc:
        raise EditError(str(exc)) from exc


def write_atomically(path: Path, text: str) -> None:
    """Temporary file in the same folder, flushed to disk, renamed over the file (keeping its permissions)."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save(session: Session, watchlist: Watchlist, based_on: str, text: str) -> Watchlist:
    """Write ``text`` over the watchlist's file if the file is still the one the form was made from, and record
    the new digest as the store's watchlist in use (when the store used this file, or none yet)."""
    path = watchlist.path
    current = check(path, path.read_text(encoding="utf-8"))
    if current.digest != based_on:
        raise EditError(f"{path}: the file changed since this form was opened (by hand or in another window); "
                        "reload the page and make the change again")  # fmt: skip
    new = check(path, text)
    write_atomically(path, text)
    last = watchlists.remembered(session)
    if last is None or last.path in ("", str(path.resolve())) or last.digest == current.digest:
        watchlists.remember(session, str(path.resolve()), new.digest, len(new.watches))
    return new


def describe(before: Watch | None, after: Draft | None, was_paused: bool = False) -> str:
    """One line for the audit trail: what changed, key by key."""
    if after is None:
        return f"deleted {before.kind} {before.id} ({before.name})" if before else "deleted"
    if before is None:
        return f"added {after.kind} {after.id}: " + _pairs(after.table)
    old = form_of(before, was_paused)
    new = {key: str(value) for key, value in _flat(after).items()}
    changes = [f"{key}: {old[key]!r} → {new[key]!r}" for key in new if old.get(key, "") != new[key]]
    return f"edited {after.kind} {after.id}: " + ("; ".join(changes) or "no change")


def _flat(draft: Draft) -> dict[str, str]:
    watch = Watch(
        id=draft.id, kind=draft.kind, name=str(draft.table.get("name", "")),
        aliases=tuple(draft.table.get("aliases", ())),
        keywords=tuple(tuple(g) for g in draft.table.get("keywords", ())),
        exclude=tuple(draft.table.get("exclude", ())), tags=tuple(draft.table.get("tags", ())),
    )  # fmt: skip
    return form_of(watch, bool(draft.table.get("paused")))


def _pairs(table: dict[str, Any]) -> str:
    return "; ".join(f"{key}={value}" for key, value in table.items())
