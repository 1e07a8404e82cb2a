"""Shared fixtures: a real replica server, a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from szwatch.crawler.run import CrawlReport, CrawlRequest, crawl
from szwatch.replica.build import Manifest, build_replica
from szwatch.replica.server import ReplicaServer
from szwatch.replica.sinks import MailCatcher, WebhookReceiver
from szwatch.store import articles
from szwatch.store.articles import ArticleRecord
from szwatch.store.db import open_store, session_scope

PG_URL = os.environ.get("SZWATCH_TEST_PG")


@pytest.fixture(scope="session", autouse=True)
def _no_operator_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Tests run from the repository's root, where config/settings.toml (the operator's file) is on the default
    search path: every test, and every szwatch process a test starts, reads an empty settings file instead unless
    it names its own."""
    empty = tmp_path_factory.mktemp("settings") / "settings.toml"
    empty.write_text("", encoding="utf-8")
    before = os.environ.get("SZWATCH_CONFIG")
    os.environ["SZWATCH_CONFIG"] = str(empty)
    yield
    if before is None:
        os.environ.pop("SZWATCH_CONFIG", None)
    else:
        os.environ["SZWATCH_CONFIG"] = before


BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


@pytest.fixture(scope="session")
def replica(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Manifest]:
    root = tmp_path_factory.mktemp("replica")
    return root, build_replica(root)


@pytest.fixture(scope="session")
def _server(replica: tuple[Path, Manifest]) -> Iterator[ReplicaServer]:
    with ReplicaServer(replica[0], hang_seconds=4) as server:
        yield server


@pytest.fixture
def site(_server: ReplicaServer) -> Iterator[ReplicaServer]:
    """The replica on localhost, with faults and counters cleared for each test."""
    _server.reset()
    yield _server
    _server.reset()


@pytest.fixture
def manifest(replica: tuple[Path, Manifest]) -> Manifest:
    return replica[1]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'szwatch.db'}"
    assert PG_URL
    _reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_store(db_url)
    yield engine
    engine.dispose()


def _reset_postgres(url: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    admin.dispose()


def store_story(engine: Engine, day: date, number: int, title: str, paragraphs: list[str]) -> None:
    """One story on page A1 of the day's issue, through the store's write path (issue and page made as needed)."""
    base = f"http://szb.example/shtml/szrb/{day:%Y%m%d}/"
    with session_scope(engine) as session:
        issue = articles.upsert_issue(session, day, base + "vA1.shtml")
        page = articles.get_page(session, issue, "A1") or articles.upsert_page(
            session, issue, "A1", base + "vA1.shtml", "要闻", 0, []
        )
        record = ArticleRecord(url=f"{base}{number}.shtml", number=str(number), title=title, paragraphs=paragraphs,
                               raw_paragraphs=paragraphs)  # fmt: skip
        articles.save_article(session, issue.id or 0, page.id or 0, record)


def crawl_site(engine: Engine, site: ReplicaServer, **options: object) -> CrawlReport:
    """Crawl the replica fast (no politeness delay: it is our own server) with test-sized timeouts."""
    settings: dict[str, object] = {"delay": 0, "concurrency": 8, "timeout": 3, "retries": 2}
    settings.update(options)
    return crawl(CrawlRequest(base_url=site.url, **settings), engine)  # type: ignore[arg-type]


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    """A real HTTP endpoint on localhost that records what it receives and answers as told."""
    with WebhookReceiver() as receiver:
        yield receiver


@pytest.fixture
def mail() -> Iterator[MailCatcher]:
    """A real SMTP server (aiosmtpd) on localhost; stop() and start() take it down and up."""
    catcher = MailCatcher().start()
    yield catcher
    catcher.stop()
