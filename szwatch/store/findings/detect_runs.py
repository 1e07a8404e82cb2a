"""Detection runs: started, kept alive by a heartbeat, finished, or closed as interrupted when their worker died.

A digest route sends a detection run's alerts as one message once the run has ended, so a run that never ends
would hold its digest back for good. A run names its worker (pid and host, as crawl runs do); the next
``detect``, ``deliver``, ``status`` or the daemon closes a run whose worker is gone as *interrupted*, and its
digest goes out with the alerts the run had written (each batch of stories commits its alerts, so none is half
written).
"""

from __future__ import annotations

import os
from datetime import datetime

from sqlmodel import Session, col, select

from szwatch.store.models import DetectRun, RunStatus, utcnow
from szwatch.store.runs import this_host, worker_gone


def start(session: Session) -> DetectRun:
    run = DetectRun(worker_pid=os.getpid(), worker_host=this_host(), heartbeat_at=utcnow())
    session.add(run)
    session.flush()
    return run


def beat(session: Session, run_id: int) -> None:
    run = session.get(DetectRun, run_id)
    if run is not None and run.status == RunStatus.RUNNING:
        run.heartbeat_at = utcnow()
        session.add(run)


def finish(session: Session, run_id: int, stories: int, alerts: int) -> None:
    run = session.get(DetectRun, run_id)
    if run is not None:
        run.finished_at, run.stories, run.alerts, run.status = utcnow(), stories, alerts, RunStatus.OK
        session.add(run)


def running(session: Session) -> list[DetectRun]:
    stmt = select(DetectRun).where(col(DetectRun.finished_at).is_(None)).order_by(col(DetectRun.id))
    return list(session.exec(stmt).all())


def close_dead(session: Session, now: datetime | None = None) -> list[DetectRun]:
    """Close every unfinished run whose worker is gone as interrupted; their digests become due."""
    closed = []
    for run in running(session):
        reason = worker_gone(run, now)
        if reason:
            run.finished_at, run.status, run.error = now or utcnow(), RunStatus.INTERRUPTED, f"interrupted: {reason}"
            session.add(run)
            closed.append(run)
    return closed
