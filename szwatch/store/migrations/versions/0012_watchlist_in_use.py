"""The watchlist a store was last detected with (path and digest), so another one is refused, not applied.

Revision ID: 0012
Revises: 0011

A store detected before this change gets the digest of its most recent detection and no path: a command that
resolves a watchlist with another digest is asked to name it with --watchlist once.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watchlist_in_use",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("path", sa.Text(), nullable=False, server_default=""),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("watches", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    _remember_the_last_digest()


def _remember_the_last_digest() -> None:
    bind = op.get_bind()
    last = sa.text("SELECT watchlist_digest FROM detections ORDER BY processed_at DESC LIMIT 1")
    digest = bind.execute(last).scalar()
    if not digest:
        return
    table = sa.table(
        "watchlist_in_use",
        sa.column("name", sa.String()),
        sa.column("path", sa.Text()),
        sa.column("digest", sa.String()),
        sa.column("watches", sa.Integer()),
        sa.column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    row = {"name": "detect", "path": "", "digest": digest, "watches": 0, "recorded_at": datetime.now(UTC)}
    op.bulk_insert(table, [row])


def downgrade() -> None:
    op.drop_table("watchlist_in_use")
