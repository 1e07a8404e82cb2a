"""Crawl and detection runs, and a crawl's problems, read with plain SQL: ``szwatch status``, ``szwatch sources``,
the health check (the daemon's, the web view's status page) and the crawl summary share these reads.

Plain SQL (``store.plain``) because ``status`` and ``sources`` must start fast: on the embedded store
``db.plain_reader`` answers through sqlite3, without SQLAlchemy or the ORM models. The rows carry the attribute
names of the ORM's ``CrawlRun`` and ``DetectRun``, so whoever read those (the CLI's text, ``runs.worker_gone``)
reads these unchanged; values are made the same on every connection (times aware in UTC, JSON as Python values).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from szwatch.common.states import RunStatus
from szwatch.store.plain import in_list, plain_of
from szwatch.store.reads.alerts import json_value, moment_or_none, utc_moment

if TYPE_CHECKING:
    from szwatch.store.plain import Db

CRAWL_COLUMNS = (
    "id, started_at, finished_at, mode, base_url, request, status, stats, error, worker_pid, worker_host, heartbeat_at"
)
HEARTBEAT_EVERY = timedelta(seconds=5)
# A worker on another host (one PostgreSQL, two machines) is judged by its heartbeat alone; on this host
# by its pid, and by a much older heartbeat in case the pid now belongs to some other process.
SILENT_ELSEWHERE = timedelta(seconds=60)
SILENT_HERE = timedelta(minutes=10)
DETECT_COLUMNS = "id, started_at, finished_at, stories, alerts, status, error, worker_pid, worker_host, heartbeat_at"


@dataclass(frozen=True)
class CrawlRunRow:
    """One row of ``crawl_runs``, as the ORM's ``CrawlRun`` names its attributes."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    mode: str
    base_url: str
    request: dict[str, Any]
    status: str
    stats: dict[str, Any]
    error: str | None
    worker_pid: int | None
    worker_host: str | None
    heartbeat_at: datetime | None


@dataclass(frozen=True)
class DetectRunRow:
    """One row of ``detect_runs``, as the ORM's ``DetectRun`` names its attributes."""

    id: int
    started_at: datetime
    finished_at: datetime | None
    stories: int
    alerts: int
    status: str
    error: str | None
    worker_pid: int | None
    worker_host: str | None
    heartbeat_at: datetime | None


@dataclass
class ProblemGroup:
    """Identical problems of one run (same kind and detail), e.g. one layout fallback on 11 pages."""

    kind: str
    detail: str
    subject: str
    count: int = 0
    urls: list[str] = field(default_factory=list)


def last_crawl_runs(db: Db, limit: int = 10) -> list[CrawlRunRow]:
    """The newest ``limit`` crawl runs, newest first."""
    rows = plain_of(db).run(f"SELECT {CRAWL_COLUMNS} FROM crawl_runs ORDER BY id DESC LIMIT :limit", {"limit": limit})
    return [_crawl_run(row) for row in rows]


def running_crawl_runs(db: Db) -> list[CrawlRunRow]:
    """Crawl runs still marked running (their workers may be gone: ``runs.worker_gone`` says), oldest first."""
    sql = f"SELECT {CRAWL_COLUMNS} FROM crawl_runs WHERE status = :running ORDER BY id"
    return [_crawl_run(row) for row in plain_of(db).run(sql, {"running": RunStatus.RUNNING.value})]


def unfinished_detect_runs(db: Db) -> list[DetectRunRow]:
    """Detection runs not finished (running, or their worker died unseen), oldest first."""
    sql = f"SELECT {DETECT_COLUMNS} FROM detect_runs WHERE finished_at IS NULL ORDER BY id"
    return [_detect_run(row) for row in plain_of(db).run(sql)]


def problem_groups(db: Db, run_id: int) -> list[ProblemGroup]:
    """The run's problems grouped by kind and detail, in the order each was first met; every URL kept."""
    sql = "SELECT kind, detail, subject, url FROM problems WHERE run_id = :run ORDER BY id"
    groups: dict[tuple[str, str], ProblemGroup] = {}
    for kind, detail, subject, url in plain_of(db).run(sql, {"run": run_id}):
        group = groups.setdefault((kind, detail or ""), ProblemGroup(kind, detail or "", subject or ""))
        group.count += 1
        group.urls.append(url)
    return list(groups.values())


def problem_kinds(db: Db, run_ids: list[int]) -> dict[int, set[str]]:
    """The kinds of problem each of these runs met (a run with none is absent)."""
    params: dict[str, Any] = {}
    sql = f"SELECT DISTINCT run_id, kind FROM problems WHERE run_id IN {in_list('r', run_ids, params)}"
    kinds: dict[int, set[str]] = {}
    for run_id, kind in plain_of(db).run(sql, params) if run_ids else []:
        kinds.setdefault(run_id, set()).add(kind)
    return kinds


def _crawl_run(row: tuple[Any, ...]) -> CrawlRunRow:
    id_, started, finished, mode, base_url, request, status, stats, error, pid, host, beat = row
    return CrawlRunRow(id_, utc_moment(started), moment_or_none(finished), mode, base_url,
                       json_value(request) or {}, status, json_value(stats) or {}, error, pid, host,
                       moment_or_none(beat))  # fmt: skip


def _detect_run(row: tuple[Any, ...]) -> DetectRunRow:
    id_, started, finished, stories, alerts, status, error, pid, host, beat = row
    return DetectRunRow(id_, utc_moment(started), moment_or_none(finished), stories or 0, alerts or 0, status,
                        error, pid, host, moment_or_none(beat))  # fmt: skip


def this_host() -> str:
    return socket.gethostname()


class WorkerRun(Protocol):
    """What a run says about its worker: crawl runs and detection runs both do (ORM objects and plain rows)."""

    @property
    def started_at(self) -> datetime: ...
    @property
    def heartbeat_at(self) -> datetime | None: ...
    @property
    def worker_pid(self) -> int | None: ...
    @property
    def worker_host(self) -> str | None: ...


def worker_gone(run: WorkerRun, now: datetime | None = None, host: str | None = None) -> str | None:
    """Why a running run's worker is no longer there, or None while it may still be working."""
    now, host = now or datetime.now(UTC), host or this_host()
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


def any_worker_gone(db: Db, now: datetime | None = None) -> bool:
    """Is a crawl or detection run marked running whose worker is gone? ``status`` asks this first and loads the
    ORM to close such runs (``runs.close_dead_runs``, ``detect_runs.close_dead``) only when there is one."""
    runs: list[WorkerRun] = [*running_crawl_runs(db), *unfinished_detect_runs(db)]
    return any(worker_gone(run, now) for run in runs)
