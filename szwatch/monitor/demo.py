"""``szwatch demo``: the whole job, offline, on the bundled replica of the paper.

Builds the replica in a work folder, serves it on a free localhost port, crawls every date of it plus the
latest issue into a fresh SQLite database, shows what landed, then runs detection with the example
watchlist and shows what it found. Nothing here is demo-only logic: it
calls the same library functions as ``szwatch crawl`` and ``szwatch search``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from szwatch.crawler.replica.build import build_replica
from szwatch.crawler.replica.server import ReplicaServer
from szwatch.crawler.run import CrawlRequest, crawl, date_range
from szwatch.monitor import render
from szwatch.monitor.detect import detect
from szwatch.monitor.watchlist import load_watchlist
from szwatch.store import detections
from szwatch.store.db import open_store, session_scope
from szwatch.store.search import search

SAMPLE_QUERIES = ("多晶硅", "烯烃")


def run_demo(workdir: Path, echo: Callable[[str], None]) -> int:
    workdir = workdir.resolve()
    shutil.rmtree(workdir, ignore_errors=True)
    manifest = build_replica(workdir / "replica")
    db_url = f"sqlite:///{workdir / 'demo.db'}"
    engine = open_store(db_url)
    echo(f"replica: {len(manifest.dates)} issues, {manifest.pages} pages, {manifest.articles} articles")
    with ReplicaServer(workdir / "replica") as site:
        echo(f"serving the replica at {site.url}; crawling into {db_url}")
        days = date_range(min(manifest.dates), max(manifest.dates + manifest.missing))
        report = crawl(CrawlRequest(latest=True, dates=days, base_url=site.url, delay=0, concurrency=8), engine)
    echo(render.crawl_summary(report))
    with session_scope(engine) as session:
        for query in SAMPLE_QUERIES:
            hits = search(session, query, limit=3)
            echo(f"\nszwatch search {query}  ({len(hits)} shown)")
            echo(render.hits_table(hits) if hits else "  (nothing)")
    watchlist = load_watchlist()
    echo(f"\nszwatch detect  (watchlist: {watchlist.path.name}, {len(watchlist.watches)} watches)")
    echo(render.detect_summary(detect(engine, watchlist)))
    with session_scope(engine) as session:
        mentions = list(detections.mention_rows(session, "dongli-polysilicon"))[:3]
        gdp = list(detections.observation_rows(session, "gdp"))
    echo("\nszwatch mentions dongli-polysilicon  (first 3)")
    echo(render.mentions_table(mentions))
    echo("\nszwatch indicators gdp")
    echo(render.indicators_table(gdp))
    echo(f"\ntry: szwatch --db {db_url} search 集大原   |   szwatch --db {db_url} indicators fai")
    return report.exit_code
