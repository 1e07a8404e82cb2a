"""Search benchmark (prints figures; not a test).

Builds a synthetic archive of about ten years of the paper (120,000 full-length articles by default, composed
from the replica's corpus: paragraphs of several articles shuffled, figures varied, invented names sprinkled
in so that rare terms exist) on SQLite and, when a PostgreSQL URL is given (``--pg`` or ``SZWATCH_TEST_PG``),
on PostgreSQL; then measures p50/p95 latency of the first page of results for 1-, 2-, 3- and 5-character
queries, frequent and rare: through the library (``store.search.find``), through the web API
(``GET /api/search`` of ``szwatch web`` served by uvicorn on localhost), and as a user types it: the whole
``szwatch search`` command, start-up included (a new process each time). Goal: p95 <= 50 ms for the library and
the API; the command's start-up goal is 0.4 s (``bench/startup.py``).

On SQLite, articles go in through the store's real write path (``save_articles``, which keeps the index in
step) in batches of 1,000; issues and pages are bulk-inserted. On PostgreSQL the same archive is written with
COPY (``archive.build_bulk``: the same rows and index values, made by the store's own functions; the GIN index
built once at the end), as the write path ran at 25 articles/s on the busy machine (``--write-path`` to use it
anyway). A built archive is reused when the database already holds it (``--rebuild`` to start over).

On PostgreSQL the relevance rows also give the query's cost in the server: the wall time of the SQL statements
the library sends, and the CPU time the server process spent on them (``/proc/PID/schedstat`` of the backend,
same machine), which a loaded machine barely moves where it stretches every wall time.

    .venv/bin/python bench/search.py [--articles 120000] [--sqlite PATH] [--pg URL] [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from archive import RARE_CHARS, build, build_bulk
from record import recorded  # bench/record.py: the dated record of this run
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from szwatch.store.db import open_store
from szwatch.store.search import SearchQuery, find
from szwatch.store.search import query as search_query

ROOT = Path(__file__).resolve().parents[1]
FREQUENT = {1: ["市", "发", "项"], 2: ["发展", "项目", "企业"], 3: ["朔州市", "平鲁区", "新能源"],
            5: ["高质量发展", "固定资产投", "煤基烯烃一"]}  # fmt: skip


def article_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM articles")).scalar_one()


def rare_queries(engine: Engine, rng: random.Random) -> dict[int, list[str]]:
    """Rare terms that exist: invented reporters' given names and full names, firms, rare characters."""
    with engine.connect() as conn:
        bylines = [r[0] for r in conn.execute(text("SELECT byline FROM articles ORDER BY id LIMIT 3000"))]
        firms = [
            r[0] for r in conn.execute(text("SELECT text FROM articles WHERE text LIKE '%新材料有限公司%' LIMIT 200"))
        ]
    names = [b.removeprefix("记者 ") for b in bylines if b]
    firm_names = [m for t in firms for m in re.findall(r"朔州(..)新材料有限公司", t)]
    return {
        1: list(RARE_CHARS[:3]),
        2: [rng.choice(names)[1:] for _ in range(3)],
        3: [rng.choice(names) for _ in range(3)],
        5: [f"{f}新材料" for f in rng.sample(sorted(set(firm_names)), 3)],
    }


def measure(call: Callable[[str], int], queries: list[str], rounds: int) -> tuple[float, float, int]:
    """p50 and p95 in ms over every query × round (each query once as a warm-up), and the largest total."""
    p50, p95, most, _ = measure_cpu(call, queries, rounds)
    return p50, p95, most


def measure_cpu(call: Callable[[str], int], queries: list[str], rounds: int) -> tuple[float, float, int, list[float]]:
    """As ``measure``, plus p50 and p95 of this process's CPU time per call (ms): for the library on SQLite that
    is all the work, and a busy machine barely moves it, where it stretches the wall time."""
    totals = [call(q) for q in queries]
    samples, cpu = [], []
    for _ in range(rounds):
        for q in queries:
            started, used = time.perf_counter(), time.process_time()
            call(q)
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
    samples.sort()
    cpu.sort()
    return (statistics.median(samples), samples[int(len(samples) * 0.95) - 1], max(totals),
            [statistics.median(cpu), cpu[int(len(cpu) * 0.95) - 1]])  # fmt: skip


def library_call(engine: Engine, order: str = "newest") -> Callable[[str], int]:
    def call(q: str) -> int:
        with Session(engine) as session:
            return find(session, SearchQuery(q, limit=20, order=order)).total

    return call


def api_call(client: httpx.Client, order: str = "newest") -> Callable[[str], int]:
    def call(q: str) -> int:
        response = client.get("/api/search", params={"q": q, "limit": 20, "order": order})
        response.raise_for_status()
        return response.json()["total"]

    return call


def command_call(db_url: str) -> Callable[[str], int]:
    """The whole ``szwatch search`` command in a new process; returns how many results it printed."""
    env = {**os.environ, "SZWATCH_DB": db_url}

    def call(q: str) -> int:
        done = subprocess.run([sys.executable, "-m", "szwatch", "--quiet", "search", q, "--json"], env=env,
                              capture_output=True, text=True, check=True)  # fmt: skip
        return len(done.stdout.splitlines())

    return call


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "SZWATCH_DB": db_url}
    server = subprocess.Popen([sys.executable, "-m", "szwatch", "--quiet", "web", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("szwatch web did not start")


class ServerClock:
    """The SQL a call sends to PostgreSQL: the wall time of its statements and the CPU time the server processes
    answering them spent (``/proc/PID/schedstat``, nanoseconds; the server runs on this machine). A ranked search
    reads half its matches on a second connection at the same time (``store.search.beside``): that backend's CPU
    is added, but not its wall time, which overlaps the caller's own statements."""

    def __init__(self, engine: Engine) -> None:
        self.wall = self.cpu = 0.0
        self._lock = threading.Lock()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.wall = self.cpu = 0.0

    def _before(self, conn: Any, *_: object) -> None:
        conn.info["bench_started"] = (time.perf_counter(), _backend_cpu(conn))

    def _after(self, conn: Any, *_: object) -> None:
        wall, cpu = conn.info.pop("bench_started")
        with self._lock:
            if threading.current_thread() is threading.main_thread():
                self.wall += time.perf_counter() - wall
            self.cpu += _backend_cpu(conn) - cpu


def _backend_cpu(conn: Any) -> float:
    pid = conn.connection.driver_connection.info.backend_pid
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e9


def measure_server(clock: ServerClock, call: Callable[[str], int], queries: list[str], rounds: int) -> list[float]:
    """p50 and p95 (ms) of the SQL's wall time and of the server's CPU time per call (each query once first)."""
    for q in queries:
        call(q)
    wall, cpu = [], []
    for _ in range(rounds):
        for q in queries:
            clock.reset()
            call(q)
            wall.append(clock.wall * 1000)
            cpu.append(clock.cpu * 1000)
    wall.sort()
    cpu.sort()
    at = int(len(wall) * 0.95) - 1
    return [statistics.median(wall), wall[at], statistics.median(cpu), cpu[at]]


def bench_database(label: str, db_url: str, count: int, rounds: int, rebuild: bool, newest: bool = True,
                   write_path: bool = False) -> None:  # fmt: skip
    engine = open_store(db_url)
    have = article_count(engine)
    if rebuild or have != count:
        if have:
            print(f"{label}: the database holds {have:,} articles, not {count:,}: give an empty one or --rebuild")
            if not rebuild:
                return
            empty_database(db_url)
            engine = open_store(db_url)
        bulk = engine.dialect.name == "postgresql" and not write_path
        print(f"{label}: building {count:,} articles" + (" with COPY (archive.build_bulk)" if bulk else ""))
        seconds = (build_bulk if bulk else build)(engine, count)
        print(f"{label}: built in {seconds:.0f} s ({count / seconds:.0f} articles/s, index included)")
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    _report_size(label, engine)
    rare = rare_queries(engine, random.Random(7))
    server, url = serve(db_url)
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            if newest:
                _newest_rows(label, engine, client, db_url, count, rounds, rare)
            _relevance_rows(label, engine, client, count, rounds, rare)
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine.dispose()


def _newest_rows(label: str, engine: Engine, client: httpx.Client, db_url: str, count: int, rounds: int,
                 rare: dict[int, list[str]]) -> None:  # fmt: skip
    print(f"\n{label}: first page (20 results, newest first) of {count:,} articles; ms")
    print(f"{'query':<22} {'library p50':>11} {'p95':>7} {'API p50':>9} {'p95':>7} {'command p50':>11} "
          f"{'p95':>7}   matches (largest)")  # fmt: skip
    for length in (1, 2, 3, 5):
        for kind, queries in (("frequent", FREQUENT[length]), ("rare", rare[length])):
            lib = measure(library_call(engine), queries, rounds)
            api = measure(api_call(client), queries, rounds)
            cmd = measure(command_call(db_url), queries, max(2, rounds // 5))
            print(f"{length} char(s), {kind:<9} {lib[0]:>11.1f} {lib[1]:>7.1f} {api[0]:>9.1f} {api[1]:>7.1f} "
                  f"{cmd[0]:>11.1f} {cmd[1]:>7.1f}   {api[2]:,}  ({' '.join(queries)})")  # fmt: skip
    two = ["朔州 项目", "平鲁区 煤", "发展 鑫"]
    lib = measure(library_call(engine), two, rounds)
    api = measure(api_call(client), two, rounds)
    print(f"{'two terms':<22} {lib[0]:>11.1f} {lib[1]:>7.1f} {api[0]:>9.1f} {api[1]:>7.1f}   {api[2]:,}")


def _relevance_rows(label: str, engine: Engine, client: httpx.Client, count: int, rounds: int,
                    rare: dict[int, list[str]]) -> None:  # fmt: skip
    """The first page by relevance (``order=relevance``), every query length, frequent and rare (issue #20)."""
    print(f"\n{label}: first page (20 results) BY RELEVANCE of {count:,} articles; ms")
    print(f"{'query':<22} {'library p50':>11} {'p95':>7} {'CPU p50':>8} {'p95':>7} {'API p50':>9} {'p95':>7}"
          "   matches (largest)")  # fmt: skip
    for length in (1, 2, 3, 5):
        for kind, queries in (("frequent", FREQUENT[length]), ("rare", rare[length])):
            lib = measure_cpu(library_call(engine, "relevance"), queries, rounds)
            api = measure(api_call(client, "relevance"), queries, rounds)
            print(f"{length} char(s), {kind:<9} {lib[0]:>11.1f} {lib[1]:>7.1f} {lib[3][0]:>8.1f} {lib[3][1]:>7.1f} "
                  f"{api[0]:>9.1f} {api[1]:>7.1f}   {api[2]:,}  ({' '.join(queries)})")  # fmt: skip
    if engine.dialect.name == "postgresql":
        _server_rows(label, engine, count, rounds, rare)


def _server_rows(label: str, engine: Engine, count: int, rounds: int, rare: dict[int, list[str]]) -> None:
    """The same queries by relevance, timed in the server: the SQL's wall time and the server's CPU time."""
    clock = ServerClock(engine)
    print(f"\n{label}: the same, BY RELEVANCE, in the server (every statement of the call); ms")
    print(f"{'query':<22} {'SQL wall p50':>12} {'p95':>7} {'server CPU p50':>14} {'p95':>7}")
    for length in (1, 2, 3, 5):
        for kind, queries in (("frequent", FREQUENT[length]), ("rare", rare[length])):
            wall50, wall95, cpu50, cpu95 = measure_server(clock, library_call(engine, "relevance"), queries, rounds)
            print(f"{length} char(s), {kind:<9} {wall50:>12.1f} {wall95:>7.1f} {cpu50:>14.1f} {cpu95:>7.1f}")


def compare_trigram(db_url: str, rounds: int) -> None:
    """The alternative measured before choosing: pg_trgm's GIN index on the text, queried with LIKE (what the
    store did before): the first page newest first and the count, for the same frequent and rare terms."""
    engine = create_engine(db_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
        started = time.perf_counter()
        conn.execute(text("CREATE INDEX IF NOT EXISTS bench_text_trgm ON articles USING gin (text gin_trgm_ops)"))
        size = conn.execute(text("SELECT pg_relation_size('bench_text_trgm')")).scalar_one()
        print(
            f"\npg_trgm: GIN index on articles.text built in {time.perf_counter() - started:.0f} s, {size / 2**20:,.0f} MB"
        )
        conn.execute(text("ANALYZE articles"))
    rare = rare_queries(engine, random.Random(7))

    def call(q: str) -> int:
        pattern = f"%{q}%"
        with engine.connect() as conn:
            conn.execute(text("SET statement_timeout = '20s'"))
            total = conn.execute(text("SELECT count(*) FROM articles WHERE text LIKE :p"), {"p": pattern}).scalar_one()
            conn.execute(text("SELECT a.id FROM articles a JOIN issues i ON i.id = a.issue_id WHERE a.text LIKE :p"
                              " ORDER BY i.issue_date DESC, a.id LIMIT 20"), {"p": pattern}).all()  # fmt: skip
            return total

    print(f"{'query (pg_trgm + LIKE)':<22} {'p50':>11} {'p95':>7}   matches (largest)")
    for length in (1, 2, 3, 5):
        for kind, queries in (("frequent", FREQUENT[length]), ("rare", rare[length])):
            p50, p95, most = measure(call, queries, max(1, rounds // 15))
            print(f"{length} char(s), {kind:<9} {p50:>11.1f} {p95:>7.1f}   {most:,}")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("DROP INDEX IF EXISTS bench_text_trgm"))
    engine.dispose()


def _report_size(label: str, engine: Engine) -> None:
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            pages = (
                conn.execute(text("PRAGMA page_count")).scalar_one()
                * conn.execute(text("PRAGMA page_size")).scalar_one()
            )
            index = (
                conn.execute(
                    text(
                        "SELECT (SELECT sum(length(block)) FROM search_pairs_data) + (SELECT sum(length(block)) FROM search_chars_data)"
                    )
                ).scalar_one()
                or 0
            )
            print(f"{label}: database {pages / 2**20:,.0f} MB, of which the search index {index / 2**20:,.0f} MB")
        else:
            total = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            index = conn.execute(text("SELECT pg_total_relation_size('search_docs')")).scalar_one()
            kept = conn.execute(text("SELECT pg_total_relation_size('search_places')")).scalar_one()
            print(f"{label}: database {total / 2**20:,.0f} MB, of which the search index {index / 2**20:,.0f} MB"
                  f" and the places kept by pair {kept / 2**20:,.0f} MB")  # fmt: skip


def empty_database(db_url: str) -> None:
    """Remove a SQLite file, or drop every table of a PostgreSQL database (the store creates them again)."""
    if db_url.startswith("sqlite"):
        path = Path(db_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=120_000)
    parser.add_argument("--sqlite", default=str(ROOT / "bench-search" / "search.db"), help="SQLite file (kept)")
    parser.add_argument(
        "--pg", default=os.environ.get("SZWATCH_TEST_PG"), help="PostgreSQL URL (its schema is replaced)"
    )
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--rebuild", action="store_true", help="empty the databases and build again")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--compare-trigram", action="store_true", help="also time pg_trgm + LIKE on PostgreSQL")
    parser.add_argument("--relevance-only", action="store_true", help="only the relevance rows (issue #20)")
    parser.add_argument("--write-path", action="store_true", help="build PostgreSQL's archive with save_articles")
    parser.add_argument("--one-connection", action="store_true",
                        help="rank on one connection, as before #20's split (the library and server rows only: the "
                        "API's server is another process)")  # fmt: skip
    args = parser.parse_args()
    if args.one_connection:
        search_query.SPLIT_FROM = 1 << 62
    if args.only != "postgresql":
        bench_database(
            "SQLite", f"sqlite:///{args.sqlite}", args.articles, args.rounds, args.rebuild, not args.relevance_only
        )
    if args.pg and args.only != "sqlite":
        bench_database("PostgreSQL", args.pg, args.articles, args.rounds, args.rebuild, not args.relevance_only,
                       args.write_path)  # fmt: skip
        if args.compare_trigram:
            compare_trigram(args.pg, args.rounds)


if __name__ == "__main__":
    with recorded("search"):
        main()
