"""What one relevance query costs PostgreSQL per candidate, and whether the tsvector's storage could cut it (prints
figures; not a test).

Ranking by relevance reads the tsvector of each of the newest 2,000 matches (issue #20, point 3). This bench takes
those rows of an archive built by ``bench/search.py`` and measures, in the server's CPU time (``/proc/PID/schedstat``
of the backend, which load barely moves), what a statement over them costs: the keys alone, reading (detoasting)
each tsvector, ranking it, and the phrase statement of ``store.search.query``; then the same rows copied into a
table whose tsvector column is lz4-compressed, and the counting pass. It also says how the archive's tsvectors are
stored (``pg_column_compression``: none means out of line and uncompressed). Only scratch tables are written
(``bench_storage_*``, dropped at the end).

    .venv/bin/python bench/search_storage.py --pg postgresql+psycopg://…/szwatch_bench_20i [--rounds 8]
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

import psycopg
from record import recorded  # bench/record.py: the dated record of this run

QUERIES = {"发展": ("'发展'", "'发展'"), "朔州市": ("'朔州' <-> '州市'", "'朔州' & '州市'"),
           "高质量发展": ("'高质' <-> '质量' <-> '量发' <-> '发展'", "'高质' & '质量' & '量发' & '发展'")}  # fmt: skip
RANKED = 2000
VARIANTS = {"bench_storage_lz4": "lz4", "bench_storage_pairs": "pairs only"}
ROWS = "{table} d WHERE d.key = ANY(%(keys)s)"
STATEMENTS = {
    "keys only": "SELECT count(*) FROM " + ROWS,
    "read each tsvector": "SELECT sum(length(d.grams)) FROM " + ROWS,
    "ts_rank": "SELECT sum(ts_rank(d.grams, CAST(%(q)s AS tsquery))) FROM " + ROWS,
    "check and rank (query.py)": "SELECT count(*) FROM (SELECT t.key, (t.r).grams @@ CAST(%(q)s AS tsquery) AS hit,"
    " ts_rank((t.r).grams, CAST(%(q)s AS tsquery)) AS rank FROM (SELECT d.key, d AS r FROM " + ROWS + " OFFSET 0) t"
    " OFFSET 0) s WHERE s.hit",
}


class Server:
    """One connection and the CPU time its backend spent (ms)."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
        self.conn.execute("SET enable_seqscan = off")
        self._stat = Path(f"/proc/{self.conn.info.backend_pid}/schedstat")

    def cpu_ms(self) -> float:
        return int(self._stat.read_text().split()[0]) / 1e6

    def cost(self, statement: str, params: dict, rounds: int) -> float:
        """Median server CPU (ms) of a statement, run once first."""
        spent = []
        for _ in range(rounds + 1):
            before = self.cpu_ms()
            self.conn.execute(statement, params).fetchall()
            spent.append(self.cpu_ms() - before)
        return statistics.median(spent[1:])


def storage(server: Server) -> None:
    rows = server.conn.execute(
        "SELECT coalesce(pg_column_compression(grams), 'none'), count(*), avg(pg_column_size(grams))"
        " FROM search_docs GROUP BY 1"
    ).fetchall()
    for method, count, size in rows:
        print(f"search_docs.grams: {count:,} stored with compression {method}, {size / 1024:.1f} kB each on average")


def per_candidate(server: Server, rounds: int) -> None:
    """The newest 2,000 candidates of each query, as stored and copied into an lz4 column."""
    print(f"\nserver CPU (ms, median of {rounds}) of one statement over the newest {RANKED:,} candidates")
    print(f"{'query':<12} {'storage':<22} " + " ".join(f"{name:>26}" for name in STATEMENTS))
    for term, (q, loose) in QUERIES.items():
        keys = [r[0] for r in server.conn.execute("SELECT key FROM search_docs WHERE grams @@ CAST(%s AS tsquery)"
                                                  " ORDER BY key DESC LIMIT %s", (loose, RANKED))]  # fmt: skip
        tables = [("search_docs", "as stored")]
        for table, label in VARIANTS.items():
            size = _copy(server, table, keys)
            tables.append((table, f"{label} ({size / 1024:.1f} kB)"))
        for table, label in tables:
            costs = [server.cost(s.format(table=table), {"keys": keys, "q": q}, rounds) for s in STATEMENTS.values()]
            print(f"{term:<12} {label:<22} " + " ".join(f"{c:>26.1f}" for c in costs))
        server.conn.execute(f"DROP TABLE {', '.join(VARIANTS)}")


def _copy(server: Server, table: str, keys: list[int]) -> float:
    """The candidates' rows in a scratch table; returns the average stored size of a tsvector (bytes)."""
    server.conn.execute(f"DROP TABLE IF EXISTS {table}")
    compression = " COMPRESSION lz4" if table.endswith("lz4") else ""
    server.conn.execute(f"CREATE TABLE {table} (key bigint PRIMARY KEY, grams tsvector{compression})")
    # A new value (through text) is compressed with the column's method; a copied one would keep its old form.
    value = "grams::text::tsvector"
    if table.endswith("pairs"):  # only the pairs: what a second, pairs-only ranking column would hold
        value = "ts_delete(grams, ARRAY(SELECT lexeme FROM unnest(grams) WHERE char_length(lexeme) = 1))"
    server.conn.execute(f"INSERT INTO {table} SELECT key, {value} FROM search_docs WHERE key = ANY(%s)", (keys,))
    server.conn.execute(f"VACUUM ANALYZE {table}")
    return float(server.conn.execute(f"SELECT avg(pg_column_size(grams)) FROM {table}").fetchone()[0])


def counting(server: Server, rounds: int) -> None:
    """The counting pass of ``_pg_ranked`` against a bare count: both visit every matching row's heap page."""
    print(f"\nthe counting pass: server CPU (ms, median of {rounds}) and heap pages visited by a bare count")
    cut = server.conn.execute("SELECT key FROM search_docs ORDER BY key DESC LIMIT 1 OFFSET 19200").fetchone()[0]
    for term, (_, loose) in QUERIES.items():
        listing = server.cost("SELECT count(*), array_agg(d.key) FILTER (WHERE d.key >= %(cut)s) FROM search_docs d"
                              " WHERE d.grams @@ CAST(%(q)s AS tsquery)", {"q": loose, "cut": cut}, rounds)  # fmt: skip
        bare = server.cost("SELECT count(*) FROM search_docs d WHERE d.grams @@ CAST(%(q)s AS tsquery)",
                           {"q": loose}, rounds)  # fmt: skip
        plan = server.conn.execute("EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM search_docs d"
                                   " WHERE d.grams @@ CAST(%s AS tsquery)", (loose,)).fetchall()  # fmt: skip
        heap = next((r[0].strip() for r in plan if "Heap Blocks" in r[0]), "?")
        print(f"{term:<12} count and list {listing:6.1f}   bare count {bare:6.1f}   ({heap})")


def arguments(description: str) -> argparse.Namespace:
    """``--pg`` (a built archive) and ``--rounds``: what this bench and ``search_screen`` take."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--pg", default=os.environ.get("SZWATCH_TEST_PG"), help="PostgreSQL URL of a built archive")
    parser.add_argument("--rounds", type=int, default=8)
    return parser.parse_args()


def main() -> None:
    args = arguments(__doc__.splitlines()[0])
    server = Server(args.pg)
    print(server.conn.execute("SELECT version()").fetchone()[0])
    storage(server)
    per_candidate(server, args.rounds)
    counting(server, args.rounds)


if __name__ == "__main__":
    with recorded("search-storage"):
        main()
