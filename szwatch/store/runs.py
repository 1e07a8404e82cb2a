"""Crawl runs and their problems: the durable record the CLI summary, ``status`` and the daemon read."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from szwatch.store.models import CrawlRun, Problem, utcnow


def start_run(session: Session, mode: str, base_url: str, request: dict[str, Any]) -> CrawlRun:
    run = CrawlRun(mode=mode, base_url=base_url, request=request)
    session.add(run)
    session.flush()
    return run


def finish_run(session: Session, run_id: int, status: str, stats: dict[str, Any], error: str | None = None) -> None:
    run = session.get(CrawlRun, run_id)
    if run is None:
        return
    run.status, run.stats, run.error, run.finished_at = status, dict(stats), error, utcnow()
    session.add(run)


def fail_run(session: Session, run_id: int, error: str) -> None:
    """Mark a run failed unless it already finished: the worker's own verdict wins over its parent's."""
    run = session.get(CrawlRun, run_id)
    if run is not None and run.status == "running":
        finish_run(session, run_id, "failed", run.stats, error)


def add_problem(
    session: Session, run_id: int, kind: str, url: str, detail: str = "", issue_date: date | None = None
) -> Problem:
    problem = Problem(run_id=run_id, kind=kind, url=url, detail=detail, issue_date=issue_date)
    session.add(problem)
    return problem


def get_run(session: Session, run_id: int) -> CrawlRun | None:
    return session.get(CrawlRun, run_id)


def problems_of(session: Session, run_id: int) -> list[Problem]:
    return list(session.exec(select(Problem).where(Problem.run_id == run_id).order_by(col(Problem.id))).all())


def last_runs(session: Session, limit: int = 10) -> list[CrawlRun]:
    return list(session.exec(select(CrawlRun).order_by(col(CrawlRun.id).desc()).limit(limit)).all())


def fail_unfinished(session: Session, error: str) -> int:
    """Close runs still marked running; only the lease holder may, as only it could have started them."""
    open_runs = session.exec(select(CrawlRun).where(CrawlRun.status == "running")).all()
    for run in open_runs:
        finish_run(session, run.id or 0, "failed", run.stats, error)
    return len(open_runs)
