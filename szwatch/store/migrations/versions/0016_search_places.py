"""Where each pair of characters stands in each article, kept by pair (PostgreSQL): ranking by relevance reads a few
rows per pair of the query instead of 2,000 tsvectors (``store/search/pair_places.py``).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 22:30:00.000000

Existing articles' places are built here from their stored text, by the code that builds their tsvectors (80 s per
20,000 articles on a 2-core machine, with progress in the log). SQLite has nothing to add: FTS5 ranks from its own
index.
"""

from alembic import op
from loguru import logger

from szwatch.store import search

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for statement in search.PLACES_DDL:
        op.execute(statement)
    total = bind.exec_driver_sql(f"SELECT count(*) FROM {search.PG_TABLE}").scalar_one()
    if not total:  # a new store: nothing to build, nothing to say (a command's own error stays its one line)
        return
    logger.info("search: keeping the places of {total:,} articles' pairs (about 80 s per 20,000)", total=total)

    def progress(done: int) -> None:
        if done % 20_000 < 2_000 or done == total:
            logger.info("search: places kept for {done:,} of {total:,} articles", done=done, total=total)

    search.rebuild_places(bind, progress=progress)
    op.execute(f"ANALYZE {search.PLACES_TABLE}")  # the planner's first searches see its real size


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP TABLE IF EXISTS {search.PLACES_TABLE}")
