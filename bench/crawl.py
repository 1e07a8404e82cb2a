"""Crawl benchmark (prints figures; not a test): the `szwatch crawl` command against a bare Scrapy spider.

On a large replica (about 60 issues × 4 pages × 12 articles) served on localhost, N paired runs (the order
alternates within the pair), each a new process with its start-up counted:
(a) `szwatch crawl --from … --to … --delay 0` into a new SQLite file, as a user runs it (the command, its crawl
    worker, the store writes, the search index, the log);
(b) a bare Scrapy CrawlSpider (``bench/bare_spider.py``) that downloads and parses the same pages, stores nothing;
then (c) an incremental re-crawl of the same dates (time, requests) and (d) the peak RSS of the crawl command.
Per pair: CPU time (user + system of the process and its children: what a busy machine disturbs least), wall
time, pages/s; printed with the median and the spread (min-max) of the ratios.
Goals: CPU (a)/(b) <= 1.3; speed (a)/(b) >= 0.9; (c) >= 10 × faster than (a), no article requests; (d) < 300 MB.

    .venv/bin/python bench/crawl.py [--runs 3] [--weeks 12] [--per-page 12] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from record import recorded  # bench/record.py: the dated record of this run

from szwatch.replica.build import ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Run:
    wall: float  # seconds, start-up included
    cpu: float  # user + system seconds of the process and the children it waited for
    pages: int  # responses (bare) or pages + article requests (szwatch)
    rss_mb: float
    detail: dict[str, int]

    @property
    def rate(self) -> float:
        return self.pages / self.wall


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """Wall, CPU and peak RSS of one process (its own rusage through wait4, children included) and its stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode()
    if child.returncode not in (0, 1):
        raise RuntimeError(f"{argv[:4]} exited {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text


def run_bare(base_url: str, concurrency: int) -> Run:
    wall, cpu, rss, out = timed([sys.executable, str(HERE / "bare_spider.py"), base_url, str(concurrency)])
    result = json.loads(out.strip().splitlines()[-1])
    return Run(wall, cpu, result["responses"], rss, {"items": result["items"]})


def run_szwatch(base_url: str, first: str, last: str, db: Path, concurrency: int, pages: int) -> Run:
    env = {**os.environ, "SZWATCH_DB": f"sqlite:///{db}"}
    env.pop("SZWATCH_CONFIG", None)
    argv = [sys.executable, "-m", "szwatch", "crawl", "--from", first, "--to", last, "--base-url", base_url,
            "--delay", "0", "--concurrency", str(concurrency), "--yes"]  # fmt: skip
    wall, cpu, rss, _ = timed(argv, env)
    with sqlite3.connect(db) as conn:
        status, stats = conn.execute("SELECT status, stats FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    stats = json.loads(stats)
    detail = {k: int(stats.get(k, 0)) for k in ("requests", "article_requests", "articles_new")}
    detail["ok"] = int(status == "ok")  # RunStatus.OK: every listed article stored
    return Run(wall, cpu, pages + detail["article_requests"], rss, detail)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="paired runs")
    parser.add_argument("--weeks", type=int, default=12)
    parser.add_argument("--per-page", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="szwatch-bench-"))
    manifest = build_replica(work / "site", ReplicaSpec(weeks=args.weeks, per_page=args.per_page, holidays=()))
    first, last = manifest.dates[0].isoformat(), manifest.dates[-1].isoformat()
    print(f"replica: {len(manifest.dates)} issues, {manifest.pages} pages, {manifest.articles} articles; "
          f"{args.runs} paired runs, concurrency {args.concurrency}, delay 0")  # fmt: skip
    print(f"{'pair':<5} {'szwatch CPU s':>13} {'bare CPU s':>10} {'CPU ratio':>9} {'szwatch wall s':>14} "
          f"{'bare wall s':>11} {'szwatch p/s':>11} {'bare p/s':>8} {'speed ratio':>11}  stored")  # fmt: skip
    ours: list[Run] = []
    bares: list[Run] = []
    with ReplicaServer(work / "site") as site:
        for n in range(args.runs):
            db = work / f"bench-{n}.db"

            def szwatch_run(db: Path = db) -> Run:
                return run_szwatch(site.url, first, last, db, args.concurrency, manifest.pages)

            if n % 2:  # alternate who goes first, so neither always meets a warmer machine
                mine, bare = szwatch_run(), run_bare(site.url, args.concurrency)
            else:
                bare, mine = run_bare(site.url, args.concurrency), szwatch_run()
            ours.append(mine)
            bares.append(bare)
            print(f"{n + 1:<5} {mine.cpu:>13.2f} {bare.cpu:>10.2f} {mine.cpu / bare.cpu:>9.2f} {mine.wall:>14.2f} "
                  f"{bare.wall:>11.2f} {mine.rate:>11.0f} {bare.rate:>8.0f} {mine.rate / bare.rate:>11.2f}  "
                  f"{mine.detail['articles_new']:,} articles{'' if mine.detail['ok'] else ' (NOT ok)'}")  # fmt: skip
        again = run_szwatch(site.url, first, last, work / f"bench-{args.runs - 1}.db", args.concurrency, 0)
    cpu_ratios = [m.cpu / b.cpu for m, b in zip(ours, bares, strict=True)]
    speed_ratios = [m.rate / b.rate for m, b in zip(ours, bares, strict=True)]
    print(f"\n(a)/(b) CPU, median (min-max): {spread(cpu_ratios)}  (goal <= 1.3)")
    print(f"(a)/(b) speed (pages/s), median (min-max): {spread(speed_ratios)}  (goal >= 0.9)")
    print(f"(a) szwatch crawl: CPU {spread([m.cpu for m in ours])} s, wall {spread([m.wall for m in ours])} s, "
          f"{ours[0].pages:,} pages and articles, {ours[0].detail['articles_new']:,} articles stored")  # fmt: skip
    print(f"(b) bare spider:   CPU {spread([b.cpu for b in bares])} s, wall {spread([b.wall for b in bares])} s, "
          f"{bares[0].pages:,} responses")  # fmt: skip
    median_wall = statistics.median(m.wall for m in ours)
    print(f"(c) incremental re-crawl: {again.wall:.2f} s wall, {again.cpu:.2f} s CPU, {again.detail['requests']} "
          f"requests, {again.detail['article_requests']} article requests  →  {median_wall / again.wall:.0f}× faster "
          "(goal >= 10×, 0 article requests)")  # fmt: skip
    print(f"(d) peak RSS of the crawl command: {max(m.rss_mb for m in ours):.0f} MB (goal < 300 MB)")
    print(f"work folder: {work}")


if __name__ == "__main__":
    with recorded("crawl"):
        main()
