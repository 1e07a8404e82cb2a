"""Faults, repeated: concurrent delivery workers and kill -9 of detect and deliver, counting alerts lost and sent twice.

    python bench/faults.py [TRIALS] [--pg URL] [--record]

Every scenario uses real ``szwatch`` processes on a real store and a real local webhook receiver that takes 50 ms
an answer:

- ``deliver×2`` / ``deliver×3``: 149 due instant deliveries, two or three ``szwatch deliver`` started together;
- ``kill detect``: a digest route, ``szwatch detect`` killed with SIGKILL at a random moment after its first batch
  of alerts, then ``szwatch status`` and ``szwatch deliver``: alerts written but never delivered are *lost*
  (stuck pending);
- ``kill deliver``: ``szwatch deliver`` killed right after the receiver took its first message, then run again:
  the message is sent again with the same key (*resent*, the documented repeat), never lost.

Only public behaviour is used (the CLI, the store's write path for stories, the receiver), so the same script
measures an older checkout (``PYTHONPATH=/path/to/old/checkout``) for a before/after record. ``--record`` writes
``bench/records/YYYY-MM-DD-faults.md``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

from szwatch.replica.sinks import WebhookReceiver
from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import open_store, session_scope

ALERTS, STORIES, ANSWER_SECONDS = 149, 1500, 0.05
HERE = Path(__file__).resolve().parent


@dataclass
class Outcome:
    trials: int = 0
    expected: int = 0
    lost: int = 0
    duplicated: int = 0
    notes: list[str] = field(default_factory=list)


def szwatch(db_url: str, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SZWATCH_DB": db_url}
    return subprocess.Popen([sys.executable, "-m", "szwatch", "--quiet", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip


def run(db_url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    process = szwatch(db_url, *args)
    out, err = process.communicate(timeout=600)
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def fresh_db(backend: str, pg_url: str | None, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'faults.db'}"
    assert pg_url
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    admin.dispose()
    return pg_url


def store_news(db_url: str, day: date, count: int, first: int = 1) -> None:
    engine = open_store(db_url)
    base = f"http://szb.example/shtml/szrb/{day:%Y%m%d}/"
    with session_scope(engine) as session:
        issue = articles.upsert_issue(session, day, base + "vA1.shtml")
        page = articles.get_page(session, issue, "A1") or articles.upsert_page(
            session, issue, "A1", base + "vA1.shtml", "要闻", 0, []
        )
        lines = {n: [f"东立多晶硅项目第{n}次调度会召开。"] for n in range(first, first + count)}
        records = [ArticleRecord(url=f"{base}{n}.shtml", number=str(n), title=f"项目 {n}", paragraphs=p,
                                 raw_paragraphs=p) for n, p in lines.items()]  # fmt: skip
        articles.save_articles(session, [(issue.id or 0, page.id or 0, r) for r in records])
    engine.dispose()


def settings(folder: Path, hook: WebhookReceiver, mode: str) -> Path:
    path = folder / f"settings-{mode}.toml"
    path.write_text(f'[[channel]]\ntype = "webhook"\nname = "hook"\nurl = "{hook.url}"\ntimeout = 2\n'
                    f'[[route]]\nchannel = "hook"\nmode = "{mode}"\n', encoding="utf-8")  # fmt: skip
    return path


def news_with_alerts(db_url: str, config: Path, count: int) -> None:
    """A baseline, then ``count`` stories that each raise an alert, detected by ``szwatch detect``."""
    store_news(db_url, date(2024, 5, 6), 1, first=10_000)
    run(db_url, "detect", "--config", str(config))
    store_news(db_url, date(2024, 5, 7), count)


def scalar(db_url: str, sql: str) -> int:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        value = int(conn.execute(text(sql)).scalar() or 0)
    engine.dispose()
    return value


def seen(hook: WebhookReceiver) -> Counter[int]:
    counts: Counter[int] = Counter()
    for request in hook.accepted():
        counts.update(a["id"] for a in request.json()["alerts"])
    return counts


def concurrent(db_url: str, folder: Path, workers: int) -> tuple[int, int, int]:
    with WebhookReceiver() as hook:
        config = settings(folder, hook, "instant")
        news_with_alerts(db_url, config, ALERTS)
        run(db_url, "detect", "--config", str(config))
        hook.on_request = lambda _: time.sleep(ANSWER_SECONDS)
        running = [szwatch(db_url, "deliver", "--config", str(config)) for _ in range(workers)]
        for process in running:
            process.communicate(timeout=600)
        counts = seen(hook)
    expected = scalar(db_url, "SELECT count(*) FROM alerts")
    return expected, expected - len(counts), sum(1 for n in counts.values() if n > 1)


def kill_detect(db_url: str, folder: Path) -> tuple[int, int, int]:
    with WebhookReceiver() as hook:
        config = settings(folder, hook, "digest")
        news_with_alerts(db_url, config, STORIES)
        process = szwatch(db_url, "detect", "--config", str(config))
        while process.poll() is None and not scalar(db_url, "SELECT count(*) FROM alerts"):
            time.sleep(0.01)
        time.sleep(random.uniform(0.0, 1.5))  # a random moment after its first batch: mid-run, or at the very end
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        run(db_url, "status", "--config", str(config))
        run(db_url, "deliver", "--config", str(config))
        counts = seen(hook)
    expected = scalar(db_url, "SELECT count(*) FROM alerts")
    return expected, expected - len(counts), sum(1 for n in counts.values() if n > 1)


def kill_deliver(db_url: str, folder: Path) -> tuple[int, int, int]:
    with WebhookReceiver() as hook:
        config = settings(folder, hook, "instant")
        news_with_alerts(db_url, config, 5)
        run(db_url, "detect", "--config", str(config))
        process = szwatch(db_url, "deliver", "--config", str(config))
        hook.on_request = lambda _: os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=60)
        hook.on_request = None
        time.sleep(3.2)  # an older szwatch only retakes a dead worker's claim when it lapses (timeout + 1 s)
        run(db_url, "deliver", "--config", str(config))
        counts = seen(hook)
    expected = scalar(db_url, "SELECT count(*) FROM alerts")
    return expected, expected - len(counts), sum(1 for n in counts.values() if n > 1)


SCENARIOS = {
    "deliver×2": lambda url, folder: concurrent(url, folder, 2),
    "deliver×3": lambda url, folder: concurrent(url, folder, 3),
    "kill detect": kill_detect,
    "kill deliver": kill_deliver,
}


def main(argv: list[str]) -> None:
    trials = int(argv[1]) if len(argv) > 1 and argv[1].isdigit() else 3
    pg_url = argv[argv.index("--pg") + 1] if "--pg" in argv else os.environ.get("SZWATCH_TEST_PG")
    backends = ["sqlite"] + (["postgresql"] if pg_url else [])
    results: dict[tuple[str, str], Outcome] = {}
    for backend in backends:
        for name, scenario in SCENARIOS.items():
            outcome = results.setdefault((backend, name), Outcome())
            for _ in range(trials):
                with tempfile.TemporaryDirectory() as tmp:
                    expected, lost, duplicated = scenario(fresh_db(backend, pg_url, Path(tmp)), Path(tmp))
                outcome.trials += 1
                outcome.expected += expected
                outcome.lost += lost
                outcome.duplicated += duplicated
                outcome.notes.append(f"{lost}/{duplicated}")
            print(f"{backend:<10} {name:<13} {outcome.trials} trials, {outcome.expected} alerts: lost "
                  f"{outcome.lost}, sent twice {outcome.duplicated} (per trial lost/twice: "
                  f"{', '.join(outcome.notes)})", flush=True)  # fmt: skip
    if "--record" in argv:
        write_record(results, trials)


def write_record(results: dict[tuple[str, str], Outcome], trials: int) -> None:
    rows = "\n".join(f"| {backend} | {name} | {o.trials} | {o.expected} | {o.lost} | {o.duplicated} | "
                     f"{', '.join(o.notes)} |" for (backend, name), o in results.items())  # fmt: skip
    path = HERE / "records" / f"{date.today():%Y-%m-%d}-faults.md"
    path.write_text(f"# Faults: concurrent delivery, kill -9 of detect and deliver ({date.today()})\n\n"
                    f"`python bench/faults.py {trials}` on {os.uname().nodename} ({os.cpu_count()} cores, shared); "
                    f"receiver answering in {ANSWER_SECONDS * 1000:.0f} ms.\n\n"
                    "| store | scenario | trials | alerts | lost | sent twice | per trial (lost/twice) |\n"
                    f"| --- | --- | --- | --- | --- | --- | --- |\n{rows}\n", encoding="utf-8")  # fmt: skip
    print(f"record written: {path}")


if __name__ == "__main__":
    main(sys.argv)
