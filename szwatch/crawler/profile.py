"""The source profile: a site's URL patterns, selectors and crawl manners, read from TOML.

A profile is checked completely when loaded, so a typo is reported before a crawl starts, with the
file, the key and its line, instead of surfacing as an empty page halfway through an issue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from szwatch.common.config import ConfigError, key_line, read_toml

DEFAULT_PROFILE = Path(__file__).resolve().parent.parent / "config" / "sources" / "szrb.toml"

_STR, _LIST, _NUM, _BOOL = "text", "list of selectors", "number", "true/false"
SCHEMA: dict[str, dict[str, str]] = {
    "source": {"id": _STR, "name": _STR, "base_url": _STR, "timezone": _STR},
    "urls": {
        "entry": _STR,
        "page": _STR,
        "first_page": _STR,
        "page_regex": _STR,
        "article_regex": _STR,
        "page_code_prefix": _STR,
    },
    "charset": {"fallbacks": _LIST},
    "entry": {"refresh": _STR, "script_regex": _STR, "links": _STR, "not_newest": _STR},
    "page": {"masthead": _LIST, "nav_links": _LIST, "article_links": _LIST},
    "article": {
        "kicker": _LIST,
        "title": _LIST,
        "subtitle": _LIST,
        "byline": _LIST,
        "paragraphs": _LIST,
        "pictures": _LIST,
        "picture_caption": _LIST,
    },
    "patterns": {
        "masthead_date": _STR,
        "issue_no": _STR,
        "pages_declared": _STR,
        "page_label": _STR,
        "continued_to": _STR,
        "continued_from": _STR,
        "byline": _STR,
        "paragraph_end": _STR,
    },
    "crawl": {
        "user_agent": _STR,
        "download_delay": _NUM,
        "autothrottle": _BOOL,
        "concurrent_requests_per_domain": _NUM,
        "obey_robots": _BOOL,
        "timeout": _NUM,
        "retry_times": _NUM,
    },
    "quality": {"truncation_ratio": _NUM, "truncation_min_missing": _NUM},
}
_REGEX_KEYS = {("urls", "page_regex"), ("urls", "article_regex"), ("entry", "script_regex"), ("entry", "not_newest")}
# Keys added after profiles were first written: a profile without them gets these values.
DEFAULTS: dict[tuple[str, str], Any] = {
    ("entry", "not_newest"): "上一期|下一期|往期|前一期|后一期|上期|下期",
    ("patterns", "paragraph_end"): '[。！？!?…”’"』」）)】\\].．;；]$',
}


class ProfileError(ConfigError):
    """A source profile that cannot be used; the message names the file, the key and its line."""


@dataclass(frozen=True)
class SourceProfile:
    """A validated profile. Sections are plain dicts whose keys were checked against ``SCHEMA``; the
    patterns and the URL regexes (``page_regex``, ``article_regex``, ``script_regex``) come compiled."""

    path: Path
    source: dict[str, str]
    urls: dict[str, str]
    charset: dict[str, list[str]]
    entry: dict[str, str]
    page: dict[str, list[str]]
    article: dict[str, list[str]]
    patterns: dict[str, re.Pattern[str]]
    crawl: dict[str, Any]
    quality: dict[str, float]
    regexes: dict[str, re.Pattern[str]]

    @property
    def id(self) -> str:
        return self.source["id"]

    @property
    def base_url(self) -> str:
        return self.source["base_url"].rstrip("/")


def load_profile(path: Path | str | None = None) -> SourceProfile:
    path = Path(path) if path else DEFAULT_PROFILE
    text, data = read_toml(path, ProfileError)
    for (section, key), value in DEFAULTS.items():
        if isinstance(data.get(section), dict):
            data[section].setdefault(key, value)
    _check(path, text, data)
    sections: dict[str, Any] = {name: dict(data[name]) for name in SCHEMA}
    for key in ("page", "article"):
        sections[key] = {k: _as_list(v) for k, v in sections[key].items()}
    sections["patterns"] = {k: _compile(path, text, "patterns", k, v) for k, v in data["patterns"].items()}
    regexes = {key: _compile(path, text, section, key, data[section][key]) for section, key in _REGEX_KEYS}
    return SourceProfile(path=path, regexes=regexes, **sections)


def _check(path: Path, text: str, data: dict[str, Any]) -> None:
    for section in data:
        if section not in SCHEMA:
            raise ProfileError(path, section, f"unknown section (known: {', '.join(SCHEMA)})", key_line(text, section))
    for section, keys in SCHEMA.items():
        table = data.get(section)
        if not isinstance(table, dict):
            raise ProfileError(path, section, "missing section")
        for key in table:
            if key not in keys:
                raise ProfileError(path, f"{section}.{key}", "unknown key", key_line(text, key))
        for key, kind in keys.items():
            if key not in table:
                raise ProfileError(path, f"{section}.{key}", "missing key")
            if not _fits(table[key], kind):
                raise ProfileError(path, f"{section}.{key}", f"expected {kind}", key_line(text, key))


def _fits(value: Any, kind: str) -> bool:
    if kind == _LIST:
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    if kind == _NUM:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == _BOOL:
        return isinstance(value, bool)
    return isinstance(value, str)


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _compile(path: Path, text: str, section: str, key: str, value: str) -> re.Pattern[str]:
    try:
        return re.compile(value)
    except re.error as exc:
        raise ProfileError(path, f"{section}.{key}", f"bad regular expression: {exc}", key_line(text, key)) from exc
