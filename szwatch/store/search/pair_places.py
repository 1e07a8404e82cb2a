"""PostgreSQL: where each pair of characters stands in each article, kept by pair, for ranking without the tsvectors.

Ranking a frequent term by relevance means ``ts_rank`` over its 2,000 newest matches, and on PostgreSQL each match's
tsvector (about 21 kB, out of line in TOAST) costs about 12 µs to read back: 25 ms and more a search, most of it.
``ts_rank`` and a phrase's ``@@`` only ever look at the query's own lexemes, so a tsvector holding just those, with
the same places and weights, ranks exactly as the whole one does. This table keeps them: one row per pair and
ten days of issues (a 旬), holding how many articles have the pair in those days, their keys and, for each, its
places as the tsvector literal writes them (``5A,17,240``). A search reads a few rows per pair of its query, builds
each candidate's small tsvector in the server and ranks it there: the same numbers from the same function. A single
pair needs nothing else: its rows' counts are its total, its newest rows hold its newest matches.

The rows are written in the same transaction as the article's tsvector (``index._write``) and forgotten before it
changes (``forget``). Each writer of a span appends to rows of a slot of it that no other transaction holds, so two
crawls storing the same day at once never wait on each other. Migration 0016 builds them for the articles stored
before. A candidate found without all its places (which the write path never leaves) is ranked from its tsvector
rather than dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from szwatch.store.plain import Plain

PLACES_TABLE = "search_places"
SPAN_DAYS = 10  # a row holds one pair's articles of ten days: small enough to rewrite, few enough to read
PLACES_DDL = [
    f"CREATE TABLE IF NOT EXISTS {PLACES_TABLE} (pair VARCHAR(8) NOT NULL, span INTEGER NOT NULL,"
    " slot SMALLINT NOT NULL, n INTEGER NOT NULL, keys BIGINT[] NOT NULL, places TEXT[] NOT NULL,"
    " PRIMARY KEY (pair, span, slot))",
]
_SLOTS = 8  # writers of one span at once that never wait: the ninth waits for the first
_SLOT_LOCKS = 0x737A7770  # the first key of the spans' advisory locks ("szwp"; the app's own locks have one key)
_WRITE_ROWS = 20_000  # (pair, span) rows a statement: a bound on one statement's memory


def span_of(key: int) -> int:
    """The ten days of issues a search key falls in (its upper 32 bits are the issue date's ordinal)."""
    return (key >> 32) // SPAN_DAYS


def write(conn: Plain, entries: Sequence[tuple[int, dict[str, str]]]) -> None:
    """Append the places of new articles: ``(key, {pair: "5A,17"})`` each. Call ``forget`` first for articles
    indexed before (their old places would stay). One row a (pair, span, slot), its keys and places sent as array
    literals: a batch of 2,000 articles holds two million (pair, article) entries but some 25,000 rows.

    Two crawls storing the same day's articles at once (two Scrapyd nodes on one database) would share most
    rows, and the second would wait for the first to commit: each writer of a span takes a slot of it no other
    transaction holds (``_free_slot``), and its rows are those of its slot."""
    by_span: dict[int, dict[str, list[tuple[str, str]]]] = {}  # a batch is mostly one issue: one span
    for key, pairs in sorted(entries):
        table, text = by_span.setdefault(span_of(key), {}), str(key)
        for pair, spots in pairs.items():
            found = table.get(pair)
            if found is None:
                table[pair] = [(text, spots)]
            else:
                found.append((text, spots))
    slot = {span: _free_slot(conn, span) for span in sorted(by_span)}
    groups = {(pair, span): held for span, table in by_span.items() for pair, held in table.items()}
    ordered = sorted(groups)
    for start in range(0, len(ordered), _WRITE_ROWS):
        chunk = ordered[start : start + _WRITE_ROWS]
        conn.run(
            _APPEND,
            {  # one string each, split in the server (psycopg would escape every element of a list in Python); a pair
                # is letters and digits, a place digits, commas and A: nothing in them needs quoting
                "pairs": "|".join(pair for pair, _ in chunk),
                "spans": "|".join(str(span) for _, span in chunk),
                "slots": "|".join(str(slot[span]) for _, span in chunk),
                "keys": "|".join("{" + ",".join(k for k, _ in groups[g]) + "}" for g in chunk),
                "places": "|".join('{"' + '","'.join(p for _, p in groups[g]) + '"}' for g in chunk),
            },
        )


_APPEND = (
    f"INSERT INTO {PLACES_TABLE} AS t (pair, span, slot, n, keys, places)"
    " SELECT u.pair, u.span, u.slot, cardinality(CAST(u.keys AS bigint[])), CAST(u.keys AS bigint[]),"
    " CAST(u.places AS text[])"
    " FROM unnest(string_to_array(:pairs, '|'), CAST(string_to_array(:spans, '|') AS integer[]),"
    " CAST(string_to_array(:slots, '|') AS smallint[]), string_to_array(:keys, '|'), string_to_array(:places, '|'))"
    " WITH ORDINALITY AS u(pair, span, slot, keys, places, o) ORDER BY u.o"
    " ON CONFLICT (pair, span, slot) DO UPDATE"
    " SET n = t.n + excluded.n, keys = t.keys || excluded.keys, places = t.places || excluded.places"
)


def _free_slot(conn: Plain, span: int) -> int:
    """A slot of ``span`` that no other transaction is writing, held until this one ends (an advisory lock): the
    first free of eight, or the first one after waiting for it when all eight are taken."""
    key = {"space": _SLOT_LOCKS, "first": span * _SLOTS, "last": _SLOTS - 1}
    free = conn.run(
        "SELECT s FROM generate_series(0, :last) AS s WHERE pg_try_advisory_xact_lock(:space, :first + s) LIMIT 1", key
    )
    if free:
        return int(free[0][0])
    conn.run("SELECT pg_advisory_xact_lock(:space, :first)", key)
    return 0


def forget(conn: Plain, docs_table: str, article_ids: Iterable[int]) -> None:
    """Take indexed articles' places out (before their tsvectors are deleted or replaced): the pairs are read
    from the tsvectors still stored, so nothing of the old text is needed."""
    ids = sorted(set(article_ids))
    if not ids:
        return
    conn.run(
        f"WITH gone AS (SELECT l.lexeme AS pair, (d.key >> 32) / {SPAN_DAYS} AS span, array_agg(d.key) AS keys"
        f" FROM {docs_table} d CROSS JOIN LATERAL unnest(tsvector_to_array(d.grams)) AS l(lexeme)"
        " WHERE d.article_id = ANY(CAST(:ids AS integer[])) AND char_length(l.lexeme) = 2"
        " GROUP BY 1, 2 ORDER BY 1, 2)"
        f" UPDATE {PLACES_TABLE} t SET (n, keys, places) = (SELECT count(*), coalesce(array_agg(u.k ORDER BY u.o),"
        " '{}'), coalesce(array_agg(u.p ORDER BY u.o), '{}')"
        " FROM unnest(t.keys, t.places) WITH ORDINALITY AS u(k, p, o)"
        " WHERE u.k <> ALL(gone.keys)) FROM gone"
        " WHERE t.pair = gone.pair AND t.span = gone.span AND t.keys && gone.keys",  # only the rows holding them
        {"ids": "{" + ",".join(str(i) for i in ids) + "}"},
    )


_ROWS = (
    f" FROM {PLACES_TABLE} b CROSS JOIN LATERAL unnest(b.keys, b.places) AS u(k, p)"
    " WHERE b.pair = ANY(CAST(:pairs AS text[])) AND b.span = ANY(CAST(:spans AS integer[]))"
    " AND u.k IN (SELECT unnest(CAST(:keys AS bigint[])))"
)
# Each candidate's small tsvector: its places of the query's pairs, as its whole tsvector has them.
RANK = (
    "SELECT x.k, ts_rank(x.v, CAST(:q AS tsquery)), x.v @@ CAST(:q AS tsquery), x.n FROM ("
    " SELECT u.k, CAST(string_agg('''' || b.pair || ''':' || u.p, ' ') AS tsvector) AS v, count(*) AS n"
    f"{_ROWS} GROUP BY u.k OFFSET 0) x"
)
RANK_ONE = (  # one pair: one entry a candidate, nothing to group
    "SELECT x.k, ts_rank(x.v, CAST(:q AS tsquery)), true, 1 FROM ("
    f" SELECT u.k, CAST('''' || b.pair || ''':' || u.p AS tsvector) AS v{_ROWS} OFFSET 0) x"
)


def ranked(conn: Plain, keys: list[int], tsquery: str, pairs: list[str]) -> tuple[list[tuple[int, float]], list[int]]:
    """``(key, ts_rank)`` of the keys that match ``tsquery`` (a query of pairs only), ranked from their places;
    and the keys left for the caller to rank from their tsvectors: those whose places are not all there, or all
    of them when reading the rows would cost more (``worth_it``)."""
    spans = sorted({span_of(k) for k in keys})
    distinct = sorted(set(pairs))
    if not keys or not worth_it(len(keys), len(spans) * len(distinct)):
        return [], keys
    conn.run("SET LOCAL work_mem = '32MB'")  # 2,000 small tsvectors grouped in memory, not in batches on disk
    params: dict[str, Any] = {
        "q": tsquery,
        "pairs": "{" + ",".join(distinct) + "}",
        "spans": "{" + ",".join(str(s) for s in spans) + "}",
        "keys": "{" + ",".join(str(int(k)) for k in keys) + "}",
    }
    found, complete = [], set()
    for key, rank, hit, entries in conn.run(RANK_ONE if len(distinct) == 1 else RANK, params):
        if entries >= len(distinct):
            complete.add(key)
            if hit:
                found.append((int(key), float(rank)))
    conn.run("RESET work_mem")
    return found, [k for k in keys if k not in complete]


def worth_it(candidates: int, rows: int) -> bool:
    """Whether ranking ``candidates`` from ``rows`` rows of places beats reading their tsvectors. A row of a
    frequent pair holds up to 360 articles' places (about 100 µs to unpack) against 12 µs a tsvector: a term
    with 2,000 candidates in a few months of issues reads 10 to 200 rows; 20 rare candidates over ten years
    would read one row per candidate and pair, for nothing."""
    return rows * 10 <= candidates


def spans_of(conn: Plain, pair: str) -> list[tuple[int, int]]:
    """``(span, articles)`` of every ten days holding ``pair``, newest first: its total and where its newest
    matches are, from a few hundred small rows (the key index and each row's count; no array is read)."""
    rows = conn.run(
        f"SELECT span, sum(n) FROM {PLACES_TABLE} WHERE pair = :pair GROUP BY span ORDER BY span DESC", {"pair": pair}
    )
    return [(int(span), int(n)) for span, n in rows]


def ranked_in(conn: Plain, pair: str, spans: list[int], tsquery: str) -> list[tuple[int, float]]:
    """``(key, ts_rank)`` of every article holding ``pair`` in these spans (for a query of that one pair)."""
    statement = (
        "SELECT u.k, ts_rank(CAST('''' || b.pair || ''':' || u.p AS tsvector), CAST(:q AS tsquery))"
        f" FROM {PLACES_TABLE} b CROSS JOIN LATERAL unnest(b.keys, b.places) AS u(k, p)"
        " WHERE b.pair = :pair AND b.span = ANY(CAST(:spans AS integer[]))"
    )
    params = {"q": tsquery, "pair": pair, "spans": "{" + ",".join(str(s) for s in spans) + "}"}
    return [(int(key), float(rank)) for key, rank in conn.run(statement, params)]
