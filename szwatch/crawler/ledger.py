"""Bookkeeping of one crawl: which issues were opened, which pages and articles came back or failed.

The spider fills it while navigating; at the end the pipeline reads it to decide, per issue, whether it
is complete (every page listed in the navigation and every new article fetched), incomplete (try again
next crawl) or a day without a paper.
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
    articles_failed: set[str] = field(default_factory=set)
    no_issue: bool = False

    def status(self) -> str:
        if self.no_issue:
            return IssueStatus.NO_ISSUE
        complete = (
            bool(self.pages_done)
            and self.pages_expected <= self.pages_done
            and not self.pages_failed
            and not self.articles_failed
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

    def open(self, day: date, first_page_url: str) -> bool:
        """Start on an issue; False if it was already opened in this crawl (``--latest`` plus ``--date``)."""
        if day in self.issues:
            return False
        self.issues[day] = IssueProgress(first_page_url)
        return True

    @property
    def unreachable(self) -> bool:
        """Nothing answered at all: the site (or the network) is down, not a page broken."""
        return self.responses == 0 and (self.connection_failures > 0 or self.entry_failed is not None)
