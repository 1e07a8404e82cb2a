"""Which URLs: date → entry/page URLs, and URL → (date, page) or (date, article number).

Pure functions over the profile's patterns and a base URL, so that ``--base-url`` can point the same
profile at the replica or a mirror.
"""

from __future__ import annotations

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

    def page(self, day: date, code: str | None = None) -> str:
        path = self.profile.urls["page"].format(yyyymmdd=day.strftime("%Y%m%d"), page=code or self.first_page)
        return self.base_url + path

    @property
    def first_page(self) -> str:
        return self.profile.urls["first_page"]

    def parse_page(self, url: str) -> tuple[date, str] | None:
        match = self.profile.regexes["page_regex"].search(urlsplit(url).path)
        return (_day(match["date"]), match["page"]) if match else None

    def parse_article(self, url: str) -> tuple[date, str] | None:
        match = self.profile.regexes["article_regex"].search(urlsplit(url).path)
        return (_day(match["date"]), match["number"]) if match else None


def _day(yyyymmdd: str) -> date:
    return datetime.strptime(yyyymmdd, "%Y%m%d").date()
