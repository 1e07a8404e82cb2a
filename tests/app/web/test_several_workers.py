"""``szwatch web`` as several workers on one PostgreSQL: each worker is its own process with a read-only engine,
so any number can serve the same database behind one proxy; two started at the same instant both bring the
schema up (under the migration lock) and answer alike."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from szwatch.replica.server import ReplicaServer
from szwatch.store.db import open_store
from tests.app.web.conftest import WebServer
from tests.conftest import PG_URL, _reset_postgres, crawl_site


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="set SZWATCH_TEST_PG to run several web workers on PostgreSQL")
def test_two_web_workers_on_one_database_answer_alike(site: ReplicaServer) -> None:
    assert PG_URL
    _reset_postgres(PG_URL)  # an empty database: both workers migrate it at the same instant
    workers = [WebServer(PG_URL), WebServer(PG_URL)]
    try:
        for worker in workers:
            worker.wait()
        engine = open_store(PG_URL)
        crawl_site(engine, site, dates=(date(2024, 5, 7),))
        engine.dispose()
        answers = [httpx.get(f"{w.url}/api/search", params={"q": "煤"}, timeout=30).json() for w in workers]
        assert answers[0]["total"] > 0 and answers[0] == answers[1]
        assert all(httpx.get(f"{w.url}/issues/2024-05-07", timeout=30).status_code == 200 for w in workers)
    finally:
        for worker in workers:
            worker.stop()
