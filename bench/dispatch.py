"""A backfill through Scrapyd nodes against the local dispatcher (prints figures; not a test).

Two papers (the 朔州日报 and 山西日报 replicas, each on its own server: one host per paper) × 30 issues each are
crawled into one PostgreSQL three ways: the local dispatcher (the daemon's child process, one crawl after the
other), one Scrapyd node, and two. The replicas are our own servers, so the polite delay is shortened to
``--delay`` seconds (the real sites' profiles ask 1 s); per host it still holds, as Scrapy enforces it per site.
Printed: wall seconds of the backfill, CPU seconds (user+sys) of everything it ran — this process, the crawler
children, the Scrapyd nodes and their jobs, start-up and deploy included — which load on a shared machine barely
moves, and articles stored against the replicas'. Needs ``SZWATCH_TEST_PG`` (or ``--db``): a database to reset.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from record import recorded  # bench/record.py: the dated record of this run
from sqlalchemy import create_engine, text
from sqlmodel import Session, func, select

from szwatch.common.logs import configure_logging
from szwatch.crawler.dispatch import LocalDispatcher
from szwatch.crawler.dispatch.scrapyd import ScrapydDispatcher
from szwatch.crawler.dispatch.scrapyd_api import ScrapydClient
from szwatch.crawler.run import CrawlReport, CrawlRequest
from szwatch.replica.build import ReplicaSpec, build_replica
from szwatch.replica.scrapyd_node import ScrapydNode
from szwatch.replica.server import ReplicaServer
from szwatch.store.db import open_store
from szwatch.store.models import Article

PAPERS = [("szrb", "szrb", "朔州日报"), ("sxrb", "sxrb", "山西日报")]  # (profile, folder, name)


def cpu() -> float:
    """User+sys seconds of this process and every child it has waited for (and theirs)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def reset(url: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    admin.dispose()


def backfill(
    label: str, url: str, requests: Sequence[CrawlRequest], make: Callable[[], tuple[object, list[ScrapydNode]]]
) -> None:
    reset(url)
    engine = open_store(url)
    before_cpu, before = cpu(), time.monotonic()
    dispatcher, nodes = make()
    started = time.monotonic()
    reports: list[CrawlReport] = dispatcher.run(requests)  # type: ignore[attr-defined]
    wall = time.monotonic() - started
    for node in nodes:
        node.stop()
    used = cpu() - before_cpu
    with Session(engine) as session:
        articles = session.exec(select(func.count()).select_from(Article)).one()
    statuses = ",".join(r.status for r in reports)
    print(f"{label:<18} {wall:>9.1f} {time.monotonic() - before:>12.1f} {used:>8.1f} {articles:>9} {statuses}")
    engine.dispose()


def nodes_for(count: int, root: Path, url: str, work: Path) -> Callable[[], tuple[object, list[ScrapydNode]]]:
    def make() -> tuple[object, list[ScrapydNode]]:
        nodes = [ScrapydNode(root / f"{work.name}-{i}", max_proc=2).start() for i in range(count)]
        deploy = [sys.executable, "-m", "szwatch", "scrapyd", "deploy", *(f"--node={n.url}" for n in nodes)]
        subprocess.run(deploy, check=True, capture_output=True, timeout=300)
        engine = open_store(url)
        return ScrapydDispatcher(engine, [n.url for n in nodes], ScrapydClient(), url, poll_seconds=1.0), nodes

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("SZWATCH_TEST_PG"), help="a PostgreSQL URL it may reset")
    parser.add_argument("--issues", type=int, default=30)
    parser.add_argument("--delay", type=float, default=0.1, help="seconds between requests to one host")
    parser.add_argument("--per-page", type=int, default=6)
    args = parser.parse_args()
    if not args.db:
        sys.exit("bench/dispatch.py: give --db or SZWATCH_TEST_PG (a PostgreSQL database it may reset)")
    configure_logging("WARNING")
    with tempfile.TemporaryDirectory() as work, _servers(Path(work), args) as (servers, expected, days):
        root = Path(work)
        requests = [CrawlRequest(dates=days, base_url=server.url, profile=profile, delay=args.delay, timeout=10)
                    for (profile, _, _), server in zip(PAPERS, servers, strict=True)]  # fmt: skip
        print(f"2 papers × {len(days)} issues, {expected} articles; delay {args.delay} s per host")
        print(f"{'dispatcher':<18} {'backfill s':>9} {'with start s':>12} {'CPU s':>8} {'articles':>9} runs")
        backfill("local", args.db, requests, lambda: (LocalDispatcher(open_store(args.db)), []))
        backfill("scrapyd, 1 node", args.db, requests, nodes_for(1, root, args.db, root / "one"))
        backfill("scrapyd, 2 nodes", args.db, requests, nodes_for(2, root, args.db, root / "two"))


class _servers:
    """Both replicas, built and served; yields the servers, the articles they hold and the issue days."""

    def __init__(self, root: Path, args: argparse.Namespace) -> None:
        self.root, self.args = root, args
        self.servers: list[ReplicaServer] = []

    def __enter__(self) -> tuple[list[ReplicaServer], int, tuple[date, ...]]:
        weeks = -(-self.args.issues // 5)
        expected = 0
        days: tuple[date, ...] = ()
        for profile, code, name in PAPERS:
            spec = ReplicaSpec(weeks=weeks, pages=2, per_page=self.args.per_page, holidays=(), family="shtml",
                               code=code, name=name)  # fmt: skip
            manifest = build_replica(self.root / profile, spec)
            days = tuple(manifest.dates[: self.args.issues])
            expected += sum(len(list((self.root / profile / "shtml" / code / f"{d:%Y%m%d}").glob("[0-9]*.shtml")))
                            for d in days)  # fmt: skip
            self.servers.append(ReplicaServer(self.root / profile).start())
        return self.servers, expected, days

    def __exit__(self, *exc: object) -> None:
        for server in self.servers:
            server.stop()


if __name__ == "__main__":
    with recorded("dispatch"):
        main()
