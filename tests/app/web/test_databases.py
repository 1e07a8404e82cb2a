"""The web view on either database: its engine cannot write, and on PostgreSQL the pages and the search answer
as they do on SQLite."""

from __future__ import annotations

from datetime import date

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist
from szwatch.replica.server import ReplicaServer
from szwatch.store.db import open_store, read_only_engine
from tests.app.web.conftest import WebServer
from tests.conftest import PG_URL, _reset_postgres, crawl_site


def test_read_only_engine_refuses_every_write(db_url: str):
    open_store(db_url).dispose()
    engine = read_only_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM articles")).scalar_one() == 0
    with pytest.raises(DBAPIError, match=r"(?i)read.only|readonly"), engine.begin() as conn:
        conn.execute(text("INSERT INTO detect_runs (started_at, stories, alerts) VALUES ('2024-05-07', 0, 0)"))
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="set SZWATCH_TEST_PG to run the web view on PostgreSQL")
def test_web_view_on_postgresql(site: ReplicaServer):
    assert PG_URL
    _reset_postgres(PG_URL)
    engine = open_store(PG_URL)
    crawl_site(engine, site, dates=(date(2024, 5, 7), date(2024, 5, 8)))
    detect(engine, load_watchlist())
    engine.dispose()
    server = WebServer(PG_URL).wait()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for query in ("煤", "平朔", "多晶硅", "集大原 高铁"):
                data = client.get("/api/search", params={"q": query}).json()
                assert data["total"] > 0 and any(f"【{query.split()[0]}】" in r["snippet"] for r in data["results"])
            narrowed = client.get("/api/search", params={"q": "项目", "from": "2024-05-08", "page": "A1"}).json()
            assert narrowed["total"] and {(r["issue_date"], r["page"]) for r in narrowed["results"]} == {
                ("2024-05-08", "A1")
            }
            assert client.get("/api/indicators/gdp").json()["observations"]
            assert client.get("/issues/2024-05-07").status_code == 200
            assert client.get("/watches/gdp").status_code == 200
            assert client.post("/api/search?q=煤").status_code == 405
    finally:
        server.stop()
