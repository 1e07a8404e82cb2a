"""The source profile: a paper's URL patterns, selectors and crawl manners, read from TOML.

A profile names its e-paper family (``source.family``, see ``szwatch.crawler.families``); the family's
defaults fill every key the profile leaves out, so a paper on a known system needs only its host, its code
and what differs. A profile is checked completely when loaded, so a typo is reported before a crawl
starts, with the file, the key and its line, instead of surfacing as an empty page halfway through an issue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from szwatch.common.config import ConfigError, key_line, read_toml
from szwatch.crawler.families import family_defaults

BUNDLED = Path(__file__).resolve().parent.parent / "config" / "sources"
DEFAULT_PROFILE = BUNDLED / "szrb.toml"

_STR, _LIST, _NUM, _BOOL = "text", "list of selectors", "number", "true/false"
SCHEMA: dict[str, dict[str, str]] = {
    "source": {
        k: _STR
        for k in (
            "id",
            "name",
            "base_url",
            "timezone",
            "family",
            "code",
            "city",
            "paper",
            "serves_from",
            "serves_until",
        )
    },
    "urls": {
        "entry": _STR,
        "issue": _STR,
        "page": _STR,
        "first_page": _STR,
        "page_regex": _STR,
        "article_regex": _STR,
        "page_code_prefix": _STR,
        "page_code_width": _NUM,
    },
    "charset": {"fallbacks": _LIST},
    "entry": {"refresh": _STR, "script_regex": _STR, "links": _STR, "not_newest": _STR},
    "page": {"masthead": _LIST, "nav_links": _LIST, "article_links": _LIST, "image": _LIST, "pdf": _LIST},
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
_CODE = "{code}"  # in URL patterns: the paper's code on a system that hosts several papers (szrb, sxrb …)


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

    @property
    def paper(self) -> str:
        """The paper's id in the store (``issues.source``): a site of a paper that has several names it, so an
        issue stored from one site is not stored again from another."""
        return self.source["paper"]

    def serves(self, day: date) -> bool:
        """Does this site serve ``day``? (A site can hold only some dates: an old site its archive, a new one
        what came after the move.)"""
        first, last = self.source["serves_from"], self.source["serves_until"]
        return (not first or day >= date.fromisoformat(first)) and (not last or day <= date.fromisoformat(last))

    @property
    def name(self) -> str:
        return self.source["name"]

    @property
    def family(self) -> str:
        return self.source["family"]


def bundled_ids() -> list[str]:
    return sorted(path.stem for path in BUNDLED.glob("*.toml"))


def profile_path(ref: Path | str | None) -> Path:
    """A bundled profile's id (``sxrb``) or a file; an id that is neither is refused with the bundled ones."""
    if not ref:
        return DEFAULT_PROFILE
    text = str(ref)
    if text.endswith(".toml") or "/" in text or Path(text).is_file():
        return Path(text)
    if (BUNDLED / f"{text}.toml").is_file():
        return BUNDLED / f"{text}.toml"
    raise ProfileError(Path(text), None, f"neither a bundled profile nor a file (bundled: {', '.join(bundled_ids())})")


def load_profile(ref: Path | str | None = None) -> SourceProfile:
    """The profile ``ref`` names (bundled id or file; ``None``: szrb), with its family's defaults filled in."""
    path = profile_path(ref)
    text, data = read_toml(path, ProfileError)
    source = data.get("source") if isinstance(data.get("source"), dict) else {}
    family = source.setdefault("family", "shtml") if isinstance(source, dict) else "shtml"
    defaults = family_defaults(str(family))
    if defaults is None:
        raise ProfileError(path, "source.family", f"unknown family {family!r}", key_line(text, "family"))
    if isinstance(source, dict):
        source.setdefault("code", source.get("id", ""))
        source.setdefault("city", "")  # a city paper's own city (朔州); none for the province's papers
        source.setdefault("paper", source.get("id", ""))  # one paper on several sites: their issues are one
        source.setdefault("serves_from", "")  # the dates this site serves (ISO, either end open when empty)
        source.setdefault("serves_until", "")
    for section, keys in defaults.items():
        table = data.setdefault(section, {})
        if isinstance(table, dict):
            for key, value in keys.items():
                table.setdefault(key, value)
    _check(path, text, data)
    _check_dates(path, text, data["source"])
    _fill_code(data)
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


def _check_dates(path: Path, text: str, source: dict[str, str]) -> None:
    for key in ("serves_from", "serves_until"):
        if source[key]:
            try:
                date.fromisoformat(source[key])
            except ValueError:
                raise ProfileError(path, f"source.{key}", "a date like 2024-12-01", key_line(text, key)) from None


def _fill_code(data: dict[str, Any]) -> None:
    """``{code}`` in URL patterns and entry rules becomes the paper's code (other braces are regex counts)."""
    code = data["source"]["code"]
    for section in ("urls", "entry"):
        for key, value in data[section].items():
            if isinstance(value, str):
                data[section][key] = value.replace(_CODE, code)


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
