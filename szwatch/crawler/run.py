"""The one entry to crawling for the CLI and the daemon: ``crawl(CrawlRequest) -> CrawlReport``.

Each crawl runs Scrapy in a child process (``python -m szwatch.crawler.worker``), as Scrapyd does.
Twisted's reactor cannot be restarted within a process, so a long-lived caller (the daemon, the test
suite) could otherwise crawl only once; a child also returns all its memory when it ends, and a crash
or hang there cannot take the caller down. The run's record in the store is the channel back: the
parent creates it, the child fills it, the parent reads it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from loguru import logger
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from szwatch.common.clock import local_iso
from szwatch.common.days import request_days, to_spans
from szwatch.common.early_child import hand_over, start_child
from szwatch.crawler.profile import SourceProfile, load_profile
from szwatch.store import runs
from szwatch.store.db import session_scope
from szwatch.store.models import RunStatus
from szwatch.store.runs import ProblemGroup

WORKER_MODULE = "szwatch.crawler.worker"  # the child: ``python -m`` it, then ``hand_over`` its run
STOP_GRACE = 15.0
CLAIM_POLL = 1.0  # seconds between looks while another crawl of the same dates is under way


class CrawlUsageError(ValueError):
    """A request that cannot be crawled as asked (no dates, ``--from`` after ``--to``)."""


class CrawlBusyError(CrawlUsageError):
    """Another live crawl on this database is crawling the same dates, and this one was not to wait."""


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
    wait: bool = True  # another crawl of the same dates is under way: wait for it (else refuse)
    source: str | None = None  # the paper's id (the profile's source.id), filled in by ``crawl``
    paper: str | None = None  # the paper (several sites may share it): runs of other papers do not block this one
    job: str | None = None  # the Scrapyd job doing it (``szrb:2024-05-07``), when a node crawls it
    watched: tuple[str, ...] = ()  # words whose articles are fetched first (``crawler.priority``)

    @property
    def mode(self) -> str:
        return "latest" if self.latest and not self.dates else "dates" if not self.latest else "latest+dates"

    def to_json(self) -> str:
        """The request as the worker's command line and the run's row carry it: dates as spans (short)."""
        data = asdict(self)
        del data["dates"]
        data["spans"] = to_spans(self.dates)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> CrawlRequest:
        data = json.loads(text)
        data["dates"] = request_days(data)
        data.pop("spans", None)
        data["watched"] = tuple(data.get("watched") or ())
        return cls(**data)


@dataclass
class CrawlReport:
    """How a run ended. ``problems`` lists every one (kind, URL, detail); ``groups`` the same grouped by
    kind and detail, which is what a person reads."""

    run_id: int
    status: str
    stats: dict[str, Any]
    problems: list[tuple[str, str, str]] = field(default_factory=list)
    error: str | None = None
    groups: list[ProblemGroup] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 all good, 1 finished with problems, 2 site unreachable or the crawl could not run or end."""
        if self.status == RunStatus.OK:
            return 0
        return 1 if self.status == RunStatus.PROBLEMS else 2


def date_range(start: date, end: date) -> tuple[date, ...]:
    if start > end:
        raise CrawlUsageError(f"--from {start} is after --to {end}")
    return tuple(start + timedelta(days=i) for i in range((end - start).days + 1))


def crawl(
    request: CrawlRequest, engine: Engine, stop: threading.Event | None = None,
    worker: subprocess.Popen[bytes] | None = None,
) -> CrawlReport:  # fmt: skip
    """Crawl as requested into the store behind ``engine``; never raises for site trouble.

    ``worker`` is a child ``common.early_child.start_child(WORKER_MODULE)`` that has been loading while the caller
    got ready (the command starts one first thing); without one, a child is started here. On an exception before
    the hand-over the caller ends its worker (``early_child.release``).

    Setting ``stop`` (the daemon's shutdown) asks the child to finish gracefully: Scrapy stops scheduling,
    the pipeline records what it has and closes the run; after ``STOP_GRACE`` seconds it is killed.
    Raises ``CrawlBusyError`` when another live crawl has the same dates and ``request.wait`` is off (or
    ``stop`` is set while waiting for it).
    """
    request, run_id = claim_for(request, engine, stop)
    child = worker or start_child(WORKER_MODULE)
    db_url = engine.url.render_as_string(hide_password=False)
    hand_over(child, {"run_id": run_id, "request": request.to_json(), "db_url": db_url})
    ended = _watch_worker(child, request, stop)
    if ended:
        status, reason = ended
        with session_scope(engine) as session:
            if status == RunStatus.INTERRUPTED:
                runs.interrupt_run(session, run_id, f"interrupted: {reason}")
            else:
                runs.fail_run(session, run_id, reason)
    return report_of(engine, run_id)


def claim_for(request: CrawlRequest, engine: Engine, stop: threading.Event | None = None) -> tuple[CrawlRequest, int]:
    """Check the request, fill in its site and paper, and start its run (after any live run of the same paper's
    dates has ended): what every dispatcher does before handing the crawl to a process, here or on a node."""
    if not request.latest and not request.dates:
        raise CrawlUsageError("nothing to crawl: give --latest, --date or --from/--to")
    profile = load_profile(request.profile)  # a bad profile is the caller's error, raised before any run
    request = replace(request, dates=_served(request, profile), source=profile.id, paper=profile.paper)
    base_url = (request.base_url or profile.base_url).rstrip("/")
    run_id = _claim(request, engine, base_url, stop)
    logger.info("crawl run {} started: {} of {} at {}", run_id, request.mode, profile.id, base_url)
    return request, run_id


def _served(request: CrawlRequest, profile: SourceProfile) -> tuple[date, ...]:
    """The dates asked that this site serves (``source.serves_from``/``serves_until``); the rest are not asked of
    it (another site of the paper has them). None at all, with no ``--latest``, is the caller's mistake."""
    served = tuple(d for d in request.dates if profile.serves(d))
    span = f"{profile.source['serves_from'] or '…'} to {profile.source['serves_until'] or '…'}"
    if len(served) < len(request.dates):
        logger.info("{} of the dates asked are not on {} (it serves {}); not requested",
                    len(request.dates) - len(served), profile.id, span)  # fmt: skip
        if not served and not request.latest:
            raise CrawlUsageError(f"{profile.id} serves none of the dates asked (it serves {span})")
    return served


def _claim(request: CrawlRequest, engine: Engine, base_url: str, stop: threading.Event | None) -> int:
    """Start the run, after any live crawl of the same dates on this database has ended (or refuse)."""
    said = False
    while True:
        try:
            with session_scope(engine) as session:
                asked = {k: v for k, v in json.loads(request.to_json()).items() if k != "watched"}  # not a hint list
                claim = runs.claim_run(session, request.mode, base_url, asked, request.dates, request.latest)
        except OperationalError as exc:  # another process held the database longer than the busy timeout
            if not request.wait or (stop is not None and stop.is_set()):
                raise CrawlBusyError(f"the database is busy: {str(exc.orig).splitlines()[0]}") from exc
            logger.warning("the database is busy ({}); trying again", str(exc.orig).splitlines()[0])
            continue
        for dead in claim.closed:
            logger.warning("crawl run {} was left running by a process that is gone; marked interrupted", dead.id)
        if claim.run is not None:
            return claim.run.id or 0
        blocker = claim.blocker
        assert blocker is not None
        busy = (
            f"crawl run {blocker.id} (pid {blocker.worker_pid} on {blocker.worker_host}, started "
            f"{local_iso(blocker.started_at)}) is crawling {_what(blocker)} on this database"
        )
        if not request.wait:
            raise CrawlBusyError(f"{busy}; try again when it has ended")
        if stop is not None and stop.is_set():
            raise CrawlBusyError(f"{busy}; stopped while waiting for it")
        if not said:
            logger.warning("{}; waiting for it to end", busy)
            said = True
        time.sleep(CLAIM_POLL)


def _what(run: Any) -> str:
    dates = [d.isoformat() for d in request_days(run.request or {})]
    latest = ["the newest issue"] if (run.request or {}).get("latest") else []
    shown = [*latest, *dates[:3], *(["…"] if len(dates) > 3 else [])]
    return ", ".join(shown) or "something"


def _watch_worker(
    child: subprocess.Popen[bytes], request: CrawlRequest, stop: threading.Event | None
) -> tuple[RunStatus, str] | None:
    """Wait for the child that has its run to end; ``(status, reason)`` when it did not end by itself and well."""
    deadline = time.monotonic() + request.time_limit if request.time_limit else None
    while True:
        try:
            code = child.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            pass
        else:
            if code == 0:
                return None
            if code < 0:
                name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
                return RunStatus.INTERRUPTED, f"the crawler process was killed ({name})"
            return RunStatus.FAILED, f"crawler process exited with code {code}"
        if stop is not None and stop.is_set():
            _end(child)
            return RunStatus.INTERRUPTED, "szwatch was shutting down"
        if deadline is not None and time.monotonic() > deadline:
            _end(child)
            return RunStatus.INTERRUPTED, f"the crawl exceeded its time limit of {request.time_limit:.0f}s"


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
        groups = runs.problem_groups(session, run_id)
        return CrawlReport(run_id, run.status, dict(run.stats or {}), problems, run.error, groups)
