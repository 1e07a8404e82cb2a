"""The store remembers the watchlist it was last detected with (migration 0008), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from szwatch.app.watchlist_choice import Chosen, refusal
from szwatch.monitor.detection.detect import detect
from szwatch.monitor.detection.watchlist import load_watchlist, parse_watchlist
from szwatch.store.findings.watchlists import remembered
from tests.conftest import store_story

EXAMPLE = load_watchlist()


def test_every_detection_records_the_path_and_digest_of_its_watchlist(engine: Engine):
    store_story(engine, date(2024, 5, 6), 1, "朔州新闻", ["东立多晶硅项目开工建设。"])

    detect(engine, EXAMPLE)

    with Session(engine) as session:
        last = remembered(session)
    assert last is not None
    assert (last.path, last.digest, last.watches) == (str(EXAMPLE.path), EXAMPLE.digest, len(EXAMPLE.watches))


def test_a_store_detected_before_the_record_knows_the_digest_and_refuses_another_watchlist(engine: Engine):
    from alembic import command
    from alembic.config import Config

    from szwatch.store.db import MIGRATIONS

    store_story(engine, date(2024, 5, 6), 1, "朔州新闻", ["东立多晶硅项目开工建设。"])
    detect(engine, EXAMPLE)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    for target, how in (("0007", command.downgrade), ("head", command.upgrade)):
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            how(cfg, target)
    other = parse_watchlist(Path("/tmp/other.toml"), "x", {"project": [{"id": "p", "name": "某项目"}]})

    with Session(engine) as session:
        last = remembered(session)
    assert last is not None and (last.path, last.digest) == ("", EXAMPLE.digest)
    assert refusal(Chosen(EXAMPLE, "./watchlist.toml", False), last) is None  # the same content is fine
    why = refusal(Chosen(other, "SZWATCH_WATCHLIST", False), last)
    assert why and f"a watchlist with digest {EXAMPLE.digest} (its file was not recorded)" in why
    assert refusal(Chosen(other, "--watchlist", True), last) is None  # named on the command line: used
