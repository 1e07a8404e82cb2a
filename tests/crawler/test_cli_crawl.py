"""``szwatch crawl`` and ``szwatch status`` as a user runs them: real processes, signals, one database.

Killed crawls do not stay "running"; two crawls on one database neither crash nor store anything twice;
problems are grouped; Scrapy's own warnings reach our log.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from szwatch.crawler.profile import DEFAULT_PROFILE
from szwatch.replica.server import ReplicaServer
from szwatch.store.db import open_store
from szwatch.store.models import Article, CrawlRun, Issue, Problem
from szwatch.store.runs import pid_alive

DAY = "2024-05-07"
DAY_PATH = "/shtml/szrb/20240507/"


def args(site: ReplicaServer, *extra: str) -> list[str]:
    return [sys.executable, "-m", "szwatch", "--quiet", "crawl", "--base-url", site.url, "--delay", "0",
            "--concurrency", "8", *extra]  # fmt: skip


def start(command: list[str], db_url: str) -> subprocess.Popen[str]:
    """A crawl in its own process group (so the test can kill it and its worker together)."""
    return subprocess.Popen(command, env={**os.environ, "SZWATCH_DB": db_url}, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)  # fmt: skip


def szwatch(command: list[str], db_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env={**os.environ, "SZWATCH_DB": db_url}, capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def wait_for(check: Callable[[], object], seconds: float = 60) -> object:
    deadline = time.monotonic() + seconds
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)
    return result


def the_run(engine: Engine, run_id: int = 1) -> CrawlRun | None:
    with Session(engine) as session:
        return session.get(CrawlRun, run_id)


def attached(engine: Engine, cli: subprocess.Popen[str], run_id: int = 1) -> CrawlRun | None:
    """The run once the crawler's child has taken it over (its pid, not the CLI's)."""
    run = the_run(engine, run_id)
    return run if run and run.worker_pid and run.worker_pid != cli.pid else None


def articles(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        urls = session.exec(select(Article.url)).all()
    return len(urls), len(set(urls))


def issue_status(engine: Engine) -> str | None:
    with Session(engine) as session:
        return session.exec(select(Issue.status).where(Issue.issue_date == date(2024, 5, 7))).first()


def slow_down(site: ReplicaServer, count: int = 20) -> int:
    """Make the day's crawl last a while: ``count`` articles answer only after the server's hang (4 s)."""
    names = sorted(p.name for p in (site.root / DAY_PATH.strip("/")).glob("1*.shtml"))
    for name in names[:count]:
        site.fail(DAY_PATH + name, "hang")
    return len(names)


def test_kill_9_of_the_worker_ends_the_run_interrupted_and_the_next_crawl_completes(
    site: ReplicaServer, db_url: str, engine: Engine
):
    expected = slow_down(site)
    cli = start(args(site, "--date", DAY), db_url)
    run = wait_for(lambda: attached(engine, cli))
    first_beat = run.heartbeat_at  # type: ignore[union-attr]
    wait_for(lambda: (r := the_run(engine)) and r.heartbeat_at and r.heartbeat_at > first_beat, 20)  # it beats
    os.kill(run.worker_pid, signal.SIGKILL)  # type: ignore[union-attr]
    out, err = cli.communicate(timeout=60)

    assert cli.returncode == 2
    assert "crawl run 1: interrupted — the crawler process was killed (SIGKILL)" in out
    assert err.strip().splitlines()[-1].startswith("szwatch: crawl interrupted: the crawler process was killed")
    assert the_run(engine).status == "interrupted"  # type: ignore[union-attr]
    assert issue_status(engine) != "complete"

    site.reset()
    again = szwatch(args(site, "--date", DAY), db_url)
    assert again.returncode == 0, again.stderr
    assert issue_status(engine) == "complete" and articles(engine) == (expected, expected)


def test_kill_9_of_the_crawl_command_stops_its_worker_which_records_what_landed(
    site: ReplicaServer, db_url: str, engine: Engine
):
    slow_down(site)
    cli = start(args(site, "--date", DAY), db_url)
    run = wait_for(lambda: attached(engine, cli))
    wait_for(lambda: issue_status(engine))  # pages read, the first articles on their way (a sleep was flaky)
    os.kill(cli.pid, signal.SIGKILL)
    cli.wait(timeout=10)

    ended = wait_for(lambda: (r := the_run(engine)) and r.status != "running" and r, 40)
    assert ended.status == "interrupted"  # type: ignore[union-attr]
    assert "the szwatch process that started it was killed" in ended.error  # type: ignore[union-attr]
    wait_for(lambda: not pid_alive(run.worker_pid), 20)  # type: ignore[union-attr]
    assert issue_status(engine) == "incomplete"


def test_crawl_killed_with_its_worker_is_closed_by_status_and_by_the_next_crawl(
    site: ReplicaServer, db_url: str, engine: Engine
):
    expected = slow_down(site, 40)
    for run_id, closer in ((1, "status"), (2, "crawl")):
        cli = start(args(site, "--date", DAY), db_url)
        run = wait_for(lambda cli=cli, run_id=run_id: attached(engine, cli, run_id))
        os.killpg(cli.pid, signal.SIGKILL)  # the command and its worker, as a container kill would
        cli.wait(timeout=10)
        wait_for(lambda run=run: not pid_alive(run.worker_pid), 20)  # type: ignore[union-attr]
        assert the_run(engine, run_id).status == "running"  # type: ignore[union-attr]  # nobody closed it yet
        if closer == "status":
            status = szwatch([sys.executable, "-m", "szwatch", "status"], db_url)
            assert f"interrupted crawl run #{run_id}: interrupted: its worker (pid" in status.stdout
            assert the_run(engine, run_id).status == "interrupted"  # type: ignore[union-attr]

    site.reset()
    finished = szwatch(args(site, "--date", DAY), db_url)
    assert finished.returncode == 0, finished.stderr
    assert the_run(engine, 2).status == "interrupted"  # type: ignore[union-attr]  # closed by this crawl
    assert "crawl run 2 was left running by a process that is gone" in finished.stderr
    assert issue_status(engine) == "complete" and articles(engine) == (expected, expected)


def test_two_crawls_of_the_same_date_at_once_serialise(site: ReplicaServer, db_url: str, engine: Engine):
    expected = slow_down(site, 10)
    first = start(args(site, "--date", DAY), db_url)
    wait_for(lambda: the_run(engine))
    second = start(args(site, "--date", DAY), db_url)
    outputs = [process.communicate(timeout=120) for process in (first, second)]

    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert "1 complete" in outputs[0][0]
    assert "0 complete, 0 incomplete, 0 days without a paper, 1 already complete (skipped)" in outputs[1][0]
    assert "crawl run 1 (pid" in outputs[1][1] and "is crawling 2024-05-07 on this database; waiting" in outputs[1][1]
    assert not any("locked" in err for _, err in outputs)
    assert articles(engine) == (expected, expected)


def test_second_crawl_told_not_to_wait_refuses_in_one_line(site: ReplicaServer, db_url: str, engine: Engine):
    slow_down(site, 10)
    first = start(args(site, "--date", DAY), db_url)
    wait_for(lambda: the_run(engine))
    refused = szwatch(args(site, "--date", DAY, "--no-wait"), db_url)
    first.communicate(timeout=120)

    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("szwatch: error: crawl run 1 (pid ")
    assert "is crawling 2024-05-07 on this database; try again when it has ended" in lines[0]
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(CrawlRun)).one() == 1


def test_crawls_of_other_dates_run_side_by_side_on_a_new_database(site: ReplicaServer, db_url: str):
    """Started together on an empty database: both migrate it (one waits for the other) and both crawl."""
    first = start(args(site, "--date", DAY), db_url)
    second = start(args(site, "--date", "2024-05-08"), db_url)
    outputs = [process.communicate(timeout=120) for process in (first, second)]

    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert not any("locked" in err or "already exists" in err for _, err in outputs)
    engine = open_store(db_url)
    with Session(engine) as session:
        assert set(session.exec(select(Issue.status)).all()) == {"complete"}
    count, unique = articles(engine)
    assert count == unique > 60
    engine.dispose()


def test_a_layout_fallback_is_said_once_grouped_with_every_url_kept(site: ReplicaServer, db_url: str, tmp_path: Path,
                                                                   engine: Engine):  # fmt: skip
    profile = tmp_path / "site.toml"
    text = DEFAULT_PROFILE.read_text(encoding="utf-8").replace('nav_links = ["#bmList a"', 'nav_links = ["#nope a"')
    profile.write_text(text, encoding="utf-8")

    as_json = szwatch(args(site, "--date", DAY, "--profile", str(profile), "--json"), db_url)
    as_text = szwatch(args(site, "--date", DAY, "--profile", str(profile), "--refresh"), db_url)

    assert as_json.returncode == as_text.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["problem_count"] == 4
    assert [(p["kind"], p["subject"], p["count"], len(set(p["urls"]))) for p in report["problems"]] == [
        ("layout", "page", 4, 4)
    ]
    assert report["problems"][0]["detail"] == "page.nav_links: fallback \"xpath://a[contains(text(), '版')]\" used"
    layout_lines = [line for line in as_text.stdout.splitlines() if "page.nav_links" in line]
    assert len(layout_lines) == 1 and "used on 4 pages, e.g. http://" in layout_lines[0]
    assert as_text.stderr.strip().splitlines()[-1] == "szwatch: crawl finished with 4 problem(s)"
    assert sum("page.nav_links" in line for line in as_text.stderr.splitlines()) == 1  # --quiet: warned once
    with Session(engine) as session:
        assert len(set(session.exec(select(Problem.url).where(Problem.kind == "layout")).all())) == 4


def test_scrapys_own_errors_reach_our_log(site: ReplicaServer, db_url: str):
    site.fail(DAY_PATH + "vA3.shtml", *["503"] * 4)
    result = szwatch(args(site, "--date", DAY), db_url)

    assert result.returncode == 1
    assert "scrapy.downloadermiddlewares.retry: Gave up retrying <GET " in result.stderr
