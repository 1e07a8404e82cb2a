"""Which URLs: date → entry/issue/page URLs, and URL → (date, page) or (date, article number).

Pure functions over the profile's patterns and a base URL, so that ``--base-url`` can point the same
profile at the replica or a mirror.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from szwatch.crawler.profile import SourceProfile


@dataclass(frozen=True)
class SiteUrls:
    profile: SourceProfile
    base_url: str

    @classmethod
    def for_profile(cls, profile: SourceProfile, base_url: str | None = None) -> SiteUrls:
        return cls(profile, (base_url or profile.base_url).rstrip("/"))

    def entry(self) -> str:
        return self.base_url + self.profile.urls["entry"]

    def issue(self, day: date) -> str:
        """Where an issue opens: its own index (``urls.issue``) where the family has one, else its first page."""
        template = self.profile.urls["issue"]
        return self.base_url + _fill(template, day, self.first_page) if template else self.page(day)

    def page(self, day: date, code: str | None = None) -> str:
        return self.base_url + _fill(self.profile.urls["page"], day, code or self.first_page)

    @property
    def first_page(self) -> str:
        return self.profile.urls["first_page"]

    def parse_page(self, url: str) -> tuple[date, str] | None:
        """(date, page code) of a page URL; an issue's index (no page in the URL) is its first page."""
        match = self.profile.regexes["page_regex"].search(urlsplit(url).path)
        return (_day(match), match["page"] or self.first_page) if match else None

    def parse_article(self, url: str) -> tuple[date, str] | None:
        match = self.profile.regexes["article_regex"].search(urlsplit(url).path)
        return (_day(match), match["number"]) if match else None


def _fill(template: str, day: date, page: str) -> str:
    """A URL template's placeholders: ``{yyyymmdd}``, ``{yyyymm}``, ``{yyyy}``, ``{mm}``, ``{dd}``, ``{page}``."""
    return template.format(yyyymmdd=f"{day:%Y%m%d}", yyyymm=f"{day:%Y%m}", yyyy=f"{day:%Y}", mm=f"{day:%m}",
                           dd=f"{day:%d}", page=page)  # fmt: skip


def _day(match: re.Match[str]) -> date:
    """The date a URL regex found: one ``date`` group (YYYYMMDD) or ``year``, ``month`` and ``day`` groups."""
    groups = match.groupdict()
    if groups.get("date"):
        return datetime.strptime(groups["date"], "%Y%m%d").date()
    return date(int(groups["year"]), int(groups["month"]), int(groups["day"]))
