"""Every e-paper family on the same replica (prints figures; not a test).

The same articles are written in each family's URL shapes and markup (``ReplicaSpec(family=…)``) and crawled
through the family's bundled profile into SQLite: pages/s of a full crawl, articles stored against the replica's,
requests and article requests of the re-crawl. Goal: every family stores every article, and its re-crawl
requests no article.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from szwatch.common.logs import configure_logging
from szwatch.crawler.profile import load_profile
from szwatch.crawler.run import CrawlRequest, crawl, date_range
from szwatch.replica.build import ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.store.db import open_store

PAPERS = [("szrb", "shtml", "szrb"), ("szrb-epaper", "html-page", "szrb"), ("dtrb", "founder-node", "dtrb"),
          ("rmrb", "founder-pc", "rmrb")]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--per-page", type=int, default=12)
    args = parser.parse_args()
    configure_logging("WARNING")
    print(f"{'profile':<12} {'family':<13} {'pages':>5} {'articles':>9} {'stored':>7} {'seconds':>8} {'pages/s':>8} "
          f"{'re-crawl requests':>18} {'of them articles':>17}")  # fmt: skip
    for profile, family, code in PAPERS:
        with tempfile.TemporaryDirectory() as work:
            root = Path(work)
            spec = ReplicaSpec(weeks=args.weeks, per_page=args.per_page, holidays=(), family=family, code=code,
                               name=load_profile(profile).name)  # fmt: skip
            manifest = build_replica(root / "site", spec)
            engine = open_store(f"sqlite:///{root / 'bench.db'}")
            days = date_range(manifest.dates[0], manifest.dates[-1])
            with ReplicaServer(root / "site") as site:
                request = CrawlRequest(base_url=site.url, profile=profile, dates=days, delay=0, concurrency=8,
                                       log_level="WARNING")  # fmt: skip
                began = time.perf_counter()
                first = crawl(request, engine)
                took = time.perf_counter() - began
                site.reset()
                crawl(request, engine)
                again, articles = (
                    sum(site.hits.values()),
                    sum(n for path, n in site.hits.items() if "content_" in path or path.split("/")[-1][:1].isdigit()),
                )
            stored = first.stats.get("articles_new", 0)
            print(f"{profile:<12} {family:<13} {manifest.pages:>5} {manifest.articles:>9} {stored:>7} {took:>8.1f} "
                  f"{manifest.pages / took:>8.1f} {again:>18} {articles:>17}")  # fmt: skip


if __name__ == "__main__":
    main()
