"""What detection found, read with plain SQL: the ``mentions`` and ``indicators`` commands, their exports and the
web view's project and indicator pages share these reads.

Plain SQL (``store.plain``) because a read command must start fast: on the embedded store ``db.plain_reader``
answers through the standard library's sqlite3, without importing SQLAlchemy or the ORM models (about half a
second). Values are made the same on every connection: dates as ISO text, flags as booleans.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from szwatch.store.plain import plain_of
from szwatch.store.text import page_label

if TYPE_CHECKING:
    from szwatch.store.plain import Db

MENTION_FIELDS = ["watch_id", "issue_date", "page", "title", "url", "surface", "match_kind", "snippet", "paper"]
INDICATOR_FIELDS = [
    "indicator_id", "issue_date", "page", "title", "url", "value", "unit", "growth_pct", "period", "period_start",
    "period_end", "scope", "rank", "relative", "snippet", "paper",
]  # fmt: skip

SOURCE = " JOIN articles a ON a.id = f.article_id JOIN issues i ON i.id = a.issue_id JOIN pages p ON p.id = a.page_id"
MENTION_COLUMNS = (
    "f.watch_id, i.issue_date, p.code, a.title, f.story_url, f.surface, f.kind, f.snippet, f.article_id, a.url, "
    "i.source, p.number"
)
OBSERVATION_COLUMNS = (
    "f.indicator_id, i.issue_date, p.code, a.title, f.story_url, f.value, f.unit, f.growth_pct, f.period, "
    "f.period_start, f.period_end, f.scope, f.rank, f.relative, f.snippet, f.id, f.article_id, a.url, i.source, "
    "p.number"
)


def iso(value: Any) -> str | None:
    """A date column as ISO text (sqlite3 gives the text, PostgreSQL a date)."""
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def labelled(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows whose third column is the page code and last the printed number, with the page label (``page_label``)
    in place of the code and the number dropped: what a reader sees is the page as printed."""
    return [(*row[:2], page_label(row[2], row[-1]), *row[3:-1]) for row in rows]


def mention_rows(db: Db, watch_id: str | None = None) -> Iterator[dict[str, Any]]:
    """Stored mentions (of one watch, or all), oldest issue first: the CLI's and the export's rows."""
    where, params = ("WHERE f.watch_id = :watch", {"watch": watch_id}) if watch_id else ("", {})
    sql = f"SELECT {MENTION_COLUMNS} FROM mentions f{SOURCE} {where} ORDER BY i.issue_date, f.watch_id, f.id"
    for row in labelled(plain_of(db).run(sql, params)):
        yield dict(zip(MENTION_FIELDS, (row[0], iso(row[1]), *row[2:8], row[10]), strict=True))


def mention_page(db: Db, watch_id: str, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """A project's mentions, newest issue first, one page of them and how many there are (the web view)."""
    plain = plain_of(db)
    [(total,)] = plain.run("SELECT count(*) FROM mentions WHERE watch_id = :watch", {"watch": watch_id})
    sql = (f"SELECT {MENTION_COLUMNS} FROM mentions f{SOURCE} WHERE f.watch_id = :watch "
           "ORDER BY i.issue_date DESC, f.story_url, f.sentence_index LIMIT :limit OFFSET :offset")  # fmt: skip
    rows = labelled(plain.run(sql, {"watch": watch_id, "limit": limit, "offset": offset}))
    return int(total), [
        {"issue_date": iso(day), "title": title, "snippet": text, "surface": surface, "match_kind": kind,
         "source": source(article_id, url, iso(day) or "", code, title)}
        for _, day, code, title, _, surface, kind, text, article_id, url, _ in rows
    ]  # fmt: skip


def source(article_id: int, url: str, issue_date: str, page: str, title: str) -> dict[str, Any]:
    return {"article_id": article_id, "url": url, "issue_date": issue_date, "page": page, "title": title}


def observation_rows(db: Db, indicator_id: str | None = None) -> Iterator[dict[str, Any]]:
    """Stored figures (of one indicator, or all) by indicator, period and scope, then issue: the CLI's and the
    export's rows."""
    for row in _observations(db, indicator_id, "f.indicator_id, f.period_start, f.period_end, f.scope"):
        yield dict(zip(INDICATOR_FIELDS, _observation_values(row), strict=True))


def observation_sources(db: Db, indicator_id: str) -> Iterator[tuple[dict[str, Any], int, dict[str, Any]]]:
    """An indicator's figures in period order (end, start, scope, then issue), each with its id and source: what
    the web view's time series is made of."""
    for row in _observations(db, indicator_id, "f.period_end, f.period_start, f.scope"):
        values = dict(zip(INDICATOR_FIELDS, _observation_values(row), strict=True))
        yield values, row[15], source(row[16], row[17], values["issue_date"], row[2], row[3])


def _observations(db: Db, indicator_id: str | None, order: str) -> list[tuple[Any, ...]]:
    where, params = ("WHERE f.indicator_id = :indicator", {"indicator": indicator_id}) if indicator_id else ("", {})
    sql = f"SELECT {OBSERVATION_COLUMNS} FROM observations f{SOURCE} {where} ORDER BY {order}, i.issue_date, f.id"
    return labelled(plain_of(db).run(sql, params))


def _observation_values(row: tuple[Any, ...]) -> tuple[Any, ...]:
    indicator, day, code, title, url, value, unit, growth, period, start, end, scope, rank, relative, text = row[:15]
    return (indicator, iso(day), code, title, url, value, unit, growth, period, iso(start), iso(end), scope, rank,
            bool(relative), text, row[18])  # fmt: skip
