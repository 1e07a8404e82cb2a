"""The one entry to crawling for the CLI and the daemon: ``crawl(CrawlRequest) -> CrawlReport``.

Each crawl runs Scrapy in a child process (``python -m szwatch.crawler.worker``), as Scrapyd does.
Twisted's reactor cannot be restarted within a process, so a long-lived caller (the daemon, the test
suite) could otherwise crawl only once; a child also returns all its memory when it ends, and a crash
or hang there cannot take the caller down. The run's record in the store is the channel back: the
parent creates it, the child fills it, the parent reads it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from loguru import logger
from sqlalchemy.engine import Engine

from szwatch.crawler.profile import load_profile
from szwatch.store import runs
from szwatch.store.db import session_scope

WORKER_DB_ENV = "SZWATCH_WORKER_DB"
STOP_GRACE = 15.0


class CrawlUsageError(ValueError):
    """A request that cannot be crawled as asked (no dates, ``--from`` after ``--to``)."""


@dataclass(frozen=True)
class CrawlRequest:
    latest: bool = False
    dates: tuple[date, ...] = ()
    base_url: str | None = None
    refresh: bool = False
    profile: str | None = None
    delay: float | None = None
    concurrency: int | None = None
    timeout: float | None = None
    retries: int | None = None
    obey_robots: bool | None = None
    time_limit: float | None = None
    log_level: str = "INFO"
    log_json: bool = False

    @property
    def mode(self) -> str:
        return "latest" if self.latest and not self.dates else "dates" if not self.latest else "latest+dates"

    def to_json(self) -> str:
        data = asdict(self)
        data["dates"] = [d.isoformat() for d in self.dates]
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> CrawlRequest:
        data = json.loads(text)
        data["dates"] = tuple(date.fromisoformat(d) for d in data["dates"])
        return cls(**data)


@dataclass
class CrawlReport:
    run_id: int
    status: str
    stats: dict[str, Any]
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def exit_code(self) -> int:
        """0 all good, 1 finished with problems, 2 site unreachable or the crawl could not run."""
        return {"ok": 0, "problems": 1}.get(self.status, 2)


def date_range(start: date, end: date) -> tuple[date, ...]:
    if start > end:
        raise CrawlUsageError(f"--from {start} is after --to {end}")
    return tuple(start + timedelta(days=i) for i in range((end - start).days + 1))


def crawl(request: CrawlRequest, engine: Engine, stop: threading.Event | None = None) -> CrawlReport:
    """Crawl as requested into the store behind ``engine``; never raises for site trouble.

    Setting ``stop`` (the daemon's shutdown) asks the child to finish gracefully: Scrapy stops scheduling,
    the pipeline records what it has and closes the run; after ``STOP_GRACE`` seconds it is killed.
    """
    if not request.latest and not request.dates:
        raise CrawlUsageError("nothing to crawl: give --latest, --date or --from/--to")
    profile = load_profile(request.profile)  # a bad profile is the caller's error, raised before any run
    base_url = (request.base_url or profile.base_url).rstrip("/")
    with session_scope(engine) as session:
        run_id = runs.start_run(session, request.mode, base_url, json.loads(request.to_json())).id or 0
    logger.info("crawl run {} started: {} at {}", run_id, request.mode, base_url)
    error = _run_worker(run_id, request, engine.url.render_as_string(hide_password=False), stop)
    if error:
        with session_scope(engine) as session:
            runs.fail_run(session, run_id, error)
    return report_of(engine, run_id)


def _run_worker(run_id: int, request: CrawlRequest, db_url: str, stop: threading.Event | None) -> str | None:
    command = [sys.executable, "-m", "szwatch.crawler.worker", str(run_id), request.to_json()]
    env = {**os.environ, WORKER_DB_ENV: db_url}  # not on the command line, where ps shows passwords
    child = subprocess.Popen(command, env=env)
    deadline = time.monotonic() + request.time_limit if request.time_limit else None
    while True:
        try:
            code = child.wait(timeout=0.2)
            return None if code == 0 else f"crawler process exited with code {code}"
        except subprocess.TimeoutExpired:
            pass
        if stop is not None and stop.is_set():
            _end(child)
            return "crawl stopped because szwatch is shutting down"
        if deadline is not None and time.monotonic() > deadline:
            _end(child)
            return f"crawl exceeded its time limit of {request.time_limit:.0f}s and was stopped"


def _end(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def report_of(engine: Engine, run_id: int) -> CrawlReport:
    with session_scope(engine) as session:
        run = runs.get_run(session, run_id)
        if run is None:
            raise LookupError(f"no crawl run {run_id}")
        problems = [(p.kind, p.url, p.detail) for p in runs.problems_of(session, run_id)]
        return CrawlReport(run_id, run.status, dict(run.stats or {}), problems, run.error)
