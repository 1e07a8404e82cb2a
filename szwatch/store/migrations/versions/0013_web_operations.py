"""What the web view's operators did and asked for: the audit trail, paused channels and routes, check requests.

Revision ID: 0013
Revises: 0012

Kept in the store, not in memory, so that every process on the database sees them: the delivery worker holds
a paused channel's deliveries, the daemon picks up a "check now" at its next tick, and the audit trail says
who changed what, whichever web process took the request.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_trail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pauses",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("paused_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("paused_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("kind", "name"),
    )
    op.create_table(
        "check_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("taken_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_check_requests_taken_at", "check_requests", ["taken_at"])


def downgrade() -> None:
    op.drop_index("ix_check_requests_taken_at", "check_requests")
    op.drop_table("check_requests")
    op.drop_table("pauses")
    op.drop_table("audit_trail")
