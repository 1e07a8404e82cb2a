"""Reading the search index: a query's terms, the keys of matching articles (newest first or by relevance),
and hits with their excerpts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from szwatch.store.plain import Plain, in_list, plain_of
from szwatch.store.text import normalize, page_label

if TYPE_CHECKING:
    from szwatch.store.plain import Db
from szwatch.store.search import pair_places
from szwatch.store.search.beside import both
from szwatch.store.search.excerpt import excerpt
from szwatch.store.search.index import (
    ID_MASK,
    MAX_TERMS,
    ORDERS,
    PG_TABLE,
    SQLITE_CHARS,
    SQLITE_PAIRS,
    article_id_of,
    as_date,
    page_token,
    pairs,
    runs,
    search_key,
    title_of,
)

T = TypeVar("T")
RANKED = 2000  # "by relevance" ranks the newest this many matches (all of them when there are fewer)


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
    paper: str | None = None  # one paper's articles only (``issues.source``)


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
    paper: str = "szrb"  # the paper's id (issues.source)
    page_label: str = ""  # the page as printed (``page_label``: 01 for Founder's node_2); ``page`` is its code


@dataclass(frozen=True)
class SearchResult:
    total: int
    hits: list[Hit]
    terms: list[str]  # the terms as matched (normal form, lower-cased): what to highlight
    total_exact: bool = True  # False: ``total`` is an upper bound (see _pg_keys)


def terms_of(text: str) -> list[str]:
    terms = [t for t in (normalize(part).lower() for part in text.split()) if t]
    return list(dict.fromkeys(terms))


def search(db: Db, query: str, limit: int = 20, paper: str | None = None) -> list[Hit]:
    """The newest ``limit`` articles containing every term of ``query`` (what ``szwatch search`` shows)."""
    try:
        return find(db, SearchQuery(query, limit=limit, paper=paper)).hits
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
    lo = search_key(query.start, ID_MASK) if query.start else None
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
    if exact or query.paper:
        source += f" JOIN articles a ON a.id = {ID_MASK} - ({table}.rowid & {ID_MASK})"
    if query.paper:
        source += " JOIN issues i ON i.id = a.issue_id"
        where.append("i.source = :paper")
        params["paper"] = query.paper
    if exact:
        for i, term in enumerate(exact):
            where.append(f"(lower(a.title) LIKE :x{i} ESCAPE '\\' OR lower(a.text) LIKE :x{i} ESCAPE '\\')")
            params[f"x{i}"] = _like(term)
    condition = " AND ".join(where)
    total = conn.run(f"SELECT count(*) FROM {source} WHERE {condition}", params)[0][0]
    # A single character carries no relevance signal worth its cost: those queries stay newest first.
    by_rank = query.order == "relevance" and table == SQLITE_PAIRS
    if by_rank and total > RANKED:
        condition += f" AND {table}.rowid >= :cut"
        params["cut"] = _newest_cut(conn, table, source, " AND ".join(where), params)
    order = f"{table}.rank, {table}.rowid DESC" if by_rank else f"{table}.rowid DESC"
    rows = conn.run(
        f"SELECT {table}.rowid FROM {source} WHERE {condition} ORDER BY {order} LIMIT :limit OFFSET :offset", params
    )
    return total, [r[0] for r in rows]


def _newest_cut(conn: Plain, table: str, source: str, condition: str, params: dict[str, Any]) -> int:
    """The key of the ``RANKED``-th newest match: ranking only the matches from there on costs a fixed amount,
    where bm25 over every match of a frequent term (100,000 articles: reading each one's size, then sorting)
    took 100 ms and more. The newest is read first: a ranked page keeps to what a reader of the paper would
    look for, and a term with fewer matches is ranked among all of them, exactly as before."""
    statement = f"SELECT {table}.rowid FROM {source} WHERE {condition} ORDER BY {table}.rowid DESC LIMIT 1 OFFSET :n"
    return int(conn.run(statement, {**params, "n": RANKED - 1})[0][0])


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
    bounds = []  # templates: the page walks the key index ({key} = d.key), counts must not (see ``counted``)
    if lo is not None:
        bounds.append("{key} >= :lo")
        params["lo"] = lo
    if hi is not None:
        bounds.append("{key} <= :hi")
        params["hi"] = hi
    if query.page:
        where.append("d.page = :page")
        params["page"] = query.page
    source = f"{PG_TABLE} d"
    if exact or query.paper:
        source += " JOIN articles a ON a.id = d.article_id"
    if query.paper:
        source += " JOIN issues i ON i.id = a.issue_id"
        where.append("i.source = :paper")
        params["paper"] = query.paper
    if exact:
        for i, term in enumerate(exact):
            where.append(f"(a.title ILIKE :x{i} OR a.text ILIKE :x{i})")
            params[f"x{i}"] = _like(term)
    condition = " AND ".join(where + [b.format(key="d.key") for b in bounds])
    # Counting and listing go through GIN, the date range checked on each match: given an indexable range, the
    # planner finds the range's rows by the key instead and reads each one's tsvector to check it (a second and
    # more for a frequent term over five years, against 10-25 ms). ``+ 0`` keeps the key index out of it.
    counted = " AND ".join(where + [b.format(key="d.key + 0") for b in bounds])
    phrase = any(len(r) > 2 for t in terms for r in runs(t))
    params["pairs"] = _tsquery(terms, phrases=False)
    loose = counted.replace("CAST(:q AS tsquery)", "CAST(:pairs AS tsquery)", 1) if phrase else counted
    # A single character carries no relevance signal worth its cost (as on SQLite): newest first.
    if query.order == "relevance" and not all(len(r) == 1 for t in terms for r in runs(t)):
        found_runs = [r for t in terms for r in runs(t)]
        pair_list: list[str] | None = [a + b for r in found_runs for a, b in itertools.pairwise(r)]
        if any(len(r) == 1 for r in found_runs):  # a character's place is not kept by pair: the tsvectors rank it
            pair_list = None
        filtered = lo is not None or hi is not None or query.page or query.paper or exact
        if len(found_runs) == 1 and len(found_runs[0]) == 2 and not filtered:
            total, keys, total_exact = (*_pg_ranked_pair(conn, found_runs[0], params["q"], query), True)
        else:
            total, keys, total_exact = _pg_ranked(conn, source, loose, params, phrase, query, pair_list)
        conn.run("RESET enable_seqscan")
        return total, keys, total_exact
    total_exact = True
    if phrase:
        total = conn.run(f"SELECT count(*) FROM {source} WHERE {loose}", params)[0][0]
        if total <= PG_EXACT_PHRASE_LIMIT:
            total = conn.run(f"SELECT count(*) FROM {source} WHERE {counted}", params)[0][0]
        else:
            total_exact = False
    else:
        total = conn.run(f"SELECT count(*) FROM {source} WHERE {counted}", params)[0][0]
    # The page: walking the key index back and checking each row costs about (offset + limit) * rows / matches
    # tsvectors read; collecting every match through GIN and sorting costs about `matches`. The planner cannot
    # tell (its estimate for a rare character is a guess), but the count just taken can: choose here.
    rows = conn.run(f"SELECT reltuples FROM pg_class WHERE relname = '{PG_TABLE}'")[0][0] or 1
    walk = (query.offset + query.limit) * max(rows, 1) / max(total, 1)
    conn.run("SET LOCAL enable_bitmapscan = off" if walk < total else "SET LOCAL enable_indexscan = off")
    statement = f"SELECT d.key FROM {source} WHERE {condition} ORDER BY d.key DESC LIMIT :limit OFFSET :offset"
    keys = [r[0] for r in conn.run(statement, params)]
    conn.run("RESET enable_seqscan; RESET enable_bitmapscan; RESET enable_indexscan")
    return total, keys, total_exact


def _pg_ranked(
    conn: Plain,
    source: str,
    loose: str,
    params: dict[str, Any],
    phrase: bool,
    query: SearchQuery,
    pair_list: list[str] | None,
) -> tuple[int, list[int], bool]:
    """By relevance: ``ts_rank`` over the newest ``RANKED`` matches, all of them when there are fewer (the rule
    since #12), with the total as newest first gives it. Finding the newest matches by walking the key index
    read the tsvector (~20 kB) of every article on the way, matching or not, and again to rank it: 10,000 of
    them for a phrase in a fifth of the archive, 160 ms of the server's CPU. Here one pass through GIN counts
    the matches and lists those in the newest part of the archive without reading a tsvector; then only the
    newest ``RANKED`` of them are read, once each. The part is first guessed wide (eight times what is needed:
    a term in an eighth of the articles fits, and a longer list of keys costs little), then widened from the
    count, which the planner's estimate for a phrase (often 1) could not do. A query made of pairs only
    (``pair_list``) is ranked from the places kept by pair (``pair_places``), not from the tsvectors."""
    rows = conn.run(f"SELECT reltuples FROM pg_class WHERE relname = '{PG_TABLE}'")[0][0] or 1
    listing = f"SELECT count(*), array_agg(d.key) FILTER (WHERE d.key >= :cut) FROM {source} WHERE {loose}"
    want = RANKED * (1.2 if phrase else 1)  # a phrase's candidates hold all its pairs, most of them the phrase
    span: float | None = want * 8
    while True:
        cut = _pg_cut(conn, int(span), params.get("hi")) if span is not None else None
        total, listed = conn.run(listing, {**params, "cut": cut or 0})[0]
        if cut is None or len(listed or []) == total:  # every match listed
            break
        if len(listed or []) >= want and not (phrase and total <= PG_EXACT_PHRASE_LIMIT):
            break
        big = total > RANKED and not (phrase and total <= PG_EXACT_PHRASE_LIMIT)
        span = max(span * 2, want * max(rows, total) / max(total, 1) * 1.25 + 100) if big and span else None
    candidates = sorted(listed or [], reverse=True)
    whole = phrase and total <= PG_EXACT_PHRASE_LIMIT  # every candidate is checked: the exact total
    found = _pg_rank(conn, candidates, params["q"], phrase, len(candidates) if whole else RANKED, pair_list)
    if phrase and len(found) < RANKED and len(candidates) < total:  # fewer phrases among them than guessed
        candidates = sorted(conn.run(listing, {**params, "cut": 0})[0][1] or [], reverse=True)
        found = _pg_rank(conn, candidates, params["q"], phrase, RANKED, pair_list)
    page = sorted(found[:RANKED], key=lambda hit: (-hit[1], -hit[0]))[query.offset : query.offset + query.limit]
    keys = [key for key, _ in page]
    if whole:
        return len(found), keys, True
    return total, keys, not phrase


def _pg_ranked_pair(conn: Plain, pair: str, tsquery: str, query: SearchQuery) -> tuple[int, list[int]]:
    """By relevance, one pair and no filter (the commonest query: a two-character word): everything from the
    places kept by pair. Its total is the sum of its rows' counts (GIN's count of every match cost 5-10 ms for
    a frequent pair), its newest ``RANKED`` matches are in its newest rows, and they are ranked there."""
    spans, held = [], 0
    every = pair_places.spans_of(conn, pair)
    for span, count in every:
        if held >= RANKED:
            break
        spans.append(span)
        held += count
    found = sorted(pair_places.ranked_in(conn, pair, spans, tsquery), reverse=True)[:RANKED] if spans else []
    page = sorted(found, key=lambda hit: (-hit[1], -hit[0]))[query.offset : query.offset + query.limit]
    return sum(count for _, count in every), [key for key, _ in page]


def _pg_rank(
    conn: Plain, candidates: list[int], tsquery: str, phrase: bool, need: int, pair_list: list[str] | None = None
) -> list[tuple[int, float]]:
    """(key, ts_rank) of the newest ``need`` candidates that match, newest first, in slices until enough of them
    do. The candidates of pairs and characters all match (GIN is exact for them); a phrase's are checked. A query
    of pairs only is ranked from the places of its pairs (``pair_places.ranked``: a few rows a pair, the same
    numbers); any other, and any candidate whose places are missing, from its tsvector, read once (the whole row
    is built once, then checked and ranked)."""
    rows_of = f"{PG_TABLE} d WHERE d.key = ANY(CAST(:keys AS bigint[]))"
    if not phrase:
        statement = f"SELECT d.key, ts_rank(d.grams, CAST(:q AS tsquery)) FROM {rows_of}"
    else:  # each OFFSET 0 keeps a level apart: flattened, the row would be built (read) once per use
        statement = (
            "SELECT s.key, s.rank FROM (SELECT t.key, (t.r).grams @@ CAST(:q AS tsquery) AS hit,"
            " ts_rank((t.r).grams, CAST(:q AS tsquery)) AS rank FROM (SELECT d.key, d AS r FROM"
            f" {rows_of} OFFSET 0) t OFFSET 0) s WHERE s.hit"
        )
    found: list[tuple[int, float]] = []
    at = 0
    while len(found) < need and at < len(candidates):
        size = int((need - len(found)) * (1.05 if phrase else 1)) + (20 if phrase else 0)
        part = candidates[at : at + size]
        if pair_list:
            ranked, missing = _ranked_from_places(conn, part, tsquery, pair_list)
            rows = ranked + [(int(k), float(r)) for k, r in _rank_rows(conn, statement, tsquery, missing)]
        else:
            rows = [(int(k), float(r)) for k, r in _rank_rows(conn, statement, tsquery, part)]
        found += sorted(rows, reverse=True)
        at += size
    return found[:need]


def _ranked_from_places(
    conn: Plain, keys: list[int], tsquery: str, pair_list: list[str]
) -> tuple[list[tuple[int, float]], list[int]]:
    """``pair_places.ranked``, a long list of keys in two halves at once: a phrase's frequent pairs fill rows of
    hundreds of places each, and unpacking them is most of what is left of the ranking."""
    parts = _in_halves(conn, keys, lambda on, part: pair_places.ranked(on, part, tsquery, pair_list))
    return [hit for found, _ in parts for hit in found], [key for _, left in parts for key in left]


SPLIT_FROM = 600  # fewer keys than this are ranked on one connection: a second one would gain less than it costs


def _rank_rows(conn: Plain, statement: str, tsquery: str, keys: list[int]) -> list[tuple[Any, ...]]:
    """The statement's rows for these keys, a long list in two halves at once: reading the tsvectors back is
    nearly all the time such a search takes on PostgreSQL."""
    if not keys:
        return []
    parts = _in_halves(conn, keys, lambda on, part: on.run(statement, {"q": tsquery, "keys": _pg_array(part)}))
    return [row for rows in parts for row in rows]


def _in_halves(conn: Plain, keys: list[int], work: Callable[[Plain, list[int]], T]) -> list[T]:
    """``work`` over the keys: at once in two halves on two connections (``beside``) from ``SPLIT_FROM`` keys on."""
    if len(keys) < SPLIT_FROM:
        return [work(conn, keys)]
    half = len(keys) // 2
    return list(both(conn, lambda on: work(on, keys[:half]), lambda on: work(on, keys[half:])))


def _pg_array(values: Iterable[int]) -> str:
    """An array literal: psycopg would adapt a list of thousands of integers one by one, in Python."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


def _pg_cut(conn: Plain, span: int, hi: int | None) -> int | None:
    """The key ``span`` articles back from the newest (from ``hi`` down, with a date filter); None: the archive
    is shorter. An index-only walk of the key: it reads no tsvector."""
    below = "WHERE key <= :hi" if hi is not None else ""
    found = conn.run(f"SELECT key FROM {PG_TABLE} {below} ORDER BY key DESC LIMIT 1 OFFSET :n", {"hi": hi, "n": span})
    return int(found[0][0]) if found else None


def _hits(conn: Plain, ids: list[int], terms: list[str]) -> list[Hit]:
    if not ids:
        return []
    params: dict[str, Any] = {}
    statement = (
        "SELECT a.id, a.kicker, a.title, a.subtitle, a.text, a.url, i.issue_date, p.code, p.name, i.source, p.number"
        " FROM articles a"
        " JOIN issues i ON i.id = a.issue_id JOIN pages p ON p.id = a.page_id"
        f" WHERE a.id IN {in_list('id', ids, params)}"
    )
    found = {row[0]: row for row in conn.run(statement, params)}
    hits = []
    for article_id in ids:
        if article_id not in found:
            continue
        _, kicker, title, subtitle, body_text, url, issue_date, code, name, paper, printed = found[article_id]
        body = body_text if any(t in body_text.lower() for t in terms) else title_of(kicker, title, subtitle)
        plain, marked = excerpt(body, terms)
        hits.append(Hit(as_date(issue_date), code, name, title, url, marked, article_id, plain, paper,
                        page_label(code, printed)))  # fmt: skip
    return hits
