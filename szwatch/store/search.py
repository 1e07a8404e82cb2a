"""Full-text search over articles that works for Chinese, for queries of any length, on years of issues.

Chinese has no spaces between words, so word tokenizers find nothing, and trigram indexes cannot answer the
one- and two-character queries that are common in Chinese (``硅``, ``平朔``). This index is character-level:
every article is indexed by its single characters (they answer one-character queries) and by its
overlapping pairs of characters (they answer two-character queries, and longer ones as a phrase of pairs:
``多晶硅`` = the pair ``多晶`` followed by ``晶硅``). Pairs are far rarer than single characters, so even a
frequent longer term reads short posting lists. Matching is exact for terms made of letters and digits (a
phrase of pairs inside one run of them is a substring of that run); a term with punctuation in it is also
checked against the stored text.

The row key is the article's issue date and id packed into one integer, so "newest first" is the index's
own order: the first page of a term found in 100,000 articles reads 20 entries of the index, not 100,000.

SQLite: one contentless FTS5 table (``search_fts``). Contentless means no second copy of the text; the price
is that a row is removed by giving the values it was indexed with, which ``remove`` recomputes from the
article before it changes. PostgreSQL: a table of ``tsvector`` rows (``search_docs``) with a GIN index; the
tsvector is built here, lexeme by lexeme, so the database's locale and text parser play no part.

The index is read and written with plain SQL (``store.plain``), never through the ORM: ``szwatch search`` on the
embedded store then reads it through sqlite3 without importing SQLAlchemy or defining the table classes, which
were nearly all of its start-up.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from szwatch.store.plain import Plain, in_list, plain_of
from szwatch.store.text import normalize

if TYPE_CHECKING:
    from szwatch.store.plain import Db

SQLITE_CHARS = "search_chars"
SQLITE_PAIRS = "search_pairs"
SQLITE_TABLES = (SQLITE_CHARS, SQLITE_PAIRS)
PG_TABLE = "search_docs"
ORDERS = ("newest", "relevance")
MAX_TERMS = 8
_ID_BITS = 32
_ID_MASK = (1 << _ID_BITS) - 1
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
    return (issue_date.toordinal() << _ID_BITS) | (_ID_MASK - article_id)


def article_id_of(key: int) -> int:
    return _ID_MASK - (key & _ID_MASK)


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
    dates = {r[0]: _as_date(r[1]) for r in conn.run(f"SELECT id, issue_date FROM issues WHERE id IN {issues}", params)}
    codes = {r[0]: r[1] for r in conn.run(f"SELECT id, code FROM pages WHERE id IN {pages}", params)}
    return [
        Doc(a.id or 0, dates[a.issue_id], codes.get(a.page_id, ""), _title_of(a.kicker, a.title, a.subtitle), a.text)
        for a in articles
    ]


def _title_of(kicker: str | None, title: str, subtitle: str | None) -> str:
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
        conn.run(f"DELETE FROM {PG_TABLE} WHERE article_id = ANY(:ids)", {"ids": [a.id for a in articles]})


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
        rows = [{"key": d.key, "id": d.article_id, "page": d.page, "grams": pg_tsvector(d)} for d in docs]
        conn.run(
            f"INSERT INTO {PG_TABLE} (key, article_id, page, grams)"
            " VALUES (:key, :id, :page, CAST(:grams AS tsvector)) ON CONFLICT (article_id)"
            " DO UPDATE SET key = excluded.key, page = excluded.page, grams = excluded.grams",
            rows,
        )


def page_token(code: str) -> str:
    return _PAGE_TOKEN + "".join(runs(code))


def pg_tsvector(doc: Doc) -> str:
    """The tsvector literal of a document: each pair at every place it occurs (a phrase of pairs needs them),
    each character once (a one-character query needs no places); title places weigh A."""
    text = (doc.title + "\n" + doc.body).lower()
    title_end = len(doc.title)
    places: dict[str, list[str]] = defaultdict(list)
    first: dict[str, str] = {}
    for match in _RUN.finditer(text):
        run, start = match.group(), match.start()
        for i, ch in enumerate(run):
            first.setdefault(ch, _place(start + i, title_end))
        for i in range(len(run) - 1):
            spots = places[run[i : i + 2]]
            if len(spots) < _PG_MAX_POSITIONS:
                spots.append(_place(start + i, title_end))
    lexemes = [f"'{lexeme}':{','.join(spots)}" for lexeme, spots in places.items()]
    lexemes += [f"'{ch}':{spot}" for ch, spot in first.items() if ch not in places]
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
        conn.run(f"DELETE FROM {PG_TABLE}")
    else:
        return 0
    done, last = 0, 0
    while True:
        rows = conn.run(
            "SELECT a.id, i.issue_date, p.code, a.kicker, a.title, a.subtitle, a.text FROM articles a"
            " JOIN issues i ON i.id = a.issue_id JOIN pages p ON p.id = a.page_id"
            " WHERE a.id > :last ORDER BY a.id LIMIT :n",
            {"last": last, "n": batch},
        )
        if not rows:
            return done
        docs = [Doc(r[0], _as_date(r[1]), r[2], _title_of(r[3], r[4], r[5]), r[6]) for r in rows]
        _write(conn, docs)
        done, last = done + len(docs), rows[-1][0]


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


# ---------------------------------------------------------------------------------------------- queries


class SearchError(ValueError):
    """A query the index cannot answer (nothing searchable in it, too many terms, a bad order)."""


@dataclass(frozen=True)
class SearchQuery:
    text: str
    start: date | None = None
    end: date | None = None
    page: str | None = None
    limit: int = 20
    offset: int = 0
    order: str = "newest"


@dataclass(frozen=True)
class Hit:
    issue_date: date
    page: str
    page_name: str | None
    title: str
    url: str
    snippet: str  # the excerpt with every hit marked 【like this】
    article_id: int = 0
    excerpt: str = field(default="", compare=False)  # the same excerpt unmarked (the web marks it itself)


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[Hit]
    terms: list[str]  # the terms as matched (normal form, lower-cased): what to highlight
    total_exact: bool = True  # False: ``total`` is an upper bound (see _pg_keys)


def terms_of(text: str) -> list[str]:
    terms = [t for t in (normalize(part).lower() for part in text.split()) if t]
    return list(dict.fromkeys(terms))


def search(db: Db, query: str, limit: int = 20) -> list[Hit]:
    """The newest ``limit`` articles containing every term of ``query`` (what ``szwatch search`` shows)."""
    try:
        return find(db, SearchQuery(query, limit=limit)).hits
    except SearchError:
        return []


def find(db: Db, query: SearchQuery) -> SearchResult:
    """One page of results and the total count, newest first or by relevance."""
    terms = terms_of(query.text)
    if query.order not in ORDERS:
        raise SearchError(f"order must be one of {', '.join(ORDERS)}")
    if len(terms) > MAX_TERMS:
        raise SearchError(f"at most {MAX_TERMS} terms")
    if not terms or not all(runs(t) for t in terms):
        raise SearchError("nothing to search for: give letters, digits or Chinese characters")
    conn = plain_of(db)
    lo = search_key(query.start, _ID_MASK) if query.start else None
    hi = search_key(query.end, 0) if query.end else None
    exact = [t for t in terms if "".join(runs(t)) != t]  # punctuation inside: the index gives a superset
    if conn.dialect == "postgresql":
        total, keys, total_exact = _pg_keys(conn, terms, exact, lo, hi, query)
    else:
        (total, keys), total_exact = _sqlite_keys(conn, terms, exact, lo, hi, query), True
    hits = _hits(conn, [article_id_of(k) for k in keys], terms)
    return SearchResult(total, hits, terms, total_exact)


def _sqlite_keys(
    conn: Plain, terms: list[str], exact: list[str], lo: int | None, hi: int | None, query: SearchQuery
) -> tuple[int, list[int]]:
    """Pairs answer every run of two or more characters (as a phrase); single characters the rest."""
    singles = [r for t in terms for r in runs(t) if len(r) == 1]
    longer = [r for t in terms for r in runs(t) if len(r) > 1]
    page = [f'"{page_token(query.page)}"'] if query.page else []
    params: dict[str, Any] = {"limit": query.limit, "offset": query.offset}
    if longer:
        table = SQLITE_PAIRS
        params["match"] = " AND ".join(
            [f'{{title body}} : "{pairs([r])}"' for r in longer] + [f"meta : {p}" for p in page]
        )
    else:
        table = SQLITE_CHARS
        params["match"] = " AND ".join([f'"{r}"' for r in singles] + page)
    where = [f"{table} MATCH :match"]
    if longer and singles:
        # The unary + keeps SQLite from handing the IN list to FTS5 as row ids to seek one by one, which runs the
        # phrase query once per row (minutes for a frequent character); the list is built once instead.
        where.append(f"+{table}.rowid IN (SELECT rowid FROM {SQLITE_CHARS} WHERE {SQLITE_CHARS} MATCH :chars)")
        params["chars"] = " AND ".join(f'"{r}"' for r in singles)
    if lo is not None:
        where.append(f"{table}.rowid >= :lo")
        params["lo"] = lo
    if hi is not None:
        where.append(f"{table}.rowid <= :hi")
        params["hi"] = hi
    source = table
    if exact:
        source += f" JOIN articles a ON a.id = {_ID_MASK} - ({table}.rowid & {_ID_MASK})"
        for i, term in enumerate(exact):
            where.append(f"(lower(a.title) LIKE :x{i} ESCAPE '\\' OR lower(a.text) LIKE :x{i} ESCAPE '\\')")
            params[f"x{i}"] = _like(term)
    condition = " AND ".join(where)
    total = conn.run(f"SELECT count(*) FROM {source} WHERE {condition}", params)[0][0]
    # A single character carries no relevance signal worth its cost: those queries stay newest first.
    by_rank = query.order == "relevance" and table == SQLITE_PAIRS
    order = f"{table}.rank, {table}.rowid DESC" if by_rank else f"{table}.rowid DESC"
    rows = conn.run(
        f"SELECT {table}.rowid FROM {source} WHERE {condition} ORDER BY {order} LIMIT :limit OFFSET :offset", params
    )
    return total, [r[0] for r in rows]


def _like(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _tsquery(terms: Iterable[str], phrases: bool = True) -> str:
    parts = []
    for term in terms:
        for run in runs(term):
            if len(run) <= 2:
                parts.append(f"'{run}'")
            else:
                joint = " <-> " if phrases else " & "
                parts.append("(" + joint.join(f"'{a}{b}'" for a, b in itertools.pairwise(run)) + ")")
    return " & ".join(parts)


PG_EXACT_PHRASE_LIMIT = 2000
PG_RANKED = 2000


def _pg_keys(
    conn: Plain, terms: list[str], exact: list[str], lo: int | None, hi: int | None, query: SearchQuery
) -> tuple[int, list[int], bool]:
    """Counting goes through the GIN index (a sequential scan would unpack every article's tsvector: seconds).
    GIN answers characters and pairs exactly, but a phrase of pairs needs each candidate's positions, i.e. its
    tsvector read back: the total of a phrase found in more than ``PG_EXACT_PHRASE_LIMIT`` candidates is
    given as the count of articles holding all its pairs, an upper bound (``total_exact`` False). The page
    itself is always exact: newest first, it walks the key index back and checks the rows it meets."""
    conn.run("SET LOCAL enable_seqscan = off")
    params: dict[str, Any] = {"q": _tsquery(terms), "limit": query.limit, "offset": query.offset}
    where = ["d.grams @@ CAST(:q AS tsquery)"]
    if lo is not None:
        where.append("d.key >= :lo")
        params["lo"] = lo
    if hi is not None:
        where.append("d.key <= :hi")
        params["hi"] = hi
    if query.page:
        where.append("d.page = :page")
        params["page"] = query.page
    source = f"{PG_TABLE} d"
    if exact:
        source += " JOIN articles a ON a.id = d.article_id"
        for i, term in enumerate(exact):
            where.append(f"(a.title ILIKE :x{i} OR a.text ILIKE :x{i})")
            params[f"x{i}"] = _like(term)
    condition = " AND ".join(where)
    total_exact = True
    if any(len(r) > 2 for t in terms for r in runs(t)):
        loose = condition.replace("CAST(:q AS tsquery)", "CAST(:pairs AS tsquery)", 1)
        params["pairs"] = _tsquery(terms, phrases=False)
        total = conn.run(f"SELECT count(*) FROM {source} WHERE {loose}", params)[0][0]
        if total <= PG_EXACT_PHRASE_LIMIT:
            total = conn.run(f"SELECT count(*) FROM {source} WHERE {condition}", params)[0][0]
        else:
            total_exact = False
    else:
        total = conn.run(f"SELECT count(*) FROM {source} WHERE {condition}", params)[0][0]
    # The page: walking the key index back and checking each row costs about (offset + limit) * rows / matches
    # tsvectors read; collecting every match through GIN and sorting costs about `matches`. The planner cannot
    # tell (its estimate for a rare character is a guess), but the count just taken can: choose here.
    rows = conn.run(f"SELECT reltuples FROM pg_class WHERE relname = '{PG_TABLE}'")[0][0] or 1
    walk = (query.offset + query.limit) * max(rows, 1) / max(total, 1)
    conn.run("SET LOCAL enable_bitmapscan = off" if walk < total else "SET LOCAL enable_indexscan = off")
    if query.order == "newest":
        statement = f"SELECT d.key FROM {source} WHERE {condition} ORDER BY d.key DESC LIMIT :limit OFFSET :offset"
    else:  # ranking reads every candidate's tsvector: the newest PG_RANKED matches are ranked
        statement = (
            f"SELECT s.key FROM (SELECT d.key, d.grams FROM {source} WHERE {condition} ORDER BY d.key DESC"
            f" LIMIT {PG_RANKED}) s ORDER BY ts_rank(s.grams, CAST(:q AS tsquery)) DESC, s.key DESC"
            " LIMIT :limit OFFSET :offset"
        )
    keys = [r[0] for r in conn.run(statement, params)]
    conn.run("RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_indexscan")
    return total, keys, total_exact


def _hits(conn: Plain, ids: list[int], terms: list[str]) -> list[Hit]:
    if not ids:
        return []
    params: dict[str, Any] = {}
    statement = (
        "SELECT a.id, a.kicker, a.title, a.subtitle, a.text, a.url, i.issue_date, p.code, p.name FROM articles a"
        " JOIN issues i ON i.id = a.issue_id JOIN pages p ON p.id = a.page_id"
        f" WHERE a.id IN {in_list('id', ids, params)}"
    )
    found = {row[0]: row for row in conn.run(statement, params)}
    hits = []
    for article_id in ids:
        if article_id not in found:
            continue
        _, kicker, title, subtitle, body_text, url, issue_date, code, name = found[article_id]
        body = body_text if any(t in body_text.lower() for t in terms) else _title_of(kicker, title, subtitle)
        plain, marked = excerpt(body, terms)
        hits.append(Hit(_as_date(issue_date), code, name, title, url, marked, article_id, plain))
    return hits


def excerpt(text: str, terms: Sequence[str], width: int = 30, mark: tuple[str, str] = ("【", "】")) -> tuple[str, str]:
    """A short excerpt around the first hit, unmarked and with every hit of every term marked.

    The excerpt keeps the text's own case; terms are matched case-insensitively (they are lower-cased).
    """
    flat = text.replace("\n", " ")
    lower = flat.lower()
    lower = lower if len(lower) == len(flat) else flat
    found = [(at, t) for t in terms if (at := lower.find(t)) >= 0]
    if not found:
        plain = flat[: width * 2] + ("…" if len(flat) > width * 2 else "")
        return plain, plain
    at, term = min(found)
    start, end = max(0, at - width), min(len(flat), at + len(term) + width)
    head, tail = ("…" if start > 0 else ""), ("…" if end < len(flat) else "")
    window = flat[start:end]
    return head + window + tail, head + mark_terms(window, terms, mark) + tail


def spans(text: str, terms: Sequence[str]) -> list[tuple[str, bool]]:
    """The text cut into pieces, each saying whether it is a hit; each hit is a piece of its own, longer
    terms claiming their characters first."""
    lower = text.lower()
    lower = lower if len(lower) == len(text) else text  # a rare letter whose lower case is longer
    owner = [0] * len(text)  # 0: no hit; k: the k-th hit
    count = 0
    for term in sorted(terms, key=len, reverse=True):
        at = lower.find(term)
        while term and at >= 0:
            if not any(owner[at : at + len(term)]):
                count += 1
                owner[at : at + len(term)] = [count] * len(term)
            at = lower.find(term, at + 1)
    pieces: list[tuple[str, bool]] = []
    last = -1
    for ch, who in zip(text, owner, strict=True):
        if pieces and who == last:
            pieces[-1] = (pieces[-1][0] + ch, bool(who))
        else:
            pieces.append((ch, bool(who)))
        last = who
    return pieces


def mark_terms(text: str, terms: Sequence[str], mark: tuple[str, str] = ("【", "】")) -> str:
    return "".join(f"{mark[0]}{piece}{mark[1]}" if flag else piece for piece, flag in spans(text, terms))
