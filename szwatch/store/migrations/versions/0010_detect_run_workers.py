"""Detection runs record their worker (pid, host), heartbeat, status and error, like crawl runs.

A detection run killed mid-way used to stay unfinished forever, and its digest with it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 03:20:00.000000
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("detect_runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default="ok")
        )
        batch_op.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("worker_pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("worker_host", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    # Runs unfinished at the upgrade: still "running" (their worker, if gone, is recognised by its silence).
    op.execute("UPDATE detect_runs SET status = 'running' WHERE finished_at IS NULL")


def downgrade() -> None:
    # Column by column, not a batch: on SQLite a batch copies and drops the table, which alerts refer to.
    for column in ("heartbeat_at", "worker_host", "worker_pid", "error", "status"):
        op.drop_column("detect_runs", column)
