"""Alert benchmark (prints figures; not a test).

(1) Latency: from the end of detection to the webhook receiver holding the alert, with the delivery worker
    running in the background at the default poll interval (goal: under 2 s).
(2) Throughput: deliveries per second from the outbox to a local webhook receiver, and the CPU time (user+sys of
    this process, receiver thread included) per delivery, which a busy shared machine barely moves.
    ``--throughput`` runs (2) alone.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from record import recorded  # bench/record.py: the dated record of this run

from szwatch.app.settings import Route, Settings
from szwatch.common.logs import configure_logging
from szwatch.monitor.alerts.channels.webhook import WebhookChannel
from szwatch.monitor.alerts.deliver import deliver_due, run_worker
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.sinks import WebhookReceiver
from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import open_store, session_scope

TRIALS = 20
BULK = 1000


def add_story(engine, day: date, number: int, text: str) -> None:  # type: ignore[no-untyped-def]
    base = f"http://bench.example/shtml/szrb/{day:%Y%m%d}/"
    with session_scope(engine) as session:
        issue = articles.upsert_issue(session, day, base + "vA1.shtml")
        page = articles.get_page(session, issue, "A1") or articles.upsert_page(
            session, issue, "A1", base + "vA1.shtml", "要闻", 0, []
        )
        record = ArticleRecord(
            url=f"{base}{number}.shtml",
            number=str(number),
            title=f"稿件{number}",
            paragraphs=[text],
            raw_paragraphs=[text],
        )
        articles.save_article(session, issue.id or 0, page.id or 0, record)


def latency(work: Path) -> list[float]:
    engine = open_store(f"sqlite:///{work / 'latency.db'}")
    watchlist = load_watchlist()
    names = {w.id: w.name for w in watchlist.watches}
    delays = []
    add_story(engine, date(2023, 12, 31), 99_999, "市区天气晴好。")
    detect(engine, watchlist)  # the first detection is the baseline: silent; the trials' stories are news
    with WebhookReceiver() as hook:
        settings = Settings(channels=(WebhookChannel("hook", hook.url),), routes=(Route("hook"),))
        stop = threading.Event()
        worker = threading.Thread(target=run_worker, args=(engine, settings, names, stop), daemon=True)
        worker.start()
        for trial in range(TRIALS):
            add_story(
                engine, date(2024, 1, 1) + timedelta(days=trial), trial, f"第{trial}次报道：东立多晶硅项目开工建设。"
            )
            detect(engine, watchlist, routes=settings.routes)
            finished = time.monotonic()
            while len(hook.accepted()) <= trial:
                time.sleep(0.005)
            delays.append(hook.accepted()[trial].at - finished)
            time.sleep(0.37 * (trial % 3))  # detection ends at varied points of the worker's poll cycle
        stop.set()
        worker.join()
    return delays


def throughput(work: Path) -> tuple[int, float, float]:
    engine = open_store(f"sqlite:///{work / 'bulk.db'}")
    watchlist = load_watchlist()
    names = {w.id: w.name for w in watchlist.watches}
    add_story(engine, date(2023, 12, 31), 99_999, "市区天气晴好。")
    detect(engine, watchlist)  # baseline
    with WebhookReceiver() as hook:
        settings = Settings(channels=(WebhookChannel("hook", hook.url, secret="s"),), routes=(Route("hook"),))
        for number in range(BULK):
            add_story(
                engine,
                date(2024, 1, 1) + timedelta(days=number % 7),  # within [alerts] max_age_days of the newest
                10_000 + number,
                f"报道{number}：东立多晶硅项目开工建设。",
            )
        detect(engine, watchlist, routes=settings.routes)
        started, cpu, sent = time.perf_counter(), time.process_time(), 0
        while report := deliver_due(engine, settings, names):
            if not report.sent:
                break
            sent += report.sent
        return sent, time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    configure_logging("WARNING")
    work = Path(tempfile.mkdtemp(prefix="szwatch-alerts-"))
    if "--throughput" not in sys.argv:
        delays = latency(work)
        print(
            f"(1) detection end → webhook received, worker polling every {Settings().delivery.poll_seconds:g} s, "
            f"{TRIALS} trials: median {statistics.median(delays):.2f} s, p95 {sorted(delays)[int(0.95 * len(delays)) - 1]:.2f} s, "
            f"max {max(delays):.2f} s (goal < 2 s)"
        )
    sent, seconds, cpu = throughput(work)
    print(f"(2) {sent} deliveries to a local webhook receiver in {seconds:.2f} s = {sent / seconds:.0f} deliveries/s; "
          f"CPU {cpu:.2f} s = {cpu / max(sent, 1) * 1000:.2f} ms per delivery")  # fmt: skip


if __name__ == "__main__":
    with recorded("alerts"):
        main()
