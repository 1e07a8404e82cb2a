"""What the store already holds, as the spider needs it to skip work (incremental crawling)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session

from szwatch.store import articles


class KnownState:
    """Issue statuses and stored article URLs, read once per issue and cached for the crawl.

    An article stored as possibly truncated does not count as known: when its issue is crawled again
    (it is incomplete while such an article is cut off), the article is fetched again too.
    """

    def __init__(self, engine: Engine, source: str) -> None:
        self.engine, self.source = engine, source
        self._articles: dict[date, set[str]] = {}

    def status(self, day: date) -> str | None:
        with Session(self.engine) as session:
            return articles.issue_statuses(session, [day], self.source).get(day)

    def articles(self, day: date) -> set[str]:
        if day not in self._articles:
            with Session(self.engine) as session:  # the URLs other sites serve a stored article under count too
                issue = articles.get_issue(session, day, self.source)
                self._articles[day] = articles.known_article_urls(session, issue, whole_only=True) if issue else set()
        return self._articles[day]
