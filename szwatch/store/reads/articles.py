"""Every stored article with its issue and page, read with plain SQL: what ``szwatch export articles`` writes.

Plain SQL (``store.plain``) because a read command must start fast: on the embedded store ``db.plain_reader``
answers through the standard library's sqlite3, without importing SQLAlchemy or the ORM models (about half a
second of CPU). Values are written as the ORM gave them: dates as ISO text, times as ISO text in UTC with offset.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from szwatch.store.findings.finding_reads import iso
from szwatch.store.plain import plain_of
from szwatch.store.reads.alerts import utc_moment

if TYPE_CHECKING:
    from szwatch.store.plain import Db

EXPORT_FIELDS = [
    "url", "issue_date", "issue_no", "page", "page_name", "kicker", "title", "subtitle", "byline", "text",
    "continued_to", "continued_from", "story_url", "first_seen_at", "updated_at", "paper",
]  # fmt: skip
_COLUMNS = (
    "a.url, i.issue_date, i.issue_no, p.code, p.name, a.kicker, a.title, a.subtitle, a.byline, a.text, "
    "a.continued_to, a.continued_from, a.story_url, a.first_seen_at, a.updated_at, i.source"
)


def article_rows(db: Db) -> Iterator[dict[str, object]]:
    """Every stored article with its issue and page, oldest issue first (then page order, then as stored)."""
    sql = (f"SELECT {_COLUMNS} FROM articles a JOIN issues i ON i.id = a.issue_id JOIN pages p ON p.id = a.page_id"
           " ORDER BY i.issue_date, p.seq, a.id")  # fmt: skip
    for row in plain_of(db).run(sql):
        values = list(row)
        values[1] = iso(values[1])
        values[13], values[14] = utc_moment(values[13]).isoformat(), utc_moment(values[14]).isoformat()
        yield dict(zip(EXPORT_FIELDS, values, strict=True))
