"""Crawl runs and their problems: the durable record the CLI summary, ``status`` and the daemon read.

A run names the process doing it (pid and host) and that process renews ``heartbeat_at`` while it works,
so a run whose worker was killed (``kill -9``, a crashed container) is recognised as such and closed as
*interrupted* by whoever looks next, instead of staying "running" forever. Starting a run is a claim:
two crawls of the same dates on one database do not run at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from szwatch.common.days import request_days
from szwatch.store.db import RUNS_LOCK, lock
from szwatch.store.models import CrawlRun, Problem, RunStatus, utcnow
from szwatch.store.plain import plain_of
from szwatch.store.reads import runs as reads

# Whether a run's worker is still there is judged on a run's row alone, so ``status`` can ask it without the ORM:
# it lives with the plain reads; these names stay importable from here.
from szwatch.store.reads.runs import HEARTBEAT_EVERY as HEARTBEAT_EVERY
from szwatch.store.reads.runs import SILENT_ELSEWHERE as SILENT_ELSEWHERE
from szwatch.store.reads.runs import SILENT_HERE as SILENT_HERE
from szwatch.store.reads.runs import ProblemGroup as ProblemGroup
from szwatch.store.reads.runs import WorkerRun as WorkerRun
from szwatch.store.reads.runs import pid_alive as pid_alive
from szwatch.store.reads.runs import this_host as this_host
from szwatch.store.reads.runs import worker_gone as worker_gone


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
    """The run's problems grouped by kind and detail (``reads.runs.problem_groups``, which ``status`` reads alone)."""
    return reads.problem_groups(plain_of(session), run_id)


def last_runs(session: Session, limit: int = 10) -> list[CrawlRun]:
    return list(session.exec(select(CrawlRun).order_by(col(CrawlRun.id).desc()).limit(limit)).all())


def running_runs(session: Session) -> list[CrawlRun]:
    return list(
        session.exec(select(CrawlRun).where(CrawlRun.status == RunStatus.RUNNING).order_by(col(CrawlRun.id))).all()
    )


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
