"""The crawl's child is started before its run exists (``common.early_child``), so that its start-up overlaps the
command's: it crawls the run it is handed exactly as a child started afterwards would, and a child that is not
needed after all ends at once, leaving nothing behind in the store and nothing on the user's screen."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from szwatch.app.cli.crawl import CRAWL_WORKER
from szwatch.common.early_child import release, start_child
from szwatch.crawler.run import WORKER_MODULE, CrawlRequest, crawl
from szwatch.replica.server import ReplicaServer
from szwatch.store.models import Article, CrawlRun, RunStatus

DAY = date(2024, 5, 7)


def stored(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        runs = session.exec(select(func.count()).select_from(CrawlRun)).one()
        return runs, session.exec(select(func.count()).select_from(Article)).one()


def test_a_worker_started_early_crawls_the_run_it_is_handed(engine: Engine, site: ReplicaServer) -> None:
    worker = start_child(WORKER_MODULE)  # loading while the caller gets ready, as `szwatch crawl` does
    request = CrawlRequest(dates=(DAY,), base_url=site.url, delay=0, concurrency=8, timeout=3, retries=2)
    report = crawl(request, engine, worker=worker)
    assert report.status == RunStatus.OK
    assert worker.returncode == 0
    with Session(engine) as session:
        run = session.get(CrawlRun, report.run_id)
        assert run is not None and run.worker_pid == worker.pid  # the early child did the crawl, not a second one
    assert stored(engine)[1] == report.stats["articles_new"] > 0


def test_a_worker_not_needed_is_ended_and_touches_nothing(engine: Engine) -> None:
    worker = start_child(WORKER_MODULE)
    release(worker)  # the command refused the request (a usage error, a busy database)
    assert worker.returncode is not None
    release(worker)  # twice is harmless: the command's `finally` releases whatever it started
    assert stored(engine) == (0, 0)


def test_a_worker_whose_parent_gives_it_no_run_exits_quietly() -> None:
    """The parent died or gave up before the hand-over: its end of the pipe closes, and the child just ends."""
    child = subprocess.run([sys.executable, "-m", WORKER_MODULE], input=b"", capture_output=True, timeout=120,
                           env={**os.environ})  # fmt: skip
    assert child.returncode == 0
    assert child.stderr == b"" and child.stdout == b""


def test_a_refused_crawl_says_one_line_though_its_worker_had_started(db_url: str) -> None:
    """A usage error found after the child started is one line, exit 2: the child's end is silent."""
    command = [sys.executable, "-m", "szwatch", "crawl", "--profile", "no-such-paper", "--date", "2024-05-07"]
    result = subprocess.run(command, env={**os.environ, "SZWATCH_DB": db_url}, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "szwatch: error: no-such-paper: neither a bundled profile nor a file (bundled: dtrb, rmrb, sxjjrb, sxrb, "
        "szrb, szrb-epaper)"
    ]


def test_the_command_starts_the_module_the_crawl_hands_its_run_to() -> None:
    assert CRAWL_WORKER == WORKER_MODULE
