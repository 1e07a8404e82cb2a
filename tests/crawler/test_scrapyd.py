"""Crawls through real Scrapyd nodes into one real PostgreSQL: two nodes on localhost, the project deployed with
``szwatch scrapyd deploy``, two papers' replicas crawled side by side, and a node killed in the middle of a job
without an article lost or stored twice. These need PostgreSQL (``SZWATCH_TEST_PG``): several processes on
several machines share one database, which is what SQLite is not for."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from szwatch.app.daemon import Daemon
from szwatch.app.settings import Settings, parse_settings
from szwatch.crawler.dispatch import job_id
from szwatch.crawler.dispatch.scrapyd import ScrapydDispatcher
from szwatch.crawler.dispatch.scrapyd_api import ScrapydClient
from szwatch.crawler.run import CrawlRequest
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.build import Manifest, ReplicaSpec, build_replica
from szwatch.replica.scrapyd_node import ScrapydNode
from szwatch.replica.server import ReplicaServer
from szwatch.store.db import open_store
from szwatch.store.models import Alert, Article, CrawlRun, DetectRun, Issue, IssueStatus
from tests.conftest import PG_URL, _reset_postgres

needs_pg = pytest.mark.skipif(not PG_URL, reason="SKIPPED LOUDLY: set SZWATCH_TEST_PG to crawl through Scrapyd")

SZRB_DAYS = (date(2024, 5, 6), date(2024, 5, 7))
SXRB_DAYS = (date(2024, 5, 8), date(2024, 5, 9))
FAST = {"delay": 0, "timeout": 3, "retries": 1}


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ScrapydNode]]:
    """Two Scrapyd nodes, the project deployed to both by the real command."""
    root = tmp_path_factory.mktemp("scrapyd")
    started = [ScrapydNode(root / name).start() for name in ("a", "b")]
    try:
        deploy = [sys.executable, "-m", "szwatch", "scrapyd", "deploy", *(f"--node={n.url}" for n in started)]
        done = subprocess.run(deploy, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("deployed (spiders: 1)") == 2
        yield started
    finally:
        for node in started:
            node.kill()


@pytest.fixture(scope="module")
def sxrb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ReplicaServer, Manifest]]:
    """A second paper (山西日报's system and markup) on its own server."""
    root = tmp_path_factory.mktemp("sxrb")
    manifest = build_replica(root, ReplicaSpec(family="shtml", code="sxrb", name="山西日报", seed=77))
    with ReplicaServer(root, hang_seconds=4) as server:
        yield server, manifest


@pytest.fixture
def pg() -> Iterator[Engine]:
    assert PG_URL
    _reset_postgres(PG_URL)
    engine = open_store(PG_URL)
    yield engine
    engine.dispose()


def files_of(root: Path, code: str, days: tuple[date, ...]) -> int:
    """How many articles the replica serves on those days, counted on its disk."""
    return sum(len(list((root / "shtml" / code / f"{d:%Y%m%d}").glob("[0-9]*.shtml"))) for d in days)


def stored(engine: Engine, paper: str) -> tuple[int, int]:
    """(articles, complete issues) of a paper in the store."""
    with Session(engine) as session:
        issues = select(Issue.id).where(Issue.source == paper)
        articles = session.exec(select(func.count()).where(col(Article.issue_id).in_(issues))).one()
        complete = session.exec(select(func.count()).where(Issue.source == paper,
                                                           Issue.status == IssueStatus.COMPLETE)).one()  # fmt: skip
    return int(articles), int(complete)


def daemon_on(engine: Engine, nodes: list[ScrapydNode], site: ReplicaServer, other: ReplicaServer) -> Daemon:
    settings: Settings = parse_settings({
        "crawl": {"dispatcher": "scrapyd", "nodes": [n.url for n in nodes], "poll_seconds": 0.3},
        "source": [{"profile": "szrb", "base_url": site.url}, {"profile": "sxrb", "base_url": other.url}],
    }, {})  # fmt: skip
    return Daemon(engine, settings, load_watchlist())


def test_a_job_id_names_the_paper_and_the_dates() -> None:
    assert job_id("szrb", CrawlRequest(dates=(date(2024, 5, 7),))) == "szrb:2024-05-07"
    days = tuple(date(2024, 5, d) for d in (1, 2, 3, 9))
    assert job_id("szrb", CrawlRequest(dates=days)) == "szrb:2024-05-01..2024-05-03,2024-05-09"
    assert job_id("sxrb", CrawlRequest(latest=True)) == "sxrb:latest"


@needs_pg
def test_the_daemon_crawls_two_papers_side_by_side_on_two_nodes(
    pg: Engine, nodes: list[ScrapydNode], site: ReplicaServer, replica: tuple[Path, Manifest],
    sxrb: tuple[ReplicaServer, Manifest],
) -> None:  # fmt: skip
    daemon = daemon_on(pg, nodes, site, sxrb[0])
    reports = daemon.crawl_and_detect(
        CrawlRequest(dates=SZRB_DAYS, base_url=site.url, profile="szrb", **FAST),  # type: ignore[arg-type]
        CrawlRequest(dates=SXRB_DAYS, base_url=sxrb[0].url, profile="sxrb", **FAST),  # type: ignore[arg-type]
    )
    assert [r.status for r in reports] == ["ok", "ok"]
    assert stored(pg, "szrb") == (files_of(replica[0], "szrb", SZRB_DAYS), 2)
    assert stored(pg, "sxrb") == (files_of(sxrb[0].root, "sxrb", SXRB_DAYS), 2)
    client = ScrapydClient()
    on_a, on_b = (set(client.jobs(n.url)) for n in nodes)
    assert {*on_a, *on_b} == {"szrb:2024-05-06..2024-05-07", "sxrb:2024-05-08..2024-05-09"}
    assert len(on_a) == len(on_b) == 1  # one paper on each node
    with Session(pg) as session:
        assert session.exec(select(func.count()).select_from(DetectRun)).one() == 1  # detection once, after both


@needs_pg
def test_a_job_already_under_way_is_followed_not_scheduled_again(
    pg: Engine, nodes: list[ScrapydNode], site: ReplicaServer
) -> None:
    request = CrawlRequest(dates=(date(2024, 5, 8),), base_url=site.url, profile="szrb", **FAST)  # type: ignore[arg-type]
    first = ScrapydDispatcher(pg, [n.url for n in nodes], ScrapydClient(), str(PG_URL), poll_seconds=0.3)
    job = first.start(request)
    assert job is not None and job.id == "szrb:2024-05-08"
    restarted = ScrapydDispatcher(pg, [n.url for n in reversed(nodes)], ScrapydClient(), str(PG_URL), 0.3)
    followed = restarted.start(request)  # a daemon restarted while the job is on its node
    assert followed is not None and (followed.run_id, followed.node) == (job.run_id, job.node)
    while (report := restarted.poll(followed)) is None:
        time.sleep(0.3)
    assert report.status == "ok"
    with Session(pg) as session:
        assert session.exec(select(func.count()).select_from(CrawlRun)).one() == 1


@needs_pg
def test_a_node_killed_mid_job_loses_nothing_and_stores_nothing_twice(
    pg: Engine, nodes: list[ScrapydNode], site: ReplicaServer, replica: tuple[Path, Manifest],
    sxrb: tuple[ReplicaServer, Manifest],
) -> None:  # fmt: skip
    days = (date(2024, 5, 13), date(2024, 5, 14), date(2024, 5, 16), date(2024, 5, 17))
    slow = {**FAST, "delay": 0.05, "concurrency": 1}  # long enough to be killed in the middle
    daemon = daemon_on(pg, nodes, site, sxrb[0])
    request = CrawlRequest(dates=days, base_url=site.url, profile="szrb", **slow)  # type: ignore[arg-type]
    crawling = threading.Thread(target=lambda: reports.extend(daemon.crawl_and_detect(request)))
    reports: list = []
    crawling.start()
    victim = _node_after(site, 110, nodes)  # well into the issue: part of it is stored
    victim.kill()
    crawling.join(timeout=240)
    try:
        assert not crawling.is_alive()
        assert [r.status for r in reports] == ["ok"]
        assert stored(pg, "szrb") == (files_of(replica[0], "szrb", days), len(days))  # every article, each once
        with Session(pg) as session:
            runs = session.exec(select(CrawlRun).order_by(col(CrawlRun.id))).all()
            alerts = session.exec(select(Alert).where(Alert.audience == "operator")).all()
        assert [r.status for r in runs] == ["interrupted", "ok"]  # the killed job's run, then the one completing it
        assert {r.request["job"] for r in runs} == {"szrb:2024-05-13..2024-05-14,2024-05-16..2024-05-17"}
        # The killed job had stored part of the issue (articles are written as they come; its own tally died
        # with it): the next job stored only the rest, and changed nothing the first had stored.
        completed = runs[1].stats.get("articles_new", 0)
        assert 0 < completed < files_of(replica[0], "szrb", days) and runs[1].stats["articles_updated"] == 0
        silent = [a.watch_id for a in alerts if a.watch_id.startswith("scrapyd")]
        assert silent == [f"scrapyd {victim.url}"]  # the operator hears of the silent node, once
    finally:
        victim.start()


def _node_after(site: ReplicaServer, requests: int, nodes: list[ScrapydNode]) -> ScrapydNode:
    """The node running the job, once the site has answered it ``requests`` times."""
    client, deadline = ScrapydClient(), time.monotonic() + 120
    while time.monotonic() < deadline:
        if site.hits_matching("/shtml/szrb/") >= requests:
            return next(n for n in nodes if "running" in client.jobs(n.url).values())
        time.sleep(0.1)
    raise AssertionError(f"the job did not make {requests} requests within two minutes")


@needs_pg
def test_stopping_the_daemon_cancels_its_jobs_and_their_runs_end_interrupted(
    pg: Engine, nodes: list[ScrapydNode], site: ReplicaServer
) -> None:
    slow = {**FAST, "delay": 0.2, "concurrency": 1}
    request = CrawlRequest(dates=SXRB_DAYS, base_url=site.url, profile="szrb", **slow)  # type: ignore[arg-type]
    dispatcher = ScrapydDispatcher(pg, [n.url for n in nodes], ScrapydClient(), str(PG_URL), poll_seconds=0.3)
    stop = threading.Event()
    threading.Timer(0.5, lambda: _stop_when_running(site, stop)).start()
    reports = dispatcher.run([request], stop)
    assert [r.status for r in reports] == ["interrupted"]
    assert "shutting down" in (reports[0].error or "")
    client = ScrapydClient()
    assert not [s for n in nodes for s in client.jobs(n.url).values() if s in ("pending", "running")]


def _stop_when_running(site: ReplicaServer, stop: threading.Event) -> None:
    deadline = time.monotonic() + 120
    while site.hits_matching("/shtml/szrb/") < 5 and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
