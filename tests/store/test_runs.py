"""Crawl runs in the store: which runs are dead, what a claim lets start, problems grouped per run."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from szwatch.store import runs
from szwatch.store.db import session_scope
from szwatch.store.models import CrawlRun, utcnow


def a_dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def make_run(engine: Engine, pid: int | None, host: str | None, beat_ago: timedelta, **request: object) -> int:
    with session_scope(engine) as session:
        run = runs.start_run(session, "dates", "http://x", {"dates": [], "latest": False, **request})
        run.worker_pid, run.worker_host, run.heartbeat_at = pid, host, utcnow() - beat_ago
        session.add(run)
        session.flush()
        return run.id or 0


def status_of(engine: Engine, run_id: int) -> tuple[str, str | None]:
    with session_scope(engine) as session:
        run = session.get(CrawlRun, run_id)
        assert run is not None
        return run.status, run.error


def test_runs_whose_worker_is_gone_are_closed_as_interrupted_and_live_ones_kept(engine: Engine):
    here = runs.this_host()
    dead_here = make_run(engine, a_dead_pid(), here, timedelta(seconds=1))
    alive_here = make_run(engine, os.getpid(), here, timedelta(seconds=1))
    silent_elsewhere = make_run(engine, 4242, "other-machine", timedelta(minutes=2))
    beating_elsewhere = make_run(engine, 4242, "other-machine", timedelta(seconds=10))
    never_attached = make_run(engine, None, None, timedelta(minutes=5))

    with session_scope(engine) as session:
        closed = {run.id for run in runs.close_dead_runs(session)}

    assert closed == {dead_here, silent_elsewhere, never_attached}
    assert status_of(engine, dead_here)[0] == "interrupted"
    assert "its worker (pid" in (status_of(engine, dead_here)[1] or "")
    assert "no heartbeat from pid 4242 on other-machine" in (status_of(engine, silent_elsewhere)[1] or "")
    assert status_of(engine, alive_here) == ("running", None)
    assert status_of(engine, beating_elsewhere) == ("running", None)

    later = utcnow() + runs.SILENT_ELSEWHERE + timedelta(seconds=1)
    with session_scope(engine) as session:
        assert [run.id for run in runs.close_dead_runs(session, now=later)] == [beating_elsewhere]


def test_a_claim_waits_for_the_same_dates_not_for_others(engine: Engine):
    busy = make_run(engine, os.getpid(), runs.this_host(), timedelta(0), dates=["2024-05-07"])

    with session_scope(engine) as session:
        blocked = runs.claim_run(session, "dates", "http://x", {}, [date(2024, 5, 7), date(2024, 5, 8)], False)
    with session_scope(engine) as session:
        other = runs.claim_run(session, "dates", "http://x", {"dates": ["2024-05-09"]}, [date(2024, 5, 9)], False)
    with session_scope(engine) as session:
        newest = runs.claim_run(session, "latest", "http://x", {"latest": True}, [], True)

    assert blocked.run is None and blocked.blocker is not None and blocked.blocker.id == busy
    assert other.run is not None and other.run.worker_pid == os.getpid()
    assert newest.run is None  # the newest issue could be any date: it waits for every live crawl


def test_a_claim_is_not_blocked_by_a_dead_run(engine: Engine):
    dead = make_run(engine, a_dead_pid(), runs.this_host(), timedelta(0), dates=["2024-05-07"])

    with session_scope(engine) as session:
        claim = runs.claim_run(session, "dates", "http://x", {}, [date(2024, 5, 7)], False)

    assert claim.run is not None and [r.id for r in claim.closed] == [dead]
    assert status_of(engine, dead)[0] == "interrupted"


def test_problems_are_grouped_by_kind_and_detail_with_every_url(engine: Engine):
    run_id = make_run(engine, None, None, timedelta(0))
    with session_scope(engine) as session:
        for page in range(11):
            runs.add_problem(session, run_id, "layout", f"http://x/v{page}.shtml", "page.nav_links: fallback used",
                             subject="page")  # fmt: skip
        runs.add_problem(session, run_id, "fetch_failed", "http://x/1.shtml", "HTTP 503", subject="article")
    with session_scope(engine) as session:
        groups = runs.problem_groups(session, run_id)

    assert [(g.kind, g.detail, g.subject, g.count) for g in groups] == [
        ("layout", "page.nav_links: fallback used", "page", 11),
        ("fetch_failed", "HTTP 503", "article", 1),
    ]
    assert groups[0].urls == [f"http://x/v{page}.shtml" for page in range(11)]


def test_crawls_of_two_papers_run_side_by_side_but_one_paper_waits_for_itself(engine: Engine):
    busy = make_run(engine, os.getpid(), runs.this_host(), timedelta(0), dates=["2024-05-07"], paper="szrb")
    day = [date(2024, 5, 7)]

    with session_scope(engine) as session:
        other_paper = runs.claim_run(session, "dates", "http://y", {"paper": "sxrb"}, day, False)
    with session_scope(engine) as session:
        same_paper = runs.claim_run(session, "dates", "http://z", {"paper": "szrb"}, day, False)  # its other site

    assert other_paper.run is not None  # 山西日报 of that day does not wait for 朔州日报 of that day
    assert same_paper.run is None and same_paper.blocker is not None and same_paper.blocker.id == busy
