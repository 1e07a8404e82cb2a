"""Bookkeeping of one crawl: which issues were opened, which pages and articles came back, landed or failed.

The spider and the pipeline fill it; at the end it decides, per issue, whether it is complete (every page
of the navigation read, every article listed on them stored), incomplete (try again next crawl) or a day
without a paper. It also holds the crawl's promise: every article URL listed on a crawled page ends the
run either stored or failed with a recorded reason. ``unaccounted`` names the ones that did neither
(a request dropped somewhere, a crawl stopped early); they are recorded as problems and keep their issue
incomplete, so silence can never pass for success.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from szwatch.store.models import IssueStatus


@dataclass
class IssueProgress:
    first_page_url: str
    pages_expected: set[str] = field(default_factory=set)
    pages_done: set[str] = field(default_factory=set)
    pages_failed: set[str] = field(default_factory=set)
    listed: dict[str, str] = field(default_factory=dict)  # article URL → code of the first page listing it
    known: set[str] = field(default_factory=set)  # listed and already stored by an earlier crawl
    stored: set[str] = field(default_factory=set)  # stored by this crawl
    failed: dict[str, str] = field(default_factory=dict)  # not stored; URL → kind of the problem recorded
    held_back: set[str] = field(default_factory=set)  # stored, but as read it is not whole (fetch it again)
    no_issue: bool = False

    @property
    def articles_failed(self) -> set[str]:
        return set(self.failed) - self.stored

    def unaccounted(self) -> list[str]:
        accounted = self.known | self.stored | set(self.failed)
        return [url for url in self.listed if url not in accounted]

    def status(self) -> str:
        if self.no_issue:
            return IssueStatus.NO_ISSUE
        complete = (
            bool(self.pages_done)
            and self.pages_expected <= self.pages_done
            and not self.pages_failed
            and not self.articles_failed
            and not self.held_back
            and not self.unaccounted()
        )
        return IssueStatus.COMPLETE if complete else IssueStatus.INCOMPLETE


@dataclass
class Ledger:
    issues: dict[date, IssueProgress] = field(default_factory=dict)
    skipped_complete: set[date] = field(default_factory=set)
    requested: set[str] = field(default_factory=set)  # article URLs asked for (one listed twice is asked once)
    responses: int = 0
    connection_failures: int = 0
    entry_failed: str | None = None
    stop_reason: str | None = None  # why the crawl was stopped before its end, when it was

    def open(self, day: date, first_page_url: str) -> bool:
        """Start on an issue; False if it was already opened in this crawl (``--latest`` plus ``--date``)."""
        if day in self.issues:
            return False
        self.issues[day] = IssueProgress(first_page_url)
        return True

    def listed(self, day: date, code: str, urls: list[str], known: set[str]) -> None:
        progress = self.issues[day]
        for url in urls:
            progress.listed.setdefault(url, code)
            if url in known:
                progress.known.add(url)

    def stored(self, day: date, url: str) -> None:
        if day in self.issues:
            self.issues[day].stored.add(url)

    def failed(self, day: date, url: str, kind: str) -> None:
        if day in self.issues:
            self.issues[day].failed.setdefault(url, kind)

    def page_failed(self, day: date, code: str) -> None:
        if day in self.issues:
            self.issues[day].pages_failed.add(code)

    @property
    def unreachable(self) -> bool:
        """Nothing answered at all: the site (or the network) is down, not a page broken."""
        return self.responses == 0 and (self.connection_failures > 0 or self.entry_failed is not None)
