"""Full-text search over articles that works for Chinese.

Chinese has no spaces between words, so word tokenizers find nothing; trigram indexes do (SQLite FTS5
``trigram``, PostgreSQL ``pg_trgm``). Trigrams cannot answer one- or two-character queries (``煤``,
``光伏``), which are common in Chinese, so those fall back to a LIKE scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text as sql
from sqlmodel import Session, col, or_, select

from szwatch.store.models import Article, Issue, Page
from szwatch.store.text import normalize, snippet


@dataclass(frozen=True)
class Hit:
    issue_date: date
    page: str
    page_name: str | None
    title: str
    url: str
    snippet: str


def search(session: Session, query: str, limit: int = 20) -> list[Hit]:
    terms = [normalize(t) for t in query.split() if normalize(t)]
    if not terms:
        return []
    ids = _fts_ids(session, terms) if _can_use_trigrams(session, terms) else None
    stmt = (
        select(Article, Issue.issue_date, Page.code, Page.name)
        .join(Issue, col(Issue.id) == Article.issue_id)
        .join(Page, col(Page.id) == Article.page_id)
    )
    if ids is not None:
        stmt = stmt.where(col(Article.id).in_(ids))
    for term in terms:
        pattern = f"%{_escape_like(term)}%"
        stmt = stmt.where(
            or_(col(Article.title).like(pattern, escape="\\"), col(Article.text).like(pattern, escape="\\"))
        )
    stmt = stmt.order_by(col(Issue.issue_date).desc(), col(Page.seq), col(Article.id)).limit(limit)
    return [_hit(a, d, code, name, terms[0]) for a, d, code, name in session.exec(stmt).all()]


def _can_use_trigrams(session: Session, terms: list[str]) -> bool:
    return session.get_bind().dialect.name == "sqlite" and all(len(t) >= 3 for t in terms)


def _fts_ids(session: Session, terms: list[str]) -> list[int]:
    """Candidate ids from the FTS5 index; the LIKE filter after it keeps the result exact."""
    match = " AND ".join('"' + t.replace('"', '""') + '"' for t in terms)
    rows = session.connection().execute(sql("SELECT rowid FROM articles_fts WHERE articles_fts MATCH :q"), {"q": match})
    return [r[0] for r in rows]


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _hit(article: Article, issue_date: date, code: str, name: str | None, term: str) -> Hit:
    body = article.text if term in article.text else article.title
    return Hit(issue_date, code, name, article.title, article.url, snippet(body, term))
