"""The daemon as it runs in production: a real ``szwatch run`` process, signals, a lease, restarts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from szwatch.common.clock import local_today
from szwatch.crawler.run import CrawlRequest, crawl
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.build import Manifest, ReplicaSpec, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.replica.sinks import WebhookReceiver
from szwatch.store.db import open_store
from szwatch.store.models import Alert, AlertDelivery, Article, CrawlRun, Issue

TODAY = local_today(
    datetime.now(UTC)
)  # the daemon reads the real clock (its day is Shanghai's); the replica is built around it


@pytest.fixture(scope="module")
def fresh_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ReplicaServer, Manifest]]:
    root = tmp_path_factory.mktemp("today")
    spec = ReplicaSpec(start=TODAY - timedelta(days=2), weeks=1, holidays=(), weekdays=tuple(range(7)), per_page=6)
    manifest = build_replica(root, spec)
    (root / "shtml" / "index_szrb.shtml").write_bytes(  # the newest issue is today's
        (root / "shtml" / "index_szrb.shtml")
        .read_bytes()
        .replace(f"{max(manifest.dates):%Y%m%d}".encode(), f"{TODAY:%Y%m%d}".encode())
    )
    with ReplicaServer(root, hang_seconds=6) as server:
        yield server, manifest


@pytest.fixture
def site(fresh_site: tuple[ReplicaServer, Manifest]) -> ReplicaServer:
    fresh_site[0].reset()
    return fresh_site[0]


def daemon_env(db_url: str, site: ReplicaServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ, "SZWATCH_DB": db_url, "SZWATCH_DAEMON__BASE_URL": site.url,
        "SZWATCH_DAEMON__POLL_START": '"00:00"', "SZWATCH_DAEMON__POLL_END": '"23:59"',
        "SZWATCH_DAEMON__POLL_EVERY_MINUTES": "0.05", "SZWATCH_DAEMON__CRAWL_DELAY_SECONDS": "0",
        "SZWATCH_DAEMON__CRAWL_CONCURRENCY": "8", "SZWATCH_DAEMON__CATCH_UP_DAYS": "1",
        "SZWATCH_DAEMON__NO_ISSUE_BY": '"23:59"', "SZWATCH_DAEMON__LEASE_SECONDS": "6",
        "SZWATCH_DAEMON__LOG_FILE": str(tmp_path / "logs" / "szwatch.log"),
    }  # fmt: skip
    env.update(extra)
    return env


def start(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    """Its log goes to the file sink (an unread pipe would fill up and stall the daemon)."""
    return subprocess.Popen([sys.executable, "-m", "szwatch", "--quiet", "run", *args], env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip


def wait_for(check: Callable[[], bool], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.5)


def count(engine: Engine, model: type, *where: object) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def status_of(engine: Engine, day: date) -> str | None:
    with Session(engine) as session:
        return session.exec(select(Issue.status).where(Issue.issue_date == day)).first()


def test_polls_until_today_is_complete_one_daemon_per_database(db_url: str, site: ReplicaServer, tmp_path: Path):
    engine = open_store(db_url)
    site.fail(f"/shtml/szrb/{TODAY:%Y%m%d}/vA2.shtml", *["503"] * 8)  # two crawls fail on A2, the third completes
    env = daemon_env(db_url, site, tmp_path)
    daemon = start(env)
    try:
        wait_for(lambda: status_of(engine, TODAY) == "complete")
        second = subprocess.run([sys.executable, "-m", "szwatch", "run"], env=env, capture_output=True, text=True,
                                timeout=60)  # fmt: skip
        healthy = subprocess.run([sys.executable, "-m", "szwatch", "status", "--json"], env=env, capture_output=True,
                                 text=True, timeout=60)  # fmt: skip
        stopped_at = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=45)
    finally:
        daemon.kill()
    assert time.monotonic() - stopped_at < 30 and daemon.returncode == 0
    assert second.returncode == 1 and "another szwatch daemon" in second.stderr
    assert healthy.returncode == 0, healthy.stdout
    assert json.loads(healthy.stdout)["daemon"]["next_runs"]["poll"]
    assert count(engine, CrawlRun) >= 3 and count(engine, CrawlRun, CrawlRun.status == "running") == 0
    assert count(engine, Alert, Alert.rule == "crawl_problems") >= 2
    down = subprocess.run([sys.executable, "-m", "szwatch", "status"], env=env, capture_output=True, text=True)
    assert down.returncode == 1 and "daemon_down" in down.stdout


def test_kill_9_mid_crawl_then_restart_completes_without_duplicates_or_lost_alerts(
    db_url: str, site: ReplicaServer, tmp_path: Path, webhook: WebhookReceiver
):
    engine = open_store(db_url)
    crawl(CrawlRequest(dates=(TODAY - timedelta(days=2),), base_url=site.url, delay=0, concurrency=8), engine)
    detect(engine, load_watchlist())  # the baseline: what the daemon brings in after it is news
    config = tmp_path / "settings.toml"
    config.write_text(f'[[channel]]\ntype = "webhook"\nname = "hook"\nurl = "{webhook.url}"\ntimeout = 2\n'
                      '[[route]]\nchannel = "hook"\n', encoding="utf-8")  # fmt: skip
    folder = site.root / "shtml" / "szrb" / f"{TODAY:%Y%m%d}"
    for article in sorted(folder.glob("1*.shtml"))[:6]:
        site.fail(f"/shtml/szrb/{TODAY:%Y%m%d}/{article.name}", "hang")
    env = daemon_env(db_url, site, tmp_path, SZWATCH_CONFIG=str(config))
    first = start(env)
    wait_for(lambda: count(engine, CrawlRun, CrawlRun.status == "running") > 0)
    time.sleep(3)  # mid-crawl: pages and most articles fetched, six articles still hanging
    os.killpg(first.pid, signal.SIGKILL)  # daemon and its crawler child, as a container kill would
    first.wait(timeout=30)
    time.sleep(7)  # the dead holder's lease (6 s here) must expire before another daemon may start

    second = start(env)
    try:
        wait_for(lambda: status_of(engine, TODAY) == "complete" and count(engine, AlertDelivery,
                 AlertDelivery.status == "pending") == 0 and count(engine, Alert) > 0)  # fmt: skip
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=45)
    expected = len([p for p in folder.glob("1*.shtml")])
    with Session(engine) as session:
        urls = session.exec(select(Article.url).where(Article.url.contains(f"{TODAY:%Y%m%d}"))).all()  # type: ignore[attr-defined]
        interrupted = session.exec(select(CrawlRun).where(CrawlRun.error.contains("interrupted"))).all()  # type: ignore[union-attr]
    assert len(urls) == len(set(urls)) == expected
    assert interrupted, "the run the killed daemon left behind is closed as failed"
    keys = {r.headers["idempotency-key"] for r in webhook.accepted()}
    assert (
        len(keys)
        == count(engine, Alert, Alert.audience == "user")
        == count(engine, AlertDelivery, AlertDelivery.status == "sent")
    )


def test_config_show_masks_secrets(tmp_path: Path):
    config = tmp_path / "settings.toml"
    config.write_text('[[channel]]\ntype = "webhook"\nname = "hook"\nurl = "https://example.org/h"\n'
                      'secret_env = "HOOK_SECRET"\n[daemon]\npoll_every_minutes = 15\n', encoding="utf-8")  # fmt: skip
    env = {**os.environ, "HOOK_SECRET": "very-secret-value", "SZWATCH_DAEMON__CATCH_UP_DAYS": "3"}
    shown = subprocess.run([sys.executable, "-m", "szwatch", "config", "show", "--config", str(config)], env=env,
                           capture_output=True, text=True, timeout=60)  # fmt: skip
    data = json.loads(shown.stdout)
    assert "very-secret-value" not in shown.stdout and data["channels"][0]["secret"] == "***"
    assert data["daemon"]["poll_every_minutes"] == 15 and data["daemon"]["catch_up_days"] == 3
    bad = subprocess.run([sys.executable, "-m", "szwatch", "config", "show", "--config", str(config)],
                         env={k: v for k, v in env.items() if k != "HOOK_SECRET"}, capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 0  # the configuration that explains the problem is shown, the channel marked
    assert json.loads(bad.stdout)["channels"][0]["problem"] == "secret_env: environment variable HOOK_SECRET is not set"
