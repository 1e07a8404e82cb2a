"""Crawl benchmark (prints figures; not a test).

On a large replica (about 60 issues × 4 pages × 12 articles) served on localhost, in one run:
(a) a full crawl into SQLite through szwatch's crawler, pages/s;
(b) a bare Scrapy CrawlSpider that downloads and parses the same pages and stores nothing;
(c) an incremental re-crawl of the same dates: time and requests;
(d) peak RSS of the crawl process.
Goals: (a) ≥ 0.7 × (b); (c) ≥ 10 × faster than (a) with no article requests; (d) < 300 MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from szwatch.common.logs import configure_logging
from szwatch.crawler.run import CrawlRequest, crawl, date_range
from szwatch.replica.build import ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.store.db import open_store

HERE = Path(__file__).resolve().parent


def peak_child_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--per-page", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    configure_logging("WARNING")
    work = Path(tempfile.mkdtemp(prefix="szwatch-bench-"))
    manifest = build_replica(work / "site", ReplicaSpec(weeks=args.weeks, per_page=args.per_page, holidays=()))
    print(f"replica: {len(manifest.dates)} issues, {manifest.pages} pages, {manifest.articles} articles")
    engine = open_store(f"sqlite:///{work / 'bench.db'}")
    days = date_range(manifest.dates[0], manifest.dates[-1])
    request = CrawlRequest(dates=days, delay=0, concurrency=args.concurrency, log_level="WARNING")
    with ReplicaServer(work / "site") as site:
        request = CrawlRequest(**{**request.__dict__, "base_url": site.url})
        bare = run_bare(site.url, args.concurrency)
        started = time.perf_counter()
        full = crawl(request, engine)
        full_seconds = time.perf_counter() - started
        rss = peak_child_rss_mb()
        started = time.perf_counter()
        again = crawl(request, engine)
        again_seconds = time.perf_counter() - started
    fetched = manifest.pages + full.stats["article_requests"]
    full_rate, bare_rate = fetched / full_seconds, bare["responses"] / bare["seconds"]
    print(
        f"(a) full crawl into SQLite: {full_seconds:.1f} s, {fetched} pages, {full_rate:.0f} pages/s "
        f"(status {full.status}, {full.stats['articles_new']} articles stored)"
    )
    print(
        f"(b) bare CrawlSpider, stores nothing: {bare['seconds']:.1f} s, {bare['responses']} responses, "
        f"{bare_rate:.0f} pages/s  →  (a)/(b) = {full_rate / bare_rate:.2f} (goal ≥ 0.7)"
    )
    print(
        f"(c) incremental re-crawl: {again_seconds:.2f} s, {again.stats['requests']} requests, "
        f"{again.stats['article_requests']} article requests  →  {full_seconds / again_seconds:.0f}× faster "
        "(goal ≥ 10×, 0 article requests)"
    )
    print(f"(d) peak RSS of a crawl process: {rss:.0f} MB (goal < 300 MB)")
    print(f"work folder: {work}")


def run_bare(base_url: str, concurrency: int) -> dict[str, float]:
    """Both crawlers start a fresh Python process, so start-up is counted alike on both sides."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(HERE / "bare_spider.py"), base_url, str(concurrency)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["seconds"] = time.perf_counter() - started
    return result


if __name__ == "__main__":
    main()
