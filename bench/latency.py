"""New-issue latency benchmark (prints figures; not a test): from an issue appearing on the site to its first
alert in a team chat, with the daemon's cheap check and the profile's polite crawl settings.

Real time throughout, nothing scaled: the daemon runs in this process with its real scheduler, the default
``check_every_minutes`` (1; 3 before #20) and ``poll_every_minutes`` (20), and crawls with the source profile's polite
settings (2 s between requests, 2 at a time, AutoThrottle, robots.txt). The replica serves the paper as it
stood before dawn; in each trial the next day's issue appears at a random moment (uniform over one check
interval after the previous trial ended), and the time until a local 企业微信-style robot accepts the first
alert of that issue is measured. The only simulated thing is the date: the daemon's clock is moved to the
trial's day (its "today"), as in bench/soak.py. Requests to the site while nothing is out are counted over an
idle phase of IDLE_MINUTES before the trials (a window of several check intervals: short windows would each
hold a whole check and overstate the rate).

The issue has 8 pages and about 60 articles (the size #20 names). Besides the first alert, every alert is timed
from its article's storing (``articles.first_seen_at`` of the story's latest part stored before the robot took
the message, written by the crawler process) to the robot's acceptance, both on the wall clock.

Goals (#20): first alert p95 ≤ 2 min after the issue appears; every alert ≤ 1 min after its article is stored;
≤ 1 request per check while waiting. Takes about 4 min a trial. Arguments: trials (10), idle minutes (12).
"""

from __future__ import annotations

import random
import re
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from record import recorded  # bench/record.py: the dated record of this run
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from szwatch.app.daemon import Daemon
from szwatch.app.settings import DaemonSettings, Route, Settings
from szwatch.common.clock import SHANGHAI, local_today
from szwatch.common.logs import configure_logging
from szwatch.crawler.run import CrawlRequest, crawl
from szwatch.monitor.alerts.channels.wecom import WecomChannel
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica import templates
from szwatch.replica.build import ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.replica.sinks import ChatReceiver
from szwatch.store.db import open_store
from szwatch.store.models import Article, Issue

TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
CHECK_MINUTES = DaemonSettings.check_every_minutes  # the default (3 when 2026-12-03-latency.md was run)
BASELINE_DAYS = 3
FIRST = local_today(datetime.now(UTC)) - timedelta(days=BASELINE_DAYS)  # the first trial's issue is today's
TRIAL_LIMIT = 15 * 60.0
IDLE_MINUTES = float(sys.argv[2]) if len(sys.argv) > 2 else 12.0
ENTRY = "shtml/index_szrb.shtml"
PAGES, PER_PAGE = 8, 7  # 8 pages of 5–9 articles, the lead story continued on page 2: about 60 articles
LINK = re.compile(r"\]\((http[^)\s]+)\)")  # a story's link in the robot's markdown


class Clock:
    """Real time moved on by whole days to the trial's day (never back: the outbox's times stay in order)."""

    def __init__(self) -> None:
        self.day = local_today(datetime.now(UTC))

    def __call__(self) -> datetime:
        return datetime.now(UTC) + timedelta(days=(self.day - datetime.now(SHANGHAI).date()).days)


def main() -> None:
    configure_logging("WARNING")
    work = Path(tempfile.mkdtemp(prefix="szwatch-latency-"))
    root, staging = work / "site", work / "staging"
    weeks = (BASELINE_DAYS + TRIALS) // 7 + 1
    spec = ReplicaSpec(start=FIRST, weeks=weeks, pages=PAGES, per_page=PER_PAGE, holidays=(), weekdays=tuple(range(7)))
    manifest = build_replica(root, spec)
    days = [FIRST + timedelta(days=i) for i in range(BASELINE_DAYS + TRIALS)]
    assert all(d in manifest.dates for d in days), "the replica is too short for so many trials"
    staging.mkdir()
    for day in manifest.dates:
        folder = root / "shtml" / "szrb" / f"{day:%Y%m%d}"
        if day >= days[BASELINE_DAYS]:
            shutil.move(folder, staging / folder.name) if day in days else shutil.rmtree(folder)
    publish_entry(root, days[BASELINE_DAYS - 1])

    engine = open_store(f"sqlite:///{work / 'latency.db'}")
    clock = Clock()
    clock.day = days[BASELINE_DAYS]
    with ReplicaServer(root) as site, ChatReceiver("wecom") as robot:
        crawl(CrawlRequest(dates=tuple(days[:BASELINE_DAYS]), base_url=site.url, delay=0, concurrency=8), engine)
        detect(engine, load_watchlist())  # the baseline (setup, not measured): what appears later is news
        settings = Settings(
            channels=(WecomChannel("team", robot.url),), routes=(Route("team"),),
            daemon=DaemonSettings(base_url=site.url, poll_start="00:00", poll_end="23:59", catch_up_days=2,
                                  check_every_minutes=CHECK_MINUTES, poll_every_minutes=20.0),
        )  # fmt: skip
        daemon = Daemon(engine, settings, load_watchlist(), clock=clock)
        results: list[tuple[date, float, int, float]] = []
        idle: list[tuple[int, float]] = []
        per_alert: list[float] = []
        thread = threading.Thread(target=trials, args=(daemon, clock, site, robot, root, staging, days, results, idle,
                                                       per_alert, engine))  # fmt: skip
        thread.start()
        daemon.run()
        thread.join()
    report(results, idle, per_alert)


def trials(daemon: Daemon, clock: Clock, site: ReplicaServer, robot: ChatReceiver, root: Path, staging: Path,
           days: list[date], results: list[tuple[date, float, int, float]],
           idle: list[tuple[int, float]], per_alert: list[float], engine: Engine) -> None:  # fmt: skip
    rng = random.Random(int(time.time()))
    try:
        time.sleep(5)  # the daemon's catch-up crawl at start (today's issue is not out: a 404)
        while daemon.crawling.locked():
            time.sleep(0.5)
        started, hits_before = time.monotonic(), sum(site.hits.values())
        time.sleep(IDLE_MINUTES * 60)
        idle.append((sum(site.hits.values()) - hits_before, time.monotonic() - started))
        print(f"  idle: {idle[0][0]} requests in {idle[0][1] / 60:.1f} min", flush=True)
        for day in days[BASELINE_DAYS:]:
            clock.day = day
            waiting_from, hits_before = time.monotonic(), sum(site.hits.values())
            time.sleep(rng.uniform(0, CHECK_MINUTES * 60))
            waited, hits = time.monotonic() - waiting_from, sum(site.hits.values()) - hits_before
            publish(root, staging, day)
            appeared = time.monotonic()
            deadline = appeared + TRIAL_LIMIT
            while time.monotonic() < deadline and not first_alert(robot, day):
                time.sleep(0.2)
            arrived = first_alert(robot, day)
            latency = (arrived - appeared) if arrived else float("nan")
            results.append((day, latency, hits, waited))
            while daemon.crawling.locked():
                time.sleep(0.5)
            time.sleep(3)  # the delivery job after the crawl's final detection
            delays, articles = stored_to_received(engine, robot, day)
            per_alert.extend(delays)
            worst = f"{max(delays):5.1f} s" if delays else "  –"
            print(f"  {day}: appeared after {waited:5.0f} s of waiting ({hits} requests meanwhile); first alert "
                  f"after {latency:6.1f} s; {articles} articles; {len(delays)} alerts, stored → received worst {worst}",
                  flush=True)  # fmt: skip
    finally:
        daemon.stop()


def first_alert(robot: ChatReceiver, day: date) -> float | None:
    for request in robot.accepted():
        if f"{day:%Y-%m-%d}" in request.text:
            return request.at
    return None


def stored_to_received(engine: Engine, robot: ChatReceiver, day: date) -> tuple[list[float], int]:
    """Per alert of the day's issue: seconds from its story's latest part stored before the robot took the message
    to that moment (both wall clock); and how many articles the issue has."""
    with Session(engine) as session:
        rows = session.exec(
            select(Article.story_url, Article.url, Article.first_seen_at)
            .join(Issue, col(Issue.id) == Article.issue_id)
            .where(Issue.issue_date == day)
        ).all()
    parts: dict[str, list[float]] = {}
    for story, url, stored in rows:
        parts.setdefault(story or url, []).append(stored.replace(tzinfo=stored.tzinfo or UTC).timestamp())
    wall = time.time() - time.monotonic()
    delays: dict[str, float] = {}
    for request in robot.accepted():
        received = request.at + wall
        for url in LINK.findall(request.text):
            before = [t for t in parts.get(url, []) if t <= received]
            if url not in delays and before:
                delays[url] = received - max(before)
    return list(delays.values()), len(rows)


def publish(root: Path, staging: Path, day: date) -> None:
    shutil.move(staging / f"{day:%Y%m%d}", root / "shtml" / "szrb" / f"{day:%Y%m%d}")
    publish_entry(root, day)


def publish_entry(root: Path, day: date) -> None:
    (root / ENTRY).write_bytes(templates.entry_page(day).encode("gb18030"))


def report(
    results: list[tuple[date, float, int, float]], idle: list[tuple[int, float]], per_alert: list[float]
) -> None:
    latencies = sorted(r[1] for r in results)
    hits, waited = idle[0] if idle else (0, 1.0)
    print(f"{len(results)} trials, check every {CHECK_MINUTES:g} min, polite crawl (profile defaults), real time, "
          f"{PAGES}-page issues:")  # fmt: skip
    print(f"  issue appeared → first alert in the chat: median {statistics.median(latencies) / 60:.2f} min, "
          f"p95 {p95(latencies) / 60:.2f} min, max {max(latencies) / 60:.2f} min (goal p95 ≤ 2 min)")  # fmt: skip
    if per_alert:
        delays = sorted(per_alert)
        over = sum(d > 60 for d in delays)
        print(f"  article stored → its alert in the chat, {len(delays)} alerts: median {statistics.median(delays):.1f} s, "
              f"p95 {p95(delays):.1f} s, max {max(delays):.1f} s; {over} over 1 min (goal: none)")  # fmt: skip
    per_check = hits / (waited / 60 / CHECK_MINUTES)
    print(f"  while waiting (idle phase): {hits} requests in {waited / 60:.1f} min = {per_check:.2f} per check "
          f"(every {CHECK_MINUTES:g} min; goal ≤ 1: one conditional GET, mostly a 304)")  # fmt: skip
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    print(f"  CPU time of the whole run (user+sys, daemon and crawler processes): {cpu:.0f} s")


def p95(values: list[float]) -> float:
    """Nearest rank: with fewer than 20 values, the largest."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


if __name__ == "__main__":
    with recorded("latency"):
        main()
