"""Watch baselines; alerts keep the watch's name and tags as they were when raised.

Revision ID: 0006
Revises: 0005

An existing database already had its first detection under the old rules, so every watch that has findings
or alerts gets a baseline at the newest article stored now: the upgrade itself raises nothing, and stories
stored later alert as before.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "watch_baselines",
        sa.Column("watch_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("last_article_id", sa.Integer(), nullable=False),
        sa.Column("detect_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("watch_id"),
    )
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("watch_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=True))
    _baseline_existing_watches()


def _baseline_existing_watches() -> None:
    bind = op.get_bind()
    watches = sa.text(
        "SELECT watch_id FROM mentions UNION SELECT indicator_id FROM observations "
        "UNION SELECT watch_id FROM alerts WHERE audience = 'user' AND watch_id IS NOT NULL"
    )
    ids = sorted({row[0] for row in bind.execute(watches) if row[0]})
    if not ids:
        return
    newest = bind.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM articles")).scalar() or 0
    table = sa.table(
        "watch_baselines",
        sa.column("watch_id", sa.String()),
        sa.column("last_article_id", sa.Integer()),
        sa.column("created_at", sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    now = datetime.now(UTC)
    op.bulk_insert(table, [{"watch_id": w, "last_article_id": int(newest), "created_at": now} for w in ids])


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("tags")
        batch.drop_column("watch_name")
    op.drop_table("watch_baselines")
