"""Migrations 0009 (delivery claims) and 0010 (detection-run workers) on a store an older szwatch left."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from szwatch.store.db import MIGRATIONS, make_engine


def test_an_unfinished_detection_run_and_its_pending_digest_survive_the_upgrade(db_url: str):
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
        conn.execute(text("INSERT INTO detect_runs (started_at, stories, alerts) VALUES (CURRENT_TIMESTAMP, 0, 1)"))
        conn.execute(text("INSERT INTO detect_runs (started_at, finished_at, stories, alerts) "
                          "VALUES (CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 3, 0)"))  # fmt: skip
        conn.execute(text("INSERT INTO alerts (dedupe_key, rule, audience, tags, snippet, figures, change, created_at,"
                          " detect_run_id) VALUES ('k', 'new_mention', 'user', '[]', '', '[]', '{}', CURRENT_TIMESTAMP,"
                          " 1)"))  # fmt: skip
        conn.execute(text("INSERT INTO deliveries (alert_id, channel, mode, batch, status, attempts, next_attempt_at,"
                          " idempotency_key, created_at) VALUES (1, 'hook', 'digest', 1, 'pending', 0,"
                          " CURRENT_TIMESTAMP, 'key', CURRENT_TIMESTAMP)"))  # fmt: skip
        command.upgrade(cfg, "head")
        runs = conn.execute(text("SELECT status, worker_pid FROM detect_runs ORDER BY id")).all()
        claim = conn.execute(text("SELECT status, claimed_by, claimed_until FROM deliveries")).one()
        command.downgrade(cfg, "0007")
        command.upgrade(cfg, "head")
    engine.dispose()

    assert [tuple(r) for r in runs] == [("running", None), ("ok", None)]  # the unfinished one is judged by its silence
    assert tuple(claim) == ("pending", None, None)
