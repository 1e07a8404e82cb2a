"""Fault scenarios shared by the suite and ``bench/faults.py``: real ``szwatch`` processes against a real store
and a real local receiver, started together or killed with SIGKILL, and what the receiver saw afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from szwatch.monitor.alerts.outbox import record_alerts
from szwatch.monitor.alerts.settings import Route
from szwatch.replica.sinks import WebhookReceiver
from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import session_scope
from szwatch.store.findings import detect_runs
from szwatch.store.models import Alert, AlertDelivery, DetectRun


@dataclass(frozen=True)
class Tally:
    """What a fault scenario left behind: alerts never delivered and alerts delivered more than once."""

    expected: int
    delivered: int
    duplicated: int
    pending: int

    @property
    def lost(self) -> int:
        return self.expected - self.delivered


def hook_config(path: Path, webhook: WebhookReceiver, mode: str = "instant", timeout: float = 2) -> Path:
    """A settings file with one webhook channel and one route to it."""
    path.write_text(f'[[channel]]\ntype = "webhook"\nname = "hook"\nurl = "{webhook.url}"\ntimeout = {timeout}\n'
                    f'[[route]]\nchannel = "hook"\nmode = "{mode}"\n', encoding="utf-8")  # fmt: skip
    return path


def queue_alerts(engine: Engine, count: int, mode: str = "instant") -> None:
    """``count`` alerts written through the outbox, each with a delivery to the channel ``hook``."""
    with session_scope(engine) as session:
        run = detect_runs.start(session)
        fresh = [Alert(dedupe_key=f"fault-{run.id}-{i}", rule="new_mention", watch_id="dongli", title=f"测试 {i}",
                       snippet=f"东立多晶硅项目第 {i} 条。", detect_run_id=run.id) for i in range(count)]  # fmt: skip
        record_alerts(session, fresh, (Route(channel="hook", mode=mode),), {})
        detect_runs.finish(session, run.id or 0, count, count)


def szwatch_process(db_url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SZWATCH_DB": db_url}
    return subprocess.Popen([sys.executable, "-m", "szwatch", "--quiet", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip


def concurrent_deliver(db_url: str, config: Path, workers: int) -> list[int]:
    """Start ``workers`` ``szwatch deliver`` processes at once; their exit codes when all have ended."""
    running = [szwatch_process(db_url, "deliver", "--config", str(config)) for _ in range(workers)]
    for process in running:
        process.communicate(timeout=300)
    return [p.returncode for p in running]


def tally(engine: Engine, webhook: WebhookReceiver, expected: int) -> Tally:
    """Count alerts as the receiver saw them: the alerts of every accepted request, by id."""
    seen: Counter[int] = Counter()
    for request in webhook.accepted():
        seen.update(a["id"] for a in request.json()["alerts"])
    with Session(engine) as session:
        pending = session.exec(select(func.count()).where(AlertDelivery.status == "pending")).one()
    return Tally(expected, len(seen), sum(1 for n in seen.values() if n > 1), int(pending))


def store_news(engine: Engine, day: date, count: int) -> None:
    """``count`` stories of one day, each naming a watched project: news for every watch that has its baseline."""
    base = f"http://szb.example/shtml/szrb/{day:%Y%m%d}/"
    with session_scope(engine) as session:
        issue = articles.upsert_issue(session, day, base + "vA1.shtml")
        page = articles.upsert_page(session, issue, "A1", base + "vA1.shtml", "要闻", 0, [])
        records = [ArticleRecord(url=f"{base}{n}.shtml", number=str(n), title=f"项目 {n}",
                                 paragraphs=[f"东立多晶硅项目第{n}次调度会召开。"],
                                 raw_paragraphs=[f"东立多晶硅项目第{n}次调度会召开。"]) for n in range(1, count + 1)]  # fmt: skip
        articles.save_articles(session, [(issue.id or 0, page.id or 0, r) for r in records])


def kill_detect_mid_run(engine: Engine, db_url: str, config: Path) -> int:
    """Start ``szwatch detect`` and SIGKILL it once its first alerts are committed and before it ends; returns
    how many alerts it had written."""
    process = szwatch_process(db_url, "detect", "--config", str(config))
    while process.poll() is None and not _count(engine, select(func.count()).select_from(Alert)):
        time.sleep(0.01)
    process.kill()
    process.communicate(timeout=60)
    unfinished = _count(engine, select(func.count()).where(col(DetectRun.finished_at).is_(None)))
    assert unfinished == 1, "szwatch detect ended before it could be killed: give it more stories"
    return _count(engine, select(func.count()).select_from(Alert))


def _count(engine: Engine, stmt: Any) -> int:
    with Session(engine) as session:
        return int(session.exec(stmt).one())
