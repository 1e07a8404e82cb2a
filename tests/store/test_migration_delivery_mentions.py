"""Migration 0014 (who a delivery @s and its push window) on a store an older szwatch left: a pending delivery
keeps going, with nobody extra to @ and no window, and the change can be undone."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from szwatch.store.db import MIGRATIONS, make_engine


def test_a_pending_delivery_survives_the_upgrade_without_mentions_or_window(db_url: str):
    engine = make_engine(db_url)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0013")
        conn.execute(text("INSERT INTO alerts (dedupe_key, rule, audience, tags, snippet, figures, change, created_at)"
                          " VALUES ('k', 'new_mention', 'user', '[]', '', '[]', '{}', CURRENT_TIMESTAMP)"))  # fmt: skip
        conn.execute(text("INSERT INTO deliveries (alert_id, channel, mode, status, attempts, next_attempt_at,"
                          " idempotency_key, created_at) VALUES (1, 'team', 'instant', 'pending', 0,"
                          " CURRENT_TIMESTAMP, 'key', CURRENT_TIMESTAMP)"))  # fmt: skip
        command.upgrade(cfg, "head")
        row = conn.execute(text("SELECT status, mentions, push_window FROM deliveries")).one()
        conn.execute(text("UPDATE deliveries SET push_window = '08:00-22:00'"))
        command.downgrade(cfg, "0013")
        kept = conn.execute(text("SELECT status, idempotency_key FROM deliveries")).one()
        command.upgrade(cfg, "head")
    engine.dispose()

    assert tuple(row) == ("pending", None, None)
    assert tuple(kept) == ("pending", "key")
