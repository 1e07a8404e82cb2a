"""Fault scenarios shared by the suite and ``bench/faults.py``: real ``szwatch`` processes against a real store
and a real local receiver, started together or killed with SIGKILL, and what the receiver saw afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from szwatch.monitor.alerts.outbox import record_alerts
from szwatch.monitor.alerts.settings import Route
from szwatch.replica.sinks import WebhookReceiver
from szwatch.store import alerts as store_alerts
from szwatch.store.db import session_scope
from szwatch.store.models import Alert, AlertDelivery


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
        run = store_alerts.start_detect_run(session)
        fresh = [Alert(dedupe_key=f"fault-{run.id}-{i}", rule="new_mention", watch_id="dongli", title=f"测试 {i}",
                       snippet=f"东立多晶硅项目第 {i} 条。", detect_run_id=run.id) for i in range(count)]  # fmt: skip
        record_alerts(session, fresh, (Route(channel="hook", mode=mode),), {})
        store_alerts.finish_detect_run(session, run.id or 0, count, count)


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
