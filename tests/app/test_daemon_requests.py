"""What the web view leaves in the store for the daemon: a "check now" is taken at the next tick and crawls the
paper whatever the hour, and a watch saved into the watchlist file is detected from that crawl on (a new watch
with its silent baseline)."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlmodel import Session, select

from szwatch.app.daemon import Daemon
from szwatch.app.settings import load_settings
from szwatch.app.web import watch_editor
from szwatch.monitor.detection.watchlist import EXAMPLE, load_watchlist
from szwatch.replica.server import ReplicaServer
from szwatch.store import operations
from szwatch.store.db import open_store, session_scope
from szwatch.store.models import CheckRequest, CrawlRun, Mention, WatchBaseline
from tests.app.test_daemon import TODAY, fresh_site, site  # noqa: F401  (the replica built around today)


def test_check_now_crawls_at_the_next_tick_and_the_saved_watch_is_detected(db_url: str, site: ReplicaServer,  # noqa: F811
                                                                          tmp_path: Path):  # fmt: skip
    watchlist = tmp_path / "watchlist.toml"
    shutil.copy(EXAMPLE, watchlist)
    env = {"SZWATCH_DAEMON__BASE_URL": site.url, "SZWATCH_DAEMON__CRAWL_DELAY_SECONDS": "0",
           "SZWATCH_DAEMON__POLL_START": '"00:00"', "SZWATCH_DAEMON__POLL_END": '"00:01"'}  # fmt: skip
    engine = open_store(db_url)
    daemon = Daemon(engine, load_settings(None, env=env), load_watchlist(watchlist))
    draft = watch_editor.draft_from_form({"kind": "project", "id": "pingshuo-group", "name": "平朔集团"})
    text = watch_editor.changed_text(watchlist.read_text(encoding="utf-8"), draft, None)
    with session_scope(engine) as session:  # as the web view saves it
        watch_editor.save(session, load_watchlist(watchlist), load_watchlist(watchlist).digest, text)
        operations.request_check(session, "szrb", "token@127.0.0.1")

    daemon.checks_asked()
    daemon.checks_asked()  # the request was taken: no second crawl

    with Session(engine) as session:
        crawls = session.exec(select(CrawlRun)).all()
        request = session.exec(select(CheckRequest)).one()
        baseline = session.get(WatchBaseline, "pingshuo-group")
        found = session.exec(select(Mention).where(Mention.watch_id == "pingshuo-group")).all()
    engine.dispose()
    assert [c.status for c in crawls] == ["ok"] and TODAY.isoformat() in str(crawls[0].request)
    assert request.taken_at is not None
    assert daemon.watchlist.get("pingshuo-group") is not None  # the daemon reloaded the changed file
    assert baseline is not None  # a new watch: its first detection is its silent baseline …
    assert found  # … and what it found is stored, as for any watch
