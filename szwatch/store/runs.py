"""Crawl runs and their problems: the durable record the CLI summary, ``status`` and the daemon read.

A run names the process doing it (pid and host) and that process renews ``heartbeat_at`` while it works,
so a run whose worker was killed (``kill -9``, a crashed container) is recognised as such and closed as
*interrupted* by whoever looks next, instead of staying "running" forever. Starting a run is a claim:
two crawls of the same dates on one database do not run at once.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from sqlmodel import Session, col, select

from szwatch.common.days import request_days
from szwatch.store.db import RUNS_LOCK, lock
from szwatch.store.models import CrawlRun, Problem, RunStatus, utcnow

HEARTBEAT_EVERY = timedelta(seconds=5)
# A worker on another host (one PostgreSQL, two machines) is judged by its heartbeat alone; on this host
# by its pid, and by a much older heartbeat in case the pid now belongs to some other process.
SILENT_ELSEWHERE = timedelta(seconds=60)
SILENT_HERE = timedelta(minutes=10)


@dataclass
class ProblemGroup:
    """Identical problems of one run (same kind and detail), e.g. one layout fallback on 11 pages."""

    kind: str
    detail: str
    subject: str
    count: int = 0
    urls: list[str] = field(default_factory=list)


def this_host() -> str:
    return socket.gethostname()


def start_run(
    session: Session, mode: str, base_url: str, request: dict[str, Any], pid: int | None = None,
    host: str | None = None,
) -> CrawlRun:  # fmt: skip
    run = CrawlRun(mode=mode, base_url=base_url, request=request, worker_pid=pid, worker_host=host,
                   heartbeat_at=utcnow() if pid else None)  # fmt: skip
    session.add(run)
    session.flush()
    return run


@dataclass
class Claim:
    run: CrawlRun | None  # the run started, or None when ``blocker`` is crawling the same dates
    blocker: CrawlRun | None = None
    closed: list[CrawlRun] = field(default_factory=list)  # runs found dead and closed on the way


def claim_run(
    session: Session, mode: str, base_url: str, request: dict[str, Any], dates: Iterable[date], latest: bool
) -> Claim:
    """Start a run unless a live one is crawling the same dates of the same paper.

    Check and insert happen under one lock, so two crawls started at the same instant cannot both see
    "nobody" and both start. ``--latest`` may turn out to be any date, so it overlaps every other run of
    its paper (a run that does not name its paper, from before papers were named, overlaps every run).
    Runs whose worker is gone are closed first: a killed crawl must not block the next one for ever.
    """
    lock(session, RUNS_LOCK)
    closed = close_dead_runs(session)
    wanted, paper = set(dates), request.get("paper")
    for other in running_runs(session):
        theirs = set(request_days(other.request or {}))
        if paper and (other.request or {}).get("paper") not in (None, paper):
            continue  # another paper's issues: crawled side by side (on Scrapyd nodes, say)
        if latest or (other.request or {}).get("latest") or wanted & theirs:
            return Claim(None, other, closed)
    return Claim(start_run(session, mode, base_url, request, os.getpid(), this_host()), None, closed)


def attach_worker(session: Session, run_id: int, pid: int, host: str) -> None:
    """The process that does the work (the crawler's child) takes the run over from the one that claimed it."""
    run = session.get(CrawlRun, run_id)
    if run is not None:
        run.worker_pid, run.worker_host, run.heartbeat_at = pid, host, utcnow()
        session.add(run)


def beat(session: Session, run_id: int) -> None:
    run = session.get(CrawlRun, run_id)
    if run is not None and run.status == RunStatus.RUNNING:
        run.heartbeat_at = utcnow()
        session.add(run)


def finish_run(
    session: Session, run_id: int, status: RunStatus, stats: dict[str, Any], error: str | None = None
) -> None:
    run = session.get(CrawlRun, run_id)
    if run is None:
        return
    run.status, run.stats, run.error, run.finished_at = status, dict(stats or {}), error, utcnow()
    session.add(run)


def fail_run(session: Session, run_id: int, error: str) -> None:
    """Mark a run failed unless it already finished: the worker's own verdict wins over its parent's."""
    run = session.get(CrawlRun, run_id)
    if run is not None and run.status == RunStatus.RUNNING:
        finish_run(session, run_id, RunStatus.FAILED, run.stats, error)


def interrupt_run(session: Session, run_id: int, reason: str) -> None:
    """Close a run that was stopped or lost its worker. A run the worker already closed as interrupted
    gets the caller's reason, which knows why (a time limit, a shutdown, a killed process)."""
    run = session.get(CrawlRun, run_id)
    if run is not None and run.status in (RunStatus.RUNNING, RunStatus.INTERRUPTED):
        finish_run(session, run_id, RunStatus.INTERRUPTED, run.stats, reason)


def add_problem(
    session: Session, run_id: int, kind: str, url: str, detail: str = "", issue_date: date | None = None,
    subject: str = "",
) -> Problem:  # fmt: skip
    problem = Problem(run_id=run_id, kind=kind, url=url[:512], detail=detail, issue_date=issue_date,
                      subject=subject)  # fmt: skip
    session.add(problem)
    return problem


def get_run(session: Session, run_id: int) -> CrawlRun | None:
    return session.get(CrawlRun, run_id)


def problems_of(session: Session, run_id: int) -> list[Problem]:
    return list(session.exec(select(Problem).where(Problem.run_id == run_id).order_by(col(Problem.id))).all())


def problem_groups(session: Session, run_id: int) -> list[ProblemGroup]:
    """The run's problems grouped by kind and detail, in the order each was first met; every URL kept."""
    groups: dict[tuple[str, str], ProblemGroup] = {}
    for problem in problems_of(session, run_id):
        group = groups.setdefault((problem.kind, problem.detail), ProblemGroup(problem.kind, problem.detail,
                                                                                problem.subject))  # fmt: skip
        group.count += 1
        group.urls.append(problem.url)
    return list(groups.values())


def last_runs(session: Session, limit: int = 10) -> list[CrawlRun]:
    return list(session.exec(select(CrawlRun).order_by(col(CrawlRun.id).desc()).limit(limit)).all())


def running_runs(session: Session) -> list[CrawlRun]:
    return list(
        session.exec(select(CrawlRun).where(CrawlRun.status == RunStatus.RUNNING).order_by(col(CrawlRun.id))).all()
    )


class WorkerRun(Protocol):
    """What a run says about its worker: crawl runs and detection runs both do."""

    started_at: datetime
    heartbeat_at: datetime | None
    worker_pid: int | None
    worker_host: str | None


def worker_gone(run: WorkerRun, now: datetime | None = None, host: str | None = None) -> str | None:
    """Why a running run's worker is no longer there, or None while it may still be working."""
    now, host = now or utcnow(), host or this_host()
    last = _aware(run.heartbeat_at or run.started_at)
    silent = now - last
    when = last.isoformat(timespec="seconds")
    if run.worker_pid and run.worker_host == host:
        if not pid_alive(run.worker_pid):
            return f"its worker (pid {run.worker_pid}) is gone; last heartbeat {when}"
        if silent > SILENT_HERE:
            return f"no heartbeat since {when} (pid {run.worker_pid} now belongs to another process?)"
        return None
    if silent > SILENT_ELSEWHERE:
        where = f"pid {run.worker_pid} on {run.worker_host}" if run.worker_pid else "its worker"
        return f"no heartbeat from {where} since {when}"
    return None


def close_dead_runs(session: Session, now: datetime | None = None, because: str | None = None) -> list[CrawlRun]:
    """Close every running run whose worker is gone as interrupted (the reason says how that was seen)."""
    closed = []
    for run in running_runs(session):
        reason = worker_gone(run, now)
        if reason:
            error = f"{because} ({reason})" if because else f"interrupted: {reason}"
            finish_run(session, run.id or 0, RunStatus.INTERRUPTED, run.stats, error)
            closed.append(run)
    return closed


def fail_unfinished(session: Session, error: str) -> int:
    """Close runs left running by a process that is gone (the daemon calls this when it starts).

    Only dead ones: a ``szwatch crawl`` running beside the daemon on the same database is alive and its
    run is its own.
    """
    return len(close_dead_runs(session, because=error))


def pid_alive(pid: int) -> bool:
    """Is a process with this pid running here? A zombie (dead, not yet reaped) counts as gone."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            return handle.read().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
