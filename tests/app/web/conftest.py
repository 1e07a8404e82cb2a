"""A crawled replica (every issue, detection run, alerts raised) served by a real ``szwatch web`` process.

The archive is built once per session: the whole replica crawled into SQLite, detection with the example
watchlist, one article changed afterwards (so it has an earlier version), and one hostile article in an
issue of its own whose title and text are HTML (the escaping case).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from szwatch.crawler.run import date_range
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.build import Manifest
from szwatch.replica.server import ReplicaServer
from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import open_store, session_scope
from szwatch.store.models import Article
from tests.conftest import crawl_site

EVIL_DAY = date(2024, 6, 3)
EVIL_TITLE = "<script>alert(1)</script>"
EVIL_SUBTITLE = "<img src=x onerror=\"document.title='pwned'\">"
EVIL_TEXT = "东立多晶硅项目<b>加粗</b>的说明：<img src=x onerror=\"document.title='pwned'\"> 与 </script><script>alert(2)</script>"


@dataclass
class Archive:
    db_url: str
    manifest: Manifest
    evil_id: int
    changed_id: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def archive(tmp_path_factory: pytest.TempPathFactory, _server: ReplicaServer, replica) -> Archive:
    manifest: Manifest = replica[1]
    db_url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.db'}"
    engine = open_store(db_url)
    _server.reset()
    report = crawl_site(engine, _server, dates=date_range(manifest.dates[0], manifest.missing[-1]), latest=True)
    assert report.status == "ok", report.problems
    # The archive is older than the baseline would allow: alerts are asked for explicitly, as a backfill would.
    detect(engine, load_watchlist(), alert_existing=True, max_age_days=0)
    with session_scope(engine) as session:
        first = session.exec(select(Article).order_by(Article.id)).first()
        assert first is not None
        issue = articles.get_issue(session, date(2024, 5, 6))
        changed = ArticleRecord(url=first.url, number=first.number, title=first.title + "（更新）",
                                paragraphs=["更正后的正文。"], raw_paragraphs=["更正后的正文。"])  # fmt: skip
        articles.save_article(session, first.issue_id, first.page_id, changed)
        assert issue is not None
        evil_issue = articles.upsert_issue(session, EVIL_DAY, "http://x/20240603/", status="complete")
        page = articles.upsert_page(session, evil_issue, "A1", "http://x/20240603/vA1", "要闻", 0,
                                    ["http://x/20240603/evil.shtml"])  # fmt: skip
        evil = ArticleRecord(url="http://x/20240603/evil.shtml", number="1", title=EVIL_TITLE, subtitle=EVIL_SUBTITLE,
                             kicker="<i>引题</i>", paragraphs=[EVIL_TEXT], raw_paragraphs=[EVIL_TEXT])  # fmt: skip
        articles.save_article(session, evil_issue.id or 0, page.id or 0, evil)
        evil_id = session.exec(select(Article.id).where(Article.url == evil.url)).one()
    engine.dispose()
    return Archive(db_url, manifest, evil_id or 0, first.id or 0)


class WebServer:
    """``szwatch web`` in a child process, as a user starts it."""

    def __init__(self, db_url: str, *extra: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {k: v for k, v in os.environ.items() if k != "SZWATCH_WEB_TOKEN"} | (env or {})
        self.process = subprocess.Popen(
            [sys.executable, "-m", "szwatch", "--db", db_url, "web", "--port", str(self.port), *extra],
            env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip

    def wait(self, headers: dict[str, str] | None = None) -> WebServer:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"szwatch web exited: {self.process.stdout.read() if self.process.stdout else ''}")
            try:
                httpx.get(f"{self.url}/healthz", headers=headers, timeout=2)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError("szwatch web did not answer within 60 s")

    def stop(self) -> str:
        self.process.terminate()
        out, _ = self.process.communicate(timeout=30)
        return out


@pytest.fixture(scope="session")
def web(archive: Archive) -> Iterator[WebServer]:
    server = WebServer(archive.db_url).wait()
    yield server
    server.stop()


@pytest.fixture
def client(web: WebServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web.url, timeout=30) as c:
        yield c


SCREENSHOTS = Path(os.environ.get("SZWATCH_SCREENSHOTS", Path(__file__).resolve().parents[3] / "build" / "screenshots"))
