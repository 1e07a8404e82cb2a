"""Writing the search index: one row of characters and one of character pairs per article (see the package).

SQLite keeps them in two contentless FTS5 tables, PostgreSQL in a table of tsvectors built here; both are
written with plain SQL so that the embedded store can be read without SQLAlchemy.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from szwatch.store.plain import Plain, in_list, plain_of
from szwatch.store.search import pair_places

if TYPE_CHECKING:
    from szwatch.store.plain import Db

SQLITE_CHARS = "search_chars"
SQLITE_PAIRS = "search_pairs"
SQLITE_TABLES = (SQLITE_CHARS, SQLITE_PAIRS)
PG_TABLE = "search_docs"
ORDERS = ("newest", "relevance")
MAX_TERMS = 8
_ID_BITS = 32
ID_MASK = (1 << _ID_BITS) - 1
_RUN = re.compile(r"[^\W_]+")  # letters and digits of any script: what FTS5's unicode61 keeps as token characters
_PAGE_TOKEN = "pg"  # page filter tokens are 3+ characters long, so they never collide with a character or a pair
_PG_MAX_POSITION = 16383  # tsvector positions stop there; longer texts wrap (a rare false pair is checked away)
_PG_MAX_POSITIONS = 255  # per lexeme

# Single characters are many (one posting per character of every article), and a one-character query needs
# neither places nor columns: that table keeps row ids only (detail=none), a ninth of the size with places.
# Pairs keep places (a phrase of pairs needs them) and columns: title pairs weigh more for relevance.
SQLITE_DDL = [
    f"CREATE VIRTUAL TABLE {SQLITE_CHARS} USING fts5(chars, content='', detail=none,"
    " tokenize='unicode61 remove_diacritics 0')",
    f"CREATE VIRTUAL TABLE {SQLITE_PAIRS} USING fts5(title, body, meta, content='',"
    " tokenize='unicode61 remove_diacritics 0')",
    f"INSERT INTO {SQLITE_PAIRS}({SQLITE_PAIRS}, rank) VALUES ('rank', 'bm25(4.0, 1.0, 0.0)')",
]
PG_DDL = [
    f"CREATE TABLE {PG_TABLE} (key BIGINT PRIMARY KEY, article_id INTEGER NOT NULL UNIQUE"
    " REFERENCES articles(id) ON DELETE CASCADE, page VARCHAR(16) NOT NULL, grams TSVECTOR NOT NULL)",
    f"CREATE INDEX ix_{PG_TABLE}_grams ON {PG_TABLE} USING gin (grams)",
]


# ---------------------------------------------------------------------------------------------- the index


@dataclass(frozen=True)
class Doc:
    """What one article contributes to the index."""

    article_id: int
    issue_date: date
    page: str
    title: str  # kicker, title and subtitle
    body: str

    @property
    def key(self) -> int:
        return search_key(self.issue_date, self.article_id)


class _Indexable(Protocol):
    id: int | None
    issue_id: int
    page_id: int
    kicker: str | None
    title: str
    subtitle: str | None
    text: str


def search_key(issue_date: date, article_id: int) -> int:
    """Newest issue first; inside an issue, lower ids (the crawler meets A1 first) first."""
    return (issue_date.toordinal() << _ID_BITS) | (ID_MASK - article_id)


def article_id_of(key: int) -> int:
    return ID_MASK - (key & ID_MASK)


def runs(text: str) -> list[str]:
    """The runs of letters and digits of a text in its normal form, lower-cased: what is indexed."""
    return _RUN.findall(text.lower())


def chars(parts: Sequence[str]) -> str:
    return " ".join("".join(parts))


def pairs(parts: Sequence[str]) -> str:
    return " ".join(a + b for run in parts for a, b in itertools.pairwise(run))


def docs_for(db: Db, articles: Sequence[_Indexable]) -> list[Doc]:
    """Index documents of articles as they are now (their issue dates and page codes looked up once)."""
    if not articles:
        return []
    conn = plain_of(db)
    params: dict[str, Any] = {}
    issues = in_list("issue", sorted({a.issue_id for a in articles}), params)
    pages = in_list("page", sorted({a.page_id for a in articles}), params)
    dates = {r[0]: as_date(r[1]) for r in conn.run(f"SELECT id, issue_date FROM issues WHERE id IN {issues}", params)}
    codes = {r[0]: r[1] for r in conn.run(f"SELECT id, code FROM pages WHERE id IN {pages}", params)}
    return [
        Doc(a.id or 0, dates[a.issue_id], codes.get(a.page_id, ""), title_of(a.kicker, a.title, a.subtitle), a.text)
        for a in articles
    ]


def title_of(kicker: str | None, title: str, subtitle: str | None) -> str:
    return "\n".join(part for part in (kicker, title, subtitle) if part)


def add(db: Db, docs: Sequence[Doc]) -> None:
    """Index articles just written (new ones, or changed ones after ``remove``) in the caller's transaction."""
    if docs:
        _write(plain_of(db), docs)


def remove(db: Db, articles: Sequence[_Indexable]) -> None:
    """Take articles out of the index; call it before changing their text (SQLite needs the old values)."""
    if not articles:
        return
    conn = plain_of(db)
    if conn.dialect == "sqlite":
        _sqlite_rows(conn, docs_for(conn, articles), "'delete', ")
    elif conn.dialect == "postgresql":
        ids = [a.id for a in articles if a.id is not None]
        pair_places.forget(conn, PG_TABLE, ids)
        conn.run(f"DELETE FROM {PG_TABLE} WHERE article_id = ANY(:ids)", {"ids": ids})


def _sqlite_rows(conn: Plain, docs: Sequence[Doc], command: str = "") -> None:
    """Insert rows into both tables, or (``command="'delete', "``) take them out again."""
    chars_rows, pairs_rows = [], []
    for doc in docs:
        title, body, page = runs(doc.title), runs(doc.body), page_token(doc.page)
        chars_rows.append({"key": doc.key, "chars": f"{chars(title)} {chars(body)} {page}"})
        pairs_rows.append({"key": doc.key, "title": pairs(title), "body": pairs(body), "meta": page})
    first, pick = (f"{SQLITE_CHARS}, ", f"{SQLITE_PAIRS}, ") if command else ("", "")
    conn.run(f"INSERT INTO {SQLITE_CHARS}({first}rowid, chars) VALUES ({command}:key, :chars)", chars_rows)
    conn.run(
        f"INSERT INTO {SQLITE_PAIRS}({pick}rowid, title, body, meta) VALUES ({command}:key, :title, :body, :meta)",
        pairs_rows,
    )


def _write(conn: Plain, docs: Sequence[Doc]) -> None:
    if conn.dialect == "sqlite":
        _sqlite_rows(conn, docs)
    elif conn.dialect == "postgresql":
        pair_places.forget(conn, PG_TABLE, [d.article_id for d in docs])  # indexed again: its old places go first
        spots = [pg_places(d) for d in docs]
        rows = [
            {"key": d.key, "id": d.article_id, "page": d.page, "grams": tsvector_literal(*s)}
            for d, s in zip(docs, spots, strict=True)
        ]
        conn.run(
            f"INSERT INTO {PG_TABLE} (key, article_id, page, grams)"
            " VALUES (:key, :id, :page, CAST(:grams AS tsvector)) ON CONFLICT (article_id)"
            " DO UPDATE SET key = excluded.key, page = excluded.page, grams = excluded.grams",
            rows,
        )
        pair_places.write(conn, [(d.key, s[0]) for d, s in zip(docs, spots, strict=True)])


def page_token(code: str) -> str:
    return _PAGE_TOKEN + "".join(runs(code))


def pg_tsvector(doc: Doc) -> str:
    """The tsvector literal of a document: each pair at every place it occurs (a phrase of pairs needs them),
    each character once (a one-character query needs no places); title places weigh A."""
    return tsvector_literal(*pg_places(doc))


def pg_places(doc: Doc) -> tuple[dict[str, str], dict[str, str]]:
    """The places of a document's pairs (``{"朔州": "3A,90"}``) and of its characters' first occurrences: what its
    tsvector holds, and what ``places`` keeps of the pairs."""
    text = (doc.title + "\n" + doc.body).lower()
    title_end = len(doc.title)
    spots: dict[str, list[str]] = defaultdict(list)
    first: dict[str, str] = {}
    for match in _RUN.finditer(text):
        run, start = match.group(), match.start()
        for i, ch in enumerate(run):
            first.setdefault(ch, _place(start + i, title_end))
        for i in range(len(run) - 1):
            pair_spots = spots[run[i : i + 2]]
            if len(pair_spots) < _PG_MAX_POSITIONS:
                pair_spots.append(_place(start + i, title_end))
    return {pair: ",".join(where) for pair, where in spots.items()}, first


def tsvector_literal(spots: dict[str, str], first: dict[str, str]) -> str:
    """The tsvector literal of ``pg_places``' two parts."""
    lexemes = [f"'{lexeme}':{where}" for lexeme, where in spots.items()]
    lexemes += [f"'{ch}':{spot}" for ch, spot in first.items() if ch not in spots]
    return " ".join(lexemes)


def _place(offset: int, title_end: int) -> str:
    return f"{offset % _PG_MAX_POSITION + 1}{'A' if offset < title_end else ''}"


def rebuild(db: Db, batch: int = 2000) -> int:
    """Index every stored article from scratch (the migration's backfill); returns how many."""
    conn = plain_of(db)
    if conn.dialect == "sqlite":
        for table in SQLITE_TABLES:
            conn.run(f"INSERT INTO {table}({table}) VALUES ('delete-all')")
    elif conn.dialect == "postgresql":
        conn.run(f"DELETE FROM {pair_places.PLACES_TABLE}")
        conn.run(f"DELETE FROM {PG_TABLE}")
    else:
        return 0
    done = 0
    for docs in _stored_docs(conn, batch):
        _write(conn, docs)
        done += len(docs)
    return done


def rebuild_places(db: Db, batch: int = 2000, progress: Callable[[int], None] | None = None) -> int:
    """Fill ``places`` from scratch from the stored articles (PostgreSQL; the migration that adds it); returns how
    many articles. Their tsvectors are left as they are: the places are built by the same code. ``progress`` is
    told how many are done after each batch."""
    conn = plain_of(db)
    if conn.dialect != "postgresql":
        return 0
    conn.run(f"DELETE FROM {pair_places.PLACES_TABLE}")
    done = 0
    for docs in _stored_docs(conn, batch, f"a.id IN (SELECT article_id FROM {PG_TABLE})"):
        pair_places.write(conn, [(d.key, pg_places(d)[0]) for d in docs])
        done += len(docs)
        if progress is not None:
            progress(done)
    return done


def _stored_docs(conn: Plain, batch: int, only: str = "TRUE") -> Iterator[list[Doc]]:
    """The stored articles' index documents (those meeting the condition ``only``), ``batch`` at a time, by id."""
    last = 0
    while True:
        rows = conn.run(
            "SELECT a.id, i.issue_date, p.code, a.kicker, a.title, a.subtitle, a.text FROM articles a"
            " JOIN issues i ON i.id = a.issue_id JOIN pages p ON p.id = a.page_id"
            f" WHERE a.id > :last AND {only} ORDER BY a.id LIMIT :n",
            {"last": last, "n": batch},
        )
        if not rows:
            return
        yield [Doc(r[0], as_date(r[1]), r[2], title_of(r[3], r[4], r[5]), r[6]) for r in rows]
        last = rows[-1][0]


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# ---------------------------------------------------------------------------------------------- queries
